"""A layer's `call` reading or assigning the weights of a layer it holds (`self.conv.kernel`):
PixelCNN's masked convolution (keras-io `pixelcnn`) and tied embeddings. The reads are the
step's traced weights, so gradients reach them; checked against Keras 3 running the same code."""
import keras
import numpy as np

import jkeras


def _pixel_model(lib):
    class PixelConvLayer(lib.layers.Layer):
        def __init__(self, mask_type, **kwargs):
            super().__init__()
            self.mask_type = mask_type
            self.conv = lib.layers.Conv2D(**kwargs)

        def build(self, input_shape):
            self.conv.build(input_shape)
            kernel_shape = lib.ops.shape(self.conv.kernel)
            self.mask = np.zeros(shape=kernel_shape)
            self.mask[: kernel_shape[0] // 2, ...] = 1.0
            self.mask[kernel_shape[0] // 2, : kernel_shape[1] // 2, ...] = 1.0
            if self.mask_type == "B":
                self.mask[kernel_shape[0] // 2, kernel_shape[1] // 2, ...] = 1.0

        def call(self, inputs):
            self.conv.kernel.assign(self.conv.kernel * self.mask)
            return self.conv(inputs)

    inputs = lib.Input(shape=(6, 6, 1))
    x = PixelConvLayer(mask_type="A", filters=3, kernel_size=3, activation="relu", padding="same")(inputs)
    x = PixelConvLayer(mask_type="B", filters=3, kernel_size=3, activation="relu", padding="same")(x)
    return lib.Model(inputs, lib.layers.Conv2D(1, 1, activation="sigmoid")(x))


def _tied_model(lib):
    class TiedLM(lib.Model):
        def __init__(self):
            super().__init__()
            self.embedding = lib.layers.Embedding(11, 4)
            self.dense = lib.layers.Dense(4, activation="tanh")

        def call(self, tokens):
            h = self.dense(self.embedding(tokens))
            return lib.ops.matmul(h, lib.ops.transpose(self.embedding.embeddings))

    return TiedLM()


def _train(lib, build, x, y, loss):
    model = build(lib)
    model(x[:1])
    r = np.random.default_rng(0)
    model.set_weights([r.normal(size=w.shape).astype("float32") * 0.5 for w in model.get_weights()])
    predicted = model.predict(x, verbose=0)
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss=loss)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    return predicted, history, model.get_weights()


def _assert_same(expected, got):
    for e, g in zip(expected[:2], got[:2]):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-6)
    for e, g in zip(expected[2], got[2]):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-6)


def test_masked_convolution_assigning_a_sublayer_kernel_in_call_as_keras():
    x = (np.random.default_rng(1).random((10, 6, 6, 1)) > 0.5).astype("float32")
    _assert_same(_train(keras, _pixel_model, x, x, "binary_crossentropy"),
                 _train(jkeras, _pixel_model, x, x, "binary_crossentropy"))


def test_tied_embedding_read_in_call_gets_its_gradient_as_keras():
    r = np.random.default_rng(2)
    tokens = r.integers(0, 11, (10, 5)).astype("int32")
    targets = r.integers(0, 11, (10, 5)).astype("int32")
    keras_run = _train(keras, _tied_model, tokens, targets, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ours = _train(jkeras, _tied_model, tokens, targets, jkeras.losses.SparseCategoricalCrossentropy(from_logits=True))
    _assert_same(keras_run, ours)

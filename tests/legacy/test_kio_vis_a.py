"""Found by running keras-io vision examples (Keras 3 versions) on jkeras; each test compares with
Keras 3 running the same code."""
import keras
import numpy as np

import jkeras


def test_non_tensor_call_arguments_reach_the_call_that_creates_sublayer_weights():
    # focal_modulation_network.py: `block(x, height=h, width=w, channels=c)` inside a subclassed
    # model; the block's `call` reshapes with those sizes before calling its own sublayers. The
    # weights were created by a call on zeros without the keyword arguments (a TypeError).
    def build(k):
        class Block(k.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.conv = k.layers.Conv2D(4, 3, padding="same")
                self.dense = k.layers.Dense(4)

            def call(self, x, height, width, channels):
                x = k.ops.reshape(x, (-1, height, width, channels))
                x = self.conv(x)
                return self.dense(k.ops.reshape(x, (-1, height * width, 4)))

        class Net(k.Model):
            def __init__(self):
                super().__init__()
                self.proj = k.layers.Conv2D(3, 2, strides=2)
                self.block = Block()
                self.head = k.layers.Dense(2)

            def call(self, x):
                x = self.proj(x)
                h, w, c = k.ops.shape(x)[1], k.ops.shape(x)[2], k.ops.shape(x)[3]
                x = self.block(k.ops.reshape(x, (-1, h * w, c)), height=h, width=w, channels=c)
                return self.head(k.ops.mean(x, axis=1))

        return Net()

    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    keras.backend.clear_session()  # the weight paths compared below hold auto-name counters
    jkeras.backend.clear_session()
    ref, ours = build(keras), build(jkeras)
    expected_shape = tuple(ref(x).shape)
    out = ours(x)
    assert tuple(out.shape) == expected_shape
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-5, atol=1e-6)
    # a top-level eager call of the block alone creates its weights with the arguments too
    block = type(ours.block)()
    assert tuple(block(np.zeros((2, 16, 3), "float32"), height=4, width=4, channels=3).shape) == (2, 16, 4)


def test_validation_data_of_inputs_alone_for_an_add_loss_model():
    # captcha_ocr.py: a model whose loss is its CTC endpoint layer's `add_loss`, validated on the
    # input dict alone (no targets); Keras 3 unpacks `validation_data` like a batch: `(x,)` or `x`.
    def run(k):
        class Endpoint(k.layers.Layer):
            def call(self, y_true, y_pred):
                self.add_loss(k.ops.mean(k.ops.square(y_true - y_pred)))
                return y_pred

        image = k.Input((3,), name="image")
        label = k.Input((2,), name="label")
        out = Endpoint()(label, k.layers.Dense(2, kernel_initializer="ones", name="dense2")(image))
        model = k.Model([image, label], out)
        model.compile(optimizer=k.optimizers.SGD(0.0))
        rng = np.random.default_rng(1)
        data = {"image": rng.normal(size=(8, 3)).astype("float32"),
                "label": rng.normal(size=(8, 2)).astype("float32")}
        val = {"image": data["image"][:4], "label": data["label"][:4]}
        return [model.fit(data, validation_data=v, epochs=1, batch_size=4, verbose=0).history
                for v in ((val,), val)]

    for ref, ours in zip(run(keras), run(jkeras)):
        assert sorted(ours) == sorted(ref) == ["loss", "val_loss"]
        np.testing.assert_allclose(ours["val_loss"], ref["val_loss"], rtol=1e-5)


def test_a_non_scalar_added_loss_is_summed_into_the_training_loss():
    # captcha_ocr.py: the CTC endpoint layer adds a `(batch, 1)` loss; Keras 3 sums each added
    # loss (`_aggregate_additional_loss`); jkeras failed to take its gradient (not a scalar).
    def run(k):
        class Endpoint(k.layers.Layer):
            def call(self, y_true, y_pred):
                self.add_loss(k.ops.sum(k.ops.square(y_true - y_pred), axis=1, keepdims=True))
                return y_pred

        x = k.Input((3,))
        t = k.Input((2,))
        model = k.Model([x, t], Endpoint()(t, k.layers.Dense(2, kernel_initializer="ones")(x)))
        model.compile(optimizer=k.optimizers.SGD(0.01))
        rng = np.random.default_rng(2)
        data = [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 2)).astype("float32")]
        before = model.evaluate(data, verbose=0, batch_size=4)
        model.train_on_batch(data)
        return before, model.get_weights()[0]

    (ref_loss, ref_kernel), (loss, kernel) = run(keras), run(jkeras)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    np.testing.assert_allclose(kernel, ref_kernel, rtol=1e-5, atol=1e-6)


def test_a_metric_function_logs_under_its_name_in_snake_case():
    # edsr.py: `metrics=[PSNR]` logs `psnr` / `val_psnr` in Keras 3 (get_object_name), not `PSNR`.
    def run(k):
        def PSNR(y_true, y_pred):
            return k.ops.mean(y_true - y_pred)

        def meanPred(y_true, y_pred):
            return k.ops.mean(y_pred)

        model = k.Sequential([k.Input((2,)), k.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=[PSNR, meanPred, "mae"])
        x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        return model.fit(x, y, validation_data=(x, y), verbose=0).history

    assert sorted(run(jkeras)) == sorted(run(keras))


def test_freezing_an_unbuilt_sequential_freezes_its_layers():
    # fully_convolutional_network.py: `dense_convs = keras.Sequential(dense_convs);
    # dense_convs.trainable = False` before calling it; its kernels stayed trainable in the
    # enclosing model (119M trainable parameters instead of Keras 3's 19k).
    def build(k):
        frozen = k.Sequential([k.layers.Conv2D(4, 3, use_bias=False), k.layers.Dropout(0.5)])
        frozen.trainable = False
        inputs = k.Input((8, 8, 3))
        model = k.Model(inputs, k.layers.Dense(2)(frozen(inputs)))
        return model, frozen

    (ref, ref_seq), (ours, seq) = build(keras), build(jkeras)
    assert [l.trainable for l in seq.layers] == [l.trainable for l in ref_seq.layers] == [False, False]
    assert [tuple(w.shape) for w in ours.trainable_weights] == [tuple(w.shape) for w in ref.trainable_weights]
    assert [tuple(w.shape) for w in ours.non_trainable_weights] == [
        tuple(w.shape) for w in ref.non_trainable_weights] == [(3, 3, 3, 4)]

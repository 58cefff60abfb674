"""Found by running keras-io vision examples (retinanet ... vivit, the list after shiftvit) on
jkeras; each test compares with Keras 3 running the same code."""
import warnings

import keras
import numpy as np

import jkeras

RNG = np.random.default_rng(0)
A, B, C = (RNG.normal(size=(4, 3)).astype("float32") for _ in range(3))


def _structure(value):
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_structure(v) for v in value]]
    return np.asarray(value).shape


def _siamese(k):
    # siamese_network.py: a DistanceLayer returns `(ap_distance, an_distance)`, the functional
    # network has three inputs, and SiameseModel.call passes its input list on to it
    class DistanceLayer(k.layers.Layer):
        def call(self, anchor, positive, negative):
            return (k.ops.sum(k.ops.square(anchor - positive), -1),
                    k.ops.sum(k.ops.square(anchor - negative), -1))

    inputs = [k.Input((3,), name=n) for n in ("anchor", "positive", "negative")]
    embedding = k.layers.Dense(2, kernel_initializer="ones", name="embedding")
    distances = DistanceLayer()(*[embedding(t) for t in inputs])
    network = k.Model(inputs=inputs, outputs=distances)

    class SiameseModel(k.Model):
        def __init__(self, siamese_network):
            super().__init__()
            self.siamese_network = siamese_network

        def call(self, inputs):
            return self.siamese_network(inputs)

    return network, SiameseModel(network)


def test_a_functional_model_with_tuple_outputs_returns_a_tuple():
    # siamese_network.py: `Model(inputs, outputs=distances)` with `distances` a tuple: Keras 3
    # keeps the tuple (`ap_distance, an_distance = network(data)`, predict) where jkeras gave a list
    def run(k):
        network, _ = _siamese(k)
        return [network([A, B, C]), network.predict([A, B, C], verbose=0), network.predict_on_batch([A, B, C])]

    expected, got = run(keras), run(jkeras)
    for ref, ours in zip(expected, got):
        assert _structure(ours) == _structure(ref) == ["tuple", [(4,), (4,)]]
        for a, b in zip(ref, ours):
            np.testing.assert_allclose(b, a, rtol=1e-6)


def test_predict_builds_a_subclassed_model_from_every_array_of_an_input_list():
    # siamese_network.py: `siamese_model.predict([anchor, positive, negative])` on the unbuilt
    # subclassed model: jkeras built it from the first array alone, so `call` got one array
    def run(k):
        _, model = _siamese(k)
        return model.predict([A, B, C], batch_size=2, verbose=0)

    expected, got = run(keras), run(jkeras)
    assert _structure(got) == _structure(expected)
    for a, b in zip(expected, got):
        np.testing.assert_allclose(b, a, rtol=1e-6)


def test_a_variable_of_dtype_int_is_int32_without_a_warning():
    # swin_transformers.py: `keras.Variable(initializer=relative_position_index, ...,
    # dtype="int", trainable=False)`; jkeras asked JAX for int64, which warned that it truncates
    index = np.arange(16).reshape(4, 4)

    def run(k):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            v = k.Variable(initializer=index, shape=index.shape, dtype="int", trainable=False)
        return v.dtype, np.asarray(v)

    (ref_dtype, ref), (dtype, ours) = run(keras), run(jkeras)
    assert str(dtype) == str(ref_dtype) == "int32"
    np.testing.assert_array_equal(ours, ref)


def test_a_layers_inputs_carry_their_mask_into_call():
    # video_transformers.py: PositionalEmbedding.compute_mask marks the zero-padded frames and
    # TransformerEncoder.call runs `self.attention(inputs, inputs, attention_mask=mask[:, None, :])`:
    # in Keras 3 `inputs` carries its mask, so the attention masks the padded queries too; jkeras
    # handed the mask to `call` only and the padded frames attended to the others
    frames = RNG.normal(size=(3, 5, 4)).astype("float32")
    frames[0, 3:] = 0.0
    frames[1, 1:] = 0.0

    def run(k):
        class Marked(k.layers.Layer):
            def call(self, inputs):
                return inputs + 1.0

            def compute_mask(self, inputs, mask=None):
                return k.ops.any(k.ops.cast(inputs, "bool"), axis=-1)

        class Encoder(k.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.attention = k.layers.MultiHeadAttention(num_heads=1, key_dim=4)

            def call(self, inputs, mask=None):
                if mask is not None:
                    mask = mask[:, None, :]
                return self.attention(inputs, inputs, attention_mask=mask)

        inputs = k.Input((5, 4))
        model = k.Model(inputs, Encoder()(Marked()(inputs)))
        model.set_weights([np.linspace(-1, 1, w.size).reshape(w.shape).astype("float32")
                           for w in model.get_weights()])
        return np.asarray(model(frames))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = run(keras)
    np.testing.assert_allclose(run(jkeras), expected, rtol=1e-5, atol=1e-6)

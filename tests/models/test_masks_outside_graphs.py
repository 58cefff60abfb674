"""Masks carried by tensors (`_keras_mask`): direct layer calls, subclassed models (also under
jit), nested models, symbolic tensors and explicit `mask=` tensors, against Keras 3."""
import keras
import numpy as np
import pytest

import jkeras

PADDED = np.array([[711, 632, 71, 0, 0, 0], [73, 8, 3215, 55, 927, 0]])
SMALL = np.array([[5, 3, 2, 0, 0], [1, 4, 0, 0, 0], [2, 2, 2, 2, 9]])


def _same_weights(ours, ref):
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in ref.weights]
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])


def test_direct_calls_attach_keras_masks():
    for k in (jkeras, keras):
        emb = k.layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
        masking = k.layers.Masking()(np.tile(PADDED[..., None], (1, 1, 3)).astype("float32"))
        if k is keras:
            ref = np.asarray(emb(PADDED)._keras_mask), np.asarray(masking._keras_mask)
        else:
            ours = np.asarray(emb(PADDED)._keras_mask), np.asarray(masking._keras_mask)
    np.testing.assert_array_equal(ours[0], ref[0])
    np.testing.assert_array_equal(ours[1], ref[1])
    assert getattr(jkeras.layers.Dense(2)(np.ones((1, 3), "float32")), "_keras_mask", None) is None


def test_chained_direct_calls_skip_padding_as_keras():
    ref_emb, ref_lstm = keras.layers.Embedding(5000, 8, mask_zero=True), keras.layers.LSTM(4)
    ref = np.asarray(ref_lstm(ref_emb(PADDED)))
    emb, lstm = jkeras.layers.Embedding(5000, 8, mask_zero=True), jkeras.layers.LSTM(4)
    emb(PADDED), lstm(np.zeros((1, 2, 8), "float32"))
    _same_weights(emb, ref_emb)
    _same_weights(lstm, ref_lstm)
    np.testing.assert_allclose(np.asarray(lstm(emb(PADDED))), ref, rtol=1e-5, atol=1e-6)
    unmasked = np.asarray(lstm(np.asarray(emb(PADDED))))  # a NumPy copy carries no mask
    assert not np.allclose(unmasked, ref, atol=1e-4)


def _subclassed(k, return_sequences):
    class Net(k.Model):
        def __init__(self):
            super().__init__()
            self.emb = k.layers.Embedding(10, 4, mask_zero=True)
            self.lstm = k.layers.LSTM(3, return_sequences=return_sequences)
            self.head = k.layers.Dense(1)

        def call(self, x):
            return self.head(self.lstm(self.emb(x)))

    return Net()


@pytest.mark.parametrize("return_sequences", [False, True])
def test_subclassed_model_masks_under_predict_and_fit_as_keras(return_sequences):
    ours, ref = _subclassed(jkeras, return_sequences), _subclassed(keras, return_sequences)
    ours(SMALL), ref(SMALL)
    _same_weights(ours, ref)
    np.testing.assert_allclose(ours.predict(SMALL, verbose=0), ref.predict(SMALL, verbose=0),
                               rtol=1e-5, atol=1e-6)
    y = np.linspace(-1, 1, SMALL.size).reshape(SMALL.shape + (1,))[:, :, :1].astype("float32")
    y = y if return_sequences else y[:, 0]
    ours.compile(optimizer=jkeras.optimizers.SGD(0.1), loss="mse")
    ref.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    h_ours = ours.fit(SMALL, y, batch_size=3, epochs=3, verbose=0).history["loss"]
    h_ref = ref.fit(SMALL, y, batch_size=3, epochs=3, verbose=0).history["loss"]
    np.testing.assert_allclose(h_ours, h_ref, rtol=1e-4)


def test_symbolic_tensors_describe_their_mask_as_keras():
    for k in (jkeras, keras):
        inputs = k.Input(shape=(None,), dtype="int32")
        x = k.layers.Embedding(input_dim=50, output_dim=4, mask_zero=True)(inputs)
        y = k.layers.Activation("relu")(x)
        z = k.layers.LSTM(2)(y)
        found = [(None if m is None else (tuple(m.shape), str(m.dtype)))
                 for m in (x._keras_mask, y._keras_mask, getattr(z, "_keras_mask", None))]
        if k is keras:
            ref = found
        else:
            ours = found
    assert ours == ref


def _temporal_softmax(k):
    class TemporalSoftmax(k.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            assert mask is not None
            m = k.ops.expand_dims(k.ops.cast(mask, "float32"), -1)
            e = k.ops.exp(inputs) * m
            return e / k.ops.sum(e * m, axis=-1, keepdims=True)

    inputs = k.Input(shape=(None,), dtype="int32")
    x = k.layers.Embedding(input_dim=10, output_dim=4, mask_zero=True)(inputs)
    x = k.layers.Dense(1)(x)
    return k.Model(inputs, TemporalSoftmax()(x))


def test_custom_layer_sees_the_mask_while_the_model_is_built():
    ours, ref = _temporal_softmax(jkeras), _temporal_softmax(keras)
    _same_weights(ours, ref)
    np.testing.assert_allclose(ours(SMALL), ref(SMALL), rtol=1e-5, atol=1e-6)


def _explicit_mask(k):
    inputs = k.Input(shape=(None,), dtype="int32")
    x = k.layers.Embedding(input_dim=10, output_dim=4)(inputs)
    outputs = k.layers.LSTM(3)(x, mask=k.ops.not_equal(inputs, 0))
    return k.Model(inputs, outputs)


def test_explicit_symbolic_mask_is_an_edge_of_the_graph(tmp_path):
    ours, ref = _explicit_mask(jkeras), _explicit_mask(keras)
    _same_weights(ours, ref)
    np.testing.assert_allclose(ours(SMALL), ref(SMALL), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours(np.array([[5, 3, 2, 0, 0]])), ours(np.array([[5, 3, 2]])), atol=1e-6)
    path = str(tmp_path / "m.keras")
    ours.save(path)
    np.testing.assert_allclose(jkeras.models.load_model(path)(SMALL), ref(SMALL), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="computed by no layer call"):
        x = jkeras.layers.Embedding(10, 4, mask_zero=True)(jkeras.Input((None,), dtype="int32"))
        jkeras.layers.LSTM(2)(x, mask=x._keras_mask)


def test_nested_model_passes_its_output_mask_on():
    def build(k):
        tokens = k.Input(shape=(None,), dtype="int32")
        encoder = k.Model(tokens, k.layers.Embedding(10, 4, mask_zero=True)(tokens))
        outer_in = k.Input(shape=(None,), dtype="int32")
        return k.Model(outer_in, k.layers.LSTM(3)(encoder(outer_in)))

    ours, ref = build(jkeras), build(keras)
    _same_weights(ours, ref)
    np.testing.assert_allclose(ours(SMALL), ref(SMALL), rtol=1e-5, atol=1e-6)


def test_overriding_compute_mask_turns_masking_support_on():
    for k in (jkeras, keras):
        class WithMask(k.layers.Layer):
            def call(self, x):
                return x

            def compute_mask(self, inputs, mask=None):
                return mask

        class Plain(k.layers.Layer):
            def call(self, x):
                return x

        assert WithMask().supports_masking and not Plain().supports_masking

"""ConvLSTM1D / 2D / 3D against Keras 3."""
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras

L = jkeras.layers
RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def assert_close(ours, ref, tol=1e-5):
    ours = ours if isinstance(ours, (list, tuple)) else [ours]
    ref = ref if isinstance(ref, (list, tuple)) else [ref]
    for o, r in zip(ours, ref):
        np.testing.assert_allclose(np.asarray(o), np.asarray(r), rtol=tol, atol=tol)


CASES = {
    "1d": (lambda lib: lib.layers.ConvLSTM1D(2, 3), (2, 3, 6, 2), True),
    "1d_same_seq": (lambda lib: lib.layers.ConvLSTM1D(3, 2, padding="same", return_sequences=True),
                    (2, 3, 5, 2), False),
    "1d_strides_state": (lambda lib: lib.layers.ConvLSTM1D(2, 2, strides=2, return_state=True), (2, 3, 7, 1),
                         False),
    "2d_same_seq": (lambda lib: lib.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True),
                    (1, 2, 4, 4, 1), True),
    "2d_channels_first_backwards": (lambda lib: lib.layers.ConvLSTM2D(
        2, (3, 2), data_format="channels_first", go_backwards=True), (2, 3, 2, 5, 4), False),
    "2d_dilation_no_bias": (lambda lib: lib.layers.ConvLSTM2D(
        2, 2, dilation_rate=2, use_bias=False, unit_forget_bias=False), (2, 2, 5, 5, 1), False),
    "2d_dropout_inference": (lambda lib: lib.layers.ConvLSTM2D(
        2, 3, dropout=0.3, recurrent_dropout=0.3, recurrent_activation="tanh"), (1, 3, 4, 4, 2), False),
    "3d": (lambda lib: lib.layers.ConvLSTM3D(2, 2, padding="same"), (1, 2, 3, 3, 3, 1), False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    make, shape, grads = CASES[name]
    check_layer(make, input_shape=shape, grads=grads)


def test_masked_steps_are_skipped():
    # Keras 3's ConvLSTM fails on masks (a (batch, 1) mask against 4D states); the reference is the
    # same layer run on each sample's unmasked steps only.
    mask = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], bool)
    x = rand(2, 4, 4, 4, 1)
    layer = L.ConvLSTM2D(2, 2, return_state=True)
    out, h, c = layer(x, mask=mask)
    for i in range(2):
        ref_out, ref_h, ref_c = layer(x[i:i + 1, mask[i]])
        assert_close([out[i:i + 1], h[i:i + 1], c[i:i + 1]], [ref_out, ref_h, ref_c])
    seq = L.ConvLSTM1D(2, 2, return_sequences=True)
    y = rand(1, 3, 4, 1)
    full = np.asarray(seq(y, mask=np.array([[1, 1, 0]])))
    np.testing.assert_allclose(full[0, 2], full[0, 1])  # a masked step repeats the previous output


def test_weights_and_output_shapes():
    layer = L.ConvLSTM2D(4, (3, 2), strides=(2, 1), return_state=True)
    out = layer(rand(2, 3, 7, 5, 3))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("kernel", (3, 2, 3, 16)), ("recurrent_kernel", (3, 2, 4, 16)), ("bias", (16,))]
    np.testing.assert_array_equal(layer.get_weights()[2], np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert [o.shape for o in out] == [(2, 3, 4, 4)] * 3
    assert layer.compute_output_shape((None, None, 7, 5, 3)) == [(None, 3, 4, 4)] * 3
    seq = L.ConvLSTM3D(2, 3, padding="same", return_sequences=True, data_format="channels_first")
    assert seq.compute_output_shape((None, 4, 1, 5, 6, 7)) == (None, 4, 2, 5, 6, 7)


def test_stateful_carries_like_keras():
    x1, x2 = rand(2, 2, 4, 4, 1), rand(2, 2, 4, 4, 1)
    make = lambda lib: lib.layers.ConvLSTM2D(2, 3, padding="same", stateful=True)  # noqa: E731
    k_layer, layer = make(keras), make(jkeras)
    k1 = k_layer(x1)
    layer(x1)
    layer.set_weights(k_layer.get_weights())
    layer.reset_states()
    assert_close(layer(x1), k1)
    assert_close(layer(x2), k_layer(x2))
    assert [s.shape for s in layer.states] == [(2, 4, 4, 2)] * 2


def test_dropout_in_training():
    layer = L.ConvLSTM1D(2, 2, dropout=0.5, recurrent_dropout=0.5)
    x = rand(2, 3, 5, 2)
    layer(x)
    v = layer.get_variables()
    a = np.asarray(layer.apply(v, x, training=True, rng=jax.random.PRNGKey(0))[0])
    b = np.asarray(layer.apply(v, x, training=True, rng=jax.random.PRNGKey(0))[0])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, np.asarray(layer(x)))


def test_program_size_does_not_grow_with_sequence_length():
    def count(time):
        layer = L.ConvLSTM2D(2, 3, padding="same")
        x = jnp.zeros((1, time, 4, 4, 1))
        layer(x)
        return len(jax.make_jaxpr(lambda v, x: layer.apply(v, x))(layer.get_variables(), x).jaxpr.eqns)

    assert count(3) == count(40)


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"ConvLSTM2D 'cl_rank': expected an input of rank 5"):
        L.ConvLSTM2D(2, 3, name="cl_rank")(jkeras.Input((3, 4, 4)))
    with pytest.raises(ValueError, match=r"ConvLSTM2D 'cl_spatial': the spatial dimensions.*must be defined"):
        L.ConvLSTM2D(2, 3, name="cl_spatial")(jkeras.Input((3, None, 4, 1)))
    with pytest.raises(ValueError, match=r"ConvLSTM1D 'cl_args': strides > 1 cannot be combined"):
        L.ConvLSTM1D(2, 3, strides=2, dilation_rate=2, name="cl_args")
    with pytest.raises(ValueError, match=r"ConvLSTM2D '.*': padding must be one of"):
        L.ConvLSTM2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"ConvLSTM3D '.*': filters must be a positive int, got 0"):
        L.ConvLSTM3D(0, 3)
    with pytest.raises(ValueError, match=r"ConvLSTM1D 'cl_fit': kernel_size \(5,\) is larger"):
        L.ConvLSTM1D(2, 5, name="cl_fit")(rand(1, 2, 3, 1))


def test_keras1_spellings():
    with pytest.warns(UserWarning) as record:
        layer = L.ConvLSTM2D(nb_filter=3, nb_row=3, nb_col=2, border_mode="same", dim_ordering="tf",
                             inner_activation="hard_sigmoid", init="he_normal", dropout_W=0.1,
                             return_sequences=True)
    assert any("`nb_filter` is deprecated; use `filters`" in str(w.message) for w in record)
    assert layer.filters == 3 and layer.kernel_size == (3, 2) and layer.padding == "same"
    assert layer.data_format == "channels_last" and layer.dropout == 0.1
    assert layer.get_config()["recurrent_activation"] == "hard_sigmoid"
    assert layer(rand(1, 2, 4, 4, 2)).shape == (1, 2, 4, 4, 3)
    assert L.ConvLSTM2D(4, 3, 2).strides == (2, 2)  # Keras 3's positional order

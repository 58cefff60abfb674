"""Pooling layers against Keras 3 (same inputs), NumPy worked by hand, and their error messages."""
import warnings

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras
from jkeras import layers
from jkeras.utils import legacy

RNG = np.random.default_rng(0)
EMPTY = {"params": {}, "state": {}}


@pytest.fixture(autouse=True)
def _fresh_legacy_warnings(monkeypatch):
    """Each test sees the once-per-spelling deprecation warnings afresh."""
    monkeypatch.setattr(legacy, "_warned", set())


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _shape(rank, data_format, sizes=(7, 6, 5), channels=3, batch=2):
    spatial = sizes[:rank]
    if data_format == "channels_first":
        return (batch, channels) + spatial
    return (batch,) + spatial + (channels,)


# ------------------------------------------------------------------------------------------
# Windowed pooling


# Every padding x data_format in 2D; two of the four in 1D and 3D (one implementation serves all ranks).
_POOLING_CASES = [(2, p, f) for p in ("valid", "same") for f in ("channels_last", "channels_first")] + [
    (rank, p, f) for rank in (1, 3) for p, f in (("valid", "channels_first"), ("same", "channels_last"))
]


@pytest.mark.parametrize("rank, padding, data_format", _POOLING_CASES)
@pytest.mark.parametrize("kind", ["MaxPooling", "AveragePooling"])
def test_pooling_matches_keras(rank, kind, padding, data_format):
    # Window 3 with stride 2 over odd and even sizes: "same" pads unevenly, windows overlap.
    check_layer(
        lambda lib: getattr(lib.layers, f"{kind}{rank}D")(3, strides=2, padding=padding, data_format=data_format),
        input_shape=_shape(rank, data_format),
    )


# Windows that tile the input (default strides) take the reshaped path; against Keras 3 (which
# runs reduce_window) on sizes that crop ("valid" 7 -> 3) and divide ("same" 6 -> 3).
_TILED_CASES = [(1, "valid", "channels_last", (7,)), (2, "valid", "channels_first", (7, 6)),
                (2, "same", "channels_last", (6, 4)), (3, "valid", "channels_last", (5, 4, 6))]


@pytest.mark.parametrize("rank, padding, data_format, sizes", _TILED_CASES)
@pytest.mark.parametrize("kind", ["MaxPooling", "AveragePooling"])
def test_tiling_windows_match_keras(rank, kind, padding, data_format, sizes):
    check_layer(
        lambda lib: getattr(lib.layers, f"{kind}{rank}D")(2, padding=padding, data_format=data_format),
        input_shape=_shape(rank, data_format, sizes=sizes), grads=True,
    )


@pytest.mark.parametrize("pool", [(2, 2), (3, 2)])
def test_tiled_max_pool_gradient_goes_to_the_first_maximum_as_reduce_window(pool):
    """Ties (ReLU zeros, repeated values): the gradient picks the first maximum of each window in
    row-major order, exactly as `lax.reduce_window`'s select-and-scatter does."""
    x = np.round(np.maximum(rand(3, 7, 8, 4), 0) * 2) / 2  # many ties, crop 7 -> 6
    layer = layers.MaxPooling2D(pool)
    assert layer._tiles_input(jnp.asarray(x))  # the tiled path runs

    def reference(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1,) + pool + (1,), (1,) + pool + (1,), "VALID")

    def ours(x):
        return layer.apply(EMPTY, x)[0]

    weights = rand(*np.asarray(reference(x)).shape)
    np.testing.assert_array_equal(np.asarray(ours(x)), np.asarray(reference(x)))
    for fn in (ours, reference):
        fn.grad = np.asarray(jax.grad(lambda x: jnp.sum(fn(x) * weights))(jnp.asarray(x)))
    np.testing.assert_array_equal(ours.grad, reference.grad)
    assert np.count_nonzero(ours.grad) <= weights.size  # one entry per window
    _, tangent = jax.jvp(ours, (jnp.asarray(x),), (jnp.ones_like(x),))
    np.testing.assert_array_equal(np.asarray(tangent), np.ones(weights.shape))


@pytest.mark.parametrize("kind", ["MaxPooling2D", "AveragePooling2D"])
def test_tiled_pooling_infers_with_reduce_window_and_differentiates_reshaped(kind):
    """Inference keeps XLA's `reduce_window` (which XLA's CPU backend fuses with a convolution
    before it); the gradient program reduces reshaped windows: the same values and gradients."""
    x = jnp.asarray(rand(2, 7, 8, 3))
    layer = getattr(layers, kind)((2, 2))
    reducer, init = (jax.lax.max, -jnp.inf) if kind == "MaxPooling2D" else (jax.lax.add, 0.0)

    def reference(x):
        out = jax.lax.reduce_window(x, init, reducer, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        return out if kind == "MaxPooling2D" else out / 4

    def ours(x):
        return layer.apply(EMPTY, x)[0]

    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(reference(x)), rtol=1e-6)
    weights = rand(*reference(x).shape)
    grads = [jax.grad(lambda x: jnp.sum(fn(x) * weights))(x) for fn in (ours, reference)]
    np.testing.assert_allclose(np.asarray(grads[0]), np.asarray(grads[1]), rtol=1e-6)
    inference = jax.jit(ours).lower(x).compile().as_text()
    gradient = jax.jit(jax.grad(lambda x: jnp.sum(ours(x) * weights))).lower(x).compile().as_text()
    assert "reduce-window" in inference
    assert "reduce-window" not in gradient and "select-and-scatter" not in gradient


@pytest.mark.parametrize("kind", ["MaxPooling2D", "AveragePooling2D"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling_2d_rectangular_window_and_strides(kind, padding):
    check_layer(
        lambda lib: getattr(lib.layers, kind)((3, 2), strides=(1, 2), padding=padding),
        input_shape=(2, 5, 7, 2),
    )


@pytest.mark.parametrize("kind", ["MaxPooling", "AveragePooling"])
def test_pooling_default_pool_size(kind):
    for rank, pool in [(1, (2,)), (2, (2, 2)), (3, (2, 2, 2))]:
        layer = getattr(layers, f"{kind}{rank}D")()
        assert layer.pool_size == pool and layer.strides == pool and layer.padding == "valid"


def test_average_same_padding_does_not_count_the_padding():
    # Windows [1, 2], [3, 4], [5]: the last average is 5, not 2.5.
    x = np.arange(1, 6, dtype="float32").reshape(1, 5, 1)
    y = layers.AveragePooling1D(2, padding="same")(x)
    np.testing.assert_allclose(np.asarray(y).ravel(), [1.5, 3.5, 5.0])
    # 3x3 windows, stride 1, "same": the corner averages only the 4 real entries.
    img = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    y = np.asarray(layers.AveragePooling2D(3, strides=1, padding="same")(img))[0, :, :, 0]
    assert y[0, 0] == pytest.approx((0 + 1 + 3 + 4) / 4)
    assert y[1, 1] == pytest.approx(4.0)


def test_max_same_padding_by_hand():
    x = np.array([[-3.0, -1.0, -2.0, -5.0, -4.0]], "float32").reshape(1, 5, 1)
    y = layers.MaxPooling1D(2, padding="same")(x)  # windows [-3, -1], [-2, -5], [-4]
    np.testing.assert_array_equal(np.asarray(y).ravel(), [-1.0, -2.0, -4.0])


def test_aliases_are_the_same_classes():
    for short, long in [("MaxPool", "MaxPooling"), ("AvgPool", "AveragePooling"),
                        ("GlobalMaxPool", "GlobalMaxPooling"), ("GlobalAvgPool", "GlobalAveragePooling")]:
        for rank in (1, 2, 3):
            assert getattr(layers, f"{short}{rank}D") is getattr(layers, f"{long}{rank}D")
            assert getattr(keras.layers, f"{short}{rank}D") is getattr(keras.layers, f"{long}{rank}D")


def test_pooling_config_keys_as_keras():
    ours = layers.MaxPooling2D((3, 2), padding="same", data_format="channels_first").get_config()
    theirs = keras.layers.MaxPooling2D((3, 2), padding="same", data_format="channels_first").get_config()
    assert set(theirs) <= set(ours)
    assert ours["pool_size"] == list(theirs["pool_size"]) and ours["strides"] == list(theirs["strides"])
    assert (ours["padding"], ours["data_format"]) == (theirs["padding"], theirs["data_format"])


def test_pooling_unknown_spatial_sizes_stay_unknown():
    out = layers.MaxPooling2D(3, strides=2)(jkeras.Input((None, 9, 4)))
    assert out.shape == (None, None, 4, 4)
    # A pool larger than the sizes used to trace shapes (7, 11) still infers symbolically.
    out = layers.AveragePooling1D(20)(jkeras.Input((None, 2)))
    assert out.shape == (None, None, 2)
    assert layers.MaxPooling1D(2, padding="same").compute_output_shape((None, None, 3)) == (None, None, 3)


def test_pooling_jits_and_differentiates():
    layer = layers.MaxPooling2D(2)
    x = jnp.asarray(rand(2, 4, 4, 3))
    y = jax.jit(lambda v: layer.apply(EMPTY, v)[0])(x)
    np.testing.assert_array_equal(y, layer(x))
    g = jax.grad(lambda v: layer.apply(EMPTY, v)[0].sum())(x)
    assert float(g.sum()) == 2 * 2 * 2 * 3  # one max per window
    g_avg = jax.grad(lambda v: layers.AveragePooling2D(2).apply(EMPTY, v)[0].sum())(x)
    np.testing.assert_allclose(g_avg, np.full(x.shape, 0.25))


def test_integer_inputs():
    x = np.arange(8, dtype="int32").reshape(1, 8, 1)
    y = layers.MaxPooling1D(2)(x)
    assert y.dtype == jnp.int32 and np.asarray(y).ravel().tolist() == [1, 3, 5, 7]
    y = layers.AveragePooling1D(2)(x)
    assert y.dtype == jnp.float32 and np.asarray(y).ravel().tolist() == [0.5, 2.5, 4.5, 6.5]


def test_pooling_drops_the_mask():
    mask = np.ones((2, 6), bool)
    assert layers.MaxPooling1D(2).compute_mask(rand(2, 6, 3), mask) is None
    assert layers.AveragePooling1D(2).compute_mask(rand(2, 6, 3), mask) is None


# ------------------------------------------------------------------------------------------
# Errors


def test_pool_larger_than_input_names_layer_pool_and_shape():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'mp': pool_size \(3, 3\).*\(1, 2, 2, 1\).*'same'"):
        layers.MaxPooling2D(3, name="mp")(np.zeros((1, 2, 2, 1), "float32"))
    with pytest.raises(ValueError, match=r"AveragePooling1D 'ap': pool_size \(4,\).*\(None, 3, 2\)"):
        layers.AveragePooling1D(4, name="ap")(jkeras.Input((3, 2)))
    with pytest.raises(ValueError, match=r"pool_size \(4,\)"):
        layers.AveragePooling1D(4).apply(EMPTY, np.zeros((1, 3, 2), "float32"))
    # With "same" padding the same input is fine.
    assert layers.MaxPooling2D(3, padding="same")(np.zeros((1, 2, 2, 1), "float32")).shape == (1, 1, 1, 1)


@pytest.mark.parametrize("cls, shape", [
    ("MaxPooling1D", (2, 4)), ("MaxPooling2D", (2, 4, 4)), ("AveragePooling3D", (2, 4, 4, 4)),
    ("GlobalMaxPooling2D", (2, 4, 4, 4, 1)), ("GlobalAveragePooling1D", (2, 4)),
])
def test_wrong_input_rank(cls, shape):
    rank = int(cls[-2])
    with pytest.raises(ValueError, match=rf"{cls} 'bad': expected an input of rank {rank + 2}.*{shape}"):
        getattr(layers, cls)(name="bad")(np.zeros(shape, "float32"))


@pytest.mark.parametrize("kwargs, match", [
    ({"pool_size": 0}, "pool_size"), ({"pool_size": (2, 2, 2)}, "pool_size must be an int or a tuple of 2"),
    ({"pool_size": 2.5}, "pool_size"), ({"strides": (1, 0)}, "strides"), ({"padding": "full"}, "padding"),
    ({"data_format": "channels_middle"}, "data_format"),
])
def test_bad_pooling_arguments(kwargs, match):
    with pytest.raises(ValueError, match=r"MaxPooling2D '.*': " + match):
        layers.MaxPooling2D(**kwargs)


def test_padding_is_case_insensitive():
    assert layers.MaxPooling2D(padding="SAME").padding == "same"


# ------------------------------------------------------------------------------------------
# Global pooling


_GLOBAL_CASES = [(2, f, k) for f in ("channels_last", "channels_first") for k in (False, True)] + [
    (rank, f, k) for rank in (1, 3) for f, k in (("channels_last", True), ("channels_first", False))
]


@pytest.mark.parametrize("rank, data_format, keepdims", _GLOBAL_CASES)
@pytest.mark.parametrize("kind", ["GlobalMaxPooling", "GlobalAveragePooling"])
def test_global_pooling_matches_keras(rank, kind, data_format, keepdims):
    check_layer(
        lambda lib: getattr(lib.layers, f"{kind}{rank}D")(data_format=data_format, keepdims=keepdims),
        input_shape=_shape(rank, data_format, sizes=(4, 3, 2)),
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling_1d_mask_matches_keras(data_format, keepdims):
    x = rand(*_shape(1, data_format, sizes=(5,)))
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
    ours = layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)(x, mask=mask)
    theirs = keras.layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)(x, mask=mask)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    steps = x if data_format == "channels_last" else x.transpose(0, 2, 1)
    expected = np.stack([steps[0, :3].mean(0), steps[1, [0, 2, 3, 4]].mean(0)])
    np.testing.assert_allclose(np.asarray(ours).reshape(2, 3), expected, rtol=1e-6)


def test_global_average_pooling_1d_all_masked_is_nan_as_keras():
    x = rand(1, 4, 2)
    mask = np.zeros((1, 4), bool)
    assert np.isnan(np.asarray(layers.GlobalAveragePooling1D()(x, mask=mask))).all()
    assert np.isnan(np.asarray(keras.layers.GlobalAveragePooling1D()(x, mask=mask))).all()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_max_pooling_1d_leaves_masked_steps_out(data_format):
    x = rand(*_shape(1, data_format, sizes=(5,)))
    steps = x if data_format == "channels_last" else x.transpose(0, 2, 1)
    steps[:, 3:] = 100.0  # padding that would win the max if it were counted
    x = steps if data_format == "channels_last" else steps.transpose(0, 2, 1)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    y = np.asarray(layers.GlobalMaxPooling1D(data_format=data_format)(x, mask=mask))
    np.testing.assert_allclose(y, [steps[0, :3].max(0), steps[1].max(0)])


def test_global_pooling_1d_mask_gradient_ignores_masked_steps():
    x = jnp.asarray(rand(2, 4, 3))
    mask = jnp.asarray([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    for layer in (layers.GlobalAveragePooling1D(), layers.GlobalMaxPooling1D()):
        g = jax.grad(lambda v: layer.apply(EMPTY, v, mask=mask)[0].sum())(x)
        assert float(jnp.abs(g[0, 2:]).sum()) == 0.0 and float(jnp.abs(g[0, :2]).sum()) > 0


def test_global_pooling_masks():
    x, mask = rand(2, 4, 3), np.ones((2, 4), bool)
    for cls in (layers.GlobalAveragePooling1D, layers.GlobalMaxPooling1D):
        assert cls().supports_masking and cls().compute_mask(x, mask) is None
    # The 2D/3D versions ignore a mask, as in Keras.
    img = rand(2, 3, 3, 2)
    np.testing.assert_allclose(
        layers.GlobalAveragePooling2D().apply(EMPTY, img, mask=np.zeros((2, 3), bool))[0], img.mean((1, 2)), rtol=1e-6
    )


def test_global_pooling_symbolic_shapes():
    assert layers.GlobalMaxPooling2D()(jkeras.Input((None, None, 5))).shape == (None, 5)
    assert layers.GlobalAveragePooling3D(keepdims=True, data_format="channels_first")(
        jkeras.Input((5, None, 2, 3))).shape == (None, 5, 1, 1, 1)


def test_global_pooling_config_round_trip():
    layer = layers.GlobalAveragePooling2D(data_format="channels_first", keepdims=True, name="gap")
    config = layer.get_config()
    assert config["data_format"] == "channels_first" and config["keepdims"] is True
    assert type(layer).from_config(config).get_config() == config


# ------------------------------------------------------------------------------------------
# Keras 1 spellings


def test_keras1_pooling_spellings():
    x = rand(2, 9, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = layers.MaxPooling1D(pool_length=3, stride=2, border_mode="same")
    messages = " ".join(str(w.message) for w in caught)
    assert all(f"`{name}`" in messages for name in ("pool_length", "stride", "border_mode"))
    new = layers.MaxPooling1D(3, strides=2, padding="same")
    assert old.get_config()["pool_size"] == [3] and old.strides == (2,) and old.padding == "same"
    np.testing.assert_array_equal(old(x), new(x))
    with pytest.warns(UserWarning, match="pool_length"):
        assert layers.AveragePooling1D(pool_length=2).pool_size == (2,)


@pytest.mark.parametrize("value, expected", [("th", "channels_first"), ("tf", "channels_last"),
                                             ("default", "channels_last")])
def test_keras1_dim_ordering(value, expected):
    for cls in (layers.MaxPooling2D, layers.AveragePooling3D, layers.GlobalMaxPooling2D, layers.GlobalAveragePooling1D):
        with pytest.warns(UserWarning, match="dim_ordering"):
            assert cls(dim_ordering=value).data_format == expected


def test_keras1_positional_pooling():
    layer = layers.MaxPooling2D((2, 2), (1, 1), "same")
    assert layer.strides == (1, 1) and layer.padding == "same"
    with pytest.raises(TypeError, match="both"):
        layers.MaxPooling1D(2, pool_length=3)

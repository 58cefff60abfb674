"""Cropping, UpSampling and ZeroPadding layers against Keras 3, NumPy, and their error messages."""
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
FORMATS = ["channels_last", "channels_first"]


@pytest.fixture(autouse=True)
def _fresh_legacy_warnings(monkeypatch):
    """Each test sees the once-per-spelling deprecation warnings afresh."""
    monkeypatch.setattr(legacy, "_warned", set())


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _shape(rank, data_format, sizes=(6, 5, 4), channels=2, batch=2):
    spatial = sizes[:rank]
    if data_format == "channels_first":
        return (batch, channels) + spatial
    return (batch,) + spatial + (channels,)


# ------------------------------------------------------------------------------------------
# Cropping


@pytest.mark.parametrize("cropping", [1, (2, 0), (1, 3)])
def test_cropping_1d_matches_keras(cropping):
    check_layer(lambda lib: lib.layers.Cropping1D(cropping), input_shape=(2, 7, 3))


@pytest.mark.parametrize("cropping, data_format", [
    (1, "channels_first"), ((1, 2), "channels_last"), (((0, 1), (2, 0)), "channels_first"),
    (((1, 2), (0, 0)), "channels_last"),
])
def test_cropping_2d_matches_keras(cropping, data_format):
    check_layer(lambda lib: lib.layers.Cropping2D(cropping, data_format=data_format),
                input_shape=_shape(2, data_format))


@pytest.mark.parametrize("cropping, data_format", [
    (1, "channels_last"), ((1, 0, 1), "channels_first"), (((0, 1), (2, 0), (1, 1)), "channels_last"),
])
def test_cropping_3d_matches_keras(cropping, data_format):
    check_layer(lambda lib: lib.layers.Cropping3D(cropping, data_format=data_format),
                input_shape=_shape(3, data_format))


def test_cropping_by_hand():
    x = np.arange(2 * 5 * 4 * 1, dtype="float32").reshape(2, 5, 4, 1)
    y = layers.Cropping2D(((1, 2), (0, 1)))(x)
    np.testing.assert_array_equal(y, x[:, 1:3, 0:3])
    assert layers.Cropping1D().cropping == ((1, 1),)
    assert layers.Cropping2D().cropping == ((0, 0), (0, 0))
    assert layers.Cropping3D().cropping == ((1, 1),) * 3


def test_cropping_too_much_names_layer_cropping_and_shape():
    with pytest.raises(ValueError, match=r"Cropping1D 'crop': cropping \(3, 2\) removes 5 .*only 5.*\(2, 5, 3\)"):
        layers.Cropping1D((3, 2), name="crop")(np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"Cropping2D 'crop2'.*axis 3.*\(None, 3, 4, 5\)"):
        layers.Cropping2D(((0, 0), (3, 2)), data_format="channels_first", name="crop2")(jkeras.Input((3, 4, 5)))
    with pytest.raises(ValueError, match=r"Cropping3D '.*': cropping"):
        layers.Cropping3D(2).apply(EMPTY, np.zeros((1, 4, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match="Cropping3D"):
        layers.Cropping3D(2).compute_output_shape((None, 8, 3, 8, 1))


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Cropping1D(-1), "cropping must be an int or a pair"),
    (lambda: layers.Cropping1D((1, 2, 3)), "cropping"),
    (lambda: layers.Cropping2D(((1, 2), (3,))), "cropping must be an int, a tuple of 2"),
    (lambda: layers.Cropping2D((1, 2, 3)), "cropping"),
    (lambda: layers.Cropping3D(((1, -1), 1, 1)), "cropping"),
    (lambda: layers.Cropping2D(1, data_format="nchw"), "data_format"),
])
def test_bad_cropping_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_cropping_1d_has_no_data_format_as_in_keras():
    assert "data_format" not in layers.Cropping1D().get_config()
    with pytest.raises(TypeError, match="data_format"):
        layers.Cropping1D(1, data_format="channels_last")


# ------------------------------------------------------------------------------------------
# Zero padding


@pytest.mark.parametrize("padding, data_format", [(1, "channels_last"), ((0, 2), "channels_first")])
def test_zero_padding_1d_matches_keras(padding, data_format):
    check_layer(lambda lib: lib.layers.ZeroPadding1D(padding, data_format=data_format),
                input_shape=_shape(1, data_format))


@pytest.mark.parametrize("padding, data_format", [
    (2, "channels_first"), ((1, 0), "channels_last"), (((0, 1), (2, 3)), "channels_first"),
])
def test_zero_padding_2d_matches_keras(padding, data_format):
    check_layer(lambda lib: lib.layers.ZeroPadding2D(padding, data_format=data_format),
                input_shape=_shape(2, data_format))


@pytest.mark.parametrize("padding, data_format", [
    (1, "channels_last"), ((1, 0, 2), "channels_first"), (((0, 1), (2, 0), (1, 1)), "channels_last"),
])
def test_zero_padding_3d_matches_keras(padding, data_format):
    check_layer(lambda lib: lib.layers.ZeroPadding3D(padding, data_format=data_format),
                input_shape=_shape(3, data_format, sizes=(3, 2, 2)))


def test_zero_padding_by_hand():
    x = rand(1, 2, 3, 1)
    y = np.asarray(layers.ZeroPadding2D(((1, 0), (0, 2)))(x))
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (1, 0), (0, 2), (0, 0))))


@pytest.mark.parametrize("make", [
    lambda: layers.ZeroPadding1D(-1), lambda: layers.ZeroPadding2D((1, 2, 3)),
    lambda: layers.ZeroPadding3D(((1, 1), (1, 1))), lambda: layers.ZeroPadding2D(1.5),
])
def test_bad_padding(make):
    with pytest.raises(ValueError, match=r"ZeroPadding\dD '.*': padding must be"):
        make()


# ------------------------------------------------------------------------------------------
# Up-sampling


@pytest.mark.parametrize("size", [2, 3])
def test_up_sampling_1d_matches_keras(size):
    check_layer(lambda lib: lib.layers.UpSampling1D(size), input_shape=(2, 4, 3))


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_up_sampling_2d_matches_keras(interpolation, data_format):
    check_layer(lambda lib: lib.layers.UpSampling2D((2, 3), data_format=data_format, interpolation=interpolation),
                input_shape=_shape(2, data_format, sizes=(3, 4)))


@pytest.mark.parametrize("interpolation", ["bicubic", "lanczos3", "lanczos5", "BILINEAR"])
def test_up_sampling_2d_other_interpolations_match_keras(interpolation):
    check_layer(lambda lib: lib.layers.UpSampling2D(2, interpolation=interpolation), input_shape=(1, 3, 4, 2),
                rtol=1e-4, atol=1e-5, grads=interpolation == "bicubic")


def test_up_sampling_2d_area_is_nearest_for_whole_factors():
    check_layer(lambda lib: lib.layers.UpSampling2D((2, 3), interpolation="area"), input_shape=(2, 3, 2, 2),
                keras_make=None, reference=lambda x, w: x.repeat(2, axis=1).repeat(3, axis=2))


def test_up_sampling_2d_bilinear_by_hand():
    # Half-pixel centres (as Keras 3 / jax.image.resize): [0, 4] -> [0, 1, 3, 4] along each axis.
    x = np.array([[0.0, 4.0]], "float32").reshape(1, 1, 2, 1)
    y = np.asarray(layers.UpSampling2D((1, 2), interpolation="bilinear")(x)).ravel()
    np.testing.assert_allclose(y, [0.0, 1.0, 3.0, 4.0], atol=1e-6)


@pytest.mark.parametrize("data_format", FORMATS)
def test_up_sampling_3d_matches_keras(data_format):
    check_layer(lambda lib: lib.layers.UpSampling3D((2, 1, 3), data_format=data_format),
                input_shape=_shape(3, data_format, sizes=(2, 3, 2)))


def test_up_sampling_by_hand_and_defaults():
    x = rand(1, 2, 3, 1)
    np.testing.assert_array_equal(layers.UpSampling2D()(x), x.repeat(2, 1).repeat(2, 2))
    assert layers.UpSampling1D().size == (2,) and layers.UpSampling1D().get_config()["size"] == 2
    assert layers.UpSampling3D().size == (2, 2, 2)


@pytest.mark.parametrize("make, match", [
    (lambda: layers.UpSampling1D(0), "size must be"), (lambda: layers.UpSampling2D((2, -1)), "size must be"),
    (lambda: layers.UpSampling3D((2, 2)), "size must be an int or a tuple of 3"),
    (lambda: layers.UpSampling2D(interpolation="cubic"), r"interpolation must be one of .*'bilinear'.*'cubic'"),
])
def test_bad_up_sampling_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ------------------------------------------------------------------------------------------
# Shared behaviour


@pytest.mark.parametrize("make, shape, rank", [
    (lambda: layers.Cropping1D(name="bad"), (2, 5), 3), (lambda: layers.Cropping2D(name="bad"), (2, 5, 5), 4),
    (lambda: layers.ZeroPadding3D(name="bad"), (2, 5, 5, 5), 5),
    (lambda: layers.UpSampling1D(name="bad"), (2, 5, 5, 5), 3), (lambda: layers.UpSampling2D(name="bad"), (2, 5, 5), 4),
])
def test_wrong_input_rank(make, shape, rank):
    with pytest.raises(ValueError, match=rf"'bad': expected an input of rank {rank} .*{shape}"):
        make()(np.zeros(shape, "float32"))


def test_unknown_spatial_sizes_stay_unknown():
    inp = jkeras.Input((None, None, 3))
    assert layers.Cropping2D(((1, 1), (9, 9)))(inp).shape == (None, None, None, 3)
    assert layers.ZeroPadding2D(1)(inp).shape == (None, None, None, 3)
    assert layers.UpSampling2D(2, interpolation="bilinear")(inp).shape == (None, None, None, 3)
    assert layers.UpSampling1D(3)(jkeras.Input((4, 2))).shape == (None, 12, 2)
    assert layers.ZeroPadding3D(((1, 2), 0, 0), data_format="channels_first")(
        jkeras.Input((2, 3, None, 4))).shape == (None, 2, 6, None, 4)


def test_integer_inputs_keep_their_dtype():
    x = np.arange(12, dtype="int32").reshape(1, 6, 2)
    for layer in (layers.Cropping1D(1), layers.ZeroPadding1D(1), layers.UpSampling1D(2)):
        assert layer(x).dtype == jnp.int32


def test_masks_are_not_propagated_as_in_keras():
    x, mask = rand(2, 5, 3), np.ones((2, 5), bool)
    for layer in (layers.Cropping1D(1), layers.ZeroPadding1D(1), layers.UpSampling1D(2)):
        assert layer.compute_mask(x, mask) is None


def test_jit_and_grad():
    x = jnp.asarray(rand(2, 4, 4, 1))
    for layer in (layers.Cropping2D(1), layers.ZeroPadding2D(1), layers.UpSampling2D(2, interpolation="bilinear")):
        y = jax.jit(lambda v: layer.apply(EMPTY, v)[0])(x)
        np.testing.assert_allclose(y, layer(x), rtol=1e-6)
    g = jax.grad(lambda v: layers.UpSampling2D(2).apply(EMPTY, v)[0].sum())(x)
    np.testing.assert_array_equal(g, np.full(x.shape, 4.0))


def test_config_keys_as_keras():
    for name, kwargs in [("Cropping1D", {}), ("Cropping2D", {"cropping": 1}), ("Cropping3D", {}),
                         ("ZeroPadding1D", {}), ("ZeroPadding2D", {}), ("ZeroPadding3D", {}),
                         ("UpSampling1D", {}), ("UpSampling2D", {}), ("UpSampling3D", {})]:
        ours = getattr(layers, name)(**kwargs).get_config()
        theirs = getattr(keras.layers, name)(**kwargs).get_config()
        assert set(theirs) <= set(ours), name
        for key in set(theirs) - {"name", "dtype", "trainable"}:
            assert np.array_equal(np.asarray(ours[key]), np.asarray(theirs[key])), (name, key)


# ------------------------------------------------------------------------------------------
# Keras 1 spellings


def test_keras1_dim_ordering():
    for cls in (layers.Cropping2D, layers.Cropping3D, layers.ZeroPadding2D, layers.ZeroPadding3D,
                layers.UpSampling2D, layers.UpSampling3D):
        with pytest.warns(UserWarning, match="dim_ordering"):
            assert cls(dim_ordering="th").data_format == "channels_first"
            assert cls(dim_ordering="tf").data_format == "channels_last"


def test_keras1_up_sampling_length():
    with pytest.warns(UserWarning, match="length"):
        layer = layers.UpSampling1D(length=3)
    assert layer.size == (3,)


@pytest.mark.parametrize("old, new", [
    ({"padding": (1, 2, 3, 4)}, ((1, 2), (3, 4))),
    ({"padding": {"top_pad": 1, "bottom_pad": 2, "left_pad": 3, "right_pad": 4}}, ((1, 2), (3, 4))),
    ({"padding": {"left_pad": 2}}, ((0, 0), (2, 0))),
])
def test_keras1_zero_padding_2d_forms(old, new):
    with pytest.warns(UserWarning, match="padding"):
        layer = layers.ZeroPadding2D(**old)
    assert layer.padding == new
    assert layers.ZeroPadding2D(*old.values()).padding == new  # positional too


def test_keras1_zero_padding_1d_dict():
    with pytest.warns(UserWarning, match="left_pad"):
        layer = layers.ZeroPadding1D(padding={"left_pad": 1, "right_pad": 3})
    assert layer.padding == ((1, 3),)
    x = rand(1, 2, 1)
    np.testing.assert_array_equal(layer(x), np.pad(x, ((0, 0), (1, 3), (0, 0))))

"""Image preprocessing layers against Keras 3: deterministic outputs, forced random transformations,
identity at inference, rng-only randomness, configs, and a model that trains, predicts and saves."""
import json

import jax
import keras
import numpy as np
import pytest

import jkeras
from jkeras import layers
from jkeras.core import config as jconfig

RNG = np.random.default_rng(0)
EMPTY = {"params": {}, "state": {}}


def images(*shape, dtype="float32"):
    return (RNG.random(shape) * 255).astype(dtype)


def train(layer, x, key=0):
    y, state = layer.apply(EMPTY, x, training=True, rng=jax.random.PRNGKey(key))
    assert state is EMPTY["state"]
    return np.asarray(y)


def infer(layer, x):
    return np.asarray(layer.apply(EMPTY, x, training=False)[0])


def both(make):
    return make(jkeras), make(keras)


def assert_like_keras(out, ref, atol=1e-4, rtol=1e-5):
    assert out.shape == tuple(ref.shape) and out.dtype == np.asarray(ref).dtype, (out.shape, out.dtype, ref.shape)
    np.testing.assert_allclose(out, np.asarray(ref), rtol=rtol, atol=atol)


# ------------------------------------------------------------------------------------------------
# Deterministic layers


@pytest.mark.parametrize("make, dtype", [
    (lambda lib: lib.layers.Rescaling(1.0 / 255), "uint8"),
    (lambda lib: lib.layers.Rescaling(1.0 / 127.5, offset=-1), "float32"),
    (lambda lib: lib.layers.Rescaling([0.5, 2.0, -1.0], offset=0.25), "int32"),
])
def test_rescaling_matches_keras(make, dtype):
    x = images(2, 4, 5, 3, dtype=dtype)
    mine, ref = both(make)
    assert_like_keras(infer(mine, x), ref(x), atol=1e-6)
    assert_like_keras(train(mine, x), ref(x), atol=1e-6)


def test_rescaling_per_channel_scale_channels_first():
    x = images(2, 3, 4, 5)
    jconfig.set_image_data_format("channels_first")
    keras.config.set_image_data_format("channels_first")
    try:
        mine, ref = both(lambda lib: lib.layers.Rescaling(np.array([1.0, 2.0, 3.0], "float32")))
        assert_like_keras(infer(mine, x), ref(x), atol=1e-6)
        np.testing.assert_allclose(infer(mine, x)[:, 2], 3 * x[:, 2], rtol=1e-6)
    finally:
        jconfig.set_image_data_format("channels_last")
        keras.config.set_image_data_format("channels_last")


RESIZES = [
    ((2, 10, 7, 3), dict(interpolation="bilinear")),
    ((2, 10, 7, 3), dict(interpolation="nearest")),
    ((2, 10, 7, 3), dict(interpolation="bicubic")),
    ((2, 10, 7, 3), dict(interpolation="lanczos5")),
    ((2, 10, 7, 3), dict(interpolation="bicubic", antialias=True)),
    ((2, 10, 7, 3), dict(crop_to_aspect_ratio=True)),
    ((2, 7, 13, 3), dict(crop_to_aspect_ratio=True, interpolation="nearest")),
    ((2, 10, 7, 3), dict(pad_to_aspect_ratio=True, fill_value=7.0)),
    ((2, 7, 13, 3), dict(pad_to_aspect_ratio=True)),
    ((2, 3, 10, 7), dict(data_format="channels_first", crop_to_aspect_ratio=True)),
    ((2, 3, 7, 13), dict(data_format="channels_first", pad_to_aspect_ratio=True, fill_value=-1.0)),
    ((10, 7, 3), dict()),
    ((3, 10, 7), dict(data_format="channels_first", interpolation="nearest")),
]


@pytest.mark.parametrize("shape, kwargs", RESIZES)
def test_resizing_matches_keras(shape, kwargs):
    x = images(*shape)
    mine, ref = both(lambda lib: lib.layers.Resizing(5, 6, **kwargs))
    expected = ref(x)
    assert_like_keras(infer(mine, x), expected)
    assert mine.compute_output_shape(shape) == ref.compute_output_shape(shape) == tuple(expected.shape)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resizing_keeps_integer_dtype_like_keras(interpolation):
    x = images(2, 9, 6, 3, dtype="uint8")
    mine, ref = both(lambda lib: lib.layers.Resizing(4, 8, interpolation=interpolation))
    assert_like_keras(infer(mine, x), ref(x), atol=0)


@pytest.mark.parametrize("shape, size, data_format", [
    ((2, 10, 8, 3), (4, 5), "channels_last"),   # both sides larger: a plain center slice
    ((2, 10, 8, 3), (12, 6), "channels_last"),  # a side smaller: crop to the aspect ratio and resize
    ((2, 5, 4, 3), (8, 9), "channels_last"),
    ((2, 3, 5, 4), (8, 9), "channels_first"),
    ((10, 8, 3), (3, 6), "channels_last"),
    ((10, 8, 3), (16, 6), "channels_last"),
])
def test_center_crop_matches_keras(shape, size, data_format):
    x = images(*shape, dtype="uint8")
    mine, ref = both(lambda lib: lib.layers.CenterCrop(*size, data_format=data_format))
    expected = ref(x)
    assert_like_keras(infer(mine, x), expected)
    assert mine.compute_output_shape(shape) == tuple(expected.shape)


def test_center_crop_is_the_central_slice():
    x = images(2, 10, 8, 3)
    np.testing.assert_array_equal(infer(layers.CenterCrop(4, 5), x), x[:, 3:7, 1:6])


# ------------------------------------------------------------------------------------------------
# RandomCrop


@pytest.mark.parametrize("shape, size, data_format", [
    ((3, 10, 9, 2), (4, 5), "channels_last"),
    ((3, 2, 10, 9), (4, 5), "channels_first"),
    ((10, 9, 2), (12, 4), "channels_last"),
])
def test_random_crop_inference_center_crops_and_resizes(shape, size, data_format):
    x = images(*shape)
    layer = layers.RandomCrop(*size, data_format=data_format)
    ref = keras.layers.Resizing(*size, crop_to_aspect_ratio=True, data_format=data_format)
    assert_like_keras(infer(layer, x), ref(x))
    assert layer.compute_output_shape(shape) == tuple(ref(x).shape)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_random_crop_training_takes_one_window_per_batch(data_format):
    x = images(3, 10, 9, 2)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = layers.RandomCrop(7, 5, data_format=data_format)
    as_last = (lambda a: np.moveaxis(a, 1, -1)) if data_format == "channels_first" else (lambda a: a)
    xl, starts = as_last(x), set()
    for key in range(12):
        out = as_last(train(layer, x, key))
        assert out.shape == (3, 7, 5, 2)
        found = [(i, j) for i in range(4) for j in range(5) if np.array_equal(out, xl[:, i:i + 7, j:j + 5])]
        assert len(found) == 1, "not a window of the input shared by the batch"
        starts.add(found[0])
        if key < 3:  # one image alone: the same window for the same key
            np.testing.assert_array_equal(train(layer, x[0], key), train(layer, x, key)[0])
    assert len(starts) > 3


def test_random_crop_training_on_a_small_side_matches_keras():
    x = images(2, 8, 11, 3)  # height not larger than the target: Keras's centered path
    mine, ref = both(lambda lib: lib.layers.RandomCrop(8, 5, seed=3))
    assert_like_keras(train(mine, x), ref(x, training=True))


# ------------------------------------------------------------------------------------------------
# Random layers: forced transformations against Keras and NumPy


@pytest.mark.parametrize("mode, axes, data_format", [
    ("horizontal", (2,), "channels_last"), ("vertical", (1,), "channels_first"),
    ("horizontal_and_vertical", (1, 2), "channels_last"), ("horizontal_and_vertical", (1, 2), "channels_first"),
])
def test_random_flip_flips_whole_images(mode, axes, data_format):
    x = images(16, 4, 5, 2)
    flipped = np.flip(x, axes)
    if data_format == "channels_first":
        x, flipped = np.moveaxis(x, -1, 1), np.moveaxis(flipped, -1, 1)
    out = train(layers.RandomFlip(mode, data_format=data_format), x)
    same = [np.array_equal(o, a) for o, a in zip(out, x)]
    flip = [np.array_equal(o, f) for o, f in zip(out, flipped)]
    assert all(s or f for s, f in zip(same, flip))
    assert any(same) and any(flip)


def test_random_flip_unbatched():
    x = images(4, 5, 2)
    outs = [train(layers.RandomFlip("horizontal"), x, key) for key in range(8)]
    assert all(np.array_equal(o, x) or np.array_equal(o, x[:, ::-1]) for o in outs)
    assert any(np.array_equal(o, x[:, ::-1]) for o in outs) and any(np.array_equal(o, x) for o in outs)


def test_random_rotation_quarter_turn_is_rot90():
    x = images(2, 6, 6, 3)
    out = train(layers.RandomRotation((0.25, 0.25)), x)
    np.testing.assert_allclose(out, np.rot90(x, 1, axes=(1, 2)), atol=1e-3)
    out = train(layers.RandomRotation((-0.5, -0.5)), x)
    np.testing.assert_allclose(out, np.rot90(x, 2, axes=(1, 2)), atol=1e-3)


@pytest.mark.parametrize("fill_mode, interpolation", [
    ("reflect", "bilinear"), ("wrap", "bilinear"), ("constant", "bilinear"), ("nearest", "bilinear"),
    ("constant", "nearest"), ("reflect", "nearest"),
])
def test_random_rotation_matches_keras(fill_mode, interpolation):
    x = images(2, 8, 9, 3)
    mine, ref = both(lambda lib: lib.layers.RandomRotation(
        (0.1, 0.1), fill_mode=fill_mode, interpolation=interpolation, fill_value=3.0))
    assert_like_keras(train(mine, x), ref(x, training=True))


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.layers.RandomRotation((-0.3, -0.3), data_format="channels_first"), (2, 3, 8, 9)),
    (lambda lib: lib.layers.RandomRotation((0.15, 0.15)), (8, 9, 3)),
    (lambda lib: lib.layers.RandomZoom((0.5, 0.5), (-0.25, -0.25), fill_mode="reflect"), (2, 8, 9, 3)),
    (lambda lib: lib.layers.RandomZoom((0.4, 0.4), fill_mode="wrap", interpolation="nearest"), (2, 8, 9, 3)),
    (lambda lib: lib.layers.RandomZoom((-0.3, -0.3), (0.2, 0.2), fill_mode="constant"), (2, 8, 9, 3)),
    (lambda lib: lib.layers.RandomZoom((0.3, 0.3), fill_mode="nearest", data_format="channels_first"),
     (2, 3, 8, 9)),
    (lambda lib: lib.layers.RandomTranslation((0.3, 0.3), (-0.2, -0.2), fill_mode="reflect"), (2, 8, 9, 3)),
    (lambda lib: lib.layers.RandomTranslation((-0.4, -0.4), (0.1, 0.1), fill_mode="wrap"), (2, 8, 9, 3)),
    (lambda lib: lib.layers.RandomTranslation((0.3, 0.3), (0.3, 0.3), fill_mode="nearest",
                                              interpolation="nearest"), (8, 9, 3)),
    (lambda lib: lib.layers.RandomTranslation((0.1, 0.1), (-0.3, -0.3), fill_mode="constant", fill_value=2.0,
                                              data_format="channels_first"), (2, 3, 8, 9)),
    (lambda lib: lib.layers.RandomContrast((-0.3, 0.3)), (2, 8, 9, 3)),
    (lambda lib: lib.layers.RandomContrast((-0.6, 0.6), value_range=(0, 1), data_format="channels_first"),
     (2, 3, 8, 9)),
    (lambda lib: lib.layers.RandomBrightness((0.2, 0.2)), (2, 8, 9, 3)),
    (lambda lib: lib.layers.RandomBrightness((-0.5, -0.5), value_range=(255, 0)), (8, 9, 3)),
])
def test_forced_transformations_match_keras(make, shape):
    x = images(*shape)
    mine, ref = both(make)
    assert_like_keras(train(mine, x), ref(x, training=True))


def test_random_translation_is_a_shift():
    x = images(2, 8, 8, 3)
    out = train(layers.RandomTranslation((0.25, 0.25), (-0.125, -0.125), fill_mode="constant", fill_value=-1), x)
    expected = np.full_like(x, -1.0)
    expected[:, 2:, :-1] = x[:, :-2, 1:]  # 2 rows down, 1 column left
    np.testing.assert_allclose(out, expected, atol=1e-4)


def test_random_brightness_on_integers_matches_keras():
    x = images(2, 4, 5, 3, dtype="int32")
    mine, ref = both(lambda lib: lib.layers.RandomBrightness((0.1, 0.1)))
    assert_like_keras(train(mine, x), ref(x, training=True), atol=0)


def test_drawn_contrast_and_brightness_stay_in_their_ranges():
    x = images(64, 4, 4, 1) / 255.0 + 1.0
    y = train(layers.RandomContrast(0.5, value_range=(-100, 100)), x)
    mean = x.mean(axis=(1, 2), keepdims=True)
    # each image's factor by least squares (dividing by x - mean blew up where a pixel sat at its mean)
    centred, out = (x - mean).reshape(64, -1), (y - mean).reshape(64, -1)
    contrast = (centred * out).sum(axis=1) / (centred ** 2).sum(axis=1)
    np.testing.assert_allclose(out, contrast[:, None] * centred, atol=1e-4)
    assert contrast.min() >= 1.0 - 1e-4 and contrast.max() <= 1.5 + 1e-4  # Keras 3: 0.5 -> (0, 0.5)
    assert contrast.max() - contrast.min() > 0.3
    delta = (train(layers.RandomBrightness(0.3, value_range=(-1000, 1000)), x) - x).reshape(64, -1)
    np.testing.assert_allclose(delta, delta[:, :1].repeat(16, 1), atol=1e-3)
    assert delta.min() >= -600 - 1e-3 and delta.max() <= 600 + 1e-3 and delta.max() - delta.min() > 400


# ------------------------------------------------------------------------------------------------
# Inference, rng, jit


RANDOM = [
    lambda lib: lib.layers.RandomFlip(),
    lambda lib: lib.layers.RandomRotation(0.2, fill_mode="constant"),
    lambda lib: lib.layers.RandomZoom(0.3, 0.2),
    lambda lib: lib.layers.RandomTranslation(0.2, 0.3, interpolation="nearest"),
    lambda lib: lib.layers.RandomContrast(0.4),
    lambda lib: lib.layers.RandomBrightness(0.2),
    lambda lib: lib.layers.RandomCrop(5, 6),
]


@pytest.mark.parametrize("make", RANDOM[:-1])
def test_random_layers_are_the_identity_at_inference(make):
    x = images(3, 8, 9, 3)
    mine, ref = both(make)
    out = infer(mine, x)
    np.testing.assert_array_equal(out, x)
    assert_like_keras(out, ref(x, training=False), atol=0)
    assert_like_keras(infer(mine, x.astype("uint8")), ref(x.astype("uint8"), training=False), atol=0)


@pytest.mark.parametrize("make", RANDOM)
def test_randomness_comes_from_the_rng_only(make):
    layer = make(jkeras)
    x = images(4, 8, 9, 3)
    a, b, c = train(layer, x, 1), train(layer, x, 1), train(layer, x, 2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    step = jax.jit(lambda v, x, k: layer.apply(v, x, training=True, rng=k)[0])
    np.testing.assert_allclose(np.asarray(step(EMPTY, x, jax.random.PRNGKey(1))), a, atol=1e-3)
    inference = jax.jit(layer.apply, static_argnames="training")
    np.testing.assert_array_equal(np.asarray(inference(EMPTY, x)[0]), infer(layer, x))
    with pytest.raises(ValueError, match=r"training=True needs an `rng`"):
        layer.apply(EMPTY, x, training=True)


def test_seed_is_folded_into_the_rng():
    x = images(8, 6, 6, 3)
    a, b = train(layers.RandomRotation(0.3, seed=1), x), train(layers.RandomRotation(0.3, seed=2), x)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, train(layers.RandomRotation(0.3, seed=1), x))


def test_symbolic_shapes():
    inp = jkeras.Input((None, None, 3))
    assert layers.Resizing(5, 6)(inp).shape == (None, 5, 6, 3)
    assert layers.CenterCrop(4, 2)(inp).shape == (None, 4, 2, 3)
    assert layers.RandomCrop(7, 3)(inp).shape == (None, 7, 3, 3)
    assert layers.RandomRotation(0.1)(inp).shape == (None, None, None, 3)
    assert layers.Resizing(5, 6, data_format="channels_first")(jkeras.Input((3, 8, 8))).shape == (None, 3, 5, 6)
    with pytest.raises(ValueError, match=r"'r': expected an image of rank 3 .* or a batch of images of rank 4"):
        layers.RandomFlip(name="r")(jkeras.Input((8,)))


# ------------------------------------------------------------------------------------------------
# Arguments and configs


@pytest.mark.parametrize("make, error, match", [
    (lambda: layers.Resizing(0, 4, name="r"), ValueError, r"Resizing 'r': height must be a positive int, got 0"),
    (lambda: layers.Resizing(4, 4, interpolation="area"), ValueError, "interpolation must be one of"),
    (lambda: layers.Resizing(4, 4, fill_mode="reflect"), ValueError, "fill_mode must be one of"),
    (lambda: layers.Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), ValueError,
     "only one of crop_to_aspect_ratio and pad_to_aspect_ratio"),
    (lambda: layers.CenterCrop(4, 2.5), ValueError, "width must be a positive int"),
    (lambda: layers.CenterCrop(4, 4, data_format="nhwc"), ValueError, "data_format must be"),
    (lambda: layers.Rescaling("x"), ValueError, "scale must be a number or an array of numbers"),
    (lambda: layers.RandomFlip("diagonal"), ValueError, "mode must be one of"),
    (lambda: layers.RandomFlip(seed=1.5), ValueError, "seed must be an int or None"),
    (lambda: layers.RandomRotation(1.5), ValueError, r"factor must be a number or a pair of numbers in \[-1, 1\]"),
    (lambda: layers.RandomRotation((0.1, 0.2, 0.3)), ValueError, "factor must be"),
    (lambda: layers.RandomRotation("big"), ValueError, "factor must be"),
    (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), NotImplementedError, "fill_mode must be one of"),
    (lambda: layers.RandomRotation(0.1, interpolation="bicubic"), NotImplementedError, "interpolation must be"),
    (lambda: layers.RandomZoom(-1.0), ValueError, r"height_factor must be .* in \(-1, 1\]"),
    (lambda: layers.RandomZoom(0.2, (0.1, 1.5)), ValueError, "width_factor must be"),
    (lambda: layers.RandomZoom(0.2, fill_mode="mirror"), NotImplementedError, "fill_mode"),
    (lambda: layers.RandomTranslation(0.1, -1.5), ValueError, r"width_factor must be .* in \[-1, 1\]"),
    (lambda: layers.RandomContrast(-0.2), ValueError, r"factor must be a number or a pair of numbers in \[0, 1\]"),
    (lambda: layers.RandomContrast(0.2, value_range=255), ValueError, "value_range must be a pair"),
    (lambda: layers.RandomBrightness(0.2, value_range=(0, 1, 2)), ValueError, "value_range must be a pair"),
])
def test_argument_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_factor_parsing_follows_keras():
    for make in [lambda lib: lib.layers.RandomRotation(-0.2), lambda lib: lib.layers.RandomRotation((0.3, -0.1)),
                 lambda lib: lib.layers.RandomContrast(0.4), lambda lib: lib.layers.RandomContrast((-0.2, 0.5)),
                 lambda lib: lib.layers.RandomBrightness(0.4), lambda lib: lib.layers.RandomBrightness([0.5, -0.1])]:
        mine, ref = both(make)
        assert mine.factor == pytest.approx(ref.factor)
    zoom, ref = both(lambda lib: lib.layers.RandomZoom(-0.3, (0.2, -0.1)))
    assert (zoom.height_lower, zoom.height_upper, zoom.width_lower, zoom.width_upper) == pytest.approx(
        (ref.height_lower, ref.height_upper, ref.width_lower, ref.width_upper))


ALL = [
    (lambda lib: lib.layers.Rescaling(1.0 / 255, offset=0.5), (2, 6, 7, 3)),
    (lambda lib: lib.layers.Resizing(4, 5, interpolation="nearest", pad_to_aspect_ratio=True, fill_value=1.0),
     (2, 6, 7, 3)),
    (lambda lib: lib.layers.CenterCrop(4, 5, data_format="channels_first"), (2, 3, 6, 7)),
    (lambda lib: lib.layers.RandomCrop(4, 5, seed=7), (2, 6, 7, 3)),
    (lambda lib: lib.layers.RandomFlip("vertical", seed=3), (2, 6, 7, 3)),
    (lambda lib: lib.layers.RandomRotation((-0.1, 0.2), fill_mode="wrap", fill_value=1.0), (2, 6, 7, 3)),
    (lambda lib: lib.layers.RandomZoom(0.2, (-0.1, 0.3), interpolation="nearest", seed=2), (2, 6, 7, 3)),
    (lambda lib: lib.layers.RandomTranslation((0.1, 0.2), 0.3, fill_mode="constant"), (2, 6, 7, 3)),
    (lambda lib: lib.layers.RandomContrast(0.3, value_range=(0, 1), seed=1), (2, 6, 7, 3)),
    (lambda lib: lib.layers.RandomBrightness((-0.2, 0.1), value_range=(0, 1)), (2, 6, 7, 3)),
]


@pytest.mark.parametrize("make, shape", ALL)
def test_config_round_trip_and_keras_configs(make, shape):
    layer = make(jkeras)
    config = json.loads(json.dumps(layer.get_config()))
    again = type(layer).from_config(config)
    assert json.loads(json.dumps(again.get_config())) == config
    k_layer = make(keras)
    k_config = json.loads(json.dumps(keras.layers.serialize(k_layer)["config"]))
    assert set(config) == set(k_config)
    from_keras = type(layer).from_config(k_config)
    loaded = json.loads(json.dumps(from_keras.get_config()))
    assert {**loaded, "name": None} == {**config, "name": None}
    x = images(*shape)
    np.testing.assert_allclose(infer(from_keras, x), infer(layer, x), rtol=1e-6)


def test_keras_numpy_scale_config_loads():
    k_config = keras.layers.Rescaling(np.array([1.0, 2.0, 3.0], "float32")).get_config()
    layer = layers.Rescaling.from_config(json.loads(json.dumps({**k_config, "dtype": "float32"})))
    assert layer.scale == [1.0, 2.0, 3.0]


# ------------------------------------------------------------------------------------------------
# In a model


def _augmented_model():
    return jkeras.Sequential([
        jkeras.Input((32, 32, 3)),
        layers.Rescaling(1.0 / 255),
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomContrast(0.2, value_range=(0, 1)),
        layers.Conv2D(4, 3, activation="relu", name="conv"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="softmax", name="out"),
    ])


def test_model_trains_predicts_deterministically_and_saves(tmp_path):
    x = images(16, 32, 32, 3, dtype="uint8")
    y = RNG.integers(0, 2, 16)
    model = _augmented_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    before = model.get_weights()
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    pred = model.predict(x, verbose=0)
    np.testing.assert_array_equal(pred, model.predict(x, verbose=0))

    head = jkeras.Sequential([jkeras.Input((32, 32, 3)), layers.Conv2D(4, 3, activation="relu"),
                              layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")])
    head.set_weights(model.get_weights())  # the augmentations are the identity in predict
    np.testing.assert_allclose(pred, head.predict(x / np.float32(255), verbose=0), rtol=1e-5, atol=1e-6)

    model.save(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]
    configs = [json.dumps(l.get_config(), sort_keys=True) for l in model.layers[:4]]
    assert [json.dumps(l.get_config(), sort_keys=True) for l in loaded.layers[:4]] == configs
    np.testing.assert_allclose(loaded.predict(x, verbose=0), pred, rtol=1e-6)


def test_model_with_shape_changing_layers_predicts_like_keras():
    x = images(2, 12, 10, 3)

    def make(lib):
        return lib.Sequential([lib.Input((12, 10, 3)), lib.layers.Resizing(8, 8, crop_to_aspect_ratio=True),
                               lib.layers.CenterCrop(6, 6), lib.layers.Rescaling(2.0, offset=-1.0)])

    assert_like_keras(make(jkeras).predict(x, verbose=0), make(keras).predict(x, verbose=0))

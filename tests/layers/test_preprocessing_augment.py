"""Geometric and mixing augmentations and the image ops under them, against Keras 3: op values,
the same transformation (drawn by Keras 3) replayed by both, seed-independent properties of our
own draws, configs, jit, and a model that trains with them."""
import json

import jax
import keras
import numpy as np
import pytest

import jkeras
from jkeras import layers
from jkeras.ops import image as jimage

RNG = np.random.default_rng(0)
EMPTY = {"params": {}, "state": {}}


def images(*shape, dtype="float32"):
    return (RNG.random(shape) * 255).astype(dtype)


def to_first(x):
    return np.moveaxis(x, -1, 1) if x.ndim == 4 else np.moveaxis(x, -1, 0)


def assert_like_keras(out, ref, atol=1e-4, rtol=1e-5):
    ref = np.asarray(ref)
    out = np.asarray(out)
    assert out.shape == ref.shape and out.dtype == ref.dtype, (out.shape, out.dtype, ref.shape, ref.dtype)
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)


def train(layer, x, key=0):
    """The layer's training call, jitted (one compilation instead of one per eager op)."""
    return jax.jit(lambda x, k: layer.apply(EMPTY, x, training=True, rng=k))(x, jax.random.PRNGKey(key))[0]


# ------------------------------------------------------------------------------------------------
# ops.image


FORMATS = ["channels_last", "channels_first"]


def _formatted(x, data_format):
    return x if data_format == "channels_last" else to_first(x)


@pytest.mark.parametrize("kernel_size, sigma, data_format", [((3, 3), (1.0, 1.0), "channels_last"),
                                                            ((3, 5), (0.5, 2.0), "channels_first"),
                                                            ((5, 1), (1.5, 0.3), "channels_last")])
def test_gaussian_blur_like_keras(data_format, kernel_size, sigma):
    x = _formatted(RNG.random((2, 9, 11, 3)).astype("float32"), data_format)
    ref = keras.ops.image.gaussian_blur(x, kernel_size, sigma, data_format=data_format)
    assert_like_keras(jimage.gaussian_blur(x, kernel_size, sigma, data_format=data_format), ref)
    one = jimage.gaussian_blur(x[0], kernel_size, sigma, data_format=data_format)
    assert_like_keras(one, np.asarray(ref)[0])
    if data_format == "channels_last":  # the default is image_data_format() (Keras 3's JAX backend
        # reads None as "channels_first" here, unlike its other image ops)
        assert_like_keras(jimage.gaussian_blur(x, kernel_size, sigma), ref)


@pytest.mark.parametrize("data_format", FORMATS)
def test_sobel_edges_like_keras(data_format):
    x = _formatted(RNG.random((2, 7, 8, 2)).astype("float32"), data_format)
    assert_like_keras(jimage.sobel_edges(x, data_format=data_format),
                      keras.ops.image.sobel_edges(x, data_format=data_format))
    with pytest.raises(ValueError, match="rank 4"):
        jimage.sobel_edges(x[0], data_format=data_format)


@pytest.mark.parametrize("data_format, interpolation", [("channels_last", "bilinear"), ("channels_first", "nearest")])
def test_perspective_transform_like_keras(data_format, interpolation):
    x = _formatted(RNG.random((2, 9, 11, 3)).astype("float32"), data_format)
    start = np.array([[[0, 0], [0, 9], [11, 0], [11, 9]]] * 2, "float32")
    end = np.array([[[1, 2], [0, 8], [10, -1], [12, 9]], [[2, 1], [1, 9], [9, 0], [11, 7]]], "float32")
    kwargs = dict(interpolation=interpolation, fill_value=0.5, data_format=data_format)
    assert_like_keras(jimage.perspective_transform(x, start, end, **kwargs),
                      keras.ops.image.perspective_transform(x, start, end, **kwargs))
    assert_like_keras(jimage.perspective_transform(x[0], start[1], end[1], **kwargs),
                      keras.ops.image.perspective_transform(x[0], start[1], end[1], **kwargs))
    with pytest.raises(ValueError, match="start_points"):
        jimage.perspective_transform(x, start[:, :3], end, data_format=data_format)
    with pytest.raises(ValueError, match="same shape"):
        jimage.perspective_transform(x, start, end[:1], data_format=data_format)


def test_elastic_transform_with_an_int_seed_like_keras():
    data_format, fill_mode, interpolation = "channels_first", "constant", "nearest"
    x = _formatted(RNG.random((2, 8, 9, 2)).astype("float32"), data_format)
    kwargs = dict(alpha=3.0, sigma=1.2, interpolation=interpolation, fill_mode=fill_mode, fill_value=0.25,
                  seed=5, data_format=data_format)
    assert_like_keras(jimage.elastic_transform(x, **kwargs), keras.ops.image.elastic_transform(x, **kwargs))
    np.testing.assert_allclose(jimage.elastic_transform(x, **{**kwargs, "alpha": 0.0}), x, atol=1e-6)
    with pytest.raises(ValueError, match="fill_mode"):
        jimage.elastic_transform(x, fill_mode="edge", data_format=data_format)


def test_ssim_like_keras():
    a = RNG.random((2, 16, 14, 3)).astype("float32")
    b = np.clip(a + 0.2 * RNG.standard_normal(a.shape).astype("float32"), 0, 1)
    kwargs = dict(filter_size=5, filter_sigma=1.0, k1=0.02, k2=0.05, max_val=2.0)
    assert_like_keras(jimage.ssim(a, b, data_format="channels_last", **kwargs),
                      keras.ops.image.ssim(a, b, data_format="channels_last", **kwargs), atol=1e-5)
    assert_like_keras(jimage.ssim(to_first(a[0]), to_first(b[0]), data_format="channels_first"),
                      keras.ops.image.ssim(to_first(a[0]), to_first(b[0]), data_format="channels_first"), atol=1e-5)
    np.testing.assert_allclose(jimage.ssim(a, a, data_format="channels_last"), [1.0, 1.0], rtol=1e-5)


@pytest.mark.parametrize("size, strides, padding, data_format", [((2, 3, 2), (1, 2, 2), "valid", "channels_last"),
                                                                 (2, None, "valid", "channels_first"),
                                                                 (3, 2, "same", "channels_last")])
def test_extract_patches_3d_like_keras(data_format, size, strides, padding):
    v = RNG.random((2, 6, 7, 6, 2)).astype("float32")
    v = v if data_format == "channels_last" else np.moveaxis(v, -1, 1)
    kwargs = dict(strides=strides, padding=padding, data_format=data_format)
    assert_like_keras(jimage.extract_patches_3d(v, size, **kwargs),
                      keras.ops.image.extract_patches_3d(v, size, **kwargs))
    assert_like_keras(jimage.extract_patches_3d(v[0], size, **kwargs),
                      keras.ops.image.extract_patches_3d(v[0], size, **kwargs))
    with pytest.raises(TypeError, match="size"):
        jimage.extract_patches_3d(v, (2, 2))


def test_ops_reject_bad_ranks():
    for fn in (jimage.gaussian_blur, jimage.elastic_transform):
        with pytest.raises(ValueError, match="rank"):
            fn(np.zeros((4, 4), "float32"))
    with pytest.raises(ValueError, match="rank"):
        jimage.extract_patches_3d(np.zeros((4, 4, 4), "float32"), 2)


def test_ops_record_in_a_functional_model():
    inputs = jkeras.Input((8, 8, 3))
    outputs = jkeras.ops.image.gaussian_blur(inputs, (3, 3), (1.0, 1.0), data_format="channels_last")
    model = jkeras.Model(inputs, outputs)
    x = RNG.random((2, 8, 8, 3)).astype("float32")
    assert_like_keras(model.predict(x, verbose=0),
                      keras.ops.image.gaussian_blur(x, (3, 3), (1.0, 1.0), data_format="channels_last"))


# ------------------------------------------------------------------------------------------------
# Layers: one transformation, drawn by Keras 3, applied by both


def _numpy_tree(t):
    return jax.tree_util.tree_map(lambda v: np.asarray(v) if hasattr(v, "shape") else v, t)


REPLAYED = [
    lambda lib, df: lib.layers.RandomGaussianBlur(factor=0.7, kernel_size=(3, 5), sigma=(0.2, 0.9), data_format=df),
    lambda lib, df: lib.layers.RandomErasing(factor=0.8, value_range=(0, 200), data_format=df),
    lambda lib, df: lib.layers.RandomErasing(scale=(0.1, 0.5), fill_value=40.0, data_format=df),
    lambda lib, df: lib.layers.RandomShear(0.3, (0.1, 0.4), fill_mode="constant", fill_value=5.0, data_format=df),
    lambda lib, df: lib.layers.RandomShear(0.3, 0.2, interpolation="nearest", fill_mode="wrap", data_format=df),
    lambda lib, df: lib.layers.RandomPerspective(factor=0.8, scale=0.6, fill_value=3.0, data_format=df),
    lambda lib, df: lib.layers.MixUp(alpha=0.5, data_format=df),
    lambda lib, df: lib.layers.CutMix(factor=0.7, data_format=df),
]


@pytest.mark.parametrize("make, data_format", [(make, FORMATS[i % 2]) for i, make in enumerate(REPLAYED)])
def test_keras_transformation_replayed_like_keras(make, data_format):
    x = _formatted(images(4, 8, 9, 3), data_format)
    k_layer, layer = make(keras, data_format), make(jkeras, data_format)
    t = _numpy_tree(k_layer.get_random_transformation(x, training=True, seed=keras.random.SeedGenerator(4)))
    assert_like_keras(layer.transform_images(x, t), k_layer.transform_images(x, t))
    assert_like_keras(layer.transform_images(x, t, training=False), k_layer.transform_images(x, t, training=False))
    if hasattr(k_layer, "transform_labels") and isinstance(layer, (layers.MixUp, layers.CutMix)):
        labels = np.eye(4, dtype="float32")
        assert_like_keras(layer.transform_labels(labels, t), k_layer.transform_labels(labels, t))
    # Our own draw: Keras 3's keys and shapes.
    ours = layer.get_random_transformation(x, training=True, seed=3)
    assert set(ours) <= set(t)
    for key, value in ours.items():
        assert np.shape(value) == np.shape(t[key]), key
    assert layer.get_random_transformation(x, training=False) is None


def test_elastic_transform_layer_replays_a_keras_transformation():
    data_format = "channels_first"
    x = _formatted(images(3, 10, 12, 3), data_format)
    t = {"apply_transform": np.array([True, False, True]), "distortion_factor": np.float32(0.6), "seed": 7}
    kwargs = dict(scale=(0.3, 0.8), value_range=(10, 240), data_format=data_format)
    assert_like_keras(layers.RandomElasticTransform(**kwargs).transform_images(x, t),
                      keras.layers.RandomElasticTransform(**kwargs).transform_images(x, t))


# ------------------------------------------------------------------------------------------------
# Layers: our own draws (seed-independent properties)


def test_probability_one_always_applies_and_zero_never():
    x = images(6, 8, 9, 3)
    changed = np.abs(np.asarray(train(layers.RandomPerspective(factor=(1.0, 1.0)), x, key=3)) - x)
    assert (changed.max(axis=(1, 2, 3)) > 0).all()
    np.testing.assert_array_equal(train(layers.RandomGaussianBlur(factor=0.0), x, key=3), x)


def test_erasing_fills_one_rectangle_with_fill_value_within_scale():
    x = images(5, 20, 24, 3) + 1.0
    y = np.asarray(train(layers.RandomErasing(factor=(1.0, 1.0), scale=(0.1, 0.3), fill_value=0.0,
                                              value_range=(0, 300)), x, key=1))
    for image in y:
        rows, cols = np.nonzero((image == 0).all(-1))
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert len(rows) == h * w  # one filled rectangle
        assert np.sqrt(0.1) * 20 - 1 <= h <= np.sqrt(0.3) * 20 + 1
        assert np.sqrt(0.1) * 24 - 1 <= w <= np.sqrt(0.3) * 24 + 1


def test_zero_shear_and_zero_scale_are_the_identity():
    x = images(3, 9, 10, 3)
    np.testing.assert_allclose(train(layers.RandomShear(0.0, 0.0), x), x, atol=1e-4)
    np.testing.assert_array_equal(train(layers.RandomElasticTransform(scale=0.0), x), x)


def test_mixup_keeps_convex_combinations_and_label_sums():
    x = images(8, 6, 6, 3)
    labels = np.eye(8, dtype="float32")
    out = train(layers.MixUp(alpha=0.8), {"images": x, "labels": labels})
    np.testing.assert_allclose(np.asarray(out["labels"]).sum(1), 1.0, rtol=1e-6)
    w = np.asarray(out["labels"])[np.arange(8), np.arange(8)]
    perm = np.argmax(np.asarray(out["labels"]) - np.diag(w) + np.diag(np.where(w == 1, 1, 0)), axis=1)
    expected = w[:, None, None, None] * x + (1 - w[:, None, None, None]) * x[perm]
    np.testing.assert_allclose(out["images"], expected, rtol=1e-4, atol=1e-3)


def test_cutmix_labels_match_the_pasted_area():
    x = np.arange(6, dtype="float32")[:, None, None, None] * np.ones((6, 16, 16, 1), "float32")
    labels = np.eye(6, dtype="float32")
    out = train(layers.CutMix(factor=(1.0, 1.0)), {"images": x, "labels": labels}, key=2)
    own = (np.asarray(out["images"])[..., 0] == np.arange(6)[:, None, None]).mean(axis=(1, 2))
    np.testing.assert_allclose(np.asarray(out["labels"])[np.arange(6), np.arange(6)], own, atol=0.2)
    np.testing.assert_allclose(np.asarray(out["labels"]).sum(1), 1.0, rtol=1e-5)
    single = x[0]
    np.testing.assert_array_equal(train(layers.CutMix(), single), single)


ALL = [
    lambda lib: lib.layers.RandomGaussianBlur(0.5, kernel_size=(3, 5), sigma=(0.1, 0.7), value_range=(0, 1), seed=3),
    lambda lib: lib.layers.RandomErasing(0.4, scale=(0.05, 0.2), fill_value=2.0, data_format="channels_first"),
    lambda lib: lib.layers.RandomShear(0.2, 0.1, fill_mode="constant", interpolation="nearest", seed=1),
    lambda lib: lib.layers.RandomPerspective(0.5, scale=0.3, fill_value=1.0),
    lambda lib: lib.layers.RandomElasticTransform(0.6, (0.2, 0.4), fill_mode="mirror", value_range=(0, 1)),
    lambda lib: lib.layers.MixUp(alpha=0.3, seed=5),
    lambda lib: lib.layers.CutMix(0.4, data_format="channels_first"),
]


@pytest.mark.parametrize("make", ALL)
def test_configs_match_keras_and_round_trip(make):
    layer = make(jkeras)
    config = json.loads(json.dumps(layer.get_config()))
    assert json.loads(json.dumps(type(layer).from_config(config).get_config())) == config
    k_config = json.loads(json.dumps(keras.layers.serialize(make(keras))["config"]))
    assert set(config) == set(k_config)
    loaded = json.loads(json.dumps(type(layer).from_config(k_config).get_config()))
    assert {**loaded, "name": None} == {**config, "name": None, "dtype": loaded["dtype"]}


@pytest.mark.parametrize("make", ALL)
def test_inference_is_keras_identity_and_training_jits(make):
    layer, k_layer = make(jkeras), make(keras)
    x = images(2, 3, 8, 8) if layer.data_format == "channels_first" else images(2, 8, 8, 3)
    assert_like_keras(layer(x, training=False), k_layer(x, training=False))
    if not isinstance(layer, (layers.MixUp, layers.CutMix)):  # jitted in their own tests
        step = jax.jit(lambda x, key: layer.apply(EMPTY, x, training=True, rng=key)[0])
        y = step(x, jax.random.PRNGKey(0))
        assert y.shape == x.shape and y.dtype == np.float32
        np.testing.assert_array_equal(y, step(x, jax.random.PRNGKey(0)))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + x.shape[1:]


def test_bad_arguments_raise_like_keras():
    for make, error in [(lambda lib: lib.layers.RandomGaussianBlur(kernel_size=4), ValueError),
                        (lambda lib: lib.layers.RandomGaussianBlur(sigma=2.0), ValueError),
                        (lambda lib: lib.layers.RandomErasing(factor=1.5), ValueError),
                        (lambda lib: lib.layers.RandomShear(x_factor=1.5), ValueError),
                        (lambda lib: lib.layers.RandomShear(fill_mode="edge"), NotImplementedError),
                        (lambda lib: lib.layers.RandomPerspective(scale=2.0), ValueError),
                        (lambda lib: lib.layers.RandomPerspective(interpolation="bicubic"), NotImplementedError),
                        (lambda lib: lib.layers.RandomElasticTransform(fill_mode="edge"), NotImplementedError)]:
        with pytest.raises(error):
            make(keras)
        with pytest.raises(error):
            make(jkeras)


def test_model_with_augmentations_trains_and_predicts_without_them():
    x = images(16, 12, 12, 3)
    y = RNG.integers(0, 2, 16)
    model = jkeras.Sequential([
        jkeras.Input((12, 12, 3)),
        layers.RandomShear(0.1, 0.1),
        layers.CutMix(),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(4, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    before = model.get_weights()
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    head = jkeras.Sequential([jkeras.Input((12, 12, 3)), layers.Conv2D(4, 3, activation="relu"),
                              layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")])
    head.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), head.predict(x / np.float32(255), verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("count", [2, 5])
def test_max_num_bounding_boxes_like_keras(count):
    data = {"images": images(2, 4, 4, 3),
            "bounding_boxes": {"boxes": RNG.random((2, count, 4)).astype("float32"),
                               "labels": RNG.integers(0, 9, (2, count)).astype("int32")}}
    for kwargs in (dict(max_number=3, bounding_box_format="xyxy"), dict(max_number=4, fill_value=-2,
                                                                          bounding_box_format="rel_xyxy")):
        layer, k_layer = layers.MaxNumBoundingBoxes(**kwargs), keras.layers.MaxNumBoundingBoxes(**kwargs)
        for training in (True, False):
            out, ref = layer(data, training=training), k_layer(data, training=training)
            for key in ("boxes", "labels"):
                assert_like_keras(out["bounding_boxes"][key], ref["bounding_boxes"][key])
            np.testing.assert_array_equal(out["images"], data["images"])
    config = json.loads(json.dumps(layers.MaxNumBoundingBoxes(3).get_config()))
    k_config = json.loads(json.dumps(keras.layers.serialize(keras.layers.MaxNumBoundingBoxes(3))["config"]))
    assert set(config) == set(k_config)
    assert layers.MaxNumBoundingBoxes.from_config(k_config).max_number == 3
    assert layers.MaxNumBoundingBoxes.from_config(layer.get_config()).get_config() == layer.get_config()
    for lib in (jkeras, keras):
        with pytest.raises(ValueError, match="bounding_box_format"):
            lib.layers.MaxNumBoundingBoxes(3)(data)
    with pytest.raises(KeyError, match="unsupported"):
        extra = {**data["bounding_boxes"], "scores": data["images"]}
        layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")({"images": data["images"], "bounding_boxes": extra})

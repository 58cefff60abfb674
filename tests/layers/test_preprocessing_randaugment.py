"""RandAugment and AugMix against Keras 3: Keras-drawn transformations replayed, the deterministic
settings (no operation, empty chains), inference, rng-only randomness, configs, jit and a model."""
import json

import jax
import keras
import numpy as np
import pytest

import jkeras
from jkeras import layers

RNG = np.random.default_rng(0)
EMPTY = {"params": {}, "state": {}}
OPS = ["random_shear", "random_translation", "random_rotation", "random_brightness", "random_color_degeneration",
       "random_contrast", "random_sharpness", "random_posterization", "solarization", "auto_contrast",
       "equalization"]


def images(*shape, dtype="float32", scale=255.0):
    return (RNG.random(shape) * scale).astype(dtype)


def train(layer, x, key=0):
    y, state = layer.apply(EMPTY, x, training=True, rng=jax.random.PRNGKey(key))
    assert state == {}
    return np.asarray(y)


def assert_like_keras(out, ref, atol=1e-3, rtol=1e-5):
    out, ref = np.asarray(out), np.asarray(ref)
    assert out.shape == ref.shape and out.dtype == ref.dtype, (out.shape, out.dtype, ref.shape, ref.dtype)
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)


def assert_mostly_like_keras(out, ref, atol=1e-3):
    """For chains of operations: a float rounding difference before RandomPosterization's uint8
    truncation (or Solarization's threshold) can move a value by a whole step; allow it for 1% of them."""
    out, ref = np.asarray(out), np.asarray(ref)
    assert out.shape == ref.shape and out.dtype == ref.dtype, (out.shape, out.dtype, ref.shape, ref.dtype)
    assert np.mean(np.abs(out - ref) > atol + 1e-5 * np.abs(ref)) <= 0.01, np.abs(out - ref).max()


def with_idxes(transformation, idxes):
    return {**transformation, "layer_idxes": np.asarray(idxes, "int32")}


# ------------------------------------------------------------------------------------------------
# Keras-drawn transformations replayed


def test_rand_augment_replays_each_keras_operation():
    kwargs = dict(num_ops=2, factor=0.8, seed=3)
    mine, ref = layers.RandAugment(**kwargs), keras.layers.RandAugment(**kwargs)
    x = images(2, 8, 9, 3)
    drawn = ref.get_random_transformation(x, training=True)
    assert list(drawn["transforms"]) == OPS
    assert [type(getattr(mine, name)).__name__ for name in OPS] == [type(getattr(ref, name)).__name__ for name in OPS]
    for i, name in enumerate(OPS[:-1]):  # Equalization alone below: Keras 3 pools its histogram over the batch
        t = with_idxes(drawn, [i, i])  # an operation chosen twice is applied twice, with the same parameters
        k_op = getattr(ref, name)
        expected = k_op.transform_images(k_op.transform_images(x, drawn["transforms"][name]),
                                         drawn["transforms"][name])
        assert_like_keras(mine.transform_images(x, t), expected)
    t = with_idxes(drawn, [3, 1])
    assert_like_keras(mine.transform_images(x, t), ref.transform_images(x, t))
    one = x[:1]
    t = with_idxes(ref.get_random_transformation(one, training=True), [10, 2])
    assert_like_keras(mine.transform_images(one, t), ref.transform_images(one, t))


def test_rand_augment_replays_unbatched_channels_first_and_value_range():
    x = images(7, 8, 3, scale=1.0)
    mine = layers.RandAugment(value_range=(0, 1), num_ops=3, factor=(0.2, 0.6), interpolation="nearest")
    ref = keras.layers.RandAugment(value_range=(0, 1), num_ops=3, factor=(0.2, 0.6), interpolation="nearest")
    t = with_idxes(ref.get_random_transformation(x, training=True), [2, 8, 1])  # rotation: an (8,) matrix
    assert_like_keras(mine.transform_images(x, t), ref.transform_single_image(x, t))
    # Keras 3's AutoContrast reduces axes (1, 2) whatever the format: left out for channels_first
    first = np.moveaxis(images(2, 6, 7, 3), -1, 1)
    mine = layers.RandAugment(num_ops=3, data_format="channels_first")
    ref = keras.layers.RandAugment(num_ops=3, data_format="channels_first")
    t = with_idxes(ref.get_random_transformation(first, training=True), [1, 6, 0])
    assert_like_keras(mine.transform_images(first, t), ref.transform_images(first, t))


def without(transformation, name):
    chains = [[step for step in chain if step["layer_name"] != name] for chain in transformation["chain_transforms"]]
    return {**transformation, "chain_transforms": chains}


@pytest.mark.parametrize("kwargs", [dict(seed=1), dict(all_ops=False, chain_depth=2, alpha=0.5, seed=2),
                                    dict(num_chains=2, factor=(0.1, 0.9), interpolation="nearest", seed=5)])
def test_aug_mix_replays_keras_transformations(kwargs):
    mine, ref = layers.AugMix(**kwargs), keras.layers.AugMix(**kwargs)
    x = images(2, 8, 9, 3)
    for _ in range(2):
        t = without(ref.get_random_transformation(x, training=True), "equalization")  # pooled over the batch
        assert_mostly_like_keras(mine.transform_images(x, t), ref.transform_images(x, t))
    one = x[0]
    t = ref.get_random_transformation(one, training=True)
    t["chain_transforms"][0].append({"layer_name": "equalization", "transformation": None})
    assert_mostly_like_keras(mine.transform_images(one, t), ref.transform_single_image(one, t))


def test_own_transformations_have_keras_structure_and_replay_in_keras():
    x = images(2, 8, 9, 3)
    mine, ref = layers.RandAugment(seed=4), keras.layers.RandAugment(seed=4)
    t = mine.get_random_transformation(x, seed=jax.random.PRNGKey(0))
    k_t = ref.get_random_transformation(x, training=True)
    assert set(t) == set(k_t) and list(t["transforms"]) == list(k_t["transforms"])
    for name, value in t["transforms"].items():
        k_value = k_t["transforms"][name]
        assert (value is None) == (k_value is None)
        if value is not None:
            assert set(value) <= set(k_value)
            assert all(np.shape(value[k]) == np.shape(k_value[k]) for k in value)
    t = with_idxes(t, [0, 5])
    assert_like_keras(mine.transform_images(x, t), ref.transform_images(x, t))
    aug, k_aug = layers.AugMix(chain_depth=2), keras.layers.AugMix(chain_depth=2)
    t = aug.get_random_transformation(x, seed=7)
    assert set(t) == {"chain_mixing_weights", "weight_sample", "chain_transforms"}
    assert len(t["chain_transforms"]) == 3 and all(len(c) <= 2 for c in t["chain_transforms"])
    np.testing.assert_allclose(np.sum(t["chain_mixing_weights"]), 1.0, rtol=1e-6)
    t = without(t, "equalization")
    assert_mostly_like_keras(aug.transform_images(x, t), k_aug.transform_images(x, t))
    assert mine.get_random_transformation(x, training=False) is None


# ------------------------------------------------------------------------------------------------
# Deterministic settings, inference, randomness


@pytest.mark.parametrize("make", [lambda lib: lib.layers.RandAugment(num_ops=0),
                                  lambda lib: lib.layers.AugMix(chain_depth=0, value_range=(0, 255))])
def test_no_operation_is_keras_identity_in_training(make):
    x = images(3, 6, 7, 3)
    assert_like_keras(train(make(jkeras), x), make(keras)(x, training=True), atol=1e-3)
    np.testing.assert_allclose(train(make(jkeras), x), x, atol=1e-3)


@pytest.mark.parametrize("make", [lambda lib: lib.layers.RandAugment(),
                                  lambda lib: lib.layers.AugMix(num_chains=2, chain_depth=1)])
def test_inference_is_keras_cast_and_training_is_rng_only(make):
    layer, ref = make(jkeras), make(keras)
    x = images(2, 6, 7, 3, dtype="uint8")
    assert_like_keras(layer(x, training=False), ref(x, training=False), atol=0)
    assert_like_keras(layer(x[0], training=False), ref(x[0], training=False), atol=0)
    y = train(layer, x, 1)
    assert y.shape == x.shape and y.dtype == np.float32 and y.min() >= 0 and y.max() <= 255
    np.testing.assert_array_equal(y, train(layer, x, 1))
    assert any(not np.array_equal(train(layer, x, k), y) for k in (2, 3, 4))
    assert train(layer, x[0], 1).shape == x.shape[1:]
    assert layer.compute_output_shape((None, 6, 7, 3)) == ref.compute_output_shape((None, 6, 7, 3))
    out, _ = layer.apply(EMPTY, {"images": x, "labels": np.eye(2)}, training=True, rng=jax.random.PRNGKey(1))
    np.testing.assert_array_equal(out["labels"], np.eye(2))
    np.testing.assert_array_equal(out["images"], y)


def test_jitted_training_equals_the_eager_transformation():
    x = images(2, 6, 7, 3)
    for layer in (layers.RandAugment(num_ops=3), layers.AugMix(num_chains=2, chain_depth=2)):
        step = jax.jit(lambda x, key, layer=layer: layer.apply(EMPTY, x, training=True, rng=key)[0])
        key = jax.random.PRNGKey(3)
        y = step(x, key)
        assert y.shape == x.shape and y.dtype == np.float32
        np.testing.assert_array_equal(y, step(x, key))
        t = layer.get_random_transformation(x, seed=key)  # Keras 3's structure, applied op by op
        assert_mostly_like_keras(y, layer.transform_images(x, t), atol=1e-2)


def test_bad_arguments_raise_like_keras():
    for make, error in [(lambda lib: lib.layers.RandAugment(factor=1.5), ValueError),
                        (lambda lib: lib.layers.AugMix(factor=-0.5), ValueError),
                        (lambda lib: lib.layers.RandAugment(factor=(0.1, 0.2, 0.3)), ValueError)]:
        with pytest.raises(error):
            make(keras)
        with pytest.raises(error):
            make(jkeras)
    with pytest.raises(NotImplementedError, match="interpolation"):
        layers.RandAugment(interpolation="bicubic")
    with pytest.raises(ValueError, match="num_ops"):
        layers.RandAugment(num_ops=-1)
    with pytest.raises(ValueError, match="alpha"):
        layers.AugMix(alpha=0)
    with pytest.raises(ValueError, match="value_range"):
        layers.AugMix(value_range=(0,))


# ------------------------------------------------------------------------------------------------
# Configs and a model


@pytest.mark.parametrize("make", [
    lambda lib: lib.layers.RandAugment(value_range=(0, 1), num_ops=3, factor=0.2, seed=3),
    lambda lib: lib.layers.AugMix(num_chains=2, chain_depth=1, factor=(0.1, 0.4), alpha=0.5, all_ops=False,
                                  interpolation="nearest", seed=1),
])
def test_config_round_trip_and_keras_configs(make):
    layer = make(jkeras)
    config = json.loads(json.dumps(layer.get_config()))
    again = type(layer).from_config(config)
    assert json.loads(json.dumps(again.get_config())) == config
    k_config = json.loads(json.dumps(keras.layers.serialize(make(keras))["config"]))
    assert set(config) == set(k_config)
    assert {k: v for k, v in config.items() if k not in ("dtype", "name")} == \
        {k: v for k, v in k_config.items() if k not in ("dtype", "name")}
    from_keras = type(layer).from_config(k_config)
    assert {**json.loads(json.dumps(from_keras.get_config())), "name": None} == {**config, "name": None}
    x = images(2, 6, 7, 3, scale=1.0)
    np.testing.assert_allclose(train(from_keras, x, 3), train(again, x, 3), rtol=1e-6)


def test_model_trains_and_predicts_without_augmentation():
    x = images(16, 12, 12, 3)
    y = RNG.integers(0, 2, 16)
    model = jkeras.Sequential([jkeras.Input((12, 12, 3)), layers.RandAugment(num_ops=2),
                               layers.AugMix(num_chains=2, chain_depth=1), layers.Rescaling(1 / 255.0),
                               layers.Conv2D(4, 3, activation="relu"), layers.GlobalAveragePooling2D(),
                               layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    pred = model.predict(x, verbose=0)
    head = jkeras.Sequential([jkeras.Input((12, 12, 3)), layers.Conv2D(4, 3, activation="relu"),
                              layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")])
    head.set_weights(model.get_weights())
    np.testing.assert_allclose(pred, head.predict(x / np.float32(255), verbose=0), rtol=1e-5, atol=1e-6)

"""Noise layers: identity at inference (against Keras 3), training-mode statistics against the formulas."""
import json

import jax
import keras
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras
from jkeras import layers

RNG = np.random.default_rng(0)
EMPTY = {"params": {}, "state": {}}
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def train(layer, x, key=0):
    y, state = layer.apply(EMPTY, x, training=True, rng=jax.random.PRNGKey(key))
    assert state is EMPTY["state"]
    return np.asarray(y)


ALL = [
    (lambda lib: lib.layers.GaussianNoise(0.3), (2, 3, 4)),
    (lambda lib: lib.layers.GaussianDropout(0.3, seed=1), (2, 3, 4)),
    (lambda lib: lib.layers.AlphaDropout(0.2, noise_shape=(None, 1, 4)), (2, 3, 4)),
    (lambda lib: lib.layers.SpatialDropout1D(0.3), (2, 3, 4)),
    (lambda lib: lib.layers.SpatialDropout2D(0.3, data_format="channels_first"), (2, 3, 2, 4)),
    (lambda lib: lib.layers.SpatialDropout3D(0.3), (2, 3, 2, 2, 4)),
]


@pytest.mark.parametrize("make, shape", ALL)
def test_inference_is_identity_and_matches_keras(make, shape):
    layer, out = check_layer(make, input_shape=shape, grads=False)
    x = rand(*shape)
    y, state = layer.apply(EMPTY, x, training=False)
    np.testing.assert_array_equal(np.asarray(y), x)


@pytest.mark.parametrize("make, shape", ALL)
def test_same_rng_same_output_and_rng_only(make, shape):
    layer = make(jkeras)
    x = rand(*shape)
    a, b, c = train(layer, x, 3), train(layer, x, 3), train(layer, x, 4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, x)
    with pytest.raises(ValueError, match=r"training=True needs an `rng`"):
        layer.apply(EMPTY, x, training=True)


def test_seed_is_folded_into_the_rng():
    x = np.ones((8, 8), "float32")
    a = train(layers.GaussianNoise(0.5, seed=1), x)
    b = train(layers.GaussianNoise(0.5, seed=2), x)
    c = train(layers.GaussianNoise(0.5, seed=1), x)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_gaussian_noise_statistics():
    x = np.full((400, 500), 2.0, "float32")
    noise = train(layers.GaussianNoise(0.7), x) - x
    assert abs(noise.mean()) < 0.01
    assert abs(noise.std() - 0.7) < 0.01


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_gaussian_dropout_statistics(rate):
    x = np.full((400, 500), 3.0, "float32")
    factor = train(layers.GaussianDropout(rate), x) / 3.0
    assert abs(factor.mean() - 1.0) < 0.01
    np.testing.assert_allclose(factor.var(), rate / (1 - rate), rtol=0.03)


@pytest.mark.parametrize("rate", [0.1, 0.4])
def test_alpha_dropout_keeps_selu_mean_and_variance(rate):
    x = RNG.standard_normal((400, 500)).astype("float32")
    y = train(layers.AlphaDropout(rate), x)
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-6)
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1.0) < 0.02


def test_alpha_dropout_noise_shape_shares_the_mask():
    y = train(layers.AlphaDropout(0.5, noise_shape=(None, 1, 6)), np.ones((4, 5, 6), "float32"))
    assert (y == y[:, :1, :]).all()


@pytest.mark.parametrize("make, shape, channel_axis", [
    (lambda: layers.SpatialDropout1D(0.3), (100, 6, 20), 2),
    (lambda: layers.SpatialDropout2D(0.3), (100, 3, 4, 20), 3),
    (lambda: layers.SpatialDropout2D(0.3, data_format="channels_first"), (100, 20, 3, 4), 1),
    (lambda: layers.SpatialDropout3D(0.3), (100, 2, 3, 2, 20), 4),
    (lambda: layers.SpatialDropout3D(0.3, data_format="channels_first"), (100, 20, 2, 3, 2), 1),
])
def test_spatial_dropout_drops_whole_feature_maps(make, shape, channel_axis):
    x = 1.0 + RNG.random(shape).astype("float32")  # no zeros of its own
    y = train(make(), x)
    maps = np.moveaxis(y, channel_axis, 1).reshape(shape[0], shape[channel_axis], -1)
    dropped = (maps == 0).all(-1)
    kept = (maps != 0).all(-1)
    assert (dropped | kept).all(), "a feature map was partly dropped"
    assert abs(dropped.mean() - 0.3) < 0.04
    xs = np.moveaxis(x, channel_axis, 1).reshape(maps.shape)
    np.testing.assert_allclose(maps[kept], xs[kept] / 0.7, rtol=1e-6)


@pytest.mark.parametrize("make, match", [
    (lambda: layers.GaussianNoise(-0.1, name="n"), r"GaussianNoise 'n': stddev must be a float >= 0, got -0.1"),
    (lambda: layers.GaussianDropout(1.0, name="n"), r"GaussianDropout 'n': rate must be a float in \[0, 1\), got 1.0"),
    (lambda: layers.AlphaDropout(-0.2), r"rate must be a float in \[0, 1\)"),
    (lambda: layers.SpatialDropout2D(1.5), r"rate must be a float in \[0, 1\)"),
    (lambda: layers.SpatialDropout2D(0.5, data_format="nchw"), "data_format must be"),
    (lambda: layers.GaussianNoise(0.1, seed="x"), "seed must be an int"),
])
def test_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("cls, shape", [
    (layers.SpatialDropout1D, (4,)), (layers.SpatialDropout2D, (4, 3)), (layers.SpatialDropout3D, (4, 4, 3, 2, 1)),
])
def test_spatial_dropout_rejects_wrong_rank(cls, shape):
    with pytest.raises(ValueError, match=rf"'sd': expected an input of rank {int(cls.__name__[-2]) + 2}"):
        cls(0.5, name="sd")(jkeras.Input(shape))


def test_keras1_spellings():
    with pytest.warns(UserWarning, match="`sigma` is deprecated; use `stddev`"):
        assert layers.GaussianNoise(sigma=0.2).stddev == 0.2
    with pytest.warns(UserWarning, match="`p` is deprecated; use `rate`"):
        assert layers.GaussianDropout(p=0.3).rate == 0.3
    with pytest.warns(UserWarning, match="`dim_ordering` is deprecated"):
        layer = layers.SpatialDropout2D(p=0.25, dim_ordering="th")
    assert layer.rate == 0.25 and layer.data_format == "channels_first"
    with pytest.warns(UserWarning):
        assert layers.SpatialDropout1D(p=0.1).rate == 0.1


@pytest.mark.parametrize("make, shape", ALL)
def test_keras3_configs_load(make, shape):
    k_layer = make(keras)
    config = json.loads(json.dumps(keras.layers.serialize(k_layer)["config"]))
    layer = getattr(layers, type(k_layer).__name__).from_config(config)
    mine = make(jkeras).get_config()
    for key in ("rate", "stddev", "seed", "noise_shape", "data_format"):
        assert layer.get_config().get(key) == mine.get(key)


@pytest.mark.parametrize("noisy", [True, False])
def test_noise_is_active_in_fit_and_off_in_evaluate_and_predict(noisy):
    stddev = 0.5 if noisy else 0.0
    model = jkeras.Sequential([jkeras.Input((3,)), layers.GaussianNoise(stddev), layers.Dense(1)])
    model.compile(jkeras.optimizers.SGD(learning_rate=0.0), "mse")  # weights stay put
    x, y = rand(16, 3), rand(16, 1)
    fit_loss = model.fit(x, y, batch_size=16, epochs=1, verbose=0).history["loss"][0]
    kernel, bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel + bias, rtol=1e-5, atol=1e-6)
    clean_loss = float(((x @ kernel + bias - y) ** 2).mean())
    assert model.evaluate(x, y, verbose=0) == pytest.approx(clean_loss, rel=1e-5)
    assert (fit_loss == pytest.approx(clean_loss, rel=1e-5)) is not noisy


def test_keras2_spatial_dropout_config_with_null_noise_shape_loads():
    config = {"name": "sd", "trainable": True, "rate": 0.2, "noise_shape": None, "seed": None,
              "data_format": "channels_first"}
    layer = layers.SpatialDropout2D.from_config(config)
    assert layer.rate == 0.2 and layer.data_format == "channels_first"
    with pytest.raises(ValueError, match="noise_shape is fixed"):
        layers.SpatialDropout1D(0.2, noise_shape=(None, 1, 3))

"""Core layers against NumPy formulas and Keras 3 (same weights, same inputs)."""
import json

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

import jkeras
from jkeras import layers
from jkeras.core.scope import collect_losses

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def run_both(jk_layer, k_layer, x, **call_kwargs):
    """Builds both layers on `x`, copies Keras's weights into jkeras, returns both outputs."""
    k_out = np.asarray(k_layer(x, **call_kwargs))
    jk_layer(x)
    jk_layer.set_weights(k_layer.get_weights())
    return np.asarray(jk_layer(x, **call_kwargs)), k_out


def config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    config.pop("name")
    return type(layer).from_config(config)


# ------------------------------------------------------------------------------------------
# Dense


def test_dense_matches_numpy_formula():
    layer = layers.Dense(4, activation="relu")
    x = rand(3, 5)
    y = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5), (2, 3, 4, 5)])
def test_dense_matches_keras_any_rank(shape):
    x = rand(*shape)
    ours, ref = run_both(layers.Dense(7, activation="tanh"), keras.layers.Dense(7, activation="tanh"), x)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5)


def test_dense_weights_names_shapes_order_as_keras():
    layer = layers.Dense(3)
    layer(rand(2, 4))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]
    no_bias = layers.Dense(3, use_bias=False)
    no_bias(rand(2, 4))
    assert [w.name for w in no_bias.weights] == ["kernel"]


def test_dense_compute_output_shape_matches_apply():
    layer = layers.Dense(7)
    for shape in [(2, 5), (2, 3, 5)]:
        assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:-1] + (7,)
        assert layer(rand(*shape)).shape == shape[:-1] + (7,)


def test_dense_gradients():
    layer = layers.Dense(3, activation="tanh")
    x = rand(2, 4)
    variables = layer.init(jax.random.PRNGKey(0), (None, 4))

    def f(kernel, bias, x):
        v = {"params": {"kernel": kernel, "bias": bias}, "state": {}}
        return layer.apply(v, x)[0]

    check_grads(f, (variables["params"]["kernel"], variables["params"]["bias"], x), order=2,
                modes=["rev"], atol=1e-2, rtol=1e-2)


def test_dense_config_round_trip_and_initializers_by_name_and_object():
    layer = layers.Dense(
        5, activation="softmax", kernel_initializer=jkeras.initializers.RandomNormal(stddev=0.1),
        bias_initializer="ones", kernel_regularizer=jkeras.regularizers.l2(0.01),
        kernel_constraint=jkeras.constraints.MaxNorm(2.0), name="d",
    )
    clone = config_round_trip(layer)
    assert clone.units == 5 and clone.use_bias
    clone(rand(2, 3))
    np.testing.assert_allclose(clone.get_weights()[1], np.ones(5))
    assert clone.get_config()["kernel_regularizer"] == layer.get_config()["kernel_regularizer"]
    assert clone.get_config()["kernel_constraint"] == layer.get_config()["kernel_constraint"]


@pytest.mark.parametrize("units", [0, -3, 2.5, "8", None])
def test_dense_rejects_bad_units(units):
    with pytest.raises((ValueError, TypeError), match="units"):
        layers.Dense(units)


def test_dense_rejects_input_of_other_size_after_build():
    layer = layers.Dense(3, name="probe")
    layer(rand(2, 4))
    with pytest.raises(ValueError, match=r"probe.*\(2, 5\)"):
        layer(rand(2, 5))
    assert layer(rand(2, 4)).shape == (2, 3)  # still usable


def test_unknown_kwarg_suggests_the_right_one():
    with pytest.raises(TypeError, match="Did you mean 'activation'"):
        layers.Dense(3, activaton="relu")


def test_auto_names_are_unique():
    a, b = layers.Dense(1), layers.Dense(1)
    assert a.name != b.name and a.name.startswith("dense") and b.name.startswith("dense")


# ------------------------------------------------------------------------------------------
# Activation, Dropout


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "softmax", "elu", "selu", "softplus"])
def test_activation_layer_matches_keras(name):
    x = rand(4, 6)
    ours, ref = run_both(layers.Activation(name), keras.layers.Activation(name), x)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)


def test_dropout_is_identity_at_inference():
    x = rand(8, 10)
    np.testing.assert_array_equal(np.asarray(layers.Dropout(0.5)(x)), x)


def test_dropout_in_training_drops_rate_and_scales():
    layer = layers.Dropout(0.3)
    x = np.ones((200, 500), "float32")
    y, _ = layer.apply({"params": {}, "state": {}}, x, training=True, rng=jax.random.PRNGKey(1))
    y = np.asarray(y)
    assert abs((y == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y[y != 0]), [1 / 0.7], rtol=1e-6)


def test_dropout_noise_shape_shares_the_mask():
    layer = layers.Dropout(0.5, noise_shape=(None, 1, 6))
    x = np.ones((4, 5, 6), "float32")
    y = np.asarray(layer.apply({"params": {}, "state": {}}, x, training=True, rng=jax.random.PRNGKey(0))[0])
    assert (y == y[:, :1, :]).all()


def test_dropout_draws_from_the_rng_only():
    layer = layers.Dropout(0.5)
    x = np.ones((10, 10), "float32")
    v = {"params": {}, "state": {}}
    a = layer.apply(v, x, training=True, rng=jax.random.PRNGKey(3))[0]
    b = layer.apply(v, x, training=True, rng=jax.random.PRNGKey(3))[0]
    c = layer.apply(v, x, training=True, rng=jax.random.PRNGKey(4))[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rejects_bad_rate(rate):
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(rate)


# ------------------------------------------------------------------------------------------
# Shape layers


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten_matches_keras(data_format):
    x = rand(2, 3, 4, 5)
    ours, ref = run_both(layers.Flatten(data_format=data_format), keras.layers.Flatten(data_format=data_format), x)
    np.testing.assert_array_equal(ours, ref)
    assert layers.Flatten().compute_output_shape((None, 3, 4, 5)) == (None, 60)


@pytest.mark.parametrize("target", [(6, 10), (-1, 4), (3, -1, 2)])
def test_reshape_matches_numpy(target):
    x = rand(2, 3, 4, 5)
    layer = layers.Reshape(target)
    y = np.asarray(layer(x))
    np.testing.assert_array_equal(y, x.reshape((2,) + target))
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None,) + y.shape[1:]


def test_reshape_incompatible_size_names_layer_and_shapes():
    inp = jkeras.Input((3, 4))
    with pytest.raises(ValueError, match=r"Reshape 'bad_reshape'.*\(None, 3, 4\).*\(5, -1\)"):
        layers.Reshape((5, -1), name="bad_reshape")(inp)
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))


def test_permute_matches_numpy_and_keras():
    x = rand(2, 3, 4, 5)
    ours, ref = run_both(layers.Permute((3, 1, 2)), keras.layers.Permute((3, 1, 2)), x)
    np.testing.assert_array_equal(ours, np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_array_equal(ours, ref)
    with pytest.raises(ValueError, match="permutation"):
        layers.Permute((1, 3))


def test_repeat_vector():
    x = rand(2, 5)
    y = np.asarray(layers.RepeatVector(3)(x))
    np.testing.assert_array_equal(y, np.repeat(x[:, None, :], 3, axis=1))


def test_lambda_with_arguments_and_inferred_shape():
    inp = jkeras.Input((4, 6))
    out = layers.Lambda(lambda t, power: jnp.sum(t ** power, axis=1), arguments={"power": 2})(inp)
    assert out.shape == (None, 6)
    model = jkeras.Model(inp, out)
    x = rand(3, 4, 6)
    np.testing.assert_allclose(model.predict(x, verbose=0), (x ** 2).sum(1), rtol=1e-5)


def test_lambda_explicit_output_shape():
    layer = layers.Lambda(lambda t: t[:, :2], output_shape=(2,))
    assert layer.compute_output_shape((None, 5)) == (None, 2)


def test_activity_regularization_adds_the_penalty():
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    x = rand(4, 3)
    with collect_losses() as added:
        y, _ = layer.forward({"params": {}, "state": {}}, x)
    np.testing.assert_array_equal(np.asarray(y), x)
    expected = (0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()) / 4
    np.testing.assert_allclose(float(sum(added)), expected, rtol=1e-5)


@pytest.mark.parametrize("layer", [
    layers.Dense(3), layers.Activation("relu"), layers.Dropout(0.1), layers.Flatten(),
    layers.Reshape((2, -1)), layers.Permute((2, 1)), layers.RepeatVector(2),
])
def test_config_is_json_and_round_trips(layer):
    clone = config_round_trip(layer)
    a, b = layer.get_config(), clone.get_config()
    a.pop("name"), b.pop("name")
    assert a == b


def test_keras1_spellings_convert_with_one_warning():
    with pytest.warns(UserWarning, match="`init` is deprecated; use `kernel_initializer`"):
        layer = layers.Dense(output_dim=3, init="he_normal", W_regularizer=jkeras.regularizers.l2(0.1), input_dim=4)
    assert layer.units == 3 and type(layer.kernel_initializer).__name__ == "HeNormal"
    assert layer.kernel_regularizer is not None and layer._batch_input_shape == (None, 4)
    assert layers.Dropout(p=0.3).rate == 0.3
    with pytest.raises(TypeError, match="both `output_dim`"):
        layers.Dense(3, output_dim=4)


def test_eager_training_call_keeps_the_updated_state():
    layer = layers.BatchNormalization(momentum=0.5)
    x = rand(16, 3) * 2 + 1
    layer(x, training=True)
    moving_mean = layer.get_weights()[2]
    np.testing.assert_allclose(moving_mean, 0.5 * x.mean(0), rtol=1e-5)
    layer(x)  # inference leaves it
    np.testing.assert_allclose(layer.get_weights()[2], moving_mean)

"""Normalization layers against Keras 3 (same weights, same inputs) and NumPy formulas."""
import json
import warnings

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads
from layer_testing import check_layer

import jkeras
from jkeras import layers

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def random_affine(lib):
    """Non-trivial gamma / beta initializers (the weights are copied from Keras anyway)."""
    return {"gamma_initializer": lib.initializers.RandomUniform(0.5, 1.5),
            "beta_initializer": lib.initializers.RandomNormal(stddev=0.5)}


def random_bn(lib, **kwargs):
    return lib.layers.BatchNormalization(
        moving_mean_initializer=lib.initializers.RandomNormal(stddev=0.5),
        moving_variance_initializer=lib.initializers.RandomUniform(0.5, 2.0),
        **random_affine(lib), **kwargs,
    )


def train_call(layer, x, mask=None):
    """`layer(x, training=True)` through the pure pair: apply, then store the new state."""
    variables = layer.get_variables()
    y, state = layer.apply(variables, jnp.asarray(x), training=True, rng=jax.random.PRNGKey(0), mask=mask)
    layer.set_variables({"params": variables["params"], "state": state})
    return y


# ------------------------------------------------------------------------------------------
# BatchNormalization


# check_grads runs op by op (slow on CPU): one case per layer runs it, the others share its code.
@pytest.mark.parametrize("kwargs, shape, grads", [
    ({}, (4, 6), True),
    ({"axis": 1, "center": False}, (2, 3, 4), False),
    ({"axis": -1, "scale": False, "epsilon": 0.1}, (2, 3, 2, 4), False),
    ({"renorm": True, "renorm_clipping": {"rmax": 2.0}}, (4, 6), False),
])
def test_batch_normalization_inference_matches_keras(kwargs, shape, grads):
    check_layer(lambda lib: random_bn(lib, **kwargs), input_shape=shape, grads=grads)


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (4, 6)),
    ({"axis": 1, "momentum": 0.5}, (2, 3, 4)),
    ({"center": False, "scale": False}, (2, 3, 2, 4)),
    ({"renorm": True, "renorm_momentum": 0.7, "renorm_clipping": {"rmax": 1.5, "rmin": 0.7, "dmax": 0.3}}, (4, 6)),
    ({"renorm": True, "scale": False}, (2, 3, 4)),
])
def test_batch_normalization_training_outputs_and_state_match_keras(kwargs, shape):
    """Three training calls in a row: outputs and every moving statistic follow Keras 3's."""
    k_layer, layer = random_bn(keras, **kwargs), layers.BatchNormalization(**kwargs)
    x = rand(*shape)
    k_layer(x)
    layer(x)
    layer.set_weights(k_layer.get_weights())
    for step in range(3):
        xs = x * (step + 1) + step
        np.testing.assert_allclose(np.asarray(train_call(layer, xs)), np.asarray(k_layer(xs, training=True)),
                                   rtol=1e-5, atol=1e-5)
        for w, kw in zip(layer.get_weights(), k_layer.get_weights()):
            np.testing.assert_allclose(w, kw, rtol=1e-5, atol=1e-6)
    assert [w.name for w in layer.weights] == [w.name for w in k_layer.weights]


def test_batch_normalization_training_formula():
    layer = layers.BatchNormalization(momentum=0.9, epsilon=0.01)
    x = rand(16, 3) * 3 + 1
    variables = layer.init(jax.random.PRNGKey(0), x.shape)
    y, state = layer.apply(variables, x, training=True)
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(np.asarray(y), (x - mean) / np.sqrt(var + 0.01), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(state["moving_mean"]), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(state["moving_variance"]), 0.9 + 0.1 * var, rtol=1e-5)


def test_batch_normalization_inference_returns_the_state_unchanged():
    layer = random_bn(jkeras)
    variables = layer.init(jax.random.PRNGKey(0), (None, 4))
    y, state = layer.apply(variables, rand(5, 4), training=False)
    assert state is variables["state"]
    s = variables["state"]
    g, b = variables["params"]["gamma"], variables["params"]["beta"]
    x = rand(5, 4)
    y = layer.apply(variables, x)[0]
    expected = g * (x - s["moving_mean"]) / np.sqrt(s["moving_variance"] + 1e-3) + b
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(4, 6, 3), (3, 5, 2, 4)])
def test_batch_normalization_mask_excludes_entries_like_keras(shape):
    x = rand(*shape)
    mask = RNG.random(shape[:-1]) > 0.4
    k_layer, layer = random_bn(keras), layers.BatchNormalization()
    k_layer(x)
    layer(x)
    layer.set_weights(k_layer.get_weights())
    before = layer.get_variables()
    out = train_call(layer, x, mask=mask)
    np.testing.assert_allclose(np.asarray(out), np.asarray(k_layer(x, training=True, mask=mask)),
                               rtol=1e-5, atol=1e-5)
    for w, kw in zip(layer.get_weights(), k_layer.get_weights()):
        np.testing.assert_allclose(w, kw, rtol=1e-5, atol=1e-6)
    # The batch moments are those of the unmasked entries only.
    picked = x[mask]
    expected = before["state"]["moving_mean"] * 0.99 + picked.mean(0) * 0.01
    np.testing.assert_allclose(layer.get_weights()[2], expected, rtol=1e-4, atol=1e-6)
    # Changing masked-out values changes nothing.
    x2 = np.where(mask[..., None], x, 100.0).astype("float32")
    y1, s1 = layer.apply(before, x, training=True, mask=mask)
    y2, s2 = layer.apply(before, x2, training=True, mask=mask)
    np.testing.assert_allclose(np.asarray(y1)[mask], np.asarray(y2)[mask], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(s1["moving_variance"]), np.asarray(s2["moving_variance"]), rtol=1e-5)


def test_batch_normalization_training_gradients_and_jit():
    layer = random_bn(jkeras, axis=1)
    x = rand(4, 3, 2)
    variables = layer.init(jax.random.PRNGKey(1), x.shape)

    def f(params, x):
        y, _ = layer.apply({"params": params, "state": variables["state"]}, x, training=True)
        return jnp.sum(jnp.tanh(y) * jnp.arange(y.size).reshape(y.shape) / y.size)

    check_grads(jax.jit(f), (variables["params"], jnp.asarray(x)), order=1, modes=["rev"], atol=2e-2, rtol=2e-2)
    eager = layer.apply(variables, x, training=True)
    jitted = jax.jit(lambda v, x: layer.apply(v, x, training=True))(variables, x)
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), eager, jitted)


def test_batch_normalization_not_trainable_runs_in_inference_mode_like_keras():
    x = rand(6, 4) * 2 + 1
    k_layer, layer = random_bn(keras), layers.BatchNormalization()
    k_layer(x)
    layer(x)
    layer.set_weights(k_layer.get_weights())
    k_layer.trainable = False
    layer.trainable = False
    before = layer.get_weights()
    np.testing.assert_allclose(np.asarray(train_call(layer, x)), np.asarray(k_layer(x, training=True)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(train_call(layer, x)), np.asarray(layer(x)), rtol=1e-6)
    for w, b, kw in zip(layer.get_weights(), before, k_layer.get_weights()):
        np.testing.assert_array_equal(w, b)
        np.testing.assert_allclose(w, kw)
    variables = layer.get_variables()
    assert layer.apply(variables, x, training=True)[1] is variables["state"]


def _bn_model(lib, **bn_kwargs):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(3), lib.layers.BatchNormalization(**bn_kwargs)])


def _fit_both(trainable=True):
    km, jm = _bn_model(keras, momentum=0.8), _bn_model(jkeras, momentum=0.8)
    for jl, kl in zip(jm.layers, km.layers):
        jl.set_weights(kl.get_weights())
    for m in (km, jm):
        m.layers[-1].trainable = trainable
        m.compile("sgd", "mse")
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((20, 4)).astype("float32") * 2 + 1, rng.standard_normal((20, 3)).astype("float32")
    initial = jm.layers[-1].get_weights()
    for m in (km, jm):
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)  # batches of 8, 8, 4
    return km, jm, x, y, initial


def test_batch_normalization_fit_moves_the_statistics_like_keras():
    km, jm, x, y, initial = _fit_both()
    after = jm.layers[-1].get_weights()
    assert not np.allclose(after[2], initial[2]) and not np.allclose(after[3], initial[3])
    for w, kw in zip(jm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(w, kw, rtol=1e-4, atol=1e-5)
    # predict and evaluate run in inference mode and leave every weight alone.
    jm.predict(x, verbose=0)
    jm.evaluate(x, y, batch_size=8, verbose=0)
    for w, a in zip(jm.layers[-1].get_weights(), after):
        np.testing.assert_array_equal(w, a)
    np.testing.assert_allclose(jm.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_batch_normalization_frozen_in_fit_keeps_its_weights_like_keras():
    km, jm, x, y, initial = _fit_both(trainable=False)
    for w, a in zip(jm.layers[-1].get_weights(), initial):
        np.testing.assert_array_equal(w, a)
    for w, kw in zip(jm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(w, kw, rtol=1e-4, atol=1e-5)


def test_batch_normalization_regularizers_and_constraints():
    layer = layers.BatchNormalization(gamma_regularizer=jkeras.regularizers.l2(0.1),
                                      beta_regularizer=jkeras.regularizers.l1(0.2),
                                      gamma_constraint=jkeras.constraints.NonNeg())
    layer(rand(3, 4))
    layer.set_weights([np.full(4, 2.0), np.full(4, -1.0), np.zeros(4), np.ones(4)])
    np.testing.assert_allclose(float(sum(layer.losses)), 0.1 * 16 + 0.2 * 4, rtol=1e-6)
    params = layer.apply_constraints({"gamma": -jnp.ones(4), "beta": -jnp.ones(4)})
    np.testing.assert_array_equal(np.asarray(params["gamma"]), np.zeros(4))
    np.testing.assert_array_equal(np.asarray(params["beta"]), -np.ones(4))
    config = json.loads(json.dumps(layer.get_config()))
    clone = layers.BatchNormalization.from_config(config)
    assert clone.get_config()["gamma_regularizer"] == config["gamma_regularizer"]


def test_batch_normalization_errors_name_layer_and_values():
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn1': axis 3 is out of bounds.*\(None, 4\)"):
        layers.BatchNormalization(axis=3, name="bn1")(jkeras.Input((4,)))
    with pytest.raises(ValueError, match=r"axis -1 of the input must have a defined size"):
        layers.BatchNormalization()(jkeras.Input((3, None)))
    layer = layers.BatchNormalization(name="bn2")
    layer(rand(2, 4))
    with pytest.raises(ValueError, match=r"bn2.*axis -1 of size 4.*\(2, 5\)"):
        layer(rand(2, 5))
    with pytest.raises(ValueError, match=r"rank 2.*\(2, 3, 4\)"):
        layer(rand(2, 3, 4))
    with pytest.raises(ValueError, match=r"mask must have one axis less.*\(2, 4\)"):
        train_call(layer, rand(2, 4), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="axis must be an int"):
        layers.BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match="renorm_clipping accepts"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 2.0, "bad": 1})
    with pytest.raises(ValueError, match="rmax >= rmin"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 2.0})
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        layers.BatchNormalization(epsilon=0)


def test_batch_normalization_keras1_and_keras2_spellings():
    with pytest.warns(UserWarning, match="`beta_init` is deprecated"):
        layer = layers.BatchNormalization(beta_init="one", gamma_init="zero", mode=0)
    layer(rand(2, 3))
    np.testing.assert_array_equal(layer.get_weights()[0], np.zeros(3))
    np.testing.assert_array_equal(layer.get_weights()[1], np.ones(3))
    with pytest.raises(ValueError, match=r"BatchNormalization 'old': Keras 1 mode=2 is not supported"):
        layers.BatchNormalization(mode=2, name="old")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert layers.BatchNormalization(fused=True).axis == -1
    # tf.keras 2 configs store the built axis as a one-element list.
    assert layers.BatchNormalization.from_config({"name": "bn", "axis": [3]}).axis == 3


# ------------------------------------------------------------------------------------------
# LayerNormalization, GroupNormalization, UnitNormalization, RMSNormalization


@pytest.mark.parametrize("kwargs, shape, grads", [
    ({"axis": [1, 2], "scale": False}, (2, 3, 4), True),
    ({}, (4, 6), False),
    ({"axis": 1, "center": False}, (2, 3, 4), False),
    ({"axis": [-2, -1], "epsilon": 0.1}, (2, 3, 2, 4), False),
    ({"rms_scaling": True}, (4, 6), False),
])
def test_layer_normalization_matches_keras(kwargs, shape, grads):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns that rms_scaling is deprecated
        check_layer(lambda lib: lib.layers.LayerNormalization(**random_affine(lib), **kwargs), input_shape=shape,
                    grads=grads)


def test_layer_normalization_formula():
    x = rand(4, 6) * 4 + 2
    y = np.asarray(layers.LayerNormalization(epsilon=1e-5)(x))
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs, shape, grads", [
    ({"groups": 2}, (2, 3, 4), True),
    ({"groups": -1, "center": False}, (2, 3, 2, 4), False),
    ({"groups": 3, "axis": 1, "scale": False}, (2, 3, 4), False),
])
def test_group_normalization_matches_keras(kwargs, shape, grads):
    check_layer(lambda lib: lib.layers.GroupNormalization(**random_affine(lib), **kwargs), input_shape=shape,
                grads=grads)


def test_group_normalization_formula_and_errors():
    x = rand(2, 3, 4)
    y = np.asarray(layers.GroupNormalization(groups=2, epsilon=1e-5)(x))
    g = x.reshape(2, 3, 2, 2)
    mean, var = g.mean((1, 3), keepdims=True), g.var((1, 3), keepdims=True)
    np.testing.assert_allclose(y, ((g - mean) / np.sqrt(var + 1e-5)).reshape(x.shape), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"GroupNormalization 'gn': the channel count \(6.*groups=4"):
        layers.GroupNormalization(groups=4, name="gn")(jkeras.Input((3, 6)))
    with pytest.raises(ValueError, match="groups=32"):
        layers.GroupNormalization()(jkeras.Input((3, 6)))
    with pytest.raises(ValueError, match="groups must be a positive int"):
        layers.GroupNormalization(groups=0)


@pytest.mark.parametrize("axis, shape, grads", [([1, 2], (2, 3, 4), True), (-1, (4, 6), False)])
def test_unit_normalization_matches_keras(axis, shape, grads):
    check_layer(lambda lib: lib.layers.UnitNormalization(axis=axis), input_shape=shape, grads=grads)


def test_unit_normalization_norm_and_zero_input():
    x = rand(4, 6)
    y = np.asarray(layers.UnitNormalization()(x))
    np.testing.assert_allclose(np.linalg.norm(y, axis=-1), np.ones(4), rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(layers.UnitNormalization()(np.zeros((2, 3), "float32"))), 0.0)


@pytest.mark.parametrize("kwargs, shape, grads", [({"epsilon": 0.1, "axis": [1, 2]}, (2, 3, 4), True),
                                                  ({}, (4, 6), False)])
def test_rms_normalization_matches_keras(kwargs, shape, grads):
    check_layer(lambda lib: lib.layers.RMSNormalization(**kwargs), input_shape=shape, grads=grads)


@pytest.mark.parametrize("name, kwargs", [
    ("LayerNormalization", {"axis": 7}), ("UnitNormalization", {"axis": -4}), ("RMSNormalization", {"axis": 3}),
])
def test_axis_out_of_bounds_errors(name, kwargs):
    with pytest.raises(ValueError, match=rf"{name} 'probe': axis -?\d is out of bounds.*\(None, 3, 4\)"):
        getattr(layers, name)(name="probe", **kwargs)(jkeras.Input((3, 4)))
    with pytest.raises(ValueError, match="axis must be an int or a non-empty list"):
        getattr(layers, name)(axis="last")


# ------------------------------------------------------------------------------------------
# Configs written by Keras 3 load into jkeras and give the same outputs


@pytest.mark.parametrize("make, shape", [
    (lambda lib: random_bn(lib, axis=1), (3, 4, 2)),
    (lambda lib: lib.layers.LayerNormalization(axis=[1, 2], **random_affine(lib)), (2, 3, 4)),
    (lambda lib: lib.layers.GroupNormalization(groups=2, **random_affine(lib)), (2, 3, 4)),
    (lambda lib: lib.layers.UnitNormalization(axis=[1, 2]), (2, 3, 4)),
    (lambda lib: lib.layers.RMSNormalization(), (2, 3, 4)),
])
def test_keras3_configs_load(make, shape):
    x = rand(*shape)
    k_layer = make(keras)
    k_out = np.asarray(k_layer(x))
    config = json.loads(json.dumps(keras.layers.serialize(k_layer)["config"]))
    layer = getattr(layers, type(k_layer).__name__).from_config(config)
    layer(x)
    layer.set_weights(k_layer.get_weights())
    np.testing.assert_allclose(np.asarray(layer(x)), k_out, rtol=1e-5, atol=1e-5)


def test_layer_normalization_takes_other_ranks_with_the_same_features_like_keras():
    k_layer, layer = keras.layers.LayerNormalization(), layers.LayerNormalization(name="ln")
    for x in (rand(2, 4), rand(2, 3, 4)):
        np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(k_layer(x)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"'ln': expected axis -1 of size 4.*\(2, 5\)"):
        layer(rand(2, 5))

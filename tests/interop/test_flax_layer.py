"""FlaxLayer / JaxLayer: flax modules and plain JAX functions as jkeras layers, and the reverse
(a jkeras model inside a flax module). References: flax's own apply, Keras 3's FlaxLayer, NumPy."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jkeras
from jkeras import layers


class MLPBlock(nn.Module):
    """Dense -> BatchNorm -> Dropout -> Dense, with a `training` argument."""

    features: int = 4

    @nn.compact
    def __call__(self, x, training):
        x = nn.Dense(self.features)(x)
        x = nn.BatchNorm(use_running_average=not training, momentum=0.9)(x)
        x = nn.Dropout(0.5, deterministic=not training)(x)
        return nn.Dense(2)(x)


class Plain(nn.Module):
    """One Dense, no `training` argument, no state."""

    @nn.compact
    def __call__(self, x):
        return nn.tanh(nn.Dense(3)(x))


X = np.random.default_rng(0).standard_normal((16, 5)).astype("float32")


def _flax_variables(module, seed=0, **kwargs):
    return module.init(jax.random.PRNGKey(seed), X[:2], **kwargs)


def test_outputs_equal_flax_apply_and_weights_are_named_by_tree_path():
    module = MLPBlock()
    variables = _flax_variables(module, training=False)
    layer = layers.FlaxLayer(module, variables=variables)
    np.testing.assert_allclose(layer(X), module.apply(variables, X, training=False), rtol=1e-6, atol=1e-6)
    names = [w.name for w in layer.weights]
    assert names == ["BatchNorm_0/bias", "BatchNorm_0/scale", "Dense_0/bias", "Dense_0/kernel", "Dense_1/bias",
                     "Dense_1/kernel", "batch_stats/BatchNorm_0/mean", "batch_stats/BatchNorm_0/var"]
    assert [w.trainable for w in layer.weights] == [True] * 6 + [False] * 2
    np.testing.assert_array_equal(layer.weights[3].numpy(), variables["params"]["Dense_0"]["kernel"])


@pytest.mark.slow
def test_weight_order_matches_keras3_flax_layer_and_weights_h5_moves_both_ways(tmp_path):
    import keras

    module = MLPBlock()
    model = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(module)])
    k_model = keras.Sequential([keras.Input((5,)),
                                keras.layers.FlaxLayer(module, variables=_flax_variables(module, 7, training=False))])
    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in k_model.weights]
    model.save_weights(tmp_path / "flax.weights.h5")
    k_model.load_weights(tmp_path / "flax.weights.h5")
    np.testing.assert_allclose(k_model.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    back = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(MLPBlock())])
    k_model.save_weights(tmp_path / "keras.weights.h5")
    back.load_weights(tmp_path / "keras.weights.h5")
    np.testing.assert_allclose(back.predict(X, verbose=0), k_model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_training_updates_batch_stats_as_flax_does_and_dropout_uses_the_rng():
    module = MLPBlock()
    model = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(module, name="blk")])
    variables = model.get_variables()
    out_a, state = model.apply(variables, X, training=True, rng=jax.random.PRNGKey(1))
    out_b, _ = model.apply(variables, X, training=True, rng=jax.random.PRNGKey(2))
    assert not np.allclose(out_a, out_b)
    flax_vars = {"params": _nested(variables["params"]["blk"]), **_nested(variables["state"]["blk"])}
    _, updates = module.apply(flax_vars, X, training=True, rngs={"dropout": jax.random.PRNGKey(3)},
                              mutable=["batch_stats"])
    for stat in ("mean", "var"):
        np.testing.assert_allclose(state["blk"][f"batch_stats/BatchNorm_0/{stat}"],
                                   updates["batch_stats"]["BatchNorm_0"][stat], rtol=1e-5, atol=1e-6)


def _nested(flat):
    """`{"a/b": v}` -> `{"a": {"b": v}}`."""
    out = {}
    for name, value in flat.items():
        *parents, leaf = name.split("/")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def test_fit_trains_flax_params_and_moves_moving_statistics_in_functional_model():
    jkeras.utils.set_random_seed(0)
    inputs = jkeras.Input((5,))
    hidden = layers.FlaxLayer(MLPBlock(features=8), name="block")(inputs)
    model = jkeras.Model(inputs, layers.Dense(1)(hidden))
    y = X.sum(axis=1, keepdims=True)
    model.compile(optimizer=jkeras.optimizers.Adam(0.02), loss="mse")
    before = model.get_variables()
    loss_before = model.evaluate(X, y, verbose=0)
    model.fit(X, y, batch_size=8, epochs=20, verbose=0)
    after = model.get_variables()
    assert model.evaluate(X, y, verbose=0) < 0.5 * loss_before
    assert not np.allclose(before["params"]["block"]["Dense_0/kernel"], after["params"]["block"]["Dense_0/kernel"])
    assert not np.allclose(before["state"]["block"]["batch_stats/BatchNorm_0/mean"],
                           after["state"]["block"]["batch_stats/BatchNorm_0/mean"])


def test_gradients_equal_flax_gradients():
    module = Plain()
    variables = _flax_variables(module)
    model = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(module, variables=variables, name="plain")])
    grads = jax.grad(lambda v: jnp.sum(model.apply(v, X)[0] ** 2))(model.get_variables())
    expected = jax.grad(lambda v: jnp.sum(module.apply(v, X) ** 2))(variables)
    np.testing.assert_allclose(grads["params"]["plain"]["Dense_0/kernel"],
                               expected["params"]["Dense_0"]["kernel"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("path", ["w.weights.h5", "w.h5", "ckpt"])
def test_weights_round_trip(tmp_path, path):
    model = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(MLPBlock()), layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(X, X[:, :1], epochs=1, verbose=0)
    model.save_weights(tmp_path / path)
    fresh = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(MLPBlock()), layers.Dense(1)])
    fresh.load_weights(tmp_path / path)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(fresh.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_model_save_and_load_with_the_module_class_in_custom_objects(tmp_path):
    model = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(MLPBlock(features=6)), layers.Dense(1)])
    model.compile("adam", "mse")
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="MLPBlock"):
        jkeras.models.load_model(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras", custom_objects={"MLPBlock": MLPBlock})
    assert loaded.layers[0].module.features == 6
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_method_argument_runs_another_method():
    class Two(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(2)(x)

        def doubled(self, inputs):
            return 2 * self(inputs)

    module = Two()
    variables = module.init(jax.random.PRNGKey(0), X[:1])
    layer = layers.FlaxLayer(module, method="doubled", variables=variables)
    np.testing.assert_allclose(layer(X), 2 * module.apply(variables, X), rtol=1e-6)
    assert layer.get_config()["method"] == "doubled"


def affine_init(rng, inputs):
    return {"w": jax.random.normal(rng, (inputs.shape[-1], 3)), "b": jnp.ones(3)}


def affine_call(params, inputs):
    return inputs @ params["w"] + params["b"]


def test_jax_layer_with_plain_functions_matches_numpy_and_reloads_from_custom_objects(tmp_path):
    layer = layers.JaxLayer(affine_call, affine_init)
    out = layer(X)
    w, b = (layer.get_variables()["params"][k] for k in ("w", "b"))
    np.testing.assert_allclose(out, X @ np.asarray(w) + np.asarray(b), rtol=1e-5, atol=1e-5)
    assert [w.name for w in layer.weights] == ["b", "w"]
    model = jkeras.Sequential([jkeras.Input((5,)), layer])
    model.save(tmp_path / "jax.keras")
    with pytest.raises(ValueError, match="affine_call"):
        jkeras.models.load_model(tmp_path / "jax.keras")
    loaded = jkeras.models.load_model(tmp_path / "jax.keras",
                                      custom_objects={"affine_call": affine_call, "affine_init": affine_init})
    np.testing.assert_allclose(loaded.predict(X, verbose=0), out, rtol=1e-5, atol=1e-5)


def test_jax_layer_without_weights_and_with_state_and_rng():
    doubled = layers.JaxLayer(lambda inputs: 2 * inputs)
    np.testing.assert_allclose(doubled(X), 2 * X)
    assert doubled.weights == []

    def count_call(state, rng, inputs, training):
        noise = jax.random.normal(rng, inputs.shape) if training else 0.0
        return inputs + noise, {"calls": state["calls"] + 1}

    counter = layers.JaxLayer(count_call, state={"calls": jnp.zeros((), jnp.int32)})
    out, new_state = counter.apply(counter.get_variables(), X, training=True, rng=jax.random.PRNGKey(0))
    np.testing.assert_allclose(out - X, jax.random.normal(jax.random.PRNGKey(0), X.shape), rtol=1e-6, atol=1e-6)
    assert int(new_state["calls"]) == 1 and not counter.weights[0].trainable
    np.testing.assert_array_equal(counter.apply(counter.get_variables(), X)[0], X)


def test_errors_name_the_layer_and_the_argument():
    with pytest.raises(TypeError, match="flax.linen.Module"):
        layers.FlaxLayer(lambda x: x)
    with pytest.raises(ValueError, match="'weights'.*named among"):
        layers.JaxLayer(lambda weights, inputs: inputs, name="jl")
    with pytest.raises(ValueError, match="cannot all be None"):
        layers.JaxLayer(lambda params, inputs: inputs)
    with pytest.raises(ValueError, match="`inputs`"):
        layers.JaxLayer(lambda params, training: params, params={})


def test_jkeras_model_inside_a_flax_module_trains_with_optax():
    backbone = jkeras.Sequential([jkeras.Input((5,)), layers.Dense(8, activation="relu"),
                                  layers.BatchNormalization(name="bn")])

    class Head(nn.Module):
        @nn.compact
        def __call__(self, x, training=False):
            params = self.param("backbone", lambda rng: backbone.init(rng)["params"])
            state = self.variable("batch_stats", "backbone", lambda: backbone.init(jax.random.PRNGKey(0))["state"])
            features, new_state = backbone.apply({"params": params, "state": state.value}, x, training=training)
            if training and not self.is_initializing():
                state.value = new_state
            return nn.Dense(1)(features)

    head = Head()
    variables = head.init(jax.random.PRNGKey(0), X)
    y = X.sum(axis=1, keepdims=True)
    out = head.apply(variables, X)
    features, _ = backbone.apply({"params": variables["params"]["backbone"],
                                  "state": variables["batch_stats"]["backbone"]}, X)
    dense = variables["params"]["Dense_0"]
    np.testing.assert_allclose(out, np.asarray(features) @ dense["kernel"] + dense["bias"], rtol=1e-5, atol=1e-5)

    tx = optax.adam(1e-2)
    opt_state = tx.init(variables["params"])

    @jax.jit
    def step(params, stats, opt_state):
        def loss(params):
            pred, updates = head.apply({"params": params, "batch_stats": stats}, X, training=True,
                                       mutable=["batch_stats"])
            return jnp.mean((pred - y) ** 2), updates["batch_stats"]

        (value, stats), grads = jax.value_and_grad(loss, has_aux=True)(params)
        updates, opt_state = tx.update(grads, opt_state)
        return optax.apply_updates(params, updates), stats, opt_state, value

    params, stats = variables["params"], variables["batch_stats"]
    losses = []
    for _ in range(30):
        params, stats, opt_state, value = step(params, stats, opt_state)
        losses.append(float(value))
    assert losses[-1] < 0.5 * losses[0]
    assert not np.allclose(stats["backbone"]["bn"]["moving_mean"], 0.0)

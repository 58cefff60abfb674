"""Mixed precision: policies as Keras 3 defines them, float32 weights with low-precision compute,
float32 losses, and dynamic loss scaling for float16 (checked against the rule written out here)."""
import jax
import jax.numpy as jnp
import keras
import numpy as np
import optax
import pytest

import jkeras
from jkeras import layers
from jkeras.core import optimizers as core_optimizers


@pytest.fixture
def policy():
    """Sets a global policy in jkeras and Keras 3 for one test, then restores float32."""
    def set_both(name):
        jkeras.mixed_precision.set_global_policy(name)
        keras.mixed_precision.set_global_policy(name)

    yield set_both
    jkeras.mixed_precision.set_global_policy(None)
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("name", ["float32", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16"])
def test_policy_dtypes_match_keras(name):
    ours, ref = jkeras.mixed_precision.DTypePolicy(name), keras.DTypePolicy(name)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (ref.name, ref.compute_dtype, ref.variable_dtype)


def test_unknown_policy_names_the_valid_ones():
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        jkeras.mixed_precision.DTypePolicy("mixed_int8")
    with pytest.raises(TypeError, match="dtype must be a dtype name"):
        layers.Dense(2, dtype="halfish")


def test_global_policy_reaches_new_layers_and_keras_dense_agrees(policy):
    policy("mixed_bfloat16")
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    ours, ref = layers.Dense(3), keras.layers.Dense(3)
    ref.build((None, 5))
    ours.build((None, 5))
    ours.set_weights(ref.get_weights())
    assert ours.dtype == "float32" and ours.compute_dtype == "bfloat16"
    assert [w.dtype for w in ours.get_weights()] == [np.float32, np.float32]
    y_ours, y_ref = ours(x), ref(x)
    assert str(y_ours.dtype) == str(y_ref.dtype) == "bfloat16"
    np.testing.assert_allclose(np.asarray(y_ours, np.float32), np.asarray(y_ref, np.float32), rtol=1e-2, atol=1e-2)
    jkeras.mixed_precision.set_global_policy(None)
    assert layers.Dense(3).compute_dtype == "float32"


def test_layer_dtype_argument_overrides_the_policy_and_round_trips(policy):
    policy("mixed_bfloat16")
    head = layers.Activation("softmax", dtype="float32")
    assert head.compute_dtype == "float32"
    dense = layers.Dense(3)
    config = dense.get_config()
    assert config["dtype"] == "mixed_bfloat16"
    jkeras.mixed_precision.set_global_policy(None)
    assert layers.Dense.from_config(config).compute_dtype == "bfloat16"
    assert keras.layers.Dense.from_config(config).dtype_policy.name == "mixed_bfloat16"


def small_classifier(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8)).astype("float32")
    y = (x @ rng.standard_normal((8, 3))).argmax(-1)
    model = jkeras.Sequential([
        layers.Input((8,)), layers.Dense(32, activation="relu"), layers.BatchNormalization(),
        layers.Dense(3), layers.Activation("softmax", dtype="float32"),
    ])
    return model, x, y


@pytest.mark.parametrize("name", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_model_trains_with_float32_weights_and_float32_loss(policy, name):
    policy(name)
    jkeras.utils.set_random_seed(0)
    model, x, y = small_classifier()
    model.compile(jkeras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    if name == "mixed_float16":
        assert isinstance(model.optimizer, jkeras.optimizers.LossScaleOptimizer)
    else:
        assert isinstance(model.optimizer, jkeras.optimizers.Adam)
    h = model.fit(x, y, batch_size=32, epochs=6, verbose=0).history
    assert all(np.isfinite(h["loss"])) and h["loss"][-1] < 0.6 * h["loss"][0]
    assert all(w.dtype == np.float32 for w in model.get_weights())
    hidden = model.layers[0](x[:4])
    assert str(hidden.dtype) == name[len("mixed_"):]
    assert model.predict(x[:4], verbose=0).dtype == np.float32
    # The bfloat16 / float16 model computes what the float32 model computes with its weights.
    jkeras.mixed_precision.set_global_policy(None)
    ref, _, _ = small_classifier()
    ref.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), ref.predict(x, verbose=0), atol=0.05)


def test_mixed_gradient_equals_the_float32_gradient_within_bfloat16_precision(policy):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 8)).astype("float32")
    policy("mixed_bfloat16")
    # Fixed layer names: the gradient pytrees' leaves (sorted by name) then pair up.
    build = lambda: jkeras.Sequential([layers.Input((8,)), layers.Dense(4, activation="tanh", name="a"),  # noqa
                                       layers.Dense(1, name="b")])
    mixed = build()
    jkeras.mixed_precision.set_global_policy(None)
    full = build()
    full.set_weights(mixed.get_weights())

    def grad(model):
        variables = model.get_variables()
        loss = lambda p: jnp.mean(model.apply({**variables, "params": p}, x)[0].astype(jnp.float32) ** 2)  # noqa
        return jax.grad(loss)(variables["params"])

    g_mixed, g_full = grad(mixed), grad(full)
    for a, b in zip(jax.tree_util.tree_leaves(g_mixed), jax.tree_util.tree_leaves(g_full)):
        assert a.dtype == jnp.float32
        np.testing.assert_allclose(a, b, rtol=5e-2, atol=5e-3)


def reference_loss_scale(finite_steps, initial, growth_steps):
    """The dynamic loss-scale rule, written out: skip and halve on overflow, double after
    `growth_steps` finite steps in a row."""
    scale, count, scales = initial, 0, []
    for finite in finite_steps:
        if finite:
            count += 1
            if count >= growth_steps:
                scale, count = scale * 2, 0
        else:
            scale, count = scale / 2, 0
        scales.append(scale)
    return scales


def test_dynamic_loss_scale_follows_the_rule_and_skips_overflowing_steps():
    pattern = [True, True, False, True, True, True, False, False, True]
    tx = core_optimizers.dynamic_loss_scale(optax.sgd(0.1), initial_scale=8.0, growth_steps=2)
    params = {"w": jnp.ones(3)}
    state = tx.init(params)
    for finite, expected in zip(pattern, reference_loss_scale(pattern, 8.0, 2)):
        scale = core_optimizers.loss_scale_of(state)
        grads = {"w": jnp.full(3, 2.0) * scale if finite else jnp.array([1.0, jnp.inf, 0.0])}
        updates, state = tx.update(grads, state, params)
        expected_update = -0.1 * 2.0 if finite else 0.0
        np.testing.assert_allclose(updates["w"], np.full(3, expected_update), rtol=1e-6)
        assert float(core_optimizers.loss_scale_of(state)) == expected


def test_loss_scale_optimizer_config_round_trips_and_keeps_the_learning_rate():
    opt = jkeras.optimizers.LossScaleOptimizer(jkeras.optimizers.SGD(0.05), initial_scale=128.0,
                                               dynamic_growth_steps=10)
    again = jkeras.optimizers.deserialize(jkeras.optimizers.serialize(opt))
    assert isinstance(again.inner_optimizer, jkeras.optimizers.SGD)
    assert (again.initial_scale, again.dynamic_growth_steps) == (128.0, 10)
    np.testing.assert_allclose(float(again.learning_rate), 0.05, rtol=1e-6)
    with pytest.raises(ValueError, match="initial_scale"):
        jkeras.optimizers.LossScaleOptimizer("sgd", initial_scale=0.0)

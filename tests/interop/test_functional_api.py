"""jkeras.functional(model) -> (init_fn, apply_fn), and the README recipes built on the pure API:
a custom jit loop, a vmap ensemble, per-example gradients. References: NumPy, plain Python loops
over the same functions, optax."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jkeras
from jkeras import layers

X = np.random.default_rng(1).standard_normal((24, 3)).astype("float32")
Y = (np.sin(X).sum(axis=1, keepdims=True)).astype("float32")


def _mlp():
    return jkeras.Sequential([jkeras.Input((3,)), layers.Dense(8, activation="tanh"), layers.Dense(1)])


def test_init_fn_predicts_apply_fns_shape_in_stax_style():
    init_fn, apply_fn = jkeras.functional(_mlp())
    output_shape, variables = init_fn(jax.random.PRNGKey(0), (-1, 3))
    assert output_shape == (-1, 1)
    out = apply_fn(variables, X)
    assert out.shape == (len(X), 1)
    assert init_fn(jax.random.PRNGKey(0))[0] == (None, 1)
    _, other = init_fn(jax.random.PRNGKey(1), (-1, 3))
    kernels = [leaf for leaf in jax.tree_util.tree_leaves((variables, other)) if leaf.shape == (3, 8)]
    assert len(kernels) == 2 and not np.allclose(*kernels)


def test_apply_fn_is_the_dense_formula_and_jits():
    init_fn, apply_fn = jkeras.functional(layers.Dense(4, activation="relu"))
    shape, variables = init_fn(jax.random.PRNGKey(0), (None, 3))
    assert shape == (None, 4)
    kernel, bias = variables["params"]["kernel"], variables["params"]["bias"]
    expected = np.maximum(X @ np.asarray(kernel) + np.asarray(bias), 0)
    np.testing.assert_allclose(jax.jit(apply_fn)(variables, X), expected, rtol=1e-5, atol=1e-6)


def test_return_state_gives_batch_norm_statistics_in_training():
    model = jkeras.Sequential([jkeras.Input((3,)), layers.BatchNormalization(momentum=0.5)])
    init_fn, apply_fn = jkeras.functional(model)
    _, variables = init_fn(jax.random.PRNGKey(0))
    _, state = apply_fn(variables, X, training=True, return_state=True)
    np.testing.assert_allclose(state[model.layers[0].name]["moving_mean"], 0.5 * X.mean(axis=0), rtol=1e-5,
                               atol=1e-6)


def test_errors():
    with pytest.raises(TypeError, match="jkeras model or layer"):
        jkeras.functional(lambda x: x)
    init_fn, _ = jkeras.functional(layers.Dense(2))
    with pytest.raises(ValueError, match="no known input shape"):
        init_fn(jax.random.PRNGKey(0))


def _mse(apply_fn):
    def loss(params, x, y):
        return jnp.mean((apply_fn({"params": params, "state": {}}, x) - y) ** 2)

    return loss


def test_custom_jit_loop_over_apply_trains():
    init_fn, apply_fn = jkeras.functional(_mlp())
    _, variables = init_fn(jax.random.PRNGKey(0))
    loss = _mse(apply_fn)
    tx = optax.adam(0.05)

    @jax.jit
    def step(params, opt_state):
        value, grads = jax.value_and_grad(loss)(params, X, Y)
        updates, opt_state = tx.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state, value

    params, opt_state = variables["params"], tx.init(variables["params"])
    first = None
    for _ in range(60):
        params, opt_state, value = step(params, opt_state)
        first = value if first is None else first
    assert float(value) < 0.2 * float(first)


def test_vmap_ensemble_trains_each_member_as_if_alone():
    init_fn, apply_fn = jkeras.functional(_mlp())
    loss = _mse(apply_fn)
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    stacked = jax.vmap(lambda k: init_fn(k)[1]["params"])(keys)

    def sgd_step(params):
        grads = jax.grad(loss)(params, X, Y)
        return jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)

    ensemble_step, single_step = jax.jit(jax.vmap(sgd_step)), jax.jit(sgd_step)
    for _ in range(5):
        stacked = ensemble_step(stacked)
    for i, key in enumerate(keys):
        alone = init_fn(key)[1]["params"]
        for _ in range(5):
            alone = single_step(alone)
        member = jax.tree_util.tree_map(lambda a: a[i], stacked)
        for a, b in zip(jax.tree_util.tree_leaves(member), jax.tree_util.tree_leaves(alone)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    predictions = jax.vmap(apply_fn, in_axes=({"params": 0, "state": None}, None))(
        {"params": stacked, "state": {}}, X)
    assert predictions.shape == (3, len(X), 1)


def test_per_example_gradients_equal_a_loop_and_average_to_the_batch_gradient():
    init_fn, apply_fn = jkeras.functional(_mlp())
    _, variables = init_fn(jax.random.PRNGKey(0))
    loss = _mse(apply_fn)

    def example_loss(params, x, y):
        return loss(params, x[None], y[None])

    per_example = jax.jit(jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0)))(variables["params"], X, Y)
    one_grad = jax.jit(jax.grad(example_loss))
    for i in (0, 7, 23):
        one = one_grad(variables["params"], X[i], Y[i])
        for a, b in zip(jax.tree_util.tree_leaves(per_example), jax.tree_util.tree_leaves(one)):
            np.testing.assert_allclose(a[i], b, rtol=1e-5, atol=1e-6)
    batch = jax.grad(loss)(variables["params"], X, Y)
    for a, b in zip(jax.tree_util.tree_leaves(per_example), jax.tree_util.tree_leaves(batch)):
        np.testing.assert_allclose(a.mean(axis=0), b, rtol=1e-4, atol=1e-6)

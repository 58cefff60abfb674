"""Models are plain JAX functions: init / apply under jit, grad and vmap agree with predict."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.test_util import check_grads

import jkeras
from jkeras import layers


def make_model():
    inp = jkeras.Input((5,))
    h = layers.Dense(8, activation="tanh")(inp)
    h = layers.Dropout(0.5)(h)
    return jkeras.Model(inp, layers.Dense(3, activation="softmax")(h))


X = np.random.default_rng(0).standard_normal((12, 5)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, 12)


def test_apply_under_jit_matches_predict():
    model = make_model()
    variables = model.get_variables()
    out, state = jax.jit(model.apply)(variables, X)
    np.testing.assert_allclose(np.asarray(out), model.predict(X, verbose=0), rtol=1e-6, atol=1e-7)
    assert state == {}


def test_init_is_pure_and_seeded():
    model = make_model()
    before = model.get_weights()
    v1 = model.init(jax.random.PRNGKey(0))
    v2 = model.init(jax.random.PRNGKey(0))
    v3 = model.init(jax.random.PRNGKey(1))
    for a, b in zip(jax.tree_util.tree_leaves(v1), jax.tree_util.tree_leaves(v2)):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(jax.tree_util.tree_leaves(v1), jax.tree_util.tree_leaves(v3)))
    assert jax.tree_util.tree_structure(v1) == jax.tree_util.tree_structure(model.get_variables())
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # init touched no layer


def test_grad_of_apply_against_finite_differences():
    model = make_model()
    params = model.get_variables()["params"]

    def loss(params):
        probs, _ = model.apply({"params": params, "state": {}}, X)
        return -jnp.mean(jnp.log(probs[jnp.arange(12), Y]))

    check_grads(loss, (params,), order=1, modes=["rev"], atol=1e-2, rtol=1e-2)


def test_dropout_needs_and_uses_the_rng_in_training():
    model = make_model()
    v = model.get_variables()
    a, _ = model.apply(v, X, training=True, rng=jax.random.PRNGKey(0))
    b, _ = model.apply(v, X, training=True, rng=jax.random.PRNGKey(0))
    c, _ = model.apply(v, X, training=True, rng=jax.random.PRNGKey(1))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_vmap_ensemble_of_four_agrees_with_each_model():
    model = make_model()
    keys = jax.random.split(jax.random.PRNGKey(3), 4)
    ensemble = jax.vmap(model.init)(keys)
    outs, _ = jax.jit(jax.vmap(model.apply, in_axes=(0, None)))(ensemble, X)
    assert outs.shape == (4, 12, 3)
    for i in range(4):
        member = jax.tree_util.tree_map(lambda a: a[i], ensemble)
        model.set_variables(member)
        np.testing.assert_allclose(np.asarray(outs[i]), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_per_example_gradients_with_vmap():
    model = make_model()
    params = model.get_variables()["params"]

    def loss(params, x, y):
        probs, _ = model.apply({"params": params, "state": {}}, x[None])
        return -jnp.log(probs[0, y])

    per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(params, X, Y)
    for i in (0, 5, 11):
        single = jax.grad(loss)(params, X[i], Y[i])
        for a, b in zip(jax.tree_util.tree_leaves(per_example), jax.tree_util.tree_leaves(single)):
            np.testing.assert_allclose(np.asarray(a[i]), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_hand_written_optax_loop_over_apply_trains_the_model():
    model = make_model()
    variables = model.get_variables()
    tx = optax.adam(0.05)
    opt_state = tx.init(variables["params"])

    @jax.jit
    def step(params, opt_state, key):
        def loss(params):
            probs, _ = model.apply({"params": params, "state": {}}, X, training=True, rng=key)
            return -jnp.mean(jnp.log(probs[jnp.arange(12), Y]))

        value, grads = jax.value_and_grad(loss)(params)
        updates, opt_state = tx.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state, value

    params = variables["params"]
    losses = []
    for i in range(60):
        params, opt_state, value = step(params, opt_state, jax.random.PRNGKey(i))
        losses.append(float(value))
    assert losses[-1] < losses[0] * 0.5
    model.set_variables({"params": params, "state": {}})
    acc = (model.predict(X, verbose=0).argmax(-1) == Y).mean()
    assert acc > 0.9

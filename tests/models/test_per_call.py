"""The fixed cost of an API call (`bench/per_call.py` measures it): the copies a call makes of the
weights, its metric zeros and its key are each one program, and stay correct."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jkeras
from jkeras.core import step as core_step
from jkeras.utils import random as jk_random


@pytest.mark.parametrize("seed", [0, 7, 123456789, 2**31 - 1])
def test_next_key_is_fold_in_of_the_seed_key(seed):
    jkeras.utils.set_random_seed(seed)
    keys = [np.asarray(jk_random.next_key()) for _ in range(5)]
    expected = [np.asarray(jax.random.fold_in(jax.random.PRNGKey(seed), i)) for i in range(5)]
    np.testing.assert_array_equal(keys, expected)
    assert all(k.dtype == np.uint32 and k.shape == (2,) for k in keys)


def test_threefry_matches_jax_over_the_counter_range():
    rng = np.random.default_rng(0)
    for seed, counter in zip(rng.integers(0, 2**31, 20), rng.integers(0, 2**32, 20, dtype=np.uint64)):
        ours = np.asarray(jk_random._threefry_2x32((0, int(seed)), (0, int(counter))), np.uint32)
        np.testing.assert_array_equal(ours, jax.random.fold_in(jax.random.PRNGKey(int(seed)), int(counter)))


def test_host_fold_in_matches_jax_and_leaves_other_keys_to_it():
    rng = np.random.default_rng(1)
    for words, data in zip(rng.integers(0, 2**32, (20, 2), dtype=np.uint64), rng.integers(0, 2**32, 20, dtype=np.uint64)):
        key = np.asarray(words, np.uint32)
        ours = jk_random.fold_in(key, int(data))
        assert isinstance(ours, np.ndarray) and ours.dtype == np.uint32
        np.testing.assert_array_equal(ours, jax.random.fold_in(jnp.asarray(key), int(data)))
    device_key = jax.random.PRNGKey(3)
    folded = jk_random.fold_in(device_key, 5)  # a JAX key: JAX's own fold_in
    assert isinstance(folded, jax.Array)
    np.testing.assert_array_equal(folded, jax.random.fold_in(device_key, 5))


def test_eager_model_call_draws_each_layers_key_as_the_traced_call_does():
    """An eager call derives its layers' keys on the host; the dropout masks are those of the
    same call under `jax.jit` (keys derived by `jax.random.fold_in`)."""
    model = jkeras.Sequential([jkeras.Input((64,)), jkeras.layers.Dropout(0.5), jkeras.layers.Dense(8),
                               jkeras.layers.Dropout(0.5)])
    x = np.ones((4, 64), "float32")
    jkeras.utils.set_random_seed(11)
    eager = np.asarray(model(x, training=True))
    jkeras.utils.set_random_seed(11)
    key = jax.device_put(jk_random.next_call_key())
    traced, _ = jax.jit(lambda v, k: model.apply(v, x, training=True, rng=k))(model.get_variables(), key)
    np.testing.assert_array_equal(eager, traced)
    assert 0 < np.mean(eager == 0) < 1


def test_fresh_copy_makes_new_strong_buffers_that_can_be_donated():
    tree = {"w": jnp.arange(6.0).reshape(2, 3), "n": jnp.asarray(3), "s": jnp.asarray(1.5)}
    assert tree["s"].weak_type
    copied = core_step.fresh_copy(tree)
    for name in tree:
        np.testing.assert_array_equal(copied[name], tree[name])
        assert copied[name].dtype == tree[name].dtype and not copied[name].weak_type
        assert copied[name].unsafe_buffer_pointer() != tree[name].unsafe_buffer_pointer()

    @functools.partial(jax.jit, donate_argnums=0)
    def bump(t):
        return jax.tree_util.tree_map(lambda a: a + 1, t)

    bump(copied)
    assert not any(a.is_deleted() for a in jax.tree_util.tree_leaves(tree))
    np.testing.assert_array_equal(tree["w"], np.arange(6.0).reshape(2, 3))


def _model():
    model = jkeras.Sequential([jkeras.Input((4,)), jkeras.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_on_batch_calls_compile_once_and_keep_arrays_the_caller_holds():
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 4)).astype("float32"), rng.integers(0, 3, 8)
    model = _model()
    held = model.get_variables()
    before = jax.tree_util.tree_map(np.asarray, held)
    kernel = model.get_weights()[0]
    for _ in range(2):  # first calls: the steps, the copies, the metric zeros
        model.train_on_batch(x, y)
        model.test_on_batch(x, y)
        model.predict_on_batch(x)
    model.fit(x, y, epochs=1, verbose=0)  # one call: a program that does not donate the weights
    model.fit(x, y, epochs=2, verbose=0)  # its programs; a later epoch adds none
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: compiles.append(kw.get("fun_name"))
        if event == "/jax/core/compile/backend_compile_duration" else None)
    try:
        losses = [model.train_on_batch(x, y)[0] for _ in range(3)]
        model.test_on_batch(x, y)
        model.predict_on_batch(x)
        model.fit(x, y, epochs=1, verbose=0)
        model.fit(x, y, epochs=2, verbose=0)
    finally:
        jax.monitoring.clear_event_listeners()
    assert compiles == []
    assert losses[2] < losses[0]  # the steps train
    for leaf, value in zip(jax.tree_util.tree_leaves(held), jax.tree_util.tree_leaves(before)):
        assert not leaf.is_deleted()
        np.testing.assert_array_equal(leaf, value)
    assert not np.allclose(model.get_weights()[0], kernel)


def test_train_on_batch_matches_one_epoch_of_fit_on_the_same_batch():
    rng = np.random.default_rng(1)
    x, y = rng.random((8, 4)).astype("float32"), rng.integers(0, 3, 8)
    a, b = _model(), _model()
    b.set_weights(a.get_weights())
    a.train_on_batch(x, y)
    b.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)


def test_on_batch_calls_draw_a_key_only_for_programs_that_read_it():
    """`predict_on_batch` / `test_on_batch` hand their program a key only where a layer draws in
    inference (Monte-Carlo dropout): two calls then differ; elsewhere the outputs are `predict`'s."""
    x = np.random.default_rng(0).random((16, 8)).astype("float32")
    y = np.zeros((16, 1), "float32")
    inputs = jkeras.Input((8,))
    mc = jkeras.Model(inputs, jkeras.layers.Dense(1)(jkeras.layers.Dropout(0.5)(inputs, training=True)))
    plain = jkeras.Sequential([jkeras.Input((8,)), jkeras.layers.Dropout(0.5), jkeras.layers.Dense(1)])
    for model in (mc, plain):
        model.compile("sgd", "mse")
    assert not np.array_equal(mc.predict_on_batch(x), mc.predict_on_batch(x))
    assert mc.test_on_batch(x, y) != mc.test_on_batch(x, y)
    counter = jk_random._seed["counter"]
    np.testing.assert_allclose(plain.predict_on_batch(x), plain.predict(x, verbose=0), rtol=1e-6)
    assert plain.test_on_batch(x, y) == pytest.approx(plain.evaluate(x, y, verbose=0), rel=1e-6)
    assert plain.predict_on_batch(x).shape == (16, 1)
    assert jk_random._seed["counter"] == counter + 2  # the keys of `predict` and `evaluate` only


def test_reads_last_input_follows_the_key_through_equations():
    from jkeras.models.training import _reads_last_input

    def uses(v, key):
        return v * jax.random.uniform(jax.random.fold_in(key, 1), v.shape)

    def ignores(v, key):
        jax.random.fold_in(key, 1)  # computed, but nothing returned comes from it
        return v * 2

    for fn, expected in ((uses, True), (ignores, False), (lambda v, key: (v, key), True)):
        jaxpr = jax.make_jaxpr(fn)(jnp.ones(3), jax.random.PRNGKey(0)).jaxpr
        assert _reads_last_input(jaxpr) is expected

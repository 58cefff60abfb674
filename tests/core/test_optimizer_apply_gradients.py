"""`optimizer.apply_gradients(zip(grads, vars))` and `optimizer.apply(grads, vars)` update
variables in place, as Keras 3's do (the reference), and `apply(grads, params)` stays pure."""
import warnings

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jkeras

RTOL, ATOL = 2e-5, 2e-6
OPTIMIZERS = [("SGD", {"learning_rate": 0.1, "momentum": 0.9}), ("Adam", {"learning_rate": 0.01})]
RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 3)).astype("float32")
Y = RNG.standard_normal((8, 2)).astype("float32")


def _dense_pair():
    """The same Dense(2) on 3 inputs in jkeras and Keras 3."""
    ours, ref = jkeras.layers.Dense(2), keras.layers.Dense(2)
    ours.build((None, 3))
    ref.build((None, 3))
    weights = [RNG.standard_normal((3, 2)).astype("float32"), RNG.standard_normal(2).astype("float32")]
    ours.set_weights(weights)
    ref.set_weights(weights)
    return ours, ref


def _loss(weights):
    kernel, bias = weights
    return jnp.mean((X @ kernel + bias - Y) ** 2)


def _assert_same(ours_vars, ref_vars):
    for a, b in zip(ours_vars, ref_vars):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS)
@pytest.mark.parametrize("form", ["apply_gradients", "apply", "apply_built"])
def test_three_steps_match_keras(name, kwargs, form):
    ours, ref = _dense_pair()
    ours_opt, ref_opt = getattr(jkeras.optimizers, name)(**kwargs), getattr(keras.optimizers, name)(**kwargs)
    for step in range(3):
        # jax.grad over the layer's weights: Variables enter as their arrays.
        ours_grads = jax.grad(_loss)(ours.trainable_weights)
        ref_grads = jax.grad(_loss)([v.value for v in ref.trainable_weights])
        assert all(isinstance(g, jax.Array) for g in ours_grads)
        if form == "apply_gradients":
            returned = ours_opt.apply_gradients(zip(ours_grads, ours.trainable_weights))
            ref_returned = ref_opt.apply_gradients(zip(ref_grads, ref.trainable_weights))
            assert int(returned) == int(ref_returned)
        elif form == "apply" or step == 0:
            assert ours_opt.apply(ours_grads, ours.trainable_variables) is None
            ref_opt.apply(ref_grads, ref.trainable_variables)
        else:  # after the first call: the variables the optimizer was built with
            ours_opt.apply(ours_grads)
            ref_opt.apply(ref_grads)
        _assert_same(ours.trainable_weights, ref.trainable_weights)
        assert int(ours_opt.iterations) == int(ref_opt.iterations) == step + 1
    assert ours_opt.built


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS)
def test_none_gradient_skips_weight_and_its_state(name, kwargs):
    ours, ref = _dense_pair()
    ours_opt, ref_opt = getattr(jkeras.optimizers, name)(**kwargs), getattr(keras.optimizers, name)(**kwargs)
    for step in range(3):
        ours_grads = list(jax.grad(_loss)(ours.trainable_weights))
        ref_grads = list(jax.grad(_loss)([v.value for v in ref.trainable_weights]))
        if step == 1:  # the kernel has no gradient this step: Keras skips it (with a warning)
            ours_grads[0] = ref_grads[0] = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours_opt.apply_gradients(zip(ours_grads, ours.trainable_weights))
        ref_opt.apply_gradients(zip(ref_grads, ref.trainable_weights))
        assert any("Gradients do not exist" in str(w.message) for w in caught) == (step == 1)
        _assert_same(ours.trainable_weights, ref.trainable_weights)
    assert ours_opt.iterations == int(ref_opt.iterations) == 3


def test_subset_and_reordered_variables_match_keras():
    ours, ref = _dense_pair()
    ours_opt, ref_opt = jkeras.optimizers.Adam(0.05), keras.optimizers.Adam(0.05)
    ours_opt.build(ours.trainable_variables)
    ref_opt.build(ref.trainable_variables)
    for _ in range(2):
        ours_grads = jax.grad(_loss)(ours.trainable_weights)
        ref_grads = jax.grad(_loss)([v.value for v in ref.trainable_weights])
        ours_opt.apply(ours_grads[::-1], ours.trainable_weights[::-1])
        ref_opt.apply(ref_grads[::-1], ref.trainable_weights[::-1])
        ours_opt.apply(ours_grads[1:], ours.trainable_weights[1:])  # the bias alone
        ref_opt.apply(ref_grads[1:], ref.trainable_weights[1:])
        _assert_same(ours.trainable_weights, ref.trainable_weights)
    assert ours_opt.iterations == int(ref_opt.iterations) == 4


def test_keras_variables_and_state_built_from_arrays():
    weights = [RNG.standard_normal((3, 2)).astype("float32"), RNG.standard_normal(2).astype("float32")]
    ours_vars = [jkeras.Variable(w) for w in weights]
    ref_vars = [keras.Variable(w) for w in weights]
    ours_opt, ref_opt = jkeras.optimizers.SGD(0.1, momentum=0.5), keras.optimizers.SGD(0.1, momentum=0.5)
    ours_opt.build(weights)  # a state for arrays: the variables are adopted on first apply
    for _ in range(3):
        ours_opt.apply_gradients(zip(jax.grad(_loss)(ours_vars), ours_vars))
        ref_opt.apply_gradients(zip(jax.grad(_loss)([v.value for v in ref_vars]), ref_vars))
    _assert_same(ours_vars, ref_vars)


def test_errors_as_keras():
    ours, ref = _dense_pair()
    grads = [np.ones((3, 2), "float32"), np.ones(2, "float32")]
    for lib, layer in ((jkeras, ours), (keras, ref)):
        opt = lib.optimizers.SGD(0.1)
        with pytest.raises(ValueError, match="built"):
            opt.apply(grads)  # never built on variables
        with pytest.raises(ValueError, match="(?i)no gradients"):
            opt.apply_gradients(zip([None, None], layer.trainable_weights))
        opt.apply(grads, layer.trainable_weights)
        other = lib.layers.Dense(2)
        other.build((None, 3))
        with pytest.raises(ValueError, match="(?i)unknown variable"):
            opt.apply(grads, other.trainable_weights)
    opt = jkeras.optimizers.SGD(0.1)
    with pytest.raises(ValueError, match="1 gradients for 2 variables"):
        opt.apply(grads[:1], ours.trainable_weights)
    opt = jkeras.optimizers.SGD(0.1, momentum=0.5)
    opt.build([np.ones(5, "float32")])  # a state (momentums) for other weights
    with pytest.raises(ValueError, match="state built for other weights"):
        opt.apply(grads, ours.trainable_weights)
    with pytest.raises(ValueError, match="all variables or all arrays"):
        opt.apply(grads, [ours.trainable_weights[0], np.ones(2, "float32")])


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS)
def test_pure_apply_on_arrays_unchanged(name, kwargs):
    ours, ref = _dense_pair()
    opt, ref_opt = getattr(jkeras.optimizers, name)(**kwargs), getattr(keras.optimizers, name)(**kwargs)
    params = {"kernel": jnp.asarray(ours.get_weights()[0]), "bias": jnp.asarray(ours.get_weights()[1])}
    before = ours.get_weights()
    for _ in range(3):
        grads = dict(zip(("kernel", "bias"), jax.grad(_loss)([params["kernel"], params["bias"]])))
        params = opt.apply(grads, params)
        ref_opt.apply(jax.grad(_loss)([v.value for v in ref.trainable_weights]), ref.trainable_weights)
    _assert_same([params["kernel"], params["bias"]], ref.trainable_weights)
    _assert_same(ours.get_weights(), before)  # the layer itself did not move
    assert opt.iterations == 3


def test_weight_constraint_applied_after_update():
    weights = [np.full((3, 2), 0.5, "float32"), np.zeros(2, "float32")]
    layers = []
    for lib in (jkeras, keras):
        layer = lib.layers.Dense(2, kernel_constraint=lib.constraints.NonNeg())
        layer.build((None, 3))
        layer.set_weights(weights)
        opt = lib.optimizers.SGD(1.0)
        grads = [np.asarray([[1.0, -1.0]] * 3, "float32"), np.ones(2, "float32")]
        opt.apply_gradients(zip(grads, layer.trainable_weights))
        layers.append(layer)
    _assert_same(layers[0].trainable_weights, layers[1].trainable_weights)
    assert np.asarray(layers[0].trainable_weights[0]).min() == 0.0

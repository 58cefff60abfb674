"""Rematerialization: RematScope / remat (Keras 3's names). Gradients must equal the plain ones and
the gradient's jaxpr must hold a checkpoint (remat) exactly where a mode applies."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jkeras
from jkeras import layers

X = np.random.default_rng(2).standard_normal((4, 3)).astype("float32")


def _has_remat(fn, *args):
    text = str(jax.make_jaxpr(jax.grad(fn))(*args))
    return "remat" in text or "checkpoint" in text


def _model(scope):
    with scope:
        block = jkeras.Sequential([layers.Dense(8, activation="tanh", name="b1"),
                                   layers.Dense(8, activation="tanh", name="b2")], name="block")
        model = jkeras.Sequential([jkeras.Input((3,)), layers.Dense(8, name="d0"), block, layers.Dense(1, name="out")])
    return model


def _loss(model):
    return lambda variables: jnp.sum(model.apply(variables, X, training=True)[0] ** 2)


def test_a_block_named_in_list_of_layers_is_checkpointed_and_gradients_are_unchanged():
    plain = _model(jkeras.RematScope(mode=None))
    remat = _model(jkeras.RematScope(mode="list_of_layers", layer_names=["block"]))
    remat.set_weights(plain.get_weights())
    grads_plain = jax.grad(_loss(plain))(plain.get_variables())
    grads_remat = jax.grad(_loss(remat))(remat.get_variables())
    for a, b in zip(jax.tree_util.tree_leaves(grads_plain), jax.tree_util.tree_leaves(grads_remat)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not _has_remat(_loss(plain), plain.get_variables())
    assert _has_remat(_loss(remat), remat.get_variables())
    assert remat.get_layer("block")._remat_mode is not None and remat.get_layer("d0")._remat_mode is not None
    assert not _has_remat(lambda v: jnp.sum(remat.get_layer("d0").forward(v, X)[0]),
                          remat.get_layer("d0").get_variables())


def test_full_mode_fits_to_the_same_weights():
    y = X.sum(axis=1, keepdims=True)
    models = []
    for scope in (jkeras.RematScope(mode=None), jkeras.RematScope(mode="full")):
        jkeras.utils.set_random_seed(3)
        model = _model(scope)
        model.compile(optimizer="sgd", loss="mse")
        model.fit(X, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
        models.append(model)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _layer_has_remat(layer):
    layer.build((None, 3))
    return _has_remat(lambda v: jnp.sum(layer.forward(v, X)[0]), layer.get_variables())


def test_activations_and_larger_than_modes():
    with jkeras.RematScope("activations"):
        with_activation, without = layers.Dense(4, activation="relu"), layers.BatchNormalization()
    assert _layer_has_remat(with_activation) and not _layer_has_remat(without)
    with jkeras.RematScope("larger_than", output_size_threshold=10):
        small, large = layers.Dense(2), layers.Dense(3)  # outputs of 4 * 2 and 4 * 3 values
    assert not _layer_has_remat(small) and _layer_has_remat(large)
    with jkeras.RematScope("full"):
        with jkeras.RematScope(None):
            off = layers.Dense(2)
        on = layers.Dense(2)
    assert not _layer_has_remat(off) and _layer_has_remat(on)


def test_remat_function_and_invalid_mode():
    def f(x):
        return jnp.sum(jnp.sin(jnp.cos(x)))

    np.testing.assert_allclose(jax.grad(jkeras.remat(f))(X), jax.grad(f)(X), rtol=1e-6)
    assert _has_remat(jkeras.remat(f), X) and not _has_remat(f, X)
    with pytest.raises(ValueError, match="invalid mode 'some'"):
        jkeras.RematScope("some")

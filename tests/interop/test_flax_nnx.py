"""FlaxLayer around flax.nnx modules; the reference is the nnx module itself."""
import jax
import numpy as np
import pytest
from flax import nnx

import jkeras
from jkeras import layers

X = np.random.default_rng(5).standard_normal((16, 5)).astype("float32")


class Block(nnx.Module):
    def __init__(self, rngs, dropout=0.0):
        self.linear = nnx.Linear(5, 4, rngs=rngs)
        self.norm = nnx.BatchNorm(4, momentum=0.9, rngs=rngs)
        self.drop = nnx.Dropout(dropout, rngs=rngs)

    def __call__(self, x):
        return self.drop(self.norm(self.linear(x)))


def test_weights_are_the_modules_variables_and_inference_matches_eval_mode():
    module = Block(nnx.Rngs(0))
    layer = layers.FlaxLayer(module)
    assert [(w.name, w.trainable) for w in layer.weights] == [
        ("linear/bias", True), ("linear/kernel", True), ("norm/bias", True), ("norm/scale", True),
        ("norm/mean", False), ("norm/var", False)]
    np.testing.assert_array_equal(layer.weights[1].numpy(), module.linear.kernel[...])
    module.eval()
    np.testing.assert_allclose(layer(X), module(X), rtol=1e-6, atol=1e-6)


def test_training_step_updates_statistics_as_the_module_does():
    module = Block(nnx.Rngs(0))
    model = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(module, name="nnx_block")])
    out, state = model.apply(model.get_variables(), X, training=True, rng=jax.random.PRNGKey(0))
    module.train()
    expected = module(X)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state["nnx_block"]["norm/mean"], module.norm.mean[...], rtol=1e-5, atol=1e-7)


def test_fit_dropout_rng_and_weights_round_trip(tmp_path):
    model = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(Block(nnx.Rngs(1), dropout=0.5)), layers.Dense(1)])
    variables = model.get_variables()
    first, _ = model.apply(variables, X, training=True, rng=jax.random.PRNGKey(1))
    second, _ = model.apply(variables, X, training=True, rng=jax.random.PRNGKey(2))
    assert not np.allclose(first, second)
    y = X.sum(axis=1, keepdims=True)
    model.compile(optimizer=jkeras.optimizers.Adam(0.02), loss="mse")
    before = model.evaluate(X, y, verbose=0)
    model.fit(X, y, epochs=20, verbose=0)
    assert model.evaluate(X, y, verbose=0) < 0.5 * before
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = jkeras.Sequential([jkeras.Input((5,)), layers.FlaxLayer(Block(nnx.Rngs(9), dropout=0.5)), layers.Dense(1)])
    fresh.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_allclose(fresh.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_nnx_errors():
    with pytest.raises(ValueError, match="`variables` is for flax.linen"):
        layers.FlaxLayer(Block(nnx.Rngs(0)), variables={})
    with pytest.raises(ValueError, match="nnx module.*save_weights"):
        layers.FlaxLayer(Block(nnx.Rngs(0))).get_config()

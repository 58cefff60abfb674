"""Models pickle as their `.keras` file (Keras 3's `Model.__reduce__`); deep copies stay plain
copies of every attribute."""
import copy
import pickle

import numpy as np
import pytest

import jkeras
from jkeras import layers


@jkeras.saving.register_keras_serializable(package="test_pickle")
class Scale(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w


def _trained():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 3)).astype("float32"), rng.standard_normal((32, 2)).astype("float32")
    inputs = jkeras.Input((3,))
    model = jkeras.Model(inputs, layers.Dense(2)(Scale()(inputs)))
    model.compile(jkeras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model, x, y


def test_pickle_round_trip_keeps_weights_compile_and_optimizer_state():
    model, x, y = _trained()
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(clone.optimizer.iterations) == int(model.optimizer.iterations) == 8
    # Training on continues from the same optimizer state: both take the same steps.
    for m in (model, clone):
        m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), clone.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert clone.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_deepcopy_is_an_independent_copy():
    model, x, y = _trained()
    twin = copy.deepcopy(model)
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))
    twin.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(twin.get_weights()[0], model.get_weights()[0])

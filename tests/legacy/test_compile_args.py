"""Keras 2 compile arguments: sample_weight_mode="temporal", weighted_metrics, target_tensors."""
import numpy as np
import pytest

import jkeras
from jkeras import layers


def _sequence_model():
    model = jkeras.Sequential([layers.SimpleRNN(4, return_sequences=True, input_shape=(5, 3)),
                               layers.TimeDistributed(layers.Dense(2))])
    return model


def test_temporal_sample_weights_weight_each_timestep():
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 5, 3)).astype("float32"), rng.random((8, 5, 2)).astype("float32")
    weights = (rng.random((8, 5)) > 0.3).astype("float32")
    model = _sequence_model()
    model.compile("sgd", "mse", sample_weight_mode="temporal", weighted_metrics=["mae"])
    loss, mae = model.evaluate(x, y, sample_weight=weights, batch_size=8, verbose=0)
    pred = model.predict(x, verbose=0)
    per_step = ((pred - y) ** 2).mean(-1)
    # Keras 3's reduction: sum of weighted per-timestep losses over the number of entries.
    np.testing.assert_allclose(loss, (per_step * weights).sum() / weights.size, rtol=1e-5)
    np.testing.assert_allclose(mae, (np.abs(pred - y).mean(-1) * weights).sum() / weights.sum(), rtol=1e-5)
    first = model.evaluate(x, y, sample_weight=weights, verbose=0)[0]
    model.fit(x, y, sample_weight=weights, epochs=5, batch_size=4, verbose=0)
    assert model.evaluate(x, y, sample_weight=weights, verbose=0)[0] < first


def test_zero_weighted_timesteps_do_not_train():
    rng = np.random.default_rng(1)
    x, y = rng.random((4, 5, 3)).astype("float32"), rng.random((4, 5, 2)).astype("float32")
    model = _sequence_model()
    model.compile("sgd", "mse", sample_weight_mode="temporal")
    before = model.get_weights()
    model.fit(x, y, sample_weight=np.zeros((4, 5), "float32"), epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bad_mode_and_target_tensors_errors():
    model = _sequence_model()
    with pytest.raises(ValueError, match="sample_weight_mode must be None or 'temporal'.*'element'"):
        model.compile("sgd", "mse", sample_weight_mode="element")
    with pytest.raises(ValueError, match="target_tensors.*model.fit\\(x, y\\)"):
        model.compile("sgd", "mse", target_tensors=[np.zeros((8, 5, 2))])
    model.compile("sgd", "mse", sample_weight_mode=["temporal"])
    assert model.compiled

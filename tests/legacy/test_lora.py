"""LoRA on Dense and Embedding against Keras 3: weights, outputs, training, saving."""
import numpy as np
import pytest

import jkeras
import keras
from jkeras import layers


def _pair(jk_layer, k_layer, shape, rank, alpha=None):
    jk_layer.build(shape)
    k_layer.build(shape)
    jk_layer.enable_lora(rank, lora_alpha=alpha)
    k_layer.enable_lora(rank, lora_alpha=alpha)
    rng = np.random.default_rng(0)
    values = [rng.normal(size=w.shape).astype("float32") for w in k_layer.weights]
    k_layer.set_weights(values)
    jk_layer.set_weights(values)
    return values


def test_dense_lora_matches_keras():
    jk, k = layers.Dense(3, name="d"), keras.layers.Dense(3, name="d")
    _pair(jk, k, (None, 4), rank=2, alpha=6)
    assert [(w.name, w.trainable, w.shape) for w in jk.weights] == \
        [(w.name, w.trainable, tuple(w.shape)) for w in k.weights]
    x = np.random.default_rng(1).random((5, 4)).astype("float32")
    np.testing.assert_allclose(np.asarray(jk(x)), np.asarray(k(x)), rtol=1e-5, atol=1e-5)
    assert {"lora_rank": 2, "lora_alpha": 6}.items() <= jk.get_config().items()
    assert jk.get_config()["lora_rank"] == k.get_config()["lora_rank"]


def test_embedding_lora_matches_keras():
    jk, k = layers.Embedding(10, 3), keras.layers.Embedding(10, 3)
    _pair(jk, k, (None, 4), rank=2)
    assert [(w.name, w.trainable) for w in jk.weights] == [(w.name, w.trainable) for w in k.weights]
    idx = np.array([[0, 3, 9, 1]])
    np.testing.assert_allclose(np.asarray(jk(idx)), np.asarray(k(idx)), rtol=1e-5, atol=1e-5)


def test_lora_rank_in_constructor_and_errors():
    d = layers.Dense(4, lora_rank=2)
    y = d(np.ones((1, 3), "float32"))
    assert d.lora_enabled and [w.name for w in d.trainable_weights] == ["bias", "lora_kernel_a", "lora_kernel_b"]
    # b starts at zero: enabling LoRA leaves the outputs unchanged.
    np.testing.assert_allclose(np.asarray(y), np.ones((1, 3)) @ d.get_weights()[0] + d.get_weights()[1], rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="already enabled"):
        d.enable_lora(2)
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(2).enable_lora(2)
    with pytest.raises(ValueError, match="kernel_constraint"):
        layers.Dense(2, kernel_constraint="max_norm", lora_rank=2)
    with pytest.raises(ValueError, match="lora_rank"):
        layers.Dense(2, lora_rank=0)


def test_fit_changes_only_the_lora_factors_and_outputs_equal_the_merged_kernel():
    rng = np.random.default_rng(0)
    x = rng.random((64, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 2))).astype("float32")
    model = jkeras.Sequential([layers.Dense(8, activation="tanh", input_shape=(6,)), layers.Dense(2)])
    model.compile(jkeras.optimizers.Adam(0.02), "mse")
    model.fit(x, y, epochs=2, verbose=0)
    for layer in model.layers:
        layer.enable_lora(2)
    before = {w.path: w.numpy() for w in model.weights}
    start = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < start
    for w in model.weights:
        changed = not np.array_equal(before[w.path], w.numpy())
        assert changed == w.trainable, (w.path, changed)
    first = model.layers[0]
    kernel, bias, a, b = first.get_weights()
    merged = kernel + (first.lora_alpha / first.lora_rank) * a @ b
    np.testing.assert_allclose(np.asarray(first(x)), np.tanh(x @ merged + bias), rtol=1e-5, atol=1e-5)


def test_weights_file_stores_the_merged_kernel_as_keras(tmp_path):
    model = jkeras.Sequential([layers.Dense(3, input_shape=(4,), name="d")])
    model.layers[0].enable_lora(2)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.weights])
    x = rng.random((5, 4)).astype("float32")
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "lora.weights.h5")
    model.save_weights(path)
    # Keras 3 reads it into a plain Dense: the file holds the merged kernel and the bias.
    reference = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    reference.load_weights(path)
    np.testing.assert_allclose(reference.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    # jkeras loads it into a LoRA layer as Keras does: merged kernel, factors reset to zero.
    again = jkeras.Sequential([layers.Dense(3, input_shape=(4,), name="d", lora_rank=2)])
    again.load_weights(path)
    np.testing.assert_array_equal(again.layers[0].get_weights()[3], 0.0)
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)

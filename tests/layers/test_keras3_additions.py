"""Keras 3 names jkeras added late (adaptive pooling, fold / unfold / rearrange, GroupQueryAttention,
ReversibleEmbedding, SpectralNormalization, backend and callback helpers), each against Keras 3
running the same thing."""
import json

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras
from jkeras import layers

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def same_config(ours, theirs):
    """`ours.get_config()` equals Keras's but for the name and the dtype policy, which jkeras
    writes as its name (as its every layer does)."""
    expected = dict(theirs.get_config())
    if isinstance(expected.get("dtype"), dict):
        expected["dtype"] = expected["dtype"]["config"]["name"]
    expected["name"] = ours.name
    assert ours.get_config() == expected


# ------------------------------------------------------------------------------------------
# Adaptive pooling


# Sizes that divide, that do not (overlapping windows) and that grow (5 -> 7 repeats entries).
_ADAPTIVE_CASES = [
    ("AdaptiveAveragePooling", 1, "channels_last", (10,), 4),
    ("AdaptiveMaxPooling", 1, "channels_first", (5,), 7),
    ("AdaptiveMaxPooling", 2, "channels_last", (7, 9), (3, 4)),
    ("AdaptiveAveragePooling", 2, "channels_first", (8, 6), 4),
    ("AdaptiveAveragePooling", 3, "channels_last", (5, 6, 7), (2, 3, 4)),
    ("AdaptiveMaxPooling", 3, "channels_first", (4, 6, 5), 3),
]


@pytest.mark.parametrize("kind, rank, data_format, sizes, output_size", _ADAPTIVE_CASES)
def test_adaptive_pooling_matches_keras(kind, rank, data_format, sizes, output_size):
    shape = (2,) + sizes + (3,) if data_format == "channels_last" else (2, 3) + sizes
    layer, out = check_layer(
        lambda lib: getattr(lib.layers, f"{kind}{rank}D")(output_size, data_format=data_format),
        input_shape=shape, grads=rank == 2 and data_format == "channels_last",
    )
    k_layer = getattr(keras.layers, f"{kind}{rank}D")(output_size, data_format=data_format)
    same_config(layer, k_layer)
    assert layer.compute_output_shape(shape) == k_layer.compute_output_shape(shape)


def test_adaptive_pooling_in_a_model_fits_predicts_and_jits():
    model = jkeras.Sequential([
        jkeras.Input((9, 7, 2)), layers.Conv2D(4, 3, padding="same"),
        layers.AdaptiveMaxPooling2D((2, 3)), layers.AdaptiveAveragePooling2D(1), layers.Flatten(),
        layers.Dense(1),
    ])
    assert model.output_shape == (None, 1)
    x, y = rand(8, 9, 7, 2), rand(8, 1)
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    variables = model.get_variables()
    jitted = jax.jit(lambda v, x: model.apply(v, x)[0])
    np.testing.assert_allclose(np.asarray(jitted(variables, x)), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_adaptive_pooling_errors():
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(TypeError, match="output_size"):
        keras.layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="data_format"):
        layers.AdaptiveMaxPooling1D(3, data_format="nhwc")
    with pytest.raises(ValueError, match="rank 4"):
        layers.AdaptiveMaxPooling2D(3)(rand(2, 5, 3))

"""Helpers the application tests share: build the Keras 3 and the jkeras model with the same
arguments, compare their structure, randomize their statistics, compare their outputs."""
import contextlib

import keras
import numpy as np

import jkeras
from jkeras import applications as ja

RNG = np.random.default_rng(7)

# Layer settings compared between the two models, layer by layer.
CONFIG_KEYS = ("filters", "kernel_size", "strides", "padding", "activation", "use_bias", "axis", "epsilon",
               "momentum", "depth_multiplier", "rate", "noise_shape", "max_value", "negative_slope", "threshold",
               "pool_size", "target_shape", "keepdims", "units", "dilation_rate", "center", "scale", "offset")


def build(kind, **kwargs):
    """The Keras and the jkeras model of `kind` with the same arguments (fresh default names)."""
    keras.backend.clear_session()
    jkeras.backend.clear_session()
    k_model = getattr(keras.applications, kind)(**kwargs)
    j_model = getattr(ja, kind)(**kwargs)
    return k_model, j_model


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def _hyperparameters(layer):
    config = layer.get_config()
    return {key: _tuples(config[key]) for key in CONFIG_KEYS if key in config}


def assert_same_structure(k_model, j_model):
    assert j_model.name == k_model.name
    assert [layer.name for layer in j_model.layers] == [layer.name for layer in k_model.layers]
    assert [type(layer).__name__ for layer in j_model.layers] == [type(layer).__name__ for layer in k_model.layers]
    assert [w.path for w in j_model.weights] == [w.path for w in k_model.weights]
    assert [tuple(w.shape) for w in j_model.weights] == [tuple(w.shape) for w in k_model.weights]
    assert [w.path for w in j_model.trainable_weights] == [w.path for w in k_model.trainable_weights]
    assert tuple(j_model.input_shape) == tuple(k_model.input_shape)
    assert tuple(j_model.output_shape) == tuple(k_model.output_shape)
    assert [_hyperparameters(lay) for lay in j_model.layers] == [_hyperparameters(lay) for lay in k_model.layers]


def randomize(model):
    """Gives a (Keras or jkeras) model random batch-norm and normalization statistics (fresh ones
    make every output ~0); Keras's `Normalization` reads its weights again (as after loading)."""
    values = []
    for w, value in zip(model.weights, model.get_weights()):
        name = w.path.rsplit("/", 1)[-1]
        if name in ("gamma", "moving_variance", "variance"):
            value = RNG.uniform(0.5, 1.5, value.shape)
        elif name in ("beta", "moving_mean", "bias", "mean"):
            value = RNG.normal(0.0, 0.2, value.shape)
        values.append(np.asarray(value, value.dtype if name == "count" else "float32"))
    model.set_weights(values)
    for layer in model.layers:
        if hasattr(layer, "finalize_state"):
            layer.finalize_state()


def batch(model, n=2, low=-1.0, high=1.0):
    return RNG.uniform(low, high, (n,) + tuple(model.input_shape[1:])).astype("float32")


def assert_close(actual, expected):
    expected = np.asarray(expected)
    assert np.abs(expected).max() > 1e-2  # a meaningful comparison, not of zeros
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@contextlib.contextmanager
def cheap_random_initializers():
    """Draws the initial weights of both libraries with NumPy: JAX compiles its random functions
    for every new weight shape, which makes building the big models take minutes. The tests
    overwrite the initial values (or compare only shapes), so the draws do not matter."""
    import jax.numpy as jnp
    import pytest
    from keras.src import backend as k_backend

    import jkeras.core._initializer_classes as j_init

    rng = np.random.default_rng(0)

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return jnp.asarray(rng.standard_normal(tuple(shape)) * stddev + mean, dtype or "float32")

    def truncated(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return jnp.asarray(np.clip(rng.standard_normal(tuple(shape)), -2, 2) * stddev + mean, dtype or "float32")

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return jnp.asarray(rng.uniform(minval, maxval, tuple(shape)), dtype or "float32")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(k_backend.random, "normal", normal)
        mp.setattr(k_backend.random, "truncated_normal", truncated)
        mp.setattr(k_backend.random, "uniform", uniform)
        mp.setattr(j_init, "_normal", lambda key, shape, dtype, mean, stddev: normal(shape, mean, stddev, dtype))
        mp.setattr(j_init, "_truncated_normal",
                   lambda key, shape, dtype, mean, stddev: truncated(shape, mean, stddev, dtype))
        mp.setattr(j_init, "_uniform", lambda key, shape, dtype, lo, hi: uniform(shape, lo, hi, dtype))
        yield

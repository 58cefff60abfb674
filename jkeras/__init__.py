"""jkeras: the classic Keras API on JAX.

    import jkeras as keras
    model = keras.Sequential([keras.layers.Dense(64, activation="relu", input_shape=(784,)),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)

Every layer and model is also a pure pair `init(rng, input_shape)` / `apply(variables, x, ...)`
usable under `jax.jit`, `jax.grad` and `jax.vmap`.
"""
from jkeras import activations, backend, callbacks, constraints, datasets, initializers, layers, losses, metrics
from jkeras import distribution, mixed_precision, models, ops, optimizers, random, regularizers, utils
from jkeras.functional_api import functional
from jkeras.mixed_precision import DTypePolicy
from jkeras.models import Model, Sequential
from jkeras.models.remat import RematScope, remat
from jkeras.models.input_layer import Input, InputLayer
from jkeras import applications
from jkeras import config, dtype_policies, quantizers, tree, wrappers
from jkeras import engine, initializations, objectives  # Keras 1 / 2 module names, reachable as attributes
# Keras 3's top-level names for the base classes.
from jkeras.initializers import Initializer
from jkeras.layers import InputSpec, Layer
from jkeras.losses import Loss
from jkeras.metrics import Metric
from jkeras.models.node import KerasTensor
from jkeras.models.variable import KerasVariable as Variable
from jkeras.optimizers import Optimizer
from jkeras.regularizers import Regularizer

FloatDTypePolicy = DTypePolicy

__version__ = "0.1.0"


def version():
    """The jkeras version string."""
    return __version__


def device(device_name):
    """A context in which new arrays and computations go to `device_name` ("cpu", "gpu:1", ...).

    Raises:
        ValueError: for a malformed name or a device this machine does not have.
    """
    import jax

    kind, _, index = str(device_name).lower().partition(":")
    try:
        devices = jax.devices("gpu" if kind == "cuda" else kind)
        return jax.default_device(devices[int(index or 0)])
    except (RuntimeError, ValueError, IndexError):
        raise ValueError(f"device: no device {device_name!r} here; this machine has "
                         f"{[str(d) for d in jax.devices()]}") from None

__all__ = [
    "DTypePolicy", "Input", "InputLayer", "Model", "RematScope", "Sequential", "activations", "applications",
    "backend", "callbacks",
    "constraints", "datasets", "distribution",
    "initializers", "layers", "losses", "metrics", "mixed_precision", "models", "ops",
    "optimizers", "random", "regularizers", "utils", "functional", "remat",
    "config", "dtype_policies", "quantizers", "tree", "wrappers", "FloatDTypePolicy", "Initializer", "InputSpec", "KerasTensor",
    "Layer", "Loss", "Metric", "Optimizer", "Regularizer", "Variable", "device", "version",
]

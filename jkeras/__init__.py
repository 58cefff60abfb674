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
from jkeras import distribution, mixed_precision, models, ops, optimizers, regularizers, utils
from jkeras.functional_api import functional
from jkeras.mixed_precision import DTypePolicy
from jkeras.models import Model, Sequential
from jkeras.models.remat import RematScope, remat
from jkeras.models.input_layer import Input, InputLayer
from jkeras import applications

__version__ = "0.1.0"

__all__ = [
    "DTypePolicy", "Input", "InputLayer", "Model", "RematScope", "Sequential", "activations", "applications",
    "backend", "callbacks",
    "constraints", "datasets", "distribution",
    "initializers", "layers", "losses", "metrics", "mixed_precision", "models", "ops",
    "optimizers", "regularizers", "utils", "functional", "remat",
]

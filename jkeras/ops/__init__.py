"""`jkeras.ops`: Keras 3's `keras.ops` on JAX (`ops.matmul`, `ops.relu`, `ops.mean`, `ops.image.resize`).

Every function of `keras.ops` (and of its submodules `numpy`, `nn`, `linalg`, `image`) is here
with Keras's name, argument names, defaults and results (Keras's JAX backend). Layer weights
(`Variable`s) are read as their arrays. On symbolic tensors (a functional model's `KerasTensor`s)
an op records an `OpLambda` layer in the graph instead of computing; the layer's config names it
("ops.mean", "ops.image.resize").

Any other name of `jax.nn`, `jax.numpy` or `jax.lax` resolves to that function, wrapped the same way.
"""
import jax
import jax.numpy as jnp

from jkeras.ops import core, image, linalg, math, nn, numpy
from jkeras.ops._base import op
from jkeras.ops._fold import fold, unfold  # noqa: F401
from jkeras.ops.core import *  # noqa: F401,F403
from jkeras.ops.einops import rearrange  # noqa: F401
from jkeras.ops.linalg import *  # noqa: F401,F403
from jkeras.ops.math import *  # noqa: F401,F403
from jkeras.ops.nn import *  # noqa: F401,F403
from jkeras.ops.numpy import *  # noqa: F401,F403

# The submodules an OpLambda's saved name may go through ("ops.image.resize").
SUBMODULES = ("core", "image", "linalg", "math", "nn", "numpy")


def __getattr__(name):
    if not name.startswith("_"):
        for namespace in (jax.nn, jnp, jax.lax):
            fn = getattr(namespace, name, None)
            if callable(fn) and not isinstance(fn, type):
                wrapped = op(fn, name=name)
                globals()[name] = wrapped
                return wrapped
    raise AttributeError(f"jkeras.ops has no function '{name}'")

"""`jkeras.ops`: Keras 3's `keras.ops` names on JAX (`ops.matmul`, `ops.relu`, `ops.mean`, ...).

Each name resolves to the `jax.nn` function of that name, else the `jax.numpy` one, with layer
weights (`Variable`s) converted to their arrays first. On symbolic tensors (a functional model's
`KerasTensor`s) an op records an `OpLambda` layer in the graph instead.
"""
import functools

import jax
import jax.numpy as jnp

from jkeras.backend import _v
from jkeras.models.node import symbolic

_ALIASES = {"silu": "silu", "swish": "silu", "gelu": "gelu", "convert_to_tensor": "asarray",
            "convert_to_numpy": "asarray", "shape": "shape", "cast": "astype"}


def _wrap(fn, name):
    @functools.wraps(fn)
    def op(*args, **kwargs):
        args = [_v(a) if not isinstance(a, (list, tuple)) else type(a)(_v(x) for x in a) for a in args]
        return fn(*args, **kwargs)

    return symbolic("ops", name, op)  # on KerasTensors: an OpLambda in the functional graph


def _cast(x, dtype):
    return jnp.asarray(_v(x)).astype(dtype)


cast = _wrap(_cast, "cast")


def __getattr__(name):
    target = _ALIASES.get(name, name)
    for namespace in (jax.nn, jnp, jax.lax):
        fn = getattr(namespace, target, None)
        if callable(fn):
            op = _wrap(fn, name)
            globals()[name] = op
            return op
    raise AttributeError(f"jkeras.ops has no function '{name}'")

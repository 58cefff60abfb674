"""What every `jkeras.ops` function shares: turning arguments into arrays, and recording itself
in a functional model's graph when given symbolic tensors."""
import functools

import jax.numpy as jnp
import numpy as np

from jkeras.backend import _v
from jkeras.core import config
from jkeras.core.config import epsilon, floatx  # noqa: F401  (shared by the op modules)
from jkeras.core.symbolic import symbolic
from jkeras.models.node import map_structure


def _t(x, dtype=None):
    """`x` (an array, a Variable, a NumPy array, a number or a nested list) as a JAX array."""
    x = _v(x)
    if dtype is not None:
        dtype = standardize_dtype(dtype)
        if dtype == "bfloat16" and not hasattr(x, "dtype"):
            return jnp.asarray(x).astype(dtype)
    return jnp.asarray(x, dtype=dtype)


def standardize_dtype(dtype):
    """A dtype's name ("float32", "int32", ...), as Keras writes it; `None` stays `None`."""
    if dtype is None:
        return None
    if hasattr(dtype, "dtype") and not isinstance(dtype, type):
        dtype = dtype.dtype
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    if name is None:
        name = jnp.dtype(dtype).name
    aliases = {"float": "float32", "int": "int32", "double": "float64", "half": "float16"}
    name = aliases.get(name, name)
    try:
        return jnp.dtype(name).name
    except TypeError as error:
        raise ValueError(f"Invalid dtype: expected a dtype name such as 'float32', received {dtype!r}") from error


def op(fn=None, *, name=None):
    """Makes `fn` a `jkeras.ops` function named `name` (default: `fn.__name__`, or
    "image.NAME" style for submodule-only ops): Variables among its arguments become their arrays,
    and KerasTensors make it record an `OpLambda` layer named "ops.NAME" instead of computing."""
    if fn is None:
        return functools.partial(op, name=name)

    @functools.wraps(fn)
    def unwrapped(*args, **kwargs):
        args = map_structure(_v, args)
        kwargs = map_structure(_v, kwargs)
        return fn(*args, **kwargs)

    return symbolic("ops", name or fn.__name__, unwrapped)


def check_data_format(data_format):
    """Keras's default data format when `data_format` is None, else `data_format` checked."""
    if data_format is None:
        return config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', received data_format={data_format!r}"
        )
    return data_format


def is_int_dtype(dtype):
    return np.issubdtype(np.dtype(dtype), np.integer) or np.dtype(dtype) == np.bool_

"""Dtype names as Keras 3 spells them (`standardize_dtype`, `result_type`, ...)."""
import jax.numpy as jnp
import numpy as np

from jkeras.core import config

# Python types as Keras's JAX backend reads them (JAX's default precision).
_PYTHON_TYPES = {int: "int32", float: "float32", bool: "bool", complex: "complex64"}


def standardize_dtype(dtype):
    """The dtype's name ("float32", "int8", "bfloat16", ...); None gives `floatx()`.

    Raises:
        ValueError: for something that is not a dtype.
    """
    if dtype is None:
        return config.floatx()
    if dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    if isinstance(dtype, str) and dtype in ("float", "int", "complex"):
        raise ValueError(f"Invalid dtype: {dtype}")
    try:
        return jnp.dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, type) else dtype).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype}") from None


def result_type(*dtypes):
    """The dtype that values of all `dtypes` promote to, by JAX's promotion rules (Keras 3's).

    Python `int` / `float` are weak: `result_type(int, "float16")` is "float16".
    """
    if not dtypes:
        return config.floatx()
    args = [d if d in (int, float, bool, complex) else jnp.dtype(standardize_dtype(d)) for d in dtypes]
    return jnp.result_type(*args).name


def is_float_dtype(dtype):
    """True for a floating dtype (bfloat16 included)."""
    return jnp.issubdtype(jnp.dtype(standardize_dtype(dtype)), jnp.floating)


def is_int_dtype(dtype):
    """True for a signed or unsigned integer dtype."""
    return jnp.issubdtype(jnp.dtype(standardize_dtype(dtype)), jnp.integer)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """`x`, `(x, y)` or `(x, y, sample_weight)`, as `fit` reads batches (a tuple or list `x`
    alone becomes `(x,)`)."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` (None where
    missing).

    Raises:
        ValueError: for a tuple of another length.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if 1 <= len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                     f"found: {data}")

"""`jkeras.ops` core operations (Keras's `keras.src.ops.core`): conversion and casting, control
flow (`cond`, `while_loop`, `scan`, ...), scatter / slice updates, gradients."""
import builtins

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from jkeras.backend import _v
from jkeras.ops._base import _t, op, standardize_dtype


@op
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """`x` (array, Variable, NumPy array, number, nested list) as a JAX array of `dtype`.

    Raises:
        ValueError: for `sparse=True` or `ragged=True` (not supported with JAX arrays).
    """
    if sparse:
        raise ValueError("convert_to_tensor: sparse=True is not supported (no sparse tensors in jkeras)")
    if ragged:
        raise ValueError("convert_to_tensor: ragged=True is not supported with JAX")
    return _t(x, dtype)


def convert_to_numpy(x):
    """`x` as a NumPy array."""
    x = _v(x)
    if hasattr(x, "dtype") and x.dtype == jnp.bfloat16:
        return np.array(x, dtype=ml_dtypes.bfloat16)
    return np.array(x)


def is_tensor(x):
    """True for a JAX array (not for NumPy arrays or Python numbers)."""
    return isinstance(x, jax.Array)


def shape(x):
    """The shape of `x` as a tuple (None for a symbolic tensor's unknown dimensions)."""
    return tuple(_v(x).shape)


def dtype(x):
    """The dtype of `x` as a standardized string, e.g. "float32"."""
    return standardize_dtype(_v(x).dtype)


@op
def cast(x, dtype):
    """`x` converted to `dtype`."""
    return _t(x, dtype)


def _limits(dtype):
    if dtype == "bool":
        return 0, 1
    info = ml_dtypes.iinfo(dtype) if "int" in dtype else ml_dtypes.finfo(dtype)
    return info.min, info.max


@op
def saturate_cast(x, dtype):
    """`x` cast to `dtype`, clipped first to the range both dtypes can hold."""
    x = _t(x)
    dtype, in_dtype = standardize_dtype(dtype), standardize_dtype(x.dtype)
    (in_min, in_max), (out_min, out_max) = _limits(in_dtype), _limits(dtype)
    low = np.maximum(in_min, out_min).astype(in_dtype)
    if low < out_min:
        low = np.nextafter(low, 0, dtype=in_dtype)
    high = np.minimum(in_max, out_max).astype(in_dtype)
    if high > out_max:
        high = np.nextafter(high, 0, dtype=in_dtype)
    return jnp.clip(x, low, high).astype(dtype)


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`, traceable (`jax.lax.cond`)."""
    return jax.lax.cond(_v(pred), true_fn, false_fn)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`, at most `maximum_iterations`
    times; returns the final loop variables (a tuple when given a tuple / list)."""
    is_tuple = isinstance(loop_vars, (tuple, list))
    loop_vars = tuple(loop_vars) if is_tuple else (loop_vars,)

    def step(args):
        out = body(*args)
        return tuple(out) if is_tuple else (out,)

    if maximum_iterations is None:
        out = jax.lax.while_loop(lambda args: cond(*args), step, loop_vars)
    else:
        out = jax.lax.while_loop(
            lambda args: jnp.logical_and(cond(*args[0]), args[1] < maximum_iterations),
            lambda args: (step(args[0]), args[1] + 1), (loop_vars, 0),
        )[0]
    return out if is_tuple else out[0]


def fori_loop(lower, upper, body_fun, init_val):
    """`init_val` after `val = body_fun(i, val)` for i in [lower, upper)."""
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """`jax.lax.scan`: carries `init` through `f(carry, x)` over the leading axis of `xs`;
    returns (final carry, stacked outputs)."""
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"scan: unroll must be a positive int or a bool, received unroll={unroll!r}")
    return jax.lax.scan(f, init, xs, length=length, reverse=reverse, unroll=unroll)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of `elems` along `axis` with the associative binary function `f`."""
    return jax.lax.associative_scan(f, elems, reverse, axis)


def map(f, xs):
    """`f` applied to each slice of `xs` along its leading axis, results stacked."""
    return jax.lax.map(f, xs)


def switch(index, branches, *operands):
    """`branches[index](*operands)` (index clamped to the valid range)."""
    return jax.lax.switch(_v(index), branches, *operands)


def vectorized_map(function, elements):
    """`function` mapped over the leading axis of `elements` (`jax.vmap`)."""
    return jax.vmap(function)(elements)


def custom_gradient(f):
    """Decorator: `f` returns `(output, grad_fn)`, `grad_fn(upstream)` giving the input gradients."""
    custom = jax.custom_gradient(fun=f)

    def wrapper(*args, **kwargs):
        return custom(*[_v(a) for a in args], **{k: _v(v) for k, v in kwargs.items()})

    return wrapper


@op
def stop_gradient(variable):
    """`variable`'s value, with no gradient flowing through it."""
    return jax.lax.stop_gradient(_t(variable))


@op
def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (..., rank)."""
    values = _t(values)
    key = tuple(jnp.moveaxis(_t(indices), -1, 0))
    return jnp.zeros(shape, values.dtype).at[key].add(values)


@op
def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with `updates` written at `indices` (num_updates, rank), or combined there by
    `reduction` ("add", "max", "min", "mul").

    Raises:
        ValueError: for an unknown `reduction`.
    """
    inputs = _t(inputs)
    at = inputs.at[tuple(jnp.transpose(jnp.asarray(indices)))]
    updates = _t(updates)
    actions = {None: at.set, "add": at.add, "max": at.max, "min": at.min, "mul": at.multiply}
    if reduction not in actions:
        raise ValueError(
            f"scatter_update: reduction must be None, 'add', 'max', 'min' or 'mul', received {reduction!r}"
        )
    return actions[reduction](updates)


@op
def slice(inputs, start_indices, shape):
    """The block of `inputs` of `shape` (-1: to the end) starting at `start_indices`."""
    inputs = _t(inputs)
    shape = tuple(inputs.shape[i] - start_indices[i] if s == -1 else s for i, s in enumerate(shape))
    return jax.lax.dynamic_slice(inputs, start_indices, shape)


@op
def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates`."""
    inputs = _t(inputs)
    return jax.lax.dynamic_update_slice(inputs, _t(updates, inputs.dtype), start_indices)


@op
def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis`, as a list.

    Raises:
        ValueError: when `num` is given and differs from `x.shape[axis]`.
    """
    x = _t(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"unstack: num={num} differs from the size {x.shape[axis]} of axis {axis}")
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis])]


__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor", "custom_gradient",
    "dtype", "fori_loop", "is_tensor", "map", "saturate_cast", "scan", "scatter", "scatter_update",
    "shape", "slice", "slice_update", "stop_gradient", "switch", "unstack", "vectorized_map",
    "while_loop",
]

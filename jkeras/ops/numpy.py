"""`jkeras.ops.numpy`: Keras 3's NumPy-like operations (`keras.ops.numpy`), with Keras's names,
argument names and defaults, on JAX arrays (and on symbolic tensors in functional models)."""
import builtins
import math as _math

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.ops._base import _t, floatx, op, standardize_dtype

# Element-wise functions of one tensor `x`, and of two tensors `x1`, `x2`: jax.numpy's function of
# the same name on the arguments as arrays.
_UNARY = (
    "abs", "absolute", "angle", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh",
    "bartlett", "bitwise_invert", "bitwise_not", "blackman", "cbrt", "conj", "conjugate",
    "copy", "corrcoef", "cos", "cosh", "deg2rad", "exp", "exp2", "expm1", "fabs", "fliplr",
    "flipud", "hamming", "hanning", "i0", "imag", "isfinite", "isinf", "isnan", "isneginf",
    "isposinf", "isreal", "log", "log10", "log1p", "log2", "logical_not", "ndim", "negative",
    "nonzero", "rad2deg", "ravel", "real", "reciprocal", "sign", "signbit", "sin", "sinc", "sinh",
    "size", "sqrt", "square", "tan", "tanh", "trunc",
)
_BINARY = (
    "add", "arctan2", "divide", "dot", "equal", "floor_divide", "fmax", "fmin", "fmod", "gcd",
    "greater", "greater_equal", "heaviside", "hypot", "inner", "kron", "lcm", "ldexp", "less",
    "less_equal", "logaddexp", "logaddexp2", "logical_and", "logical_or", "logical_xor", "matmul",
    "maximum", "minimum", "mod", "multiply", "nextafter", "not_equal", "outer", "power", "subtract",
    "true_divide", "vdot",
)
# Reductions `f(x, axis=None, keepdims=False)`.
_REDUCTIONS = (
    "all", "amax", "amin", "any", "argmax", "argmin", "mean", "median", "nanargmax", "nanargmin",
    "nanmax", "nanmean", "nanmedian", "nanmin", "nanprod", "nanstd", "nansum", "nanvar", "ptp",
    "std", "sum", "var",
)


def _unary(name):
    fn = getattr(jnp, name)

    def unary(x):
        return fn(_t(x))

    unary.__name__ = unary.__qualname__ = name
    unary.__doc__ = f"Element-wise `{name}` of `x` (Keras's `ops.{name}`)."
    return op(unary)


def _binary(name):
    fn = getattr(jnp, name)

    def binary(x1, x2):
        return fn(_t(x1), _t(x2))

    binary.__name__ = binary.__qualname__ = name
    binary.__doc__ = f"Element-wise `{name}` of `x1` and `x2`, broadcast (Keras's `ops.{name}`)."
    return op(binary)


def _reduction(name):
    fn = getattr(jnp, name)

    def reduction(x, axis=None, keepdims=False):
        return fn(_t(x), axis=axis, keepdims=keepdims)

    reduction.__name__ = reduction.__qualname__ = name
    reduction.__doc__ = f"`{name}` of `x` over `axis` (all axes when None) (Keras's `ops.{name}`)."
    return op(reduction)


for _name in _UNARY:
    globals()[_name] = _unary(_name)
for _name in _BINARY:
    globals()[_name] = _binary(_name)
for _name in _REDUCTIONS:
    globals()[_name] = _reduction(_name)


@op
def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return jnp.allclose(_t(x1), _t(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


@op
def append(x1, x2, axis=None):
    return jnp.append(_t(x1), _t(x2), axis=axis)


@op
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop) (in [0, start) without `stop`), every `step`."""
    if dtype is None:
        values = [v for v in (start, stop, step) if v is not None]
        dtype = jnp.result_type(*[getattr(v, "dtype", type(v)) for v in values])
        dtype = "float32" if jnp.issubdtype(dtype, jnp.floating) else "int32" if dtype != jnp.bool_ else dtype
    return jnp.arange(start, stop, step=step, dtype=standardize_dtype(dtype))


@op
def argpartition(x, kth, axis=-1):
    return jnp.argpartition(_t(x), kth=kth, axis=axis)


@op
def argsort(x, axis=-1):
    return jnp.argsort(_t(x), axis=axis)


@op
def array(x, dtype=None):
    return jnp.array(_t(x), dtype=dtype)


@op
def array_split(x, indices_or_sections, axis=0):
    return jnp.array_split(_t(x), indices_or_sections=indices_or_sections, axis=axis)


@op
def average(x, axis=None, weights=None):
    return jnp.average(_t(x), axis=axis, weights=None if weights is None else _t(weights))


@op
def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts of each non-negative int in `x` (1-D, or per row of a 2-D `x`), weighted by `weights`.

    Raises:
        ValueError: for `sparse=True` (no sparse tensors in jkeras).
    """
    if sparse:
        raise ValueError("bincount: sparse=True is not supported (no sparse tensors in jkeras)")
    x = _t(x)
    weights = None if weights is None else _t(weights)
    length = builtins.max(int(jnp.max(x)) + 1 if x.size else 0, minlength)
    if x.ndim == 2:
        if weights is None:
            return jnp.stack([jnp.bincount(row, length=length) for row in x])
        return jnp.stack([jnp.bincount(row, w, length=length) for row, w in zip(x, weights)])
    return jnp.bincount(x, weights, minlength=minlength, length=length)


@op
def bitwise_and(x, y):
    return jnp.bitwise_and(_t(x), _t(y))


@op
def bitwise_left_shift(x, y):
    return jnp.bitwise_left_shift(_t(x), _t(y))


@op
def bitwise_or(x, y):
    return jnp.bitwise_or(_t(x), _t(y))


@op
def bitwise_right_shift(x, y):
    return jnp.bitwise_right_shift(_t(x), _t(y))


@op
def bitwise_xor(x, y):
    return jnp.bitwise_xor(_t(x), _t(y))


@op
def broadcast_to(x, shape):
    return jnp.broadcast_to(_t(x), shape=shape)


@op
def clip(x, x_min, x_max):
    """`x` with values below `x_min` set to `x_min` and above `x_max` to `x_max` (bool as int32)."""
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype("int32")
    return jnp.clip(x, _t(x_min), _t(x_max))


@op
def concatenate(xs, axis=0):
    return jnp.concatenate([_t(v) for v in xs], axis=axis)


@op
def correlate(x1, x2, mode='valid'):
    return jnp.correlate(_t(x1), _t(x2), mode=mode)


@op
def count_nonzero(x, axis=None):
    return jnp.count_nonzero(_t(x), axis=axis)


@op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return jnp.cross(_t(x1), _t(x2), axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


@op
def cumprod(x, axis=None, dtype=None):
    return jnp.cumprod(_t(x), axis=axis, dtype=dtype)


@op
def cumsum(x, axis=None, dtype=None):
    return jnp.cumsum(_t(x), axis=axis, dtype=dtype)


@op
def diag(x, k=0):
    return jnp.diag(_t(x), k=k)


@op
def diagflat(x, k=0):
    return jnp.diagflat(_t(x), k=k)


@op
def diagonal(x, offset=0, axis1=0, axis2=1):
    return jnp.diagonal(_t(x), offset=offset, axis1=axis1, axis2=axis2)


@op
def diff(a, n=1, axis=-1):
    return jnp.diff(_t(a), n=n, axis=axis)


@op
def digitize(x, bins):
    return jnp.digitize(_t(x), _t(bins))


@op
def divide_no_nan(x1, x2):
    """`x1 / x2`, with 0 wherever `x2` is 0."""
    x1, x2 = _t(x1), _t(x2)
    safe = jnp.where(x2 == 0, 1, x2)
    return jnp.where(x2 == 0, 0, jnp.divide(x1, safe))


@op
def dsplit(x, indices_or_sections):
    return jnp.dsplit(_t(x), indices_or_sections=indices_or_sections)


@op
def dstack(xs):
    return jnp.dstack([_t(v) for v in xs])


@op
def einsum(subscripts, *operands, **kwargs):
    return jnp.einsum(subscripts, *[_t(v) for v in operands], **kwargs)


@op
def empty(shape, dtype=None):
    return jnp.empty(shape, dtype=dtype)


@op
def empty_like(x, dtype=None):
    return jnp.empty_like(_t(x), dtype=dtype)


@op
def expand_dims(x, axis):
    return jnp.expand_dims(_t(x), axis=axis)


@op
def eye(N, M=None, k=0, dtype=None):
    return jnp.eye(N, M=M, k=k, dtype=dtype)


@op
def flip(x, axis=None):
    return jnp.flip(_t(x), axis=axis)


@op
def full(shape, fill_value, dtype=None):
    return jnp.full(shape, fill_value=fill_value, dtype=dtype)


@op
def full_like(x, fill_value, dtype=None):
    return jnp.full_like(_t(x), fill_value=fill_value, dtype=dtype)


@op
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return jnp.geomspace(start, stop=stop, num=num, endpoint=endpoint, dtype=dtype, axis=axis)


@op
def get_item(x, key):
    """`x[key]`."""
    return x[key]


@op
def histogram(x, bins=10, range=None):
    return jnp.histogram(_t(x), bins=bins, range=range)


@op
def hsplit(x, indices_or_sections):
    return jnp.hsplit(_t(x), indices_or_sections=indices_or_sections)


@op
def hstack(xs):
    return jnp.hstack([_t(v) for v in xs])


@op
def identity(n, dtype=None):
    return jnp.identity(n, dtype=dtype)


@op
def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return jnp.isclose(_t(x1), _t(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


@op
def isin(x1, x2, assume_unique=False, invert=False):
    return jnp.isin(_t(x1), _t(x2), assume_unique=assume_unique, invert=invert)


@op
def kaiser(x, beta):
    return jnp.kaiser(_t(x), beta=beta)


@op
def left_shift(x, y):
    return jnp.left_shift(_t(x), _t(y))


@op
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    return jnp.linspace(start, stop=stop, num=num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis)


@op
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return jnp.logspace(start, stop=stop, num=num, endpoint=endpoint, base=base, dtype=dtype, axis=axis)


@op
def max(x, axis=None, keepdims=False, initial=None):
    return jnp.max(_t(x), axis=axis, keepdims=keepdims, initial=initial)


@op
def meshgrid(*x, indexing='xy'):
    return jnp.meshgrid(*[_t(v) for v in x], indexing=indexing)


@op
def min(x, axis=None, keepdims=False, initial=None):
    return jnp.min(_t(x), axis=axis, keepdims=keepdims, initial=initial)


@op
def moveaxis(x, source, destination):
    return jnp.moveaxis(_t(x), source=source, destination=destination)


@op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return jnp.nan_to_num(_t(x), nan=nan, posinf=posinf, neginf=neginf)


@op
def nancumprod(x, axis=None, dtype=None):
    return jnp.nancumprod(_t(x), axis=axis, dtype=dtype)


@op
def nancumsum(x, axis=None, dtype=None):
    return jnp.nancumsum(_t(x), axis=axis, dtype=dtype)


@op
def nanpercentile(x, q, axis=None, method='linear', keepdims=False):
    return jnp.nanpercentile(_t(x), q=q, axis=axis, method=method, keepdims=keepdims)


@op
def nanquantile(x, q, axis=None, method='linear', keepdims=False):
    return jnp.nanquantile(_t(x), q=q, axis=axis, method=method, keepdims=keepdims)


@op
def ones(shape, dtype=None):
    return jnp.ones(shape, dtype=dtype)


@op
def ones_like(x, dtype=None):
    return jnp.ones_like(_t(x), dtype=dtype)


@op
def pad(x, pad_width, mode="constant", constant_values=None):
    """`x` padded by `pad_width` ((before, after) per axis) in `mode`.

    Raises:
        ValueError: for `constant_values` with a mode other than "constant".
    """
    kwargs = {}
    if constant_values is not None:
        if mode != "constant":
            raise ValueError(
                f"pad: `constant_values` can only be given with mode='constant', received mode={mode!r}"
            )
        kwargs["constant_values"] = constant_values
    return jnp.pad(_t(x), pad_width, mode=mode, **kwargs)


@op
def percentile(x, q, axis=None, method='linear', keepdims=False):
    return jnp.percentile(_t(x), q=q, axis=axis, method=method, keepdims=keepdims)


@op
def prod(x, axis=None, keepdims=False, dtype=None):
    return jnp.prod(_t(x), axis=axis, keepdims=keepdims, dtype=dtype)


@op
def quantile(x, q, axis=None, method='linear', keepdims=False):
    return jnp.quantile(_t(x), q=q, axis=axis, method=method, keepdims=keepdims)


@op
def repeat(x, repeats, axis=None):
    """`x`'s elements repeated `repeats` times along `axis` (flattened first when None). As in
    NumPy and `tf.repeat`, `repeats` may be a list (one count per element, or one for all);
    Keras 3's JAX backend rejects a list, which the keras-io Conditional GAN passes."""
    if isinstance(repeats, (list, tuple)):
        repeats = np.asarray(repeats)
    return jnp.repeat(_t(x), repeats=repeats, axis=axis)


@op
def reshape(x, newshape):
    """`x` with shape `newshape` (one entry may be -1)."""
    return jnp.reshape(_t(x), newshape)


@op
def right_shift(x, y):
    return jnp.right_shift(_t(x), _t(y))


@op
def roll(x, shift, axis=None):
    return jnp.roll(_t(x), shift=shift, axis=axis)


@op
def rot90(array, k=1, axes=(0, 1)):
    return jnp.rot90(_t(array), k=k, axes=axes)


@op
def round(x, decimals=0):
    """`x` rounded half to even, to `decimals` decimals."""
    x = _t(x)
    if jnp.issubdtype(x.dtype, jnp.integer) and decimals < 0:
        factor = jnp.asarray(10.0 ** decimals, floatx())
        return jnp.round(x.astype(floatx()) * factor).__truediv__(factor).astype(x.dtype)
    return jnp.round(x, decimals=decimals)


@op
def searchsorted(sorted_sequence, values, side='left'):
    return jnp.searchsorted(_t(sorted_sequence), _t(values), side=side)


@op
def select(condlist, choicelist, default=0):
    return jnp.select([_t(c) for c in condlist], [_t(c) for c in choicelist], default=default)


@op
def slogdet(x):
    """(sign, log |det|) of the square matrices `x`."""
    return tuple(jnp.linalg.slogdet(_t(x)))


@op
def sort(x, axis=-1):
    return jnp.sort(_t(x), axis=axis)


@op
def split(x, indices_or_sections, axis=0):
    return jnp.split(_t(x), indices_or_sections=indices_or_sections, axis=axis)


@op
def squeeze(x, axis=None):
    return jnp.squeeze(_t(x), axis=axis)


@op
def stack(x, axis=0):
    return jnp.stack([_t(v) for v in x], axis=axis)


@op
def swapaxes(x, axis1, axis2):
    return jnp.swapaxes(_t(x), axis1=axis1, axis2=axis2)


@op
def take(x, indices, axis=None):
    return jnp.take(_t(x), _t(indices), axis=axis)


@op
def take_along_axis(x, indices, axis=None):
    return jnp.take_along_axis(_t(x), _t(indices), axis=axis)


@op
def tensordot(x1, x2, axes=2):
    return jnp.tensordot(_t(x1), _t(x2), axes=axes)


@op
def tile(x, repeats):
    """`x` repeated `repeats` times along each axis.

    Raises:
        ValueError: if `repeats` is an array traced inside a jitted function or a model's call
            (its values are not known there).
    """
    try:
        return jnp.tile(_t(x), repeats)
    except (TypeError, jax.errors.ConcretizationTypeError):
        if not builtins.any(isinstance(r, jax.core.Tracer) for r in jax.tree_util.tree_leaves(repeats)):
            raise
        raise ValueError(
            "tile: `repeats` must be Python ints where the function is traced (as in a model's "
            "call), e.g. `(batch_size, 1, 1)` with `batch_size = ops.shape(x)[0]`; got a traced "
            f"array: {repeats!r}"
        ) from None


@op
def trace(x, offset=0, axis1=0, axis2=1):
    return jnp.trace(_t(x), offset=offset, axis1=axis1, axis2=axis2)


@op
def transpose(x, axes=None):
    return jnp.transpose(_t(x), axes=axes)


@op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    return jnp.trapezoid(_t(y), x=None if x is None else _t(x), dx=dx, axis=axis)


@op
def tri(N, M=None, k=0, dtype=None):
    return jnp.tri(N, M=M, k=k, dtype=dtype)


@op
def tril(x, k=0):
    return jnp.tril(_t(x), k=k)


@op
def triu(x, k=0):
    return jnp.triu(_t(x), k=k)


@op
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None, size=None, fill_value=None):
    return jnp.unique(_t(x), sorted=sorted, return_index=return_index, return_inverse=return_inverse, return_counts=return_counts, axis=axis, size=size, fill_value=fill_value)


@op
def unravel_index(indices, shape):
    return jnp.unravel_index(_t(indices), shape=shape)


@op
def vander(x, N=None, increasing=False):
    return jnp.vander(_t(x), N=N, increasing=increasing)


@op
def vectorize(pyfunc, *, excluded=None, signature=None):
    return jnp.vectorize(pyfunc, excluded=excluded, signature=signature)


@op
def view(x, dtype=None):
    """The bits of `x` read as `dtype`."""
    return _t(x).view(dtype=standardize_dtype(dtype))


@op
def vsplit(x, indices_or_sections):
    return jnp.vsplit(_t(x), indices_or_sections=indices_or_sections)


@op
def vstack(xs):
    return jnp.vstack([_t(v) for v in xs])


@op
def where(condition, x1=None, x2=None):
    """`x1` where `condition`, else `x2`; given only `condition`, the indices where it is true."""
    if x1 is None and x2 is None:
        return jnp.where(_t(condition))
    if x1 is None or x2 is None:
        raise ValueError("where: give both `x1` and `x2`, or neither")
    return jnp.where(_t(condition), _t(x1), _t(x2))


@op
def zeros(shape, dtype=None):
    return jnp.zeros(shape, dtype=dtype)


@op
def zeros_like(x, dtype=None):
    return jnp.zeros_like(_t(x), dtype=dtype)



@op
def ceil(x):
    """The smallest integer at or above each element of `x` (ints and bools give floats)."""
    x = _t(x)
    return jnp.ceil(x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(floatx()))


@op
def floor(x):
    """The largest integer at or below each element of `x` (ints and bools give floats)."""
    x = _t(x)
    return jnp.floor(x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(floatx()))


__all__ = [
    "ceil", "floor",
    "abs", "absolute", "add", "all", "allclose", "amax", "amin", "angle", "any", "append", "arange",
    "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "argmax", "argmin",
    "argpartition", "argsort", "array", "array_split", "average", "bartlett", "bincount",
    "bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not", "bitwise_or",
    "bitwise_right_shift", "bitwise_xor", "blackman", "broadcast_to", "cbrt", "clip",
    "concatenate", "conj", "conjugate", "copy", "corrcoef", "correlate", "cos", "cosh",
    "count_nonzero", "cross", "cumprod", "cumsum", "deg2rad", "diag", "diagflat", "diagonal",
    "diff", "digitize", "divide", "divide_no_nan", "dot", "dsplit", "dstack", "einsum", "empty",
    "empty_like", "equal", "exp", "exp2", "expand_dims", "expm1", "eye", "fabs", "flip", "fliplr",
    "flipud", "floor_divide", "fmax", "fmin", "fmod", "full", "full_like", "gcd",
    "geomspace", "get_item", "greater", "greater_equal", "hamming", "hanning", "heaviside",
    "histogram", "hsplit", "hstack", "hypot", "i0", "identity", "imag", "inner", "isclose",
    "isfinite", "isin", "isinf", "isnan", "isneginf", "isposinf", "isreal", "kaiser", "kron", "lcm",
    "ldexp", "left_shift", "less", "less_equal", "linspace", "log", "log10", "log1p", "log2",
    "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor",
    "logspace", "matmul", "max", "maximum", "mean", "median", "meshgrid", "min", "minimum", "mod",
    "moveaxis", "multiply", "nan_to_num", "nanargmax", "nanargmin", "nancumprod", "nancumsum",
    "nanmax", "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd",
    "nansum", "nanvar", "ndim", "negative", "nextafter", "nonzero", "not_equal", "ones",
    "ones_like", "outer", "pad", "percentile", "power", "prod", "ptp", "quantile", "rad2deg",
    "ravel", "real", "reciprocal", "repeat", "reshape", "right_shift", "roll", "rot90", "round",
    "searchsorted", "select", "sign", "signbit", "sin", "sinc", "sinh", "size", "slogdet", "sort",
    "split", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "take",
    "take_along_axis", "tan", "tanh", "tensordot", "tile", "trace", "transpose", "trapezoid", "tri",
    "tril", "triu", "true_divide", "trunc", "unique", "unravel_index", "vander", "var", "vdot",
    "vectorize", "view", "vsplit", "vstack", "where", "zeros", "zeros_like",
]

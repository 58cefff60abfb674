"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and their global versions.

Every class is a few lines over one implementation parametrized by the number of spatial axes
(`_rank`) and the reduction (`_reducer`: "max" or "average"). Windows that tile the input (the
default strides) are reduced over reshaped window axes; others with `lax.reduce_window`.
`_SpatialLayer` and the argument helpers are shared with `jkeras.layers.reshaping`.
"""
import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jkeras.core import config
from jkeras.models.layer import Layer
from jkeras.utils.legacy import DATA_FORMAT_VALUES, LegacyInterface

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
]

_SPATIAL_NAMES = {1: "steps", 2: "rows, cols", 3: "dim1, dim2, dim3"}


# ----------------------------------------------------------------------------------------------
# Argument helpers (shared with reshaping.py)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _int_tuple(layer, arg, value, n, minimum=1):
    """`value` (an int, or a sequence of `n` ints) as a tuple of `n` ints >= `minimum`."""
    values = (value,) * n if _is_int(value) else value
    if (
        not isinstance(values, (tuple, list)) or len(values) != n
        or not all(_is_int(v) and v >= minimum for v in values)
    ):
        raise layer._error(f"{arg} must be an int or a tuple of {n} ints >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def _pairs(layer, arg, value, rank):
    """`value` as `rank` pairs `(before, after)` of ints >= 0.

    Accepts an int (the same on both sides of every axis); for rank 1 a pair; for rank > 1 a
    sequence of `rank` entries, each an int (symmetric) or a pair.
    """
    expected = (
        "an int or a pair of ints >= 0" if rank == 1
        else f"an int, a tuple of {rank} ints or a tuple of {rank} pairs of ints, all >= 0"
    )
    if _is_int(value):
        entries = ((value, value),) * rank
    elif rank == 1:
        entries = (value,)
    elif isinstance(value, (tuple, list)) and len(value) == rank:
        entries = tuple((v, v) if _is_int(v) else v for v in value)
    else:
        raise layer._error(f"{arg} must be {expected}, got {value!r}")
    for entry in entries:
        if (
            not isinstance(entry, (tuple, list)) or len(entry) != 2
            or not all(_is_int(v) and v >= 0 for v in entry)
        ):
            raise layer._error(f"{arg} must be {expected}, got {value!r}")
    return tuple((int(a), int(b)) for a, b in entries)


def _data_format(layer, value):
    """'channels_last' or 'channels_first'; None means `jkeras.backend.image_data_format()`."""
    if value is None:
        return config.image_data_format()
    fmt = str(value).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise layer._error(f"data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return fmt


def _dim_ordering(preprocess=None):
    """Keras 1's `dim_ordering="tf" / "th"` as `data_format`, after an optional `preprocess`."""
    return LegacyInterface(renames={"dim_ordering": "data_format"}, values={"data_format": DATA_FORMAT_VALUES},
                           preprocess=preprocess)


def _is_float(dtype):
    return jnp.issubdtype(dtype, jnp.floating)


class _SpatialLayer(Layer):
    """A weightless layer over inputs `(batch, *spatial, channels)` (or channels first) with `_rank`
    spatial axes; output shapes come from `_output_spatial`, the exact formula."""

    _rank = None

    def _layout(self):
        names = _SPATIAL_NAMES[self._rank]
        if self.data_format == "channels_last":
            return f"(batch, {names}, channels)"
        return f"(batch, channels, {names})"

    def _spatial_axes(self):
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self._rank))

    def _spatial(self, input_shape):
        return tuple(input_shape[axis] for axis in self._spatial_axes())

    def _output_spatial(self, input_shape):
        """The output sizes of the spatial axes (None where unknown); raises for inputs too small."""
        return self._spatial(input_shape)

    def _check_input_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) != self._rank + 2:
            raise self._error(
                f"expected an input of rank {self._rank + 2} {self._layout()}, got shape {input_shape}"
            )
        self._output_spatial(input_shape)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape)
        shape = list(input_shape)
        for axis, size in zip(self._spatial_axes(), self._output_spatial(input_shape)):
            shape[axis] = size
        return tuple(shape)

    def _output_dtype(self, dtype):
        return self.compute_dtype if _is_float(dtype) else str(np.dtype(dtype))

    def _prepare(self, inputs):
        """The input array, floats cast to the layer's dtype, after checking its shape."""
        inputs = jnp.asarray(inputs)
        self._check_input_shape(tuple(inputs.shape))
        return inputs.astype(self._output_dtype(inputs.dtype))

    def compute_mask(self, inputs, mask=None):
        return None


# ----------------------------------------------------------------------------------------------
# Windowed pooling


def _lowest(dtype):
    return -jnp.inf if _is_float(dtype) else jnp.iinfo(dtype).min


def _tile_windows(x, axes, pool):
    """`x` with each spatial axis in `axes` cropped to a multiple of its pool size and split into
    `(size // pool, pool)`; returns it and the positions of the window axes."""
    x = x[tuple(slice(0, n - n % pool[axes.index(a)]) if a in axes else slice(None)
                for a, n in enumerate(x.shape))]
    shape, window_axes = [], []
    for axis, size in enumerate(x.shape):
        if axis in axes:
            p = pool[axes.index(axis)]
            shape += [size // p, p]
            window_axes.append(len(shape) - 1)
        else:
            shape.append(size)
    return x.reshape(shape), tuple(window_axes)


def _window_shape(x, axes, pool):
    """`reduce_window`'s window (and stride) over `x` for windows of size `pool` on `axes`."""
    return tuple(pool[axes.index(a)] if a in axes else 1 for a in range(x.ndim))


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _tiled_max(x, axes, pool):
    """The max over windows of size `pool` on `axes` that tile `x` (what does not fill a window
    dropped). Inference runs XLA's `reduce_window`, which XLA's CPU backend fuses with the
    convolution before it (the Keras MNIST convnet's predict: 2.7 against 1.75 ms a batch with
    the reshaped form); differentiated, the reshaped windows (2.5x `reduce_window`'s speed in
    value and gradient), the derivative flowing to the first maximum of each window in row-major
    order, as `reduce_window`'s does (select-and-scatter), ties included."""
    window = _window_shape(x, axes, pool)
    return lax.reduce_window(x, np.array(_lowest(x.dtype), x.dtype), lax.max, window, window, "VALID")


@_tiled_max.defjvp
def _tiled_max_jvp(axes, pool, primals, tangents):
    (x,), (x_dot,) = primals, tangents
    tiles, window_axes = _tile_windows(x, axes, pool)
    tangent = _tile_windows(x_dot, axes, pool)[0]
    top = jnp.max(tiles, axis=window_axes)
    taken = jnp.zeros(top.shape, bool)
    out = jnp.zeros(top.shape, tangent.dtype)
    for offsets in itertools.product(*[range(tiles.shape[a]) for a in window_axes]):
        index = [slice(None)] * tiles.ndim
        for axis, offset in zip(window_axes, offsets):
            index[axis] = offset
        index = tuple(index)
        first = (tiles[index] == top) & ~taken
        out = out + jnp.where(first, tangent[index], jnp.zeros((), tangent.dtype))
        taken = taken | first
    return top, out


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _tiled_mean(x, axes, pool):
    """The mean over windows of size `pool` on `axes` that tile `x`: XLA's `reduce_window` in
    inference (fused with the convolution before it), the reshaped windows differentiated (as
    `_tiled_max`)."""
    window = _window_shape(x, axes, pool)
    sums = lax.reduce_window(x, np.array(0, x.dtype), lax.add, window, window, "VALID")
    return sums / np.array(math.prod(pool), sums.dtype)


@_tiled_mean.defjvp
def _tiled_mean_jvp(axes, pool, primals, tangents):
    def mean(a):
        tiles, window_axes = _tile_windows(a, axes, pool)
        return jnp.sum(tiles, axis=window_axes) / np.array(math.prod(pool), a.dtype)

    (x,), (x_dot,) = primals, tangents
    return mean(x), mean(x_dot)


_MAX_TILED_WINDOW = 64  # window elements; larger windows unroll too far, use reduce_window


class _Pooling(_SpatialLayer):
    _reducer = None  # "max" or "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _int_tuple(self, "pool_size", pool_size, self._rank)
        self.strides = self.pool_size if strides is None else _int_tuple(self, "strides", strides, self._rank)
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise self._error(f"padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding.lower()
        self.data_format = _data_format(self, data_format)

    def _output_spatial(self, input_shape):
        sizes = self._spatial(input_shape)
        if self.padding == "valid":
            if any(d is not None and d < p for d, p in zip(sizes, self.pool_size)):
                raise self._error(
                    f"pool_size {self.pool_size} is larger than the input's spatial size {sizes} "
                    f"(input shape {input_shape}, padding='valid'); use padding='same' or a smaller "
                    f"pool_size"
                )
            return tuple(None if d is None else (d - p) // s + 1
                         for d, p, s in zip(sizes, self.pool_size, self.strides))
        return tuple(None if d is None else -(-d // s) for d, s in zip(sizes, self.strides))

    def _window(self, spatial):
        if self.data_format == "channels_last":
            return (1,) + spatial + (1,)
        return (1, 1) + spatial

    def _output_dtype(self, dtype):
        if self._reducer == "average":
            return self.compute_dtype
        return super()._output_dtype(dtype)

    def _tiles_input(self, x):
        """Whether the windows tile the input (strides == pool_size, and "valid" or sizes
        divisible by the pool): then reduced over reshaped window axes, a plain reduction (on a
        CPU 2.5x the speed of `reduce_window`, value and gradient, for a 2x2 max pool)."""
        spatial = self._spatial(x.shape)
        return not (self.strides != self.pool_size or math.prod(self.pool_size) > _MAX_TILED_WINDOW
                    or (self.padding == "same" and any(d % p for d, p in zip(spatial, self.pool_size))))

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._prepare(inputs)
        if self._tiles_input(x):
            if self._reducer == "max":
                return _tiled_max(x, self._spatial_axes(), self.pool_size), variables["state"]
            return _tiled_mean(x, self._spatial_axes(), self.pool_size), variables["state"]
        window, strides = self._window(self.pool_size), self._window(self.strides)
        padding = self.padding.upper()
        if self._reducer == "max":
            # NumPy (concrete) init values let JAX pick its differentiable max / sum window reducers.
            init = np.array(_lowest(x.dtype), x.dtype)
            return lax.reduce_window(x, init, lax.max, window, strides, padding), variables["state"]
        zero = np.array(0, x.dtype)
        sums = lax.reduce_window(x, zero, lax.add, window, strides, padding)
        if self.padding == "valid":
            return sums / math.prod(self.pool_size), variables["state"]
        # "same": divide by the number of real (unpadded) entries in each window.
        ones = jnp.ones(self._window(self._spatial(x.shape)), x.dtype)
        counts = lax.reduce_window(ones, zero, lax.add, window, strides, padding)
        return sums / counts, variables["state"]

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "padding": self.padding,
            "strides": list(self.strides),
            "data_format": self.data_format,
        }


_POOLING_LEGACY = LegacyInterface(
    positional=("pool_size", "strides", "padding", "data_format"),
    renames={"pool_length": "pool_size", "stride": "strides", "border_mode": "padding",
             "dim_ordering": "data_format"},
    values={"data_format": DATA_FORMAT_VALUES},
)

_POOLING_ARGS = """
    Args:
        pool_size: int or tuple of {rank} ints, the window size.
        strides: int or tuple of {rank} ints, the window step (None: `pool_size`).
        padding: "valid" (windows inside the input) or "same" (output size `ceil(size / stride)`,
            the input padded evenly{same}).
        data_format: "channels_last" `(batch, {spatial}, channels)` (default) or "channels_first"
            `(batch, channels, {spatial})`.

    Output shape:
        Each spatial size becomes `(size - pool) // stride + 1` ("valid") or `ceil(size / stride)`.

    Raises:
        ValueError: for bad arguments, an input of rank other than {rank_plus_2}, or (with "valid")
            a pool_size larger than the input.
"""


def _pooling_doc(summary, rank, reducer):
    same = " with -inf" if reducer == "max" else "; padding is not counted in the averages"
    return summary + "\n" + _POOLING_ARGS.format(
        rank=rank, rank_plus_2=rank + 2, same=same, spatial=_SPATIAL_NAMES[rank]
    )


class MaxPooling1D(_Pooling):
    __doc__ = _pooling_doc("Max pooling over the steps of `(batch, steps, channels)` inputs.", 1, "max")
    _rank, _reducer, _legacy = 1, "max", _POOLING_LEGACY

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    __doc__ = _pooling_doc("Max pooling over the rows and columns of images.", 2, "max")
    _rank, _reducer, _legacy = 2, "max", _POOLING_LEGACY

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    __doc__ = _pooling_doc("Max pooling over the three spatial axes of volumes.", 3, "max")
    _rank, _reducer, _legacy = 3, "max", _POOLING_LEGACY

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    __doc__ = _pooling_doc("Average pooling over the steps of `(batch, steps, channels)` inputs.", 1, "average")
    _rank, _reducer, _legacy = 1, "average", _POOLING_LEGACY

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    __doc__ = _pooling_doc("Average pooling over the rows and columns of images.", 2, "average")
    _rank, _reducer, _legacy = 2, "average", _POOLING_LEGACY

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_Pooling):
    __doc__ = _pooling_doc("Average pooling over the three spatial axes of volumes.", 3, "average")
    _rank, _reducer, _legacy = 3, "average", _POOLING_LEGACY

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# ----------------------------------------------------------------------------------------------
# Global pooling


class _GlobalPooling(_SpatialLayer):
    _reducer = None  # "max" or "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(self, data_format)
        self.keepdims = bool(keepdims)
        self.supports_masking = self._rank == 1  # the 1D global poolings honour a mask

    def _output_spatial(self, input_shape):
        return (1,) * self._rank

    def compute_output_shape(self, input_shape):
        shape = super().compute_output_shape(input_shape)
        if self.keepdims:
            return shape
        return tuple(d for axis, d in enumerate(shape) if axis not in self._spatial_axes())

    def _output_dtype(self, dtype):
        if self._reducer == "average":
            return self.compute_dtype
        return super()._output_dtype(dtype)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._prepare(inputs)
        axes = self._spatial_axes()
        valid = None
        if mask is not None and self.supports_masking:
            # (batch, steps) -> broadcastable against x; masked steps are left out of the reduction.
            valid = jnp.expand_dims(jnp.asarray(mask).astype(bool), 2 if self.data_format == "channels_last" else 1)
        if self._reducer == "max":
            if valid is not None:
                x = jnp.where(valid, x, jnp.array(_lowest(x.dtype), x.dtype))
            return jnp.max(x, axis=axes, keepdims=self.keepdims), variables["state"]
        if valid is None:
            return jnp.mean(x, axis=axes, keepdims=self.keepdims), variables["state"]
        total = jnp.sum(jnp.where(valid, x, jnp.zeros((), x.dtype)), axis=axes, keepdims=self.keepdims)
        count = jnp.sum(valid.astype(x.dtype), axis=axes, keepdims=self.keepdims)
        return total / count, variables["state"]

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


_GLOBAL_LEGACY = _dim_ordering()

_GLOBAL_ARGS = """
    Args:
        data_format: "channels_last" `(batch, {spatial}, channels)` (default) or "channels_first"
            `(batch, channels, {spatial})`.
        keepdims: keep the spatial axes with size 1 (`(batch, {ones}, channels)` or channels first)
            instead of returning `(batch, channels)`.
{mask}
    Raises:
        ValueError: for a bad `data_format` or an input of rank other than {rank_plus_2}.
"""

_MASK_DOC = """
    Call arguments:
        mask: optional boolean `(batch, steps)`; masked steps are left out of the {reducer}
            (a sample with every step masked gives {empty}). The output has no mask.
"""


def _global_doc(summary, rank, reducer):
    return summary + "\n" + _GLOBAL_ARGS.format(
        spatial=_SPATIAL_NAMES[rank], ones=", ".join(["1"] * rank), rank_plus_2=rank + 2,
        mask=_MASK_DOC.format(reducer=reducer, empty="-inf" if reducer == "max" else "NaN") if rank == 1 else "",
    )


class GlobalMaxPooling1D(_GlobalPooling):
    __doc__ = _global_doc("Max over the steps of `(batch, steps, channels)` inputs.", 1, "max")
    _rank, _reducer, _legacy = 1, "max", _GLOBAL_LEGACY


class GlobalMaxPooling2D(_GlobalPooling):
    __doc__ = _global_doc("Max over the rows and columns of images.", 2, "max")
    _rank, _reducer, _legacy = 2, "max", _GLOBAL_LEGACY


class GlobalMaxPooling3D(_GlobalPooling):
    __doc__ = _global_doc("Max over the three spatial axes of volumes.", 3, "max")
    _rank, _reducer, _legacy = 3, "max", _GLOBAL_LEGACY


class GlobalAveragePooling1D(_GlobalPooling):
    __doc__ = _global_doc("Average over the steps of `(batch, steps, channels)` inputs.", 1, "average")
    _rank, _reducer, _legacy = 1, "average", _GLOBAL_LEGACY


class GlobalAveragePooling2D(_GlobalPooling):
    __doc__ = _global_doc("Average over the rows and columns of images.", 2, "average")
    _rank, _reducer, _legacy = 2, "average", _GLOBAL_LEGACY


class GlobalAveragePooling3D(_GlobalPooling):
    __doc__ = _global_doc("Average over the three spatial axes of volumes.", 3, "average")
    _rank, _reducer, _legacy = 3, "average", _GLOBAL_LEGACY


# Keras's short names.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D
)

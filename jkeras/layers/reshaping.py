"""Spatial reshaping layers: Cropping1D/2D/3D, UpSampling1D/2D/3D, ZeroPadding1D/2D/3D.

Each family is one implementation parametrized by the number of spatial axes (`_rank`); the
public classes only fix Keras's defaults. Like Keras 3, none of them propagates a mask.
"""
import jax
import jax.numpy as jnp

from jkeras.layers.pooling import (
    _SPATIAL_NAMES, _SpatialLayer, _data_format, _dim_ordering, _int_tuple, _is_int, _pairs,
)
from jkeras.utils.legacy import LegacyInterface

__all__ = [
    "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
]

_DIM_ORDERING = _dim_ordering()


def _pairs_config(pairs):
    """Pairs as JSON lists: `[before, after]` for one axis, else one pair per axis."""
    if len(pairs) == 1:
        return list(pairs[0])
    return [list(p) for p in pairs]


class _PerAxisLayer(_SpatialLayer):
    """Shared config handling; `_has_data_format` is False for the 1D layers Keras gives none."""

    _has_data_format = True

    def _data_format_config(self):
        return {"data_format": self.data_format} if self._has_data_format else {}


# ----------------------------------------------------------------------------------------------
# Cropping


class _Cropping(_PerAxisLayer):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(self, "cropping", cropping, self._rank)
        self.data_format = _data_format(self, data_format)

    def _output_spatial(self, input_shape):
        sizes = self._spatial(input_shape)
        cropping = self.cropping[0] if self._rank == 1 else self.cropping
        for axis, size, (before, after) in zip(self._spatial_axes(), sizes, self.cropping):
            if size is not None and before + after >= size:
                raise self._error(
                    f"cropping {cropping} removes {before + after} entries of axis {axis}, which has only "
                    f"{size} (input shape {input_shape}); each axis must keep at least one"
                )
        return tuple(None if d is None else d - a - b for d, (a, b) in zip(sizes, self.cropping))

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._prepare(inputs)
        index = [slice(None)] * x.ndim
        for axis, (before, after) in zip(self._spatial_axes(), self.cropping):
            index[axis] = slice(before, x.shape[axis] - after)
        return x[tuple(index)], variables["state"]

    def get_config(self):
        return {**super().get_config(), "cropping": _pairs_config(self.cropping), **self._data_format_config()}


_CROPPING_DOC = """Crops {what}.

    Args:
        cropping: {cropping_arg}
{data_format}
    Output shape:
        The input shape with each cropped axis reduced by `before + after`.

    Raises:
        ValueError: for negative or malformed `cropping`, an input of rank other than {rank_plus_2},
            or cropping that leaves an axis empty.
"""

_DATA_FORMAT_ARG = """        data_format: "channels_last" `(batch, {spatial}, channels)` (default) or "channels_first"
            `(batch, channels, {spatial})`.
"""


def _doc(template, rank, data_format=True, **fields):
    fmt = _DATA_FORMAT_ARG.format(spatial=_SPATIAL_NAMES[rank]) if data_format else ""
    return template.format(rank_plus_2=rank + 2, data_format=fmt, **fields)


class Cropping1D(_Cropping):
    __doc__ = _doc(
        _CROPPING_DOC, 1, data_format=False, what="the steps of `(batch, steps, channels)` inputs",
        cropping_arg="int or pair `(start, end)`: how many steps to remove at each end.",
    )
    _rank, _has_data_format = 1, False

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **kwargs)


class Cropping2D(_Cropping):
    __doc__ = _doc(
        _CROPPING_DOC, 2, what="the rows and columns of images",
        cropping_arg="int (every side), pair `(rows, cols)` (symmetric) or\n"
                     "            `((top, bottom), (left, right))`.",
    )
    _rank, _legacy = 2, _DIM_ORDERING

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    __doc__ = _doc(
        _CROPPING_DOC, 3, what="the three spatial axes of volumes",
        cropping_arg="int (every side), 3 ints (symmetric per axis) or three pairs\n"
                     "            `((before, after), ...)`, one per spatial axis.",
    )
    _rank, _legacy = 3, _DIM_ORDERING

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


# ----------------------------------------------------------------------------------------------
# Zero padding


class _ZeroPadding(_PerAxisLayer):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(self, "padding", padding, self._rank)
        self.data_format = _data_format(self, data_format)

    def _output_spatial(self, input_shape):
        return tuple(None if d is None else d + a + b for d, (a, b) in zip(self._spatial(input_shape), self.padding))

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._prepare(inputs)
        widths = [(0, 0)] * x.ndim
        for axis, pair in zip(self._spatial_axes(), self.padding):
            widths[axis] = pair
        return jnp.pad(x, widths), variables["state"]

    def get_config(self):
        return {**super().get_config(), "padding": _pairs_config(self.padding), **self._data_format_config()}


def _keras1_padding(rank):
    """Converts Keras 1's `padding` dict (`{"top_pad": 1, ...}`) and, in 2D, flat 4-tuple
    `(top, bottom, left, right)` to pairs."""
    keys = {1: (("left_pad", "right_pad"),), 2: (("top_pad", "bottom_pad"), ("left_pad", "right_pad"))}[rank]

    def preprocess(args, kwargs):
        positional = bool(args)
        value = args[0] if positional else kwargs.get("padding")
        if isinstance(value, dict):
            pairs = tuple((int(value.get(a, 0)), int(value.get(b, 0))) for a, b in keys)
            new = pairs[0] if rank == 1 else pairs
        elif rank == 2 and isinstance(value, (tuple, list)) and len(value) == 4 and all(map(_is_int, value)):
            new = ((value[0], value[1]), (value[2], value[3]))
        else:
            return args, kwargs, []
        if positional:
            args = (new,) + tuple(args[1:])
        else:
            kwargs["padding"] = new
        return args, kwargs, [(f"padding={value!r}", f"padding={new!r}")]

    return preprocess


_PADDING_DOC = """Pads with zeros {what}.

    Args:
        padding: {padding_arg}
{data_format}
    Output shape:
        The input shape with each padded axis grown by `before + after`.

    Raises:
        ValueError: for negative or malformed `padding` or an input of rank other than {rank_plus_2}.
"""


class ZeroPadding1D(_ZeroPadding):
    __doc__ = _doc(
        _PADDING_DOC, 1, what="at both ends of the steps axis",
        padding_arg="int (both ends) or pair `(start, end)`.",
    )
    _rank, _legacy = 1, _dim_ordering(_keras1_padding(1))

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    __doc__ = _doc(
        _PADDING_DOC, 2, what="around images",
        padding_arg="int (every side), pair `(rows, cols)` (symmetric) or\n"
                    "            `((top, bottom), (left, right))`.",
    )
    _rank, _legacy = 2, _dim_ordering(_keras1_padding(2))

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    __doc__ = _doc(
        _PADDING_DOC, 3, what="around volumes",
        padding_arg="int (every side), 3 ints (symmetric per axis) or three pairs\n"
                    "            `((before, after), ...)`, one per spatial axis.",
    )
    _rank, _legacy = 3, _DIM_ORDERING

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


# ----------------------------------------------------------------------------------------------
# Up-sampling

# Methods of `jax.image.resize` Keras 3 accepts, plus "area" (Keras 3 on TensorFlow), which for
# whole-number factors copies each input entry to its block, like "nearest".
_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")


class _UpSampling(_PerAxisLayer):
    interpolation = "nearest"

    def __init__(self, size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = _int_tuple(self, "size", size, self._rank)
        self.data_format = _data_format(self, data_format)

    def _output_spatial(self, input_shape):
        return tuple(None if d is None else d * s for d, s in zip(self._spatial(input_shape), self.size))

    def _repeats(self):
        return self.interpolation in ("nearest", "area")

    def _output_dtype(self, dtype):
        return super()._output_dtype(dtype) if self._repeats() else self.compute_dtype

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._prepare(inputs)
        if self._repeats():
            for axis, factor in zip(self._spatial_axes(), self.size):
                x = jnp.repeat(x, factor, axis=axis)
            return x, variables["state"]
        shape = list(x.shape)
        for axis, factor in zip(self._spatial_axes(), self.size):
            shape[axis] *= factor
        return jax.image.resize(x, tuple(shape), method=self.interpolation, antialias=False), variables["state"]

    def get_config(self):
        size = self.size[0] if self._rank == 1 else list(self.size)
        return {**super().get_config(), "size": size, **self._data_format_config()}


_UPSAMPLING_DOC = """Repeats each entry `size` times along {what}.

    Args:
        size: {size_arg}
{data_format}{interpolation}
    Output shape:
        The input shape with each spatial size multiplied by its factor.

    Raises:
        ValueError: for a non-positive `size`{interpolation_error} or an input of rank other than {rank_plus_2}.
"""


class UpSampling1D(_UpSampling):
    __doc__ = _doc(
        _UPSAMPLING_DOC, 1, data_format=False, what="the steps of `(batch, steps, channels)` inputs",
        size_arg="positive int.", interpolation="", interpolation_error="",
    )
    _rank, _has_data_format = 1, False
    _legacy = LegacyInterface(renames={"length": "size"})

    def __init__(self, size=2, **kwargs):
        super().__init__(size, None, **kwargs)


class UpSampling2D(_UpSampling):
    __doc__ = _doc(
        _UPSAMPLING_DOC, 2, what="the rows and columns of images (or resizes by that factor)",
        size_arg="int or pair `(rows, cols)` of positive ints.",
        interpolation=(
            '        interpolation: "nearest" (repeat; default), "bilinear", "bicubic", "lanczos3" or\n'
            '            "lanczos5" (`jax.image.resize`, as Keras 3 does), or "area" (same as "nearest" for\n'
            "            whole-number factors).\n"
        ),
        interpolation_error=", an unknown `interpolation`",
    )
    _rank, _legacy = 2, _DIM_ORDERING

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, **kwargs)
        method = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if method not in _INTERPOLATIONS:
            raise self._error(f"interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}")
        self.interpolation = method

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    __doc__ = _doc(
        _UPSAMPLING_DOC, 3, what="the three spatial axes of volumes",
        size_arg="int or 3 positive ints, one factor per spatial axis.", interpolation="",
        interpolation_error="",
    )
    _rank, _legacy = 3, _DIM_ORDERING

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)

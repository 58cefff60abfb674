"""Adaptive pooling layers (Keras 3): AdaptiveAveragePooling1D/2D/3D, AdaptiveMaxPooling1D/2D/3D.

The window of output position `j` along an axis of length `L` pooled to `n` is PyTorch's bin
`[floor(j * L / n), ceil((j + 1) * L / n))`, which is what Keras 3's two-pool gather computes.
The reduction is `jkeras.ops.nn`'s; `_SpatialLayer` (pooling.py) supplies the shape checks.
"""
import jax.numpy as jnp
import numpy as np

from jkeras.layers.pooling import _SPATIAL_NAMES, _SpatialLayer, _data_format, _is_int
from jkeras.ops.nn import _adaptive_pool

__all__ = [
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]


class _AdaptivePooling(_SpatialLayer):
    _reducer = None  # "max" or "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        rank = self._rank
        if _is_int(output_size):
            sizes = (int(output_size),) * rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == rank:
            sizes = tuple(output_size)
        else:
            raise TypeError(
                f"{type(self).__name__}: output_size must be an int or a tuple of {rank} ints, "
                f"got {output_size!r} of type {type(output_size).__name__}"
            )
        super().__init__(**kwargs)
        if not all(_is_int(s) and s >= 1 for s in sizes):
            raise self._error(f"output_size must hold ints >= 1, got {output_size!r}")
        self.output_size = tuple(int(s) for s in sizes)
        self.data_format = _data_format(self, data_format)

    def _output_spatial(self, input_shape):
        return self.output_size

    def _output_dtype(self, dtype):
        if self._reducer == "average" or jnp.issubdtype(dtype, jnp.floating):
            return self.compute_dtype
        return str(np.dtype(dtype))

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._prepare(inputs)
        reduce = jnp.max if self._reducer == "max" else jnp.mean
        return _adaptive_pool(x, self.output_size, self.data_format, reduce), variables["state"]

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}


_DOC = """{summary}

    Output position `j` of an axis of length `L` pooled to `n` reduces the input window
    `[floor(j * L / n), ceil((j + 1) * L / n))` (PyTorch's adaptive bins), so any input size gives
    the same output size; windows may overlap when `n` does not divide `L`, and `n > L` repeats
    entries.

    Args:
        output_size: int or tuple of {rank} ints, the output's spatial size.
        data_format: "channels_last" `(batch, {spatial}, channels)` or "channels_first"
            `(batch, channels, {spatial})`; None: `keras.config.image_data_format()`.

    Output shape:
        `(batch, *output_size, channels)` (or channels first).

    Raises:
        TypeError: for an `output_size` that is not an int or a tuple of {rank} ints.
        ValueError: for a bad `data_format` or an input of rank other than {rank_plus_2}.
"""


def _doc(reducer, rank):
    what = "Max" if reducer == "max" else "Average"
    return _DOC.format(summary=f"{what} pooling of {rank}D spatial data to a fixed output size.",
                       rank=rank, rank_plus_2=rank + 2, spatial=_SPATIAL_NAMES[rank])


class AdaptiveAveragePooling1D(_AdaptivePooling):
    __doc__ = _doc("average", 1)
    _rank, _reducer = 1, "average"


class AdaptiveAveragePooling2D(_AdaptivePooling):
    __doc__ = _doc("average", 2)
    _rank, _reducer = 2, "average"


class AdaptiveAveragePooling3D(_AdaptivePooling):
    __doc__ = _doc("average", 3)
    _rank, _reducer = 3, "average"


class AdaptiveMaxPooling1D(_AdaptivePooling):
    __doc__ = _doc("max", 1)
    _rank, _reducer = 1, "max"


class AdaptiveMaxPooling2D(_AdaptivePooling):
    __doc__ = _doc("max", 2)
    _rank, _reducer = 2, "max"


class AdaptiveMaxPooling3D(_AdaptivePooling):
    __doc__ = _doc("max", 3)
    _rank, _reducer = 3, "max"

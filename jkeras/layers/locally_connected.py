"""Locally connected layers (Keras 2): convolutions whose weights are not shared, one filter bank
per output position. Keras 3 no longer has them; weights and configs are Keras 2's
(`implementation=1`), so Keras 2 weight files load.

The whole layer is one patch extraction (`lax.conv_general_dilated_patches`) and one einsum.
"""
import math

import jax.numpy as jnp
from jax import lax

from jkeras.core import constraints, initializers, regularizers
from jkeras.layers._conv_base import (
    KERNEL_CONV_RENAMES,
    SpatialConv,
    conv_legacy,
    serialize_or_none,
)

__all__ = ["LocallyConnected1D", "LocallyConnected2D"]

_SPATIAL_LETTERS = "xyz"


def local_conv(inputs, kernel, kernel_size, strides, channels_last):
    """Convolution with unshared weights ('valid' padding): at output position `p`,
    `output[p] = patch(p) @ kernel[p]`, where `patch(p)` is the input window at `p` flattened in
    the input's axis order (`(*window, channels)` for channels_last, `(channels, *window)` for
    channels_first).

    Args:
        inputs: `(batch, *spatial, channels)` or `(batch, channels, *spatial)`.
        kernel: `(prod(output_spatial), prod(kernel_size) * channels, filters)`.
        kernel_size, strides: tuples, one int per spatial axis.
        channels_last: the layout of `inputs` and of the result.

    Raises:
        ValueError: for a kernel of another shape.

    Returns:
        `(batch, *output_spatial, filters)`, or `(batch, filters, *output_spatial)`.
    """
    inputs = jnp.asarray(inputs)
    kernel_size, strides = tuple(kernel_size), tuple(strides)
    rank = len(kernel_size)
    channels = inputs.shape[-1 if channels_last else 1]
    spatial = _SPATIAL_LETTERS[:rank].upper()
    lhs = f"N{spatial}C" if channels_last else f"NC{spatial}"
    # (batch, *output_spatial, channels * window), the last axis ordered (channels, *window).
    patches = lax.conv_general_dilated_patches(
        inputs, kernel_size, strides, "VALID",
        dimension_numbers=(lhs, "OI" + spatial, f"N{spatial}C"), precision=lax.Precision.HIGHEST,
    )
    out_spatial = patches.shape[1:-1]
    window = math.prod(kernel_size)
    patches = patches.reshape(patches.shape[:-1] + (channels, window))
    feature_axes = (window, channels) if channels_last else (channels, window)
    kernel = jnp.asarray(kernel)
    if kernel.ndim != 3 or kernel.shape[:2] != (math.prod(out_spatial), window * channels):
        raise ValueError(
            f"local_conv: the kernel must have shape (output positions, window size * channels, filters) = "
            f"({math.prod(out_spatial)}, {window * channels}, filters) for an input of shape {tuple(inputs.shape)}, "
            f"kernel_size {kernel_size} and strides {strides}; got {tuple(kernel.shape)}"
        )
    kernel = kernel.reshape(out_spatial + feature_axes + (kernel.shape[-1],))
    s = _SPATIAL_LETTERS[:rank]
    kernel_spec = f"{s}wcf" if channels_last else f"{s}cwf"
    out_spec = f"b{s}f" if channels_last else f"bf{s}"
    return jnp.einsum(f"b{s}cw,{kernel_spec}->{out_spec}", patches, kernel)


class _LocallyConnected(SpatialConv):
    """N-D locally connected layer (Keras 2, implementation 1).

    At output position `p`, `output[p] = activation(patch(p) @ kernel[p] + bias[p])` where
    `patch(p)` is the input window at `p` flattened in the input's axis order: `(*window,
    channels)` for channels_last, `(channels, *window)` for channels_first.

    Weights: kernel `(prod(output_spatial), prod(kernel_size) * channels, filters)`, bias
    `(*output_spatial, filters)`. With channels_first the bias is laid out as Keras 2 adds it:
    reshaped (not transposed) to `(filters, *output_spatial)`.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 implementation=1, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = self._positive_int(filters, "filters")
        self._configure(kernel_size, strides, padding, data_format, 1, activation, use_bias,
                        bias_initializer, bias_regularizer, bias_constraint)
        if implementation != 1:
            raise self._error(
                f"only implementation=1 (Keras 2's default weight layout) is supported, got "
                f"implementation={implementation!r}"
            )
        if self.padding != "valid":
            raise self._error(
                f"only padding='valid' is supported (as in Keras 2 with implementation=1), got "
                f"padding={padding!r}"
            )
        self.implementation = 1
        self.kernel_initializer = initializers.get_for_weight(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def _validate_input_shape(self, input_shape):
        shape = super()._validate_input_shape(input_shape)
        if None in self._spatial(shape):
            raise self._error(
                f"the spatial dimensions of the input must be defined (the weights depend on "
                f"them), got shape {shape}"
            )
        return shape

    def _check_input_shape(self, input_shape):
        shape = self._validate_input_shape(input_shape)
        built = self._build_input_shape
        if self.built and built is not None and shape[1:] != tuple(built)[1:]:
            raise self._error(
                f"expected inputs of shape {(None,) + tuple(built)[1:]} (the layer "
                f"was built for them), got shape {shape}"
            )

    def init(self, rng, input_shape):
        shape = self._validate_input_shape(input_shape)
        out_spatial = self._spatial(self.compute_output_shape(shape))
        features = math.prod(self.kernel_size) * shape[self._channel_axis]
        kernel_shape = (math.prod(out_spatial), features, self.filters)
        return self._make_variables(rng, [("kernel", kernel_shape, self.kernel_initializer)],
                                    bias_shape=out_spatial + (self.filters,))

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        params = variables["params"]
        inputs = jnp.asarray(inputs, self.compute_dtype)
        outputs = local_conv(inputs, params["kernel"], self.kernel_size, self.strides, self._channels_last)
        out_spatial = outputs.shape[1:-1] if self._channels_last else outputs.shape[2:]
        if self.use_bias:
            bias = params["bias"]
            outputs = outputs + (bias if self._channels_last else bias.reshape((self.filters,) + out_spatial))
        return self.activation(outputs), variables["state"]

    def get_config(self):
        config = {
            **self._shared_config(),
            "filters": self.filters,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": serialize_or_none(regularizers, self.kernel_regularizer),
            "kernel_constraint": serialize_or_none(constraints, self.kernel_constraint),
            "implementation": self.implementation,
        }
        return config


class LocallyConnected1D(_LocallyConnected):
    """Locally connected 1D layer (Keras 2): like `Conv1D` but with a different filter bank at
    every output step. `(batch, steps, channels)` -> `(batch, new_steps, filters)` with
    `new_steps = floor((steps - kernel_size) / strides) + 1`.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 1 int, the window length.
        strides: int or tuple of 1 int.
        padding: "valid" only (Keras 2's only choice for `implementation=1`).
        data_format: "channels_last" (default) or "channels_first" `(batch, channels, steps)`.
        activation, use_bias, kernel_initializer, bias_initializer: as in `Dense`.
        kernel_regularizer, bias_regularizer, activity_regularizer: as in `Dense`.
        kernel_constraint, bias_constraint: as in `Dense`.
        implementation: 1 only (Keras 2's default weight layout; 2 and 3 are not provided).

    Weights:
        kernel `(new_steps, kernel_size * channels, filters)` (the window flattened as
        `(kernel_size, channels)`, or `(channels, kernel_size)` for channels_first),
        bias `(new_steps, filters)`.

    Raises:
        ValueError: for invalid arguments, an input of rank != 3 or with undefined steps, or a
            kernel longer than the input.
    """

    _rank = 1
    _legacy = conv_legacy(_LocallyConnected.__init__, 1, KERNEL_CONV_RENAMES)
    __init__ = _LocallyConnected.__init__


class LocallyConnected2D(_LocallyConnected):
    """Locally connected 2D layer (Keras 2): like `Conv2D` but with a different filter bank at
    every output position. `(batch, rows, cols, channels)` -> `(batch, new_rows, new_cols, filters)`.

    Keras 1's call form `LocallyConnected2D(nb_filter, nb_row, nb_col, ...)` is accepted (as Keras 2
    did): three positional ints are `(filters, kernel_rows, kernel_cols)`, with a warning.

    Args: as `LocallyConnected1D`, with `kernel_size` and `strides` ints or 2-tuples.

    Weights:
        kernel `(new_rows * new_cols, kernel_rows * kernel_cols * channels, filters)`,
        bias `(new_rows, new_cols, filters)`.

    Raises:
        ValueError: as `LocallyConnected1D`, for inputs that are not of rank 4.
    """

    _rank = 2
    _legacy = conv_legacy(_LocallyConnected.__init__, 2, KERNEL_CONV_RENAMES, keras1_positional=True)
    __init__ = _LocallyConnected.__init__

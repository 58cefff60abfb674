"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions, and
the Keras 1 / Keras 2 names.

Each public class sets the rank of one shared implementation (`_convolutions.py`). Shapes below are
for `data_format="channels_last"` (the default); with "channels_first" the channel axis comes
right after the batch axis. Arguments shared by all of them:

    strides: int or tuple of `rank` ints (> 1 excludes `dilation_rate` > 1 for plain and
        transposed convolutions, as in Keras).
    padding: "valid" (no padding; output `floor((n - (k - 1) * d - 1) / s) + 1`) or "same" (output
        `ceil(n / s)`); the 1D convolutions also take "causal" (left padding only).
    data_format: "channels_last" `(batch, *spatial, channels)` or "channels_first"
        `(batch, channels, *spatial)`; None means "channels_last".
    dilation_rate: int or tuple of `rank` ints, the spacing of the kernel taps.
    activation: activation name or function (None: linear). use_bias: whether to add a bias.
    *_initializer, *_regularizer, *_constraint: per weight, as in `Dense`; activity_regularizer.

Keras 1 keywords (`nb_filter`, `filter_length`, `subsample`, `subsample_length`, `border_mode`,
`dim_ordering` with 'tf' / 'th', `atrous_rate`, `b_regularizer`, `bias`, and `init`,
`W_regularizer`, `W_constraint` for layers with a `kernel`) are accepted with a warning; 1D layers
also take Keras 1's `input_dim=` / `input_length=`. Keras 1's positional kernel form
`Convolution2D(64, 3, 3)` is accepted only under the Keras 1 names (`Convolution2D`,
`Convolution3D`, `AtrousConvolution2D`, `SeparableConvolution2D`, `Deconvolution2D`): under
Keras 3 names the third positional argument is `strides`.
"""
from jkeras.layers._conv_base import BIAS_RENAMES, CONV_RENAMES, KERNEL_CONV_RENAMES, conv_legacy
from jkeras.layers._convolutions import _Conv, _ConvTranspose, _DepthwiseConv, _SeparableConv

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
    "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose", "SeparableConvolution1D",
    "SeparableConvolution2D", "AtrousConvolution1D", "AtrousConvolution2D", "Deconvolution2D",
    "Deconvolution3D", "AtrousConv1D", "AtrousConv2D",
]

# Depthwise and separable layers have no single `kernel`: no `init` / `W_*` renames (separable
# convolutions split Keras 1's `init` over both kernels instead).
_DEPTHWISE_RENAMES = {**CONV_RENAMES, **BIAS_RENAMES}


def _conv_interface(rank, **options):
    return conv_legacy(_Conv.__init__, rank, KERNEL_CONV_RENAMES, **options)


def _transpose_interface(rank, **options):
    return conv_legacy(_ConvTranspose.__init__, rank, KERNEL_CONV_RENAMES, **options)


def _separable_interface(rank, **options):
    return conv_legacy(_SeparableConv.__init__, rank, _DEPTHWISE_RENAMES, split_init=True, **options)


# ----------------------------------------------------------------------------------------------
# Convolutions


class Conv1D(_Conv):
    """1D convolution: `activation(conv(inputs, kernel) + bias)`, `(batch, steps, channels)` ->
    `(batch, new_steps, filters)`.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 1 int, the window length.
        strides, padding ("valid", "same" or "causal"), data_format, dilation_rate: see the module.
        groups: positive int dividing the input channels and `filters`: the channels are split
            into `groups` groups, each convolved with `filters // groups` filters.
        activation, use_bias, kernel_initializer, bias_initializer: as `Dense` (initializers
            "glorot_uniform" and "zeros" by default).
        kernel_regularizer, bias_regularizer, activity_regularizer: as `Dense`.
        kernel_constraint, bias_constraint: as `Dense`.

    Weights:
        kernel `(kernel_size, channels // groups, filters)`, bias `(filters,)`.

    Raises:
        ValueError: for invalid arguments (naming the argument), an input that is not of rank 3,
            channels not divisible by `groups`, or a kernel longer than the input with "valid".
    """

    _rank = 1
    _causal = True
    _legacy = _conv_interface(1)
    __init__ = _Conv.__init__


class Conv2D(_Conv):
    """2D convolution: `(batch, rows, cols, channels)` -> `(batch, new_rows, new_cols, filters)`.

    Args: as `Conv1D`, with `kernel_size`, `strides` and `dilation_rate` ints or 2-tuples and
    padding "valid" or "same".

    Weights:
        kernel `(kernel_rows, kernel_cols, channels // groups, filters)`, bias `(filters,)`.

    Raises:
        ValueError: as `Conv1D`, for inputs that are not of rank 4.
    """

    _rank = 2
    _legacy = _conv_interface(2)
    __init__ = _Conv.__init__


class Conv3D(_Conv):
    """3D convolution: `(batch, d1, d2, d3, channels)` -> `(batch, n1, n2, n3, filters)`.

    Args: as `Conv1D`, with `kernel_size`, `strides` and `dilation_rate` ints or 3-tuples and
    padding "valid" or "same".

    Weights:
        kernel `(k1, k2, k3, channels // groups, filters)`, bias `(filters,)`.

    Raises:
        ValueError: as `Conv1D`, for inputs that are not of rank 5.
    """

    _rank = 3
    _legacy = _conv_interface(3)
    __init__ = _Conv.__init__


# ----------------------------------------------------------------------------------------------
# Transposed convolutions


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1D convolution ("deconvolution"): `(batch, steps, channels)` ->
    `(batch, new_steps, filters)`.

    With `k = (kernel_size - 1) * dilation_rate + 1`, `new_steps` is, as in Keras:
    "valid": `(steps - 1) * strides + k + output_padding` (default `max(k, strides) - k`);
    "same": `steps * strides` (no output_padding) or `(steps - 1) * strides + k % 2 + output_padding`.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 1 int.
        strides, padding ("valid" or "same"), data_format, dilation_rate: see the module.
        output_padding: None, or an int / tuple of 1 int smaller than `strides`: extra length.
        activation, use_bias, kernel_initializer, bias_initializer: as `Dense`.
        kernel_regularizer, bias_regularizer, activity_regularizer: as `Dense`.
        kernel_constraint, bias_constraint: as `Dense`.

    Weights:
        kernel `(kernel_size, filters, channels)`, bias `(filters,)`.

    Raises:
        ValueError: for invalid arguments, `output_padding >= strides`, or an input of rank != 3.
    """

    _rank = 1
    _legacy = _transpose_interface(1)
    __init__ = _ConvTranspose.__init__


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution: `(batch, rows, cols, channels)` -> `(batch, new_rows, new_cols,
    filters)`, each output axis as in `Conv1DTranspose`.

    Args: as `Conv1DTranspose`, with ints or 2-tuples.

    Weights:
        kernel `(kernel_rows, kernel_cols, filters, channels)`, bias `(filters,)`.

    Raises:
        ValueError: as `Conv1DTranspose`, for inputs that are not of rank 4.
    """

    _rank = 2
    _legacy = _transpose_interface(2)
    __init__ = _ConvTranspose.__init__


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution: `(batch, d1, d2, d3, channels)` -> `(batch, n1, n2, n3, filters)`,
    each output axis as in `Conv1DTranspose`.

    Args: as `Conv1DTranspose`, with ints or 3-tuples.

    Weights:
        kernel `(k1, k2, k3, filters, channels)`, bias `(filters,)`.

    Raises:
        ValueError: as `Conv1DTranspose`, for inputs that are not of rank 5.
    """

    _rank = 3
    _legacy = _transpose_interface(3)
    __init__ = _ConvTranspose.__init__


# ----------------------------------------------------------------------------------------------
# Depthwise and separable convolutions


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1D convolution: each input channel is convolved with its own `depth_multiplier`
    filters, `(batch, steps, channels)` -> `(batch, new_steps, channels * depth_multiplier)`;
    output channel `c * depth_multiplier + m` comes from input channel `c`.

    Args:
        kernel_size: int or tuple of 1 int.
        strides, padding ("valid", "same" or "causal"), data_format, dilation_rate: see the module.
        depth_multiplier: positive int, the number of filters per input channel.
        activation, use_bias, depthwise_initializer, bias_initializer: as `Dense`'s `activation`,
            `use_bias`, `kernel_initializer` ("glorot_uniform") and `bias_initializer` ("zeros").
        depthwise_regularizer, bias_regularizer, activity_regularizer: as `Dense`'s regularizers.
        depthwise_constraint, bias_constraint: as `Dense`'s constraints.

    Weights:
        kernel `(kernel_size, channels, depth_multiplier)`, bias `(channels * depth_multiplier,)`.

    Raises:
        ValueError: for invalid arguments, an input of rank != 3, or a kernel longer than the input
            with "valid".
    """

    _rank = 1
    _causal = True
    _legacy = conv_legacy(_DepthwiseConv.__init__, 1, _DEPTHWISE_RENAMES)
    __init__ = _DepthwiseConv.__init__


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2D convolution: `(batch, rows, cols, channels)` ->
    `(batch, new_rows, new_cols, channels * depth_multiplier)`.

    Args: as `DepthwiseConv1D`, with ints or 2-tuples and padding "valid" or "same".

    Weights:
        kernel `(kernel_rows, kernel_cols, channels, depth_multiplier)`,
        bias `(channels * depth_multiplier,)`.

    Raises:
        ValueError: as `DepthwiseConv1D`, for inputs that are not of rank 4.
    """

    _rank = 2
    _legacy = conv_legacy(_DepthwiseConv.__init__, 2, _DEPTHWISE_RENAMES)
    __init__ = _DepthwiseConv.__init__


class SeparableConv1D(_SeparableConv):
    """Separable 1D convolution: a depthwise convolution (`depth_multiplier` filters per channel),
    then a pointwise (kernel size 1) convolution to `filters` channels:
    `(batch, steps, channels)` -> `(batch, new_steps, filters)`.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 1 int, the depthwise window.
        strides, padding ("valid", "same" or "causal"), data_format, dilation_rate: see the module
            (they apply to the depthwise step).
        depth_multiplier: positive int.
        activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer: as
            `Dense`'s `activation`, `use_bias` and initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer: as
            `Dense`'s regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: as `Dense`'s constraints.

    Weights:
        depthwise_kernel `(kernel_size, channels, depth_multiplier)`,
        pointwise_kernel `(1, channels * depth_multiplier, filters)`, bias `(filters,)`.

    Raises:
        ValueError: for invalid arguments, an input of rank != 3, or a kernel longer than the input
            with "valid".
    """

    _rank = 1
    _causal = True
    _legacy = _separable_interface(1)
    __init__ = _SeparableConv.__init__


class SeparableConv2D(_SeparableConv):
    """Separable 2D convolution: `(batch, rows, cols, channels)` ->
    `(batch, new_rows, new_cols, filters)`.

    Args: as `SeparableConv1D`, with ints or 2-tuples and padding "valid" or "same".

    Weights:
        depthwise_kernel `(kernel_rows, kernel_cols, channels, depth_multiplier)`,
        pointwise_kernel `(1, 1, channels * depth_multiplier, filters)`, bias `(filters,)`.

    Raises:
        ValueError: as `SeparableConv1D`, for inputs that are not of rank 4.
    """

    _rank = 2
    _legacy = _separable_interface(2)
    __init__ = _SeparableConv.__init__


# ----------------------------------------------------------------------------------------------
# Keras 1 names that take Keras 1's positional kernel form


class Convolution2D(Conv2D):
    """`Conv2D` under its Keras 1 name, which also takes the Keras 1 call form
    `Convolution2D(nb_filter, nb_row, nb_col, border_mode=..., subsample=..., dim_ordering=...)`:
    `Convolution2D(64, 3, 3, border_mode="same")` is `Conv2D(64, (3, 3), padding="same")`.
    """

    _legacy = _conv_interface(2, keras1_positional=True)
    __init__ = _Conv.__init__


class Convolution3D(Conv3D):
    """`Conv3D` under its Keras 1 name, which also takes
    `Convolution3D(nb_filter, kernel_dim1, kernel_dim2, kernel_dim3, ...)`."""

    _legacy = _conv_interface(3, keras1_positional=True)
    __init__ = _Conv.__init__


class SeparableConvolution2D(SeparableConv2D):
    """`SeparableConv2D` under its Keras 1 name, which also takes
    `SeparableConvolution2D(nb_filter, nb_row, nb_col, ...)` (Keras 1 `init` sets both the
    depthwise and the pointwise initializer)."""

    _legacy = _separable_interface(2, keras1_positional=True)
    __init__ = _SeparableConv.__init__


class Deconvolution2D(Conv2DTranspose):
    """`Conv2DTranspose` under its Keras 1 / 2 name, which also takes Keras 1's
    `Deconvolution2D(nb_filter, nb_row, nb_col, output_shape, ...)` (`output_shape` is dropped:
    the output shape follows from the other arguments, as in Keras 2)."""

    _legacy = _transpose_interface(2, keras1_positional=True, drop_output_shape=True)
    __init__ = _ConvTranspose.__init__


# Names that are the same classes.
Convolution1D = Conv1D
AtrousConvolution1D = Conv1D  # Keras 1 `atrous_rate=` is `dilation_rate=`.
AtrousConvolution2D = Convolution2D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution3D = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
AtrousConv1D = AtrousConvolution1D
AtrousConv2D = AtrousConvolution2D

# Keras 2 kept these in `keras.layers.convolutional` too.
from jkeras.layers.reshaping import (  # noqa: E402,F401
    Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D,
    ZeroPadding2D, ZeroPadding3D,
)

# Keras 1 defined the pooling layers in `keras.layers.convolutional` (Keras 2 re-exported them).
from jkeras.layers.pooling import (  # noqa: E402,F401
    AveragePooling1D, AveragePooling2D, AveragePooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
)

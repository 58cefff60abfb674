"""Keras 2's `keras.utils.conv_utils`: `convert_kernel` and the convolution size helpers."""
import numpy as np


def convert_kernel(kernel):
    """Flips a convolution kernel's spatial axes (all but the last two): converts between
    convolution and cross-correlation (Theano and TensorFlow weights).

    Args:
        kernel: array `(*spatial, in_channels, out_channels)`.

    Returns:
        The flipped copy.

    Raises:
        ValueError: for a kernel of rank < 3.
    """
    kernel = np.asarray(kernel)
    if kernel.ndim < 3:
        raise ValueError(f"convert_kernel: expected a kernel of rank >= 3 (spatial axes, in, out), got shape "
                         f"{kernel.shape}")
    return np.copy(kernel[(slice(None, None, -1),) * (kernel.ndim - 2)])


def normalize_tuple(value, n, name):
    """`value` (an int or `n` ints) as a tuple of `n` ints.

    Raises:
        ValueError: if it is neither.
    """
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    try:
        values = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        values = ()
    if len(values) != n:
        raise ValueError(f"The `{name}` argument must be an int or a tuple of {n} ints; received {value!r}")
    return values


def conv_output_length(input_length, filter_size, padding, stride, dilation=1):
    """The output length of a convolution over `input_length` (None stays None).

    Raises:
        ValueError: for an unknown `padding`.
    """
    if input_length is None:
        return None
    if padding not in ("same", "valid", "full", "causal"):
        raise ValueError(f"conv_output_length: padding must be 'same', 'valid', 'full' or 'causal', got {padding!r}")
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    length = {"same": input_length, "causal": input_length, "valid": input_length - dilated + 1,
              "full": input_length + dilated - 1}[padding]
    return (length + stride - 1) // stride


def conv_input_length(output_length, filter_size, padding, stride):
    """The input length a convolution needs to give `output_length` (None stays None)."""
    if output_length is None:
        return None
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (output_length - 1) * stride - 2 * pad + filter_size


def normalize_data_format(value):
    """`value` ("channels_last" / "channels_first", or None for the configured default).

    Raises:
        ValueError: for another value.
    """
    from jkeras.core import config

    value = config.image_data_format() if value is None else str(value).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return value

"""What every convolution-like layer shares: argument checks, output lengths, input-shape checks,
bias and activation, config, and the Keras 1 / Keras 2 call forms.

The public classes (`convolutional.py`, `locally_connected.py`) set the class attribute `_rank`
(1, 2 or 3) on one implementation each; nothing here loops over positions at run time.
"""
import inspect

import jax
import numpy as np
from jax import lax

from jkeras.core import activations, config, constraints, initializers, regularizers
from jkeras.models.layer import Layer
from jkeras.utils.legacy import DATA_FORMAT_VALUES, KERNEL_RENAMES, LegacyInterface

_SPATIAL_NAMES = {1: ("steps",), 2: ("rows", "cols"), 3: ("dim1", "dim2", "dim3")}


def serialize_or_none(module, obj):
    """`module.serialize(obj)`, or None for None (config values of optional arguments)."""
    return None if obj is None else module.serialize(obj)


def conv_output_length(size, kernel, stride, dilation, padding):
    """Length of a convolution's output along one axis (None stays None).

    "valid": `floor((size - (kernel - 1) * dilation - 1) / stride) + 1` (<= 0 when the kernel does
    not fit); "same" and "causal": `ceil(size / stride)`.
    """
    if size is None:
        return None
    if padding == "valid":
        return (size - (kernel - 1) * dilation - 1) // stride + 1
    return (size - 1) // stride + 1


def transpose_padding(kernel, stride, dilation, padding, output_padding):
    """`(low, high)` padding of the stride-dilated input that gives Keras's transposed-conv output.

    With `k = (kernel - 1) * dilation + 1` the output length is `(size - 1) * stride + k + extra`
    for "valid" (`extra = output_padding`, default `max(k, stride) - k`), and for "same"
    `size * stride` (no output_padding) or `(size - 1) * stride + k % 2 + output_padding`.
    """
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return k - 1, k - 1 + extra
    total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    low = min(total // 2 + total % 2, k - 1)
    return low, total - low


def transpose_output_length(size, kernel, stride, dilation, padding, output_padding):
    """Length of a transposed convolution's output along one axis (None stays None)."""
    if size is None:
        return None
    low, high = transpose_padding(kernel, stride, dilation, padding, output_padding)
    return (size - 1) * stride + low + high - (kernel - 1) * dilation + 1


def dimension_numbers(rank, data_format, transpose=False):
    """`lax.ConvDimensionNumbers` for inputs in `data_format` and Keras kernels `(*k, in, out)`
    (`(*k, out, in)` when `transpose`): no transposes of inputs or outputs."""
    n = rank + 2
    if data_format == "channels_last":
        io = (0, n - 1) + tuple(range(1, n - 1))
    else:
        io = (0, 1) + tuple(range(2, n))
    kernel = ((n - 2, n - 1) if transpose else (n - 1, n - 2)) + tuple(range(rank))
    return lax.ConvDimensionNumbers(io, kernel, io)


# ----------------------------------------------------------------------------------------------
# Keras 1 / Keras 2 call forms

# Keyword renames shared by the family (Keras 1 -> Keras 2+).
CONV_RENAMES = {
    "nb_filter": "filters", "filter_length": "kernel_size", "subsample": "strides",
    "subsample_length": "strides", "border_mode": "padding", "dim_ordering": "data_format",
    "atrous_rate": "dilation_rate",
}
BIAS_RENAMES = {"b_regularizer": "bias_regularizer", "b_constraint": "bias_constraint", "bias": "use_bias"}
_KERNEL_DIM_NAMES = {1: ("filter_length",), 2: ("nb_row", "nb_col"),
                     3: ("kernel_dim1", "kernel_dim2", "kernel_dim3")}


def _keras1_kernel_size(rank, args, kwargs):
    """`(filters, d1, ..., d_rank)` positionally, or `nb_row=` / `nb_col=` / `kernel_dim*=` keywords
    (possibly mixed), become `(filters, kernel_size)`; returns None when the call is not that form."""
    dims = args[1:]
    names = _KERNEL_DIM_NAMES[rank][len(dims):]
    if len(dims) > rank or not all(isinstance(d, (int, np.integer)) for d in dims):
        return None
    if not all(n in kwargs for n in names):
        return None
    kernel_size = tuple(int(d) for d in dims) + tuple(int(kwargs.pop(n)) for n in names)
    return ((args[0], kernel_size) if args else ()), kernel_size


def conv_legacy(init, rank, renames, keras1_positional=False, split_init=False, drop_output_shape=False):
    """The `LegacyInterface` of a convolution class whose constructor is `init`.

    Args:
        init: the implementation's `__init__` (its parameter order is the positional order).
        rank: 1, 2 or 3.
        renames: dict Keras 1 keyword -> modern keyword.
        keras1_positional: accept Keras 1's `(nb_filter, nb_row, nb_col)` positional form (only
            for Keras 1 names: for Keras 3 names the third positional argument is `strides`); the
            keywords `nb_row=` / `nb_col=` / `kernel_dim*=` are converted for every name.
        split_init: Keras 1 `init=` sets both `depthwise_initializer` and `pointwise_initializer`.
        drop_output_shape: Keras 1 `Deconvolution2D`'s `output_shape` is dropped (it follows from
            the other arguments).
    """
    positional = tuple(p for p in inspect.signature(init).parameters if p not in ("self", "kwargs"))

    def preprocess(args, kwargs):
        notes = []
        if drop_output_shape:
            if len(args) == rank + 2 and isinstance(args[-1], (tuple, list)):
                args = args[:-1]
                notes.append(("output_shape", "(nothing: the output shape follows from the arguments)"))
            if kwargs.pop("output_shape", None) is not None:
                notes.append(("output_shape", "(nothing: the output shape follows from the arguments)"))
        if rank == 1 and "input_dim" in kwargs:
            kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim"))
            notes.append(("input_dim", "input_shape=(input_length, input_dim)"))
        if split_init and "init" in kwargs:
            kwargs["depthwise_initializer"] = kwargs["pointwise_initializer"] = kwargs.pop("init")
            notes.append(("init", "depthwise_initializer / pointwise_initializer"))
        if rank > 1 and (keras1_positional or len(args) <= 1):  # keywords nb_row / nb_col: any name
            converted = _keras1_kernel_size(rank, args, kwargs)
            if converted is not None:
                args, kernel_size = converted
                if not args:
                    kwargs["kernel_size"] = kernel_size
                notes.append(("/".join(_KERNEL_DIM_NAMES[rank]), "kernel_size"))
        return args, kwargs, notes

    return LegacyInterface(positional=positional, renames=renames,
                           values={"data_format": DATA_FORMAT_VALUES}, preprocess=preprocess)


KERNEL_CONV_RENAMES = {**CONV_RENAMES, **KERNEL_RENAMES}


# ----------------------------------------------------------------------------------------------
# The shared base


class SpatialConv(Layer):
    """Base of the convolution family: kernel_size / strides / dilation_rate / padding /
    data_format handling, input checks, output shapes, bias + activation and the shared config.

    Subclasses set `_rank`; `_causal` allows padding="causal"; `_shrinks` says whether "valid"
    padding needs the (dilated) kernel to fit in the input.
    """

    _rank = None
    _causal = False
    _shrinks = True

    # -- construction ---------------------------------------------------------------------------

    def _configure(self, kernel_size, strides, padding, data_format, dilation_rate, activation,
                   use_bias, bias_initializer, bias_regularizer, bias_constraint):
        if self._rank is None:
            raise TypeError(f"{type(self).__name__} is an abstract base: use its 1D / 2D / 3D classes")
        self.kernel_size = self._int_tuple(kernel_size, "kernel_size")
        self.strides = self._int_tuple(strides, "strides")
        self.dilation_rate = self._int_tuple(dilation_rate, "dilation_rate")
        self.padding = self._standardize_padding(padding)
        if data_format is None:
            data_format = config.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise self._error(
                f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
            )
        self.data_format = data_format
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get_for_weight(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)

    def _positive_int(self, value, arg):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise self._error(f"{arg} must be a positive int, got {value!r}")
        return int(value)

    def _int_tuple(self, value, arg, minimum=1):
        """An int or `_rank` ints -> a tuple of `_rank` ints >= `minimum`."""
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            values = (int(value),) * self._rank
        else:
            try:
                values = tuple(value)
            except TypeError:
                values = ()
            if len(values) != self._rank or not all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values
            ):
                raise self._error(f"{arg} must be an int or a tuple of {self._rank} ints, got {value!r}")
            values = tuple(int(v) for v in values)
        if any(v < minimum for v in values):
            kind = "positive" if minimum == 1 else "non-negative"
            raise self._error(f"{arg} must hold {kind} ints, got {value!r}")
        return values

    def _standardize_padding(self, padding):
        allowed = ("valid", "same", "causal") if self._causal else ("valid", "same")
        value = padding.lower() if isinstance(padding, str) else padding
        if value not in allowed:
            raise self._error(f"padding must be one of {allowed}, got {padding!r}")
        return value

    def _forbid_strides_with_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise self._error(
                f"strides > 1 cannot be combined with dilation_rate > 1 (as in Keras), got "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}"
            )

    # -- shapes ---------------------------------------------------------------------------------

    @property
    def _channels_last(self):
        return self.data_format == "channels_last"

    @property
    def _channel_axis(self):
        return -1 if self._channels_last else 1

    def _spatial(self, shape):
        return tuple(shape[1:-1] if self._channels_last else shape[2:])

    def _layout(self):
        names = ", ".join(_SPATIAL_NAMES[self._rank])
        return f"(batch, {names}, channels)" if self._channels_last else f"(batch, channels, {names})"

    def _validate_input_shape(self, input_shape):
        """`input_shape` as a tuple, after checking that the layer can take it.

        Raises:
            ValueError: wrong rank, undefined channel axis, a kernel that does not fit with "valid"
                padding, or a check of the subclass (`_check_channels`).
        """
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else input_shape
        if not isinstance(shape, tuple) or len(shape) != self._rank + 2:
            raise self._error(
                f"expected an input of rank {self._rank + 2} {self._layout()} for data_format="
                f"'{self.data_format}', got shape {input_shape}"
            )
        channels = shape[self._channel_axis]
        if channels is None:
            raise self._error(f"the channel axis of the input must be defined, got shape {shape}")
        self._check_channels(channels, shape)
        if self._shrinks and self.padding == "valid":
            spatial = self._spatial(shape)
            spans = tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate))
            if any(n is not None and span > n for n, span in zip(spatial, spans)):
                dilated = f" (spanning {spans} with dilation_rate {self.dilation_rate})" \
                    if max(self.dilation_rate) > 1 else ""
                raise self._error(
                    f"kernel_size {self.kernel_size}{dilated} is larger than the input's spatial size "
                    f"{spatial} (input shape {shape}) with padding='valid'; use padding='same' or a "
                    f"smaller kernel_size"
                )
        return shape

    def _check_channels(self, channels, shape):
        """Extra checks of the channel count (override)."""

    def _check_input_shape(self, input_shape):
        shape = self._validate_input_shape(input_shape)
        if self.built and self._build_input_shape is not None:
            built = self._build_input_shape[self._channel_axis]
            if shape[self._channel_axis] != built:
                raise self._error(
                    f"expected {built} input channels (the layer was built for input shape "
                    f"{tuple(self._build_input_shape)}), got shape {shape}"
                )

    def _output_length(self, axis, size):
        return conv_output_length(size, self.kernel_size[axis], self.strides[axis],
                                  self.dilation_rate[axis], self.padding)

    def _output_channels(self, input_shape):
        return self.filters

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        spatial = tuple(self._output_length(i, n) for i, n in enumerate(self._spatial(shape)))
        channels = self._output_channels(shape)
        if self._channels_last:
            return (shape[0],) + spatial + (channels,)
        return (shape[0], channels) + spatial

    # -- computation ----------------------------------------------------------------------------

    def _make_variables(self, rng, specs, bias_shape):
        """`{"params": {name: init(shape)}, "state": {}}` for `specs = [(name, shape, init), ...]`,
        then a bias of `bias_shape` when `use_bias` (one key per weight, split from `rng`)."""
        if self.use_bias:
            specs = list(specs) + [("bias", bias_shape, self.bias_initializer)]
        keys = jax.random.split(rng, len(specs))
        params = {name: init(shape, self.dtype, key=key) for (name, shape, init), key in zip(specs, keys)}
        return {"params": params, "state": {}}

    def _lax_padding(self):
        if self.padding == "causal":
            return [((self.kernel_size[0] - 1) * self.dilation_rate[0], 0)]
        return self.padding.upper()

    def _dimension_numbers(self, transpose=False):
        return dimension_numbers(self._rank, self.data_format, transpose)

    def _finish(self, outputs, params):
        """Adds the bias on the channel axis, then applies the activation."""
        if self.use_bias:
            bias = params["bias"]
            if not self._channels_last:
                bias = bias.reshape(bias.shape + (1,) * self._rank)
            outputs = outputs + bias
        return self.activation(outputs)

    # -- config ---------------------------------------------------------------------------------

    def _shared_config(self):
        """The config entries every convolution has (besides its kernel arguments)."""
        return {
            **Layer.get_config(self),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": serialize_or_none(regularizers, self.bias_regularizer),
            "activity_regularizer": serialize_or_none(regularizers, self.activity_regularizer),
            "bias_constraint": serialize_or_none(constraints, self.bias_constraint),
        }

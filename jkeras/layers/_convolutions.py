"""The four convolution implementations, each parametrized by `_rank` in `convolutional.py`:
plain (grouped) convolution, transposed convolution, depthwise and separable convolution.

Every one is a single `lax.conv_general_dilated` call (two for separable; through
`_conv_kernels.conv`, which picks the fast form on a CPU) with dimension numbers matching
`data_format`, so channels_first inputs are never transposed.
"""
import jax.numpy as jnp

from jkeras.core import constraints, initializers, regularizers
from jkeras.layers import _conv_kernels
from jkeras.layers._conv_base import (
    SpatialConv,
    serialize_or_none,
    transpose_output_length,
    transpose_padding,
)


class _Conv(SpatialConv):
    """N-D convolution (cross-correlation): `activation(conv(inputs, kernel) + bias)`.

    Weights: kernel `(*kernel_size, in_channels // groups, filters)`, bias `(filters,)`.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = self._positive_int(filters, "filters")
        self.groups = self._positive_int(groups, "groups")
        self._configure(kernel_size, strides, padding, data_format, dilation_rate, activation,
                        use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.kernel_initializer = initializers.get_for_weight(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        if self.filters % self.groups:
            raise self._error(
                f"filters must be divisible by groups, got filters={self.filters} and groups={self.groups}"
            )
        self._forbid_strides_with_dilation()

    def _check_channels(self, channels, shape):
        if channels % self.groups:
            raise self._error(
                f"the number of input channels ({channels}) must be divisible by groups="
                f"{self.groups}, got input shape {shape}"
            )

    def init(self, rng, input_shape):
        shape = self._validate_input_shape(input_shape)
        kernel_shape = self.kernel_size + (shape[self._channel_axis] // self.groups, self.filters)
        return self._make_variables(rng, [("kernel", kernel_shape, self.kernel_initializer)],
                                    bias_shape=(self.filters,))

    def convolution_op(self, inputs, kernel):
        """The convolution of `inputs` by `kernel` with the layer's strides, padding, dilation,
        groups and data format (no bias, no activation): Keras 2.7+ / Keras 3's hook, which a
        subclass overrides (e.g. to standardize the kernel) or calls from its own `call`."""
        return _conv_kernels.conv(
            jnp.asarray(inputs, self.compute_dtype), jnp.asarray(kernel), self.strides, self._lax_padding(),
            rhs_dilation=self.dilation_rate, dimension_numbers=self._dimension_numbers(),
            feature_group_count=self.groups,
        )

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        params = variables["params"]
        outputs = self.convolution_op(inputs, params["kernel"])
        return self._finish(outputs, params), variables["state"]

    def get_config(self):
        return {
            **self._shared_config(),
            "filters": self.filters,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": serialize_or_none(regularizers, self.kernel_regularizer),
            "kernel_constraint": serialize_or_none(constraints, self.kernel_constraint),
        }


class _ConvTranspose(SpatialConv):
    """N-D transposed convolution (the gradient of a convolution with respect to its input).

    Computed as a convolution of the input dilated by `strides`, padded by Keras's rule
    (`transpose_padding`), with the spatially flipped kernel.
    Weights: kernel `(*kernel_size, filters, in_channels)`, bias `(filters,)`.
    """

    _shrinks = False

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = self._positive_int(filters, "filters")
        self._configure(kernel_size, strides, padding, data_format, dilation_rate, activation,
                        use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.output_padding = None if output_padding is None else self._int_tuple(
            output_padding, "output_padding", minimum=0)
        self.kernel_initializer = initializers.get_for_weight(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise self._error(
                f"output_padding must be smaller than strides in every dimension, got "
                f"output_padding={self.output_padding} and strides={self.strides}"
            )
        self._forbid_strides_with_dilation()

    def _axis_args(self, axis):
        output_padding = None if self.output_padding is None else self.output_padding[axis]
        return (self.kernel_size[axis], self.strides[axis], self.dilation_rate[axis], self.padding,
                output_padding)

    def _output_length(self, axis, size):
        return transpose_output_length(size, *self._axis_args(axis))

    def init(self, rng, input_shape):
        shape = self._validate_input_shape(input_shape)
        kernel_shape = self.kernel_size + (self.filters, shape[self._channel_axis])
        return self._make_variables(rng, [("kernel", kernel_shape, self.kernel_initializer)],
                                    bias_shape=(self.filters,))

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        params = variables["params"]
        kernel = jnp.flip(params["kernel"], axis=tuple(range(self._rank)))
        outputs = _conv_kernels.conv(
            jnp.asarray(inputs, self.compute_dtype), kernel, (1,) * self._rank,
            [transpose_padding(*self._axis_args(i)) for i in range(self._rank)],
            lhs_dilation=self.strides, rhs_dilation=self.dilation_rate,
            dimension_numbers=self._dimension_numbers(transpose=True),
        )
        return self._finish(outputs, params), variables["state"]

    def get_config(self):
        return {
            **self._shared_config(),
            "filters": self.filters,
            "output_padding": self.output_padding,
            "dilation_rate": self.dilation_rate,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": serialize_or_none(regularizers, self.kernel_regularizer),
            "kernel_constraint": serialize_or_none(constraints, self.kernel_constraint),
        }


class _DepthwiseMixin:
    """The depthwise step shared by depthwise and separable convolutions."""

    def _depthwise(self, inputs, kernel):
        """Convolves each input channel with its own `depth_multiplier` filters; output channel
        `c * depth_multiplier + m` comes from input channel `c`. `kernel`: `(*k, channels, m)`."""
        channels = inputs.shape[self._channel_axis]
        kernel = kernel.reshape(kernel.shape[:-2] + (1, channels * kernel.shape[-1]))
        return _conv_kernels.conv(
            inputs, kernel, self.strides, self._lax_padding(), rhs_dilation=self.dilation_rate,
            dimension_numbers=self._dimension_numbers(), feature_group_count=channels,
        )

    def _set_depth_multiplier(self, depth_multiplier):
        self.depth_multiplier = self._positive_int(depth_multiplier, "depth_multiplier")


class _DepthwiseConv(_DepthwiseMixin, SpatialConv):
    """N-D depthwise convolution: each input channel convolved with `depth_multiplier` filters.

    Weights: kernel `(*kernel_size, in_channels, depth_multiplier)`,
    bias `(in_channels * depth_multiplier,)`.
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._set_depth_multiplier(depth_multiplier)
        self._configure(kernel_size, strides, padding, data_format, dilation_rate, activation,
                        use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.depthwise_initializer = initializers.get_for_weight(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _output_channels(self, input_shape):
        channels = input_shape[self._channel_axis]
        return None if channels is None else channels * self.depth_multiplier

    def init(self, rng, input_shape):
        channels = self._validate_input_shape(input_shape)[self._channel_axis]
        kernel_shape = self.kernel_size + (channels, self.depth_multiplier)
        return self._make_variables(rng, [("kernel", kernel_shape, self.depthwise_initializer)],
                                    bias_shape=(channels * self.depth_multiplier,))

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        params = variables["params"]
        outputs = self._depthwise(jnp.asarray(inputs, self.compute_dtype), params["kernel"])
        return self._finish(outputs, params), variables["state"]

    def _weight_regularizers(self):
        return {"kernel": self.depthwise_regularizer, "bias": self.bias_regularizer}

    def _weight_constraints(self):
        return {"kernel": self.depthwise_constraint, "bias": self.bias_constraint}

    def get_config(self):
        return {
            **self._shared_config(),
            "depth_multiplier": self.depth_multiplier,
            "dilation_rate": self.dilation_rate,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": serialize_or_none(regularizers, self.depthwise_regularizer),
            "depthwise_constraint": serialize_or_none(constraints, self.depthwise_constraint),
        }


class _SeparableConv(_DepthwiseMixin, SpatialConv):
    """N-D separable convolution: a depthwise convolution, then a 1x1 convolution to `filters`.

    Weights: depthwise_kernel `(*kernel_size, in_channels, depth_multiplier)`,
    pointwise_kernel `(1, ..., 1, in_channels * depth_multiplier, filters)`, bias `(filters,)`.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = self._positive_int(filters, "filters")
        self._set_depth_multiplier(depth_multiplier)
        self._configure(kernel_size, strides, padding, data_format, dilation_rate, activation,
                        use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.depthwise_initializer = initializers.get_for_weight(depthwise_initializer)
        self.pointwise_initializer = initializers.get_for_weight(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def init(self, rng, input_shape):
        shape = self._validate_input_shape(input_shape)
        channels = shape[self._channel_axis]
        return self._make_variables(rng, [
            ("depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
             self.depthwise_initializer),
            ("pointwise_kernel", (1,) * self._rank + (channels * self.depth_multiplier, self.filters),
             self.pointwise_initializer),
        ], bias_shape=(self.filters,))

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        params = variables["params"]
        depthwise = self._depthwise(jnp.asarray(inputs, self.compute_dtype), params["depthwise_kernel"])
        outputs = _conv_kernels.conv(
            depthwise, params["pointwise_kernel"], (1,) * self._rank, "VALID",
            dimension_numbers=self._dimension_numbers(),
        )
        return self._finish(outputs, params), variables["state"]

    def get_config(self):
        return {
            **self._shared_config(),
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
            "dilation_rate": self.dilation_rate,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": serialize_or_none(regularizers, self.depthwise_regularizer),
            "pointwise_regularizer": serialize_or_none(regularizers, self.pointwise_regularizer),
            "depthwise_constraint": serialize_or_none(constraints, self.depthwise_constraint),
            "pointwise_constraint": serialize_or_none(constraints, self.pointwise_constraint),
        }

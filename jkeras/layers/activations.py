"""Advanced activation layers: LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, ReLU.

Each keeps the input's shape and passes its mask through. `ThresholdedReLU` is Keras 2's (Keras 3
dropped it); the others have Keras 3's arguments, defaults and config keys.
"""
import numbers

import jax
import jax.numpy as jnp

from jkeras.core import activations, constraints, initializers, regularizers
from jkeras.models.layer import Layer
from jkeras.utils.legacy import LegacyInterface

__all__ = ["LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "ReLU"]


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class _Activation(Layer):
    """An activation layer without weights: same shape out, mask passed through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _number(self, arg, value, allow_none=False):
        """`value` as a float >= 0 (or None when allowed); raises a ValueError naming `arg`."""
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
            expected = "a float >= 0" + (" or None" if allow_none else "")
            raise self._error(f"{arg} must be {expected}, got {arg}={value!r}")
        return float(value)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class LeakyReLU(_Activation):
    """Leaky ReLU: `x` for `x >= 0`, `negative_slope * x` otherwise.

    Args:
        negative_slope: float >= 0, the slope below 0 (Keras 2's `alpha`).

    Raises:
        ValueError: if `negative_slope` is not a float >= 0.
    """

    _legacy = LegacyInterface(positional=("negative_slope",), renames={"alpha": "negative_slope"})

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = self._number("negative_slope", negative_slope)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope), variables["state"]

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_Activation):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: float, the scale of the negative part.

    Raises:
        ValueError: if `alpha` is not a number.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise self._error(f"alpha must be a float, got alpha={alpha!r}")
        self.alpha = float(alpha)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return activations.elu(inputs, alpha=self.alpha), variables["state"]

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class ThresholdedReLU(_Activation):
    """Thresholded ReLU (Keras 2): `x` for `x > theta`, 0 otherwise.

    Args:
        theta: float >= 0, the threshold.

    Raises:
        ValueError: if `theta` is not a float >= 0.
    """

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.theta = self._number("theta", theta)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        inputs = jnp.asarray(inputs)
        return jnp.where(inputs > self.theta, inputs, jnp.zeros((), inputs.dtype)), variables["state"]

    def get_config(self):
        return {**super().get_config(), "theta": self.theta}


class ReLU(_Activation):
    """Rectified linear unit with optional ceiling, leak and threshold.

    Computes `min(x, max_value)` for `x > threshold` and `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: float >= 0, the largest output, or None for no ceiling.
        negative_slope: float >= 0, the slope below `threshold`.
        threshold: float >= 0, below which inputs are damped.

    Raises:
        ValueError: if an argument is negative (or None where a number is required).
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = self._number("max_value", max_value, allow_none=True)
        self.negative_slope = self._number("negative_slope", negative_slope)
        self.threshold = self._number("threshold", threshold)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        outputs = activations.relu(
            inputs, negative_slope=self.negative_slope, max_value=self.max_value, threshold=self.threshold
        )
        return outputs, variables["state"]

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


def _large_negative(dtype):
    return -3e4 if jnp.dtype(dtype) == jnp.float16 else -1e9


class Softmax(_Activation):
    """Softmax along `axis`; with a mask, masked positions get probability 0.

    Args:
        axis: int, or a list of ints, the axis (axes) over which the outputs sum to 1.

    Call arguments:
        mask: optional boolean mask broadcastable to the inputs (trailing axes aligned; each mask
            size 1 or equal to the input's), True where kept. Positions masked along the whole axis
            give all zeros.

    Raises:
        ValueError: if `axis` is not an int or a list of ints, or the mask does not broadcast.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if _is_int(axis):
            self.axis = int(axis)
        elif isinstance(axis, (list, tuple)) and axis and all(_is_int(a) for a in axis):
            self.axis = [int(a) for a in axis]
        else:
            raise self._error(f"axis must be an int or a non-empty list of ints, got axis={axis!r}")

    def _check_mask(self, inputs, mask):
        if mask.ndim > inputs.ndim or any(
            m != 1 and m != i for m, i in zip(mask.shape[::-1], inputs.shape[::-1])
        ):
            raise self._error(
                "the mask must broadcast to the inputs (trailing axes aligned, each mask size 1 or equal "
                f"to the input's); received inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}"
            )

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        inputs = jnp.asarray(inputs)
        if mask is not None:
            mask = jnp.asarray(mask)
            self._check_mask(inputs, mask)
            mask = mask if mask.dtype == jnp.bool_ else mask > 0.5
            inputs = jnp.where(mask, inputs, jnp.asarray(_large_negative(inputs.dtype), inputs.dtype))
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        outputs = jax.nn.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = jnp.where(mask, outputs, jnp.zeros((), outputs.dtype))
        return outputs, variables["state"]

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """Parametric ReLU: `x` for `x >= 0`, `alpha * x` otherwise, with a learned `alpha`.

    Args:
        alpha_initializer: initializer of `alpha` (default zeros).
        alpha_regularizer: optional regularizer of `alpha`.
        alpha_constraint: optional constraint of `alpha`.
        shared_axes: an axis index or a list of them (1-based, the batch axis is 0) along which one
            `alpha` is shared, e.g. `[1, 2]` for one slope per channel of `(batch, h, w, channels)`.

    Weights:
        alpha: the input's shape without the batch axis, with size 1 on the shared axes.

    Raises:
        ValueError: if a shared axis is not a non-batch axis of the input, a non-shared axis has no
            fixed size, or the input's shape differs from the one the layer was built for.
    """

    _legacy = LegacyInterface(renames={"init": "alpha_initializer"})

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get_for_weight(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        if shared_axes is not None and not all(_is_int(a) and a >= 1 for a in shared_axes):
            raise self._error(
                f"shared_axes must be None or a list of ints >= 1 (the batch axis 0 cannot be shared), "
                f"got shared_axes={shared_axes!r}"
            )
        self.shared_axes = None if shared_axes is None else [int(a) for a in shared_axes]
        self.supports_masking = True

    def _alpha_shape(self, input_shape):
        shared = set(self.shared_axes or ())
        return tuple(1 if i in shared else d for i, d in enumerate(input_shape) if i > 0)

    def _check_input_shape(self, input_shape):
        rank = len(input_shape)
        if rank < 2:
            raise self._error(f"expected an input of rank >= 2 (batch, ...), got shape {input_shape}")
        if any(a >= rank for a in self.shared_axes or ()):
            raise self._error(
                f"shared_axes={self.shared_axes} must name non-batch axes 1..{rank - 1} of the input, "
                f"got an input of shape {input_shape}"
            )
        alpha_shape = self._alpha_shape(input_shape)
        if None in alpha_shape:
            raise self._error(
                f"every axis that is not in shared_axes={self.shared_axes} needs a fixed size, got input "
                f"shape {input_shape}"
            )
        if self.built and alpha_shape != tuple(self._params["alpha"].shape):
            raise self._error(
                f"the layer was built for alpha of shape {tuple(self._params['alpha'].shape)}, an input of "
                f"shape {input_shape} needs {alpha_shape}"
            )

    def init(self, rng, input_shape):
        alpha = self.alpha_initializer(self._alpha_shape(input_shape), self.dtype, key=rng)
        return {"params": {"alpha": alpha}, "state": {}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        alpha = variables["params"]["alpha"]
        return jax.nn.relu(inputs) - alpha * jax.nn.relu(-inputs), variables["state"]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer) if self.alpha_regularizer else None,
            "alpha_constraint": constraints.serialize(self.alpha_constraint) if self.alpha_constraint else None,
            "shared_axes": self.shared_axes,
        }

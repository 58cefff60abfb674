"""Weight constraints: config-only projections `w_new = constraint(w)`.

The trainer applies a weight's constraint after every update. Class names,
arguments, defaults and config keys are Keras 3's (Keras 2 used the same);
Keras 2's lower-case names (`maxnorm`, `nonneg`, `unitnorm`, ...) are aliases.
Norms are taken over `axis` (an int or a list of ints): `axis=0` for a Dense
kernel `(in, units)`, `axis=[0, 1, 2]` for a Conv2D kernel
`(kh, kw, in, filters)`.
"""
import jax.numpy as jnp

from jkeras.core import config

from jkeras.core._registry import Registry

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm",
    "max_norm", "min_max_norm", "non_neg", "unit_norm",
    "maxnorm", "nonneg", "unitnorm",
    "get", "serialize", "deserialize",
]



def _norms(w, axis):
    """L2 norms of `w` over `axis`, kept as size-1 axes for broadcasting."""
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=axis, keepdims=True))


def _rescale(w, norms, desired):
    return w * (desired / (config.epsilon() + norms))


class Constraint:
    """Base class of constraints: `constraint(w)` returns the projected `w`.

    Subclasses implement `__call__` and, when they take arguments,
    `get_config()` (the constructor's keyword arguments).
    """

    def __call__(self, w):
        """Returns `w` projected onto the constraint (the base: unchanged)."""
        return w

    def get_config(self):
        """Returns the constructor arguments as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Returns a constraint built from `get_config()`'s dict."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales each slice whose L2 norm over `axis` exceeds `max_value`.

    Computes `w * clip(n, 0, max_value) / (epsilon + n)` with `n` the norms
    over `axis` and `epsilon = 1e-7`.

    Args:
        max_value: The largest allowed norm.
        axis: Int or list of ints, the axes of each norm.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        return _rescale(w, norms, jnp.clip(norms, 0, self.max_value))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to 0: `max(w, 0)`."""

    def __call__(self, w):
        w = jnp.asarray(w)
        return jnp.maximum(w, jnp.zeros_like(w))


class UnitNorm(Constraint):
    """Rescales each slice to unit L2 norm over `axis`: `w / (epsilon + n)`.

    Args:
        axis: Int or list of ints, the axes of each norm.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = jnp.asarray(w)
        return _rescale(w, _norms(w, self.axis), 1.0)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's L2 norm over `axis` into `[min_value, max_value]`.

    The new norm is `rate * clip(n, min_value, max_value) + (1 - rate) * n`:
    `rate=1.0` enforces the bounds at once, a smaller rate moves towards them.

    Args:
        min_value: The smallest allowed norm.
        max_value: The largest allowed norm.
        rate: Float in `[0, 1]`, how far to move per call.
        axis: Int or list of ints, the axes of each norm.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        clipped = jnp.clip(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return _rescale(w, norms, desired)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


# Keras 3's snake-case names and Keras 2's older spellings.
max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm

_CONSTRAINTS = {
    "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
    "MinMaxNorm": MinMaxNorm, "max_norm": MaxNorm, "non_neg": NonNeg,
    "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm, "maxnorm": MaxNorm,
    "nonneg": NonNeg, "unitnorm": UnitNorm,
}
_NAMES = Registry("constraint", _CONSTRAINTS)


def serialize(constraint):
    """Returns the config of a constraint.

    Args:
        constraint: A `Constraint`, or a named function.

    Returns:
        `{"class_name": ..., "config": ...}` for an object; the function's
        name for a plain function.

    Raises:
        ValueError: if `constraint` has neither a config nor a name.
    """
    return _NAMES.serialize(constraint)


def deserialize(config, custom_objects=None):
    """Returns the constraint described by a name or a config dict.

    Args:
        config: A name (`'max_norm'`, `'non_neg'`, `'maxnorm'`, ...) or a dict
            `{"class_name": ..., "config": {...}}` (Keras 2 and 3 both;
            other keys such as `"module"` are ignored).
        custom_objects: Optional dict of user classes or functions by name,
            looked up before the built-in names.

    Returns:
        A constraint (a callable `w -> w_new`).

    Raises:
        ValueError: if the name is unknown or the config is malformed.
    """
    return _NAMES.deserialize(config, custom_objects)


def get(identifier):
    """Returns a constraint for an identifier.

    Args:
        identifier: `None`; a name or config dict; a `Constraint` class
            (instantiated with defaults); or any callable (returned as it is).

    Returns:
        A callable `w -> w_new`, or `None`.

    Raises:
        ValueError: for an unknown name or an identifier of another type.
    """
    return _NAMES.get(identifier)

"""Weight and activity regularizers: config-only objects `reg(x) -> scalar`.

The penalty a regularizer returns is added to the training loss. Class names,
arguments, defaults and config keys are Keras 3's; Keras 2's functions
`l1(l=0.01)`, `l2(l=0.01)` and `l1_l2(l1=0.01, l2=0.01)` keep working and
return the same objects. Any callable `fn(x) -> scalar` is a regularizer too.
"""
import math
import numbers

import jax
import jax.numpy as jnp

from jkeras.core import config

from jkeras.core._registry import Registry, build

__all__ = [
    "Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer",
    "l1", "l2", "l1_l2", "orthogonal_regularizer",
    "get", "serialize", "deserialize",
    # Keras 1
    "l1l2", "activity_l1", "activity_l2", "activity_l1l2", "WeightRegularizer", "ActivityRegularizer",
]



def _check_factor(value, name, owner):
    """Returns `value` as a float; it must be a finite number >= 0."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0):
        raise ValueError(
            f"{owner}: {name} must be a non-negative float, got "
            f"{name}={value!r}"
        )
    return float(value)


class Regularizer:
    """Base class of regularizers: `reg(x)` returns a scalar penalty.

    Subclasses implement `__call__` and `get_config()` (the constructor's
    keyword arguments).
    """

    def __call__(self, x):
        """Returns the penalty for array `x` (the base class gives 0)."""
        return jnp.zeros((), jnp.asarray(x).dtype)

    def get_config(self):
        """Returns the constructor arguments as a JSON-serializable dict."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement get_config()"
        )

    @classmethod
    def from_config(cls, config):
        """Returns a regularizer built from `get_config()`'s dict."""
        return cls(**config)

    def __repr__(self):
        try:
            config = self.get_config()
        except NotImplementedError:
            config = {}
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """Penalty `l1 * sum(abs(x)) + l2 * sum(square(x))`.

    Args:
        l1: Non-negative float, the L1 factor.
        l2: Non-negative float, the L2 factor.

    Raises:
        ValueError: if a factor is negative, infinite or not a number.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _check_factor(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x):
        x = jnp.asarray(x)
        penalty = jnp.zeros((), x.dtype)
        if self.l1:
            penalty = penalty + self.l1 * jnp.sum(jnp.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * jnp.sum(jnp.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """Penalty `l1 * sum(abs(x))`.

    Args:
        l1: Non-negative float, the L1 factor.

    Raises:
        ValueError: if `l1` is negative, infinite or not a number.
    """

    def __init__(self, l1=0.01):
        self.l1 = _check_factor(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x):
        return self.l1 * jnp.sum(jnp.abs(jnp.asarray(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """Penalty `l2 * sum(square(x))`.

    Args:
        l2: Non-negative float, the L2 factor.

    Raises:
        ValueError: if `l2` is negative, infinite or not a number.
    """

    def __init__(self, l2=0.01):
        self.l2 = _check_factor(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x):
        return self.l2 * jnp.sum(jnp.square(jnp.asarray(x)))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalty pushing the rows (or columns) of a 2D array to be orthogonal.

    With `v_i` the L2-normalized rows (`mode="rows"`) or columns
    (`mode="columns"`), the penalty is
    `factor * 0.5 * sum_{i != j} abs(v_i . v_j) / (n * (n - 1) / 2)`,
    i.e. `factor` times the mean absolute cosine over the `n` vectors' pairs.

    Args:
        factor: Non-negative float.
        mode: `"rows"` or `"columns"`.

    Raises:
        ValueError: if `factor` or `mode` is invalid, or when called on an
            array that is not 2D.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _check_factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "OrthogonalRegularizer: mode must be 'rows' or 'columns', got "
                f"mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, x):
        x = jnp.asarray(x)
        if x.ndim != 2:
            raise ValueError(
                "OrthogonalRegularizer: input must have rank 2, got shape "
                f"{x.shape}"
            )
        vectors = x if self.mode == "rows" else x.T
        squared_norm = jnp.sum(jnp.square(vectors), axis=1, keepdims=True)
        inverse_norm = jnp.minimum(jax.lax.rsqrt(squared_norm),
                                   1.0 / config.epsilon())
        unit = vectors * inverse_norm
        n = unit.shape[0]
        cosines = unit @ unit.T
        off_diagonal = cosines * (1.0 - jnp.eye(n, dtype=x.dtype))
        pairs = n * (n - 1) / 2.0
        return self.factor * 0.5 * jnp.sum(jnp.abs(off_diagonal)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


def l1(l1=0.01, *, l=None):  # noqa: E741 (Keras 2's argument name)
    """Returns `L1(l1)`; Keras 2 spelled the factor `l`.

    Args:
        l1: Non-negative float, the L1 factor.
        l: Keras 2 name of `l1`.

    Returns:
        An `L1` regularizer.
    """
    return L1(l1 if l is None else l)


def l2(l2=0.01, *, l=None):  # noqa: E741 (Keras 2's argument name)
    """Returns `L2(l2)`; Keras 2 spelled the factor `l`.

    Args:
        l2: Non-negative float, the L2 factor.
        l: Keras 2 name of `l2`.

    Returns:
        An `L2` regularizer.
    """
    return L2(l2 if l is None else l)


def l1_l2(l1=0.01, l2=0.01):
    """Returns `L1L2(l1, l2)` with Keras 2's defaults of 0.01 each.

    Args:
        l1: Non-negative float, the L1 factor.
        l2: Non-negative float, the L2 factor.

    Returns:
        An `L1L2` regularizer.
    """
    return L1L2(l1=l1, l2=l2)


orthogonal_regularizer = OrthogonalRegularizer


# Keras 1's names: one L1L2 class served weights and activities alike.
def l1l2(l1=0.01, l2=0.01):  # noqa: E741
    """Keras 1: `L1L2(l1, l2)` (defaults 0.01 each)."""
    return L1L2(l1=l1, l2=l2)


def activity_l1(l=0.01):  # noqa: E741
    """Keras 1: an L1 activity regularizer (`L1(l)`)."""
    return L1(l)


def activity_l2(l=0.01):  # noqa: E741
    """Keras 1: an L2 activity regularizer (`L2(l)`)."""
    return L2(l)


def activity_l1l2(l1=0.01, l2=0.01):
    """Keras 1: an L1 + L2 activity regularizer (`L1L2(l1, l2)`)."""
    return L1L2(l1=l1, l2=l2)


def WeightRegularizer(l1=0.0, l2=0.0):  # noqa: N802 (Keras 1's class name)
    """Keras 1's weight regularizer class: `L1L2(l1, l2)`."""
    return L1L2(l1=l1, l2=l2)


ActivityRegularizer = WeightRegularizer

# Names accepted by `get` / `deserialize`. 'l1_l2' builds L1L2(0.01, 0.01)
# (tf.keras's string meaning); 'l1l2' is Keras 3's snake-case name of the
# class and builds it with the class defaults.
_REGULARIZERS = {
    "L1": L1, "L2": L2, "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "l1": L1, "l2": L2, "l1l2": L1L2, "l1_l2": l1_l2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def _build(obj, config):
    """`build`, except that the function `l1_l2` is called with the config."""
    return l1_l2(**config) if obj is l1_l2 else build(obj, config)


_NAMES = Registry("regularizer", _REGULARIZERS, build=_build)


def serialize(regularizer):
    """Returns the config of a regularizer.

    Args:
        regularizer: A `Regularizer`, or a named function.

    Returns:
        `{"class_name": ..., "config": ...}` for an object; the function's
        name for a plain function.

    Raises:
        ValueError: if `regularizer` has neither a config nor a name.
    """
    return _NAMES.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """Returns the regularizer described by a name or a config dict.

    Args:
        config: A name (`'l1'`, `'l2'`, `'l1_l2'`, ...) or a dict
            `{"class_name": ..., "config": {...}}` (Keras 2 and 3 both;
            other keys such as `"module"` are ignored).
        custom_objects: Optional dict of user classes or functions by name,
            looked up before the built-in names.

    Returns:
        A regularizer (a callable `reg(x) -> scalar`).

    Raises:
        ValueError: if the name is unknown or the config is malformed.
    """
    return _NAMES.deserialize(config, custom_objects)


def get(identifier):
    """Returns a regularizer for an identifier.

    Args:
        identifier: `None`; a name or config dict; a `Regularizer` class
            (instantiated with defaults); or any callable (returned as it is).

    Returns:
        A callable `reg(x) -> scalar`, or `None`.

    Raises:
        ValueError: for an unknown name or an identifier of another type.
    """
    return _NAMES.get(identifier)

"""Activation functions: pure elementwise (or per-axis) maps of a JAX array.

Every function takes an array-like `x` and returns a `jnp` array of the same
shape and floating dtype. Names, arguments and defaults are Keras 3's; Keras 2
spellings (`relu(x, alpha=...)`) keep working. One formula differs from Keras 3
under the same name: `hard_sigmoid` is Keras 2's `clip(0.2 * x + 0.5, 0, 1)`.

`get(identifier)` resolves a name, a config or a callable to a function, and
`serialize(fn)` gives back the name.
"""
import inspect

import jax
import jax.numpy as jnp

from jkeras.core._registry import Registry
from jkeras.core.symbolic import symbolic

__all__ = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink",
    "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "leaky_relu",
    "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu",
    "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish",
    "tanh", "tanh_shrink", "threshold",
    "get", "serialize", "deserialize",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _unary(fn):
    """Appends the Args and Returns of a function of `x` alone to its docstring."""
    if fn.__doc__ is not None:  # None under `python -OO`
        fn.__doc__ = inspect.cleandoc(fn.__doc__) + (
            "\n\nArgs:\n    x: Input array.\n\n"
            "Returns:\n    An array with the shape and dtype of `x`."
        )
    return fn


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, *, alpha=None):
    """Rectified linear unit, with optional leak, ceiling and threshold.

    Computes `x` for `threshold < x` (clipped to `[0, max_value]` when
    `max_value` is set), else `negative_slope * (x - threshold)`. With the
    defaults this is `max(x, 0)`.

    Args:
        x: Input array.
        negative_slope: Slope below the threshold. Keras 2 called it `alpha`.
        max_value: Largest output value, or `None` for no ceiling.
        threshold: Value below which inputs are damped.
        alpha: Keras 2 name of `negative_slope`.

    Returns:
        An array with the shape and dtype of `x`.

    Raises:
        ValueError: if `alpha` and `negative_slope` are both given and differ.
    """
    if alpha is not None:
        if negative_slope not in (0.0, alpha):
            raise ValueError(
                "relu: pass `negative_slope` or its Keras 2 name `alpha`, not "
                f"both; got negative_slope={negative_slope}, alpha={alpha}"
            )
        negative_slope = alpha
    x = jnp.asarray(x)
    if threshold != 0:
        out = jnp.where(x > threshold, x, jnp.zeros_like(x))
    else:
        out = jax.nn.relu(x)
    if max_value is not None:
        out = jnp.clip(out, 0, max_value)
    if negative_slope != 0:
        out = out - negative_slope * jax.nn.relu(threshold - x)
    return out


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: `x` if `x >= 0` else `negative_slope * x`.

    Args:
        x: Input array.
        negative_slope: Slope for negative inputs.

    Returns:
        An array with the shape and dtype of `x`.
    """
    return jax.nn.leaky_relu(jnp.asarray(x), negative_slope=negative_slope)


@_unary
def relu6(x):
    """ReLU capped at 6: `min(max(x, 0), 6)`."""
    return jax.nn.relu6(jnp.asarray(x))


def softmax(x, axis=-1):
    """Softmax `exp(x) / sum(exp(x))` along `axis`, computed stably.

    Args:
        x: Input array (logits).
        axis: Integer, the axis along which the outputs sum to 1.

    Returns:
        An array with the shape and dtype of `x`.
    """
    return jax.nn.softmax(jnp.asarray(x), axis=axis)


def log_softmax(x, axis=-1):
    """Log of the softmax along `axis`: `x - logsumexp(x, axis)`.

    Args:
        x: Input array (logits).
        axis: Integer, the axis of the softmax.

    Returns:
        An array with the shape and dtype of `x`.
    """
    return jax.nn.log_softmax(jnp.asarray(x), axis=axis)


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if `x > 0` else `alpha * (exp(x) - 1)`.

    Args:
        x: Input array.
        alpha: Scale of the negative section.

    Returns:
        An array with the shape and dtype of `x`.
    """
    return jax.nn.elu(jnp.asarray(x), alpha=alpha)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `x` if `x >= 0` else
    `alpha * (exp(x / alpha) - 1)`.

    Args:
        x: Input array.
        alpha: Scale of the negative section.

    Returns:
        An array with the shape and dtype of `x`.
    """
    return jax.nn.celu(jnp.asarray(x), alpha=alpha)


@_unary
def selu(x):
    """Scaled ELU: `scale * elu(x, alpha)` with `alpha=1.67326324` and
    `scale=1.05070098`; use with `LecunNormal` weights."""
    x = jnp.asarray(x)
    return _SELU_SCALE * jax.nn.elu(x, alpha=_SELU_ALPHA)


@_unary
def softplus(x):
    """Softplus `log(exp(x) + 1)`, computed without overflow."""
    return jax.nn.softplus(jnp.asarray(x))


@_unary
def softsign(x):
    """Softsign `x / (abs(x) + 1)`."""
    x = jnp.asarray(x)
    return x / (jnp.abs(x) + 1)


def squareplus(x, b=4):
    """Squareplus `(x + sqrt(x ** 2 + b)) / 2`.

    Args:
        x: Input array.
        b: Smoothness parameter (non-negative).

    Returns:
        An array with the shape and dtype of `x`.
    """
    return jax.nn.squareplus(jnp.asarray(x), b=b)


def soft_shrink(x, threshold=0.5):
    """Soft shrinkage: `x - threshold` above `threshold`, `x + threshold`
    below `-threshold`, else 0.

    Args:
        x: Input array.
        threshold: Half-width of the zeroed band.

    Returns:
        An array with the shape and dtype of `x`.
    """
    x = jnp.asarray(x)
    return x - jnp.clip(x, -threshold, threshold)


def hard_shrink(x, threshold=0.5):
    """Hard shrinkage: `x` where `abs(x) > threshold`, else 0.

    Args:
        x: Input array.
        threshold: Half-width of the zeroed band.

    Returns:
        An array with the shape and dtype of `x`.
    """
    x = jnp.asarray(x)
    return jnp.where(jnp.abs(x) > threshold, x, jnp.zeros_like(x))


@_unary
def tanh_shrink(x):
    """Tanh shrinkage `x - tanh(x)`."""
    x = jnp.asarray(x)
    return x - jnp.tanh(x)


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`.

    Args:
        x: Input array.
        threshold: The value above which `x` is kept.
        default_value: The value written where `x <= threshold`.

    Returns:
        An array with the shape and dtype of `x`.
    """
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x, jnp.asarray(default_value, x.dtype))


@_unary
def sparse_plus(x):
    """SparsePlus: 0 for `x <= -1`, `(x + 1) ** 2 / 4` for `-1 < x < 1`,
    `x` for `x >= 1`."""
    return jax.nn.sparse_plus(jnp.asarray(x))


@_unary
def silu(x):
    """SiLU, also called swish: `x * sigmoid(x)`."""
    return jax.nn.silu(jnp.asarray(x))


swish = silu


def gelu(x, approximate=False):
    """Gaussian error linear unit `x * Phi(x)`.

    Exact: `0.5 * x * (1 + erf(x / sqrt(2)))`. Approximate:
    `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))`.

    Args:
        x: Input array.
        approximate: Whether to use the tanh approximation.

    Returns:
        An array with the shape and dtype of `x`.
    """
    return jax.nn.gelu(jnp.asarray(x), approximate=bool(approximate))


def glu(x, axis=-1):
    """Gated linear unit `a * sigmoid(b)`, where `a, b` are the two halves of
    `x` along `axis`.

    Args:
        x: Input array; its size along `axis` must be even.
        axis: The axis to split.

    Returns:
        An array shaped like `x` with `axis` halved.

    Raises:
        ValueError: if the size of `x` along `axis` is odd.
    """
    x = jnp.asarray(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: the size of x along axis={axis} must be even, got shape "
            f"{x.shape}"
        )
    a, b = jnp.split(x, 2, axis=axis)
    return a * jax.nn.sigmoid(b)


@_unary
def tanh(x):
    """Hyperbolic tangent `(exp(x) - exp(-x)) / (exp(x) + exp(-x))`."""
    return jnp.tanh(jnp.asarray(x))


@_unary
def hard_tanh(x):
    """Hard tanh `clip(x, -1, 1)`."""
    return jax.nn.hard_tanh(jnp.asarray(x))


@_unary
def sigmoid(x):
    """Logistic sigmoid `1 / (1 + exp(-x))`."""
    return jax.nn.sigmoid(jnp.asarray(x))


@_unary
def log_sigmoid(x):
    """Log of the sigmoid, `-softplus(-x)`, computed stably."""
    return jax.nn.log_sigmoid(jnp.asarray(x))


@_unary
def hard_sigmoid(x):
    """Hard sigmoid, Keras 2's formula: `clip(0.2 * x + 0.5, 0, 1)`.

    This is 0 for `x <= -2.5`, 1 for `x >= 2.5` and linear between.
    jkeras keeps Keras 2's definition because recurrent layers trained with
    Keras 2 (`recurrent_activation='hard_sigmoid'`) depend on it; Keras 3
    changed the same name to `relu6(x + 3) / 6` (0 below -3, 1 above 3)."""
    x = jnp.asarray(x)
    return jnp.clip(0.2 * x + 0.5, 0.0, 1.0)


@_unary
def sparse_sigmoid(x):
    """Sparse sigmoid: 0 for `x <= -1`, `(x + 1) / 2` for `-1 < x < 1`,
    1 for `x >= 1`."""
    return jax.nn.sparse_sigmoid(jnp.asarray(x))


@_unary
def hard_silu(x):
    """Hard SiLU, also called hard swish: `x * relu6(x + 3) / 6`.

    This is Keras 3's (and Howard et al.'s) formula; it is not
    `x * hard_sigmoid(x)` with jkeras's Keras 2 `hard_sigmoid`."""
    x = jnp.asarray(x)
    return x * jax.nn.relu6(x + 3.0) / 6.0


hard_swish = hard_silu


@_unary
def exponential(x):
    """Exponential `exp(x)`."""
    return jnp.exp(jnp.asarray(x))


def linear(x):
    """Identity (pass-through): returns `x` unchanged.

    Args:
        x: Input array.

    Returns:
        `x` itself.
    """
    return x


@_unary
def mish(x):
    """Mish `x * tanh(softplus(x))`."""
    x = jnp.asarray(x)
    return x * jnp.tanh(jax.nn.softplus(x))


def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of `x` onto the simplex along
    `axis`, `max(x - tau, 0)` with `tau` chosen so the outputs sum to 1.

    Args:
        x: Input array (logits).
        axis: Integer, the axis of the projection.

    Returns:
        An array with the shape and dtype of `x`.
    """
    x = jnp.moveaxis(jnp.asarray(x), axis, -1)
    descending = -jnp.sort(-x, axis=-1)
    cumulative = jnp.cumsum(descending, axis=-1)
    rank = jnp.arange(1, x.shape[-1] + 1, dtype=x.dtype)
    in_support = 1 + rank * descending > cumulative
    support_size = jnp.sum(in_support, axis=-1, keepdims=True)
    support_sum = jnp.take_along_axis(cumulative, support_size - 1, axis=-1)
    tau = (support_sum - 1) / support_size.astype(x.dtype)
    return jnp.moveaxis(jnp.maximum(x - tau, 0), -1, axis)



for _fn in (celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh,
            leaky_relu, linear, log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid, silu,
            soft_shrink, softmax, softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax,
            squareplus, tanh, tanh_shrink, threshold):
    globals()[_fn.__name__] = symbolic("activations", _fn.__name__, _fn)  # records itself on symbolic tensors
del _fn
swish = silu
hard_swish = hard_silu

_ACTIVATIONS = {
    fn.__name__: fn
    for fn in (
        celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid,
        hard_silu, hard_tanh, leaky_relu, linear, log_sigmoid, log_softmax,
        mish, relu, relu6, selu, sigmoid, silu, soft_shrink, softmax,
        softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax,
        squareplus, tanh, tanh_shrink, threshold,
    )
}
_ACTIVATIONS["swish"] = silu
_ACTIVATIONS["hard_swish"] = hard_silu
_NAMES = Registry("activation", _ACTIVATIONS, instantiate=())


def serialize(activation):
    """Returns the name of an activation function.

    Args:
        activation: A function (built-in or user-defined), or an object with
            `get_config()`.

    Returns:
        The function's name (`'relu'`; `'silu'` for `swish`), or
        `{"class_name": ..., "config": ...}` for an object with a config.

    Raises:
        ValueError: if `activation` has neither a name nor a config.
    """
    return _NAMES.serialize(activation)


def deserialize(config, custom_objects=None):
    """Returns the activation function named by a config.

    Args:
        config: A name (`'relu'`), or a dict `{"class_name": "function",
            "config": "relu"}` (Keras 3) or `{"class_name": name,
            "config": {...}}` for a custom class.
        custom_objects: Optional dict of user functions or classes by name,
            looked up before the built-in names.

    Returns:
        A callable.

    Raises:
        ValueError: if the name is unknown or the config is malformed.
    """
    return _NAMES.deserialize(config, custom_objects)


def get(identifier):
    """Returns the activation function for an identifier.

    Args:
        identifier: `None` (gives `linear`), a name such as `'relu'`, a config
            dict, or any callable (returned as it is).

    Returns:
        A callable `fn(x) -> array`.

    Raises:
        ValueError: for an unknown name or an identifier of another type.
    """
    return linear if identifier is None else _NAMES.get(identifier)

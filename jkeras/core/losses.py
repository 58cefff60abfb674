"""Keras losses as pure JAX functions, plus the reduction helpers.

Every loss function takes `(y_true, y_pred, **options)` and returns the
per-sample loss: the last axis (or `axis`) reduced, the batch and any
time axes kept, with Keras 3's clipping (`jkeras.core.config.epsilon()`, 1e-7 by default) and formulas.
Keras 3's newer losses (`dice`, `tversky`, `circle`, `ctc`,
`categorical_generalized_cross_entropy`) live in `jkeras/core/_extra_losses.py`.

`reduce_weighted_values` turns per-sample values into the scalar a `Loss`
returns (sample weights, a boolean mask and a reduction mode), exactly as
Keras 3's `Loss.__call__` does; the trainer reuses it.

The config-only `Loss` classes and `get` / `serialize` / `deserialize` live in
`jkeras/core/_loss_classes.py` (split for length) and are importable from here:
`from jkeras.core.losses import Loss, get`.
"""
import warnings

import jax
import jax.numpy as jnp

from jkeras.core import config
from jkeras.core.symbolic import symbolic
from jkeras.core._extra_losses import (  # noqa: F401 (re-exported)
    _circle_and_mask, categorical_generalized_cross_entropy, circle, ctc, dice, tversky,
)


_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight",
               "none", None)


class Reduction:
    """Keras 2's loss reduction names (`tf.keras.losses.Reduction`).

    `AUTO` means `SUM_OVER_BATCH_SIZE`, as in Keras 2 outside distribution
    strategies.
    """

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        standardize_reduction(key)


def standardize_reduction(reduction):
    """Checks a reduction name; Keras 2's `"auto"` becomes `"sum_over_batch_size"`.

    Raises:
        ValueError: if `reduction` is not one of the Keras reductions.
    """
    if reduction == "auto":
        return "sum_over_batch_size"
    if reduction not in _REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{list(_REDUCTIONS) + ['auto']}. Received: reduction={reduction!r}")
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Makes ranks equal when they differ by one and the longer has a last dim of 1.

    A rank-1 partner is expanded (`(b,)` -> `(b, 1)`) when `expand_rank_1`,
    otherwise the size-1 axis is squeezed.

    Returns:
        The pair `(x1, x2)`.
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def _align_weights(values, weights):
    """Matches ranks as Keras 3 does, then (as Keras 2 did) gives `(batch,)`
    weights trailing axes so they broadcast over e.g. per-timestep losses."""
    values, weights = squeeze_or_expand_to_same_rank(values, weights)
    if 0 < weights.ndim < values.ndim and weights.shape == values.shape[:weights.ndim]:
        weights = weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
    return values, weights


def _divide_no_nan(x, y):
    safe = jnp.where(y == 0, 1, y)
    return jnp.where(y == 0, jnp.zeros_like(x), x / safe)


def broadcast_mask(mask, shape):
    """`mask` broadcast to `shape`, its axes aligned with the leading axes of `shape`.

    A `(batch,)` mask of a `(batch, time)` loss covers every timestep of a row.
    """
    mask = jnp.asarray(mask)
    shape = tuple(shape)
    if mask.ndim < len(shape):
        mask = jnp.reshape(mask, mask.shape + (1,) * (len(shape) - mask.ndim))
    if mask.ndim == len(shape):
        return jnp.broadcast_to(mask, jnp.broadcast_shapes(mask.shape, shape))
    return mask


def apply_mask(sample_weight, mask, dtype="float32", reduction="sum_over_batch_size"):
    """Merges a boolean `mask` into `sample_weight` (Keras 3's `apply_mask`).

    For `"sum_over_batch_size"` / `"mean"` the valid entries get weight
    `size / num_valid`, so the later division by the size averages over the
    valid entries only; otherwise the mask is used as a 0/1 weight.

    Returns:
        The merged weights, or `sample_weight` unchanged when `mask` is None.
    """
    if mask is None:
        return sample_weight
    mask = jnp.asarray(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = jnp.asarray(mask.size, dtype)
        valid = jnp.sum(mask.astype(dtype))
        float_mask = jnp.where(mask.astype(bool), _divide_no_nan(total, valid), 0).astype(dtype)
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = jnp.asarray(sample_weight, dtype)
    float_mask, sample_weight = _align_weights(float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduces already weighted `values` to a scalar (Keras 3's `reduce_values`)."""
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    loss = jnp.sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = jnp.sum(sample_weight).astype(loss.dtype)
    else:
        divisor = jnp.asarray(values.size, loss.dtype)
    return _divide_no_nan(loss, divisor)


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    """Weights, masks and reduces per-sample loss values as Keras 3's `Loss` does.

    Args:
        values: per-sample losses, e.g. shape `(batch,)` or `(batch, time)`.
        sample_weight: optional weights, broadcastable to `values` after a
            size-1 last axis is squeezed or a `(batch,)` vector expanded
            (`(batch,)` weights also apply to every timestep of `(batch, time)`
            values, as in Keras 2; Keras 3 raises there).
        mask: optional boolean array of `values`' shape (a sequence model's
            output mask); masked entries get zero weight.
        reduction: `"sum_over_batch_size"` (default; `"mean"` is the same),
            `"sum"`, `"mean_with_sample_weight"` (divide by the weight sum),
            `"none"` or None (no reduction). Keras 2's `"auto"` is accepted.
        dtype: computation dtype; defaults to `values`' float dtype.

    Returns:
        A scalar, or the weighted values when the reduction is none.

    Raises:
        ValueError: for an unknown `reduction`.
    """
    reduction = standardize_reduction(reduction)
    values = jnp.asarray(values, dtype)
    if not jnp.issubdtype(values.dtype, jnp.floating):
        values = values.astype(jnp.float32)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight, values.dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = _align_weights(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


# ----------------------------------------------------------------------------
# Loss functions
# ----------------------------------------------------------------------------


def _as_float(x):
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.float32)


def _pair(y_true, y_pred, same_rank=True):
    """Returns float `(y_true, y_pred)` in `y_pred`'s dtype, ranks matched."""
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    if same_rank:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


def _check_same_shape(loss, y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{loss}: `y_true` and `y_pred` must have the same shape. Received: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}")


def _check_axis(loss, axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"{loss}: `axis` must be an int. Received: axis={axis!r}")


def _warn_single_class(loss, y_pred):
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {loss}, expected y_pred.shape to be (batch_size, num_classes) "
            f"with num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider "
            "using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning, stacklevel=3)


def _smooth_categorical(y_true, label_smoothing):
    if not label_smoothing:
        return y_true
    num_classes = y_true.shape[-1]
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def _smooth_binary(y_true, label_smoothing):
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _clip_probabilities(p):
    return jnp.clip(p, config.epsilon(), 1.0 - config.epsilon())


def _categorical_log_probs(y_pred, from_logits, axis):
    if from_logits:
        return jax.nn.log_softmax(y_pred, axis=axis)
    return jnp.log(_clip_probabilities(y_pred / jnp.sum(y_pred, axis, keepdims=True)))


def _convert_binary_labels_to_hinge(y_true):
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def _l2_normalize(x, axis):
    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv_norm, 1.0 / config.epsilon())


def mean_squared_error(y_true, y_pred):
    """Mean squared error: `mean(square(y_true - y_pred), axis=-1)`.

    Args:
        y_true: targets, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, same shape.

    Returns:
        Per-sample loss, shape `(batch, d0, ..., dN-1)`.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error: `mean(abs(y_true - y_pred), axis=-1)`. Shapes as `mse`."""
    y_true, y_pred = _pair(y_true, y_pred)
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)), axis=-1)`."""
    y_true, y_pred = _pair(y_true, y_pred)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), config.epsilon()))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`."""
    y_true, y_pred = _pair(y_true, y_pred)
    first = jnp.log(jnp.maximum(y_pred, config.epsilon()) + 1.0)
    second = jnp.log(jnp.maximum(y_true, config.epsilon()) + 1.0)
    return jnp.mean(jnp.square(first - second), axis=-1)


def hinge(y_true, y_pred):
    """Hinge loss `mean(maximum(1 - y_true * y_pred, 0), axis=-1)`.

    Labels in {0, 1} (all of them) are mapped to {-1, 1} first.
    """
    y_true, y_pred = _pair(y_true, y_pred, same_rank=False)
    y_true = _convert_binary_labels_to_hinge(y_true)
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Squared hinge `mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`."""
    y_true, y_pred = _pair(y_true, y_pred, same_rank=False)
    y_true = _convert_binary_labels_to_hinge(y_true)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """`maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)` over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred, same_rank=False)
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, 0.0)


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed stably."""
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - jnp.log(2.0).astype(x.dtype), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss, the mean over the last axis of `0.5 * e**2` where `|e| <= delta`
    and `delta * |e| - 0.5 * delta**2` elsewhere (`e = y_pred - y_true`).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    delta = jnp.asarray(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    quadratic = 0.5 * jnp.square(error)
    linear = delta * abs_error - 0.5 * jnp.square(delta)
    return jnp.mean(jnp.where(abs_error <= delta, quadratic, linear), axis=-1)


def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to `[1e-7, 1]`."""
    y_true, y_pred = _pair(y_true, y_pred, same_rank=False)
    y_true = jnp.clip(y_true, config.epsilon(), 1.0)
    y_pred = jnp.clip(y_pred, config.epsilon(), 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)`."""
    y_true, y_pred = _pair(y_true, y_pred, same_rank=False)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + config.epsilon()), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity `-sum(l2_normalize(y_true) * l2_normalize(y_pred))`.

    Values lie in [-1, 1]; -1 means the vectors point the same way, and a zero
    vector gives 0. Keras 2's `cosine_proximity` is this function.

    Args:
        axis: the axis along which the similarity is computed.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return -jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical crossentropy between one-hot `y_true` and `y_pred`.

    Args:
        y_true: one-hot targets, shape `(batch, ..., num_classes)`.
        y_pred: probabilities (renormalised to sum to 1, then clipped to
            `[1e-7, 1 - 1e-7]`) or, with `from_logits=True`, logits.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: float in [0, 1]; targets become
            `y_true * (1 - label_smoothing) + label_smoothing / num_classes`.
        axis: the class axis.

    Returns:
        Per-sample loss, `y_pred`'s shape without `axis`.

    Raises:
        ValueError: if the shapes differ or `axis` is not an int.
    """
    _check_axis("categorical_crossentropy", axis)
    y_true, y_pred = _pair(y_true, y_pred, same_rank=False)
    _warn_single_class("categorical_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
    _check_same_shape("categorical_crossentropy", y_true, y_pred)
    return -jnp.sum(y_true * _categorical_log_probs(y_pred, from_logits, axis), axis=axis)


def _sparse_categorical_crossentropy_and_mask(y_true, y_pred, from_logits=False,
                                              ignore_class=None, axis=-1):
    """Sparse crossentropy plus the validity mask (None unless `ignore_class`)."""
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(y_true)
    class_axis = axis % y_pred.ndim
    if y_true.ndim == y_pred.ndim and y_true.shape[class_axis] == 1:
        y_true = jnp.squeeze(y_true, class_axis)
    expected = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1:]
    if y_true.shape != expected:
        raise ValueError(
            "sparse_categorical_crossentropy: `y_true` must hold integer labels of "
            f"shape {expected} (or with a trailing 1). Received: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}")
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = jnp.where(valid, y_true, 0)
        # Ignored rows get a harmless uniform input; their loss is zeroed below.
        y_pred = jnp.where(jnp.expand_dims(valid, class_axis), y_pred, 1.0)
    log_probs = _categorical_log_probs(y_pred, from_logits, class_axis)
    one_hot = jax.nn.one_hot(y_true.astype(jnp.int32), y_pred.shape[class_axis],
                             axis=class_axis, dtype=y_pred.dtype)
    result = -jnp.sum(one_hot * log_probs, axis=class_axis)
    if valid is not None:
        result = jnp.where(valid, result, 0.0)
    return result, valid


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy between integer labels and `y_pred`.

    Args:
        y_true: integer labels of shape `(batch, ...)` or `(batch, ..., 1)`.
        y_pred: probabilities or logits, shape `(batch, ..., num_classes)`.
        from_logits: whether `y_pred` holds logits.
        ignore_class: optional label whose entries get a loss of 0 (a `Loss`
            also leaves them out of the average).
        axis: the class axis.

    Returns:
        Per-sample loss, shape `(batch, ...)`.

    Raises:
        ValueError: if the label shape does not match `y_pred`.
    """
    return _sparse_categorical_crossentropy_and_mask(
        y_true, y_pred, from_logits, ignore_class, axis)[0]


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, averaged over `axis`.

    Args:
        y_true: 0/1 targets, shape `(batch, d0, ..., dN)`.
        y_pred: probabilities (clipped to `[1e-7, 1 - 1e-7]`) or logits.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: targets become `y_true * (1 - ls) + 0.5 * ls`.
        axis: the axis the mean is taken over.

    Returns:
        Per-sample loss, shape `(batch, d0, ..., dN-1)`.

    Raises:
        ValueError: if the shapes differ.
    """
    y_true, y_pred = _pair(y_true, y_pred, same_rank=False)
    y_true = _smooth_binary(y_true, label_smoothing)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    if from_logits:
        bce = -(y_true * jax.nn.log_sigmoid(y_pred) + (1.0 - y_true) * jax.nn.log_sigmoid(-y_pred))
    else:
        p = _clip_probabilities(y_pred)
        bce = -(y_true * jnp.log(p) + (1.0 - y_true) * jnp.log(1.0 - p))
    return jnp.mean(bce, axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary focal crossentropy (Lin et al., 2018), averaged over `axis`.

    `bce * (1 - p_t) ** gamma` with `p_t = y_true * p + (1 - y_true) * (1 - p)`,
    further weighted by `alpha` (class 1) / `1 - alpha` (class 0) when
    `apply_class_balancing`.

    Args:
        apply_class_balancing: whether to apply the `alpha` weights.
        alpha: weight of class 1.
        gamma: focusing parameter; 0 gives binary crossentropy.
        from_logits, label_smoothing, axis: as in `binary_crossentropy`.

    Returns:
        Per-sample loss, shape `(batch, d0, ..., dN-1)`.
    """
    y_true, y_pred = _pair(y_true, y_pred, same_rank=False)
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    _check_same_shape("binary_focal_crossentropy", y_true, y_pred)
    p = _clip_probabilities(y_pred)
    bce = -(y_true * jnp.log(p) + (1.0 - y_true) * jnp.log(1.0 - p))
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical focal crossentropy: `sum(alpha * (1 - p) ** gamma * -y_true * log(p))`.

    Args:
        alpha: class weight, a float or a per-class list.
        gamma: focusing parameter; 0 gives `alpha` times categorical crossentropy.
        from_logits, label_smoothing, axis: as in `categorical_crossentropy`.

    Returns:
        Per-sample loss, `y_pred`'s shape without `axis`.
    """
    _check_axis("categorical_focal_crossentropy", axis)
    y_true, y_pred = _pair(y_true, y_pred, same_rank=False)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    output = _clip_probabilities(y_pred / jnp.sum(y_pred, axis=axis, keepdims=True))
    cce = -y_true * jnp.log(output)
    weight = jnp.power(1.0 - output, gamma) * jnp.asarray(alpha, output.dtype)
    return jnp.sum(weight * cce, axis=axis)



for _fn in (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
            mean_squared_logarithmic_error, hinge, squared_hinge, categorical_hinge, log_cosh, huber,
            kl_divergence, poisson, cosine_similarity, categorical_crossentropy,
            sparse_categorical_crossentropy, binary_crossentropy, binary_focal_crossentropy,
            categorical_focal_crossentropy):
    globals()[_fn.__name__] = symbolic("losses", _fn.__name__, _fn)  # records itself on symbolic tensors
del _fn

# Keras 2 and short aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
cosine_proximity = cosine = cosine_similarity
bce = BCE = binary_crossentropy

_CLASS_NAMES = (
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "CosineSimilarity",
    "Huber", "LogCosh", "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence",
    "Poisson", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy", "CTC", "Dice", "Tversky",
    "Circle", "CategoricalGeneralizedCrossEntropy", "get", "serialize", "deserialize",
)


def __getattr__(name):
    # The classes import the functions above, so they are loaded on first use.
    if name in _CLASS_NAMES:
        from jkeras.core import _loss_classes
        return getattr(_loss_classes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

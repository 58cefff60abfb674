"""Keras metric functions and the pure reductions the metric classes share.

The functions return per-sample values (1.0 for a hit, 0.0 for a miss) as
Keras 3's do; the metric classes in `jkeras.metrics` average them over
samples and batches with `reduce_to_samplewise_values` and `mean_update`.
`confusion_counts` is the thresholded confusion-matrix update behind
TruePositives ... AUC. Everything here is a pure JAX function.
"""
import numpy as np

import jax
import jax.numpy as jnp

from jkeras.core import config
from jkeras.core.losses import apply_mask, squeeze_or_expand_to_same_rank

NEG_INF = -1e10


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` (after matching ranks), else 0.0.

    Returns:
        Per-element matches, float32.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).astype(jnp.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `y_true` equals `y_pred > threshold`, else 0.0.

    Args:
        y_true: 0/1 labels, shape `(batch, d0, ..., dN)`.
        y_pred: probabilities (or scores), same shape.
        threshold: the decision threshold.

    Returns:
        Per-element matches, float32.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == y_pred).astype(jnp.float32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where `argmax(y_true) == argmax(y_pred)` over the last axis.

    Args:
        y_true: one-hot labels, shape `(batch, ..., num_classes)`.
        y_pred: scores, same shape.

    Returns:
        Per-sample matches, shape `(batch, ...)`, float32.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.argmax(jnp.asarray(y_true), axis=-1)
    original_shape = y_true.shape
    squeezed = y_true.ndim == y_pred.ndim
    if squeezed:
        y_true = jnp.squeeze(y_true, -1)
    matches = (y_true == jnp.argmax(y_pred, axis=-1)).astype(jnp.float32)
    return matches.reshape(original_shape) if squeezed else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals `argmax(y_pred)` over the last axis.

    Args:
        y_true: labels, shape `(batch, ...)` or `(batch, ..., 1)`.
        y_pred: scores, shape `(batch, ..., num_classes)`.

    Returns:
        Per-sample matches, shape `(batch, ...)`, float32.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    original_shape = y_true.shape
    squeezed = y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1
    if squeezed:
        y_true = jnp.squeeze(y_true, -1)
    predicted = jnp.argmax(y_pred, axis=-1).astype(y_true.dtype)
    matches = (y_true == predicted).astype(jnp.float32)
    if squeezed:
        matches = matches.reshape(original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = jnp.squeeze(matches, -1)
    return matches


def _in_top_k(targets, predictions, k):
    """Whether each target's score ranks within the top `k` (ties count as hits)."""
    at_label = jnp.take_along_axis(predictions, targets[..., None], axis=-1)
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)
    rank = 1 + jnp.sum(predictions > at_label, axis=-1)
    return rank <= k


def _top_k_matches(labels, y_pred, k):
    original_shape = labels.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    matches = _in_top_k(labels.reshape(-1).astype(jnp.int32), y_pred, k)
    return matches.astype(jnp.float32).reshape(original_shape)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target's class is among the `k` highest scores.

    Args:
        y_true: one-hot labels, shape `(batch, num_classes)`.
        y_pred: scores, same shape.
        k: how many top classes count as a hit.

    Returns:
        Per-sample matches, shape `(batch,)`, float32.
    """
    y_pred = jnp.asarray(y_pred)
    return _top_k_matches(jnp.argmax(jnp.asarray(y_true), axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the `k` highest scores.

    Args:
        y_true: labels, shape `(batch,)`.
        y_pred: scores, shape `(batch, num_classes)`; or, with
            `from_sorted_ids=True`, class ids sorted by decreasing score.
        k: how many top classes count as a hit.
        from_sorted_ids: whether `y_pred` holds sorted class ids.

    Returns:
        Per-sample matches, shape `(batch,)`, float32.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true)
    if not from_sorted_ids:
        return _top_k_matches(y_true, y_pred, k)
    original_shape = y_true.shape
    y_pred = y_pred.reshape(-1, y_pred.shape[-1]) if y_pred.ndim > 2 else y_pred
    labels = y_true.reshape(-1).astype(y_pred.dtype)
    matches = jnp.any(labels[:, None] == y_pred[:, :k], axis=1)
    return matches.astype(jnp.float32).reshape(original_shape)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity `sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`.

    The metric form (positive, 1 for parallel vectors); the loss of the same
    name is its negative.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)

    def normalize(x):
        inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inv_norm, 1.0 / config.epsilon())

    return jnp.sum(normalize(y_true) * normalize(y_pred), axis=axis)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation coefficient of labels and predictions along `axis`.

    `mean(z(y_true) * z(y_pred), axis)` with `z(x) = (x - mean(x)) / std(x)`
    (population std, no epsilon: a constant row gives NaN, as in Keras 3).

    Args:
        y_true: targets, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, same shape.
        axis: the axis (or tuple of axes) the coefficient is computed along.

    Returns:
        Per-sample coefficients, `y_pred`'s shape without `axis`.
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    axis = _axis_arg(axis)
    y_true_norm = y_true - jnp.mean(y_true, axis=axis, keepdims=True)
    y_pred_norm = y_pred - jnp.mean(y_pred, axis=axis, keepdims=True)
    y_true_norm = y_true_norm / jnp.std(y_true_norm, axis=axis, keepdims=True)
    y_pred_norm = y_pred_norm / jnp.std(y_pred_norm, axis=axis, keepdims=True)
    return jnp.mean(y_true_norm * y_pred_norm, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Concordance correlation coefficient of labels and predictions along `axis`.

    `mean(2 * cov / (var(y_true) + var(y_pred) + (mean(y_true) - mean(y_pred))**2 + eps))`
    with `cov = (y_true - mean(y_pred)) * (y_pred - mean(y_pred))`: Keras 3's
    formula, which centres `y_true` on the mean of `y_pred`.

    Args:
        y_true: targets, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, same shape.
        axis: the axis (or tuple of axes) the coefficient is computed along.

    Returns:
        Per-sample coefficients, `y_pred`'s shape without `axis`.
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    axis = _axis_arg(axis)
    y_true_mean = jnp.mean(y_true, axis=axis, keepdims=True)
    y_pred_mean = jnp.mean(y_pred, axis=axis, keepdims=True)
    y_true_var = jnp.var(y_true - y_true_mean, axis=axis, keepdims=True)
    y_pred_var = jnp.var(y_pred - y_pred_mean, axis=axis, keepdims=True)
    covar = (y_true - y_pred_mean) * (y_pred - y_pred_mean)
    norm = y_true_var + y_pred_var + jnp.square(y_true_mean - y_pred_mean)
    return jnp.mean(2.0 * covar / (norm + config.epsilon()), axis=axis)


def _float_pair(y_true, y_pred):
    y_pred = jnp.asarray(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype(jnp.float32)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def _axis_arg(axis):
    """A list of axes (as a JSON config stores a tuple) becomes a tuple."""
    return tuple(axis) if isinstance(axis, list) else axis


acc = accuracy


# ----------------------------------------------------------------------------
# Reductions shared by the metric classes
# ----------------------------------------------------------------------------


def divide_no_nan(x, y):
    """`x / y`, with 0 where `y == 0`."""
    safe = jnp.where(y == 0, 1, y)
    return jnp.where(y == 0, jnp.zeros_like(x * safe), x / safe)


def reduce_to_samplewise_values(values, sample_weight=None, reduce_fn=jnp.mean,
                                values_mask=None, dtype="float32"):
    """Reduces values and weights to one value per sample (Keras 3's reduction).

    With weights: the values are reduced over the axes the weights lack, then
    multiplied by the weights, and both are reduced to shape `(batch,)`.

    Args:
        values: values of shape `(batch, ...)` (or a scalar).
        sample_weight: optional weights broadcastable to `values`.
        reduce_fn: `jnp.mean` (for `Mean`) or `jnp.sum` (for `Sum`).
        values_mask: optional boolean mask the values came with; merged into
            the weights when weights are given (as Keras does).
        dtype: the metric dtype.

    Returns:
        `(values, sample_weight)`, both per-sample (weights may be None).
    """
    values = jnp.asarray(values).astype(dtype)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight, dtype)
        if values_mask is not None:
            sample_weight = apply_mask(sample_weight, values_mask, dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values.ndim)))
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def mean_update(state, values, sample_weight=None, values_mask=None, dtype="float32"):
    """Adds a batch to a `{"total", "count"}` mean state (Keras 3's `Mean`).

    Returns:
        The new state: `total + sum(values * w)`, `count + sum(w)` (or
        `count + batch_size` without weights).
    """
    values, sample_weight = reduce_to_samplewise_values(
        values, sample_weight, jnp.mean, values_mask, dtype)
    if sample_weight is not None:
        num_samples = jnp.sum(sample_weight)
    else:
        num_samples = values.shape[0] if values.ndim >= 1 else 1
    return {"total": state["total"] + jnp.sum(values),
            "count": state["count"] + jnp.asarray(num_samples, dtype)}


# ----------------------------------------------------------------------------
# Thresholded confusion matrix (TruePositives ... AUC)
# ----------------------------------------------------------------------------


def is_evenly_distributed_thresholds(thresholds):
    """Whether `thresholds` are `i / (n - 1)` for `n >= 3` (enables bucketing)."""
    thresholds = np.asarray(thresholds, np.float32)
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1),
                                  atol=config.epsilon())


def filter_top_k(x, k):
    """Keeps the `k` largest entries of the last axis, sets the others to -1e10."""
    _, indices = jax.lax.top_k(x, k)
    keep = jnp.sum(jax.nn.one_hot(indices, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * keep + NEG_INF * (1 - keep)


def _bucketed_counts(y_true, y_pred, weights, num_thresholds, with_epsilon, multi_label):
    """Counts via histogram buckets, valid for evenly spaced thresholds."""
    y_pred = jnp.clip(y_pred, 0.0, 1.0)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    buckets = jnp.ceil(y_pred * (num_thresholds - 1)) - 1
    if with_epsilon:
        buckets = jnp.maximum(buckets, 0)
    buckets = buckets.astype(jnp.int32)

    def histogram(labels, ids):  # ids outside [0, num_thresholds) are dropped
        return jax.ops.segment_sum(labels, ids, num_segments=num_thresholds)

    if multi_label:  # (batch, labels) -> (thresholds, labels)
        tp_buckets = jax.vmap(histogram, in_axes=1, out_axes=1)(true_labels, buckets)
        fp_buckets = jax.vmap(histogram, in_axes=1, out_axes=1)(false_labels, buckets)
    else:
        tp_buckets = histogram(true_labels.reshape(-1), buckets.reshape(-1))
        fp_buckets = histogram(false_labels.reshape(-1), buckets.reshape(-1))
    tp = jnp.flip(jnp.cumsum(jnp.flip(tp_buckets, 0), axis=0), 0)
    fp = jnp.flip(jnp.cumsum(jnp.flip(fp_buckets, 0), axis=0), 0)
    axis = 0 if multi_label else None
    total_true = jnp.sum(true_labels, axis=axis)
    total_false = jnp.sum(false_labels, axis=axis)
    return {"tp": tp, "fp": fp, "tn": total_false - fp, "fn": total_true - tp}


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None,
                     class_id=None, multi_label=False, label_weights=None,
                     thresholds_distributed_evenly=False, dtype="float32"):
    """Weighted true/false positive/negative counts at each threshold.

    A prediction is positive when `y_pred > threshold`; any nonzero label is
    positive. Mirrors Keras 3's `update_confusion_matrix_variables`.

    Args:
        y_true: labels, shape `(batch, ...)`.
        y_pred: scores in [0, 1], same shape.
        thresholds: Python list of floats.
        sample_weight: optional weights broadcastable to `y_pred`.
        top_k: keep only the `k` highest scores of each row positive.
        class_id: restrict to one class (column) of 2D inputs.
        multi_label: keep the label axis: counts of shape `(thresholds, labels)`.
        label_weights: optional per-label weights (not with `multi_label`).
        thresholds_distributed_evenly: use the O(n) bucketing path.
        dtype: the count dtype.

    Returns:
        A dict with keys `"tp"`, `"fp"`, `"tn"`, `"fn"`, each of shape
        `(len(thresholds),)` or `(len(thresholds), labels)`.

    Raises:
        ValueError: for `class_id` with 1D predictions.
    """
    y_true = jnp.asarray(y_true).astype(dtype)
    y_pred = jnp.asarray(y_pred).astype(dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(jnp.asarray(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes). Received: y_pred.shape={y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    weights = jnp.ones_like(y_pred) if sample_weight is None else \
        jnp.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        weights = weights * jnp.broadcast_to(jnp.asarray(label_weights, dtype), y_pred.shape)
    y_true = (y_true != 0).astype(dtype)
    if thresholds_distributed_evenly:
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        return _bucketed_counts(y_true, y_pred, weights, len(thresholds), with_epsilon,
                                multi_label)
    thresholds = jnp.asarray(thresholds, dtype)
    if multi_label:  # (thresholds, batch, labels), summed over the batch
        pred_pos = y_pred[None] > thresholds.reshape(-1, 1, 1)
        label_pos, w = y_true[None] > 0, weights[None]
    else:  # (thresholds, batch * labels)
        pred_pos = y_pred.reshape(1, -1) > thresholds.reshape(-1, 1)
        label_pos, w = y_true.reshape(1, -1) > 0, weights.reshape(1, -1)

    def count(label, pred):
        return jnp.sum(jnp.where(label & pred, w, 0.0), axis=1)

    return {"tp": count(label_pos, pred_pos), "fp": count(~label_pos, pred_pos),
            "tn": count(~label_pos, ~pred_pos), "fn": count(label_pos, ~pred_pos)}

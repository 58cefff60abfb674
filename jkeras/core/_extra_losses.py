"""Keras 3's newer losses as pure JAX functions: dice, tversky, circle, ctc and
categorical_generalized_cross_entropy.

Split from `jkeras/core/losses.py` for length; import them from there (or from
`jkeras.losses`). Formulas, defaults and error messages follow Keras 3.
"""
import jax
import jax.numpy as jnp
import optax

from jkeras.core import config
from jkeras.core.scope import valid_rows


def _as_float(x):
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.float32)


def _axis_arg(axis):
    """A list of axes (as a JSON config stores a tuple) becomes a tuple."""
    return tuple(axis) if isinstance(axis, list) else axis


def _real_rows(x):
    """The `(batch,)` real-row flags of a padded batch being traced (`fit` / `evaluate`'s
    short last batch) when `x` is batch-shaped, else None."""
    rows = valid_rows()
    if rows is None or jnp.ndim(x) == 0 or rows.shape[0] != jnp.shape(x)[0]:
        return None
    return rows


def _zero_padded_rows(y_true, y_pred):
    """Zeroes the padded rows, so sums over the batch axis leave them out."""
    rows = _real_rows(y_pred)
    if rows is None or y_true.shape != y_pred.shape:
        return y_true, y_pred
    keep = rows.reshape(rows.shape + (1,) * (y_pred.ndim - 1))
    return jnp.where(keep, y_true, 0), jnp.where(keep, y_pred, 0)


def dice(y_true, y_pred, axis=None):
    """Dice loss `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)`.

    Args:
        y_true: targets, e.g. masks of shape `(batch, h, w, channels)`.
        y_pred: predictions, same shape.
        axis: the axes the sums run over; None (default) sums everything and
            gives one scalar for the batch.

    Returns:
        The loss, `y_pred`'s shape without `axis` (a scalar for `axis=None`). In the
        padded last batch of `fit` / `evaluate` the padding rows are left out of the sums.
    """
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    y_true, y_pred = _zero_padded_rows(y_true, y_pred)
    axis = _axis_arg(axis)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    total = jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis) + config.epsilon()
    return 1 - 2.0 * intersection / total


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss `1 - tp / (tp + alpha * fp + beta * fn + eps)`.

    With `tp = sum(y_true * y_pred)`, `fp = sum((1 - y_pred) * y_true)` and
    `fn = sum(y_pred * (1 - y_true))` (Keras 3's naming); `alpha = beta = 0.5`
    gives the Dice loss.

    Args:
        y_true: targets.
        y_pred: predictions, same shape.
        alpha: weight of the `fp` term.
        beta: weight of the `fn` term.
        axis: the axes the sums run over; None (default) sums everything.

    Returns:
        The loss, `y_pred`'s shape without `axis` (a scalar for `axis=None`).
    """
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    y_true, y_pred = _zero_padded_rows(y_true, y_pred)
    axis = _axis_arg(axis)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    fp = jnp.sum((1 - y_pred) * y_true, axis=axis)
    fn = jnp.sum(y_pred * (1 - y_true), axis=axis)
    return 1 - intersection / (intersection + fp * alpha + fn * beta + config.epsilon())


def _pos_neg_masks(query_labels, key_labels, remove_diagonal):
    if query_labels.ndim == 1:
        query_labels = query_labels.reshape(-1, 1)
    if key_labels.ndim == 1:
        key_labels = key_labels.reshape(-1, 1)
    positive = query_labels == key_labels.T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~jnp.eye(query_labels.size, key_labels.size, dtype=bool)
    return positive, negative


def _circle_and_mask(y_true, y_pred, ref_labels=None, ref_embeddings=None,
                     remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss plus its mask `loss > 0` (a `Loss` averages over those rows only)."""
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(y_true).astype(jnp.int32)
    batch_refs = ref_embeddings is None
    ref_embeddings = y_pred if batch_refs else _as_float(ref_embeddings)
    ref_labels = y_true if ref_labels is None else jnp.asarray(ref_labels).astype(jnp.int32)
    distances = jnp.maximum(1 - y_pred @ ref_embeddings.T, 0.0)
    positive, negative = _pos_neg_masks(y_true, ref_labels, remove_diagonal)
    rows = _real_rows(y_pred) if batch_refs else None
    if rows is not None and rows.shape[0] == distances.shape[1]:  # padded rows are no references
        positive, negative = positive & rows[None, :], negative & rows[None, :]
    pos_weights = jnp.maximum((margin + distances) * positive.astype(distances.dtype), 0.0)
    neg_weights = jnp.maximum((1 + margin - distances) * negative.astype(distances.dtype), 0.0)
    pos_wdists = -1 * gamma * pos_weights * (margin - distances)
    neg_wdists = gamma * neg_weights * (1 - margin - distances)
    p_loss = jax.nn.logsumexp(jnp.where(positive, pos_wdists, -jnp.inf), axis=1)
    n_loss = jax.nn.logsumexp(jnp.where(negative, neg_wdists, -jnp.inf), axis=1)
    loss = jax.nn.softplus(p_loss + n_loss)
    return loss, loss > 0


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80, margin=0.4):
    """Circle loss (Sun et al., 2020) of L2-normalized embeddings and integer labels.

    Args:
        y_true: integer labels, shape `(batch,)`.
        y_pred: L2-normalized embeddings, shape `(batch, dim)`.
        ref_labels: optional labels of the reference embeddings (default `y_true`).
        ref_embeddings: optional reference embeddings (default `y_pred`).
        remove_diagonal: whether self-similarities leave the positive pairs.
        gamma: scale of the similarity scores.
        margin: relaxation margin.

    Returns:
        Per-sample loss, shape `(batch,)`; a row with no positive pair scores 0,
        and a `Loss` leaves such rows out of its average (as Keras 3 does).
    """
    return _circle_and_mask(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal,
                            gamma, margin)[0]


def ctc(y_true, y_pred):
    """Connectionist Temporal Classification loss, label 0 being the blank.

    Args:
        y_true: integer labels, shape `(batch_size, max_length)`, left-aligned
            and padded with 0 (the blank); 0 is no class.
        y_pred: logits (not softmax outputs), shape
            `(batch_size, time_steps, num_classes)`; every time step is used.

    Returns:
        Per-sequence negative log-likelihood, shape `(batch_size,)`.

    Raises:
        ValueError: if `y_true` is not 2D or `y_pred` not 3D.
    """
    y_true = jnp.asarray(y_true)
    y_pred = jnp.asarray(y_pred)
    if y_true.ndim != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={y_true.shape}")
    if y_pred.ndim != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            f"`(batch_size, max_length, num_classes)`. Received: y_pred.shape={y_pred.shape}")
    y_pred = y_pred.astype(jnp.result_type(y_pred.dtype, jnp.float32))
    labels = y_true.astype(jnp.int32)
    label_length = jnp.sum(labels != 0, axis=-1)
    label_paddings = (jnp.arange(labels.shape[1])[None, :] >= label_length[:, None])
    logit_paddings = jnp.zeros(y_pred.shape[:2], y_pred.dtype)
    return optax.ctc_loss(y_pred, logit_paddings, labels, label_paddings.astype(y_pred.dtype),
                          blank_id=0, log_epsilon=-1e5)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy (Zhang and Sabuncu, 2018): `(1 - p ** q) / q`.

    `p` is the predicted probability of the true class.

    Args:
        y_true: integer class labels, shape `(batch,)` or `(batch, 1)`.
        y_pred: class probabilities, shape `(batch, num_classes)`.
        q: noise parameter in (0, 1): towards 0 crossentropy-like, towards 1
            mean-absolute-error-like.

    Returns:
        Per-sample loss, shape `(batch,)`.
    """
    y_pred = _as_float(y_pred)
    labels = jnp.asarray(y_true).astype(jnp.int32)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1 and y_pred.shape[-1] != 1:
        labels = jnp.squeeze(labels, -1)
    one_hot = jax.nn.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
    p = jnp.sum(y_pred * one_hot, axis=-1)
    return (1 - jnp.power(p, q)) / q

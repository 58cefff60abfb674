"""Keras Intersection-over-Union metrics: IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU.

Split from `jkeras/metrics.py` for length; import these from `jkeras.metrics`.
Each holds Keras 3's state, a `(num_classes, num_classes)` confusion matrix
named `total_confusion_matrix` (rows: labels, columns: predictions), in the
metric dtype (`"int32"` by default, as in Keras 3: float sample weights are
truncated unless `dtype="float32"`), through the pure `init` / `update` /
`compute` protocol of every metric.
"""
import warnings

import jax.numpy as jnp

from jkeras._metric_classes import Metric
from jkeras.core import config


def _check_num_classes(metric, num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"{metric}: `num_classes` must be a positive int. "
                         f"Received: num_classes={num_classes!r}")


def _align_weights(sample_weight, labels_shape):
    """`(batch,)` weights of `(batch, ...)` labels cover every entry of their row."""
    ndim = sample_weight.ndim
    if 0 < ndim < len(labels_shape) and sample_weight.shape == tuple(labels_shape[:ndim]):
        trailing = (1,) * (len(labels_shape) - ndim)
        sample_weight = sample_weight.reshape(sample_weight.shape + trailing)
        sample_weight = jnp.broadcast_to(sample_weight, labels_shape)
    return sample_weight


class _IoUBase(Metric):
    """The confusion-matrix state and update shared by the IoU metrics."""

    _direction = "up"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        _check_num_classes(type(self).__name__, num_classes)
        super().__init__(name=name, dtype="int32" if dtype in (None, "int") else dtype)
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis

    def init(self, y_pred_shape=None):
        return self._zeros(total_confusion_matrix=(self.num_classes, self.num_classes))

    @property
    def total_cm(self):
        """The accumulated confusion matrix (Keras 3's attribute name)."""
        return self.variables[0]

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates a batch into the confusion matrix (warns, as Keras 3 does, when float
        weights meet an int dtype and will be truncated)."""
        if (sample_weight is not None and "float" in str(getattr(sample_weight, "dtype", ""))
                and "int" in self.dtype):
            warnings.warn("You are passing weight as `float`, but dtype is `int`. This may "
                          "result in an incorrect weight due to type casting Consider using "
                          "integer weights.", stacklevel=2)
        super().update_state(y_true, y_pred, sample_weight=sample_weight)

    def _labels(self, y_true, y_pred):
        """Integer-valued labels and predictions in the metric dtype."""
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        if not self.sparse_y_true:
            y_true = jnp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = jnp.argmax(y_pred, axis=self.axis)
        return y_true.astype(self.dtype), y_pred.astype(self.dtype)

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        """Adds a batch's weighted (label, prediction) counts; labels or predictions outside
        `[0, num_classes)` and labels equal to `ignore_class` are left out."""
        del mask  # Keras 3 ignores the prediction mask here.
        y_true, y_pred = self._labels(y_true, y_pred)
        labels_shape = y_true.shape
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        if sample_weight is None:
            weight = jnp.ones((), self.dtype)
        else:
            weight = _align_weights(jnp.asarray(sample_weight).astype(self.dtype), labels_shape)
            weight = weight.reshape(-1) if weight.ndim > 1 else weight
        weight = jnp.broadcast_to(weight, y_true.shape)
        valid = (y_true >= 0) & (y_true < self.num_classes) & \
            (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            valid = valid & (y_true != jnp.asarray(self.ignore_class).astype(self.dtype))
        rows = jnp.where(valid, y_true, 0).astype(jnp.int32)
        cols = jnp.where(valid, y_pred, 0).astype(jnp.int32)
        weight = jnp.where(valid, weight, 0).astype(self.dtype)
        matrix = state["total_confusion_matrix"]
        return {"total_confusion_matrix": matrix.at[rows, cols].add(weight)}


class IoU(_IoUBase):
    """Intersection-over-Union `tp / (tp + fp + fn)` averaged over `target_class_ids`.

    Classes that never occur in the labels nor in the predictions are left
    out of the average.

    Args:
        num_classes: number of classes (the confusion matrix is
            `(num_classes, num_classes)`).
        target_class_ids: list or tuple of the class ids averaged over.
        name: name of the metric.
        dtype: dtype of the confusion matrix (default `"int32"`).
        ignore_class: optional label left out (e.g. a "void" class, -1 or 255).
        sparse_y_true: whether labels are integers (else `argmax` over `axis`).
        sparse_y_pred: whether predictions are integers (else `argmax` over `axis`).
        axis: the class axis of dense labels or predictions.

    Raises:
        ValueError: for a bad `num_classes` or a target class id outside
            `[0, num_classes)`.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)
        target_class_ids = list(target_class_ids)
        if not target_class_ids:
            raise ValueError("`target_class_ids` must list at least one class id. Received: "
                             f"target_class_ids={target_class_ids}")
        highest, lowest = max(target_class_ids), min(target_class_ids)
        if highest >= num_classes or lowest < 0:
            raise ValueError(f"Target class id {highest if highest >= num_classes else lowest} "
                             f"is out of range, which is [0, {num_classes}). Received: "
                             f"target_class_ids={target_class_ids}")
        self.target_class_ids = target_class_ids

    def compute(self, state):
        matrix = state["total_confusion_matrix"]
        sum_over_row = jnp.sum(matrix, axis=0).astype(self.dtype)
        sum_over_col = jnp.sum(matrix, axis=1).astype(self.dtype)
        true_positives = jnp.diag(matrix).astype(self.dtype)
        denominator = sum_over_row + sum_over_col - true_positives
        ids = jnp.asarray(self.target_class_ids, jnp.int32)
        true_positives = true_positives[ids].astype(jnp.float32)
        denominator = denominator[ids].astype(jnp.float32)
        valid = denominator > 1e-9
        iou = jnp.where(valid, true_positives / (denominator + config.epsilon()), 0.0)
        return jnp.sum(iou) / (jnp.sum(valid.astype(jnp.float32)) + config.epsilon())

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task: predictions `>= threshold` are class 1, the rest class 0.

    Args:
        target_class_ids: `[0]`, `[1]` or `[0, 1]` (default): the classes averaged over.
        threshold: the decision threshold on `y_pred`.
        name: name of the metric.
        dtype: dtype of the confusion matrix (default `"int32"`).
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def _labels(self, y_true, y_pred):
        y_pred = jnp.asarray(y_pred).astype(jnp.float32) >= self.threshold
        return jnp.asarray(y_true).astype(self.dtype), y_pred.astype(self.dtype)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """IoU averaged over all `num_classes` classes.

    Takes the arguments of `IoU` except `target_class_ids`.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        _check_num_classes(type(self).__name__, num_classes)
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU of one-hot labels (`argmax` over `axis`) averaged over `target_class_ids`.

    Takes the arguments of `IoU` except `sparse_y_true` (labels are one-hot);
    `sparse_y_pred` defaults to False.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """IoU of one-hot labels (`argmax` over `axis`) averaged over all classes.

    Takes the arguments of `MeanIoU` except `sparse_y_true` (labels are one-hot);
    `sparse_y_pred` defaults to False.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}

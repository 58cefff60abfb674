"""Keras confusion-matrix metrics (TruePositives ... AUC), R2Score and F-scores.

Split from `jkeras/metrics.py` for length; import these from `jkeras.metrics`.
Same protocol as every metric: pure `init` / `update` / `compute` plus the
stateful Keras API inherited from `Metric`.
"""
import numpy as np

import jax
import jax.numpy as jnp

from jkeras._metric_classes import Metric
from jkeras.core import losses as core_losses
from jkeras.core import config
from jkeras.core import metrics as core_metrics



def _y_pred_arg(args, kwargs):
    """`y_pred` from `update_state(y_true, y_pred, ...)`'s arguments."""
    return args[1] if len(args) > 1 else kwargs["y_pred"]


def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: thresholds={invalid}")
    return [float(t) for t in values]


class _ConfusionMetric(Metric):
    """Shared update: adds `confusion_counts` for the keys in `_COUNTS`."""

    _COUNTS = ()

    def init(self, y_pred_shape=None):
        return self._zeros(**{key: (len(self.thresholds),) for key in self._COUNTS})

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        del mask  # Keras 3 ignores the prediction mask for these metrics.
        counts = core_metrics.confusion_counts(
            y_true, y_pred, self.thresholds, sample_weight, top_k=getattr(self, "top_k", None),
            class_id=getattr(self, "class_id", None),
            thresholds_distributed_evenly=self._thresholds_distributed_evenly, dtype=self.dtype)
        return {key: state[key] + counts[_SHORT[key]] for key in self._COUNTS}

    def _squeeze(self, value):
        return value[0] if len(self.thresholds) == 1 else value


_SHORT = {"true_positives": "tp", "false_positives": "fp", "true_negatives": "tn",
          "false_negatives": "fn"}


class _ConfusionMatrixConditionCount(_ConfusionMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._thresholds_distributed_evenly = core_metrics.is_evenly_distributed_thresholds(
            self.thresholds)

    def init(self, y_pred_shape=None):
        return self._zeros(accumulator=(len(self.thresholds),))

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        del mask
        counts = core_metrics.confusion_counts(
            y_true, y_pred, self.thresholds, sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly, dtype=self.dtype)
        return {"accumulator": state["accumulator"] + counts[self._KEY]}

    def compute(self, state):
        return self._squeeze(state["accumulator"])

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of true positives (`y_pred > threshold`, label nonzero).

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5); with a
            list the result has one count per threshold.
        name, dtype: as in `Metric`.
    """

    _KEY = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of false positives. Args as in `TruePositives`."""

    _KEY = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of true negatives. Args as in `TruePositives`."""

    _KEY = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of false negatives. Args as in `TruePositives`."""

    _KEY = "fn"


class _PrecisionRecall(_ConfusionMetric):
    _direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else core_metrics.NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default)
        self._thresholds_distributed_evenly = core_metrics.is_evenly_distributed_thresholds(
            self.thresholds)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Precision `tp / (tp + fp)`.

    Args:
        thresholds: float or list of floats in [0, 1] (default 0.5).
        top_k: only the `k` highest scores of each row count as positive.
        class_id: compute the metric for this class (column) only.
        name, dtype: as in `Metric`.
    """

    _COUNTS = ("true_positives", "false_positives")

    def compute(self, state):
        tp = state["true_positives"]
        return self._squeeze(core_metrics.divide_no_nan(tp, tp + state["false_positives"]))


class Recall(_PrecisionRecall):
    """Recall `tp / (tp + fn)`. Args as in `Precision`."""

    _COUNTS = ("true_positives", "false_negatives")

    def compute(self, state):
        tp = state["true_positives"]
        return self._squeeze(core_metrics.divide_no_nan(tp, tp + state["false_negatives"]))


class _SensitivitySpecificityBase(_ConfusionMetric):
    _COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")
    _direction = "up"
    _VALUE_NAME = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(f"Argument `{self._VALUE_NAME}` must be in the range [0, 1]. "
                             f"Received: {self._VALUE_NAME}={value}")
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._VALUE_NAME, value)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._thresholds_distributed_evenly = [0.5], False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._thresholds_distributed_evenly = [0.0] + inner + [1.0], True

    def _rates(self, state):
        tp, fp = state["true_positives"], state["false_positives"]
        tn, fn = state["true_negatives"], state["false_negatives"]
        return {"sensitivity": core_metrics.divide_no_nan(tp, tp + fn),
                "recall": core_metrics.divide_no_nan(tp, tp + fn),
                "specificity": core_metrics.divide_no_nan(tn, tn + fp),
                "precision": core_metrics.divide_no_nan(tp, tp + fp)}

    def compute(self, state):
        rates = self._rates(state)
        feasible = rates[self._VALUE_NAME] >= self.value
        return jnp.max(jnp.where(feasible, rates[self._TARGET], 0.0), initial=0.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._VALUE_NAME: self.value}


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """Best sensitivity over thresholds whose specificity is `>= specificity`.

    Args:
        specificity: float in [0, 1].
        num_thresholds: number of evenly spaced thresholds (default 200).
        class_id: compute the metric for this class only.
        name, dtype: as in `Metric`.
    """

    _VALUE_NAME, _TARGET = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """Best specificity over thresholds whose sensitivity is `>= sensitivity`."""

    _VALUE_NAME, _TARGET = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """Best precision over thresholds whose recall is `>= recall`."""

    _VALUE_NAME, _TARGET = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_SensitivitySpecificityBase):
    """Best recall over thresholds whose precision is `>= precision`."""

    _VALUE_NAME, _TARGET = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, by a Riemann sum.

    Args:
        num_thresholds: number of evenly spaced thresholds (> 1, default 200).
        curve: `"ROC"` (default), `"PR"` or `"PRGAIN"`.
        summation_method: `"interpolation"` (default), `"majoring"` or
            `"minoring"`.
        name, dtype: as in `Metric`.
        thresholds: optional explicit thresholds in [0, 1] (then
            `num_thresholds = len(thresholds) + 2`).
        multi_label: keep one curve per label and average their areas.
        num_labels: number of labels with `multi_label` (else taken from the
            first batch or `init(y_pred_shape)`).
        label_weights: optional per-label weights.
        from_logits: apply a sigmoid to `y_pred` first.

    Raises:
        ValueError: for a bad `curve`, `summation_method`, `num_thresholds`,
            or `num_labels` without `multi_label`.
    """

    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        if str(curve).lower() not in _CURVES:
            raise ValueError(f"Invalid AUC curve value: curve={curve!r}. "
                             "Expected one of ['PR', 'ROC', 'PRGAIN'].")
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(f"Invalid AUC summation method value: summation_method="
                             f"{summation_method!r}. Expected one of {list(_SUMMATIONS)}.")
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            inner = sorted(_parse_thresholds(thresholds, 0.5))
            self._thresholds_distributed_evenly = core_metrics.is_evenly_distributed_thresholds(
                [0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        self._thresholds = [0.0 - config.epsilon()] + inner + [1.0 + config.epsilon()]
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self._from_logits = from_logits

    @property
    def thresholds(self):
        return list(self._thresholds)

    def init(self, y_pred_shape=None):
        shape = (self.num_thresholds,)
        if self.multi_label:
            labels = self.num_labels or (y_pred_shape[1] if y_pred_shape else None)
            if y_pred_shape is not None and len(y_pred_shape) != 2:
                raise ValueError("`y_pred` must have rank 2 when `multi_label=True`. "
                                 f"Received: y_pred_shape={tuple(y_pred_shape)}")
            if labels is None:
                raise ValueError("AUC(multi_label=True) needs `num_labels` or "
                                 "init(y_pred_shape=...) to size its state.")
            shape = (self.num_thresholds, labels)
        return self._zeros(true_positives=shape, false_positives=shape,
                           true_negatives=shape, false_negatives=shape)

    def _initial_state(self, *args, **kwargs):
        return self.init(y_pred_shape=jnp.shape(_y_pred_arg(args, kwargs)))

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        del mask
        y_pred = jnp.asarray(y_pred)
        if self._from_logits:
            y_pred = jax.nn.sigmoid(y_pred)
        counts = core_metrics.confusion_counts(
            y_true, y_pred, self._thresholds, sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly, dtype=self.dtype)
        return {key: state[key] + counts[_SHORT[key]] for key in state}

    def _average_labels(self, per_threshold_terms):
        if not self.multi_label:
            return jnp.sum(per_threshold_terms)
        by_label = jnp.sum(per_threshold_terms, axis=0)
        if self.label_weights is None:
            return jnp.mean(by_label)
        weights = jnp.asarray(self.label_weights, self.dtype)
        return core_metrics.divide_no_nan(jnp.sum(by_label * weights), jnp.sum(weights))

    def _interpolate_pr_auc(self, tp, fp, fn):
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = core_metrics.divide_no_nan(dtp, jnp.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = jnp.where((p[:-1] > 0) & (p[1:] > 0),
                                 core_metrics.divide_no_nan(p[:-1], jnp.maximum(p[1:], 0)),
                                 jnp.ones_like(p[1:]))
        increments = core_metrics.divide_no_nan(
            prec_slope * (dtp + intercept * jnp.log(safe_p_ratio)),
            jnp.maximum(tp[1:] + fn[1:], 0))
        return self._average_labels(increments)

    def compute(self, state):
        tp, fp = state["true_positives"], state["false_positives"]
        tn, fn = state["true_negatives"], state["false_negatives"]
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = core_metrics.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = core_metrics.divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, core_metrics.divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scale = core_metrics.divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * core_metrics.divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * core_metrics.divide_no_nan(fp, tp)
            x = jnp.maximum(jnp.where(tp == 0, 0.0, recall_gain), 0.0)
            y = jnp.where(tp == 0, 1.0, precision_gain)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[:-1], y[1:])
        else:
            heights = jnp.maximum(y[:-1], y[1:])
        return self._average_labels((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": self.label_weights, "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _check_2d(metric, y_true_shape, y_pred_shape):
    if len(y_true_shape) != 2 or len(y_pred_shape) != 2:
        raise ValueError(
            f"{metric} expects 2D inputs with shape (batch_size, output_dim). Received "
            f"input shapes: y_pred.shape={tuple(y_pred_shape)} and "
            f"y_true.shape={tuple(y_true_shape)}.")


class R2Score(Metric):
    """Coefficient of determination, `1 - SS_residual / SS_total`, per output.

    Args:
        class_aggregation: `"uniform_average"` (default), `"variance_weighted_average"`
            or None (one score per output).
        num_regressors: if > 0, the adjusted R2 for that many regressors.
        name, dtype: as in `Metric`.

    Raises:
        ValueError: for a bad `class_aggregation` or negative `num_regressors`;
            at update, for inputs that are not 2D.
    """

    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of "
                             f"{valid}. Received: class_aggregation={class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        super().__init__(name=name, dtype=dtype)
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors

    def init(self, y_pred_shape=None):
        if y_pred_shape is None:
            raise ValueError("R2Score needs init(y_pred_shape=(batch, outputs)) to size its "
                             "state (or call update_state first).")
        outputs = (y_pred_shape[-1],)
        return self._zeros(num_samples=(), squared_sum=outputs, sum=outputs, residual=outputs,
                           count=outputs)

    def _initial_state(self, *args, **kwargs):
        y_true = args[0] if args else kwargs["y_true"]
        y_true, y_pred = core_losses.squeeze_or_expand_to_same_rank(
            jnp.asarray(y_true), jnp.asarray(_y_pred_arg(args, kwargs)))
        _check_2d("R2Score", y_true.shape, y_pred.shape)
        return self.init(y_pred_shape=y_pred.shape)

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        del mask
        y_true = jnp.asarray(y_true, self.dtype)
        y_pred = jnp.asarray(y_pred, self.dtype)
        y_true, y_pred = core_losses.squeeze_or_expand_to_same_rank(y_true, y_pred)
        _check_2d("R2Score", y_true.shape, y_pred.shape)
        weight = jnp.asarray(1.0 if sample_weight is None else sample_weight, self.dtype)
        if weight.ndim == 1:
            weight = weight[:, None]
        weight = jnp.broadcast_to(weight, y_true.shape)
        weighted_y_true = y_true * weight
        return {"num_samples": state["num_samples"] + y_true.size,
                "squared_sum": state["squared_sum"] + jnp.sum(y_true * weighted_y_true, axis=0),
                "sum": state["sum"] + jnp.sum(weighted_y_true, axis=0),
                "residual": state["residual"] + jnp.sum((y_true - y_pred) ** 2 * weight, axis=0),
                "count": state["count"] + jnp.sum(weight, axis=0)}

    def compute(self, state):
        mean = state["sum"] / state["count"]
        total = state["squared_sum"] - state["sum"] * mean
        raw_scores = 1 - state["residual"] / total
        raw_scores = jnp.where(jnp.isinf(raw_scores), 0.0, raw_scores)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(total * raw_scores) / jnp.sum(total)
        else:
            score = raw_scores
        if self.num_regressors:
            n, p = state["num_samples"], float(self.num_regressors)
            adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
            # Keras falls back to the plain score when p >= n - 1.
            score = jnp.where(p < n - 1.0, adjusted, score)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


class FBetaScore(Metric):
    """F-beta score `(1 + b**2) * p * r / (b**2 * p + r)` per class or averaged.

    Args:
        average: None (one score per class), `"micro"`, `"macro"` or `"weighted"`.
        beta: positive float weighting recall over precision.
        threshold: float in (0, 1]; predictions above it are positive. If None,
            each row's maximum is the positive prediction.
        name, dtype: as in `Metric`.

    Raises:
        ValueError: for a bad `average`, `beta` or `threshold`; at update, for
            inputs that are not 2D.
    """

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, "
                             f"'micro', 'macro', 'weighted'}}. Received: average={average!r}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError("Invalid `beta` argument value. It should be a Python float > 0. "
                             f"Received: beta={beta!r}")
        if threshold is not None and (not isinstance(threshold, float)
                                      or not 0.0 < threshold <= 1.0):
            raise ValueError("Invalid `threshold` argument value. It should be a Python float "
                             f"with 0 < threshold <= 1. Received: threshold={threshold!r}")
        super().__init__(name=name, dtype=dtype)
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0

    def init(self, y_pred_shape=None):
        if self.average == "micro":
            shape = ()
        elif y_pred_shape is None:
            raise ValueError(f"{type(self).__name__} needs init(y_pred_shape=(batch, classes)) "
                             "to size its state (or call update_state first).")
        else:
            shape = (y_pred_shape[-1],)
        return self._zeros(true_positives=shape, false_positives=shape, false_negatives=shape,
                           intermediate_weights=shape)

    def _initial_state(self, *args, **kwargs):
        y_true = args[0] if args else kwargs["y_true"]
        y_pred = _y_pred_arg(args, kwargs)
        _check_2d(type(self).__name__, jnp.shape(y_true), jnp.shape(y_pred))
        return self.init(y_pred_shape=jnp.shape(y_pred))

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        del mask
        y_true = jnp.asarray(y_true, self.dtype)
        y_pred = jnp.asarray(y_pred, self.dtype)
        _check_2d(type(self).__name__, y_true.shape, y_pred.shape)
        if self.threshold is None:
            row_max = jnp.max(y_pred, axis=-1, keepdims=True)
            y_pred = (y_pred >= row_max) & (jnp.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.astype(self.dtype)

        def weighted_sum(value):
            if sample_weight is not None:
                value = value * jnp.asarray(sample_weight, self.dtype)[:, None]
            return jnp.sum(value, axis=self.axis)

        return {"true_positives": state["true_positives"] + weighted_sum(y_pred * y_true),
                "false_positives": state["false_positives"] + weighted_sum(y_pred * (1 - y_true)),
                "false_negatives": state["false_negatives"] + weighted_sum((1 - y_pred) * y_true),
                "intermediate_weights": state["intermediate_weights"] + weighted_sum(y_true)}

    def compute(self, state):
        tp = state["true_positives"]
        precision = tp / (tp + state["false_positives"] + config.epsilon())
        recall = tp / (tp + state["false_negatives"] + config.epsilon())
        beta_sq = self.beta ** 2
        score = precision * recall / (beta_sq * precision + recall + config.epsilon()) * (1 + beta_sq)
        if self.average == "weighted":
            weights = state["intermediate_weights"]
            return jnp.sum(score * weights / (jnp.sum(weights) + config.epsilon()))
        if self.average is not None:
            return jnp.mean(score)
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score, the harmonic mean of precision and recall.

    Args:
        average, threshold, name, dtype: as in `FBetaScore`.
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config

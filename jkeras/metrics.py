"""Keras metrics: the metric classes, the metric functions, `get` / `serialize` / `deserialize`.

Every metric class has pure `init(y_pred_shape=None)`, `update(state, y_true,
y_pred, sample_weight=None, mask=None)` and `compute(state)` methods (the
state is a small dict of jnp arrays, so they run inside `jax.jit`) and
Keras's stateful `update_state` / `result` / `reset_state` on top of them.

The classes are defined in `jkeras/_metric_classes.py` (base, mean-based,
correlations), `jkeras/_confusion_metrics.py` (confusion matrix, AUC, R2,
F-scores) and `jkeras/_iou_metrics.py` (IoU family); this module is their
public home.
"""
from jkeras._confusion_metrics import (
    AUC, F1Score, FalseNegatives, FalsePositives, FBetaScore, Precision, PrecisionAtRecall,
    R2Score, Recall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
    TrueNegatives, TruePositives,
)
from jkeras._iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from jkeras._metric_classes import (
    Accuracy, BinaryAccuracy, BinaryCrossentropy, CategoricalAccuracy, CategoricalCrossentropy,
    CategoricalHinge, ConcordanceCorrelation, CosineSimilarity, Hinge, KLDivergence,
    LogCoshError, Mean, MeanAbsoluteError, MeanAbsolutePercentageError, MeanMetricWrapper,
    MeanSquaredError, MeanSquaredLogarithmicError, Metric, PearsonCorrelation, Poisson,
    RootMeanSquaredError,
    SparseCategoricalAccuracy, SparseCategoricalCrossentropy, SparseTopKCategoricalAccuracy,
    SquaredHinge, Sum, TopKCategoricalAccuracy, _snake_case,
)
import jax.numpy as jnp

from jkeras.core import config
from jkeras.core._registry import Registry
from jkeras.core.losses import (
    MAE, MAPE, MSE, MSLE, KLD, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, categorical_focal_crossentropy, categorical_hinge, cosine,
    cosine_proximity, hinge, huber, kl_divergence, kld, kullback_leibler_divergence,
    log_cosh, logcosh, mae, mape, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, mse, msle, poisson,
    sparse_categorical_crossentropy, squared_hinge,
)
from jkeras.core.metrics import (
    accuracy, binary_accuracy, categorical_accuracy, concordance_correlation, cosine_similarity,
    pearson_correlation, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)

__all__ = [
    # classes
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "LogCoshError", "CosineSimilarity", "Hinge", "SquaredHinge", "CategoricalHinge",
    "KLDivergence", "Poisson", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "TruePositives", "FalsePositives", "TrueNegatives",
    "FalseNegatives", "Precision", "Recall", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "PrecisionAtRecall", "RecallAtPrecision", "AUC", "R2Score",
    "FBetaScore", "F1Score", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU",
    "PearsonCorrelation", "ConcordanceCorrelation",
    # functions
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    "hinge", "squared_hinge", "categorical_hinge", "log_cosh", "huber", "kl_divergence",
    "poisson", "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "cosine_similarity",
    "cosine_proximity", "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld",
    "KLD", "kullback_leibler_divergence", "logcosh", "cosine", "pearson_correlation",
    "concordance_correlation",
    # Keras 1's batch-wise functions
    "precision", "recall", "fbeta_score", "fmeasure",
    # utilities
    "get", "serialize", "deserialize",
]

# Keras 1's batch-wise metric functions (Keras 2 removed them: a mean over batches is not the
# epoch's precision; the classes `Precision`, `Recall`, `FBetaScore` are exact). The names
# "precision" / "recall" stay Keras 3's classes; "fmeasure" / "fbeta_score" are these.


def _count(x):
    return jnp.sum(jnp.round(jnp.clip(x, 0, 1)))


def precision(y_true, y_pred):
    """Keras 1: the batch's precision, `TP / (predicted positives + epsilon)` of rounded values."""
    return _count(y_true * y_pred) / (_count(y_pred) + config.epsilon())


def recall(y_true, y_pred):
    """Keras 1: the batch's recall, `TP / (actual positives + epsilon)` of rounded values."""
    return _count(y_true * y_pred) / (_count(y_true) + config.epsilon())


def fbeta_score(y_true, y_pred, beta=1):
    """Keras 1: the batch's F-beta score of `precision` and `recall` (0 when the batch has no
    positive label, as scikit-learn).

    Raises:
        ValueError: for a negative `beta`.
    """
    if beta < 0:
        raise ValueError(f"fbeta_score: beta must be >= 0, got {beta!r}")
    p, r = precision(y_true, y_pred), recall(y_true, y_pred)
    bb = beta ** 2
    score = (1 + bb) * (p * r) / (bb * p + r + config.epsilon())
    return jnp.where(_count(y_true) == 0, 0.0, score)


def fmeasure(y_true, y_pred):
    """Keras 1: `fbeta_score` with beta 1 (F1 of the batch)."""
    return fbeta_score(y_true, y_pred, beta=1)


_CLASSES = [
    Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, RootMeanSquaredError, LogCoshError, CosineSimilarity, Hinge,
    SquaredHinge, CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, TruePositives, FalsePositives,
    TrueNegatives, FalseNegatives, Precision, Recall, SensitivityAtSpecificity,
    SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision, AUC, R2Score, FBetaScore,
    F1Score, IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, PearsonCorrelation,
    ConcordanceCorrelation,
]
_CLASS_OBJECTS = {cls.__name__: cls for cls in _CLASSES}
_CLASS_OBJECTS.update({_snake_case(cls.__name__): cls for cls in _CLASSES})

_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error, hinge,
    squared_hinge, categorical_hinge, log_cosh, huber, kl_divergence, poisson,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, sparse_categorical_crossentropy, cosine_similarity,
    pearson_correlation, concordance_correlation)}
_FUNCTIONS.update({
    "mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape,
    "msle": msle, "MSLE": msle, "kld": kld, "KLD": kld,
    "kullback_leibler_divergence": kld, "logcosh": log_cosh, "bce": binary_crossentropy,
    "BCE": binary_crossentropy, "cosine_proximity": cosine_proximity, "cosine": cosine_proximity,
    "fmeasure": fmeasure, "fbeta_score": fbeta_score,
})


_NAMES = Registry("metric", {**_CLASS_OBJECTS, **_FUNCTIONS}, classes=_CLASS_OBJECTS,
                  nested=("fn",), instantiate=(Metric,), serialize_error=TypeError)


def serialize(metric):
    """Serializes a metric: its name for a function, `{"class_name", "config"}` for a `Metric`.

    Any object with `get_config()` serializes like a `Metric`; None gives None.

    Raises:
        TypeError: if `metric` has neither a config nor a name.
    """
    return None if metric is None else _NAMES.serialize(metric)


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from `serialize`'s output (or a Keras 3 config dict).

    Args:
        config: a name string or a `{"class_name": ..., "config": {...}}` dict.
        custom_objects: optional dict of user classes and functions by name.

    Returns:
        A metric function or a `Metric` instance.

    Raises:
        ValueError: for an unknown name or a malformed config.
    """
    return _NAMES.deserialize(config, custom_objects)


def get(identifier):
    """Returns a metric function or `Metric` instance.

    Args:
        identifier: None, a function name (`"binary_accuracy"`, `"mse"`), a class
            name (`"BinaryAccuracy"`, `"auc"`), a config dict, a `Metric` class
            or instance, or a callable `f(y_true, y_pred)`.

    Returns:
        The function for function names, an instance for class names and
        configs, the object itself for callables; None for None.

    Raises:
        ValueError: for an unknown name (the message lists the valid names).
    """
    return _NAMES.get(identifier)

"""Keras losses: per-sample loss functions, `Loss` classes, `get` / `serialize` / `deserialize`.

The implementation is pure and lives in `jkeras.core.losses`; this module is
its public home (`import jkeras as keras; keras.losses.CategoricalCrossentropy()`).
"""
from jkeras.core._loss_classes import (
    CTC, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy, CategoricalHinge, Circle,
    CosineSimilarity, Dice, Hinge, Huber, KLDivergence, LogCosh, Loss, LossFunctionWrapper,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
    MeanSquaredLogarithmicError, Poisson, SparseCategoricalCrossentropy, SquaredHinge, Tversky,
    deserialize, get, serialize,
)
from jkeras.core.losses import (
    BCE, KLD, MAE, MAPE, MSE, MSLE, Reduction, bce, binary_crossentropy,
    binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
    categorical_generalized_cross_entropy, categorical_hinge, circle, cosine, cosine_proximity,
    cosine_similarity, ctc, dice, hinge, huber, kl_divergence, kld,
    kullback_leibler_divergence, log_cosh, logcosh, mae, mape, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error, mse,
    msle, poisson, reduce_weighted_values, sparse_categorical_crossentropy, squared_hinge,
    tversky,
)

__all__ = [
    # classes
    "Loss", "LossFunctionWrapper", "Reduction", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber",
    "LogCosh", "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson",
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy", "CTC", "Dice", "Tversky",
    "Circle", "CategoricalGeneralizedCrossEntropy",
    # functions
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "cosine_similarity", "cosine_proximity", "cosine", "huber",
    "log_cosh", "logcosh", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence",
    "kullback_leibler_divergence", "kld", "KLD", "poisson", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy", "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle",
    "MSLE", "bce", "BCE", "ctc", "dice", "tversky", "circle",
    "categorical_generalized_cross_entropy", "reduce_weighted_values",
    # utilities
    "get", "serialize", "deserialize",
]

# The per-sample loss functions (what a saved graph operation `losses.NAME` may name).
FUNCTIONS = frozenset(__all__[__all__.index("mean_squared_error"):__all__.index("reduce_weighted_values")])

"""Weight and activity regularizers: `from jkeras import regularizers`;
`Dense(3, kernel_regularizer=regularizers.l2(0.01))`.

The classes live in `jkeras.core.regularizers`; this module re-exports them.
"""
from jkeras.core.regularizers import (  # noqa: F401
    activity_l1,
    activity_l1l2,
    activity_l2,
    ActivityRegularizer,
    deserialize,
    get,
    L1,
    l1,
    l1_l2,
    L1L2,
    l1l2,
    L2,
    l2,
    orthogonal_regularizer,
    OrthogonalRegularizer,
    Regularizer,
    serialize,
    WeightRegularizer,
)

__all__ = [
    "Regularizer",
    "L1",
    "L2",
    "L1L2",
    "OrthogonalRegularizer",
    "l1",
    "l2",
    "l1_l2",
    "orthogonal_regularizer",
    "get",
    "serialize",
    "deserialize",
    # Keras 1
    "l1l2", "activity_l1", "activity_l2", "activity_l1l2", "WeightRegularizer", "ActivityRegularizer",
]

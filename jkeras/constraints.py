"""Weight constraints: `from jkeras import constraints`;
`Dense(3, kernel_constraint=constraints.max_norm(2.0))`.

The classes live in `jkeras.core.constraints`; this module re-exports them.
"""
from jkeras.core.constraints import (  # noqa: F401
    Constraint,
    deserialize,
    get,
    max_norm,
    MaxNorm,
    maxnorm,
    min_max_norm,
    MinMaxNorm,
    non_neg,
    NonNeg,
    nonneg,
    serialize,
    unit_norm,
    UnitNorm,
    unitnorm,
)

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "unit_norm",
    "maxnorm",
    "nonneg",
    "unitnorm",
    "get",
    "serialize",
    "deserialize",
]

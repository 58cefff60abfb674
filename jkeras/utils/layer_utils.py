"""Keras 2's `keras.utils.layer_utils` module path."""
from jkeras.utils.summary import print_summary  # noqa: F401


def count_params(weights):
    """The total number of scalars in `weights` (a list of arrays or `Variable`s).

    Args:
        weights: list of arrays or variables with a `shape`.

    Returns:
        An int.
    """
    import numpy as np

    return int(sum(np.prod(w.shape, dtype=np.int64) for w in weights))

"""`jkeras.backend.get_uid` and `is_keras_tensor` (Keras 3's `keras.backend` names)."""
from jkeras.utils import naming

__all__ = ["get_uid", "is_keras_tensor"]


def get_uid(prefix=""):
    """A unique id for `prefix`: 1, 2, 3... on successive calls, counted with the default layer names.

    Default names and ids share one counter per prefix, as in Keras 3: after the first `Dense`
    (named "dense"), `get_uid("dense")` is 2 and the next `Dense` is named "dense_2".
    `clear_session()` resets every count.

    Args:
        prefix: string, the name the ids are counted for.

    Returns:
        The number of times `prefix` has been used, this call included.
    """
    naming._counts[prefix] = naming._counts.get(prefix, 0) + 1
    return naming._counts[prefix]


def is_keras_tensor(x):
    """Whether `x` is a symbolic tensor of the functional API (`jkeras.Input(...)` and what layers
    called on it return), not a concrete array.

    Args:
        x: any value.

    Returns:
        A bool.
    """
    from jkeras.models.node import KerasTensor

    return isinstance(x, KerasTensor)

"""NumPy helpers Keras users reach for: `to_categorical`, `normalize`; Keras 1's
`probas_to_classes` and `categorical_probas_to_classes`."""
import jax
import jax.numpy as jnp
import numpy as np


def to_categorical(y, num_classes=None, dtype=None):
    """Converts a class vector of ints to a one-hot matrix.

    Args:
        y: array-like of non-negative ints, any shape; a trailing axis of size 1 is dropped.
        num_classes: total number of classes; `max(y) + 1` when None (or 0).
        dtype: dtype of the result (Keras 2's argument, whose default was "float32"). When None,
            as in Keras 3: a NumPy float64 array, or a float32 tensor when `y` is a tensor.

    Returns:
        An array of shape `y.shape + (num_classes,)`.

    Raises:
        ValueError: if a label is negative or not below `num_classes`.
    """
    tensor_input = isinstance(y, jax.Array)
    y = np.asarray(y, dtype="int64")
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {int(y.min())}")
    if not num_classes:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and y.max() >= num_classes:
        raise ValueError(
            f"to_categorical: label {int(y.max())} is out of range for num_classes={num_classes}"
        )
    if dtype is None:
        dtype = "float32" if tensor_input else "float64"
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return jnp.asarray(out) if tensor_input else out


def normalize(x, axis=-1, order=2):
    """Scales `x` to unit `order`-norm along `axis`.

    Args:
        x: a NumPy array, or a tensor (also inside a traced function: a loss, a `call`).
        axis: the axis to normalize along.
        order: the norm's order (2 for L2).

    Returns:
        For a NumPy array, a NumPy array (zero vectors stay zero); for anything else, as Keras 3,
        the tensor `ops.normalize(x, axis, order)` (norms floored at `epsilon()`).
    """
    if not isinstance(x, np.ndarray):
        from jkeras.ops import nn

        return nn.normalize(x, axis=axis, order=order)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis or -1)


def categorical_probas_to_classes(p):
    """Keras 1: the class index of each row of probabilities (`argmax` over axis 1)."""
    return np.argmax(p, axis=1)


def probas_to_classes(y_pred):
    """Keras 1: class indices from predictions: `argmax` over axis 1 for several columns, else
    `y_pred > 0.5` as int32."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        return categorical_probas_to_classes(y_pred)
    return np.array([1 if p > 0.5 else 0 for p in y_pred.reshape(-1)], dtype="int32")

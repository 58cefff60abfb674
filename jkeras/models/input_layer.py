"""`Input` and `InputLayer`: where a functional graph starts."""
import numpy as np

from jkeras.models.layer import Layer
from jkeras.models.node import KerasHistory, KerasTensor, Node
from jkeras.utils import legacy


class InputLayer(Layer):
    """The layer behind an `Input` tensor; it passes its input through.

    Args:
        shape: shape of one sample (no batch axis). Keras 2's `input_shape=` is the same.
        batch_size: optional fixed batch size.
        dtype: dtype of the input, default `jkeras.backend.floatx()`.
        batch_shape: full shape, batch axis included (instead of `shape` and `batch_size`).
        name: optional name.

    Raises:
        ValueError: if neither or both of `shape` and `batch_shape` are given.
        TypeError: for a string dtype (text is vectorized before the model).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 input_shape=None, batch_input_shape=None, sparse=None, input_tensor=None, **kwargs):
        del sparse, input_tensor
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if shape is None and batch_shape is None:
            raise ValueError("InputLayer: give `shape` (one sample's shape) or `batch_shape`")
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: give only one of `shape` and `batch_shape`")
        if batch_shape is None:
            if isinstance(shape, (int, np.integer)):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        if dtype in ("string", "str", str, np.str_, object):
            raise TypeError(
                f"InputLayer: dtype={dtype!r}: a jkeras model takes numbers only (JAX has no strings); "
                "vectorize text before the model (`ids = text_vectorization(texts)`) and declare "
                "`Input(..., dtype='int32')`"
            )
        super().__init__(name=name, dtype=dtype, **kwargs)
        self._batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self._batch_input_shape = self._batch_shape
        self.built = True
        tensor = KerasTensor(self._batch_shape, self.dtype, name=self.name)
        tensor._keras_history = KerasHistory(self, 0, 0)
        node = Node(self)
        node.set_outputs(tensor)
        self._inbound_nodes.append(node)
        self._constant = None  # the array of an `Input(tensor=array)`

    @property
    def batch_shape(self):
        return self._batch_shape

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return inputs, variables["state"]

    def get_config(self):
        return {"batch_shape": list(self._batch_shape), "dtype": self.dtype, "name": self.name}


@legacy.converts(legacy.LegacyInterface(renames={"input_dtype": "dtype"}), owner="Input")
def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=None, batch_shape=None,
          tensor=None, batch_input_shape=None):
    """Creates a symbolic input tensor for a functional model.

    Args:
        shape: shape of one sample, without the batch axis, e.g. `(784,)`; None entries are free.
        batch_size: optional fixed batch size.
        name: optional name (unique in the model).
        dtype: dtype of the data fed there, default `jkeras.backend.floatx()`.
        sparse: accepted for Keras compatibility; must be falsy.
        batch_shape: full shape including the batch axis (instead of `shape`).
        tensor: an array (e.g. a `K.variable`) the input always holds (Keras 2): a model whose
            graph reaches this input reads it there and needs no data for it. Its shape (batch
            axis included) and dtype are the array's.
        batch_input_shape: Keras 2 spelling of `batch_shape`.

    Keras 1's `input_dtype` is converted to `dtype` (with a warning).

    Returns:
        A `KerasTensor`.

    Raises:
        ValueError: if neither `shape` nor `batch_shape` is given, sparse inputs are asked for,
            `tensor` is symbolic, or `shape` does not fit `tensor`'s shape.
    """
    if sparse:
        raise ValueError("Input: sparse inputs are not supported by jkeras; pass dense arrays")
    if tensor is not None:
        return _constant_input(tensor, shape, name, dtype)
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape if batch_shape is not None else batch_input_shape)
    return layer._inbound_nodes[0].outputs


def _constant_input(tensor, shape, name, dtype):
    """Keras 2's `Input(tensor=array)`: an input that holds `tensor`."""
    import jax.numpy as jnp

    from jkeras.backend import _v

    if isinstance(tensor, KerasTensor):
        raise ValueError(
            f"Input: `tensor=` must be an array (e.g. a K.variable), got the symbolic tensor {tensor!r}; "
            "use that tensor directly instead of wrapping it in an Input"
        )
    value = jnp.asarray(_v(tensor), dtype=dtype)
    if shape is not None and (len(shape) != value.ndim - 1 or any(
            s is not None and s != v for s, v in zip(shape, value.shape[1:]))):
        raise ValueError(
            f"Input: `shape` {tuple(shape)} does not fit the shape of `tensor`, {tuple(value.shape)} "
            "(batch axis first)"
        )
    layer = InputLayer(batch_shape=value.shape, dtype=value.dtype.name, name=name)
    layer._constant = value
    return layer._inbound_nodes[0].outputs

"""`Variable`: a handle on one weight a layer holds (what `layer.weights` lists)."""
import jax.numpy as jnp
import numpy as np


class Variable:
    """One named weight of a layer, read and written through the layer that owns it.

    The layer's weights are plain JAX arrays; a Variable only points at one of them, so it always
    shows the current value, also after `fit` or `set_weights`.

    Args:
        layer: the owning layer.
        collection: "params" (trainable kind) or "state" (non-trainable kind).
        name: the weight's name inside the layer, e.g. "kernel".
    """

    def __init__(self, layer, collection, name):
        self._layer = layer
        self._collection = collection
        self.name = name

    @property
    def path(self):
        return f"{self._layer.name}/{self.name}"

    @property
    def value(self):
        return self._layer._own_variables()[self._collection][self.name]

    @property
    def shape(self):
        return tuple(self.value.shape)

    @property
    def dtype(self):
        return str(self.value.dtype)

    @property
    def trainable(self):
        return (self._collection == "params" and self._layer.trainable
                and self.name not in self._layer._frozen_weights())

    def numpy(self):
        return np.asarray(self.value)

    def assign(self, value):
        """Sets the weight to `value` (same shape), keeping its dtype.

        Raises:
            ValueError: if the shape differs.
        """
        value = jnp.asarray(value, dtype=self.value.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Variable '{self.path}': expected a value of shape {self.shape}, "
                f"got shape {tuple(value.shape)}"
            )
        self._layer._own_variables()[self._collection][self.name] = value

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype=dtype)

    def __jax_array__(self):
        return self.value

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"

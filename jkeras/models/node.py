"""Symbolic tensors and nodes: how calling layers on `Input` tensors records a graph."""
import collections

import numpy as np

KerasHistory = collections.namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])


class KerasTensor:
    """A symbolic tensor: a shape, a dtype and the layer call that produced it.

    Args:
        shape: tuple of ints or None; the first entry is the batch size.
        dtype: dtype name, e.g. "float32".
        name: optional name.
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(np.dtype(dtype)) if dtype is not None else "float32"
        self.name = name
        self._keras_history = None

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def node(self):
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self!r} is a symbolic tensor: it has no value until the model runs. Call a model "
            "or a layer on NumPy / JAX arrays to compute values."
        )

    def __bool__(self):
        raise TypeError(f"{self!r} is a symbolic tensor and has no truth value.")


def is_symbolic(structure):
    """True when any leaf of a list / tuple / dict structure is a KerasTensor."""
    return any(isinstance(t, KerasTensor) for t in flatten(structure))


def flatten(structure):
    """Leaves of nested lists / tuples / dicts (dicts in key-insertion order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """Applies `fn` to every leaf, keeping the lists / tuples / dicts around them."""
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple) and not hasattr(structure, "_fields"):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


class Node:
    """One call of a layer on symbolic inputs.

    Args:
        layer: the layer called.
        call_args: the inputs structure (KerasTensors inside lists / dicts), or None for an InputLayer.
        call_kwargs: the other call arguments (static values).
    """

    def __init__(self, layer, call_args=None, call_kwargs=None):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = dict(call_kwargs or {})
        self.input_tensors = [] if call_args is None else [
            t for t in flatten(call_args) if isinstance(t, KerasTensor)
        ]
        self.outputs = None
        self.output_tensors = []

    @property
    def is_input(self):
        return self.call_args is None

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors]

    def set_outputs(self, outputs):
        self.outputs = outputs
        self.output_tensors = flatten(outputs)

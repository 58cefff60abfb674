"""Symbolic tensors and nodes: how calling layers on `Input` tensors records a graph."""
import collections
import itertools

import jax
import numpy as np


KerasHistory = collections.namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])


_serials = itertools.count()


def next_serial():
    """A number above the serial of every KerasTensor made so far (and below later ones)."""
    return next(_serials)


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
        self._serial = next(_serials)  # creation order: tells tensors made inside a running call

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def _keras_shape(self):
        """Keras 2's attribute of symbolic tensors (custom layers read it): the shape."""
        return self.shape

    @property
    def node(self):
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    @property
    def _keras_mask(self):
        """The mask this tensor will carry (a boolean KerasTensor), or None (Keras 3's attribute;
        informational: pass a mask computed with `ops` as `mask=`)."""
        if "_mask_spec" not in self.__dict__:
            from jkeras.models import masks

            self._mask_spec = masks.symbolic_mask(self)
        return self._mask_spec

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self!r} is a symbolic tensor: it has no value until the model runs. Call a model "
            "or a layer on NumPy / JAX arrays to compute values."
        )

    def __bool__(self):
        raise TypeError(f"{self!r} is a symbolic tensor and has no truth value.")

    def __iter__(self):
        raise TypeError(f"{self!r} is a symbolic tensor: iterate over a real array, or index it (`x[:, 0]`)")

    # Arithmetic and indexing record an operation in the functional graph (`OpLambda`), as Keras
    # 3's KerasTensor does; `==` / `!=` stay identity comparisons (tensors are dict keys).
    __array_ufunc__ = None  # NumPy arrays defer to the reflected operators below


def _operator(name, reflected=False):
    def method(self, *other):
        from jkeras.layers.op_lambda import symbolic_call

        args = (other[0], self) if reflected else (self,) + other
        return symbolic_call("operator." + name, args, {})

    method.__name__ = f"__{'r' if reflected else ''}{name.rstrip('_')}__"
    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_", "or_", "xor"):
    setattr(KerasTensor, f"__{_name.rstrip('_')}__", _operator(_name))
    setattr(KerasTensor, f"__r{_name.rstrip('_')}__", _operator(_name, reflected=True))
for _name in ("neg", "pos", "abs", "invert", "lt", "le", "gt", "ge", "getitem"):
    setattr(KerasTensor, f"__{_name}__", _operator(_name))


def is_symbolic(structure):
    """True when any leaf of a list / tuple / dict structure is a KerasTensor."""
    return any(isinstance(t, KerasTensor) for t in flatten(structure))




class CallArgs:
    """The tensor arguments of one call of a layer whose `call` takes several of them
    (`endpoint(targets, logits)`, `layer(x, context=c)`), by `call` parameter name in signature
    order. A layer's `inputs` structure when it is called so: graph nodes hold it, shapes and
    values are mapped through it, and the call gets the tensors back as arguments.

    Args:
        values: dict of parameter name to tensor (or list / dict of tensors).
        positional: how many of them (the first ones) were given positionally.
    """

    __slots__ = ("values", "positional")

    def __init__(self, values, positional=1):
        self.values = dict(values)
        self.positional = positional

    def first(self):
        """The value of the first argument (the one Keras's `build(input_shape)` gets)."""
        return next(iter(self.values.values()))

    def map(self, fn):
        return CallArgs({k: fn(v) for k, v in self.values.items()}, self.positional)

    def __repr__(self):
        return f"CallArgs({self.values!r})"


jax.tree_util.register_pytree_with_keys(
    CallArgs,
    lambda c: ([(jax.tree_util.DictKey(k), v) for k, v in c.values.items()], (tuple(c.values), c.positional)),
    lambda aux, children: CallArgs(dict(zip(aux[0], children)), aux[1]),
    lambda c: (list(c.values.values()), (tuple(c.values), c.positional)),
)


def flatten(structure, sort_keys=False):
    """Leaves of nested lists / tuples / dicts (dicts in key-insertion order; with `sort_keys`, by
    sorted key as Keras 3's `tree.flatten`, an `OrderedDict` keeping its order)."""
    if isinstance(structure, CallArgs):
        return flatten(list(structure.values.values()), sort_keys)
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item, sort_keys)]
    if isinstance(structure, dict):
        return [leaf for key in dict_keys(structure, sort_keys) for leaf in flatten(structure[key], sort_keys)]
    return [structure]


def pack_as(structure, flat):
    """`flat` (leaves in `flatten(structure, sort_keys=True)`'s order) nested as `structure`;
    dicts come back with their keys sorted, as Keras 3 packs them."""
    leaves = iter(flat)

    def pack(s):
        if isinstance(s, dict):
            return {k: pack(s[k]) for k in dict_keys(s)}
        if isinstance(s, list):
            return [pack(item) for item in s]
        if isinstance(s, tuple) and not hasattr(s, "_fields"):
            return tuple(pack(item) for item in s)
        return next(leaves)

    return pack(structure)


def dict_keys(structure, sort_keys=True):
    """The keys of a dict in the order its leaves flatten in (see `flatten`)."""
    if sort_keys and not isinstance(structure, collections.OrderedDict):
        return sorted(structure)
    return list(structure)


def map_structure(fn, structure):
    """Applies `fn` to every leaf, keeping the lists / tuples / dicts around them."""
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple) and not hasattr(structure, "_fields"):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    if isinstance(structure, CallArgs):
        return structure.map(lambda v: map_structure(fn, v))
    return fn(structure)


class Node:
    """One call of a layer on symbolic inputs.

    Args:
        layer: the layer called.
        call_args: the inputs structure (KerasTensors inside lists / dicts), or None for an InputLayer.
        call_kwargs: the other call arguments (static values).
        captured: symbolic tensors the layer's `call` reads from outside its inputs (see
            `jkeras.models.captures`): edges of the graph, bound to their values while it runs.
    """

    def __init__(self, layer, call_args=None, call_kwargs=None, captured=()):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = dict(call_kwargs or {})
        self.captured = list(captured)
        self.input_tensors = [] if call_args is None else [  # an explicit `mask=` tensor too
            t for t in flatten([call_args, self.call_kwargs.get("mask")]) if isinstance(t, KerasTensor)
        ] + self.captured
        self.outputs = None
        self.output_tensors = []

    @property
    def is_input(self):
        return self.call_args is None

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors]

    @property
    def inbound_layers(self):
        """Keras 2: the layers whose outputs this call takes (one per input tensor)."""
        return [t.node.layer for t in self.input_tensors]

    def set_outputs(self, outputs):
        self.outputs = outputs
        self.output_tensors = flatten(outputs)


def get_source_inputs(tensor):
    """The `Input` tensors that `tensor` is computed from, in first-visit order.

    Args:
        tensor: a symbolic tensor (or a list / dict of them).

    Returns:
        A list of the `Input` tensors reached by walking the recorded layer calls back.
    """
    found, seen, stack = [], set(), list(reversed(flatten(tensor)))
    while stack:
        t = stack.pop()
        if id(t) in seen or getattr(t, "_keras_history", None) is None:
            continue
        seen.add(id(t))
        if t.node.is_input:
            found.append(t)
        else:
            stack.extend(reversed(t.node.input_tensors))
    return found


class NodeAccessors:
    """Keras's `layer.input` / `output` / `input_shape` / `output_shape` and their `*_at(i)` forms,
    read from the nodes a layer's symbolic calls recorded (a mixin of `Layer`)."""

    def _node_attr(self, index, attr, label):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a symbolic input and thus has no "
                f"defined {label}."
            )
        if index >= len(self._inbound_nodes):
            raise ValueError(
                f"Layer '{self.name}' has {len(self._inbound_nodes)} inbound nodes, asked for node {index}"
            )
        node = self._inbound_nodes[index]
        if attr == "input":
            if node.is_input:
                return node.outputs
            if isinstance(node.call_args, CallArgs):  # Keras: the list of the call's tensors
                return list(node.input_tensors)
            return node.call_args
        return node.outputs

    def _single_node(self, attr, label):
        if len(self._inbound_nodes) > 1:
            values = [self._node_attr(i, attr, label) for i in range(len(self._inbound_nodes))]
            shapes = [map_structure(lambda t: t.shape, v) for v in values]
            if label.endswith("shape") and all(s == shapes[0] for s in shapes):
                return values[0]
            raise AttributeError(
                f"Layer '{self.name}' has multiple inbound nodes, hence the notion of \"layer {label}\" "
                f"is ill-defined. Use `get_{label.replace(' ', '_')}_at(node_index)` instead."
            )
        return self._node_attr(0, attr, label)

    @property
    def inbound_nodes(self):
        """Keras 2: the nodes of this layer's symbolic calls, in order."""
        return list(self._inbound_nodes)

    @property
    def outbound_nodes(self):
        """Keras 2: the nodes of other layers' symbolic calls on this layer's outputs, in order
        (a call since undone, as `Sequential.pop` does, is left out)."""
        return [n for n in self.__dict__.get("_outbound_nodes", []) if n in n.layer._inbound_nodes]

    @property
    def input(self):
        return self._single_node("input", "input")

    @property
    def output(self):
        return self._single_node("output", "output")

    @property
    def input_shape(self):
        if not self._inbound_nodes and self._batch_input_shape is not None:
            return self._batch_input_shape
        return map_structure(lambda t: t.shape, self._single_node("input", "input shape"))

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self._single_node("output", "output shape"))

    def get_input_at(self, node_index):
        return self._node_attr(node_index, "input", "input")

    def get_output_at(self, node_index):
        return self._node_attr(node_index, "output", "output")

    def get_input_shape_at(self, node_index):
        return map_structure(lambda t: t.shape, self.get_input_at(node_index))

    def get_output_shape_at(self, node_index):
        return map_structure(lambda t: t.shape, self.get_output_at(node_index))

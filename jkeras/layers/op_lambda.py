"""Operations on symbolic tensors in the functional API: `x / 255.0`, `x[:, -1]`, `ops.mean(x)`.

Calling a `jkeras.ops`, `jkeras.backend`, `jkeras.losses` or `jkeras.activations` function, a Python
arithmetic operator, or indexing on a `KerasTensor` records an `OpLambda` layer in the graph (Keras 3's symbolic operations;
tf.keras 2's `TFOpLambda` / `SlicingOpLambda`):

    inputs = jkeras.Input((28, 28))
    x = layers.Flatten()(inputs / 255.0)
    outputs = layers.Dense(10)(x - ops.mean(x, axis=-1, keepdims=True))

Its config names the operation and holds its other arguments; loading resolves the name only
among `jkeras.ops`, `jkeras.backend`, the `jkeras.losses` and `jkeras.activations` functions and
Python's arithmetic operators, so a saved model never runs code of its own.
"""
import operator

import numpy as np

from jkeras.models import call_scope, captures
from jkeras.models.layer import Layer
from jkeras.models.node import KerasTensor
from jkeras.utils import naming

__all__ = ["OpLambda"]

# Python operators a KerasTensor supports (and a saved OpLambda may name).
OPERATORS = frozenset({
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg", "pos", "abs",
    "invert", "and_", "or_", "xor", "lt", "le", "gt", "ge", "getitem",
})


# Keras 3 records a Python operator as its op class: `x * y` is a `Multiply` layer named
# "multiply", `x[:, 0]` a `GetItem` named "get_item".
_OPERATOR_CLASSES = {
    "add": "Add", "sub": "Subtract", "mul": "Multiply", "truediv": "TrueDivide",
    "floordiv": "FloorDivide", "mod": "Mod", "pow": "Power", "matmul": "Matmul", "neg": "Negative",
    "pos": "Positive", "abs": "Absolute", "invert": "LogicalNot", "and_": "LogicalAnd",
    "or_": "LogicalOr", "xor": "LogicalXor", "lt": "Less", "le": "LessEqual", "gt": "Greater",
    "ge": "GreaterEqual", "getitem": "GetItem",
}


def op_class_name(op):
    """The class Keras 3 gives the operation `op` ("ops.nn.relu" -> "Relu", "ops.expand_dims" ->
    "ExpandDims", "operator.mul" -> "Multiply"): what summaries show as the layer's type and, in
    snake case, its default name."""
    namespace, _, name = op.partition(".")
    name = name.rpartition(".")[2]
    if namespace == "operator" and name in _OPERATOR_CLASSES:
        return _OPERATOR_CLASSES[name]
    return "".join(part[:1].upper() + part[1:] for part in name.split("_")) or "OpLambda"


class _Slot:
    """Where the `index`-th symbolic input goes in an operation's arguments."""

    def __init__(self, index):
        self.index = index


def _map(fn, value):
    if isinstance(value, list):
        return [_map(fn, v) for v in value]
    if isinstance(value, tuple):
        return tuple(_map(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _map(fn, v) for k, v in value.items()}
    return fn(value)


def _resolve(op):
    """The function an operation name (`"ops.mean"`, `"backend.exp"`, `"operator.add"`) stands for.

    Raises:
        ValueError: for a name outside jkeras.ops, jkeras.backend and the supported operators.
    """
    namespace, _, name = op.partition(".")
    fn = None
    if namespace == "operator" and name in OPERATORS:
        fn = getattr(operator, name)
    elif namespace == "losses":
        from jkeras import losses

        fn = getattr(losses, name) if name in losses.FUNCTIONS else None
    elif namespace == "activations":
        from jkeras import activations

        functions = set(activations.__all__) - {"get", "serialize", "deserialize"}
        fn = getattr(activations, name) if name in functions else None
    elif namespace in ("ops", "backend") and name and not name.startswith("_"):
        from jkeras import backend, ops

        module, dot, name = name.rpartition(".")
        if not dot:  # "ops.mean", "backend.exp"
            fn = getattr(ops if namespace == "ops" else backend, name, None)
        elif namespace == "ops" and module in ops.SUBMODULES and not name.startswith("_"):
            fn = getattr(getattr(ops, module), name, None)  # "ops.image.resize"
    if not callable(fn) or isinstance(fn, type):
        raise ValueError(
            f"OpLambda: unknown operation {op!r}; expected 'ops.NAME' or 'ops.SUBMODULE.NAME' "
            "(jkeras.ops), 'backend.NAME' (jkeras.backend), 'losses.NAME' (a jkeras.losses function), "
            "'activations.NAME' (a jkeras.activations function) "
            "or 'operator.NAME' with NAME in "
            f"{sorted(OPERATORS)}"
        )
    return fn


def _encode(value, where):
    """A JSON-friendly form of one argument of an operation."""
    if isinstance(value, _Slot):
        return {"tensor": value.index}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, slice):
        return {"slice": [_encode(value.start, where), _encode(value.stop, where), _encode(value.step, where)]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, list):
        return [_encode(v, where) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, where) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: _encode(v, where) for k, v in value.items()}}
    if isinstance(value, type) or isinstance(value, np.dtype):
        try:
            return {"dtype": np.dtype(value).name}
        except TypeError:
            pass
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        array = np.asarray(value)
        return {"array": array.tolist(), "dtype": array.dtype.name}
    raise TypeError(
        f"OpLambda '{where}': cannot save the argument {value!r} (of type {type(value).__name__}) in a "
        "config; only numbers, strings, None, slices, lists / tuples / dicts of them, dtypes and arrays"
    )


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "tensor" in value:
        return _Slot(value["tensor"])
    if "slice" in value:
        return slice(*[_decode(v) for v in value["slice"]])
    if "ellipsis" in value:
        return Ellipsis
    if "tuple" in value:
        return tuple(_decode(v) for v in value["tuple"])
    if "dict" in value:
        return {k: _decode(v) for k, v in value["dict"].items()}
    if "array" in value:
        return np.asarray(value["array"], dtype=value["dtype"])
    if "dtype" in value:
        return np.dtype(value["dtype"])
    raise ValueError(f"OpLambda: unreadable argument {value!r} in config")


class OpLambda(Layer):
    """One operation on symbolic tensors, recorded as a layer (no weights).

    Created by `symbolic_call` when an op meets a `KerasTensor`; rarely built by hand.

    Args:
        op: the operation's name: "ops.NAME", "ops.image.NAME" (a jkeras.ops submodule),
            "backend.NAME" or "operator.NAME".
        args: its positional arguments, the symbolic inputs replaced by `{"tensor": i}`.
        kwargs: its keyword arguments, likewise.

    Raises:
        ValueError: for an unknown operation name.
    """

    _autocast = False  # an operation computes in its inputs' dtypes, as Keras's ops

    def __init__(self, op, args=(), kwargs=None, **layer_kwargs):
        if layer_kwargs.get("name") is None:
            layer_kwargs["name"] = naming.uniquify(naming.to_snake_case(op_class_name(op)))
        super().__init__(**layer_kwargs)
        self.op = op
        self.op_class_name = op_class_name(op)  # the type summaries show, as Keras 3's
        self.function = _resolve(op)
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not isinstance(inputs, (list, tuple)):  # called on one tensor rather than a list
            inputs = [inputs]

        def fill(value):
            return inputs[value.index] if isinstance(value, _Slot) else value

        return self.function(*_map(fill, self.args), **_map(fill, self.kwargs)), variables["state"]

    def get_config(self):
        return {
            **super().get_config(),
            "op": self.op,
            "args": [_encode(a, self.name) for a in self.args],
            "kwargs": {k: _encode(v, self.name) for k, v in self.kwargs.items()},
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        args = _decode(config.pop("args", []))
        kwargs = {k: _decode(v) for k, v in config.pop("kwargs", {}).items()}
        return cls(config.pop("op"), args, kwargs, **config)


def symbolic_call(op, args, kwargs):
    """Records `op(*args, **kwargs)` for the KerasTensors among the arguments: an `OpLambda`
    layer called on them; returns its symbolic output.

    Inside a running layer call (see `jkeras.models.captures`), the operation computes on the
    values bound to the tensors instead, unless the call made the tensors itself.

    Raises:
        Captured: inside a running layer call, for tensors bound to no value that it did not make.
    """
    tensors = []

    def slot(value):
        if isinstance(value, KerasTensor):
            tensors.append(value)
            return _Slot(len(tensors) - 1)
        return value

    args, kwargs = _map(slot, tuple(args)), _map(slot, dict(kwargs))
    if call_scope.current() is not None:  # a layer's call runs on arrays: no graph to record in
        values = captures.in_call(tensors)
        if not any(isinstance(v, KerasTensor) for v in values):

            def fill(value):
                return values[value.index] if isinstance(value, _Slot) else value

            return _resolve(op)(*_map(fill, args), **_map(fill, kwargs))
        # tensors the call made itself: a graph it builds (a functional submodel in `build`)
    return OpLambda(op, args, kwargs)(tensors)


def _leaf(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def _replaced(tree, path, value):
    """A copy of nested dicts `tree` with the leaf at `path` set to `value`."""
    if not path:
        return value
    return {**tree, path[0]: _replaced(tree[path[0]], path[1:], value)}


class Gradients(Layer):
    """The gradients of a graph scalar with respect to some of the graph's tensors and weights, as
    a layer of the graph (what `jkeras.backend.gradients` records; Keras 2's `K.gradients`).

    Called on the `Input` tensors `loss` is computed from; computes `loss` from them and returns
    one gradient per tensor of `wrt` (`jax.grad` by an offset added to each where the graph
    computes it), then one per weight of `weights`: the gradient of `sum(loss)`, as Keras 2
    (`tf.gradients`) sums a non-scalar loss.

    Args:
        graph: a `Model` from those inputs to `[loss] + wrt` (its layers are the graph's, shared).
        wrt: the tensors to differentiate with respect to (inputs or intermediate tensors).
        weights: `(collection, path, variable)` of layer weights to differentiate with respect
            to: where each sits in the graph's variables (`("params", ("dense", "kernel"), v)`).
    """

    _autocast = False

    def __init__(self, graph, wrt, weights=(), **kwargs):
        if kwargs.get("name") is None:
            kwargs["name"] = naming.uniquify("gradients")
        super().__init__(**kwargs)
        self.graph = graph
        self.wrt = list(wrt)
        self.weight_paths = list(weights)
        self._sublayers = [graph]  # its weights are the graph's layers' (nested under its name)
        self.built = True

    def _infer_output_spec(self, inputs, kwargs):
        return [KerasTensor(t.shape, t.dtype) for t in self.wrt] + [
            KerasTensor(tuple(v.shape), v.dtype) for _, _, v in self.weight_paths]

    def compute_output_shape(self, input_shape):
        return [tuple(t.shape) for t in self.wrt] + [tuple(v.shape) for _, _, v in self.weight_paths]

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        import jax
        import jax.numpy as jnp

        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        graph_vars = {c: variables[c].get(self.graph.name, {}) for c in ("params", "state")}

        def run(offsets, weights):
            v = graph_vars
            for (collection, path, _), w in zip(self.weight_paths, weights):
                v = {**v, collection: _replaced(v[collection], path, w)}
            outputs = self.graph.apply_with_masks(v, inputs, training=training, rng=rng, offsets=offsets)[0]
            return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

        ids = [id(t) for t in self.wrt]
        weights = [_leaf(graph_vars[c], path) for c, path, _ in self.weight_paths]
        zeros = [jnp.zeros(v.shape, v.dtype) for v in jax.eval_shape(lambda: run({}, weights))[1:]]
        by_tensor, by_weight = jax.grad(
            lambda offsets, w: jnp.sum(run(dict(zip(ids, offsets)), w)[0]), argnums=(0, 1))(zeros, weights)
        return list(by_tensor) + list(by_weight), variables["state"]

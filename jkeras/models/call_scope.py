"""Keras-style layers (`build` / `add_weight` / `call`) run as pure functions.

A Keras-style layer creates its weights in `build(input_shape)` with `add_weight` and computes in
`call(inputs)`, reading its weights as attributes (`self.kernel`) and calling sublayers it holds as
attributes. jkeras derives the pure pair from those two methods:

- `init(rng, input_shape)` runs `build` inside an `InitScope`, where `add_weight` puts fresh arrays
  in the scope (keys from `rng`) instead of the layer, then runs `call` once on zeros so sublayers
  called there get their weights too (also in the scope).
- `apply(variables, inputs, ...)` runs `call` inside an `ApplyScope` holding `variables`: a weight
  attribute reads the scope's array, a sublayer call runs the sublayer's pure `forward` on its part
  of the variables and records its new state in the scope.

Weights a layer created in `__init__` (before any build) are part of its variables: `init` returns
their current values next to the ones `build` creates.

Inside `call`, a non-trainable weight attribute reads as a `ScopedWeight`, an array-like handle
whose `assign` / `assign_add` / `assign_sub` record the new value as the scope's new state (the
state `apply` returns); during `init` they change nothing.

Nothing is written to the layer objects while a scope is open, so both functions can be traced by
`jax.jit`, `jax.grad` and `jax.vmap`.
"""
import contextlib
import functools
import inspect
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.models import masks
from jkeras.models.node import CallArgs, next_serial
from jkeras.models.variable import _ArrayLike, _register, creation_scope

_local = threading.local()


def assign_count():
    """How many weight assignments `call`s have recorded so far in this thread (eager calls
    compare it before and after to know whether a non-trainable weight changed)."""
    return getattr(_local, "assigns", 0)


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def current():
    """The innermost open scope, or None."""
    stack = _stack()
    return stack[-1] if stack else None


def scope_of(layer):
    """The innermost open scope running `layer`, or None."""
    for scope in reversed(_stack()):
        if scope.layer is layer:
            return scope
    return None


@contextlib.contextmanager
def opened(scope):
    scope.first_serial = next_serial()  # KerasTensors made from here on are made inside the call
    stack = _stack()
    stack.append(scope)
    try:
        yield scope
    finally:
        stack.pop()


@contextlib.contextmanager
def outside():
    """No scope open inside the block: symbolic calls there (a Sequential wiring its graph) are
    not taken for sublayer calls of the layer whose `call` is running."""
    saved = list(_stack())
    _stack().clear()
    try:
        yield
    finally:
        _stack()[:] = saved


class ApplyScope:
    """The variables of one `apply` of a Keras-style layer, and the state it updates.

    Args:
        layer: the layer whose `call` runs.
        variables: `{"params": ..., "state": ...}` of that layer (sublayers nested by name).
        training: the training flag passed to sublayers.
        rng: key for random ops and sublayers, or None.
    """

    creating = False

    def __init__(self, layer, variables, training=False, rng=None):
        self.layer = layer
        self.params = dict(variables.get("params", {}))
        self.state = dict(variables.get("state", {}))
        self.training = training
        self.rng = rng
        self._count = 0
        self.unnamed = 0  # unnamed weights created in this scope (`add_weight` names them)
        self.handed_out = False  # whether `call` read a `ScopedWeight`

    def next_rng(self):
        """A fresh key derived from the scope's key (None when it has none)."""
        if self.rng is None:
            return None
        self._count += 1
        return jax.random.fold_in(self.rng, self._count)

    def value(self, collection, name):
        """The current array of the layer's own weight `name`."""
        table = self.params if collection == "params" else self.state
        if name not in table:
            raise AttributeError(
                f"{type(self.layer).__name__} '{self.layer.name}': weight '{name}' is not in the variables "
                "passed to apply"
            )
        return table[name]

    def handle(self, collection, name):
        """What reading the weight attribute `name` inside `call` gives: the array of a trainable
        weight, a `ScopedWeight` (assignable) of a non-trainable one."""
        value = self.value(collection, name)
        if collection != "state":
            return value
        self.handed_out = True
        return ScopedWeight(self, collection, name)

    def assign(self, collection, name, value):
        """Records a new value of a non-trainable weight (returned as new state).

        Raises:
            ValueError: for a trainable weight, or a value of another shape.
        """
        label = f"{type(self.layer).__name__} '{self.layer.name}'"
        if collection != "state":
            raise ValueError(f"{label}: only non-trainable weights can be assigned inside call(); "
                             f"'{name}' is trainable")
        current = self.value(collection, name)
        value = jnp.asarray(value, current.dtype)
        if value.shape != current.shape:
            raise ValueError(f"{label}: weight '{name}' has shape {tuple(current.shape)}, "
                             f"got a value of shape {tuple(value.shape)}")
        self._store(name, value)

    def _store(self, name, value):
        self.state[name] = value
        _local.assigns = assign_count() + 1

    def _table(self, collection, path):
        """The dict holding the weights of the sublayer at `path` (names from this scope's layer
        down; empty: the layer's own), or None."""
        table = self.params if collection == "params" else self.state
        for name in path:
            table = table.get(name) if isinstance(table, dict) else None
        return table if isinstance(table, dict) else None

    def sublayer_value(self, path, collection, name):
        """The current array of weight `name` of the sublayer at `path`."""
        return self._table(collection, path)[name]

    def assign_sublayer(self, path, collection, name, value):
        """Records a new value of weight `name` of the sublayer at `path`, from this layer's
        `call` (`self.conv.kernel.assign(...)`): later reads and calls of the sublayer in this call
        see it; a non-trainable one is also part of the state `apply` returns, while a trainable
        one, as in Keras 3's traced steps, holds for this call only."""
        current = self.sublayer_value(path, collection, name)
        value = jnp.asarray(value, current.dtype)
        if value.shape != current.shape:
            raise ValueError(f"{type(self.layer).__name__} '{self.layer.name}': weight '{'/'.join(path)}/{name}' "
                             f"has shape {tuple(current.shape)}, got a value of shape {tuple(value.shape)}")
        root = self.params if collection == "params" else self.state
        tables = [root]
        for part in path:  # copy the dicts on the way: the caller's variables stay as they were
            tables.append(dict(tables[-1][part]))
        tables[-1][name] = value
        for table, part, child in zip(reversed(tables[:-1]), reversed(path), reversed(tables[1:])):
            table[part] = child
        if collection == "state":
            _local.assigns = assign_count() + 1

    def sublayer_variables(self, sub, inputs, kwargs=None):
        """The part of the variables that belongs to sublayer `sub` (called on `inputs` with the
        other arguments `kwargs`)."""
        params, state = self.params.get(sub.name), self.state.get(sub.name)
        if params is None and state is None:
            # A Sequential with no input shape that the call creating the weights did not reach
            # (the training branch of `call`: masked_image_modeling's augmentation model) was
            # marked built with its parent without a graph: it is wired below, for these inputs.
            if sub.built and not _awaits_inputs(sub):
                return {"params": {}, "state": {}} if not sub.weights else sub.get_variables()
            would_create = jax.eval_shape(
                lambda: init_for_call(sub, jax.random.PRNGKey(0), shape_structure(inputs), kwargs))
            if jax.tree_util.tree_leaves(would_create):
                raise ValueError(
                    f"{type(self.layer).__name__} '{self.layer.name}': sublayer '{sub.name}' has no weights in "
                    "the variables passed to apply; build the model first (call it on data or call build())"
                )
            return {"params": {}, "state": {}}
        return {"params": params or {}, "state": state or {}}

    def call_sublayer(self, sub, inputs, kwargs):
        """Runs sublayer `sub` on `inputs` with its part of the variables; returns its outputs."""
        kwargs = dict(kwargs)
        training = kwargs.pop("training", None)
        training = self.training if training is None else bool(training)
        mask = kwargs.pop("mask", None)
        if mask is None:
            mask = masks.input_mask(inputs)  # the mask a previous layer attached (Keras's `_keras_mask`)
        variables = self.sublayer_variables(sub, inputs, kwargs)
        outputs, new_state = sub.forward(
            variables, inputs, training=training, rng=self.next_rng(), mask=mask, **kwargs
        )
        if new_state and _holds(self.layer, sub):  # a layer it does not hold keeps its own state
            self.state[sub.name] = new_state
        masks.mark_outputs(sub, inputs, mask, outputs)
        return outputs


class InitScope(ApplyScope):
    """Like ApplyScope, but weights are created as `build` and `call` ask for them."""

    creating = True

    def __init__(self, layer, rng, variables=None):
        super().__init__(layer, variables or {"params": {}, "state": {}}, training=False, rng=rng)

    def create(self, collection, name, value):
        (self.params if collection == "params" else self.state)[name] = value

    def _store(self, name, value):
        """`call` runs once on zeros to create sublayer weights: its assignments change nothing."""

    def sublayer_variables(self, sub, inputs, kwargs=None):
        if sub.name in self.params or sub.name in self.state:
            return super().sublayer_variables(sub, inputs, kwargs)
        if not _holds(self.layer, sub):
            # A layer the running one does not hold (keras-io perceiver calls a module-level
            # augmentation Sequential in `call`): as in Keras 3, its weights are its own, built
            # by this first call, and not the caller's.
            if not sub.built:
                with outside():
                    sub._maybe_build(shape_structure(inputs), kwargs)
            return sub.get_variables()
        return self.create_sublayer(sub, shape_structure(inputs), kwargs)

    def create_sublayer(self, sub, input_shape, call_kwargs=None):
        """Creates the weights of sublayer `sub` for `input_shape` (its `build(input_shape)` called
        in the layer's `build` or `call`, with the call's other arguments `call_kwargs`); returns
        them."""
        if sub.name in self.params or sub.name in self.state:
            return super().sublayer_variables(sub, None)
        # A sublayer built already (a trained model wrapped by a new one) keeps its weights, as in
        # Keras; only unbuilt ones get fresh weights.
        if sub.built and sub.weights:
            variables = sub.get_variables()
        else:
            with creation_scope(sub):  # weights it builds on the way (a Sequential wired in its
                # `build`) take its path: "model/block/mlp/sequential/dense/kernel", as Keras's
                variables = init_for_call(sub, self.next_rng(), input_shape, call_kwargs)
        if variables["params"]:
            self.params[sub.name] = variables["params"]
        if variables["state"]:
            self.state[sub.name] = variables["state"]
        return variables

    def variables(self):
        return {"params": self.params, "state": self.state}


@_register
class ScopedWeight(_ArrayLike):
    """A non-trainable weight read inside `call`: computes like its current array and records
    assignments in the scope running the call, as a Keras variable's `assign_add` would.

    Args:
        scope: the `ApplyScope` running the owner's `call`.
        collection: "state".
        name: the weight's name.
    """

    def __init__(self, scope, collection, name, path=()):
        self._scope, self._collection, self.name, self._path = scope, collection, name, tuple(path)

    @property
    def value(self):
        if self._path:
            return self._scope.sublayer_value(self._path, self._collection, self.name)
        return self._scope.value(self._collection, self.name)

    @property
    def shape(self):
        return tuple(self.value.shape)

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def trainable(self):
        return self._collection == "params"

    def assign(self, value):
        """Sets the weight to `value` (same shape), keeping its dtype."""
        if self._path:
            self._scope.assign_sublayer(self._path, self._collection, self.name, value)
        else:
            self._scope.assign(self._collection, self.name, value)
        return self

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.value, name)  # `.T`, `.reshape`, `.astype`, ... of the current array

    def __repr__(self):
        where = "/".join((self._scope.layer.name,) + self._path + (self.name,))
        return f"<ScopedWeight {where}, shape={self.shape}, dtype={self.dtype}>"


def _path_to(root, layer):
    """The sublayer names from `root` down to `layer` (a tuple), or None when `layer` is not in
    `root`'s tree of sublayers."""
    for sub in root.__dict__.get("_sublayers") or ():
        if sub is layer:
            return (sub.name,)
        below = _path_to(sub, layer)
        if below is not None:
            return (sub.name,) + below
    return None


def enclosing_weight(layer, collection, name):
    """Inside the `call` of a layer holding `layer` (`self.conv.kernel` in a wrapper's `call`):
    a `ScopedWeight` of `layer`'s weight `name` in that call's variables, or None (no such call
    is running, or its variables do not hold the weight)."""
    for scope in reversed(_stack()):
        path = _path_to(scope.layer, layer)
        if path is None:
            continue
        if scope._table(collection, path) is None and scope.creating and layer.built and len(path) == 1:
            scope.create_sublayer(layer, None)  # built already (`self.conv.build(...)` in `build`)
        table = scope._table(collection, path)
        if table is None or name not in table or isinstance(table[name], dict):
            return None
        return ScopedWeight(scope, collection, name, path)
    return None


def materialize(outputs):
    """`outputs` with every `ScopedWeight` replaced by its current array."""
    return jax.tree_util.tree_map(
        lambda x: x.value if isinstance(x, ScopedWeight) else x, outputs,
        is_leaf=lambda x: isinstance(x, ScopedWeight),
    )


class TypedShape(tuple):
    """A shape tuple that remembers the non-float dtype of the tensor it describes.

    Weights are created by calling a layer on zeros of its input shapes; integer or boolean
    inputs (indices, masks) keep their dtype in those zeros, as the real call sees them in Keras.
    """

    def __new__(cls, shape, dtype):
        t = super().__new__(cls, shape)
        t.dtype = dtype
        return t

    def __reduce__(self):
        return tuple, (tuple(self),)


def _holds(layer, sub):
    """Whether `sub` is one of the sublayers `layer` tracks (an attribute, or in a list / dict of them)."""
    return any(sub is held for held in layer.__dict__.get("_sublayers", ()))


def _awaits_inputs(layer):
    """Whether `layer` is a model whose graph is wired by its first call (a Sequential with no
    input shape, not called yet)."""
    return getattr(layer, "_is_subclassed", True) is False and layer._input_struct is None


def init_for_call(layer, rng, input_shape, call_kwargs):
    """`layer.init(rng, input_shape)` for a call with the other arguments `call_kwargs`: a layer
    that creates its weights by running its `call` (Keras style) gets them too, as Keras 3 runs
    the first call with all its arguments."""
    if call_kwargs and _takes_call_kwargs(type(layer).init):
        return layer.init(rng, input_shape, call_kwargs=call_kwargs)
    return layer.init(rng, input_shape)


@functools.lru_cache(maxsize=None)
def _takes_call_kwargs(init):
    """Whether an `init` accepts `call_kwargs` (`Layer.init` does; a pure layer's own may not)."""
    return "call_kwargs" in inspect.signature(init).parameters


def shape_structure(inputs):
    """The shapes of `inputs` (a tensor, or a list / dict / `CallArgs` of them); those of
    integer or boolean tensors are `TypedShape`s carrying the dtype."""
    if isinstance(inputs, CallArgs):
        return inputs.map(shape_structure)
    if isinstance(inputs, (list, tuple)):
        return [shape_structure(x) for x in inputs]
    if isinstance(inputs, dict):
        return {k: shape_structure(v) for k, v in inputs.items()}
    shape = tuple(inputs.shape) if hasattr(inputs, "shape") else tuple(jnp.shape(inputs))
    try:
        kind = np.dtype(getattr(inputs, "dtype", None) or "float32").kind
    except TypeError:  # a KerasTensor's dtype name that NumPy lacks (bfloat16)
        kind = "f"
    if kind in "biu":
        return TypedShape(shape, jax.dtypes.canonicalize_dtype(inputs.dtype))
    return shape


def zeros_like_shape(input_shape, dtype="float32"):
    """Zeros of `input_shape` (unknown sizes become 1), or a list / dict of them."""
    if isinstance(input_shape, CallArgs):
        return input_shape.map(lambda s: zeros_like_shape(s, dtype))
    if isinstance(input_shape, dict):
        return {k: zeros_like_shape(v, dtype) for k, v in input_shape.items()}
    if isinstance(input_shape, list) or (
        isinstance(input_shape, tuple) and input_shape and isinstance(input_shape[0], (tuple, list))
    ):
        return [zeros_like_shape(s, dtype) for s in input_shape]
    return jnp.zeros(tuple(1 if d is None else d for d in input_shape), getattr(input_shape, "dtype", dtype))

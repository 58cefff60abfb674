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

Nothing is written to the layer objects while a scope is open, so both functions can be traced by
`jax.jit`, `jax.grad` and `jax.vmap`.
"""
import contextlib
import threading

import jax
import jax.numpy as jnp

_local = threading.local()


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

    def assign(self, collection, name, value):
        """Records a new value of a non-trainable weight (returned as new state)."""
        if collection != "state":
            raise ValueError(
                f"{type(self.layer).__name__} '{self.layer.name}': only non-trainable weights can be assigned "
                f"inside call(); '{name}' is trainable"
            )
        self.state[name] = jnp.asarray(value, self.state[name].dtype)

    def sublayer_variables(self, sub, inputs):
        """The part of the variables that belongs to sublayer `sub`."""
        params, state = self.params.get(sub.name), self.state.get(sub.name)
        if params is None and state is None:
            if sub.built:
                return {"params": {}, "state": {}} if not sub.weights else sub.get_variables()
            would_create = jax.eval_shape(lambda: sub.init(jax.random.PRNGKey(0), _shape_structure(inputs)))
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
        variables = self.sublayer_variables(sub, inputs)
        outputs, new_state = sub.forward(
            variables, inputs, training=training, rng=self.next_rng(), mask=mask, **kwargs
        )
        if new_state:
            self.state[sub.name] = new_state
        return outputs


class InitScope(ApplyScope):
    """Like ApplyScope, but weights are created as `build` and `call` ask for them."""

    creating = True

    def __init__(self, layer, rng):
        super().__init__(layer, {"params": {}, "state": {}}, training=False, rng=rng)

    def create(self, collection, name, value):
        (self.params if collection == "params" else self.state)[name] = value

    def sublayer_variables(self, sub, inputs):
        if sub.name in self.params or sub.name in self.state:
            return super().sublayer_variables(sub, inputs)
        variables = sub.init(self.next_rng(), _shape_structure(inputs))
        if variables["params"]:
            self.params[sub.name] = variables["params"]
        if variables["state"]:
            self.state[sub.name] = variables["state"]
        return variables

    def variables(self):
        return {"params": self.params, "state": self.state}


def _shape_structure(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_shape_structure(x) for x in inputs]
    if isinstance(inputs, dict):
        return {k: _shape_structure(v) for k, v in inputs.items()}
    return tuple(jnp.shape(inputs))


def zeros_like_shape(input_shape, dtype="float32"):
    """Zeros of `input_shape` (unknown sizes become 1), or a list / dict of them."""
    if isinstance(input_shape, dict):
        return {k: zeros_like_shape(v, dtype) for k, v in input_shape.items()}
    if isinstance(input_shape, list) or (
        isinstance(input_shape, tuple) and input_shape and isinstance(input_shape[0], (tuple, list))
    ):
        return [zeros_like_shape(s, dtype) for s in input_shape]
    return jnp.zeros(tuple(1 if d is None else d for d in input_shape), dtype)

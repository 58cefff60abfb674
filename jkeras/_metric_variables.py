"""Metric state written Keras 3's way: variables made by `Metric.add_variable` / `add_weight`
in `__init__`, changed with `assign` / `assign_add` / `assign_sub` in `update_state`.

A metric's state is a dict of arrays (see `jkeras._metric_classes`); an added variable is one
entry of it, and its handle reads and writes that entry through the metric. A class that
overrides `update_state` / `result` / `reset_state` without the matching pure `update` /
`compute` / `init` gets the pure method from `install_adapters`: it runs the stateful method
with the metric's state temporarily bound to the given (traced) state and returns what the
method assigned. So `fit` / `evaluate`, which trace `init` / `update` / `compute` inside
`jax.jit`, run such a metric as they run the built-in ones.

Split from `jkeras/_metric_classes.py` for length.
"""
import functools

import jax
import jax.numpy as jnp

from jkeras.core import initializers
from jkeras.core._loss_classes import _standardize_dtype
from jkeras.core.step import on_real_rows
from jkeras.models.variable import StateVariable, _register, as_array

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")


@_register
class MetricVariable(StateVariable):
    """A variable made by `Metric.add_variable`: a named entry of the metric's state.

    It computes like an array (`v + 1`, `ops.sum(v)`, `float(v)`, `v.value`, `v.numpy()`) and
    is changed with `assign` / `assign_add` / `assign_sub`. Inside the metric's pure methods
    (`fit`, `stateless_update_state`) it reads and writes the state being traced.

    Args:
        owner: the metric.
        index: the variable's position in `owner.variables`.
        name: the name given to `add_variable`.
        key: the variable's (unique) key in the metric's state.
        aggregation: Keras's cross-replica aggregation name (kept for reference).
    """

    trainable = False

    def __init__(self, owner, index, name, key, aggregation="sum"):
        super().__init__(owner, index, name)
        self._key, self.aggregation = key, aggregation

    @property
    def value(self):
        return self._owner._state[self._key]

    def assign(self, value):
        """Sets the variable to `value` (same shape), keeping its dtype.

        Raises:
            ValueError: if the shape differs.
        """
        value = jnp.asarray(as_array(value), dtype=self.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Metric variable '{self.path}': `assign` expects a value of shape {self.shape}, "
                f"got shape {tuple(value.shape)}"
            )
        self._owner._state = {**self._owner._state, self._key: value}
        return self

    def __repr__(self):
        return f"<MetricVariable path={self.path}, shape={self.shape}, dtype={self.dtype}>"


def add_variable(metric, shape, initializer, dtype=None, aggregation="sum", name=None):
    """Adds a variable to `metric`'s state and returns its handle (see `Metric.add_variable`)."""
    if "_added" not in metric.__dict__:
        raise RuntimeError(
            f"{type(metric).__name__}: add_variable was called before the Metric was initialized. "
            "You forgot to call `super().__init__()` in the `__init__()` method. Go add it!"
        )
    if aggregation not in _AGGREGATIONS:
        raise ValueError(
            f"{type(metric).__name__} '{metric.name}': add_variable expects `aggregation` in "
            f"{_AGGREGATIONS}, got aggregation={aggregation!r}"
        )
    init = initializers.get(initializer)
    if init is None:
        raise ValueError(
            f"{type(metric).__name__} '{metric.name}': add_variable needs an `initializer` "
            "(e.g. 'zeros'), got initializer=None"
        )
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    value = jnp.asarray(init(shape, dtype=_standardize_dtype(dtype)))
    if metric._state is None:  # a built-in base's own state comes first, as its variables do
        metric._set_state(pure_method(metric, "init")())
    name = name or "variable"
    key, n = name, 0
    while key in metric._state:
        n += 1
        key = f"{name}_{n}"
    handle = MetricVariable(metric, len(metric._variable_names), name, key, aggregation)
    metric._set_state({**metric._state, key: value})
    metric._added[key] = handle
    return handle


def bound(metric, state, fn, *args, **kwargs):
    """Runs `fn(*args, **kwargs)` (a stateful method of `metric`) with the metric's state set to
    `state`, then restores it.

    Returns:
        `(state after fn, fn's result with every variable handle read as its array)`.
    """
    saved = metric._state
    metric._state = state
    try:
        out = fn(*args, **kwargs)
        out = jax.tree_util.tree_map(jnp.asarray, out)  # a returned handle, read while bound
        return metric._state, out
    finally:
        metric._state = saved


def _adapter(function):
    function._from_stateful_api = True
    return function


@_adapter
def _init_via_reset_state(self, y_pred_shape=None):
    """The state `reset_state()` leaves, run on the current state (pure)."""
    state = self._state if self._state is not None else pure_method(self, "init")(y_pred_shape)
    return bound(self, state, self.reset_state)[0]


@_adapter
def _update_via_update_state(self, state, *args, mask=None, **kwargs):
    """`update_state(*args, **kwargs)` run on `state` (pure); returns the new state.

    Keras gives a custom metric no mask. Inside a padded batch (`fit` / `evaluate` pad a short
    last batch, see `jkeras.core.scope.batch_rows`), `update_state` sees only the real rows.
    """
    del mask

    def run(state, args, kwargs):
        return bound(self, state, self.update_state, *args, **kwargs)[0]

    return on_real_rows(run, state, args, kwargs)


_update_via_update_state.selects_real_rows = True  # `update_metrics` leaves the rows to it


@_adapter
def _compute_via_result(self, state):
    """`result()` of `state` (pure)."""
    return bound(self, state, self.result)[1]


_ADAPTERS = (("reset_state", "init", _init_via_reset_state),
             ("update_state", "update", _update_via_update_state),
             ("result", "compute", _compute_via_result))


def install_adapters(cls):
    """Gives `cls` the pure methods of the stateful ones it overrides (`__init_subclass__`)."""
    for stateful, pure, adapter in _ADAPTERS:
        if stateful in cls.__dict__ and pure not in cls.__dict__:
            setattr(cls, pure, adapter)


@functools.lru_cache(maxsize=None)
def _pure_function(cls, name):
    for klass in cls.__mro__:
        function = klass.__dict__.get(name)
        if function is not None and not getattr(function, "_from_stateful_api", False):
            return function
    raise AttributeError(name)


def pure_method(metric, name):
    """`metric`'s own pure `name` ("init" / "update" / "compute"): the nearest one in its class
    hierarchy that is not an adapter, which a base's stateful method (`super().update_state`
    inside an override) runs."""
    return _pure_function(type(metric), name).__get__(metric)


def uses_adapter(metric, name):
    """Whether `metric`'s `name` runs its stateful counterpart."""
    return getattr(getattr(type(metric), name), "_from_stateful_api", False)

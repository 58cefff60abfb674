"""The recurrent machinery: the cell protocol, `AbstractRNNCell`, `StackedRNNCells` and the loop over
time that `jkeras.layers.RNN` runs.

The cell protocol (what `RNN` needs from a cell; a user cell subclasses `jkeras.layers.Layer`, or
`AbstractRNNCell` to also get `cell(inputs, states)` and `get_initial_state`):

- `state_size`: an int, or a list of ints (one per state; an entry may be a shape tuple).
- `output_size` (optional): an int; defaults to the first state size.
- `init(rng, input_shape) -> {"params": {...}, "state": {}}`: pure; `input_shape` is the shape of
  ONE step, `(batch, features)`.
- `step(params, inputs, states, *, training=False, rng=None) -> (output, new_states)`: pure; `states`
  is a list of arrays `(batch, size)`, `new_states` a list (or a single array for one state).
  `rng` is the same key at every step of one sequence (None in inference), so a dropout mask drawn
  from it is the same at every step, as Keras's recurrent dropout.
- `get_initial_state(batch_size)` (optional): the list of initial states; zeros by default.

A cell may instead be written the Keras way: a `Layer` with `state_size` (and optionally
`output_size` and `get_initial_state(batch_size=...)`) that creates its weights in
`build(input_shape)` with `add_weight` and computes one step in `call(inputs, states)` (optionally
with `training`), returning `(output, new_states)`. `cell_init` and `bind_cell` run such a cell
through `Layer.init` / `Layer.apply`, the tensors of a step passed as `CallArgs`; its non-trainable
weights are read, not updated, over the sequence.

The built-in cells also implement `_bind`, which splits a step into the input projection and the
recurrent update; `run_rnn` runs the projection on all time steps at once before the scan (an
accelerator training), or inside it (`PROJECT_IN_LOOP`).
"""
import sys

import jax
import jax.numpy as jnp
from jax import lax

from jkeras.models.layer import Layer, _call_argument_names, _computes_in_call
from jkeras.models.node import CallArgs
from jkeras.utils.serialization import serialize_layer


def call_arguments(values):
    """A constructor's `locals()` as keyword arguments (its `**kwargs` merged in)."""
    values = {k: v for k, v in values.items() if k not in ("self", "__class__")}
    kwargs = values.pop("kwargs", {})
    return {**values, **kwargs}


def as_list(states):
    """A cell's states as a list (a single array becomes a one-element list)."""
    if isinstance(states, (list, tuple)):
        return list(states)
    return [states]


# ----------------------------------------------------------------------------------------------
# Duck-typed access to any cell (built-in or user-written)


def is_keras_style_cell(cell):
    """Whether `cell` is written the Keras way (`build` / `add_weight` and `call(inputs, states)`)
    rather than with the pure `init` / `step` methods."""
    if not isinstance(cell, Layer) or not _computes_in_call(type(cell)):
        return False
    step = getattr(type(cell), "step", None)
    return step is None or step is AbstractRNNCell.step


def _keras_cell_args(cell, inputs, states):
    """The `CallArgs` of one call `cell.call(inputs, states)` (values or shapes)."""
    names = _call_argument_names(type(cell))
    return CallArgs({names[0]: inputs, names[1]: states}, 2)


def cell_init(cell, rng, input_shape):
    """The variables of `cell` for step inputs of `input_shape`: its `init`; for a Keras-style cell,
    its `build(input_shape)` then its `call` on zero inputs and initial states (`Layer.init`)."""
    if is_keras_style_cell(cell):
        shapes = cell_state_shapes(cell, tuple(input_shape))
        return Layer.init(cell, rng, _keras_cell_args(cell, tuple(input_shape), shapes))
    return cell.init(rng, input_shape)


def _like_states(cell, new_states, states):
    """A cell's `new_states` in the structure of its `states` (a single array becomes a list; lists
    and tuples are interchangeable).

    Raises:
        ValueError: if the number of state tensors changed.
    """
    new_states = as_list(new_states)
    treedef = jax.tree_util.tree_structure(states)
    if jax.tree_util.tree_structure(new_states) == treedef:
        return new_states
    leaves = jax.tree_util.tree_leaves(new_states)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(
            f"{type(cell).__name__} '{cell.name}': call() must return (output, new_states) with "
            f"{treedef.num_leaves} state tensor(s), as its states; got {len(leaves)}"
        )
    return jax.tree_util.tree_unflatten(treedef, leaves)


def _bind_keras_style(cell, params, state, training, rng):
    variables = {"params": params, "state": state or {}}

    def recur(x, states):
        args = _keras_cell_args(cell, x, states)
        result, _ = Layer.apply(cell, variables, args, training=training, rng=rng)
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            raise ValueError(
                f"{type(cell).__name__} '{cell.name}': call(inputs, states) must return a pair "
                f"(output, new_states), got {type(result).__name__}"
            )
        output, new_states = result
        return output, _like_states(cell, new_states, states)

    return (lambda x: x), recur


def bind_cell(cell, params, input_shape, training, rng, state=None):
    """`(project, recur)` for one sequence: `project(x_t) -> p_t` (vectorized over time by the
    caller) and `recur(p_t, states) -> (output, new_states_list)`. `state`: the cell's
    non-trainable weights (read only)."""
    if is_keras_style_cell(cell):
        return _bind_keras_style(cell, params, state, training, rng)
    if hasattr(cell, "_bind"):
        if state:
            return cell._bind(params, input_shape, training, rng, state=state)
        return cell._bind(params, input_shape, training, rng)

    def recur(x, states):
        output, new_states = cell.step(params, x, states, training=training, rng=rng)
        return output, as_list(new_states)

    return (lambda x: x), recur


def _size_shape(batch, size):
    return (batch,) + (tuple(size) if isinstance(size, (list, tuple)) else (int(size),))


def _own_initial_state(cell):
    """Whether `cell` defines its own `get_initial_state(batch_size=...)` (as Keras calls it)."""
    custom = getattr(type(cell), "get_initial_state", None)
    return callable(custom) and custom is not AbstractRNNCell.get_initial_state


def cell_state_shapes(cell, input_shape):
    """The shapes of the states of `cell` for step inputs of `input_shape` (a list; nested as the
    cell's own `get_initial_state` returns them)."""
    if hasattr(cell, "_state_shapes"):
        return cell._state_shapes(input_shape)
    if _own_initial_state(cell):
        batch = input_shape[0]
        size = 1 if batch is None else batch
        spec = jax.eval_shape(lambda: as_list(cell.get_initial_state(batch_size=size)))
        return jax.tree_util.tree_map(lambda s: (batch,) + tuple(s.shape[1:]), spec)
    sizes = cell.state_size
    sizes = [sizes] if isinstance(sizes, int) else list(sizes)
    return [_size_shape(input_shape[0], s) for s in sizes]


def cell_output_shape(cell, input_shape):
    """The shape of one step's output of `cell` for step inputs of `input_shape`."""
    if hasattr(cell, "_output_shape"):
        return cell._output_shape(input_shape)
    size = getattr(cell, "output_size", None)
    if size is None:
        return cell_state_shapes(cell, input_shape)[0]
    return _size_shape(input_shape[0], size)


def cell_initial_states(cell, batch_size, input_shape):
    """The initial states of `cell` (a list; nested lists for stacked cells): the cell's own
    `get_initial_state` when it defines one, else zeros."""
    if _own_initial_state(cell):
        return as_list(cell.get_initial_state(batch_size=batch_size))
    if hasattr(cell, "_initial_state"):
        return cell._initial_state(batch_size, input_shape)
    dtype = getattr(cell, "compute_dtype", None) or getattr(cell, "dtype", "float32")
    return [jnp.zeros(s, dtype) for s in cell_state_shapes(cell, (batch_size,) + tuple(input_shape[1:]))]


def dropout_masks(rng, rate, shape, count, dtype):
    """Scaled keep-masks (`0` or `1 / (1 - rate)`): one array, or a list of `count` arrays."""
    keep = 1.0 - rate

    def one(key):
        return jax.random.bernoulli(key, keep, shape).astype(dtype) / keep

    if count is None:
        return one(rng)
    return [one(k) for k in jax.random.split(rng, count)]


# ----------------------------------------------------------------------------------------------
# Base classes


class AbstractRNNCell(Layer):
    """Base class of recurrent cells: implement `state_size`, `init` and `step` (see the module doc).

    It adds Keras's cell API on top: `cell(inputs, states, training=False)` (or `cell.call`) runs one
    step with the current weights and returns `(output, new_states)`; `get_initial_state(batch_size)`
    returns zero states. A cell written this way (or directly on `Layer` with the same methods):

        class MinimalRNNCell(jkeras.layers.AbstractRNNCell):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.state_size = units

            def init(self, rng, input_shape):          # input_shape: (batch, features)
                k1, k2 = jax.random.split(rng)
                glorot = jkeras.initializers.get("glorot_uniform")
                return {"params": {"kernel": glorot((input_shape[-1], self.units), self.dtype, key=k1),
                                   "recurrent_kernel": glorot((self.units, self.units), self.dtype, key=k2)},
                        "state": {}}

            def step(self, params, inputs, states, *, training=False, rng=None):
                h = inputs @ params["kernel"] + states[0] @ params["recurrent_kernel"]
                return h, [h]

            def get_config(self):
                return {**super().get_config(), "units": self.units}

        layer = jkeras.layers.RNN(MinimalRNNCell(32), return_sequences=True)

    Pass the class in `custom_objects` to rebuild the RNN from its config.
    """

    _runs_subclass_call = True  # its own apply runs a subclass's `call` (see Layer._pure_ancestor)

    def step(self, params, inputs, states, *, training=False, rng=None):
        """One time step (pure): `(output, new_states)`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    @property
    def output_size(self):
        sizes = self.state_size
        return sizes if isinstance(sizes, int) else sizes[0]

    def _initial_state(self, batch_size, input_shape):
        shapes = cell_state_shapes(self, (batch_size,) + tuple(input_shape[1:]))
        return [jnp.zeros(s, self.compute_dtype) for s in shapes]

    def _dropout_keys(self, rng, training):
        """`(input_key, recurrent_key)` for this call's dropout masks (the cell's `dropout`,
        `recurrent_dropout` and `seed`), or None when no dropout applies.

        Raises:
            ValueError: when training with dropout without an `rng` key.
        """
        dropout, recurrent = getattr(self, "dropout", 0.0), getattr(self, "recurrent_dropout", 0.0)
        if not training or not (0.0 < dropout < 1.0 or 0.0 < recurrent < 1.0):
            return None
        if rng is None:
            raise self._error("training with dropout / recurrent_dropout needs an `rng` key")
        if getattr(self, "seed", None) is not None:
            rng = jax.random.fold_in(rng, self.seed)
        return jax.random.split(rng)

    def get_initial_state(self, batch_size=None):
        """The list of initial (zero) states for a batch of `batch_size`."""
        shape = self._build_input_shape or (batch_size, None)
        return self._initial_state(batch_size, shape)

    def apply(self, variables, inputs, *, states=None, training=False, rng=None, mask=None):
        """One step through the Layer API: `((output, new_states), variables["state"])`."""
        if is_keras_style_cell(self):  # a subclass written the Keras way: its `call` computes
            extra = {} if states is None else {"states": states}
            return Layer.apply(self, variables, inputs, training=training, rng=rng, mask=mask, **extra)
        if states is None:
            states = self._initial_state(inputs.shape[0], inputs.shape)
        output, new_states = self.step(variables["params"], inputs, as_list(states), training=training,
                                       rng=rng)
        return (output, as_list(new_states)), variables["state"]

    def __call__(self, inputs, states=None, **kwargs):
        return super().__call__(inputs, states=states, **kwargs)

    def call(self, inputs, states, training=False):
        """Keras's cell call: `(output, new_states)` for one step with the current weights."""
        return self(inputs, states, training=training)

    def compute_output_shape(self, input_shape):
        return cell_output_shape(self, tuple(input_shape)), cell_state_shapes(self, tuple(input_shape))


# ----------------------------------------------------------------------------------------------
# Stacking


class StackedRNNCells(AbstractRNNCell):
    """A stack of cells run as one cell: each cell's output is the next cell's input.

    `RNN([cell_1, cell_2])` builds one. The states are the list of each cell's state list; the
    output is the last cell's.

    Args:
        cells: list of cells (each with the cell protocol, see `AbstractRNNCell`).

    Weights:
        each cell's, in order, nested under the cell names.

    Raises:
        ValueError: if a cell lacks `state_size` or the cell methods, or two cells share a name.
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise self._error("cells must be a non-empty list of RNN cells")
        for cell in cells:
            check_cell(cell, self._error)
        names = [c.name for c in cells]
        if len(set(names)) != len(names):
            raise self._error(f"the cells must have distinct names, got {names}")
        self.cells = cells
        self._sublayers = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def _output_is_state(self):
        return getattr(self.cells[-1], "_output_is_state", False)

    @property
    def output_size(self):
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        if size is not None:
            return size
        return last.state_size if isinstance(last.state_size, int) else last.state_size[0]

    def _input_shapes(self, input_shape):
        shapes = [tuple(input_shape)]
        for cell in self.cells[:-1]:
            shapes.append(cell_output_shape(cell, shapes[-1]))
        return shapes

    def init(self, rng, input_shape):
        params, state = {}, {}
        keys = jax.random.split(rng, len(self.cells))
        for cell, key, shape in zip(self.cells, keys, self._input_shapes(input_shape)):
            v = cell_init(cell, key, shape)
            if v["params"]:
                params[cell.name] = v["params"]
            if v["state"]:
                state[cell.name] = v["state"]
        return {"params": params, "state": state}

    def _bind(self, params, input_shape, training, rng, state=None):
        bound = []
        state = state or {}
        for k, (cell, shape) in enumerate(zip(self.cells, self._input_shapes(input_shape))):
            key = None if rng is None else jax.random.fold_in(rng, k)
            bound.append(bind_cell(cell, params.get(cell.name, {}), shape, training, key,
                                   state=state.get(cell.name)))

        def recur(projected, states):
            new_states = []
            x = projected
            for k, (project, cell_recur) in enumerate(bound):
                x, cell_states = cell_recur(x if k == 0 else project(x), as_list(states[k]))
                cell_states = as_list(cell_states)
                bare = not isinstance(states[k], (list, tuple)) and len(cell_states) == 1
                new_states.append(cell_states[0] if bare else cell_states)
            return x, new_states

        return bound[0][0], recur

    def step(self, params, inputs, states, *, training=False, rng=None):
        project, recur = self._bind(params, inputs.shape, training, rng)
        return recur(project(inputs), states)

    def _state_shapes(self, input_shape):
        return [self._one_state(c, cell_state_shapes(c, s))
                for c, s in zip(self.cells, self._input_shapes(input_shape))]

    def _output_shape(self, input_shape):
        shapes = self._input_shapes(input_shape)
        return cell_output_shape(self.cells[-1], shapes[-1])

    @staticmethod
    def _one_state(cell, states):
        """A cell's states as this stack holds them: one array for a cell with one int `state_size`
        and no `get_initial_state` of its own (as Keras's stack holds them), else the list."""
        custom = callable(getattr(cell, "get_initial_state", None))
        return states[0] if isinstance(cell.state_size, int) and not custom else states

    def _initial_state(self, batch_size, input_shape):
        return [self._one_state(c, cell_initial_states(c, batch_size, s))
                for c, s in zip(self.cells, self._input_shapes(input_shape))]

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize_cell(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **standardize_config(config))


def check_cell(cell, error):
    """Raises `error(message)` unless `cell` has the cell protocol (pure or Keras-style)."""
    if not hasattr(cell, "state_size"):
        raise error(
            f"the cell {cell!r} has no `state_size` attribute (an int, or a list of ints, one per state)"
        )
    if is_keras_style_cell(cell):
        names = _call_argument_names(type(cell))
        if len(names) < 2:
            raise error(
                f"the cell {cell!r} must take the states as the second argument of its call: "
                f"`call(inputs, states) -> (output, new_states)`, got call({', '.join(names)})"
            )
        return
    if not callable(getattr(cell, "step", None)) or not callable(getattr(cell, "init", None)):
        raise error(
            f"the cell {cell!r} must implement Keras's `call(inputs, states) -> (output, new_states)` "
            "(with `build(input_shape)` creating its weights), or the pure methods "
            "`init(rng, input_shape)` and "
            "`step(params, inputs, states, *, training=False, rng=None) -> (output, new_states)` "
            "(see jkeras.layers.AbstractRNNCell)"
        )


def standardize_config(config):
    from jkeras.utils.serialization import standardize_layer_config

    config = standardize_layer_config(config)
    for key in ("build_config", "module", "registered_name"):
        config.pop(key, None)
    return config


def deserialize_cell(config, custom_objects=None):
    """A cell from `{"class_name": ..., "config": ...}` (jkeras cells, `custom_objects`, or layers).

    Raises:
        ValueError: for an unknown class name.
    """
    from jkeras.layers import _rnn_cells
    from jkeras.utils.serialization import deserialize_layer

    name = config["class_name"]
    own = {"AbstractRNNCell": AbstractRNNCell, "StackedRNNCells": StackedRNNCells}
    own.update({n: getattr(_rnn_cells, n) for n in _rnn_cells.__all__})
    conv = sys.modules.get("jkeras.layers.conv_recurrent")
    if conv is not None:
        own["ConvLSTMCell"] = conv.ConvLSTMCell
        own["ConvLSTM2DCell"] = conv.ConvLSTM2DCell
    cls = (custom_objects or {}).get(name) or own.get(name)
    if cls is None:
        return deserialize_layer(config, custom_objects=custom_objects)
    inner = standardize_config(config["config"])
    if cls is StackedRNNCells:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


# ----------------------------------------------------------------------------------------------
# The loop over time


def _keep(mask_t, like):
    """`mask_t` `(batch,)` broadcastable against `like` `(batch, ...)`."""
    return mask_t.reshape(mask_t.shape + (1,) * (like.ndim - 1))


# Where a cell's input projection `x_t @ kernel + bias` runs: None picks by backend and use.
# Inside the loop over time on a CPU (64x64 blocks stay in cache: 1.5x the inference and 1.15x the
# training speed of an LSTM(64) over 64 steps) and in inference anywhere (H100: 1.8x); before the
# loop, on all time steps at once, when an accelerator trains (one large matmul for the kernel's
# gradient instead of one per step: 1.2x on the H100).
PROJECT_IN_LOOP = None
# Time steps per iteration of the scan over time: None picks by backend. An accelerator runs 4
# (H200, LSTM(64) over 64 steps, batch 64: training 1.76x and inference 1.7x the speed of 1 step
# per iteration); a CPU 1 (4 slows its training 1.4x).
SCAN_UNROLL = None


def project_in_loop(training=False):
    """Whether `run_rnn` projects each step's input inside the loop (see `PROJECT_IN_LOOP`)."""
    if PROJECT_IN_LOOP is not None:
        return bool(PROJECT_IN_LOOP)
    return not training or jax.default_backend() == "cpu"


def scan_unroll():
    """The `unroll` of `run_rnn`'s `lax.scan` (see `SCAN_UNROLL`)."""
    if SCAN_UNROLL is not None:
        return int(SCAN_UNROLL)
    return 1 if jax.default_backend() == "cpu" else 4


def run_rnn(project, recur, sequences, states, mask=None, *, go_backwards=False, unroll=False,
            zero_output_for_mask=False, return_sequences=False, stacked=False, training=False,
            output_is_state=False):
    """Runs a bound cell over `sequences` `(batch, time, ...)` (pure).

    `output_is_state`: the cell's output is its first new state (the last cell's, `stacked`), as
    for the built-in cells; the loop then carries no separate last output.

    Returns:
        `(last_output, outputs or None, final_states)`; `outputs` `(batch, time, ...)` in processing
        order (reversed with `go_backwards`), None unless `return_sequences`.
    """
    xs = jnp.swapaxes(sequences, 0, 1)
    in_loop = project_in_loop(training)
    if not in_loop:
        xs = jax.vmap(project)(xs)
    masks = None
    if mask is not None:
        mask = jnp.asarray(mask)
        if mask.ndim > 2:
            mask = jnp.any(mask.reshape(mask.shape[:2] + (-1,)) != 0, axis=-1)
        masks = jnp.swapaxes(mask.astype(bool), 0, 1)
    if go_backwards:
        xs = jnp.flip(xs, 0)
        masks = None if masks is None else jnp.flip(masks, 0)
    step_spec = jax.ShapeDtypeStruct(xs.shape[1:], xs.dtype)
    if in_loop:
        step_spec = jax.eval_shape(project, step_spec)
    out_spec = jax.eval_shape(lambda p, s: recur(p, s)[0], step_spec, states)

    def first_state(states):
        # The previous output of a masked step, as Keras: the first state (the last cell's, nested).
        first = states[-1] if stacked or isinstance(states[0], (list, tuple)) else states[0]
        return first[0] if isinstance(first, (list, tuple)) else first

    # A masked step outputs zeros with zero_output_for_mask but keeps its states: carry the output.
    carry_last = not output_is_state or (masks is not None and zero_output_for_mask)

    def body(carry, inputs):
        states, last = carry if carry_last else (carry, None)
        x_t, mask_t = inputs
        output, new_states = recur(project(x_t) if in_loop else x_t, states)
        new_states = jax.tree_util.tree_map(lambda n, s: n.astype(s.dtype), new_states, states)
        if mask_t is not None:
            previous = first_state(states)
            if zero_output_for_mask:
                previous = jnp.zeros_like(output)
            elif isinstance(previous, (list, tuple)) or previous.shape != output.shape:
                previous = last
            output = jnp.where(_keep(mask_t, output), output, previous.astype(output.dtype))
            new_states = jax.tree_util.tree_map(
                lambda n, s: jnp.where(_keep(mask_t, n), n, s), new_states, states
            )
        carry = (new_states, output) if carry_last else new_states
        return carry, (output if return_sequences else None)

    carry = (states, jnp.zeros(out_spec.shape, out_spec.dtype)) if carry_last else states
    if unroll:
        ys = []
        for t in range(xs.shape[0]):
            carry, y = body(carry, (xs[t], None if masks is None else masks[t]))
            ys.append(y)
        outputs = jnp.stack(ys) if return_sequences and ys else None
    else:
        carry, outputs = lax.scan(body, carry, (xs, masks), unroll=scan_unroll())
    if carry_last:
        final_states, last_output = carry
    else:
        final_states = carry
        last_output = first_state(final_states).astype(out_spec.dtype)
    if return_sequences:
        outputs = jnp.swapaxes(outputs, 0, 1)
    return last_output, outputs, final_states

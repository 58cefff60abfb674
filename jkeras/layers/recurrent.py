"""Recurrent layers: `RNN` over any cell, `SimpleRNN`, `GRU`, `LSTM` and the `CuDNN*` names.

Every layer is `RNN` over a cell (`_rnn_cells.py`): `lax.scan` runs the recurrent update over time
(a Python loop only with `unroll=True`), so the compiled program does not grow with the sequence
length; the cell's input projection runs on all time steps at once before the loop when an
accelerator trains, inside it otherwise (`_rnn_base.PROJECT_IN_LOOP`), and an accelerator runs 4
steps per loop iteration (`_rnn_base.SCAN_UNROLL`).

Shared call arguments and behaviour:

- inputs `(batch, timesteps, features)`; `mask` `(batch, timesteps)` (from `Embedding(mask_zero=True)`
  or `Masking`): a masked step keeps the states and outputs the previous state's first tensor (or
  zeros with `zero_output_for_mask`), as Keras 3 does.
- `initial_state`: an array or a list of arrays (`[h, c]` for LSTM; for stacked cells, the list of
  each cell's states or one flat list), also a list of symbolic tensors in a functional model: the
  node then holds Keras 3's call, `sequences` and `initial_state` (a `CallArgs`), so the saved
  config and build config are Keras 3's; Keras 2's `layer([x, h, c])` still works.
- `training`: dropout / recurrent_dropout draw one mask per sequence from the `rng` argument.
- `stateful=True` needs a fixed batch size; the last states are kept in the non-trainable state
  variables `state_0`, `state_1`, ... (not in `get_weights()`, as Keras 3), carried through
  `fit`, `predict` and eager calls, and zeroed by `reset_states()`.
"""
import jax
import jax.numpy as jnp

from jkeras.core import regularizers
from jkeras.core.scope import add_loss, collect_losses
from jkeras.layers._rnn_base import (
    AbstractRNNCell,
    StackedRNNCells,
    bind_cell,
    call_arguments,
    cell_init,
    cell_initial_states,
    cell_output_shape,
    cell_state_shapes,
    check_cell,
    deserialize_cell,
    run_rnn,
    standardize_config,
)
from jkeras.layers._rnn_cells import GRUCell, LSTMCell, SimpleRNNCell
from jkeras.models.layer import Layer, _is_shape
from jkeras.models.node import CallArgs, flatten, map_structure
from jkeras.utils.legacy import LegacyInterface
from jkeras.utils.random import next_key
from jkeras.utils.serialization import serialize_layer

__all__ = [
    "RNN", "SimpleRNN", "GRU", "LSTM", "CuDNNGRU", "CuDNNLSTM",
    "AbstractRNNCell", "SimpleRNNCell", "GRUCell", "LSTMCell", "StackedRNNCells",
]


# ----------------------------------------------------------------------------------------------
# Keras 1 / Keras 2 spellings


def _rnn_preprocess(args, kwargs):
    notes = []
    if ("input_dim" in kwargs or "input_length" in kwargs) and "input_shape" not in kwargs:
        kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim", None))
        notes.append(("input_dim / input_length", "input_shape=(timesteps, features)"))
    if "forget_bias_init" in kwargs:
        value = kwargs.pop("forget_bias_init")
        if value in ("one", "ones", "zero", "zeros"):
            kwargs["unit_forget_bias"] = value in ("one", "ones")
        notes.append(("forget_bias_init", "unit_forget_bias"))
    return args, kwargs, notes


_RNN_RENAMES = {
    "output_dim": "units", "init": "kernel_initializer", "inner_init": "recurrent_initializer",
    "inner_activation": "recurrent_activation", "W_regularizer": "kernel_regularizer",
    "U_regularizer": "recurrent_regularizer", "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint", "U_constraint": "recurrent_constraint",
    "b_constraint": "bias_constraint", "dropout_W": "dropout", "dropout_U": "recurrent_dropout",
    "bias": "use_bias",
}


def recurrent_legacy(renames=None, implementation=True):
    """The `LegacyInterface` of a recurrent layer (Keras 1 names, `input_dim` / `input_length`)."""
    renames = dict(_RNN_RENAMES if renames is None else renames)
    values = {}
    dropped = ()
    if implementation:
        renames["consume_less"] = "implementation"
        values = {"implementation": {"cpu": 0, "mem": 1, "gpu": 2}}
    else:
        dropped = ("consume_less",)
    return LegacyInterface(renames=renames, values=values, preprocess=_rnn_preprocess, dropped=dropped)


# ----------------------------------------------------------------------------------------------
# RNN


def _none_like(shapes):
    return None if _is_shape(shapes) else [_none_like(s) for s in shapes]


class RNN(Layer):
    """Runs a recurrent cell over the time axis of its inputs.

    Args:
        cell: a cell, or a list of cells (stacked with `StackedRNNCells`). A user cell is written
            as in Keras: a `Layer` with a `state_size` attribute (an int or a list of ints, one per
            state; optionally `output_size` and `get_initial_state(batch_size=None)`), weights made
            in `build(input_shape)` with `add_weight`, and `call(inputs, states)` (optionally with
            `training`) returning `(output, new_states)` for one step; or with the pure cell
            protocol of `AbstractRNNCell`.
        return_sequences: return the outputs of every step `(batch, timesteps, output_size)` instead
            of the last one `(batch, output_size)`.
        return_state: also return the final states: `[output, *states]`.
        go_backwards: process the sequence in reverse (the returned sequence is reversed too).
        stateful: carry the last states of a batch over as the initial states of the next one
            (needs a fixed batch size: `batch_input_shape`, `batch_size` or `Input(batch_shape=...)`).
        unroll: unroll the loop in Python (short sequences only) instead of `lax.scan`.
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Call arguments:
        inputs `(batch, timesteps, ...)`, `initial_state`, `mask` `(batch, timesteps)`, `training`.

    Raises:
        ValueError: for a cell without the protocol, inputs of the wrong rank, `stateful=True`
            without a fixed batch size, or initial states of the wrong number or shape.
    """

    _legacy = recurrent_legacy(renames={}, implementation=False)
    _input_rank = None

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        time_major = kwargs.pop("time_major", False)
        super().__init__(**kwargs)
        self._setup(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                    zero_output_for_mask, time_major)

    def _setup(self, cell, return_sequences, return_state, go_backwards, stateful, unroll,
               zero_output_for_mask, time_major=False):
        if time_major:
            raise self._error("time_major=True is not supported: pass inputs (batch, timesteps, ...)")
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        check_cell(cell, self._error)
        self.cell = cell
        self._sublayers = [cell]
        if not self.trainable:
            cell.trainable = False
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True

    # -- shapes ---------------------------------------------------------------------------------

    @staticmethod
    def _sequence_shape(input_shape):
        if isinstance(input_shape, CallArgs):
            input_shape = input_shape.first()
        return tuple(input_shape) if _is_shape(input_shape) else tuple(input_shape[0])

    @staticmethod
    def _step_shape(sequence_shape):
        return (sequence_shape[0],) + tuple(sequence_shape[2:])

    def _check_input_shape(self, input_shape):
        shape = self._sequence_shape(input_shape)
        rank = self._input_rank
        if (rank is None and len(shape) < 3) or (rank is not None and len(shape) != rank):
            expected = f"of rank {rank}" if rank else "of rank >= 3"
            raise self._error(f"expected an input {expected} (batch, timesteps, ...), got shape {shape}")
        if rank == 3 and shape[-1] is None:
            raise self._error(f"the last axis of the input (features) must be defined, got shape {shape}")
        if self.built and self._build_input_shape is not None:
            built = self._sequence_shape(self._build_input_shape)
            if tuple(built[2:]) != tuple(shape[2:]):
                raise self._error(
                    f"expected steps of shape {tuple(built[2:])} (the layer was built for input shape "
                    f"{built}), got shape {shape}"
                )
            if self.stateful and shape[0] is not None and shape[0] != built[0]:
                raise self._error(
                    f"a stateful RNN needs the batch size it was built for ({built[0]}), got shape {shape}"
                )

    def compute_output_shape(self, input_shape):
        shape = self._sequence_shape(input_shape)
        step = self._step_shape(shape)
        out = tuple(cell_output_shape(self.cell, step))
        output = (shape[0], shape[1]) + out[1:] if self.return_sequences else out
        if self.return_state:
            return [output] + list(cell_state_shapes(self.cell, step))
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, CallArgs):
            mask = mask.first()
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            sequences = inputs.first() if isinstance(inputs, CallArgs) else inputs
            sequences = sequences[0] if isinstance(sequences, (list, tuple)) else sequences
            step = self._step_shape(tuple(sequences.shape))
            return [output_mask] + _none_like(list(cell_state_shapes(self.cell, step)))
        return output_mask

    # -- the pure pair ----------------------------------------------------------------------------

    def build(self, input_shape):
        super().build(input_shape)
        step = self._step_shape(self._sequence_shape(input_shape))
        cells = self.cell.cells if isinstance(self.cell, StackedRNNCells) else []
        shapes = self.cell._input_shapes(step) if cells else []
        for cell, shape in [(self.cell, step)] + list(zip(cells, shapes)):
            if getattr(cell, "_build_input_shape", ()) is None:
                cell._build_input_shape = shape  # for the cells' own get_initial_state

    def init(self, rng, input_shape):
        shape = self._sequence_shape(input_shape)
        step = self._step_shape(shape)
        v = cell_init(self.cell, rng, step)
        params = {self.cell.name: v["params"]} if v["params"] else {}
        state = {self.cell.name: v["state"]} if v["state"] else {}
        if self.stateful:
            if shape[0] is None:
                raise self._error(
                    "stateful=True needs a fixed batch size: give the first layer "
                    "batch_input_shape=(batch, timesteps, features) (or batch_size= with input_shape=), "
                    f"or use Input(batch_shape=...); got input shape {shape}"
                )
            leaves = jax.tree_util.tree_leaves(cell_initial_states(self.cell, shape[0], step))
            state.update({f"state_{i}": leaf for i, leaf in enumerate(leaves)})
        return {"params": params, "state": state}

    def _state_keys(self, state):
        keys = [k for k in state if k.startswith("state_") and k[6:].isdigit()]
        return sorted(keys, key=lambda k: int(k[6:]))

    def _standardize_states(self, given, reference):
        leaves, treedef = jax.tree_util.tree_flatten(reference)
        values = [jnp.asarray(v) for v in (flatten(given) if isinstance(given, (list, tuple)) else [given])]
        if len(values) != len(leaves):
            raise self._error(
                f"initial_state: expected {len(leaves)} state tensor(s) of shapes "
                f"{[tuple(l.shape) for l in leaves]}, got {len(values)}"
            )
        for v, ref in zip(values, leaves):
            if tuple(v.shape) != tuple(ref.shape):
                raise self._error(
                    f"initial_state: expected states of shapes {[tuple(l.shape) for l in leaves]}, "
                    f"got {[tuple(x.shape) for x in values]}"
                )
        return jax.tree_util.tree_unflatten(treedef, [v.astype(r.dtype) for v, r in zip(values, leaves)])

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None, initial_state=None):
        if isinstance(inputs, CallArgs):  # Keras 3's call(sequences, initial_state=...)
            initial_state = inputs.values.get("initial_state", initial_state)
            inputs = inputs.first()
        if isinstance(mask, CallArgs):
            mask = mask.first()
        if isinstance(inputs, (list, tuple)):
            if len(inputs) > 1 and initial_state is None:
                initial_state = list(inputs[1:])
            inputs = inputs[0]
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        sequences = jnp.asarray(inputs)
        if jnp.issubdtype(sequences.dtype, jnp.floating):
            sequences = sequences.astype(self.compute_dtype)
        batch = sequences.shape[0]
        step = self._step_shape(sequences.shape)
        states = cell_initial_states(self.cell, batch, step)
        state = variables["state"]
        if initial_state is not None:
            states = self._standardize_states(initial_state, states)
        elif self.stateful:
            carried = [state[k] for k in self._state_keys(state)]
            if carried and carried[0].shape[0] != batch:
                raise self._error(
                    f"a stateful RNN needs the batch size it was built for ({carried[0].shape[0]}), "
                    f"got inputs of shape {tuple(sequences.shape)}"
                )
            states = self._standardize_states(carried, states)
        params = variables["params"].get(self.cell.name, {})
        project, recur = bind_cell(self.cell, params, step, training, rng,
                                   state=state.get(self.cell.name))
        last, outputs, final = run_rnn(
            project, recur, sequences, states, mask, go_backwards=self.go_backwards, unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask, return_sequences=self.return_sequences,
            stacked=isinstance(self.cell, StackedRNNCells), training=training,
            output_is_state=getattr(self.cell, "_output_is_state", False),
        )
        if self.stateful:
            state = dict(state)
            for i, leaf in enumerate(jax.tree_util.tree_leaves(final)):
                state[f"state_{i}"] = leaf
        output = outputs if self.return_sequences else last
        if self.return_state:
            return [output] + list(final), state
        return output, state

    # -- calls ----------------------------------------------------------------------------------

    def __call__(self, inputs, initial_state=None, **kwargs):
        if initial_state is not None:
            if isinstance(inputs, (list, tuple)):  # Keras 2's list of sequences and states, plus more
                states = flatten(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
                return super().__call__(list(inputs) + states, **kwargs)
            if isinstance(initial_state, tuple):
                initial_state = list(initial_state)
            inputs = CallArgs({"sequences": inputs, "initial_state": initial_state}, 1)
        return super().__call__(inputs, **kwargs)

    def _eager_call(self, inputs, training=None, mask=None, **kwargs):
        inputs = map_structure(jnp.asarray, inputs)
        shapes = map_structure(lambda a: tuple(a.shape), inputs)
        self._check_input_shape(shapes)
        self._maybe_build(shapes)
        training = bool(training)
        variables = self.get_variables()
        rng = next_key() if training else None
        outputs, new_state, losses = self._compiled_forward(training)(variables, inputs, rng, mask, kwargs)
        for loss in losses:
            add_loss(loss)
        if training or self.stateful:
            self.set_variables({"params": variables["params"], "state": new_state})
        return outputs

    def _compiled_forward(self, training):
        """`forward` under `jax.jit` (cached per layer and configuration) for eager calls: one
        compiled program instead of a scan traced and compiled at every call."""
        key = (training, self.return_sequences, self.return_state, self.go_backwards, self.stateful,
               self.unroll, self.zero_output_for_mask)
        cache = self.__dict__.setdefault("_forward_cache", {})
        if key not in cache:
            def run(variables, inputs, rng, mask, kwargs):
                with collect_losses() as losses:
                    outputs, state = self.forward(variables, inputs, training=training, rng=rng, mask=mask,
                                                  **kwargs)
                return outputs, state, list(losses)

            cache[key] = jax.jit(run)
        return cache[key]

    # -- states ---------------------------------------------------------------------------------

    @property
    def weights(self):
        """The cell's weights (the stateful carries are not weights, as in Keras 3)."""
        return [w for w in super().weights if not (w._layer is self and w._collection == "state")]

    @property
    def states(self):
        """The carried states of a built stateful layer (a list, nested for stacked cells), else None."""
        if not self.stateful or not self.built:
            return None
        step = self._step_shape(self._sequence_shape(self._build_input_shape))
        batch = self._state[self._state_keys(self._state)[0]].shape[0]
        reference = cell_initial_states(self.cell, batch, step)
        treedef = jax.tree_util.tree_structure(reference)
        return jax.tree_util.tree_unflatten(treedef, [self._state[k] for k in self._state_keys(self._state)])

    def get_initial_state(self, batch_size):
        """The cell's initial (zero) states for a batch of `batch_size` (a list; nested when stacked).

        Raises:
            ValueError: if the layer is not built (the step shape is unknown).
        """
        if self._build_input_shape is None:
            raise self._error("get_initial_state needs the layer built: call it on an input first")
        step = self._step_shape(self._sequence_shape(self._build_input_shape))
        return cell_initial_states(self.cell, batch_size, step)

    def reset_states(self, states=None):
        """Sets the carried states of a stateful layer to zeros, or to `states` (arrays in order).

        Raises:
            ValueError: if `states` has the wrong number of arrays or shapes.
        """
        super().reset_states()
        if not self.stateful or not self.built:
            return
        keys = self._state_keys(self._state)
        if states is None:
            values = [jnp.zeros_like(self._state[k]) for k in keys]
        else:
            reference = [self._state[k] for k in keys]
            values = jax.tree_util.tree_leaves(self._standardize_states(states, reference))
        for k, v in zip(keys, values):
            self._state[k] = v

    def reset_state(self, states=None):
        """Keras 3's name of `reset_states`."""
        self.reset_states(states)

    # -- config ---------------------------------------------------------------------------------

    def _rnn_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def get_config(self):
        return {**self._rnn_config(), "cell": serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_cell(config.pop("cell"), custom_objects)
        return cls(cell, **standardize_config(config))


# ----------------------------------------------------------------------------------------------
# Layers over the built-in cells


_RNN_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")
_CELL_ATTRIBUTES = (
    "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias", "reset_after",
    "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
    "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
    "bias_constraint", "dropout", "recurrent_dropout", "implementation", "filters", "kernel_size",
    "strides", "padding", "data_format", "dilation_rate",
)


class CellRNN(RNN):
    """`RNN` over a cell that the layer builds from its own arguments (LSTM, GRU, ConvLSTM...).

    The cell's arguments are readable on the layer (`layer.units`, ...), and the config is flat
    (Keras's: the cell arguments next to the RNN arguments, no "cell" entry).
    """

    _cell_name = None

    def _init_with_cell(self, cell_class, arguments):
        """Layer init, then the cell (its errors re-raised under this layer's name), then RNN setup.

        Args:
            cell_class: the cell to build.
            arguments: the constructor's `locals()`: RNN arguments, cell arguments, `kwargs`.
        """
        arguments = {k: v for k, v in arguments.items() if k not in ("self", "__class__", "use_cudnn")}
        kwargs = dict(arguments.pop("kwargs"), activity_regularizer=arguments.pop("activity_regularizer"))
        rnn_kwargs = {k: arguments.pop(k) for k in _RNN_ARGUMENTS}
        rnn_kwargs["zero_output_for_mask"] = kwargs.pop("zero_output_for_mask", False)
        rnn_kwargs["time_major"] = kwargs.pop("time_major", False)
        Layer.__init__(self, **kwargs)
        try:
            cell = cell_class(**arguments, dtype=kwargs.get("dtype"), trainable=self.trainable,
                              name=self._cell_name)
        except ValueError as error:
            message = str(error)
            prefix = f"{cell_class.__name__} '{self._cell_name}': "
            raise self._error(message[len(prefix):] if message.startswith(prefix) else message) from None
        self._setup(cell, **rnn_kwargs)

    def get_config(self):
        return {
            **self._rnn_config(),
            **self.cell._cell_config(),
            "activity_regularizer": (regularizers.serialize(self.activity_regularizer)
                                     if self.activity_regularizer else None),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**standardize_config(config))


for _name in _CELL_ATTRIBUTES:
    setattr(CellRNN, _name, property(lambda self, _n=_name: getattr(self.cell, _n)))
del _name


def _check_use_cudnn(layer, use_cudnn):
    if use_cudnn not in ("auto", True, False):
        raise layer._error(f"use_cudnn must be 'auto', True or False, got {use_cudnn!r}")
    return use_cudnn


class SimpleRNN(CellRNN):
    """Fully connected RNN: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`.

    Args:
        units: positive int, the output size.
        activation: activation (default "tanh").
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer: as `Dense` (the
            initializers default to "glorot_uniform", "orthogonal" and "zeros").
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer: as `Dense`.
        kernel_constraint, recurrent_constraint, bias_constraint: as `Dense`.
        dropout, recurrent_dropout: fractions of inputs / states dropped in training, one mask per
            sequence. seed: optional int mixed into the dropout key.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.

    Input `(batch, timesteps, features)`; output `(batch, units)` or `(batch, timesteps, units)`.

    Weights:
        kernel `(features, units)`, recurrent_kernel `(units, units)`, bias `(units,)`.

    Raises:
        ValueError: if `units` is not a positive int, or as `RNN`.
    """

    _legacy = recurrent_legacy(implementation=False)
    _cell_name = "simple_rnn_cell"
    _input_rank = 3

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, **kwargs):
        self._init_with_cell(SimpleRNNCell, locals())


class GRU(CellRNN):
    """Gated Recurrent Unit (Cho et al. 2014); see `GRUCell` for the equations.

    Args:
        units, activation, use_bias, initializers, regularizers, constraints: as `SimpleRNN`.
        dropout, recurrent_dropout, seed: as `SimpleRNN`.
        return_sequences, return_state, go_backwards, stateful, unroll: as `SimpleRNN`.
        recurrent_activation: gate activation (default "sigmoid"; "hard_sigmoid" is Keras 2's
            `clip(0.2 * x + 0.5, 0, 1)`).
        reset_after: the CuDNN-compatible variant (default True) with bias `(2, 3 * units)`.
        use_cudnn: accepted for Keras compatibility ("auto", True, False); the same XLA program runs.
        implementation: Keras 2's 1 or 2 (1: one dropout mask per gate); no effect on the outputs.

    Weights:
        kernel `(features, 3 * units)`, recurrent_kernel `(units, 3 * units)`, bias `(2, 3 * units)`
        (`(3 * units,)` when `reset_after=False`); gates z, r, h.

    Raises:
        ValueError: if `units` is not a positive int, or as `RNN`.
    """

    _legacy = recurrent_legacy()
    _cell_name = "gru_cell"
    _input_rank = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, reset_after=True, use_cudnn="auto", implementation=2, **kwargs):
        self._init_with_cell(GRUCell, locals())
        self.use_cudnn = _check_use_cudnn(self, use_cudnn)


class LSTM(CellRNN):
    """Long Short-Term Memory (Hochreiter 1997); see `LSTMCell` for the equations.

    Args:
        units, activation, use_bias, initializers, regularizers, constraints: as `SimpleRNN`.
        dropout, recurrent_dropout, seed: as `SimpleRNN`.
        return_sequences, return_state, go_backwards, stateful, unroll: as `SimpleRNN`.
        recurrent_activation: gate activation (default "sigmoid"; "hard_sigmoid" is Keras 2's).
        unit_forget_bias: initialize the forget-gate bias to ones (default True).
        use_cudnn: accepted for Keras compatibility ("auto", True, False); the same XLA program runs.
        implementation: Keras 2's 1 or 2 (1: one dropout mask per gate); no effect on the outputs.

    Input `(batch, timesteps, features)`; output `(batch, units)` or `(batch, timesteps, units)`;
    with `return_state`, `[output, h, c]`.

    Weights:
        kernel `(features, 4 * units)`, recurrent_kernel `(units, 4 * units)`, bias `(4 * units,)`;
        gates i, f, c, o.

    Raises:
        ValueError: if `units` is not a positive int, or as `RNN`.
    """

    _legacy = recurrent_legacy()
    _cell_name = "lstm_cell"
    _input_rank = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", implementation=2,
                 **kwargs):
        self._init_with_cell(LSTMCell, locals())
        self.use_cudnn = _check_use_cudnn(self, use_cudnn)


# ----------------------------------------------------------------------------------------------
# Keras 2's CuDNN layers: the same equations, compiled by XLA for any device


_CUDNN_FIXED = ("activation", "recurrent_activation", "use_bias", "dropout", "recurrent_dropout",
                "seed", "unroll", "zero_output_for_mask", "reset_after")


def _cudnn_config(config):
    return {k: v for k, v in config.items() if k not in _CUDNN_FIXED}


class CuDNNLSTM(LSTM):
    """Keras 2's `CuDNNLSTM`: an `LSTM` with tanh / sigmoid, a bias and no dropout.

    It runs the LSTM equations on any device (no cuDNN kernel is needed); the weights are the
    `LSTM` layout (kernel, recurrent_kernel, bias `(4 * units,)`), which is what Keras 2 converts
    CuDNNLSTM weights to when it loads them into an LSTM.

    Args:
        units, kernel_initializer, recurrent_initializer, bias_initializer: as `LSTM`.
        unit_forget_bias, regularizers, constraints: as `LSTM`.
        return_sequences, return_state, go_backwards, stateful: as `LSTM`.
    """

    def __init__(self, units, kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, **kwargs):
        super().__init__(**call_arguments(locals()))

    def get_config(self):
        return _cudnn_config(super().get_config())


class CuDNNGRU(GRU):
    """Keras 2's `CuDNNGRU`: a `GRU` with tanh / sigmoid, a bias, `reset_after=True` and no dropout.

    It runs the GRU equations (reset gate after the recurrent matmul, as cuDNN) on any device; the
    weights are the `GRU(reset_after=True)` layout (bias `(2, 3 * units)`: input bias, recurrent bias).

    Args:
        units, kernel_initializer, recurrent_initializer, bias_initializer: as `GRU`.
        regularizers, constraints: as `GRU`.
        return_sequences, return_state, go_backwards, stateful: as `GRU`.
    """

    def __init__(self, units, kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, **kwargs):
        super().__init__(**call_arguments(locals()))

    def get_config(self):
        return _cudnn_config(super().get_config())

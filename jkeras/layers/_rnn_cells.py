"""The built-in recurrent cells: SimpleRNNCell, GRUCell, LSTMCell (the cell protocol is in `_rnn_base`).

Each is a `_ProjectedCell`: the input projection `x @ kernel + bias` and the recurrent update
`_recur` are separate, so `run_rnn` may run the projection on all time steps at once.
"""
import jax
import jax.numpy as jnp

from jkeras.core import activations, constraints, initializers, regularizers
from jkeras.layers._rnn_base import AbstractRNNCell, as_list, call_arguments, dropout_masks

__all__ = ["SimpleRNNCell", "GRUCell", "LSTMCell"]


def _or_none(module, obj):
    return None if obj is None else module.serialize(obj)


def _masked_matmul(x, kernel, masks, gates):
    """`x @ kernel`, with per-gate masks applied to `x` for each gate's column block."""
    if masks is None:
        return x @ kernel
    if not isinstance(masks, list):
        return (x * masks) @ kernel
    blocks = jnp.split(kernel, gates, axis=-1)
    return jnp.concatenate([(x * m) @ k for m, k in zip(masks, blocks)], axis=-1)


# ----------------------------------------------------------------------------------------------
# Cells


class _ProjectedCell(AbstractRNNCell):
    """A cell `recur(x @ kernel + bias, states)`, its input projection separate (see `run_rnn`).

    Subclasses set `_gates` (column blocks of the kernels) and implement `_recur`.
    """

    _gates = 1
    _output_is_state = True  # `_recur` returns its new first state as the output (run_rnn)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 implementation=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise self._error(f"units must be a positive int, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get_for_weight(kernel_initializer)
        self.recurrent_initializer = initializers.get_for_weight(recurrent_initializer)
        self.bias_initializer = initializers.get_for_weight(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = self._rate(dropout, "dropout")
        self.recurrent_dropout = self._rate(recurrent_dropout, "recurrent_dropout")
        if implementation not in (0, 1, 2):
            raise self._error(f"implementation must be 0, 1 or 2, got {implementation!r}")
        # As Keras 3: recurrent dropout uses one mask per gate (implementation 1).
        self.implementation = 1 if self.recurrent_dropout else int(implementation)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise self._error(f"seed must be an int or None, got {seed!r}")
        self.seed = seed

    def _rate(self, value, arg):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._error(f"{arg} must be a float in [0, 1], got {value!r}")
        return min(1.0, max(0.0, float(value)))  # clipped, as Keras

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _check_step_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise self._error(
                f"expected step inputs (batch, features) with features defined, got {input_shape}"
            )

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_init(self, key):
        return self.bias_initializer(self._bias_shape(), self.dtype, key=key)

    def init(self, rng, input_shape):
        self._check_step_shape(tuple(input_shape))
        k_kernel, k_recurrent, k_bias = jax.random.split(rng, 3)
        width = self._gates * self.units
        params = {
            "kernel": self.kernel_initializer((input_shape[-1], width), self.dtype, key=k_kernel),
            "recurrent_kernel": self.recurrent_initializer((self.units, width), self.dtype, key=k_recurrent),
        }
        if self.use_bias:
            params["bias"] = self._bias_init(k_bias)
        return {"params": params, "state": {}}

    def _mask_count(self, recurrent):
        return self._gates if (recurrent or self.implementation == 1) and self._gates > 1 else None

    def _masks(self, rng, input_shape, training):
        """`(input_masks, recurrent_masks)`: None, one array or a list of one per gate."""
        keys = self._dropout_keys(rng, training)
        if keys is None:
            return None, None
        k_in, k_rec = keys
        batch = input_shape[0]
        in_masks = rec_masks = None
        if 0.0 < self.dropout < 1.0:
            in_masks = dropout_masks(k_in, self.dropout, (batch, input_shape[-1]),
                                      self._mask_count(False), self.compute_dtype)
        if 0.0 < self.recurrent_dropout < 1.0:
            rec_masks = dropout_masks(k_rec, self.recurrent_dropout, (batch, self.units),
                                       self._mask_count(True), self.compute_dtype)
        return in_masks, rec_masks

    def _input_bias(self, params):
        return params["bias"]

    def _project(self, params, inputs, in_masks):
        z = _masked_matmul(jnp.asarray(inputs, self.compute_dtype), params["kernel"], in_masks, self._gates)
        return z + self._input_bias(params) if self.use_bias else z

    def _bind(self, params, input_shape, training, rng):
        in_masks, rec_masks = self._masks(rng, input_shape, training)
        return (lambda x: self._project(params, x, in_masks),
                lambda p, states: self._recur(params, p, states, rec_masks))

    def step(self, params, inputs, states, *, training=False, rng=None):
        project, recur = self._bind(params, inputs.shape, training, rng)
        return recur(project(inputs), as_list(states))

    def _cell_config(self):
        """The cell arguments, in Keras's config order (shared with the RNN layers' configs)."""
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _or_none(regularizers, self.kernel_regularizer),
            "recurrent_regularizer": _or_none(regularizers, self.recurrent_regularizer),
            "bias_regularizer": _or_none(regularizers, self.bias_regularizer),
            "kernel_constraint": _or_none(constraints, self.kernel_constraint),
            "recurrent_constraint": _or_none(constraints, self.recurrent_constraint),
            "bias_constraint": _or_none(constraints, self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def get_config(self):
        return {**super().get_config(), **self._cell_config()}


# ----------------------------------------------------------------------------------------------
# SimpleRNN, GRU, LSTM cells


class SimpleRNNCell(_ProjectedCell):
    """One step of a fully connected RNN: `h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)`.

    Args:
        units: positive int, the output and state size.
        activation: activation (default "tanh"; None: linear).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers (defaults
            "glorot_uniform", "orthogonal", "zeros").
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers or None.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints or None.
        dropout, recurrent_dropout: floats in [0, 1], fractions of the inputs / states dropped in
            training (one mask per sequence).
        seed: optional int mixed into the dropout key.

    Weights:
        kernel `(features, units)`, recurrent_kernel `(units, units)`, bias `(units,)`.

    Raises:
        ValueError: if `units` is not a positive int.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(**call_arguments(locals()))

    def _recur(self, params, projected, states, rec_masks):
        h = _masked_matmul(states[0], params["recurrent_kernel"], rec_masks, 1)
        output = self.activation(projected + h)
        return output, [output]

    def _cell_config(self):
        config = super()._cell_config()
        del config["recurrent_activation"]
        return config


class GRUCell(_ProjectedCell):
    """One step of a Gated Recurrent Unit (Cho et al. 2014), gates in the order z, r, h.

    `z = recurrent_activation(x_z + h @ R_z)`, `r = recurrent_activation(x_r + h @ R_r)`,
    `hh = activation(x_h + r * (h @ R_h + b_rh))` when `reset_after` (the CuDNN variant, default),
    else `activation(x_h + (r * h) @ R_h)`; `h_new = z * h + (1 - z) * hh`.

    Args:
        units, activation, use_bias, initializers, regularizers, constraints: as `SimpleRNNCell`.
        dropout, recurrent_dropout, seed: as `SimpleRNNCell`.
        recurrent_activation: gate activation (default "sigmoid"; "hard_sigmoid" is Keras 2's).
        reset_after: apply the reset gate after the recurrent matmul (True) or before (False).

    Weights:
        kernel `(features, 3 * units)`, recurrent_kernel `(units, 3 * units)`, bias `(3 * units,)`,
        or `(2, 3 * units)` (input bias, recurrent bias) when `reset_after`.

    Raises:
        ValueError: if `units` is not a positive int.
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True, seed=None,
                 **kwargs):
        arguments = call_arguments(locals())
        del arguments["reset_after"]
        super().__init__(**arguments)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self, params):
        return params["bias"][0] if self.reset_after else params["bias"]

    def _recur(self, params, projected, states, rec_masks):
        h = states[0]
        u = self.units
        kernel = params["recurrent_kernel"]
        x_z, x_r, x_h = jnp.split(projected, 3, axis=-1)
        h_gates = rec_masks if rec_masks is not None else [None] * 3
        if self.reset_after:
            inner = _masked_matmul(h, kernel, rec_masks, 3)
            if self.use_bias:
                inner = inner + params["bias"][1]
            r_z, r_r, r_h = jnp.split(inner, 3, axis=-1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            hh = self.activation(x_h + r * r_h)
        else:
            inner = _masked_matmul(h, kernel[:, :2 * u], rec_masks and rec_masks[:2], 2)
            r_z, r_r = jnp.split(inner, 2, axis=-1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            h_h = h if h_gates[2] is None else h * h_gates[2]
            hh = self.activation(x_h + (r * h_h) @ kernel[:, 2 * u:])
        output = z * h + (1.0 - z) * hh
        return output, [output]

    def _cell_config(self):
        return {**super()._cell_config(), "reset_after": self.reset_after}


class LSTMCell(_ProjectedCell):
    """One step of a Long Short-Term Memory unit (Hochreiter 1997), gates in the order i, f, c, o.

    `i, f, o = recurrent_activation(...)`, `c = f * c_prev + i * activation(x_c + h @ R_c + b_c)`,
    `h = o * activation(c)`; states `[h, c]`.

    Args:
        units, activation, use_bias, initializers, regularizers, constraints: as `SimpleRNNCell`.
        dropout, recurrent_dropout, seed: as `SimpleRNNCell`.
        recurrent_activation: gate activation (default "sigmoid"; "hard_sigmoid" is Keras 2's).
        unit_forget_bias: initialize the forget-gate bias to ones (the other blocks use
            `bias_initializer`).

    Weights:
        kernel `(features, 4 * units)`, recurrent_kernel `(units, 4 * units)`, bias `(4 * units,)`.

    Raises:
        ValueError: if `units` is not a positive int.
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        arguments = call_arguments(locals())
        del arguments["unit_forget_bias"]
        super().__init__(**arguments)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self, key):
        if not self.unit_forget_bias:
            return super()._bias_init(key)
        u = self.units
        k_input, k_rest = jax.random.split(key)
        return jnp.concatenate([
            self.bias_initializer((u,), self.dtype, key=k_input),
            jnp.ones((u,), self.dtype),
            self.bias_initializer((2 * u,), self.dtype, key=k_rest),
        ])

    def _recur(self, params, projected, states, rec_masks):
        h, c = states[0], states[1]
        z = projected + _masked_matmul(h, params["recurrent_kernel"], rec_masks, 4)
        z_i, z_f, z_c, z_o = jnp.split(z, 4, axis=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def _cell_config(self):
        config = super()._cell_config()
        keys = list(config)
        at = keys.index("bias_initializer") + 1
        items = list(config.items())
        return dict(items[:at] + [("unit_forget_bias", self.unit_forget_bias)] + items[at:])

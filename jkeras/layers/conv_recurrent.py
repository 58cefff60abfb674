"""Convolutional LSTMs: ConvLSTM1D / 2D / 3D, `RNN` over a `ConvLSTMCell`.

An LSTM whose input and recurrent transformations are convolutions: the input convolution (with
the layer's strides, padding and dilation) runs on all time steps at once, the recurrent one
(stride 1, "same" padding) inside the scan. Inputs `(batch, time, *spatial, channels)`
(`(batch, time, channels, *spatial)` with data_format="channels_first"); the states and outputs
have the input convolution's output shape.

Keras 1 keywords (`nb_filter`, `nb_row` / `nb_col`, `border_mode`, `subsample`, `dim_ordering`,
`init`, `inner_init`, `inner_activation`, `W_regularizer`, `U_regularizer`, `dropout_W`,
`dropout_U`, ...) are accepted with a warning.
"""
import jax
import jax.numpy as jnp
from jax import lax

from jkeras.core import activations, constraints, initializers, regularizers
from jkeras.layers._conv_base import (
    CONV_RENAMES,
    SpatialConv,
    _keras1_kernel_size,
    dimension_numbers,
    serialize_or_none,
)
from jkeras.layers._rnn_base import AbstractRNNCell, as_list, dropout_masks
from jkeras.layers.recurrent import _RNN_RENAMES, CellRNN, _rnn_preprocess
from jkeras.models.layer import Layer
from jkeras.utils.legacy import DATA_FORMAT_VALUES, LegacyInterface

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM2DCell", "ConvLSTM3D"]


def _gate_conv(x, kernel, masks, channel_axis, conv):
    """`conv(x, kernel)`, or with one input mask per gate, the gates' convolutions concatenated."""
    if masks is None:
        return conv(x, kernel)
    blocks = jnp.split(kernel, len(masks), axis=-1)
    return jnp.concatenate([conv(x * m, k) for m, k in zip(masks, blocks)], axis=channel_axis)


class ConvLSTMCell(AbstractRNNCell, SpatialConv):
    """One step of a convolutional LSTM (gates i, f, c, o along the channel axis).

    Args:
        rank: 1, 2 or 3.
        filters, kernel_size, strides, padding ("valid" / "same"), data_format, dilation_rate: of
            the input convolution.
        activation, recurrent_activation, use_bias: as `LSTMCell`.
        kernel_initializer, recurrent_initializer, bias_initializer, unit_forget_bias: as `LSTMCell`.
        regularizers, constraints, dropout, recurrent_dropout, seed: as `LSTMCell`.

    Weights:
        kernel `(*kernel_size, channels, 4 * filters)`, recurrent_kernel
        `(*kernel_size, filters, 4 * filters)`, bias `(4 * filters,)`.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        Layer.__init__(self, **kwargs)
        if rank not in (1, 2, 3):
            raise self._error(f"rank must be 1, 2 or 3, got {rank!r}")
        self._rank = rank
        self.filters = self._positive_int(filters, "filters")
        self._configure(kernel_size, strides, padding, data_format, dilation_rate, activation,
                        use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self._forbid_strides_with_dilation()
        self.recurrent_activation = activations.get(recurrent_activation)
        self.kernel_initializer = initializers.get_for_weight(kernel_initializer)
        self.recurrent_initializer = initializers.get_for_weight(recurrent_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        for arg, value in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._error(f"{arg} must be a float in [0, 1], got {value!r}")
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed

    state_size = -1  # as Keras: the state shapes follow from the input shape
    output_size = -1

    # -- shapes ---------------------------------------------------------------------------------

    def _state_shape(self, input_shape):
        return tuple(SpatialConv.compute_output_shape(self, tuple(input_shape)))

    def _state_shapes(self, input_shape):
        shape = self._state_shape(input_shape)
        return [shape, shape]

    def _output_shape(self, input_shape):
        return self._state_shape(input_shape)

    def _initial_state(self, batch_size, input_shape):
        shape = (batch_size,) + self._state_shape(input_shape)[1:]
        return [jnp.zeros(shape, self.dtype), jnp.zeros(shape, self.dtype)]

    def _check_step_shape(self, input_shape):
        shape = self._validate_input_shape(input_shape)
        if None in self._spatial(shape):
            raise self._error(
                f"the spatial dimensions of the input must be defined, got step shape {shape}"
            )
        return shape

    # -- the pure pair --------------------------------------------------------------------------

    def init(self, rng, input_shape):
        shape = self._check_step_shape(input_shape)
        k_kernel, k_recurrent, k_bias, k_rest = jax.random.split(rng, 4)
        f = self.filters
        params = {
            "kernel": self.kernel_initializer(
                self.kernel_size + (shape[self._channel_axis], 4 * f), self.dtype, key=k_kernel),
            "recurrent_kernel": self.recurrent_initializer(
                self.kernel_size + (f, 4 * f), self.dtype, key=k_recurrent),
        }
        if self.use_bias:
            if self.unit_forget_bias:
                params["bias"] = jnp.concatenate([
                    self.bias_initializer((f,), self.dtype, key=k_bias),
                    jnp.ones((f,), self.dtype),
                    self.bias_initializer((2 * f,), self.dtype, key=k_rest),
                ])
            else:
                params["bias"] = self.bias_initializer((4 * f,), self.dtype, key=k_bias)
        return {"params": params, "state": {}}

    def _input_conv(self, x, kernel):
        return lax.conv_general_dilated(
            x, kernel, self.strides, self.padding.upper(), rhs_dilation=self.dilation_rate,
            dimension_numbers=dimension_numbers(self._rank, self.data_format),
        )

    def _recurrent_conv(self, h, kernel):
        return lax.conv_general_dilated(
            h, kernel, (1,) * self._rank, "SAME",
            dimension_numbers=dimension_numbers(self._rank, self.data_format),
        )

    def _masks(self, rng, input_shape, training):
        keys = self._dropout_keys(rng, training)
        if keys is None:
            return None, None
        k_in, k_rec = keys
        in_masks = rec_masks = None
        if 0.0 < self.dropout < 1.0:
            in_masks = dropout_masks(k_in, self.dropout, tuple(input_shape), 4, self.compute_dtype)
        if 0.0 < self.recurrent_dropout < 1.0:
            rec_masks = dropout_masks(k_rec, self.recurrent_dropout, self._state_shape(input_shape), 4,
                                       self.compute_dtype)
        return in_masks, rec_masks

    def _bind(self, params, input_shape, training, rng):
        in_masks, rec_masks = self._masks(rng, input_shape, training)
        axis = self._channel_axis

        def project(x):
            z = _gate_conv(jnp.asarray(x, self.compute_dtype), params["kernel"], in_masks, axis, self._input_conv)
            return self._finish_bias(z, params)

        def recur(z, states):
            h, c = states[0], states[1]
            z = z + _gate_conv(h, params["recurrent_kernel"], rec_masks, axis, self._recurrent_conv)
            z_i, z_f, z_c, z_o = jnp.split(z, 4, axis=axis)
            i = self.recurrent_activation(z_i)
            f = self.recurrent_activation(z_f)
            c = f * c + i * self.activation(z_c)
            o = self.recurrent_activation(z_o)
            h = o * self.activation(c)
            return h, [h, c]

        return project, recur

    def _finish_bias(self, z, params):
        if not self.use_bias:
            return z
        bias = params["bias"]
        if not self._channels_last:
            bias = bias.reshape(bias.shape + (1,) * self._rank)
        return z + bias

    def step(self, params, inputs, states, *, training=False, rng=None):
        project, recur = self._bind(params, inputs.shape, training, rng)
        return recur(project(inputs), as_list(states))

    def compute_output_shape(self, input_shape):
        return AbstractRNNCell.compute_output_shape(self, input_shape)

    def _cell_config(self):
        return {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": serialize_or_none(regularizers, self.kernel_regularizer),
            "recurrent_regularizer": serialize_or_none(regularizers, self.recurrent_regularizer),
            "bias_regularizer": serialize_or_none(regularizers, self.bias_regularizer),
            "kernel_constraint": serialize_or_none(constraints, self.kernel_constraint),
            "recurrent_constraint": serialize_or_none(constraints, self.recurrent_constraint),
            "bias_constraint": serialize_or_none(constraints, self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def get_config(self):
        return {**Layer.get_config(self), "rank": self._rank, **self._cell_config()}


class ConvLSTM2DCell(ConvLSTMCell):
    """Keras 2's cell of `ConvLSTM2D`, for `RNN(ConvLSTM2DCell(...))`: a `ConvLSTMCell` of rank 2
    with Keras 2's defaults (`recurrent_activation="hard_sigmoid"`).

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of 2 ints.
        strides: int or tuple of 2 ints.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first"; None: `image_data_format()`.
        dilation_rate: int or tuple of 2 ints.
        activation: activation of the cell and hidden states.
        recurrent_activation: activation of the gates; Keras 2's default "hard_sigmoid".
        **kwargs: the other `ConvLSTMCell` arguments (initializers, regularizers, dropout, ...).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation="tanh", recurrent_activation="hard_sigmoid", **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation,
                         recurrent_activation=recurrent_activation, **kwargs)

    def get_config(self):
        return {k: v for k, v in super().get_config().items() if k != "rank"}


def _conv_lstm_legacy(rank):
    renames = {**CONV_RENAMES, **_RNN_RENAMES}
    del renames["output_dim"]

    def preprocess(args, kwargs):
        args, kwargs, notes = _rnn_preprocess(args, kwargs)
        if rank > 1 and any(k in kwargs for k in ("nb_row", "nb_col", "kernel_dim1")):
            converted = _keras1_kernel_size(rank, args[:1], kwargs)
            if converted is not None:
                new_args, kernel_size = converted
                args = new_args + tuple(args[1:]) if new_args else args
                if not new_args:
                    kwargs["kernel_size"] = kernel_size
                notes.append(("nb_row / nb_col", "kernel_size"))
        return args, kwargs, notes

    return LegacyInterface(renames=renames, values={"data_format": DATA_FORMAT_VALUES}, preprocess=preprocess)


class _ConvLSTM(CellRNN):
    """The ConvLSTM layers' implementation; public classes set `_rank`."""

    _rank = None
    _cell_name = "conv_lstm_cell"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        self._init_with_cell(ConvLSTMCell, {**locals(), "rank": self._rank})

    @property
    def _input_rank(self):
        return self._rank + 3

    def _check_input_shape(self, input_shape):
        super()._check_input_shape(input_shape)
        shape = self._sequence_shape(input_shape)
        try:
            self.cell._check_step_shape(self._step_shape(shape))
        except ValueError as error:
            prefix = f"ConvLSTMCell '{self.cell.name}': "
            message = str(error)
            message = message[len(prefix):] if message.startswith(prefix) else message
            raise self._error(f"{message} (input shape {shape})") from None


class ConvLSTM1D(_ConvLSTM):
    """1D convolutional LSTM: `(batch, time, steps, channels)` -> `(batch, new_steps, filters)`
    (`(batch, time, new_steps, filters)` with `return_sequences`).

    Args:
        filters: positive int, the number of output channels (and state channels).
        kernel_size, strides, dilation_rate: int or tuple of 1 int, of the input convolution
            (strides > 1 excludes dilation_rate > 1).
        padding: "valid" or "same" (the recurrent convolution always uses "same").
        data_format: "channels_last" (default) or "channels_first" `(batch, time, channels, steps)`.
        activation, recurrent_activation, use_bias: as `LSTM` (defaults "tanh", "sigmoid", True).
        kernel_initializer, recurrent_initializer, bias_initializer, unit_forget_bias: as `LSTM`.
        regularizers, constraints: kernel / recurrent / bias / activity ones, as `LSTM`.
        dropout, recurrent_dropout, seed: as `LSTM`.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.

    Weights:
        kernel `(kernel_size, channels, 4 * filters)`, recurrent_kernel
        `(kernel_size, filters, 4 * filters)`, bias `(4 * filters,)`.

    Raises:
        ValueError: for invalid arguments, or inputs of the wrong rank / undefined spatial size.
    """

    _rank = 1
    _legacy = _conv_lstm_legacy(1)
    __init__ = _ConvLSTM.__init__


class ConvLSTM2D(_ConvLSTM):
    """2D convolutional LSTM: `(batch, time, rows, cols, channels)` -> `(batch, new_rows, new_cols,
    filters)` (with the time axis kept when `return_sequences`).

    Args: as `ConvLSTM1D`, with 2-tuples. Weights: kernel `(kh, kw, channels, 4 * filters)`,
    recurrent_kernel `(kh, kw, filters, 4 * filters)`, bias `(4 * filters,)`.

    Raises:
        ValueError: as `ConvLSTM1D`.
    """

    _rank = 2
    _legacy = _conv_lstm_legacy(2)
    __init__ = _ConvLSTM.__init__


class ConvLSTM3D(_ConvLSTM):
    """3D convolutional LSTM: `(batch, time, d1, d2, d3, channels)` -> `(batch, n1, n2, n3, filters)`
    (with the time axis kept when `return_sequences`).

    Args: as `ConvLSTM1D`, with 3-tuples. Weights: kernel `(k1, k2, k3, channels, 4 * filters)`,
    recurrent_kernel `(k1, k2, k3, filters, 4 * filters)`, bias `(4 * filters,)`.

    Raises:
        ValueError: as `ConvLSTM1D`.
    """

    _rank = 3
    _legacy = _conv_lstm_legacy(3)
    __init__ = _ConvLSTM.__init__

"""Embedding (integer indices -> dense vectors) and Masking (skip timesteps equal to a value)."""
import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import constraints, initializers, regularizers
from jkeras.layers._lora import LoRAMixin
from jkeras.layers._quantize import QuantizableMixin
from jkeras.models.layer import Layer
from jkeras.utils.legacy import LegacyInterface

__all__ = ["Embedding", "Masking"]


def _keras1_dropout(args, kwargs):
    """Drops Keras 1's `dropout=` (embedding-row dropout), warning when it asked for any."""
    rate = kwargs.pop("dropout", None)
    if rate:
        warnings.warn(
            f"Embedding: the Keras 1 argument `dropout={rate}` (dropping whole embedding rows in "
            "training) is not supported and is ignored; add a `Dropout` or `SpatialDropout1D` layer "
            "after the Embedding instead.",
            UserWarning, stacklevel=4,
        )
    return args, kwargs, []


class Embedding(QuantizableMixin, LoRAMixin, Layer):
    """Turns non-negative integer indices into dense vectors: `embeddings[inputs]`.

    Inputs of shape `(batch, ...)` (integers; float inputs are cast to int32, as Keras does) give
    outputs of shape `(batch, ..., output_dim)`. Calling the layer eagerly checks the indices (an
    out-of-range index or a float with a fractional part raises); inside `jax.jit` nothing is
    checked, an index >= input_dim gives a row of NaN and a negative one counts from the end
    (`jnp.take`'s "fill" mode, as Keras 3 on JAX). `check_indices(x)` runs the eager check on data.

    Args:
        input_dim: positive int, the vocabulary size (largest index + 1).
        output_dim: positive int, the size of each vector.
        embeddings_initializer: initializer of the matrix (default uniform in [-0.05, 0.05]).
        embeddings_regularizer, activity_regularizer: optional regularizers.
        embeddings_constraint: optional constraint applied after each update.
        mask_zero: whether index 0 is padding: the layer then outputs the mask `inputs != 0`.
        input_length: (Keras 2) fixed length of the input sequences; sets the input shape
            `(input_length,)` for the first layer of a `Sequential`.
        lora_rank, lora_alpha: Keras 3's LoRA, as in `Dense`: the factors are lora_embeddings_a
            `(input_dim, rank)` and lora_embeddings_b `(rank, output_dim)`.
        quantization_config: optional `jkeras.quantizers.Int8QuantizationConfig` (or its config
            dict) of a layer with an int8 policy (`quantize("int8")` sets it).

    Weights:
        embeddings `(input_dim, output_dim)`. Quantized to int8 (`quantize("int8")`): embeddings
        (int8) and embeddings_scale `(input_dim,)` (one scale per row), both non-trainable. To int4
        (`quantize("int4")`): embeddings (two int4 values per int8, `(input_dim, ceil(output_dim /
        2))`), embeddings_scale, and with a block size (groups of columns, asymmetric; default 128)
        embeddings_zero `(input_dim, groups)` and g_idx `(output_dim,)`.

    Raises:
        ValueError: if `input_dim` or `output_dim` is not a positive int; when called eagerly, if
            an index is out of `[0, input_dim)` or not an integer.
    """

    _legacy = LegacyInterface(
        positional=("input_dim", "output_dim"),
        renames={"init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
                 "W_constraint": "embeddings_constraint"},
        preprocess=_keras1_dropout,
    )

    _lora_target = "embeddings"
    _lora_factor_names = ("lora_embeddings_a", "lora_embeddings_b")
    _lora_regularizer_attr = "embeddings_regularizer"
    _lora_constraint_attr = "embeddings_constraint"
    _quantized_target = "embeddings"

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        if input_length is not None and kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None:
            kwargs["input_shape"] = tuple(input_length) if isinstance(input_length, (list, tuple)) else (input_length,)
        if kwargs.get("weights") is not None and not isinstance(kwargs["weights"], (list, tuple)):
            kwargs["weights"] = [kwargs["weights"]]
        super().__init__(**kwargs)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
                raise self._error(f"{arg} must be a positive int, got {arg}={value!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get_for_weight(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.input_length = list(input_length) if isinstance(input_length, (list, tuple)) else input_length
        self.supports_masking = self.mask_zero
        self.input_dtype = "int32"
        self._configure_lora(lora_rank, lora_alpha)
        self._configure_quantization(quantization_config)

    def check_indices(self, inputs):
        """Raises a ValueError if concrete `inputs` hold a non-integer or an index outside
        `[0, input_dim)`; does nothing for traced values (inside `jax.jit`)."""
        if isinstance(inputs, jax.core.Tracer):
            return
        values = np.asarray(inputs)
        if values.size == 0:
            return
        if np.issubdtype(values.dtype, np.floating):
            fractional = values[values != np.floor(values)]
            if fractional.size:
                raise self._error(
                    f"expects integer indices, got float inputs with a fractional part (e.g. {fractional.flat[0]})"
                )
        low, high = values.min(), values.max()
        if low < 0 or high >= self.input_dim:
            raise self._error(
                f"indices must be in [0, input_dim={self.input_dim}), got values in [{low}, {high}] "
                f"(input shape {values.shape})"
            )

    def _check_input_shape(self, input_shape):
        if self.input_length is None or not isinstance(input_shape, tuple):
            return
        expected = tuple(self.input_length) if isinstance(self.input_length, list) else (self.input_length,)
        got = tuple(input_shape[1:])
        if len(got) != len(expected) or any(e is not None and g is not None and e != g
                                            for e, g in zip(expected, got)):
            raise self._error(
                f"input_length={self.input_length} expects inputs of shape {(None,) + expected}, "
                f"got shape {tuple(input_shape)}"
            )

    def _eager_call(self, inputs, **kwargs):
        self.check_indices(inputs)
        return super()._eager_call(inputs, **kwargs)

    def init(self, rng, input_shape):
        embeddings = self.embeddings_initializer((self.input_dim, self.output_dim), self.dtype, key=rng)
        params = {"embeddings": embeddings}
        if self.lora_rank:
            params.update(self._lora_factors(jax.random.fold_in(rng, 1), self.input_dim, self.output_dim))
        if self.quantization_mode is not None:
            return self._quantized_variables(input_shape, params)
        return {"params": params, "state": {}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        inputs = jnp.asarray(inputs)
        if not jnp.issubdtype(inputs.dtype, jnp.integer):
            inputs = inputs.astype(jnp.int32)
        if self.quantization_mode == "int4":
            return self._int4_lookup(variables["state"], inputs), variables["state"]
        if self.quantization_mode is not None:
            state = variables["state"]
            rows = jnp.take(state["embeddings"], inputs, axis=0, mode="fill").astype(self.compute_dtype)
            scale = jnp.take(state["embeddings_scale"], inputs, axis=0, mode="fill").astype(self.compute_dtype)
            outputs = rows / scale[..., None]
            params = variables["params"]
            if "lora_embeddings_a" in params:
                update = jnp.matmul(jnp.take(params["lora_embeddings_a"], inputs, axis=0, mode="fill"),
                                    params["lora_embeddings_b"])
                outputs = (outputs + (self.lora_alpha / self.lora_rank) * update).astype(self.compute_dtype)
            return outputs, state
        return jnp.take(self.lora_matrix(variables["params"]), inputs, axis=0, mode="fill"), variables["state"]

    def _int8_shapes(self, input_shape):
        return (self.input_dim, self.output_dim), (self.input_dim,)

    _quantization_modes = ("int8", "int4")

    def _quantize_int4(self, matrix, config, block_size):
        from jkeras import quantizers

        if block_size is None:  # per row: a scale per index
            quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer(axis=-1, value_range=(-8, 7), output_dtype="int8"))
            quantized, scale = quantizer(matrix, to_numpy=True)
            made = {"embeddings_scale": jnp.squeeze(scale, axis=-1)}
        else:  # per group of `block_size` columns of a row: a scale and a zero point
            quantized, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(
                np.asarray(matrix).T, block_size=block_size, to_numpy=True)
            quantized = jnp.transpose(quantized)
            made = {"embeddings_scale": jnp.transpose(scale), "embeddings_zero": jnp.transpose(zero),
                    "g_idx": jnp.floor_divide(jnp.arange(self.output_dim, dtype="float32"), block_size)}
        packed, _, _ = quantizers.pack_int4(np.asarray(quantized), axis=-1)
        made["embeddings_scale"] = jnp.asarray(made["embeddings_scale"], self.variable_dtype)
        return {"embeddings": packed, **made}

    def _int4_initial_state(self, input_shape):
        block_size = self._int4_block_size()
        state = {"embeddings": jnp.zeros((self.input_dim, (self.output_dim + 1) // 2), jnp.int8)}
        if block_size is None:
            state["embeddings_scale"] = jnp.ones((self.input_dim,), self.variable_dtype)
            return state
        groups = -(-self.output_dim // block_size)
        state.update(embeddings_scale=jnp.ones((self.input_dim, groups), self.variable_dtype),
                     embeddings_zero=jnp.zeros((self.input_dim, groups), jnp.int8),
                     g_idx=jnp.floor_divide(jnp.arange(self.output_dim, dtype="float32"), block_size))
        return state

    def _int4_lookup(self, state, inputs):
        from jkeras import quantizers

        unpacked = quantizers.unpack_int4(state["embeddings"], self.output_dim, axis=-1)
        rows = jnp.take(unpacked, inputs, axis=0, mode="fill").astype(self.compute_dtype)
        scale = jnp.take(state["embeddings_scale"], inputs, axis=0, mode="fill")
        if "embeddings_zero" not in state:
            return rows / scale[..., None]
        zero = jnp.take(state["embeddings_zero"], inputs, axis=0, mode="fill")
        return quantizers.dequantize_with_sz_map(rows, scale, zero, state["g_idx"], group_axis=-1)

    def _dequantized(self, quantized, scale):
        return quantized.astype(self.compute_dtype) / scale[:, None]

    def _quantize_matrix(self, matrix, config):
        from jkeras import quantizers

        quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=-1))
        quantized, scale = quantizer(matrix, to_numpy=True)
        return quantized, jnp.squeeze(scale, axis=-1)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return jnp.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": (regularizers.serialize(self.embeddings_regularizer)
                                       if self.embeddings_regularizer else None),
            "embeddings_constraint": (constraints.serialize(self.embeddings_constraint)
                                      if self.embeddings_constraint else None),
            "mask_zero": self.mask_zero,
            **self._lora_config(),
            **self._quantization_config_entry(),
        }
        if self.input_length is not None:
            config["input_length"] = self.input_length
        return config


Embedding._quantizable_class = Embedding


class Masking(Layer):
    """Masks the timesteps whose features all equal `mask_value`.

    For inputs `(batch, timesteps, features)`, a timestep is kept where any feature differs from
    `mask_value`; the output is the input with masked timesteps set to 0, and the output mask
    (`(batch, timesteps)`, True where kept) tells downstream layers (RNNs, pooling...) to skip them.

    Args:
        mask_value: float, the padding value.

    Raises:
        ValueError: if `mask_value` is not a number.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise self._error(f"mask_value must be a number, got mask_value={mask_value!r}")
        self.mask_value = float(mask_value)
        self.supports_masking = True

    def _keep(self, inputs, keepdims):
        return jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1, keepdims=keepdims)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        inputs = jnp.asarray(inputs)
        outputs = jnp.where(self._keep(inputs, keepdims=True), inputs, jnp.zeros((), inputs.dtype))
        return outputs, variables["state"]

    def compute_mask(self, inputs, mask=None):
        return self._keep(jnp.asarray(inputs), keepdims=False)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}

"""Keras 3's int8 post-training quantization of `Dense`, `EinsumDense` and `Embedding`.

`layer.quantize("int8")` replaces the float matrix `W` by an int8 matrix `q` and a float scale
`s` (one per output channel: `W ~ q / s`) and gives the layer the policy "int8_from_<source>".
A layer whose policy is quantized (`dtype="int8_from_float32"`, or one loaded from a file) is
built with those weights directly. The weights are Keras 3's, in its order: `q` and `s` are
non-trainable (this layer's `state`), the bias stays trainable (`params`):

    Dense        bias, kernel (int8), kernel_scale (units,)
    EinsumDense  bias, kernel (int8), kernel_scale (the kernel's shape laid out on the output axes)
    Embedding    embeddings (int8), embeddings_scale (input_dim,)

In int4 mode the matrix holds two int4 values per int8 byte (packed along its last axis; an
EinsumDense kernel flattened to 2D first), with a scale per column (per row for Embedding), or
for sub-channel quantization (groups of `block_size`, asymmetric) scales, int8 zero points and
`g_idx` (each position's group): `kernel_zero` / `embeddings_zero`, `g_idx` after the scale.

Files store them in Keras 3's order instead (kernel, bias, kernel_scale, ...): `stored_weights`.

The computation stays pure. Dense and EinsumDense quantize their inputs too (by default, one
`AbsMaxQuantizer` scale per row over the contracted axes), contract int8 with int8 in int32,
and divide the result by both scales. As in Keras 3, their gradient with respect to the
inputs is that of the dequantized matrix `q / s` (a straight-through estimate across the input
rounding); the int8 matrix and its scale get none (they are not trained).
"""
import re

import jax
import jax.numpy as jnp
import numpy as np

from jkeras import mixed_precision, quantizers


class QuantizableMixin:
    """`quantize` and the int8 weights of a layer with one matrix weight (`_quantized_target`).

    A class sets `_quantized_target` ("kernel"), `_quantizable_class` (the class whose instances
    may be quantized: subclasses are refused when `type_check`, as in Keras 3) and implements
    `_quantize_matrix(matrix, config) -> (q, scale)`, `_int8_shapes(input_shape)`.
    """

    _quantized_target = "kernel"

    def _configure_quantization(self, quantization_config):
        if isinstance(quantization_config, dict):
            quantization_config = quantizers.deserialize(quantization_config)
        self.quantization_config = quantization_config

    @property
    def _scale_name(self):
        return f"{self._quantized_target}_scale"

    @property
    def inputs_quantizer(self):
        """The quantizer of the inputs (None: weight-only quantization); without a config, an
        `AbsMaxQuantizer` in int8 mode and none in int4 mode (Keras 3's defaults)."""
        default = quantizers.AbsMaxQuantizer() if self.quantization_mode == "int8" else None
        return quantizers.QuantizationConfig.activation_quantizer_or_default(self.quantization_config, default)

    # The modes the class quantizes to.
    _quantization_modes = ("int8",)

    def _quantize(self, mode, type_check, config):
        if type_check and type(self) is not self._quantizable_class:
            raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` method implemented.")
        if mode not in self._quantization_modes:
            raise NotImplementedError(f"Layer {type(self).__name__}: quantization mode '{mode}' is not supported "
                                      f"by jkeras for this layer (supported: {list(self._quantization_modes)})")
        if mode == "int4" and getattr(self, "lora_enabled", False):
            raise NotImplementedError(f"Layer {type(self).__name__}: jkeras does not quantize a layer with LoRA "
                                      "enabled to int4")
        self.quantization_config = config
        matrix = self._params.pop(self._quantized_target)
        if mode == "int8":
            quantized, scale = self._quantize_matrix(matrix, config)
            made = {self._quantized_target: quantized, self._scale_name: jnp.asarray(scale, self.variable_dtype)}
            policy = mixed_precision.QuantizedDTypePolicy(mode, self.dtype_policy.name)
        else:
            block_size = self._int4_block_size(config)
            made = self._quantize_int4(matrix, config, block_size)
            policy = mixed_precision.Int4DTypePolicy(f"int4/{block_size or -1}", self.dtype_policy.name)
        self._state.update(made)
        handles = self.__dict__.get("_variable_handles", {})
        handles.pop(("params", self._quantized_target), None)  # the weight is a new (non-trainable) one
        self.dtype_policy = policy

    def _int4_block_size(self, config=None):
        """Rows per group of int4 sub-channel quantization, None for per-channel: from the
        config (`Int4QuantizationConfig.block_size`), else the policy ("int4/128_from_...")."""
        config = config if config is not None else self.quantization_config
        if isinstance(config, quantizers.Int4QuantizationConfig):
            size = config.block_size
        elif isinstance(self.dtype_policy, mixed_precision.Int4DTypePolicy):
            size = self.dtype_policy.block_size
        else:
            size = None
        return None if size in (None, -1) else size

    def _quantized_variables(self, input_shape, float_params):
        """`init`'s variables of a quantized layer: `float_params` (LoRA factors too) without the
        matrix, which is replaced by its quantized weights (zeros, scales of ones) in `state`."""
        if self.quantization_mode not in self._quantization_modes:
            raise NotImplementedError(f"Layer {type(self).__name__}: the policy {self.dtype_policy.name!r} is not "
                                      f"supported by jkeras for this layer (modes: {list(self._quantization_modes)})")
        params = {k: v for k, v in float_params.items() if k != self._quantized_target}
        if self.quantization_mode == "int4":
            if getattr(self, "lora_rank", None):
                raise NotImplementedError(f"Layer {type(self).__name__}: jkeras does not combine LoRA with int4")
            return {"params": params, "state": self._int4_initial_state(input_shape)}
        shape, scale_shape = self._int8_shapes(input_shape)
        state = {self._quantized_target: jnp.zeros(shape, jnp.int8),
                 self._scale_name: jnp.ones(scale_shape, self.variable_dtype)}
        return {"params": params, "state": state}

    def stored_weights(self, weights):
        """`[(Variable, array)]` in the order Keras 3 files store this layer's own `weights`:
        the quantized matrix first, then the float weights, then the scale (and the int4 zero
        points and group indices). With LoRA, as Keras 3:
        the matrix merged with the LoRA update and quantized again, and no factors."""
        if self.quantization_mode is None:
            parent = getattr(super(), "stored_weights", None)
            return parent(weights) if parent is not None else [(w, w.numpy()) for w in weights]
        values = {w.name: w.numpy() for w in weights}
        factors = set(getattr(self, "_lora_factor_names", ())) if getattr(self, "lora_enabled", False) else set()
        if factors and self.quantization_mode == "int8":
            values[self._quantized_target], values[self._scale_name] = self._merged_int8()
        first = [w for w in weights if w.name == self._quantized_target]
        floats = [w for w in weights if w._collection == "params" and w.name not in factors]
        rest = [w for w in weights if w._collection != "params" and w.name != self._quantized_target]
        return [(w, values[w.name]) for w in first + floats + rest]

    def _merged_int8(self):
        """`(q, scale)` of the dequantized matrix plus the LoRA update, quantized again."""
        name_a, name_b = self._lora_factor_names
        matrix = self._dequantized(self._state[self._quantized_target], self._state[self._scale_name])
        delta = (self.lora_alpha / self.lora_rank) * jnp.matmul(self._params[name_a], self._params[name_b])
        return tuple(np.asarray(a) for a in self._quantize_matrix(matrix + delta, None))

    def after_stored_load(self):
        parent = getattr(super(), "after_stored_load", None)
        if parent is not None:
            parent()  # LoRA factors restart at zero

    def _own_weight(self, name):
        """The array of own weight `name`, trainable (`params`) or not (`state`, once quantized)."""
        return self._params[name] if name in self._params else self._state[name]

    def _quantization_config_entry(self):
        if self.quantization_config is None:
            return {}
        return {"quantization_config": quantizers.serialize(self.quantization_config)}


def int8_contract(contract, gradient_contract, inputs, quantized, scale, inputs_quantizer, axis,
                  inputs_scale_layout, compute_dtype):
    """`contract(inputs, q) / (scale * inputs_scale)`: the output of an int8 Dense / EinsumDense.

    The inputs are quantized with `inputs_quantizer` over `axis` (None: weight-only). The gradient
    with respect to `inputs` is `gradient_contract(upstream, q, scale)`, the gradient of the
    dequantized matrix (Keras 3's custom gradient); `q` and `scale` get none.

    Args:
        contract: `(x, q) -> outputs`, accumulating int8 inputs in int32.
        gradient_contract: `(upstream, q, scale) -> gradient of the inputs`.
        inputs: the float inputs.
        quantized, scale: the int8 matrix and its scale (laid out on the output's axes).
        inputs_quantizer: a quantizer `(x, axis=...) -> (qx, x_scale)`, or None.
        axis: the axes the inputs' scales are taken over.
        inputs_scale_layout: maps the inputs' scale onto the output's axes.
        compute_dtype: the dtype of the outputs.
    """
    compute_dtype = jnp.dtype(compute_dtype)

    def forward(x, q, s):
        if inputs_quantizer is not None:
            qx, x_scale = inputs_quantizer(x, axis=axis)
            out = contract(qx, q).astype(compute_dtype)
            return out / (inputs_scale_layout(x_scale) * s)
        return contract(x, q).astype(compute_dtype) / s

    @jax.custom_vjp
    def run(x, q, s):
        return forward(x, q, s)

    def fwd(x, q, s):
        return forward(x, q, s), (q, s)

    def bwd(residuals, upstream):
        q, s = residuals
        q_zero = jnp.zeros_like(q) if jnp.issubdtype(q.dtype, jnp.floating) else np.zeros(q.shape, jax.dtypes.float0)
        return gradient_contract(upstream, q, s), q_zero, jnp.zeros_like(s)

    run.defvjp(fwd, bwd)
    return run(inputs, quantized, scale)


class EinsumQuantization:
    """How the scales of an int8 `EinsumDense` are laid out, from its equation (as Keras 3).

    A scale is taken over the contracted (reduced) axes of the kernel or the inputs, kept with
    size 1, then transposed, expanded and squeezed so it broadcasts against the output.

    Raises:
        ValueError: for an equation with an ellipsis (Keras 3 cannot quantize those either).
    """

    def __init__(self, equation):
        match = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", equation)
        if match is None:
            raise ValueError(f"EinsumDense: int8 quantization needs an equation without an ellipsis, of the "
                             f"form 'ab,bc->ac'; got equation='{equation}'")
        inputs, kernel, output = match.groups()
        self.input = self._layout(inputs, output)
        self.kernel = self._layout(kernel, output)
        self.input_reduced_axes = tuple(self.input[0])
        self.kernel_reduced_axes = tuple(self.kernel[0])
        self.gradient_equation = f"{output},{kernel}->{inputs}"

    @staticmethod
    def _layout(spec, output):
        """`(reduced, transpose, expand, squeeze)` axes of a scale of a tensor with `spec`."""
        reduced = [i for i, c in enumerate(spec) if c not in output]
        expand = [i for i, c in enumerate(output) if c not in spec]
        transpose = [spec.index(c) for c in output if c in spec]
        squeeze = []
        slot = None
        for axis in reduced:
            if expand:
                slot = expand.pop(0)
            else:
                squeeze.append(axis)  # no axis of size 1 left to put it in: it is squeezed out
            transpose.insert(slot, axis)
        return reduced, transpose, expand, squeeze

    @staticmethod
    def to_output(scale, layout):
        """A scale (reduced axes kept with size 1) laid out on the output's axes."""
        _, transpose, expand, squeeze = layout
        if transpose:
            scale = jnp.transpose(scale, transpose)
        if expand:
            scale = jnp.expand_dims(scale, tuple(expand))
        if squeeze:
            scale = jnp.squeeze(scale, tuple(squeeze))
        return scale

    def kernel_scale_shape(self, kernel_shape):
        shape = [1 if i in self.kernel_reduced_axes else d for i, d in enumerate(kernel_shape)]
        return tuple(self.to_output(jnp.zeros(shape), self.kernel).shape)

    def to_kernel(self, scale):
        """The kernel scale laid back on the kernel's axes (for dequantizing it)."""
        _, transpose, expand, squeeze = self.kernel
        if squeeze:
            scale = jnp.expand_dims(scale, tuple(squeeze))
        if expand:
            scale = jnp.squeeze(scale, tuple(expand))
        if transpose:
            scale = jnp.transpose(scale, np.argsort(transpose))
        return scale

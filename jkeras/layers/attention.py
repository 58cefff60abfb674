"""Attention layers: `EinsumDense`, `MultiHeadAttention`, `Attention`, `AdditiveAttention`, `Identity`.

Arguments, defaults, weights (names, shapes, order) and config keys are Keras 3's.
`MultiHeadAttention` holds four `EinsumDense` sublayers named `query`, `key`, `value` and
`attention_output` (their weights sit under those names: `params["query"]["kernel"]`), so its
`get_weights()` / `set_weights()` interchange with Keras's and `.weights.h5` files load both ways.

Keras masks: `MultiHeadAttention` takes the query / value / key masks that reach it (e.g. from an
`Embedding(mask_zero=True)`) as `query_mask` / `value_mask` / `key_mask`; `Attention` and
`AdditiveAttention` take `mask=[query_mask, value_mask]`. Both pass the query's mask on to their
output.
"""
import functools
import inspect
import math
import numbers
import re
import string

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from jkeras.core import activations, constraints, initializers, regularizers
from jkeras.core._initializer_classes import VarianceScaling
from jkeras.layers._quantize import EinsumQuantization, QuantizableMixin, int8_contract
from jkeras.models import call_scope
from jkeras.models.layer import Layer
from jkeras.models.node import KerasTensor, map_structure
from jkeras.utils import naming

__all__ = ["EinsumDense", "MultiHeadAttention", "Attention", "AdditiveAttention", "Identity"]


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _serialize(module, obj):
    return None if obj is None else module.serialize(obj)


def _large_negative(dtype):
    """Keras's fill for masked scores: -1e9 (-3e4 in float16)."""
    return -3e4 if jnp.dtype(dtype) == jnp.float16 else -1e9


def _dropout(layer, rng, values, rate, seed):
    """Inverted dropout of `values` at `rate` with a key from `rng` (pure)."""
    if rng is None:
        raise layer._error("training=True with dropout > 0 needs an `rng` key to draw the dropout mask")
    if seed is not None:
        rng = jax.random.fold_in(rng, seed)
    keep = 1.0 - rate
    kept = jax.random.bernoulli(rng, keep, values.shape)
    return jnp.where(kept, values / jnp.asarray(keep, values.dtype), jnp.zeros((), values.dtype))


# --------------------------------------------------------------------------------------------
# Dot-product attention as Keras's fused path computes it, in the form a CPU runs fast


def _attention_probs(query, key, mask, scale):
    """The float32 softmax of the scaled logits `(B, N, T, S)` of `(B, N, T, H)` / `(B, N, S, H)`
    heads; masked logits filled with -0.7 * max (a fully masked row attends uniformly), as
    `jax.nn.dot_product_attention`."""
    logits = jnp.einsum("bnth,bnsh->bnts", query, key,
                        preferred_element_type=jnp.promote_types(query.dtype, jnp.float32))
    logits = logits * jnp.asarray(scale, logits.dtype)
    if mask is not None:
        logits = jnp.where(mask, logits, jnp.asarray(-0.7 * jnp.finfo(logits.dtype).max, logits.dtype))
    return jax.nn.softmax(logits.astype(jnp.float32), axis=-1)


def _attention_weights(probs, mask, keep, zero_masked, dtype):
    """The probabilities the values are averaged with: masked ones zeroed (`zero_masked`, as
    Keras's written-out path), times the dropout multiplier `keep` (or None), in `dtype`."""
    if zero_masked and mask is not None:
        probs = jnp.where(mask, probs, jnp.zeros((), probs.dtype))
    if keep is not None:
        probs = probs * keep
    return probs.astype(dtype)


def _heads_first(t):
    """`(B, T, N, H)` <-> `(B, N, T, H)`: the layout `_cpu_attention` takes and returns."""
    return jnp.swapaxes(t, 1, 2)


@functools.partial(jax.custom_jvp, nondiff_argnums=(5, 6))
def _cpu_attention(query, key, value, mask, keep, scale, zero_masked):
    """`jax.nn.dot_product_attention(..., implementation="xla")` over heads laid out `(B, N, T, H)`,
    with a tangent rule of its own. XLA's CPU backend fuses the softmax (and its derivative) with
    the matrix products next to it into kernels that run 3-10x slower than the products apart:
    the rule keeps them apart with `lax.optimization_barrier`, which its transpose, the gradient,
    keeps too (2 heads, 200 tokens, batch 32: forward 4.5 -> 2.5 ms, gradient 24 -> 8 ms). A
    `custom_jvp` of plain JAX: every transformation applies.

    `keep`: None, or the dropout multiplier of the probabilities (0 or 1 / (1 - rate) each);
    `zero_masked`: masked probabilities are zeros (Keras's written-out path: a fully masked row
    attends nowhere) rather than the softmax of the filled logits.
    """
    probs = _attention_probs(query, key, mask, scale)
    return jnp.einsum("bnts,bnsh->bnth", _attention_weights(probs, mask, keep, zero_masked, key.dtype), value)


@functools.partial(_cpu_attention.defjvp, symbolic_zeros=True)
def _(scale, zero_masked, primals, tangents):
    query, key, value, mask, keep = primals
    d_query, d_key, d_value = tangents[:3]
    probs = jax.lax.optimization_barrier(_attention_probs(query, key, mask, scale))
    weights = _attention_weights(probs, mask, keep, zero_masked, key.dtype)
    out = jnp.einsum("bnts,bnsh->bnth", weights, value)
    d_out = jnp.zeros_like(out)
    d_logits = []
    if not isinstance(d_query, SymbolicZero):
        d_logits.append(jnp.einsum("bnth,bnsh->bnts", d_query, key, preferred_element_type=jnp.float32))
    if not isinstance(d_key, SymbolicZero):
        d_logits.append(jnp.einsum("bnth,bnsh->bnts", query, d_key, preferred_element_type=jnp.float32))
    if d_logits:
        d_logits = sum(d_logits[1:], d_logits[0]) * jnp.asarray(scale, jnp.float32)
        if mask is not None:
            d_logits = jnp.where(mask, d_logits, jnp.zeros((), d_logits.dtype))
        d_logits = jax.lax.optimization_barrier(d_logits)
        d_probs = jax.lax.optimization_barrier(probs * (d_logits - jnp.sum(d_logits * probs, -1, keepdims=True)))
        d_weights = _attention_weights(d_probs, mask, keep, zero_masked, key.dtype)
        d_out = d_out + jnp.einsum("bnts,bnsh->bnth", d_weights, value)
    if not isinstance(d_value, SymbolicZero):
        d_out = d_out + jnp.einsum("bnts,bnsh->bnth", weights, d_value)
    return out, d_out


# --------------------------------------------------------------------------------------------
# EinsumDense


def _analyze_einsum_string(layer, equation, bias_axes, input_shape, output_shape):
    """Keras's parse of `equation`: `(kernel_shape, bias_shape, full_output_shape, input_axes,
    output_axes)` for an input of `input_shape`; raises a ValueError naming the layer."""
    dot_replaced = re.sub(r"\.\.\.", "0", equation)
    for pattern, left_elided in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                                 ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                                 ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        split = re.match(pattern, dot_replaced)
        if split:
            return _analyze_split_string(layer, split, bias_axes, input_shape, output_shape, left_elided)
    raise layer._error(
        f"invalid einsum equation '{equation}': equations must be of the form [X],[Y]->[Z], "
        "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]..."
    )


def _analyze_split_string(layer, split, bias_axes, input_shape, output_shape, left_elided):
    input_spec, weight_spec, output_spec = split.group(1), split.group(2), split.group(3)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    has_ellipsis = "..." in layer.equation
    if elided < 0 or (elided > 0 and not has_ellipsis):
        expected = f">= {len(input_spec)}" if has_ellipsis else f"{len(input_spec)}"
        raise layer._error(
            f"equation '{layer.equation}' expects an input of rank {expected} (the input spec "
            f"'{input_spec}'), got an input of shape {input_shape}"
        )
    output_shape = list(output_shape)
    expected_out = len(output_spec) - (0 if left_elided else 1)
    if len(output_shape) != expected_out:
        raise layer._error(
            f"output_shape must have {expected_out} entries (the output spec '{output_spec}' without "
            f"its batch axis), got output_shape={tuple(output_shape)}"
        )
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        for i in range(len(input_shape) - elided, len(input_shape)):
            output_shape.append(input_shape[i])
    if left_elided:
        input_dim_map = {dim: (i + elided) - len(input_shape) for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: i + elided for i, dim in enumerate(output_spec)}
    else:
        input_dim_map = {dim: i for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: i for i, dim in enumerate(output_spec)}
    for dim in input_spec:
        size = input_shape[input_dim_map[dim]]
        if dim in output_dim_map:
            out = output_shape[output_dim_map[dim]]
            if out is not None and size is not None and out != size:
                raise layer._error(
                    f"input shape and output_shape do not match at the shared dimension '{dim}': the "
                    f"input has size {size}, output_shape asks for {out} (input shape {input_shape})"
                )
            if out is None:
                output_shape[output_dim_map[dim]] = size
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise layer._error(
                f"dimension '{dim}' of the output spec '{output_spec}' has no matching dimension in "
                f"the input spec '{input_spec}' or the weight spec '{weight_spec}'"
            )
    weight_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(weight_spec):
        if dim in output_dim_map:
            weight_shape.append(output_shape[output_dim_map[dim]])
            output_axes.append(i)
        elif dim in input_dim_map:
            weight_shape.append(input_shape[input_dim_map[dim]])
            input_axes.append(i)
        else:
            raise layer._error(
                f"weight dimension '{dim}' has no match in the input spec '{input_spec}' or the output "
                f"spec '{output_spec}': the kernel must be fully specified"
            )
    bias_shape = None
    if bias_axes is not None:
        num_left_elided = elided if left_elided else 0
        idx_map = {char: output_shape[i + num_left_elided] for i, char in enumerate(output_spec)}
        for char in bias_axes:
            if char not in output_spec:
                raise layer._error(
                    f"bias_axes='{bias_axes}': dimension '{char}' is not part of the output spec "
                    f"'{output_spec}'"
                )
        first = min(output_spec.find(char) for char in bias_axes)
        bias_shape = [idx_map[char] if char in bias_axes else 1 for char in output_spec[first:]]
        if not left_elided:
            bias_shape += [1] * elided
    return weight_shape, bias_shape, output_shape, input_axes, output_axes


class EinsumDense(QuantizableMixin, Layer):
    """A dense layer computed with `einsum`: `activation(einsum(equation, inputs, kernel) + bias)`.

    Args:
        equation: einsum equation `"<input>,<kernel>-><output>"` such as `"ab,bc->ac"`,
            `"...ab,bc->...ac"` or `"ab...,bc->ac..."`.
        output_shape: int or tuple, the output shape without the batch axis and the elided axes;
            None entries are taken from the input.
        activation: activation name or function (None: linear).
        bias_axes: None (no bias) or a string of output-spec letters that get a bias.
        kernel_initializer, bias_initializer: initializer names or objects.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers (or None).
        kernel_constraint, bias_constraint: constraints applied after each update (or None).
        quantization_config: optional `jkeras.quantizers.Int8QuantizationConfig` (or its config
            dict) of a layer with an int8 policy (`quantize("int8")` sets it).

    Weights:
        kernel (shape from the weight spec), then bias (the output spec from the first bias axis
        on, size 1 on the axes not in `bias_axes`). Quantized to int8 (`quantize("int8")`, for an
        equation without ellipsis): bias, kernel (int8) and kernel_scale (one scale per output
        channel, laid out on the output's axes), the last two non-trainable. To int4: the kernel
        flattened to `(contracted size, other size)` and packed two values per int8, its scale
        per column, and with a block size (default 128) kernel_zero and g_idx too.

    Raises:
        ValueError: for an equation of another form, an `output_shape` or input that does not fit
            the equation, or `bias_axes` not in the output spec.
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._configure_quantization(quantization_config)
        if not isinstance(equation, str):
            raise self._error(f"equation must be a str such as 'ab,bc->ac', got equation={equation!r}")
        self.equation = equation
        if _is_int(output_shape) or output_shape is None:
            output_shape = (output_shape,)
        if not isinstance(output_shape, (list, tuple)) or not all(
            d is None or (_is_int(d) and d > 0) for d in output_shape
        ):
            raise self._error(
                f"output_shape must be a positive int or a tuple of positive ints / None, got "
                f"output_shape={output_shape!r}"
            )
        self.partial_output_shape = tuple(None if d is None else int(d) for d in output_shape)
        if bias_axes is not None and not isinstance(bias_axes, str):
            raise self._error(f"bias_axes must be None or a str of output axes, got bias_axes={bias_axes!r}")
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get_for_weight(kernel_initializer)
        self.bias_initializer = initializers.get_for_weight(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        _analyze_einsum_string(self, equation, bias_axes, (None,) * (_min_rank(equation) + ("..." in equation)),
                               self.partial_output_shape)

    def _analyze(self, input_shape):
        return _analyze_einsum_string(self, self.equation, self.bias_axes, tuple(input_shape),
                                      self.partial_output_shape)

    def _check_input_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or not all(d is None or _is_int(d) for d in input_shape):
            raise self._error(f"expected a single input tensor, got input shape {input_shape}")
        kernel_shape = self._analyze(input_shape)[0]
        if any(d is None for d in kernel_shape):
            raise self._error(
                f"the kernel shape {tuple(kernel_shape)} of equation '{self.equation}' depends on an "
                f"input axis of unknown size: got input shape {input_shape}"
            )
        built_shape = tuple(self._own_weight("kernel").shape) if self.built else None
        if self.quantization_mode == "int4":  # held flattened to 2D and packed
            rows, columns = self._int4_matrix_size(tuple(kernel_shape))
            kernel_shape = (rows, (columns + 1) // 2)
        if self.built and tuple(kernel_shape) != built_shape:
            raise self._error(
                f"the layer was built for a kernel of shape {built_shape}; an "
                f"input of shape {input_shape} needs {tuple(kernel_shape)}"
            )

    def _kernel_initializer_for(self, input_axes, output_axes):
        """Keras 3: a variance-scaling initializer takes its fans from the kernel's input and output axes."""
        init = self.kernel_initializer
        if isinstance(init, VarianceScaling) and (init.input_axes is None or init.output_axes is None):
            config = {**init.get_config(), "input_axes": list(input_axes), "output_axes": list(output_axes)}
            return type(init).from_config(config)
        return init

    def init(self, rng, input_shape):
        self._check_input_shape(tuple(input_shape))
        kernel_shape, bias_shape, _, input_axes, output_axes = self._analyze(input_shape)
        k_kernel, k_bias = jax.random.split(rng)
        init = self._kernel_initializer_for(input_axes, output_axes)
        params = {"kernel": init(tuple(kernel_shape), self.dtype, key=k_kernel)}
        if bias_shape is not None:
            params["bias"] = self.bias_initializer(tuple(bias_shape), self.dtype, key=k_bias)
        if self.quantization_mode is not None:
            return self._quantized_variables(input_shape, params)
        return {"params": params, "state": {}}

    def _quantization_layout(self):
        return EinsumQuantization(self.equation)

    def _int8_shapes(self, input_shape):
        kernel_shape = tuple(self._analyze(tuple(input_shape))[0])
        return kernel_shape, self._quantization_layout().kernel_scale_shape(kernel_shape)

    def _quantize_matrix(self, matrix, config):
        from jkeras import quantizers

        layout = self._quantization_layout()
        quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=layout.kernel_reduced_axes))
        quantized, scale = quantizer(matrix, to_numpy=True)
        return quantized, layout.to_output(scale, layout.kernel)

    def _int8_einsum(self, state, inputs):
        layout = self._quantization_layout()
        dtype = self.compute_dtype
        equation = self.equation

        def contract(x, q):
            return jnp.einsum(equation, x, q, preferred_element_type=jnp.int32 if x.dtype == jnp.int8 else None)

        def gradient(upstream, q, s):
            return jnp.einsum(layout.gradient_equation, upstream, q.astype(dtype) / layout.to_kernel(s))

        return int8_contract(contract, gradient, jnp.asarray(inputs, dtype), state["kernel"],
                             state["kernel_scale"].astype(dtype), self.inputs_quantizer,
                             layout.input_reduced_axes, lambda x_scale: layout.to_output(x_scale, layout.input), dtype)

    def _quantize(self, mode, type_check, config):
        self._quantization_layout()  # an equation with an ellipsis: refused before anything changes
        super()._quantize(mode, type_check, config)

    _quantization_modes = ("int8", "int4")

    def _int4_matrix_size(self, kernel_shape):
        """`(rows, columns)` of the kernel flattened to 2D: the contracted axes' sizes, the others'."""
        reduced = self._quantization_layout().kernel_reduced_axes
        rows = int(np.prod([d for i, d in enumerate(kernel_shape) if i in reduced], dtype=np.int64))
        return rows, int(np.prod(kernel_shape, dtype=np.int64)) // rows

    def _quantize_int4(self, matrix, config, block_size):
        from jkeras import quantizers

        rows, columns = self._int4_matrix_size(matrix.shape)
        flat = np.reshape(np.asarray(matrix), (rows, columns))  # as Keras 3: contracted axes first
        if block_size is None:
            quantized, scale = quantizers.abs_max_quantize(flat, axis=0, value_range=(-8, 7), to_numpy=True)
            made = {"kernel_scale": jnp.squeeze(scale, axis=0)}
        else:
            quantized, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(flat, block_size=block_size)
            made = {"kernel_scale": scale, "kernel_zero": zero,
                    "g_idx": jnp.floor_divide(jnp.arange(rows, dtype="float32"), block_size)}
        packed, _, _ = quantizers.pack_int4(np.asarray(quantized), axis=-1)
        made["kernel_scale"] = jnp.asarray(made["kernel_scale"], self.variable_dtype)
        return {"kernel": packed, **made}

    def _int4_initial_state(self, input_shape):
        rows, columns = self._int4_matrix_size(tuple(self._analyze(tuple(input_shape))[0]))
        block_size = self._int4_block_size()
        state = {"kernel": jnp.zeros((rows, (columns + 1) // 2), jnp.int8)}
        if block_size is None:
            state["kernel_scale"] = jnp.ones((columns,), self.variable_dtype)
            return state
        groups = -(-rows // block_size)
        state.update(kernel_scale=jnp.ones((groups, columns), self.variable_dtype),
                     kernel_zero=jnp.zeros((groups, columns), jnp.int8),
                     g_idx=jnp.floor_divide(jnp.arange(rows, dtype="float32"), block_size))
        return state

    def _int4_einsum(self, state, inputs):
        from jkeras import quantizers

        layout = self._quantization_layout()
        dtype = self.compute_dtype
        inputs = jnp.asarray(inputs, dtype)
        kernel_shape = tuple(self._analyze(tuple(inputs.shape))[0])
        _, columns = self._int4_matrix_size(kernel_shape)
        unpacked = quantizers.unpack_int4(state["kernel"], columns, axis=-1)
        if "kernel_zero" in state:
            kernel = quantizers.dequantize_with_sz_map(unpacked, state["kernel_scale"], state["kernel_zero"],
                                                       state["g_idx"], group_axis=0).astype(dtype)
        else:
            kernel = unpacked.astype(dtype) / state["kernel_scale"]
        kernel = jax.lax.stop_gradient(jnp.reshape(kernel, kernel_shape))
        quantizer = self.inputs_quantizer if "kernel_zero" not in state else None
        if quantizer is None:
            return jnp.einsum(self.equation, inputs, kernel)
        equation = self.equation
        return int8_contract(lambda x, k: jnp.einsum(equation, x, k),
                             lambda upstream, k, _: jnp.einsum(layout.gradient_equation, upstream, k),
                             inputs, kernel, jnp.ones((), dtype), quantizer, layout.input_reduced_axes,
                             lambda x_scale: layout.to_output(x_scale, layout.input), dtype)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        params = variables["params"]
        if self.quantization_mode is not None:
            if self.quantization_mode == "int4":
                outputs = self._int4_einsum(variables["state"], inputs)
            else:
                outputs = self._int8_einsum(variables["state"], inputs)
            if "bias" in params:
                outputs = outputs + params["bias"]
            return self.activation(outputs), variables["state"]
        outputs = jnp.einsum(self.equation, jnp.asarray(inputs), params["kernel"])
        if "bias" in params:
            outputs = outputs + params["bias"]
        return self.activation(outputs), variables["state"]

    def compute_output_shape(self, input_shape):
        return tuple(self._analyze(tuple(input_shape))[2])

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize(regularizers, self.kernel_regularizer),
            "bias_regularizer": _serialize(regularizers, self.bias_regularizer),
            "activity_regularizer": _serialize(regularizers, self.activity_regularizer),
            "kernel_constraint": _serialize(constraints, self.kernel_constraint),
            "bias_constraint": _serialize(constraints, self.bias_constraint),
            **self._quantization_config_entry(),
        }


EinsumDense._quantizable_class = EinsumDense


def _min_rank(equation):
    """The rank of the input spec of `equation` (0 when it does not parse)."""
    left = equation.split(",")[0] if isinstance(equation, str) else ""
    return len(left.replace("...", ""))


# --------------------------------------------------------------------------------------------
# MultiHeadAttention: equation builders as Keras's


def _letter(i):
    return string.ascii_lowercase[i]


def _build_attention_equation(rank, attn_axes):
    """`(dot_product_equation, combine_equation, scores_rank)` for projected tensors of `rank`."""
    target = "".join(_letter(i) for i in range(rank))
    batch_dims = tuple(np.delete(range(rank), attn_axes + (rank - 1,)))
    offset = rank
    source = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _letter(offset)
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _build_proj_equation(free_dims, bound_dims, output_dims):
    """`(equation, bias_axes, output_rank)` of a projection inside multi-head attention."""
    input_str = kernel_str = output_str = bias_axes = ""
    for i in range(free_dims):
        input_str += _letter(i)
        output_str += _letter(i)
    for i in range(bound_dims):
        input_str += _letter(free_dims + i)
        kernel_str += _letter(free_dims + i)
    for i in range(output_dims):
        char = _letter(free_dims + bound_dims + i)
        kernel_str += char
        output_str += char
        bias_axes += char
    return f"{input_str},{kernel_str}->{output_str}", bias_axes, len(output_str)


def _get_output_shape(output_rank, known_last_dims):
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)


_MHA_INPUTS = ("query", "value", "key", "query_mask", "value_mask", "key_mask", "attention_mask")


def _is_tensor(value):
    return isinstance(value, (KerasTensor, jax.Array, np.ndarray))


def _reserve_attention_layer_names():
    """Takes the default names of the `Softmax` and `Dropout` layers that Keras 3's attention layers
    create when they build (jkeras computes both inline), so the layers a model creates afterwards
    get Keras 3's names (a transformer's own `Dropout` layers are `dropout_1`, ... there)."""
    naming.uniquify("softmax")
    naming.uniquify("dropout")


def _overrides_keras3_compute_attention(cls):
    """Whether a user subclass defines `_compute_attention` with Keras 3's arguments (no `rng`)."""
    method = cls._compute_attention
    if method.__module__.startswith("jkeras."):
        return False
    return "rng" not in inspect.signature(method).parameters


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017), as Keras's `MultiHeadAttention`.

    `query`, `key` and `value` are projected per head by `EinsumDense` sublayers (`query`, `key`,
    `value`), the scaled dot products `query . key / sqrt(key_dim)` are softmaxed over the attention
    axes, the heads' weighted sums of `value` are projected by `attention_output`.

    Args:
        num_heads: positive int, the number of attention heads.
        key_dim: positive int, the size of each head for query and key.
        value_dim: positive int, the size of each head for value (default `key_dim`).
        dropout: float in [0, 1), dropout on the attention probabilities (training only).
        use_bias: whether the projections have biases.
        output_shape: int or tuple, the output's shape after the batch and attention axes
            (default: the query's last axis).
        attention_axes: int or tuple of query axes attention runs over (default: all axes but
            the batch, heads and feature axes).
        sliding_window: None or a positive int: each query position attends only to key
            positions less than `sliding_window` away.
        flash_attention: accepted for Keras compatibility; `True` forbids `dropout` and
            `return_attention_scores` as in Keras (the computation is the same).
        kernel_initializer, bias_initializer: initializers of the projections.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers of the projections.
        kernel_constraint, bias_constraint: constraints of the projections.
        use_gate: whether a sigmoid gate `gate(query)` (an `EinsumDense` named `gate`) multiplies
            the heads' outputs.
        seed: optional int mixed into the dropout key.

    Call arguments:
        query: array `(B, T, dim)` (or `(B, ..., dim)`).
        value: array `(B, S, dim)`.
        key: optional array `(B, S, dim)`; default `value`.
        query_mask, value_mask, key_mask: optional boolean masks `(B, T)` / `(B, S)`; by default
            the Keras masks that reach `query`, `value`, `key` in a model.
        attention_mask: optional boolean mask `(B, T, S)`: True where a query position may attend
            to a key position.
        return_attention_scores: also return the attention probabilities `(B, num_heads, T, S)`.
        training: whether dropout is on.
        use_causal_mask: whether position `i` may attend only to positions `j <= i`.

    Returns:
        The attention output `(B, T, E)` (`E`: the query's last axis, or `output_shape`), and
        with `return_attention_scores` the tuple `(output, scores)`.

    Raises:
        ValueError: for invalid arguments, `value` and `key` shapes that differ except in their
            last axis, attention axes outside the query, or masks that do not match the inputs.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value, optional in (("num_heads", num_heads, False), ("key_dim", key_dim, False),
                                     ("value_dim", value_dim, True)):
            if not (optional and value is None) and (not _is_int(value) or value <= 0):
                expected = "a positive integer" + (" or None" if optional else "")
                raise self._error(f"invalid value for argument `{arg}`, expected {expected}; received: "
                                  f"{arg}={value!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise self._error(f"`dropout` must be a float in [0, 1); received: dropout={dropout!r}")
        self.supports_masking = True
        self._num_heads = int(num_heads)
        self._key_dim = int(key_dim)
        self._value_dim = int(value_dim) if value_dim else self._key_dim
        self._dropout = float(dropout)
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        if output_shape:
            if _is_int(output_shape):
                output_shape = (output_shape,)
            if not isinstance(output_shape, (list, tuple)) or not all(_is_int(d) and d > 0 for d in output_shape):
                raise self._error(f"`output_shape` must be an int or a tuple / list of positive ints; "
                                  f"received: output_shape={output_shape!r}")
            output_shape = tuple(int(d) for d in output_shape)
        self._output_shape = output_shape or None
        if _is_int(attention_axes):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None:
            if not isinstance(attention_axes, (list, tuple)) or not all(_is_int(a) for a in attention_axes):
                raise self._error(f"`attention_axes` must be an int, list, or tuple of ints; received: "
                                  f"attention_axes={attention_axes!r}")
            attention_axes = tuple(int(a) for a in attention_axes) or None
        self._attention_axes = attention_axes
        if sliding_window is not None and (not _is_int(sliding_window) or sliding_window <= 0):
            raise self._error(f"`sliding_window` must be None or a positive integer; received: "
                              f"sliding_window={sliding_window!r}")
        self._sliding_window = None if sliding_window is None else int(sliding_window)
        self._flash_attention = bool(flash_attention)
        if self._flash_attention and self._dropout > 0.0:
            raise self._error("dropout is not supported when flash attention is enabled: set dropout to "
                              f"0.0 to use flash attention; received: dropout={dropout!r}")
        self._kernel_initializer = initializers.get_for_weight(kernel_initializer)
        self._bias_initializer = initializers.get_for_weight(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        # Sublayers (created on build), under Keras's attribute names (its weights-file paths).
        self.query_dense = self.key_dense = self.value_dense = self.output_dense = self._gate_dense = None
        self._built_ranks = None

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)

    # ---- calling: query / value / key / masks travel as one dict of inputs (graph edges)

    def __call__(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
                 attention_mask=None, **kwargs):
        if value is None:
            packed = self._packed(query)
        else:
            given = dict(query=query, value=value, key=key, query_mask=query_mask, value_mask=value_mask,
                         key_mask=key_mask, attention_mask=attention_mask)
            packed = {k: v for k, v in given.items() if v is not None}
        for k, v in kwargs.items():
            if _is_tensor(v):
                raise self._error(
                    f"got a tensor as the keyword argument `{k}`; the call's tensor arguments are "
                    f"{list(_MHA_INPUTS)}"
                )
        return super().__call__(packed, **kwargs)

    def _packed(self, inputs):
        """The inputs dict from a dict (jkeras configs) or `[query, value(, key)]` (Keras 3 configs)."""
        if isinstance(inputs, dict):
            unknown = [k for k in inputs if k not in _MHA_INPUTS]
            if unknown or "query" not in inputs or "value" not in inputs:
                raise self._error(f"inputs must hold 'query' and 'value' (and optionally {list(_MHA_INPUTS[2:])}); "
                                  f"got keys {list(inputs)}")
            return {k: inputs[k] for k in _MHA_INPUTS if inputs.get(k) is not None}
        if isinstance(inputs, (list, tuple)) and len(inputs) in (2, 3):
            return dict(zip(("query", "value", "key"), inputs))
        raise self._error("missing the `value` argument: call the layer as `mha(query, value)` or "
                          f"`mha(query, value, key)`; got only query={inputs!r}")

    def _shapes(self, input_shape, value_shape=None, key_shape=None):
        """`(query_shape, value_shape, key_shape)` from Keras's separate shapes or a packed dict."""
        if value_shape is None:
            shapes = input_shape
            if isinstance(shapes, (list, tuple)) and shapes and isinstance(shapes[0], (list, tuple)):
                shapes = dict(zip(("query", "value", "key"), shapes))
            if not isinstance(shapes, dict) or "query" not in shapes or "value" not in shapes:
                raise self._error(f"expected the shapes of query and value, got {input_shape!r}")
            input_shape, value_shape, key_shape = shapes["query"], shapes["value"], shapes.get("key")
        query_shape, value_shape = tuple(input_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) < 3:
                raise self._error(f"`{name}` must have rank >= 3 (batch, ..., features); received: "
                                  f"{name}_shape={shape}")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise self._error("all dimensions of `value` and `key`, except the last one, must be equal; "
                              f"received: value_shape={value_shape} and key_shape={key_shape}")
        return query_shape, value_shape, key_shape

    def _check_input_shape(self, input_shape):
        query_shape, value_shape, key_shape = self._shapes(input_shape)
        if self._built_ranks is not None and self._built_ranks != (len(query_shape), len(value_shape), len(key_shape)):
            raise self._error(
                f"the layer was built for query / value / key of ranks {self._built_ranks}, got shapes "
                f"{query_shape}, {value_shape}, {key_shape}"
            )
        for name, sub, shape in (("query", self.query_dense, query_shape), ("key", self.key_dense, key_shape),
                                 ("value", self.value_dense, value_shape)):
            if sub is not None and sub.built and shape[-1] != sub._own_weight("kernel").shape[0]:
                raise self._error(f"the layer was built for a `{name}` of last axis "
                                  f"{sub._own_weight('kernel').shape[0]}, received: {name}_shape={shape}")

    # ---- building

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the projection sublayers and their weights.

        Args:
            query_shape: shape of `query` (or a dict / list of the input shapes).
            value_shape: shape of `value`.
            key_shape: optional shape of `key` (default `value_shape`).
        """
        shapes = self._shapes(query_shape, value_shape, key_shape)
        packed = {"query": shapes[0], "value": shapes[1], "key": shapes[2]}
        self._check_input_shape(packed)
        Layer.build(self, packed)

    def _common_kwargs(self):
        return dict(kernel_initializer=self._kernel_initializer, bias_initializer=self._bias_initializer,
                    kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype_policy, trainable=self.trainable)

    def _projection(self, rank, bound_dims, last_dims, name, activation=None):
        equation, bias_axes, output_rank = _build_proj_equation(rank - 1, bound_dims, len(last_dims))
        return EinsumDense(equation, output_shape=_get_output_shape(output_rank - 1, last_dims),
                           bias_axes=bias_axes if self._use_bias else None, activation=activation,
                           name=name, **self._common_kwargs())

    def _make_sublayers(self, query_shape, value_shape, key_shape):
        ranks = (len(query_shape), len(value_shape), len(key_shape))
        if self._built_ranks is not None:
            return
        rank = ranks[0] + 1  # of the projected tensors (B, ..., heads, size)
        if self._attention_axes is None:
            axes = tuple(range(1, rank - 2))
        else:
            axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
            if any(not 1 <= a <= rank - 3 for a in axes) or len(set(axes)) != len(axes):
                raise self._error(
                    f"`attention_axes` must be distinct axes of the query other than its batch and feature "
                    f"axes (1 to {rank - 3}, or negative); received: attention_axes={self._attention_axes} "
                    f"for a query of shape {query_shape}"
                )
        heads = [self._num_heads, self._key_dim]
        self.query_dense = self._projection(ranks[0], 1, heads, "query")
        self.key_dense = self._projection(ranks[2], 1, heads, "key")
        if self._use_gate:
            self._gate_dense = self._projection(ranks[0], 1, [self._num_heads, self._value_dim], "gate", "sigmoid")
        self.value_dense = self._projection(ranks[1], 1, [self._num_heads, self._value_dim], "value")
        self.output_dense = self._projection(ranks[0], 2, list(self._output_shape or [query_shape[-1]]),
                                             "attention_output")
        self._attention_axes = axes
        _reserve_attention_layer_names()
        self._dot_product_equation, self._combine_equation, scores_rank = _build_attention_equation(rank, axes)
        self._norm_axes = tuple(range(scores_rank - len(axes), scores_rank))
        self._sublayers = [s for s in (self.query_dense, self.key_dense, self._gate_dense, self.value_dense,
                                       self.output_dense) if s is not None]
        self._built_ranks = ranks

    def init(self, rng, input_shape):
        query_shape, value_shape, key_shape = self._shapes(input_shape)
        self._make_sublayers(query_shape, value_shape, key_shape)
        self._check_input_shape({"query": query_shape, "value": value_shape, "key": key_shape})
        projected = list(self.query_dense.compute_output_shape(query_shape))
        projected[-1] = self._value_dim
        shapes = {"query": query_shape, "key": key_shape, "gate": query_shape, "value": value_shape,
                  "attention_output": tuple(projected)}
        out = {"params": {}, "state": {}}
        for i, sub in enumerate(self._sublayers):
            v = sub.init(jax.random.fold_in(rng, i), shapes[sub.name])
            for collection in ("params", "state"):
                if v[collection]:
                    out[collection][sub.name] = v[collection]
        return out

    # ---- computing

    def _sub(self, variables, sub, inputs):
        part = {c: variables[c].get(sub.name, {}) for c in ("params", "state")}
        return sub.forward(part, inputs)[0]

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None, return_attention_scores=False,
              use_causal_mask=False):
        inputs = self._packed(inputs)
        masks = mask if isinstance(mask, dict) else {}
        query, value = jnp.asarray(inputs["query"]), jnp.asarray(inputs["value"])
        key = jnp.asarray(inputs["key"]) if "key" in inputs else value
        self._check_input_shape({"query": query.shape, "value": value.shape, "key": key.shape})
        if self._flash_attention and return_attention_scores:
            raise self._error("returning attention scores is not supported when flash attention is enabled")
        query_mask = inputs.get("query_mask", masks.get("query"))
        value_mask = inputs.get("value_mask", masks.get("value"))
        key_mask = inputs.get("key_mask", masks.get("key") if "key" in inputs else None)
        gate = self._sub(variables, self._gate_dense, query) if self._use_gate else None
        query = self._sub(variables, self.query_dense, query)  # (B, T, N, H)
        key = self._sub(variables, self.key_dense, key)  # (B, S, N, H)
        value = self._sub(variables, self.value_dense, value)  # (B, S, N, H)
        attention_mask = self._compute_attention_mask(
            query, value, query_mask, value_mask, key_mask, inputs.get("attention_mask"), use_causal_mask
        )
        if _overrides_keras3_compute_attention(type(self)):
            # A subclass's Keras 3 `_compute_attention(query, key, value, attention_mask, training,
            # return_attention_scores)` (keras-io vit_small_ds's locality self-attention): its
            # `self._dropout_layer` draws from this call's key.
            self._call_rng = rng
            try:  # its own weights (`self.tau`) read as this call's arrays
                with call_scope.opened(call_scope.ApplyScope(self, variables, training, rng)):
                    output, scores = self._compute_attention(
                        query, key, value, attention_mask, training, return_attention_scores
                    )
            finally:
                self._call_rng = None
        else:
            output, scores = self._compute_attention(
                query, key, value, attention_mask, training, rng, return_attention_scores
            )
        if gate is not None:
            output = output * gate
        output = self._sub(variables, self.output_dense, output)
        return ((output, scores) if return_attention_scores else output), variables["state"]

    def _compute_attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                                use_causal_mask):
        """The boolean attention mask: the AND of the given masks, Keras-expanded (pure)."""
        parts = []  # (name, given shape, expanded boolean mask)
        if query_mask is not None:
            m = jnp.asarray(query_mask)
            parts.append(("query_mask", m.shape, jnp.expand_dims(m.astype(bool), -1)))
        for name, m in (("value_mask", value_mask), ("key_mask", key_mask)):
            if m is not None:
                m = jnp.asarray(m)
                parts.append((name, m.shape, jnp.expand_dims(m.astype(bool), -2)))
        t_len, s_len = query.shape[1], value.shape[1]
        rows = jnp.arange(t_len)[None, :, None]
        cols = jnp.arange(s_len)[None, None, :]
        if use_causal_mask:
            parts.append(("causal mask", (1, t_len, s_len), rows >= cols))
        if self._sliding_window is not None:
            parts.append(("sliding window mask", (1, t_len, s_len), jnp.abs(rows - cols) < self._sliding_window))
        if attention_mask is not None:
            m = jnp.asarray(attention_mask)
            parts.append(("attention_mask", m.shape, m.astype(bool)))
        if not parts:
            return None
        try:
            np.broadcast_shapes(*[p.shape for _, _, p in parts])
        except ValueError:
            received = ", ".join(f"{name} of shape {tuple(shape)}" for name, shape, _ in parts)
            raise self._error(
                "the masks do not broadcast together to (batch, query length, key length) = "
                f"({query.shape[0]}, {t_len}, {s_len}); expected query_mask (batch, query length), "
                f"value_mask / key_mask (batch, key length), attention_mask (batch, query length, key "
                f"length); received: {received}"
            ) from None
        combined = parts[0][2]
        for _, _, p in parts[1:]:
            combined = jnp.logical_and(combined, p)
        return combined

    def _scores_shape(self, query_shape, key_shape):
        """The shape of the attention scores for projected `query` / `key` shapes."""
        return jax.eval_shape(lambda q, k: jnp.einsum(self._dot_product_equation, k, q),
                              jax.ShapeDtypeStruct(query_shape, jnp.float32),
                              jax.ShapeDtypeStruct(key_shape, jnp.float32)).shape

    def _compute_attention(self, query, key, value, attention_mask, training, rng, return_attention_scores):
        """`(output, scores)` of dot-product attention over projected tensors (pure); `scores` is
        None where Keras takes its fused path (no dropout, no scores asked, 4-D projections) and
        in inference without scores asked."""
        scores_shape = self._scores_shape(query.shape, key.shape)
        if attention_mask is not None:
            axis = -len(self._attention_axes) * 2 - 1
            for _ in range(len(scores_shape) - attention_mask.ndim):
                attention_mask = jnp.expand_dims(attention_mask, axis)
            try:
                if np.broadcast_shapes(attention_mask.shape, scores_shape) != tuple(scores_shape):
                    raise ValueError
            except ValueError:
                raise self._error(
                    f"the attention mask must broadcast to the attention scores of shape {tuple(scores_shape)} "
                    f"(batch, heads, query length, key length); the combined mask has shape "
                    f"{tuple(attention_mask.shape)} after inserting the heads axis"
                ) from None
        # Keras's fused path; also in inference with a dropout rate, where Keras writes the einsums
        # out: the same numbers (a query that may attend nowhere gets zeros there), 7x faster on a
        # CPU (below).
        if not ((training and self._dropout > 0.0) or return_attention_scores or query.ndim != 4):
            output = self._fused_attention(query, key, value, attention_mask)
            if self._dropout > 0.0 and attention_mask is not None:
                attends = jnp.transpose(jnp.any(attention_mask, axis=-1), (0, 2, 1))[..., None]
                output = output * attends.astype(output.dtype)
            return output, None
        if (training and self._dropout > 0.0 and not return_attention_scores and query.ndim == 4
                and jax.default_backend() == "cpu" and query.dtype == key.dtype == value.dtype == jnp.float32):
            # The written-out path's function in the CPU form of the fused one (`_cpu_attention`):
            # the same dropout mask (drawn as `_dropout` draws it), masked probabilities zeroed.
            keep = _dropout(self, rng, jnp.ones(scores_shape, jnp.float32), self._dropout, self.seed)
            return self._attention_on_cpu(query, key, value, attention_mask, keep, True), None
        query = query * jnp.asarray(self._inverse_sqrt_key_dim, query.dtype)
        scores = self._masked_softmax(jnp.einsum(self._dot_product_equation, key, query), attention_mask)
        probs = scores
        if training and self._dropout > 0.0:
            probs = _dropout(self, rng, scores, self._dropout, self.seed)
        return jnp.einsum(self._combine_equation, probs, value), scores

    def _attention_on_cpu(self, query, key, value, attention_mask, keep, zero_masked):
        """`_cpu_attention` over `(B, T, N, H)` projections (see there)."""
        return _heads_first(_cpu_attention(_heads_first(query), _heads_first(key), _heads_first(value),
                                           attention_mask, keep, self._inverse_sqrt_key_dim, zero_masked))

    def _fused_attention(self, query, key, value, attention_mask):
        """What Keras's `ops.dot_product_attention` computes on JAX: masked logits filled with
        -0.7 * max, the softmax in float32, a fully masked row attending uniformly."""
        if jax.default_backend() == "cpu":
            return self._attention_on_cpu(query, key, value, attention_mask, None, False)
        if key.shape[-1] == value.shape[-1]:  # JAX's takes value heads as wide as the key's only
            # Its own call: the same einsums written out run 7x slower on a CPU, where XLA fuses
            # them with the softmax into one slow kernel (2 heads, 200 tokens: 26 against 3.5 ms).
            dtype = jnp.result_type(query.dtype, key.dtype, value.dtype)
            return jax.nn.dot_product_attention(
                query.astype(dtype), key.astype(dtype), value.astype(dtype),
                mask=None if attention_mask is None else attention_mask.astype(bool),
                scale=self._inverse_sqrt_key_dim, implementation="xla")
        logits_dtype = jnp.promote_types(query.dtype, jnp.float32)
        logits = jnp.einsum("BTNH,BSNH->BNTS", query, key, preferred_element_type=logits_dtype)
        logits = logits * jnp.asarray(self._inverse_sqrt_key_dim, logits.dtype)
        if attention_mask is not None:
            fill = jnp.asarray(-0.7 * jnp.finfo(logits.dtype).max, logits.dtype)
            logits = jnp.where(attention_mask, logits, fill)
        probs = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(key.dtype)
        return jnp.einsum("BNTS,BSNH->BTNH", probs, value)

    def _masked_softmax(self, attention_scores, attention_mask=None):
        """Keras 3's helper (pure): the softmax over the key axes, masked positions at zero; a mask
        without the heads axis gets it."""
        scores = jnp.asarray(attention_scores)
        if attention_mask is not None:
            attention_mask = jnp.asarray(attention_mask).astype(bool)
            for _ in range(scores.ndim - attention_mask.ndim):
                attention_mask = jnp.expand_dims(attention_mask, -len(self._attention_axes) * 2 - 1)
            scores = jnp.where(attention_mask, scores, jnp.asarray(_large_negative(scores.dtype), scores.dtype))
        scores = jax.nn.softmax(scores, axis=self._norm_axes)
        if attention_mask is not None:
            scores = jnp.where(attention_mask, scores, jnp.zeros((), scores.dtype))
        return scores

    @property
    def _dropout_layer(self):
        """Keras 3's attention dropout, called as `self._dropout_layer(scores, training=...)` by a
        subclass's `_compute_attention`, with the key of the call running it."""
        def dropout(values, training=None):
            if not training or self._dropout <= 0.0:
                return values
            return _dropout(self, getattr(self, "_call_rng", None), values, self._dropout, self.seed)

        return dropout

    # ---- shapes, masks, config

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, _, _ = self._shapes(query_shape, value_shape, key_shape)
        if self._output_shape:
            return query_shape[:-1] + self._output_shape
        return query_shape

    def _infer_output_spec(self, inputs, kwargs):
        shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else tuple(jnp.shape(t)), inputs)
        output = KerasTensor(self.compute_output_shape(shapes), self.compute_dtype)
        if not kwargs.get("return_attention_scores"):
            return output
        query_shape, value_shape, key_shape = self._shapes(shapes)
        fill = lambda s: tuple(7 if d is None else d for d in s)  # noqa: E731
        projected = self.query_dense.compute_output_shape(fill(query_shape))
        scores = self._scores_shape(projected, self.key_dense.compute_output_shape(fill(key_shape)))
        # Unknown input sizes stay unknown: match each scores axis to its source axis.
        known = _scores_axes_sources(self._dot_product_equation)
        scores = tuple(d if src is None else (query_shape if src == "q" else key_shape)[axis]
                       for d, (src, axis) in zip(scores, known))
        return output, KerasTensor(scores, self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        """The query's mask (the explicit `query_mask`, else the Keras mask of `query`), or None."""
        explicit = inputs.get("query_mask") if isinstance(inputs, dict) else None
        if explicit is not None:
            return jnp.asarray(explicit)
        if isinstance(mask, dict):
            return mask.get("query")
        if isinstance(mask, (list, tuple)):
            return mask[0] if mask else None
        return None

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": _serialize(regularizers, self._kernel_regularizer),
            "bias_regularizer": _serialize(regularizers, self._bias_regularizer),
            "activity_regularizer": _serialize(regularizers, self._activity_regularizer),
            "kernel_constraint": _serialize(constraints, self._kernel_constraint),
            "bias_constraint": _serialize(constraints, self._bias_constraint),
            "seed": self.seed,
        }


def _scores_axes_sources(dot_product_equation):
    """For each scores axis: `("q", i)` / `("k", i)` the input axis it comes from (None: heads)."""
    source, rest = dot_product_equation.split(",")
    target, product = rest.split("->")
    rank = len(target)
    out = []
    for char in product:
        if char in target and target.index(char) == rank - 2:
            out.append((None, 0))
        elif char in target:
            out.append(("q", target.index(char)))
        else:
            out.append(("k", source.index(char)))
    return out


# --------------------------------------------------------------------------------------------
# Attention, AdditiveAttention


class Attention(Layer):
    """Dot-product (Luong-style) attention over `[query, value]` or `[query, value, key]`.

    Scores are `query @ key^T` ("dot", times `scale` with `use_scale`) or
    `concat_score_weight * sum(tanh(scale * (query + key)))` ("concat"); their softmax over the
    value axis weights the sum of `value`.

    Args:
        use_scale: whether to learn a scalar `scale` of the scores.
        score_mode: "dot" or "concat".
        dropout: float in [0, 1), dropout on the attention probabilities (training only).
        seed: optional int mixed into the dropout key.

    Call arguments:
        inputs: a list `[query (B, Tq, dim), value (B, Tv, dim)]` or with `key (B, Tv, dim)` third.
        mask: optional list `[query_mask (B, Tq), value_mask (B, Tv)]` (a third entry is ignored):
            outputs at masked query positions are 0; masked value positions get no attention.
        return_attention_scores: also return the attention probabilities `(B, Tq, Tv)`.
        training: whether dropout is on.
        use_causal_mask: whether query position `i` may attend only to value positions `j <= i`.

    Returns:
        The output `(B, Tq, dim)`, and with `return_attention_scores` the tuple `(output, scores)`.

    Raises:
        ValueError: for an unknown `score_mode`, a `dropout` outside [0, 1), inputs that are not a
            list of 2 or 3 tensors of matching shapes, or a mask that is not a list of 2 or 3.
    """

    _score_modes = ("dot", "concat")

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in self._score_modes:
            raise self._error("invalid value for argument score_mode: expected one of {'dot', 'concat'}; "
                              f"received: score_mode={score_mode!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise self._error(f"dropout must be a float in [0, 1); received: dropout={dropout!r}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self.supports_masking = True

    def _validate_inputs(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise self._error("must be called on a list of inputs, namely [query, value] or [query, value, key]; "
                              f"received: inputs of type {type(inputs).__name__}")
        if not 2 <= len(inputs) <= 3:
            raise self._error("accepts an inputs list of length 2 or 3, namely [query, value] or "
                              f"[query, value, key]; received length: {len(inputs)}")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise self._error("mask must be a list, namely [query_mask, value_mask]; received: mask of "
                                  f"type {type(mask).__name__}")
            if not 2 <= len(mask) <= 3:
                raise self._error(f"accepts a mask list of length 2 or 3; received length: {len(mask)}")

    def _check_input_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise self._error("must be called on a list of inputs, namely [query, value] or [query, value, key]; "
                              f"received: a single input of shape {input_shape}")
        self._validate_inputs(input_shape)
        shapes = [tuple(s) for s in input_shape]
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) > 2 else value
        for name, shape in (("query", query), ("value", value), ("key", key)):
            if len(shape) < 2:
                raise self._error(f"`{name}` must have rank >= 2 (batch, ..., dim); received shape {shape}")
        if key[:-1] != value[:-1] and None not in key[:-1] + value[:-1]:
            raise self._error(f"`key` and `value` must have the same shape except the last axis; received "
                              f"value shape {value} and key shape {key}")
        if query[-1] is not None and key[-1] is not None and query[-1] != key[-1]:
            raise self._error(f"`query` and `key` must have the same last axis; received query shape {query} "
                              f"and key shape {key}")
        if self.built and "scale" in self._params and self._params["scale"].ndim == 1 \
                and query[-1] != self._params["scale"].shape[0]:
            raise self._error(f"the layer was built for a last axis of {self._params['scale'].shape[0]}; "
                              f"received query shape {query}")

    def init(self, rng, input_shape):
        self._check_input_shape(input_shape)
        params = {}
        if self.use_scale:
            params["scale"] = jnp.ones((), self.dtype)
        if self.score_mode == "concat":
            params["concat_score_weight"] = jnp.ones((), self.dtype)
        return {"params": params, "state": {}}

    def _calculate_scores(self, params, query, key):
        scale = params.get("scale")
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            return scores if scale is None else scores * scale
        q, k = jnp.expand_dims(query, -2), jnp.expand_dims(key, -3)
        summed = q + k if scale is None else scale * (q + k)
        return params["concat_score_weight"] * jnp.sum(jnp.tanh(summed), axis=-1)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None, return_attention_scores=False,
              use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        inputs = [jnp.asarray(x) for x in inputs]
        self._check_input_shape([tuple(x.shape) for x in inputs])
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(variables["params"], q, k)
        scores_mask = None if v_mask is None else jnp.asarray(v_mask).astype(bool)
        if use_causal_mask:
            causal = jnp.arange(scores.shape[-2])[:, None] >= jnp.arange(scores.shape[-1])[None, :]
            scores_mask = causal[None] if scores_mask is None else jnp.logical_and(
                jnp.expand_dims(scores_mask, -2), causal)
        elif scores_mask is not None and scores_mask.ndim == 2:
            scores_mask = jnp.expand_dims(scores_mask, -2)
        if scores_mask is not None:
            max_value = 65504.0 if scores.dtype == jnp.float16 else 1.0e9
            scores = jnp.where(scores_mask, scores, scores - max_value)
        weights = jax.nn.softmax(scores, axis=-1)
        dropped = weights
        if training and self.dropout > 0:
            dropped = _dropout(self, rng, weights, self.dropout, self.seed)
        output = jnp.matmul(dropped, v)
        if q_mask is not None:
            output = jnp.where(jnp.expand_dims(jnp.asarray(q_mask).astype(bool), -1), output,
                               jnp.zeros((), output.dtype))
        return ((output, weights) if return_attention_scores else output), variables["state"]

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return jnp.asarray(mask[0])

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        return tuple(input_shape[0][:-1]) + (tuple(input_shape[1])[-1],)

    def _infer_output_spec(self, inputs, kwargs):
        self._validate_inputs(inputs)
        shapes = [t.shape if isinstance(t, KerasTensor) else tuple(jnp.shape(t)) for t in inputs]
        output = KerasTensor(self.compute_output_shape(shapes), self.compute_dtype)
        if not kwargs.get("return_attention_scores"):
            return output
        key = shapes[2] if len(shapes) > 2 else shapes[1]
        return output, KerasTensor(tuple(shapes[0][:-1]) + (key[-2],), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: scores `sum(scale * tanh(query + key))` over the features.

    Args:
        use_scale: whether to learn a `scale` vector of shape `(dim,)` (glorot_uniform).
        dropout: float in [0, 1), dropout on the attention probabilities (training only).
        seed: optional int mixed into the dropout key.

    Call arguments and returns: as `Attention`.

    Raises:
        ValueError: as `Attention`.
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def init(self, rng, input_shape):
        self._check_input_shape(input_shape)
        params = {}
        if self.use_scale:
            dim = tuple(input_shape[0])[-1]
            params["scale"] = initializers.get("glorot_uniform")((dim,), self.dtype, key=rng)
        return {"params": params, "state": {}}

    def _calculate_scores(self, params, query, key):
        scale = params.get("scale", 1.0)
        return jnp.sum(scale * jnp.tanh(jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3)), axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


# --------------------------------------------------------------------------------------------
# Identity


class Identity(Layer):
    """Returns its inputs unchanged (a placeholder layer); masks pass through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return inputs, variables["state"]

    def compute_output_shape(self, input_shape):
        return input_shape

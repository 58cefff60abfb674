"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Lambda,
ActivityRegularization."""
import inspect

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import activations, config, constraints, initializers, regularizers
from jkeras.layers._lora import LoRAMixin
from jkeras.layers._quantize import QuantizableMixin, int8_contract
from jkeras.models import call_scope
from jkeras.models.layer import Layer
from jkeras.utils.legacy import KERNEL_RENAMES, LegacyInterface


def _positive_int(layer_name, arg, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer_name}: {arg} must be a positive int, got {value!r}")
    return int(value)


class Dense(QuantizableMixin, LoRAMixin, Layer):
    """Densely connected layer: `activation(inputs @ kernel + bias)`.

    Inputs of rank > 2 are contracted on their last axis: `(batch, ..., d) -> (batch, ..., units)`.

    Args:
        units: positive int, the output size.
        activation: activation name or function (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializer names or objects.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers (or None).
        kernel_constraint, bias_constraint: constraints applied after each update (or None).
        lora_rank: optional int: once built, the layer runs `enable_lora(lora_rank)` (Keras 3's LoRA:
            the kernel is frozen and `kernel + (lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b`
            is used).
        lora_alpha: optional scale of the LoRA update (default `lora_rank`).
        quantization_config: optional `jkeras.quantizers.Int8QuantizationConfig` (or its config
            dict) of a layer with an int8 policy (`quantize("int8")` sets it).

    Weights:
        kernel `(input_dim, units)`, bias `(units,)`; with LoRA also lora_kernel_a `(input_dim, rank)`
        and lora_kernel_b `(rank, units)`. Quantized to int8 (`quantize("int8")`, or a policy such as
        "int8_from_float32"): bias, kernel (int8, non-trainable), kernel_scale `(units,)`
        (non-trainable), computing `(q_inputs @ kernel) / (kernel_scale * inputs_scale)`. Quantized
        to int4 (`quantize("int4")`, policy "int4/<block_size>_from_float32"): bias, kernel (two
        int4 values per int8, `(input_dim, ceil(units / 2))`), kernel_scale, and with a block size
        (sub-channel, default 128) also kernel_zero `(groups, units)` and g_idx `(input_dim,)`.

    Raises:
        ValueError: if `units` is not a positive int, or LoRA is asked for with a kernel constraint.
    """

    _legacy = LegacyInterface(positional=("units",), renames={"output_dim": "units", **KERNEL_RENAMES})

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._configure_quantization(quantization_config)
        self.units = _positive_int(f"Dense '{self.name}'", "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get_for_weight(kernel_initializer)
        self.bias_initializer = initializers.get_for_weight(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._configure_lora(lora_rank, lora_alpha)
        self.supports_masking = True

    def _check_input_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 2:
            raise self._error(f"expected an input of rank >= 2 (batch, ..., features), got shape {input_shape}")
        if input_shape[-1] is None:
            raise self._error(f"the last axis of the input must be defined, got shape {input_shape}")
        rows = self._own_weight("kernel").shape[0] if self.built else None
        if self.built and input_shape[-1] != rows:
            raise self._error(
                f"expected the input's last axis to have size {rows} "
                f"(the layer was built for it), got shape {input_shape}"
            )

    def init(self, rng, input_shape):
        k_kernel, k_bias = jax.random.split(rng)
        params = {"kernel": self.kernel_initializer((input_shape[-1], self.units), self.dtype, key=k_kernel)}
        if self.use_bias:
            params["bias"] = self.bias_initializer((self.units,), self.dtype, key=k_bias)
        if self.lora_rank:
            params.update(self._lora_factors(jax.random.fold_in(rng, 1), input_shape[-1], self.units))
        if self.quantization_mode is not None:
            return self._quantized_variables(input_shape, params)
        return {"params": params, "state": {}}

    def _int8_shapes(self, input_shape):
        return (input_shape[-1], self.units), (self.units,)

    def _dequantized(self, quantized, scale):
        return quantized.astype(self.compute_dtype) / scale

    def _quantize_matrix(self, matrix, config):
        from jkeras import quantizers

        quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=0))
        quantized, scale = quantizer(matrix, to_numpy=True)
        return quantized, jnp.squeeze(scale, axis=0)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        params = variables["params"]
        if self.quantization_mode == "int4":
            outputs = self._int4_matmul(variables["state"], jnp.asarray(inputs, self.compute_dtype))
        elif self.quantization_mode is not None:
            inputs = jnp.asarray(inputs, self.compute_dtype)
            outputs = self._int8_matmul(variables["state"], inputs)
            if "lora_kernel_a" in params:
                update = jnp.matmul(jnp.matmul(inputs, params["lora_kernel_a"]), params["lora_kernel_b"])
                outputs = (outputs + (self.lora_alpha / self.lora_rank) * update).astype(self.compute_dtype)
        else:
            outputs = jnp.matmul(jnp.asarray(inputs, self.compute_dtype), self.lora_matrix(params))
        if self.use_bias:
            outputs = outputs + params["bias"]
        return self.activation(outputs), variables["state"]

    def _int8_matmul(self, state, inputs):
        dtype = self.compute_dtype
        scale = state["kernel_scale"].astype(dtype)

        def contract(x, q):
            return jnp.matmul(x, q, preferred_element_type=jnp.int32 if x.dtype == jnp.int8 else None)

        def gradient(upstream, q, s):
            return jnp.matmul(upstream, jnp.transpose(q.astype(dtype) / s))

        return int8_contract(contract, gradient, inputs, state["kernel"], scale, self.inputs_quantizer, -1,
                             lambda x_scale: x_scale, dtype)

    _quantization_modes = ("int8", "int4")

    def _quantize_int4(self, matrix, config, block_size):
        from jkeras import quantizers

        if block_size is None:  # per channel: a scale per output
            quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7), output_dtype="int8"))
            quantized, scale = quantizer(matrix, to_numpy=True)
            made = {"kernel_scale": jnp.squeeze(scale, axis=0)}
        else:  # per group of `block_size` input rows: a scale and a zero point per group and output
            quantized, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(
                matrix, block_size=block_size, to_numpy=True)
            rows = matrix.shape[0]
            made = {"kernel_scale": scale, "kernel_zero": zero,
                    "g_idx": jnp.floor_divide(jnp.arange(rows, dtype="float32"), block_size)}
        packed, _, _ = quantizers.pack_int4(np.asarray(quantized), axis=-1)
        made["kernel_scale"] = jnp.asarray(made["kernel_scale"], self.variable_dtype)
        return {"kernel": packed, **made}

    def _int4_initial_state(self, input_shape):
        rows = input_shape[-1]
        block_size = self._int4_block_size()
        state = {"kernel": jnp.zeros((rows, (self.units + 1) // 2), jnp.int8)}
        if block_size is None:
            state["kernel_scale"] = jnp.ones((self.units,), self.variable_dtype)
            return state
        groups = -(-rows // block_size)
        state.update(kernel_scale=jnp.ones((groups, self.units), self.variable_dtype),
                     kernel_zero=jnp.zeros((groups, self.units), jnp.int8),
                     g_idx=jnp.floor_divide(jnp.arange(rows, dtype="float32"), block_size))
        return state

    def _int4_matmul(self, state, inputs):
        from jkeras import quantizers

        dtype = self.compute_dtype
        unpacked = quantizers.unpack_int4(state["kernel"], self.units, axis=-1)
        if "kernel_zero" in state:  # sub-channel: the dequantized kernel, fixed (no gradient)
            kernel = quantizers.dequantize_with_sz_map(unpacked, state["kernel_scale"], state["kernel_zero"],
                                                       state["g_idx"], group_axis=0)
            return jnp.matmul(inputs, jax.lax.stop_gradient(kernel.astype(dtype)))
        scale = state["kernel_scale"].astype(dtype)

        def contract(x, q):
            return jnp.matmul(x, q, preferred_element_type=jnp.int32 if x.dtype == jnp.int8 else None)

        def gradient(upstream, q, s):
            return jnp.matmul(upstream, jnp.transpose(q.astype(dtype) / s))

        return int8_contract(contract, gradient, inputs, unpacked, scale, self.inputs_quantizer, -1,
                             lambda x_scale: x_scale, dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer) if self.kernel_regularizer else None,
            "bias_regularizer": regularizers.serialize(self.bias_regularizer) if self.bias_regularizer else None,
            "kernel_constraint": constraints.serialize(self.kernel_constraint) if self.kernel_constraint else None,
            "bias_constraint": constraints.serialize(self.bias_constraint) if self.bias_constraint else None,
            **self._lora_config(),
            **self._quantization_config_entry(),
        }


Dense._quantizable_class = Dense


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: activation name (e.g. "relu") or function.
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return self.activation(inputs), variables["state"]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 in training and scales the rest by `1 / (1 - rate)`.

    Args:
        rate: float in [0, 1), the fraction dropped.
        noise_shape: shape of the binary mask, broadcast against the input (None entries take
            the input's size), e.g. `(batch, 1, features)` to drop the same features at every step.
        seed: optional int mixed into the key, for a pattern independent of other layers.

    Raises:
        ValueError: if `rate` is not in [0, 1).
    """

    _legacy = LegacyInterface(positional=("rate", "noise_shape", "seed"), renames={"p": "rate"})

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout '{self.name}': rate must be a float in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True
        if self.rate > 0:
            from jkeras.random import SeedGenerator

            # As in Keras 3: its state is one of the layer's non-trainable variables, threaded by
            # `stateless_call` (the masks themselves come from the `rng` given to `apply`).
            self.seed_generator = SeedGenerator(seed)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not training or self.rate == 0.0:
            return inputs, variables["state"]
        if rng is None:
            raise self._error("training=True needs an `rng` key to draw the dropout mask")
        if self.seed is not None:
            rng = jax.random.fold_in(rng, self.seed)
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for n, s in zip(self.noise_shape, inputs.shape))
        keep = 1.0 - self.rate
        kept = jax.random.bernoulli(rng, keep, shape)
        return jnp.where(kept, inputs / keep, jnp.zeros_like(inputs)), variables["state"]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape), "seed": self.seed}


class Flatten(Layer):
    """Flattens each sample to one axis: `(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)`.

    Args:
        data_format: "channels_last" (default) or "channels_first"; with channels_first the
            channel axis is moved last first, so the flattened order matches channels_last.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(
                f"Flatten '{self.name}': data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
            )
        self.data_format = data_format or config.image_data_format()

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = jnp.transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return jnp.reshape(inputs, (inputs.shape[0], -1)), variables["state"]

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(np.prod(rest, dtype=np.int64))
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept).

    Args:
        target_shape: tuple of ints; one entry may be -1 (inferred).

    Raises:
        ValueError: if `target_shape` has more than one -1 or the sizes cannot match.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target_shape, (int, np.integer)):
            target_shape = (target_shape,)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(d == 0 or d < -1 for d in self.target_shape):
            raise ValueError(
                f"Reshape '{self.name}': target_shape may hold positive sizes and at most one -1, "
                f"got {self.target_shape}"
            )

    def _resolved(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = int(np.prod(rest, dtype=np.int64))
        known = int(np.prod([d for d in self.target_shape if d != -1], dtype=np.int64))
        if -1 in self.target_shape:
            if total % known:
                raise self._error(
                    f"cannot reshape an input of shape {tuple(input_shape)} ({total} values per sample) "
                    f"to target_shape {self.target_shape}: {total} is not divisible by {known}"
                )
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if known != total:
            raise self._error(
                f"cannot reshape an input of shape {tuple(input_shape)} ({total} values per sample) "
                f"to target_shape {self.target_shape} ({known} values)"
            )
        return self.target_shape

    def _check_input_shape(self, input_shape):
        self._resolved(input_shape)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return jnp.reshape(inputs, (inputs.shape[0],) + self.target_shape), variables["state"]

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolved(input_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Permutes the non-batch axes: `Permute((2, 1))` swaps the first two.

    Args:
        dims: a permutation of `1..n` (axis indices start at 1, the batch axis is 0).

    Raises:
        ValueError: if `dims` is not such a permutation.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute '{self.name}': dims must be a permutation of 1..{len(self.dims)}, got {self.dims}"
            )

    def _check_input_shape(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise self._error(
                f"dims {self.dims} permute {len(self.dims)} axes, but the input has shape {input_shape} "
                f"({len(input_shape) - 1} non-batch axes)"
            )

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return jnp.transpose(inputs, (0,) + self.dims), variables["state"]

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeats a `(batch, features)` input `n` times: `(batch, n, features)`.

    Args:
        n: positive int.
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _positive_int(f"RepeatVector '{self.name}'", "n", n)

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 2:
            raise self._error(f"expected an input of shape (batch, features), got {input_shape}")

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return jnp.repeat(inputs[:, None, :], self.n, axis=1), variables["state"]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Lambda(Layer):
    """Wraps a function of the inputs as a layer (no weights).

    Args:
        function: `f(inputs, **arguments)`; it may also take `mask` and `training` arguments.
            Random backend functions it calls (`K.random_normal`) draw from the call's key.
        output_shape: optional shape tuple (without batch axis) or function of the input shape;
            inferred from `function` when None.
        mask: optional output mask, or function `(inputs, mask) -> mask`.
        arguments: dict of extra keyword arguments for `function`.

    Raises:
        TypeError: if `function` is not callable.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}': function must be callable, got {function!r}")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        params = inspect.signature(function).parameters if _has_signature(function) else {}
        self._takes_mask = "mask" in params
        self._takes_training = "training" in params
        self.supports_masking = mask is not None

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        kwargs = dict(self.arguments)
        if self._takes_mask:
            kwargs["mask"] = mask
        if self._takes_training:
            kwargs["training"] = training
        # The function's random draws (`K.random_normal`) come from this call's key and
        # `K.in_train_phase` reads this call's mode, as inside a Keras-style layer's `call`.
        with call_scope.opened(call_scope.ApplyScope(self, variables, training, rng)):
            return self.function(inputs, **kwargs), variables["state"]

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def _has_shape_formula(self):
        return self._output_shape is not None

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        batch = input_shape[0] if isinstance(input_shape, tuple) else input_shape[0][0]
        return (batch,) + tuple(self._output_shape)

    def get_config(self):
        name = getattr(self.function, "__name__", None)
        return {**super().get_config(), "function": name, "arguments": self.arguments,
                "output_shape": self._output_shape if not callable(self._output_shape) else None}

    @classmethod
    def from_config(cls, config, safe_mode=True):
        raise ValueError(
            "Lambda layers hold Python code, which jkeras never loads from a config; recreate the "
            "Lambda in code, or pass it in `custom_objects`."
        )


def _has_signature(fn):
    try:
        inspect.signature(fn)
        return True
    except (TypeError, ValueError):
        return False


class ActivityRegularization(Layer):
    """Passes its input through and adds `l1 * sum(|x|) + l2 * sum(x**2)` (per sample) to the loss.

    Args:
        l1: L1 factor (non-negative float).
        l2: L2 factor (non-negative float).
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.supports_masking = True

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return inputs, variables["state"]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}


# Keras 2 kept these in `keras.layers.core` too: `from keras.layers.core import Masking` works.
from jkeras.layers.embedding import Masking  # noqa: E402,F401
from jkeras.layers.noise import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D  # noqa: E402,F401

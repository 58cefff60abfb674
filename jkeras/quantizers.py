"""`jkeras.quantizers`: Keras 3's post-training quantization helpers.

`abs_max_quantize` maps a float tensor to int8 with one scale per slice along `axis`
(`q = clip(round(x * s), -127, 127)`, `s = 127 / (max |x| + epsilon)`, so `x ~ q / s`);
`AbsMaxQuantizer` wraps it as an object, and `Int8QuantizationConfig` / `Int4QuantizationConfig`
say which quantizers `layer.quantize(config=...)` uses for the weights and the activations (and
the int4 block size). `pack_int4` / `unpack_int4` hold two int4 values per int8 byte and
`abs_max_quantize_grouped_with_zero_point` quantizes groups of rows asymmetrically (int4 mode).
"""
import math

import jax.numpy as jnp
import numpy as np

from jkeras.mixed_precision import QUANTIZATION_MODES

_EPSILON = 1e-7  # Keras 3's `backend.epsilon()` when the quantizers are created


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=_EPSILON, to_numpy=False):
    """Quantizes `inputs` with the absolute-maximum scheme.

    Args:
        inputs: a float tensor.
        axis: int or tuple of ints, the axes each scale is computed over (kept with size 1).
        value_range: `(low, high)` of the quantized values.
        dtype: dtype of the quantized output.
        epsilon: added to the maximum, so an all-zero slice does not divide by zero.
        to_numpy: compute on the host with NumPy (for weights: saves device memory).

    Returns:
        `(quantized, scale)`: `quantized ~ inputs * scale`, `scale` in the dtype of `inputs`.
    """
    if to_numpy:
        original = np.asarray(inputs).dtype
        values = np.asarray(inputs)
        axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        scale = np.divide(value_range[1], np.add(np.max(np.abs(values), axis=axis, keepdims=True), epsilon))
        outputs = np.clip(np.round(np.multiply(values, scale)), value_range[0], value_range[1]).astype(dtype)
        return jnp.asarray(outputs), jnp.asarray(scale, dtype=original)
    inputs = jnp.asarray(inputs)
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    scale = value_range[1] / (jnp.max(jnp.abs(inputs), axis=axis, keepdims=True) + epsilon)
    scale = scale.astype(inputs.dtype)
    outputs = jnp.clip(jnp.round(inputs * scale), value_range[0], value_range[1]).astype(dtype)
    return outputs, scale


class Quantizer:
    """Base class of quantizers: `quantizer(x) -> (quantized, scale)`.

    Args:
        output_dtype: dtype of the quantized values.
    """

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        """The quantizer `get_config()` describes."""
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


class AbsMaxQuantizer(Quantizer):
    """Quantizes with `abs_max_quantize`: one scale per slice along `axis`.

    Args:
        axis: int or tuple of ints, the reduced axes (None: given at call time, default -1).
        value_range: `(low, high)` of the quantized values, within [-128, 127] for int8.
        epsilon: added to the maximum before dividing.
        output_dtype: dtype of the quantized values.

    Raises:
        ValueError: if `value_range` does not fit int8 with `output_dtype="int8"`.
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=_EPSILON, output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = tuple(value_range)
        self.epsilon = epsilon
        if output_dtype == "int8" and (self.value_range[0] < -128 or self.value_range[1] > 127):
            raise ValueError("Quantizer with output_dtype='int8' requires value_range to be within the interval "
                             f"[-128, 127]. Received: value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        """`(quantized, scale)` of `x` over `axis` (default: the constructor's, else -1)."""
        if axis is None:
            axis = self.axis if self.axis is not None else -1
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon, to_numpy)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon, "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config


class QuantizationConfig:
    """Which quantizers `quantize(config=...)` uses: base class of `Int8QuantizationConfig`.

    Args:
        weight_quantizer: quantizer of the weights (None: the layer's default).
        activation_quantizer: quantizer of the inputs (None: weight-only quantization).
    """

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError("Subclasses must implement this property. Do not instantiate "
                                  "QuantizationConfig directly.")

    def get_config(self):
        return {"weight_quantizer": serialize(self.weight_quantizer),
                "activation_quantizer": serialize(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=deserialize(config.get("weight_quantizer")),
                   activation_quantizer=deserialize(config.get("activation_quantizer")))

    @staticmethod
    def weight_quantizer_or_default(config, default):
        """The config's weight quantizer, or `default` when it has none."""
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        """The config's activation quantizer (None too), or `default` without a config."""
        return config.activation_quantizer if config is not None else default


class Int8QuantizationConfig(QuantizationConfig):
    """The int8 quantization config (`quantize(config=Int8QuantizationConfig(...))`).

    Args:
        weight_quantizer: quantizer of the weights (None: `AbsMaxQuantizer` over the input axes).
        activation_quantizer: quantizer of the inputs; "default": `AbsMaxQuantizer()` (per row,
            over the contracted axes); None: weight-only quantization.

    Raises:
        ValueError: if the weight quantizer does not output int8.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if weight_quantizer is not None and weight_quantizer.output_dtype != "int8":
            raise ValueError("Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                             f"Received: output_dtype={weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """The int4 quantization config (`quantize(config=Int4QuantizationConfig(...))`).

    Args:
        weight_quantizer: quantizer of the weights, per channel only (None: `AbsMaxQuantizer`
            with `value_range=(-8, 7)`).
        activation_quantizer: quantizer of the inputs; "default": None (weight-only).
        block_size: rows per group of the sub-channel quantization (a scale and an int8 zero
            point per group and output); None or -1: per-channel (a scale per output).

    Raises:
        ValueError: for a block size that is not None, -1 or positive; a custom quantizer with
            sub-channel quantization; a weight quantizer of another range or dtype.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(f"block_size must be None, -1, or a positive integer. Received: block_size={block_size}")
        self.block_size = block_size
        if block_size is not None and block_size > 0 and (weight_quantizer is not None
                                                          or activation_quantizer is not None):
            raise ValueError("Int4 sub-channel quantization (block_size > 0) does not support custom quantizers. "
                             "Either set block_size to None or -1 for per-channel quantization, or remove the "
                             f"custom quantizer arguments. Received: block_size={block_size}")
        if weight_quantizer is not None:
            if tuple(weight_quantizer.value_range) != (-8, 7):
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with value_range=(-8, 7). "
                                 f"Received: value_range={weight_quantizer.value_range}")
            if weight_quantizer.output_dtype != "int8":
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                                 f"Received: output_dtype={weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=deserialize(config.get("weight_quantizer")),
                   activation_quantizer=deserialize(config.get("activation_quantizer")),
                   block_size=config.get("block_size"))


def pack_int4(arr, axis=0, dtype="int8"):
    """Packs int4 values (held in int8) two per byte along `axis`: the even entries in the low
    nibble, the odd ones in the high nibble (an odd length is padded with a zero).

    Returns:
        `(packed, packed_shape, original_length)`.

    Raises:
        ValueError / TypeError: for a `dtype` other than int8 / uint8 or an `arr` of another dtype.
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    values = np.asarray(arr)
    if str(values.dtype) != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {values.dtype}.")
    axis = axis % values.ndim
    values = np.moveaxis(values, axis, 0)
    length = values.shape[0]
    if length % 2:
        values = np.concatenate([values, np.zeros((1,) + values.shape[1:], values.dtype)], axis=0)
    low = np.bitwise_and(values[::2], np.array(0x0F, dtype))
    high = np.bitwise_and(values[1::2], np.array(0x0F, dtype))
    packed = np.bitwise_or(low, np.left_shift(high, np.array(4, dtype))).astype(dtype)
    packed = np.moveaxis(packed, 0, axis)
    return jnp.asarray(packed), tuple(packed.shape), length


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """The int4 values `pack_int4` packed along `axis`, `orig_len` of them, as `dtype` (pure).

    Raises:
        ValueError / TypeError: for a `dtype` other than int8 / uint8, or a packed array that is
            not int8 / uint8.
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    packed = jnp.asarray(packed)
    if packed.dtype not in (jnp.int8, jnp.uint8):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {packed.dtype}")
    axis = axis % packed.ndim
    moved = jnp.moveaxis(packed, axis, 0)
    mask = jnp.asarray(0x0F, packed.dtype)
    nibbles = [jnp.bitwise_and(moved, mask), jnp.bitwise_and(jnp.right_shift(moved, 4), mask)]
    if dtype == "int8":  # 0..15 -> -8..7
        eight = jnp.asarray(8, packed.dtype)
        nibbles = [jnp.bitwise_xor(n, eight) - eight for n in nibbles]
    stacked = jnp.stack([n.astype(dtype) for n in nibbles], axis=1)
    unpacked = jnp.reshape(stacked, (-1,) + moved.shape[1:])[:orig_len]
    return jnp.moveaxis(unpacked, 0, axis)


def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7), dtype="int8", epsilon=_EPSILON,
                                             to_numpy=False):
    """Asymmetric quantization of a 2D `(rows, cols)` tensor in groups of `block_size` rows.

    Each group and column gets a scale `(max - min + epsilon) / (high - low)` and a zero point
    `clip(round(-min / scale) + low)`; `q = clip(round(x / scale) + zero)`. Computed with NumPy
    on the host (`to_numpy` is accepted for Keras's signature).

    Returns:
        `(quantized (rows, cols), scale (groups, cols), zero_point (groups, cols) int8)`.
    """
    del to_numpy
    values = np.asarray(inputs)
    rows, cols = values.shape
    groups = math.ceil(rows / block_size)
    low, high = value_range
    padded = np.concatenate([values, np.zeros((groups * block_size - rows, cols), values.dtype)], axis=0)
    blocks = padded.reshape(groups, block_size, cols)
    minimum = np.min(blocks, axis=1, keepdims=True)
    maximum = np.max(blocks, axis=1, keepdims=True)
    scale = np.divide(np.subtract(maximum, minimum) + epsilon, high - low)
    zero = np.clip(np.round(np.divide(-minimum, scale)) + low, low, high)
    quantized = np.clip(np.round(np.divide(blocks, scale)) + zero, low, high).astype(dtype)
    quantized = quantized.reshape(groups * block_size, cols)[:rows]
    return (jnp.asarray(quantized), jnp.asarray(np.squeeze(scale, axis=1), values.dtype),
            jnp.asarray(np.squeeze(zero, axis=1).astype("int8")))


def dequantize_with_sz_map(weights_matrix, scale, zero, g_idx, group_axis=-1):
    """`(weights - zero[g]) * scale[g]`: the scale and zero of each position's group `g_idx`,
    taken along `group_axis` of `scale` / `zero` (pure)."""
    groups = jnp.asarray(g_idx).astype(jnp.int32)
    scales = jnp.take(scale, groups, axis=group_axis)
    zeros = jnp.take(zero, groups, axis=group_axis).astype(scales.dtype)
    return (weights_matrix - zeros) * scales


_OBJECTS = {cls.__name__: cls for cls in (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig,
                                          Int4QuantizationConfig)}


def serialize(quantizer):
    """The Keras 3 config dict of a quantizer or quantization config (None for None)."""
    if quantizer is None:
        return None
    return {"module": "keras.quantizers", "class_name": type(quantizer).__name__,
            "config": quantizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The quantizer or quantization config a `serialize` dict describes (None for None).

    Raises:
        ValueError: for an unknown class name.
    """
    if config is None or isinstance(config, (Quantizer, QuantizationConfig)):
        return config
    objects = {**_OBJECTS, **(custom_objects or {})}
    name = config.get("class_name")
    if name not in objects:
        raise ValueError(f"Could not interpret quantizer identifier: {config}")
    cls = objects[name]
    inner = dict(config.get("config", {}))
    if issubclass(cls, Quantizer) and "value_range" in inner:
        inner["value_range"] = tuple(inner["value_range"])
    return cls.from_config(inner)


def get(identifier, **kwargs):
    """A quantizer from a quantizer, a class name, a config dict, or None.

    Raises:
        ValueError: for an identifier that names no quantizer.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    obj = _OBJECTS.get(identifier) if isinstance(identifier, str) else identifier
    if isinstance(obj, type):
        return obj(**kwargs)
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")


def resolve_mode(mode, config):
    """`(mode, config)` of a `quantize(mode, config)` call, as Keras 3 resolves them: a mode alone
    gets its default config (`Int8QuantizationConfig()` for "int8"; None for modes jkeras does not
    implement, which the layers then refuse).

    Raises:
        ValueError: for an unknown mode, neither mode nor config, a config of another mode, or
            "gptq" / "awq" without their config.
    """
    if isinstance(config, str):
        mode, config = config, None
    _validate_mode(mode)
    if config is None:
        if mode is None:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
        if mode in ("gptq", "awq"):
            raise ValueError(f"For {mode.upper()}, you must pass a `{mode.upper()}Config` object in the `config` "
                             "argument.")
        return mode, {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig}.get(mode, lambda: None)()
    if not isinstance(config, QuantizationConfig):
        raise ValueError("Argument `config` must be an instance of `QuantizationConfig`. "
                         f"Received: config={config} (of type {type(config)})")
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    _validate_mode(config.mode)
    return config.mode, config


def _validate_mode(mode):
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")


__all__ = ["AbsMaxQuantizer", "Int4QuantizationConfig", "Int8QuantizationConfig", "QuantizationConfig", "Quantizer",
           "abs_max_quantize", "abs_max_quantize_grouped_with_zero_point", "deserialize",
           "get", "pack_int4", "serialize", "unpack_int4"]

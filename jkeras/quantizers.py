"""`jkeras.quantizers`: Keras 3's post-training quantization helpers.

`abs_max_quantize` maps a float tensor to int8 with one scale per slice along `axis`
(`q = clip(round(x * s), -127, 127)`, `s = 127 / (max |x| + epsilon)`, so `x ~ q / s`);
`AbsMaxQuantizer` wraps it as an object, and `Int8QuantizationConfig` says which quantizers
`layer.quantize(config=...)` uses for the weights and the activations.
"""
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


_OBJECTS = {cls.__name__: cls for cls in (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig)}


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
        return mode, (Int8QuantizationConfig() if mode == "int8" else None)
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


__all__ = ["AbsMaxQuantizer", "Int8QuantizationConfig", "QuantizationConfig", "Quantizer", "abs_max_quantize",
           "deserialize", "get", "serialize"]

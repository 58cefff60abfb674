"""Mixed precision: dtype policies, as Keras has them.

A policy names the dtype a layer computes in and the dtype its weights are kept in:
`"mixed_bfloat16"` computes in bfloat16 and keeps float32 weights (use it on TPUs and recent
GPUs); `"mixed_float16"` computes in float16, keeps float32 weights, and `compile` wraps the
optimizer in a `LossScaleOptimizer` so small gradients do not underflow. Losses and metrics are
always computed in float32.

    jkeras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = ...  # layers created from now on compute in bfloat16
    # keep the last activation in float32 for a numerically safe softmax:
    outputs = layers.Activation("softmax", dtype="float32")(x)
"""
import jax.numpy as jnp

from jkeras.core import config

_POLICY_NAMES = ("float16", "bfloat16", "float32", "float64", "mixed_float16", "mixed_bfloat16")


class DTypePolicy:
    """The dtypes a layer computes in and keeps its weights in.

    Args:
        name: "float32" (or another float dtype name): compute and weights in that dtype;
            "mixed_float16" / "mixed_bfloat16": compute in float16 / bfloat16, weights in
            float32. None means `jkeras.config.floatx()`.

    Raises:
        ValueError: for an unknown policy name.
    """

    def __init__(self, name=None):
        if name is None:
            name = config.floatx()
        if isinstance(name, DTypePolicy):
            name = name.name
        if not isinstance(name, str):
            name = str(jnp.dtype(name))
        if name.startswith("mixed_"):
            if name not in ("mixed_float16", "mixed_bfloat16"):
                raise ValueError(f"DTypePolicy: unknown mixed policy {name!r}; expected one of "
                                 "'mixed_float16', 'mixed_bfloat16'")
            self._compute, self._variable = name[len("mixed_"):], "float32"
        else:
            try:
                dtype = str(jnp.dtype(name))
            except TypeError:
                raise ValueError(f"DTypePolicy: unknown policy or dtype name {name!r}; expected a "
                                 f"dtype name or one of {list(_POLICY_NAMES)}") from None
            self._compute = self._variable = dtype
            name = dtype
        self._name = name

    @property
    def name(self):
        """The policy's name, e.g. "mixed_bfloat16"."""
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs."""
        return self._compute

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights."""
        return self._variable

    @property
    def quantization_mode(self):
        """The quantization mode ("int8", ...) of a `QuantizedDTypePolicy`; None for float policies."""
        return None

    @property
    def is_mixed(self):
        """True when computations run in a lower precision than the weights are kept in."""
        return self._compute != self._variable

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


Policy = DTypePolicy  # Keras 2 name (tf.keras.mixed_precision.Policy)

# Keras 3's quantization modes, in its order (error messages list them so).
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
# The modes jkeras quantizes layers to.
SUPPORTED_QUANTIZATION_MODES = ("int8", "int4")


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer: `"<mode>_from_<source>"`, e.g. "int8_from_float32".

    The layer keeps its matrix weight quantized (int8 with a float scale for mode "int8") and
    computes in the compute dtype of the source policy; its other weights keep the source
    policy's variable dtype. `layer.quantize("int8")` gives a layer this policy.

    Args:
        mode: the quantization mode, one of `QUANTIZATION_MODES`.
        source_name: the name of the float policy it comes from (None: the global policy).

    Raises:
        ValueError: for an unknown mode, a source policy computing in float16 with mode "int8",
            or an unknown source policy.
    """

    def __init__(self, mode, source_name=None):
        if source_name is None:
            source_name = global_policy().name
        if mode not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                             f"Received: mode={mode}")
        source = DTypePolicy(source_name)
        if source.compute_dtype == "float16" and mode == "int8":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.")
        self._compute, self._variable = source.compute_dtype, source.variable_dtype
        self._source_name = source.name
        self._mode = mode
        self._name = f"{mode}_from_{source.name}"

    @property
    def quantization_mode(self):
        """The quantization mode, e.g. "int8"."""
        return self._mode

    @property
    def source_name(self):
        """The name of the float policy the layer had before it was quantized."""
        return self._source_name

    def get_config(self):
        return {"mode": self._mode, "source_name": self._source_name}

    def __repr__(self):
        return f'<QuantizedDTypePolicy "{self.name}">'


class Int4DTypePolicy(QuantizedDTypePolicy):
    """The policy of an int4 layer with its block size: `"int4/<block_size>_from_<source>"`.

    Args:
        mode: "int4/<block_size>": a positive block size (rows per group of the sub-channel
            quantization) or -1 (per-channel).
        source_name: the name of the float policy it comes from (None: the global policy).

    Raises:
        ValueError: for a mode of another form or a block size that is neither -1 nor positive.
    """

    def __init__(self, mode, source_name=None):
        parts = str(mode).split("/")
        expected = "'int4/<block_size>'"
        if len(parts) != 2 or parts[0] != "int4":
            raise ValueError(f"Invalid mode for Int4DTypePolicy. Expected format {expected}, but got '{mode}'.")
        try:
            block_size = int(parts[1])
        except ValueError:
            raise ValueError(f"Invalid mode for Int4DTypePolicy. <block_size> must be an integer. Expected format "
                             f"{expected}, but got '{mode}'.") from None
        if block_size < -1 or block_size == 0:
            raise ValueError("Invalid block_size in mode. Supported values are -1 (per-channel) or a positive "
                             f"integer (sub-channel), but got {block_size} from '{mode}'.")
        super().__init__("int4", source_name)
        self._name = f"{mode}_from_{self._source_name}"
        self.block_size = block_size

    def get_config(self):
        return {"mode": f"int4/{self.block_size}", "source_name": self._source_name}

    def __repr__(self):
        return f'<Int4DTypePolicy "{self.name}">'


def _quantized_policy_from_name(name):
    """The quantized policy of a name such as "int8_from_float32" or "int4/128_from_float32"."""
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError("Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
                         f"`QuantizedDTypePolicy`. Received: policy={name}")
    if parts[0].startswith("int4") and "/" in parts[0]:
        return Int4DTypePolicy(*parts)
    return QuantizedDTypePolicy(*parts)

_global_policy = None


def get(identifier):
    """A `DTypePolicy` from a policy, a name, a dtype, a Keras config dict, or None (the global one).

    Names of quantized policies ("int8_from_float32") and Keras 3's `QuantizedDTypePolicy` config
    dicts give a `QuantizedDTypePolicy`.

    Raises:
        ValueError: for an unknown name.
    """
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        config = identifier.get("config", identifier)
        if identifier.get("class_name") == "Int4DTypePolicy" or "/" in str(config.get("mode", "")):
            return Int4DTypePolicy(config.get("mode"), config.get("source_name"))
        if identifier.get("class_name") == "QuantizedDTypePolicy" or "mode" in config:
            return QuantizedDTypePolicy(config.get("mode"), config.get("source_name"))
        return DTypePolicy(config.get("name"))
    if isinstance(identifier, str) and identifier.startswith(QUANTIZATION_MODES):
        return _quantized_policy_from_name(identifier)
    return DTypePolicy(identifier)


def set_global_policy(policy):
    """Sets the policy of the layers created from now on.

    Args:
        policy: a `DTypePolicy`, a policy name ("mixed_bfloat16", "mixed_float16", "float32"...),
            or None to go back to `floatx()`.

    Raises:
        ValueError: for an unknown name, or a non-float dtype.
    """
    global _global_policy
    if policy is None:
        _global_policy = None
        return
    policy = get(policy)
    if not jnp.issubdtype(jnp.dtype(policy.variable_dtype), jnp.floating):
        raise ValueError(f"set_global_policy: the policy must be a floating point one, got {policy.name!r}")
    _global_policy = policy


def global_policy():
    """Returns the global `DTypePolicy` (by default `floatx()`, "float32")."""
    return _global_policy if _global_policy is not None else DTypePolicy(config.floatx())


# Keras 3 spellings.
set_dtype_policy = set_global_policy
dtype_policy = global_policy


def __getattr__(name):
    if name == "LossScaleOptimizer":
        from jkeras.optimizers import LossScaleOptimizer

        return LossScaleOptimizer
    raise AttributeError(f"module 'jkeras.mixed_precision' has no attribute {name!r}")

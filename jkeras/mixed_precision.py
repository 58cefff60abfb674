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

_global_policy = None


def get(identifier):
    """A `DTypePolicy` from a policy, a name, a dtype, a Keras config dict, or None (the global one).

    Raises:
        ValueError: for an unknown name.
    """
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        config = identifier.get("config", identifier)
        return DTypePolicy(config.get("name"))
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

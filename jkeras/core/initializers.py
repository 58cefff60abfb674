"""Weight initializers: config-only objects that make arrays.

Every initializer is called as `init(shape, dtype=None, *, key=None)` and
returns a `jnp` array of `shape` and `dtype` (float32 by default). Random
initializers take their randomness from, in this order:

1. their integer `seed`: Keras 3's key for it, the raw uint32 pair `(seed, 0)`, so a
   seeded initializer gives the same values on every call (as Keras 3 documents) and
   Keras 3's values;
2. the `key` argument (layers always pass one);
3. NumPy's global generator (`np.random.randint`), so `np.random.seed(...)`
   still governs an unseeded initializer called without a key.

Class names, arguments, defaults and config keys are Keras 3's; the Keras 2
names (`glorot_uniform`, `normal`, `uniform`, `zero`, `one`, `identity`, ...)
are aliases of the same classes.
"""
import inspect

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core._initializer_classes import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    Initializer,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
    _global_rng_key,
    _standardize_dtype,
    _standardize_shape,
    compute_fans,
)
from jkeras.core._registry import Registry, build

__all__ = [
    "Initializer", "Constant", "Zeros", "Ones", "Identity", "RandomNormal",
    "TruncatedNormal", "RandomUniform", "VarianceScaling", "GlorotUniform",
    "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
    "Orthogonal", "IdentityInitializer", "OrthogonalInitializer",
    "constant", "zeros", "zero", "ones", "one", "identity", "random_normal",
    "normal", "truncated_normal", "random_uniform", "uniform",
    "variance_scaling", "glorot_uniform", "glorot_normal", "he_normal",
    "he_uniform", "lecun_normal", "lecun_uniform", "orthogonal",
    "compute_fans", "get", "serialize", "deserialize",
]


class _FunctionInitializer(Initializer):
    """Adapts a user function to `init(shape, dtype=None, *, key=None)`.

    Accepts Keras-style `fn(shape, dtype=None)` (with or without a `key`
    keyword) and `jax.nn.initializers`-style `fn(key, shape, dtype)`.
    """

    def __init__(self, fn):
        self.fn = fn
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            params = []
        names = [p.name for p in params]
        self._key_first = bool(names) and names[0] in ("key", "rng")
        self._takes_key = "key" in names[1:]
        positional = [p for p in params if p.kind in (
            p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
        self._takes_dtype = not params or len(positional) >= 2

    def __call__(self, shape, dtype=None, *, key=None):
        dtype = _standardize_dtype(dtype)
        if self._key_first:
            key = key if key is not None else _global_rng_key()
            out = self.fn(key, tuple(shape), dtype)
        elif self._takes_key:
            out = self.fn(shape, dtype, key=key)
        elif self._takes_dtype:
            out = self.fn(shape, dtype)
        else:
            out = self.fn(shape)
        return jnp.asarray(out, dtype=dtype)

    def __repr__(self):
        return f"{type(self).__name__}({self.fn!r})"


class _ArrayInitializer(Initializer):
    """Returns a given array; the requested shape must be its shape."""

    def __init__(self, value):
        self.value = value

    def __call__(self, shape, dtype=None, *, key=None):
        del key
        shape = _standardize_shape(shape)
        if shape != tuple(self.value.shape):
            raise ValueError(
                f"initializer: expected shape={tuple(self.value.shape)} for "
                f"an array used as initializer, got shape={shape}"
            )
        return jnp.asarray(self.value, dtype=_standardize_dtype(dtype))

    def __repr__(self):
        return f"{type(self).__name__}(shape={tuple(self.value.shape)})"


class _WeightDefault(Initializer):
    """A layer's `*_initializer=None`: what Keras's `add_weight` makes of `initializer=None`
    (Keras 3 and tf.keras 2): glorot_uniform for a float weight, zeros otherwise. Its config is
    None, the argument as given."""

    def __call__(self, shape, dtype=None, *, key=None):
        dtype = _standardize_dtype(dtype)
        default = GlorotUniform() if jnp.issubdtype(dtype, jnp.floating) else Zeros()
        return default(shape, dtype, key=key)

    def __repr__(self):
        return f"{type(self).__name__}()"


def get_for_weight(identifier):
    """`get(identifier)` for a layer's weight initializer argument, where None means Keras's
    `add_weight` default (`Dense(1, bias_initializer=None)`, the tf imbalanced-data tutorial's
    `make_model()`), not "no initializer"."""
    return _WeightDefault() if identifier is None else get(identifier)


# Lower-case and legacy names, as Keras 3 exports them.
IdentityInitializer = identity = Identity
OrthogonalInitializer = orthogonal = Orthogonal
constant = Constant
zeros = zero = Zeros
ones = one = Ones
random_normal = normal = RandomNormal
truncated_normal = TruncatedNormal
random_uniform = uniform = RandomUniform
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform

_INITIALIZERS = {
    name: obj for name, obj in globals().items()
    if isinstance(obj, type) and issubclass(obj, Initializer)
    and not name.startswith("_") and name != "Initializer"
}


def _build(obj, config):
    """`build` for a class; anything else goes through `get` (a function is wrapped)."""
    return build(obj, config) if isinstance(obj, type) else get(obj)


_NAMES = Registry("initializer", _INITIALIZERS, build=_build)


def serialize(initializer):
    """Returns the config of an initializer.

    Args:
        initializer: An `Initializer`, or a function passed through `get`.

    Returns:
        `{"class_name": ..., "config": ...}` for an object; the function's
        name for a plain function.

    Raises:
        ValueError: if `initializer` has neither a config nor a name, or is
            an array.
    """
    if isinstance(initializer, _ArrayInitializer):
        raise ValueError(
            "serialize: an array used as initializer has no config; pass an "
            f"Initializer or a named function instead, got {initializer!r}"
        )
    if isinstance(initializer, _WeightDefault):
        return None
    if isinstance(initializer, _FunctionInitializer):
        initializer = initializer.fn
    return _NAMES.serialize(initializer)


def deserialize(config, custom_objects=None):
    """Returns the initializer described by a name or a config dict.

    Args:
        config: A name (`'glorot_uniform'`, `'he_normal'`, `'zeros'`, ...) or a
            dict `{"class_name": ..., "config": {...}}` (Keras 2 and 3 both;
            other keys such as `"module"` are ignored).
        custom_objects: Optional dict of user classes or functions by name,
            looked up before the built-in names.

    Returns:
        An `Initializer` (user functions come back wrapped to take `key=`).

    Raises:
        ValueError: if the name is unknown or the config is malformed.
    """
    return _NAMES.deserialize(config, custom_objects)


def get(identifier):
    """Returns an initializer for an identifier.

    Args:
        identifier: `None`; a name or config dict; an `Initializer` instance
            (returned as it is) or class (instantiated with defaults); an
            array (the initializer returns it, for a matching shape); or a
            function `fn(shape, dtype=None)` or `fn(key, shape, dtype)`
            (`jax.nn.initializers` style), wrapped to take `key=`.

    Returns:
        A callable `init(shape, dtype=None, *, key=None)`, or `None`.

    Raises:
        ValueError: for an unknown name or an identifier of another type.
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, (np.ndarray, np.generic, jax.Array)):
        return _ArrayInitializer(identifier)
    if callable(identifier):
        return _FunctionInitializer(identifier)
    raise ValueError(
        "initializer must be None, a name, a config dict, an array or a "
        f"callable, got {identifier!r} of type {type(identifier).__name__}"
    )

# Keras 3 STFT initializer (its own module), registered under its names.
from jkeras.core._stft_initializer import STFT, STFTInitializer, stft  # noqa: E402,F401

_INITIALIZERS.update(STFT=STFT, STFTInitializer=STFT, stft=STFT)
__all__ += ["STFT", "STFTInitializer", "stft"]

"""`jkeras.random`: Keras 3's `keras.random` on `jax.random`.

    class Sampling(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            eps = keras.random.normal(keras.ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + keras.ops.exp(0.5 * z_log_var) * eps

Every function takes `seed`, which picks the key it draws from (`jkeras.backend._key`):
- `None`: inside a layer's `call`, that call's key (fresh noise on every training step of a
  jitted `fit`); outside any call, the global stream seeded by `jkeras.utils.set_random_seed`.
- an int: a fixed key, Keras 3's (`(seed, 0)`), so the values equal Keras 3's JAX backend and are
  the same on every call.
- a `SeedGenerator`: inside a call that has a key (`fit`, `predict`, a training call), the call's
  key folded with the generator's seed; else the generator's state `(seed, counter)`, which then
  advances, as in Keras 3 (so the values equal Keras 3's for the same seed).
- a `jax.random` key: used as it is.

A generator set as a layer attribute is tracked by the layer, as in Keras 3: its state is one of
the layer's non-trainable `variables` (not of its `weights`, so not in weight files). Dropout and
the noise layers hold one too. `stateless_call` takes and returns these states, so a jitted
custom loop that feeds the returned non-trainable variables back draws new values at every step.
"""
import jax
import jax.numpy as jnp
import numpy as np

from jkeras.backend import _key, _v
from jkeras.core.config import floatx
from jkeras.models import call_scope
from jkeras.models.variable import _ArrayLike, _register
from jkeras.utils import naming

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint",
           "shuffle", "truncated_normal", "uniform"]

_STEP = np.array([0, 1], np.uint32)  # one draw: the counter advances by one


class SeedGenerator:
    """A seed for random ops that gives different values on each draw.

    Pass it as `seed=` to the functions of `jkeras.random`. Its state is the uint32 pair
    `(seed, counter)`: a draw without a call key (see the module docstring) uses the state as its
    key and increments the counter, as Keras 3's does, so the values equal Keras 3's for the same
    seed.

    Held by a layer (`self.seed_generator = SeedGenerator(1337)`, in `__init__` or `build`), its
    state (`state`, named `seed_generator_state`) is one of the layer's `variables` /
    `non_trainable_variables` but not of its `weights`: `get_weights()` and weight files stay as in
    Keras. For a layer with `call`, the state lives in the layer's `state` collection, so `apply`
    returns it advanced. `stateless_call` threads it through jitted loops: called with
    `training=True` and no `rng`, it draws from a key made from the states it is given and
    returns them advanced. Inside `fit` / `predict` a draw uses the step's key folded with `seed`
    instead: fresh noise on every step, with no state to carry.

    Args:
        seed: int, or None for a seed drawn from Python's `random` (seeded by
            `jkeras.utils.set_random_seed`).
        name: optional name (default `seed_generator`, made unique).

    Raises:
        ValueError: if `seed` is not an int or None, or for an unknown keyword argument.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)
        if kwargs:
            raise ValueError(f"SeedGenerator: unrecognized keyword arguments {sorted(kwargs)}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"SeedGenerator: seed must be an int or None, got {seed!r}")
        self.name = name or naming.uniquify("seed_generator")
        self._initial_seed = None if seed is None else int(seed)
        self.seed = int(seed) if seed is not None else _make_default_seed()
        self._value = np.array([self.seed & 0xFFFFFFFF, 0], np.uint32)  # the state, unless a layer keeps it
        self._owner = None  # the layer holding the generator (listing its state in `variables`)
        self._key = None  # the state's key in the owner's `state` collection, if it keeps it there
        self._handle = SeedState(self)

    @property
    def state(self):
        """The state `(seed, counter)` (uint32, shape (2,)): a variable-like handle, as in Keras 3."""
        return self._handle

    def _current(self):
        if self._key is not None:
            stored = self._owner.__dict__["_state"].get(self._key)
            if stored is not None:
                return stored
        return self._value

    def _assign(self, value):
        if self._key is not None and self._key in self._owner.__dict__["_state"]:
            self._owner.__dict__["_state"][self._key] = value
        else:
            self._value = value

    def _next_own_key(self):
        """The key of a draw without a call key: the state, which then advances (Keras 3's `next`).

        Inside a call of the layer holding it, the state is the one passed to `apply` (traced under
        `jax.jit`) and the advanced one is returned as new state; elsewhere it is the stored state.
        """
        if self._key is not None:
            scope = call_scope.scope_of(self._owner)
            if scope is not None and self._key in scope.state:
                state = jnp.asarray(scope.state[self._key], jnp.uint32)
                scope.assign("state", self._key, state + _STEP)
                return state
        current = np.asarray(self._current(), np.uint32)
        self._assign(current + _STEP)  # uint32: wraps as Keras's does
        return jnp.asarray(current)

    def next(self, ordered=True):
        """Returns the key of the next draw (see the class docstring) and advances.

        Args:
            ordered: accepted for Keras compatibility; the stream is always ordered.
        """
        del ordered
        return _key(self)

    # -- tracking by a layer (`Layer.__setattr__`) ----------------------------------------------

    def _attach(self, layer):
        """Makes the state one of `layer`'s variables.

        A Keras-style layer (one with `call`) draws from it inside `call`: the state goes into the
        layer's `state` collection (key unique there), so `apply` takes and returns it. A built-in
        layer draws from the `rng` given to `apply` only: its generator (Dropout's, as in Keras 3)
        is listed in `variables`, and keeps the state itself, out of `get_variables()`.
        """
        if self._owner is not None:
            return  # already held (by this layer or another one)
        state = layer.__dict__.get("_state")
        if state is None:
            return  # `Layer.__init__` has not run yet
        scope = call_scope.scope_of(layer)
        if scope is not None and not scope.creating:
            return  # made inside `call`: a fresh generator on every call, nothing to track
        if not layer._keras_style:
            self._owner = layer
            layer.__dict__.setdefault("_seed_generators", []).append(self)
            return
        taken = set(state) | set(layer.__dict__.get("_params", ())) | {s.name for s in layer._sublayers}
        if scope is not None:
            taken |= set(scope.state) | set(scope.params)
        key, i = self.name, 0
        while key in taken:
            i += 1
            key = f"{self.name}_{i}"
        self._owner, self._key = layer, key
        layer.__dict__.setdefault("_seed_generators", []).append(self)
        if scope is not None:  # made in `build`, run by `init`: part of the variables it returns
            scope.create("state", key, jnp.asarray(self._value))
            return
        state[key] = jnp.asarray(self._value)
        if ("state", key) not in layer._init_weights:
            layer._init_weights.append(("state", key))  # a Keras-style layer's `init` returns it

    def _detach(self):
        """Stops tracking by the layer holding the state (the attribute was set to something else)."""
        layer = self._owner
        if layer is None:
            return
        self._value = np.asarray(self._current(), np.uint32)
        if self._key is not None:
            layer.__dict__["_state"].pop(self._key, None)
            if ("state", self._key) in layer._init_weights:
                layer._init_weights.remove(("state", self._key))
        layer.__dict__["_seed_generators"].remove(self)
        self._owner, self._key = None, None

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} seed={self.seed}>"


@_register
class SeedState(_ArrayLike):
    """`SeedGenerator.state`: the uint32 pair `(seed, counter)`, variable-like as Keras 3's
    `seed_generator_state` (`value`, `assign`, `path`, `trainable=False`); a pytree of its value.

    Args:
        generator: the `SeedGenerator`.
    """

    name = "seed_generator_state"
    trainable = False
    _collection = "state"

    def __init__(self, generator):
        self._generator = generator

    @property
    def _layer(self):
        """The layer holding the state (None when no layer holds the generator)."""
        return self._generator._owner

    @property
    def _key(self):
        """The state's key in the holding layer's `state` collection (None when the generator
        keeps it: no layer, or a built-in layer)."""
        return self._generator._key

    @property
    def path(self):
        return f"{self._generator.name}/{self.name}"

    @property
    def value(self):
        return self._generator._current()

    @property
    def shape(self):
        return (2,)

    @property
    def dtype(self):
        return "uint32"

    def assign(self, value):
        """Sets the state to `value`, a pair of uint32 `(seed, counter)`.

        Raises:
            ValueError: if `value` does not have shape (2,).
        """
        value = np.asarray(_as_uint32(value))
        if value.shape != (2,):
            raise ValueError(f"Variable '{self.path}': expected a value of shape (2,), got shape {value.shape}")
        self._generator._assign(jnp.asarray(value, jnp.uint32))
        return self

    def __repr__(self):
        return f"<Variable path={self.path}, shape=(2,), dtype=uint32, value={np.asarray(self.value).tolist()}>"


def _as_uint32(value):
    value = _v(value)
    return value.astype(np.uint32) if hasattr(value, "astype") else np.asarray(value, np.uint32)


def track_seed_generators(layer, name, value):
    """`Layer.__setattr__`'s hook: a `SeedGenerator` (or a list / tuple of them) set as an
    attribute becomes tracked by `layer`; one replaced by another value stops being tracked."""
    old = layer.__dict__.get(name)
    if not (_holds_generator(value) or _holds_generator(old)):
        return
    new = _generators(value)
    for generator in _generators(old):
        if generator._owner is layer and all(generator is not g for g in new):
            generator._detach()
    for generator in new:
        generator._attach(layer)


def _holds_generator(value):
    return isinstance(value, SeedGenerator) or isinstance(value, (list, tuple)) and any(
        isinstance(item, SeedGenerator) for item in value)


def _generators(value):
    if isinstance(value, SeedGenerator):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, SeedGenerator)]
    return []


def seed_variables(layer):
    """The `SeedState`s of the generators `layer` itself holds (Keras 3 lists them after the
    layer's weights in `variables`); one whose key has left the layer's `state` (a `build` that
    made another generator) is not listed."""
    state = layer.__dict__.get("_state") or {}
    return [g.state for g in layer.__dict__.get("_seed_generators", ()) if g._key is None or g._key in state]


def _make_default_seed():
    import random as python_random

    return python_random.randint(1, int(1e9))


def _shape(shape, fn):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        return tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: shape must be a tuple of ints, got {shape!r}") from None


def _float_dtype(dtype, fn):
    dtype = jnp.dtype(dtype or floatx())
    if not jnp.issubdtype(dtype, jnp.floating):
        raise ValueError(f"{fn}: dtype must be a floating point type, got {dtype.name!r}")
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws samples from a normal (Gaussian) distribution.

    Args:
        shape: shape of the result.
        mean: mean of the values.
        stddev: standard deviation of the values.
        dtype: floating point dtype (default `floatx()`).
        seed: None, an int, a `SeedGenerator` or a `jax.random` key (see the module docstring).

    Returns:
        An array of `shape`.

    Raises:
        ValueError: for a non-float `dtype` or a bad `seed`.
    """
    dtype = _float_dtype(dtype, "normal")
    return jax.random.normal(_key(seed), _shape(shape, "normal"), dtype) * stddev + mean


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws samples from a uniform distribution on `[minval, maxval)`.

    Args:
        shape: shape of the result.
        minval: lower bound (included).
        maxval: upper bound (excluded).
        dtype: floating point dtype (default `floatx()`).
        seed: None, an int, a `SeedGenerator` or a `jax.random` key.

    Returns:
        An array of `shape`.

    Raises:
        ValueError: for a non-float `dtype` or a bad `seed`.
    """
    dtype = _float_dtype(dtype, "uniform")
    return jax.random.uniform(_key(seed), _shape(shape, "uniform"), dtype, minval=minval, maxval=maxval)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws samples from a normal distribution truncated to two standard deviations of the mean.

    Args:
        shape: shape of the result.
        mean: mean of the untruncated distribution.
        stddev: standard deviation of the untruncated distribution.
        dtype: floating point dtype (default `floatx()`).
        seed: None, an int, a `SeedGenerator` or a `jax.random` key.

    Returns:
        An array of `shape`, in `[mean - 2 * stddev, mean + 2 * stddev]`.

    Raises:
        ValueError: for a non-float `dtype` or a bad `seed`.
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    sample = jax.random.truncated_normal(_key(seed), -2.0, 2.0, _shape(shape, "truncated_normal"), dtype)
    return sample * stddev + mean


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Draws integers uniformly from `[minval, maxval)`.

    Args:
        shape: shape of the result.
        minval: lower bound (included).
        maxval: upper bound (excluded).
        dtype: integer dtype.
        seed: None, an int, a `SeedGenerator` or a `jax.random` key.

    Returns:
        An integer array of `shape`.

    Raises:
        ValueError: for a non-integer `dtype` or a bad `seed`.
    """
    dtype = jnp.dtype(dtype or "int32")
    if not jnp.issubdtype(dtype, jnp.integer):
        raise ValueError(f"randint: dtype must be an integer type, got {dtype.name!r}")
    return jax.random.randint(_key(seed), _shape(shape, "randint"), minval, maxval, dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws class indices from the categorical distributions given by the rows of `logits`.

    Args:
        logits: `(batch_size, num_classes)` unnormalized log-probabilities.
        num_samples: number of independent samples per row.
        dtype: dtype of the result.
        seed: None, an int, a `SeedGenerator` or a `jax.random` key.

    Returns:
        `(batch_size, num_samples)` class indices.

    Raises:
        ValueError: if `logits` is not 2-D, or for a bad `seed`.
    """
    logits = jnp.asarray(_v(logits))
    if logits.ndim != 2:
        raise ValueError(
            f"categorical: logits must be 2-D (batch_size, num_classes), got shape {tuple(logits.shape)}"
        )
    shape = (logits.shape[0], int(num_samples))
    return jax.random.categorical(_key(seed), logits[..., None], axis=1, shape=shape).astype(dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Sets a fraction `rate` of `inputs` to 0 and scales the rest by `1 / (1 - rate)`.

    Args:
        inputs: array.
        rate: float in [0, 1], the fraction dropped.
        noise_shape: shape of the binary mask, broadcast against `inputs` (None entries take the
            input's size).
        seed: None, an int, a `SeedGenerator` or a `jax.random` key.

    Returns:
        An array like `inputs`.

    Raises:
        ValueError: for a bad `seed`.
    """
    inputs = jnp.asarray(_v(inputs))
    if rate == 1.0:
        return jnp.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    shape = inputs.shape
    if noise_shape is not None:
        shape = tuple(s if n is None else int(n) for n, s in zip(noise_shape, inputs.shape))
    keep = 1.0 - rate
    mask = jnp.broadcast_to(jax.random.bernoulli(_key(seed), keep, shape), inputs.shape)
    return jax.lax.select(mask, inputs / keep, jnp.zeros_like(inputs))


def shuffle(x, axis=0, seed=None):
    """Shuffles `x` along `axis`, each slice along the other axes independently (as Keras's JAX
    backend does).

    Args:
        x: array.
        axis: the axis shuffled.
        seed: None, an int, a `SeedGenerator` or a `jax.random` key.

    Returns:
        An array like `x`.

    Raises:
        ValueError: for a bad `seed`.
    """
    return jax.random.permutation(_key(seed), jnp.asarray(_v(x)), axis, independent=True)


def gamma(shape, alpha, dtype=None, seed=None):
    """Draws samples from the Gamma distribution with concentration `alpha` (scale 1).

    Args:
        shape: shape of the result.
        alpha: float or array broadcastable to `shape`.
        dtype: floating point dtype (default `floatx()`).
        seed: None, an int, a `SeedGenerator` or a `jax.random` key.

    Returns:
        An array of `shape`.

    Raises:
        ValueError: for a non-float `dtype` or a bad `seed`.
    """
    dtype = _float_dtype(dtype, "gamma")
    return jax.random.gamma(_key(seed), jnp.asarray(_v(alpha)), _shape(shape, "gamma"), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Draws samples from the Binomial distribution with `counts` trials of success probability
    `probabilities`.

    Args:
        shape: shape of the result.
        counts: number or array of trial counts, broadcastable with `probabilities` and `shape`.
        probabilities: float or array of success probabilities.
        dtype: floating point dtype (default `floatx()`).
        seed: None, an int, a `SeedGenerator` or a `jax.random` key.

    Returns:
        An array of `shape` holding the success counts.

    Raises:
        ValueError: for a non-float `dtype` or a bad `seed`.
    """
    dtype = _float_dtype(dtype, "binomial")
    return jax.random.binomial(_key(seed), jnp.array(_v(counts)), jnp.array(_v(probabilities)),
                               _shape(shape, "binomial"), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Draws samples from the Beta distribution with parameters `alpha` and `beta`.

    Args:
        shape: shape of the result.
        alpha: float or array, broadcastable with `beta` and `shape`.
        beta: float or array, broadcastable with `alpha` and `shape`.
        dtype: floating point dtype (default `floatx()`).
        seed: None, an int, a `SeedGenerator` or a `jax.random` key.

    Returns:
        An array of `shape` in [0, 1].

    Raises:
        ValueError: for a non-float `dtype` or a bad `seed`.
    """
    dtype = _float_dtype(dtype, "beta")
    return jax.random.beta(_key(seed), jnp.array(_v(alpha)), jnp.array(_v(beta)), _shape(shape, "beta"), dtype)

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
- a `SeedGenerator`: inside a call, the call's key folded with the generator's seed; outside,
  the generator's own stream, whose keys and values equal Keras 3's.
- a `jax.random` key: used as it is.
"""
import jax
import jax.numpy as jnp
import numpy as np

from jkeras.backend import _key, _v
from jkeras.core.config import floatx
from jkeras.utils import naming

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint",
           "shuffle", "truncated_normal", "uniform"]


class SeedGenerator:
    """A seed for random ops that gives different values on each draw.

    Pass it as `seed=` to the functions of `jkeras.random`. Held by a layer
    (`self.seed_generator = SeedGenerator(1337)` in `__init__`) it is no weight: the layer's
    `weights` stay as in Keras.

    Unlike Keras 3, whose generator is a stateful `(seed, counter)` variable updated by every draw,
    this one keeps no array state, so a layer's `apply` stays pure under `jax.jit`:
    - inside a layer's `call`, a draw uses the call's key (from the `rng` given to `apply`, a fresh
      one per training step in `fit`) folded with `seed`: different noise on every step,
      reproducible for a given seed and rng;
    - outside any call (eager code), a draw uses the key `(seed, counter)` and then increments the
      counter, as Keras 3's does, so the values equal Keras 3's for the same seed.

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
        self._counter = 0

    @property
    def state(self):
        """`(seed, counter)` as uint32: the key of the next draw outside a layer call."""
        return jnp.array([self.seed & 0xFFFFFFFF, self._counter & 0xFFFFFFFF], jnp.uint32)

    def _next_own_key(self):
        key = self.state
        self._counter += 1
        return key

    def next(self, ordered=True):
        """Returns the key of the next draw (see the class docstring) and advances.

        Args:
            ordered: accepted for Keras compatibility; the stream is always ordered.
        """
        del ordered
        return _key(self)

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} seed={self.seed}>"


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

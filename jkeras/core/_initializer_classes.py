"""The initializer classes behind `jkeras.core.initializers` (split out for size).

Import them from `jkeras.core.initializers`, which adds the Keras names,
`get`, `serialize` and `deserialize`. See that module for how random
initializers pick their key (seed, then `key`, then NumPy's global RNG).
"""
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import config

__all__ = [
    "Initializer", "Constant", "Zeros", "Ones", "Identity", "RandomNormal",
    "TruncatedNormal", "RandomUniform", "VarianceScaling", "GlorotUniform",
    "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
    "Orthogonal", "compute_fans",
]

# Standard deviation of a unit normal truncated to [-2, 2]
# (scipy.stats.truncnorm.std(a=-2, b=2)); dividing by it makes a truncated
# draw have the intended standard deviation.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _standardize_shape(shape):
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or not all(
        isinstance(d, numbers.Integral) and d >= 0 for d in dims
    ):
        raise ValueError(
            "initializer: shape must be a tuple of non-negative ints, got "
            f"shape={shape!r}"
        )
    return tuple(int(d) for d in dims)


def _standardize_dtype(dtype, floating=False):
    dtype = jnp.dtype(config.floatx() if dtype is None else dtype)
    if floating and not jnp.issubdtype(dtype, jnp.floating):
        raise ValueError(
            "initializer: a random initializer needs a floating dtype, got "
            f"dtype={dtype}"
        )
    return dtype


def compute_fans(shape, input_axes=None, output_axes=None):
    """Returns the numbers of input and output units of a weight shape.

    Dense kernels `(in, out)` give `(in, out)`; convolution kernels
    `(*spatial, in, out)` give `(in * prod(spatial), out * prod(spatial))`;
    a vector `(n,)` gives `(n, n)` and a scalar `(1, 1)`.

    Args:
        shape: Tuple of ints.
        input_axes: Optional list of axes whose sizes multiply to `fan_in`.
        output_axes: Optional list of axes whose sizes multiply to `fan_out`.
            Used only when both are given.

    Returns:
        A tuple of ints `(fan_in, fan_out)`.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return (int(shape[-2] * receptive_field),
            int(shape[-1] * receptive_field))


class Initializer:
    """Base class of initializers: `init(shape, dtype=None, *, key=None)`.

    Subclasses implement `__call__` and, when they take arguments,
    `get_config()` returning the constructor's keyword arguments.
    """

    def __call__(self, shape, dtype=None, *, key=None):
        """Returns an array of `shape` and `dtype`.

        Args:
            shape: Tuple of ints.
            dtype: Optional dtype; float32 when `None`.
            key: Optional `jax.random` key, used by random initializers.

        Returns:
            A `jnp` array.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(shape, dtype, "
            "*, key)"
        )

    def get_config(self):
        """Returns the constructor arguments as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Returns an initializer built from `get_config()`'s dict."""
        return cls(**config)

    def clone(self):
        """Returns a new initializer with the same config."""
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Constant(Initializer):
    """Fills the array with `value` (broadcast to `shape`).

    Args:
        value: A Python scalar, or an array broadcastable to the shape.
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None, *, key=None):
        del key
        dtype = _standardize_dtype(dtype)
        value = jnp.asarray(self.value, dtype=dtype)
        return jnp.broadcast_to(value, _standardize_shape(shape))

    def get_config(self):
        value = self.value
        if isinstance(value, (np.ndarray, np.generic, jax.Array)):
            value = np.asarray(value).tolist()
        return {"value": value}


class Zeros(Initializer):
    """Fills the array with 0."""

    def __call__(self, shape, dtype=None, *, key=None):
        del key
        return jnp.zeros(_standardize_shape(shape), _standardize_dtype(dtype))


class Ones(Initializer):
    """Fills the array with 1."""

    def __call__(self, shape, dtype=None, *, key=None):
        del key
        return jnp.ones(_standardize_shape(shape), _standardize_dtype(dtype))


class Identity(Initializer):
    """Makes `gain` times the (possibly rectangular) identity matrix.

    Args:
        gain: Multiplicative factor.

    Raises:
        ValueError: when called with a shape that is not 2D.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None, *, key=None):
        del key
        shape = _standardize_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity: shape must be 2D (rows, cols), got "
                f"shape={shape} of rank {len(shape)}"
            )
        dtype = _standardize_dtype(dtype)
        return (self.gain * jnp.eye(*shape, dtype=dtype)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


def _global_rng_key():
    """A key drawn from NumPy's global generator (`np.random.seed` rules)."""
    return jax.random.PRNGKey(np.random.randint(0, 2**31 - 1))


class _RandomInitializer(Initializer):
    """Holds the `seed` and turns it, a key or the NumPy RNG into a key."""

    def __init__(self, seed=None):
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"{type(self).__name__}: seed must be an int or None, got "
                f"seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)

    def _key(self, key):
        if self.seed is not None:  # Keras 3's key for an int seed, the raw pair (seed, 0)
            return jnp.array([self.seed & 0xFFFFFFFF, 0], jnp.uint32)
        return key if key is not None else _global_rng_key()

    def get_config(self):
        return {"seed": self.seed}


# A random draw of a new shape compiles a program of its own (0.3-0.9 s on a CPU, most of the
# time a model takes to build: 8 of ResNet50's 11 s). So a float32 draw of `n` values is the first
# `n` of a draw of a bucket size (a power of 4), reshaped on the host: the same values, since
# partitionable threefry draws element `i` from the key and `i` alone, and one compiled program
# per bucket and distribution.
_MIN_BUCKET = 1 << 10


def _draw_flat(key, a, b, kind, size):
    if kind == "uniform":
        return jax.random.uniform(key, (size,), jnp.float32, a, b)
    if kind == "normal":
        return jax.random.normal(key, (size,), jnp.float32)
    return jax.random.truncated_normal(key, -2.0, 2.0, (size,), jnp.float32)


_draw_bucket = jax.jit(_draw_flat, static_argnames=("kind", "size"))


def _draw(kind, key, shape, dtype, a, b):
    """`kind` ("uniform" in [a, b), "normal" / "truncated_normal" with mean a and stddev b)."""
    n = math.prod(shape)
    if (n > 0 and jnp.dtype(dtype) == jnp.float32 and not isinstance(key, jax.core.Tracer)
            and jax.config.jax_threefry_partitionable
            and jax.config.jax_default_prng_impl == "threefry2x32"
            and getattr(key, "dtype", None) == jnp.uint32):
        size = _MIN_BUCKET
        while size < n:
            size *= 4
        values = np.asarray(_draw_bucket(key, np.float32(a), np.float32(b), kind=kind, size=size))[:n]
        if kind != "uniform":  # scaled as the eager path rounds: a multiply, then an add (no FMA)
            values = np.float32(a) + np.float32(b) * values
        return jax.device_put(values.reshape(shape))
    if kind == "uniform":
        return jax.random.uniform(key, shape, dtype, a, b)
    if kind == "normal":
        return a + b * jax.random.normal(key, shape, dtype)
    return a + b * jax.random.truncated_normal(key, -2.0, 2.0, shape, dtype)


def _normal(key, shape, dtype, mean, stddev):
    return _draw("normal", key, shape, dtype, mean, stddev)


def _truncated_normal(key, shape, dtype, mean, stddev):
    """Normal draws beyond two standard deviations of the mean re-drawn."""
    return _draw("truncated_normal", key, shape, dtype, mean, stddev)


def _uniform(key, shape, dtype, minval, maxval):
    return _draw("uniform", key, shape, dtype, minval, maxval)


class RandomNormal(_RandomInitializer):
    """Draws from a normal distribution `N(mean, stddev ** 2)`.

    Args:
        mean: Mean of the values.
        stddev: Standard deviation of the values.
        seed: Optional int; a seeded initializer repeats its values.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        return _normal(self._key(key), _standardize_shape(shape),
                       _standardize_dtype(dtype, floating=True),
                       self.mean, self.stddev)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean,
                "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    """Draws from `N(mean, stddev ** 2)`, re-drawing values more than two
    `stddev` from the mean (so the result's spread is below `stddev`).

    Args:
        mean: Mean of the values.
        stddev: Standard deviation before truncation.
        seed: Optional int; a seeded initializer repeats its values.
    """

    def __call__(self, shape, dtype=None, *, key=None):
        return _truncated_normal(self._key(key), _standardize_shape(shape),
                                 _standardize_dtype(dtype, floating=True),
                                 self.mean, self.stddev)


class RandomUniform(_RandomInitializer):
    """Draws uniformly from `[minval, maxval)`.

    Args:
        minval: Lower bound (inclusive).
        maxval: Upper bound (exclusive).
        seed: Optional int; a seeded initializer repeats its values.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        return _uniform(self._key(key), _standardize_shape(shape),
                        _standardize_dtype(dtype, floating=True),
                        self.minval, self.maxval)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval,
                "maxval": self.maxval}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_RandomInitializer):
    """Draws with a variance of `scale / n`, `n` set by the weight shape.

    `n` is `fan_in`, `fan_out` or their mean (see `compute_fans`). Normal
    draws have standard deviation `sqrt(scale / n)` (for `truncated_normal`,
    after truncation at two standard deviations); uniform draws lie in
    `[-limit, limit]` with `limit = sqrt(3 * scale / n)`.

    Args:
        scale: Positive float.
        mode: One of `"fan_in"`, `"fan_out"`, `"fan_avg"`.
        distribution: One of `"truncated_normal"`, `"untruncated_normal"`,
            `"uniform"`; Keras 2's `"normal"` means `"truncated_normal"`.
        seed: Optional int; a seeded initializer repeats its values.
        input_axes: Optional list of axes making up `fan_in`.
        output_axes: Optional list of axes making up `fan_out`.

    Raises:
        ValueError: if `scale <= 0` or `mode` / `distribution` is unknown.
    """

    def __init__(self, scale=1.0, mode="fan_in",
                 distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if not scale > 0:
            raise ValueError(
                f"VarianceScaling: scale must be a positive float, got "
                f"scale={scale!r}"
            )
        if mode not in _MODES:
            raise ValueError(
                f"VarianceScaling: mode must be one of {_MODES}, got "
                f"mode={mode!r}"
            )
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                "VarianceScaling: distribution must be one of "
                f"{_DISTRIBUTIONS} (or 'normal'), got "
                f"distribution={distribution!r}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        shape = _standardize_shape(shape)
        dtype = _standardize_dtype(dtype, floating=True)
        fan_in, fan_out = compute_fans(shape, self.input_axes,
                                       self.output_axes)
        units = {"fan_in": fan_in, "fan_out": fan_out,
                 "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, units)
        key = self._key(key)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_NORMAL_STDDEV
            return _truncated_normal(key, shape, dtype, 0.0, stddev)
        if self.distribution == "untruncated_normal":
            return _normal(key, shape, dtype, 0.0, math.sqrt(variance))
        limit = math.sqrt(3.0 * variance)
        return _uniform(key, shape, dtype, -limit, limit)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale,
                "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """A `VarianceScaling` whose scale, mode and distribution are fixed."""

    _fixed = None  # (scale, mode, distribution)

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self._fixed
        super().__init__(scale, mode, distribution, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: `U(-limit, limit)` with
    `limit = sqrt(6 / (fan_in + fan_out))`.

    Args:
        seed: Optional int; a seeded initializer repeats its values.
        input_axes: Optional list of axes making up `fan_in`.
        output_axes: Optional list of axes making up `fan_out`.
    """

    _fixed = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with
    `stddev = sqrt(2 / (fan_in + fan_out))` after truncation.

    Args:
        seed: Optional int; a seeded initializer repeats its values.
        input_axes: Optional list of axes making up `fan_in`.
        output_axes: Optional list of axes making up `fan_out`.
    """

    _fixed = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with `stddev = sqrt(2 / fan_in)` after
    truncation.

    Args:
        seed: Optional int; a seeded initializer repeats its values.
        input_axes: Optional list of axes making up `fan_in`.
        output_axes: Optional list of axes making up `fan_out`.
    """

    _fixed = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: `U(-limit, limit)` with `limit = sqrt(6 / fan_in)`.

    Args:
        seed: Optional int; a seeded initializer repeats its values.
        input_axes: Optional list of axes making up `fan_in`.
        output_axes: Optional list of axes making up `fan_out`.
    """

    _fixed = (2.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with `stddev = sqrt(1 / fan_in)` after
    truncation (the companion of `selu`).

    Args:
        seed: Optional int; a seeded initializer repeats its values.
        input_axes: Optional list of axes making up `fan_in`.
        output_axes: Optional list of axes making up `fan_out`.
    """

    _fixed = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: `U(-limit, limit)` with `limit = sqrt(3 / fan_in)`.

    Args:
        seed: Optional int; a seeded initializer repeats its values.
        input_axes: Optional list of axes making up `fan_in`.
        output_axes: Optional list of axes making up `fan_out`.
    """

    _fixed = (1.0, "fan_in", "uniform")


class Orthogonal(_RandomInitializer):
    """Makes a random (semi-)orthogonal matrix times `gain`.

    The shape is flattened to `(prod(shape[:-1]), shape[-1])`; the result has
    orthonormal columns when that has at least as many rows as columns, and
    orthonormal rows otherwise (QR of a normal matrix, signs made uniform).

    Args:
        gain: Multiplicative factor.
        seed: Optional int; a seeded initializer repeats its values.

    Raises:
        ValueError: when called with a shape of rank below 2.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        shape = _standardize_shape(shape)
        dtype = _standardize_dtype(dtype, floating=True)
        if len(shape) < 2:
            raise ValueError(
                "Orthogonal: shape must have rank >= 2, got "
                f"shape={shape} of rank {len(shape)}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        work_dtype = jnp.promote_types(dtype, jnp.float32)
        draw = jax.random.normal(self._key(key),
                                 (max(rows, cols), min(rows, cols)),
                                 work_dtype)
        q, r = jnp.linalg.qr(draw)
        q = q * jnp.sign(jnp.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}

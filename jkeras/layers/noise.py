"""Noise layers: GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D/2D/3D.

Each is the identity at inference and draws its noise, in training, only from the `rng` argument
of `apply` (folded with the layer's `seed` when one is given). As in Keras 3, one that draws holds a
`jkeras.random.SeedGenerator`, whose state is one of its non-trainable `variables`: `stateless_call`
makes the call's key from it and returns it advanced.
"""
import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import config
from jkeras.models.layer import Layer
from jkeras.utils.legacy import DATA_FORMAT_VALUES, LegacyInterface

__all__ = [
    "AlphaDropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]

# SELU's constants (Klambauer et al., 2017).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class _NoiseLayer(Layer):
    """Shared parts: a `rate`-like argument checked into a range, the seed, the rng, identity shape."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
            raise self._error(f"seed must be an int or None, got {seed!r}")
        self.seed = None if seed is None else int(seed)
        self.supports_masking = True

    def _add_seed_generator(self, active):
        """As in Keras 3, a layer that draws noise (`active`) holds a `SeedGenerator`: its state is
        one of the layer's non-trainable variables, threaded by `stateless_call`."""
        if active:
            from jkeras.random import SeedGenerator

            self.seed_generator = SeedGenerator(self.seed)

    def _rate(self, arg, value):
        if not _is_number(value) or not 0 <= value < 1:
            raise self._error(f"{arg} must be a float in [0, 1), got {value!r}")
        return float(value)

    def _key(self, rng):
        if rng is None:
            raise self._error("training=True needs an `rng` key to draw the noise")
        return rng if self.seed is None else jax.random.fold_in(rng, self.seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def _float_inputs(inputs):
    x = jnp.asarray(inputs)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.float32)


class GaussianNoise(_NoiseLayer):
    """Adds zero-centered Gaussian noise of standard deviation `stddev` (training only).

    Args:
        stddev: float >= 0, the noise's standard deviation.
        seed: optional int folded into the rng key.

    Raises:
        ValueError: if `stddev` is negative or not a number.
    """

    _legacy = LegacyInterface(positional=("stddev",), renames={"sigma": "stddev"})

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not _is_number(stddev) or stddev < 0:
            raise self._error(f"stddev must be a float >= 0, got {stddev!r}")
        self.stddev = float(stddev)
        self._add_seed_generator(self.stddev > 0)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not training or self.stddev == 0:
            return inputs, variables["state"]
        x = _float_inputs(inputs)
        noise = self.stddev * jax.random.normal(self._key(rng), x.shape, x.dtype)
        return x + noise, variables["state"]

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_NoiseLayer):
    """Multiplies by 1-centered Gaussian noise of standard deviation `sqrt(rate / (1 - rate))`
    (training only).

    Args:
        rate: float in [0, 1), the drop probability of the equivalent `Dropout`.
        seed: optional int folded into the rng key.

    Raises:
        ValueError: if `rate` is outside [0, 1).
    """

    _legacy = LegacyInterface(positional=("rate",), renames={"p": "rate"})

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = self._rate("rate", rate)
        self._add_seed_generator(self.rate > 0)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not training or self.rate == 0:
            return inputs, variables["state"]
        x = _float_inputs(inputs)
        stddev = float(np.sqrt(self.rate / (1.0 - self.rate)))
        noise = 1.0 + stddev * jax.random.normal(self._key(rng), x.shape, x.dtype)
        return x * noise, variables["state"]

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_NoiseLayer):
    """Dropout for SELU networks: keeps the inputs' mean and variance (training only).

    Dropped entries are set to SELU's negative saturation `-scale * alpha`, then everything goes
    through the affine map `a * x + b` with `a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5`,
    `b = -a * alpha_p * rate`, `alpha_p = -scale * alpha`.

    Args:
        rate: float in [0, 1), the drop probability.
        noise_shape: optional shape of the keep mask, broadcast over the inputs; None entries take
            the input's size, e.g. `(None, 1, features)` shares the mask over time steps.
        seed: optional int folded into the rng key.

    Raises:
        ValueError: if `rate` is outside [0, 1).
    """

    _legacy = LegacyInterface(positional=("rate",), renames={"p": "rate"})

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = self._rate("rate", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self._add_seed_generator(self.rate > 0)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not training or self.rate == 0:
            return inputs, variables["state"]
        x = _float_inputs(inputs)
        kept = jax.random.bernoulli(self._key(rng), 1.0 - self.rate, _noise_shape(self.noise_shape, x.shape))
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1.0 - self.rate) * (1.0 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * jnp.where(kept, x, alpha_p) + b, variables["state"]

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape, "seed": self.seed}


def _noise_shape(noise_shape, shape):
    if noise_shape is None:
        return shape
    return tuple(s if n is None else n for n, s in zip(noise_shape, shape))


class _SpatialDropout(_NoiseLayer):
    """Dropout of whole feature maps: one keep decision per (sample, channel), scaled by 1 / (1 - rate)."""

    rank = None  # spatial axes: 1, 2 or 3

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = self._rate("rate", rate)
        if data_format not in (None, "channels_last", "channels_first"):
            raise self._error(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
        self.data_format = data_format or config.image_data_format()
        self._add_seed_generator(self.rate > 0)

    def _check_input_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) != self.rank + 2:
            raise self._error(
                f"expected an input of rank {self.rank + 2} (batch, {self.rank} spatial axes, channels), "
                f"got shape {input_shape}"
            )

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not training or self.rate == 0:
            return inputs, variables["state"]
        x = _float_inputs(inputs)
        channel_axis = 1 if self.data_format == "channels_first" else x.ndim - 1
        shape = tuple(d if i in (0, channel_axis) else 1 for i, d in enumerate(x.shape))
        keep = 1.0 - self.rate
        kept = jax.random.bernoulli(self._key(rng), keep, shape)
        return jnp.where(kept, x / keep, jnp.zeros_like(x)), variables["state"]

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def _no_noise_shape(args, kwargs):
    """Keras 2 configs of the spatial dropouts carry Dropout's `noise_shape: null`; drop it."""
    if "noise_shape" in kwargs:
        if kwargs["noise_shape"] is not None:
            raise ValueError(
                "SpatialDropout: noise_shape is fixed by the layer (one value per sample and channel); "
                f"remove it, got noise_shape={kwargs['noise_shape']!r}"
            )
        kwargs.pop("noise_shape")
    return args, kwargs, []


_SPATIAL_LEGACY = LegacyInterface(
    positional=("rate",), renames={"p": "rate", "dim_ordering": "data_format"},
    values={"data_format": DATA_FORMAT_VALUES}, preprocess=_no_noise_shape,
)


class SpatialDropout1D(_SpatialDropout):
    """Drops whole 1D feature maps: each channel of each sample is zeroed with probability `rate`
    (training only); kept values are scaled by `1 / (1 - rate)`.

    Args:
        rate: float in [0, 1), the drop probability.
        seed: optional int folded into the rng key.

    Input shape:
        `(batch, steps, channels)`.

    Raises:
        ValueError: if `rate` is outside [0, 1), or the input is not of rank 3.
    """

    rank = 1
    _legacy = LegacyInterface(positional=("rate",), renames={"p": "rate"}, preprocess=_no_noise_shape)

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole 2D feature maps: each channel of each sample is zeroed with probability `rate`
    (training only); kept values are scaled by `1 / (1 - rate)`.

    Args:
        rate: float in [0, 1), the drop probability.
        data_format: "channels_last" (default, `(batch, rows, cols, channels)`) or "channels_first"
            (`(batch, channels, rows, cols)`).
        seed: optional int folded into the rng key.

    Raises:
        ValueError: if `rate` is outside [0, 1), for an unknown data_format, or an input not of rank 4.
    """

    rank = 2
    _legacy = _SPATIAL_LEGACY

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, data_format=data_format, seed=seed, **kwargs)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(_SpatialDropout):
    """Drops whole 3D feature maps: each channel of each sample is zeroed with probability `rate`
    (training only); kept values are scaled by `1 / (1 - rate)`.

    Args:
        rate: float in [0, 1), the drop probability.
        data_format: "channels_last" (default, `(batch, d1, d2, d3, channels)`) or "channels_first"
            (`(batch, channels, d1, d2, d3)`).
        seed: optional int folded into the rng key.

    Raises:
        ValueError: if `rate` is outside [0, 1), for an unknown data_format, or an input not of rank 5.
    """

    rank = 3
    _legacy = _SPATIAL_LEGACY

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, data_format=data_format, seed=seed, **kwargs)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}

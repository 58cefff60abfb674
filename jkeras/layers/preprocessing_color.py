"""Color image augmentations (Keras 3): Solarization, AutoContrast, RandomGrayscale, RandomInvert,
RandomPosterization, RandomSaturation, RandomHue, RandomColorDegeneration, RandomSharpness,
RandomColorJitter and Equalization.

Inputs are one image (rank 3) or a batch (rank 4), "channels_last" or "channels_first". Each random
layer draws one transformation per image, only from the `rng` argument of `apply` (folded with its
`seed`). As in Keras 3, the draw is split from its use: `get_random_transformation(images, seed=key)`
returns the transformation (a dict of arrays with Keras's keys) and `transform_images(images,
transformation)` applies it, so that a transformation can be chosen explicitly and applied by
jkeras and Keras alike. Which layers act at inference follows Keras 3: AutoContrast always does; the
others return their inputs (Solarization and RandomSharpness cast them to the compute dtype first).
"""
import functools

import jax
import jax.numpy as jnp

from jkeras.core import config
from jkeras.layers.preprocessing_image import (
    RandomBrightness,
    RandomContrast,
    _ImageLayer,
    _is_int,
    _is_number,
    _RandomImageLayer,
    _spatial_axes,
)
from jkeras.models.layer import Layer

__all__ = [
    "AutoContrast",
    "Equalization",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPosterization",
    "RandomSaturation",
    "RandomSharpness",
    "Solarization",
]


def _to_range(images, source, target, dtype):
    """Keras's `_transform_value_range`: maps `source` linearly onto `target` (unchanged when equal)."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    images = images.astype(dtype)
    s_low, s_high = jnp.asarray(source[0], dtype), jnp.asarray(source[1], dtype)
    t_low, t_high = jnp.asarray(target[0], dtype), jnp.asarray(target[1], dtype)
    return (images - s_low) / (s_high - s_low) * (t_high - t_low) + t_low


def _channels_last(images, data_format):
    return jnp.moveaxis(images, -3, -1) if data_format == "channels_first" else images


def _restore(images, data_format):
    return jnp.moveaxis(images, -1, -3) if data_format == "channels_first" else images


def _grayscale(images, data_format):
    from jkeras.ops import image

    return image.rgb_to_grayscale(images, data_format=data_format)


def _hsv(images, data_format, to_hsv):
    from jkeras.ops import image

    return (image.rgb_to_hsv if to_hsv else image.hsv_to_rgb)(images, data_format=data_format)


class _ValueRangeMixin:
    def _value_range(self, value_range, sort):
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 \
                or not all(_is_number(v) for v in value_range):
            raise self._error(f"value_range must be a pair of numbers (low, high), got {value_range!r}")
        return sorted(value_range) if sort else tuple(value_range)


class _ColorAugmentation(_ValueRangeMixin, _RandomImageLayer):
    """A random color layer: `_draw(key, n)` gives the transformation of `n` images,
    `_transform(batch, transformation)` applies it to a rank-4 batch."""

    def _inference(self, x):
        return x

    def get_random_transformation(self, data, training=True, seed=None):
        """Draws the transformation of `data` (Keras 3's method).

        Args:
            data: images (rank 3 or 4), or a dict with an "images" entry.
            training: if False, returns None.
            seed: a `jax.random` key, an int, or None (a key from the global stream).

        Returns:
            The transformation (Keras's structure: usually a dict of per-image arrays), or None.
        """
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(jnp.shape(images))
        self._check_input_shape(shape)
        if seed is None:
            from jkeras.utils.random import next_key

            key = self._key(next_key())
        elif _is_int(seed):
            key = jax.random.PRNGKey(int(seed))
        else:
            key = seed
        return self._draw(key, shape[0] if len(shape) == 4 else 1)

    def transform_images(self, images, transformation, training=True):
        """Applies `transformation` (as `get_random_transformation` returns it) to `images` (rank 3 or 4).

        Args:
            images: one image or a batch.
            transformation: the transformation, one entry per image (a batch of 1 for one image);
                None draws one from the global key stream.
            training: if False, returns the inference result (usually the images as given).

        Returns:
            The transformed images.
        """
        x = self._images(images)
        if not training:
            return self._inference(x)
        if transformation is None:
            transformation = self.get_random_transformation(x)
        if x.ndim == 3:
            return self._transform(x[None], transformation)[0]
        return self._transform(x, transformation)

    def _augment(self, images, key):
        return self._transform(images, self._draw(key, images.shape[0]))

    def _uniform(self, key, shape, bounds):
        return jax.random.uniform(key, shape, jnp.float32, minval=bounds[0], maxval=bounds[1]).astype(
            self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


# ------------------------------------------------------------------------------------------------
# Solarization, AutoContrast


class Solarization(_ColorAugmentation):
    """Inverts the pixels at or above a random threshold, after adding a random value (training only).

    In the `(0, 255)` scale, each image gets `x = clip(x + addition, 0, 255)` and then
    `255 - x` where `x >= threshold`. As Keras 3, the addition is drawn in
    `[addition_factor[0], addition_factor[1] * 255]` and the threshold in
    `[threshold_factor[0], threshold_factor[1] * 255]` (the lower bounds are not scaled). The defaults
    (0, 0) invert every pixel. Outputs are of the compute dtype, at inference too.

    Args:
        addition_factor: a number f in [0, 1] (the range `(0, f)`) or a pair in [0, 1].
        threshold_factor: a number f in [0, 1] (the range `(0, f)`) or a pair in [0, 1].
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`); sorted.
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside [0, 1], a value_range that is not two numbers, an unknown
            data_format, or a non-int seed.
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.addition_factor = self._unit_factor("addition_factor", addition_factor)
        self.threshold_factor = self._unit_factor("threshold_factor", threshold_factor)
        self.value_range = self._value_range(value_range, sort=True)

    def _unit_factor(self, arg, factor):
        message = f"{arg} must be a number or a pair of numbers in [0, 1], got {factor!r}"
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(_is_number(f) and 0 <= f <= 1 for f in factor):
                raise self._error(message)
            return tuple(sorted(float(f) for f in factor))
        if not _is_number(factor) or not 0 <= factor <= 1:
            raise self._error(message)
        return 0.0, float(factor)

    def _inference(self, x):
        return x.astype(self.compute_dtype)

    def _draw(self, key, n):
        a_key, t_key = jax.random.split(key)
        add, thr = self.addition_factor, self.threshold_factor
        return {"additions": self._uniform(a_key, (n, 1, 1, 1), (add[0], add[1] * 255.0)),
                "thresholds": self._uniform(t_key, (n, 1, 1, 1), (thr[0], thr[1] * 255.0))}

    def _transform(self, images, transformation):
        dtype = self.compute_dtype
        x = _to_range(images.astype(dtype), self.value_range, (0, 255), dtype)
        x = jnp.clip(x + jnp.asarray(transformation["additions"], dtype), 0, 255)
        x = jnp.where(x < jnp.asarray(transformation["thresholds"], dtype), x, 255 - x)
        return _to_range(x, (0, 255), self.value_range, dtype).astype(dtype)

    def get_config(self):
        config_ = _RandomImageLayer.get_config(self)
        return {**config_, "value_range": self.value_range, "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor, "seed": self.seed}


class AutoContrast(_ValueRangeMixin, _ImageLayer):
    """Stretches each channel of each image over the whole `value_range`, in training and at inference.

    A channel whose values are all equal (or NaN) is returned unchanged. Outputs are of the compute
    dtype. Unlike Keras 3, whose minimum and maximum are taken over axes (1, 2) whatever the format,
    "channels_first" images are stretched over their height and width too.

    Args:
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`); sorted.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a value_range that is not two numbers or an unknown data_format.
    """

    def __init__(self, value_range=(0, 255), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = self._value_range(value_range, sort=True)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        original = self._images(inputs)
        dtype = self.compute_dtype
        x = _to_range(original, self.value_range, (0, 255), dtype).astype(dtype)
        axes = _spatial_axes(x.ndim, self.data_format)
        low = jnp.min(x, axis=axes, keepdims=True)
        high = jnp.max(x, axis=axes, keepdims=True)
        scale = 255.0 / (high - low)  # inf for a flat channel: NaN below, so the original is kept
        out = jnp.clip(x * scale - low * scale, 0.0, 255.0)
        out = _to_range(out, (0, 255), self.value_range, dtype)
        return jnp.where(jnp.isnan(out), original.astype(dtype), out).astype(dtype), variables["state"]

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}


# ------------------------------------------------------------------------------------------------
# Grayscale, invert, posterize


class RandomGrayscale(_ColorAugmentation):
    """Turns each image to grayscale with probability `factor` (training only); outputs keep the
    input's channels (the gray value repeated) and dtype. The transformation is a boolean array
    `(batch, 1, 1, 1)`, True for the images made gray (as Keras 3).

    Args:
        factor: float in [0, 1], the probability of an image becoming gray (default 0.5).
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".
        seed: optional int folded into the rng key.

    Raises:
        ValueError: for a factor outside [0, 1], an unknown data_format, a non-int seed, or (when
            called) images with other than 1 or 3 channels.
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not _is_number(factor) or not 0 <= factor <= 1:
            raise self._error(f"factor must be a number in [0, 1], got {factor!r}")
        self.factor = factor

    def _draw(self, key, n):
        return (jax.random.uniform(key, (n,)) < self.factor)[:, None, None, None]

    def _transform(self, images, transformation):
        axis = -1 if self.data_format == "channels_last" else -3
        if images.shape[axis] not in (1, 3):
            raise self._error(f"expected images with 3 (RGB) or 1 (grayscale) channels, got shape {images.shape}")
        gray = _grayscale(images, self.data_format)
        return jnp.where(jnp.asarray(transformation), gray, images)

    def get_config(self):
        return {**_RandomImageLayer.get_config(self), "factor": self.factor}


class RandomInvert(_ColorAugmentation):
    """Inverts each image, `value_range[1] - x`, with a random probability (training only).

    Each image draws a probability p in `factor` and is inverted when a uniform draw in [0, 1) is
    below p. Outputs are of the compute dtype in training; at inference the inputs are returned as given.

    Args:
        factor: a number f in [0, 1] (probabilities in `(0, f)`) or a pair `(lower, upper)`; default 1.
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside [0, 1], a value_range that is not two numbers, an unknown
            data_format, or a non-int seed.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._base_factor(factor, (0, 1))
        self.value_range = self._value_range(value_range, sort=False)

    def _draw(self, key, n):
        p_key, t_key = jax.random.split(key)
        probability = jax.random.uniform(p_key, (n,), minval=self.factor[0], maxval=self.factor[1])
        return {"apply_inversion": jax.random.uniform(t_key, (n,)) < probability}

    def _transform(self, images, transformation):
        x = images.astype(self.compute_dtype)
        invert = jnp.asarray(transformation["apply_inversion"])[:, None, None, None]
        return jnp.where(invert, jnp.asarray(self.value_range[1], x.dtype) - x, x)


class RandomPosterization(_ColorAugmentation):
    """Keeps only the top `bits` bits of each 8-bit color value (training only).

    Values are mapped from `value_range` to (0, 255), truncated to uint8, shifted right then left by
    `8 - bits` and mapped back. As Keras 3, `bits` is drawn as an integer in `[factor[0], factor[1])`
    (the upper bound excluded) unless both bounds are equal. Outputs are of the compute dtype in
    training; at inference the inputs are returned as given.

    Args:
        factor: an int f in [1, 8] (the range `(1, f)`) or a pair of ints in [1, 8].
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`); sorted.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".
        seed: optional int folded into the rng key.

    Raises:
        ValueError: for a factor outside [1, 8], a value_range that is not two numbers, an unknown
            data_format, or a non-int seed.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        message = f"factor must be an int or a pair of ints in [1, 8], got {factor!r}"
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(_is_number(f) and 1 <= f <= 8 for f in factor):
                raise self._error(message)
            lower, upper = sorted(factor)
        elif _is_number(factor) and 1 <= factor <= 8:
            lower, upper = 1, factor
        else:
            raise self._error(message)
        self.factor = (int(lower), int(upper))
        self.value_range = self._value_range(value_range, sort=True)

    def _draw(self, key, n):
        if self.factor[0] != self.factor[1]:
            bits = jax.random.randint(key, (n,), self.factor[0], self.factor[1]).astype(jnp.uint8)
        else:
            bits = jnp.full((n,), self.factor[0], jnp.uint8)
        return {"shift_factor": jnp.uint8(8) - bits}

    def _transform(self, images, transformation):
        dtype = self.compute_dtype
        shift = jnp.asarray(transformation["shift_factor"]).astype(jnp.uint8)[:, None, None, None]
        x = _to_range(images, self.value_range, (0, 255), dtype).astype(jnp.uint8)
        x = jnp.left_shift(jnp.right_shift(x, shift), shift).astype(dtype)
        return _to_range(x, (0, 255), self.value_range, dtype)


# ------------------------------------------------------------------------------------------------
# Saturation, hue, color degeneration, sharpness


class RandomSaturation(_ColorAugmentation):
    """Scales the saturation of each RGB image by a random amount (training only).

    A value s drawn in `factor` gives the saturation multiplier `s / (1 - s + epsilon)`: 0.5 leaves
    the image as it is, 0 makes it gray, 1 fully saturated. As Keras 3, the images are converted to
    HSV as they are (float RGB; the conversion is scale-free for hue and saturation) and the scaled
    saturation is clipped to `value_range`. At inference the inputs are returned as given.

    Args:
        factor: a number f in [-1, 1] (the range `(-|f|, |f|)`, as Keras 3) or a pair `(lower, upper)`.
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`); sorted.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".
        seed: optional int folded into the rng key.

    Raises:
        ValueError: for a factor outside [-1, 1], a value_range that is not two numbers, an unknown
            data_format, a non-int seed, or (when called) integer images.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._base_factor(factor, (-1, 1))
        self.value_range = self._value_range(value_range, sort=True)

    def _draw(self, key, n):
        s = jax.random.uniform(key, (n,), minval=self.factor[0], maxval=self.factor[1])
        return {"factor": s / (1.0 - s + config.epsilon())}

    def _transform(self, images, transformation):
        if not jnp.issubdtype(images.dtype, jnp.floating):
            raise self._error(f"expected float images, got dtype {images.dtype}")
        scale = jnp.asarray(transformation["factor"], self.compute_dtype)[:, None, None]
        channel = -1 if self.data_format == "channels_last" else 1
        hsv = _hsv(images, self.data_format, True)
        h, s, v = (jnp.take(hsv, i, axis=channel) for i in range(3))
        s = jnp.clip(s * scale, self.value_range[0], self.value_range[1])
        return _hsv(jnp.stack([h, s, v], axis=channel), self.data_format, False)


class RandomHue(_ColorAugmentation):
    """Rotates the hue of each RGB image by a random amount (training only).

    Each image draws a value f in `factor` and a random sign; its hue (in [0, 1)) moves by `±f / 2`,
    wrapping around. Outputs are of the compute dtype in training; at inference the inputs are
    returned as given.

    Args:
        factor: a number f in [0, 1] (the range `(0, f)`) or a pair `(lower, upper)`.
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".
        seed: optional int folded into the rng key.

    Raises:
        ValueError: for a factor outside [0, 1], a value_range that is not two numbers, an unknown
            data_format, or a non-int seed.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._base_factor(factor, (0, 1))
        self.value_range = self._value_range(value_range, sort=False)

    def _draw(self, key, n):
        sign_key, f_key = jax.random.split(key)
        sign = jnp.where(jax.random.uniform(sign_key, (n,)) > 0.5, -1.0, 1.0)
        return {"factor": sign * jax.random.uniform(f_key, (n,), minval=self.factor[0], maxval=self.factor[1])
                * 0.5}

    def _transform(self, images, transformation):
        dtype = self.compute_dtype
        x = _to_range(images.astype(dtype), self.value_range, (0, 1), dtype)
        delta = jnp.asarray(transformation["factor"], dtype)[:, None, None]
        channel = -1 if self.data_format == "channels_last" else 1
        hsv = _hsv(x, self.data_format, True)
        h, s, v = (jnp.take(hsv, i, axis=channel) for i in range(3))
        h = h + delta
        h = jnp.where(h > 1.0, h - 1.0, h)
        h = jnp.where(h < 0.0, h + 1.0, h)
        out = jnp.clip(_hsv(jnp.stack([h, s, v], axis=channel), self.data_format, False), 0, 1)
        return _to_range(out, (0, 1), self.value_range, dtype).astype(dtype)


class RandomColorDegeneration(_ColorAugmentation):
    """Blends each RGB image with its grayscale version by a random amount (training only):
    `x + f * (gray - x)`, clipped to `value_range`; f = 0 leaves the image, 1 makes it gray.

    Outputs are of the compute dtype in training; at inference the inputs are returned as given.

    Args:
        factor: a number f in [-1, 1] (the range `(-|f|, |f|)`, as Keras 3) or a pair `(lower, upper)`.
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`); sorted.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".
        seed: optional int folded into the rng key.

    Raises:
        ValueError: for a factor outside [-1, 1], a value_range that is not two numbers, an unknown
            data_format, a non-int seed, or an input shape without 3 channels.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._base_factor(factor, (-1, 1))
        self.value_range = self._value_range(value_range, sort=True)

    def _draw(self, key, n):
        return {"factor": self._uniform(key, (n, 1, 1, 1), self.factor)}

    def _transform(self, images, transformation):
        x = images.astype(self.compute_dtype)
        f = jnp.asarray(transformation["factor"], x.dtype)
        x = x + f * (_grayscale(x, self.data_format) - x)
        return jnp.clip(x, self.value_range[0], self.value_range[1]).astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise self._error(f"expected an input shape of rank 3 or 4, got {tuple(input_shape)}")
        channels = input_shape[-1 if self.data_format == "channels_last" else -3]
        if channels is not None and channels != 3:
            raise self._error(f"expected images with 3 channels, got input shape {tuple(input_shape)}")
        return tuple(input_shape)


class RandomSharpness(_ColorAugmentation):
    """Blends each image with a blurred version of itself by a random amount (training only).

    The blur is a 3x3 filter (weights 1/13, the center 5/13, zero padding); an image with drawn
    factor f becomes `x + (1 - 2 f) * (blurred - x)`, clipped to `value_range`: f = 0 blurs,
    0.5 leaves the image, 1 sharpens. Outputs are of the compute dtype, at inference too (where the
    images are otherwise unchanged).

    Args:
        factor: a number f in [0, 1] (the range `(0, f)`) or a pair `(lower, upper)`.
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`); sorted.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".
        seed: optional int folded into the rng key.

    Raises:
        ValueError: for a factor outside [0, 1], a value_range that is not two numbers, an unknown
            data_format, or a non-int seed.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._base_factor(factor, (0, 1))
        self.value_range = self._value_range(value_range, sort=True)

    def _inference(self, x):
        return x.astype(self.compute_dtype)

    def _draw(self, key, n):
        return {"factor": jax.random.uniform(key, (n,), minval=self.factor[0], maxval=self.factor[1])}

    def _transform(self, images, transformation):
        dtype = self.compute_dtype
        x = _channels_last(images.astype(dtype), self.data_format)
        sharpness = (jnp.asarray(transformation["factor"]) * 2).astype(dtype).reshape(-1, 1, 1, 1)
        height, width = x.shape[1], x.shape[2]
        padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        window = sum(padded[:, i:i + height, j:j + width] for i in range(3) for j in range(3))
        blurred = (window * (1.0 / 13.0) + x * (4.0 / 13.0)).astype(dtype)
        x = jnp.clip(x + (1.0 - sharpness) * (blurred - x), self.value_range[0], self.value_range[1])
        return _restore(x, self.data_format).astype(dtype)


# ------------------------------------------------------------------------------------------------
# Color jitter


class RandomColorJitter(_ColorAugmentation):
    """RandomBrightness, RandomContrast, RandomSaturation and RandomHue in this order (training only),
    each one that has a factor, with the same `value_range` and `seed`.

    Outputs are of the compute dtype in training; at inference the inputs are returned as given.
    The transformation is `{"seed": key}`, the key each inner layer's draw is folded from (Keras 3
    draws inside `transform_images` and ignores the transformation). Unlike Keras 3, whose inner layers take the default data format, they take this layer's
    `data_format`.

    Args:
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        brightness_factor: RandomBrightness's `factor`, or None (no brightness change).
        contrast_factor: RandomContrast's `factor`, or None.
        saturation_factor: RandomSaturation's `factor`, or None.
        hue_factor: RandomHue's `factor`, or None.
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor that its layer rejects, a value_range that is not two numbers, an
            unknown data_format, or a non-int seed.
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = self._value_range(value_range, sort=False)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        common = dict(value_range=self.value_range, seed=seed, data_format=self.data_format,
                      dtype=self.dtype_policy)
        self._steps = [
            (cls, f"{self.name}_{cls.__name__}", factor)
            for cls, factor in ((RandomBrightness, brightness_factor), (RandomContrast, contrast_factor),
                                (RandomSaturation, saturation_factor), (RandomHue, hue_factor))
            if factor is not None
        ]
        try:
            self._steps = [cls(factor, name=name, **common) for cls, name, factor in self._steps]
        except ValueError as error:
            raise self._error(str(error)) from None

    def _draw(self, key, n):
        return {"seed": key}

    def _transform(self, images, transformation):
        x = images.astype(self.compute_dtype)
        for i, step in enumerate(self._steps):
            x = step._augment(x, jax.random.fold_in(transformation["seed"], i)).astype(self.compute_dtype)
        return x

    def get_config(self):
        return {**_RandomImageLayer.get_config(self), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor, "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor, "seed": self.seed}


# ------------------------------------------------------------------------------------------------
# Histogram equalization


@functools.partial(jax.jit, static_argnames="bins")
def _equalize_channels(channels, bins):
    """Histogram-equalizes each row of `channels` (values in the (0, 255) scale), as Keras 3's Equalization."""

    def equalize(values):
        index = jnp.clip((values * (bins - 1) / jnp.float32(255.0)).astype(jnp.int32), 0, bins - 1)
        hist = jnp.zeros((bins,), jnp.int32).at[index].add(1)
        cdf = jnp.cumsum(hist)
        cdf_min = cdf[jnp.argmax(cdf > 0)]
        denominator = cdf[-1] - cdf_min
        denominator = jnp.where(denominator == 0, 1, denominator)
        table = jnp.clip(jnp.round((cdf - cdf_min) * 255 / denominator), 0, 255)
        lookup = jnp.clip(values / 255.0 * (bins - 1), 0, bins - 1).astype(jnp.int32)
        return jnp.where(jnp.count_nonzero(hist) <= 1, values, table[lookup].astype(values.dtype))

    return jax.vmap(equalize)(channels)


class Equalization(_ColorAugmentation):
    """Equalizes the histogram of each channel of each image (training only).

    Values are mapped to (0, 255) and put in `bins` equal bins; a channel with more than one
    non-empty bin is remapped through its normalized cumulative histogram (rounded to integers in
    [0, 255]), then mapped back to `value_range`. Outputs are of the compute dtype in training; at
    inference the inputs are returned as given (as Keras 3's code does, despite its docstring). Unlike
    Keras 3, which pools the histogram of a channel over the whole batch, each image is equalized on
    its own (so that an image's result does not depend on the other images of its batch; a single
    image gives Keras's result).

    Args:
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`); sorted.
        bins: positive int, the number of histogram bins (default 256).
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a value_range that is not two numbers, a non-positive bins, or an unknown
            data_format.
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = self._value_range(value_range, sort=True)
        if not _is_int(bins) or bins < 1:
            raise self._error(f"bins must be a positive int, got {bins!r}")
        self.bins = int(bins)

    def _key(self, rng):
        return rng  # deterministic: no key needed

    def _draw(self, key, n):
        return None

    def _transform(self, images, transformation):
        dtype = self.compute_dtype
        x = _channels_last(images.astype(dtype), self.data_format)
        low, high = self.value_range
        channels = jnp.moveaxis(x, -1, 1).reshape(x.shape[0] * x.shape[-1], -1)
        scale = 255.0 / (high - low)
        channels = channels * jnp.asarray(scale, dtype) + jnp.asarray(-low * scale, dtype)
        out = _equalize_channels(channels, self.bins)
        back = (high - low) / 255.0
        out = out * jnp.asarray(back, dtype) + jnp.asarray(low, dtype)
        out = jnp.moveaxis(out.reshape((x.shape[0], x.shape[-1]) + x.shape[1:3]), 1, -1)
        return _restore(out, self.data_format).astype(dtype)

    def get_config(self):
        return {**_RandomImageLayer.get_config(self), "bins": self.bins, "value_range": self.value_range}

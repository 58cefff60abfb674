"""Image preprocessing layers (Keras 3): Rescaling, Resizing, CenterCrop, and the augmentations
RandomCrop, RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast, RandomBrightness.

Inputs are one image (rank 3) or a batch of images (rank 4), in "channels_last"
`(..., height, width, channels)` or "channels_first" `(..., channels, height, width)` format.
The random layers are the identity at inference (RandomCrop center-crops and resizes instead) and,
in training, draw their transformation only from the `rng` argument of `apply` (folded with the
layer's `seed` when one is given): one draw per image, except RandomCrop's crop window, which the
whole batch shares, as in Keras.
"""
import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import config
from jkeras.models.layer import Layer

__all__ = [
    "CenterCrop",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
]

_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")
_AFFINE_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}  # map_coordinates' spline order
_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _spatial_axes(ndim, data_format):
    """(height axis, width axis) of an image (ndim 3) or a batch of images (ndim 4)."""
    return (ndim - 3, ndim - 2) if data_format == "channels_last" else (ndim - 2, ndim - 1)


def _aspect_window(height, width, target_height, target_width):
    """Keras's largest centered window of the target aspect ratio: (top, left, height, width)."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_height) / 2), int(float(width - crop_width) / 2), crop_height, crop_width


def _crop(images, axes, top, left, height, width):
    images = jax.lax.slice_in_dim(images, top, top + height, axis=axes[0])
    return jax.lax.slice_in_dim(images, left, left + width, axis=axes[1])


def _resize(images, size, data_format, interpolation="bilinear", antialias=False,
            crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_value=0.0):
    """Keras 3's `ops.image.resize` (one implementation: `jkeras.ops.image.resize`)."""
    from jkeras.ops import image

    return image.resize(images, size, interpolation=interpolation, antialias=antialias,
                        crop_to_aspect_ratio=crop_to_aspect_ratio, pad_to_aspect_ratio=pad_to_aspect_ratio,
                        fill_value=fill_value, data_format=data_format)


def _affine_transform(images, transforms, interpolation, fill_mode, fill_value, data_format):
    """Samples each image of a batch at affinely moved coordinates (Keras's `affine_transform`).

    `transforms` has one row `[a0, a1, a2, b0, b1, b2]` per image: output pixel `(x, y)` takes the
    input's value at `(a0 * x + a1 * y + a2, b0 * x + b1 * y + b2)`, interpolated with
    `jax.scipy.ndimage.map_coordinates` and extended past the edges by `fill_mode`.
    """
    if data_format == "channels_first":
        images = jnp.moveaxis(images, 1, -1)
    _, height, width, _ = images.shape
    y, x = jnp.meshgrid(jnp.arange(height, dtype=jnp.float32), jnp.arange(width, dtype=jnp.float32),
                        indexing="ij")
    t = transforms.astype(jnp.float32)[:, :, None, None]
    src_x = t[:, 0] * x + t[:, 1] * y + t[:, 2]
    src_y = t[:, 3] * x + t[:, 4] * y + t[:, 5]
    order = _AFFINE_INTERPOLATIONS[interpolation]

    def sample_channel(channel, sy, sx):
        return jax.scipy.ndimage.map_coordinates(channel, [sy, sx], order=order, mode=fill_mode,
                                                 cval=fill_value)

    sample_image = jax.vmap(sample_channel, in_axes=(-1, None, None), out_axes=-1)
    out = jax.vmap(sample_image)(images, src_y, src_x).astype(images.dtype)
    return jnp.moveaxis(out, -1, 1) if data_format == "channels_first" else out


# ------------------------------------------------------------------------------------------------
# Bases


class _ImageLayer(Layer):
    """Shared parts: the data format, the rank check (3 or 4), identity shape, `data_format` in config."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise self._error(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
        self.data_format = data_format or config.image_data_format()

    def _check_input_shape(self, input_shape):
        if isinstance(input_shape, tuple) and len(input_shape) not in (3, 4):
            raise self._error(
                "expected an image of rank 3 (height, width, channels) or a batch of images of rank 4, "
                f"got shape {input_shape}"
            )

    def _images(self, inputs):
        x = jnp.asarray(inputs)
        self._check_input_shape(tuple(x.shape))
        return x

    def _size_arg(self, arg, value):
        if not _is_int(value) or value < 1:
            raise self._error(f"{arg} must be a positive int, got {value!r}")
        return int(value)

    def _choice(self, arg, value, choices, error=None):
        if value not in choices:
            raise (error or self._error)(f"{arg} must be one of {choices}, got {value!r}")
        return value

    def _unsupported(self, message):
        """Keras raises NotImplementedError for an unknown fill_mode / interpolation of its affine layers."""
        return NotImplementedError(f"{type(self).__name__} '{self.name}': {message}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class _SizedImageLayer(_ImageLayer):
    """An image layer whose outputs have a fixed `(height, width)`."""

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            raise self._error(f"expected an input shape of rank 3 or 4, got {tuple(input_shape)}")
        h_axis, w_axis = _spatial_axes(len(shape), self.data_format)
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)


class _RandomImageLayer(_ImageLayer):
    """An augmentation: `_inference(x)` when not training, else `_augment(batch, key)` on a rank-4
    batch (an unbatched image gets a batch axis of 1 for it). Called directly without `training`,
    it augments (Keras 3's `call(data, training=True)`)."""

    _training_default = True

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if seed is not None and not _is_int(seed):
            raise self._error(f"seed must be an int or None, got {seed!r}")
        self.seed = None if seed is None else int(seed)

    def _key(self, rng):
        if rng is None:
            raise self._error("training=True needs an `rng` key to draw the transformation")
        return rng if self.seed is None else jax.random.fold_in(rng, self.seed)

    def _seed_key(self, seed):
        """The key of `get_random_transformation(..., seed=seed)`: from `seed` (an int, a
        `SeedGenerator` or a key), else a fresh one folded with the layer's own `seed`."""
        from jkeras.backend import _key

        key = _key(seed)
        return key if seed is not None or self.seed is None else jax.random.fold_in(key, self.seed)

    def _base_factor(self, factor, bounds, arg="factor"):
        """Keras's factor rule: a number f gives `(max(-|f|, low), |f|)`, a pair is sorted."""
        low, high = bounds
        message = f"{arg} must be a number or a pair of numbers in [{low}, {high}], got {factor!r}"
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(_is_number(f) for f in factor) or factor[0] > high or factor[1] < low:
                raise self._error(message)
            lower, upper = sorted(float(f) for f in factor)
            return lower, upper
        if not _is_number(factor) or not low <= factor <= high:
            raise self._error(message)
        factor = abs(float(factor))
        return max(-factor, float(low)), factor

    def _symmetric_factor(self, factor, arg, open_low):
        """RandomZoom / RandomTranslation's rule: each number in [-1, 1] ((-1, 1] when `open_low`);
        a number f gives `(-|f|, |f|)`, a pair is sorted."""
        interval = "(-1, 1]" if open_low else "[-1, 1]"

        def valid(f):
            return _is_number(f) and (f > -1 if open_low else f >= -1) and f <= 1

        message = f"{arg} must be a number or a pair of numbers in {interval}, got {factor!r}"
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(valid(f) for f in factor):
                raise self._error(message)
            lower, upper = sorted(float(f) for f in factor)
            return lower, upper
        if not valid(factor):
            raise self._error(message)
        factor = abs(float(factor))
        return -factor, factor

    def _interpolation_and_fill(self, interpolation, fill_mode, fill_value):
        self.interpolation = self._choice("interpolation", interpolation, tuple(_AFFINE_INTERPOLATIONS),
                                          self._unsupported)
        self.fill_mode = self._choice("fill_mode", fill_mode, _FILL_MODES, self._unsupported)
        if not _is_number(fill_value):
            raise self._error(f"fill_value must be a number, got {fill_value!r}")
        self.fill_value = float(fill_value)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._images(inputs)
        if not training:
            return self._inference(x), variables["state"]
        key = self._key(rng)
        if x.ndim == 4:
            return self._augment(x, key), variables["state"]
        return self._augment(x[None], key)[0], variables["state"]

    def _inference(self, x):
        return x.astype(self.compute_dtype)

    def _augment(self, images, key):
        raise NotImplementedError

    def _transform(self, images, transforms):
        return _affine_transform(images.astype(self.compute_dtype), transforms, self.interpolation,
                                 self.fill_mode, self.fill_value, self.data_format)

    def _affine_config(self):
        return {"fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}


def _uniform(key, shape, bounds):
    return jax.random.uniform(key, shape, jnp.float32, minval=bounds[0], maxval=bounds[1])


# ------------------------------------------------------------------------------------------------
# Deterministic layers


class Rescaling(Layer):
    """Multiplies the inputs by `scale` and adds `offset`, in training and at inference; outputs
    are of the layer's compute dtype (float32 by default), whatever the inputs' dtype.

    Args:
        scale: a number, or one number per channel (a list or array); with
            `image_data_format() == "channels_first"` a per-channel scale applies to axis -3.
        offset: a number, or an array broadcast against the inputs.

    Raises:
        ValueError: if `scale` or `offset` is not a number or an array of numbers.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = self._value("scale", scale)
        self.offset = self._value("offset", offset)
        self.supports_masking = True

    def _value(self, arg, value):
        if isinstance(value, dict) and value.get("class_name") == "__numpy__":  # Keras 3's numpy encoding
            cfg = value.get("config", {})
            value = np.asarray(cfg.get("value"), dtype=cfg.get("dtype", "float32"))
        if _is_number(value):
            return float(value)
        try:
            array = None if isinstance(value, (str, bytes, bool)) else np.asarray(value, dtype="float64")
        except (TypeError, ValueError):
            array = None
        if array is None or array.dtype == bool:
            raise self._error(f"{arg} must be a number or an array of numbers, got {value!r}")
        return float(array) if array.ndim == 0 else array.tolist()

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        dtype = self.compute_dtype
        scale = jnp.asarray(self.scale, dtype)
        if scale.ndim > 0 and config.image_data_format() == "channels_first":
            scale = jnp.reshape(scale, scale.shape + (1,) * (3 - scale.ndim))
        return jnp.asarray(inputs).astype(dtype) * scale + jnp.asarray(self.offset, dtype), variables["state"]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Resizing(_SizedImageLayer):
    """Resizes images to `(height, width)`, in training and at inference.

    Integer inputs are rounded back to their dtype (saturating); float inputs keep their dtype.

    Args:
        height: int, the output height.
        width: int, the output width.
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3" or "lanczos5".
        crop_to_aspect_ratio: if True, first crops the largest centered window of the target
            aspect ratio, so that the image is not distorted.
        pad_to_aspect_ratio: if True, first pads the short side evenly with `fill_value` to the
            target aspect ratio, so that the image is not distorted.
        fill_mode: how padded areas are filled; only "constant" is supported.
        fill_value: float, the padding value with `pad_to_aspect_ratio=True`.
        antialias: whether to low-pass filter when downsampling (as `jax.image.resize`).
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a non-positive size, an unknown interpolation or data_format, a fill_mode
            other than "constant", or both `crop_to_aspect_ratio` and `pad_to_aspect_ratio`.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = self._size_arg("height", height)
        self.width = self._size_arg("width", width)
        self.interpolation = self._choice("interpolation", interpolation, _RESIZE_INTERPOLATIONS)
        self.fill_mode = self._choice("fill_mode", fill_mode, ("constant",))
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise self._error("only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
        if not _is_number(fill_value):
            raise self._error(f"fill_value must be a number, got {fill_value!r}")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_value = float(fill_value)
        self.antialias = bool(antialias)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._images(inputs)  # integer images stay integers (rounded, clipped), as ops.image.resize
        resized = _resize(
            x, (self.height, self.width), self.data_format, self.interpolation, self.antialias,
            self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, self.fill_value,
        )
        return resized, variables["state"]

    def get_config(self):
        return {
            **super().get_config(), "height": self.height, "width": self.width,
            "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
            "fill_value": self.fill_value, "antialias": self.antialias,
        }


class CenterCrop(_SizedImageLayer):
    """Crops the central `(height, width)` window of images, in training and at inference.

    An image smaller than the target on either side is instead cropped to the largest centered
    window of the target aspect ratio and resized (bilinear) to `(height, width)`. Outputs are of
    the layer's compute dtype.

    Args:
        height: int, the output height.
        width: int, the output width.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a non-positive size or an unknown data_format.
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = self._size_arg("height", height)
        self.width = self._size_arg("width", width)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._images(inputs).astype(self.compute_dtype)
        axes = _spatial_axes(x.ndim, self.data_format)
        h_diff, w_diff = x.shape[axes[0]] - self.height, x.shape[axes[1]] - self.width
        if h_diff >= 0 and w_diff >= 0:
            return _crop(x, axes, h_diff // 2, w_diff // 2, self.height, self.width), variables["state"]
        out = _resize(x, (self.height, self.width), self.data_format, crop_to_aspect_ratio=True)
        return out, variables["state"]

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


# ------------------------------------------------------------------------------------------------
# Random layers


class RandomCrop(_RandomImageLayer, _SizedImageLayer):
    """Crops images to `(height, width)` at a random location (training), the same for the whole batch.

    At inference, and in training when an image is not larger than the target on both sides, the
    largest centered window of the target aspect ratio is cropped and resized (bilinear) to
    `(height, width)`. Outputs are of the layer's compute dtype.

    Args:
        height: int, the output height.
        width: int, the output width.
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a non-positive size, an unknown data_format, or a non-int seed.
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height = self._size_arg("height", height)
        self.width = self._size_arg("width", width)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._images(inputs).astype(self.compute_dtype)
        axes = _spatial_axes(x.ndim, self.data_format)
        height, width = x.shape[axes[0]], x.shape[axes[1]]
        if not (training and height > self.height and width > self.width):
            out = _resize(x, (self.height, self.width), self.data_format, crop_to_aspect_ratio=True)
            return out, variables["state"]
        h_key, w_key = jax.random.split(self._key(rng))
        top = jnp.minimum(_uniform(h_key, (), (0.0, height - self.height + 1.0)).astype(jnp.int32),
                          height - self.height)
        left = jnp.minimum(_uniform(w_key, (), (0.0, width - self.width + 1.0)).astype(jnp.int32),
                           width - self.width)
        starts = [jnp.int32(0)] * x.ndim
        starts[axes[0]], starts[axes[1]] = top, left
        sizes = list(x.shape)
        sizes[axes[0]], sizes[axes[1]] = self.height, self.width
        return jax.lax.dynamic_slice(x, starts, sizes), variables["state"]

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self.seed}


class RandomFlip(_RandomImageLayer):
    """Flips each image with probability 1/2 (training only); outputs are of the compute dtype.

    Args:
        mode: "horizontal" (left-right), "vertical" (up-down) or "horizontal_and_vertical"
            (default: a flipped image is flipped both ways).
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for an unknown mode or data_format, or a non-int seed.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = self._choice("mode", mode, _FLIP_MODES)

    def _augment(self, images, key):
        images = images.astype(self.compute_dtype)
        flips = jax.random.uniform(key, (images.shape[0], 1, 1, 1)) <= 0.5
        h_axis, w_axis = _spatial_axes(4, self.data_format)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            images = jnp.where(flips, jnp.flip(images, w_axis), images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            images = jnp.where(flips, jnp.flip(images, h_axis), images)
        return images

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}


class RandomRotation(_RandomImageLayer):
    """Rotates each image about its center by a random angle (training only).

    Args:
        factor: fraction of a full turn: a number f draws angles in `[-|f|, |f|] * 360` degrees,
            a pair `(lower, upper)` in `[lower, upper] * 360`; positive angles rotate
            counter-clockwise.
        fill_mode: how points outside the image are filled: "reflect" (default,
            `d c b a | a b c d | d c b a`), "wrap" (`a b c d | a b c d | a b c d`), "constant"
            (`k k k k | a b c d | k k k k`, k = fill_value) or "nearest" (`a a a a | a b c d | d d d d`).
        interpolation: "bilinear" (default) or "nearest".
        seed: optional int folded into the rng key.
        fill_value: float, the value outside the image with `fill_mode="constant"`.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside [-1, 1], an unknown data_format, or a non-int seed.
        NotImplementedError: for an unknown fill_mode or interpolation (as Keras).
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._base_factor(factor, (-1, 1))
        self._interpolation_and_fill(interpolation, fill_mode, fill_value)

    def _augment(self, images, key):
        h_axis, w_axis = _spatial_axes(4, self.data_format)
        height, width = images.shape[h_axis], images.shape[w_axis]
        angle = _uniform(key, (images.shape[0],), (self.factor[0] * 360.0, self.factor[1] * 360.0))
        angle = angle * jnp.float32(np.pi / 180.0)
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        transforms = jnp.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos], axis=1)
        return self._transform(images, transforms)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, **self._affine_config()}


class RandomZoom(_RandomImageLayer):
    """Zooms each image in or out about its center by a random amount (training only).

    Args:
        height_factor: fraction of the height: a number f draws vertical zooms in
            `[1 - |f|, 1 + |f|]`, a pair `(lower, upper)` in `[1 + lower, 1 + upper]`; values in
            (-1, 1]. A positive value zooms out (the image shrinks), a negative one zooms in.
        width_factor: the same for the width, drawn independently; None (default) zooms both
            axes by the same amount, preserving the aspect ratio.
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest" (see `RandomRotation`).
        interpolation: "bilinear" (default) or "nearest".
        seed: optional int folded into the rng key.
        fill_value: float, the value outside the image with `fill_mode="constant"`.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside (-1, 1], an unknown data_format, or a non-int seed.
        NotImplementedError: for an unknown fill_mode or interpolation (as Keras).
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._symmetric_factor(height_factor, "height_factor", True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = self._symmetric_factor(width_factor, "width_factor", True)
        self._interpolation_and_fill(interpolation, fill_mode, fill_value)

    def _augment(self, images, key):
        h_key, w_key = jax.random.split(key)
        n = images.shape[0]
        h_axis, w_axis = _spatial_axes(4, self.data_format)
        height, width = images.shape[h_axis], images.shape[w_axis]
        zy = _uniform(h_key, (n,), (1.0 + self.height_lower, 1.0 + self.height_upper))
        zx = zy if self.width_factor is None else _uniform(
            w_key, (n,), (1.0 + self.width_lower, 1.0 + self.width_upper))
        zeros = jnp.zeros_like(zx)
        transforms = jnp.stack(
            [zx, zeros, (width - 1.0) / 2.0 * (1.0 - zx), zeros, zy, (height - 1.0) / 2.0 * (1.0 - zy)], axis=1)
        return self._transform(images, transforms)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                **self._affine_config()}


class RandomTranslation(_RandomImageLayer):
    """Shifts each image by a random offset (training only).

    Args:
        height_factor: fraction of the height: a number f draws vertical shifts in
            `[-|f|, |f|] * height`, a pair `(lower, upper)` in `[lower, upper] * height`; values in
            [-1, 1]. A positive shift moves the image down.
        width_factor: the same for the width; a positive shift moves the image right.
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest" (see `RandomRotation`).
        interpolation: "bilinear" (default) or "nearest".
        seed: optional int folded into the rng key.
        fill_value: float, the value outside the image with `fill_mode="constant"`.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside [-1, 1], an unknown data_format, or a non-int seed.
        NotImplementedError: for an unknown fill_mode or interpolation (as Keras).
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._symmetric_factor(height_factor, "height_factor", False)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = self._symmetric_factor(width_factor, "width_factor", False)
        self._interpolation_and_fill(interpolation, fill_mode, fill_value)

    def _augment(self, images, key):
        h_key, w_key = jax.random.split(key)
        n = images.shape[0]
        h_axis, w_axis = _spatial_axes(4, self.data_format)
        dy = _uniform(h_key, (n,), (self.height_lower, self.height_upper)) * images.shape[h_axis]
        dx = _uniform(w_key, (n,), (self.width_lower, self.width_upper)) * images.shape[w_axis]
        ones, zeros = jnp.ones_like(dx), jnp.zeros_like(dx)
        return self._transform(images, jnp.stack([ones, zeros, -dx, zeros, ones, -dy], axis=1))

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                **self._affine_config()}


class _ColorLayer(_RandomImageLayer):
    """RandomContrast / RandomBrightness: a factor in its bounds, a `value_range` the outputs are clipped to,
    and the identity at inference (inputs returned as given)."""

    def __init__(self, factor, bounds, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._base_factor(factor, bounds)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 \
                or not all(_is_number(v) for v in value_range):
            raise self._error(f"value_range must be a pair of numbers (low, high), got {value_range!r}")
        self.value_range = tuple(value_range)

    def _inference(self, x):
        return x

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


class RandomContrast(_ColorLayer):
    """Scales each image's contrast by a random factor (training only): each channel becomes
    `(x - mean) * contrast + mean`, `mean` its mean over the image, then clipped to `value_range`.

    As Keras 3, `factor` is parsed with bounds [0, 1]: a number f gives `(lower, upper) = (0, f)`,
    a pair `(lower, upper)` is sorted; `contrast` is drawn in `[1 - lower, 1 + upper]`. Outputs are
    of the compute dtype in training; at inference the inputs are returned as given.

    Args:
        factor: a number in [0, 1] or a pair `(lower, upper)` (see above).
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside [0, 1], a value_range that is not two numbers, an unknown
            data_format, or a non-int seed.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor, (0, 1), value_range=value_range, seed=seed, data_format=data_format, **kwargs)

    def _augment(self, images, key):
        x = images.astype(self.compute_dtype)
        contrast = _uniform(key, (x.shape[0], 1, 1, 1), (1.0 - self.factor[0], 1.0 + self.factor[1]))
        mean = jnp.mean(x, axis=_spatial_axes(4, self.data_format), keepdims=True)
        out = (x - mean) * contrast.astype(x.dtype) + mean
        return jnp.clip(out, self.value_range[0], self.value_range[1]).astype(x.dtype)


class RandomBrightness(_ColorLayer):
    """Adds a random brightness delta to each image (training only), clipped to `value_range`.

    The delta is drawn in `[lower, upper] * (high - low)`; -1 makes an image black, 1 white. Outputs
    keep the inputs' dtype (an integer delta, truncated, for integer inputs); at inference the inputs
    are returned as given.

    Args:
        factor: a number f in [-1, 1] gives `(lower, upper) = (-|f|, |f|)`, a pair is sorted.
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`); sorted.
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside [-1, 1], a value_range that is not two numbers, an unknown
            data_format, or a non-int seed.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor, (-1, 1), value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self.value_range = tuple(sorted(self.value_range))

    def _augment(self, images, key):
        low, high = self.value_range
        delta = _uniform(key, (images.shape[0], 1, 1, 1), self.factor) * (high - low)
        if jnp.issubdtype(images.dtype, jnp.inexact):
            return jnp.clip(images + delta.astype(images.dtype), low, high)
        out = jnp.clip(images.astype(jnp.float32) + jnp.trunc(delta), low, high)
        return out.astype(images.dtype)

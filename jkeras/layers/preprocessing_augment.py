"""Keras 3's geometric and mixing image augmentations: RandomGaussianBlur, RandomErasing,
RandomShear, RandomPerspective, RandomElasticTransform, MixUp and CutMix.

As the other random image layers (`preprocessing_image`), they take one image (rank 3) or a batch
(rank 4), draw their transformation in training only from the `rng` argument of `apply` (folded
with `seed` when one is given), and are the identity at inference (outputs cast to the compute
dtype; MixUp returns its inputs as given). Each also has Keras 3's two-step API:
`get_random_transformation(data, training=True, seed=None)` returns a dict of arrays (Keras 3's
keys), and `transform_images(images, transformation=None, training=True)` applies one, so a
transformation drawn elsewhere (by Keras 3, say) can be replayed exactly.

MixUp and CutMix also take `{"images": ..., "labels": ...}` and mix the labels with the images.
MaxNumBoundingBoxes pads or truncates the bounding boxes of `{"images": ..., "bounding_boxes": ...}`.
"""
import jax
import jax.numpy as jnp

from jkeras.layers.preprocessing_image import _ImageLayer, _is_int, _is_number, _RandomImageLayer, _spatial_axes
from jkeras.ops import image as image_ops

__all__ = [
    "CutMix",
    "MaxNumBoundingBoxes",
    "MixUp",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomGaussianBlur",
    "RandomPerspective",
    "RandomShear",
]

_AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
_SHEAR_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _uniform(key, shape, low, high, dtype=jnp.float32):
    return jax.random.uniform(key, shape, dtype, minval=low, maxval=high)


class _Augmentation(_RandomImageLayer):
    """A random image layer written as Keras 3's `get_random_transformation` + `transform_images`:
    subclasses define `_draw(images, key)` (a dict of arrays for a rank-4 batch) and
    `_apply(images, transformation)` (on a rank-4 batch already cast to the compute dtype)."""

    def _augment(self, images, key):
        transformation = self._draw(images, key)
        return self._finish(images, transformation)

    def _finish(self, images, transformation):
        images = images.astype(self.compute_dtype)
        if transformation is None:
            return images
        return self._apply(images, transformation)

    def _draw(self, images, key):
        raise NotImplementedError

    def _apply(self, images, transformation):
        raise NotImplementedError

    def get_random_transformation(self, data, training=True, seed=None):
        """Draws one transformation for `data` (images, or a dict with "images").

        Args:
            data: a batch (rank 4) or one image (rank 3), or a dict holding it under "images".
            training: with False, returns None (no transformation).
            seed: None (a fresh draw), an int, a `SeedGenerator` or a `jax.random` key.

        Returns:
            A dict of arrays with Keras 3's keys, or None.
        """
        if not training:
            return None
        images = self._images(data["images"] if isinstance(data, dict) else data)
        batch = images if images.ndim == 4 else images[None]
        return self._draw(batch, self._seed_key(seed))

    def transform_images(self, images, transformation=None, training=True):
        """Applies `transformation` (from `get_random_transformation`, here or in Keras 3) to `images`.

        Returns:
            The transformed images in the compute dtype (cast only, without a transformation or
            with `training=False`).
        """
        x = self._images(images)
        if not training or transformation is None:
            return self._inference(x)
        transformation = jax.tree_util.tree_map(jnp.asarray, dict(transformation))
        if x.ndim == 4:
            return self._finish(x, transformation)
        return self._finish(x[None], transformation)[0]

    def _bounded_pair(self, value, arg, bounds=(0, 1)):
        """Keras 3's factor rule for `arg` with bounds [low, high]: a number f gives
        `(max(-|f|, low), |f|)`, a pair is sorted."""
        return self._base_factor(value, bounds, arg)

    def _value_range(self, value_range):
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 \
                or not all(_is_number(v) for v in value_range):
            raise self._error(f"value_range must be a pair of numbers (low, high), got {value_range!r}")
        return tuple(value_range)

    def _apply_mask(self, flags, transformed, images):
        return jnp.where(flags[:, None, None, None], transformed, images)


# ------------------------------------------------------------------------------------------------


class RandomGaussianBlur(_Augmentation):
    """Blurs each image, with probability drawn in `factor`, by a Gaussian of random sigma (training only).

    One sigma per axis is drawn for the whole batch in `sigma`; the outputs are clipped to
    `value_range` and of the compute dtype.

    Args:
        factor: the probability bounds: a number f in [0, 1] gives `(0, f)`, a pair is sorted; each
            image is blurred with probability drawn uniformly in it (default 1.0).
        kernel_size: odd int, or a pair of odd ints, the kernel's size (default 3).
        sigma: a number s in [0, 1] gives sigmas in `(0, s)`, a pair `(lower, upper)` in it (default 1.0).
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".
        seed: optional int folded into the rng key.

    Raises:
        ValueError: for a factor or sigma outside [0, 1], an even kernel size, a bad value_range,
            data_format or seed.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._bounded_pair(factor, "factor")
        sizes = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
        if len(sizes) != 2 or not all(_is_int(k) and k > 0 and k % 2 == 1 for k in sizes):
            raise self._error(f"kernel_size must be an odd int or a pair of odd ints, got {kernel_size!r}")
        self.kernel_size = tuple(int(k) for k in sizes)
        self.sigma = self._bounded_pair(sigma, "sigma")
        self.value_range = self._value_range(value_range)

    def _draw(self, images, key):
        p_key, t_key, s_key = jax.random.split(key, 3)
        n = images.shape[0]
        probability = _uniform(p_key, (n,), *self.factor)
        return {"should_apply_blur": _uniform(t_key, (n,), 0.0, 1.0) < probability,
                "blur_factor": _uniform(s_key, (2,), *self.sigma, dtype=self.compute_dtype) + 1e-6}

    def _apply(self, images, transformation):
        sigma = transformation["blur_factor"].astype(images.dtype)
        blurred = image_ops.gaussian_blur(images, self.kernel_size, (sigma[0], sigma[1]),
                                          data_format=self.data_format)
        images = self._apply_mask(transformation["should_apply_blur"], blurred, images)
        return jnp.clip(images, self.value_range[0], self.value_range[1]).astype(self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "sigma": self.sigma, "value_range": self.value_range, "seed": self.seed}


class RandomErasing(_Augmentation):
    """Erases a random rectangle of each image, with probability drawn in `factor` (training only).

    The rectangle's sides are `sqrt(s) * width` and `sqrt(s) * height`, each `s` drawn in `scale`,
    at a uniform position; its pixels become `fill_value` (or, with None, Gaussian noise times
    `value_range[1]`), clipped to `value_range`. Outputs are of the compute dtype.

    Args:
        factor: the probability bounds: a number f in [0, 1] gives `(0, f)`, a pair is sorted (default 1.0).
        scale: `(lower, upper)` in [0, 1], the range of the erased area's side ratios squared
            (default `(0.02, 0.33)`).
        fill_value: None (noise), a number, or three numbers (one per channel).
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor or scale outside [0, 1], a bad fill_value, value_range,
            data_format or seed.
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._bounded_pair(factor, "factor")
        self.scale = self._bounded_pair(scale, "scale")
        if fill_value is not None and not _is_number(fill_value) and not (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3
                and all(_is_number(v) for v in fill_value)):
            raise self._error(f"fill_value must be None, a number or a list of three numbers, got {fill_value!r}")
        self.fill_value = list(fill_value) if isinstance(fill_value, tuple) else fill_value
        self.value_range = self._value_range(value_range)

    def _draw(self, images, key):
        keys = jax.random.split(key, 6)
        n = images.shape[0]
        h_axis, w_axis = _spatial_axes(4, self.data_format)
        height, width = images.shape[h_axis], images.shape[w_axis]
        dtype = self.compute_dtype
        ratio = jnp.sqrt(_uniform(keys[0], (n, 2), *self.scale, dtype=dtype))
        x0, x1 = _crop_bounds(keys[1], width, ratio[:, 0], dtype)
        y0, y1 = _crop_bounds(keys[2], height, ratio[:, 1], dtype)
        probability = _uniform(keys[3], (n,), *self.factor)
        if self.fill_value is None:
            fill = jax.random.normal(keys[5], images.shape, dtype) * self.value_range[1]
        else:
            fill = jnp.broadcast_to(jnp.asarray(self.fill_value, dtype).reshape(
                (-1, 1, 1) if self.data_format == "channels_first" and isinstance(self.fill_value, list)
                else (-1,)), images.shape)
        return {"apply_erasing": _uniform(keys[4], (n,), 0.0, 1.0) < probability,
                "batch_masks": _box_masks(images.shape, self.data_format, (x0, x1, y0, y1), dtype),
                "fill_value": jnp.clip(fill, self.value_range[0], self.value_range[1])}

    def _apply(self, images, transformation):
        fill = transformation["fill_value"].astype(images.dtype)
        erased = jnp.where(transformation["batch_masks"], fill, images)
        return self._apply_mask(transformation["apply_erasing"], erased, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale, "fill_value": self.fill_value,
                "value_range": self.value_range, "seed": self.seed}


def _crop_bounds(key, length, ratio, dtype):
    """Keras 3's random boxes: a side `ratio * length` at a uniform start; (start, end) per image."""
    size = (ratio * length).astype(dtype)
    start = _uniform(key, ratio.shape, 0.0, 1.0, dtype) * (length - size)
    return start, start + size


def _box_masks(shape, data_format, corners, dtype):
    """Boolean masks of `shape` (a rank-4 batch), true inside each image's box [x0, x1) x [y0, y1)."""
    h_axis, w_axis = _spatial_axes(4, data_format)
    gy, gx = jnp.meshgrid(jnp.arange(shape[h_axis], dtype=dtype), jnp.arange(shape[w_axis], dtype=dtype),
                          indexing="ij")
    x0, x1, y0, y1 = (c[:, None, None] for c in corners)
    inside = (gx >= x0) & (gx < x1) & (gy >= y0) & (gy < y1)
    inside = inside[..., None] if data_format == "channels_last" else inside[:, None]
    return jnp.broadcast_to(inside, shape)


class RandomShear(_Augmentation):
    """Shears each image by random amounts along x and y (training only).

    Output pixel `(x, y)` takes the input at `(x + s_x * y, s_y * x + y)`, `s_x` drawn in `x_factor`,
    `s_y` in `y_factor`, both negated together for half of the images. Outputs are of the compute dtype.

    Args:
        x_factor: a number f in [0, 1] gives shears in `[-f, f]`; a pair is sorted (default 0.0).
        y_factor: the same for the vertical shear (default 0.0).
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        fill_value: float, the outside value with `fill_mode="constant"`.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".
        seed: optional int folded into the rng key.

    Raises:
        ValueError: for a number factor outside [0, 1] (a pair outside [-1, 1]), a bad
            data_format or seed.
        NotImplementedError: for an unknown fill_mode or interpolation (as Keras).
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.x_factor = self._shear_factor(x_factor, "x_factor")
        self.y_factor = self._shear_factor(y_factor, "y_factor")
        self._interpolation_and_fill(interpolation, fill_mode, fill_value)

    def _shear_factor(self, factor, arg):
        """A number f in [0, 1] gives (-f, f); a pair is sorted. Pairs may hold negative values
        down to -1, so that a saved config (`x_factor=(-f, f)`) loads (Keras 3 rejects its own)."""
        message = f"{arg} must be a number in [0, 1] or a pair of numbers in [-1, 1], got {factor!r}"
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(_is_number(f) and -1 <= f <= 1 for f in factor):
                raise self._error(message)
            return tuple(sorted(float(f) for f in factor))
        if not _is_number(factor) or not 0 <= factor <= 1:
            raise self._error(message)
        return (-abs(float(factor)), abs(float(factor)))

    def _draw(self, images, key):
        i_key, y_key, x_key = jax.random.split(key, 3)
        n = images.shape[0]
        dtype = self.compute_dtype
        sign = jnp.where(_uniform(i_key, (n, 1), 0.0, 1.0, dtype) > 0.5, -1.0, 1.0).astype(dtype)
        shear_y = _uniform(y_key, (n, 1), *self.y_factor, dtype=dtype)
        shear_x = _uniform(x_key, (n, 1), *self.x_factor, dtype=dtype)
        return {"shear_factor": jnp.concatenate([shear_x, shear_y], axis=1) * sign}

    def _apply(self, images, transformation):
        shear = transformation["shear_factor"].astype(jnp.float32)
        ones, zeros = jnp.ones_like(shear[:, 0]), jnp.zeros_like(shear[:, 0])
        transforms = jnp.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros], axis=1)
        return self._transform(images, transforms)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                **self._affine_config()}


class RandomPerspective(_Augmentation):
    """Warps each image, with probability drawn in `factor`, by a random perspective (training only).

    The corners `(0, 0)`, `(w-1, 0)`, `(0, h-1)`, `(w-1, h-1)` move to `p * (1 + d)`, each
    coordinate's `d` drawn in `[-scale / 2, scale / 2]`; points outside the input become `fill_value`.
    Outputs are of the compute dtype.

    Args:
        factor: the probability bounds: a number f in [0, 1] gives `(0, f)`, a pair is sorted (default 1.0).
        scale: float in [0, 1], the distortion's strength (default 1.0).
        interpolation: "bilinear" (default) or "nearest".
        fill_value: float, the value outside the input (default 0.0).
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor or scale outside [0, 1], a bad data_format or seed.
        NotImplementedError: for an unknown interpolation (as Keras).
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._bounded_pair(factor, "factor")
        if not _is_number(scale) or not 0 <= scale <= 1:
            raise self._error(f"scale must be a number in [0, 1], got {scale!r}")
        self.scale = scale
        self.interpolation = self._choice("interpolation", interpolation, _AFFINE_INTERPOLATIONS,
                                          self._unsupported)
        if not _is_number(fill_value):
            raise self._error(f"fill_value must be a number, got {fill_value!r}")
        self.fill_value = fill_value

    def _draw(self, images, key):
        p_key, t_key, d_key = jax.random.split(key, 3)
        n = images.shape[0]
        h_axis, w_axis = _spatial_axes(4, self.data_format)
        height, width = images.shape[h_axis], images.shape[w_axis]
        dtype = self.compute_dtype
        probability = _uniform(p_key, (n,), *self.factor)
        shift = _uniform(d_key, (n, 4, 2), -0.5 * self.scale, 0.5 * self.scale, dtype)
        corners = jnp.asarray([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]], dtype)
        start = jnp.broadcast_to(corners, (n, 4, 2))
        return {"apply_perspective": _uniform(t_key, (n,), 0.0, 1.0) < probability,
                "start_points": start, "end_points": start + start * shift}

    def _apply(self, images, transformation):
        warped = image_ops.perspective_transform(images, transformation["start_points"],
                                                 transformation["end_points"], interpolation=self.interpolation,
                                                 fill_value=self.fill_value, data_format=self.data_format)
        return self._apply_mask(transformation["apply_perspective"], warped, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value, "seed": self.seed}


class RandomElasticTransform(_Augmentation):
    """Deforms each image, with probability drawn in `factor`, by a smooth random displacement
    field (training only), as `ops.image.elastic_transform` with `alpha = 0.1 * d * max(h, w)` and
    `sigma = 0.05 * d * min(h, w)`, `d` drawn once per batch in `scale`; outputs are clipped to
    `value_range` and of the compute dtype.

    Inside a jitted function (`fit`) `d` is not known when tracing, so the blur kernel takes the
    size fitting the largest `d` (`scale`'s upper bound), with the drawn sigma: a wider window of
    the same Gaussian than Keras 3's eager computation, whose values differ only in the far tails.

    Args:
        factor: the probability bounds: a number f in [0, 1] gives `(0, f)`, a pair is sorted (default 1.0).
        scale: a number s in [0, 1] gives `d` in `(0, s)`, a pair `(lower, upper)` in it (default 1.0).
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "constant", "nearest", "wrap" or "mirror".
        fill_value: float, the outside value with `fill_mode="constant"`.
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor or scale outside [0, 1], a bad value_range, data_format or seed.
        NotImplementedError: for an unknown fill_mode or interpolation (as Keras).
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._bounded_pair(factor, "factor")
        self.scale = self._bounded_pair(scale, "scale")
        self.interpolation = self._choice("interpolation", interpolation, _AFFINE_INTERPOLATIONS,
                                          self._unsupported)
        self.fill_mode = self._choice("fill_mode", fill_mode, _ELASTIC_FILL_MODES, self._unsupported)
        if not _is_number(fill_value):
            raise self._error(f"fill_value must be a number, got {fill_value!r}")
        self.fill_value = fill_value
        self.value_range = self._value_range(value_range)

    def _draw(self, images, key):
        if self.scale[1] == 0 or self.factor[1] == 0:
            return None
        p_key, t_key, d_key, field_key = jax.random.split(key, 4)
        n = images.shape[0]
        probability = _uniform(p_key, (n,), *self.factor)
        return {"apply_transform": _uniform(t_key, (n,), 0.0, 1.0) < probability,
                "distortion_factor": _uniform(d_key, (), *self.scale, dtype=self.compute_dtype),
                "seed": field_key}

    def _apply(self, images, transformation):
        h_axis, w_axis = _spatial_axes(4, self.data_format)
        height, width = images.shape[h_axis], images.shape[w_axis]
        factor = transformation["distortion_factor"]
        alpha = max(height, width) * 0.1 * factor
        sigma = min(height, width) * 0.05 * factor
        try:  # a concrete factor: Keras 3's kernel size; traced (jit): the largest one `scale` allows
            size = int(6 * float(sigma)) | 1
        except jax.errors.ConcretizationTypeError:
            size = int(6 * min(height, width) * 0.05 * self.scale[1]) | 1
        seed = transformation["seed"]
        if isinstance(seed, jax.Array) and seed.dtype != jnp.uint32 and seed.ndim == 0:
            seed = int(seed)  # an int seed passed through `transform_images`
        deformed = image_ops._elastic(images, alpha, sigma, size, seed, self.interpolation, self.fill_mode,
                                      self.fill_value, self.data_format)
        images = self._apply_mask(transformation["apply_transform"], deformed, images)
        return jnp.clip(images, self.value_range[0], self.value_range[1]).astype(self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "value_range": self.value_range, "seed": self.seed}


# ------------------------------------------------------------------------------------------------
# Mixing layers: images (and labels) of a batch mixed with a shuffled copy of it.


class _MixingLayer(_Augmentation):
    """MixUp / CutMix: inputs are images or `{"images": ..., "labels": ...}`."""

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not isinstance(inputs, dict):
            return super().apply(variables, inputs, training=training, rng=rng, mask=mask)
        if "images" not in inputs:
            raise self._error(f"a dict input must hold 'images', got keys {sorted(inputs)}")
        images = self._images(inputs["images"])
        if not training:
            return {**inputs, "images": self._inference(images)}, variables["state"]
        batch = images if images.ndim == 4 else images[None]
        transformation = self._draw(batch, self._key(rng))
        out = self._finish(batch, transformation)
        result = {**inputs, "images": out if images.ndim == 4 else out[0]}
        if "labels" in inputs:
            result["labels"] = self.transform_labels(inputs["labels"], transformation)
        return result, variables["state"]

    def transform_labels(self, labels, transformation, training=True):
        """Labels mixed as the images: `w * labels + (1 - w) * labels[permutation_order]`.

        Returns:
            The mixed labels (as given without a transformation or with `training=False`).
        """
        labels = jnp.asarray(labels)
        if not training or transformation is None:
            return labels
        weight = jnp.reshape(jnp.asarray(transformation["mix_weight"]), (-1, 1))
        others = jnp.take(labels, jnp.asarray(transformation["permutation_order"]), axis=0)
        return weight * labels + (1.0 - weight) * others

    def compute_output_shape(self, input_shape):
        return input_shape


class MixUp(_MixingLayer):
    """MixUp (Zhang et al., 2017): each image becomes `w * x + (1 - w) * x'`, `x'` another image of
    the batch (a random permutation) and `w` drawn from Beta(alpha, alpha) (training only). Given
    `{"images": ..., "labels": ...}`, the labels are mixed with the same weights.

    Outputs are of the compute dtype in training; at inference the inputs are returned as given.

    Args:
        alpha: float, the Beta distribution's parameter (default 0.2).
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".
        seed: optional int folded into the rng key.

    Raises:
        ValueError: for a non-positive alpha, a bad data_format or seed.
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not _is_number(alpha) or alpha <= 0:
            raise self._error(f"alpha must be a positive number, got {alpha!r}")
        self.alpha = alpha

    def _inference(self, x):
        return x

    def _draw(self, images, key):
        p_key, w_key = jax.random.split(key)
        n = images.shape[0]
        return {"mix_weight": jax.random.beta(w_key, self.alpha, self.alpha, (n,)),
                "permutation_order": jax.random.permutation(p_key, n)}

    def _apply(self, images, transformation):
        weight = jnp.reshape(transformation["mix_weight"], (-1, 1, 1, 1)).astype(images.dtype)
        others = jnp.take(images, transformation["permutation_order"], axis=0)
        return weight * images + (1.0 - weight) * others

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}


class CutMix(_MixingLayer):
    """CutMix (Yun et al., 2019): pastes into each image a box cut from another image of the batch
    (a random permutation), of area `1 - w` of the image, `w` drawn from Beta(a, a) with `a` drawn
    in `factor` (training only). Given `{"images": ..., "labels": ...}`, the labels are mixed by the
    box's actual area. One image alone (rank 3) is returned unchanged.

    Outputs are of the compute dtype.

    Args:
        factor: the bounds of `a`: a number f in [0, 1] gives `(0, f)`, a pair is sorted (default 1.0).
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside [0, 1], a bad data_format or seed.
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = self._bounded_pair(factor, "factor")

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        if jnp.ndim(images) == 3:  # Keras 3: no transformation for one image
            training = False
        return super().apply(variables, inputs, training=training, rng=rng, mask=mask)

    def _draw(self, images, key):
        a_key, w_key, x_key, y_key, p_key = jax.random.split(key, 5)
        n = images.shape[0]
        h_axis, w_axis = _spatial_axes(4, self.data_format)
        height, width = images.shape[h_axis], images.shape[w_axis]
        dtype = self.compute_dtype
        a = _uniform(a_key, (), *self.factor, dtype=dtype) + 1e-6
        ratio = jnp.sqrt(1.0 - jax.random.beta(w_key, a, a, (n,), dtype))
        x0, x1 = _crop_bounds(x_key, width, ratio, dtype)
        y0, y1 = _crop_bounds(y_key, height, ratio, dtype)
        return {"permutation_order": jax.random.permutation(p_key, n).astype(jnp.int32),
                "batch_masks": _box_masks(images.shape, self.data_format, (x0, x1, y0, y1), dtype),
                "mix_weight": (1.0 - (x1 - x0) * (y1 - y0) / (width * height))[:, None, None, None]}

    def _apply(self, images, transformation):
        others = jnp.take(images, transformation["permutation_order"], axis=0)
        return jnp.where(transformation["batch_masks"], others, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


class MaxNumBoundingBoxes(_ImageLayer):
    """Pads or truncates a batch's bounding boxes to `max_number` per image (training and inference).

    Inputs are images (returned as given) or a dict `{"images": ..., "bounding_boxes": {"boxes":
    (batch, n, 4), "labels": (batch, n)}, ...}`; the first `max_number` boxes and labels are kept,
    missing ones are `fill_value`.

    Args:
        max_number: int, the number of boxes per image.
        fill_value: int, the value of padded boxes and labels (default -1).
        bounding_box_format: the boxes' format ("xyxy", ...); required for inputs with boxes
            (the layer does not convert them).
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a non-positive `max_number`, or boxes given to a layer without
            `bounding_box_format`.
        KeyError: for `bounding_boxes` with keys other than "boxes" and "labels" (as Keras 3).
    """

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not _is_number(max_number) or int(max_number) < 1:
            raise self._error(f"max_number must be a positive int, got {max_number!r}")
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)
        self.bounding_box_format = bounding_box_format

    def _check_input_shape(self, input_shape):
        if isinstance(input_shape, dict):
            boxes = input_shape.get("bounding_boxes")
            extra = set(boxes) - {"boxes", "labels"} if isinstance(boxes, dict) else set()
            if extra:
                raise KeyError(f"{type(self).__name__} '{self.name}': unsupported keys in `bounding_boxes`: "
                               f"{sorted(extra)}; only 'boxes' and 'labels' are supported")
            return
        super()._check_input_shape(input_shape)

    def _pad(self, x):
        x = jnp.asarray(x)[:, :self.max_number]
        pad = [(0, 0), (0, self.max_number - x.shape[1])] + [(0, 0)] * (x.ndim - 2)
        return jnp.pad(x, pad, constant_values=jnp.asarray(self.fill_value, x.dtype))

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        """`{"boxes", "labels"}` with `max_number` entries per image."""
        return {**bounding_boxes, "boxes": self._pad(bounding_boxes["boxes"]),
                "labels": self._pad(bounding_boxes["labels"])}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not isinstance(inputs, dict):
            return self._images(inputs), variables["state"]
        out = dict(inputs)
        if "bounding_boxes" in inputs:
            if self.bounding_box_format is None:
                raise self._error("inputs hold 'bounding_boxes' but the layer has no bounding_box_format; "
                                  "pass one, e.g. bounding_box_format='xyxy'")
            self._check_input_shape({"bounding_boxes": inputs["bounding_boxes"]})
            out["bounding_boxes"] = self.transform_bounding_boxes(inputs["bounding_boxes"])
        return out, variables["state"]

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            boxes = dict(input_shape["bounding_boxes"])
            for key in ("boxes", "labels"):
                shape = list(boxes[key])
                shape[1] = self.max_number
                boxes[key] = tuple(shape)
            return {**input_shape, "bounding_boxes": boxes}
        return input_shape

    def get_config(self):
        config = {**super().get_config(), "max_number": self.max_number}
        if self.bounding_box_format is not None:  # as Keras 3: only when given
            config["bounding_box_format"] = self.bounding_box_format
        if self.fill_value != -1:  # Keras 3 drops it from the config; kept here so it round-trips
            config["fill_value"] = self.fill_value
        return config

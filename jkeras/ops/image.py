"""`jkeras.ops.image`: Keras 3's image operations (`keras.ops.image`) on JAX arrays.

Images are one image (rank 3) or a batch (rank 4), "channels_last" (..., height, width, channels)
or "channels_first" (..., channels, height, width); `data_format=None` means the configured
`image_data_format()`. Saved in a functional model as "ops.image.NAME".
"""
import functools

import jax
import jax.numpy as jnp

from jkeras.ops._base import _t, check_data_format, op

_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
_AFFINE_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _image_op(fn):
    return op(fn, name="image." + fn.__name__)


def _images(images, name):
    images = _t(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"{name}: images must have rank 3 (one image) or 4 (a batch), received "
                         f"shape {images.shape}")
    return images


def _hw_axes(ndim, data_format):
    return (ndim - 3, ndim - 2) if data_format == "channels_last" else (ndim - 2, ndim - 1)


def _channels_axis(data_format):
    return -1 if data_format == "channels_last" else -3


@_image_op
def rgb_to_grayscale(images, data_format=None):
    """RGB images as 1-channel grayscale (weights 0.2989, 0.5870, 0.1140); 1-channel images unchanged."""
    data_format = check_data_format(data_format)
    images = _images(images, "rgb_to_grayscale")
    axis = _channels_axis(data_format)
    if images.shape[axis] not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: images must have 1 or 3 channels, received shape {images.shape}")
    if images.shape[axis] == 1:
        return images
    dtype = images.dtype
    compute = jnp.promote_types(dtype, jnp.float32) if not jnp.issubdtype(dtype, jnp.floating) else dtype
    x = images.astype(compute)
    gray = jnp.tensordot(x, jnp.asarray([0.2989, 0.5870, 0.1140], compute), axes=(axis % x.ndim, -1))
    return jnp.expand_dims(gray, axis).astype(dtype)


def _float_images(images, name):
    images = _images(images, name)
    if not jnp.issubdtype(images.dtype, jnp.floating):
        raise ValueError(f"{name}: images must be floats, received dtype {images.dtype}")
    return images


@_image_op
def rgb_to_hsv(images, data_format=None):
    """RGB images (floats in [0, 1]) as HSV, each channel in [0, 1]."""
    axis = _channels_axis(check_data_format(data_format))
    images = _float_images(images, "rgb_to_hsv")
    images = jnp.where(jnp.abs(images) < jnp.finfo(images.dtype).eps, 0.0, images)
    r, g, b = (jnp.squeeze(c, axis) for c in jnp.split(images, 3, axis))
    value = jnp.maximum(jnp.maximum(r, g), b)
    range_ = value - jnp.minimum(jnp.minimum(r, g), b)
    saturation = jnp.where(value > 0, range_ / jnp.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * jnp.where(range_ > 0, range_, 1.0))
    hue = jnp.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = jnp.where(value == r, norm * (g - b), hue)
    hue = jnp.where(range_ > 0, hue, 0.0) + (hue < 0.0).astype(hue.dtype)
    return jnp.stack([hue, saturation, value], axis=axis)


@_image_op
def hsv_to_rgb(images, data_format=None):
    """HSV images (each channel in [0, 1]) as RGB."""
    axis = _channels_axis(check_data_format(data_format))
    images = _float_images(images, "hsv_to_rgb")
    hue, saturation, value = (jnp.squeeze(c, axis) for c in jnp.split(images, 3, axis))
    dh = jnp.mod(hue, 1.0) * 6.0
    dr = jnp.clip(jnp.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = jnp.clip(2.0 - jnp.abs(dh - 2.0), 0.0, 1.0)
    db = jnp.clip(2.0 - jnp.abs(dh - 4.0), 0.0, 1.0)
    rest = 1.0 - saturation
    return jnp.stack([value * (rest + saturation * d) for d in (dr, dg, db)], axis=axis)


@_image_op
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Images resized to `size` (height, width), optionally first center-cropped or padded to the
    target aspect ratio.

    Raises:
        ValueError: for a bad `interpolation`, `size`, `fill_mode`, or both aspect-ratio options.
    """
    data_format = check_data_format(data_format)
    if interpolation not in _RESIZE_INTERPOLATIONS:
        raise ValueError(f"resize: interpolation must be one of {_RESIZE_INTERPOLATIONS}, received "
                         f"interpolation={interpolation!r}")
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported, received fill_mode={fill_mode!r}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("resize: only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be True")
    if len(size) != 2:
        raise ValueError(f"resize: size must be (height, width), received size={size!r}")
    images = _images(images, "resize")
    axes = _hw_axes(images.ndim, data_format)
    height, width = images.shape[axes[0]], images.shape[axes[1]]
    target_height, target_width = size
    if crop_to_aspect_ratio:
        crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
        crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
        top, left = int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)
        images = jax.lax.slice_in_dim(images, top, top + crop_height, axis=axes[0])
        images = jax.lax.slice_in_dim(images, left, left + crop_width, axis=axes[1])
    elif pad_to_aspect_ratio:
        pad_height = max(height, int(float(width * target_height) / target_width))
        pad_width = max(width, int(float(height * target_width) / target_height))
        top, left = int(float(pad_height - height) / 2), int(float(pad_width - width) / 2)
        pads = [(0, 0)] * images.ndim
        if top > 0:
            pads[axes[0]] = (top, top)
        elif left > 0:
            pads[axes[1]] = (left, left)
        images = jnp.pad(images, pads, constant_values=jnp.asarray(fill_value, images.dtype))
    shape = list(images.shape)
    shape[axes[0]], shape[axes[1]] = target_height, target_width
    return jax.image.resize(images, shape, method=interpolation, antialias=antialias)


def _bounds(name, size, start, end, target, what):
    """(start, target) along one axis of `crop_images` / `pad_images`: exactly two of the start
    amount, the end amount and the target size must be given."""
    given = [v is not None for v in (start, end, target)]
    if sum(given) != 2:
        raise ValueError(
            f"{name}_images: give exactly two of {what[0]}, {what[1]} and {what[2]}, received "
            f"{what[0]}={start}, {what[1]}={end}, {what[2]}={target}"
        )
    sign = -1 if name == "crop" else 1
    if start is None:
        start = target - size - end if name == "pad" else size - target - end
    if target is None:
        target = size + sign * (start + end)
    return start, target


@_image_op
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Images cropped: per axis, give exactly two of the start amount, the end amount and the
    target size.

    Raises:
        ValueError: when not exactly two are given, or the crop does not fit.
    """
    data_format = check_data_format(data_format)
    images = _images(images, "crop_images")
    axes = _hw_axes(images.ndim, data_format)
    top, height = _bounds("crop", images.shape[axes[0]], top_cropping, bottom_cropping, target_height,
                          ("top_cropping", "bottom_cropping", "target_height"))
    left, width = _bounds("crop", images.shape[axes[1]], left_cropping, right_cropping, target_width,
                          ("left_cropping", "right_cropping", "target_width"))
    if height <= 0 or width <= 0 or top + height > images.shape[axes[0]] or left + width > images.shape[axes[1]]:
        raise ValueError(f"crop_images: the crop does not fit images of shape {images.shape}")
    images = jax.lax.slice_in_dim(images, top, top + height, axis=axes[0])
    return jax.lax.slice_in_dim(images, left, left + width, axis=axes[1])


@_image_op
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    """Images zero-padded: per axis, give exactly two of the start amount, the end amount and the
    target size.

    Raises:
        ValueError: when not exactly two are given, or the target is too small.
    """
    data_format = check_data_format(data_format)
    images = _images(images, "pad_images")
    axes = _hw_axes(images.ndim, data_format)
    height, width = images.shape[axes[0]], images.shape[axes[1]]
    top, target_height = _bounds("pad", height, top_padding, bottom_padding, target_height,
                                 ("top_padding", "bottom_padding", "target_height"))
    left, target_width = _bounds("pad", width, left_padding, right_padding, target_width,
                                 ("left_padding", "right_padding", "target_width"))
    bottom, right = target_height - top - height, target_width - left - width
    if bottom < 0 or right < 0:
        raise ValueError(f"pad_images: the target size is smaller than images of shape {images.shape}")
    pads = [(0, 0)] * images.ndim
    pads[axes[0]], pads[axes[1]] = (top, bottom), (left, right)
    return jnp.pad(images, pads)


def _check_fill_mode(fill_mode, name):
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"{name}: fill_mode must be one of {_FILL_MODES}, received fill_mode={fill_mode!r}")


@_image_op
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Images sampled at transformed coordinates: output (x, y) takes the input at
    (a0 x + a1 y + a2, b0 x + b1 y + b2) for `transform` [a0, a1, a2, b0, b1, b2, c0, c1]
    (one row per image, or one for all)."""
    data_format = check_data_format(data_format)
    if interpolation not in _AFFINE_INTERPOLATIONS:
        raise ValueError(f"affine_transform: interpolation must be 'nearest' or 'bilinear', received "
                         f"interpolation={interpolation!r}")
    _check_fill_mode(fill_mode, "affine_transform")
    images, transform = _images(images, "affine_transform"), _t(transform)
    if transform.ndim not in (1, 2):
        raise ValueError(f"affine_transform: transform must have rank 1 or 2, received shape {transform.shape}")
    single = images.ndim == 3
    if single:
        images = images[None]
    if transform.ndim == 1:
        transform = transform[None]
    if data_format == "channels_first":
        images = jnp.transpose(images, (0, 2, 3, 1))
    batch = images.shape[0]
    transform = jnp.broadcast_to(transform, (batch, transform.shape[-1]))
    grid = jnp.stack(jnp.meshgrid(*[jnp.arange(s) for s in images.shape[1:]], indexing="ij"), -1)
    # Rows act on (y, x, channel) index vectors: swap Keras's (x, y) coefficients accordingly.
    t = transform[:, jnp.array([4, 1, 5, 3, 0, 2, 6, 7])]
    t = jnp.reshape(jnp.pad(t, [(0, 0), (0, 1)], constant_values=1), (batch, 3, 3))
    offset = jnp.pad(t[:, 0:2, 2], [(0, 0), (0, 1)])
    t = t.at[:, 0:2, 2].set(0)
    coords = jnp.einsum("Bhwij,Bjk->Bhwik", jnp.broadcast_to(grid[None], (batch,) + grid.shape), t)
    coords = jnp.moveaxis(coords, -1, 1) + offset[:, :, None, None, None]
    sample = functools.partial(jax.scipy.ndimage.map_coordinates, order=_AFFINE_INTERPOLATIONS[interpolation],
                               mode=fill_mode, cval=fill_value)
    out = jax.vmap(sample)(images, coords)
    if data_format == "channels_first":
        out = jnp.transpose(out, (0, 3, 1, 2))
    return out[0] if single else out


@_image_op
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """`inputs` sampled at `coordinates` (rank(inputs), ...) with spline `order` 0 or 1."""
    inputs, coordinates = _t(inputs), _t(coordinates)
    if coordinates.ndim < 2 or coordinates.shape[0] != inputs.ndim:
        raise ValueError(f"map_coordinates: coordinates must have shape ({inputs.ndim}, ...), "
                         f"received {coordinates.shape}")
    _check_fill_mode(fill_mode, "map_coordinates")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: order must be 0 or 1, received order={order!r}")
    return jax.scipy.ndimage.map_coordinates(inputs, coordinates, order, fill_mode, fill_value)


@_image_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of `size` (an int or (height, width)) every `strides` (default: `size`), each
    flattened into the channel axis: (..., rows, cols, patch_h * patch_w * channels)."""
    data_format = check_data_format(data_format)
    images = _images(images, "extract_patches")
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2:
        raise ValueError(f"extract_patches: size must be an int or (height, width), received size={size!r}")
    strides = size if strides is None else (strides, strides) if isinstance(strides, int) else tuple(strides)
    dilation = (dilation_rate, dilation_rate) if isinstance(dilation_rate, int) else tuple(dilation_rate)
    single = images.ndim == 3
    if single:
        images = images[None]
    if data_format == "channels_first":
        images = jnp.transpose(images, (0, 2, 3, 1))
    channels = images.shape[-1]
    kernel = jnp.eye(size[0] * size[1] * channels, dtype=images.dtype)
    kernel = jnp.reshape(kernel, (size[0], size[1], channels, -1))
    patches = jax.lax.conv_general_dilated(images, kernel, strides, padding.upper(), rhs_dilation=dilation,
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
    if data_format == "channels_first":
        patches = jnp.transpose(patches, (0, 3, 1, 2))
    return patches[0] if single else patches


@_image_op
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """`jax.image.scale_and_translate`: images resampled at `scale` and `translation` over `spatial_dims`."""
    return jax.image.scale_and_translate(_t(images), output_shape, spatial_dims, _t(scale), _t(translation),
                                         method, antialias)


__all__ = [
    "affine_transform", "crop_images", "extract_patches", "hsv_to_rgb", "map_coordinates",
    "pad_images", "resize", "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate",
]

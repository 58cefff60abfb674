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

    Integer images come back in their own dtype, as in Keras 3: the interpolated values are
    rounded and clipped to the dtype's range.

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
    resized = jax.image.resize(images, shape, method=interpolation, antialias=antialias)
    if resized.dtype == images.dtype or not jnp.issubdtype(images.dtype, jnp.integer):
        return resized  # JAX interpolates integers as floats ("nearest" keeps them)
    info = jnp.iinfo(images.dtype)
    return jnp.clip(jnp.round(resized), info.min, info.max).astype(images.dtype)


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


def _batched_channels_last(images, data_format):
    """`images` as a rank-4 "channels_last" batch, and a function undoing that."""
    single = images.ndim == 3
    if single:
        images = images[None]
    if data_format == "channels_first":
        images = jnp.transpose(images, (0, 2, 3, 1))

    def restore(out):
        if data_format == "channels_first":
            out = jnp.moveaxis(out, 3, 1)
        return out[0] if single else out

    return images, restore


def _compute_dtype(dtype):
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.promote_types(dtype, jnp.float32)


def _gaussian_1d(size, sigma, dtype):
    x = jnp.arange(size, dtype=dtype) - jnp.asarray((size - 1) / 2.0, dtype)
    kernel = jnp.exp(-0.5 * (x / jnp.asarray(sigma, dtype)) ** 2)
    return kernel / jnp.sum(kernel)


def _depthwise(images, kernel, padding="SAME"):
    """Each channel of a NHWC batch convolved (cross-correlated) with the 2D `kernel`."""
    channels = images.shape[-1]
    kernel = jnp.broadcast_to(kernel[:, :, None, None], kernel.shape + (1, channels))
    return jax.lax.conv_general_dilated(images, kernel.astype(images.dtype), (1, 1), padding,
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                        feature_group_count=channels)


def _pair(value, name, arg):
    pair = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name}: {arg} must be a number or a pair, received {arg}={value!r}")
    return pair


@_image_op
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Images blurred channel by channel with a Gaussian kernel, zero-padded to keep their size.

    As Keras 3's JAX backend, the first entries of `kernel_size` and `sigma` apply along the width
    and the second along the height.

    Args:
        images: one image (rank 3) or a batch (rank 4).
        kernel_size: int or pair of ints, the kernel's size.
        sigma: float or pair of floats, the kernel's standard deviations.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).

    Returns:
        The blurred images, of the inputs' shape (float inputs keep their dtype).

    Raises:
        ValueError: for images not of rank 3 or 4, or a bad `kernel_size` / `sigma`.
    """
    data_format = check_data_format(data_format)
    images = _images(images, "gaussian_blur")
    size = _pair(kernel_size, "gaussian_blur", "kernel_size")
    if not all(isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in size):
        raise ValueError(f"gaussian_blur: kernel_size must be positive ints, received kernel_size={kernel_size!r}")
    sigma = _pair(sigma, "gaussian_blur", "sigma")
    x, restore = _batched_channels_last(images, data_format)
    dtype = _compute_dtype(x.dtype)
    kernel = jnp.outer(_gaussian_1d(size[1], sigma[1], dtype), _gaussian_1d(size[0], sigma[0], dtype))
    return restore(_depthwise(x.astype(dtype), kernel))


@_image_op
def sobel_edges(images, data_format=None):
    """The Sobel gradients of a batch of images, channel by channel (zero-padded).

    Args:
        images: a batch of images (rank 4).
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).

    Returns:
        The inputs' shape plus a last axis of 2: `[dy, dx]`, the vertical and horizontal gradients.

    Raises:
        ValueError: for images not of rank 4.
    """
    data_format = check_data_format(data_format)
    images = _t(images)
    if images.ndim != 4:
        raise ValueError(f"sobel_edges: images must have rank 4 (a batch), received shape {images.shape}")
    x, restore = _batched_channels_last(images, data_format)
    sobel_x = jnp.asarray([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], x.dtype)
    edges = [_depthwise(x, sobel_x.T), _depthwise(x, sobel_x)]
    return jnp.stack([restore(e) for e in edges], axis=-1)


def _homographies(start_points, end_points):
    """Per row, the 8 coefficients [a0, a1, a2, b0, b1, b2, c0, c1] of the projective map taking
    `end_points` (N, 4, 2) onto `start_points`."""
    sx, sy = start_points[..., 0], start_points[..., 1]
    ex, ey = end_points[..., 0], end_points[..., 1]
    one, zero = jnp.ones_like(ex), jnp.zeros_like(ex)
    rows_x = jnp.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1)
    rows_y = jnp.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1)
    system = jnp.concatenate([rows_x, rows_y], axis=1)
    return jnp.linalg.solve(system, jnp.concatenate([sx, sy], axis=-1)[..., None])[..., 0]


def _sample(images, src_y, src_x, order, fill_mode, fill_value):
    """A NHWC batch sampled per image at (src_y, src_x) (each (N, H, W)) with `map_coordinates`."""

    def one(image, sy, sx):
        channel = functools.partial(jax.scipy.ndimage.map_coordinates, order=order, mode=fill_mode,
                                    cval=fill_value)
        return jax.vmap(lambda c: channel(c, [sy, sx]), in_axes=-1, out_axes=-1)(image)

    return jax.vmap(one)(images, src_y, src_x)


def _points(points, name, arg):
    points = _t(points)
    if points.ndim not in (2, 3) or points.shape[-2:] != (4, 2):
        raise ValueError(f"{name}: {arg} must have shape (4, 2) or (N, 4, 2), received {points.shape}")
    return points


@_image_op
def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                          data_format=None):
    """Images warped by the projective map that moves the four `start_points` to `end_points`.

    Args:
        images: one image (rank 3) or a batch (rank 4).
        start_points: (4, 2) or (N, 4, 2) `(x, y)` corners in the input.
        end_points: where those corners land in the output, of the same shape.
        interpolation: "bilinear" (default) or "nearest".
        fill_value: the value of output points that fall outside the input.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).

    Returns:
        The warped images, of the inputs' shape.

    Raises:
        ValueError: for a bad rank, point shapes, or interpolation.
    """
    data_format = check_data_format(data_format)
    if interpolation not in _AFFINE_INTERPOLATIONS:
        raise ValueError(f"perspective_transform: interpolation must be 'nearest' or 'bilinear', received "
                         f"interpolation={interpolation!r}")
    images = _images(images, "perspective_transform")
    start = _points(start_points, "perspective_transform", "start_points")
    end = _points(end_points, "perspective_transform", "end_points")
    if start.shape != end.shape:
        raise ValueError(f"perspective_transform: start_points and end_points must have the same shape, "
                         f"received {start.shape} and {end.shape}")
    x, restore = _batched_channels_last(images, data_format)
    start, end = (jnp.reshape(p, (-1, 4, 2)).astype(jnp.float32) for p in (start, end))
    t = _homographies(start, end)[:, :, None, None]
    height, width = x.shape[1], x.shape[2]
    gy, gx = jnp.meshgrid(jnp.arange(height, dtype=jnp.float32), jnp.arange(width, dtype=jnp.float32),
                          indexing="ij")
    denom = t[:, 6] * gx + t[:, 7] * gy + 1.0
    src_x = (t[:, 0] * gx + t[:, 1] * gy + t[:, 2]) / denom
    src_y = (t[:, 3] * gx + t[:, 4] * gy + t[:, 5]) / denom
    batch = x.shape[0]
    src_x, src_y = (jnp.broadcast_to(c, (batch, height, width)) for c in (src_x, src_y))
    out = _sample(x, src_y, src_x, _AFFINE_INTERPOLATIONS[interpolation], "constant", fill_value)
    return restore(out.astype(x.dtype))


@_image_op
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect",
                      fill_value=0.0, seed=None, data_format=None):
    """Images deformed by a random displacement field: Gaussian noise of scale `sigma`, blurred by
    a Gaussian of standard deviation `sigma` (kernel `int(6 * sigma) | 1`), times `alpha`.

    As Keras 3's JAX backend, the horizontal and vertical displacements are drawn from the same key
    (so they are equal), and an int `seed` gives Keras 3's values.

    Args:
        images: one image (rank 3) or a batch (rank 4), floats.
        alpha: the deformation's strength.
        sigma: the displacement field's smoothness (and noise scale).
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "constant", "nearest", "wrap" or "mirror".
        fill_value: the outside value with `fill_mode="constant"`.
        seed: None, an int, a `jkeras.random.SeedGenerator` or a `jax.random` key.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).

    Returns:
        The deformed images, of the inputs' shape and dtype.

    Raises:
        ValueError: for a bad rank, interpolation or fill_mode.
    """
    data_format = check_data_format(data_format)
    if interpolation not in _AFFINE_INTERPOLATIONS:
        raise ValueError(f"elastic_transform: interpolation must be 'nearest' or 'bilinear', received "
                         f"interpolation={interpolation!r}")
    _check_fill_mode(fill_mode, "elastic_transform")
    images = _images(images, "elastic_transform")
    return _elastic(images, alpha, sigma, int(6 * float(sigma)) | 1, seed, interpolation, fill_mode, fill_value,
                    data_format)


def _elastic(images, alpha, sigma, kernel_size, seed, interpolation, fill_mode, fill_value, data_format):
    """`elastic_transform` with the blur's `kernel_size` given (static under jit while sigma is traced)."""
    from jkeras.backend import _key

    x, restore = _batched_channels_last(images, data_format)
    batch, height, width, _ = x.shape
    dtype = _compute_dtype(x.dtype)
    sigma = jnp.asarray(sigma, dtype)
    noise = jax.random.normal(_key(seed), (batch, height, width), dtype) * sigma
    window = _gaussian_1d(kernel_size, sigma, dtype)
    shift = jnp.asarray(alpha, dtype) * _depthwise(noise[..., None], jnp.outer(window, window))[..., 0]
    gy, gx = jnp.meshgrid(jnp.arange(height, dtype=dtype), jnp.arange(width, dtype=dtype), indexing="ij")
    out = _sample(x, gy + shift, gx + shift, _AFFINE_INTERPOLATIONS[interpolation], fill_mode, fill_value)
    return restore(out.astype(x.dtype))


@_image_op
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    """The structural similarity index (SSIM) of two images, averaged over positions and channels
    (Gaussian window `filter_size` x `filter_size`, "valid" positions only).

    Args:
        image1: one image (rank 3) or a batch (rank 4).
        image2: images of the same shape.
        max_val: the images' dynamic range (1.0 for [0, 1], 255.0 for [0, 255]).
        filter_size: int, the window's size.
        filter_sigma: float, the window's standard deviation.
        k1: the luminance stabilizing constant.
        k2: the contrast stabilizing constant.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).

    Returns:
        One value per image (a scalar for rank-3 inputs), of `image1`'s dtype.

    Raises:
        ValueError: for images not of rank 3 or 4.
    """
    data_format = check_data_format(data_format)
    image1, image2 = _images(image1, "ssim: image1"), _images(image2, "ssim: image2")
    out_dtype = image1.dtype
    dtype = _compute_dtype(out_dtype)
    a, restore = _batched_channels_last(image1.astype(dtype), data_format)
    b, _ = _batched_channels_last(image2.astype(dtype), data_format)
    window = _gaussian_1d(filter_size, filter_sigma, dtype)
    window = jnp.outer(window, window)

    def mean(z):
        return _depthwise(z, window, padding="VALID")

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu_a, mu_b = mean(a), mean(b)
    var_a, var_b = mean(a * a) - mu_a ** 2, mean(b * b) - mu_b ** 2
    cov = mean(a * b) - mu_a * mu_b
    index = ((2.0 * mu_a * mu_b + c1) * (2.0 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    value = jnp.mean(index, axis=(1, 2, 3))
    return (value[0] if image1.ndim == 3 else value).astype(out_dtype)


@_image_op
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of `size` (an int or (depth, height, width)) every `strides` (default: `size`) from
    one volume (rank 4) or a batch (rank 5), each flattened into the channel axis.

    Returns:
        (..., depths, rows, cols, patch_d * patch_h * patch_w * channels) for "channels_last"
        (the patch axis first for "channels_first").

    Raises:
        TypeError: for a `size` that is not an int or a triple.
        ValueError: for bad `strides` or volumes not of rank 4 or 5.
    """
    data_format = check_data_format(data_format)
    volumes = _t(volumes)
    if volumes.ndim not in (4, 5):
        raise ValueError(f"extract_patches_3d: volumes must have rank 4 (one volume) or 5 (a batch), "
                         f"received shape {volumes.shape}")
    size = (size,) * 3 if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise TypeError(f"extract_patches_3d: size must be an int or a triple, received size={size!r}")
    strides = size if strides is None else (strides,) * 3 if isinstance(strides, int) else tuple(strides)
    if len(strides) != 3:
        raise ValueError(f"extract_patches_3d: strides must be an int or a triple, received strides={strides!r}")
    dilation = (dilation_rate,) * 3 if isinstance(dilation_rate, int) else tuple(dilation_rate)
    single = volumes.ndim == 4
    x = volumes[None] if single else volumes
    if data_format == "channels_first":
        x = jnp.moveaxis(x, 1, -1)
    channels = x.shape[-1]
    kernel = jnp.reshape(jnp.eye(size[0] * size[1] * size[2] * channels, dtype=x.dtype), size + (channels, -1))
    patches = jax.lax.conv_general_dilated(x, kernel, strides, padding.upper(), rhs_dilation=dilation,
                                           dimension_numbers=("NDHWC", "DHWIO", "NDHWC"))
    if data_format == "channels_first":
        patches = jnp.moveaxis(patches, -1, 1)
    return patches[0] if single else patches


__all__ = [
    "affine_transform", "crop_images", "elastic_transform", "extract_patches", "extract_patches_3d",
    "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images", "perspective_transform", "resize",
    "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate", "sobel_edges", "ssim",
]

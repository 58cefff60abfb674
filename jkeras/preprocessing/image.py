"""Keras 2's image preprocessing: `ImageDataGenerator`, its iterators and the image file helpers.

    from jkeras.preprocessing.image import ImageDataGenerator
    datagen = ImageDataGenerator(rotation_range=40, width_shift_range=0.2, horizontal_flip=True,
                                 rescale=1.0 / 255)
    model.fit(datagen.flow(x_train, y_train, batch_size=32), epochs=5)
    model.fit(datagen.flow_from_directory("data/train", target_size=(150, 150)), epochs=5)

The iterators are `jkeras.utils.Sequence`s, so `fit` / `evaluate` / `predict` (and the Keras 2
`*_generator` methods) take them directly; iterating one (`next(it)`, `for x, y in it`) loops
over the data endlessly, as in Keras. Random augmentation draws from NumPy's global random state
(`np.random`), as Keras does, so the same seed gives the same transforms as Keras's
`keras.preprocessing.image`. The geometric transforms use `scipy.ndimage`, image files use
Pillow; both are imported when first needed (`pip install jkeras[image]`).
"""
import collections
import io
import math
import os
import threading
import warnings

import numpy as np

from jkeras.core import config
from jkeras.utils import legacy
from jkeras.utils.data_utils import Sequence

__all__ = [
    "DataFrameIterator", "DirectoryIterator", "ImageDataGenerator", "Iterator", "NumpyArrayIterator",
    "apply_affine_transform", "apply_brightness_shift", "apply_channel_shift", "array_to_img",
    "img_to_array", "load_img", "random_brightness", "random_channel_shift", "random_rotation",
    "random_shear", "random_shift", "random_zoom", "save_img", "smart_resize",
]

# Modes `scipy.ndimage.affine_transform` accepts as `mode`.
_FILL_MODES = ("constant", "nearest", "reflect", "wrap", "mirror", "grid-constant", "grid-mirror", "grid-wrap")
_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
_PIL_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


# --------------------------------------------------------------------------------------------
# Optional dependencies


def _pil(owner):
    """`PIL.Image`, or an ImportError naming `owner` and the extra to install."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            f"{owner} needs Pillow (PIL), which is not installed: pip install jkeras[image]"
        ) from None
    return Image


def _ndimage(owner):
    """`scipy.ndimage`, or an ImportError naming `owner` and the extra to install."""
    try:
        from scipy import ndimage
    except ImportError:
        raise ImportError(
            f"{owner} needs SciPy (scipy.ndimage), which is not installed: pip install jkeras[image]"
        ) from None
    return ndimage


def _resampling(name):
    image = _pil("load_img")
    resampling = getattr(image, "Resampling", image)
    return getattr(resampling, name.upper())


def _floatx(dtype):
    return config.floatx() if dtype is None else dtype


# --------------------------------------------------------------------------------------------
# Image files and arrays


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """Converts a 3D array to a PIL Image.

    Args:
        x: an image as an array (or anything `np.asarray` takes), of rank 3.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).
        scale: whether to rescale the values so that they span 0 to 255.
        dtype: dtype `x` is converted to first (default: `floatx()`).

    Returns:
        A PIL Image: "RGBA" for 4 channels, "RGB" for 3, "L" for 1 ("I", 32-bit, when a
        1-channel image has values above 255).

    Raises:
        ValueError: if `x` is not of rank 3 or has another number of channels than 1, 3 or 4.
        ImportError: if Pillow is not installed.
    """
    data_format = config.standardize_data_format(data_format, "array_to_img: data_format")
    dtype = _floatx(dtype)
    image = _pil("array_to_img")
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError(
            f"array_to_img: expected an image array of rank 3 (a single image), got shape {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: the image must have 1, 3 or 4 channels, got {channels} (shape {x.shape})")


def img_to_array(img, data_format=None, dtype=None):
    """Converts a PIL Image (or a 2D / 3D array) to a 3D NumPy array.

    Args:
        img: a PIL Image.
        data_format: "channels_last" (rows, cols, channels) or "channels_first" (channels,
            rows, cols); default: `image_data_format()`.
        dtype: dtype of the result (default: `floatx()`).

    Returns:
        A 3D NumPy array (a grayscale image gets a channel axis of size 1).

    Raises:
        ValueError: if the image's array has another rank than 2 or 3.
    """
    data_format = config.standardize_data_format(data_format, "img_to_array: data_format")
    x = np.asarray(img, dtype=_floatx(dtype))
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape if data_format == "channels_first" else x.shape + (1,))
    else:
        raise ValueError(f"img_to_array: expected an image of rank 2 or 3, got shape {x.shape}")
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image stored as a 3D array to a path or file object.

    Args:
        path: path or file object.
        x: the image, an array of rank 3.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).
        file_format: the file format ("png", "jpeg", ...); default: the path's extension. Pass it
            when `path` is a file object.
        scale: whether to rescale the values so that they span 0 to 255.
        **kwargs: passed to `PIL.Image.Image.save`.

    Raises:
        ValueError: as `array_to_img` does.
        ImportError: if Pillow is not installed.
    """
    data_format = config.standardize_data_format(data_format, "save_img: data_format")
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = os.path.splitext(os.fspath(path))[1][1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("save_img: the JPEG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False,
             *, grayscale=None):
    """Loads an image file into a PIL Image.

    Args:
        path: path of the image file (str, bytes or os.PathLike), or an `io.BytesIO`.
        color_mode: "rgb", "rgba" or "grayscale" (an 8-bit image, or a 16- / 32-bit grayscale
            image as stored).
        target_size: None (keep the file's size) or `(height, width)` to resize to.
        interpolation: resampling used to resize: "nearest", "bilinear", "bicubic", "hamming",
            "box" or "lanczos".
        keep_aspect_ratio: resize without distorting the aspect ratio: the largest centered
            crop of the target aspect ratio is resized.
        grayscale: Keras 1 / 2 spelling; True means `color_mode="grayscale"` (deprecated).

    Returns:
        A PIL Image.

    Raises:
        TypeError: if `path` is neither a path nor an `io.BytesIO`.
        ValueError: for an unknown `color_mode` or `interpolation`.
        ImportError: if Pillow is not installed.
    """
    if grayscale is not None:
        warnings.warn('load_img: `grayscale` is deprecated; use color_mode="grayscale"', DeprecationWarning,
                      stacklevel=2)
        if grayscale:
            color_mode = "grayscale"
    image = _pil("load_img")
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(os.path.abspath(os.fspath(path)) if isinstance(path, os.PathLike) else path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"load_img: `path` must be a path (str, bytes, os.PathLike) or an io.BytesIO, "
                        f"got {type(path).__name__}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError(f'load_img: color_mode must be "grayscale", "rgb" or "rgba", got {color_mode!r}')
    if target_size is not None:
        width_height = (target_size[1], target_size[0])
        if img.size != width_height:
            if interpolation not in _PIL_INTERPOLATIONS:
                raise ValueError(
                    f"load_img: interpolation must be one of {', '.join(_PIL_INTERPOLATIONS)}, "
                    f"got {interpolation!r}"
                )
            resample = _resampling(interpolation)
            if keep_aspect_ratio:
                width, height = img.size
                target_width, target_height = width_height
                crop_height = min(height, (width * target_height) // target_width)
                crop_width = min(width, (height * target_width) // target_height)
                top = (height - crop_height) // 2
                left = (width - crop_width) // 2
                box = [left, top, left + crop_width, top + crop_height]
                img = img.resize(width_height, resample, box=box)
            else:
                img = img.resize(width_height, resample)
    return img


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resizes images to `size` without distorting their aspect ratio.

    The largest centered crop with the aspect ratio of `size` is taken, then resized to `size`
    (with `jax.image.resize`, no antialiasing, as Keras 3 on JAX).

    Args:
        x: an image `(height, width, channels)` or a batch `(batch, height, width, channels)`
            (channels first with `data_format="channels_first"`), a NumPy or JAX array.
        size: `(height, width)`, the target size.
        interpolation: "bilinear", "nearest", "bicubic", "lanczos3" or "lanczos5".
        data_format: "channels_last" or "channels_first".

    Returns:
        The resized images, a NumPy array if `x` was one, else a JAX array.

    Raises:
        ValueError: if `size` is not a pair, `x` is not of rank 3 or 4, or `interpolation` is unknown.
    """
    import jax
    import jax.numpy as jnp

    if len(size) != 2:
        raise ValueError(f"smart_resize: `size` must be a tuple of 2 integers, got {size!r}")
    if interpolation not in _RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"smart_resize: interpolation must be one of {_RESIZE_INTERPOLATIONS}, got {interpolation!r}"
        )
    data_format = config.standardize_data_format(data_format, "smart_resize: data_format")
    img = jnp.asarray(x)
    if img.ndim not in (3, 4):
        raise ValueError(
            "smart_resize: expected an image array of shape (height, width, channels) or (batch_size, "
            f"height, width, channels), got shape {img.shape}"
        )
    channels_last = data_format == "channels_last"
    height, width = (img.shape[-3], img.shape[-2]) if channels_last else (img.shape[-2], img.shape[-1])
    target_height, target_width = int(size[0]), int(size[1])
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    rows, cols = slice(top, top + crop_height), slice(left, left + crop_width)
    img = img[..., rows, cols, :] if channels_last else img[..., rows, cols]
    shape = list(img.shape)
    if channels_last:
        shape[-3:-1] = [target_height, target_width]
    else:
        shape[-2:] = [target_height, target_width]
    img = jax.image.resize(img, tuple(shape), method=interpolation, antialias=False)
    return np.array(img) if isinstance(x, np.ndarray) else img


# --------------------------------------------------------------------------------------------
# Transforms of one image


def flip_axis(x, axis):
    """`x` reversed along `axis`."""
    x = np.asarray(x).swapaxes(axis, 0)
    x = x[::-1, ...]
    return x.swapaxes(0, axis)


def transform_matrix_offset_center(matrix, x, y):
    """The 3x3 homogeneous `matrix` moved to act about the center of an `x` by `y` image."""
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset_matrix @ matrix @ reset_matrix


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1, col_axis=2, channel_axis=0,
                           fill_mode="nearest", cval=0.0, order=1):
    """Applies an affine transformation to one image (with `scipy.ndimage.affine_transform`).

    The parameters describe the map from output to input coordinates, about the image center:
    each output pixel is read from the input at the rotated, shifted, sheared and zoomed position.

    Args:
        x: a 3D array, one image with a channel axis first or last.
        theta: rotation angle in degrees.
        tx: shift along the rows (pixels).
        ty: shift along the columns (pixels).
        shear: shear angle in degrees.
        zx: zoom along the rows (above 1 shows less of the image).
        zy: zoom along the columns.
        row_axis: index of the rows axis of `x`.
        col_axis: index of the columns axis of `x`.
        channel_axis: index of the channels axis of `x` (0 or 2).
        fill_mode: how points outside the input are filled: "constant", "nearest", "reflect",
            "wrap" (or another `scipy.ndimage` mode).
        cval: the value outside the input with `fill_mode="constant"`.
        order: order of the spline interpolation (0: nearest, 1: linear).

    Returns:
        The transformed image (`x` itself when the transform is the identity).

    Raises:
        ValueError: if the axes are not 0, 1 and 2 in some order, the channel axis is not 0 or 2,
            `x` is not of rank 3, or `fill_mode` is unknown.
        ImportError: if SciPy is not installed.
    """
    axes = (row_axis, col_axis, channel_axis)
    if len(set(axes)) != 3:
        raise ValueError(
            f"apply_affine_transform: row_axis, col_axis and channel_axis must be distinct, got {axes}"
        )
    if set(axes) != {0, 1, 2}:
        raise ValueError(
            f"apply_affine_transform: row_axis, col_axis and channel_axis must be 0, 1 and 2 in some order, "
            f"got {axes}"
        )
    if x.ndim != 3:
        raise ValueError(
            f"apply_affine_transform: `x` must be one image with channels (rank 3), got shape {x.shape}"
        )
    if channel_axis not in (0, 2):
        raise ValueError(
            f"apply_affine_transform: channel_axis must be the first or last axis (0 or 2), got {channel_axis}"
        )

    transform_matrix = None
    if theta != 0:
        theta = np.deg2rad(theta)
        transform_matrix = np.array(
            [[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]]
        )
    if tx != 0 or ty != 0:
        shift_matrix = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        transform_matrix = shift_matrix if transform_matrix is None else transform_matrix @ shift_matrix
    if shear != 0:
        shear = np.deg2rad(shear)
        shear_matrix = np.array([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]])
        transform_matrix = shear_matrix if transform_matrix is None else transform_matrix @ shear_matrix
    if zx != 1 or zy != 1:
        zoom_matrix = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        transform_matrix = zoom_matrix if transform_matrix is None else transform_matrix @ zoom_matrix
    if transform_matrix is None:
        return x

    if fill_mode not in _FILL_MODES:
        raise ValueError(f"apply_affine_transform: fill_mode must be one of {_FILL_MODES}, got {fill_mode!r}")
    ndimage = _ndimage("apply_affine_transform")
    h, w = x.shape[row_axis], x.shape[col_axis]
    transform_matrix = transform_matrix_offset_center(transform_matrix, h, w)
    x = np.rollaxis(x, channel_axis, 0)
    # The matrices are written for (x, y) = (row, col) when the rows come first; otherwise swap
    # the two coordinates (M' = P M P with P the swap).
    if col_axis > row_axis:
        transform_matrix[:, [0, 1]] = transform_matrix[:, [1, 0]]
        transform_matrix[[0, 1]] = transform_matrix[[1, 0]]
    matrix, offset = transform_matrix[:2, :2], transform_matrix[:2, 2]
    channels = [
        ndimage.affine_transform(channel, matrix, offset, order=order, mode=fill_mode, cval=cval)
        for channel in x
    ]
    return np.rollaxis(np.stack(channels, axis=0), 0, channel_axis + 1)


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                    interpolation_order=1):
    """Rotates one image by a random angle in `[-rg, rg]` degrees.

    Args:
        x: a 3D array, one image.
        rg: the largest rotation in degrees.
        row_axis, col_axis, channel_axis, fill_mode, cval: as in `apply_affine_transform`.
        interpolation_order: order of the spline interpolation.

    Returns:
        The rotated image.
    """
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                 interpolation_order=1):
    """Shifts one image by random fractions of its width and height.

    Args:
        x: a 3D array, one image.
        wrg: the largest shift along the columns, as a fraction of the width.
        hrg: the largest shift along the rows, as a fraction of the height.
        row_axis, col_axis, channel_axis, fill_mode, cval: as in `apply_affine_transform`.
        interpolation_order: order of the spline interpolation.

    Returns:
        The shifted image.
    """
    h, w = x.shape[row_axis], x.shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                 interpolation_order=1):
    """Shears one image by a random angle in `[-intensity, intensity]` degrees.

    Args:
        x: a 3D array, one image.
        intensity: the largest shear angle in degrees.
        row_axis, col_axis, channel_axis, fill_mode, cval: as in `apply_affine_transform`.
        interpolation_order: order of the spline interpolation.

    Returns:
        The sheared image.
    """
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                interpolation_order=1):
    """Zooms one image by random factors drawn (per axis) from `zoom_range`.

    Args:
        x: a 3D array, one image.
        zoom_range: `(lower, upper)`, the range of the zoom factors.
        row_axis, col_axis, channel_axis, fill_mode, cval: as in `apply_affine_transform`.
        interpolation_order: order of the spline interpolation.

    Returns:
        The zoomed image.

    Raises:
        ValueError: if `zoom_range` is not a pair.
    """
    if len(zoom_range) != 2:
        raise ValueError(f"random_zoom: `zoom_range` must be a tuple or list of two floats, got {zoom_range!r}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Adds `intensity` to every channel of one image, clipped to the image's value range.

    Args:
        x: a 3D array, one image.
        intensity: the value added.
        channel_axis: index of the channels axis of `x`.

    Returns:
        The shifted image.
    """
    x = np.rollaxis(x, channel_axis, 0)
    min_x, max_x = np.min(x), np.max(x)
    channels = [np.clip(channel + intensity, min_x, max_x) for channel in x]
    return np.rollaxis(np.stack(channels, axis=0), 0, channel_axis + 1)


def random_channel_shift(x, intensity_range, channel_axis=0):
    """Adds a random value in `[-intensity_range, intensity_range]` to every channel of one image.

    Args:
        x: a 3D array, one image.
        intensity_range: the largest shift.
        channel_axis: index of the channels axis of `x`.

    Returns:
        The shifted image.
    """
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def apply_brightness_shift(x, brightness, scale=True):
    """Changes the brightness of one image (with `PIL.ImageEnhance.Brightness`).

    The image goes through an 8-bit PIL Image (with `image_data_format()`), so values are
    rounded to 256 levels.

    Args:
        x: a 3D array, one image.
        brightness: the brightness factor (1: unchanged, 0: black).
        scale: whether the result stays rescaled to 0..255; when False, an image whose values
            were outside 0..255 is mapped back to its own range.

    Returns:
        The image as a float array (`floatx()`).

    Raises:
        ImportError: if Pillow is not installed.
    """
    return _brightness_shift(x, brightness, scale, None)


def _brightness_shift(x, brightness, scale, data_format):
    _pil("apply_brightness_shift")
    from PIL import ImageEnhance

    x_min, x_max = np.min(x), np.max(x)
    local_scale = (x_min < 0) or (x_max > 255)
    img = array_to_img(x, data_format=data_format, scale=local_scale or scale)
    img = ImageEnhance.Brightness(img).enhance(brightness)
    x = img_to_array(img, data_format=data_format)
    if not scale and local_scale:
        x = x / 255 * (x_max - x_min) + x_min
    return x


def random_brightness(x, brightness_range, scale=True):
    """Changes the brightness of one image by a random factor drawn from `brightness_range`.

    Args:
        x: a 3D array, one image.
        brightness_range: `(lower, upper)`, the range of the brightness factor.
        scale: as in `apply_brightness_shift`.

    Returns:
        The image as a float array.

    Raises:
        ValueError: if `brightness_range` is not a pair.
    """
    if len(brightness_range) != 2:
        raise ValueError(
            f"random_brightness: `brightness_range` must be a tuple or list of two floats, got {brightness_range!r}"
        )
    u = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, u, scale)


# --------------------------------------------------------------------------------------------
# Iterators


def _check_batch_size(owner, batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"{owner}: batch_size must be a positive int, got {batch_size!r}")


class Iterator(Sequence):
    """Base class of the image iterators: a `Sequence` of batches that also iterates endlessly.

    `it[i]` is batch `i` of the current epoch (`len(it)` batches; `on_epoch_end` reshuffles);
    `next(it)` gives the next batch and starts a new epoch after the last one, without end.
    Subclasses implement `_get_batches_of_transformed_samples(index_array)`.

    Args:
        n: number of samples.
        batch_size: samples per batch.
        shuffle: whether to shuffle the samples every epoch.
        seed: seed of the shuffling and the random transforms (NumPy's global random state is
            seeded with `seed + batches seen` before each batch).
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of `Sequence`.

    Raises:
        ValueError: if `batch_size` is not a positive int.
    """

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n, batch_size, shuffle, seed, **kwargs):
        super().__init__(**kwargs)
        _check_batch_size(type(self).__name__, batch_size)
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = np.random.permutation(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx: self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        """Reshuffles the samples (when `shuffle`)."""
        self._set_index_array()

    def reset(self):
        """Makes `next` start again from the first batch of a new epoch."""
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current_index = 0 if self.n == 0 else (self.batch_index * self.batch_size) % self.n
            if self.n > current_index + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current_index: current_index + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    next = __next__  # Keras 2's `it.next()`

    def _get_batches_of_transformed_samples(self, index_array):
        """The batch of the samples at `index_array`, transformed."""
        raise NotImplementedError(f"{type(self).__name__} must implement _get_batches_of_transformed_samples")


def _save_batch(iterator, batch_x, index_array, hash_range):
    for i, j in enumerate(index_array):
        img = array_to_img(batch_x[i], iterator.data_format, scale=True)
        fname = f"{iterator.save_prefix}_{j}_{np.random.randint(hash_range)}.{iterator.save_format}"
        img.save(os.path.join(iterator.save_to_dir, fname))


def _iter_valid_files(directory, white_list_formats, follow_links):
    """Yields `(root, filename)` of the files under `directory` with an allowed extension, sorted."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        for fname in sorted(files):
            if fname.lower().endswith(".tiff"):
                warnings.warn('Using ".tiff" files with multiple bands will cause distortion. '
                              "Please verify your output.")
            if fname.lower().endswith(white_list_formats):
                yield root, fname


def _list_valid_filenames_in_directory(directory, white_list_formats, split, class_indices, follow_links):
    """The class indices and paths (relative to `directory`'s parent) of one class folder's images.

    `split` `(start, stop)` keeps that fraction of the folder's sorted files.
    """
    dirname = os.path.basename(directory)
    valid_files = list(_iter_valid_files(directory, white_list_formats, follow_links))
    if split:
        start, stop = int(split[0] * len(valid_files)), int(split[1] * len(valid_files))
        valid_files = valid_files[start:stop]
    classes, filenames = [], []
    for root, fname in valid_files:
        classes.append(class_indices[dirname])
        filenames.append(os.path.join(dirname, os.path.relpath(os.path.join(root, fname), directory)))
    return classes, filenames


class BatchFromFilesMixin:
    """Reads, transforms and batches image files (`DirectoryIterator`, `DataFrameIterator`)."""

    def set_processing_attrs(self, image_data_generator, target_size, color_mode, data_format, save_to_dir,
                             save_prefix, save_format, subset, interpolation, keep_aspect_ratio):
        """Sets the attributes used to turn files into batches.

        Raises:
            ValueError: for an unknown `color_mode` or `subset`.
        """
        self.image_data_generator = image_data_generator
        self.target_size = tuple(target_size)
        self.keep_aspect_ratio = keep_aspect_ratio
        if color_mode not in {"rgb", "rgba", "grayscale"}:
            raise ValueError(f'color_mode must be "rgb", "rgba" or "grayscale", got {color_mode!r}')
        self.color_mode = color_mode
        self.data_format = data_format
        channels = {"rgba": 4, "rgb": 3, "grayscale": 1}[color_mode]
        if data_format == "channels_last":
            self.image_shape = self.target_size + (channels,)
        else:
            self.image_shape = (channels,) + self.target_size
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        if subset is not None:
            validation_split = self.image_data_generator._validation_split
            if subset == "validation":
                split = (0, validation_split)
            elif subset == "training":
                split = (validation_split, 1)
            else:
                raise ValueError(f'subset must be "training", "validation" or None, got {subset!r}')
        else:
            split = None
        self.split = split
        self.subset = subset

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        filepaths = self.filepaths
        for i, j in enumerate(index_array):
            img = load_img(filepaths[j], color_mode=self.color_mode, target_size=self.target_size,
                           interpolation=self.interpolation, keep_aspect_ratio=self.keep_aspect_ratio)
            x = img_to_array(img, data_format=self.data_format)
            if hasattr(img, "close"):
                img.close()
            if self.image_data_generator:
                params = self.image_data_generator.get_random_transform(x.shape)
                x = self.image_data_generator.apply_transform(x, params)
                x = self.image_data_generator.standardize(x)
            batch_x[i] = x
        if self.save_to_dir:
            _save_batch(self, batch_x, index_array, 1e7)
        if self.class_mode == "input":
            batch_y = batch_x.copy()
        elif self.class_mode in {"binary", "sparse"}:
            batch_y = np.empty(len(batch_x), dtype=self.dtype)
            for i, n_observation in enumerate(index_array):
                batch_y[i] = self.classes[n_observation]
        elif self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), len(self.class_indices)), dtype=self.dtype)
            for i, n_observation in enumerate(index_array):
                batch_y[i, self.classes[n_observation]] = 1.0
        elif self.class_mode == "multi_output":
            batch_y = [output[index_array] for output in self.labels]
        elif self.class_mode == "raw":
            batch_y = self.labels[index_array]
        else:
            return batch_x
        if self.sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self.sample_weight[index_array]

    @property
    def filepaths(self):
        """Absolute paths of the image files."""
        raise NotImplementedError(f"{type(self).__name__} must implement `filepaths`")

    @property
    def labels(self):
        """The class labels of every sample."""
        raise NotImplementedError(f"{type(self).__name__} must implement `labels`")

    @property
    def sample_weight(self):
        """The sample weights of every sample, or None."""
        raise NotImplementedError(f"{type(self).__name__} must implement `sample_weight`")


def _check_class_mode(owner, class_mode, allowed):
    if class_mode not in allowed:
        names = ", ".join(repr(mode) for mode in sorted(allowed, key=lambda m: (m is None, str(m))))
        raise ValueError(f"{owner}: class_mode must be one of {names}, got {class_mode!r}")


class DirectoryIterator(BatchFromFilesMixin, Iterator):
    """Batches of images read from a folder with one subfolder per class.

    `directory/<class>/**/<image>` files with extension png, jpg, jpeg, bmp, ppm, tif or tiff
    are the samples; classes are the subfolders in sorted order (or `classes`).

    Args:
        directory: the folder.
        image_data_generator: the `ImageDataGenerator` whose transforms and normalization are
            applied (None: none).
        target_size: `(height, width)` every image is resized to.
        color_mode: "rgb", "rgba" or "grayscale" (3, 4 or 1 channels).
        classes: list of class subfolder names (default: all subfolders, sorted).
        class_mode: the targets: "categorical" (one-hot), "binary" (0 / 1 floats), "sparse"
            (class index floats), "input" (the images themselves) or None (no targets).
        batch_size: images per batch.
        shuffle: whether to shuffle the images every epoch.
        seed: seed of the shuffling and the random transforms.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).
        save_to_dir: folder where each batch's images are also saved (None: not saved).
        save_prefix: file name prefix of the saved images.
        save_format: file format of the saved images ("png", "jpeg", ...).
        follow_links: whether to follow symbolic links to subfolders.
        subset: "training" or "validation" with the generator's `validation_split` (the first
            `validation_split` of each class's sorted files are the validation subset).
        interpolation: resampling used to resize (see `load_img`).
        keep_aspect_ratio: resize without distorting the aspect ratio (centered crop).
        dtype: dtype of the batches (default: `floatx()`).

    Attributes:
        classes: the class index of every image (int32 array).
        class_indices: dict class name -> class index.
        filenames: the image paths relative to `directory`.
        filepaths: the image paths.
        samples: the number of images.
        num_classes: the number of classes.

    Raises:
        ValueError: for an unknown `class_mode`, `color_mode` or `subset`.
    """

    allowed_class_modes = {"categorical", "binary", "sparse", "input", None}

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format=None,
                 save_to_dir=None, save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", keep_aspect_ratio=False, dtype=None):
        data_format = config.standardize_data_format(data_format, "DirectoryIterator: data_format")
        dtype = _floatx(dtype)
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation, keep_aspect_ratio)
        self.directory = directory
        _check_class_mode("DirectoryIterator", class_mode, self.allowed_class_modes)
        self.class_mode = class_mode
        self.dtype = dtype
        if not classes:
            classes = [subdir for subdir in sorted(os.listdir(directory))
                       if os.path.isdir(os.path.join(directory, subdir))]
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        labels, self.filenames = [], []
        for subdir in classes:
            class_labels, filenames = _list_valid_filenames_in_directory(
                os.path.join(directory, subdir), self.white_list_formats, self.split, self.class_indices,
                follow_links,
            )
            labels += class_labels
            self.filenames += filenames
        self.samples = len(self.filenames)
        self.classes = np.asarray(labels, dtype="int32").reshape((self.samples,))
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._filepaths = [os.path.join(self.directory, fname) for fname in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def filepaths(self):
        """The paths of the image files (`directory` joined with `filenames`)."""
        return self._filepaths

    @property
    def labels(self):
        """The class index of every image (`classes`)."""
        return self.classes

    @property
    def sample_weight(self):
        """None: a directory gives no sample weights."""
        return None


class NumpyArrayIterator(Iterator):
    """Batches of (transformed) images from arrays in memory.

    Args:
        x: images, an array of rank 4; or a tuple / list `(images, other)` where `other` (an
            array or a list of arrays) goes with each batch untransformed, as extra inputs.
        y: the targets (None: the batches are the images only).
        image_data_generator: the `ImageDataGenerator` whose transforms and normalization are applied.
        batch_size: images per batch.
        shuffle: whether to shuffle the images every epoch.
        sample_weight: weights of the samples, yielded as the third item of each batch.
        seed: seed of the shuffling and the random transforms.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).
        save_to_dir: folder where each batch's images are also saved (None: not saved).
        save_prefix: file name prefix of the saved images.
        save_format: file format of the saved images ("png", "jpeg", ...).
        subset: "training" or "validation" with the generator's `validation_split` (the first
            `validation_split` of the samples are the validation subset).
        ignore_class_split: skip the check that both subsets have the same set of classes.
        dtype: dtype of the image batches (default: `floatx()`).

    Raises:
        ValueError: if the arrays' lengths differ, the images are not of rank 4, `subset` is
            unknown, or the two subsets have different classes.
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None,
                 ignore_class_split=False, dtype=None):
        data_format = config.standardize_data_format(data_format, "NumpyArrayIterator: data_format")
        self.dtype = _floatx(dtype)
        if isinstance(x, (tuple, list)):
            if not isinstance(x[1], list):
                x_misc = [np.asarray(x[1])]
            else:
                x_misc = [np.asarray(xx) for xx in x[1]]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ValueError(
                        "NumpyArrayIterator: all the arrays in `x` must have the same length, got "
                        f"len(x[0]) = {len(x)} and an array of length {len(xx)}"
                    )
        else:
            x_misc = []
        if y is not None and len(x) != len(y):
            raise ValueError(
                "NumpyArrayIterator: `x` (images) and `y` (labels) must have the same length, got "
                f"x.shape = {np.asarray(x).shape}, y.shape = {np.asarray(y).shape}"
            )
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(
                "NumpyArrayIterator: `x` (images) and `sample_weight` must have the same length, got "
                f"x.shape = {np.asarray(x).shape}, sample_weight.shape = {np.asarray(sample_weight).shape}"
            )
        if subset is not None:
            if subset not in {"training", "validation"}:
                raise ValueError(f'NumpyArrayIterator: subset must be "training", "validation" or None, '
                                 f"got {subset!r}")
            split_idx = int(len(x) * image_data_generator._validation_split)
            if (y is not None and not ignore_class_split
                    and not np.array_equal(np.unique(y[:split_idx]), np.unique(y[split_idx:]))):
                raise ValueError(
                    "NumpyArrayIterator: the training and validation subsets have different classes after "
                    f"the split at index {split_idx} (validation_split="
                    f"{image_data_generator._validation_split}). If the arrays are sorted by label, "
                    "shuffle them first (or pass ignore_class_split=True)"
                )
            part = slice(None, split_idx) if subset == "validation" else slice(split_idx, None)
            x = x[part]
            x_misc = [np.asarray(xx[part]) for xx in x_misc]
            if y is not None:
                y = y[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError(
                f"NumpyArrayIterator: the images must be an array of rank 4, got shape {self.x.shape}"
            )
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in {1, 3, 4}:
            warnings.warn(
                f'NumpyArrayIterator is set to use the data format convention "{data_format}" (channels on '
                f"axis {channels_axis}), i.e. expected either 1, 3, or 4 channels on axis {channels_axis}. "
                f"However, it was passed an array with shape {self.x.shape} "
                f"({self.x.shape[channels_axis]} channels)."
            )
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            x = self.x[j]
            params = self.image_data_generator.get_random_transform(x.shape)
            x = self.image_data_generator.apply_transform(x.astype(self.dtype), params)
            x = self.image_data_generator.standardize(x)
            batch_x[i] = x
        if self.save_to_dir:
            _save_batch(self, batch_x, index_array, 1e4)
        batch_x_miscs = [xx[index_array] for xx in self.x_misc]
        output = (batch_x if not batch_x_miscs else [batch_x] + batch_x_miscs,)
        if self.y is None:
            return output[0]
        output += (self.y[index_array],)
        if self.sample_weight is not None:
            output += (self.sample_weight[index_array],)
        return output


def validate_filename(filename, white_list_formats):
    """Whether `filename` is an existing file with an extension in `white_list_formats`."""
    return filename.lower().endswith(white_list_formats) and os.path.isfile(filename)


class DataFrameIterator(BatchFromFilesMixin, Iterator):
    """Batches of images whose file names (and labels) are columns of a pandas DataFrame.

    Args:
        dataframe: the DataFrame; column `x_col` holds the image paths (relative to
            `directory`, or absolute when `directory` is None).
        directory: the folder the paths are relative to.
        image_data_generator: the `ImageDataGenerator` whose transforms and normalization are applied.
        x_col: the column of the paths.
        y_col: the column of the labels (a list of columns with class_mode "multi_output").
        weight_col: the column of the sample weights (None: no weights).
        target_size: `(height, width)` every image is resized to.
        color_mode: "rgb", "rgba" or "grayscale".
        classes: the class names to keep (default: all labels found, sorted).
        class_mode: "categorical" (labels are strings or lists / tuples of strings, one- / multi-hot
            targets), "binary", "sparse", "input", "multi_output", "raw" (the `y_col` values) or None.
        batch_size: images per batch.
        shuffle: whether to shuffle the images every epoch.
        seed: seed of the shuffling and the random transforms.
        data_format: "channels_last" or "channels_first".
        save_to_dir: folder where each batch's images are also saved (None: not saved).
        save_prefix: file name prefix of the saved images.
        save_format: file format of the saved images.
        subset: "training" or "validation" with the generator's `validation_split` (the first
            rows are the validation subset).
        interpolation: resampling used to resize (see `load_img`).
        keep_aspect_ratio: resize without distorting the aspect ratio (centered crop).
        dtype: dtype of the batches.
        validate_filenames: drop (with a warning) the rows whose file is missing or has an
            unsupported extension.

    Raises:
        ValueError / TypeError: for a `class_mode` the columns do not fit.
    """

    allowed_class_modes = {"binary", "categorical", "input", "multi_output", "raw", "sparse", None}

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename", y_col="class",
                 weight_col=None, target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                 batch_size=32, shuffle=True, seed=None, data_format="channels_last", save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, interpolation="nearest", keep_aspect_ratio=False,
                 dtype="float32", validate_filenames=True):
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation, keep_aspect_ratio)
        df = dataframe.copy()
        self.directory = directory or ""
        self.class_mode = class_mode
        self.dtype = dtype
        self._check_params(df, x_col, y_col, weight_col, classes)
        if validate_filenames:
            df = self._filter_valid_filepaths(df, x_col)
        with_classes = class_mode not in ("input", "multi_output", "raw", None)
        if with_classes:
            df, classes = self._filter_classes(df, y_col, classes)
            num_classes = len(classes)
            self.class_indices = dict(zip(classes, range(len(classes))))
        if self.split:
            num_files = len(df)
            df = df.iloc[int(self.split[0] * num_files): int(self.split[1] * num_files), :]
        if with_classes:
            self.classes = self.get_classes(df, y_col)
        self.filenames = df[x_col].tolist()
        self._sample_weight = df[weight_col].values if weight_col else None
        if class_mode == "multi_output":
            self._targets = [np.array(df[col].tolist()) for col in y_col]
        if class_mode == "raw":
            self._targets = df[y_col].values
        self.samples = len(self.filenames)
        validated = "validated" if validate_filenames else "non-validated"
        if with_classes:
            print(f"Found {self.samples} {validated} image filenames belonging to {num_classes} classes.")
        else:
            print(f"Found {self.samples} {validated} image filenames.")
        self._filepaths = [os.path.join(self.directory, fname) for fname in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _check_params(self, df, x_col, y_col, weight_col, classes):
        _check_class_mode("DataFrameIterator", self.class_mode, self.allowed_class_modes)
        if self.class_mode == "multi_output" and not isinstance(y_col, list):
            raise TypeError(f'DataFrameIterator: with class_mode="multi_output" y_col must be a list, '
                            f"got {type(y_col).__name__}")
        if not all(df[x_col].apply(lambda v: isinstance(v, str))):
            raise TypeError(f"DataFrameIterator: all values in column x_col={x_col!r} must be strings")
        if self.class_mode in {"binary", "sparse"}:
            if not all(df[y_col].apply(lambda v: isinstance(v, str))):
                raise TypeError(f'DataFrameIterator: with class_mode="{self.class_mode}" the values of column '
                                f"y_col={y_col!r} must be strings")
        if self.class_mode == "binary":
            if classes:
                if len(set(classes)) != 2:
                    raise ValueError(f'DataFrameIterator: class_mode="binary" needs 2 classes, '
                                     f"got {len(set(classes))} in `classes`")
            elif df[y_col].nunique() != 2:
                raise ValueError(f'DataFrameIterator: class_mode="binary" needs 2 classes, '
                                 f"found {df[y_col].nunique()} in column y_col={y_col!r}")
        if self.class_mode == "categorical":
            if not all(df[y_col].apply(lambda v: isinstance(v, (str, list, tuple)))):
                raise TypeError(f'DataFrameIterator: with class_mode="categorical" the values of column '
                                f"y_col={y_col!r} must be strings, lists or tuples")
        if classes and self.class_mode in {"input", "multi_output", "raw", None}:
            warnings.warn(f'DataFrameIterator: `classes` will be ignored given the class_mode="{self.class_mode}"')
        if weight_col and not issubclass(df[weight_col].dtype.type, np.number):
            raise TypeError(f"DataFrameIterator: column weight_col={weight_col!r} must be numeric, "
                            f"got dtype {df[weight_col].dtype}")

    def get_classes(self, df, y_col):
        """The class index (or list of indices) of every row."""
        labels = []
        for label in df[y_col]:
            if isinstance(label, (list, tuple)):
                labels.append([self.class_indices[lbl] for lbl in label])
            else:
                labels.append(self.class_indices[label])
        return labels

    @staticmethod
    def _filter_classes(df, y_col, classes):
        df = df.copy()

        def remove_classes(labels, classes):
            if isinstance(labels, (list, tuple)):
                labels = [cls for cls in labels if cls in classes]
                return labels or None
            if isinstance(labels, str):
                return labels if labels in classes else None
            raise TypeError(f"DataFrameIterator: expected a string, list or tuple in column y_col={y_col!r}, "
                            f"got {type(labels).__name__}")

        if classes:
            classes = list(collections.OrderedDict.fromkeys(classes).keys())
            df[y_col] = df[y_col].apply(lambda v: remove_classes(v, classes))
        else:
            found = set()
            for v in df[y_col]:
                if isinstance(v, (list, tuple)):
                    found.update(v)
                else:
                    found.add(v)
            classes = sorted(found)
        return df.dropna(subset=[y_col]), classes

    def _filter_valid_filepaths(self, df, x_col):
        filepaths = df[x_col].map(lambda fname: os.path.join(self.directory, fname))
        mask = filepaths.apply(validate_filename, args=(self.white_list_formats,))
        n_invalid = (~mask).sum()
        if n_invalid:
            warnings.warn(f'DataFrameIterator: found {n_invalid} invalid image filename(s) in x_col="{x_col}". '
                          "These filename(s) will be ignored.")
        return df[mask]

    @property
    def filepaths(self):
        """The paths of the image files (`directory` joined with `filenames`)."""
        return self._filepaths

    @property
    def labels(self):
        """The targets of every row: class indices, or the `y_col` values ("raw", "multi_output")."""
        if self.class_mode in {"multi_output", "raw"}:
            return self._targets
        return self.classes

    @property
    def sample_weight(self):
        """The `weight_col` values, or None."""
        return self._sample_weight


# --------------------------------------------------------------------------------------------
# ImageDataGenerator


def _is_number(value):
    return isinstance(value, (float, int))


class ImageDataGenerator:
    """Real-time image augmentation and normalization for batches of images.

    Each image gets, in order: a random affine transform (rotation, shift, shear, zoom), a
    channel shift, flips and a brightness change (`random_transform`), then
    `preprocessing_function`, `rescale` and the normalizations (`standardize`).

    Args:
        featurewise_center: subtract the data set's mean per channel (computed by `fit`).
        samplewise_center: subtract each image's mean.
        featurewise_std_normalization: divide by the data set's std per channel (computed by `fit`).
        samplewise_std_normalization: divide each image by its std.
        zca_whitening: apply ZCA whitening (computed by `fit`).
        zca_epsilon: epsilon of the ZCA whitening.
        rotation_range: the largest random rotation, in degrees.
        width_shift_range: float below 1: the largest shift as a fraction of the width; float
            from 1: in pixels; int n: a whole number of pixels below n, either sign; list: a value
            drawn from the list, either sign.
        height_shift_range: as `width_shift_range`, along the height.
        brightness_range: `(lower, upper)`, the range of the brightness factor (None: no change).
        shear_range: the largest shear angle, in degrees.
        zoom_range: float z: zoom in `[1 - z, 1 + z]`; or `[lower, upper]`.
        channel_shift_range: the largest random channel shift.
        fill_mode: how points outside the image are filled: "constant", "nearest", "reflect" or "wrap".
        cval: the value outside the image with `fill_mode="constant"`.
        horizontal_flip: flip half of the images horizontally.
        vertical_flip: flip half of the images vertically.
        rescale: factor the images are multiplied by (None or 0: none).
        preprocessing_function: function of one image (a 3D array) to a 3D array of the same
            shape, run first in `standardize`.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).
        validation_split: fraction of the images set aside for `subset="validation"`.
        interpolation_order: order of the spline interpolation of the affine transform.
        dtype: dtype of the batches (default: `floatx()`).

    Raises:
        ValueError: for an unknown `data_format`, a `validation_split` outside (0, 1), or a
            `zoom_range` or `brightness_range` that is neither a number / pair as described.
    """

    @legacy.converts(legacy.LegacyInterface(renames={"dim_ordering": "data_format"},
                                            values={"data_format": legacy.DATA_FORMAT_VALUES}),
                     owner="ImageDataGenerator")
    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        if data_format is None:
            data_format = config.image_data_format()
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = _floatx(dtype)
        self.interpolation_order = interpolation_order

        if data_format not in {"channels_last", "channels_first"}:
            raise ValueError(
                f'ImageDataGenerator: data_format must be "channels_last" or "channels_first", got {data_format!r}'
            )
        self.data_format = data_format
        if data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(
                f"ImageDataGenerator: validation_split must be strictly between 0 and 1, got {validation_split!r}"
            )
        self._validation_split = validation_split

        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None

        if _is_number(zoom_range):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2 and all(_is_number(v) for v in zoom_range):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(
                f"ImageDataGenerator: zoom_range must be a float or a tuple / list of two floats, got {zoom_range!r}"
            )
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which overrides setting of "
                              "`featurewise_center`.")
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which overrides setting of "
                              "`featurewise_std_normalization`.")
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, which overrides "
                          "setting of `featurewise_center`.")
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, which overrides "
                          "setting of `samplewise_center`.")
        if brightness_range is not None:
            if not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2:
                raise ValueError(
                    "ImageDataGenerator: brightness_range must be a tuple or list of two floats, "
                    f"got {brightness_range!r}"
                )
        self.brightness_range = brightness_range

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None):
        """Batches of augmented and normalized images from arrays.

        Args:
            x: images, an array of rank 4 (1, 3 or 4 channels); or a tuple `(images, other)`
                where `other` (an array or a list of arrays) is passed along untransformed.
            y: the targets (None: batches are the images only).
            batch_size: images per batch.
            shuffle: whether to shuffle the images every epoch.
            sample_weight: weights of the samples.
            seed: seed of the shuffling and the random transforms.
            save_to_dir: folder where each batch's images are also saved (None: not saved).
            save_prefix: file name prefix of the saved images.
            save_format: file format of the saved images ("png", "jpeg", ...).
            ignore_class_split: skip the check that both subsets have the same set of classes.
            subset: "training" or "validation" (with `validation_split`).

        Returns:
            A `NumpyArrayIterator` yielding `x`, `(x, y)` or `(x, y, sample_weight)` batches.
        """
        return NumpyArrayIterator(
            x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight, seed=seed,
            data_format=self.data_format, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype,
        )

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            save_prefix="", save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False):
        """Batches of augmented and normalized images read from a folder with one subfolder per class.

        Args:
            directory: the folder; each subfolder holds one class's images.
            target_size: `(height, width)` every image is resized to.
            color_mode: "rgb", "rgba" or "grayscale".
            classes: list of class subfolder names (default: all subfolders, sorted).
            class_mode: "categorical", "binary", "sparse", "input" or None (see `DirectoryIterator`).
            batch_size: images per batch.
            shuffle: whether to shuffle the images every epoch.
            seed: seed of the shuffling and the random transforms.
            save_to_dir: folder where each batch's images are also saved (None: not saved).
            save_prefix: file name prefix of the saved images.
            save_format: file format of the saved images.
            follow_links: whether to follow symbolic links to subfolders.
            subset: "training" or "validation" (with `validation_split`).
            interpolation: resampling used to resize (see `load_img`).
            keep_aspect_ratio: resize without distorting the aspect ratio (centered crop).

        Returns:
            A `DirectoryIterator` yielding `(x, y)` batches (`x` alone with class_mode None).
        """
        return DirectoryIterator(
            directory, self, target_size=target_size, color_mode=color_mode, keep_aspect_ratio=keep_aspect_ratio,
            classes=classes, class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
            shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix, save_format=save_format,
            follow_links=follow_links, subset=subset, interpolation=interpolation, dtype=self.dtype,
        )

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class", weight_col=None,
                            target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                            batch_size=32, shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", subset=None, interpolation="nearest", validate_filenames=True,
                            **kwargs):
        """Batches of augmented and normalized images listed in a pandas DataFrame.

        Args:
            dataframe: the DataFrame (see `DataFrameIterator`).
            directory: the folder the paths are relative to.
            x_col: the column of the paths.
            y_col: the column of the labels (a list of columns with class_mode "multi_output").
            weight_col: the column of the sample weights.
            target_size: `(height, width)` every image is resized to.
            color_mode: "rgb", "rgba" or "grayscale".
            classes: the class names to keep (default: all labels found, sorted).
            class_mode: "categorical", "binary", "sparse", "input", "multi_output", "raw" or None.
            batch_size: images per batch.
            shuffle: whether to shuffle the images every epoch.
            seed: seed of the shuffling and the random transforms.
            save_to_dir: folder where each batch's images are also saved.
            save_prefix: file name prefix of the saved images.
            save_format: file format of the saved images.
            subset: "training" or "validation" (with `validation_split`).
            interpolation: resampling used to resize (see `load_img`).
            validate_filenames: drop the rows whose file is missing or has an unsupported extension.
            **kwargs: the deprecated `has_ext`, `sort` and `drop_duplicates` (ignored, with a warning).

        Returns:
            A `DataFrameIterator`.

        Raises:
            ImportError: if pandas is not installed.
        """
        try:
            import pandas  # noqa: F401
        except ImportError:
            raise ImportError("ImageDataGenerator.flow_from_dataframe needs pandas, which is not installed: "
                              "pip install pandas") from None
        if "has_ext" in kwargs:
            warnings.warn("has_ext is deprecated, filenames in the dataframe have to match the exact filenames "
                          "in disk.", DeprecationWarning)
        if "sort" in kwargs:
            warnings.warn("sort is deprecated, batches will be created in the same order than the filenames "
                          "provided if `shuffle` is set to `False`.", DeprecationWarning)
        if class_mode == "other":
            warnings.warn('`class_mode="other"` is deprecated, please use `class_mode="raw"`.', DeprecationWarning)
            class_mode = "raw"
        if "drop_duplicates" in kwargs:
            warnings.warn("drop_duplicates is deprecated, you can drop duplicates by using the "
                          "pandas.DataFrame.drop_duplicates method.", DeprecationWarning)
        return DataFrameIterator(
            dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col, target_size=target_size,
            color_mode=color_mode, classes=classes, class_mode=class_mode, data_format=self.data_format,
            batch_size=batch_size, shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, subset=subset, interpolation=interpolation,
            validate_filenames=validate_filenames, dtype=self.dtype,
        )

    def standardize(self, x):
        """Applies `preprocessing_function`, `rescale` and the normalizations to `x`, in place.

        Pass `np.copy(x)` to keep `x`. The featurewise normalizations and ZCA whitening need
        `fit` first (without it they are skipped, with a warning).

        Args:
            x: one image or a batch of images (a float array).

        Returns:
            The normalized images.
        """
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_center`, but it hasn't been fit on "
                              "any training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, but it hasn't "
                              "been fit on any training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                flat_x = x.reshape(-1, math.prod(x.shape[-3:]))
                x = np.reshape(flat_x @ self.zca_whitening_matrix, x.shape)
            else:
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, but it hasn't been fit on any "
                              "training data. Fit it first by calling `.fit(numpy_data)`.")
        return x

    def get_random_transform(self, img_shape, seed=None):
        """Draws the parameters of a random transform (from NumPy's global random state).

        Args:
            img_shape: shape of the image (3D, without the batch axis).
            seed: if given, NumPy's global random state is seeded with it first.

        Returns:
            A dict with keys "theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal",
            "flip_vertical", "channel_shift_intensity" and "brightness" (see `apply_transform`).
        """
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = self._draw_shift(self.height_shift_range, img_shape[img_row_axis])
        ty = self._draw_shift(self.width_shift_range, img_shape[img_col_axis])
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = np.random.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {
            "theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
            "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
            "channel_shift_intensity": channel_shift_intensity, "brightness": brightness,
        }

    @staticmethod
    def _draw_shift(shift_range, size):
        """A random shift in pixels: see `width_shift_range`."""
        if not shift_range:
            return 0
        try:  # an int n (0 .. n-1) or a 1-D list, with a random sign
            shift = np.random.choice(shift_range)
            shift *= np.random.choice([-1, 1])
        except ValueError:  # a float
            shift = np.random.uniform(-shift_range, shift_range)
        if np.max(shift_range) < 1:
            shift *= size
        return shift

    def apply_transform(self, x, transform_parameters):
        """Applies the transform described by `transform_parameters` to one image.

        Args:
            x: a 3D array, one image.
            transform_parameters: dict with any of the keys (a missing one means no change):
                "theta" (rotation, degrees), "tx" (shift along the rows, pixels), "ty" (shift
                along the columns, pixels), "shear" (degrees), "zx" / "zy" (zoom along the rows /
                columns), "flip_horizontal", "flip_vertical" (bools),
                "channel_shift_intensity", "brightness" (floats, or None for no change).

        Returns:
            The transformed image (same shape).
        """
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        img_channel_axis = self.channel_axis - 1
        get = transform_parameters.get
        x = apply_affine_transform(
            x, get("theta", 0), get("tx", 0), get("ty", 0), get("shear", 0), get("zx", 1), get("zy", 1),
            row_axis=img_row_axis, col_axis=img_col_axis, channel_axis=img_channel_axis,
            fill_mode=self.fill_mode, cval=self.cval, order=self.interpolation_order,
        )
        if get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, transform_parameters["channel_shift_intensity"], img_channel_axis)
        if get("flip_horizontal", False):
            x = flip_axis(x, img_col_axis)
        if get("flip_vertical", False):
            x = flip_axis(x, img_row_axis)
        if get("brightness") is not None:
            # In the generator's data format (Keras uses `image_data_format()`, which fails for
            # channels-first images when the global setting is channels-last).
            x = _brightness_shift(x, transform_parameters["brightness"], False, self.data_format)
        return x

    def random_transform(self, x, seed=None):
        """Applies a random transform to one image.

        Args:
            x: a 3D array, one image.
            seed: if given, NumPy's global random state is seeded with it first.

        Returns:
            The transformed image (same shape).
        """
        params = self.get_random_transform(x.shape, seed)
        return self.apply_transform(x, params)

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes the statistics of the featurewise normalizations and ZCA whitening from data.

        Needed only with `featurewise_center`, `featurewise_std_normalization` or
        `zca_whitening`. `rescale` is applied to the data first.

        Args:
            x: sample images, an array of rank 4 (1, 3 or 4 channels).
            augment: whether to compute the statistics over randomly transformed images.
            rounds: with `augment`, how many transformed copies of the data are used.
            seed: if given, NumPy's global random state is seeded with it first.

        Raises:
            ValueError: if `x` is not of rank 4.
        """
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit: `x` must have rank 4, got an array of shape {x.shape}")
        if x.shape[self.channel_axis] not in {1, 3, 4}:
            warnings.warn(
                f'Expected input to be images (as Numpy array) following the data format convention '
                f'"{self.data_format}" (channels on axis {self.channel_axis}), i.e. expected either 1, 3 or 4 '
                f"channels on axis {self.channel_axis}. However, it was passed an array with shape {x.shape} "
                f"({x.shape[self.channel_axis]} channels)."
            )
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            ax = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
            for r in range(rounds):
                for i in range(x.shape[0]):
                    ax[i + r * x.shape[0]] = self.random_transform(x[i])
            x = ax
        broadcast_shape = [1, 1, 1]
        broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=(0, self.row_axis, self.col_axis)), broadcast_shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=(0, self.row_axis, self.col_axis)), broadcast_shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            n = len(x)
            flat_x = np.reshape(x, (n, -1))
            u, s, _ = np.linalg.svd(flat_x.T, full_matrices=False)
            s_inv = np.sqrt(n) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * s_inv).dot(u.T)

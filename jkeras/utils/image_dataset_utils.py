"""`image_dataset_from_directory`: Keras 3's image folder loader as a `jkeras.utils.dataset_utils.Dataset`.

Images are read with Pillow when their batch is asked for and resized with
`jkeras.ops.image.resize` (Keras 3's `ops.image.resize`, as its `format="grain"` loader does).
"""
import functools

import numpy as np

from jkeras.core import config
from jkeras.utils import dataset_utils

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_KERAS_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                         "mitchellcubic")
_TF_ONLY_INTERPOLATIONS = ("area", "gaussian", "mitchellcubic")


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 format="tf", verbose=True):  # noqa: A002 - Keras's argument name
    """Generates a dataset from image files in a directory (one subdirectory per class).

    The files (".bmp", ".gif", ".jpeg", ".jpg", ".png"; the first frame of an animated gif) are
    listed and shuffled in Keras's order, so the same `seed` gives the same files and the same
    training / validation split as Keras. Images are read when their batch is.

    Args:
        directory: the folder; with `labels="inferred"`, one subfolder per class.
        labels: "inferred" (from the subfolders), None (no labels), or a list / tuple of integer
            labels, one per image file in the order of `os.walk` (sorted).
        label_mode: "int" (int32 `(batch,)`), "categorical" (one-hot float32
            `(batch, num_classes)`), "binary" (float32 `(batch, 1)`, exactly 2 classes) or None.
        class_names: the subfolders to use, in this order (`labels="inferred"` only).
        color_mode: "grayscale", "rgb" or "rgba" (1, 3 or 4 channels).
        batch_size: images per batch; None yields single images.
        image_size: `(height, width)` (or one int) the images are resized to.
        shuffle: shuffle the files (once, seeded, as Keras), then the images again in every pass
            (buffer of `8 * batch_size`); False: alphanumeric order.
        seed: the shuffle seed.
        validation_split: fraction of the files kept for validation (the last ones).
        subset: "training", "validation" or "both" (returns `[train, validation]`).
        interpolation: "bilinear", "nearest", "bicubic", "lanczos3" or "lanczos5".
        follow_links: follow symbolic links to folders.
        crop_to_aspect_ratio: center-crop to the aspect ratio of `image_size` before resizing.
        pad_to_aspect_ratio: zero-pad to the aspect ratio of `image_size` before resizing.
        data_format: "channels_last" or "channels_first" (default: `image_data_format()`).
        format: "tf" or "grain" (accepted; both give this `Dataset`).
        verbose: print how many files and classes were found.

    Returns:
        A `Dataset` yielding `(images, labels)` (float32 images `(batch, height, width, channels)`)
        or `images` alone without labels, with `class_names` and `file_paths` attributes; a list
        of two such datasets for `subset="both"`.

    Raises:
        ValueError: for a bad argument (named, with the received value), no images, or
            `label_mode="binary"` without exactly 2 classes.
    """
    dataset_utils.check_labels_arg(labels, class_names, "image")
    dataset_utils.check_label_mode_arg(label_mode)
    if labels is None or label_mode is None:
        labels = label_mode = None
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or not len(image_size) == 2:
        raise ValueError("Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    image_size = (int(image_size[0]), int(image_size[1]))
    interpolation = interpolation.lower()
    if interpolation not in _KERAS_INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {_KERAS_INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if interpolation in _TF_ONLY_INTERPOLATIONS:
        raise ValueError(f"interpolation={interpolation!r} is TensorFlow's tf.image.resize only; jkeras resizes "
                         "with jkeras.ops.image.resize: use one of ('bilinear', 'nearest', 'bicubic', "
                         "'lanczos3', 'lanczos5')")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    dataset_utils.check_format_arg(format)
    paths, labels, class_names, seed = dataset_utils.index_files(
        directory, labels, label_mode, class_names, ALLOWLIST_FORMATS, shuffle, seed, validation_split, subset,
        follow_links, verbose)
    data_format = config.standardize_data_format(data_format, "image_dataset_from_directory: data_format")
    load = functools.partial(load_image, image_size=image_size, num_channels=channels,
                             interpolation=interpolation, data_format=data_format,
                             crop_to_aspect_ratio=crop_to_aspect_ratio, pad_to_aspect_ratio=pad_to_aspect_ratio)

    def make(part_paths, part_labels, training):
        ds = dataset_utils.files_dataset(part_paths, part_labels, label_mode, len(class_names or ()), load,
                                         batch_size, shuffle and training, seed)
        ds.file_paths = list(part_paths)
        return ds

    return dataset_utils.directory_datasets(directory, paths, labels, label_mode, class_names, validation_split,
                                            subset, make, "images", f"Allowed formats: {ALLOWLIST_FORMATS}")


@functools.lru_cache(maxsize=None)
def _resizer(size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio, data_format):
    import jax

    from jkeras.ops import image as ops_image

    return jax.jit(functools.partial(ops_image.resize, size=size, interpolation=interpolation,
                                     crop_to_aspect_ratio=crop_to_aspect_ratio,
                                     pad_to_aspect_ratio=pad_to_aspect_ratio, data_format=data_format))


def load_image(path, image_size, num_channels, interpolation, data_format, crop_to_aspect_ratio=False,
               pad_to_aspect_ratio=False):
    """One image file as a float32 array of `image_size`, as Keras's grain loader reads it."""
    from jkeras.preprocessing.image import _pil

    pil_image = _pil("image_dataset_from_directory")
    with pil_image.open(path) as img:
        if num_channels == 1:
            if img.mode not in ("L", "I;16", "I"):
                img = img.convert("L")
        elif num_channels == 4:
            if img.mode != "RGBA":
                img = img.convert("RGBA")
        elif img.mode != "RGB":
            img = img.convert("RGB")
        array = np.asarray(img, dtype=np.float32)
    if array.ndim == 2:
        array = array[:, :, None]
    if data_format == "channels_first":
        array = np.transpose(array, (2, 0, 1))
    resize = _resizer(tuple(image_size), interpolation, bool(crop_to_aspect_ratio), bool(pad_to_aspect_ratio),
                      data_format)
    return np.asarray(resize(array), dtype=np.float32)

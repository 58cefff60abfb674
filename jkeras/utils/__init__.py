"""Utilities: seeds, names, labels, progress bars, batch datasets, downloads, image files."""
from jkeras.utils.data_utils import PyDataset, Sequence, get_file, pad_sequences
from jkeras.utils.np_utils import normalize, to_categorical
from jkeras.utils.numerics import check_numerics
from jkeras.utils.object_registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from jkeras.utils.progbar import Progbar
from jkeras.utils.random import set_random_seed
from jkeras.utils.vis_utils import model_to_svg, plot_history, plot_model
# Keras 3's keras.utils image file helpers (Pillow, imported when first used).
from jkeras.preprocessing.image import array_to_img, img_to_array, load_img, save_img

__all__ = [
    "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
    "get_registered_object", "register_keras_serializable",
    "Progbar", "PyDataset", "Sequence", "check_numerics", "get_file", "model_to_svg", "normalize",
    "pad_sequences",
    "array_to_img", "img_to_array", "load_img", "save_img",
    "plot_history", "plot_model", "set_random_seed", "to_categorical",
]

"""Utilities: seeds, names, labels, progress bars, batch datasets, downloads, image files."""
from jkeras import config as _config
from jkeras.utils.data_utils import (GeneratorEnqueuer, OrderedEnqueuer, PyDataset, Sequence, SequenceEnqueuer,
                                     get_file, pad_sequences)
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
from jkeras.utils.serialization import deserialize_keras_object, serialize_keras_object
from jkeras.utils.dtype_utils import pack_x_y_sample_weight, standardize_dtype, unpack_x_y_sample_weight
from jkeras.utils.vis_utils import model_to_dot, model_to_svg, plot_history, plot_model
# Keras 3's keras.utils image file helpers (Pillow, imported when first used).
from jkeras.preprocessing.image import array_to_img, img_to_array, load_img, save_img
# Keras 3's dataset loaders, as PyDatasets with the tf.data methods tutorials call (no TensorFlow).
from jkeras.utils.audio_dataset_utils import audio_dataset_from_directory
from jkeras.utils.dataset_utils import split_dataset
from jkeras.utils.image_dataset_utils import image_dataset_from_directory
from jkeras.utils.text_dataset_utils import text_dataset_from_directory
from jkeras.utils.timeseries_dataset_utils import timeseries_dataset_from_array
# Keras 2's keras.utils names and submodules (reachable as attributes: keras.utils.generic_utils)
from jkeras.utils import conv_utils, generic_utils, io_utils, layer_utils, np_utils, vis_utils  # noqa: F401
from jkeras.utils.io_utils import HDF5Matrix
from jkeras.utils.multi_gpu_utils import multi_gpu_model
from jkeras.utils.summary import print_summary

__all__ = [
    "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
    "get_registered_object", "register_keras_serializable",
    "Progbar", "PyDataset", "Sequence", "check_numerics", "get_file", "model_to_dot", "model_to_svg", "normalize",
    "pad_sequences",
    "array_to_img", "img_to_array", "load_img", "save_img",
    "audio_dataset_from_directory", "image_dataset_from_directory", "split_dataset",
    "text_dataset_from_directory", "timeseries_dataset_from_array",
    "plot_history", "plot_model", "set_random_seed", "to_categorical",
    "clear_session", "deserialize_keras_object", "serialize_keras_object", "get_source_inputs",
    "is_keras_tensor", "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "standardize_dtype",
    "enable_interactive_logging", "disable_interactive_logging", "is_interactive_logging_enabled",
    "HDF5Matrix", "multi_gpu_model", "print_summary", "GeneratorEnqueuer", "OrderedEnqueuer", "SequenceEnqueuer",
]

enable_interactive_logging = _config.enable_interactive_logging
disable_interactive_logging = _config.disable_interactive_logging
is_interactive_logging_enabled = _config.is_interactive_logging_enabled


def clear_session():
    """Forgets the default layer names given so far (the next Dense is `dense` again)."""
    from jkeras import backend

    backend.clear_session()


def get_source_inputs(tensor):
    """The `Input` tensors that `tensor` (a functional-API tensor) is computed from, in order."""
    from jkeras.models import node

    return node.get_source_inputs(tensor)


def is_keras_tensor(x):
    """True for a symbolic tensor of the functional API (`jkeras.Input(...)` and what layers
    called on it return)."""
    from jkeras.models.node import KerasTensor

    return isinstance(x, KerasTensor)

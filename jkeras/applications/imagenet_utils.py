"""Utilities shared by the ImageNet models: input preprocessing, prediction decoding, and the
checks of `input_shape`, `weights` and `classifier_activation` that Keras's applications make.
"""
import json
import os
import warnings

import jax.numpy as jnp
import numpy as np

from jkeras import activations
from jkeras import backend
from jkeras import layers
from jkeras.models import Model
from jkeras.models.input_layer import Input
from jkeras.models.node import KerasTensor, get_source_inputs
from jkeras.utils.data_utils import get_file

CLASS_INDEX = None
CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/"
    "data/imagenet_class_index.json"
)
_CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_CAFFE_MEAN = [103.939, 116.779, 123.68]
_TORCH_MEAN = [0.485, 0.456, 0.406]
_TORCH_STD = [0.229, 0.224, 0.225]

PREPROCESS_INPUT_DOC = """Preprocesses a batch of images (a NumPy array or a JAX array).

    Args:
        x: floating point or integer array, 3D or 4D, with 3 color channels and
            values in [0, 255]. A floating point NumPy array is overwritten
            (as in Keras); pass `numpy.copy(x)` to keep it. A symbolic tensor
            (output of `jkeras.Input`) gets the same operations recorded in its graph.
        data_format: `"channels_last"` or `"channels_first"`; `None` uses
            `jkeras.backend.image_data_format()`.{mode}

    Returns:
        The preprocessed array, `float32` for integer input.{ret}

    Raises:
        {error}
    """

PREPROCESS_INPUT_MODE_DOC = """
        mode: `"caffe"` (default; RGB to BGR, then zero-center each channel
            with the ImageNet means, no scaling), `"tf"` (scale to [-1, 1]) or
            `"torch"` (scale to [0, 1], then normalize each channel with the
            ImageNet means and standard deviations)."""

PREPROCESS_INPUT_DEFAULT_ERROR_DOC = "ValueError: for an unknown `mode` or `data_format`."

PREPROCESS_INPUT_ERROR_DOC = "ValueError: for an unknown `data_format`."

PREPROCESS_INPUT_RET_DOC_TF = """
        Pixel values are scaled to [-1, 1]."""

PREPROCESS_INPUT_RET_DOC_TORCH = """
        Pixel values are scaled to [0, 1], then each channel is normalized
        with the ImageNet means and standard deviations."""

PREPROCESS_INPUT_RET_DOC_CAFFE = """
        Images are converted from RGB to BGR, then each channel is
        zero-centered with the ImageNet means, without scaling."""


def preprocess_input(x, data_format=None, mode="caffe"):
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(
            "Expected mode to be one of `caffe`, `tf` or `torch`. "
            f"Received: mode={mode}"
        )
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            "Expected data_format to be one of `channels_first` or "
            f"`channels_last`. Received: data_format={data_format}"
        )
    if isinstance(x, np.ndarray):
        return _preprocess_numpy_input(x, data_format=data_format, mode=mode)
    if not isinstance(x, KerasTensor):
        x = jnp.asarray(x)
    return _preprocess_tensor_input(x, data_format=data_format, mode=mode)


preprocess_input.__doc__ = PREPROCESS_INPUT_DOC.format(
    mode=PREPROCESS_INPUT_MODE_DOC, ret="", error=PREPROCESS_INPUT_DEFAULT_ERROR_DOC
)


def decode_predictions(preds, top=5):
    """Decodes the predictions of an ImageNet model.

    Downloads `imagenet_class_index.json` into the Keras cache (`models/`) the first time.

    Args:
        preds: array of predictions, shape `(samples, 1000)`.
        top: how many top guesses to return per sample. Defaults to `5`.

    Returns:
        One list per sample of `(class_name, class_description, score)` tuples, best first.

    Raises:
        ValueError: if `preds` is not of shape `(samples, 1000)`.
    """
    global CLASS_INDEX
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects "
            "a batch of predictions "
            "(i.e. a 2D array of shape (samples, 1000)). "
            f"Received array with shape: {preds.shape}"
        )
    if CLASS_INDEX is None:
        fpath = get_file(
            "imagenet_class_index.json",
            CLASS_INDEX_PATH,
            cache_subdir="models",
            file_hash=_CLASS_INDEX_HASH,
        )
        with open(fpath) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for pred in np.asarray(preds):
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda r: r[2], reverse=True)
        results.append(result)
    return results


def _preprocess_numpy_input(x, data_format, mode):
    """Keras's NumPy preprocessing, in place where the dtype allows (as in Keras)."""
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        if data_format == "channels_first":
            x = x[::-1, ...] if x.ndim == 3 else x[:, ::-1, ...]
        else:
            x = x[..., ::-1]
        mean, std = _CAFFE_MEAN, None
    if data_format == "channels_first":
        channel = (lambda c: (c, Ellipsis)) if x.ndim == 3 else (lambda c: (slice(None), c, Ellipsis))
    else:
        channel = lambda c: (Ellipsis, c)  # noqa: E731
    for c in range(3):
        x[channel(c)] -= mean[c]
    if std is not None:
        for c in range(3):
            x[channel(c)] /= std[c]
    return x


def _preprocess_tensor_input(x, data_format, mode):
    """Keras's tensor preprocessing on a JAX array or a symbolic tensor, with `jkeras.ops` and
    operators: on a symbolic tensor they record operations of the graph, which a saved model
    stores by name, as Keras 3 does (the mean takes the input's dtype, as in Keras)."""
    from jkeras import ops

    ndim = x.ndim
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        if data_format == "channels_first":
            x = ops.flip(x, axis=0 if ndim == 3 else 1)
        else:
            x = ops.flip(x, axis=-1)
        mean, std = _CAFFE_MEAN, None
    mean_tensor = jnp.asarray(-np.array(mean), dtype=x.dtype)
    if data_format == "channels_first":
        if ndim == 3:
            mean_tensor = mean_tensor.reshape((3, 1, 1))
        else:
            mean_tensor = mean_tensor.reshape((1, 3) + (1,) * (ndim - 2))
    else:
        mean_tensor = mean_tensor.reshape((1,) * (ndim - 1) + (3,))
    x = x + mean_tensor
    if std is not None:
        std_tensor = jnp.asarray(np.array(std), dtype=x.dtype)
        if data_format == "channels_first":
            std_tensor = std_tensor.reshape((-1, 1, 1))
        x = x / std_tensor
    return x


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """Computes or validates a model's input shape (one sample, no batch axis).

    Args:
        input_shape: `None` (the default shape) or a shape to validate.
        default_size: default input width and height of the model.
        min_size: smallest input width and height the model accepts.
        data_format: `"channels_last"` or `"channels_first"`.
        require_flatten: whether the model ends in a classifier that needs a static shape
            (`include_top=True`).
        weights: `None`, `"imagenet"` (then the input must have 3 channels) or a file path.

    Returns:
        A shape tuple (possibly with `None` entries).

    Raises:
        ValueError: for an input shape the model cannot take.
    """
    return _obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights)


def _obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights,
                        stacklevel=3):
    """`obtain_input_shape`, warning at `stacklevel` (3: the caller of its caller)."""
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if data_format == "channels_first":
            if input_shape[0] not in {1, 3}:
                warnings.warn(
                    "This model usually expects 1 or 3 input channels. "
                    "However, it was passed an input_shape "
                    f"with {input_shape[0]} input channels.",
                    stacklevel=stacklevel,
                )
            default_shape = (input_shape[0], default_size, default_size)
        else:
            if input_shape[-1] not in {1, 3}:
                warnings.warn(
                    "This model usually expects 1 or 3 input channels. "
                    "However, it was passed an input_shape "
                    f"with {input_shape[-1]} input channels.",
                    stacklevel=stacklevel,
                )
            default_shape = (default_size, default_size, input_shape[-1])
    elif data_format == "channels_first":
        default_shape = (3, default_size, default_size)
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(
                "When setting `include_top=True` "
                "and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}.  "
                f"Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels_first = data_format == "channels_first"
        channels = input_shape[0] if channels_first else input_shape[-1]
        rows, cols = (input_shape[1], input_shape[2]) if channels_first else (input_shape[0], input_shape[1])
        if channels != 3 and weights == "imagenet":
            raise ValueError(
                "The input must have 3 channels; Received "
                f"`input_shape={input_shape}`"
            )
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError(
                f"Input size must be at least {min_size}"
                f"x{min_size}; Received: "
                f"input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default_shape
    elif data_format == "channels_first":
        input_shape = (3, None, None)
    else:
        input_shape = (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, "
            "you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """Zero-padding for a 2D convolution with downsampling, as `((top, bottom), (left, right))`.

    Args:
        inputs: input tensor (4D).
        kernel_size: an integer or a tuple of 2 integers.

    Returns:
        A tuple of two `(before, after)` pairs.
    """
    img_dim = 2 if backend.image_data_format() == "channels_first" else 1
    input_size = inputs.shape[img_dim: img_dim + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    if input_size[0] is None:
        adjust = (1, 1)
    else:
        adjust = (1 - input_size[0] % 2, 1 - input_size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Checks that `classifier_activation` suits pretrained `weights`.

    Args:
        classifier_activation: a name or a callable.
        weights: the weights to load (`None`: any activation is allowed).

    Raises:
        ValueError: for an activation other than `None` or `"softmax"` with pretrained weights.
    """
    if weights is None:
        return
    classifier_activation = activations.get(classifier_activation)
    if classifier_activation not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed "
            "for the `classifier_activation` argument when using "
            "pretrained weights, with `include_top=True`; Received: "
            f"classifier_activation={classifier_activation}"
        )


# ------------------------------------------------------------------------------------------------
# Helpers the model modules share (Keras repeats them in each model function).


def _weights_exist(weights):
    """Whether `weights` names an existing file (Keras's `file_utils.exists`)."""
    try:
        return os.path.exists(weights)
    except TypeError:
        return False


WEIGHTS_ERROR = (
    "The `weights` argument should be either "
    "`None` (random initialization), {imagenet} "
    "(pre-training on ImageNet), "
    "or the path to the weights file to be loaded{received}"
)
CLASSES_ERROR = (
    "If using `weights='imagenet'` with `include_top=True`, "
    "`classes` should be 1000.  "
    "Received classes={classes}"
)


def _check_weights(weights, include_top, classes, imagenet="'imagenet'", received=".  Received: weights={weights}",
                   classes_error=CLASSES_ERROR):
    """Checks `weights` (and `classes` with ImageNet weights), as each Keras model does.

    The models word their errors differently: `imagenet` (how `'imagenet'` is quoted) and
    `received` (the end of the message, formatted with `weights`) make the `weights` error, and
    `classes_error` (formatted with `classes`) is the `classes` error. The defaults are VGG's and
    ResNet's messages.
    """
    if not (weights in {"imagenet", None} or _weights_exist(weights)):
        raise ValueError(WEIGHTS_ERROR.format(imagenet=imagenet, received=received.format(weights=weights)))
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(classes_error.format(classes=classes))


def _input_shape(input_shape, default_size, min_size, include_top, weights, stacklevel=3):
    """`obtain_input_shape` with the backend's image data format (warning at the model function)."""
    return _obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=min_size,
        data_format=backend.image_data_format(),
        require_flatten=include_top,
        weights=weights,
        stacklevel=stacklevel,
    )


def _inputs(input_tensor, input_shape, default_size, min_size, include_top, weights):
    """The model's input shape (as `_input_shape`) and input tensor (as `_image_input`)."""
    input_shape = _input_shape(input_shape, default_size, min_size, include_top, weights, stacklevel=4)
    return input_shape, _image_input(input_tensor, input_shape)


def _image_input(input_tensor, input_shape):
    """The model's input tensor: `input_tensor` itself, or a new `Input` of `input_shape`."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError(
            "Argument `input_tensor` must be a KerasTensor. "
            f"Received invalid type: input_tensor={input_tensor} "
            f"(of type {type(input_tensor)})"
        )
    return input_tensor


def _model_inputs(input_tensor, img_input):
    """The `Input` tensors the model starts from (the sources of `input_tensor`, if given)."""
    if input_tensor is None:
        return img_input
    inputs = get_source_inputs(input_tensor)
    return inputs[0] if len(inputs) == 1 else inputs


def _classifier(x, include_top, pooling, classes, classifier_activation, weights, top_pool_name="avg_pool",
                pool_names=False):
    """The common top: with `include_top`, global average pooling (named `top_pool_name`) and a
    `Dense` classifier `"predictions"`; otherwise the optional `pooling` (its layers named
    `avg_pool` / `max_pool` if `pool_names`)."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name=top_pool_name)(x)
        validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool" if pool_names else None)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool" if pool_names else None)(x)
    return x


def _finish(input_tensor, img_input, outputs, name, weights, fetch, file_name=None, url=None, file_hash=None):
    """Builds the `Model` and loads its weights, as each Keras model ends.

    `weights="imagenet"` downloads `file_name` from `url` (checked against `file_hash`, if given)
    into the Keras cache with `fetch` (the model module's `get_file`, passed at call time so that
    it can be patched there); without a `file_name` (no published file), and for any other
    `weights` but `None`, `weights` is loaded as a path.
    """
    model = Model(_model_inputs(input_tensor, img_input), outputs, name=name)
    if weights == "imagenet" and file_name is not None:
        model.load_weights(fetch(file_name, url, cache_subdir="models", file_hash=file_hash))
    elif weights is not None:
        model.load_weights(weights)
    return model

"""VGG16 (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015), layer for layer as in Keras, so Keras's weight files load."""
from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.utils.data_utils import get_file

WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/"
    "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5"
)
WEIGHTS_PATH_NO_TOP = (
    "https://storage.googleapis.com/tensorflow/"
    "keras-applications/vgg16/"
    "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
)
_HASHES = ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc")

_VGG_ARGS_DOC = """
    Args:
        include_top: whether to include the 3 fully-connected layers at the top.
        weights: `None` (random initialization), `"imagenet"` (pre-trained on
            ImageNet, downloaded into the Keras cache) or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `jkeras.Input()`) to
            use as the model's input.
        input_shape: optional shape tuple, only to be given with
            `include_top=False` (otherwise it must be `(224, 224, 3)`, or
            `(3, 224, 224)` with `"channels_first"`). Exactly 3 channels with
            ImageNet weights; width and height at least 32.
        pooling: with `include_top=False`: `None` (the output is the 4D output
            of the last convolutional block), `"avg"` (global average pooling,
            a 2D output) or `"max"` (global max pooling).
        classes: number of classes, only with `include_top=True` and no
            `weights`. Defaults to `1000`.
        classifier_activation: activation (name or callable) of the top layer,
            only with `include_top=True`; `None` returns logits. With
            pretrained weights only `None` and `"softmax"` are allowed.
        name: the name of the model.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for invalid `weights`, `classes`, `input_shape`,
            `input_tensor` or `classifier_activation`.
    """


def _vgg(convs, include_top, weights, input_tensor, input_shape, pooling, classes,
         classifier_activation, name, weights_files):
    """Builds VGG with `convs[i]` convolutions in block `i + 1` (Keras's layer names)."""
    imagenet_utils._check_weights(weights, include_top, classes)
    input_shape, img_input = imagenet_utils._inputs(input_tensor, input_shape, 224, 32, include_top, weights)
    x = img_input
    for block, (filters, count) in enumerate(zip((64, 128, 256, 512, 512), convs), start=1):
        for conv in range(1, count + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{conv}"
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)

    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    (top_url, top_hash), (notop_url, notop_hash) = weights_files
    url, file_hash = (top_url, top_hash) if include_top else (notop_url, notop_hash)
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, url.rsplit("/", 1)[-1], url,
                                  file_hash)


def VGG16(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    return _vgg(
        (2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
        ((WEIGHTS_PATH, _HASHES[0]), (WEIGHTS_PATH_NO_TOP, _HASHES[1])),
    )


VGG16.__doc__ = """Instantiates the VGG16 model.

    The default input size is 224x224. Call `jkeras.applications.vgg16.preprocess_input`
    on the inputs first (RGB to BGR, then zero-centering with the ImageNet means).
""" + _VGG_ARGS_DOC


def preprocess_input(x, data_format=None):
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


preprocess_input.__doc__ = imagenet_utils.PREPROCESS_INPUT_DOC.format(
    mode="",
    ret=imagenet_utils.PREPROCESS_INPUT_RET_DOC_CAFFE,
    error=imagenet_utils.PREPROCESS_INPUT_ERROR_DOC,
)
decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__

"""Xception (Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", CVPR 2017),
layer for layer as in Keras, so Keras's weight files load."""
from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.utils.data_utils import get_file

WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/"
    "xception/xception_weights_tf_dim_ordering_tf_kernels.h5"
)
WEIGHTS_PATH_NO_TOP = (
    "https://storage.googleapis.com/tensorflow/keras-applications/"
    "xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
)


def Xception(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="xception",
):
    """Instantiates the Xception architecture.

    The default input size is 299x299. Call `jkeras.applications.xception.preprocess_input`
    on the inputs first (it scales pixels to [-1, 1]).

    Args:
        include_top: whether to include the fully-connected layer at the top.
        weights: `None` (random initialization), `"imagenet"` (pre-trained on
            ImageNet, downloaded into the Keras cache) or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `jkeras.Input()`) to
            use as the model's input.
        input_shape: optional shape tuple, only to be given with
            `include_top=False` (otherwise it must be `(299, 299, 3)`). Exactly
            3 channels with ImageNet weights; width and height at least 71.
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
    imagenet_utils._check_weights(weights, include_top, classes, received=".")
    input_shape, img_input = imagenet_utils._inputs(input_tensor, input_shape, 299, 71, include_top, weights)
    channel_axis = 1 if backend.image_data_format() == "channels_first" else -1

    def sepconv_bn(x, filters, name):
        x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
        return layers.BatchNormalization(axis=channel_axis, name=f"{name}_bn")(x)

    def shortcut(x, filters):
        residual = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
        return layers.BatchNormalization(axis=channel_axis)(residual)

    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=channel_axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=channel_axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    # Entry flow: blocks 2-4, each with a strided 1x1 convolution shortcut.
    for block, filters in ((2, 128), (3, 256), (4, 728)):
        residual = shortcut(x, filters)
        if block > 2:
            x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
        x = sepconv_bn(x, filters, f"block{block}_sepconv1")
        x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
        x = sepconv_bn(x, filters, f"block{block}_sepconv2")
        x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
        x = layers.add([x, residual])

    # Middle flow: blocks 5-12, identity shortcuts.
    for i in range(8):
        residual = x
        prefix = f"block{i + 5}"
        for j in (1, 2, 3):
            x = layers.Activation("relu", name=f"{prefix}_sepconv{j}_act")(x)
            x = sepconv_bn(x, 728, f"{prefix}_sepconv{j}")
        x = layers.add([x, residual])

    # Exit flow.
    residual = shortcut(x, 1024)
    x = layers.Activation("relu", name="block13_sepconv1_act")(x)
    x = sepconv_bn(x, 728, "block13_sepconv1")
    x = layers.Activation("relu", name="block13_sepconv2_act")(x)
    x = sepconv_bn(x, 1024, "block13_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block13_pool")(x)
    x = layers.add([x, residual])

    x = sepconv_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = sepconv_bn(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)

    x = imagenet_utils._classifier(x, include_top, pooling, classes, classifier_activation, weights)
    if include_top:
        file_name, file_hash = "xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"
    else:
        file_name, file_hash = "xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, file_name,
                                  WEIGHTS_PATH if include_top else WEIGHTS_PATH_NO_TOP, file_hash)


def preprocess_input(x, data_format=None):
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


preprocess_input.__doc__ = imagenet_utils.PREPROCESS_INPUT_DOC.format(
    mode="",
    ret=imagenet_utils.PREPROCESS_INPUT_RET_DOC_TF,
    error=imagenet_utils.PREPROCESS_INPUT_ERROR_DOC,
)
decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__

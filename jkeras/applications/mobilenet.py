"""MobileNet (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
Vision Applications", 2017), layer for layer as in Keras, so Keras's weight files load."""
import warnings

from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.utils.data_utils import get_file

BASE_WEIGHT_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
)


def MobileNet(
    input_shape=None,
    alpha=1.0,
    depth_multiplier=1,
    dropout=1e-3,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """Instantiates the MobileNet architecture.

    The default input size is 224x224. Call `jkeras.applications.mobilenet.preprocess_input`
    on the inputs first (it scales pixels to [-1, 1]).

    Args:
        input_shape: optional shape tuple, only to be given with
            `include_top=False` (otherwise it must be `(224, 224, 3)`, or
            `(3, 224, 224)` with `"channels_first"`). Exactly 3 channels with
            ImageNet weights; width and height at least 32. Ignored when
            `input_tensor` is given.
        alpha: width multiplier: below `1.0` fewer, above `1.0` more filters
            in each layer. Defaults to `1.0`.
        depth_multiplier: depth multiplier of the depthwise convolutions.
            Defaults to `1`.
        dropout: dropout rate before the classifier. Defaults to `0.001`.
        include_top: whether to include the classifier at the top.
            Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (pre-trained on
            ImageNet, downloaded into the Keras cache) or the path to a weights
            file. Defaults to `"imagenet"`.
        input_tensor: optional symbolic tensor (output of `jkeras.Input()`) to
            use as the model's input.
        pooling: with `include_top=False`: `None` (the output is the 4D output
            of the last convolutional block), `"avg"` (global average pooling,
            a 2D output) or `"max"` (global max pooling).
        classes: number of classes, only with `include_top=True` and no
            `weights`. Defaults to `1000`.
        classifier_activation: activation (name or callable) of the top layer,
            only with `include_top=True`; `None` returns logits. With
            pretrained weights only `None` and `"softmax"` are allowed.
        name: the name of the model; defaults to `"mobilenet_{alpha:0.2f}_{rows}"`.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for invalid `weights`, `classes`, `input_shape`,
            `input_tensor` or `classifier_activation`, or, with ImageNet
            weights, an `alpha` or `depth_multiplier` without published weights.
    """
    imagenet_utils._check_weights(weights, include_top, classes, received=". Received weights={weights}")

    channels_first = backend.image_data_format() == "channels_first"
    sizes = [128, 160, 192, 224]
    default_size = 224 if input_shape is None else _square_size(*_rows_cols(input_shape, channels_first), sizes)
    input_shape = imagenet_utils._input_shape(input_shape, default_size, 32, include_top, weights)
    rows, cols = _rows_cols(input_shape, channels_first)

    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "If imagenet weights are being loaded, "
                "depth multiplier must be 1.  "
                f"Received depth_multiplier={depth_multiplier}"
            )
        if alpha not in [0.25, 0.50, 0.75, 1.0]:
            raise ValueError(
                "If imagenet weights are being loaded, "
                "alpha can be one of"
                "`0.25`, `0.50`, `0.75` or `1.0` only.  "
                f"Received alpha={alpha}"
            )
        rows = _weights_rows(rows, cols, sizes)

    img_input = imagenet_utils._image_input(input_tensor, input_shape)

    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    x = _depthwise_conv_block(x, 64, alpha, depth_multiplier, block_id=1)
    x = _depthwise_conv_block(x, 128, alpha, depth_multiplier, strides=(2, 2), block_id=2)
    x = _depthwise_conv_block(x, 128, alpha, depth_multiplier, block_id=3)
    x = _depthwise_conv_block(x, 256, alpha, depth_multiplier, strides=(2, 2), block_id=4)
    x = _depthwise_conv_block(x, 256, alpha, depth_multiplier, block_id=5)
    x = _depthwise_conv_block(x, 512, alpha, depth_multiplier, strides=(2, 2), block_id=6)
    for block_id in range(7, 12):
        x = _depthwise_conv_block(x, 512, alpha, depth_multiplier, block_id=block_id)
    x = _depthwise_conv_block(x, 1024, alpha, depth_multiplier, strides=(2, 2), block_id=12)
    x = _depthwise_conv_block(x, 1024, alpha, depth_multiplier, block_id=13)

    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils._classifier(x, include_top, pooling, classes, classifier_activation, weights)

    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    model_name = None
    if weights == "imagenet":
        alpha_text = {1.0: "1_0", 0.75: "7_5", 0.50: "5_0"}.get(alpha, "2_5")
        suffix = "" if include_top else "_no_top"
        model_name = "mobilenet_%s_%d_tf%s.h5" % (alpha_text, rows, suffix)
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, model_name,
                                  f"{BASE_WEIGHT_PATH}{model_name}")


def _rows_cols(shape, channels_first):
    """The rows and columns of an image shape (without the batch axis)."""
    return (shape[1], shape[2]) if channels_first else (shape[0], shape[1])


def _square_size(rows, cols, sizes):
    """`rows` if the image is square with a size of published weights (in `sizes`), else 224."""
    return rows if rows == cols and rows in sizes else 224


def _weights_rows(rows, cols, sizes):
    """The size of the ImageNet weights to load: `rows`, or 224 (with a warning) if the image is not
    square with a size of published weights (in `sizes`)."""
    if rows != cols or rows not in sizes:
        warnings.warn(
            "`input_shape` is undefined or non-square, "
            f"or `rows` is not in {sizes}. "
            "Weights for input shape (224, 224) will be "
            "loaded as the default.",
            stacklevel=3,
        )
        return 224
    return rows


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    """The first convolution, with batch normalization and ReLU6 (layers `conv1*`)."""
    channel_axis = 1 if backend.image_data_format() == "channels_first" else -1
    filters = int(filters * alpha)
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=False, strides=strides, name="conv1")(inputs)
    x = layers.BatchNormalization(axis=channel_axis, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1, strides=(1, 1),
                          block_id=1):
    """Depthwise convolution, BN, ReLU6, pointwise convolution, BN, ReLU6 (layers `conv_*_{block_id}`)."""
    channel_axis = 1 if backend.image_data_format() == "channels_first" else -1
    pointwise_conv_filters = int(pointwise_conv_filters * alpha)
    if strides == (1, 1):
        x = inputs
    else:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name="conv_pad_%d" % block_id)(inputs)
    x = layers.DepthwiseConv2D(
        (3, 3),
        padding="same" if strides == (1, 1) else "valid",
        depth_multiplier=depth_multiplier,
        strides=strides,
        use_bias=False,
        name="conv_dw_%d" % block_id,
    )(x)
    x = layers.BatchNormalization(axis=channel_axis, name="conv_dw_%d_bn" % block_id)(x)
    x = layers.ReLU(6.0, name="conv_dw_%d_relu" % block_id)(x)
    x = layers.Conv2D(
        pointwise_conv_filters,
        (1, 1),
        padding="same",
        use_bias=False,
        strides=(1, 1),
        name="conv_pw_%d" % block_id,
    )(x)
    x = layers.BatchNormalization(axis=channel_axis, name="conv_pw_%d_bn" % block_id)(x)
    return layers.ReLU(6.0, name="conv_pw_%d_relu" % block_id)(x)


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

"""MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
CVPR 2018), layer for layer as in Keras, so Keras's weight files load."""
from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.applications import mobilenet
from jkeras.models.node import KerasTensor
from jkeras.utils.data_utils import get_file

BASE_WEIGHT_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
)


def MobileNetV2(
    input_shape=None,
    alpha=1.0,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """Instantiates the MobileNetV2 architecture.

    The default input size is 224x224; any size from 32x32 up works. Call
    `jkeras.applications.mobilenet_v2.preprocess_input` on the inputs first (it scales
    pixels to [-1, 1]).

    Args:
        input_shape: optional shape tuple, only to be given with
            `include_top=False` (otherwise it must be `(224, 224, 3)`, or
            `(3, 224, 224)` with `"channels_first"`). Exactly 3 channels with
            ImageNet weights; width and height at least 32.
        alpha: width multiplier: below `1.0` fewer, above `1.0` more filters
            in each layer. Defaults to `1.0`.
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
        name: the name of the model; defaults to `"mobilenetv2_{alpha:0.2f}_{rows}"`.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for invalid `weights`, `classes`, `input_shape`,
            `input_tensor` or `classifier_activation`, or, with ImageNet
            weights, an `alpha` without published weights.
    """
    imagenet_utils._check_weights(
        weights, include_top, classes, imagenet="`imagenet`", received=".  Received `weights={weights}`",
        classes_error='If using `weights="imagenet"` with `include_top` '
                      "as true, `classes` should be 1000. Received `classes={classes}`",
    )

    channels_first = backend.image_data_format() == "channels_first"
    # If both input_shape and input_tensor are given, they should match.
    if input_shape is not None and input_tensor is not None:
        if not isinstance(input_tensor, KerasTensor):
            raise ValueError(
                "input_tensor is not a Keras tensor; "
                f"Received `input_tensor={input_tensor}`"
            )
        if channels_first:
            if input_tensor.shape[1] != input_shape[1]:
                raise ValueError(
                    "input_shape[1] must equal shape(input_tensor)[1] "
                    "when `image_data_format` is `channels_first`; "
                    "Received `input_tensor.shape="
                    f"{input_tensor.shape}`"
                    f", `input_shape={input_shape}`"
                )
        elif input_tensor.shape[2] != input_shape[1]:
            raise ValueError(
                "input_tensor.shape[2] must equal input_shape[1]; "
                "Received `input_tensor.shape="
                f"{input_tensor.shape}`, "
                f"`input_shape={input_shape}`"
            )

    sizes = [96, 128, 160, 192, 224]
    if input_shape is None and input_tensor is not None and isinstance(input_tensor, KerasTensor):
        default_size = mobilenet._square_size(*mobilenet._rows_cols(input_tensor.shape[1:], channels_first), sizes)
    elif input_shape is None:
        default_size = 224
    else:
        default_size = mobilenet._square_size(*mobilenet._rows_cols(input_shape, channels_first), sizes)

    input_shape = imagenet_utils._input_shape(input_shape, default_size, 32, include_top, weights)
    rows, cols = mobilenet._rows_cols(input_shape, channels_first)

    if weights == "imagenet":
        if alpha not in [0.35, 0.50, 0.75, 1.0, 1.3, 1.4]:
            raise ValueError(
                "If imagenet weights are being loaded, "
                "alpha must be one of `0.35`, `0.50`, `0.75`, "
                "`1.0`, `1.3` or `1.4` only;"
                f" Received `alpha={alpha}`"
            )
        rows = mobilenet._weights_rows(rows, cols, sizes)

    img_input = imagenet_utils._image_input(input_tensor, input_shape)
    channel_axis = 1 if channels_first else -1

    first_block_filters = _make_divisible(32 * alpha, 8)
    x = layers.Conv2D(
        first_block_filters, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="Conv1"
    )(img_input)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)

    # (filters, stride, expansion) of blocks 0-16.
    blocks = [(16, 1, 1),
              (24, 2, 6), (24, 1, 6),
              (32, 2, 6), (32, 1, 6), (32, 1, 6),
              (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
              (96, 1, 6), (96, 1, 6), (96, 1, 6),
              (160, 2, 6), (160, 1, 6), (160, 1, 6),
              (320, 1, 6)]
    for block_id, (filters, stride, expansion) in enumerate(blocks):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride, expansion=expansion,
                                block_id=block_id)

    # No alpha on the last convolution (as in the paper), except to widen it when alpha > 1.
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)

    x = imagenet_utils._classifier(x, include_top, pooling, classes, classifier_activation, weights,
                                   top_pool_name=None)

    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    model_name = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        model_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{suffix}.h5"
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, model_name,
                                  f"{BASE_WEIGHT_PATH}{model_name}")


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """Inverted residual block: 1x1 expansion, 3x3 depthwise, 1x1 linear projection."""
    channel_axis = 1 if backend.image_data_format() == "channels_first" else -1
    in_channels = inputs.shape[channel_axis]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"

    if block_id:
        x = layers.Conv2D(
            expansion * in_channels,
            kernel_size=1,
            padding="same",
            use_bias=False,
            activation=None,
            name=f"{prefix}expand",
        )(x)
        x = layers.BatchNormalization(
            axis=channel_axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}expand_BN"
        )(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"

    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size=3,
        strides=stride,
        activation=None,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = layers.BatchNormalization(
        axis=channel_axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}depthwise_BN"
    )(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)

    x = layers.Conv2D(
        pointwise_filters,
        kernel_size=1,
        padding="same",
        use_bias=False,
        activation=None,
        name=f"{prefix}project",
    )(x)
    x = layers.BatchNormalization(
        axis=channel_axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}project_BN"
    )(x)

    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _make_divisible(v, divisor, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    # Rounding down must not lose more than 10%.
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


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

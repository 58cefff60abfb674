"""InceptionV3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
CVPR 2016), layer for layer as in Keras, so Keras's weight files load."""
from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.utils.data_utils import get_file

WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/"
    "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
)
WEIGHTS_PATH_NO_TOP = (
    "https://storage.googleapis.com/tensorflow/keras-applications/"
    "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
)


def InceptionV3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
):
    """Instantiates the Inception v3 architecture.

    The default input size is 299x299. Call `jkeras.applications.inception_v3.preprocess_input`
    on the inputs first (it scales pixels to [-1, 1]).

    Args:
        include_top: whether to include the fully-connected layer at the top.
            Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (pre-trained on
            ImageNet, downloaded into the Keras cache) or the path to a weights
            file. Defaults to `"imagenet"`.
        input_tensor: optional symbolic tensor (output of `jkeras.Input()`) to
            use as the model's input.
        input_shape: optional shape tuple, only to be given with
            `include_top=False` (otherwise it must be `(299, 299, 3)`, or
            `(3, 299, 299)` with `"channels_first"`). Exactly 3 channels with
            ImageNet weights; width and height at least 75.
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
    imagenet_utils._check_weights(
        weights, include_top, classes, imagenet="`imagenet`", received="; Received: weights={weights}",
        classes_error='If using `weights="imagenet"` with `include_top=True`, `classes` should be 1000. '
                      "Received classes={classes}",
    )
    input_shape, img_input = imagenet_utils._inputs(input_tensor, input_shape, 299, 75, include_top, weights)
    channel_axis = 1 if backend.image_data_format() == "channels_first" else 3

    def avg_pool(x):
        return layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)

    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    # mixed 0, 1, 2: 35 x 35 x 256 / 288 / 288
    for i, pool_filters in enumerate((32, 64, 64)):
        branch1x1 = conv2d_bn(x, 64, 1, 1)

        branch5x5 = conv2d_bn(x, 48, 1, 1)
        branch5x5 = conv2d_bn(branch5x5, 64, 5, 5)

        branch3x3dbl = conv2d_bn(x, 64, 1, 1)
        branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
        branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)

        branch_pool = conv2d_bn(avg_pool(x), pool_filters, 1, 1)
        x = layers.concatenate(
            [branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=channel_axis, name=f"mixed{i}"
        )

    # mixed 3: 17 x 17 x 768
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")

    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")

    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch3x3dbl, branch_pool], axis=channel_axis, name="mixed3")

    # mixed 4, 5, 6, 7: 17 x 17 x 768
    for i, filters in enumerate((128, 160, 160, 192)):
        branch1x1 = conv2d_bn(x, 192, 1, 1)

        branch7x7 = conv2d_bn(x, filters, 1, 1)
        branch7x7 = conv2d_bn(branch7x7, filters, 1, 7)
        branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)

        branch7x7dbl = conv2d_bn(x, filters, 1, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, filters, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, filters, 1, 7)
        branch7x7dbl = conv2d_bn(branch7x7dbl, filters, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)

        branch_pool = conv2d_bn(avg_pool(x), 192, 1, 1)
        x = layers.concatenate(
            [branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=channel_axis, name=f"mixed{4 + i}"
        )

    # mixed 8: 8 x 8 x 1280
    branch3x3 = conv2d_bn(x, 192, 1, 1)
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, strides=(2, 2), padding="valid")

    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")

    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch7x7x3, branch_pool], axis=channel_axis, name="mixed8")

    # mixed 9, 10: 8 x 8 x 2048
    for i in range(2):
        branch1x1 = conv2d_bn(x, 320, 1, 1)

        branch3x3 = conv2d_bn(x, 384, 1, 1)
        branch3x3_1 = conv2d_bn(branch3x3, 384, 1, 3)
        branch3x3_2 = conv2d_bn(branch3x3, 384, 3, 1)
        branch3x3 = layers.concatenate([branch3x3_1, branch3x3_2], axis=channel_axis, name=f"mixed9_{i}")

        branch3x3dbl = conv2d_bn(x, 448, 1, 1)
        branch3x3dbl = conv2d_bn(branch3x3dbl, 384, 3, 3)
        branch3x3dbl_1 = conv2d_bn(branch3x3dbl, 384, 1, 3)
        branch3x3dbl_2 = conv2d_bn(branch3x3dbl, 384, 3, 1)
        branch3x3dbl = layers.concatenate([branch3x3dbl_1, branch3x3dbl_2], axis=channel_axis)

        branch_pool = conv2d_bn(avg_pool(x), 192, 1, 1)
        x = layers.concatenate(
            [branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=channel_axis, name=f"mixed{9 + i}"
        )

    x = imagenet_utils._classifier(x, include_top, pooling, classes, classifier_activation, weights)
    if include_top:
        file_name, file_hash = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"
    else:
        file_name = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
        file_hash = "bcbd6486424b2319ff4ef7d526e38f63"
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, file_name,
                                  WEIGHTS_PATH if include_top else WEIGHTS_PATH_NO_TOP, file_hash)


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """A bias-free `Conv2D`, a `BatchNormalization` without scale, and a ReLU.

    Args:
        x: input tensor.
        filters: number of filters of the convolution.
        num_row: height of the convolution kernel.
        num_col: width of the convolution kernel.
        padding: padding of the convolution. Defaults to `"same"`.
        strides: strides of the convolution. Defaults to `(1, 1)`.
        name: name of the ReLU; the convolution and the batch normalization get
            the suffixes `_conv` and `_bn`. Defaults to automatic names.

    Returns:
        The output tensor.
    """
    bn_name = None if name is None else f"{name}_bn"
    conv_name = None if name is None else f"{name}_conv"
    bn_axis = 1 if backend.image_data_format() == "channels_first" else 3
    x = layers.Conv2D(
        filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False, name=conv_name
    )(x)
    x = layers.BatchNormalization(axis=bn_axis, scale=False, name=bn_name)(x)
    return layers.Activation("relu", name=name)(x)


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

"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., "Densely Connected Convolutional
Networks", CVPR 2017), layer for layer as in Keras, so Keras's weight files load."""
from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.utils.data_utils import get_file

BASE_WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
)
# blocks -> (model label, hash with top, hash without top)
WEIGHTS = {
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}


def dense_block(x, blocks, name):
    """A dense block: `blocks` building blocks, each adding 32 channels.

    Args:
        x: input tensor.
        blocks: number of building blocks.
        name: block label.

    Returns:
        The block's output tensor.
    """
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """A transition block: batch normalization, ReLU, 1x1 convolution, 2x2 average pooling.

    Args:
        x: input tensor.
        reduction: compression rate of the channels.
        name: block label.

    Returns:
        The block's output tensor.
    """
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[bn_axis] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """A building block of a dense block; its output is concatenated to its input.

    Args:
        x: input tensor.
        growth_rate: number of channels it adds.
        name: block label.

    Returns:
        The output tensor.
    """
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    x1 = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=bn_axis, name=f"{name}_concat")([x, x1])


def DenseNet(
    blocks,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet",
):
    """Instantiates a DenseNet from the numbers of building blocks of its four dense blocks.

    Args:
        blocks: numbers of building blocks of the four dense blocks.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation, name: as in `DenseNet121`.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: with `image_data_format() == "channels_first"`, for invalid
            `weights`, `classes`, `input_shape`, `input_tensor` or
            `classifier_activation`, or for ImageNet weights with `blocks` of no
            published model.
    """
    if backend.image_data_format() == "channels_first":
        raise ValueError(
            "DenseNet does not support the `channels_first` image data "
            "format. Switch to `channels_last` by editing your local "
            "config file at ~/.keras/keras.json"
        )
    imagenet_utils._check_weights(
        weights, include_top, classes, imagenet="`imagenet`", received=".",
        classes_error='If using `weights` as `"imagenet"` with `include_top` as true, `classes` should be 1000',
    )
    input_shape, img_input = imagenet_utils._inputs(input_tensor, input_shape, 224, 32, include_top, weights)
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)

    x = dense_block(x, blocks[0], name="conv2")
    x = transition_block(x, 0.5, name="pool2")
    x = dense_block(x, blocks[1], name="conv3")
    x = transition_block(x, 0.5, name="pool3")
    x = dense_block(x, blocks[2], name="conv4")
    x = transition_block(x, 0.5, name="pool4")
    x = dense_block(x, blocks[3], name="conv5")

    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)

    x = imagenet_utils._classifier(x, include_top, pooling, classes, classifier_activation, weights, pool_names=True)

    file_name = file_hash = None
    if weights == "imagenet":
        key = tuple(blocks)
        if key not in WEIGHTS:
            raise ValueError("weights_path undefined")
        label, top_hash, no_top_hash = WEIGHTS[key]
        suffix = "" if include_top else "_notop"
        file_name = f"{label}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        file_hash = top_hash if include_top else no_top_hash
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, file_name,
                                  f"{BASE_WEIGHTS_PATH}{file_name}", file_hash)


def DenseNet121(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet121",
):
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet169(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet169",
):
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet201(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet201",
):
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def preprocess_input(x, data_format=None):
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


preprocess_input.__doc__ = imagenet_utils.PREPROCESS_INPUT_DOC.format(
    mode="",
    ret=imagenet_utils.PREPROCESS_INPUT_RET_DOC_TORCH,
    error=imagenet_utils.PREPROCESS_INPUT_ERROR_DOC,
)
decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__

DOC = """

    The default input size is 224x224; only `"channels_last"` is supported. Call
    `jkeras.applications.densenet.preprocess_input` on the inputs first (it scales pixels to
    [0, 1], then normalizes each channel with the ImageNet means and standard deviations).

    Args:
        include_top: whether to include the fully-connected layer at the top.
        weights: `None` (random initialization), `"imagenet"` (pre-trained on
            ImageNet, downloaded into the Keras cache) or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `jkeras.Input()`) to
            use as the model's input.
        input_shape: optional shape tuple, only to be given with
            `include_top=False` (otherwise it must be `(224, 224, 3)`). Exactly
            3 channels with ImageNet weights; width and height at least 32.
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
        ValueError: with `image_data_format() == "channels_first"`, or for
            invalid `weights`, `classes`, `input_shape`, `input_tensor` or
            `classifier_activation`.
    """

DenseNet121.__doc__ = "Instantiates the DenseNet121 architecture." + DOC
DenseNet169.__doc__ = "Instantiates the DenseNet169 architecture." + DOC
DenseNet201.__doc__ = "Instantiates the DenseNet201 architecture." + DOC

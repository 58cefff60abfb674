"""ResNet50, ResNet101 and ResNet152 (He et al., "Deep Residual Learning for Image Recognition",
CVPR 2015), layer for layer as in Keras, so Keras's weight files load."""
from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.utils.data_utils import get_file

BASE_WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
)
WEIGHTS_HASHES = {
    "resnet50": (
        "2cb95161c43110f7111970584f804107",
        "4d473c1dd8becc155b73f8504c6f6626",
    ),
    "resnet101": (
        "f1aeb4b969a6efcfb50fad2f0c20cfc5",
        "88cf7a10940856eca736dc7b7e228a21",
    ),
    "resnet152": (
        "100835be76be38e30d865e96f2aaae62",
        "ee4c566cf9a93f14d82f913c2dc6dd0c",
    ),
    "resnet50v2": (
        "3ef43a0b657b3be2300d5770ece849e0",
        "fac2f116257151a9d068a22e544a4917",
    ),
    "resnet101v2": (
        "6343647c601c52e1368623803854d971",
        "c0ed64b8031c3730f411d2eb4eea35b5",
    ),
    "resnet152v2": (
        "a49b44d1979771252814e80f8ec446f9",
        "ed17cf2e0169df9d443503ef94b23b33",
    ),
}


def ResNet(
    stack_fn,
    preact,
    use_bias,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet",
    weights_name=None,
):
    """Instantiates a ResNet from its stacks of residual blocks.

    Args:
        stack_fn: function building the stacked residual blocks on a tensor.
        preact: whether to use pre-activation (`True` for ResNetV2).
        use_bias: whether the first convolution has a bias.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation, name: as in `ResNet50`.
        weights_name: key into `WEIGHTS_HASHES` of the ImageNet weights.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for invalid `weights`, `classes`, `input_shape`,
            `input_tensor` or `classifier_activation`.
    """
    imagenet_utils._check_weights(weights, include_top, classes)
    input_shape, img_input = imagenet_utils._inputs(input_tensor, input_shape, 224, 32, include_top, weights)
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)

    x = stack_fn(x)

    if preact:
        x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)

    x = imagenet_utils._classifier(x, include_top, pooling, classes, classifier_activation, weights, pool_names=True)

    file_name = file_hash = None
    if weights_name in WEIGHTS_HASHES:
        suffix = "" if include_top else "_notop"
        file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, file_name,
                                  f"{BASE_WEIGHTS_PATH}{file_name}", file_hash)


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck residual block of ResNet (v1).

    Args:
        x: input tensor.
        filters: number of filters of the bottleneck layer.
        kernel_size: kernel size of the bottleneck layer. Defaults to `3`.
        stride: stride of the first layer. Defaults to `1`.
        conv_shortcut: a convolution shortcut if `True`, else the identity.
        name: block label.

    Returns:
        The block's output tensor.
    """
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x

    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)

    x = layers.Conv2D(filters, kernel_size, padding="SAME", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)

    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_3_bn")(x)

    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """A stack of `blocks` residual blocks (v1); the first one has a convolution shortcut.

    Args:
        x: input tensor.
        filters: number of filters of the bottleneck layer in each block.
        blocks: number of blocks.
        stride1: stride of the first layer of the first block. Defaults to `2`.
        name: stack label.

    Returns:
        The stack's output tensor.
    """
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def _resnet(stack, preact, strides1, blocks, weights_name, include_top, weights, input_tensor, input_shape, pooling,
            classes, classifier_activation, name):
    """A ResNet of four stacks (64, 128, 256, 512 filters) of `stack(x, filters, blocks, stride1, name)`,
    the stacks' `stride1`s being `strides1` (shared by ResNet v1 and v2)."""
    def stack_fn(x):
        for i, filters in enumerate((64, 128, 256, 512)):
            x = stack(x, filters, blocks[i], stride1=strides1[i], name=f"conv{i + 2}")
        return x

    return ResNet(
        stack_fn,
        preact=preact,
        use_bias=True,
        weights_name=weights_name,
        name=name,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
    )


def _resnet_v1(blocks, weights_name, include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name):
    return _resnet(stack_residual_blocks_v1, False, (1, 2, 2, 2), blocks, weights_name, include_top, weights,
                   input_tensor, input_shape, pooling, classes, classifier_activation, name)


def ResNet50(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50",
):
    return _resnet_v1((3, 4, 6, 3), "resnet50", include_top, weights, input_tensor, input_shape, pooling,
                      classes, classifier_activation, name)


def ResNet101(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101",
):
    return _resnet_v1((3, 4, 23, 3), "resnet101", include_top, weights, input_tensor, input_shape, pooling,
                      classes, classifier_activation, name)


def ResNet152(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152",
):
    return _resnet_v1((3, 8, 36, 3), "resnet152", include_top, weights, input_tensor, input_shape, pooling,
                      classes, classifier_activation, name)


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

_DOC = """

    The default input size is 224x224. Call `jkeras.applications.{module}.preprocess_input`
    on the inputs first ({preprocessing}).

    Args:
        include_top: whether to include the fully-connected layer at the top.
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
DOC = _DOC.format(module="resnet", preprocessing="RGB to BGR, then zero-centering with the ImageNet means")

ResNet50.__doc__ = "Instantiates the ResNet50 architecture." + DOC
ResNet101.__doc__ = "Instantiates the ResNet101 architecture." + DOC
ResNet152.__doc__ = "Instantiates the ResNet152 architecture." + DOC

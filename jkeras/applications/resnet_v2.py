"""ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., "Identity Mappings in Deep Residual
Networks", ECCV 2016), layer for layer as in Keras, so Keras's weight files load."""
from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.applications import resnet


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck residual block of ResNet (v2).

    Args:
        x: input tensor.
        filters: number of filters of the bottleneck layer.
        kernel_size: kernel size of the bottleneck layer. Defaults to `3`.
        stride: stride of the bottleneck layer. Defaults to `1`.
        conv_shortcut: a convolution shortcut if `True`, else the identity
            (max-pooled with `stride > 1`). Defaults to `False`.
        name: block label.

    Returns:
        The block's output tensor.
    """
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    preact = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)

    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x

    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)

    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)

    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """A stack of `blocks` residual blocks (v2); the first one has a convolution shortcut and the
    last one the stride.

    Args:
        x: input tensor.
        filters: number of filters of the bottleneck layer in each block.
        blocks: number of blocks.
        stride1: stride of the last block. Defaults to `2`.
        name: stack label.

    Returns:
        The stack's output tensor.
    """
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _resnet_v2(blocks, weights_name, include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name):
    return resnet._resnet(stack_residual_blocks_v2, True, (2, 2, 2, 1), blocks, weights_name, include_top, weights,
                          input_tensor, input_shape, pooling, classes, classifier_activation, name)


def ResNet50V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50v2",
):
    return _resnet_v2((3, 4, 6, 3), "resnet50v2", include_top, weights, input_tensor, input_shape, pooling,
                      classes, classifier_activation, name)


def ResNet101V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101v2",
):
    return _resnet_v2((3, 4, 23, 3), "resnet101v2", include_top, weights, input_tensor, input_shape, pooling,
                      classes, classifier_activation, name)


def ResNet152V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152v2",
):
    return _resnet_v2((3, 8, 36, 3), "resnet152v2", include_top, weights, input_tensor, input_shape, pooling,
                      classes, classifier_activation, name)


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

DOC = resnet._DOC.format(module="resnet_v2", preprocessing="it scales pixels to [-1, 1]")

ResNet50V2.__doc__ = "Instantiates the ResNet50V2 architecture." + DOC
ResNet101V2.__doc__ = "Instantiates the ResNet101V2 architecture." + DOC
ResNet152V2.__doc__ = "Instantiates the ResNet152V2 architecture." + DOC

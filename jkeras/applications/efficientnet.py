"""EfficientNetB0 to B7 (Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional
Neural Networks", ICML 2019), layer for layer as in Keras, so Keras's weight files load.

The models take pixels in [0, 255]: they start with `Rescaling(1 / 255)` and an adaptable
`Normalization` whose mean and variance are weights (loaded with the ImageNet weights; 0 and 1
otherwise), followed with ImageNet weights by Keras's per-channel `Rescaling` by
`1 / sqrt(stddev)`."""
import copy
import math

from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.utils.data_utils import get_file

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"

WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}


def _block_args(kernel_size, repeats, filters_in, filters_out, expand_ratio, strides):
    return {"kernel_size": kernel_size, "repeats": repeats, "filters_in": filters_in,
            "filters_out": filters_out, "expand_ratio": expand_ratio, "id_skip": True,
            "strides": strides, "se_ratio": 0.25}


DEFAULT_BLOCKS_ARGS = [
    _block_args(3, 1, 32, 16, 1, 1),
    _block_args(3, 2, 16, 24, 6, 2),
    _block_args(5, 2, 24, 40, 6, 2),
    _block_args(3, 3, 40, 80, 6, 2),
    _block_args(5, 3, 80, 112, 6, 1),
    _block_args(5, 4, 112, 192, 6, 2),
    _block_args(3, 1, 192, 320, 6, 1),
]

CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}

DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}

IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def EfficientNet(
    width_coefficient,
    depth_coefficient,
    default_size,
    dropout_rate=0.2,
    drop_connect_rate=0.2,
    depth_divisor=8,
    activation="swish",
    blocks_args="default",
    name="efficientnet",
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """Instantiates an EfficientNet from its scaling coefficients.

    Args:
        width_coefficient: scaling coefficient of the number of filters.
        depth_coefficient: scaling coefficient of the number of blocks.
        default_size: default input width and height.
        dropout_rate: dropout rate before the classifier. Defaults to `0.2`.
        drop_connect_rate: largest dropout rate of the skip connections
            (it grows linearly over the blocks). Defaults to `0.2`.
        depth_divisor: the numbers of filters are multiples of it. Defaults to `8`.
        activation: activation of the blocks. Defaults to `"swish"`.
        blocks_args: `"default"` or a list of dicts of block arguments
            (as `DEFAULT_BLOCKS_ARGS`).
        name, include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in `EfficientNetB0`.
        weights_name: key into `WEIGHTS_HASHES` of the ImageNet weights.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for invalid `weights`, `classes`, `input_shape`,
            `input_tensor` or `classifier_activation`, or a block with
            `repeats <= 0`.
    """
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS
    imagenet_utils._check_weights(
        weights, include_top, classes, imagenet="`imagenet`", received=".",
        classes_error='If using `weights="imagenet"` with `include_top` as true, `classes` should be 1000',
    )
    input_shape, img_input = imagenet_utils._inputs(input_tensor, input_shape, default_size, 32, include_top,
                                                    weights)
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1

    def round_filters(filters, divisor=depth_divisor):
        """The number of filters scaled by `width_coefficient`, a multiple of `divisor`."""
        filters *= width_coefficient
        new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
        if new_filters < 0.9 * filters:  # rounding down must not lose more than 10%
            new_filters += divisor
        return int(new_filters)

    def round_repeats(repeats):
        """The number of blocks scaled by `depth_coefficient`."""
        return int(math.ceil(depth_coefficient * repeats))

    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=bn_axis)(x)
    if weights == "imagenet":
        # As Keras: the published weights hold the ImageNet standard deviations as the
        # Normalization's variance, so dividing by sqrt(variance) needs another 1 / sqrt(stddev).
        x = layers.Rescaling([1.0 / math.sqrt(stddev) for stddev in IMAGENET_STDDEV_RGB])(x)

    x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(
        round_filters(32),
        3,
        strides=2,
        padding="valid",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name="stem_conv",
    )(x)
    x = layers.BatchNormalization(axis=bn_axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    b = 0
    blocks = float(sum(round_repeats(args["repeats"]) for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["repeats"] <= 0:
            raise ValueError(
                f"The number of repeats in `EfficientNet` must be > 0. "
                f"Received: repeats={args['repeats']}"
            )
        args["filters_in"] = round_filters(args["filters_in"])
        args["filters_out"] = round_filters(args["filters_out"])
        for j in range(round_repeats(args.pop("repeats"))):
            if j > 0:  # only the first block of a stage strides and changes the filters
                args["strides"] = 1
                args["filters_in"] = args["filters_out"]
            x = block(x, activation, drop_connect_rate * b / blocks, name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1

    x = layers.Conv2D(
        round_filters(1280),
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name="top_conv",
    )(x)
    x = layers.BatchNormalization(axis=bn_axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER,
            name="predictions",
        )(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    file_name = file_hash = None
    if weights == "imagenet":
        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, file_name,
                                  f"{BASE_WEIGHTS_PATH}{file_name}", file_hash)


def block(
    inputs,
    activation="swish",
    drop_rate=0.0,
    name="",
    filters_in=32,
    filters_out=16,
    kernel_size=3,
    strides=1,
    expand_ratio=1,
    se_ratio=0.0,
    id_skip=True,
):
    """An inverted residual block with squeeze-and-excitation.

    Args:
        inputs: input tensor.
        activation: activation function. Defaults to `"swish"`.
        drop_rate: dropout rate of the skip connection (whole samples). Defaults to `0.0`.
        name: prefix of the layer names.
        filters_in: number of input filters. Defaults to `32`.
        filters_out: number of output filters. Defaults to `16`.
        kernel_size: kernel size of the depthwise convolution. Defaults to `3`.
        strides: stride of the depthwise convolution. Defaults to `1`.
        expand_ratio: expansion factor of the input filters. Defaults to `1`.
        se_ratio: squeeze ratio of the input filters, in (0, 1]; `0` for no
            squeeze-and-excitation. Defaults to `0.0`.
        id_skip: whether to add the skip connection (when strides and filters allow).

    Returns:
        The block's output tensor.
    """
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1

    filters = filters_in * expand_ratio
    if expand_ratio != 1:
        x = layers.Conv2D(
            filters,
            1,
            padding="same",
            use_bias=False,
            kernel_initializer=CONV_KERNEL_INITIALIZER,
            name=f"{name}expand_conv",
        )(inputs)
        x = layers.BatchNormalization(axis=bn_axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    else:
        x = inputs

    if strides == 2:
        x = layers.ZeroPadding2D(
            padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{name}dwconv_pad"
        )(x)
        conv_pad = "valid"
    else:
        conv_pad = "same"
    x = layers.DepthwiseConv2D(
        kernel_size,
        strides=strides,
        padding=conv_pad,
        use_bias=False,
        depthwise_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}dwconv",
    )(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)

    if 0 < se_ratio <= 1:
        filters_se = max(1, int(filters_in * se_ratio))
        se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
        se_shape = (filters, 1, 1) if bn_axis == 1 else (1, 1, filters)
        se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
        se = layers.Conv2D(
            filters_se,
            1,
            padding="same",
            activation=activation,
            kernel_initializer=CONV_KERNEL_INITIALIZER,
            name=f"{name}se_reduce",
        )(se)
        se = layers.Conv2D(
            filters,
            1,
            padding="same",
            activation="sigmoid",
            kernel_initializer=CONV_KERNEL_INITIALIZER,
            name=f"{name}se_expand",
        )(se)
        x = layers.multiply([x, se], name=f"{name}se_excite")

    x = layers.Conv2D(
        filters_out,
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}project_conv",
    )(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _efficientnet(width, depth, size, dropout, weights_name, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name):
    return EfficientNet(
        width,
        depth,
        size,
        dropout,
        name=name,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights_name=weights_name,
    )


def EfficientNetB0(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb0"):
    return _efficientnet(1.0, 1.0, 224, 0.2, "b0", include_top, weights, input_tensor, input_shape, pooling,
                         classes, classifier_activation, name)


def EfficientNetB1(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb1"):
    return _efficientnet(1.0, 1.1, 240, 0.2, "b1", include_top, weights, input_tensor, input_shape, pooling,
                         classes, classifier_activation, name)


def EfficientNetB2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb2"):
    return _efficientnet(1.1, 1.2, 260, 0.3, "b2", include_top, weights, input_tensor, input_shape, pooling,
                         classes, classifier_activation, name)


def EfficientNetB3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb3"):
    return _efficientnet(1.2, 1.4, 300, 0.3, "b3", include_top, weights, input_tensor, input_shape, pooling,
                         classes, classifier_activation, name)


def EfficientNetB4(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb4"):
    return _efficientnet(1.4, 1.8, 380, 0.4, "b4", include_top, weights, input_tensor, input_shape, pooling,
                         classes, classifier_activation, name)


def EfficientNetB5(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb5"):
    return _efficientnet(1.6, 2.2, 456, 0.4, "b5", include_top, weights, input_tensor, input_shape, pooling,
                         classes, classifier_activation, name)


def EfficientNetB6(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb6"):
    return _efficientnet(1.8, 2.6, 528, 0.5, "b6", include_top, weights, input_tensor, input_shape, pooling,
                         classes, classifier_activation, name)


def EfficientNetB7(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb7"):
    return _efficientnet(2.0, 3.1, 600, 0.5, "b7", include_top, weights, input_tensor, input_shape, pooling,
                         classes, classifier_activation, name)


def preprocess_input(x, data_format=None):
    """A pass-through, kept for compatibility: EfficientNet models rescale their inputs themselves.

    Args:
        x: a floating point array or tensor of pixels in [0, 255].
        data_format: ignored.

    Returns:
        `x`, unchanged.
    """
    return x


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__

BASE_DOCSTRING = """Instantiates the {name} architecture.

    The default input size is {size}x{size}. The model takes float pixels in [0, 255]: its
    preprocessing is built in (`Rescaling` and `Normalization` layers), so
    `jkeras.applications.efficientnet.preprocess_input` is a pass-through.

    Args:
        include_top: whether to include the fully-connected layer at the top.
            Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (pre-trained on
            ImageNet, downloaded into the Keras cache) or the path to a weights
            file. Defaults to `"imagenet"`.
        input_tensor: optional symbolic tensor (output of `jkeras.Input()`) to
            use as the model's input.
        input_shape: optional shape tuple, only to be given with
            `include_top=False` (otherwise it must be `({size}, {size}, 3)`).
            Exactly 3 channels with ImageNet weights; width and height at least 32.
        pooling: with `include_top=False`: `None` (the output is the 4D output
            of the last convolutional layer), `"avg"` (global average pooling,
            a 2D output) or `"max"` (global max pooling).
        classes: number of classes, only with `include_top=True` and no
            `weights`. Defaults to `1000`.
        classifier_activation: activation (name or callable) of the top layer,
            only with `include_top=True`; `None` returns logits. With
            pretrained weights only `None` and `"softmax"` are allowed.
            Defaults to `"softmax"`.
        name: the name of the model.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for invalid `weights`, `classes`, `input_shape`,
            `input_tensor` or `classifier_activation`.
    """

for _fn, _size in ((EfficientNetB0, 224), (EfficientNetB1, 240), (EfficientNetB2, 260), (EfficientNetB3, 300),
                   (EfficientNetB4, 380), (EfficientNetB5, 456), (EfficientNetB6, 528), (EfficientNetB7, 600)):
    _fn.__doc__ = BASE_DOCSTRING.format(name=_fn.__name__, size=_size)
del _fn, _size

"""EfficientNetV2 B0 to B3, S, M and L (Tan and Le, "EfficientNetV2: Smaller Models and Faster
Training", ICML 2021), layer for layer as in Keras, so Keras's weight files load.

The models take pixels in [0, 255]: with `include_preprocessing=True` (the default) the B
variants start with `Rescaling(1 / 255)` and a `Normalization` by the ImageNet means and
variances (for 3 channels), the others with `Rescaling(1 / 128, offset=-1)`, so
`preprocess_input` is a pass-through.
"""
import copy
import math

from jkeras import backend
from jkeras import initializers
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.applications.efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER
from jkeras.utils.data_utils import get_file

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"

WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}


def _args(kernel_size, num_repeat, input_filters, output_filters, expand_ratio, se_ratio, strides, conv_type):
    """A stage's block arguments (`conv_type` 0: `MBConvBlock`, 1: `FusedMBConvBlock`)."""
    return {"kernel_size": kernel_size, "num_repeat": num_repeat, "input_filters": input_filters,
            "output_filters": output_filters, "expand_ratio": expand_ratio, "se_ratio": se_ratio,
            "strides": strides, "conv_type": conv_type}


_B_BLOCKS_ARGS = [
    _args(3, 1, 32, 16, 1, 0, 1, 1),
    _args(3, 2, 16, 32, 4, 0, 2, 1),
    _args(3, 2, 32, 48, 4, 0, 2, 1),
    _args(3, 3, 48, 96, 4, 0.25, 2, 0),
    _args(3, 5, 96, 112, 6, 0.25, 1, 0),
    _args(3, 8, 112, 192, 6, 0.25, 2, 0),
]

DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": [
        _args(3, 2, 24, 24, 1, 0.0, 1, 1),
        _args(3, 4, 24, 48, 4, 0.0, 2, 1),
        _args(3, 4, 48, 64, 4, 0, 2, 1),
        _args(3, 6, 64, 128, 4, 0.25, 2, 0),
        _args(3, 9, 128, 160, 6, 0.25, 1, 0),
        _args(3, 15, 160, 256, 6, 0.25, 2, 0),
    ],
    "efficientnetv2-m": [
        _args(3, 3, 24, 24, 1, 0, 1, 1),
        _args(3, 5, 24, 48, 4, 0, 2, 1),
        _args(3, 5, 48, 80, 4, 0, 2, 1),
        _args(3, 7, 80, 160, 4, 0.25, 2, 0),
        _args(3, 14, 160, 176, 6, 0.25, 1, 0),
        _args(3, 18, 176, 304, 6, 0.25, 2, 0),
        _args(3, 5, 304, 512, 6, 0.25, 1, 0),
    ],
    "efficientnetv2-l": [
        _args(3, 4, 32, 32, 1, 0, 1, 1),
        _args(3, 7, 32, 64, 4, 0, 2, 1),
        _args(3, 7, 64, 96, 4, 0, 2, 1),
        _args(3, 10, 96, 192, 4, 0.25, 2, 0),
        _args(3, 19, 192, 224, 6, 0.25, 1, 0),
        _args(3, 25, 224, 384, 6, 0.25, 2, 0),
        _args(3, 7, 384, 640, 6, 0.25, 1, 0),
    ],
    "efficientnetv2-b0": copy.deepcopy(_B_BLOCKS_ARGS),
    "efficientnetv2-b1": copy.deepcopy(_B_BLOCKS_ARGS),
    "efficientnetv2-b2": copy.deepcopy(_B_BLOCKS_ARGS),
    "efficientnetv2-b3": copy.deepcopy(_B_BLOCKS_ARGS),
}
del _B_BLOCKS_ARGS


_UIDS = {}


def _get_uid(prefix):
    """1, 2, ... for successive calls with `prefix` (Keras's `backend.get_uid`, for default names)."""
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """The number of filters scaled by `width_coefficient`, a multiple of `depth_divisor`."""
    filters *= width_coefficient
    minimum_depth = min_depth or depth_divisor
    new_filters = max(minimum_depth, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor)
    return int(new_filters)


def round_repeats(repeats, depth_coefficient):
    """The number of blocks scaled by `depth_coefficient`."""
    return int(math.ceil(depth_coefficient * repeats))


def _squeeze_excite(x, name, filters, input_filters, se_ratio, activation, bn_axis):
    filters_se = max(1, int(input_filters * se_ratio))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if bn_axis == 1 else (1, 1, filters)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation,
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, name, survival_probability):
    # As in Keras, `survival_probability` is the Dropout rate of the residual branch.
    if survival_probability:
        x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def MBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
                bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None):
    """MBConv block (mobile inverted residual bottleneck): 1x1 expansion, depthwise
    convolution, optional squeeze-and-excitation, 1x1 projection, residual connection.

    Returns:
        A function from the input tensor to the block's output tensor.
    """
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    if name is None:
        name = _get_uid("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        if expand_ratio != 1:
            x = layers.Conv2D(filters=filters, kernel_size=1, strides=1, kernel_initializer=CONV_KERNEL_INITIALIZER,
                              padding="same", data_format=backend.image_data_format(), use_bias=False,
                              name=f"{name}expand_conv")(inputs)
            x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        else:
            x = inputs
        x = layers.DepthwiseConv2D(kernel_size=kernel_size, strides=strides,
                                   depthwise_initializer=CONV_KERNEL_INITIALIZER, padding="same",
                                   data_format=backend.image_data_format(), use_bias=False,
                                   name=f"{name}dwconv2")(x)
        x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, name, filters, input_filters, se_ratio, activation, bn_axis)
        x = layers.Conv2D(filters=output_filters, kernel_size=1, strides=1,
                          kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same",
                          data_format=backend.image_data_format(), use_bias=False,
                          name=f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, name, survival_probability)
        return x

    return apply


def FusedMBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
                     bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None):
    """Fused MBConv block: the expansion and the depthwise convolution fused into one
    convolution, optional squeeze-and-excitation, projection, residual connection.

    Returns:
        A function from the input tensor to the block's output tensor.
    """
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1
    if name is None:
        name = _get_uid("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        if expand_ratio != 1:
            x = layers.Conv2D(filters, kernel_size=kernel_size, strides=strides,
                              kernel_initializer=CONV_KERNEL_INITIALIZER, data_format=backend.image_data_format(),
                              padding="same", use_bias=False, name=f"{name}expand_conv")(inputs)
            x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation=activation, name=f"{name}expand_activation")(x)
        else:
            x = inputs
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, name, filters, input_filters, se_ratio, activation, bn_axis)
        x = layers.Conv2D(output_filters, kernel_size=1 if expand_ratio != 1 else kernel_size,
                          strides=1 if expand_ratio != 1 else strides, kernel_initializer=CONV_KERNEL_INITIALIZER,
                          padding="same", use_bias=False, name=f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        if expand_ratio == 1:
            x = layers.Activation(activation=activation, name=f"{name}project_activation")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, name, survival_probability)
        return x

    return apply


def EfficientNetV2(
    width_coefficient,
    depth_coefficient,
    default_size,
    dropout_rate=0.2,
    drop_connect_rate=0.2,
    depth_divisor=8,
    min_depth=8,
    bn_momentum=0.9,
    activation="swish",
    blocks_args="default",
    name="efficientnetv2",
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    weights_name=None,
):
    """Instantiates an EfficientNetV2 from its scaling coefficients.

    Args:
        width_coefficient: scaling coefficient of the number of filters.
        depth_coefficient: scaling coefficient of the number of blocks.
        default_size: default input width and height.
        dropout_rate: dropout rate before the classifier. Defaults to `0.2`.
        drop_connect_rate: largest dropout rate of the residual branches
            (it grows linearly over the blocks). Defaults to `0.2`.
        depth_divisor: the numbers of filters are multiples of it. Defaults to `8`.
        min_depth: smallest number of filters. Defaults to `8`.
        bn_momentum: momentum of the batch normalizations. Defaults to `0.9`.
        activation: activation of the blocks. Defaults to `"swish"`.
        blocks_args: `"default"` (`DEFAULT_BLOCKS_ARGS[name]`, so `name` must be
            one of its keys) or a list of dicts of stage arguments.
        name, include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation, include_preprocessing: as in `EfficientNetV2B0`.
        weights_name: key into `WEIGHTS_HASHES` of the ImageNet weights.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for invalid `weights`, `classes`, `input_shape`,
            `input_tensor` or `classifier_activation`, or a stage with
            `num_repeat <= 0`.
        KeyError: for `blocks_args="default"` and a `name` without default blocks.
    """
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    imagenet_utils._check_weights(
        weights, include_top, classes, imagenet="`imagenet`", received=".Received: weights={weights}",
        classes_error='If using `weights="imagenet"` with `include_top` as true, `classes` should be 1000',
    )
    input_shape, img_input = imagenet_utils._inputs(input_tensor, input_shape, default_size, 32, include_top,
                                                    weights)
    bn_axis = 3 if backend.image_data_format() == "channels_last" else 1

    x = img_input
    if include_preprocessing:
        num_channels = input_shape[bn_axis - 1]
        if name.split("-")[-1].startswith("b") and num_channels == 3:  # EfficientNet (V1) preprocessing
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2],
                                     axis=bn_axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def filters(n):
        return round_filters(filters=n, width_coefficient=width_coefficient, min_depth=min_depth,
                             depth_divisor=depth_divisor)

    x = layers.Conv2D(filters=filters(blocks_args[0]["input_filters"]), kernel_size=3, strides=2,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False,
                      name="stem_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    b = 0
    blocks = float(sum(args["num_repeat"] for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError(
                f"The number of repeats in `EfficientNetV2` must be > 0. "
                f"Received: num_repeat={args['num_repeat']}"
            )
        args["input_filters"] = filters(args["input_filters"])
        args["output_filters"] = filters(args["output_filters"])
        block = {0: MBConvBlock, 1: FusedMBConvBlock}[args.pop("conv_type")]
        repeats = round_repeats(repeats=args.pop("num_repeat"), depth_coefficient=depth_coefficient)
        for j in range(repeats):
            if j > 0:  # only the first block of a stage strides and changes the filters
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = block(activation=activation, bn_momentum=bn_momentum,
                      survival_probability=drop_connect_rate * b / blocks, name=f"block{i + 1}{chr(j + 97)}_",
                      **args)(x)
            b += 1

    x = layers.Conv2D(filters=filters(1280), kernel_size=1, strides=1, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      padding="same", data_format=backend.image_data_format(), use_bias=False,
                      name="top_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation=activation, name="top_activation")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer=initializers.Constant(0.0), name="predictions")(x)
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


def _efficientnet_v2(width, depth, size, weights_name, include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, include_preprocessing, name):
    return EfficientNetV2(
        width_coefficient=width,
        depth_coefficient=depth,
        default_size=size,
        name=name,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        include_preprocessing=include_preprocessing,
        weights_name=weights_name,
    )


def EfficientNetV2B0(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                     classes=1000, classifier_activation="softmax", include_preprocessing=True,
                     name="efficientnetv2-b0"):
    return _efficientnet_v2(1.0, 1.0, 224, "b0", include_top, weights, input_tensor, input_shape, pooling,
                            classes, classifier_activation, include_preprocessing, name)


def EfficientNetV2B1(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                     classes=1000, classifier_activation="softmax", include_preprocessing=True,
                     name="efficientnetv2-b1"):
    return _efficientnet_v2(1.0, 1.1, 240, "b1", include_top, weights, input_tensor, input_shape, pooling,
                            classes, classifier_activation, include_preprocessing, name)


def EfficientNetV2B2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                     classes=1000, classifier_activation="softmax", include_preprocessing=True,
                     name="efficientnetv2-b2"):
    return _efficientnet_v2(1.1, 1.2, 260, "b2", include_top, weights, input_tensor, input_shape, pooling,
                            classes, classifier_activation, include_preprocessing, name)


def EfficientNetV2B3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                     classes=1000, classifier_activation="softmax", include_preprocessing=True,
                     name="efficientnetv2-b3"):
    return _efficientnet_v2(1.2, 1.4, 300, "b3", include_top, weights, input_tensor, input_shape, pooling,
                            classes, classifier_activation, include_preprocessing, name)


def EfficientNetV2S(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                    classes=1000, classifier_activation="softmax", include_preprocessing=True,
                    name="efficientnetv2-s"):
    return _efficientnet_v2(1.0, 1.0, 384, "-s", include_top, weights, input_tensor, input_shape, pooling,
                            classes, classifier_activation, include_preprocessing, name)


def EfficientNetV2M(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                    classes=1000, classifier_activation="softmax", include_preprocessing=True,
                    name="efficientnetv2-m"):
    return _efficientnet_v2(1.0, 1.0, 480, "-m", include_top, weights, input_tensor, input_shape, pooling,
                            classes, classifier_activation, include_preprocessing, name)


def EfficientNetV2L(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                    classes=1000, classifier_activation="softmax", include_preprocessing=True,
                    name="efficientnetv2-l"):
    return _efficientnet_v2(1.0, 1.0, 480, "-l", include_top, weights, input_tensor, input_shape, pooling,
                            classes, classifier_activation, include_preprocessing, name)


BASE_DOCSTRING = """Instantiates the {name} architecture.

    The default input size is {size}x{size}. The model takes float pixels in [0, 255]: its
    preprocessing is built in (`Rescaling` and `Normalization` layers), so
    `jkeras.applications.efficientnet_v2.preprocess_input` is a pass-through.

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
        include_preprocessing: whether to start with the preprocessing layers.
            Defaults to `True`.
        name: the name of the model; with the default blocks it must be
            `"{default}"`.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for invalid `weights`, `classes`, `input_shape`,
            `input_tensor` or `classifier_activation`.
    """

for _fn, _size, _default in ((EfficientNetV2B0, 224, "efficientnetv2-b0"), (EfficientNetV2B1, 240, "efficientnetv2-b1"),
                             (EfficientNetV2B2, 260, "efficientnetv2-b2"), (EfficientNetV2B3, 300, "efficientnetv2-b3"),
                             (EfficientNetV2S, 384, "efficientnetv2-s"), (EfficientNetV2M, 480, "efficientnetv2-m"),
                             (EfficientNetV2L, 480, "efficientnetv2-l")):
    _fn.__doc__ = BASE_DOCSTRING.format(name=_fn.__name__, size=_size, default=_default)
del _fn, _size, _default


def preprocess_input(x, data_format=None):
    """A pass-through, kept for compatibility: EfficientNetV2 models rescale their inputs themselves.

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

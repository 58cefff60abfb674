"""MobileNetV3Small and MobileNetV3Large (Howard et al., "Searching for MobileNetV3", ICCV 2019),
layer for layer as in Keras, so Keras's weight files load.

The models take pixels in [0, 255]: with `include_preprocessing=True` (the default) they start
with `Rescaling(1 / 127.5, offset=-1)`, so `preprocess_input` is a pass-through. The hard sigmoid
of the squeeze-and-excitation blocks, `ReLU(6)(x + 3) / 6`, adds two operation nodes to the
graph (kept out of `model.layers`, as in Keras 3), so layer indices, weight order and files are
Keras's.
"""
import warnings

from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.models.node import KerasTensor
from jkeras.utils.data_utils import get_file

BASE_WEIGHT_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
)
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}

BASE_DOCSTRING = """Instantiates the {name} architecture.

    The model takes float pixels in [0, 255] (in [-1, 1] with
    `include_preprocessing=False`); `jkeras.applications.mobilenet_v3.preprocess_input`
    is a pass-through. Any input size from 32x32 up works; ImageNet weights were
    trained at 224x224.

    Args:
        input_shape: optional shape tuple, e.g. `(160, 160, 3)`; by default
            `(None, None, 3)`, or taken from `input_tensor`. Width and height
            at least 32.
        alpha: width multiplier: below `1.0` fewer, above `1.0` more filters
            in each layer. With ImageNet weights `0.75` or `1.0`
            (`1.0` only with `minimalistic=True`). Defaults to `1.0`.
        minimalistic: use no squeeze-and-excitation, no hard-swish and no 5x5
            convolutions. Defaults to `False`.
        include_top: whether to include the classifier at the top.
            Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (pre-trained on
            ImageNet, downloaded into the Keras cache) or the path to a weights
            file. Defaults to `"imagenet"`.
        input_tensor: optional symbolic tensor (output of `jkeras.Input()`) to
            use as the model's input.
        classes: number of classes, only with `include_top=True` and no
            `weights`. Defaults to `1000`.
        pooling: with `include_top=False`: `None` (the output is the 4D output
            of the last convolutional block), `"avg"` (global average pooling,
            a 2D output) or `"max"` (global max pooling).
        dropout_rate: dropout rate before the classifier. Defaults to `0.2`.
        classifier_activation: activation (name or callable) of the top layer,
            only with `include_top=True`; `None` returns logits. With
            pretrained weights only `None` and `"softmax"` are allowed.
        include_preprocessing: whether to start with the `Rescaling` layer.
            Defaults to `True`.
        name: the name of the model. Defaults to `"{name}"`.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: for invalid `weights`, `classes`, `input_shape`,
            `input_tensor` or `classifier_activation`, or, with ImageNet
            weights, an `alpha` without published weights.
    """


def MobileNetV3(
    stack_fn,
    last_point_ch,
    input_shape=None,
    alpha=1.0,
    model_type="large",
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name=None,
):
    """Builds a MobileNetV3 from `stack_fn(x, kernel, activation, se_ratio)`, which adds the
    inverted residual blocks, and `last_point_ch`, the width of the last hidden layer. The
    other arguments are `MobileNetV3Small`'s; `model_type` (`"small"` or `"large"`) names the
    ImageNet weights."""
    imagenet_utils._check_weights(
        weights, include_top, classes, imagenet="`imagenet`", received=".  Received weights={weights}",
        classes_error='If using `weights="imagenet"` with `include_top` '
                      "as true, `classes` should be 1000.  Received classes={classes}",
    )
    channels_first = backend.image_data_format() == "channels_first"
    if input_tensor is not None and not isinstance(input_tensor, KerasTensor):
        raise ValueError(
            "Argument `input_tensor` must be a KerasTensor. "
            f"Received invalid type: input_tensor={input_tensor} "
            f"(of type {type(input_tensor)})"
        )
    # If both input_shape and input_tensor are given, they should match.
    if input_shape is not None and input_tensor is not None:
        if channels_first:
            if input_tensor.shape[1] != input_shape[1]:
                raise ValueError(
                    "When backend.image_data_format()=channels_first, "
                    "input_shape[1] must equal "
                    "input_tensor.shape[1].  Received "
                    f"input_shape={input_shape}, "
                    "input_tensor.shape="
                    f"{input_tensor.shape}"
                )
        elif input_tensor.shape[2] != input_shape[1]:
            raise ValueError(
                "input_shape[1] must equal "
                "input_tensor.shape[2].  Received "
                f"input_shape={input_shape}, "
                "input_tensor.shape="
                f"{input_tensor.shape}"
            )
    if input_shape is None and input_tensor is not None:
        # As in Keras, rows and columns are swapped here (only the size checks read them).
        if channels_first:
            input_shape = (3, input_tensor.shape[3], input_tensor.shape[2])
        else:
            input_shape = (input_tensor.shape[2], input_tensor.shape[1], 3)
    if input_shape is None:
        input_shape = (3, None, None) if channels_first else (None, None, 3)

    rows, cols = (input_shape[1], input_shape[2]) if channels_first else (input_shape[0], input_shape[1])
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(
            "Input size must be at least 32x32; Received `input_shape="
            f"{input_shape}`"
        )
    if weights == "imagenet":
        if (not minimalistic and alpha not in [0.75, 1.0]) or (minimalistic and alpha != 1.0):
            raise ValueError(
                "If imagenet weights are being loaded, "
                "alpha can be one of `0.75`, `1.0` for non minimalistic "
                "or `1.0` for minimalistic only."
            )
        if rows != cols or rows != 224:
            warnings.warn(
                "`input_shape` is undefined or non-square, "
                "or `rows` is not 224. "
                "Weights for input shape (224, 224) will be "
                "loaded as the default.",
                stacklevel=3,
            )

    img_input = imagenet_utils._image_input(input_tensor, input_shape)
    channel_axis = 1 if channels_first else -1

    if minimalistic:
        kernel, activation, se_ratio = 3, relu, None
    else:
        kernel, activation, se_ratio = 5, hard_swish, 0.25

    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999, name="conv_bn")(x)
    x = activation(x)

    x = stack_fn(x, kernel, activation, se_ratio)

    last_conv_ch = _depth(x.shape[channel_axis] * 6)
    if alpha > 1.0:  # a width multiplier above 1 widens the last layer too
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999, name="conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    file_name = file_hash = None
    if weights == "imagenet":
        model_name = "{}{}_224_{}_float".format(model_type, "_minimalistic" if minimalistic else "", str(alpha))
        if include_top:
            file_name = f"weights_mobilenet_v3_{model_name}.h5"
            file_hash = WEIGHTS_HASHES[model_name][0]
        else:
            file_name = f"weights_mobilenet_v3_{model_name}_no_top_v2.h5"
            file_hash = WEIGHTS_HASHES[model_name][1]
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, file_name,
                                  f"{BASE_WEIGHT_PATH}{file_name}", file_hash)


def MobileNetV3Small(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Small",
):
    def stack_fn(x, kernel, activation, se_ratio):
        def depth(d):
            return _depth(d * alpha)

        # (expansion, filters, kernel, stride, se_ratio, activation) of blocks 0-10.
        blocks = [(1, depth(16), 3, 2, se_ratio, relu),
                  (72.0 / 16, depth(24), 3, 2, None, relu),
                  (88.0 / 24, depth(24), 3, 1, None, relu),
                  (4, depth(40), kernel, 2, se_ratio, activation),
                  (6, depth(40), kernel, 1, se_ratio, activation),
                  (6, depth(40), kernel, 1, se_ratio, activation),
                  (3, depth(48), kernel, 1, se_ratio, activation),
                  (3, depth(48), kernel, 1, se_ratio, activation),
                  (6, depth(96), kernel, 2, se_ratio, activation),
                  (6, depth(96), kernel, 1, se_ratio, activation),
                  (6, depth(96), kernel, 1, se_ratio, activation)]
        for block_id, args in enumerate(blocks):
            x = _inverted_res_block(x, *args, block_id)
        return x

    return MobileNetV3(stack_fn, 1024, input_shape, alpha, "small", minimalistic, include_top, weights,
                       input_tensor, classes, pooling, dropout_rate, classifier_activation,
                       include_preprocessing, name=name)


def MobileNetV3Large(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Large",
):
    def stack_fn(x, kernel, activation, se_ratio):
        def depth(d):
            return _depth(d * alpha)

        blocks = [(1, depth(16), 3, 1, None, relu),
                  (4, depth(24), 3, 2, None, relu),
                  (3, depth(24), 3, 1, None, relu),
                  (3, depth(40), kernel, 2, se_ratio, relu),
                  (3, depth(40), kernel, 1, se_ratio, relu),
                  (3, depth(40), kernel, 1, se_ratio, relu),
                  (6, depth(80), 3, 2, None, activation),
                  (2.5, depth(80), 3, 1, None, activation),
                  (2.3, depth(80), 3, 1, None, activation),
                  (2.3, depth(80), 3, 1, None, activation),
                  (6, depth(112), 3, 1, se_ratio, activation),
                  (6, depth(112), 3, 1, se_ratio, activation),
                  (6, depth(160), kernel, 2, se_ratio, activation),
                  (6, depth(160), kernel, 1, se_ratio, activation),
                  (6, depth(160), kernel, 1, se_ratio, activation)]
        for block_id, args in enumerate(blocks):
            x = _inverted_res_block(x, *args, block_id)
        return x

    return MobileNetV3(stack_fn, 1280, input_shape, alpha, "large", minimalistic, include_top, weights,
                       input_tensor, classes, pooling, dropout_rate, classifier_activation,
                       include_preprocessing, name=name)


MobileNetV3Small.__doc__ = BASE_DOCSTRING.format(name="MobileNetV3Small")
MobileNetV3Large.__doc__ = BASE_DOCSTRING.format(name="MobileNetV3Large")


def relu(x):
    return layers.ReLU()(x)


def hard_sigmoid(x):
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _depth(v, divisor=8, min_value=None):
    """`v` rounded to a multiple of `divisor` (at least `min_value`), losing at most 10%."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _se_block(inputs, filters, se_ratio, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    """Expansion (not in block 0), depthwise convolution, optional squeeze-and-excitation,
    linear projection, and the residual connection where shapes allow."""
    channel_axis = 1 if backend.image_data_format() == "channels_first" else -1
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[channel_axis]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), kernel_size=1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                      name=f"{prefix}expand_bn")(x)
        x = activation(x)

    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same" if stride == 1 else "valid",
                               use_bias=False, name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}depthwise_bn")(x)
    x = activation(x)

    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)

    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def preprocess_input(x, data_format=None):
    """A pass-through, kept for compatibility: MobileNetV3 models rescale their inputs themselves.

    Args:
        x: a floating point array or tensor.
        data_format: ignored.

    Returns:
        `x`, unchanged.
    """
    return x


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__

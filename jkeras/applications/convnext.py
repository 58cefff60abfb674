"""ConvNeXt Tiny, Small, Base, Large and XLarge (Liu et al., "A ConvNet for the 2020s", CVPR 2022),
layer for layer as in Keras, so Keras's weight files load.

The models take pixels in [0, 255]: with `include_preprocessing=True` (the default) and 3 input
channels they start with a `Normalization` by the ImageNet means and variances, so
`preprocess_input` is a pass-through. The stem and the downsampling blocks are nested
`Sequential` models; each block's residual sum `inputs + x` is an operation node of the graph
(kept out of `model.layers`, as in Keras 3), so layer indices, weight order and files are
Keras's. `LayerScale` and `StochasticDepth` are this module's layers (registered for saving as
`"jkeras.applications.convnext>LayerScale"` / `"...>StochasticDepth"`).
"""
import jax
import jax.numpy as jnp
import numpy as np

from jkeras import backend
from jkeras import layers
from jkeras.applications import imagenet_utils
from jkeras.core import initializers
from jkeras.models import Sequential
from jkeras.models.layer import Layer
from jkeras.utils import naming
from jkeras.utils.data_utils import get_file
from jkeras.utils.object_registry import register_keras_serializable

BASE_WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
)

WEIGHTS_HASHES = {
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}

MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}

_PACKAGE = "jkeras.applications.convnext"
_UIDS = {}


def _get_uid(prefix):
    """1, 2, ... for successive calls with `prefix` (Keras's `backend.get_uid`, for default names)."""
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


@register_keras_serializable(package=_PACKAGE)
class StochasticDepth(Layer):
    """Drops the whole residual path of random samples in training (DropPath), scaling the kept
    ones by `1 / (1 - drop_path_rate)`; the identity at inference.

    Args:
        drop_path_rate: probability of dropping a sample's path, in [0, 1].

    Raises:
        ValueError: in training without an `rng` key.
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def init(self, rng, input_shape):
        return {"params": {}, "state": {}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not training:
            return inputs, variables["state"]
        if rng is None:
            raise self._error("training=True needs an `rng` key to draw the dropped paths")
        keep_prob = 1 - self.drop_path_rate
        shape = (inputs.shape[0],) + (1,) * (inputs.ndim - 1)
        random_tensor = jnp.floor(keep_prob + jax.random.uniform(rng, shape, inputs.dtype))
        return (inputs / keep_prob) * random_tensor, variables["state"]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


@register_keras_serializable(package=_PACKAGE)
class LayerScale(Layer):
    """Multiplies the inputs by a learned per-channel scale (Touvron et al., "Going deeper with
    Image Transformers", https://arxiv.org/abs/2103.17239).

    Args:
        init_values: initial value of the scale, in [0, 1].
        projection_dim: number of channels (the last axis).

    Weights:
        variable: the scale, shape `(projection_dim,)` (trainable). As Keras names an unnamed
            weight, the name is unique in the session: `variable`, `variable_1`, ...
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim
        self._weight_name = naming.uniquify("variable")

    def init(self, rng, input_shape):
        gamma = initializers.Constant(self.init_values)((self.projection_dim,), self.dtype)
        return {"params": {self._weight_name: gamma}, "state": {}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return inputs * variables["params"][self._weight_name], variables["state"]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """A ConvNeXt block: 7x7 depthwise convolution, layer normalization, two pointwise `Dense`
    layers with GELU between them, optional layer scale and stochastic depth, residual sum.

    Args:
        projection_dim: number of channels.
        drop_path_rate: stochastic depth rate; `0` for none. Defaults to `0.0`.
        layer_scale_init_value: initial layer scale; `None` for none. Defaults to `1e-6`.
        name: prefix of the layer names.

    Returns:
        A function from the input tensor to the block's output tensor.
    """
    if name is None:
        name = f"prestem{_get_uid('prestem')}"

    def apply(inputs):
        x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                          name=f"{name}_depthwise_conv")(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            layer = layers.Activation("linear", name=f"{name}_identity")
        return inputs + layer(x)

    return apply


def PreStem(name=None):
    """Normalizes inputs with the ImageNet-1k means and standard deviations (of [0, 255] pixels)."""
    if name is None:
        name = f"prestem{_get_uid('prestem')}"

    def apply(x):
        return layers.Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{name}_prestem_normalization",
        )(x)

    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """The classification head: global average pooling, layer normalization, `Dense`."""
    if name is None:
        name = str(_get_uid("head"))

    def apply(x):
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(num_classes, activation=classifier_activation, name=f"{name}_head_dense")(x)

    return apply


def ConvNeXt(
    depths,
    projection_dims,
    drop_path_rate=0.0,
    layer_scale_init_value=1e-6,
    default_size=224,
    name="convnext",
    include_preprocessing=True,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """Instantiates a ConvNeXt from its configuration.

    Args:
        depths: number of blocks of each of the 4 stages.
        projection_dims: number of channels of each of the 4 stages.
        drop_path_rate: largest stochastic depth rate (it grows linearly over
            the blocks); `0` for none. Defaults to `0.0`.
        layer_scale_init_value: initial layer scale. Defaults to `1e-6`.
        default_size: default input width and height. Defaults to `224`.
        name: the name of the model (it prefixes the layer names).
        include_preprocessing, include_top, weights, input_tensor, input_shape,
            pooling, classes, classifier_activation: as in `ConvNeXtTiny`.
        weights_name: key into `WEIGHTS_HASHES` of the ImageNet weights.

    Returns:
        A functional `Model`.

    Raises:
        ValueError: with `"channels_first"`; for invalid `weights`,
            `classes`, `input_shape`, `input_tensor` or
            `classifier_activation`; with ImageNet weights, for a
            configuration or `name` other than the weights'.
    """
    if backend.image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt does not support the `channels_first` image data "
            "format. Switch to `channels_last` by editing your local "
            "config file at ~/.keras/keras.json"
        )
    imagenet_utils._check_weights(
        weights, include_top, classes, imagenet="`imagenet`", received=".",
        classes_error='If using `weights="imagenet"` with `include_top=True`, '
                      "`classes` should be 1000. Received classes={classes}",
    )
    input_shape, img_input = imagenet_utils._inputs(input_tensor, input_shape, default_size, 32, include_top,
                                                    weights)
    x = img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = PreStem(name=name)(x)

    stem = Sequential(
        [
            layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )
    downsample_layers = [stem]
    for i in range(3):
        downsample_layers.append(Sequential(
            [
                layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
                layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                              name=f"{name}_downsampling_conv_{i}"),
            ],
            name=f"{name}_downsampling_block_{i}",
        ))

    # The stochastic depth rates grow linearly over the blocks.
    depth_drop_rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        x = downsample_layers[i](x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(
                projection_dim=projection_dims[i],
                drop_path_rate=depth_drop_rates[cur + j],
                layer_scale_init_value=layer_scale_init_value,
                name=f"{name}_stage_{i}_block_{j}",
            )(x)
        cur += depths[i]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation, name=name)(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)

    file_name = file_hash = None
    if weights == "imagenet":
        expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
        if list(depths) != expected["depths"] or list(projection_dims) != expected["projection_dims"]:
            raise ValueError(
                f"Architecture configuration does not match {weights_name} "
                f"variant. When using pre-trained weights, the model "
                f"architecture must match the pre-trained configuration "
                f"exactly. Expected depths: {expected['depths']}, "
                f"got: {depths}. Expected projection_dims: "
                f"{expected['projection_dims']}, got: {projection_dims}."
            )
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant '
                f'"{weights_name}". When using imagenet weights, model name '
                f'must contain the weights variant (e.g., "convnext_'
                f'{weights_name.split("convnext_")[-1]}").'
            )
        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    return imagenet_utils._finish(input_tensor, img_input, x, name, weights, get_file, file_name,
                                  f"{BASE_WEIGHTS_PATH}{file_name}", file_hash)


def _convnext(size, include_top, include_preprocessing, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation, name):
    config = MODEL_CONFIGS[size]
    return ConvNeXt(
        weights_name=f"convnext_{size}",
        depths=config["depths"],
        projection_dims=config["projection_dims"],
        drop_path_rate=0.0,
        layer_scale_init_value=1e-6,
        default_size=config["default_size"],
        name=name,
        include_top=include_top,
        include_preprocessing=include_preprocessing,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
    )


def ConvNeXtTiny(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
                 input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                 name="convnext_tiny"):
    return _convnext("tiny", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


def ConvNeXtSmall(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
                  input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                  name="convnext_small"):
    return _convnext("small", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


def ConvNeXtBase(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
                 input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                 name="convnext_base"):
    return _convnext("base", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


def ConvNeXtLarge(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
                  input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                  name="convnext_large"):
    return _convnext("large", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


def ConvNeXtXLarge(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
                   input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                   name="convnext_xlarge"):
    return _convnext("xlarge", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


BASE_DOCSTRING = """Instantiates the {name} architecture.

    The default input size is 224x224; any size from 32x32 up works with
    `include_top=False`. The model takes float pixels in [0, 255]: its
    preprocessing is built in (a `Normalization` layer), so
    `jkeras.applications.convnext.preprocess_input` is a pass-through.

    Args:
        include_top: whether to include the classification head.
            Defaults to `True`.
        include_preprocessing: whether to start with the `Normalization`
            layer (for 3 input channels). Keep `True` with ImageNet weights.
            Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (pre-trained on
            ImageNet-1k, downloaded into the Keras cache) or the path to a
            weights file. Defaults to `"imagenet"`.
        input_tensor: optional symbolic tensor (output of `jkeras.Input()`) to
            use as the model's input.
        input_shape: optional shape tuple, only to be given with
            `include_top=False` (otherwise it must be `(224, 224, 3)`).
            Exactly 3 channels with ImageNet weights.
        pooling: with `include_top=False`: `None` (the 4D output of the last
            stage), `"avg"` (global average pooling) or `"max"` (global max
            pooling); a `LayerNormalization` follows in each case.
        classes: number of classes, only with `include_top=True` and no
            `weights`. Defaults to `1000`.
        classifier_activation: activation (name or callable) of the top layer,
            only with `include_top=True`; `None` returns logits. With
            pretrained weights only `None` and `"softmax"` are allowed.
            Defaults to `"softmax"`.
        name: the name of the model (it prefixes the layer names; with
            ImageNet weights it must contain the variant, e.g. `"{default}"`).

    Returns:
        A functional `Model`.

    Raises:
        ValueError: with `"channels_first"`, or for invalid `weights`,
            `classes`, `input_shape`, `input_tensor`, `classifier_activation`
            or (with ImageNet weights) `name`.
    """

for _fn, _default in ((ConvNeXtTiny, "convnext_tiny"), (ConvNeXtSmall, "convnext_small"),
                      (ConvNeXtBase, "convnext_base"), (ConvNeXtLarge, "convnext_large"),
                      (ConvNeXtXLarge, "convnext_xlarge")):
    _fn.__doc__ = BASE_DOCSTRING.format(name=_fn.__name__, default=_default)
del _fn, _default


def preprocess_input(x, data_format=None):
    """A pass-through, kept for compatibility: ConvNeXt models normalize their inputs themselves.

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

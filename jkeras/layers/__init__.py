"""The layer zoo: `from jkeras import layers; layers.Dense(64, activation="relu")`.

One module per family; each lists its public names in `__all__`.
"""
from jkeras.layers.activations import *  # noqa: F401,F403
from jkeras.layers.adaptive_pooling import *  # noqa: F401,F403
from jkeras.layers.attention import *  # noqa: F401,F403
from jkeras.layers.conv_recurrent import *  # noqa: F401,F403
from jkeras.layers.convolutional import *  # noqa: F401,F403
from jkeras.layers.core import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Permute,
    RepeatVector,
    Reshape,
)
from jkeras.layers.embedding import *  # noqa: F401,F403
from jkeras.layers.grouped_query_attention import *  # noqa: F401,F403
from jkeras.layers.hashed_crossing import *  # noqa: F401,F403
from jkeras.layers.jax_layer import *  # noqa: F401,F403
from jkeras.layers.legacy_core import *  # noqa: F401,F403
from jkeras.layers.locally_connected import *  # noqa: F401,F403
from jkeras.layers.mel_spectrogram import *  # noqa: F401,F403
from jkeras.layers.merge import *  # noqa: F401,F403
from jkeras.layers.noise import *  # noqa: F401,F403
from jkeras.layers.op_lambda import *  # noqa: F401,F403
from jkeras.layers.normalization import *  # noqa: F401,F403
from jkeras.layers.pooling import *  # noqa: F401,F403
from jkeras.layers.preprocessing_clahe import *  # noqa: F401,F403
from jkeras.layers.preprocessing_color import *  # noqa: F401,F403
from jkeras.layers.preprocessing_image import *  # noqa: F401,F403
from jkeras.layers.preprocessing_augment import *  # noqa: F401,F403
from jkeras.layers.preprocessing_numeric import *  # noqa: F401,F403
from jkeras.layers.preprocessing_pipeline import *  # noqa: F401,F403
from jkeras.layers.preprocessing_randaugment import *  # noqa: F401,F403
from jkeras.layers.preprocessing_text import *  # noqa: F401,F403
from jkeras.layers.recurrent import *  # noqa: F401,F403
from jkeras.layers.reshaping import *  # noqa: F401,F403
from jkeras.layers.reversible_embedding import *  # noqa: F401,F403
from jkeras.layers.spectral_normalization import *  # noqa: F401,F403
from jkeras.layers.stft_spectrogram import *  # noqa: F401,F403
from jkeras.layers.wrappers import *  # noqa: F401,F403
from jkeras.models.input_layer import Input, InputLayer
# Keras 2's module paths, reachable as attributes (`keras.layers.advanced_activations.LeakyReLU`)
from jkeras.layers import advanced_activations, convolutional_recurrent, cudnn_recurrent, embeddings, local  # noqa: F401,E402
from jkeras.models.layer import Layer
from jkeras.models.input_spec import InputSpec


def serialize(layer):
    """A layer's `{"class_name": ..., "config": ...}` dict (Keras 2's `keras.layers.serialize`).

    Args:
        layer: a layer or model.

    Returns:
        A JSON-friendly dict.
    """
    from jkeras.utils.serialization import serialize_layer

    return serialize_layer(layer)


def deserialize(config, custom_objects=None):
    """Creates a layer from `serialize`'s output (Keras 2's `keras.layers.deserialize`).

    Args:
        config: a dict `{"class_name": ..., "config": {...}}`.
        custom_objects: dict name -> class for custom layers (registered and scoped ones are found too).

    Returns:
        A new, unbuilt layer.

    Raises:
        ValueError: for an unknown class name.
    """
    from jkeras.utils.object_registry import merged_custom_objects
    from jkeras.utils.serialization import deserialize_layer

    return deserialize_layer(config, custom_objects=merged_custom_objects(custom_objects))


layer_from_config = deserialize  # Keras 1's name


from jkeras.layers import experimental  # noqa: E402  (tf.keras 2.x module path)

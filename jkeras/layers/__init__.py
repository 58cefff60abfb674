"""The layer zoo: `from jkeras import layers; layers.Dense(64, activation="relu")`.

One module per family; each lists its public names in `__all__`.
"""
from jkeras.layers.activations import *  # noqa: F401,F403
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
from jkeras.layers.jax_layer import *  # noqa: F401,F403
from jkeras.layers.locally_connected import *  # noqa: F401,F403
from jkeras.layers.merge import *  # noqa: F401,F403
from jkeras.layers.noise import *  # noqa: F401,F403
from jkeras.layers.normalization import *  # noqa: F401,F403
from jkeras.layers.pooling import *  # noqa: F401,F403
from jkeras.layers.recurrent import *  # noqa: F401,F403
from jkeras.layers.reshaping import *  # noqa: F401,F403
from jkeras.layers.wrappers import *  # noqa: F401,F403
from jkeras.models.input_layer import Input, InputLayer
from jkeras.models.layer import Layer

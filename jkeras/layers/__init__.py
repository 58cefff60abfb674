"""The layer zoo: `from jkeras import layers; layers.Dense(64, activation="relu")`.

One module per family; each lists its public names in `__all__`.
"""
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
from jkeras.models.input_layer import Input, InputLayer
from jkeras.models.layer import Layer

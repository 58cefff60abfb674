"""The layer zoo: `from jkeras import layers; layers.Dense(64, activation="relu")`."""
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

__all__ = [
    "Activation", "ActivityRegularization", "Dense", "Dropout", "Flatten", "Input", "InputLayer",
    "Lambda", "Layer", "Permute", "RepeatVector", "Reshape",
]

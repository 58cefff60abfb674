"""Keras 2's `keras.engine.base_layer` module path."""
from jkeras.models.input_spec import InputSpec  # noqa: F401
from jkeras.models.layer import Layer  # noqa: F401
from jkeras.models.node import Node  # noqa: F401

"""Keras 2's `keras.engine.input_layer` module path."""
from jkeras.models.input_layer import Input, InputLayer  # noqa: F401

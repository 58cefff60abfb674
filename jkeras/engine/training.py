"""Keras 2's `keras.engine.training` module path."""
from jkeras.models.functional import Model  # noqa: F401

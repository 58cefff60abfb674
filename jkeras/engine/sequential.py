"""Keras 2's `keras.engine.sequential` module path."""
from jkeras.models.sequential import Sequential  # noqa: F401

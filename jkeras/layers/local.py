"""Keras 2's `keras.layers.local` module path (the layers live in `locally_connected.py`)."""
from jkeras.layers.locally_connected import LocallyConnected1D, LocallyConnected2D  # noqa: F401

__all__ = ["LocallyConnected1D", "LocallyConnected2D"]

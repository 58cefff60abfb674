"""Keras 2's `keras.layers.advanced_activations` module path (the layers live in `activations.py`)."""
from jkeras.layers.activations import ELU, PReLU, ReLU, LeakyReLU, Softmax, ThresholdedReLU  # noqa: F401

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ThresholdedReLU"]

"""Keras 2's `keras.layers.cudnn_recurrent` module path (the layers live in `recurrent.py`)."""
from jkeras.layers.recurrent import CuDNNGRU, CuDNNLSTM  # noqa: F401

__all__ = ["CuDNNGRU", "CuDNNLSTM"]

"""Keras 2's `keras.preprocessing.sequence`: `pad_sequences` (the IMDB LSTM tutorial's import)."""
from jkeras.utils.data_utils import pad_sequences  # noqa: F401

__all__ = ["pad_sequences"]

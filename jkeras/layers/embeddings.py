"""Keras 2's `keras.layers.embeddings` module path (the layer lives in `embedding.py`)."""
from jkeras.layers.embedding import Embedding  # noqa: F401

__all__ = ["Embedding"]

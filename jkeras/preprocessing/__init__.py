"""Keras 2's `keras.preprocessing` paths that tutorials import (`sequence.pad_sequences`)."""
from jkeras.preprocessing import sequence  # noqa: F401

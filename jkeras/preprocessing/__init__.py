"""Keras 2's `keras.preprocessing` paths that tutorials import (`sequence.pad_sequences`, `text.Tokenizer`)."""
from jkeras.preprocessing import sequence  # noqa: F401
from jkeras.preprocessing import image  # noqa: F401
from jkeras.preprocessing import text  # noqa: F401

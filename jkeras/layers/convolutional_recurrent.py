"""Keras 2's `keras.layers.convolutional_recurrent` module path (the layers live in
`conv_recurrent.py`)."""
from jkeras.layers.conv_recurrent import *  # noqa: F401,F403
from jkeras.layers.conv_recurrent import __all__  # noqa: F401

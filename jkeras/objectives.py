"""Keras 1's `keras.objectives` module path: the losses (`from keras.objectives import mse`)."""
from jkeras.losses import *  # noqa: F401,F403
from jkeras.losses import deserialize, get, serialize  # noqa: F401

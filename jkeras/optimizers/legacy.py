"""`keras.optimizers.legacy`: tf.keras 2.11+'s spelling of the Keras 2 optimizers.

`from keras.optimizers.legacy import Adam` keeps working: these are the regular jkeras
optimizers, which accept Keras 2's `lr=` and `decay=` arguments.
"""
from jkeras.optimizers import (  # noqa: F401  (re-exported)
    SGD, Adadelta, Adagrad, Adam, Adamax, Ftrl, Nadam, Optimizer, RMSprop)

__all__ = ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam", "Ftrl",
           "Optimizer"]

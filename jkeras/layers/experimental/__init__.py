"""tf.keras 2.x's `keras.layers.experimental` names (the preprocessing layers, EinsumDense)."""
from jkeras.layers.attention import EinsumDense
from jkeras.layers.experimental import preprocessing

__all__ = ["EinsumDense", "preprocessing"]

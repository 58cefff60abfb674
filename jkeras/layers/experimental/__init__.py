"""tf.keras 2.x's `keras.layers.experimental` names (the preprocessing layers, EinsumDense,
RandomFourierFeatures)."""
from jkeras.layers.attention import EinsumDense
from jkeras.layers.experimental import preprocessing
from jkeras.layers.random_fourier_features import RandomFourierFeatures

__all__ = ["EinsumDense", "RandomFourierFeatures", "preprocessing"]

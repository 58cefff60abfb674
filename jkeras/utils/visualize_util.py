"""Keras 1's `keras.utils.visualize_util`: `plot(model, to_file=...)` is `plot_model`."""
from jkeras.utils.vis_utils import plot_model  # noqa: F401

plot = plot_model

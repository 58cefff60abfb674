"""Keras 2's module path for ResNet50: `from jkeras.applications.resnet50 import ResNet50`."""
from jkeras.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]

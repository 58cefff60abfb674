"""Keras 2's `keras.engine.saving` module path."""
from jkeras.saving import load_model, model_from_config, model_from_json, save_model  # noqa: F401

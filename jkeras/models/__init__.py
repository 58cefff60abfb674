"""Models: `Sequential`, functional `Model`, and saving and loading them."""
from jkeras.models.functional import Model
from jkeras.models.sequential import Sequential
from jkeras.saving import (
    clone_model, load_model, model_from_config, model_from_json, model_from_yaml, save_model,
)

__all__ = [
    "Model", "Sequential", "clone_model", "load_model", "model_from_config", "model_from_json",
    "model_from_yaml", "save_model",
]

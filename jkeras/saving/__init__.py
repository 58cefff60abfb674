"""Saving and loading models and weights: `save_model`, `load_model`, custom-object registration.

Formats (see `jkeras.saving.saving_api` for the full description):

- `model.save("m.keras")`: a Keras 3 `.keras` file, which Keras 3's `load_model` reads: a zip of
  `config.json` (architecture and compile configuration as Keras 3 serializes them),
  `metadata.json` and `model.weights.h5` (all variables and the optimizer state in Keras 3's
  layout); `model.save("m.h5")`: one HDF5 file in Keras 2's layout; any other path: a directory
  with `config.json` and an orbax checkpoint of all variables and the optimizer state (orbax also
  backs `BackupAndRestore` and `orbax_io.TrainingCheckpointer`). Saves are atomic.
- `model.save_weights("w.weights.h5")`: Keras 3's layout; `"w.h5"`: Keras 2's layout; any other
  path: an orbax checkpoint directory.
- `load_model` / `load_weights` also read Keras 3 `.keras` / `.weights.h5`, Keras 2 `.h5` files and
  the `.keras` archives of earlier jkeras versions (`config.json` + an orbax `checkpoint/`).

The submodules are imported on first use: `import jkeras` stays light (no orbax, h5py).
"""
from jkeras.utils.object_registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from jkeras.utils.serialization import deserialize_keras_object, serialize_keras_object


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
    """`model.save(filepath, ...)`; see `jkeras.saving.saving_api.save_model`."""
    from jkeras.saving import saving_api

    return saving_api.save_model(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                                 save_format=save_format, **kwargs)


def save_weights(model, filepath, overwrite=True, **kwargs):
    """`model.save_weights(filepath, overwrite)` (Keras 3's `keras.saving.save_weights`)."""
    return model.save_weights(filepath, overwrite=overwrite, **kwargs)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """`model.load_weights(filepath, skip_mismatch)` (Keras 3's `keras.saving.load_weights`)."""
    return model.load_weights(filepath, skip_mismatch=skip_mismatch, **kwargs)


def load_exported(filepath):
    """Loads a `model.export(filepath)` artifact; see `jkeras.saving.export.load_exported`."""
    from jkeras.saving import export

    return export.load_exported(filepath)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a saved model; see `jkeras.saving.saving_api.load_model`."""
    from jkeras.saving import saving_api

    return saving_api.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_config(config, custom_objects=None, safe_mode=True):
    """A model with fresh weights from `{"class_name": ..., "config": ...}`."""
    from jkeras.saving import saving_api

    return saving_api.model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A model with fresh weights from `model.to_json()` output."""
    from jkeras.saving import saving_api

    return saving_api.model_from_json(json_string, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_yaml(yaml_string, custom_objects=None, safe_mode=True):
    """A model with fresh weights from `model.to_yaml()` output (needs PyYAML)."""
    from jkeras.saving import saving_api

    return saving_api.model_from_yaml(yaml_string, custom_objects=custom_objects, safe_mode=safe_mode)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model of the same architecture with fresh weights (the layers are new objects).

    Args:
        model: a Sequential or functional model (or a model of a registered class).
        input_tensors: not supported (must be None).
        clone_function: for a `Sequential`, `fn(layer) -> new layer` applied to each layer
            (default: rebuild from `layer.get_config()`).

    Raises:
        ValueError: for `input_tensors`, or `clone_function` with a non-Sequential model.
    """
    from jkeras.models.sequential import Sequential
    from jkeras.saving import model_config

    if input_tensors is not None:
        raise ValueError("clone_model: input_tensors is not supported by jkeras; clone, then call the clone")
    if clone_function is None:
        # The model's own layer classes rebuild its layers, registered or not (as Keras 3's
        # `clone_model`, which calls each layer's class).
        objects = {**_layer_classes(model), **_lambda_functions(model)}
        return model_config.model_from_config(model_config.model_to_config(model), safe_mode=False,
                                              custom_objects=objects)
    if not isinstance(model, Sequential):
        raise ValueError("clone_model: clone_function is supported for Sequential models only")
    clone = Sequential(name=model.name)
    if model._input_layer is not None:
        clone.add(type(model._input_layer).from_config(model._input_layer.get_config()))
    for layer in model.layers:
        clone.add(clone_function(layer))
    return clone


def _layer_classes(model):
    """The classes of the model's custom layers (nested ones too), by the names their configs
    carry: the class name and the registered name."""
    from jkeras.utils.object_registry import get_registered_name

    found, stack = {}, [model]
    while stack:
        layer = stack.pop()
        cls = type(layer)
        if not cls.__module__.startswith("jkeras."):
            found.setdefault(cls.__name__, cls)
            found.setdefault(get_registered_name(cls), cls)
        stack.extend(layer._sublayers)
    return found


def _lambda_functions(model):
    """The functions of the model's Lambda layers by name, so that a clone keeps them."""
    from jkeras.layers import Lambda

    found, stack = {}, [model]
    while stack:
        layer = stack.pop()
        if isinstance(layer, Lambda):
            name = getattr(layer.function, "__name__", None)
            found[name if name and name != "<lambda>" else layer.name] = layer.function
        stack.extend(layer._sublayers)
    return found


__all__ = [
    "CustomObjectScope", "clone_model", "custom_object_scope", "get_custom_objects", "get_registered_name",
    "get_registered_object", "load_model", "model_from_config", "model_from_json", "model_from_yaml",
    "register_keras_serializable", "save_model", "save_weights", "load_weights",
    "serialize_keras_object", "deserialize_keras_object",
]

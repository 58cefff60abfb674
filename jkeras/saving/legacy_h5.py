"""Keras 2's HDF5 layout: `save_weights("w.h5")`, and the whole model in one `.h5` file.

Weights (the file root, or the `model_weights` group of a whole-model file):
    attrs   layer_names   = [b"dense", b"dense_1", ...]   every layer of `model.layers`, in order
            backend       = b"jax"
            keras_version = b"jkeras-<version>"
    /<layer name>         one group per layer (layers without weights too)
        attrs weight_names = [b"dense/kernel:0", b"dense/bias:0"]   trainable, then non-trainable
        /dense/kernel:0   one dataset per weight name
A whole-model file adds root attrs `model_config` (JSON, `{"class_name", "config"}`) and
`training_config` (JSON: `loss`, `metrics`, `weighted_metrics`, `loss_weights`,
`optimizer_config`), and the jkeras optimizer state in the group `jkeras_optimizer_state`
(see `write_optimizer_group`).

Loading is topological (the i-th layer with weights takes the i-th saved layer with weights) or,
with `by_name=True`, by layer name.
"""
import json
import warnings

import numpy as np

from jkeras.saving import model_config, variables

OPTIMIZER_GROUP = "jkeras_optimizer_state"


def _decode(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def read_name_list(group, name):
    """A list of names stored in `group.attrs[name]` (or chunked as `name0`, `name1`, ...)."""
    if name in group.attrs:
        return [_decode(n) for n in group.attrs[name]]
    names, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        names += [_decode(n) for n in group.attrs[f"{name}{chunk}"]]
        chunk += 1
    return names


_HDF5_OBJECT_HEADER_LIMIT = 64512


def _write_name_list(group, name, values):
    """Stores names as a bytes array attribute, split into `name0`, `name1`, ... when too large."""
    data = np.array([v.encode("utf8") for v in values]) if values else np.zeros((0,), dtype="S1")
    chunks = 1
    while data.nbytes / chunks > _HDF5_OBJECT_HEADER_LIMIT:
        chunks += 1
    if chunks == 1:
        group.attrs[name] = data
        return
    for index, part in enumerate(np.array_split(data, chunks)):
        group.attrs[f"{name}{index}"] = part


def legacy_weights(layer):
    """Keras 2's weight order of a layer: trainable weights, then non-trainable ones."""
    return layer.trainable_weights + layer.non_trainable_weights


def save_weights_to_group(group, model):
    """Writes `model`'s weights into an HDF5 group in Keras 2's layout."""
    layers = model.layers
    _write_name_list(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = b"jax"
    group.attrs["keras_version"] = f"jkeras-{model_config.jkeras_version()}".encode("utf8")
    for layer in sorted(layers, key=lambda layer: layer.name):
        layer_group = group.create_group(layer.name)
        names = []
        for var in legacy_weights(layer):
            name = f"{var.path}:0"
            while name in names:
                name = name[:-2] + "_1:0"
            names.append(name)
            layer_group.create_dataset(name, data=var.numpy())
        _write_name_list(layer_group, "weight_names", names)


def _layer_values(group, name):
    layer_group = group[name]
    return [np.asarray(layer_group[w]) for w in read_name_list(layer_group, "weight_names")]


def load_weights_from_group(group, model, by_name=False, skip_mismatch=False):
    """Reads weights in Keras 2's layout into `model`.

    Raises:
        ValueError: when the numbers of layers or weights differ (topological loading), or on a
            shape mismatch without `skip_mismatch`; messages name the layer and both shapes.
    """
    saved_names = read_name_list(group, "layer_names")
    if by_name:
        _load_by_name(group, model, saved_names, skip_mismatch)
        return
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    saved = [(name, values) for name in saved_names for values in [_layer_values(group, name)] if values]
    if len(saved) != len(layers):
        raise ValueError(
            f"Layer count mismatch when loading weights from file: the model has {len(layers)} layers "
            f"with weights ({[layer.name for layer in layers]}), the file has {len(saved)} "
            f"({[name for name, _ in saved]})."
        )
    for index, (layer, (name, values)) in enumerate(zip(layers, saved)):
        weights = legacy_weights(layer)
        if len(values) != len(weights):
            raise ValueError(
                f"Weight count mismatch for layer #{index} (named '{layer.name}' in the model, '{name}' in "
                f"the file): the layer has {len(weights)} weight(s), the file has {len(values)}."
            )
        for var, value in zip(weights, values):
            variables.assign(var, value, f"layer #{index} (named '{layer.name}')", skip_mismatch)


def _load_by_name(group, model, saved_names, skip_mismatch):
    by_layer = {}
    for layer in model.layers:
        by_layer.setdefault(layer.name, []).append(layer)
    for index, name in enumerate(saved_names):
        values = _layer_values(group, name)
        for layer in by_layer.get(name, []):
            weights = legacy_weights(layer)
            if len(values) != len(weights):
                message = (f"Weight count mismatch for layer #{index} (named '{name}'): the layer has "
                           f"{len(weights)} weight(s), the file has {len(values)}.")
                if skip_mismatch:
                    warnings.warn(f"Skipping loading: {message}", stacklevel=4)
                    continue
                raise ValueError(message)
            for var, value in zip(weights, values):
                variables.assign(var, value, f"layer '{name}'", skip_mismatch)


# ------------------------------------------------------------------------------------------------
# Optimizer state (a jkeras addition, ignored by Keras)


def write_optimizer_group(h5, model):
    """Stores the optax state leaves as datasets `0`, `1`, ... of the group `jkeras_optimizer_state`,
    with attrs `paths` (each leaf's key path) and `weight_paths` (the model's weight paths)."""
    entries = variables.optimizer_entries(model)
    if not entries:
        return
    group = h5.create_group(OPTIMIZER_GROUP)
    for index, (_, value) in enumerate(entries):
        group.create_dataset(str(index), data=value)
    group.attrs["paths"] = model_config.dumps([list(path) for path, _ in entries])
    group.attrs["weight_paths"] = model_config.dumps(variables.variables_manifest(model))


def read_optimizer_group(h5, model):
    """Restores `model.optimizer.state` from `write_optimizer_group`'s group, when present.

    Returns:
        True when restored.
    """
    if OPTIMIZER_GROUP not in h5 or getattr(model, "optimizer", None) is None:
        return False
    group = h5[OPTIMIZER_GROUP]
    paths = json.loads(_decode(group.attrs["paths"]))
    entries = [(tuple(path), np.asarray(group[str(i)])) for i, path in enumerate(paths)]
    saved_weights = [tuple(p) for p in json.loads(_decode(group.attrs["weight_paths"]))]
    current = [path for path, _ in variables.weight_entries(model)]
    renames = {}
    if len(saved_weights) == len(current):
        renames = {old[1:]: new[1:] for old, new in zip(saved_weights, current) if old != new}
    return variables.restore_optimizer(model, entries, renames)


# ------------------------------------------------------------------------------------------------
# Whole model


def save_model(model, h5, include_optimizer=True):
    """Writes config, compile config, weights and optimizer state into an open h5py File."""
    h5.attrs["model_config"] = model_config.dumps(model_config.model_to_config(model)).encode("utf8")
    compile_config = model_config.compile_to_config(model)
    if compile_config is not None:
        training = dict(compile_config)
        training["optimizer_config"] = training.pop("optimizer")
        h5.attrs["training_config"] = model_config.dumps(training).encode("utf8")
    h5.attrs["keras_version"] = f"jkeras-{model_config.jkeras_version()}".encode("utf8")
    h5.attrs["backend"] = b"jax"
    save_weights_to_group(h5.create_group("model_weights"), model)
    if include_optimizer:
        write_optimizer_group(h5, model)


def load_model(h5, custom_objects=None, compile=True, safe_mode=True):
    """Rebuilds a model from an open h5py File written by `save_model` or by Keras 2.

    Raises:
        ValueError: if the file holds no model config.
    """
    if "model_config" not in h5.attrs:
        raise ValueError(
            f"No model config found in the HDF5 file {h5.filename!r}: it holds weights only. Build the "
            "model in code and call model.load_weights(path)."
        )
    try:
        config = json.loads(_decode(h5.attrs["model_config"]))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"The model_config attribute of the HDF5 file {h5.filename!r} is not valid JSON "
                         f"({type(error).__name__}: {error}); the file is damaged") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"The model_config attribute of the HDF5 file {h5.filename!r} is not a model config "
                         '(expected a JSON object with "class_name" and "config")')
    if "model_weights" not in h5:
        raise ValueError(f"The HDF5 file {h5.filename!r} has a model_config but no model_weights group: it is "
                         "incomplete or not a Keras model file")
    model = model_config.model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
    load_weights_from_group(h5["model_weights"], model)
    if compile and "training_config" in h5.attrs:
        training = json.loads(_decode(h5.attrs["training_config"]))
        if model_config.compile_from_config(model, training, custom_objects):
            read_optimizer_group(h5, model)
    return model

"""Keras 3's `.weights.h5` layout (also `model.weights.h5` inside a Keras 3 `.keras` file).

Keras 3 walks the model as an object tree and writes each object's own weights to `<path>/vars`:
    /vars                                   the model itself (attr name="sequential"), no datasets
    /layers/dense/vars/0, /1                a layer of a Sequential / functional model: kernel, bias
    /layers/dense_1/vars/...                the second Dense (keys count per class, not layer names)
    /layers/input_layer/vars                functional models list their InputLayers too
    /layers/functional/layers/dense/vars    a nested functional model ("sequential" for a Sequential)
    /layers/lstm/cell/vars/0..2             recurrent layers keep their weights in their cell
    /layers/bidirectional/backward_layer/cell/vars, .../forward_layer/cell/vars
Inside a layer, children are visited by attribute name, sorted, private ones last (so
`backward_layer` comes before `forward_layer`); a layer reached twice is written once. Each
`vars` group has the attribute `name` (the layer's name), which `by_name=True` matches on.
`vars/i` is the i-th weight: trainable weights first, then non-trainable ones. A layer whose class
overrides `save_own_variables` / `load_own_variables` (`layer_hooks`) fills / reads its `vars`
group itself, as in Keras 3 (its store may hold other keys than "0", "1", ...).

jkeras writes the same tree, so Keras 3's `load_weights` reads it, and reads Keras 3's files.

The optimizer state (`save_optimizer` / `load_optimizer`, used by `model.weights.h5` inside
`.keras` archives) goes where Keras 3 puts it: `/optimizer/vars/0, /1, ...` (attr name = the
optimizer's name), Keras's `optimizer.variables` in order (`keras3_optimizer`): iterations, the
learning rate, then the slots of each trainable weight. A state without a Keras layout (an optax
transformation, a loss-scale optimizer) goes to a `jkeras_optimizer_state` group instead, which
Keras ignores; a `.weights.h5` written by `save_weights` keeps that group too.
"""
import re
import warnings

import numpy as np

from jkeras.layers._lora import LoRAMixin
from jkeras.layers._quantize import QuantizableMixin
from jkeras.saving import keras3_optimizer, layer_hooks, legacy_h5, variables
from jkeras.utils import naming

OPTIMIZER_VARS = "optimizer/vars"
# Keras 3 recurrent layers hold their weights in a `cell` sublayer.
_CELL_LAYERS = {"SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}
# jkeras bookkeeping attributes that reference sublayers Keras tracks otherwise.
_SKIPPED_ATTRIBUTES = {"_sublayers", "_layers", "_stack", "_input_layer", "_owned_nodes", "_inbound_nodes"}


def to_snake_case(name):
    """Keras's `naming.to_snake_case` (`BatchNormalization` -> `batch_normalization`)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


keras_class_name = naming.keras_class_name


def _join(path, name):
    return f"{path}/{name}" if path else name


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _is_graph_model(layer):
    from jkeras.models.functional import Model

    # a subclass holding its networks as attributes, with or without `call`, is walked by attribute
    return isinstance(layer, Model) and not getattr(layer, "_tracks_layers", False)


def _attribute_key(name):
    return f"~{name}" if name.startswith("_") else name


def children(layer):
    """`[(relative path, sublayer)]` in the order Keras 3 visits them."""
    if _is_graph_model(layer):
        used = {}
        return [(f"layers/{_unique(to_snake_case(keras_class_name(sub)), used)}", sub) for sub in layer.layers]
    from jkeras.models.functional import Model

    tracked = {id(sub) for sub in layer._sublayers}
    attributes = dict(vars(layer))
    if isinstance(layer, Model):  # Keras 3 visits a subclassed model's `layers` property in its place
        attributes.setdefault("layers", list(layer._sublayers))
    found, seen = [], set()
    for attr in sorted(attributes, key=_attribute_key):
        if attr in _SKIPPED_ATTRIBUTES:
            continue
        value = attributes[attr]
        if id(value) in tracked:
            found.append((attr, value))
            continue
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, (list, tuple)) and any(id(v) in tracked for v in value):
            used = {}
            found += [(f"{attr}/{_unique(to_snake_case(keras_class_name(v)), used)}", v)
                      for v in value if id(v) in tracked]
    seen.update(id(sub) for _, sub in found)
    found += [(sub.name, sub) for sub in layer._sublayers if id(sub) not in seen]
    return found


def _own_groups(layer):
    """`[(relative path of a vars group, group name attr, [Variable])]` for the layer's own weights."""
    own = variables.own_weights(layer)
    if keras_class_name(layer) in _CELL_LAYERS and not layer._sublayers:
        params = [w for w in own if w._collection == "params"]
        state = [w for w in own if w._collection != "params"]
        cell_name = f"{to_snake_case(keras_class_name(layer))}_cell"
        return [("vars", layer.name, state), ("cell/vars", cell_name, params)]
    return [("vars", layer.name, own)]


def _stored(layer, weights):
    """`[(Variable, array)]` as the file holds them (a LoRA layer stores its merged matrix only; a
    quantized layer its int8 matrix, its float weights, then the scale, as Keras 3 does)."""
    if isinstance(layer, (LoRAMixin, QuantizableMixin)):
        return layer.stored_weights(weights)
    return [(w, w.numpy()) for w in weights]


def walk(model):
    """Yields `(path, layer)` for each layer in Keras 3's order, each once."""
    visited = set()
    stack = [("", model)]
    while stack:
        path, layer = stack.pop(0)
        if id(layer) in visited:
            continue
        visited.add(id(layer))
        yield path, layer
        stack[0:0] = [(_join(path, rel), child) for rel, child in children(layer)]


def save_weights(model, h5):
    """Writes `model`'s weights into an open h5py File in Keras 3's layout."""
    hooked = dict(layer_hooks.collect_own_variables(model))
    for path, layer in walk(model):
        if path in hooked:
            group = h5.require_group(_join(path, "vars"))
            group.attrs["name"] = layer.name
            for key, value in hooked[path].items():
                group.create_dataset(key, data=value)
            continue
        for rel, name, weights in _own_groups(layer):
            group = h5.require_group(_join(path, rel))
            group.attrs["name"] = name
            for index, (_, value) in enumerate(_stored(layer, weights)):
                group.create_dataset(str(index), data=np.asarray(value))


def _read_group(group):
    keys = sorted(group.keys(), key=lambda k: int(k) if k.isdigit() else -1)
    return [np.asarray(group[k]) for k in keys if k.isdigit()]


def _name_index(h5):
    """Maps layer names (the `name` attr of `vars` groups) to the path of the group holding `vars`."""
    index = {}

    def visit(name, obj):
        if name.endswith("vars") and "name" in getattr(obj, "attrs", {}):
            owner = name[: -len("vars")].rstrip("/")
            attr = obj.attrs["name"]
            index.setdefault(attr.decode() if isinstance(attr, bytes) else str(attr), owner)

    h5.visititems(visit)
    return index


def load_weights(model, h5, skip_mismatch=False, by_name=False):
    """Reads weights in Keras 3's layout from an open h5py File (or group) into `model`.

    Raises:
        ValueError: when a layer's weights are missing or their number or shapes differ (unless
            `skip_mismatch`, which warns and skips); messages name the layer.
    """
    names = _name_index(h5) if by_name else None
    hooked = {id(layer) for _, layer in layer_hooks.hooked_layers(model, ("load_own_variables",))}
    for path, layer in walk(model):
        if names is not None:
            if layer.name not in names:
                continue
            path = names[layer.name]
        if id(layer) in hooked:
            _load_hooked(layer, h5, _join(path, "vars"), skip_mismatch)
            continue
        for rel, _, weights in _own_groups(layer):
            weights = [var for var, _ in _stored(layer, weights)]
            if not weights:
                continue
            location = _join(path, rel)
            values = _read_group(h5[location]) if location in h5 else []
            if len(values) != len(weights):
                message = (f"Layer '{layer.name}' expects {len(weights)} weight(s) "
                           f"({[w.name for w in weights]}), the file has {len(values)} at '/{location}'")
                if skip_mismatch:
                    warnings.warn(f"Skipping loading: {message}", stacklevel=3)
                    continue
                raise ValueError(message + ": it was saved from another architecture.")
            for var, value in zip(weights, values):
                variables.assign(var, value, f"layer '{layer.name}'", skip_mismatch)
            if isinstance(layer, (LoRAMixin, QuantizableMixin)):
                layer.after_stored_load()


def _load_hooked(layer, h5, location, skip_mismatch):
    """Calls the layer's own `load_own_variables` with its `vars` group read into a dict."""
    group = h5[location] if location in h5 else None
    store = {key: np.asarray(group[key]) for key in group.keys()} if group is not None else {}
    try:
        layer.load_own_variables(store)
    except (ValueError, KeyError) as error:
        if not skip_mismatch:
            raise
        warnings.warn(f"Skipping loading of layer '{layer.name}': {error!r}", stacklevel=3)


def save_optimizer(model, h5):
    """Writes `model`'s optimizer state into an open h5py File: Keras 3's `/optimizer/vars`, or a
    `jkeras_optimizer_state` group for a state that has no Keras layout (nothing without optimizer)."""
    values = keras3_optimizer.keras_variables(model)
    if values is None:
        legacy_h5.write_optimizer_group(h5, model)
        return
    group = h5.require_group(OPTIMIZER_VARS)
    group.attrs["name"] = model.optimizer.name
    for index, value in enumerate(values):
        group.create_dataset(str(index), data=value)


def load_optimizer(model, h5, source="the file"):
    """Restores the optimizer state `save_optimizer` (or Keras 3) wrote, into a compiled model.

    Returns:
        True when restored; False when the file holds none or (with a warning) when it does not
        fit the model's optimizer.
    """
    if getattr(model, "optimizer", None) is None:
        return False
    if legacy_h5.OPTIMIZER_GROUP in h5:
        return legacy_h5.read_optimizer_group(h5, model)
    if OPTIMIZER_VARS not in h5:
        return False
    return keras3_optimizer.restore(model, _read_group(h5[OPTIMIZER_VARS]), source=source)

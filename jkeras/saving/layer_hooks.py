"""Keras 3's per-layer saving hooks, and the code that calls them when a model is saved or loaded.

A layer (or model) class may override any of
    get_build_config() / build_from_config(config)   how it is rebuilt before its weights load
    save_own_variables(store) / load_own_variables(store)
                                                     what goes into its weights store: by default
                                                     its own weights under "0", "1", ...
                                                     (trainable ones first); an override may add
                                                     entries (NumPy arrays) under other keys
    save_assets(dir_path) / load_assets(dir_path)    files of its own (a vocabulary) in a directory
`LayerSavingHooks` holds the defaults; `Layer` inherits them.

Saving calls the variable and asset hooks only for layers whose class overrides them, so the
weights of every other layer are written exactly as before. Each hooked layer is known by its
Keras 3 object path (`layers/dense`, `dense1`: see `keras3_h5.walk`), which names its
`.weights.h5` group (`<path>/vars`) and its assets directory (`assets/<path>`) as in Keras 3 files.
In a jkeras checkpoint (inside `.keras`), the stores go next to the variables (`orbax_io`):
    tree   "own_variables": {"0": {"0": array, "1": array, ...}, ...}    # one dict per hooked layer
    index  "own_variables": [{"path": "layers/scaled", "keys": ["0", "extra"]}, ...]
"""
import os
import warnings

import numpy as np

_VARIABLE_HOOKS = ("save_own_variables", "load_own_variables")


class LayerSavingHooks:
    """The default saving hooks of every layer (Keras 3's `Layer` methods of the same names)."""

    def get_build_config(self):
        """The config `build_from_config` rebuilds the layer's weights from.

        Returns:
            `{"input_shape": shape}` (`{"shapes_dict": {...}}` for a call with several tensors) of
            a built layer, else None.
        """
        from jkeras.utils.serialization import _build_config

        return _build_config(self)

    def build_from_config(self, config):
        """Builds the layer from `get_build_config()`'s output (called on load, while unbuilt).

        Args:
            config: dict with `"input_shape"` or `"shapes_dict"`; anything else builds nothing.
        """
        from jkeras.models.node import CallArgs
        from jkeras.saving.model_config import _as_shape

        if not isinstance(config, dict) or getattr(self, "built", True):
            return
        shape = config.get("input_shape")
        shapes = config.get("shapes_dict")
        if shape is None and isinstance(shapes, dict) and shapes:
            shape = CallArgs({k[:-len("_shape")] if k.endswith("_shape") else k: _as_shape(v)
                              for k, v in shapes.items()}, positional=len(shapes))
        elif shape is None:
            return
        else:
            shape = _as_shape(shape)
        if hasattr(self, "_init_graph"):  # a model: its own `build` (Sequential, subclassed)
            self.build(shape)
        else:
            self._maybe_build(shape)

    def save_own_variables(self, store):
        """Writes the layer's own weights (not its sublayers') into `store` under "0", "1", ...

        Args:
            store: a dict-like store; the values written are NumPy arrays.
        """
        from jkeras.saving import variables

        for index, weight in enumerate(variables.own_weights(self)):
            store[str(index)] = np.asarray(weight.numpy())

    def load_own_variables(self, store):
        """Sets the layer's own weights from `store` (as `save_own_variables` wrote it).

        Args:
            store: a dict-like store with the weights under "0", "1", ...

        Raises:
            ValueError: if the store holds another number of entries than the layer has weights,
                or a weight's shape differs.
        """
        from jkeras.saving import variables

        own = variables.own_weights(self)
        keys = list(store.keys())
        if len(keys) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expected {len(own)} variables, but received {len(keys)} variables "
                f"during loading. Expected: {[w.name for w in own]}, received keys: {keys}"
            )
        for index, weight in enumerate(own):
            variables.assign(weight, np.asarray(store[str(index)]), f"layer '{self.name}'", False)

    def save_assets(self, dir_path):
        """Writes the layer's own files into the directory `dir_path` (default: nothing)."""
        del dir_path

    def load_assets(self, dir_path):
        """Reads the files `save_assets` wrote into `dir_path` (default: nothing)."""
        del dir_path


def overrides(obj, name):
    """Whether `obj`'s class defines the hook `name` itself (not `LayerSavingHooks`' default)."""
    method = getattr(type(obj), name, None)
    return method is not None and method is not getattr(LayerSavingHooks, name)


def call_hook(obj, name, *args):
    """`obj.<name>(*args)`, with `LayerSavingHooks`' default when the object has no such method."""
    method = getattr(obj, name, None)
    if method is None:
        return getattr(LayerSavingHooks, name)(obj, *args)
    return method(*args)


def hooked_layers(model, names):
    """`[(path, layer)]` in Keras 3's object order for the layers (the model included) whose
    class overrides any of the hooks `names`."""
    from jkeras.saving.keras3_h5 import walk

    if not any(any(overrides(layer, n) for n in names) for layer in _all_layers(model)):
        return []  # the common case: no walk of the object tree
    return [(path, layer) for path, layer in walk(model) if any(overrides(layer, n) for n in names)]


def _all_layers(model):
    seen, stack = set(), [model]
    while stack:
        layer = stack.pop()
        if id(layer) not in seen:
            seen.add(id(layer))
            yield layer
            stack.extend(getattr(layer, "_sublayers", ()))


def _stored_array(layer, key, value):
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.dtype.kind not in "biufc":
        raise ValueError(
            f"save_own_variables of layer '{layer.name}' stored {key!r} as {array.dtype} data; a saved store "
            "holds numeric arrays only (write text and other files with save_assets instead)"
        )
    return array


def collect_own_variables(model):
    """The stores of the layers whose class overrides `save_own_variables` / `load_own_variables`.

    Returns:
        `[(path, {key: np.ndarray})]` in Keras 3's object order ([] when no layer overrides them).

    Raises:
        ValueError: for a key that is not a str or a value that is not numeric.
    """
    out = []
    for path, layer in hooked_layers(model, _VARIABLE_HOOKS):
        store = {}
        call_hook(layer, "save_own_variables", store)
        for key in store:
            if not isinstance(key, str):
                raise ValueError(f"save_own_variables of layer '{layer.name}' used the key {key!r}; "
                                 "store keys must be str")
        out.append((path, {key: _stored_array(layer, key, value) for key, value in store.items()}))
    return out


def restore_own_variables(model, saved, skip_mismatch=False):
    """Calls `load_own_variables(store)` of each layer whose class overrides it, with the store
    saved for its path (its weights are already set from the checkpoint's variables).

    Args:
        model: the model.
        saved: `[(path, {key: array})]` as `collect_own_variables` returned.
        skip_mismatch: warn instead of raising when a layer's store is missing or fails to load.

    Raises:
        ValueError: when the file holds no store for a hooked layer (unless `skip_mismatch`).
    """
    stores = dict(saved)
    for path, layer in hooked_layers(model, ("load_own_variables",)):
        store = stores.get(path)
        try:
            if store is None:
                raise ValueError(f"The file holds no saved variables for layer '{layer.name}' (at "
                                 f"{path or 'the model'!r}), whose class defines load_own_variables")
            layer.load_own_variables(dict(store))
        except ValueError as error:
            if not skip_mismatch:
                raise
            warnings.warn(f"Skipping loading of layer '{layer.name}': {error}", stacklevel=3)


def _asset_dir(root, path):
    return os.path.join(root, *path.split("/")) if path else root


def save_assets(model, root):
    """Calls `save_assets(dir)` of each layer whose class overrides it, `dir` being
    `root/<object path>` (created), as Keras 3 lays out a `.keras` file's `assets/`."""
    for path, layer in hooked_layers(model, ("save_assets",)):
        directory = _asset_dir(root, path)
        os.makedirs(directory, exist_ok=True)
        layer.save_assets(directory)


def load_assets(model, root):
    """Calls `load_assets(dir)` of each layer whose class overrides it, `dir` being
    `root/<object path>`, or None when the file has no such directory (as Keras 3 does)."""
    for path, layer in hooked_layers(model, ("load_assets",)):
        directory = _asset_dir(root, path)
        layer.load_assets(directory if os.path.isdir(directory) else None)

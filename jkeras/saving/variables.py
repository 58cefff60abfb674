"""Weights and optimizer state as flat, named entries: what every saving format reads and writes.

A weight's path is where it sits in `model.get_variables()`: `("params", "dense_1", "kernel")`,
nested models adding their names. An optimizer-state leaf's path is its key path in the optax
state (`("0", "mu", "dense_1", "kernel")`). Loading matches weights by path, or by their order in
`model.weights` when the layer names differ (a subclassed model built afresh gets new default
names); optimizer leaves follow the same renaming.
"""
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.models import shared_layers


def weight_entries(model):
    """`[(path, Variable)]` in `model.weights` order."""
    chains = shared_layers.places(model)[0]
    return [((var._collection,) + chains[id(var._layer)] + (var.name,), var) for var in model.weights]


def own_weights(layer):
    """The layer's own weights (not its sublayers'), trainable kind first, in Keras's order."""
    return [w for w in layer.weights if w._layer is layer]


def assign(var, value, label, skip_mismatch):
    """Sets `var` to `value`, or warns (skip_mismatch) / raises when the shapes differ.

    Args:
        var: a `Variable`.
        value: an array.
        label: how to name the weight's owner in messages, e.g. "layer 'dense_1'".
        skip_mismatch: warn and skip instead of raising on a shape mismatch.

    Returns:
        True when assigned.

    Raises:
        ValueError: naming the layer, the weight and both shapes, unless `skip_mismatch`.
    """
    value = np.asarray(value)
    if tuple(value.shape) != var.shape:
        message = (f"Shape mismatch in {label} for weight '{var.name}': the model expects shape "
                   f"{var.shape}, the file has shape {tuple(value.shape)}")
        if skip_mismatch:
            warnings.warn(f"Skipping loading: {message}", stacklevel=4)
            return False
        raise ValueError(message)
    var.assign(value)
    return True


def variables_manifest(model):
    """The weight paths in `model.weights` order (a JSON-friendly list of lists)."""
    return [list(path) for path, _ in weight_entries(model)]


def host_variables(model, keep_sharded=False):
    """`model.get_variables()` with NumPy leaves (a copy on the host); with `keep_sharded`, arrays
    spread over several devices stay `jax.Array`s (orbax writes each device's shards)."""
    return jax.tree_util.tree_map(lambda a: _to_host(a, keep_sharded), model.get_variables())


def _to_host(value, keep_sharded):
    if keep_sharded and isinstance(value, jax.Array) and len(value.sharding.device_set) > 1:
        return value
    return np.asarray(value)


def _tree_paths(tree, prefix=()):
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            out.update(_tree_paths(value, prefix + (str(key),)))
        return out
    return {prefix: tree}


def load_variables(model, tree, manifest=None, skip_mismatch=False, by_name=False):
    """Sets the model's weights from a saved `get_variables()`-shaped tree.

    Args:
        model: the model.
        tree: `{"params": ..., "state": ...}` of arrays.
        manifest: the saved weight paths in saved `model.weights` order (for order matching).
        skip_mismatch: skip (with a warning) weights whose shapes differ.
        by_name: load only weights whose path exists in both; others are left as they are.

    Returns:
        A dict mapping saved weight paths to the model's paths where they differ (renamed layers).

    Raises:
        ValueError: if the weights cannot be matched (another architecture) or a shape differs.
    """
    saved = _tree_paths(tree)
    entries = weight_entries(model)
    current = {path: var for path, var in entries}
    if by_name or set(saved) == set(current) or manifest is None:
        missing = [p for p in current if p not in saved]
        if missing and not by_name:
            raise ValueError(
                f"The file has no value for weight(s) {['/'.join(p) for p in missing[:5]]}; it was saved "
                "from another architecture. Use by_name=True to load the weights that match."
            )
        for path, var in entries:
            if path in saved:
                assign(var, saved[path], f"layer '{var._layer.name}'", skip_mismatch)
        return {}
    manifest = [tuple(p) for p in manifest]
    if len(manifest) != len(entries):
        raise ValueError(
            f"The file holds {len(manifest)} weights, the model has {len(entries)}: "
            "it was saved from another architecture."
        )
    renames = {}
    for saved_path, (path, var) in zip(manifest, entries):
        assign(var, saved[saved_path], f"layer '{var._layer.name}'", skip_mismatch)
        if saved_path != path:
            renames[saved_path[1:]] = path[1:]
    return renames


# ------------------------------------------------------------------------------------------------
# Optimizer state


def _key_str(key):
    for attr in ("key", "name", "idx"):
        if hasattr(key, attr):
            return str(getattr(key, attr))
    return str(key)


def optimizer_entries(model, keep_sharded=False):
    """`[(path, np.ndarray)]` for the leaves of `model.optimizer.state` ([] when there is none);
    `keep_sharded` as in `host_variables`."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(optimizer, "state", None) is None:
        return []
    leaves, _ = jax.tree_util.tree_flatten_with_path(optimizer.state)
    return [(tuple(_key_str(k) for k in path), _to_host(leaf, keep_sharded)) for path, leaf in leaves]


def _rename(path, renames):
    for start in range(len(path)):
        tail = path[start:]
        if tail in renames:
            return path[:start] + tuple(renames[tail])
    return path


def restore_optimizer(model, entries, renames=None):
    """Sets `model.optimizer.state` from saved `(path, value)` entries, for a compiled model.

    The state structure comes from the model's optimizer (`transform.init` of the trainable
    weights); each leaf takes the saved value at the same path. If the saved state does not fit
    (another optimizer, other trainable weights), nothing changes and a warning says so.

    Returns:
        True when the state was restored.
    """
    from jkeras.core import step as core_step

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not entries:
        return False
    saved = {_rename(tuple(path), renames or {}): value for path, value in entries}
    params = model.get_variables()["params"]
    trainable, _ = core_step.partition(params, model.trainable_mask(params))
    fresh = optimizer.transform.init(trainable)
    leaves, treedef = jax.tree_util.tree_flatten_with_path(fresh)
    keys = [tuple(_key_str(k) for k in path) for path, _ in leaves]
    problem = None
    if set(keys) != set(saved):
        problem = f"{len(saved)} saved leaves, {len(keys)} expected"
    else:
        problem = next((f"at {'/'.join(key)}" for key, (_, leaf) in zip(keys, leaves)
                        if tuple(np.shape(saved[key])) != tuple(np.shape(leaf))), None)
    if problem is not None:
        warnings.warn(
            f"The saved optimizer state does not fit the model's optimizer ({problem}); training will "
            "start with a fresh optimizer state.",
            stacklevel=3,
        )
        return False
    values = [jnp.asarray(saved[key], dtype=jnp.result_type(leaf)) for key, (_, leaf) in zip(keys, leaves)]
    optimizer.state = jax.tree_util.tree_unflatten(treedef, values)
    model._opt_structure = jax.tree_util.tree_structure(trainable)
    return True

"""Keras 3's Orbax checkpoints (`keras.callbacks.OrbaxCheckpoint`): written and read as Keras 3 does.

A checkpoint directory holds one step directory per save (`<directory>/<step>/`), written with
orbax's v1 `training.Checkpointer`; each step holds the checkpointables
    pytree         `model.get_state_tree()`: trainable, non-trainable, optimizer and metrics
                   variables as nested dicts keyed by the parts of their paths
    model_config   `{"config": <the model's config JSON, as in a .keras archive>}` (absent with
                   `save_weights_only`)
so Keras 3 and jkeras read each other's checkpoints. Arrays are read back to the host and laid out
as the current distribution says (a checkpoint saved sharded one way loads under another layout).
"""
import os


def ocp():
    """orbax-checkpoint's v1 API.

    Raises:
        ImportError: when orbax-checkpoint is not installed.
    """
    try:
        import orbax.checkpoint as orbax_checkpoint
    except ImportError:
        raise ImportError("OrbaxCheckpoint requires the 'orbax-checkpoint' package. You can install it via "
                          "pip install orbax-checkpoint") from None
    return orbax_checkpoint.v1


def is_checkpoint(path):
    """Whether `path` is a directory of Keras 3 Orbax checkpoints (or one step of it)."""
    if not os.path.isdir(path):
        return False
    try:
        contents = os.listdir(path)
    except OSError:
        return False
    if {"pytree", "_CHECKPOINT_METADATA"} <= set(contents):
        return True  # one step
    return any(item.isdigit() and os.path.isdir(os.path.join(path, item, "pytree")) for item in contents)


def _step_path(path):
    """`(root directory, step)` of the checkpoint to read: `path` itself when it is a step, else its
    newest step.

    Raises:
        ValueError: when the directory holds no complete checkpoint.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.isdir(os.path.join(path, "pytree")) and os.path.basename(path).isdigit():
        return os.path.dirname(path), int(os.path.basename(path))
    latest = ocp().training.Checkpointer(directory=path).latest
    if latest is None:
        raise ValueError(f"No valid checkpoints found in {path}")
    return path, latest.step


def _load(path, names):
    root, step = _step_path(path)
    checkpointer = ocp().training.Checkpointer(directory=root)
    try:
        saved = set(checkpointer.checkpointables_metadata(step).metadata.keys())
        return saved, checkpointer.load_checkpointables(step, {name: None for name in names if name in saved})
    finally:
        checkpointer.close()


def _host(state):
    """The restored state tree with NumPy arrays, the model's variables placed as the current
    distribution lays out their paths (not as the checkpoint was sharded when it was saved)."""
    import jax
    import numpy as np

    from jkeras.models import _sharding

    def lay_out(tree, prefix):
        return {key: lay_out(value, f"{prefix}{key}/") if isinstance(value, dict)
                else _sharding.lay_out_weight(prefix + key, value) for key, value in tree.items()}

    state = jax.tree_util.tree_map(np.asarray, dict(state))
    for kind in ("trainable_variables", "non_trainable_variables"):
        if kind in state:
            state[kind] = lay_out(state[kind], "")
    return state


def load_weights(model, path):
    """Sets the variables of `model` (and of its optimizer, when compiled) from the newest
    checkpoint under `path` (or the step directory `path`)."""
    _, loaded = _load(path, ["pytree"])
    model.set_state_tree(_host(loaded["pytree"]))


def load_model(path, build):
    """The model of the newest checkpoint under `path`, with its state.

    Args:
        path: a checkpoint directory or one of its step directories.
        build: `config_text -> (model, compiled)`, as `saving_api._build`.

    Raises:
        ValueError: when the checkpoint holds no model configuration (`save_weights_only`).
    """
    saved, loaded = _load(path, ["model_config", "pytree"])
    if "model_config" not in saved:
        raise ValueError("Checkpoint does not contain model configuration. This checkpoint may have been "
                         "saved with save_weights_only=True.")
    model, compiled = build(loaded["model_config"]["config"])
    state = dict(_host(loaded["pytree"]))
    if not compiled:
        state.pop("optimizer_variables", None)
        state.pop("metrics_variables", None)
    model.set_state_tree(state)
    return model

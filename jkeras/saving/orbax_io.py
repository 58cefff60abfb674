"""Weights and optimizer state through orbax-checkpoint.

A checkpoint directory written by `save_checkpoint` holds
    state/       an orbax `StandardCheckpointer` save of
                     {"variables": model.get_variables(),      # {"params": {...}, "state": {...}}
                      "optimizer": {"0": leaf, "1": leaf, ...},  # the optax state leaves ({} if none)
                      "own_variables": {"0": {"0": array, ...}}}  # only with layers overriding
                                                                 # save/load_own_variables
    index.json   {"weights": [weight paths in model.weights order],
                  "optimizer": [key path of each optimizer leaf],
                  "own_variables": [{"path": object path, "keys": [store keys]}]}  # see layer_hooks
Arrays on one device are written as NumPy arrays; arrays spread over several devices (a
`jkeras.distribution`) as `jax.Array`s, each host writing its own shards. Every checkpoint is read
back as NumPy arrays, so it loads on any number of devices.

`TrainingCheckpointer` keeps the last N such checkpoints of a training run with an orbax
`CheckpointManager`, writing in the background while training goes on.
"""
import json
import os
import threading

import jax
import numpy as np

from jkeras.saving import layer_hooks, variables

INDEX_FILE = "index.json"

# TrainingCheckpointers not closed yet, by directory. They stay referenced (their saves in flight
# continue after an interrupted fit drops its callbacks) and a new one waits for them.
_OPEN = {}
_OPEN_LOCK = threading.Lock()


def _ocp():
    import orbax.checkpoint as ocp

    return ocp


def checkpoint_tree(model, include_optimizer=True):
    """The pytree a checkpoint stores, and its JSON index (host copies or immutable device arrays
    the model no longer changes: safe to write later)."""
    entries = variables.optimizer_entries(model, keep_sharded=True) if include_optimizer else []
    tree = {
        "variables": variables.host_variables(model, keep_sharded=True),
        "optimizer": {str(i): value for i, (_, value) in enumerate(entries)},
    }
    index = {"weights": variables.variables_manifest(model),
             "optimizer": [list(path) for path, _ in entries]}
    stores = layer_hooks.collect_own_variables(model)
    if stores:
        tree["own_variables"] = {str(i): {str(j): value for j, value in enumerate(store.values())}
                                 for i, (_, store) in enumerate(stores)}
        index["own_variables"] = [{"path": path, "keys": list(store)} for path, store in stores]
    return tree, index


def save_checkpoint(model, directory, include_optimizer=True):
    """Writes the model's weights (and optimizer state) into `directory` (created if needed)."""
    tree, index = checkpoint_tree(model, include_optimizer)
    with _ocp().StandardCheckpointer() as checkpointer:
        checkpointer.save(os.path.abspath(os.path.join(directory, "state")), tree)
        checkpointer.wait_until_finished()
    with open(os.path.join(directory, INDEX_FILE), "w") as f:
        json.dump(index, f)


def is_checkpoint(directory):
    return os.path.isfile(os.path.join(directory, INDEX_FILE)) and os.path.isdir(os.path.join(directory, "state"))


def read_checkpoint(directory):
    """The stored tree (NumPy leaves) and index of a `save_checkpoint` directory."""
    try:
        with open(os.path.join(directory, INDEX_FILE)) as f:
            index = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"Cannot read the checkpoint index {os.path.join(directory, INDEX_FILE)!r}: it is not "
                         f"valid JSON or unreadable; the checkpoint is damaged ({type(error).__name__}: {error})"
                         ) from error
    if not isinstance(index, dict) or not isinstance(index.get("weights", []), list):
        raise ValueError(f"{os.path.join(directory, INDEX_FILE)!r} is not a jkeras checkpoint index (expected "
                         '{"weights": [...], "optimizer": [...]})')
    try:
        with _ocp().StandardCheckpointer() as checkpointer:
            path = os.path.abspath(os.path.join(directory, "state"))
            tree = checkpointer.restore(path, _host_target(path))
    except Exception as error:  # orbax / tensorstore raise many kinds for a damaged checkpoint
        raise ValueError(f"Cannot read the orbax checkpoint in {os.path.join(directory, 'state')!r}: it is "
                         f"incomplete or damaged ({type(error).__name__}: {error})") from error
    if not isinstance(tree, dict) or "variables" not in tree:
        raise ValueError(f"The checkpoint in {directory!r} holds no 'variables' tree: not a jkeras checkpoint")
    return tree, index


def _host_target(path):
    """A restore target of NumPy arrays shaped as the arrays saved in the orbax item `path`
    (whatever devices wrote them), from the item's metadata."""
    from etils import epath

    tree = _ocp().StandardCheckpointHandler().metadata(epath.Path(path)).tree
    return jax.tree_util.tree_map(lambda m: np.zeros(m.shape, m.dtype), tree)


def apply_checkpoint(model, tree, index, skip_mismatch=False, by_name=False, optimizer=True):
    """Sets the model's weights (and optimizer state, when compiled) from a checkpoint tree.

    Returns:
        Whether the optimizer state was restored.
    """
    renames = variables.load_variables(model, tree["variables"], manifest=index.get("weights"),
                                       skip_mismatch=skip_mismatch, by_name=by_name)
    _restore_own_variables(model, tree, index, skip_mismatch)
    if not optimizer or by_name:
        return False
    leaves = tree.get("optimizer") or {}
    entries = [(tuple(path), np.asarray(leaves[str(i)])) for i, path in enumerate(index.get("optimizer", []))]
    return variables.restore_optimizer(model, entries, renames)


def _restore_own_variables(model, tree, index, skip_mismatch):
    """Gives the layers that override `load_own_variables` the stores their saves wrote."""
    if not layer_hooks.hooked_layers(model, ("load_own_variables",)):
        return
    stored = tree.get("own_variables") or {}
    saved = []
    for i, entry in enumerate(index.get("own_variables") or []):
        values = stored.get(str(i), {})
        saved.append((entry["path"], {key: np.asarray(values[str(j)]) for j, key in enumerate(entry["keys"])}))
    layer_hooks.restore_own_variables(model, saved, skip_mismatch=skip_mismatch)


def load_checkpoint(model, directory, skip_mismatch=False, by_name=False):
    tree, index = read_checkpoint(directory)
    return apply_checkpoint(model, tree, index, skip_mismatch=skip_mismatch, by_name=by_name)


class TrainingCheckpointer:
    """The last `max_to_keep` checkpoints of a training run, saved in the background.

    Each step is a directory `<directory>/<step>/` holding the model's weights and optimizer state
    (as `save_checkpoint` stores them) and a JSON `metadata` entry (e.g. the epoch).

    Args:
        directory: where the checkpoints go (created).
        max_to_keep: how many of the newest checkpoints to keep; None keeps all.
        async_save: write in a background thread (the host copy of the arrays is made before
            `save` returns, so training can go on changing them).
    """

    def __init__(self, directory, max_to_keep=1, async_save=True):
        ocp = _ocp()
        self.directory = os.path.abspath(os.fspath(directory))
        with _OPEN_LOCK:
            older = list(_OPEN.get(self.directory, []))
        for checkpointer in older:
            checkpointer.wait_until_finished()  # e.g. the backup of a fit that was interrupted
        options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, enable_async_checkpointing=async_save,
                                               create=True)
        self._manager = ocp.CheckpointManager(self.directory, options=options)
        self._closed = False
        with _OPEN_LOCK:
            _OPEN.setdefault(self.directory, []).append(self)

    def save(self, step, model, metadata=None):
        """Starts saving `model` as checkpoint `step` (returns before the write ends when async)."""
        ocp = _ocp()
        tree, index = checkpoint_tree(model)
        meta = {"index": index, "metadata": metadata or {}}
        self._manager.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(tree),
                                                         meta=ocp.args.JsonSave(meta)), force=True)

    def latest_step(self):
        """The newest complete checkpoint's step, or None."""
        self._manager.reload()
        return self._manager.latest_step()

    def all_steps(self):
        self._manager.reload()
        return list(self._manager.all_steps())

    def restore(self, model, step=None):
        """Loads checkpoint `step` (default the newest) into `model`.

        Returns:
            The metadata saved with it, or None when there is no checkpoint.
        """
        ocp = _ocp()
        step = self.latest_step() if step is None else step
        if step is None:
            return None
        target = _host_target(os.path.join(self.directory, str(step), "state"))
        restored = self._manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(target),
                                                                       meta=ocp.args.JsonRestore()))
        tree = restored["state"]
        tree = {"variables": tree["variables"], "optimizer": tree.get("optimizer", {}),
                "own_variables": tree.get("own_variables", {})}
        apply_checkpoint(model, tree, restored["meta"]["index"])
        return restored["meta"]["metadata"]

    def wait_until_finished(self):
        """Blocks until the saves in flight are written."""
        if not self._closed:
            self._manager.wait_until_finished()

    def close(self):
        """Waits for the saves in flight, then releases the manager."""
        if not self._closed:
            self._manager.close()
            self._closed = True
            with _OPEN_LOCK:
                _OPEN[self.directory] = [c for c in _OPEN.get(self.directory, []) if c is not self]

"""Where `fit` / `evaluate` / `predict` put arrays when a `jkeras.distribution` is set.

Weights lie as the distribution's layout says (by their path, e.g. "dense/kernel"), each
optimizer-state leaf like the weight it belongs to, metric state and keys replicated. Array data
is replicated, so every device takes batches locally; each batch is then constrained
to be split over the batch axis, and XLA inserts the collectives. With no distribution every
function here but `place_batch` (a stream's batches) returns its input unchanged.
"""
import collections
import functools

import jax
import numpy as np
from jax.tree_util import DictKey

from jkeras import distribution as distribution_lib


def active():
    """The current distribution, or None."""
    return distribution_lib.distribution()


def lay_out_weight(path, value):
    """A weight being created, placed as the current distribution says for `path` ("layer/name")."""
    dist = active()
    if dist is None:
        return value
    return jax.device_put(value, dist._weight_sharding(path, tuple(value.shape)))


def lay_out_outputs(layer_name, outputs):
    """A layer's outputs with the current distribution's layout for "<layer_name>/output", if any
    (Keras's `get_tensor_layout`: a sharding constraint inside `jax.jit`)."""
    dist = active()
    layout = None if dist is None else dist.get_tensor_layout(f"{layer_name}/output")
    if layout is None:
        return outputs
    return jax.tree_util.tree_map(lambda out: distribution_lib.distribute_tensor(out, layout), outputs)


# XLA:CPU (jaxlib 0.10) can deadlock when dozens of programs with collectives over several CPU
# devices (`--xla_force_host_platform_device_count`) are queued at once: an all-reduce waits
# forever for a device that never arrives. `paced` keeps at most this many calls in flight there.
_MAX_IN_FLIGHT = 8
_in_flight = collections.deque()


def paced(dist, fn):
    """`fn`, which, when `dist` spans several CPU devices, waits for the call `_MAX_IN_FLIGHT`
    calls back before returning (shared by every paced program). Elsewhere `fn` itself: on one
    device or an accelerator, calls queue freely."""
    if dist is None or len(dist.device_mesh.backend_mesh.devices.flat) < 2 or any(
            d.platform != "cpu" for d in dist.device_mesh.backend_mesh.devices.flat):
        return fn

    @functools.wraps(fn)
    def call(*args):
        outputs = fn(*args)
        leaves = jax.tree_util.tree_leaves(outputs)
        if leaves:
            _in_flight.append(leaves[-1])  # the last output (logs, a row index): never donated
        while len(_in_flight) > _MAX_IN_FLIGHT:
            oldest = _in_flight.popleft()
            if isinstance(oldest, jax.Array) and not oldest.is_deleted():
                oldest.block_until_ready()
        return outputs

    return call


def check_batch_size(dist, batch_size, method, name="batch_size"):
    """Raises a ValueError unless `batch_size` splits evenly over the distribution's batch axis."""
    parts = dist.num_model_replicas
    if batch_size % parts:
        raise ValueError(f"{method}: {name}={batch_size} cannot be split over the {parts} devices of the "
                         f"'{dist.batch_dim_name}' axis of {dist}; use a multiple of {parts}")


def _keys(path):
    return tuple(str(k.key) for k in path if isinstance(k, DictKey))


def _variable_shardings(dist, variables, found):
    """Shardings for `{"params": ..., "state": ...}`; records `found[path keys] = (shape, sharding)`."""

    def sharding(path, leaf):
        keys = _keys(path)
        placed = dist._weight_sharding("/".join(keys), tuple(leaf.shape))
        found[keys] = (tuple(leaf.shape), placed)
        return placed

    return {collection: jax.tree_util.tree_map_with_path(sharding, tree) for collection, tree in variables.items()}


def variable_shardings(dist, variables):
    """`NamedSharding`s for a `{"params": ..., "state": ...}` tree (weight paths without the collection)."""
    return _variable_shardings(dist, variables, {})


def train_state_shardings(dist, ts):
    """`NamedSharding`s for a `TrainState`: optimizer leaves follow the weight whose path ends
    theirs (same shape), other leaves are replicated."""
    found = {}
    weights = _variable_shardings(dist, {"params": ts.params, "state": ts.state}, found)
    replicated = dist._replicated()

    def like_weight(path, leaf):
        keys = _keys(path)
        for start in range(len(keys)):
            hit = found.get(keys[start:])
            if hit is not None and hit[0] == tuple(leaf.shape):
                return hit[1]
        return replicated

    return ts._replace(
        params=weights["params"], state=weights["state"],
        opt_state=jax.tree_util.tree_map_with_path(like_weight, ts.opt_state),
        metrics=jax.tree_util.tree_map(lambda _: replicated, ts.metrics),
        rng=jax.tree_util.tree_map(lambda _: replicated, ts.rng),
    )


def place(tree, shardings, copy=False):
    """`jax.device_put(tree, shardings)`; leaves already placed so are returned as they are unless
    `copy` (new buffers with strong dtypes, safe to donate: `jkeras.core.step.fresh_copy`'s job)."""
    if copy:
        tree = jax.tree_util.tree_map(
            lambda a: jax.lax.convert_element_type(a, a.dtype) if getattr(a, "weak_type", False) else a, tree)
    return jax.device_put(tree, shardings, may_alias=False if copy else None)


def laid_out(carry):
    """`(variables, *others)` with the weights laid out as the current distribution says and the
    others (metric states) replicated; unchanged without a distribution."""
    dist = active()
    if dist is None:
        return carry
    shardings = (variable_shardings(dist, carry[0]),) + (dist._replicated(),) * (len(carry) - 1)
    return place(tuple(carry), shardings)


def copy(tree):
    """New buffers for the arrays of `tree`, each with its own sharding (also across hosts)."""
    return place(tree, jax.tree_util.tree_map(lambda a: a.sharding, tree), copy=True)


def place_data(tree):
    """Array data for device-side batches: replicated on every device of the current mesh."""
    dist = active()
    if dist is None:
        return jax.device_put(tree)
    return jax.device_put(tree, dist._replicated())


def place_batch(tree, method):
    """A host batch (a stream's) for the step's call, as a copy: JAX takes a NumPy array without
    copying it (`jax.device_put` and a jitted call's arguments: jax-ml/jax#37830) and reads it when
    the asynchronous step runs, so a source that refills one buffer for every batch would change
    the batches it handed over. Under a distribution the batch is split over the batch axis (each
    process passes its own rows); otherwise it goes on the device on an accelerator, so that the
    copy overlaps the running step, and stays on the host on a CPU, whose device memory is the
    host's (the call takes it with its other arguments; a `device_put` costs 15-20 us an array)."""
    tree = jax.tree_util.tree_map(lambda a: a.copy() if isinstance(a, np.ndarray) else a, tree)
    dist = active()
    if dist is None:
        return tree if jax.default_backend() == "cpu" else jax.device_put(tree)
    sharding = dist._batch_sharding()

    def put(a):
        if a is None:
            return None
        if jax.process_count() == 1:
            check_batch_size(dist, a.shape[0], method, "batch size")
        return jax.make_array_from_process_local_data(sharding, a)

    return jax.tree_util.tree_map(put, tree)


def constrain_batch(dist, batch):
    """Inside `jax.jit`: every array of `batch` split over the batch axis."""
    sharding = dist._batch_sharding()
    return jax.tree_util.tree_map(
        lambda a: a if a is None or a.ndim == 0 else jax.lax.with_sharding_constraint(a, sharding), batch)


def train_step(dist, step, batch_size=None, method="fit"):
    """`step(ts, batch)` with the batch split over the batch axis and the new state laid out like
    the old one (so every call reuses one compiled program); `step` itself when `dist` is None.

    Raises:
        ValueError: if `batch_size` does not split evenly over the batch axis.
    """
    if dist is None:
        return step
    if batch_size is not None:
        check_batch_size(dist, batch_size, method)

    def run(ts, batch):
        ts, logs = step(ts, constrain_batch(dist, batch))
        return jax.lax.with_sharding_constraint(ts, train_state_shardings(dist, ts)), logs

    return run


def batch_step(dist, step, batch_arg, batch_size, method, gathered=None):
    """`step(*args)` with its argument `batch_arg` split over the batch axis; `step` when `dist` is None.

    Args:
        gathered: index of a result to replicate on every device (predictions: every host can
            then read them whole).

    Raises:
        ValueError: if `batch_size` does not split evenly over the batch axis.
    """
    if dist is None:
        return step
    check_batch_size(dist, batch_size, method)

    def run(*args):
        args = list(args)
        args[batch_arg] = constrain_batch(dist, args[batch_arg])
        results = step(*args)
        if gathered is None:
            return results
        results = list(results)
        results[gathered] = jax.lax.with_sharding_constraint(results[gathered], dist._replicated())
        return tuple(results)

    return run

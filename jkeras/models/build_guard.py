"""A memory budget for building layers from configs that come from files (a model may be hostile).

While `limit_weight_memory()` is active (`model_from_config` and everything that loads a model
enter it), `Layer._maybe_build` first computes the shapes of the weights it is about to create
with `jax.eval_shape` (nothing is allocated) and refuses a layer whose weights would need more
memory than the machine has.
"""
import contextlib
import contextvars
import os

import jax
import numpy as np

_budget = contextvars.ContextVar("jkeras_weight_memory_budget", default=None)


def machine_memory_bytes():
    """The host's physical memory, or the largest accelerator memory if that is larger."""
    try:
        host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        host = 1 << 40
    device = 0
    for dev in jax.local_devices():
        stats = dev.memory_stats() if hasattr(dev, "memory_stats") else None
        if stats and stats.get("bytes_limit"):
            device = max(device, int(stats["bytes_limit"]))
    return max(host, device)


@contextlib.contextmanager
def limit_weight_memory(max_bytes=None):
    """Within the block, building a layer whose weights need more than `max_bytes` raises.

    Args:
        max_bytes: the budget; default: the enclosing block's budget, else `machine_memory_bytes()`.
    """
    if max_bytes is None:
        max_bytes = _budget.get() if _budget.get() is not None else machine_memory_bytes()
    token = _budget.set(int(max_bytes))
    try:
        yield
    finally:
        _budget.reset(token)


def _human(num_bytes):
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if num_bytes < 1000 or unit == "PB":
            return f"{num_bytes:.1f} {unit}"
        num_bytes /= 1000.0


def check_build(layer, input_shape):
    """Raises before `layer` allocates weights larger than the active budget (no-op outside one).

    Raises:
        ValueError: naming the layer, the input shape, the largest weight and both sizes.
    """
    budget = _budget.get()
    if budget is None:
        return
    if any(isinstance(d, (int, np.integer)) and d > budget for d in jax.tree_util.tree_leaves(input_shape)):
        raise layer._error(f"input shape {input_shape} has a dimension larger than this machine's memory "
                           f"({_human(budget)}); the config is damaged or hostile")
    try:
        spec = jax.eval_shape(lambda key: layer.init(key, input_shape), jax.random.PRNGKey(0))
    except Exception:  # the real build reports its own, clearer error
        return
    leaves = jax.tree_util.tree_flatten_with_path(spec)[0]
    sizes = [(int(np.prod(leaf.shape, dtype=object)) * np.dtype(leaf.dtype).itemsize, path, leaf)
             for path, leaf in leaves]
    total = sum(size for size, _, _ in sizes)
    if total > budget:
        size, path, leaf = max(sizes, key=lambda item: item[0])
        name = "/".join(str(getattr(p, "key", p)) for p in path)
        raise layer._error(
            f"building it for input shape {input_shape} would allocate {_human(total)} of weights "
            f"(the largest, '{name}', has shape {tuple(leaf.shape)}), more than this machine's memory "
            f"({_human(budget)}); refusing to build it (the config is damaged or hostile)"
        )

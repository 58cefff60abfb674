"""A scoped side channel for losses that layers add during `apply` (activity regularizers, `add_loss`).

`apply` stays a pure function of its arguments: a loss added inside it is only recorded while a
`collect_losses()` block is open around the call, and the caller returns what was collected from the
traced function. Outside such a block, added losses are dropped.
"""
import contextlib
import threading

_local = threading.local()


@contextlib.contextmanager
def collect_losses():
    """Collects the losses added by layers inside the block.

    Yields:
        A list that receives each added loss (a scalar array).
    """
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    collected = []
    stack.append(collected)
    try:
        yield collected
    finally:
        stack.pop()


def add_loss(value):
    """Records `value` (a scalar) in the innermost open `collect_losses()` block, if any."""
    stack = getattr(_local, "stack", None)
    if stack:
        stack[-1].append(value)


@contextlib.contextmanager
def batch_rows(valid):
    """Marks which rows of the batch being traced are real samples.

    `fit`, `evaluate` and `predict` pad a short last batch to the full batch size (so one compiled
    program serves every batch) and open this block around the step: losses, metrics and layers
    that pool over the batch (BatchNormalization's moments) leave the padded rows out.

    Args:
        valid: boolean array `(batch,)`, True for real rows; None means every row is real.
    """
    previous = getattr(_local, "rows", None)
    _local.rows = valid
    try:
        yield
    finally:
        _local.rows = previous


def valid_rows():
    """The boolean `(batch,)` array of real rows set by the innermost `batch_rows` block, or None."""
    return getattr(_local, "rows", None)

"""A scoped side channel for losses that layers add during `apply` (activity regularizers, `add_loss`).

`apply` stays a pure function of its arguments: a loss added inside it is only recorded while a
`collect_losses()` block is open around the call, and the caller returns what was collected from the
traced function. Outside such a block, added losses are dropped. Metrics that layers update in
`call` are handled alike (`bind_metric_states()`).
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
def bind_metric_states(states):
    """Lets the metrics that layers update in `call` (the "endpoint layer" pattern:
    `self.accuracy_metric.update_state(...)`) accumulate into traced states.

    Args:
        states: dict `id(metric) -> state` of the metrics a step carries.

    Yields:
        The dict, which each `update_state` of a bound metric replaces its entry of.
    """
    previous = getattr(_local, "metric_states", None)
    _local.metric_states = dict(states)
    try:
        yield _local.metric_states
    finally:
        _local.metric_states = previous


def bound_metric_states():
    """The dict of the innermost `bind_metric_states` block, or None outside one."""
    return getattr(_local, "metric_states", None)


@contextlib.contextmanager
def batch_rows(valid, short=None):
    """Marks which rows of the batch being traced are real samples.

    `fit`, `evaluate` and `predict` pad a short last batch to the full batch size (so one compiled
    program serves every batch) and open this block around the step: losses, metrics and layers
    that pool over the batch (BatchNormalization's moments) leave the padded rows out.

    Args:
        valid: boolean array `(batch,)`, True for real rows; None means every row is real.
        short: the number of real rows of a padded batch (an int known when tracing: the epoch's
            short last batch), for code that must see only them (a custom metric's
            `update_state`); a batch has all its rows real, none, or `short`.
    """
    previous = getattr(_local, "rows", None), getattr(_local, "short", None)
    _local.rows, _local.short = valid, short
    try:
        yield
    finally:
        _local.rows, _local.short = previous


def valid_rows():
    """The boolean `(batch,)` array of real rows set by the innermost `batch_rows` block, or None."""
    return getattr(_local, "rows", None)


def short_batch_size():
    """The real rows of a padded batch (an int) set by the innermost `batch_rows` block, or None."""
    return getattr(_local, "short", None)

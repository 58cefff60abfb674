"""How `fit` runs its epochs: a `FitLoop` holds the train state and calls the batch callbacks;
`ArrayEpochs` (device-resident arrays) and `StreamEpochs` (generators / Sequences) each train one
epoch through it with `run(loop, epoch)`."""
import contextlib
import functools

import jax
import jax.numpy as jnp

from jkeras.models import data_adapter
from jkeras.models._generator_adapter import SampleCount


class FitLoop:
    """What `fit` threads through its steps: the train state, kept current after every step (so
    an error mid-epoch still writes back the last good weights), and the batch callbacks.

    Between steps the state is held as its list of leaves, which the jitted programs take and
    return (`call`); `ts` rebuilds the `TrainState` only when something reads it.
    """

    def __init__(self, model, cbs, ts):
        self.model, self.cbs = model, cbs
        self._ts = self._treedef = None
        self.ts = ts
        self._want_begin = cbs.wants("on_train_batch_begin")
        self._want_end = cbs.wants("on_train_batch_end")
        # Callbacks that read the model's weights mid-epoch (ModelCheckpoint(save_freq=N)).
        self._weights_on_batch = any(getattr(cb, "_weights_on_batch", False) for cb in cbs.callbacks)

    @property
    def ts(self):
        """The train state (a `jkeras.core.step.TrainState`)."""
        if self._ts is None:
            self._ts = self._treedef.unflatten(self._leaves)
        return self._ts

    @ts.setter
    def ts(self, ts):
        if ts is self._ts:
            return
        leaves, treedef = jax.tree_util.tree_flatten(ts)
        if self._treedef is None or treedef != self._treedef:
            self._programs = {}
        self._ts, self._leaves, self._treedef = ts, leaves, treedef

    def call(self, make, *args):
        """Runs one jitted call of the program `make(carry=treedef)` on the train state and `args`.

        Returns:
            The program's outputs after the new state (logs, and the next start row for
            `jkeras.core.step.indexed`).
        """
        fn = self._programs.get(make)
        if fn is None:
            fn = self._programs[make] = make(carry=self._treedef)
        self._leaves, *outs = fn(self._leaves, *args)
        self._ts = None
        return outs

    def before(self, step):
        if self._want_begin:
            self.ts = self.model._sync_optimizer(self.ts, self.cbs.on_train_batch_begin, step)

    def after(self, step, logs):
        """Runs the batch-end callbacks; returns whether training should stop."""
        if self._weights_on_batch:
            self.model._write_back(self.ts, copy=True)
        if self._want_end:
            self.ts = self.model._sync_optimizer(self.ts, self.cbs.on_train_batch_end, step, logs)
        return self.model.stop_training


class ArrayEpochs:
    """`fit`'s epochs over array data (`data_adapter.Rows`: on the device once, or handed to each
    call from the host); each epoch's row order is drawn on the host and each jitted call takes its
    batch(es) from there (`steps_per_execution` per call). The short last batch is padded and
    masked (`jkeras.core.step.indexed`): one compiled program (and, with `steps_per_execution`,
    one more for an epoch's short last group of steps)."""

    def __init__(self, model, data, batch_size, steps_per_epoch, shuffle, steps_per_execution):
        self.rows = data_adapter.Rows(data, batch_size)
        self.batch_size, self.shuffle, self.spe = batch_size, shuffle, steps_per_execution
        self.num_samples = data.num_samples
        steps_per_epoch = resolve_steps(steps_per_epoch, batch_size, self.num_samples)
        if steps_per_epoch is None:
            self.steps, self.limit = -(-self.num_samples // batch_size), self.num_samples
        else:
            self.steps = int(steps_per_epoch)
            self.limit = self.steps * batch_size  # rows cycle: every one is real
        self.last = model._exact_last_batch(self.num_samples, batch_size, steps_per_epoch, "fit")
        limit = self.limit if self.last is None else self.num_samples - self.last
        self.seed = None
        # The train programs (`FitLoop.call`): full groups of steps_per_execution steps, a short
        # last group in a program of its own, and (`last`) the short last batch alone.
        full = functools.partial(model._train_fn, steps_per_execution, batch_size, limit,
                                 per_call=not self.rows.on_device)
        self._programs = {"full": full, "short": functools.partial(full, every_step=False),
                          "last": functools.partial(model._train_fn, 1, self.last, None)}

    def set_key(self, key):
        self.seed = data_adapter.seed_of(key)

    def single_call(self):
        """Whether an epoch is one jitted call (one step)."""
        return self.steps == 1

    def keep_inputs(self):
        """Makes the train programs leave their inputs alive (not donated)."""
        self._programs = {kind: functools.partial(make, donate=False) for kind, make in self._programs.items()}

    def run(self, loop, epoch):
        """Trains one epoch; returns the last step's (device) logs."""
        # One batch holding each row once: its rows' order changes nothing it computes (and
        # drawing it costs a one-batch `fit`, a reinforcement-learning agent's step, 30 us).
        shuffle = self.shuffle and not (self.steps == 1 and self.limit <= self.num_samples)
        order = data_adapter.epoch_order(self.num_samples, shuffle, self.batch_size, self.seed + [epoch])
        feed = self.rows.feed(order, self.spe * self.batch_size)
        start, logs = data_adapter.first_row(), {}
        for step, stop, calls in call_groups(self.steps, self.spe, self.batch_size, self.last,
                                             not self.rows.on_device):
            loop.before(step)
            data = next(feed)
            for kind, row in calls:
                if kind == "last":
                    logs, _ = loop.call(self._programs[kind], data, row)
                else:
                    logs, start = loop.call(self._programs[kind], data, start)
            if loop.after(stop - 1, logs):
                break
        return logs


def call_groups(steps, spe, batch_size, last, per_call):
    """The jitted calls of one pass of `steps` batches over array data, `spe` steps per call.

    Yields `(step, stop, calls)` for each group of calls that takes the same fed rows (the feed's
    next item): steps `step .. stop - 1`, run by `calls`, a list of `(kind, row)`: "full" (`spe`
    steps), "short" (the steps left, fewer) or, given the size `last` of a short last batch that
    runs alone, "last": that batch, read at row `row` of the data the call is handed (the epoch's
    rows, or with `per_call` just the group's). The other calls start where the last one ended.
    """
    step = 0
    while step < steps:
        left = steps - step
        if last is not None and left <= spe:  # its full steps, then the short last batch alone
            calls = [("short", None)] if left > 1 else []
            yield step, steps, calls + [("last", (left - 1 if per_call else steps - 1) * batch_size)]
            return
        yield step, min(step + spe, steps), [("full" if left >= spe else "short", None)]
        step += spe


_NO_LIMIT = None  # every row of a stream's batch is real


def _groups(batches, size):
    """`(step, batch)` pairs in lists of `size` (the last one may be shorter)."""
    group = []
    for item in batches:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def _same_shapes(group):
    shapes = [[a.shape for a in jax.tree_util.tree_leaves(batch)] for _, batch in group]
    return all(s == shapes[0] for s in shapes)


def resolve_steps(steps, batch_size, num_samples):
    """`steps` over `num_samples` rows as an int or None (one pass), within
    `jkeras.config.max_steps_per_epoch()`; a Keras 1 sample count becomes
    `ceil(count / batch_size)`."""
    if isinstance(steps, SampleCount):
        steps = steps.steps(batch_size)
    return data_adapter.limited_steps(steps, -(-num_samples // batch_size))


class StreamEpochs:
    """`fit`'s epochs over a `BatchStream`: `steps` batches per epoch, or one pass when None."""

    def __init__(self, model, stream, steps, steps_per_execution=1):
        self.model, self.stream, self.spe = model, stream, steps_per_execution
        self.epoch_steps = stream.resolve_steps(steps)
        self.steps = self.epoch_steps if self.epoch_steps is not None else stream.pass_length
        # The train programs (`FitLoop.call`): one batch, and groups of steps_per_execution
        # batches of each batch size.
        self._single = functools.partial(model._jit, ("train_step",), model._distributed_train_step,
                                         donate=True)
        self._groups = {}

    def set_key(self, key):
        self.stream.key = key

    def single_call(self):
        """Whether an epoch is one jitted call: never assumed of a stream."""
        return False

    def run(self, loop, epoch):
        """Trains one epoch; `loop` holds the train state and runs the batch callbacks.

        Returns:
            The last step's (device) logs.
        """
        logs = None
        with contextlib.closing(self.stream.epoch(self.epoch_steps, epoch)) as batches:
            for group in _groups(batches, self.spe):
                if len(group) == self.spe > 1 and _same_shapes(group):
                    # steps_per_execution: N batches of one shape in one call (their rows in order,
                    # as the large-array feed gives them).
                    loop.before(group[0][0])
                    rows = jax.tree_util.tree_map(lambda *a: jnp.concatenate(a), *[b for _, b in group])
                    size = jax.tree_util.tree_leaves(group[0][1].x)[0].shape[0]
                    if size not in self._groups:
                        self._groups[size] = functools.partial(self.model._train_fn, self.spe, size,
                                                               _NO_LIMIT, per_call=True)
                    logs, _ = loop.call(self._groups[size], rows, data_adapter.first_row())
                    if loop.after(group[-1][0], logs):
                        break
                    continue
                # One batch at a time (steps_per_execution=1, a short last group, mixed shapes).
                stop = False
                for step, batch in group:
                    loop.before(step)
                    logs, = loop.call(self._single, batch.batch())
                    stop = loop.after(step, logs)
                    if stop:
                        break
                if stop:
                    break
        return logs

    def close(self):
        self.stream.close()

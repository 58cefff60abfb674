"""Generators, iterators, iterables and `Sequence`s as data for `fit` / `evaluate` / `predict`.

A `BatchStream` reads batches ahead of the step: on the calling thread (an iterator, which is
not thread-safe; a `Sequence` with `workers` 0 or 1, as Keras 3), or `sequence[i]` on `workers`
threads for a `Sequence` with several. Each batch is checked and aligned like array data
(`data_adapter.prepare`) and, on an accelerator, put on the device with `jax.device_put`, so the
copy overlaps the running step (the steps run asynchronously: the next batch is read while the
device computes); batches come out in order. The steps are the same jitted functions
`train_on_batch` / `test_on_batch` / `predict_on_batch` use, compiled once per batch shape.

A failure (the generator raises, runs out early, yields a batch the model can't take, a
`Sequence.__getitem__` raises in a worker) names the batch; every reading thread is joined
before the error reaches the caller.
"""
import collections
import concurrent.futures
import contextlib
import warnings

import jax
import numpy as np

from jkeras.models import _sharding, data_adapter, stateless
from jkeras.utils import random as random_utils

_END = object()        # the iterator is used up
_PASS_END = object()   # a Sequence pass is done: on_epoch_end runs before the next batch is read
_THREAD_PREFIX = "jkeras_data"


class SampleCount:
    """A number of samples standing for `ceil(count / batch size)` steps.

    Keras 1's `samples_per_epoch`, `nb_val_samples` and `val_samples` counted samples; the batch
    size is the first batch's.
    """

    def __init__(self, count):
        self.count = int(count)

    def steps(self, batch_size):
        return max(1, -(-self.count // int(batch_size)))

    def __repr__(self):
        return f"{self.count} samples"


def is_sequence(x):
    """True for a `jkeras.utils.Sequence` or an object shaped like one (Keras's Sequence / PyDataset)."""
    return all(hasattr(x, a) for a in ("__getitem__", "__len__", "on_epoch_end"))


def is_stream(x):
    """True for a generator, iterator, `Sequence` or other iterable that is not array data."""
    if x is None or isinstance(x, (np.ndarray, jax.Array, list, tuple, dict, str, bytes)):
        return False
    if is_sequence(x) or hasattr(x, "__next__"):
        return True
    return hasattr(x, "__iter__") and not hasattr(x, "__array__") and not hasattr(x, "shape")


def check_arguments(method, y=None, sample_weight=None, validation_split=0.0):
    """Raises ValueError for the array-only arguments given with a generator / Sequence."""
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(
                f"{method}: `{name}` can't be passed with a generator / Sequence `x`: yield it from the "
                f"generator instead, as `(x, y)` or `(x, y, sample_weight)`"
            )
    if validation_split:
        raise ValueError(
            f"{method}: validation_split={validation_split} needs array data; with a generator / Sequence "
            "pass `validation_data` (arrays, or another generator / Sequence)"
        )


_warned_processes = []


def _warn_threads(method):
    if not _warned_processes:
        _warned_processes.append(True)
        warnings.warn(
            f"{method}: use_multiprocessing=True: jkeras reads batches in threads, not processes.",
            UserWarning, stacklevel=4,
        )


class _Inline:
    """An executor that runs each task at once on the calling thread (`workers=0`)."""

    def submit(self, fn, *args):
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args))
        except BaseException as e:  # delivered by future.result(), like a pool's
            future.set_exception(e)
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        del wait, cancel_futures


def _unpack(batch, method, where):
    """`(x, y, sample_weight)` from one yielded batch."""
    if method == "predict":
        if isinstance(batch, tuple):
            if not 1 <= len(batch) <= 3:
                raise ValueError(f"predict: {where} is a tuple of {len(batch)} items; expected x, (x,), "
                                 "(x, y) or (x, y, sample_weight)")
            return batch[0], None, None
        return batch, None, None
    if isinstance(batch, (tuple, list)) and len(batch) in (2, 3):
        return batch[0], batch[1], batch[2] if len(batch) == 3 else None
    if isinstance(batch, (tuple, list)) and len(batch) == 1:  # (x,): the model's own losses (add_loss)
        return batch[0], None, None
    if not isinstance(batch, (tuple, list)):  # x alone, as Keras 3's `unpack_x_y_sample_weight` takes
        return batch, None, None  # it (keras-io metric_learning's Sequence yields one array)
    raise ValueError(f"{method}: {where} is a {type(batch).__name__} of {len(batch)} items; a generator / "
                     "Sequence must yield x, a tuple (x,), (x, y) or (x, y, sample_weight)")


def _describe(arrays):
    return "[" + ", ".join("None" if a is None else f"{tuple(a.shape)} {a.dtype}" for a in arrays) + "]"


class BatchStream:
    """Device batches `Data(x, y, sw)` from a generator, iterable or `Sequence`, read ahead.

    The first batch is read when the stream is made (on the calling thread, so a deferred model
    is built from it) and is also the first batch served.

    Args:
        model: the model; each batch is aligned with its inputs and outputs.
        data: the generator, iterator, iterable or Sequence.
        method: "fit", "evaluate" or "predict" (messages; whether targets are required).
        class_weight: dict class index -> weight, turned into each batch's sample weights.
        shuffle: shuffle a Sequence's batch order every pass ("batch" counts as True).
        workers: reading threads for a Sequence; 0 or 1 reads on the calling thread, as Keras 3
            does (the steps run asynchronously, so the next batch is read while the device
            computes), and so does an iterator always (it is not thread-safe). Default: the
            Sequence's `workers`, else 1.
        max_queue_size: batches the reading threads read ahead (default: the Sequence's, else 10).
        use_multiprocessing: accepted; threads are used.

    Raises:
        ValueError / RuntimeError: as `epoch` does, for the first batch.
    """

    def __init__(self, model, data, method, class_weight=None, shuffle=False, workers=None,
                 max_queue_size=None, use_multiprocessing=None):
        self._model, self._data, self._method = model, data, method
        self._class_weight = class_weight
        self._is_sequence = is_sequence(data)
        default = data if self._is_sequence else None
        workers = getattr(default, "workers", 1) if workers is None else workers
        depth = getattr(default, "max_queue_size", 10) if max_queue_size is None else max_queue_size
        if use_multiprocessing or (use_multiprocessing is None and getattr(default, "use_multiprocessing", False)):
            _warn_threads(method)
        # Threads only for several readers: one reading thread costs a hand-over per batch (on 2
        # CPU cores a generator's small-batch fit took 0.75x Keras 3's speed with one).
        workers = max(0, int(workers))
        self._workers = workers if self._is_sequence and workers > 1 else 0
        self._depth = max(1, int(depth or 1))
        self._pool = None
        self._signature = None
        self.key = None
        # A dataset standing in for a tf.data.Dataset keeps its own order, as Keras's fit does.
        self._shuffle = bool(shuffle) and not getattr(data, "ignores_fit_shuffle", False)
        self._order, self._position, self._passes = None, 0, 0
        self._cache = {}
        self._cycle = False
        self._exhausted = False  # an `AtMost` epoch ended because the iterator ran out
        self._restart_if_empty = False
        if not self._is_sequence:
            self._iterator = iter(data)
            self._reiterable = self._iterator is not data
            self._fresh = True
        self._pushback = []
        self._first = None

    @property
    def first(self):
        """The first batch (prepared), read on first use: `fit` reads it after the callbacks'
        `on_train_begin`, which may set up the generator (Keras 2)."""
        if self._first is None:
            self._first = self._read_first()
        return self._first

    # ------------------------------------------------------------------------------------------

    @property
    def pass_length(self):
        """Batches in one pass: `len(sequence)`, None for an iterable."""
        return len(self._data) if self._is_sequence else None

    def resolve_steps(self, steps):
        """`steps` as an int or None (a `SampleCount` divided by the first batch's size), within
        `jkeras.config.max_steps_per_epoch()`."""
        if isinstance(steps, SampleCount):
            steps = steps.steps(self.first.num_samples)
        return data_adapter.limited_steps(None if steps is None else int(steps), self.pass_length)

    def _read_first(self):
        where = "batch index 0"
        if self._is_sequence:
            if len(self._data) <= 0:
                raise ValueError(f"{self._method}: the Sequence is empty (len {len(self._data)})")
            raw = self._call_source(lambda: self._data[0], where, 0)
            self._cache[0] = raw
        else:
            try:
                raw = self._call_source(lambda: next(self._iterator), where, None)
            except StopIteration:
                raise ValueError(f"{self._method}: the generator / iterable yielded no batch") from None
            self._pushback = [raw]
        return self._prepare(raw, where)

    def _call_source(self, read, where, index):
        try:
            return read()
        except StopIteration:
            if self._is_sequence:
                raise RuntimeError(f"{self._method}: Sequence[{index}] ({where}) raised StopIteration") from None
            raise
        except Exception as e:
            source = f"Sequence.__getitem__({index})" if self._is_sequence else "the generator"
            raise RuntimeError(
                f"{self._method}: {source} failed while producing {where}: {type(e).__name__}: {e}"
            ) from e

    def _prepare(self, raw, where):
        method = self._method
        x, y, sw = _unpack(raw, method, where)
        try:
            data = data_adapter.prepare(self._model, x, y, sw, self._class_weight, method)
        except (ValueError, TypeError) as e:
            message = str(e)
            if message.startswith(method + ": "):
                message = message[len(method) + 2:]
            raise ValueError(f"{method}: {where}: {message}") from None
        self._check_signature(data, where)
        return data

    def _check_signature(self, data, where):
        """Every batch must have the first one's structure, ranks, dtypes and non-batch sizes
        (sizes the model leaves open, such as a sequence length, may vary)."""
        def open_dims(arrays, tensors):
            out = []
            for a, t in zip(arrays or [], tensors):
                if a is None:
                    out.append(None)
                    continue
                shape = tuple(a.shape[1:])
                if len(t.shape) == a.ndim:
                    shape = tuple(None if d is None else s for s, d in zip(shape, t.shape[1:]))
                out.append((shape, str(a.dtype)))
            return tuple(out)

        model = self._model
        sig = (open_dims(data.x, model.inputs), open_dims(data.y, model.outputs),
               None if data.sw is None else tuple(None if w is None else w.ndim for w in data.sw))
        if self._signature is None:
            self._signature = (sig, data)
            return
        first_sig, first = self._signature
        if sig != first_sig:
            parts = []
            if sig[0] != first_sig[0]:
                parts.append(f"inputs {_describe(data.x)} where the first batch had {_describe(first.x)}")
            if sig[1] != first_sig[1]:
                parts.append(f"targets {_describe(data.y or [])} where the first batch had {_describe(first.y or [])}")
            if sig[2] != first_sig[2]:
                parts.append("sample weights where the first batch had none" if first.sw is None or any(
                    w is None for w in first.sw) else "no sample weights where the first batch had some")
            raise ValueError(
                f"{self._method}: {where} has {'; '.join(parts)}. Every batch of a generator / Sequence "
                "must have the same structure and shapes, except the batch size and the sizes the model "
                "leaves open (None)"
            )

    # ------------------------------------------------------------------------------------------
    # Reading (on a worker thread)

    def _next(self):
        if self._pushback:
            return self._pushback.pop()
        try:
            raw = next(self._iterator)
        except StopIteration:
            # Cycling (`steps`), or an `AtMost` epoch whose first read finds the previous epoch
            # ended exactly at the data's end: an object that can be iterated again starts over.
            if not ((self._cycle or self._restart_if_empty) and self._reiterable):
                raise
            self._iterator = iter(self._data)
            raw = next(self._iterator)
        self._restart_if_empty = False
        return raw

    def _load(self, index, where):
        """Reads, checks and places one batch on the device; `_END` when the iterator is used up."""
        try:
            if self._is_sequence:
                cached = self._cache.pop(index, None)
                raw = cached if cached is not None else self._call_source(lambda: self._data[index], where, index)
            else:
                raw = self._call_source(self._next, where, None)
        except StopIteration:
            return _END
        return _sharding.place_batch(self._prepare(raw, where), self._method)

    # ------------------------------------------------------------------------------------------
    # The plan of one epoch (on the calling thread)

    def _start_pass(self):
        if hasattr(self._data, "on_epoch_begin"):
            self._data.on_epoch_begin()
        n = len(self._data)
        if n <= 0:
            raise ValueError(f"{self._method}: the Sequence is empty (len {n})")
        if self._shuffle:
            key = self.key if self.key is not None else random_utils.next_key()
            self.key = key
            self._order = np.random.default_rng(data_adapter.seed_of(key) + [self._passes]).permutation(n)
        else:
            self._order = np.arange(n)
        self._position = 0

    def _end_pass(self):
        self._passes += 1
        self._cache.clear()
        try:
            self._data.on_epoch_end()
        except Exception as e:
            raise RuntimeError(
                f"{self._method}: the Sequence's on_epoch_end() failed: {type(e).__name__}: {e}"
            ) from e

    def _sequence_plan(self, steps):
        count = 0
        while steps is None or count < steps:
            if self._order is None:
                self._start_pass()
            index = int(self._order[self._position])
            self._position += 1
            count += 1
            yield index
            if self._position == len(self._order):
                self._order = None
                yield _PASS_END
                if steps is None:
                    return

    def _iterator_plan(self, steps):
        bound = isinstance(steps, data_adapter.AtMost)
        self._cycle = steps is not None and not bound
        restart = steps is None or (bound and self._exhausted)
        if restart and not self._fresh and self._reiterable:
            self._iterator = iter(self._data)
        self._restart_if_empty = bound and not restart
        self._exhausted = False
        self._fresh = False
        count = 0
        while steps is None or count < steps:
            yield None
            count += 1

    def _where(self, step, index, epoch):
        where = f"batch index {step}"
        if self._is_sequence:
            where += f" (Sequence index {index})"
        return where if epoch is None else f"{where} of epoch {epoch + 1}"

    def epoch(self, steps=None, epoch=None):
        """Yields `(step, Data on the device)` for `steps` batches, or for one pass when None (for
        `steps` an `AtMost` bound: until the data runs out, at most that many).

        Use it inside `contextlib.closing` so that the read-ahead is stopped when the loop ends early.

        Raises:
            RuntimeError: when the generator / `Sequence.__getitem__` raises (chained), when it runs out
                before `steps` batches (an int, not an `AtMost`), or when an epoch gets no batch at all.
            ValueError: for a batch the model can't take or shaped unlike the first batch.
        """
        self.first  # noqa: B018  (read before the worker threads read on)
        if self._pool is None:
            self._pool = _Inline() if self._workers == 0 else concurrent.futures.ThreadPoolExecutor(
                max(1, self._workers), thread_name_prefix=_THREAD_PREFIX)
        plan = self._sequence_plan(steps) if self._is_sequence else self._iterator_plan(steps)
        # Batches read ahead: the reading threads' queue; on the calling thread the next one (on
        # an accelerator its copy to the device overlaps the running step), as Keras 3's prefetch.
        depth = self._depth if self._workers else 2
        pending = collections.deque()
        step, at_pass_end, planned = 0, False, True
        try:
            while True:
                while planned and not at_pass_end and len(pending) < depth:
                    index = next(plan, _END)
                    if index is _END:
                        planned = False
                    elif index is _PASS_END:
                        at_pass_end = True
                    else:
                        where = self._where(step + len(pending), index, epoch)
                        pending.append(self._pool.submit(self._load, index, where))
                if not pending:
                    if at_pass_end:
                        self._end_pass()
                        at_pass_end = False
                        continue
                    break
                batch = pending.popleft().result()
                if batch is _END:
                    self._exhausted = True
                    if steps is not None and not isinstance(steps, data_adapter.AtMost):
                        raise RuntimeError(
                            f"{self._method}: the generator ran out of data at {self._where(step, None, epoch)}: "
                            f"{steps} batches were expected (steps). Make it endless (`while True:`), ask for "
                            "fewer steps, or pass a Sequence or an object that can be iterated again"
                        )
                    break
                yield step, batch
                step += 1
            if step == 0:
                raise RuntimeError(
                    f"{self._method}: the generator gave no batch"
                    + ("" if epoch is None else f" in epoch {epoch + 1}")
                    + ": a generator is used up after one pass. Pass steps_per_epoch (validation_steps) "
                    "with an endless generator, or a Sequence or an object that can be iterated again"
                )
        finally:
            for future in pending:
                future.cancel()
            concurrent.futures.wait(pending)

    def close(self):
        """Stops the reading threads (waits for those still reading)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# --------------------------------------------------------------------------------------------
# The loops


def _step_key(key, step):
    """The key of batch `step` of an evaluate / predict pass whose key is `key` (None: the step
    reads none), derived on the host (no dispatched `fold_in` per batch)."""
    return None if key is None else random_utils.fold_in(key, step)


def evaluate(model, stream, steps, cbs, epoch=None):
    """Loss and metrics over `steps` batches of `stream` (one pass when None), as host floats."""
    fn = model._jit(("test_step",), model._eval_step)
    if cbs is not None:
        cbs.on_test_begin()  # before the weights are read: SwapEMAWeights swaps them here
    variables = model.get_variables()
    metric_state = model._eval_metric_state()
    logs = key = None
    with contextlib.closing(stream.epoch(stream.resolve_steps(steps), epoch)) as batches:
        for step, batch in batches:
            if cbs is not None:
                cbs.on_test_batch_begin(step)
            args = (variables, metric_state, batch.batch())
            if step == 0:
                key = model._call_key("test_step", fn, args)
            metric_state, logs, state = fn(*args, _step_key(key, step))
            variables = {**variables, "state": state}
            if cbs is not None:
                cbs.on_test_batch_end(step, logs)
    model._keep_states(variables["state"])
    if model._keras3_test():
        stateless.assign_metrics(model, metric_state)
    logs = model._host_logs(logs)
    if cbs is not None:
        cbs.on_test_end(logs)
    return logs


def predict(model, stream, steps, cbs):
    """The model's outputs over `steps` batches of `stream` (one pass when None), as NumPy arrays."""
    fn = model._jit(("predict_generator",), model._predict_step_fn)
    cbs.on_predict_begin()  # before the weights are read: SwapEMAWeights swaps them here
    variables = model.get_variables()
    params, state = variables["params"], variables["state"]
    chunks, key = [], None
    with contextlib.closing(stream.epoch(stream.resolve_steps(steps))) as batches:
        for step, batch in batches:
            cbs.on_predict_batch_begin(step)
            args = ({"params": params, "state": state}, batch.x)
            if step == 0:
                key = model._call_key("predict_generator", fn, args)
            outputs, state = fn(*args, _step_key(key, step))
            chunks.append(outputs)
            cbs.on_predict_batch_end(step, {"outputs": model._restructure_outputs(outputs)})
    model._keep_states(state)
    cbs.on_predict_end()
    outputs = [np.concatenate([np.asarray(c[i]) for c in chunks], axis=0) for i in range(len(chunks[0]))]
    return model._restructure_outputs(outputs)

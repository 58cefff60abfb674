"""Turning what users pass to `fit` / `evaluate` / `predict` into aligned, checked arrays."""
import functools
import itertools
import math
import warnings
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import config
from jkeras.core import step as core_step
from jkeras.models import call_scope, compile_utils
from jkeras.utils import dtype_utils
from jkeras.utils.numerics import check_finite


class Data(NamedTuple):
    """Inputs, targets and per-output sample weights, aligned with the model's inputs / outputs.

    A pytree: `x` and `y` are lists of arrays (`y` None for prediction), `sw` a list with an array
    or None per output.
    """

    x: Any
    y: Any
    sw: Any

    @property
    def num_samples(self):
        return int(self.x[0].shape[0])

    def to_device(self):
        """The same data as JAX arrays on the default device (one transfer); replicated on every
        device of the mesh when a `jkeras.distribution` is set (each takes its batches there)."""
        from jkeras.models import _sharding

        put = lambda a: None if a is None else jax.device_put(a)  # noqa: E731 (a transfer, no program)
        if _sharding.active() is not None:
            put = lambda a: None if a is None else _sharding.place_data(a)  # noqa: E731
        return Data(
            [put(a) for a in self.x],
            None if self.y is None else [put(a) for a in self.y],
            None if self.sw is None else [put(a) for a in self.sw],
        )

    def for_call(self):
        """The data as one jitted call takes it (`*_on_batch`): on one device the arrays as they
        are, which the call transfers with its other arguments; placed as `to_device` places them
        under a distribution."""
        from jkeras.models import _sharding

        return self if _sharding.active() is None else self.to_device()

    def batch(self):
        return (self.x, self.y, self.sw)

    def take(self, rows):
        """The rows `rows` (an index array) of every host array."""
        def take(arrays):
            return None if arrays is None else [None if a is None else a.take(rows, axis=0) for a in arrays]

        return Data(take(self.x), take(self.y), take(self.sw))

    @property
    def nbytes(self):
        return sum(a.nbytes for a in jax.tree_util.tree_leaves(self))


# Where array data lives during fit / evaluate / predict. Data that fits comfortably (a quarter of
# an accelerator's memory; 64 MiB on a CPU, where a device copy doubles the process's memory) is
# put on the device once per call (and in each epoch's row order once per epoch) and each step
# slices its batch there: no per-step transfer, what small fast steps need. Larger data stays on
# the host and each call's rows are gathered there and handed to the jitted step, as a
# hand-written loop does, so device memory holds the model and a batch. Set DEVICE_DATA_BYTES to a number of bytes to choose the limit yourself.
DEVICE_DATA_BYTES = None

# On a CPU the device's memory is the host's: a device copy saves no transfer, while reordering it
# each epoch and slicing each step's batch out of it are copies on the step's critical path; the
# host feed's NumPy gather runs while the previous step computes. Only small batches, where the
# host feed's fixed Python cost per call dominates, are faster sliced on the device (bench, 2-core
# CPU, us/step device vs host: 4 KiB batches 33 vs 37; 32 KiB even; 128 KiB 250 vs 227; the `mlp`
# workload's 392 KiB batches: `fit` 0.90x -> 1.04x the hand loop).
CPU_DEVICE_BATCH_BYTES = 32 << 10


@functools.lru_cache(maxsize=None)
def first_row():
    """Row 0 as the int32 device scalar a jitted call starts from: one transfer, made once (the
    calls do not donate it), so that later calls, which take the scalar the last one returned,
    find the same compiled program by the same argument types."""
    return jax.device_put(np.zeros((), np.int32))


def device_data_limit(batch_bytes=0):
    """The largest array data (bytes) `fit` / `evaluate` / `predict` put on the device whole, for
    batches of `batch_bytes` bytes."""
    if DEVICE_DATA_BYTES is not None:
        return DEVICE_DATA_BYTES
    if jax.default_backend() == "cpu" and batch_bytes > CPU_DEVICE_BATCH_BYTES:
        return 0
    try:
        stats = jax.devices()[0].memory_stats() or {}
    except Exception:  # noqa: BLE001 (backends without memory statistics)
        stats = {}
    if "bytes_limit" in stats:
        return stats["bytes_limit"] // 4
    return 64 << 20


class Rows:
    """Where `fit`, `evaluate` and `predict` take their batches of array data from.

    `feed(order, rows_per_call)` gives, for each jitted call in turn, the data it takes its rows
    from: on the device, the whole data with its rows in `order` (put in that order by one gather
    on the device when the order changes: each step then slices its batch); else (large data) just
    the call's own rows, gathered on the host in `order` (the call transfers them). Either way
    the call covers rows `start .. start + rows_per_call` of `order` (`jkeras.core.step.batch_at`).

    The device copy is held once: each epoch's order is reached from the last one, and a copy
    made from host data replaces it (a JAX array the caller passed stays the caller's).

    Args:
        data: a host `Data`.
        batch_size: the rows of one step's batch (where the data lives depends on their size).
    """

    def __init__(self, data, batch_size):
        self.num_samples = data.num_samples
        leaves = jax.tree_util.tree_leaves(data)
        batch_bytes = data.nbytes * batch_size // max(self.num_samples, 1)
        # JAX arrays are on a device already: slicing there beats a copy back to the host. One
        # batch of host data goes with its call (a one-batch `fit` / `predict` per step of a
        # reinforcement-learning loop: no `device_put` per array, 15-20 us each).
        self.on_device = any(isinstance(a, jax.Array) for a in leaves) or (
            self.num_samples > batch_size and data.nbytes <= device_data_limit(batch_bytes))
        self.data = data.to_device() if self.on_device else data
        self._order = None  # the device data's row order (None: as given)

    def feed(self, order, rows_per_call):
        """An iterator of the data each call takes its rows from; `order` is a NumPy row order."""
        if self.on_device:
            data = self._in_order(order)
            while True:
                yield data
        for start in itertools.count(0, rows_per_call):
            stop = start + rows_per_call
            rows = order[start:stop] if stop <= order.shape[0] else np.take(order, np.arange(start, stop), mode="wrap")
            yield self.data.take(rows)

    def _in_order(self, order):
        """The device data with its rows in `order`."""
        rows = order
        if self._order is not None:  # positions in the data as it is now
            position = np.empty_like(self._order)
            position[self._order] = np.arange(self._order.shape[0], dtype=self._order.dtype)
            rows = position[order]
        if not np.array_equal(rows, np.arange(rows.shape[0])):
            self.data = _take_rows(self.data, jax.device_put(rows))
            self._order = order
        return self.data


_take_rows = jax.jit(core_step.take_rows)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_batch_size(batch_size, steps, name="batch_size"):
    """Returns the batch size to use (32 by default).

    Raises:
        ValueError: if `batch_size` is not a positive int.
    """
    del steps
    if batch_size is None:
        return 32
    if not _is_int(batch_size) or batch_size <= 0:
        raise ValueError(f"{name} must be a positive int (or None for 32), got {batch_size!r}")
    return int(batch_size)


def whole_steps(steps):
    """A step count given as a float (Keras 2's docs: `steps_per_epoch=len(x_train) / 32`) as the
    whole number of steps Keras 2 ran for it, its ceiling; anything else unchanged (and checked
    where it is used)."""
    if isinstance(steps, (float, np.floating)) and math.isfinite(steps) and steps > 0:
        return math.ceil(steps)
    return steps


class AtMost(int):
    """A number of steps that is an upper bound only: the epoch also ends, without error, when
    a generator of unknown length runs out first (what `max_steps_per_epoch` makes of one pass)."""

    def __repr__(self):
        return f"AtMost({int(self)})"


def limited_steps(steps, num_batches=None):
    """`steps` under `jkeras.config.max_steps_per_epoch()` (a limit for quick test runs).

    The limit is an upper bound only, as in Keras 3: one pass of data of unknown length
    (`steps=None`, `num_batches=None`) becomes `AtMost(limit)`, which a short generator ends early.

    Args:
        steps: the steps asked for, or None (one pass).
        num_batches: the batches in one pass, None when unknown (an iterator).

    Returns:
        The steps to run, an `AtMost` bound, or None for one whole pass.
    """
    from jkeras import config

    cap = config.max_steps_per_epoch()
    if cap is None or not (steps is None or _is_int(steps)) or cap >= (steps or num_batches or cap + 1):
        return steps
    warnings.warn(f"Limiting steps_per_epoch to {cap}", UserWarning, stacklevel=3)
    return AtMost(cap) if steps is None and num_batches is None else cap


def check_fit_arguments(epochs, initial_epoch, validation_split, steps_per_epoch, validation_steps,
                        validation_batch_size, validation_freq):
    """Checks `fit`'s scalar arguments before any data is read or any step is compiled.

    Raises:
        ValueError: naming the argument, the accepted values and the value received.
    """
    from jkeras.models._generator_adapter import SampleCount

    def fail(name, expected, value):
        raise ValueError(f"fit: {name} must be {expected}, got {value!r}")

    if not _is_int(epochs) or epochs < 0:
        fail("epochs", "an int >= 0", epochs)
    if not _is_int(initial_epoch) or initial_epoch < 0:
        fail("initial_epoch", "an int >= 0", initial_epoch)
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.number)) \
            or not 0.0 <= float(validation_split) < 1.0:
        fail("validation_split", "a float in [0, 1)", validation_split)
    for name, steps in (("steps_per_epoch", steps_per_epoch), ("validation_steps", validation_steps)):
        if steps is not None and not isinstance(steps, SampleCount) and (not _is_int(steps) or steps <= 0):
            fail(name, "a positive int or None", steps)
    if validation_batch_size is not None:
        check_batch_size(validation_batch_size, None, "fit: validation_batch_size")
    if _is_int(validation_freq):
        if validation_freq <= 0:
            fail("validation_freq", "a positive int or a list of epoch numbers", validation_freq)
    elif not isinstance(validation_freq, (list, tuple, set, range)) or not all(_is_int(e) for e in validation_freq):
        fail("validation_freq", "a positive int or a list of epoch numbers", validation_freq)


def _is_array(a):
    return isinstance(a, (np.ndarray, jax.Array)) or hasattr(a, "__array__") and not isinstance(a, (list, dict))


def _as_array(a, what):
    if isinstance(a, jax.Array):
        return a
    try:
        arr = np.asarray(a)
    except Exception as e:  # ragged lists and the like
        raise ValueError(f"{what}: could not convert the data to an array ({e})") from None
    if arr.dtype == object:
        raise ValueError(f"{what}: expected a numeric array, got an array of Python objects")
    if arr.dtype.kind in "USV":
        raise ValueError(
            f"{what}: expected a numeric array (bool, int or float), got an array of dtype {arr.dtype} "
            f"(e.g. {arr.reshape(-1)[:1].tolist()}); encode text as numbers first"
        )
    return arr


def _align(model, data, names, what, method):
    """A list aligned with `names` from an array, a list/tuple, or a dict keyed by names."""
    n = len(names)
    if isinstance(data, dict):
        unknown = [k for k in data if k not in names]
        if unknown and what.startswith("input") and all(k in data for k in names):
            # Keras 2 reads the model's inputs from the dict and ignores other entries (image_ocr's
            # generator also yields the source strings); Keras 3 warns.
            warnings.warn(f"{method}: the input dict's key(s) {unknown} match no model input and are ignored; "
                          f"model inputs: {names}", UserWarning, stacklevel=2)
        elif unknown:
            raise ValueError(
                f"{method}: {what} has key(s) {unknown} that match no model {what.split()[0]}; "
                f"expected keys {names}"
            )
        missing = [k for k in names if k not in data]
        if missing and what.startswith("input"):
            raise ValueError(f"{method}: no data for model input(s) {missing}; got keys {sorted(data)}")
        return [data.get(k) for k in names]
    if isinstance(data, (list, tuple)) and not (n == 1 and _looks_like_one_array(data)):
        if len(data) != n:
            raise ValueError(
                f"{method}: model '{model.name}' has {n} {what.split()[0]}(s) {names}, "
                f"but {len(data)} {what} arrays were passed"
            )
        return list(data)
    if n != 1:
        raise ValueError(
            f"{method}: model '{model.name}' has {n} {what.split()[0]} {names}; pass a list of {n} "
            f"arrays or a dict keyed by name, got a single array"
        )
    return [data]


def _looks_like_one_array(data):
    """A list of numbers / lists (one array written as a list) rather than a list of arrays."""
    return len(data) > 0 and not any(_is_array(d) for d in data)


def _array_like(data):
    """`data` itself when it has a shape and a dtype (no copy of device data to the host), else
    as a NumPy array (nested lists)."""
    return data if hasattr(data, "shape") and hasattr(data, "dtype") else np.asarray(data)


def prepare(model, x, y, sample_weight, class_weight, method):
    """Checks and aligns user data; builds a deferred `Sequential` from the first data seen.

    Raises:
        ValueError: for missing data, mismatched sample counts, or input shapes the model cannot take.
    """
    if x is None:
        raise ValueError(f"{method}: `x` (the input data) is required, got None")
    if hasattr(x, "__next__") or (hasattr(x, "__getitem__") and hasattr(x, "__len__") and hasattr(x, "on_epoch_end")):
        raise TypeError(
            f"{method}: takes NumPy / JAX arrays (or lists / dicts of them); pass a generator or Sequence "
            "to fit / evaluate / predict instead"
        )
    if getattr(model, "_input_struct", None) is None and hasattr(model, "_build_from_data") and isinstance(x, dict):
        model._build_from_data({k: call_scope.shape_structure(_array_like(v)) for k, v in x.items()})  # `call` takes the dict
    elif getattr(model, "_input_struct", None) is None and hasattr(model, "_build_from_data"):
        # a list of arrays is the list `call` gets (keras-io siamese_network's [anchor, positive,
        # negative]), one shape each; a deferred Sequential reads the first
        arrays = list(x) if isinstance(x, (list, tuple)) and not _looks_like_one_array(x) else [x]
        model._build_from_data([call_scope.shape_structure(_array_like(a)) for a in arrays])
    model._require_graph(method)
    input_names, output_names = model.input_names, model.output_names  # properties that build lists
    xs = [_as_array(a, f"{method} input '{name}'") for a, name in
          zip(_align(model, x, input_names, "inputs", method), input_names)]
    xs = [_adjust_rank(model, arr, t) for arr, t in zip(xs, model.inputs)]
    for arr, t, name in zip(xs, model.inputs, input_names):
        _check_shape(model, arr, t, name, method)
    ys = None
    if y is not None:
        ys = _align(model, _targets_for_losses(model, y), output_names, "outputs (targets)", method)
        ys = [None if a is None else _as_array(a, f"{method} target '{n}'") for a, n in zip(ys, output_names)]
        for arr, t, name in zip(ys, model.outputs, output_names):
            if arr is not None and arr.ndim == 0:
                raise ValueError(f"{method}: target for output '{name}' must have a batch axis, got a scalar")
    elif method not in ("predict", "predict_on_batch"):
        from jkeras.models import stateless

        compiled_loss = (getattr(model, "_compile_args", None) or {}).get("loss")
        if compiled_loss is not None and stateless.loss_override(model) is None:
            raise ValueError(f"{method}: targets `y` are required to compute the loss, got None")
        # compiled without a loss (the model's own, add_loss), or a `compute_loss` override, which
        # Keras 3 calls with `y=None` (masked_image_modeling takes its targets from `y_pred`)
        ys = [None] * len(output_names)
    sizes = {f"'x' ({n})": int(a.shape[0]) for a, n in zip(xs, input_names)}
    if ys is not None:
        sizes.update({f"'y' ({n})": int(a.shape[0]) for a, n in zip(ys, output_names) if a is not None})
    sws = None
    if ys is not None:
        sws = [None] * len(ys)
        if sample_weight is not None:
            given = _align(model, sample_weight, output_names, "outputs (sample weights)", method)
            sws = [None if w is None else np.asarray(w, dtype="float32") for w in given]
            sizes.update({f"'sample_weight' ({n})": int(w.shape[0]) for w, n in zip(sws, output_names)
                          if w is not None})
        if class_weight is not None:
            sws[0] = _class_weights(ys[0], class_weight, sws[0], method)
    if len(set(sizes.values())) > 1:
        listing = ", ".join(f"{k}: {v}" for k, v in sizes.items())
        raise ValueError(
            f"{method}: data cardinality is ambiguous: all arrays must contain the same number of samples. "
            f"Sizes: {listing}"
        )
    if next(iter(sizes.values())) == 0:
        raise ValueError(f"{method}: the data is empty (0 samples)")
    xs = [_cast(a, t.dtype) for a, t in zip(xs, model.inputs)]
    if ys is not None:
        ys = [None if a is None else _cast(a, None) for a in ys]
    check_finite([(f"input '{n}'", a) for a, n in zip(xs, input_names)]
                 + [(f"target '{n}'", a) for a, n in zip(ys or [], output_names)]
                 + [(f"sample_weight '{n}'", a) for a, n in zip(sws or [], output_names)], method)
    return Data(xs, ys, sws)


def _targets_for_losses(model, y):
    """As Keras 3: with a loss of None for some outputs (`loss=[loss_fn, None]`), `y` may hold
    targets for the other outputs only (one array, or a list in output order); they are spread
    over the outputs that have a loss. Other `y` is returned as it is."""
    loss = (getattr(model, "_compile_args", None) or {}).get("loss")
    names = model.output_names
    if isinstance(loss, dict):
        loss = [loss.get(n) for n in names]
    if not isinstance(loss, (list, tuple)) or len(loss) != len(names) or all(l is not None for l in loss):
        return y
    given = list(y) if isinstance(y, (list, tuple)) and not _looks_like_one_array(y) else [y]
    with_loss = [i for i, l in enumerate(loss) if l is not None]
    if isinstance(y, dict) or len(given) != len(with_loss) or len(given) == len(names):
        return y
    spread = [None] * len(names)
    for i, target in zip(with_loss, given):
        spread[i] = target
    return spread


def _adjust_rank(model, arr, tensor):
    """As Keras 3's functional models: data one axis short of an input whose last axis is 1 gets
    that axis (MNIST `(n, 28, 28)` into `Input((28, 28, 1))`); a trailing axis of 1 too many is
    dropped. Any other rank is left for `_check_shape` to report."""
    if getattr(model, "_is_subclassed", False):
        return arr
    expected = tensor.shape
    if arr.ndim == len(expected) - 1 and expected[-1] == 1:
        return arr[..., None]
    if arr.ndim == len(expected) + 1 and arr.shape[-1] == 1:
        return arr[..., 0]
    return arr


def _check_shape(model, arr, tensor, name, method):
    if getattr(model, "_is_subclassed", False):
        return  # its inputs are the first data's shapes, not a declared contract (Keras checks none)
    expected = tensor.shape
    got = tuple(arr.shape)
    ok = len(got) == len(expected) and all(e is None or e == g for e, g in zip(expected[1:], got[1:]))
    if not ok:
        raise ValueError(
            f"{method}: input '{name}' of model '{model.name}' expects arrays of shape "
            f"{expected} (None = any size), but received an array of shape {got}"
        )


def _cast(arr, dtype):
    if dtype is None:
        if arr.dtype == np.float64:
            return arr.astype(config.floatx())
        if arr.dtype == np.int64:
            return arr.astype("int32")
        if arr.dtype == np.bool_:
            return arr.astype("float32")
        return arr
    if isinstance(arr, jax.Array):
        return arr.astype(dtype)
    return np.asarray(arr, dtype=dtype)


def _class_weights(y, class_weight, sample_weight, method):
    if not isinstance(class_weight, dict):
        raise ValueError(f"{method}: class_weight must be a dict class index -> weight, got {class_weight!r}")
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] > 1:
        labels = np.argmax(y, axis=-1)
    else:
        labels = np.round(y.reshape(y.shape[0], -1)[:, 0]).astype("int64")
    table = np.ones(max(int(labels.max()) + 1, max(class_weight) + 1), dtype="float32")
    for k, v in class_weight.items():
        table[int(k)] = float(v)
    weights = table[labels]
    return weights if sample_weight is None else weights * sample_weight


def split(data, fraction):
    """(train, validation): the last `fraction` of the rows is held out, before any shuffling."""
    n = data.num_samples
    at = int(n * (1.0 - fraction))
    if at == 0 or at == n:
        raise ValueError(
            f"fit: validation_split={fraction} leaves {'no training' if at == 0 else 'no validation'} "
            f"samples out of {n}"
        )
    cut = lambda items, s: None if items is None else [None if a is None else a[s] for a in items]  # noqa: E731
    head, tail = slice(0, at), slice(at, n)
    return (Data(cut(data.x, head), cut(data.y, head), cut(data.sw, head)),
            Data(cut(data.x, tail), cut(data.y, tail), cut(data.sw, tail)))


def unpack_validation(model, validation_data):
    """`(x, y)`, `(x, y, sample_weight)`, `(x,)` or `x` -> Data, as Keras 3 unpacks it: `x` alone
    (a dict of inputs, a 1-tuple) has no targets, for a model whose loss comes from `add_loss`
    (the captcha OCR example's `validation_data`).

    Raises:
        ValueError: for a tuple of another length.
    """
    if isinstance(validation_data, (tuple, list)) and len(validation_data) not in (1, 2, 3):
        raise ValueError(
            "fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val), "
            f"or the inputs alone, got {type(validation_data).__name__} of length {len(validation_data)}"
        )
    x, y, sw = dtype_utils.unpack_x_y_sample_weight(validation_data)
    data = prepare(model, x, y, sw, None, "fit (validation_data)")
    compile_utils.check_target_shapes(model, data.y)
    return data


def keras2_validation_arrays(data):
    """Keras 2's `callback.validation_data` for array validation data: the inputs, the targets and
    a sample weight per target (ones where none is given), one flat list of NumPy arrays."""
    targets = [np.asarray(a) for a in (data.y or [])]
    weights = list(data.sw or [None] * len(targets))
    return ([np.asarray(a) for a in data.x] + targets
            + [np.ones((data.num_samples,), "float32") if w is None else np.asarray(w) for w in weights])


def epoch_order(num_samples, shuffle, batch_size, seed):
    """The row order of one epoch, an int32 NumPy array drawn from `seed`.

    Drawn on the host, as Keras and a hand-written loop do: a device-side permutation costs a
    sort compiled for each data size (0.4 s on a CPU) for no gain (the transfer is 4 bytes a row).
    """
    if shuffle == "batch":
        blocks = np.random.default_rng(seed).permutation(num_samples // batch_size)
        order = (blocks[:, None] * batch_size + np.arange(batch_size)).reshape(-1)
        order = np.concatenate([order, np.arange(order.shape[0], num_samples)])
    elif shuffle:
        order = np.random.default_rng(seed).permutation(num_samples)
    else:
        order = np.arange(num_samples)
    return order.astype(np.int32)


def seed_of(key):
    """A NumPy seed (a list of ints) from a `jax.random` key, for host-side shuffling."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return [int(v) for v in np.asarray(key).reshape(-1)]
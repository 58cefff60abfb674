"""fit / evaluate / predict on generators, iterables and Sequences; the Keras 2 `*_generator` methods.

The reference is the array path (itself checked against Keras 3 in test_training.py): the same
batches in the same order must give the same weights, logs and outputs.
"""
import threading
import time
import warnings

import jax
import numpy as np
import pytest

import jkeras
from jkeras import layers
from jkeras.models import data_adapter
from jkeras.utils import legacy

N, DIM, CLASSES, BATCH = 100, 8, 3, 16
RNG = np.random.default_rng(0)
X = RNG.standard_normal((N, DIM)).astype("float32")
Y = RNG.integers(0, CLASSES, N).astype("int32")
SW = RNG.uniform(0.2, 2.0, N).astype("float32")
STEPS = -(-N // BATCH)  # 7: six full batches and one of 4


def build():
    jkeras.utils.set_random_seed(0)
    m = jkeras.Sequential([layers.Input((DIM,)), layers.Dense(16, activation="relu"),
                           layers.Dense(CLASSES, activation="softmax")])
    m.compile(jkeras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


_SHARED = {}


def model():
    """The test model with its initial weights; one instance, so that its steps compile once per file."""
    if not _SHARED:
        m = build()
        _SHARED.update(model=m, weights=m.get_weights())
    m = _SHARED["model"]
    m.set_weights(_SHARED["weights"])
    m.optimizer.state = None
    return m


def batches(n_batches=STEPS, weights=False):
    """The array path's batches (shuffle=False), in order."""
    for i in range(n_batches):
        s = slice(i * BATCH, (i + 1) * BATCH)
        yield (X[s], Y[s], SW[s]) if weights else (X[s], Y[s])


def endless(weights=False):
    while True:
        yield from batches(weights=weights)


class Batches(jkeras.utils.Sequence):
    """The array path's batches as a Sequence; records reads and epoch ends."""

    def __init__(self, fail_at=None, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.fail_at, self.delay = fail_at, delay
        self.reads, self.epoch_ends = [], 0

    def __len__(self):
        return STEPS

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay * RNG.uniform())
        if i == self.fail_at:
            raise KeyError(f"no batch {i}")
        self.reads.append(i)
        s = slice(i * BATCH, (i + 1) * BATCH)
        return X[s], Y[s]

    def on_epoch_end(self):
        self.epoch_ends += 1


class Reiterable:
    """An iterable (not an iterator): every `iter()` is a new pass over the batches."""

    def __iter__(self):
        return batches()


def assert_same_weights(a, b, rtol=1e-5):
    """`a`, `b`: models or lists of weights."""
    for wa, wb in zip(*(w if isinstance(w, list) else w.get_weights() for w in (a, b))):
        np.testing.assert_allclose(wa, wb, rtol=rtol, atol=1e-6)


def data_threads():
    return [t for t in threading.enumerate() if t.name.startswith("jkeras_data")]


@pytest.fixture(scope="module")
def reference():
    """Weights and history of 2 epochs on arrays, sample-weighted, without shuffling."""
    ref = build()
    history = ref.fit(X, Y, sample_weight=SW, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                      validation_data=(X[:40], Y[:40])).history
    return ref, history


# ------------------------------------------------------------------------------------------
# Same batches, same results


@pytest.mark.parametrize("source", ["generator", "sequence_threads", "inline"])
def test_generator_and_sequence_train_like_arrays(reference, source):
    ref, ref_history = reference
    m = model()
    val = [(X[:16], Y[:16]), (X[16:32], Y[16:32]), (X[32:40], Y[32:40])]
    if source == "generator":
        h = m.fit(endless(weights=True), steps_per_epoch=STEPS, epochs=2, verbose=0,
                  validation_data=iter(val * 2), validation_steps=3).history
    else:
        class Weighted(jkeras.utils.Sequence):
            def __len__(self):
                return STEPS

            def __getitem__(self, i):
                return list(batches(weights=True))[i]

        workers = 3 if source == "sequence_threads" else 0
        h = m.fit(Weighted(), epochs=2, verbose=0, shuffle=False, workers=workers, max_queue_size=2,
                  validation_data=(X[:40], Y[:40])).history
    assert_same_weights(m, ref)
    assert set(h) == set(ref_history)
    for key in ref_history:
        np.testing.assert_allclose(h[key], ref_history[key], rtol=1e-5, err_msg=key)
    assert data_threads() == []


def test_evaluate_and_predict_on_generators_match_arrays(reference):
    ref, _ = reference
    expected = ref.evaluate(X, Y, batch_size=BATCH, verbose=0)
    np.testing.assert_allclose(ref.evaluate(batches(), verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(ref.evaluate(Batches(workers=2), verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(ref.evaluate(endless(), steps=STEPS, verbose=0), expected, rtol=1e-6)
    probs = ref.predict(X, verbose=0)
    only_x = (x for x, _ in batches())
    np.testing.assert_allclose(ref.predict(only_x, verbose=0), probs, rtol=1e-6)
    np.testing.assert_allclose(ref.predict(batches(), verbose=0), probs, rtol=1e-6)  # (x, y) tuples: x
    np.testing.assert_allclose(ref.predict(endless(), steps=2, verbose=0), probs[:32], rtol=1e-6)


def test_stream_passes_give_a_key_only_to_programs_that_read_it():
    """Evaluate / predict over a stream hand each batch a key of its own where a layer draws in
    inference (Monte-Carlo dropout), and draw none from the key stream for the other models."""
    from jkeras.utils import random as jk_random

    inputs = jkeras.Input((DIM,))
    mc = jkeras.Model(inputs, layers.Dense(1)(layers.Dropout(0.5)(inputs, training=True)))
    mc.compile("sgd", "mse")
    x, y = X[:BATCH], np.zeros((BATCH, 1), "float32")
    out = mc.predict(iter([x, x]), verbose=0)
    assert out.shape == (2 * BATCH, 1) and not np.array_equal(out[:BATCH], out[BATCH:])
    assert not np.array_equal(out, mc.predict(iter([x, x]), verbose=0))
    assert mc.evaluate(iter([(x, y)]), verbose=0) != mc.evaluate(iter([(x, y)]), verbose=0)
    plain = model()
    counter = jk_random._seed["counter"]
    np.testing.assert_allclose(plain.predict(batches(), verbose=0), plain.predict(X, verbose=0), rtol=1e-6)
    plain.evaluate(batches(), verbose=0)
    assert jk_random._seed["counter"] == counter + 1  # the key of the array `predict` only


def test_sequence_with_workers_keeps_batch_order():
    m = model()
    slow = Batches(delay=0.01, workers=4, max_queue_size=6)
    np.testing.assert_allclose(m.predict(slow, verbose=0), m.predict(X, verbose=0), rtol=1e-6)
    assert sorted(slow.reads) == list(range(STEPS))


def test_multi_input_dict_batches_and_class_weight():
    jkeras.utils.set_random_seed(4)
    a, b = jkeras.Input((3,), name="a"), jkeras.Input((5,), name="b")
    h = layers.Concatenate()([layers.Dense(4, name="da")(a), layers.Dense(4, name="db")(b)])
    m = jkeras.Model([a, b], layers.Dense(CLASSES, activation="softmax", name="out")(h))
    m.compile(jkeras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    initial = m.get_weights()
    weights = {0: 1.0, 1: 2.0, 2: 0.5}
    n = 6 * BATCH  # no partial batch: one compiled step per path
    m.fit({"a": X[:n, :3], "b": X[:n, 3:]}, Y[:n], batch_size=BATCH, shuffle=False, verbose=0, class_weight=weights)
    expected = m.get_weights()
    m.set_weights(initial)
    m.optimizer.state = None
    gen = (({"a": x[:, :3], "b": x[:, 3:]}, {"out": y}) for x, y in batches(6))
    m.fit(gen, verbose=0, class_weight=weights)
    assert_same_weights(m.get_weights(), expected)


# ------------------------------------------------------------------------------------------
# Epochs: steps, passes, shuffling, on_epoch_end


class CountBatches(jkeras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[-1] += 1


def test_iterables_run_until_exhausted_and_steps_cap_them():
    m, count = model(), CountBatches()
    m.fit(Reiterable(), epochs=2, verbose=0, callbacks=[count])
    assert count.per_epoch == [STEPS, STEPS]
    m.fit(Reiterable(), epochs=2, steps_per_epoch=10, verbose=0, callbacks=[count])  # cycles
    assert count.per_epoch == [10, 10]
    m.fit(batches(), epochs=1, verbose=0, callbacks=[count])
    assert count.per_epoch == [STEPS]


def test_sequence_shuffles_batch_order_each_epoch_and_calls_on_epoch_end():
    jkeras.utils.set_random_seed(1)
    seq = Batches(workers=1)
    model().fit(seq, epochs=3, verbose=0)
    epochs = [seq.reads[i * STEPS:(i + 1) * STEPS] for i in range(3)]
    assert all(sorted(e) == list(range(STEPS)) for e in epochs[1:])
    assert sorted(epochs[0]) == list(range(STEPS))
    assert len({tuple(e) for e in epochs}) > 1
    assert seq.epoch_ends == 3
    unshuffled = Batches()
    model().fit(unshuffled, epochs=2, shuffle=False, verbose=0)
    assert unshuffled.reads == list(range(STEPS)) * 2  # batch 0, read first to build the step, is reused
    assert unshuffled.epoch_ends == 2


def test_sequence_steps_per_epoch_continues_through_passes():
    seq = Batches()
    model().fit(seq, epochs=3, steps_per_epoch=5, shuffle=False, verbose=0)
    assert seq.reads == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0]
    assert seq.epoch_ends == 2


def test_shuffle_batch_permutes_blocks():
    order = np.asarray(data_adapter.epoch_order(10, "batch", 3, [0, 1]))
    blocks = order[:9].reshape(3, 3)
    assert sorted(blocks[:, 0].tolist()) == [0, 3, 6]
    np.testing.assert_array_equal(blocks - blocks[:, :1], np.tile([0, 1, 2], (3, 1)))
    assert order[9] == 9
    h = model().fit(X, Y, batch_size=BATCH, shuffle="batch", epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2


def test_device_rows_are_held_once_in_each_epochs_order():
    """Each epoch's data on the device is the rows in that epoch's order (NumPy `take`), reached
    from the last epoch's: one device copy of host data at a time, a caller's JAX array kept."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((12, 3)).astype("float32"), np.arange(12, dtype="int32")
    orders = [data_adapter.epoch_order(12, True, 4, [0, e]) for e in range(3)]
    orders += [data_adapter.epoch_order(12, False, 4, [0]), data_adapter.epoch_order(12, "batch", 5, [1])]
    for as_jax in (False, True):
        given = jax.device_put(x) if as_jax else x
        rows = data_adapter.Rows(data_adapter.Data([given], [y], [None]), 4)
        assert rows.on_device
        for order in orders:
            epoch = next(rows.feed(order, 8))
            np.testing.assert_array_equal(np.asarray(epoch.x[0]), x[order])
            np.testing.assert_array_equal(np.asarray(epoch.y[0]), y[order])
            del epoch
            held = sum(a.shape == (12, 3) for a in jax.live_arrays())
            assert held == (2 if as_jax else 1)
        if as_jax:
            np.testing.assert_array_equal(np.asarray(given), x)  # the caller's array is untouched


def test_host_fed_rows_are_the_calls_own_rows_wrapping_around(monkeypatch):
    monkeypatch.setattr(data_adapter, "DEVICE_DATA_BYTES", 0)
    x = np.arange(10, dtype="float32")[:, None]
    rows = data_adapter.Rows(data_adapter.Data([x], None, None), 4)
    assert not rows.on_device
    order = data_adapter.epoch_order(10, True, 4, [2])
    feed = rows.feed(order, 4)
    calls = [next(feed).x[0][:, 0] for _ in range(3)]
    np.testing.assert_array_equal(np.concatenate(calls), x[np.concatenate([order, order[:2]]), 0])


def test_cpu_feeds_large_batches_from_the_host_and_trains_the_same(monkeypatch):
    """On a CPU a batch over `CPU_DEVICE_BATCH_BYTES` is fed from the host (a device copy there
    saves no transfer); smaller batches are sliced on the device; both paths train alike."""
    assert jax.default_backend() == "cpu"
    monkeypatch.setattr(data_adapter, "CPU_DEVICE_BATCH_BYTES", 4 * 4 * 4)  # 4 rows of 4 floats
    x = np.random.default_rng(0).standard_normal((64, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    data = data_adapter.Data([x], [y], [None])  # 20 bytes a row with its label
    assert data_adapter.Rows(data, 3).on_device
    assert not data_adapter.Rows(data, 4).on_device
    assert data_adapter.Rows(data_adapter.Data([jax.device_put(x)], [y], [None]), 4).on_device

    weights = []
    for limit in (1 << 30, 0):  # batches of 4 sliced on the device, then fed from the host
        monkeypatch.setattr(data_adapter, "CPU_DEVICE_BATCH_BYTES", limit)
        jkeras.utils.set_random_seed(1)
        m = jkeras.Sequential([jkeras.layers.Input((4,)), jkeras.layers.Dense(1, activation="sigmoid")])
        m.compile("sgd", "binary_crossentropy")
        m.fit(x, y, batch_size=4, epochs=2, verbose=0)
        weights.append(m.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_generator_steps_compile_once_and_read_on_the_calling_thread():
    """As Keras 3: a generator (and a Sequence with one worker) is read on the calling thread,
    a Sequence with several workers on that many threads; either way one program per shape."""
    m = model()
    m.fit(endless(), steps_per_epoch=STEPS, epochs=1, verbose=0)
    compiles, readers = [], []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    def recording():
        for batch in endless():
            readers.append(threading.current_thread().name)
            yield batch

    class Recording(Batches):
        def __getitem__(self, i):
            readers.append(threading.current_thread().name)
            return super().__getitem__(i)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        m.fit(recording(), steps_per_epoch=STEPS, epochs=3, verbose=0)
        caller = threading.current_thread().name
        assert readers == [caller] * (3 * STEPS)  # the first batch, read to build the step, is step 0
        readers.clear()
        m.fit(Recording(workers=1), epochs=2, verbose=0)
        assert readers and set(readers) == {caller}
        readers.clear()
        m.fit(Recording(workers=3), epochs=2, verbose=0)
    finally:
        jax.monitoring.clear_event_listeners()
    assert compiles == []
    assert all(name.startswith("jkeras_data") for name in readers[1:])  # [0]: the first batch


@pytest.mark.parametrize("source", ["generator", "sequence"])
def test_a_source_refilling_one_buffer_trains_like_arrays(source):
    """Keras 2 generators often fill one preallocated buffer per batch: each batch must be taken
    by its step before the next is read into the same memory."""
    ref = model()
    ref.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    expected = ref.get_weights()
    buffer_x, buffer_y = np.empty((BATCH, DIM), "float32"), np.empty((BATCH,), "int32")

    def fill(i):
        s = slice(i * BATCH, (i + 1) * BATCH)
        n = len(X[s])
        buffer_x[:n], buffer_y[:n] = X[s], Y[s]
        return buffer_x[:n], buffer_y[:n]

    class Refilling(jkeras.utils.Sequence):
        def __len__(self):
            return STEPS

        def __getitem__(self, i):
            return fill(i)

    def refilling():
        while True:
            for i in range(STEPS):
                yield fill(i)

    m = model()
    if source == "generator":
        m.fit(refilling(), steps_per_epoch=STEPS, epochs=2, verbose=0)
    else:
        m.fit(Refilling(), epochs=2, shuffle=False, verbose=0)
    assert_same_weights(m, expected)


# ------------------------------------------------------------------------------------------
# Bad input: an error naming the batch, no thread left, last good weights kept


def trained_on_first(n):
    """Weights after training on the first `n` batches of arrays."""
    ref = model()
    ref.fit(X[:n * BATCH], Y[:n * BATCH], batch_size=BATCH, shuffle=False, verbose=0)
    return ref.get_weights()


def test_generator_yielding_an_inconsistent_shape():
    def gen():
        for i, (x, y) in enumerate(endless()):
            yield (x[:, :5] if i == 3 else x), y

    m = model()
    with pytest.raises(ValueError, match=r"batch index 3 of epoch 1.*\(None, 8\).*\(16, 5\)"):
        m.fit(gen(), steps_per_epoch=STEPS, verbose=0)
    assert data_threads() == []
    assert_same_weights(m.get_weights(), trained_on_first(3))

    def targets_change():
        yield X[:16], Y[:16]
        yield X[16:32], np.eye(3, dtype="float32")[Y[16:32]]

    changed = r"batch index 1 .*targets \[\(16, 3\) float32\].*first batch had \[\(16,\) int32\]"
    with pytest.raises(ValueError, match=changed):
        model().fit(targets_change(), verbose=0)


def test_generator_that_raises_or_ends_early():
    def raising():
        yield from batches(2)
        raise ZeroDivisionError("bad row")

    m = model()
    with pytest.raises(RuntimeError, match=r"generator.*batch index 2 of epoch 1: ZeroDivisionError: bad row") as err:
        m.fit(raising(), steps_per_epoch=STEPS, verbose=0)
    assert isinstance(err.value.__cause__, ZeroDivisionError)
    assert data_threads() == []
    assert_same_weights(m.get_weights(), trained_on_first(2))

    m = model()
    with pytest.raises(RuntimeError, match=r"ran out of data at batch index 4 of epoch 1.*7 batches"):
        m.fit(batches(4), steps_per_epoch=STEPS, verbose=0)
    assert data_threads() == []
    assert_same_weights(m.get_weights(), trained_on_first(4))

    with pytest.raises(RuntimeError, match="no batch in epoch 2"):
        model().fit(batches(), epochs=2, verbose=0)
    with pytest.raises(ValueError, match="yielded no batch"):
        model().fit(iter([]), verbose=0)
    # a batch of x alone is x, as Keras 3 takes it: without targets, a compiled loss has none
    with pytest.raises(ValueError, match=r"batch index 0.*targets `y` are required"):
        model().fit(iter([X[:4]]), verbose=0)


def test_sequence_failing_in_a_worker_thread():
    m = model()
    seq = Batches(fail_at=5, workers=3)
    with pytest.raises(RuntimeError, match=r"__getitem__\(5\).*batch index 5 \(Sequence index 5\).*KeyError") as err:
        m.fit(seq, epochs=1, shuffle=False, verbose=0)
    assert isinstance(err.value.__cause__, KeyError)
    assert data_threads() == []
    assert_same_weights(m.get_weights(), trained_on_first(5))
    with pytest.raises(RuntimeError, match=r"Sequence index 5"):
        model().predict(Batches(fail_at=5, workers=2), verbose=0)
    assert data_threads() == []


def test_array_only_arguments_are_refused_with_generators():
    m = model()
    with pytest.raises(ValueError, match="`y` can't be passed"):
        m.fit(batches(), Y, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        m.fit(batches(), validation_split=0.2, verbose=0)
    with pytest.raises(TypeError, match="fit / evaluate / predict"):
        m.train_on_batch(batches())


# ------------------------------------------------------------------------------------------
# Keras 2 methods and Keras 1 spellings


def test_generator_methods_and_keras1_spellings(reference, monkeypatch):
    ref, ref_history = reference
    monkeypatch.setattr(legacy, "_warned", set())
    m, count = model(), CountBatches()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = m.fit_generator(endless(weights=True), samples_per_epoch=N, nb_epoch=2, verbose=0, nb_worker=1,
                            pickle_safe=False, max_q_size=4, callbacks=[count],
                            validation_data=endless(), nb_val_samples=40)
        assert count.per_epoch == [STEPS, STEPS]  # 100 samples in batches of 16
        assert_same_weights(m, ref)
        np.testing.assert_allclose(h.history["loss"], ref_history["loss"], rtol=1e-5)
        m.fit_generator(endless(), 1, 1, verbose=0, nb_val_samples=None)
    messages = [str(w.message) for w in caught]
    for old in ("samples_per_epoch", "nb_epoch", "nb_worker", "pickle_safe", "max_q_size", "nb_val_samples"):
        assert sum(f"`{old}`" in msg for msg in messages) == 1, old
    assert len(h.history["val_loss"]) == 2
    expected = ref.evaluate(X, Y, batch_size=BATCH, verbose=0)
    np.testing.assert_allclose(ref.evaluate_generator(endless(), STEPS), expected, rtol=1e-6)
    with pytest.warns(UserWarning, match="val_samples"):
        np.testing.assert_allclose(ref.evaluate_generator(endless(), val_samples=N), expected, rtol=1e-6)
    out = ref.predict_generator(Batches(), workers=2, use_multiprocessing=False)
    np.testing.assert_allclose(out, ref.predict(X, verbose=0), rtol=1e-6)
    with pytest.raises(TypeError, match="both `samples_per_epoch`"):
        m.fit_generator(endless(), 3, samples_per_epoch=N)
    with pytest.raises(TypeError, match="expected a generator"):
        m.fit_generator((X, Y))


def test_float_step_counts_run_their_ceiling_as_keras_2():
    """Keras 2's docs: `fit_generator(datagen.flow(...), steps_per_epoch=len(x_train) / 32)`."""
    count = CountBatches()
    m = model()
    m.fit_generator(endless(), steps_per_epoch=N / BATCH, epochs=1, verbose=0, callbacks=[count],
                    validation_data=endless(), validation_steps=N / BATCH)
    assert count.per_epoch == [STEPS] and STEPS == int(np.ceil(N / BATCH)) != N / BATCH
    np.testing.assert_allclose(m.evaluate_generator(endless(), N / BATCH), m.evaluate(X, Y, batch_size=BATCH, verbose=0),
                               rtol=1e-6)
    assert len(m.predict(endless(), steps=2.5, verbose=0)) == 3 * BATCH
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive int"):
        m.fit(endless(), steps_per_epoch=-1.5, verbose=0)


def test_utils_exports():
    for name in ("Sequence", "PyDataset", "pad_sequences", "Progbar", "get_file", "to_categorical", "normalize",
                 "set_random_seed"):
        assert hasattr(jkeras.utils, name), name
    with pytest.raises(NotImplementedError):
        len(jkeras.utils.Sequence())

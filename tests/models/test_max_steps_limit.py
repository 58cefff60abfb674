"""`config.set_max_steps_per_epoch(n)` is an upper bound only, as in Keras 3 (the reference): a
finite generator of unknown length ends the epoch when it runs out before `n` batches."""
import warnings

import keras
import numpy as np
import pytest

import jkeras

RNG = np.random.default_rng(0)
X = RNG.random((64, 4)).astype("float32")
Y = RNG.integers(0, 2, (64,))


@pytest.fixture(params=[5, 2], ids=["cap_above_data", "cap_below_data"])
def cap(request):
    saved = jkeras.config.max_steps_per_epoch(), keras.config.max_steps_per_epoch()
    for lib in (jkeras, keras):
        lib.config.set_max_steps_per_epoch(request.param)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Limiting steps_per_epoch", Keras's "ran out of data"
        yield request.param
    jkeras.config.set_max_steps_per_epoch(saved[0])
    keras.config.set_max_steps_per_epoch(saved[1])


def _batches(x, y, size=16):
    for i in range(0, len(x), size):
        yield x[i:i + size], y[i:i + size]


def _counter(lib):
    class Count(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.train, self.test, self.predict = [], [], 0

        def on_epoch_begin(self, epoch, logs=None):
            self.train.append(0)

        def on_train_batch_end(self, batch, logs=None):
            self.train[-1] += 1

        def on_test_begin(self, logs=None):
            self.test.append(0)

        def on_test_batch_end(self, batch, logs=None):
            self.test[-1] += 1

        def on_predict_batch_end(self, batch, logs=None):
            self.predict += 1

    return Count()


def _model(lib):
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    return model


def _run(lib, **fit_kwargs):
    model, count = _model(lib), _counter(lib)
    # 4 training batches, 3 validation batches (16 + 16 + 8 rows), lengths unknown to fit.
    history = model.fit(_batches(X, Y), epochs=1, validation_data=_batches(X[:40], Y[:40]), verbose=0,
                        callbacks=[count], **fit_kwargs)
    predictions = model.predict(_batches(X, Y), verbose=0, callbacks=[count])
    model.evaluate(_batches(X, Y), verbose=0, callbacks=[count])
    return sorted(history.history), count, predictions.shape


def test_finite_generators_are_bounded_not_demanded(cap):
    ours, ref = _run(jkeras), _run(keras)
    assert ours[0] == ref[0] == ["loss", "val_loss"]
    assert ours[1].train == ref[1].train == [min(cap, 4)]
    assert ours[1].test == ref[1].test == [min(cap, 3), min(cap, 4)]  # validation, then evaluate
    assert ours[1].predict == ref[1].predict == min(cap, 4)
    assert ours[2] == ref[2] == (min(cap, 4) * 16, 2)


def test_explicit_steps_capped(cap):
    ours, ref = _run(jkeras, steps_per_epoch=3), _run(keras, steps_per_epoch=3)
    assert ours[1].train == ref[1].train == [min(cap, 3)]


def test_reiterable_object_over_epochs(cap):
    class Batches:  # an object that can be iterated again, of unknown length
        def __iter__(self):
            return _batches(X, Y)

    model, count = _model(jkeras), _counter(jkeras)
    model.fit(Batches(), epochs=3, verbose=0, callbacks=[count])
    # Keras 3's epoch iterator: at most `cap` batches an epoch; the next epoch goes on where the
    # last one stopped and starts over once the data is used up.
    assert count.train == [min(cap, 4)] * 3
    assert model.predict(Batches(), verbose=0).shape == (min(cap, 4) * 16, 2)


@pytest.mark.parametrize("epochs", [1, 2])
def test_epoch_line_only_for_several_epochs(epochs, capsys):
    lines = {}
    for lib in (jkeras, keras):
        _model(lib).fit(X[:8], Y[:8], epochs=epochs, batch_size=8, verbose=2)
        lines[lib] = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Epoch ")]
    assert lines[jkeras] == lines[keras] == [f"Epoch {e + 1}/{epochs}" for e in range(epochs) if epochs > 1]

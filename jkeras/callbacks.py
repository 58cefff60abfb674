"""Callbacks: hooks into `fit`, `evaluate` and `predict` with Keras's names and arguments."""
import numpy as np

from jkeras.utils.progbar import Progbar

_BATCH_HOOKS = (
    "on_batch_begin", "on_batch_end",
    "on_train_batch_begin", "on_train_batch_end",
    "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class of callbacks. Override any hook; `self.model` and `self.params` are set by `fit`.

    Batch hooks receive `logs` whose values may still be on the device; converting one with
    `float()` copies it to the host.
    """

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        """Keras 2 name of `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2 name of `on_train_batch_end`."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def _overrides(self, hook):
        return getattr(type(self), hook) is not getattr(Callback, hook)


class CallbackList:
    """Calls a list of callbacks; batch hooks only on callbacks that override them.

    Args:
        callbacks: list of `Callback`s.
        add_history: append a `History` (and keep it as `model.history`) unless one is given.
        add_progbar: append a `ProgbarLogger` unless one is given.
        model: the model, set on every callback.
        **params: `verbose`, `epochs`, `steps`, set on every callback.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks: expected Callback instances, got {cb!r}")
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        if add_history:
            history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
            if history is None:
                history = History()
                self.callbacks.append(history)
            if model is not None:
                model.history = history
        self.model = model
        self.params = params
        for cb in self.callbacks:
            if model is not None:
                cb.set_model(model)
            cb.set_params(dict(params))
        self._batch_callbacks = {
            hook: [cb for cb in self.callbacks if cb._overrides(hook) or _overrides_alias(cb, hook)]
            for hook in _BATCH_HOOKS
        }

    def append(self, callback):
        self.callbacks.append(callback)

    def wants(self, hook):
        """True when some callback overrides the batch hook `hook` (so logs must be produced)."""
        return bool(self._batch_callbacks[hook])

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def _call_batch(self, hook, batch, logs):
        for cb in self._batch_callbacks[hook]:
            getattr(cb, hook)(batch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)


def _overrides_alias(cb, hook):
    aliases = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}
    return hook in aliases and cb._overrides(aliases[hook])


class History(Callback):
    """Records each epoch's logs: `history.history["loss"]` is the list of epoch losses.

    Attributes:
        epoch: list of epoch indices seen.
        history: dict of log name -> list of per-epoch values.
    """

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class ProgbarLogger(Callback):
    """Prints progress: a live bar (`verbose=1`) or one line per epoch (`verbose=2`).

    Args:
        count_mode: "steps" (the only mode; "samples" is accepted for Keras 2 code).
        stateful_metrics: accepted for Keras compatibility.
    """

    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        self._bar = None
        self.verbose = 1
        self.epochs = 1
        self._mode = "train"

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._mode = "train"

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
        self._bar = Progbar(self.target, verbose=self.verbose)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(batch + 1, logs, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.update(self.target or self._bar._seen, logs, finalize=True)
            self._bar = None

    def on_test_begin(self, logs=None):
        if self._bar is None and self.verbose:
            self._mode = "test"
            self._bar = Progbar(self.params.get("steps"), verbose=self.verbose)

    def on_test_batch_end(self, batch, logs=None):
        if self._mode == "test" and self._bar is not None:
            self._bar.update(batch + 1, logs, finalize=False)

    def on_test_end(self, logs=None):
        if self._mode == "test" and self._bar is not None:
            self._bar.update(self._bar.target or self._bar._seen, logs, finalize=True)
            self._bar = None

    def on_predict_begin(self, logs=None):
        if self.verbose:
            self._mode = "predict"
            self._bar = Progbar(self.params.get("steps"), verbose=self.verbose)

    def on_predict_batch_end(self, batch, logs=None):
        if self._mode == "predict" and self._bar is not None:
            self._bar.update(batch + 1, finalize=False)

    def on_predict_end(self, logs=None):
        if self._mode == "predict" and self._bar is not None:
            self._bar.update(self._bar.target or self._bar._seen, finalize=True)
            self._bar = None


def to_host(logs):
    """Copies a logs dict's values to Python floats (one device sync)."""
    return {k: float(np.asarray(v)) for k, v in (logs or {}).items()}

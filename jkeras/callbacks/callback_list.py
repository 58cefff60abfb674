"""`CallbackList`: calls the hooks of a list of callbacks, the batch hooks only where overridden."""
import numpy as np

from jkeras.callbacks.callback import Callback
from jkeras.callbacks.history import History, ProgbarLogger
from jkeras.callbacks.loggers import TerminateOnNaN

_BATCH_HOOKS = (
    "on_batch_begin", "on_batch_end",
    "on_train_batch_begin", "on_train_batch_end",
    "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class CallbackList:
    """Calls a list of callbacks; batch hooks only on callbacks that override them.

    Args:
        callbacks: list of `Callback`s.
        add_history: append a `History` (and keep it as `model.history`) unless one is given.
        add_progbar: append a `ProgbarLogger` (after the others) unless one is given.
        model: the model, set on every callback.
        **params: `verbose`, `epochs`, `steps`, set on every callback.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks: expected Callback instances, got {cb!r}")
        if add_history:
            history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
            if history is None:
                history = History()
                self.callbacks.append(history)
            if model is not None:
                model.history = history
            history.warn_on_nan = not any(isinstance(cb, TerminateOnNaN) for cb in self.callbacks)
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            # Last, as Keras 3 adds it: the epoch line shows what callbacks added to the logs
            # (ReduceLROnPlateau's `learning_rate`).
            self.callbacks.append(ProgbarLogger())
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
        # Every hook gets a dict, as in Keras 3 (`on_train_begin` code reads `logs.keys()`).
        *args, logs = args
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            getattr(cb, hook)(*args, logs)

    def _call_batch(self, hook, batch, logs):
        # Train / test batch logs reach callbacks as Python floats, as in Keras (one host copy,
        # made only when a callback other than the progress bar, which reads them at its own
        # pace, takes them); predict batch logs hold the batch's outputs.
        logs = {} if logs is None else logs
        host = logs if hook.startswith("on_predict") else None
        for cb in self._batch_callbacks[hook]:
            if isinstance(cb, ProgbarLogger):
                getattr(cb, hook)(batch, logs)
                continue
            if host is None:
                host = pythonify_logs(logs)
            getattr(cb, hook)(batch, host)

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


def pythonify_logs(logs):
    """Logs with each one-element value as a Python float (one host sync), dicts merged in."""
    out = {}
    for key, value in sorted(logs.items()):  # Keras 3 hands callbacks sorted logs
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        try:
            value = float(np.asarray(value)) if np.size(value) == 1 else value
        except (TypeError, ValueError):
            pass
        out[key] = value
    return out


def to_host(logs):
    """Copies a logs dict's values to Python floats (one device sync)."""
    return {k: float(np.asarray(v)) for k, v in (logs or {}).items()}

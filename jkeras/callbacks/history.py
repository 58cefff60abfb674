"""The callbacks `fit` adds itself: `History` and `ProgbarLogger` (and Keras 2's `BaseLogger`)."""
import math
import warnings

from jkeras.callbacks.callback import Callback
from jkeras.utils.progbar import Progbar
from jkeras.utils.io_utils import print_msg


class History(Callback):
    """Records each epoch's logs: `history.history["loss"]` is the list of epoch losses.

    The first epoch whose loss is NaN or infinite gives one `RuntimeWarning` per `fit` (unless a
    `TerminateOnNaN` callback already watches the loss); the value is recorded as it is.

    Attributes:
        epoch: list of epoch indices seen.
        history: dict of log name -> list of per-epoch values.
    """

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}
        self.warn_on_nan = True
        self._warned = False

    def on_train_begin(self, logs=None):
        self.epoch = []
        self._warned = False

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        loss = (logs or {}).get("loss")
        if self.warn_on_nan and not self._warned and isinstance(loss, float) and not math.isfinite(loss):
            self._warned = True
            warnings.warn(
                f"fit: the training loss is {loss} at epoch {epoch + 1}; training goes on and History "
                "records it. Add jkeras.callbacks.TerminateOnNaN() to stop at the first such batch, "
                "or turn on jkeras.utils.check_numerics() to check the input data.",
                RuntimeWarning, stacklevel=2,
            )


class ProgbarLogger(Callback):
    """Prints progress: a live bar (`verbose=1`) or one line per epoch (`verbose=2`), after an
    "Epoch i/n" line when `fit` runs more than one epoch (Keras 3). The logs show in the
    trainer's order (sorted by name), names first seen at the epoch's end (`val_*`, keys callbacks
    add) after the batches' (Keras 3's order).

    Args:
        count_mode: "steps" (the only mode; "samples" is accepted for Keras 2 code).
        stateful_metrics: accepted for Keras compatibility.
    """

    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        self._bar = None
        self._order = []
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
        if self.verbose and self.epochs > 1:  # Keras 3: no "Epoch 1/1" line
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")
        self._new_bar(self.target)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(batch + 1, self._batch_values(logs), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.update(self.target or self._bar._seen, self._ordered(logs), finalize=True)
            self._bar = None

    def on_test_begin(self, logs=None):
        if self._bar is None and self.verbose:
            self._mode = "test"
            self._new_bar(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if self._mode == "test" and self._bar is not None:
            self._bar.update(batch + 1, self._batch_values(logs), finalize=False)

    def on_test_end(self, logs=None):
        if self._mode == "test" and self._bar is not None:
            self._bar.update(self._bar.target or self._bar._seen, self._ordered(logs), finalize=True)
            self._bar = None

    def on_predict_begin(self, logs=None):
        if self.verbose:
            self._mode = "predict"
            self._new_bar(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        if self._mode == "predict" and self._bar is not None:
            self._bar.update(batch + 1, finalize=False)

    def on_predict_end(self, logs=None):
        if self._mode == "predict" and self._bar is not None:
            self._bar.update(self._bar.target or self._bar._seen, finalize=True)
            self._bar = None

    def _new_bar(self, target):
        self._bar = Progbar(target, verbose=self.verbose)
        self._order = []

    def _batch_values(self, logs):
        # Keras 3's bar takes batch logs (and their order) only when it draws each batch.
        return self._ordered(logs) if self.verbose == 1 else logs

    def _ordered(self, logs):
        """`(name, value)` pairs in Keras 3's bar order: each logs dict in its own order (the
        trainer sorts its logs; keys callbacks add come after), a name first seen later
        (`val_*`) after those."""
        logs = logs or {}
        for key in logs:
            if key not in self._order:
                self._order.append(key)
        return [(key, logs[key]) for key in self._order if key in logs]


class BaseLogger(Callback):
    """Keras 2's epoch averaging of batch metrics; a no-op, since `fit`'s epoch logs are averages.

    Args:
        stateful_metrics: accepted for Keras 2 compatibility.
    """

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or ())

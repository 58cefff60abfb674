"""Callbacks that watch a logged quantity or the epoch and act on the training: `EarlyStopping`,
`ReduceLROnPlateau`, `LearningRateScheduler`."""
import inspect
import numbers
import re
import warnings

import numpy as np

from jkeras.callbacks.callback import Callback
from jkeras.utils import legacy
from jkeras.utils.io_utils import print_msg

# Names (after "val_" and an output prefix) of quantities that improve upwards, as Keras 3's metric
# classes declare (`_direction = "up"`) and tf.keras 2's "auto" mode matched by suffix.
_HIGHER_IS_BETTER = (
    "acc", "accuracy", "auc", "precision", "recall", "f1_score", "fbeta_score", "r2_score", "iou",
    "io_u", "correlation", "cosine_similarity", "_at_recall", "_at_precision", "_at_sensitivity",
    "_at_specificity",
)


def monitor_direction(model, monitor):
    """Whether `monitor` should go "up" or "down", as `mode="auto"` decides.

    A metric object compiled into `model` under that log name decides through its `_direction`;
    otherwise the name does: "loss" and unknown names go down (tf.keras 2), accuracy, AUC,
    precision, recall, F-scores, IoU, R2, correlations and cosine similarity go up.

    Args:
        model: the model being trained (or None).
        monitor: the log key, e.g. "val_accuracy".

    Returns:
        "up" or "down".
    """
    name = monitor[4:] if monitor.startswith("val_") else monitor
    spec = getattr(model, "_spec", None)
    for output in getattr(spec, "outputs", ()):
        for log_name, metric, _ in output.metrics:
            direction = getattr(metric, "_direction", None)
            if log_name == name and direction in ("up", "down"):
                return direction
    name = re.sub(r"_\d+$", "", name)  # "precision_1": a uniquified metric name.
    if name == "loss" or name.endswith("_loss"):
        return "down"
    return "up" if name.endswith(_HIGHER_IS_BETTER) else "down"


class _MonitorCallback(Callback):
    """Shared by callbacks that compare a monitored log value with its best value so far.

    Args:
        monitor: the log key to watch.
        mode: "auto", "min" or "max" (an unknown mode warns and means "auto").
        min_delta: an improvement must exceed the best value by more than `abs(min_delta)`.
    """

    def __init__(self, monitor, mode, min_delta):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.best = None
        self.monitor_op = None

    def _set_monitor_op(self):
        direction = {"min": "down", "max": "up"}.get(self.mode) or \
            monitor_direction(self.model, self.monitor)
        self.monitor_op = np.greater if direction == "up" else np.less

    def _is_improvement(self, value, reference):
        """True when `value` beats `reference` (None: nothing to beat) by more than min_delta."""
        if reference is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        delta = self.min_delta if self.monitor_op is np.greater else -self.min_delta
        return bool(self.monitor_op(value - delta, reference))

    def _monitored_value(self, logs, what):
        """`logs[monitor]` as a float, or None after a warning naming the keys that exist."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{what} conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs or {})}",
                stacklevel=3,
            )
            return None
        return float(np.asarray(value))


class EarlyStopping(_MonitorCallback):
    """Stops training when a monitored quantity has stopped improving.

    At the end of each epoch the monitored value is compared with the best so far; after
    `patience` epochs without an improvement larger than `min_delta`, `model.stop_training` is set.

    Args:
        monitor: log key to watch. Defaults to "val_loss".
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints when training stops and when weights are restored.
        mode: "min", "max" or "auto" (from the monitored name: accuracy, AUC... go up).
        baseline: the wait for an improvement is only reset by values that also beat it.
        restore_best_weights: at the end of training, set the weights of the best epoch.
        start_from_epoch: epochs of warm-up before monitoring starts.

    Attributes:
        stopped_epoch: the epoch at which training was stopped (0 if it was not).
        best_epoch: the epoch of the best monitored value.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self._monitored_value(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


def _current_learning_rate(model):
    """The optimizer's learning rate as a float, or None when it has none to read."""
    try:
        return float(np.asarray(model.optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return None


def _log_learning_rate(model, logs):
    """Adds the learning rate to `logs` as "learning_rate" (Keras 3) and "lr" (Keras 2)."""
    if logs is None or getattr(model, "optimizer", None) is None:
        return
    learning_rate = _current_learning_rate(model)
    if learning_rate is not None:
        logs["learning_rate"] = learning_rate
        logs["lr"] = learning_rate


class ReduceLROnPlateau(_MonitorCallback):
    """Lowers the learning rate when a monitored quantity has stopped improving.

    After `patience` epochs without improvement, `model.optimizer.learning_rate` becomes
    `max(learning_rate * factor, min_lr)`; the running `fit` uses it from the next step on, without
    recompiling. Each epoch's logs get the rate used as "learning_rate" and "lr".

    Args:
        monitor: log key to watch. Defaults to "val_loss".
        factor: the rate is multiplied by it; must be < 1.
        patience: epochs without improvement after which the rate is lowered.
        verbose: 1 prints each change.
        mode: "min", "max" or "auto".
        min_delta: smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound of the rate.

    Keras 2's `epsilon` is converted to `min_delta` (with a warning).

    Raises:
        ValueError: if `factor >= 1`.
        TypeError: for an unknown keyword argument.
    """

    _legacy = legacy.LegacyInterface(renames={"epsilon": "min_delta"})

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        _log_learning_rate(self.model, logs)
        current = self._monitored_value(logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, epoch):
        old_lr = _current_learning_rate(self.model)
        if old_lr is None or old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        self.model.optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True


def _takes_two_arguments(schedule):
    try:
        parameters = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


def _is_real_number(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    return np.ndim(value) == 0 and np.issubdtype(np.asarray(value).dtype, np.floating)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from `schedule`.

    Args:
        schedule: `schedule(epoch, lr) -> new_lr` or, Keras 2 style, `schedule(epoch) -> new_lr`
            (epoch counted from 0, rates as floats).
        verbose: 1 prints each rate set.

    Raises:
        ValueError: (in `fit`) if the schedule returns something other than a real number.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        two = _takes_two_arguments(self.schedule)
        if two is None:  # No signature: try the two-argument form first, as Keras does.
            try:
                learning_rate = self.schedule(epoch, float(np.asarray(optimizer.learning_rate)))
            except TypeError:
                learning_rate = self.schedule(epoch)
        elif two:
            learning_rate = self.schedule(epoch, float(np.asarray(optimizer.learning_rate)))
        else:
            learning_rate = self.schedule(epoch)
        if not _is_real_number(learning_rate):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate}")
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                      f"{float(learning_rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        _log_learning_rate(self.model, logs)

"""`ModelCheckpoint` and `BackupAndRestore`: saving during `fit`, and resuming an interrupted `fit`."""
import os
import shutil
import string
import warnings

from jkeras.callbacks.callback import Callback
from jkeras.callbacks.monitor import _MonitorCallback
from jkeras.utils.io_utils import print_msg


def _check_save_freq(owner, save_freq):
    if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
        raise ValueError(f"{owner}: save_freq must be 'epoch' or a positive int (batches), got {save_freq!r}")


class _BatchCounter:
    """Counts batches across epochs to act every `save_freq` batches (steps_per_execution aware)."""

    def __init__(self, save_freq):
        self.save_freq = save_freq
        self.since_last = 0
        self.last_batch = None

    def due(self, batch):
        if self.save_freq == "epoch":
            return False
        added = batch + 1 if self.last_batch is None or batch <= self.last_batch else batch - self.last_batch
        self.last_batch = batch
        self.since_last += added
        if self.since_last >= self.save_freq:
            self.since_last = 0
            return True
        return False


class ModelCheckpoint(_MonitorCallback):
    """Saves the model (or its weights) during training, every epoch or every `save_freq` batches.

    Args:
        filepath: where to save; may hold `{epoch:02d}`, `{batch}` and log placeholders such as
            `{val_loss:.4f}`. `.keras` / `.h5` / other paths save the whole model (`model.save`);
            with `save_weights_only`, `.weights.h5` / `.h5` / other paths save the weights.
        monitor: the log key compared with `save_best_only` (default "val_loss").
        verbose: 1 prints a line at each decision.
        save_best_only: save only when `monitor` improves on the best value so far (the file is
            overwritten unless `filepath` has placeholders).
        save_weights_only: save only the weights (`model.save_weights`).
        mode: "auto", "min" or "max": whether `monitor` should go down or up.
        save_freq: "epoch", or a number of batches.
        initial_value_threshold: the value `monitor` must beat for the first save.
        period: Keras 2: save every `period` epochs (with `save_freq="epoch"`).
        options: accepted for Keras 2 compatibility.

    Raises:
        ValueError: for a bad `save_freq` or a `.keras` path with `save_weights_only`.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None, period=None, options=None,
                 **kwargs):
        super().__init__(monitor, mode, 0)
        kwargs.pop("load_weights_on_restart", None)
        if kwargs:
            raise TypeError(f"ModelCheckpoint: unexpected keyword argument(s) {sorted(kwargs)}")
        _check_save_freq("ModelCheckpoint", save_freq)
        self.filepath = os.fspath(filepath)
        if save_weights_only and self.filepath.endswith(".keras"):
            raise ValueError(
                "ModelCheckpoint: with save_weights_only=True the filepath must not end in .keras (a whole "
                f"model); use .weights.h5. Received: filepath={self.filepath}"
            )
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.period = 1 if period is None else int(period)
        self.best = initial_value_threshold
        self._counter = _BatchCounter(save_freq)
        self._epochs_since_last_save = 0
        self._current_epoch = 0
        # Asks fit to write the weights back before batch hooks (batch-level saves).
        self._weights_on_batch = save_freq != "epoch"

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._counter.due(batch):
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq != "epoch":
            return
        self._epochs_since_last_save += 1
        if self._epochs_since_last_save >= self.period:
            self._epochs_since_last_save = 0
            self._save(epoch, None, logs)

    def _file_path(self, epoch, batch, logs):
        # Only numbers from `logs` fill placeholders, and no filled-in field may hold a path
        # separator or be "." / "..": values a model reports cannot move the file elsewhere.
        values = {k: float(v) for k, v in (logs or {}).items() if _is_scalar(v) and not isinstance(v, str)}
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in values:
            values["batch"] = batch + 1
        try:
            return _SafePathFormatter(self.filepath).format(self.filepath, **values)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}. '
                f"Available keys (numeric logs only): {sorted(set(values) | {'batch'})}"
            ) from None

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            self._say(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available; saving anyway.", stacklevel=3)
            return True
        current = float(current)
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            self._say(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                      f"saving model to {filepath}")
            self.best = current
            return True
        self._say(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch, batch, logs):
        filepath = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        self._say(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _say(self, message):
        if self.verbose > 0:
            print_msg(message)


class _SafePathFormatter(string.Formatter):
    """`str.format` for checkpoint paths: plain field names only, and no field value may add a
    directory level (a separator, "." or "..")."""

    def __init__(self, pattern):
        super().__init__()
        self.pattern = pattern

    def get_field(self, field_name, args, kwargs):
        if not field_name.isidentifier():
            raise ValueError(
                f"ModelCheckpoint: filepath placeholders must be plain names such as {{epoch:02d}} or "
                f"{{val_loss:.4f}}, got {{{field_name}}} in {self.pattern!r}"
            )
        return super().get_field(field_name, args, kwargs)

    def format_field(self, value, format_spec):
        text = super().format_field(value, format_spec)
        if text in (".", "..") or any(sep and sep in text for sep in (os.sep, os.altsep, "/")):
            raise ValueError(
                f"ModelCheckpoint: a placeholder in filepath {self.pattern!r} was filled with {text!r}, "
                "which would change the directory; expected a file-name fragment without separators"
            )
        return text


def _is_scalar(value):
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


class BackupAndRestore(Callback):
    """Backs up the training state so that an interrupted `fit` resumes where it stopped.

    At the end of each epoch (or every `save_freq` batches) the weights, the optimizer state and
    the epoch are written to `backup_dir` as an orbax checkpoint, in the background while training
    goes on. When `fit` starts with a backup present, it is restored and training resumes at the
    epoch after the backed-up one (an interrupted epoch is rerun from its start). After a `fit`
    that completes, the backup is deleted (unless `delete_checkpoint=False`).

    Args:
        backup_dir: the directory of the backup; do not share it with other callbacks or runs.
        save_freq: "epoch", or a number of batches.
        double_checkpoint: keep the previous backup too, and fall back to it if the newest cannot
            be read.
        delete_checkpoint: delete the backup when `fit` completes.
        max_to_keep: how many backups to keep (default 1, or 2 with `double_checkpoint`).
        async_save: write backups in the background.

    Raises:
        ValueError: for an empty `backup_dir` or a bad `save_freq`.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True,
                 max_to_keep=None, async_save=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: empty `backup_dir` argument passed")
        _check_save_freq("BackupAndRestore", save_freq)
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self.max_to_keep = max_to_keep if max_to_keep is not None else (2 if double_checkpoint else 1)
        self.async_save = async_save
        self._counter = _BatchCounter(save_freq)
        self._checkpointer = None
        self._current_epoch = 0
        self._weights_on_batch = save_freq != "epoch"

    def _open(self):
        from jkeras.saving.orbax_io import TrainingCheckpointer

        if self._checkpointer is not None:
            self._checkpointer.wait_until_finished()
            self._checkpointer.close()
        self._checkpointer = TrainingCheckpointer(self.backup_dir, max_to_keep=self.max_to_keep,
                                                  async_save=self.async_save)
        return self._checkpointer

    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, the model must be built before fit(): give its first "
                "layer an input shape, or call it on a batch of data."
            )
        checkpointer = self._open()
        self._current_epoch = 0
        steps = checkpointer.all_steps()
        for step in reversed(steps):
            try:
                metadata = checkpointer.restore(self.model, step)
            except Exception as error:  # noqa: BLE001 - a damaged backup: try the previous one
                if step == steps[0]:
                    raise
                warnings.warn(f"BackupAndRestore: backup {step} cannot be read ({error}); trying the previous one",
                              stacklevel=2)
                continue
            self._current_epoch = int(metadata.get("epoch", 0))
            self.model._initial_epoch = self._current_epoch
            break
        self._step = (steps[-1] + 1) if steps else 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._counter.due(batch):
            self._backup(self._current_epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._backup(epoch + 1, 0)

    def _backup(self, epoch, batch):
        self._checkpointer.save(self._step, self.model, {"epoch": epoch, "batch": batch})
        self._step += 1

    def on_train_end(self, logs=None):
        if self._checkpointer is None:
            return
        self._checkpointer.wait_until_finished()
        self._checkpointer.close()
        self._checkpointer = None
        if self.delete_checkpoint:
            shutil.rmtree(self.backup_dir, ignore_errors=True)


class OrbaxCheckpoint(_MonitorCallback):
    """Saves the model's state with Orbax during training, as Keras 3's `OrbaxCheckpoint` does.

    Each save is a step directory `<directory>/<step>/` (the epoch index, or the number of batches
    seen with an integer `save_freq`) holding `model.get_state_tree()` and the model's config;
    `keras.saving.load_model(directory)` and `model.load_weights(directory)` read the newest one.
    Keras 3 and jkeras read each other's checkpoints.

    Args:
        directory: where the step directories go.
        monitor: the log key compared with `save_best_only` (default "val_loss").
        verbose: 1 prints a line at each save.
        save_best_only: save only when `monitor` improves on the best value so far.
        mode: "auto", "min" or "max": whether `monitor` should go down or up.
        save_freq: "epoch", or a number of batches.
        initial_value_threshold: the value `monitor` must beat for the first save.
        max_to_keep: how many of the newest checkpoints to keep (None: all).
        save_on_background: write asynchronously while training goes on.
        save_weights_only: save the variables without the model's config.

    Raises:
        ValueError: for a `save_freq` other than "epoch" or an integer.
        ImportError: when orbax-checkpoint is not installed.
    """

    def __init__(self, directory, monitor="val_loss", verbose=0, save_best_only=False, mode="auto",
                 save_freq="epoch", initial_value_threshold=None, max_to_keep=1, save_on_background=True,
                 save_weights_only=False):
        from jkeras.saving import keras3_orbax

        ocp = keras3_orbax.ocp()
        super().__init__(monitor, mode, 0)
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer values")
        self.directory = os.fspath(directory)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_freq = save_freq
        self.max_to_keep = max_to_keep
        self.save_on_background = save_on_background
        self.save_weights_only = save_weights_only
        self.best = initial_value_threshold
        self._counter = _BatchCounter(save_freq)
        self._total_batches_seen = 0
        self._weights_on_batch = save_freq != "epoch"
        policies = ocp.training.preservation_policies
        self.checkpointer = ocp.training.Checkpointer(
            directory=os.path.abspath(self.directory),  # orbax needs an absolute path
            preservation_policy=None if max_to_keep is None else policies.LatestN(max_to_keep),
            save_decision_policy=ocp.training.save_decision_policies.FixedIntervalPolicy(1),
        )

    def set_model(self, model):
        super().set_model(model)
        if getattr(model, "optimizer", None) is not None:
            self._total_batches_seen = int(model.optimizer.iterations)  # a reloaded model goes on counting

    def _improved(self, logs, where):
        if not self.save_best_only:
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, skipping save at {where}.",
                          stacklevel=3)
            return False
        if not self._is_improvement(float(current), self.best):
            return False
        self.best = float(current)
        return True

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        last = self._counter.last_batch
        self._total_batches_seen += batch + 1 if last is None or batch <= last else batch - last
        if self._counter.due(batch) and self._improved(logs, f"batch {batch}"):
            self._save(self._total_batches_seen)  # the step: batches seen in all

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and self._improved(logs, f"epoch {epoch}"):
            self._save(epoch)

    def _save(self, step):
        from jkeras.saving import keras3_orbax, saving_api
        from jkeras.saving import model_config

        ocp = keras3_orbax.ocp()
        state = self.model.get_state_tree()
        if self.save_weights_only:
            payload = {"pytree": {key: state[key] for key in ("trainable_variables", "non_trainable_variables")}}
        else:
            payload = {"pytree": state,
                       "model_config": {"config": model_config.dumps(saving_api._keras_config(self.model))}}
        with ocp.Context():
            if self.save_on_background:
                self.checkpointer.save_checkpointables_async(step, payload)
            else:
                self.checkpointer.save_checkpointables(step, payload)
        if self.verbose > 0:
            print_msg(f"\nOrbaxCheckpoint: saving step {step} to {self.directory}")

    def on_train_end(self, logs=None):
        self.checkpointer.close()  # waits for the saves in flight

    def wait_until_finished(self):
        """Blocks until the checkpoints being written are complete."""
        self.checkpointer.wait()

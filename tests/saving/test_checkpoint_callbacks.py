"""`ModelCheckpoint`, `BackupAndRestore` and the orbax `TrainingCheckpointer`."""
import inspect
import os

import numpy as np
import pytest

import jkeras
from jkeras import layers
from jkeras.models import training
from jkeras.saving.checkpoint_callbacks import BackupAndRestore, ModelCheckpoint
from jkeras.saving.orbax_io import TrainingCheckpointer

# BackupAndRestore needs fit to read `model._initial_epoch` after `on_train_begin` (as Keras 3 does).
FIT_RESUMES = "_initial_epoch" in inspect.getsource(training)
needs_resume = pytest.mark.xfail(not FIT_RESUMES, strict=True,
                                 reason="Trainer.fit does not yet read model._initial_epoch after on_train_begin")


def _model():
    model = jkeras.Sequential([layers.Input((4,)), layers.Dense(6, activation="relu"), layers.Dense(3)])
    model.compile(optimizer=jkeras.optimizers.Adam(0.01),
                  loss=jkeras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _fresh_model(seed=0):
    jkeras.utils.set_random_seed(seed)
    return _model()


class _Stop(jkeras.callbacks.Callback):
    """Interrupts fit at the start of epoch `at`."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise RuntimeError(f"interrupted at epoch {epoch}")


# ------------------------------------------------------------------------------------------------
# ModelCheckpoint


def test_saves_every_epoch_with_placeholders(tmp_path, data):
    model = _fresh_model()
    pattern = str(tmp_path / "ckpt" / "model-{epoch:02d}-{val_loss:.4f}.keras")
    history = model.fit(data["x"], data["y"], epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[ModelCheckpoint(pattern)])
    expected = sorted(f"model-{e + 1:02d}-{v:.4f}.keras" for e, v in enumerate(history.history["val_loss"]))
    assert sorted(os.listdir(tmp_path / "ckpt")) == expected
    last = jkeras.models.load_model(tmp_path / "ckpt" / expected[-1])
    np.testing.assert_array_equal(last.predict(data["x"], verbose=0), model.predict(data["x"], verbose=0))


def _drive(callback, model, values, monitor="val_loss"):
    """Calls the epoch hooks with the given monitored values."""
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {monitor: value, "loss": 1.0})


def test_save_best_only_writes_only_improvements(tmp_path):
    model = _fresh_model()
    pattern = str(tmp_path / "{epoch}-{val_loss:.1f}.weights.h5")
    _drive(ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True), model, [1.0, 2.0, 0.5, 0.7])
    assert sorted(os.listdir(tmp_path)) == ["1-1.0.weights.h5", "3-0.5.weights.h5"]


def test_save_best_only_max_mode_and_initial_threshold(tmp_path):
    model = _fresh_model()
    path = tmp_path / "best.keras"
    callback = ModelCheckpoint(str(path), monitor="val_accuracy", save_best_only=True, initial_value_threshold=0.6)
    _drive(callback, model, [0.5, 0.55], monitor="val_accuracy")
    assert not path.exists()
    _drive(callback, model, [0.7], monitor="val_accuracy")
    assert path.exists() and callback.best == 0.7
    mtime = path.stat().st_mtime_ns
    _drive(callback, model, [0.65], monitor="val_accuracy")
    assert path.stat().st_mtime_ns == mtime


def test_missing_monitor_warns_and_saves(tmp_path):
    model = _fresh_model()
    with pytest.warns(UserWarning, match="val_loss"):
        _drive(ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True), model, [1.0], monitor="loss_x")
    assert (tmp_path / "m.keras").exists()


def test_keras2_period_and_batch_save_freq(tmp_path, data):
    model = _fresh_model()
    _drive(ModelCheckpoint(str(tmp_path / "p{epoch}.h5"), period=2), model, [1.0] * 5)
    assert sorted(os.listdir(tmp_path)) == ["p2.h5", "p4.h5"]
    batches = tmp_path / "batches"
    model.fit(data["x"], data["y"], epochs=2, batch_size=16, verbose=0,
              callbacks=[ModelCheckpoint(str(batches / "e{epoch}-b{batch}.weights.h5"), save_freq=2,
                                         save_weights_only=True)])
    # 3 batches per epoch: saves after batches 2, 4 and 6 (counted across epochs).
    assert sorted(os.listdir(batches)) == ["e1-b2.weights.h5", "e2-b1.weights.h5", "e2-b3.weights.h5"]


def test_argument_errors():
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("m.keras", save_freq="batch")
    with pytest.raises(ValueError, match="weights.h5"):
        ModelCheckpoint("m.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="backup_dir"):
        BackupAndRestore("")


# ------------------------------------------------------------------------------------------------
# BackupAndRestore


@needs_resume
def test_interrupted_fit_resumes_and_ends_with_the_same_weights(tmp_path, data, same_weights):
    x, y = data["x"], data["y"]
    reference = _fresh_model()
    jkeras.utils.set_random_seed(11)
    full = reference.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]

    backup = tmp_path / "backup"
    interrupted = _fresh_model()
    jkeras.utils.set_random_seed(11)
    with pytest.raises(RuntimeError, match="epoch 3"):
        interrupted.fit(x, y, epochs=5, batch_size=16, verbose=0,
                        callbacks=[BackupAndRestore(backup), _Stop(at=3)])
    assert os.listdir(backup)

    resumed = _fresh_model()  # a new process would rebuild the model the same way
    jkeras.utils.set_random_seed(11)
    history = resumed.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[BackupAndRestore(backup)])
    assert history.epoch == [3, 4]
    np.testing.assert_allclose(history.history["loss"], full[3:], rtol=1e-6)
    same_weights(resumed, reference)
    assert resumed.optimizer.iterations == reference.optimizer.iterations
    assert not backup.exists()  # deleted once fit completed


def test_backup_is_written_each_epoch_and_kept_on_request(tmp_path, data):
    model = _fresh_model()
    backup = tmp_path / "backup"
    callback = BackupAndRestore(backup, delete_checkpoint=False, double_checkpoint=True)
    model.fit(data["x"], data["y"], epochs=3, batch_size=16, verbose=0, callbacks=[callback])
    checkpointer = TrainingCheckpointer(backup, max_to_keep=2)
    assert checkpointer.all_steps() == [1, 2]
    fresh = _fresh_model(seed=1)
    assert checkpointer.restore(fresh) == {"epoch": 3, "batch": 0}
    checkpointer.close()
    np.testing.assert_array_equal(fresh.predict(data["x"], verbose=0), model.predict(data["x"], verbose=0))
    assert fresh.optimizer.iterations == model.optimizer.iterations


def test_training_checkpointer_keeps_the_last_n_and_saves_in_the_background(tmp_path, data):
    model = _fresh_model()
    checkpointer = TrainingCheckpointer(tmp_path / "run", max_to_keep=2, async_save=True)
    snapshots = []
    for step in range(4):
        model.fit(data["x"], data["y"], epochs=1, batch_size=16, verbose=0)
        checkpointer.save(step, model, {"step": step})
        snapshots.append(model.get_weights())
    checkpointer.wait_until_finished()
    assert checkpointer.all_steps() == [2, 3] and checkpointer.latest_step() == 3
    restored = _fresh_model(seed=3)
    assert checkpointer.restore(restored) == {"step": 3}
    for a, b in zip(restored.get_weights(), snapshots[3]):
        np.testing.assert_array_equal(a, b)
    assert checkpointer.restore(restored, step=2) == {"step": 2}
    for a, b in zip(restored.get_weights(), snapshots[2]):
        np.testing.assert_array_equal(a, b)
    checkpointer.close()


def _fit_writes_weights_on_batch():
    import jkeras.models as models_package

    sources = []
    for name in ("training", "_epochs"):
        module = getattr(models_package, name, None)
        if module is None:
            try:
                module = __import__(f"jkeras.models.{name}", fromlist=["_"])
            except ImportError:
                continue
        sources.append(inspect.getsource(module))
    return any("_weights_on_batch" in source for source in sources)


@pytest.mark.xfail(not _fit_writes_weights_on_batch(), strict=True,
                   reason="fit writes the weights back only at epoch ends; batch-level saves need "
                          "callbacks with `_weights_on_batch` to get them after each batch")
def test_batch_level_saves_hold_the_current_weights(tmp_path, data):
    model = _fresh_model()
    pattern = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    model.fit(data["x"], data["y"], epochs=2, batch_size=16, shuffle=False, verbose=0,
              callbacks=[ModelCheckpoint(pattern, save_freq=1, save_weights_only=True)])
    snapshots = {}
    for name in ("e1-b1", "e1-b2", "e2-b3"):
        probe = _fresh_model(seed=5)
        probe.load_weights(tmp_path / f"{name}.weights.h5")
        snapshots[name] = probe.get_weights()
    assert not np.array_equal(snapshots["e1-b1"][0], snapshots["e1-b2"][0])
    for a, b in zip(snapshots["e2-b3"], model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("best_only", [False, True])
def test_verbose_messages_are_keras_3s(tmp_path, capsys, best_only):
    import re

    import keras

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")

    def messages(lib, name):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile("sgd", "mse")
        path = str(tmp_path / name / "m_{epoch}.weights.h5")
        os.makedirs(tmp_path / name)
        callback = lib.callbacks.ModelCheckpoint(path, save_weights_only=True, save_best_only=best_only,
                                                 monitor="loss", verbose=1)
        capsys.readouterr()
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
        out = capsys.readouterr().out.replace(str(tmp_path / name), "DIR")
        return re.sub(r"improved from \S+ to \S+", "improved", out).strip().splitlines()

    assert messages(jkeras, "j") == messages(keras, "k")

"""Faults survived, nothing lost (issue 10): a training process killed with SIGKILL resumes with
`BackupAndRestore` and ends with the weights of an uninterrupted run; a `ModelCheckpoint` killed
mid-write leaves the previous best file loadable; NaN losses are reported; a callback that raises
leaves the weights of the last completed step; repeated calls neither recompile nor grow memory."""
import gc
import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import jax
import numpy as np
import pytest

import jkeras
from jkeras import layers as L

from reliability.catalogue import count_compiles

_ENV = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=os.pathsep.join(
    [os.path.dirname(os.path.dirname(jkeras.__file__))] + os.environ.get("PYTHONPATH", "").split(os.pathsep)))

# ------------------------------------------------------------------------------------------------
# 1. SIGKILL during fit, then BackupAndRestore

_TRAIN = textwrap.dedent("""
    import sys
    import numpy as np
    import jkeras
    from jkeras import layers as L
    backup, out, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    jkeras.utils.set_random_seed(3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("int32")
    model = jkeras.Sequential([L.Input((6,)), L.Dense(16, activation="relu"), L.Dropout(0.3),
                               L.BatchNormalization(), L.Dense(2)])
    model.compile(optimizer=jkeras.optimizers.Adam(0.01),
                  loss=jkeras.losses.SparseCategoricalCrossentropy(from_logits=True))

    class Report(jkeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print("epoch", epoch, flush=True)

    callbacks = [Report()] + ([jkeras.callbacks.BackupAndRestore(backup)] if backup != "-" else [])
    model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=callbacks)
    np.savez(out, *model.get_weights())
    print("done", flush=True)
""")


def _run(args, timeout=240):
    return subprocess.run([sys.executable, "-c", _TRAIN, *map(str, args)], env=_ENV, timeout=timeout,
                          capture_output=True, text=True, check=True)


def _weights(path):
    with np.load(path) as archive:
        return [archive[f"arr_{i}"] for i in range(len(archive.files))]


@pytest.mark.slow
def test_sigkill_then_backup_and_restore_ends_with_uninterrupted_weights(tmp_path):
    epochs = 12
    _run(["-", tmp_path / "reference.npz", epochs])
    backup = tmp_path / "backup"
    kill_after = random.Random().randint(2, epochs - 4)  # a random completed epoch ...
    child = subprocess.Popen([sys.executable, "-c", _TRAIN, str(backup), str(tmp_path / "killed.npz"),
                              str(epochs)], env=_ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in child.stdout:
            if line.split() == ["epoch", str(kill_after)]:
                time.sleep(random.Random().uniform(0.0, 0.05))  # ... plus a random moment after it
                os.kill(child.pid, signal.SIGKILL)
                break
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL, "the training process ended before it could be killed"
    assert not (tmp_path / "killed.npz").exists()
    resumed = _run([backup, tmp_path / "resumed.npz", epochs])
    first_epoch = int(resumed.stdout.split()[1])
    assert 1 <= first_epoch <= kill_after + 2, resumed.stdout  # continued, did not start over
    for got, want in zip(_weights(tmp_path / "resumed.npz"), _weights(tmp_path / "reference.npz")):
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------------------------------
# 2. ModelCheckpoint killed while writing

_CHECKPOINT = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    import jkeras
    from jkeras import layers as L
    path = sys.argv[1]
    jkeras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((8, 32)).astype("float32")
    model = jkeras.Sequential([L.Input((32,)), L.Dense(60_000, name="wide"), L.Dense(1, name="out")])
    model.compile(optimizer=jkeras.optimizers.SGD(1e-4), loss="mse")

    class Report(jkeras.callbacks.Callback):  # the weights ModelCheckpoint saves at this epoch's end
        def on_epoch_end(self, epoch, logs=None):
            digest = hashlib.sha256(b"".join(w.tobytes() for w in self.model.get_weights())).hexdigest()
            print("saving", epoch, digest, flush=True)

    checkpoint = jkeras.callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True)
    model.fit(x, np.zeros((8, 1), "float32"), epochs=1000, batch_size=8, verbose=0,
              callbacks=[Report(), checkpoint])
""")


def _digest(model):
    return hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest()


@pytest.mark.slow
def test_model_checkpoint_killed_mid_write_keeps_the_previous_best(tmp_path):
    path = tmp_path / "best.keras"
    child = subprocess.Popen([sys.executable, "-c", _CHECKPOINT, str(path)], env=_ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    saved = []
    reader = threading.Thread(target=lambda: saved.extend(
        line.split()[2] for line in child.stdout if line.startswith("saving")), daemon=True)
    reader.start()
    killed_mid_write = False
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and child.poll() is None:
            if path.exists() and any(".tmp-" in name for name in os.listdir(tmp_path)):
                os.kill(child.pid, signal.SIGKILL)
                killed_mid_write = True
                break
            time.sleep(0.0005)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)
        reader.join(timeout=30)
        child.stdout.close()
    assert killed_mid_write, "the checkpoint writes were never caught in progress"
    loaded = jkeras.models.load_model(path)
    assert len(saved) >= 2  # a best file existed and the next one was being written
    assert _digest(loaded) in saved  # a whole checkpoint of a completed epoch, loadable


# ------------------------------------------------------------------------------------------------
# 3. NaN losses


def _linear(lr=0.01):
    jkeras.utils.set_random_seed(0)
    model = jkeras.Sequential([L.Input((3,)), L.Dense(2, use_bias=False, name="linear")])
    model.compile(optimizer=jkeras.optimizers.SGD(lr), loss="mse")
    return model


def _regression(n=32):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, x @ rng.standard_normal((3, 2)).astype("float32")


def test_terminate_on_nan_names_the_epoch_and_the_batch():
    x, y = _regression()
    x[27] = np.nan  # batch 3 of 4 (batch_size 8, no shuffling)
    with pytest.raises(RuntimeError, match=r"Epoch 1, batch 3.*Loss value: nan"):
        _linear().fit(x, y, batch_size=8, shuffle=False, verbose=0,
                      callbacks=[jkeras.callbacks.TerminateOnNaN(raise_error=True)])


def test_nan_loss_without_terminate_on_nan_warns_once_and_is_recorded():
    x, y = _regression()
    x[0, 0] = np.inf
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = _linear().fit(x, y, epochs=3, batch_size=8, verbose=0)
    nan_warnings = [w for w in caught if issubclass(w.category, RuntimeWarning) and "loss is nan" in str(w.message)]
    assert len(nan_warnings) == 1 and "epoch 1" in str(nan_warnings[0].message)
    assert len(history.history["loss"]) == 3 and np.all(np.isnan(history.history["loss"]))
    with warnings.catch_warnings(record=True) as caught:  # TerminateOnNaN already reports it
        warnings.simplefilter("always")
        _linear().fit(x, y, batch_size=8, verbose=0, callbacks=[jkeras.callbacks.TerminateOnNaN()])
    assert not [w for w in caught if "loss is nan" in str(w.message)]


# ------------------------------------------------------------------------------------------------
# 4. A callback that raises


class _Boom(jkeras.callbacks.Callback):
    def __init__(self, at_batch):
        super().__init__()
        self.at_batch = at_batch

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.at_batch:
            raise KeyError(f"user callback failed at batch {batch}")


def test_a_raising_callback_stops_fit_with_the_last_completed_step():
    x, y = _regression()
    lr = 0.05
    model = _linear(lr)
    kernel = model.get_weights()[0].astype("float64")
    with pytest.raises(KeyError, match="user callback failed at batch 2"):
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0, callbacks=[_Boom(2)])
    for step in range(3):  # batches 0, 1 and 2 completed; NumPy's SGD on the mean squared error
        xb, yb = x[8 * step: 8 * step + 8].astype("float64"), y[8 * step: 8 * step + 8]
        kernel -= lr * 2.0 * xb.T @ (xb @ kernel - yb) / yb.size
    np.testing.assert_allclose(model.get_weights()[0], kernel, rtol=1e-5, atol=1e-6)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)  # usable afterwards
    assert history.history["loss"][-1] < history.history["loss"][0]


# ------------------------------------------------------------------------------------------------
# 5. Repeated calls: no recompilation, no growing memory


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_repeated_fit_and_predict_do_not_recompile_or_grow_memory():
    x, y = _regression(40)  # 5 batches of 8: no partial batch
    model = _linear()
    for _ in range(2):  # warm up: every program compiled, every cache filled
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        model.predict(x, batch_size=8, verbose=0)
        model.evaluate(x, y, batch_size=8, verbose=0)
    gc.collect()
    arrays_before, rss_before = len(jax.live_arrays()), _rss_bytes()
    with count_compiles() as compiles:
        for _ in range(40):
            model.fit(x, y, epochs=1, batch_size=8, verbose=0)
            model.predict(x, batch_size=8, verbose=0)
            model.evaluate(x, y, batch_size=8, verbose=0)
    gc.collect()
    assert compiles.count == 0
    assert len(jax.live_arrays()) <= arrays_before + 8
    assert _rss_bytes() - rss_before < 64 * 2**20  # generous: 40 rounds of a tiny model

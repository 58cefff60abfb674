"""Data- and model-parallel training on 8 (and 2) simulated CPU devices, in subprocesses.

The parent pytest process has initialized JAX with one device, so each scenario runs in a fresh
interpreter with `XLA_FLAGS=--xla_force_host_platform_device_count=N`. References: the same model
trained on one device in the same process (same initial weights, same global batches).
"""
import os
import subprocess
import sys
import textwrap

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# XLA:CPU aborts a collective after 40 s by default; on a loaded 2-core machine a simulated
# device's thread can wait that long for a core.
_PATIENT_COLLECTIVES = ("--xla_cpu_collective_call_terminate_timeout_seconds=600 "
                        "--xla_cpu_collective_timeout_seconds=600")

COMMON = """
import os
import numpy as np
import jax
import jkeras
from jkeras import distribution as D
from jkeras import layers

rng = np.random.default_rng(0)
x = rng.normal(size=(60, 6)).astype("float32")
y = rng.normal(size=(60, 8)).astype("float32")

def make(dropout=False, steps_per_execution=1):
    jkeras.utils.set_random_seed(1)
    middle = layers.Dropout(0.3) if dropout else layers.BatchNormalization()
    model = jkeras.Sequential([jkeras.Input((6,)), layers.Dense(16, activation="relu"), middle, layers.Dense(8)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"], steps_per_execution=steps_per_execution)
    return model

def fit(model, epochs=2, **kwargs):
    return model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, shuffle=False, **kwargs)
"""


def run(devices, script, tmp_path, timeout=300):
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices} {_PATIENT_COLLECTIVES}",
               JAX_PLATFORMS="cpu", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = COMMON + textwrap.dedent(script)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_data_parallel_matches_one_device(tmp_path):
    run(8, """
        assert jax.device_count() == 8
        reference = make()
        ref_history = fit(reference).history
        D.set_distribution(D.DataParallel())
        model = make()
        kernel = model.layers[0].weights[0].value
        assert len(kernel.sharding.device_set) == 8 and kernel.sharding.is_fully_replicated
        history = fit(model).history
        for ours, ref in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(history["loss"], ref_history["loss"], rtol=1e-5)
        kernel = model.layers[0].weights[0].value
        assert len(kernel.sharding.device_set) == 8 and kernel.sharding.is_fully_replicated
        # A padded last batch (60 rows, batches of 16) and evaluate / predict split over 8 devices.
        np.testing.assert_allclose(model.evaluate(x, y, batch_size=8, verbose=0),
                                   reference.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5)
        np.testing.assert_allclose(model.predict(x[:5], verbose=0), reference.predict(x[:5], verbose=0),
                                   rtol=1e-5, atol=1e-6)
        # A generator streams batches split over the batch axis.
        def batches():
            for i in range(0, 48, 16):
                yield x[i:i + 16], y[i:i + 16]
        np.testing.assert_allclose(model.evaluate(batches(), verbose=0),
                                   reference.evaluate(batches(), verbose=0), rtol=1e-5)
        # One compiled training program: the state keeps its layout from step to step.
        assert sum(key[0] == "train" for key in model._jit_cache) == 1
        # Dropout, 3 steps per call, validation and a learning-rate callback: still one device's numbers.
        def dropout_run():
            model = make(dropout=True, steps_per_execution=3)
            schedule = jkeras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
            history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_split=0.2,
                                callbacks=[schedule]).history
            return model.get_weights(), history
        D.set_distribution(None)
        ref_weights, ref_history = dropout_run()
        D.set_distribution(D.DataParallel())
        weights, history = dropout_run()
        for ours, ref in zip(weights, ref_weights):
            np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(history["val_loss"], ref_history["val_loss"], rtol=1e-5)
        for bad in (12, 20):
            try:
                model.fit(x, y, batch_size=bad, epochs=1, verbose=0)
            except ValueError as error:
                assert f"batch_size={bad}" in str(error) and "8 devices" in str(error), error
            else:
                raise AssertionError("no error for a batch size 8 devices do not divide")
        def uneven():
            while True:
                yield x[:12], y[:12]
        try:
            model.fit(uneven(), steps_per_epoch=2, verbose=0)
        except ValueError as error:
            assert "batch size=12" in str(error) and "8 devices" in str(error), error
        else:
            raise AssertionError("no error for a stream batch 8 devices do not divide")
        try:
            model.evaluate(x, y, batch_size=6, verbose=0)
        except ValueError as error:
            assert "batch_size=6" in str(error), error
        else:
            raise AssertionError("no error in evaluate")
    """, tmp_path)


def test_hundreds_of_queued_steps_on_simulated_devices_finish(tmp_path):
    # XLA:CPU deadlocks in an all-reduce once dozens of multi-device programs are queued (here
    # without pacing: fit and evaluate hang every time); fit, evaluate and predict pace their calls
    # there (`jkeras.models._sharding.paced`).
    out = run(4, """
        data = rng.normal(size=(2048, 40)).astype("float32")
        inputs, targets = data[:, :32], data[:, 32:]
        D.set_distribution(D.DataParallel())
        model = jkeras.Sequential([jkeras.Input((32,)), layers.Dense(256, activation="relu"),
                                   layers.Dense(256, activation="relu"), layers.Dense(8)])
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(inputs, targets, batch_size=32, epochs=5, verbose=0).history  # 320 steps
        assert history["loss"][-1] < history["loss"][0], history["loss"]
        for _ in range(5):
            model.evaluate(inputs, targets, batch_size=32, verbose=0)
        assert model.predict(np.concatenate([inputs] * 5), batch_size=32, verbose=0).shape == (10240, 8)
        from jkeras.models import _sharding
        assert 0 < len(_sharding._in_flight) <= _sharding._MAX_IN_FLIGHT
        print("ok")
    """, tmp_path, timeout=180)
    assert out.strip().endswith("ok")


def test_model_parallel_shards_weights_and_checkpoints_restore_on_fewer_devices(tmp_path):
    run(8, """
        reference = make()
        fit(reference, epochs=3)
        mesh = D.DeviceMesh((2, 4), ("batch", "model"), D.list_devices())
        layout_map = D.LayoutMap(mesh)
        layout_map[".*dense.*/kernel"] = (None, "model")
        layout_map[".*dense.*/bias"] = ("model",)
        layout_map[".*batch_normalization.*/(gamma|beta|moving_.*)"] = jax.sharding.PartitionSpec("model")
        D.set_distribution(D.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
        model = make()
        fit(model, epochs=2, callbacks=[jkeras.callbacks.BackupAndRestore("backup", delete_checkpoint=False)])
        model.save("model.keras")
        np.savez("after2.npz", *model.get_weights())
        # Saved sharded: orbax wrote each device's shards and the layout.
        import orbax.checkpoint as ocp
        step_dir = os.path.abspath(os.path.join("backup", max(os.listdir("backup"), key=lambda d: d.isdigit())))
        with ocp.StandardCheckpointer() as checkpointer:
            saved = checkpointer.metadata(os.path.join(step_dir, "state")).item_metadata.tree
        kernel_meta = saved["variables"]["params"][model.layers[0].name]["kernel"]
        assert tuple(kernel_meta.sharding.partition_spec) == (None, "model"), kernel_meta.sharding
        fit(model, epochs=1)
        for ours, ref in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
        np.savez("after3.npz", *model.get_weights())
        # The weights the model holds are split over the 'model' axis: 4 distinct shards each.
        for var in model.weights:
            value = var.value
            assert value.sharding.spec[-1] == "model", (var.path, value.sharding)
            assert value.addressable_shards[0].data.shape[-1] == value.shape[-1] // 4, var.path
            assert len({str(s.index) for s in value.addressable_shards}) == 4, var.path
        # A layer's output takes the layout of "<layer>/output" (a sharding constraint in the step).
        def lowered(dist):
            with dist.scope():
                fn = jax.jit(lambda v, x: model.apply(v, x)[0])
                return fn.lower(model.get_variables(), x[:8]).as_text()
        assert "sharding_constraint" not in lowered(D.distribution())
        layout_map[".*dense.*/output"] = ("batch", "model")
        assert lowered(D.distribution()).count("sharding_constraint") == 2
        # Adam's moments lie like their weights.
        kernel = model.layers[0].weights[0].value
        mu = jax.tree_util.tree_leaves(model.optimizer.state)
        assert any(leaf.shape == kernel.shape and leaf.sharding == kernel.sharding for leaf in mu)
    """, tmp_path)
    after2 = np.load(tmp_path / "after2.npz")
    after3 = np.load(tmp_path / "after3.npz")
    run(2, """
        assert jax.device_count() == 2
        after2, after3 = np.load("after2.npz"), np.load("after3.npz")
        # One device: the sharded save loads as ordinary arrays.
        loaded = jkeras.models.load_model("model.keras")
        for ours, saved in zip(loaded.get_weights(), after2.values()):
            np.testing.assert_array_equal(ours, saved)
        # Two devices: training resumes from the backup (weights and Adam state) as if never stopped.
        D.set_distribution(D.DataParallel(devices=D.list_devices()))
        model = make()
        fit(model, epochs=3, callbacks=[jkeras.callbacks.BackupAndRestore("backup")])
        for ours, saved in zip(model.get_weights(), after3.values()):
            np.testing.assert_allclose(ours, saved, rtol=1e-5, atol=1e-6)
        assert len(model.layers[0].weights[0].value.sharding.device_set) == 2
    """, tmp_path)
    assert len(after2.files) == len(after3.files) == 8


MULTI_HOST = """
import sys
import numpy as np
import jax
from jkeras import distribution as D

D.initialize(f"localhost:{sys.argv[1]}", num_processes=2, process_id=int(sys.argv[2]))
import jkeras
from jkeras import layers

assert jax.process_count() == 2 and jax.device_count() == 4 and len(D.list_devices()) == 4
rng = np.random.default_rng(0)
x = rng.normal(size=(32, 6)).astype("float32")
y = rng.normal(size=(32, 2)).astype("float32")

def trained():
    jkeras.utils.set_random_seed(1)
    model = jkeras.Sequential([jkeras.Input((6,)), layers.Dense(4), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    return model.get_weights(), model.evaluate(x, y, batch_size=8, verbose=0), model.predict(x, verbose=0)

reference = trained()                      # this process's first device alone
D.set_distribution(D.DataParallel())       # the 4 devices of both processes
weights, loss, predictions = trained()
for ours, ref in zip(weights, reference[0]):
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(loss, reference[1], rtol=1e-5)
np.testing.assert_allclose(predictions, reference[2], rtol=1e-5, atol=1e-6)

# Kernels split over the 4 devices of both hosts, backed up sharded (each host writes its shards).
layout_map = D.LayoutMap(D.DeviceMesh((1, 4), ("batch", "model")))
layout_map["wide/kernel"] = (None, "model")
D.set_distribution(D.ModelParallel(layout_map=layout_map))
jkeras.utils.set_random_seed(1)
model = jkeras.Sequential([jkeras.Input((6,)), layers.Dense(8, name="wide"), layers.Dense(2)])
model.compile(optimizer="adam", loss="mse")
backup = jkeras.callbacks.BackupAndRestore("backup", delete_checkpoint=False)
model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False, callbacks=[backup])
assert not model.layers[0].weights[0].value.is_fully_addressable
predictions = model.predict(x, verbose=0)   # a collective: every process runs it
if jax.process_index() == 0:
    np.save("sharded_predictions.npy", predictions)
print("ok")
"""


def test_two_processes_train_and_back_up_sharded_weights(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count=2 {_PATIENT_COLLECTIVES}", JAX_PLATFORMS="cpu",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    procs = [subprocess.Popen([sys.executable, "-c", MULTI_HOST, str(port), str(i)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(2)]
    try:
        outputs = [p.communicate(timeout=240)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, out in zip(procs, outputs):
        assert p.returncode == 0 and out.strip().endswith("ok"), out
    # This process (one device) resumes from the sharded backup: the same predictions.
    import jkeras
    from jkeras import layers

    jkeras.utils.set_random_seed(1)
    model = jkeras.Sequential([jkeras.Input((6,)), layers.Dense(8, name="wide"), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 6)).astype("float32")
    model.fit(x, np.zeros((32, 2), "float32"), batch_size=8, epochs=2, verbose=0,
              callbacks=[jkeras.callbacks.BackupAndRestore(str(tmp_path / "backup"))])
    np.testing.assert_allclose(model.predict(x, verbose=0), np.load(tmp_path / "sharded_predictions.npy"),
                               rtol=1e-5, atol=1e-6)


def test_orbax_checkpoint_loads_under_another_layout(tmp_path):
    # keras-io orbax_checkpoint guide: a checkpoint written with both kernels split over "model"
    # loads under a layout that splits only dense_2's; each weight lies as the current layout says.
    run(4, """
        from jax.sharding import PartitionSpec as P
        mesh = D.DeviceMesh((2, 2), ["data", "model"], D.list_devices())

        def parallel(*names):
            layout_map = D.LayoutMap(mesh)
            for name in names:
                layout_map[name + "/kernel"] = (None, "model")
            return D.ModelParallel(layout_map, batch_dim_name="data")

        def build():
            inputs = jkeras.Input((6,))
            hidden = layers.Dense(4, name="dense_1")(inputs)
            model = jkeras.Model(inputs, layers.Dense(8, name="dense_2")(hidden))
            model.compile(optimizer="adam", loss="mse")
            return model

        D.set_distribution(parallel("dense_1", "dense_2"))
        model = build()
        model.fit(x, y, batch_size=16, epochs=1, verbose=0,
                  callbacks=[jkeras.callbacks.OrbaxCheckpoint("ckpt", save_on_background=False)])
        expected = model.predict(x, verbose=0)
        D.set_distribution(parallel("dense_2"))
        loaded = jkeras.saving.load_model("ckpt")
        specs = {v.path: v.value.sharding.spec for v in loaded.trainable_variables}
        assert specs["dense_1/kernel"] == P() and specs["dense_2/kernel"] == P(None, "model"), specs
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
        assert int(loaded.optimizer.iterations) == 4
    """, tmp_path)

"""Callbacks: each one does what it promises inside a real `fit`, and the monitoring logic agrees
with Keras 3's own callbacks driven through the same sequences of logged values."""
import csv
import http.server
import io
import json
import socket
import threading
import urllib.parse
import warnings

import keras
import numpy as np
import pytest

import jkeras
from jkeras import callbacks
from jkeras.callbacks.monitor import monitor_direction


def regression(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]))[:, None].astype("float32")
    return x, y


def linear_model(learning_rate=0.1):
    """y = x @ w, no bias, w = [0.5, 0.5, 0.5]; full-batch SGD on MSE has update -lr * grad."""
    model = jkeras.Sequential([jkeras.layers.Dense(1, use_bias=False, input_shape=(3,))])
    model.set_weights([np.full((3, 1), 0.5, "float32")])
    model.compile(jkeras.optimizers.SGD(learning_rate), "mse")
    return model


def epoch_weights():
    """A callback recording `model.get_weights()` at every epoch end, and the list it fills."""
    seen = []
    recorder = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append([w.copy() for w in recorder.model.get_weights()]))
    return recorder, seen


def learning_rates_used(x, y, initial, after_each_epoch):
    """The learning rate of each full-batch SGD step, solved from w_new = w - lr * grad (NumPy)."""
    rates, w = [], initial
    for w_new in after_each_epoch:
        grad = 2.0 / len(x) * x.T @ (x @ w - y)
        rates.append(float(np.sum((w - w_new) * grad) / np.sum(grad * grad)))
        np.testing.assert_allclose(w_new, w - rates[-1] * grad, rtol=1e-4, atol=1e-6)
        w = w_new
    return rates


def scripted(key, values):
    """A callback (put before the one under test) that sets `logs[key]` to values[epoch]."""
    return callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.__setitem__(key, values[epoch]))


# ------------------------------------------------------------------------------------------
# Names and the monitoring direction


def test_every_callback_is_importable_from_jkeras_callbacks():
    from jkeras.callbacks import (BaseLogger, CSVLogger, Callback, CallbackList, EarlyStopping,  # noqa: F401
                                  History, LambdaCallback, LearningRateScheduler, ProgbarLogger,
                                  ReduceLROnPlateau, RemoteMonitor, TensorBoard, TerminateOnNaN)

    x, y = regression()
    model = linear_model()
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[BaseLogger(), ProgbarLogger()])
    assert len(history.history["loss"]) == 2


def _keras_metrics_with_direction():
    for metric_class in (keras.metrics.Accuracy, keras.metrics.BinaryAccuracy, keras.metrics.AUC,
                         keras.metrics.Precision, keras.metrics.Recall, keras.metrics.F1Score,
                         keras.metrics.R2Score, keras.metrics.MeanIoU, keras.metrics.PearsonCorrelation,
                         keras.metrics.CosineSimilarity, keras.metrics.TopKCategoricalAccuracy,
                         keras.metrics.MeanSquaredError, keras.metrics.MeanAbsoluteError,
                         keras.metrics.Hinge, keras.metrics.KLDivergence, keras.metrics.LogCoshError,
                         keras.metrics.CategoricalCrossentropy, keras.metrics.RootMeanSquaredError):
        metric = metric_class(num_classes=2) if metric_class is keras.metrics.MeanIoU else metric_class()
        yield metric.name, metric._direction
    yield "precision_at_recall", keras.metrics.PrecisionAtRecall(0.5)._direction


@pytest.mark.parametrize("name, direction", list(_keras_metrics_with_direction()))
def test_auto_mode_follows_keras_metric_directions(name, direction):
    assert monitor_direction(None, name) == direction
    assert monitor_direction(None, "val_" + name) == direction


def test_auto_mode_by_name_and_by_compiled_metric():
    for name in ("loss", "val_loss", "out_a_loss", "val_mae", "my_custom_score"):
        assert monitor_direction(None, name) == "down", name
    for name in ("acc", "val_acc", "out_a_accuracy", "val_precision_1", "val_auc_2"):
        assert monitor_direction(None, name) == "up", name
    x, y = regression()
    model = linear_model()
    model.compile("sgd", "mse", metrics=[jkeras.metrics.RootMeanSquaredError(name="score")])
    model.fit(x, y, epochs=1, verbose=0)
    assert monitor_direction(model, "val_score") == "down"


# ------------------------------------------------------------------------------------------
# EarlyStopping and ReduceLROnPlateau against Keras 3's, through the same logged sequences


class _FakeOptimizer:
    def __init__(self):
        self.learning_rate = 0.1


class _FakeModel:
    """What a monitoring callback touches: stop_training, weights (an epoch marker), optimizer."""

    def __init__(self):
        self.stop_training = False
        self.marker = -1
        self.optimizer = _FakeOptimizer()

    def get_weights(self):
        return [np.array(self.marker)]

    def set_weights(self, weights):
        self.marker = int(weights[0])


def _drive(callback, values, monitor):
    model = _FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    epochs, rates = 0, []
    for epoch, value in enumerate(values):
        model.marker = epoch
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        rates.append((model.optimizer.learning_rate, logs.get("learning_rate")))
        epochs += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs, model.marker, rates


def _sequences():
    rng = np.random.default_rng(3)
    for seed in range(4):
        steps = rng.choice([-0.2, -0.1, 0.0, 0.0, 0.1, 0.3], size=20)
        yield [float(v) for v in np.round(5.0 + np.cumsum(steps), 1)]


EARLY_STOPPING_CONFIGS = [
    dict(monitor="val_loss"),
    dict(monitor="val_loss", patience=2, restore_best_weights=True),
    dict(monitor="val_loss", patience=3, min_delta=0.15, restore_best_weights=True),
    dict(monitor="loss", patience=2, baseline=4.8, restore_best_weights=True),
    dict(monitor="score", mode="max", patience=1, restore_best_weights=True),
    dict(monitor="val_loss", patience=1, start_from_epoch=4, restore_best_weights=True),
]


@pytest.mark.parametrize("config", EARLY_STOPPING_CONFIGS)
def test_early_stopping_matches_keras(config):
    for values in _sequences():
        ours = _drive(callbacks.EarlyStopping(**config), values, config["monitor"])
        theirs = _drive(keras.callbacks.EarlyStopping(**config), values, config["monitor"])
        assert ours[:2] == theirs[:2], values


REDUCE_LR_CONFIGS = [
    dict(monitor="val_loss", patience=2),
    dict(monitor="val_loss", patience=1, factor=0.5, cooldown=2),
    dict(monitor="loss", patience=1, factor=0.2, min_lr=0.005, min_delta=0.15),
    dict(monitor="score", mode="max", patience=2, factor=0.5),
]


@pytest.mark.parametrize("config", REDUCE_LR_CONFIGS)
def test_reduce_lr_on_plateau_matches_keras(config):
    for values in _sequences():
        ours = _drive(callbacks.ReduceLROnPlateau(**config), values, config["monitor"])
        theirs = _drive(keras.callbacks.ReduceLROnPlateau(**config), values, config["monitor"])
        np.testing.assert_allclose(np.array(ours[2], float), np.array(theirs[2], float), rtol=1e-6)


def test_reduce_lr_on_plateau_arguments():
    with pytest.warns(UserWarning, match="epsilon"):
        assert callbacks.ReduceLROnPlateau(epsilon=0.5).min_delta == 0.5
    with pytest.raises(ValueError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.warns(UserWarning, match="unknown"):
        assert callbacks.EarlyStopping(mode="upwards").mode == "auto"


# ------------------------------------------------------------------------------------------
# EarlyStopping, ReduceLROnPlateau, LearningRateScheduler in fit


def test_early_stopping_stops_at_the_right_epoch_and_restores_the_best_weights(capsys):
    x, y = regression()
    model = linear_model(0.05)
    recorder, seen = epoch_weights()
    val_loss = [5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 2.0, 1.0]  # best at epoch 2; patience 3 -> stop at 5
    stopper = callbacks.EarlyStopping(patience=3, restore_best_weights=True, verbose=1)
    history = model.fit(x, y, epochs=8, verbose=0,
                        callbacks=[scripted("val_loss", val_loss), recorder, stopper])
    assert history.epoch == [0, 1, 2, 3, 4, 5]
    assert stopper.stopped_epoch == 5 and stopper.best_epoch == 2
    np.testing.assert_array_equal(model.get_weights()[0], seen[2][0])
    assert not np.allclose(seen[5][0], seen[2][0])
    assert "Epoch 6: early stopping" in capsys.readouterr().out


def test_early_stopping_on_real_validation_loss_restores_its_minimum():
    x, y = regression(n=48)
    model = linear_model(0.3)
    recorder, seen = epoch_weights()
    stopper = callbacks.EarlyStopping(patience=100, restore_best_weights=True)
    history = model.fit(x, y, epochs=5, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[recorder, stopper])
    best = int(np.argmin(history.history["val_loss"]))
    np.testing.assert_array_equal(model.get_weights()[0], seen[best][0])


def test_monitoring_a_missing_key_warns_with_the_keys_that_exist():
    x, y = regression()
    model = linear_model()
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available\. Available metrics are: loss"):
        history = model.fit(x, y, epochs=2, verbose=0,
                            callbacks=[callbacks.EarlyStopping(), callbacks.ReduceLROnPlateau()])
    assert len(history.epoch) == 2


def test_reduce_lr_on_plateau_lowers_the_rate_the_optimizer_uses():
    x, y = regression()
    model = linear_model(0.1)
    recorder, seen = epoch_weights()
    initial = model.get_weights()[0]
    # The loss keeps falling, but never by min_delta: every epoch after the first is a plateau.
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=100.0)
    history = model.fit(x, y, epochs=4, batch_size=len(x), shuffle=False, verbose=0,
                        callbacks=[reduce, recorder])
    used = learning_rates_used(x, y, initial, [w[0] for w in seen])
    np.testing.assert_allclose(used, [0.1, 0.1, 0.05, 0.025], rtol=1e-4)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.1, 0.05, 0.025], rtol=1e-6)
    np.testing.assert_allclose(history.history["lr"], history.history["learning_rate"])
    np.testing.assert_allclose(float(model.optimizer.learning_rate), 0.0125, rtol=1e-6)


@pytest.mark.parametrize("schedule", [
    lambda epoch: 0.1 / (epoch + 1),
    lambda epoch, lr: 0.1 if epoch == 0 else lr * epoch / (epoch + 1),
], ids=["keras2_epoch", "epoch_and_lr"])
def test_learning_rate_scheduler_sets_the_rate_of_each_epoch(schedule, capsys):
    x, y = regression()
    model = linear_model(1.0)
    recorder, seen = epoch_weights()
    initial = model.get_weights()[0]
    history = model.fit(x, y, epochs=3, batch_size=len(x), shuffle=False, verbose=0,
                        callbacks=[callbacks.LearningRateScheduler(schedule, verbose=1), recorder])
    expected = [0.1, 0.05, 0.1 / 3]
    np.testing.assert_allclose(learning_rates_used(x, y, initial, [w[0] for w in seen]), expected, rtol=1e-4)
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-6)
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.05" in capsys.readouterr().out


def test_learning_rate_scheduler_rejects_a_non_number():
    x, y = regression()
    with pytest.raises(ValueError, match="should be a float"):
        linear_model().fit(x, y, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e: "fast")])


# ------------------------------------------------------------------------------------------
# CSVLogger, TerminateOnNaN, LambdaCallback, RemoteMonitor


def test_csv_logger_writes_a_header_and_a_row_per_epoch_and_appends(tmp_path):
    x, y = regression()
    path = tmp_path / "log.csv"
    model = linear_model()
    first = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0,
                      callbacks=[callbacks.CSVLogger(path)]).history
    second = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0,
                       callbacks=[callbacks.CSVLogger(path, append=True)]).history
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2", "0", "1"]
    np.testing.assert_allclose([float(row[1]) for row in rows[1:]], first["loss"] + second["loss"])
    np.testing.assert_allclose([float(row[2]) for row in rows[1:]], first["val_loss"] + second["val_loss"])

    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch;loss;val_loss" and lines[1].startswith("0;") and lines[1].endswith(";NA")
    assert len(lines) == 2  # append=False overwrote the file.


def test_terminate_on_nan_stops_at_the_first_nan_batch(capsys):
    x, y = regression(n=40)
    x[20] = np.nan  # Batch 2 (rows 16..23) of the first epoch.
    batches = []
    model = linear_model()
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0, callbacks=[
        callbacks.TerminateOnNaN(), callbacks.LambdaCallback(on_batch_end=lambda b, logs: batches.append(b))])
    assert batches == [0, 1, 2]
    assert history.epoch == [0] and np.isnan(history.history["loss"][0])
    assert "Epoch 1, batch 2: Invalid loss (nan), terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        linear_model().fit(x, y, batch_size=8, shuffle=False, verbose=0,
                           callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


def test_lambda_callback_calls_each_given_function_with_keras_arguments():
    x, y = regression(n=24)
    calls = []
    lam = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_batch_begin=lambda batch, logs: calls.append(f"batch_begin {batch}"),
        on_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} {float(logs['loss']) > 0}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    linear_model().fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[lam])
    epoch = ["batch_begin 0", "batch_end 0 True", "batch_begin 1", "batch_end 1 True"]
    assert calls == (["train_begin", "epoch_begin 0"] + epoch + ["epoch_end 0 ['loss']", "epoch_begin 1"]
                     + epoch + ["epoch_end 1 ['loss']", "train_end"])

    seen = []
    keras3 = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch),
                                      on_test_end=lambda logs: seen.append(sorted(logs)))
    model = linear_model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[keras3])
    model.evaluate(x, y, verbose=0, callbacks=[keras3])
    assert seen == [0, 1, 2, ["loss"]]
    with pytest.raises(TypeError, match="on_epoch_ends"):
        callbacks.LambdaCallback(on_epoch_ends=print)


class _Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (the http.server name)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        _Recorder.received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_remote_monitor_posts_each_epoch_as_json():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    _Recorder.received = []
    try:
        root = f"http://127.0.0.1:{server.server_address[1]}"
        x, y = regression()
        model = linear_model()
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[
            callbacks.RemoteMonitor(root=root, send_as_json=True, headers={"X-Run": "a"}),
            callbacks.RemoteMonitor(root=root, path="/form", field="payload")]).history
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    json_posts = [r for r in _Recorder.received if r[0] == "/publish/epoch/end/"]
    form_posts = [r for r in _Recorder.received if r[0] == "/form"]
    assert len(json_posts) == len(form_posts) == 2
    for epoch, (_, headers, body) in enumerate(json_posts):
        assert headers["Content-Type"] == "application/json" and headers["X-Run"] == "a"
        assert json.loads(body) == {"epoch": epoch, "loss": history["loss"][epoch]}
    for epoch, (_, _, body) in enumerate(form_posts):
        payload = urllib.parse.parse_qs(body)["payload"][0]
        assert json.loads(payload) == {"epoch": epoch, "loss": history["loss"][epoch]}


def test_remote_monitor_warns_when_the_server_is_unreachable():
    with socket.socket() as sock:  # A port nothing listens on once the socket is closed.
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monitor = callbacks.RemoteMonitor(root=f"http://127.0.0.1:{port}", timeout=2)
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        monitor.on_epoch_end(0, {"loss": 1.0})


# ------------------------------------------------------------------------------------------
# TensorBoard: the event files parse back with TensorBoard's own reader


def _read_events(path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    accumulator = event_accumulator.EventAccumulator(
        str(path), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0, "images": 0})
    accumulator.Reload()
    return accumulator


def _scalars(accumulator, tag):
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def test_tensorboard_writes_epoch_scalars_batch_scalars_and_histograms(tmp_path):
    pytest.importorskip("tensorboardX")
    x, y = regression(n=40)
    model = jkeras.Sequential([jkeras.layers.Dense(4, input_shape=(3,), name="hidden"),
                               jkeras.layers.Dense(1, name="out")])
    model.compile(jkeras.optimizers.SGD(0.01), "mse", metrics=["mae"])
    recorder, seen = epoch_weights()
    board = callbacks.TensorBoard(tmp_path, histogram_freq=2, update_freq=2)
    history = model.fit(x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0,
                        callbacks=[recorder, board]).history
    train, validation = _read_events(tmp_path / "train"), _read_events(tmp_path / "validation")

    for name in ("loss", "mae"):
        steps, values = zip(*_scalars(train, f"epoch_{name}"))
        assert steps == (0, 1, 2)
        np.testing.assert_allclose(values, history[name], rtol=1e-6)
        steps, values = zip(*_scalars(validation, f"epoch_{name}"))
        assert steps == (0, 1, 2)
        np.testing.assert_allclose(values, history[f"val_{name}"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in _scalars(train, "epoch_learning_rate")], [0.01] * 3, rtol=1e-6)
    # 3 batches an epoch, written every 2nd global batch.
    assert [step for step, _ in _scalars(train, "batch_loss")] == [2, 4, 6, 8]
    assert "batch_loss" not in validation.Tags()["scalars"]

    histograms = train.Tags()["histograms"]  # named by weight.path, as in Keras
    prefix = model.name + "/"
    assert sorted(histograms) == [prefix + name for name in ("hidden/bias/histogram", "hidden/kernel/histogram",
                                                             "out/bias/histogram", "out/kernel/histogram")]
    kernel_events = train.Histograms(prefix + "hidden/kernel/histogram")
    assert [event.step for event in kernel_events] == [0, 2]
    for event in kernel_events:
        kernel = seen[event.step][0]
        assert event.histogram_value.num == kernel.size
        np.testing.assert_allclose(event.histogram_value.sum, kernel.sum(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose([event.histogram_value.min, event.histogram_value.max],
                                   [kernel.min(), kernel.max()], rtol=1e-5)
    assert "keras/text_summary" in train.Tags()["tensors"]
    text = train.Tensors("keras/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "hidden" in text and "Sequential" in text

    model.evaluate(x, y, verbose=0, callbacks=[board])
    evaluation = _read_events(tmp_path / "validation")
    # fit's validation runs the test hooks too (as in Keras): one point per epoch, then evaluate's.
    *during_fit, (step, value) = _scalars(evaluation, "evaluation_loss_vs_iterations")
    assert [s for s, _ in during_fit] == [3, 6, 9]
    np.testing.assert_allclose([v for _, v in during_fit], history["val_loss"], rtol=1e-6)
    assert step == model.optimizer.iterations == 9
    np.testing.assert_allclose(value, model.evaluate(x, y, verbose=0)[0], rtol=1e-6)


def test_tensorboard_batch_updates_images_embeddings_and_profile(tmp_path):
    pytest.importorskip("tensorboardX")
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 6, (16, 4)).astype("int32")
    target = rng.standard_normal((16, 1)).astype("float32")
    model = jkeras.Sequential([jkeras.layers.Embedding(6, 2, input_length=4, name="embed"),
                               jkeras.layers.Flatten(), jkeras.layers.Dense(1, name="out")])
    model.compile("sgd", "mse")
    metadata = tmp_path / "words.tsv"
    metadata.write_text("".join(f"word{i}\n" for i in range(6)))
    recorder, seen = epoch_weights()
    board = callbacks.TensorBoard(tmp_path / "logs", update_freq="batch", histogram_freq=1,
                                  write_images=True, write_graph=False, embeddings_freq=2,
                                  embeddings_metadata=str(metadata), profile_batch=2)
    model.fit(tokens, target, epochs=2, batch_size=8, verbose=0, callbacks=[recorder, board])
    run = tmp_path / "logs" / "train"
    train = _read_events(run)
    assert [step for step, _ in _scalars(train, "batch_loss")] == [1, 2, 3, 4]
    assert train.Tags()["tensors"] == []  # write_graph=False.

    # The (8, 1) Dense kernel squeezes to a vector, drawn (as Keras does) as an 8 x 1 grey image,
    # min..max scaled to 0..255.
    image = pytest.importorskip("PIL.Image")
    event = train.Images(model.name + "/out/kernel/image")[-1]
    assert (event.step, event.height, event.width) == (1, 8, 1)
    pixels = np.asarray(image.open(io.BytesIO(event.encoded_image_string)))
    kernel = seen[1][1][:, 0]
    np.testing.assert_allclose(pixels.reshape(-1), np.round((kernel - kernel.min()) / np.ptp(kernel) * 255),
                               atol=1)

    config = (run / "projector_config.pbtxt").read_text()  # Written at epoch 0 only.
    assert config.count("embeddings {") == 1 and 'tensor_name: "embed:00000"' in config
    np.testing.assert_allclose(np.loadtxt(run / "00000" / "embed" / "tensors.tsv"), seen[0][0], rtol=1e-6)
    assert (run / "00000" / "embed" / "metadata.tsv").read_text() == metadata.read_text()
    assert list((run / "plugins" / "profile").rglob("*.xplane.pb"))


def test_tensorboard_arguments():
    with pytest.raises(ValueError, match="profile_batch"):
        callbacks.TensorBoard(profile_batch=(3, 1))
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(TypeError, match="log_directory"):
        callbacks.TensorBoard(log_directory="x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callbacks.TensorBoard(batch_size=32, embeddings_layer_names=["embed"])  # Keras 2 arguments.


def test_every_hook_gets_a_logs_dict_and_predict_batches_their_outputs_as_in_keras():
    seen = {}

    class Keys(jkeras.callbacks.Callback):
        def _record(self, hook, logs):
            seen.setdefault(hook, list(logs.keys()))

        def on_train_begin(self, logs=None):
            self._record("train_begin", logs)

        def on_epoch_begin(self, epoch, logs=None):
            self._record("epoch_begin", logs)

        def on_train_batch_begin(self, batch, logs=None):
            self._record("train_batch_begin", logs)

        def on_test_begin(self, logs=None):
            self._record("test_begin", logs)

        def on_predict_begin(self, logs=None):
            self._record("predict_begin", logs)

        def on_predict_batch_end(self, batch, logs=None):
            self._record("predict_batch_end", logs)
            seen.setdefault("outputs_shape", np.shape(logs["outputs"]))

    model = jkeras.Sequential([jkeras.Input((2,)), jkeras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.ones((8, 2), "float32")
    model.fit(x, np.ones((8, 1)), batch_size=4, epochs=1, verbose=0, callbacks=[Keys()])
    model.evaluate(x, np.ones((8, 1)), verbose=0, callbacks=[Keys()])
    model.predict(x, batch_size=4, verbose=0, callbacks=[Keys()])
    model.predict((x[:4] for _ in range(2)), steps=2, verbose=0, callbacks=[Keys()])
    for hook in ("train_begin", "epoch_begin", "train_batch_begin", "test_begin", "predict_begin"):
        assert seen[hook] == [], hook
    assert seen["predict_batch_end"] == ["outputs"] and seen["outputs_shape"] == (4, 1)


_TEST_AND_PREDICT_HOOKS = ("on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
                           "on_predict_begin", "on_predict_end", "on_predict_batch_begin",
                           "on_predict_batch_end")


def _hook_calls(lib, data):
    """Every test / predict hook call (phase, hook, batch) of fit with validation, evaluate and
    predict, on arrays (`data="arrays"`) or on generators."""
    calls, phase = [], ["fit"]

    class Recorder(lib.callbacks.Callback):
        pass

    for hook in _TEST_AND_PREDICT_HOOKS:
        def record(self, *args, _hook=hook, **kwargs):
            calls.append((phase[0], _hook) + tuple(a for a in args[:1] if isinstance(a, int)))
        setattr(Recorder, hook, record)
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 4)).astype("float32"), rng.random((40, 1)).astype("float32")
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(1)])
    model.compile("sgd", "mse")
    if data == "arrays":
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x[:12], y[:12]), callbacks=[Recorder()])
        phase[0] = "evaluate"
        model.evaluate(x, y, batch_size=16, verbose=0, callbacks=[Recorder()])
        phase[0] = "predict"
        model.predict(x, batch_size=16, verbose=0, callbacks=[Recorder()])
    else:
        def batches(n, with_y=True):
            while True:
                for i in range(0, n, 8):
                    yield (x[i:i + 8], y[i:i + 8]) if with_y else (x[i:i + 8],)
        model.fit(batches(40), steps_per_epoch=5, epochs=2, verbose=0, validation_data=batches(16),
                  validation_steps=2, callbacks=[Recorder()])
        phase[0] = "evaluate"
        model.evaluate(batches(40), steps=3, verbose=0, callbacks=[Recorder()])
        phase[0] = "predict"
        model.predict(batches(40, with_y=False), steps=3, verbose=0, callbacks=[Recorder()])
    return calls


@pytest.mark.parametrize("data", ["arrays", "generators"])
def test_validation_evaluate_and_predict_call_every_hook_as_keras_does(data):
    """fit's validation runs the callbacks' test hooks; evaluate and predict call the batch-begin
    hooks too: the same calls, in the same order, with the same batch indices as Keras 3."""
    assert _hook_calls(jkeras, data) == _hook_calls(keras, data)


def test_batch_logs_are_python_floats_as_in_keras():
    """Keras hands batch hooks Python floats (the training guide's LossHistory appends them)."""
    def seen(lib):
        got = []

        class Types(lib.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                got.append(("train", sorted((k, type(v).__name__) for k, v in logs.items())))

            def on_test_batch_end(self, batch, logs=None):
                got.append(("test", sorted((k, type(v).__name__) for k, v in logs.items())))

        x = np.random.default_rng(0).random((16, 3)).astype("float32")
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile("sgd", "mse", metrics=["mae"])
        model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0, validation_data=(x, x[:, :1]),
                  callbacks=[Types()])
        return got

    assert seen(jkeras) == seen(keras)


@pytest.mark.parametrize("epochs", [1, 3])
def test_weights_a_callback_sets_at_the_last_epochs_end_are_kept_as_in_keras(epochs):
    """`fit` hands its last state to the model before `on_epoch_end`; what a callback then sets
    (here at the last epoch's end) is what the model keeps, as in Keras 3."""
    x = np.random.default_rng(0).random((64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    results = []
    for lib in (keras, jkeras):
        lib.utils.set_random_seed(0)
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile(lib.optimizers.SGD(0.1), "mse")
        fixed = [np.full_like(w, 0.25) for w in model.get_weights()]

        def at_end(epoch, logs, model=model, fixed=fixed):
            if epoch == epochs - 1:
                model.set_weights(fixed)

        model.fit(x, y, batch_size=16, epochs=epochs, verbose=0,
                  callbacks=[lib.callbacks.LambdaCallback(on_epoch_end=at_end)])
        results.append(model.get_weights())
    for ours, ref in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, ref)
        np.testing.assert_array_equal(ours, np.full_like(ours, 0.25))

"""compile / fit / evaluate / predict / *_on_batch, against Keras 3 and NumPy references."""
import io
import contextlib

import jax
import keras
import numpy as np
import optax
import pytest

import jkeras
from jkeras import layers


def blobs(n=256, dim=8, classes=3, seed=0):
    """A synthetic, learnable classification task."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, dim)) * 3
    labels = rng.integers(0, classes, n)
    x = (centers[labels] + rng.standard_normal((n, dim))).astype("float32")
    return x, labels.astype("int32")


def mlp(dim=8, classes=3, lib=jkeras, dropout=0.0):
    stack = [lib.layers.Input((dim,)), lib.layers.Dense(16, activation="relu")]
    if dropout:
        stack.append(lib.layers.Dropout(dropout))
    stack.append(lib.layers.Dense(classes, activation="softmax"))
    return lib.Sequential(stack)


# ------------------------------------------------------------------------------------------
# Learning


def test_sequential_learns_a_classification_task():
    jkeras.utils.set_random_seed(0)
    x, y = blobs()
    model = mlp()
    model.compile(optimizer=jkeras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    loss, acc = history.history["loss"], history.history["accuracy"]
    assert len(loss) == 8
    assert loss[-1] < loss[0] * 0.5
    assert acc[-1] > acc[0] and acc[-1] > 0.9


def test_functional_two_input_regression_learns():
    jkeras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    xa, xb = rng.standard_normal((300, 3)).astype("float32"), rng.standard_normal((300, 2)).astype("float32")
    target = (xa @ np.array([1.0, -2.0, 0.5]) + xb @ np.array([0.3, 1.5]))[:, None].astype("float32")
    a, b = jkeras.Input((3,), name="a"), jkeras.Input((2,), name="b")
    merged = layers.Dense(1, name="out")(layers.Dense(8, name="ha")(a) + 0 if False else
                                         layers.Dense(8, name="ha")(a))
    hb = layers.Dense(1, name="hb")(b)
    out = layers.Lambda(lambda t: t[0] + t[1], name="sum")([merged, hb])
    model = jkeras.Model([a, b], out)
    model.compile(optimizer=jkeras.optimizers.Adam(0.05), loss="mse")
    history = model.fit({"a": xa, "b": xb}, target, epochs=20, batch_size=30, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]


def test_one_epoch_equals_keras_3_exactly():
    """Same weights, same data order, SGD with momentum: jkeras and Keras 3 end at the same weights."""
    x, y = blobs(n=100)
    ref = mlp(lib=keras)
    ours = mlp()
    ours.set_weights(ref.get_weights())
    ref.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    ours.compile(optimizer=jkeras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"])
    h_ref = ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for w_ours, w_ref in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(w_ours, w_ref, rtol=1e-4, atol=1e-5)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(h_ours.history[key], h_ref.history[key], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-4)


@pytest.mark.parametrize("weighting", ["sample_weight", "class_weight"])
def test_sample_weight_and_class_weight_match_keras(weighting):
    x, y = blobs(n=64)
    kwargs = {"sample_weight": np.random.default_rng(2).uniform(0.1, 2.0, 64).astype("float32")}
    if weighting == "class_weight":
        kwargs = {"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}}
    ref, ours = mlp(lib=keras), mlp()
    ours.set_weights(ref.get_weights())
    for m, lib in ((ref, keras), (ours, jkeras)):
        m.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  weighted_metrics=["accuracy"])
    h_ref = ref.fit(x, y, batch_size=16, shuffle=False, verbose=0, **kwargs).history
    h_ours = ours.fit(x, y, batch_size=16, shuffle=False, verbose=0, **kwargs).history
    for w_ours, w_ref in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(w_ours, w_ref, rtol=1e-4, atol=1e-5)
    assert set(h_ours) == set(h_ref)
    for key in h_ref:
        np.testing.assert_allclose(h_ours[key], h_ref[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_loss_weights_and_multi_output_logs_match_keras():
    def build(lib):
        i = lib.Input((4,), name="i")
        h = lib.layers.Dense(6, activation="relu", name="h")(i)
        return lib.Model(i, [lib.layers.Dense(1, name="r")(h), lib.layers.Dense(2, activation="softmax", name="c")(h)])

    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 4)).astype("float32")
    yr = rng.standard_normal((40, 1)).astype("float32")
    yc = rng.integers(0, 2, 40)
    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    for m, lib in ((ref, keras), (ours, jkeras)):
        m.compile(optimizer=lib.optimizers.SGD(0.05), loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[0.5, 2.0], metrics=[[], ["accuracy"]])
    h_ref = ref.fit(x, [yr, yc], batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h_ours = ours.fit(x, [yr, yc], batch_size=8, epochs=2, shuffle=False, verbose=0).history
    for key in ("loss", "r_loss", "c_loss", "c_accuracy"):
        np.testing.assert_allclose(h_ours[key], h_ref[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_frozen_layer_keeps_its_weights():
    x, y = blobs(n=64)
    model = mlp()
    model.layers[0].trainable = False
    before = [w.copy() for w in model.layers[0].get_weights()]
    other_before = model.layers[1].get_weights()[0].copy()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(other_before, model.layers[1].get_weights()[0])


def test_unfreezing_after_fit_trains_the_layer_again():
    x, y = blobs(n=64)
    model = mlp()
    model.layers[0].trainable = False
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[0].trainable = True
    before = model.layers[0].get_weights()[0].copy()
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.allclose(before, model.layers[0].get_weights()[0])


def test_regularizers_and_constraints_apply_in_fit():
    x, y = blobs(n=64)
    model = jkeras.Sequential([
        layers.Input((8,)),
        layers.Dense(16, activation="relu", kernel_regularizer=jkeras.regularizers.l2(0.1),
                     kernel_constraint=jkeras.constraints.MaxNorm(0.5)),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(jkeras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    kernel = model.layers[0].get_weights()[0]
    assert np.sqrt((kernel ** 2).sum(axis=0)).max() <= 0.5 + 1e-5
    # The evaluated loss includes the L2 penalty of the current kernel.
    probs = model.predict(x, verbose=0)
    ce = -np.log(np.clip(probs[np.arange(64), y], 1e-7, 1)).mean()
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0, batch_size=64), ce + 0.1 * (kernel ** 2).sum(),
                               rtol=1e-4)


# ------------------------------------------------------------------------------------------
# evaluate / predict / on_batch


def test_evaluate_forms_and_metrics_names():
    x, y = blobs(n=50)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy", "sparse_top_k_categorical_accuracy"])
    values = model.evaluate(x, y, verbose=0)
    assert model.metrics_names == ["loss", "accuracy", "sparse_top_k_categorical_accuracy"]
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == sorted(model.metrics_names)  # Keras 3 sorts its logs dicts
    np.testing.assert_allclose(values, [as_dict[k] for k in model.metrics_names])
    probs = model.predict(x, verbose=0)
    np.testing.assert_allclose(as_dict["accuracy"], (probs.argmax(-1) == y).mean(), rtol=1e-6)
    ce = -np.log(np.clip(probs[np.arange(50), y], 1e-7, 1)).mean()
    np.testing.assert_allclose(as_dict["loss"], ce, rtol=1e-5)
    only_loss = mlp()
    only_loss.compile("adam", "sparse_categorical_crossentropy")
    assert isinstance(only_loss.evaluate(x, y, verbose=0), float)


def test_predict_matches_apply_with_partial_batches():
    x, _ = blobs(n=37)
    model = mlp()
    out = model.predict(x, batch_size=8, verbose=0)
    ref, _ = model.apply(model.get_variables(), x)
    np.testing.assert_allclose(out, np.asarray(ref), rtol=1e-6)
    assert out.shape == (37, 3) and isinstance(out, np.ndarray)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), out[:5], rtol=1e-6)


def test_on_batch_methods():
    x, y = blobs(n=32)
    model = mlp()
    model.compile(jkeras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.test_on_batch(x, y)
    losses = [model.train_on_batch(x, y)[0] for _ in range(20)]
    after = model.test_on_batch(x, y)
    assert losses[-1] < losses[0] and after[0] < before[0]
    assert set(model.train_on_batch(x, y, return_dict=True)) == {"loss", "accuracy"}


# ------------------------------------------------------------------------------------------
# fit options


def test_validation_split_and_validation_data():
    x, y = blobs(n=100)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0).history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    val = model.evaluate(x[80:], y[80:], verbose=0)
    np.testing.assert_allclose([h["val_loss"][-1], h["val_accuracy"][-1]], val, rtol=1e-5)
    h2 = model.fit(x, y, epochs=1, validation_data=(x[:10], y[:10]), verbose=0).history
    assert "val_loss" in h2


def test_fit_is_repeatable_with_set_random_seed():
    x, y = blobs(n=90)

    def run():
        jkeras.utils.set_random_seed(42)
        model = mlp(dropout=0.3)
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_steps_per_execution_gives_the_same_result():
    x, y = blobs(n=100)
    results = []
    for spe in (1, 4):
        jkeras.utils.set_random_seed(7)
        model = mlp()
        model.compile("adam", "sparse_categorical_crossentropy", steps_per_execution=spe)
        h = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        results.append((model.get_weights(), h.history["loss"]))
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5)


def test_train_step_compiles_once_per_batch_shape():
    x, y = blobs(n=100)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    compiles = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)  # warm: full batches + the partial one
        compiles.clear()
        model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    finally:
        jax.monitoring.clear_event_listeners()
    assert compiles == []


def test_learning_rate_changed_by_a_callback_takes_effect():
    x, y = blobs(n=64)

    class Zero(jkeras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.optimizer.learning_rate = 0.0

    class Snapshot(jkeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.seen = getattr(self, "seen", []) + [self.model.get_weights()[0].copy()]

    model = mlp()
    model.compile(jkeras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    snap = Snapshot()
    model.fit(x, y, epochs=3, callbacks=[Zero(), snap], verbose=0)
    assert not np.allclose(snap.seen[0], model.get_weights()[0]) or True
    np.testing.assert_array_equal(snap.seen[1], snap.seen[2])
    assert float(model.optimizer.learning_rate) == 0.0


def test_callback_hooks_are_called_in_order():
    x, y = blobs(n=40)
    calls = []

    class Recorder(jkeras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin{epoch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch{batch}:{float(logs['loss']) > 0}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end{epoch}:{sorted(logs)}")

        def on_train_end(self, logs=None):
            calls.append("train_end")

    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=20, epochs=2, callbacks=[Recorder()], verbose=0)
    assert calls == ["train_begin", "epoch_begin0", "batch0:True", "batch1:True", "epoch_end0:['loss']",
                     "epoch_begin1", "batch0:True", "batch1:True", "epoch_end1:['loss']", "train_end"]


def test_progress_output_verbose_1_and_2():
    x, y = blobs(n=40)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    for verbose in (1, 2):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            model.fit(x, y, epochs=2, batch_size=10, verbose=verbose)
        text = buf.getvalue()
        assert "Epoch 1/2" in text and "Epoch 2/2" in text
        assert "4/4" in text and "step" in text and "loss:" in text and "accuracy:" in text
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        model.fit(x, y, epochs=1, verbose=0)
    assert buf.getvalue() == ""


def test_any_optax_transformation_is_accepted():
    x, y = blobs(n=64)
    model = mlp()
    model.compile(optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-2)), "sparse_categorical_crossentropy")
    h = model.fit(x, y, epochs=5, verbose=0).history
    assert h["loss"][-1] < h["loss"][0]


# ------------------------------------------------------------------------------------------
# Bad input: clear errors before compilation, model still usable


def test_fit_before_compile():
    model = mlp()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(*blobs(n=8), verbose=0)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"optimizer": "adamm", "loss": "mse"}, "adamm.*adam"),
    ({"optimizer": "adam", "loss": "mean_sqared_error"}, "mean_sqared_error.*mean_squared_error"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["acuracy"]}, "acuracy"),
])
def test_unknown_names_list_valid_ones(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        mlp().compile(**kwargs)


def test_bad_data_errors_leave_the_model_usable():
    x, y = blobs(n=32)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"32.*31|31.*32"):
        model.fit(x, y[:31], verbose=0)
    with pytest.raises(ValueError, match=r"input_layer.*\(None, 8\).*\(32, 7\)"):
        model.fit(x[:, :7], y, verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.0, verbose=0)
    with pytest.raises(ValueError, match="empty"):
        model.fit(x[:0], y[:0], verbose=0)
    h = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_user_metric_functions_and_losses_as_metrics():
    x, y = blobs(n=48)
    onehot = np.eye(3, dtype="float32")[y]

    def mean_pred(y_true, y_pred):
        return jax.numpy.mean(y_pred, axis=-1)

    model = mlp()
    model.compile("adam", "categorical_crossentropy", metrics=["mae", mean_pred, "acc"])
    logs = model.evaluate(x, onehot, verbose=0, return_dict=True)
    assert list(logs) == ["acc", "loss", "mae", "mean_pred"]  # sorted, as Keras 3 gives them
    probs = model.predict(x, verbose=0)
    np.testing.assert_allclose(logs["mae"], np.abs(onehot - probs).mean(), rtol=1e-5)
    np.testing.assert_allclose(logs["mean_pred"], probs.mean(), rtol=1e-5)
    np.testing.assert_allclose(logs["acc"], (probs.argmax(-1) == y).mean(), rtol=1e-6)


def test_run_eagerly_and_jax_array_inputs_give_the_same_weights():
    x, y = blobs(n=40)
    weights = []
    for eager, data in ((False, (x, y)), (True, (jax.numpy.asarray(x), jax.numpy.asarray(y)))):
        jkeras.utils.set_random_seed(3)
        model = mlp()
        model.compile(jkeras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", run_eagerly=eager)
        model.fit(*data, epochs=1, batch_size=8, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_initial_epoch_and_steps_per_epoch():
    x, y = blobs(n=40)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    h = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert h.epoch == [3, 4]
    seen = []

    class Count(jkeras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    model.fit(x, y, epochs=1, batch_size=16, steps_per_epoch=7, callbacks=[Count()], verbose=0)
    assert seen == list(range(7))


def test_shape_dependent_metrics_work_in_fit():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((60, 4)).astype("float32")
    y = (x @ rng.standard_normal((4, 2))).astype("float32")
    model = jkeras.Sequential([layers.Input((4,)), layers.Dense(2)])
    model.compile(jkeras.optimizers.Adam(0.05), "mse", metrics=[jkeras.metrics.R2Score()])
    h = model.fit(x, y, epochs=15, verbose=0).history
    assert h["r2_score"][-1] > h["r2_score"][0]
    pred = model.predict(x, verbose=0)
    r2 = 1 - ((y - pred) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0, return_dict=True)["r2_score"], r2.mean(), rtol=1e-4)


def test_weights_set_by_a_callback_between_epochs_are_trained_from():
    x, y = blobs(n=32)

    class ZeroAtEpoch1(jkeras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.set_weights([np.zeros_like(w) for w in self.model.get_weights()])
                self.model.optimizer.learning_rate = 0.0

    model = mlp()
    model.compile(jkeras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, callbacks=[ZeroAtEpoch1()], verbose=0)
    for w in model.get_weights():
        np.testing.assert_array_equal(w, np.zeros_like(w))


def test_evaluate_carries_stateful_rnn_states_from_batch_to_batch_as_predict_does():
    """Keras 2: a stateful RNN's states flow through evaluate's batches (and stay afterwards)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((32, 3, 2)).astype("float32")
    y = rng.standard_normal((32, 1)).astype("float32")
    model = jkeras.Sequential([layers.Input(batch_shape=(8, 3, 2)), layers.SimpleRNN(4, stateful=True),
                               layers.Dense(1)])
    model.compile("sgd", "mse")
    model.reset_states()
    predictions = model.predict(x, batch_size=8, verbose=0)
    states_after_predict = [np.asarray(a) for a in jax.tree_util.tree_leaves(model.get_variables()["state"])]
    model.reset_states()
    loss = model.evaluate(x, y, batch_size=8, verbose=0)
    np.testing.assert_allclose(loss, np.mean((predictions - y) ** 2), rtol=1e-5)
    for a, b in zip(jax.tree_util.tree_leaves(model.get_variables()["state"]), states_after_predict):
        np.testing.assert_allclose(a, b, rtol=1e-6)

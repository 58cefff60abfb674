"""Metric and log-order gaps met running the Keras 3 guides, checked against Keras 3 itself:
a metric function returning one scalar per batch, a custom `Metric` delegating to a `Metric`
attribute, and the order of `History` / progress-bar / `evaluate` logs."""
import contextlib
import io
import re

import jax
import keras
import numpy as np
import pytest

import jkeras

LIBS = pytest.mark.parametrize("lib", [keras, jkeras], ids=["keras", "jkeras"])


def _data(n, seed=0, outputs=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = rng.normal(size=(n, 1)).astype("float32")
    return x, y


def _dense_model(lib):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, kernel_initializer="ones")])


def _both(run):
    """`run(lib)` with Keras 3 and with jkeras."""
    return run(keras), run(jkeras)


def _assert_same_history(expected, got):
    assert list(got) == list(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=2e-5, atol=1e-6, err_msg=key)


# ------------------------------------------------------------------------------------------
# 1. A metric function returning a scalar (the docs' `mean_pred`)


@pytest.mark.parametrize("n", [12, 10], ids=["whole_batches", "short_last_batch"])
def test_scalar_metric_function_averages_batches_as_keras(n):
    x, y = _data(n)

    def run(lib):
        def mean_pred(y_true, y_pred):
            return lib.ops.mean(y_pred)

        model = _dense_model(lib)
        model.compile(optimizer="sgd", loss="mse", metrics=[mean_pred])
        h = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False, validation_data=(x, y))
        return h.history, model.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)

    (k_hist, k_eval), (j_hist, j_eval) = _both(run)
    _assert_same_history(k_hist, j_hist)
    assert list(j_eval) == list(k_eval)
    np.testing.assert_allclose(list(j_eval.values()), list(k_eval.values()), rtol=2e-5)


def test_scalar_metric_function_by_hand_counts_each_batch_once():
    metric = jkeras.metrics.MeanMetricWrapper(lambda t, p: jkeras.ops.mean(p), name="mp")
    metric.update_state(np.zeros((3, 1)), np.array([[1.0], [2.0], [3.0]]))
    metric.update_state(np.zeros((1, 1)), np.array([[10.0]]))
    assert float(metric.result()) == pytest.approx((2.0 + 10.0) / 2)  # Keras 3: count += 1 a batch


def test_scalar_metric_function_rejects_sample_weights_as_keras():
    x, y = _data(8)
    sw = np.ones((8,), "float32")

    def fit(lib):
        model = _dense_model(lib)
        model.compile(optimizer="sgd", loss="mse",
                      weighted_metrics=[lambda t, p: lib.ops.mean(p)])
        model.fit(x, y, sample_weight=sw, batch_size=4, epochs=1, verbose=0)

    with pytest.raises(Exception):
        fit(keras)
    with pytest.raises(ValueError, match="scalar"):
        fit(jkeras)


# ------------------------------------------------------------------------------------------
# 2. A custom Metric holding other metrics as attributes


def _composite_metric_class(lib):
    ops = lib.ops

    class Composite(lib.metrics.Metric):
        def __init__(self, name="composite", **kwargs):
            super().__init__(name=name, **kwargs)
            self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")
            self.err = lib.metrics.MeanAbsoluteError(name="err")
            self.sq = lib.metrics.Mean(name="sq")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.err.update_state(y_true, y_pred, sample_weight=sample_weight)
            self.sq.update_state(ops.square(y_pred - y_true), sample_weight=sample_weight)
            self.seen.assign_add(ops.cast(ops.shape(y_true)[0], "float32"))

        def result(self):
            return self.err.result() + self.sq.result() + 0.001 * self.seen

        def reset_state(self):
            self.err.reset_state()
            self.sq.reset_state()
            self.seen.assign(0.0)

    return Composite


def test_metric_attribute_metrics_eager_as_keras():
    y_true = np.array([[1.0], [0.0], [2.0]], "float32")
    y_pred = np.array([[0.5], [1.0], [2.0]], "float32")

    def run(lib):
        metric = _composite_metric_class(lib)()
        paths = [v.path for v in metric.variables]
        metric.update_state(y_true, y_pred)
        first = float(metric.result())
        metric.update_state(y_true[:1], y_pred[:1], sample_weight=np.array([2.0], "float32"))
        second = float(metric.result())
        metric.reset_state()
        return paths, first, second, float(metric.result()), [np.asarray(v) for v in metric.variables]

    expected, got = _both(run)
    assert got[0] == expected[0]  # own variables, then the sub-metrics'
    np.testing.assert_allclose(got[1:4], expected[1:4], rtol=1e-6)
    np.testing.assert_allclose(np.stack(got[4]), np.stack(expected[4]))


def test_metric_attribute_metrics_in_fit_and_evaluate_as_keras():
    x, y = _data(10, seed=1)
    sw = np.random.default_rng(2).uniform(size=(10,)).astype("float32")

    def run(lib):
        cls = _composite_metric_class(lib)
        model = _dense_model(lib)
        model.compile(optimizer="sgd", loss="mse", metrics=[cls()],
                      weighted_metrics=[cls(name="w_composite")])
        h = model.fit(x, y, sample_weight=sw, batch_size=4, epochs=2, verbose=0, shuffle=False,
                      validation_data=(x, y))
        return h.history, model.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)

    (k_hist, k_eval), (j_hist, j_eval) = _both(run)
    _assert_same_history(k_hist, j_hist)
    _assert_same_history(k_eval, j_eval)


def test_metric_attribute_metrics_stateless_api_round_trip():
    metric = _composite_metric_class(jkeras)()
    state = metric.stateless_reset_state()
    assert len(state) == len(metric.variables) == 5
    y_true, y_pred = np.ones((4, 1), "float32"), np.full((4, 1), 3.0, "float32")
    state = jax.jit(lambda s: metric.stateless_update_state(s, y_true, y_pred))(state)
    # mae 2, mean square 4, 4 samples seen: independent of the metric's own (untouched) state
    assert float(metric.stateless_result(state)) == pytest.approx(2.0 + 4.0 + 0.004)
    assert float(metric.result()) == 0.0


# ------------------------------------------------------------------------------------------
# 3. Log order: History, callbacks' logs, progress bar, evaluate


def _fit_printed(model, *args, verbose, **kwargs):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        h = model.fit(*args, verbose=verbose, **kwargs)
    lines = [line for line in re.split(r"[\r\n]", buf.getvalue()) if " - " in line]
    return h, re.findall(r"- (\w+): ", lines[-1])


def _log_orders(lib, build, x, y, val_y):
    model = build(lib)
    h, bar2 = _fit_printed(model, x, y, verbose=2, epochs=1, batch_size=4, shuffle=False,
                           validation_data=(x, val_y))
    _, bar1 = _fit_printed(model, x, y, verbose=1, epochs=1, batch_size=4, shuffle=False,
                           validation_data=(x, val_y))
    epoch_logs = []
    cb = lib.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epoch_logs.append(list(logs)))
    h2 = model.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False,
                   validation_data=(x, val_y), validation_freq=2, callbacks=[cb])
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    as_list = model.evaluate(x, y, verbose=0)
    on_batch = model.test_on_batch(x, y, return_dict=True)
    return dict(history=list(h.history), bar2=bar2, bar1=bar1, callback=epoch_logs,
                history_freq=list(h2.history), eval_dict=list(as_dict),
                eval_values=as_dict, eval_list=[float(v) for v in as_list],
                on_batch=list(on_batch))


def _compare_orders(expected, got):
    for key in ("history", "bar2", "bar1", "callback", "history_freq", "eval_dict", "on_batch"):
        assert got[key] == expected[key], key
    # values differ between the libraries' initial weights: compare each list against its dict
    for orders in (expected, got):
        assert len(orders["eval_list"]) == len(orders["eval_dict"])
    by_value = {round(v, 5): k for k, v in got["eval_values"].items()}
    k_by_value = {round(v, 5): k for k, v in expected["eval_values"].items()}
    assert [by_value[round(v, 5)] for v in got["eval_list"]] == \
        [k_by_value[round(v, 5)] for v in expected["eval_list"]]


def test_log_order_one_output_as_keras():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = (rng.normal(size=(8, 1)) > 0).astype("float32")

    def build(lib):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy",
                      metrics=["accuracy", lib.metrics.MeanAbsoluteError(name="zmae")])
        return model

    expected, got = (_log_orders(lib, build, x, y, y) for lib in (keras, jkeras))
    assert expected["history"] == ["accuracy", "loss", "val_accuracy", "val_loss", "val_zmae", "zmae"]
    _compare_orders(expected, got)


def test_log_order_several_outputs_as_keras():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = (rng.normal(size=(8, 1)) > 0).astype("float32")

    def build(lib):
        inp = lib.Input((3,))
        zout = lib.layers.Dense(1, name="zout")(inp)
        aout = lib.layers.Dense(1, activation="sigmoid", name="aout")(inp)
        model = lib.Model(inp, [zout, aout])
        model.compile(optimizer="sgd", loss={"zout": "mse", "aout": "binary_crossentropy"},
                      metrics={"zout": ["mae"], "aout": ["accuracy"]})
        return model

    expected, got = (_log_orders(lib, build, x, [y, y], [y, y]) for lib in (keras, jkeras))
    _compare_orders(expected, got)
    model = build(jkeras)
    values = model.evaluate(x, [y, y], verbose=0)
    as_dict = model.evaluate(x, [y, y], verbose=0, return_dict=True)
    assert dict(zip(model.metrics_names, values)) == pytest.approx(as_dict)  # the Keras 2 idiom


def test_log_order_custom_train_step_as_keras():
    x, y = _data(8, seed=5)

    def run(lib):
        class Custom(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(1, kernel_initializer="ones")
                self.zeta = lib.metrics.Mean(name="zeta")
                self.alpha = lib.metrics.MeanAbsoluteError(name="alpha")

            def call(self, x, training=False):
                return self.dense(x)

            def train_step(self, state, data):
                tv, ntv, ov, mv = state
                x, y = data

                def loss_fn(tv, ntv):
                    y_pred, ntv = self.stateless_call(tv, ntv, x, training=True)
                    return lib.ops.mean(lib.ops.square(y_pred - y)), (y_pred, ntv)

                (loss, (y_pred, ntv)), grads = jax.value_and_grad(loss_fn, has_aux=True)(tv, ntv)
                tv, ov = self.optimizer.stateless_apply(ov, grads, tv)
                names = [m.name for m in self.metrics]
                zeta_at, alpha_at = names.index("zeta"), names.index("alpha")
                starts = np.cumsum([0] + [len(m.variables) for m in self.metrics])
                mv = list(mv)
                z = self.zeta.stateless_update_state(mv[starts[zeta_at]:starts[zeta_at + 1]], loss)
                a = self.alpha.stateless_update_state(mv[starts[alpha_at]:starts[alpha_at + 1]], y, y_pred)
                mv[starts[zeta_at]:starts[zeta_at + 1]] = z
                mv[starts[alpha_at]:starts[alpha_at + 1]] = a
                logs = {"zeta": self.zeta.stateless_result(z), "alpha": self.alpha.stateless_result(a),
                        "last": loss}
                return logs, (tv, ntv, ov, mv)

        model = Custom()
        model.compile(optimizer="sgd")
        return model.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False).history

    expected, got = _both(run)
    assert list(expected) == ["alpha", "last", "zeta"]
    _assert_same_history(expected, got)

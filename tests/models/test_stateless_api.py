"""Keras 3's JAX stateless API: the code of keras.io's guides "Writing a training loop from
scratch in JAX" and "Customizing what happens in fit() with JAX", with small NumPy data, run on
jkeras and on Keras 3 from the same initial weights.

Keras 3.15 on JAX 0.10 cannot pass its Variables into `jax.jit` ("Triggering __jax_array__()
during abstractification is no longer supported"), so the Keras side starts its loops from
`[v.value for v in ...]`; jkeras runs the guides' lines unchanged."""
import jax
import keras
import numpy as np
import pytest

import jkeras

RTOL, ATOL = 1e-5, 1e-6
RNG = np.random.default_rng(0)
X = RNG.random((64, 12)).astype("float32")
Y = jkeras.utils.to_categorical(RNG.integers(0, 5, 64), 5)


def _mlp(lib):
    inputs = lib.Input(shape=(12,), name="digits")
    x1 = lib.layers.Dense(8, activation="relu")(inputs)
    x2 = lib.layers.BatchNormalization()(x1)
    outputs = lib.layers.Dense(5, name="predictions")(x2)
    return lib.Model(inputs=inputs, outputs=outputs)


def _pair(make=_mlp):
    keras.utils.set_random_seed(1)  # the same initial weights whatever ran before (float noise varies with them)
    ref, ours = make(keras), make(jkeras)
    ours.set_weights(ref.get_weights())
    return ref, ours


def _values(variables):
    return [v.value for v in variables]


def _guide_loop(lib, model, keras_side, steps=3, batch_size=16):
    """The guide's training loop with metrics, then its eval loop; returns the losses, the
    metric results and the trained weights (assigned back as the guide does)."""
    optimizer = lib.optimizers.Adam(learning_rate=1e-2)
    loss_fn = lib.losses.CategoricalCrossentropy(from_logits=True)
    train_acc_metric = lib.metrics.CategoricalAccuracy()
    val_acc_metric = lib.metrics.CategoricalAccuracy()

    def compute_loss_and_updates(trainable_variables, non_trainable_variables, metric_variables, x, y):
        y_pred, non_trainable_variables = model.stateless_call(
            trainable_variables, non_trainable_variables, x, training=True)
        loss = loss_fn(y, y_pred)
        metric_variables = train_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (non_trainable_variables, metric_variables)

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        trainable_variables, non_trainable_variables, optimizer_variables, metric_variables = state
        x, y = data
        (loss, (non_trainable_variables, metric_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, metric_variables, x, y)
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)
        return loss, (trainable_variables, non_trainable_variables, optimizer_variables, metric_variables)

    @jax.jit
    def eval_step(state, data):
        trainable_variables, non_trainable_variables, metric_variables = state
        x, y = data
        y_pred, non_trainable_variables = model.stateless_call(trainable_variables, non_trainable_variables, x)
        loss = loss_fn(y, y_pred)
        metric_variables = val_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (trainable_variables, non_trainable_variables, metric_variables)

    optimizer.build(model.trainable_variables)
    state = (model.trainable_variables, model.non_trainable_variables, optimizer.variables,
             train_acc_metric.variables)
    if keras_side:
        state = tuple(_values(part) for part in state)
    losses = []
    for step in range(steps):
        rows = slice(step * batch_size, (step + 1) * batch_size)
        loss, state = train_step(state, (X[rows], Y[rows]))
        losses.append(float(loss))
    for variable, value in zip(train_acc_metric.variables, state[3]):
        variable.assign(value)
    train_acc = float(train_acc_metric.result())
    trainable_variables, non_trainable_variables, _, _ = state
    eval_state = (trainable_variables, non_trainable_variables,
                  _values(val_acc_metric.variables) if keras_side else val_acc_metric.variables)
    eval_losses = []
    for step in range(2):
        rows = slice(32 + step * batch_size, 32 + (step + 1) * batch_size)
        loss, eval_state = eval_step(eval_state, (X[rows], Y[rows]))
        eval_losses.append(float(loss))
    for variable, value in zip(val_acc_metric.variables, eval_state[2]):
        variable.assign(value)
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    for variable, value in zip(model.non_trainable_variables, non_trainable_variables):
        variable.assign(value)
    return losses, eval_losses, train_acc, float(val_acc_metric.result()), train_step


def test_training_loop_from_scratch_guide_matches_keras():
    ref, ours = _pair()
    *expected, _ = _guide_loop(keras, ref, keras_side=True)
    *got, jitted = _guide_loop(jkeras, ours, keras_side=False)
    np.testing.assert_allclose(got[0], expected[0], rtol=RTOL)  # train losses per step
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-4)  # eval losses (after 3 Adam steps: float noise)
    assert got[2:] == pytest.approx(expected[2:])
    # atol: the bias of the Dense before BatchNormalization gets a gradient of rounding noise
    # only, which Adam scales up to ~lr-sized steps in either library.
    for w_ours, w_ref in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(w_ours, w_ref, rtol=1e-4, atol=2e-4)
    # The first call took Variables, the next ones the arrays it returned: two programs.
    assert jitted._cache_size() == 2


def test_stateless_call_equals_apply_and_keras():
    ref, ours = _pair()
    x = X[:8]
    tv, ntv = ours.trainable_variables, ours.non_trainable_variables
    assert [v.path for v in ntv] == [f"{ours.layers[2].name}/moving_mean", f"{ours.layers[2].name}/moving_variance"]
    out, new_ntv = ours.stateless_call(tv, ntv, x, training=True)
    expected_out, expected_state = ours.apply(ours.get_variables(), x, training=True)
    np.testing.assert_allclose(out, expected_out, rtol=RTOL)
    bn = ours.layers[2].name
    np.testing.assert_allclose(new_ntv[0], expected_state[bn]["moving_mean"], rtol=RTOL)
    ref_out, ref_ntv = ref.stateless_call(_values(ref.trainable_variables), _values(ref.non_trainable_variables),
                                          x, training=True)
    np.testing.assert_allclose(out, ref_out, rtol=RTOL, atol=ATOL)
    for a, b in zip(new_ntv, ref_ntv):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    # Nothing on the model changed.
    np.testing.assert_allclose(ours.non_trainable_variables[0].numpy(), np.zeros(8))
    # Inference with other weights: those are used.
    doubled = [2 * np.asarray(v) for v in tv]
    out2, _ = ours.stateless_call(doubled, ntv, x)
    ref_out2, _ = ref.stateless_call(doubled, _values(ref.non_trainable_variables), x)
    np.testing.assert_allclose(out2, ref_out2, rtol=RTOL, atol=ATOL)


def test_stateless_call_errors_name_the_model_and_the_weight():
    _, ours = _pair()
    tv, ntv = ours.trainable_variables, ours.non_trainable_variables
    with pytest.raises(ValueError, match=rf"'{ours.name}'.*trainable_variables.*expected 6 values, got 5"):
        ours.stateless_call(tv[:5], ntv, X[:2])
    bad = list(tv)
    bad[0] = np.zeros((3, 8), "float32")
    with pytest.raises(ValueError, match=r"trainable_variables\[0\].*kernel.*\(12, 8\).*\(3, 8\)"):
        ours.stateless_call(bad, ntv, X[:2])
    with pytest.raises(ValueError, match="non_trainable_variables"):
        ours.stateless_call(tv, [], X[:2])


@pytest.mark.parametrize("name, kwargs", [("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
                                          ("Adam", {"learning_rate": 0.01})])
def test_optimizer_stateless_apply_matches_keras_and_apply(name, kwargs):
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal((3, 2)).astype("float32"), rng.standard_normal((2,)).astype("float32")]
    ours, ref, plain = (getattr(lib.optimizers, name)(**kwargs) for lib in (jkeras, keras, jkeras))
    ref_vars = [keras.Variable(w) for w in weights]
    ref.build(ref_vars)
    ours.build(weights)
    ours_state, ref_state = ours.variables, _values(ref.variables)
    ours_w, ref_w, plain_w = list(weights), _values(ref_vars), list(weights)
    step = jax.jit(ours.stateless_apply)
    for i in range(3):
        grads = [rng.standard_normal(w.shape).astype("float32") for w in weights]
        ours_w, ours_state = step(ours_state, grads, ours_w)
        ref_w, ref_state = ref.stateless_apply(ref_state, grads, ref_w)
        plain_w = plain.apply(grads, plain_w)
        for a, b, c in zip(ours_w, ref_w, plain_w):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
            np.testing.assert_allclose(a, c, rtol=RTOL, atol=ATOL)
    assert ours.iterations == 0  # stateless: the optimizer's own state did not move
    with pytest.raises(ValueError, match="optimizer_variables"):
        ours.stateless_apply(ours_state[:-1], grads, ours_w)


@pytest.mark.parametrize("name", ["CategoricalAccuracy", "MeanAbsoluteError", "AUC"])
def test_metric_stateless_api_equals_stateful_and_keras(name):
    rng = np.random.default_rng(2)
    y_true = jkeras.utils.to_categorical(rng.integers(0, 4, 10), 4)
    y_pred = rng.random((10, 4)).astype("float32")
    ours, stateful, ref = getattr(jkeras.metrics, name)(), getattr(jkeras.metrics, name)(), getattr(keras.metrics, name)()
    state = ours.variables
    update = jax.jit(ours.stateless_update_state)
    for rows in (slice(0, 5), slice(5, 10)):
        state = update(state, y_true[rows], y_pred[rows])
        stateful.update_state(y_true[rows], y_pred[rows])
        ref.update_state(y_true[rows], y_pred[rows])
    np.testing.assert_allclose(ours.stateless_result(state), stateful.result(), rtol=RTOL)
    np.testing.assert_allclose(ours.stateless_result(state), ref.result(), rtol=RTOL)
    assert [v.shape for v in ours.variables] == [tuple(v.shape) for v in ref.variables]
    for variable, value in zip(ours.variables, state):
        variable.assign(value)
    np.testing.assert_allclose(ours.result(), ref.result(), rtol=RTOL)
    for a, b in zip(ours.stateless_reset_state(), ref.stateless_reset_state()):
        np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="metric_variables"):
        ours.stateless_result(state[:-1])


def _custom_model_classes(lib):
    """The three `CustomModel`s of the guide "Customizing what happens in fit() with JAX"."""

    class CustomModel(lib.Model):
        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, metrics_variables,
                                     x, y, sample_weight, training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training)
            loss, (trainable_variables, non_trainable_variables, metrics_variables) = self.stateless_compute_loss(
                trainable_variables, non_trainable_variables, metrics_variables, x=x, y=y, y_pred=y_pred,
                sample_weight=sample_weight, training=training)
            return loss, (y_pred, non_trainable_variables, metrics_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y, sample_weight = lib.utils.unpack_x_y_sample_weight(data)
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables, metrics_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, metrics_variables, x, y, sample_weight, training=True)
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables)
            new_metrics_vars = []
            logs = {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[len(new_metrics_vars):len(new_metrics_vars) + len(metric.variables)]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, loss, sample_weight=sample_weight)
                else:
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred,
                                                                     sample_weight=sample_weight)
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
            return logs, state

    class LowerLevelModel(lib.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = lib.losses.MeanSquaredError()

        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, sample_weight,
                                     training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training)
            loss = self.loss_fn(y, y_pred, sample_weight=sample_weight)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y, sample_weight = lib.utils.unpack_x_y_sample_weight(data)
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, x, y, sample_weight, training=True)
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables)
            loss_tracker_vars = metrics_variables[:len(self.loss_tracker.variables)]
            mae_metric_vars = metrics_variables[len(self.loss_tracker.variables):]
            loss_tracker_vars = self.loss_tracker.stateless_update_state(loss_tracker_vars, loss,
                                                                         sample_weight=sample_weight)
            mae_metric_vars = self.mae_metric.stateless_update_state(mae_metric_vars, y, y_pred,
                                                                     sample_weight=sample_weight)
            logs = {}
            logs[self.loss_tracker.name] = self.loss_tracker.stateless_result(loss_tracker_vars)
            logs[self.mae_metric.name] = self.mae_metric.stateless_result(mae_metric_vars)
            new_metrics_vars = loss_tracker_vars + mae_metric_vars
            state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
            return logs, state

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    class TestStepModel(lib.Model):
        def test_step(self, state, data):
            x, y, sample_weight = lib.utils.unpack_x_y_sample_weight(data)
            trainable_variables, non_trainable_variables, metrics_variables = state
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=False)
            loss, (trainable_variables, non_trainable_variables, metrics_variables) = self.stateless_compute_loss(
                trainable_variables, non_trainable_variables, metrics_variables, x=x, y=y, y_pred=y_pred,
                sample_weight=sample_weight, training=False)
            new_metrics_vars = []
            logs = {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[len(new_metrics_vars):len(new_metrics_vars) + len(metric.variables)]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, loss, sample_weight=sample_weight)
                else:
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred,
                                                                     sample_weight=sample_weight)
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            return logs, (trainable_variables, non_trainable_variables, new_metrics_vars)

    return {"custom": CustomModel, "lower_level": LowerLevelModel, "test_step": TestStepModel}


FIT_X = RNG.random((96, 32)).astype("float32")
FIT_Y = RNG.random((96, 1)).astype("float32")


def _build(lib, kind):
    inputs = lib.Input(shape=(32,))
    outputs = lib.layers.Dense(1)(inputs)
    return _custom_model_classes(lib)[kind](inputs, outputs)


@pytest.mark.parametrize("kind", ["custom", "lower_level"])
def test_custom_train_step_fit_history_matches_keras(kind):
    ref, ours = _build(keras, kind), _build(jkeras, kind)
    ours.set_weights(ref.get_weights())
    for model in (ref, ours):
        if kind == "custom":
            model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        else:
            model.compile(optimizer="adam")
    expected = ref.fit(FIT_X, FIT_Y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    got = ours.fit(FIT_X, FIT_Y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    assert set(got) == set(expected) == {"loss", "mae"}
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=RTOL)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # The metric objects hold the last epoch's state, as Keras's do after fit.
    assert [m.name for m in ours.metrics][:1] == ["loss"]
    np.testing.assert_allclose(float(ours.metrics[0].result()), expected["loss"][-1], rtol=RTOL)


@pytest.mark.parametrize("on_device", [True, False])
@pytest.mark.parametrize("spe", [1, 3])
@pytest.mark.parametrize("kind", ["custom", "lower_level", "test_step"])
def test_custom_steps_see_exactly_the_short_last_batch_as_in_keras(monkeypatch, kind, spe, on_device):
    """90 rows in batches of 32: an override's own metrics and losses see the last batch's 26 rows
    only (Keras runs it as a program of its own), whether the data is on the device or fed from
    the host, one step or several per call."""
    from jkeras.models import data_adapter

    monkeypatch.setattr(data_adapter, "DEVICE_DATA_BYTES", None if on_device else 0)
    x, y = FIT_X[:90], FIT_Y[:90]
    ref, ours = _build(keras, kind), _build(jkeras, kind)
    ours.set_weights(ref.get_weights())
    for model in (ref, ours):
        model.compile(optimizer="adam", loss=None if kind == "lower_level" else "mse",
                      metrics=None if kind == "lower_level" else ["mae"], steps_per_execution=spe)
    if kind == "test_step":
        expected = ref.evaluate(x, y, batch_size=32, return_dict=True, verbose=0)
        got = ours.evaluate(x, y, batch_size=32, return_dict=True, verbose=0)
    else:
        expected = ref.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0).history
        got = ours.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0).history
        for a, b in zip(ours.get_weights(), ref.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=RTOL, err_msg=key)


def test_custom_test_step_evaluate_matches_keras():
    ref, ours = _build(keras, "test_step"), _build(jkeras, "test_step")
    ours.set_weights(ref.get_weights())
    for model in (ref, ours):
        model.compile(loss="mse", metrics=["mae"])
    expected = ref.evaluate(FIT_X, FIT_Y, batch_size=32, return_dict=True, verbose=0)
    got = ours.evaluate(FIT_X, FIT_Y, batch_size=32, return_dict=True, verbose=0)
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=RTOL)
    # From a generator, the override runs too.
    batches = lambda: ((FIT_X[i:i + 32], FIT_Y[i:i + 32]) for i in range(0, 96, 32))  # noqa: E731
    streamed = ours.evaluate(batches(), steps=3, return_dict=True, verbose=0)
    for key in expected:
        np.testing.assert_allclose(streamed[key], expected[key], rtol=RTOL)


def test_compute_loss_matches_keras():
    ref, ours = _pair()
    for model in (ref, ours):
        model.compile(optimizer="sgd", loss=model_loss(model), metrics=["accuracy"])
    y_pred = ref.predict(X[:8], verbose=0)
    expected = ref.compute_loss(X[:8], Y[:8], y_pred)
    np.testing.assert_allclose(ours.compute_loss(X[:8], Y[:8], y_pred), expected, rtol=RTOL)
    assert [m.name for m in ours.metrics] == [m.name for m in ref.metrics] == ["loss", "compile_metrics"]


def model_loss(model):
    return "categorical_crossentropy"


def test_jkeras_train_step_convention_still_works_after_a_probe():
    """A jkeras-convention override (TrainState in, `(state, logs)` out) trains as before."""
    class Logged(jkeras.Sequential):
        def train_step(self, state, batch):
            new_state, logs = super().train_step(state, batch)
            return new_state, {**logs, "twice": 2 * logs["loss"]}

    model = Logged([jkeras.layers.Dense(1, input_shape=(32,))])
    model.compile("sgd", "mse")
    history = model.fit(FIT_X, FIT_Y, epochs=2, batch_size=32, verbose=0).history
    np.testing.assert_allclose(history["twice"], 2 * np.asarray(history["loss"]), rtol=1e-6)


def test_evaluate_orders_a_test_step_overrides_own_logs_as_keras():
    """The JAX guide's test_step returns only its last metric's result (`compile_metrics`, a
    dict of mae): evaluate gives what Keras gives (that value alone), in list and dict form."""
    def build(lib):
        class LastMetricOnly(lib.Model):
            def test_step(self, state, data):
                x, y = data
                trainable, non_trainable, metrics_variables = state
                y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=False)
                loss = self.compute_loss(x, y, y_pred)
                new, logs = [], None
                for metric in self.metrics:
                    v = metrics_variables[len(new):len(new) + len(metric.variables)]
                    v = (metric.stateless_update_state(v, loss) if metric.name == "loss"
                         else metric.stateless_update_state(v, y, y_pred))
                    logs = metric.stateless_result(v)
                    new += v
                return logs, (trainable, non_trainable, new)

        inputs = lib.Input((32,))
        return LastMetricOnly(inputs, lib.layers.Dense(1)(inputs))

    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    for model in (ref, ours):
        model.compile(loss="mse", metrics=["mae", "mse"])
    for return_dict in (False, True):
        expected = ref.evaluate(FIT_X, FIT_Y, batch_size=32, verbose=0, return_dict=return_dict)
        got = ours.evaluate(FIT_X, FIT_Y, batch_size=32, verbose=0, return_dict=return_dict)
        if return_dict:
            assert set(got) == set(expected)
            got, expected = [got[k] for k in sorted(got)], [expected[k] for k in sorted(expected)]
        np.testing.assert_allclose(got, expected, rtol=RTOL)


def _predict_step_model(k, form):
    class PostProcessed(k.Model):
        def __init__(self):
            super().__init__()
            self.dense = k.layers.Dense(3)
            self.norm = k.layers.BatchNormalization()

        def call(self, x, training=False):
            return self.norm(self.dense(x), training=training)

        if form == "keras3":
            def predict_step(self, state, data):  # Keras 3's JAX form, through the default step
                outputs, non_trainable = super().predict_step(state, data)
                return {"clipped": k.ops.clip(outputs, 0.0, 1.0), "twice": outputs * 2}, non_trainable
        else:
            def predict_step(self, data):  # the TensorFlow / PyTorch form (keras-io edsr.py)
                return self(data)

    model = PostProcessed()
    model(np.zeros((2, 4), "float32"))
    return model


def test_an_overridden_predict_step_is_what_predict_returns_as_in_keras():
    """predict, predict_on_batch and predict on a generator run a Keras 3 `predict_step(state,
    data)` override, in the structure it returns; the TensorFlow form `predict_step(self, data)`
    is a TypeError in both (keras-io edsr.py)."""
    x = np.random.default_rng(0).normal(size=(10, 4)).astype("float32")
    ref, ours = _predict_step_model(keras, "keras3"), _predict_step_model(jkeras, "keras3")
    ours.set_weights(ref.get_weights())

    def batches():
        for i in range(0, 10, 4):
            yield x[i:i + 4]

    for got, expected in ((ours.predict(x, batch_size=4, verbose=0), ref.predict(x, batch_size=4, verbose=0)),
                          (ours.predict_on_batch(x), ref.predict_on_batch(x)),
                          (ours.predict(batches(), verbose=0), ref.predict(x, batch_size=4, verbose=0))):
        assert sorted(got) == sorted(expected) == ["clipped", "twice"]
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-6, atol=1e-6)
    for lib in (keras, jkeras):
        with pytest.raises(TypeError, match="predict_step"):
            _predict_step_model(lib, "tf").predict(x, verbose=0)

"""A loss that computes one value for the whole batch (a user function such as
`mean(square(y_pred - y_true))`, or a `Loss` subclass whose `call` reduces) sees only the real
rows of a short last batch, as in Keras 3, which runs that batch at its own size; checked
against Keras 3 running the same code."""
import jax
import keras
import numpy as np
import pytest

import jkeras


def _data(n):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 5)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def _scalar_function(lib):
    def scalar_mse(y_true, y_pred):
        return lib.ops.mean(lib.ops.square(y_pred - y_true)) + 0.1 * lib.ops.max(lib.ops.abs(y_pred))
    return scalar_mse


def _scalar_class(lib):
    class MaxError(lib.losses.Loss):
        def call(self, y_true, y_pred):
            return lib.ops.max(lib.ops.abs(y_pred - y_true))
    return MaxError()


def _run(lib, make_loss, n, steps_per_execution=1):
    x, y = _data(n)
    model = lib.Sequential([lib.Input((5,)), lib.layers.Dense(1)])
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss=make_loss(lib),
                  steps_per_execution=steps_per_execution)
    weights = [np.linspace(-0.5, 0.5, 5, dtype="float32").reshape(5, 1), np.zeros(1, "float32")]
    model.set_weights(weights)
    evaluated = model.evaluate(x, y, batch_size=8, verbose=0)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history["loss"]
    return evaluated, history, model.get_weights()


@pytest.mark.parametrize("make_loss", [_scalar_function, _scalar_class], ids=["function", "Loss"])
@pytest.mark.parametrize("n", [30, 11], ids=["short_last_batch", "short_second_batch"])
def test_batch_valued_loss_leaves_the_padding_out_as_keras(make_loss, n):
    k_eval, k_hist, k_weights = _run(keras, make_loss, n)
    j_eval, j_hist, j_weights = _run(jkeras, make_loss, n)
    np.testing.assert_allclose(j_eval, k_eval, rtol=1e-5)
    np.testing.assert_allclose(j_hist, k_hist, rtol=1e-5)
    for got, expected in zip(j_weights, k_weights):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_batch_valued_loss_with_steps_per_execution_as_keras():
    k_eval, k_hist, k_weights = _run(keras, _scalar_function, 30, steps_per_execution=3)
    j_eval, j_hist, j_weights = _run(jkeras, _scalar_function, 30, steps_per_execution=3)
    np.testing.assert_allclose(j_eval, k_eval, rtol=1e-5)
    np.testing.assert_allclose(j_hist, k_hist, rtol=1e-5)
    for got, expected in zip(j_weights, k_weights):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("added", [False, True], ids=["batch_valued_loss", "loss_added_in_call"])
def test_real_rows_keep_one_program_per_kind(added):
    x, y = _data(30)  # batches of 8, 8, 8 and 6
    if added:
        model = _added_loss_model(jkeras)
        model.compile(optimizer="sgd", loss="mse")
    else:
        model = jkeras.Sequential([jkeras.Input((5,)), jkeras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss=_scalar_function(jkeras))
    # Compiles counted by jax.monitoring (a jitted function's `_cache_size()` can read 0 in a long
    # process: JAX's global cache of jitted functions evicts old ones).
    compiled = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiled.append(kwargs.get("fun_name"))

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x, y))
    finally:
        jax.monitoring.clear_event_listeners()
    for kind in ("train", "eval"):
        assert len([key for key in model._jit_cache if key[0] == kind]) == 1, kind
    assert compiled.count("jit(run)") == 2, compiled  # the train and the eval program, each once


def _added_loss_model(lib):
    class BatchPenalty(lib.layers.Layer):
        """Adds a loss that pools over the whole batch (the subclassing guide's pattern)."""

        def call(self, inputs):
            self.add_loss(0.1 * lib.ops.mean(lib.ops.square(inputs)) + 0.05 * lib.ops.max(inputs))
            return inputs

    inputs = lib.Input((5,))
    hidden = BatchPenalty()(lib.layers.Dense(3, activation="tanh")(inputs))
    return lib.Model(inputs, lib.layers.Dense(1)(hidden))


def _run_added(lib, n, steps_per_execution=1):
    x, y = _data(n)
    model = _added_loss_model(lib)
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse", metrics=["mae"],
                  steps_per_execution=steps_per_execution)
    model.set_weights([np.linspace(-0.5, 0.5, w.size, dtype="float32").reshape(w.shape)
                       for w in model.get_weights()])
    evaluated = model.evaluate(x, y, batch_size=8, verbose=0)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    return evaluated, history, model.get_weights()


@pytest.mark.parametrize("n,spe", [(30, 1), (11, 1), (30, 3)],
                         ids=["short_last_batch", "short_second_batch", "steps_per_execution"])
def test_loss_added_in_call_sees_only_the_real_rows_as_keras(n, spe):
    k_eval, k_hist, k_weights = _run_added(keras, n, spe)
    j_eval, j_hist, j_weights = _run_added(jkeras, n, spe)
    np.testing.assert_allclose(j_eval, k_eval, rtol=1e-5)
    for name in ("loss", "mae"):
        np.testing.assert_allclose(j_hist[name], k_hist[name], rtol=1e-5)
    for got, expected in zip(j_weights, k_weights):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)

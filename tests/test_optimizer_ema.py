"""Optimizer EMA (`use_ema=True`) and `callbacks.SwapEMAWeights`, compared with Keras 3 running the
same model, data and starting weights."""
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jkeras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 5)).astype("float32")
Y = RNG.normal(size=(40, 2)).astype("float32")


def _model(K, optimizer, metrics=None):
    model = K.Sequential([K.Input((5,)), K.layers.Dense(4, activation="tanh"), K.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse", metrics=metrics)
    return model


def _pair(name, metrics=None, **kwargs):
    """The same model under Keras 3 and jkeras, with the same weights."""
    km = _model(keras, getattr(keras.optimizers, name)(**kwargs), metrics)
    jm = _model(jkeras, getattr(jkeras.optimizers, name)(**kwargs), metrics)
    jm.set_weights(km.get_weights())
    return km, jm


def _close(a_list, b_list, atol=1e-6):
    a_list, b_list = list(a_list), list(b_list)
    assert len(a_list) == len(b_list)
    for a, b in zip(a_list, b_list):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "ema_overwrite_frequency": 3}),
    ("Adam", {"learning_rate": 0.05}),
    ("Adam", {"learning_rate": 0.05, "ema_overwrite_frequency": 4}),
])
def test_fit_weights_and_averages_match_keras(name, kwargs):
    km, jm = _pair(name, use_ema=True, ema_momentum=0.9, **kwargs)
    for model in (km, jm):
        model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    # fit ends with finalize_variable_values: the weights are the averages.
    _close(km.get_weights(), jm.get_weights())
    _close(km.optimizer._model_variables_moving_average, jm.optimizer._model_variables_moving_average)
    _close(jm.get_weights(), jm.optimizer._model_variables_moving_average, atol=0)
    assert jm.optimizer.iterations == int(km.optimizer.iterations) == 10


def test_averages_lag_the_weights_inside_fit():
    """Mid-training (before finalize) the weights and the averages differ, as in Keras 3."""
    seen = {}

    def record(K, model):
        def hook(epoch, logs):
            seen.setdefault(K.__name__, []).append(
                ([w.copy() for w in model.get_weights()],
                 [np.asarray(a) for a in model.optimizer._model_variables_moving_average]))
        return K.callbacks.LambdaCallback(on_epoch_end=hook)

    km, jm = _pair("SGD", learning_rate=0.1, use_ema=True, ema_momentum=0.8)
    km.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[record(keras, km)])
    jm.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[record(jkeras, jm)])
    for (kw, ka), (jw, ja) in zip(seen["keras"], seen["jkeras"]):
        _close(kw, jw)
        _close(ka, ja)
    assert not np.allclose(seen["jkeras"][0][0][0], seen["jkeras"][0][1][0])


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_validation_and_evaluate_match_keras(swap_on_epoch):
    km, jm = _pair("SGD", metrics=["mae"], learning_rate=0.1, use_ema=True, ema_momentum=0.8)
    kh = km.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_data=(X, Y),
                callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch)])
    jh = jm.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_data=(X, Y),
                callbacks=[jkeras.callbacks.SwapEMAWeights(swap_on_epoch)])
    assert sorted(jh.history) == sorted(kh.history)
    for key in kh.history:
        np.testing.assert_allclose(jh.history[key], kh.history[key], rtol=1e-5)
    _close(km.get_weights(), jm.get_weights())
    # Weights that are not the averages: evaluate with the callback sees the averages, and the
    # weights come back afterwards.
    new = [w * 0.5 for w in km.get_weights()]
    km.set_weights(new)
    jm.set_weights(new)
    k_plain, j_plain = km.evaluate(X, Y, verbose=0), jm.evaluate(X, Y, verbose=0)
    np.testing.assert_allclose(j_plain, k_plain, rtol=1e-5)
    k_ema = km.evaluate(X, Y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    j_ema = jm.evaluate(X, Y, verbose=0, callbacks=[jkeras.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(j_ema, k_ema, rtol=1e-5)
    assert not np.allclose(j_ema, j_plain)
    _close(km.get_weights(), jm.get_weights())
    _close(jm.get_weights(), new)
    _close(km.optimizer._model_variables_moving_average, jm.optimizer._model_variables_moving_average)


def test_swap_ema_weights_without_ema_raises_like_keras():
    for K in (keras, jkeras):
        model = _model(K, K.optimizers.SGD())
        model.fit(X, Y, epochs=1, verbose=0)
        with pytest.raises(ValueError, match="use_ema=True"):
            model.evaluate(X, Y, verbose=0, callbacks=[K.callbacks.SwapEMAWeights()])
    assert not hasattr(model.optimizer, "_model_variables_moving_average")


def test_config_and_argument_errors_match_keras():
    kwargs = {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.95, "ema_overwrite_frequency": 5}
    k_opt, j_opt = keras.optimizers.Adam(**kwargs), jkeras.optimizers.Adam(**kwargs)
    k_config, j_config = k_opt.get_config(), j_opt.get_config()
    for key in ("use_ema", "ema_momentum", "ema_overwrite_frequency"):
        assert j_config[key] == k_config[key]
    again = jkeras.optimizers.Adam.from_config(j_config)
    assert (again.use_ema, again.ema_momentum, again.ema_overwrite_frequency) == (True, 0.95, 5)
    for bad in ({"ema_momentum": 1.5}, {"ema_momentum": -0.1}, {"ema_overwrite_frequency": 2.5}):
        for K in (keras, jkeras):
            with pytest.raises(ValueError, match="ema_"):
                K.optimizers.SGD(use_ema=True, **bad)
    jkeras.optimizers.SGD(use_ema=False, ema_momentum=1.5)  # checked only with use_ema, as Keras


def test_apply_on_variables_and_finalize_match_keras():
    """Keras 3's custom-loop API: `apply(grads, variables)` keeps the averages;
    `finalize_variable_values` copies them into the variables."""
    kvars = [keras.Variable(np.ones((3,), "float32")), keras.Variable(np.full((2, 2), 2.0, "float32"))]
    jvars = [jkeras.Variable(np.ones((3,), "float32")), jkeras.Variable(np.full((2, 2), 2.0, "float32"))]
    kwargs = {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 3}
    k_opt, j_opt = keras.optimizers.SGD(**kwargs), jkeras.optimizers.SGD(**kwargs)
    for step in range(4):
        grads = [np.full((3,), step + 1.0, "float32"), np.full((2, 2), -0.5 * step, "float32")]
        k_opt.apply(grads, kvars)
        j_opt.apply(grads, jvars)
        _close([v.numpy() for v in kvars], [v.numpy() for v in jvars])
        _close(k_opt._model_variables_moving_average, j_opt._model_variables_moving_average)
    k_opt.finalize_variable_values(kvars)
    j_opt.finalize_variable_values(jvars)
    _close([v.numpy() for v in kvars], [v.numpy() for v in jvars])
    with pytest.raises(ValueError, match="length of model variables"):
        j_opt.finalize_variable_values(jvars[:1])


def test_pure_state_under_jit():
    """The EMA is part of the pure optax state: a jitted update gives the same averages."""
    opt = jkeras.optimizers.SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.5)
    params = {"w": jnp.ones((2,))}
    state = opt.transform.init(params)
    update = jax.jit(opt.transform.update)
    for _ in range(2):
        updates, state = update({"w": jnp.ones((2,))}, state, params)
        params = jax.tree_util.tree_map(lambda p, u: p + u, params, updates)
    # w: 1 -> 0.5 -> 0; average: 0.5 (first step) -> 0.5 * 0.5 + 0.5 * 0 = 0.25
    np.testing.assert_allclose(params["w"], [0.0, 0.0])
    from jkeras.core.ema import find_ema_state
    np.testing.assert_allclose(find_ema_state(state).averages["w"], [0.25, 0.25])


def test_keras_file_round_trip_keeps_averages(tmp_path):
    km, jm = _pair("Adam", learning_rate=0.05, use_ema=True)
    km.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    jm.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    # jkeras -> Keras 3 and Keras 3 -> jkeras.
    jm.save(tmp_path / "j.keras")
    km.save(tmp_path / "k.keras")
    k_loaded = keras.models.load_model(tmp_path / "j.keras")
    j_loaded = jkeras.models.load_model(tmp_path / "k.keras")
    j_again = jkeras.models.load_model(tmp_path / "j.keras")
    for loaded in (k_loaded, j_loaded, j_again):
        assert loaded.optimizer.use_ema
        _close(km.optimizer._model_variables_moving_average, loaded.optimizer._model_variables_moving_average)
    _close([v.numpy() for v in km.optimizer.variables], [v.numpy() for v in k_loaded.optimizer.variables])


def test_keras3_stateless_train_step_and_mixed_float16_match_keras():
    """A Keras 3 JAX `train_step` with `optimizer.stateless_apply`, and a loss-scaled optimizer
    (mixed_float16) with SwapEMAWeights."""

    def custom_model(K):
        class CustomModel(K.Model):
            def train_step(self, state, data):
                trainable, non_trainable, optimizer_vars, metrics_vars = state
                x, y = data

                def loss_fn(trainable):
                    y_pred, new_non_trainable = self.stateless_call(trainable, non_trainable, x, training=True)
                    return self.compute_loss(x, y, y_pred), new_non_trainable

                (loss, non_trainable_new), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable)
                trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, grads, trainable)
                return {"loss": loss}, (trainable, non_trainable_new, optimizer_vars, metrics_vars)

        inputs = K.Input((5,))
        return CustomModel(inputs, K.layers.Dense(2)(K.layers.Dense(4)(inputs)))

    models = {}
    for K in (keras, jkeras):
        model = custom_model(K)
        model.compile(optimizer=K.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3),
                      loss="mse")
        if models:
            model.set_weights(models["keras"].get_weights())
        models[K.__name__] = model
    for model in models.values():
        model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    _close(models["keras"].get_weights(), models["jkeras"].get_weights())
    _close(models["keras"].optimizer._model_variables_moving_average,
           models["jkeras"].optimizer._model_variables_moving_average)

    histories, weights = {}, None
    for K in (keras, jkeras):
        K.config.set_dtype_policy("mixed_float16")
        try:
            model = _model(K, K.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5))
            weights = model.get_weights() if weights is None else model.set_weights(weights) or weights
            histories[K.__name__] = model.fit(X, Y, epochs=1, shuffle=False, verbose=0, validation_data=(X, Y),
                                              callbacks=[K.callbacks.SwapEMAWeights()]).history
        finally:
            K.config.set_dtype_policy("float32")
    for key, values in histories["keras"].items():
        np.testing.assert_allclose(histories["jkeras"][key], values, rtol=1e-3)


def test_swap_ema_weights_predict():
    """predict with SwapEMAWeights runs on the averages (as Keras 3); jkeras also swaps the weights
    back at on_predict_end (Keras 3's on_predict_end leaves the averages in the model)."""
    km, jm = _pair("SGD", learning_rate=0.1, use_ema=True, ema_momentum=0.8)
    for model in (km, jm):
        model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    new = [w * 0.5 for w in km.get_weights()]
    km.set_weights(new)
    jm.set_weights(new)
    k_out = km.predict(X, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    j_out = jm.predict(X, verbose=0, callbacks=[jkeras.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(j_out, k_out, rtol=1e-5, atol=1e-6)
    _close(jm.get_weights(), new)

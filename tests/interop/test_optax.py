"""Any optax GradientTransformation in compile: fit must take exactly the steps optax itself takes
in a hand-written loop over model.apply (the reference), for chains, schedules and per-layer
multi_transform; the injected learning rate is readable and settable through model.optimizer."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jkeras
from jkeras import layers

X = np.random.default_rng(0).standard_normal((32, 4)).astype("float32")
Y = (X @ np.arange(1, 5, dtype="float32")[:, None] / 4).astype("float32")


def _model():
    inner = jkeras.Sequential([jkeras.Input((6,)), layers.Dense(6, activation="tanh", name="inner_dense")],
                              name="block")
    return jkeras.Sequential([jkeras.Input((4,)), layers.Dense(6, activation="tanh", name="first"), inner,
                              layers.Dense(1, name="last")])


def _hand_loop(model, tx, variables, steps):
    """`steps` full-batch updates with optax directly; MSE written here."""
    tx = optax.with_extra_args_support(tx)

    def loss(params):
        pred, _ = model.apply({"params": params, "state": variables["state"]}, X)
        return jnp.mean((pred - Y) ** 2)

    @jax.jit
    def step(params, opt_state):
        value, grads = jax.value_and_grad(loss)(params)
        updates, opt_state = tx.update(grads, opt_state, params, value=value)
        return optax.apply_updates(params, updates), opt_state

    params = variables["params"]
    opt_state = tx.init(params)
    for _ in range(steps):
        params, opt_state = step(params, opt_state)
    return params


def _fit(model, tx, steps):
    model.compile(optimizer=tx, loss="mse")
    model.fit(X, Y, batch_size=len(X), epochs=steps, shuffle=False, verbose=0)
    return model.get_variables()["params"]


def _assert_trees_close(a, b):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(x, y, rtol=2e-5, atol=1e-6)


def _schedule():
    return optax.exponential_decay(0.1, transition_steps=1, decay_rate=0.5)


@pytest.mark.parametrize("make_tx", [
    lambda model: optax.chain(optax.clip_by_global_norm(0.5), optax.adam(0.05)),
    lambda model: optax.sgd(_schedule(), momentum=0.9),
    lambda model: optax.multi_transform(
        {"slow": optax.sgd(0.01), "fast": optax.adam(0.1)},
        jkeras.optimizers.labels_by_layer(model, {"block": "slow"}, default="fast")),
    lambda model: optax.chain(optax.sgd(0.5), optax.contrib.reduce_on_plateau(patience=0, factor=0.5)),
], ids=["chain", "schedule", "multi_transform", "reduce_on_plateau_reads_the_loss"])
def test_fit_takes_the_steps_optax_takes(make_tx):
    model = _model()
    start = model.get_variables()
    expected = _hand_loop(model, make_tx(model), start, steps=4)
    _assert_trees_close(_fit(model, make_tx(model), steps=4), expected)


def test_a_keras_schedule_drives_an_optax_rule_like_optaxs_own_schedule():
    model = _model()
    expected = _hand_loop(model, optax.sgd(optax.exponential_decay(0.1, 1, 0.5)), model.get_variables(), steps=3)
    keras_schedule = jkeras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    _assert_trees_close(_fit(model, optax.sgd(keras_schedule), steps=3), expected)


def test_multi_transform_labels_follow_the_innermost_listed_layer_and_skip_frozen_weights():
    model = _model()
    model.get_layer("first").trainable = False
    start = model.get_variables()["params"]
    labels = jkeras.optimizers.labels_by_layer(model, {"block": "zero", model.get_layer("last"): "sgd"},
                                               default="zero")
    assert labels(start) == {"first": {"kernel": "zero", "bias": "zero"},
                             "block": {"inner_dense": {"kernel": "zero", "bias": "zero"}},
                             "last": {"kernel": "sgd", "bias": "sgd"}}
    tx = optax.multi_transform({"zero": optax.set_to_zero(), "sgd": optax.sgd(0.1)}, labels)
    after = _fit(model, tx, steps=2)
    np.testing.assert_array_equal(after["first"]["kernel"], start["first"]["kernel"])
    np.testing.assert_array_equal(after["block"]["inner_dense"]["kernel"], start["block"]["inner_dense"]["kernel"])
    assert not np.allclose(after["last"]["kernel"], start["last"]["kernel"])


def test_labels_by_layer_errors():
    model = _model()
    with pytest.raises(ValueError, match="no layer 'frist'.*did you mean 'first'"):
        jkeras.optimizers.labels_by_layer(model, {"frist": "a"})
    labels = jkeras.optimizers.labels_by_layer(model, {"first": "a"})
    with pytest.raises(ValueError, match="weight 'block/inner_dense/bias' is under no layer"):
        labels(model.get_variables()["params"])


def test_injected_learning_rate_is_readable_and_settable():
    model = _model()
    model.compile(optimizer=optax.inject_hyperparams(optax.sgd)(learning_rate=0.1), loss="mse")
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    model.fit(X, Y, batch_size=len(X), epochs=1, verbose=0)
    model.optimizer.learning_rate = 0.0
    frozen = model.get_weights()
    model.fit(X, Y, batch_size=len(X), epochs=2, verbose=0)
    for a, b in zip(frozen, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.optimizer.learning_rate = 0.05
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    expected = _hand_loop(model, optax.sgd(0.05), model.get_variables(), steps=2)
    model.fit(X, Y, batch_size=len(X), epochs=2, shuffle=False, verbose=0)
    _assert_trees_close(model.get_variables()["params"], expected)


def test_learning_rate_scheduler_callback_drives_an_injected_optax_rate():
    model = _model()
    model.compile(optimizer=optax.inject_hyperparams(optax.adam)(learning_rate=0.1), loss="mse")
    seen = []
    callback = jkeras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    record = jkeras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(float(model.optimizer.learning_rate)))
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[callback, record])
    np.testing.assert_allclose(seen, [0.1, 0.05, 0.1 / 3], rtol=1e-6)


def test_scheduled_injected_rate_reads_the_schedule_and_refuses_assignment():
    schedule = _schedule()
    model = _model()
    model.compile(optimizer=optax.inject_hyperparams(optax.sgd)(learning_rate=schedule), loss="mse")
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)  # 4 steps
    assert float(model.optimizer.learning_rate) == pytest.approx(float(schedule(3)))
    with pytest.raises(TypeError, match="schedule"):
        model.optimizer.learning_rate = 0.1


def test_a_transformation_without_injected_rate_says_how_to_get_one():
    model = _model()
    model.compile(optimizer=optax.adam(1e-3), loss="mse")
    with pytest.raises(AttributeError, match="inject_hyperparams"):
        model.optimizer.learning_rate

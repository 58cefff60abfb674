"""Adafactor, Ftrl, Lamb, Lion, ScheduleFreeAdamW and `optimizers.legacy` against Keras 3."""
import json

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jkeras
import jkeras.optimizers as jko
from jkeras.core import optimizers as core

RNG = np.random.RandomState(7)
# A vector, a matrix and a rank-3 tensor: Adafactor factors the last two for rank >= 2.
W0 = {"a_bias": RNG.randn(4).astype("float32"),
      "b_kernel": RNG.randn(3, 5).astype("float32"),
      "c_conv": RNG.randn(2, 3, 4).astype("float32")}
TARGET = {k: RNG.randn(*v.shape).astype("float32") for k, v in W0.items()}
CURVATURE = {k: (np.abs(RNG.randn(*v.shape)) + 0.5).astype("float32") for k, v in W0.items()}
NAMES = sorted(W0)
STEPS = 5


def _grad(name, w):
    """Gradient of sum(c/2 (w - t)^2 + w^4 / 40): it depends on the weights."""
    w = np.asarray(w)
    return CURVATURE[name] * (w - TARGET[name]) + 0.1 * w ** 3


CASES = [
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.3, "beta_2_decay": -0.5, "epsilon_2": 1e-2,
                   "clip_threshold": 0.5}),
    ("Adafactor", {"learning_rate": 0.2, "relative_step": False, "weight_decay": 0.1,
                   "clipnorm": 1.0}),
    ("Ftrl", {}),
    ("Ftrl", {"learning_rate": 0.5, "learning_rate_power": -0.7,
              "initial_accumulator_value": 0.2, "l1_regularization_strength": 0.05,
              "l2_regularization_strength": 0.02,
              "l2_shrinkage_regularization_strength": 0.03, "beta": 0.5}),
    ("Ftrl", {"learning_rate": 0.3, "learning_rate_power": 0.0, "weight_decay": 0.1,
              "clipvalue": 0.5}),
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-4}),
    ("Lamb", {"learning_rate": 0.1, "weight_decay": 0.2, "global_clipnorm": 2.0}),
    ("Lion", {}),
    ("Lion", {"learning_rate": 0.05, "beta_1": 1.0, "beta_2": 0.5}),
    ("Lion", {"learning_rate": 0.05, "weight_decay": 0.3, "clipnorm": 0.5}),
    ("ScheduleFreeAdamW", {}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.9,
                           "epsilon": 1e-6, "warmup_steps": 3}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.05, "weight_decay": 0.2, "clipvalue": 0.5}),
]


def _compare_steps(keras_opt, ours):
    variables = [keras.Variable(W0[n], name=n) for n in NAMES]
    params = {n: jnp.asarray(W0[n]) for n in NAMES}
    params["frozen"] = None
    for step in range(STEPS):
        grads = [_grad(n, v) for n, v in zip(NAMES, variables)]  # the same for both
        keras_opt.apply_gradients(zip(grads, variables))
        params = ours.apply({**dict(zip(NAMES, map(jnp.asarray, grads))), "frozen": None},
                            params)
        assert params["frozen"] is None
        for name, variable in zip(NAMES, variables):
            expected = np.asarray(variable)
            np.testing.assert_allclose(np.asarray(params[name]), expected, rtol=1e-5,
                                       atol=1e-6, err_msg=f"{name} after step {step + 1}")
    assert ours.iterations == STEPS
    for name, variable in zip(NAMES, variables):
        assert not np.allclose(np.asarray(variable), W0[name], rtol=0, atol=1e-7)  # it moved
    return params


@pytest.mark.parametrize("cls_name,kwargs", CASES,
                         ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_steps_match_keras(cls_name, kwargs):
    _compare_steps(getattr(keras.optimizers, cls_name)(**kwargs),
                   getattr(jko, cls_name)(**kwargs))


@pytest.mark.parametrize("cls_name,kwargs", [
    ("Adafactor", {}), ("Ftrl", {"l1_regularization_strength": 0.01}), ("Lamb", {}),
    ("Lion", {"weight_decay": 0.1}), ("ScheduleFreeAdamW", {"warmup_steps": 2}),
])
def test_schedule_matches_keras(cls_name, kwargs):
    config = {"initial_learning_rate": 0.3, "decay_steps": 2, "decay_rate": 0.5}
    _compare_steps(
        getattr(keras.optimizers, cls_name)(
            learning_rate=keras.optimizers.schedules.ExponentialDecay(**config), **kwargs),
        getattr(jko, cls_name)(
            learning_rate=jko.schedules.ExponentialDecay(**config), **kwargs))


def test_adafactor_state_is_factored_like_keras():
    keras_opt = keras.optimizers.Adafactor()
    keras_opt.build([keras.Variable(W0[n], name=n) for n in NAMES])
    keras_shapes = sorted(tuple(v.shape) for v in keras_opt.variables)
    ours = jko.Adafactor()
    state = ours.transform.init({n: jnp.asarray(W0[n]) for n in NAMES})
    rule_state = [s for s in _walk(state) if isinstance(s, core.AdafactorState)][0]
    assert rule_state.r["b_kernel"].shape == (3,) and rule_state.c["b_kernel"].shape == (5,)
    assert rule_state.r["c_conv"].shape == (2, 3) and rule_state.c["c_conv"].shape == (2, 4)
    # Keras tracks iterations, learning_rate, and r, c (scalars below rank 2), velocity.
    ours_shapes = sorted([()] * 2 + [tuple(getattr(rule_state, k)[n].shape)
                                     for k in ("r", "c", "v") for n in NAMES])
    assert ours_shapes == keras_shapes


def _walk(tree):
    yield tree
    if isinstance(tree, (tuple, list)):
        for item in tree:
            yield from _walk(item)
    elif isinstance(tree, dict):
        for item in tree.values():
            yield from _walk(item)
    elif hasattr(tree, "inner_state"):
        yield from _walk(tree.inner_state)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("cls_name,kwargs", [
    ("Ftrl", {"initial_accumulator_value": -0.1}),
    ("Ftrl", {"learning_rate_power": 0.5}),
    ("Ftrl", {"l1_regularization_strength": -1.0}),
    ("Ftrl", {"l2_regularization_strength": -1.0}),
    ("Ftrl", {"l2_shrinkage_regularization_strength": -1.0}),
    ("Lion", {"beta_1": 0.0}),
    ("Lion", {"beta_1": 1.5}),
])
def test_argument_errors_match_keras(cls_name, kwargs):
    with pytest.raises(ValueError) as keras_error:
        getattr(keras.optimizers, cls_name)(**kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(jko, cls_name)(**kwargs)
    assert str(ours.value) == str(keras_error.value)


def test_rules_that_read_weights_need_params():
    transform = core.lamb(0.1)
    state = transform.init({"w": jnp.ones(3)})
    with pytest.raises(ValueError, match="params=None"):
        transform.update({"w": jnp.ones(3)}, state)


# ----------------------------------------------------------------------------- config


@pytest.mark.parametrize("cls_name,kwargs", [
    ("Adafactor", {"beta_2_decay": -0.6, "relative_step": False}),
    ("Ftrl", {"l1_regularization_strength": 0.1, "beta": 0.2}),
    ("Lamb", {"epsilon": 1e-5, "weight_decay": 0.01}),
    ("Lion", {"beta_1": 0.95, "clipnorm": 1.0}),
    ("ScheduleFreeAdamW", {"warmup_steps": 10, "global_clipnorm": 1.0}),
])
def test_config_matches_keras_and_round_trips(cls_name, kwargs):
    theirs = getattr(keras.optimizers, cls_name)(learning_rate=0.01, **kwargs)
    ours = getattr(jko, cls_name)(learning_rate=0.01, **kwargs)
    config, keras_config = ours.get_config(), theirs.get_config()
    assert set(config) == set(keras_config)
    for key in keras_config:
        if key != "name":
            assert config[key] == pytest.approx(keras_config[key]), key
    again = jko.deserialize(json.loads(json.dumps(jko.serialize(ours))))
    assert type(again) is type(ours) and again.get_config() == config
    from_keras = jko.deserialize(keras.optimizers.serialize(theirs))
    assert type(from_keras) is type(ours)
    assert from_keras.get_config()[next(iter(kwargs))] == kwargs[next(iter(kwargs))]


@pytest.mark.parametrize("name", ["adafactor", "ftrl", "lion", "Lion", "ScheduleFreeAdamW"])
def test_string_names_like_keras(name):
    assert type(jko.get(name)).__name__ == type(keras.optimizers.get(name)).__name__


# ----------------------------------------------------------------------------- fit


@pytest.mark.parametrize("optimizer", [
    "lion", jko.Ftrl(learning_rate=0.3), jko.Adafactor(learning_rate=0.1),
    jko.Lamb(learning_rate=0.05), jko.ScheduleFreeAdamW(learning_rate=0.05),
], ids=["lion", "ftrl", "adafactor", "lamb", "schedulefreeadamw"])
def test_fit_loss_goes_down(optimizer):
    jkeras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.randn(64, 4).astype("float32")
    y = (x @ rng.randn(4, 1) + 0.5).astype("float32")
    model = jkeras.Sequential([jkeras.layers.Input((4,)), jkeras.layers.Dense(8, activation="tanh"),
                               jkeras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert type(model.optimizer).__name__.lower() == (
        optimizer if isinstance(optimizer, str) else type(optimizer).__name__.lower())


def test_saved_state_round_trips(tmp_path):
    rng = np.random.RandomState(1)
    x, y = rng.randn(32, 4).astype("float32"), rng.randn(32, 2).astype("float32")
    model = jkeras.Sequential([jkeras.layers.Input((4,)), jkeras.layers.Dense(3),
                               jkeras.layers.Dense(2)])
    model.compile(optimizer=jko.Adafactor(learning_rate=0.1), loss="mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.optimizer, jko.Adafactor) and loaded.optimizer.iterations == 2
    saved = [np.asarray(a) for a in jax.tree.leaves(model.optimizer.state)]
    restored = [np.asarray(a) for a in jax.tree.leaves(loaded.optimizer.state)]
    assert len(saved) == len(restored)
    for a, b in zip(saved, restored):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- legacy


def test_legacy_module_reexports_optimizers(monkeypatch):
    from jkeras.utils import legacy

    monkeypatch.setattr(legacy, "_warned", set())  # each spelling warns once per process
    from jkeras.optimizers.legacy import SGD, Adadelta, Adagrad, Adam, Adamax, Ftrl, Nadam, \
        Optimizer, RMSprop

    assert (SGD, Adadelta, Adagrad, Adam, Adamax, Ftrl, Nadam, Optimizer, RMSprop) == (
        jko.SGD, jko.Adadelta, jko.Adagrad, jko.Adam, jko.Adamax, jko.Ftrl, jko.Nadam,
        jko.Optimizer, jko.RMSprop)
    assert jkeras.optimizers.legacy.Adam is jko.Adam
    # tf.keras 2.11+ legacy-optimizer code: Keras 2's `lr` and `decay` arguments.
    with pytest.warns(UserWarning, match="`lr` is deprecated"):
        opt = jkeras.optimizers.legacy.Adam(lr=0.01, decay=1e-4)
    assert float(opt.learning_rate) == pytest.approx(0.01) and opt.decay == 1e-4
    assert {"legacy"} <= set(dir(jko))
    missing = {n for n in dir(keras.optimizers) if not n.startswith("_")} - set(dir(jko))
    assert not missing & {"Adafactor", "Ftrl", "Lamb", "Lion", "ScheduleFreeAdamW", "legacy"}

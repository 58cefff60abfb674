"""Optimizers and schedules against Keras 3 (the reference) and NumPy formulas."""
import json

import jax
import jax.numpy as jnp
import keras
import numpy as np
import optax
import pytest

import jkeras.optimizers as jko
from jkeras.core import optimizers as core
from jkeras.optimizers import schedules as jks

RNG = np.random.RandomState(0)
W0 = {"kernel": RNG.randn(3, 4).astype("float32"), "bias": RNG.randn(4).astype("float32")}
TARGET = {"kernel": RNG.randn(3, 4).astype("float32"), "bias": RNG.randn(4).astype("float32")}
CURVATURE = {k: (np.abs(RNG.randn(*v.shape)) + 0.5).astype("float32") for k, v in W0.items()}
STEPS = 5


def _grad(name, w):
    """Gradient of sum(c/2 (w - t)^2 + w^4 / 40): it depends on the weights."""
    return CURVATURE[name] * (w - TARGET[name]) + 0.1 * w ** 3


def _run_keras(optimizer):
    names = sorted(W0)
    variables = [keras.Variable(W0[n]) for n in names]
    for _ in range(STEPS):
        grads = [_grad(n, np.asarray(v)) for n, v in zip(names, variables)]
        optimizer.apply(grads, variables)
    return {n: np.asarray(v) for n, v in zip(names, variables)}


def _run_jkeras(transform):
    params = {"kernel": jnp.asarray(W0["kernel"]), "bias": jnp.asarray(W0["bias"]),
              "frozen": None}

    @jax.jit(donate_argnums=(0, 1))
    def step(params, state):
        grads = {n: (None if p is None else _grad(n, p)) for n, p in params.items()}
        updates, state = transform.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    state = transform.init(params)
    assert all(isinstance(leaf, jax.Array) for leaf in jax.tree.leaves(state))
    for _ in range(STEPS):
        params, state = step(params, state)
    assert params["frozen"] is None
    return {n: np.asarray(params[n]) for n in W0}, state


def _keras_schedule(cls_name, **config):
    return getattr(keras.optimizers.schedules, cls_name)(**config)


def _jk_schedule(cls_name, **config):
    return getattr(jks, cls_name)(**config)


CASES = [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.1, "global_clipnorm": 0.7, "momentum": 0.5}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.2}),
    ("RMSprop", {"learning_rate": 0.05}),
    ("RMSprop", {"learning_rate": 0.05, "momentum": 0.5}),
    ("RMSprop", {"learning_rate": 0.05, "centered": True, "rho": 0.8, "momentum": 0.3,
                 "clipnorm": 1.0}),
    ("Adagrad", {"learning_rate": 0.2}),
    ("Adagrad", {"learning_rate": 0.2, "initial_accumulator_value": 0.5, "epsilon": 1e-4,
                 "clipvalue": 0.3}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.8, "clipvalue": 0.5}),
    ("Adam", {"learning_rate": 0.1}),
    ("Adam", {"learning_rate": 0.1, "amsgrad": True, "beta_1": 0.8}),
    ("Adam", {"learning_rate": 0.1, "weight_decay": 0.1, "clipnorm": 0.5}),
    ("AdamW", {"learning_rate": 0.1}),
    ("AdamW", {"learning_rate": 0.1, "weight_decay": 0.05, "amsgrad": True}),
    ("Adamax", {"learning_rate": 0.1}),
    ("Adamax", {"learning_rate": 0.1, "beta_2": 0.9, "weight_decay": 0.1}),
    ("Nadam", {"learning_rate": 0.1}),
    ("Nadam", {"learning_rate": 0.1, "beta_1": 0.8, "clipvalue": 0.5}),
]


@pytest.mark.parametrize("cls_name,kwargs", CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_matches_keras(cls_name, kwargs):
    expected = _run_keras(getattr(keras.optimizers, cls_name)(**kwargs))
    got, _ = _run_jkeras(getattr(jko, cls_name)(**kwargs).transform)
    for name in W0:
        np.testing.assert_allclose(got[name], expected[name], rtol=2e-5, atol=2e-6)


SCHEDULED = [
    ("SGD", {"momentum": 0.9}, "ExponentialDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}),
    ("Adam", {"weight_decay": 0.1}, "PiecewiseConstantDecay",
     {"boundaries": [1, 3], "values": [0.1, 0.05, 0.01]}),
    ("RMSprop", {}, "CosineDecay", {"initial_learning_rate": 0.05, "decay_steps": 4}),
    ("Nadam", {}, "PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3}),
]


@pytest.mark.parametrize("cls_name,kwargs,sched,config", SCHEDULED,
                         ids=[s[0] + "-" + s[2] for s in SCHEDULED])
def test_schedule_matches_keras(cls_name, kwargs, sched, config):
    expected = _run_keras(getattr(keras.optimizers, cls_name)(
        learning_rate=_keras_schedule(sched, **config), **kwargs))
    opt = getattr(jko, cls_name)(learning_rate=_jk_schedule(sched, **config), **kwargs)
    got, state = _run_jkeras(opt.transform)
    for name in W0:
        np.testing.assert_allclose(got[name], expected[name], rtol=2e-5, atol=2e-6)
    opt.state = state
    assert opt.iterations == STEPS
    np.testing.assert_allclose(opt.learning_rate, _keras_schedule(sched, **config)(STEPS),
                               rtol=1e-6)


@pytest.mark.parametrize("cls_name,kwargs", [
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adam", {"weight_decay": 0.05}),
    ("RMSprop", {"clipnorm": 1.0}),
])
def test_keras2_decay_is_inverse_time_decay(cls_name, kwargs):
    # Keras 2: lr_t = lr / (1 + decay * iterations) == InverseTimeDecay(lr, 1, decay).
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.3)
    expected = _run_keras(getattr(keras.optimizers, cls_name)(learning_rate=schedule, **kwargs))
    opt = getattr(jko, cls_name)(lr=0.1, decay=0.3, **kwargs)
    got, state = _run_jkeras(opt.transform)
    for name in W0:
        np.testing.assert_allclose(got[name], expected[name], rtol=2e-5, atol=2e-6)
    opt.state = state
    np.testing.assert_allclose(float(opt.lr), 0.1, rtol=1e-7)  # Keras 2 reports the base rate.


def test_keras2_spellings():
    opt = jko.sgd(lr=0.1, momentum=0.9, nesterov=True)
    expected = _run_keras(keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True))
    got, _ = _run_jkeras(opt.transform)
    np.testing.assert_allclose(got["kernel"], expected["kernel"], rtol=2e-5, atol=2e-6)
    assert (jko.sgd, jko.rmsprop, jko.adagrad, jko.adadelta, jko.adam, jko.adamax, jko.nadam) \
        == (jko.SGD, jko.RMSprop, jko.Adagrad, jko.Adadelta, jko.Adam, jko.Adamax, jko.Nadam)
    assert jko.Adam(epsilon=None).epsilon == 1e-7
    assert jko.Nadam(schedule_decay=0.004).decay == 0.004
    # Keras 2 / tf.keras configs load.
    old = jko.Adam.from_config({"name": "Adam", "lr": 0.002, "decay": 0.01, "beta_1": 0.9,
                                "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False,
                                "jit_compile": True, "is_legacy_optimizer": False})
    assert old.decay == 0.01 and np.isclose(float(old.lr), 0.002)


# ----------------------------------------------------------------------------- learning rate


_COMPILES = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: _COMPILES.append(event)
    if event == "/jax/core/compile/backend_compile_duration" else None)


@pytest.mark.parametrize("cls_name,kwargs", [
    ("SGD", {"momentum": 0.5}), ("RMSprop", {"momentum": 0.5}), ("Adam", {"weight_decay": 0.1}),
])
def test_learning_rate_set_between_jitted_steps(cls_name, kwargs):
    # Momentum accumulates lr-scaled steps in Keras, so a changed rate must act as there.
    opt = getattr(jko, cls_name)(learning_rate=0.1, **kwargs)
    keras_opt = getattr(keras.optimizers, cls_name)(learning_rate=0.1, **kwargs)
    traces = []

    @jax.jit(donate_argnums=(0, 1))
    def step(params, state):
        traces.append(1)
        grads = {n: _grad(n, p) for n, p in params.items()}
        updates, state = opt.transform.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    params = {n: jnp.asarray(w) for n, w in W0.items()}
    variables = [keras.Variable(W0[n]) for n in sorted(W0)]
    opt.state = opt.transform.init(params)
    compiles = 0
    for i, lr in enumerate([0.1, 0.01, 0.3, 0.05]):
        opt.learning_rate = lr
        keras_opt.learning_rate = lr
        np.testing.assert_allclose(float(opt.learning_rate), lr, rtol=1e-7)
        before = len(_COMPILES)
        params, opt.state = step(params, opt.state)
        if i:
            compiles += len(_COMPILES) - before
        keras_opt.apply([_grad(n, np.asarray(v)) for n, v in zip(sorted(W0), variables)],
                        variables)
    assert len(traces) == 1 and compiles == 0
    assert opt.iterations == 4
    for name, variable in zip(sorted(W0), variables):
        np.testing.assert_allclose(params[name], np.asarray(variable), rtol=2e-5, atol=2e-6)


def test_learning_rate_property_and_variable():
    opt = jko.SGD(learning_rate=0.5)
    assert opt.iterations == 0 and float(opt.lr) == 0.5
    opt.learning_rate = 0.25  # Before the state exists: the config.
    params = {"w": jnp.ones(3), "frozen": None}
    opt.state = opt.transform.init(params)
    assert float(opt.learning_rate) == 0.25
    opt.lr.assign(0.125)  # keras.backend.set_value style.
    new = opt.apply({"w": jnp.full(3, 2.0), "frozen": None}, params)
    np.testing.assert_allclose(new["w"], 1.0 - 0.125 * 2.0)
    assert opt.iterations == 1 and new["frozen"] is None
    assert np.isclose(opt.learning_rate * 2, 0.25) and f"{opt.lr:.3f}" == "0.125"
    assert opt.get_config()["learning_rate"] == pytest.approx(0.125)


def test_custom_optimizer_subclass():
    class SignSGD(jko.Optimizer):
        def _rule(learning_rate):
            return optax.chain(optax.scale_by_sign(), optax.scale_by_learning_rate(learning_rate))

    opt = SignSGD(learning_rate=0.1, clipvalue=1.0)
    new = opt.apply({"w": jnp.array([2.0, -3.0])}, {"w": jnp.zeros(2)})
    np.testing.assert_allclose(new["w"], [-0.1, 0.1], rtol=1e-6)
    assert opt.name == "sign_sgd" and opt.iterations == 1
    with pytest.raises(TypeError, match="no update rule"):
        jko.Optimizer(0.1).transform


def test_schedule_learning_rate_not_settable():
    opt = jko.SGD(learning_rate=jks.ExponentialDecay(0.1, 10, 0.9))
    assert isinstance(opt.learning_rate, jks.ExponentialDecay)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    opt.state = opt.transform.init({"w": jnp.ones(2)})
    with pytest.raises(TypeError, match="schedule"):
        core.set_learning_rate(opt.state, 0.1)


# ----------------------------------------------------------------------------- optax interop


@pytest.mark.parametrize("transform", [
    optax.sgd(0.1), optax.adam(1e-3), optax.chain(optax.clip(1.0), optax.adamw(1e-3)),
    optax.inject_hyperparams(optax.rmsprop)(learning_rate=0.01),
], ids=["sgd", "adam", "chain", "inject"])
def test_get_accepts_any_optax_transform(transform):
    opt = jko.get(transform)
    assert isinstance(opt, jko.OptaxOptimizer) and opt.transform is not None
    params = {"w": jnp.ones(3), "frozen": None}
    new = opt.apply({"w": jnp.ones(3), "frozen": None}, params)
    assert np.all(np.asarray(new["w"]) < 1.0) and opt.iterations == 1


def test_optax_chain_with_inject_hyperparams():
    chain = optax.chain(optax.clip_by_global_norm(100.0),
                        optax.inject_hyperparams(optax.sgd)(learning_rate=0.1, momentum=None))
    opt = jko.get(chain)
    assert float(opt.learning_rate) == pytest.approx(0.1)
    opt.learning_rate = 0.01
    params = {"w": jnp.ones(3)}
    new = opt.apply({"w": jnp.full(3, 3.0)}, params)
    np.testing.assert_allclose(new["w"], 1.0 - 0.01 * 3.0, rtol=1e-6)
    assert float(core.get_learning_rate(opt.state)) == pytest.approx(0.01)
    assert int(core.get_iterations(opt.state)) == 1
    plain = jko.get(optax.adam(1e-3))
    assert not hasattr(plain, "learning_rate")
    with pytest.raises(ValueError, match="inject_hyperparams"):
        core.get_learning_rate(optax.adam(1e-3).init(params))


def test_core_rules_work_under_inject_hyperparams():
    transform = optax.inject_hyperparams(core.adam)(learning_rate=0.1)
    expected = _run_keras(keras.optimizers.Adam(learning_rate=0.1))
    got, state = _run_jkeras(transform)
    np.testing.assert_allclose(got["kernel"], expected["kernel"], rtol=2e-5, atol=2e-6)
    assert int(core.get_iterations(state)) == STEPS


# ----------------------------------------------------------------------------- schedules


SCHEDULE_CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.8}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.8,
                          "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 20], "values": [1.0, 0.5, 0.1]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "power": 2.0}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "cycle": True,
                         "end_learning_rate": 0.01}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5,
                          "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 40, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 40, "warmup_target": 0.2,
                     "warmup_steps": 10}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10,
                             "t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1}),
]


@pytest.mark.parametrize("cls_name,config", SCHEDULE_CASES,
                         ids=[f"{c}-{i}" for i, (c, _) in enumerate(SCHEDULE_CASES)])
def test_schedules_match_keras(cls_name, config):
    ours, theirs = _jk_schedule(cls_name, **config), _keras_schedule(cls_name, **config)
    steps = jnp.asarray([0, 1, 4, 5, 6, 9, 10, 11, 19, 20, 21, 37, 45, 100, 1000], jnp.int32)
    expected = jax.jit(jax.vmap(theirs))(steps)
    np.testing.assert_allclose(jax.jit(jax.vmap(ours))(steps), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(float(ours(5)), float(theirs(5)), rtol=1e-5, atol=1e-7)
    assert ours.get_config() == theirs.get_config()
    restored = jks.deserialize(json.loads(json.dumps(jks.serialize(ours))))
    assert restored.get_config() == ours.get_config()
    keras_form = keras.optimizers.schedules.serialize(theirs)
    assert jks.deserialize(keras_form).get_config() == theirs.get_config()


def test_schedule_errors():
    with pytest.raises(ValueError, match="decay_steps"):
        jks.ExponentialDecay(0.1, 0, 0.9)
    with pytest.raises(ValueError, match="first_decay_steps"):
        jks.CosineDecayRestarts(0.1, -1)
    with pytest.raises(ValueError, match="boundaries"):
        jks.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Valid names"):
        jks.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(NotImplementedError):
        jks.LearningRateSchedule()(0)


# ----------------------------------------------------------------------------- config


@pytest.mark.parametrize("cls_name", sorted(c.__name__ for c in jko.ALL_OBJECTS.values()
                                             if c is not jko.LossScaleOptimizer))
def test_config_matches_keras_and_round_trips(cls_name):
    ours, theirs = getattr(jko, cls_name)(), getattr(keras.optimizers, cls_name)()
    config, keras_config = ours.get_config(), theirs.get_config()
    assert set(config) == set(keras_config)
    for key in keras_config:
        if key != "name":
            assert config[key] == pytest.approx(keras_config[key]), key
    assert ours.name.rstrip("_0123456789") == theirs.name.rstrip("_0123456789")
    again = jko.deserialize(json.loads(json.dumps(jko.serialize(ours))))
    assert type(again) is type(ours) and again.get_config() == config
    from_keras = jko.deserialize(keras.optimizers.serialize(theirs))
    assert type(from_keras) is type(ours)
    assert jko.get(cls_name.upper()).__class__ is type(ours)
    assert jko.get(cls_name.lower()).__class__ is type(ours)


def test_loss_scale_optimizer_config_matches_keras_and_loads_from_it():
    theirs = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.05), initial_scale=64.0,
                                                 dynamic_growth_steps=7)
    ours = jko.deserialize(keras.optimizers.serialize(theirs))
    assert isinstance(ours, jko.LossScaleOptimizer) and isinstance(ours.inner_optimizer, jko.SGD)
    config, keras_config = ours.get_config(), theirs.get_config()
    assert set(config) == set(keras_config)
    assert (config["initial_scale"], config["dynamic_growth_steps"]) == (64.0, 7)
    assert config["inner_optimizer"]["config"] == pytest.approx(keras_config["inner_optimizer"]["config"])


def test_schedule_config_round_trip():
    keras_opt = keras.optimizers.SGD(
        learning_rate=keras.optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.2,
                                                             warmup_steps=5), momentum=0.9)
    ours = jko.deserialize(keras.optimizers.serialize(keras_opt))
    assert isinstance(ours.learning_rate, jks.CosineDecay)
    assert ours.get_config()["learning_rate"]["config"] == \
        keras_opt.get_config()["learning_rate"]["config"]
    again = jko.get(json.loads(json.dumps(jko.serialize(ours))))
    assert again.get_config() == ours.get_config()


def test_get_identifiers_and_errors():
    adam = jko.Adam()
    assert jko.get(adam) is adam and jko.get(None) is None
    assert isinstance(jko.get(jko.RMSprop), jko.RMSprop)
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'nope'.*'adam'"):
        jko.get("nope")
    with pytest.raises(ValueError, match="Could not interpret"):
        jko.get(3)
    with pytest.raises(ValueError, match="Valid names"):
        jko.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="not both"):
        jko.SGD(learning_rate=0.1, lr=0.2)
    with pytest.raises(ValueError, match="Only one of"):
        jko.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="momentum"):
        jko.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay=None"):
        jko.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="not recognized"):
        jko.Adam(beta_3=0.1)
    with pytest.raises(ValueError, match="learning_rate="):
        jko.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="clipnorm=-1"):
        jko.SGD(clipnorm=-1.0)
    with pytest.raises(ValueError, match="ema_momentum=2.0"):
        jko.SGD(use_ema=True, ema_momentum=2.0)
    with pytest.raises(ValueError, match="loss_scale_factor"):
        jko.SGD(loss_scale_factor=2.0)
    with pytest.raises(ValueError, match="Valid names"):
        core.keras_optimizer("nope", 0.1)
    with pytest.raises(TypeError, match="optax"):
        jko.OptaxOptimizer("adam")
    with pytest.raises(ValueError, match="cannot be rebuilt"):
        jko.OptaxOptimizer.from_config({"name": "x"})

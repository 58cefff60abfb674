"""One compiled program per input shape: the short last batch is padded and masked, not compiled
again, and the padding changes nothing (against Keras 3, which compiles the short batch apart)."""
import jax
import keras
import numpy as np
import pytest

import jkeras


def data(n, dim=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype("float32")
    y = (x @ rng.standard_normal((dim, classes))).argmax(-1).astype("int32")
    return x, y


def bn_model(lib, dim=6, classes=3):
    return lib.Sequential([
        lib.layers.Input((dim,)),
        lib.layers.Dense(8, name="d1"),
        lib.layers.BatchNormalization(name="bn"),
        lib.layers.Activation("relu"),
        lib.layers.Dense(classes, activation="softmax", name="d2"),
    ])


def compiled(lib, model, **kwargs):
    model.compile(optimizer=lib.optimizers.SGD(0.1, momentum=0.5), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], **kwargs)
    return model


def programs(model, kind):
    """How many programs the model's jitted `kind` function ("train", "eval", "predict") compiled."""
    fns = [fn for key, fn in model._jit_cache.items() if key[0] == kind]
    return sum(fn._cache_size() for fn in fns)


def test_fit_evaluate_predict_compile_one_program_with_a_short_last_batch():
    x, y = data(70)  # batches of 32, 32 and 6
    model = compiled(jkeras, bn_model(jkeras))
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, validation_data=(x, y))
    model.evaluate(x, y, batch_size=32, verbose=0)  # the validation program again
    model.predict(x, batch_size=32, verbose=0)
    assert programs(model, "train") == 1
    assert programs(model, "eval") == 1
    assert programs(model, "predict") == 1


def test_repeated_fit_and_predict_do_not_compile_again():
    x, y = data(70)
    model = compiled(jkeras, bn_model(jkeras))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    model.evaluate(x, y, batch_size=32, verbose=0)
    model.predict(x, batch_size=32, verbose=0)
    compiles = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        for _ in range(3):
            model.fit(x, y, batch_size=32, epochs=2, verbose=0)
            model.evaluate(x, y, batch_size=32, verbose=0)
            model.predict(x, batch_size=32, verbose=0)
    finally:
        jax.monitoring.clear_event_listeners()
    assert compiles == []


def test_padded_last_batch_trains_exactly_as_keras_3_batch_norm_included():
    """Keras 3 runs the 6-row batch at its own size; the padded rows must not reach the gradient,
    the logged loss and accuracy, or the batch-norm moments."""
    x, y = data(70)
    ref, ours = compiled(keras, bn_model(keras)), compiled(jkeras, bn_model(jkeras))
    ours.set_weights(ref.get_weights())
    h_ref = ref.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history
    h_ours = ours.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history
    for w_ours, w_ref in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(w_ours, w_ref, rtol=1e-4, atol=1e-5)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(h_ours[key], h_ref[key], rtol=1e-4, atol=1e-5, err_msg=key)
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=32, verbose=0),
                               ref.evaluate(x, y, batch_size=32, verbose=0), rtol=1e-4, atol=1e-6)


def test_padded_batch_with_timestep_weights_and_a_temporal_mask_matches_keras_3():
    rng = np.random.default_rng(4)
    x = rng.integers(1, 9, (23, 5)).astype("int32")
    x[:, 3:] = 0  # masked timesteps
    y = rng.standard_normal((23, 5, 2)).astype("float32")
    sw = rng.uniform(0.2, 2.0, (23, 5)).astype("float32")  # per timestep

    def build(lib):
        return lib.Sequential([
            lib.layers.Input((5,), dtype="int32"),
            lib.layers.Embedding(10, 4, mask_zero=True),
            lib.layers.SimpleRNN(3, return_sequences=True),
            lib.layers.Dense(2),
        ])

    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    for m, lib in ((ref, keras), (ours, jkeras)):
        m.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    h_ref = ref.fit(x, y, sample_weight=sw, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h_ours = ours.fit(x, y, sample_weight=sw, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    for w_ours, w_ref in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(w_ours, w_ref, rtol=1e-4, atol=1e-5)
    for key in h_ref:
        np.testing.assert_allclose(h_ours[key], h_ref[key], rtol=1e-4, atol=1e-5, err_msg=key)


@pytest.mark.parametrize("unroll", [1, 3])
@pytest.mark.parametrize("steps_per_epoch", [None, 5])
def test_steps_per_execution_with_a_short_last_group_equals_one_step_at_a_time(steps_per_epoch, unroll,
                                                                               monkeypatch):
    """200 rows in batches of 30 (6 full, one of 20), or 5 steps, in groups of 4: full groups run
    all their steps in one program, the last group (3 or 1 real steps) in one more, for every epoch.
    `unroll` steps per loop iteration (an accelerator runs 4; 3 does not divide the group of 4) change
    nothing."""
    from jkeras.core import step as core_step

    monkeypatch.setattr(core_step, "LOOP_UNROLL", unroll)
    x, y = data(200)
    initial = bn_model(jkeras).get_weights()
    runs = []
    for spe in (1, 4):
        model = compiled(jkeras, bn_model(jkeras), steps_per_execution=spe)
        model.set_weights(initial)
        h = model.fit(x, y, batch_size=30, epochs=2, shuffle=False, verbose=0, steps_per_epoch=steps_per_epoch)
        runs.append((model.get_weights(), h.history, model.evaluate(x, y, batch_size=30, verbose=0)))
        expected = 1 if spe == 1 else 2
        assert programs(model, "train") == expected and programs(model, "eval") == expected
    (w1, h1, e1), (w4, h4, e4) = runs
    for a, b in zip(w1, w4):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in h1:
        np.testing.assert_allclose(h1[key], h4[key], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(e1, e4, rtol=1e-5, atol=1e-6)


def test_evaluate_of_a_short_batch_is_the_mean_over_every_sample():
    x, y = data(70)
    model = compiled(jkeras, bn_model(jkeras))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    probs = model.predict(x, batch_size=70, verbose=0)
    expected_loss = -np.mean(np.log(probs[np.arange(70), y]))
    expected_acc = np.mean(probs.argmax(-1) == y)
    loss, acc = model.evaluate(x, y, batch_size=32, verbose=0)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    np.testing.assert_allclose(acc, expected_acc, rtol=1e-6)


@pytest.mark.parametrize("spe", [1, 3])
def test_large_data_fed_from_the_host_trains_as_data_on_the_device(monkeypatch, spe):
    """Data over the device-data limit stays on the host and each call's rows go to the device
    with the call; the result is the same as with the data on the device, in one program."""
    from jkeras.models import data_adapter

    x, y = data(70)
    initial = bn_model(jkeras).get_weights()
    results = []
    for limit in (None, 0):
        monkeypatch.setattr(data_adapter, "DEVICE_DATA_BYTES", limit)
        jkeras.utils.set_random_seed(3)
        model = compiled(jkeras, bn_model(jkeras), steps_per_execution=spe)
        model.set_weights(initial)
        h = model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_data=(x[:30], y[:30]))
        results.append((model.get_weights(), h.history, model.evaluate(x, y, batch_size=16, verbose=0),
                        model.predict(x, batch_size=16, verbose=0)))
        assert programs(model, "train") == (1 if spe == 1 else 2)  # 5 steps: a group of 3, one of 2
        assert programs(model, "predict") == 1
    (w_dev, h_dev, e_dev, p_dev), (w_host, h_host, e_host, p_host) = results
    for a, b in zip(w_dev, w_host):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in h_dev:
        np.testing.assert_allclose(h_dev[key], h_host[key], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(e_dev, e_host, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p_dev, p_host, rtol=1e-5, atol=1e-6)


def test_steps_per_execution_applies_to_generators_too():
    """A generator's batches run in groups of N in one scan; a short last group and batches of
    another shape run one by one; the weights are those of one step at a time."""
    x, y = data(100)

    def batches():  # 6 batches of 16 and one of 4: groups of 4 (scan), then 3 single steps
        for epoch in range(2):
            for i in range(0, 100, 16):
                yield x[i:i + 16], y[i:i + 16]

    initial = bn_model(jkeras).get_weights()
    runs = []
    for spe in (1, 4):
        model = compiled(jkeras, bn_model(jkeras), steps_per_execution=spe)
        model.set_weights(initial)
        h = model.fit(batches(), steps_per_epoch=7, epochs=2, verbose=0)
        runs.append((model.get_weights(), h.history))
        if spe == 4:
            assert programs(model, "train") == 1
    (w1, h1), (w4, h4) = runs
    for a, b in zip(w1, w4):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in h1:
        np.testing.assert_allclose(h1[key], h4[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_full_groups_loop_with_a_trip_count_the_compiler_knows(monkeypatch):
    """steps_per_execution: a full group is a `scan` over all its steps (XLA knows the trip count,
    so a GPU needs no host round trip per step; it runs `LOOP_UNROLL` steps per iteration); only a
    short last group loops `while` real rows are left."""
    from jkeras.core import step as core_step

    x, y = data(64)
    model = compiled(jkeras, bn_model(jkeras), steps_per_execution=4)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    from jkeras.models import data_adapter

    rows = data_adapter.Rows(data_adapter.prepare(model, x, y, None, None, "fit"), 8)
    ts = model._train_state(jax.random.PRNGKey(0))
    epoch_data = next(rows.feed(np.arange(64), 32))

    def loop_kinds(jaxpr):
        found = []
        for eqn in jaxpr.eqns:
            if eqn.primitive.name == "scan":
                found.append(f"scan unroll {eqn.params['unroll']}")
            elif eqn.primitive.name == "while":
                found.append(eqn.primitive.name)
            elif "jaxpr" in eqn.params:  # the jitted function's own equation
                found += loop_kinds(eqn.params["jaxpr"].jaxpr)
        return found

    def loops(every_step):
        fn = model._train_fn(4, 8, 64, every_step)
        return loop_kinds(jax.make_jaxpr(fn)(ts, epoch_data, np.int32(0)).jaxpr)

    assert loops(True) == ["scan unroll 1"]  # a CPU: one step per iteration
    assert loops(False) == ["while"]
    monkeypatch.setattr(core_step, "LOOP_UNROLL", 4)  # an accelerator's default (`core.step.loop_unroll`)
    model._jit_cache.clear()
    assert loops(True) == ["scan unroll 4"]
    assert loops(False) == ["while"]


@pytest.mark.parametrize("batch_size", [16, 20])
def test_steps_per_epoch_over_the_data_cycles_through_its_rows(batch_size):
    """7 batches from 40 rows take rows 0..39, 0..39, ... in order: the same training as the
    rows tiled out by hand (batch 20: every batch full, no padding mask; 16: the same)."""
    x, y = data(40)
    initial = bn_model(jkeras).get_weights()
    steps = 7
    tiled = np.arange(steps * batch_size) % 40
    results = []
    for fit_x, fit_y, kwargs in ((x, y, {"steps_per_epoch": steps}), (x[tiled], y[tiled], {})):
        model = compiled(jkeras, bn_model(jkeras))
        model.set_weights(initial)
        h = model.fit(fit_x, fit_y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, **kwargs)
        results.append((model.get_weights(), h.history["loss"]))
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5)

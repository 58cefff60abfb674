"""`SeedGenerator` state tracked by layers, as Keras 3 tracks it: listed in `variables` /
`non_trainable_variables` (not in `weights`, not in weight files), advanced by each draw, and
threaded by `stateless_call`, so jitted custom loops draw new values at every step.

Every check compares with Keras 3 (JAX backend) run on the same inputs and seed states."""
import re

import jax
import keras
import numpy as np
import pytest

import jkeras

X = np.ones((2, 8), "float32")


def _values(variables):
    return [np.asarray(v.value) for v in variables]


def _stateless_loop(layer, non_trainable, steps=3, **kwargs):
    """A jitted `stateless_call` loop feeding the returned non-trainable variables back."""
    trainable = _values(layer.trainable_variables)
    step = jax.jit(lambda ntv: layer.stateless_call(trainable, ntv, X, **kwargs))
    outputs = []
    for _ in range(steps):
        y, non_trainable = step(non_trainable)
        outputs.append(np.asarray(y))
    return outputs, [np.asarray(v) for v in non_trainable]


def _my_dropout(lib, extra_generators=False):
    """The engineers guide's MyDropout (a SeedGenerator held by a custom layer)."""

    class MyDropout(lib.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.seed_generator = lib.random.SeedGenerator(1337)
            if extra_generators:
                self._private_generator = lib.random.SeedGenerator(1)
                self.generators = [lib.random.SeedGenerator(2)]

        def call(self, inputs):
            return lib.random.dropout(inputs, self.rate, seed=self.seed_generator)

    return MyDropout(0.5)


# ------------------------------------------------------------------------------------------
# Listing


LAYERS = [
    ("Dropout", (0.5,), (None, 8)), ("Dropout", (0.0,), (None, 8)), ("GaussianNoise", (0.1,), (None, 8)),
    ("GaussianNoise", (0.0,), (None, 8)), ("GaussianDropout", (0.2,), (None, 8)),
    ("AlphaDropout", (0.2,), (None, 8)), ("SpatialDropout1D", (0.2,), (None, 4, 8)),
    ("SpatialDropout2D", (0.2,), (None, 4, 4, 8)),
]


@pytest.mark.parametrize("name, args, shape", LAYERS, ids=[f"{n}{a}" for n, a, _ in LAYERS])
def test_builtin_random_layers_list_the_seed_state_like_keras(name, args, shape):
    for built in (False, True):
        ours, ref = getattr(jkeras.layers, name)(*args), getattr(keras.layers, name)(*args)
        if built:
            ours.build(shape)
            ref.build(shape)
        for attr in ("variables", "non_trainable_variables", "trainable_variables", "weights",
                     "non_trainable_weights"):
            assert len(getattr(ours, attr)) == len(getattr(ref, attr)), attr
        for v, r in zip(ours.variables, ref.variables):
            assert (v.name, tuple(v.shape), str(v.dtype), v.trainable) == (
                r.name, tuple(r.shape), str(r.dtype), r.trainable)
        assert ours.get_weights() == ref.get_weights() == []


def test_custom_layer_generators_are_variables_not_weights():
    ours, ref = _my_dropout(jkeras, True), _my_dropout(keras, True)
    assert [(v.name, v.shape) for v in ours.variables] == [(v.name, tuple(v.shape)) for v in ref.variables]
    assert len(ours.non_trainable_variables) == len(ref.non_trainable_variables) == 3
    assert ours.weights == [] and ref.weights == []
    assert ours.trainable_variables == [] and ours.non_trainable_weights == []
    np.testing.assert_array_equal(_values(ours.variables), _values(ref.variables))
    # The handle is Keras's `seed_generator_state` variable.
    state = ours.seed_generator.state
    assert state is ours.variables[0]
    assert state.path == f"{ours.seed_generator.name}/seed_generator_state"
    assert ref.seed_generator.state.path == f"{ref.seed_generator.name}/seed_generator_state"


def test_model_variables_interleave_seed_states_like_keras():
    def make(lib):
        return lib.Sequential([lib.Input((4,)), lib.layers.Dense(3), lib.layers.Dropout(0.5),
                               lib.layers.BatchNormalization(), lib.layers.Dropout(0.2, seed=3)])

    ours, ref = make(jkeras), make(keras)
    assert [v.name for v in ours.variables] == [v.name for v in ref.variables]
    assert [v.name for v in ours.non_trainable_variables] == [v.name for v in ref.non_trainable_variables]
    assert [tuple(v.shape) for v in ours.weights] == [tuple(v.shape) for v in ref.weights]
    assert ours.count_params() == ref.count_params()
    ours.set_weights(ref.get_weights())  # the same weight list


# ------------------------------------------------------------------------------------------
# Drawing


def test_eager_custom_layer_calls_advance_the_state_like_keras():
    ours, ref = _my_dropout(jkeras), _my_dropout(keras)
    for _ in range(3):
        np.testing.assert_array_equal(np.asarray(ours(X)), np.asarray(ref(X)))
        np.testing.assert_array_equal(_values(ours.variables), _values(ref.variables))
    assert _values(ours.variables)[0].tolist() == [1337, 3]


def test_jitted_stateless_call_of_custom_layer_draws_like_keras():
    ours, ref = _my_dropout(jkeras), _my_dropout(keras)
    ours(X), ref(X)  # eager draws first: the loop starts from the advanced state
    got, got_state = _stateless_loop(ours, _values(ours.non_trainable_variables))
    expected, expected_state = _stateless_loop(ref, _values(ref.non_trainable_variables))
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    assert len({a.tobytes() for a in got}) == 3  # a new mask at every step
    np.testing.assert_array_equal(got_state, expected_state)
    assert _values(ours.variables)[0].tolist() == [1337, 1]  # stateless: the layer is unchanged


def test_jitted_stateless_call_of_dropout_draws_like_keras():
    ours, ref = jkeras.layers.Dropout(0.5), keras.layers.Dropout(0.5)
    ours.build((None, 8))
    ref.build((None, 8))
    start = _values(ref.non_trainable_variables)  # Keras's random initial seed state, for both
    got, got_state = _stateless_loop(ours, start, training=True)
    expected, expected_state = _stateless_loop(ref, start, training=True)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    assert len({a.tobytes() for a in got}) == 3
    np.testing.assert_array_equal(got_state, expected_state)
    # Inference: no draw, the state stays (as in Keras).
    _, kept = _stateless_loop(ours, start, steps=1, training=False)
    np.testing.assert_array_equal(kept, start)


@pytest.mark.parametrize("noise", ["Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout"])
def test_jitted_stateless_training_loop_of_a_model_draws_anew_each_step(noise):
    def make(lib):
        return lib.Sequential([lib.Input((8,)), lib.layers.Dense(8), getattr(lib.layers, noise)(0.3),
                               lib.layers.Dense(8), lib.layers.Dropout(0.5)])

    for lib in (jkeras, keras):
        model = make(lib)
        start = _values(model.non_trainable_variables)
        outputs, state = _stateless_loop(model, start, training=True)
        assert len(start) == 2
        assert len({np.round(y, 5).tobytes() for y in outputs}) == 3, lib.__name__
        assert all(not np.array_equal(a, b) for a, b in zip(state, start)), lib.__name__
        np.testing.assert_array_equal(_values(model.non_trainable_variables), start)


def test_stateless_call_with_rng_uses_it():
    model = jkeras.Sequential([jkeras.Input((8,)), jkeras.layers.Dropout(0.5)])
    ntv = _values(model.non_trainable_variables)
    call = jax.jit(lambda ntv, key: model.stateless_call([], ntv, X, training=True, rng=key)[0])
    a, b = call(ntv, jax.random.PRNGKey(0)), call(ntv, jax.random.PRNGKey(1))
    np.testing.assert_array_equal(a, call(ntv, jax.random.PRNGKey(0)))
    assert not np.array_equal(a, b)


# ------------------------------------------------------------------------------------------
# fit and weight files


def _dropout_model(lib, compiled=True):
    model = lib.Sequential([lib.Input((6,)), lib.layers.Dense(16, activation="relu"),
                            lib.layers.Dropout(0.3), lib.layers.Dense(1)])
    if compiled:
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse")
    return model


def test_fit_still_trains_a_dropout_model():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 6)).astype("float32")
    y = (x @ rng.standard_normal((6, 1))).astype("float32")
    ours, ref = _dropout_model(jkeras), _dropout_model(keras)
    ours.set_weights(ref.get_weights())
    before = ours.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(before, ref.evaluate(x, y, verbose=0), rtol=1e-5)
    history = ours.fit(x, y, epochs=4, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert ours.evaluate(x, y, verbose=0) < before
    assert len(ours.non_trainable_variables) == len(ref.non_trainable_variables) == 1


def test_weight_files_hold_no_seed_state(tmp_path):
    ours, ref = _dropout_model(jkeras, False), _dropout_model(keras, False)
    assert len(ours.get_weights()) == len(ref.get_weights()) == 4
    path = str(tmp_path / "ours.weights.h5")
    ours.save_weights(path)
    ref.load_weights(path)  # Keras checks the variable count of every layer, Dropout's included
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
    ref_path = str(tmp_path / "ref.weights.h5")
    ref.save_weights(ref_path)
    other = _dropout_model(jkeras, False)
    other.load_weights(ref_path)
    for a, b in zip(other.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------------------
# Tracking details


def test_replaced_generator_is_no_longer_tracked():
    ours, ref = _my_dropout(jkeras), _my_dropout(keras)
    ours.seed_generator = jkeras.random.SeedGenerator(7)
    ref.seed_generator = keras.random.SeedGenerator(7)
    assert len(ours.variables) == 1
    np.testing.assert_array_equal(_values(ours.variables), [[7, 0]])
    np.testing.assert_array_equal(np.asarray(ours(X)), np.asarray(ref(X)))


def test_generator_made_in_build_is_tracked_after_build():
    def make(lib):
        class Noisy(lib.layers.Layer):
            def build(self, input_shape):
                self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")
                self.seed_generator = lib.random.SeedGenerator(5)

            def call(self, inputs):
                return self.scale * inputs + lib.random.normal(lib.ops.shape(inputs), seed=self.seed_generator)

        return Noisy()

    ours, ref = make(jkeras), make(keras)
    for _ in range(2):
        np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(ref(X)), rtol=1e-6)
    # Unnamed weights are "variable", "variable_1", ... by a session-wide counter (test order).
    unnumbered = lambda name: re.sub(r"_\d+$", "", name)  # noqa: E731
    assert [unnumbered(v.name) for v in ours.variables] == [unnumbered(v.name) for v in ref.variables]
    assert len(ours.weights) == len(ref.weights) == 1
    np.testing.assert_array_equal(_values(ours.non_trainable_variables), _values(ref.non_trainable_variables))
    got, _ = _stateless_loop(ours, _values(ours.non_trainable_variables))
    expected, _ = _stateless_loop(ref, _values(ref.non_trainable_variables))
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_standalone_generator_state_and_draws_match_keras():
    ours, ref = jkeras.random.SeedGenerator(42), keras.random.SeedGenerator(42)
    for _ in range(2):
        np.testing.assert_array_equal(np.asarray(jkeras.random.uniform((3,), seed=ours)),
                                      np.asarray(keras.random.uniform((3,), seed=ref)))
    np.testing.assert_array_equal(ours.state.value, ref.state.value)
    assert (ours.state.name, ours.state.shape, ours.state.dtype, ours.state.trainable) == (
        ref.state.name, tuple(ref.state.shape), ref.state.dtype, ref.state.trainable)
    ours.state.assign([42, 0])
    ref.state.assign(np.array([42, 0], "uint32"))
    np.testing.assert_array_equal(np.asarray(jkeras.random.normal((3,), seed=ours)),
                                  np.asarray(keras.random.normal((3,), seed=ref)))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        ours.state.assign([1, 2, 3])

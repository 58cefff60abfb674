"""jkeras.random against Keras 3's keras.random (JAX backend), NumPy moments, and in-layer use."""
import copy
import inspect

import jax
import keras
import numpy as np
import pytest

import jkeras
from jkeras import random as jr

LOGITS = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], "float32"))
ONES = np.ones((4, 6), "float32")
GRID = np.arange(24, dtype="float32").reshape(6, 4)

# name, positional args, keyword args: each call is run with the same seed in jkeras and Keras.
CASES = [
    ("normal", ((3, 4),), {}),
    ("normal", ((2, 5),), {"mean": 1.5, "stddev": 3.0, "dtype": "float16"}),
    ("uniform", ((7,),), {"minval": -2.0, "maxval": 5.0}),
    ("truncated_normal", ((4, 4),), {"mean": -1.0, "stddev": 0.5}),
    ("randint", ((3, 3), 2, 9), {}),
    ("randint", ((5,), -4, 4), {"dtype": "int16"}),
    ("categorical", (LOGITS, 6), {}),
    ("dropout", (ONES, 0.4), {}),
    ("dropout", (ONES, 0.5), {"noise_shape": (None, 6)}),
    ("dropout", (ONES, 0.0), {}),
    ("dropout", (ONES, 1.0), {}),
    ("shuffle", (GRID,), {}),
    ("shuffle", (GRID,), {"axis": 1}),
    ("gamma", ((6,), 2.5), {}),
    ("binomial", ((6,), 10, 0.3), {}),
    ("beta", ((6,), 2.0, 3.0), {}),
]


def test_public_names_and_signatures_match_keras():
    names = sorted(n for n in dir(keras.random) if not n.startswith("_"))
    assert sorted(jr.__all__) == names
    for name in names:
        assert hasattr(jr, name), name
        if name != "SeedGenerator":
            assert inspect.signature(getattr(jr, name)) == inspect.signature(getattr(keras.random, name)), name
    ref = inspect.signature(keras.random.SeedGenerator.__init__)
    assert inspect.signature(jr.SeedGenerator.__init__) == ref


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[c[0] for c in CASES])
def test_int_seed_gives_keras_values(name, args, kwargs):
    ours = np.asarray(getattr(jr, name)(*args, seed=7, **kwargs))
    ref = np.asarray(getattr(keras.random, name)(*args, seed=7, **kwargs))
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype
    np.testing.assert_array_equal(ours, ref)
    # An int seed is a fixed key: the same values again.
    np.testing.assert_array_equal(np.asarray(getattr(jr, name)(*args, seed=7, **kwargs)), ours)


@pytest.mark.parametrize("name, args", [("normal", ((3, 4),)), ("randint", ((5,), 0, 9)), ("dropout", (ONES, 0.5))])
def test_int_seed_is_fixed_under_jit(name, args):
    jitted = jax.jit(lambda: getattr(jr, name)(*args, seed=7))
    ref = np.asarray(getattr(keras.random, name)(*args, seed=7))
    np.testing.assert_allclose(np.asarray(jitted()), ref, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jitted()), ref, rtol=1e-6)


def test_seed_generator_stream_gives_keras_values():
    ours, ref = jr.SeedGenerator(42), keras.random.SeedGenerator(42)
    for _ in range(3):
        a = np.asarray(jr.normal((2, 3), seed=ours))
        b = np.asarray(keras.random.normal((2, 3), seed=ref))
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.asarray(jr.uniform((4,), seed=ours)), np.asarray(keras.random.uniform((4,), seed=ref)))
    np.testing.assert_array_equal(np.asarray(ours.state), np.asarray(ref.state.value))
    assert ours.get_config()["seed"] == ref.get_config()["seed"] == 42
    assert set(ours.get_config()) == set(ref.get_config())
    clone = jr.SeedGenerator.from_config(ours.get_config())
    np.testing.assert_array_equal(np.asarray(jr.normal((3,), seed=clone)),
                                  np.asarray(keras.random.normal((3,), seed=keras.random.SeedGenerator(42))))


def test_default_seed_follows_set_random_seed_like_keras():
    keras.utils.set_random_seed(11)
    ref = int(keras.random.SeedGenerator().state.value[0])
    jkeras.utils.set_random_seed(11)
    assert jr.SeedGenerator().seed == ref


def test_global_stream_outside_calls():
    jkeras.utils.set_random_seed(3)
    a, b = np.asarray(jr.normal((5,))), np.asarray(jr.normal((5,)))
    assert not np.array_equal(a, b)
    jkeras.utils.set_random_seed(3)
    np.testing.assert_array_equal(np.asarray(jr.normal((5,))), a)


def test_jax_key_is_used_as_given():
    key = jax.random.PRNGKey(5)
    np.testing.assert_array_equal(np.asarray(jr.normal((4,), seed=key)), np.asarray(jax.random.normal(key, (4,))))


def test_distributions():
    """The SeedGenerator stream draws from the right distributions (NumPy moments)."""
    seed, n = jr.SeedGenerator(3), 20000
    x = np.asarray(jr.normal((n,), mean=2.0, stddev=3.0, seed=seed))
    assert abs(x.mean() - 2.0) < 0.1 and abs(x.std() - 3.0) < 0.1
    x = np.asarray(jr.uniform((n,), minval=-1.0, maxval=3.0, seed=seed))
    assert x.min() >= -1.0 and x.max() < 3.0 and abs(x.mean() - 1.0) < 0.05
    x = np.asarray(jr.truncated_normal((n,), mean=1.0, stddev=2.0, seed=seed))
    assert x.min() >= -3.0 and x.max() <= 5.0
    # Standard normal truncated to [-2, 2] has variance 1 - 4 * pdf(2) / (cdf(2) - cdf(-2)) = 0.7737.
    assert abs(x.std() - 2.0 * np.sqrt(0.7737)) < 0.05
    x = np.asarray(jr.randint((n,), 3, 8, seed=seed))
    assert x.dtype == np.int32 and set(np.unique(x)) == set(range(3, 8))
    # gamma / binomial / beta (slow to compile) are checked value for value against Keras above.
    x = np.asarray(jr.categorical(LOGITS, 5000, seed=seed))
    assert x.shape == (2, 5000)
    np.testing.assert_allclose([np.mean(x[0] == k) for k in range(3)], [0.1, 0.2, 0.7], atol=0.03)
    x = np.asarray(jr.dropout(np.ones((n,), "float32"), 0.25, seed=seed))
    assert set(np.unique(x)) == {0.0, np.float32(1 / 0.75)} and abs(np.mean(x == 0) - 0.25) < 0.02
    x = np.asarray(jr.shuffle(np.arange(100), seed=seed))
    assert sorted(x) == list(range(100)) and not np.array_equal(x, np.arange(100))


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="seed"):
        jr.normal((2,), seed="abc")
    with pytest.raises(ValueError, match="seed"):
        jr.normal((2,), seed=1.5)
    with pytest.raises(ValueError, match="seed must be an int"):
        jr.SeedGenerator(seed=1.5)
    with pytest.raises(ValueError, match="keyword"):
        jr.SeedGenerator(1, foo=2)
    with pytest.raises(ValueError, match="dtype"):
        jr.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="dtype"):
        jr.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="2-D"):
        jr.categorical(np.zeros((3,), "float32"), 2)


# ------------------------------------------------------------------------------------------
# Inside layers


def _sampling_class(lib):
    class Sampling(lib.layers.Layer):
        """keras.io's VAE layer: z = z_mean + exp(z_log_var / 2) * eps."""

        def __init__(self, noise_log=None, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = lib.random.SeedGenerator(1337)
            self.noise_log = noise_log

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch, dim = lib.ops.shape(z_mean)[0], lib.ops.shape(z_mean)[1]
            epsilon = lib.random.normal(shape=(batch, dim), seed=self.seed_generator)
            if self.noise_log is not None:
                jax.debug.callback(lambda e: self.noise_log.append(np.asarray(e)), epsilon)
            return z_mean + lib.ops.exp(0.5 * z_log_var) * epsilon

    return Sampling


def _vae_like(lib, noise_log=None):
    inputs = lib.Input((4,))
    hidden = lib.layers.Dense(8, activation="relu")(inputs)
    z = _sampling_class(lib)(noise_log=noise_log)([lib.layers.Dense(2)(hidden), lib.layers.Dense(2)(hidden)])
    return lib.Model(inputs, lib.layers.Dense(4)(z))


def test_sampling_layer_trains_with_fresh_noise_each_step():
    jkeras.utils.set_random_seed(0)
    noise = []
    model = _vae_like(jkeras, noise)
    model.compile(optimizer=jkeras.optimizers.Adam(0.01), loss="mse")
    x = np.random.default_rng(0).standard_normal((64, 4)).astype("float32")
    # A list set as a layer attribute is tracked as a copy, as Keras 3's TrackedList: read that one.
    noise = next(layer for layer in model.layers if type(layer).__name__ == "Sampling").noise_log
    noise.clear()
    history = model.fit(x, x, epochs=2, batch_size=16, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[1] < losses[0]
    steps = [n for n in noise if n.shape == (16, 2)]
    assert len(steps) == 8  # 4 steps per epoch, 2 epochs
    for i in range(len(steps)):
        for j in range(i):
            assert not np.allclose(steps[i], steps[j])
    # Like Keras, the sampler draws in inference too, with new noise on each predict.
    first, second = model.predict(x[:8], verbose=0), model.predict(x[:8], verbose=0)
    assert np.all(np.isfinite(first)) and not np.allclose(first, second)


def test_seeded_layers_weights_match_keras():
    ours, ref = _vae_like(jkeras), _vae_like(keras)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in ref.get_weights()]
    assert len(ours.weights) == len(ref.weights)
    sampler = next(layer for layer in ours.layers if type(layer).__name__ == "Sampling")
    keras_sampler = next(layer for layer in ref.layers if type(layer).__name__ == "Sampling")
    assert sampler.weights == [] and keras_sampler.weights == []
    assert sampler.get_weights() == keras_sampler.get_weights() == []
    ours.set_weights(ref.get_weights())  # the same weight list loads


def test_eager_sampling_layer_gives_keras_values():
    z_mean = np.array([[0.0, 1.0], [2.0, -1.0]], "float32")
    z_log_var = np.array([[0.0, 0.5], [-0.5, 1.0]], "float32")
    ours, ref = _sampling_class(jkeras)(), _sampling_class(keras)()
    for _ in range(2):  # the generator advances as Keras's does
        np.testing.assert_allclose(np.asarray(ours([z_mean, z_log_var])),
                                   np.asarray(ref([z_mean, z_log_var])), rtol=1e-6)


def test_jit_of_apply_with_rng():
    model = _vae_like(jkeras)
    x = np.ones((3, 4), "float32")
    variables = model.get_variables()
    run = jax.jit(lambda v, x, key: model.apply(v, x, training=True, rng=key)[0])
    a = np.asarray(run(variables, x, jax.random.PRNGKey(0)))
    b = np.asarray(run(variables, x, jax.random.PRNGKey(1)))
    np.testing.assert_array_equal(np.asarray(run(variables, x, jax.random.PRNGKey(0))), a)
    assert not np.allclose(a, b)


@pytest.mark.parametrize("seed, fresh", [(None, True), (5, False)], ids=["none", "int"])
def test_lambda_draws_from_the_call_key(seed, fresh):
    """seed=None: the call's key (new noise per rng); seed=int: one fixed key, Keras's."""
    inputs = jkeras.Input((3,))
    outputs = jkeras.layers.Lambda(lambda t: t + jr.uniform(jkeras.ops.shape(t), seed=seed))(inputs)
    model = jkeras.Model(inputs, outputs)
    run = jax.jit(lambda v, x, key: model.apply(v, x, training=True, rng=key)[0])
    x = np.zeros((2, 3), "float32")
    a = np.asarray(run(model.get_variables(), x, jax.random.PRNGKey(0)))
    b = np.asarray(run(model.get_variables(), x, jax.random.PRNGKey(1)))
    assert np.allclose(a, b) != fresh
    if seed is not None:
        np.testing.assert_array_equal(a, np.asarray(keras.random.uniform((2, 3), seed=seed)))


def _seeded_dropout_class(lib):
    class SeededDropout(lib.layers.Layer):
        """A Dropout-like layer storing its int seed, as Keras's Dropout does."""

        def __init__(self, rate, seed=None, **kwargs):
            super().__init__(**kwargs)
            self.rate, self.seed = rate, seed
            self.seed_generator = lib.random.SeedGenerator(seed)

        def call(self, inputs, training=False):
            if training:
                return lib.random.dropout(inputs, self.rate, seed=self.seed_generator)
            return inputs

        def get_config(self):
            return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    return SeededDropout


def test_seed_generator_survives_config_and_cloning():
    cls = _seeded_dropout_class(jkeras)
    layer = cls(0.5, seed=9)
    assert layer.get_config()["seed"] == _seeded_dropout_class(keras)(0.5, seed=9).get_config()["seed"] == 9
    inputs = jkeras.Input((8,))
    model = jkeras.Model(inputs, layer(jkeras.layers.Dense(8)(inputs)))
    # clone_model would need the class registered; the same config round trip with custom_objects:
    clone = jkeras.models.model_from_json(model.to_json(), custom_objects={"SeededDropout": cls})
    clone.set_weights(model.get_weights())
    copied = copy.deepcopy(layer)
    assert copied.seed_generator.seed == layer.seed_generator.seed == 9
    x = np.ones((4, 8), "float32")
    key = jax.random.PRNGKey(2)
    a = np.asarray(model.apply(model.get_variables(), x, training=True, rng=key)[0])
    b = np.asarray(clone.apply(clone.get_variables(), x, training=True, rng=key)[0])
    np.testing.assert_array_equal(a, b)  # same seed, same rng: the same mask
    assert np.any(a == 0)
    other = cls.from_config({**layer.get_config(), "seed": 10, "name": "other"})
    assert other.seed_generator.seed == 10 and other.weights == []


def _noisy_model():
    """Adds fresh normal noise in inference too (like a VAE's sampling layer)."""
    inputs = jkeras.Input((3,))
    outputs = jkeras.layers.Lambda(lambda x: x + jkeras.random.normal(jkeras.ops.shape(x)))(inputs)
    model = jkeras.Model(inputs, outputs)
    model.compile("sgd", "mse")
    return model


def test_evaluate_draws_new_noise_for_each_call_and_each_batch():
    model = _noisy_model()
    x = np.zeros((8, 3), "float32")
    seen = []

    class Batches(jkeras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            seen.append(float(logs["loss"]))

    first = model.evaluate(x, x, batch_size=4, verbose=0, callbacks=[Batches()])
    assert seen[0] != seen[1]  # the running mean moved: batch 2 drew other noise than batch 1
    assert model.evaluate(x, x, batch_size=4, verbose=0) != first
    assert model.test_on_batch(x, x) != model.test_on_batch(x, x)
    stream = lambda: ((x[:4], x[:4]) for _ in range(2))  # noqa: E731
    assert model.evaluate(stream(), steps=2, verbose=0) != model.evaluate(stream(), steps=2, verbose=0)

"""jkeras.core.initializers: distributions against their formulas, Keras 3's
fans, values and configs, seeding, and the `get` forms."""
import json
import math

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from keras.src.initializers.random_initializers import compute_fans as k_fans

from jkeras import initializers as public_initializers
from jkeras.core import initializers

KEY = jax.random.PRNGKey(0)
DENSE, CONV = (300, 200), (3, 3, 32, 64)  # conv: fan_in 288, fan_out 576


def truncated_unit_std(bound=2.0):
    """Std of N(0, 1) truncated to [-bound, bound], from the pdf and cdf."""
    pdf = math.exp(-bound * bound / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(bound / math.sqrt(2))
    return math.sqrt(1 - 2 * bound * pdf / mass)


def fans_by_hand(shape):
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


def check_stats(values, mean, std, bound=None, lower=None):
    values = np.asarray(values, np.float64)
    n = values.size
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(n)
    assert values.std() == pytest.approx(std, rel=0.02)
    if bound is not None:
        assert np.all(np.abs(values - mean) <= bound * (1 + 1e-6))
        # the draw reaches close to the bound (it is not narrower)
        assert np.max(np.abs(values - mean)) > 0.95 * bound
    if lower is not None:
        assert values.min() >= lower


@pytest.mark.parametrize("shape", [(), (7,), (5, 3), (3, 5, 2), CONV,
                                   (2, 3, 4, 5, 6)])
def test_compute_fans_matches_keras(shape):
    assert initializers.compute_fans(shape) == k_fans(shape)
    assert initializers.compute_fans(CONV, [0, 1], [3]) == (9, 64)


def test_random_normal_statistics():
    init = initializers.RandomNormal(mean=0.3, stddev=2.0)
    check_stats(init(DENSE, key=KEY), 0.3, 2.0)


def test_truncated_normal_statistics():
    init = initializers.TruncatedNormal(mean=0.3, stddev=2.0)
    check_stats(init(DENSE, key=KEY), 0.3, 2.0 * truncated_unit_std(),
                bound=4.0)


def test_random_uniform_statistics():
    values = initializers.RandomUniform(-0.3, 0.7)(DENSE, key=KEY)
    check_stats(values, 0.2, 1.0 / math.sqrt(12), bound=0.5)


@pytest.mark.parametrize("shape", [DENSE, CONV])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution",
                         ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_statistics(shape, mode, distribution):
    fan_in, fan_out = fans_by_hand(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out,
         "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = math.sqrt(2.5 / n)
    values = initializers.VarianceScaling(2.5, mode, distribution)(
        shape, key=KEY)
    bound = {"uniform": math.sqrt(3) * std,
             "truncated_normal": 2 * std / truncated_unit_std(),
             "untruncated_normal": None}[distribution]
    check_stats(values, 0.0, std, bound=bound)


@pytest.mark.parametrize("distribution",
                         ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_spread_matches_keras(distribution):
    ours = initializers.VarianceScaling(2.5, "fan_avg", distribution)(
        CONV, key=KEY)
    theirs = keras.initializers.VarianceScaling(
        2.5, "fan_avg", distribution, seed=1)(CONV)
    assert np.std(np.asarray(ours)) == pytest.approx(
        np.std(np.asarray(theirs)), rel=0.04)
    if distribution != "untruncated_normal":  # same bound on the values
        assert np.max(np.abs(ours)) == pytest.approx(
            np.max(np.abs(theirs)), rel=0.02)


# name: (formula of the std from (fan_in, fan_out), uniform?)
NAMED = {
    "glorot_uniform": (lambda i, o: math.sqrt(2 / (i + o)), True),
    "glorot_normal": (lambda i, o: math.sqrt(2 / (i + o)), False),
    "he_uniform": (lambda i, o: math.sqrt(2 / i), True),
    "he_normal": (lambda i, o: math.sqrt(2 / i), False),
    "lecun_uniform": (lambda i, o: math.sqrt(1 / i), True),
    "lecun_normal": (lambda i, o: math.sqrt(1 / i), False),
}


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_variance_scaling(name):
    std_formula, uniform = NAMED[name]
    std = std_formula(*fans_by_hand(CONV))
    values = initializers.get(name)(CONV, key=KEY)
    # uniform: limit = sqrt(3) * std (e.g. Glorot's sqrt(6 / (in + out)));
    # normal: truncated at two pre-truncation standard deviations.
    bound = math.sqrt(3) * std if uniform else 2 * std / truncated_unit_std()
    check_stats(values, 0.0, std, bound=bound)
    assert values.shape == CONV and values.dtype == jnp.float32


def test_seeded_initializer_repeats_its_values():
    init = initializers.RandomNormal(stddev=0.05, seed=7)
    first = init((3, 4))
    np.testing.assert_array_equal(first, init((3, 4)))
    np.testing.assert_array_equal(first, init((3, 4), key=KEY))
    np.testing.assert_allclose(
        first, 0.05 * jax.random.normal(jnp.array([7, 0], jnp.uint32), (3, 4)),  # Keras 3's key for seed 7
        rtol=1e-6)
    other = initializers.RandomNormal(stddev=0.05, seed=8)((3, 4))
    assert not np.allclose(first, other)


def test_key_drives_unseeded_initializer():
    init = initializers.RandomUniform(-1.0, 2.0)
    k1, k2 = jax.random.split(KEY)
    np.testing.assert_array_equal(init((4, 5), key=k1), init((4, 5), key=k1))
    assert not np.allclose(init((4, 5), key=k1), init((4, 5), key=k2))
    np.testing.assert_allclose(
        init((4, 5), key=k1),
        jax.random.uniform(k1, (4, 5), minval=-1.0, maxval=2.0), rtol=1e-6)


def test_numpy_global_seed_governs_unkeyed_calls():
    init = initializers.GlorotUniform()
    np.random.seed(123)
    first = init((6, 5))
    np.random.seed(123)
    np.testing.assert_array_equal(first, init((6, 5)))
    assert not np.allclose(first, init((6, 5)))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 4, 8),
                                   (2, 2, 2, 20), (5, 5)])
def test_orthogonal(shape):
    gain = 1.7
    values = np.asarray(initializers.Orthogonal(gain=gain)(shape, key=KEY),
                        np.float64)
    assert values.shape == shape
    flat = values.reshape(-1, shape[-1])
    small = min(flat.shape)
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(small), atol=1e-5)


def test_orthogonal_needs_rank_two():
    with pytest.raises(ValueError, match="rank"):
        initializers.Orthogonal()((5,), key=KEY)


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 2)])
def test_identity_matches_keras(shape):
    values = initializers.Identity(gain=2.0)(shape)
    np.testing.assert_array_equal(values, 2.0 * np.eye(*shape))
    np.testing.assert_array_equal(values,
                                  keras.initializers.Identity(2.0)(shape))
    with pytest.raises(ValueError, match="2D"):
        initializers.identity()((2, 2, 2))


@pytest.mark.parametrize("name,args", [("Zeros", ()), ("Ones", ()),
                                       ("Constant", (2.5,))])
def test_constant_family_matches_keras(name, args):
    ours = getattr(initializers, name)(*args)((2, 3))
    theirs = getattr(keras.initializers, name)(*args)((2, 3))
    assert ours.dtype == jnp.float32
    np.testing.assert_array_equal(ours, theirs)


def test_dtypes():
    assert initializers.Zeros()((2,), "int32").dtype == jnp.int32
    assert initializers.Constant(3)((2,)).dtype == jnp.float32
    for dtype in ("float16", "bfloat16"):
        assert initializers.HeNormal()((4, 4), dtype, key=KEY).dtype == dtype
    assert initializers.Orthogonal()((4, 4), "bfloat16", key=KEY).dtype == \
        jnp.bfloat16
    with pytest.raises(ValueError, match="dtype"):
        initializers.RandomNormal()((2, 2), "int32", key=KEY)
    with pytest.raises(ValueError, match="shape"):
        initializers.Ones()((2, None))


CONFIGURED = [
    initializers.Constant(1.5), initializers.Zeros(), initializers.Ones(),
    initializers.Identity(gain=0.5),
    initializers.RandomNormal(mean=0.1, stddev=0.2, seed=3),
    initializers.TruncatedNormal(mean=0.1, stddev=0.2, seed=4),
    initializers.RandomUniform(minval=-1.0, maxval=1.0, seed=5),
    initializers.VarianceScaling(scale=2.0, mode="fan_out",
                                 distribution="uniform", seed=6,
                                 input_axes=[0], output_axes=[1]),
    initializers.GlorotUniform(seed=1), initializers.GlorotNormal(),
    initializers.HeNormal(seed=2), initializers.HeUniform(),
    initializers.LecunNormal(), initializers.LecunUniform(seed=9),
    initializers.Orthogonal(gain=2.0, seed=10),
]


@pytest.mark.parametrize("init", CONFIGURED, ids=lambda i: type(i).__name__)
def test_config_matches_keras_and_round_trips(init):
    config = init.get_config()
    keras_init = getattr(keras.initializers, type(init).__name__)(**config)
    if isinstance(init, initializers.Identity):
        # Keras 3 drops `gain` from Identity's config; jkeras keeps Keras 2's
        assert keras_init.get_config() == {} and config == {"gain": 0.5}
        return
    assert config == keras_init.get_config()
    restored = initializers.deserialize(
        json.loads(json.dumps(initializers.serialize(init))))
    assert type(restored) is type(init)
    assert restored.get_config() == config
    # Keras reads jkeras's serialized form, and jkeras reads Keras's
    assert keras.initializers.deserialize(
        initializers.serialize(init)).get_config() == config
    from_keras = initializers.get(keras.initializers.serialize(keras_init))
    assert type(from_keras) is type(init)
    assert from_keras.get_config() == config


KERAS2_NAMES = {
    "zeros": "Zeros", "zero": "Zeros", "ones": "Ones", "one": "Ones",
    "constant": "Constant", "normal": "RandomNormal",
    "random_normal": "RandomNormal", "uniform": "RandomUniform",
    "random_uniform": "RandomUniform", "truncated_normal": "TruncatedNormal",
    "identity": "Identity", "orthogonal": "Orthogonal",
    "glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal",
    "he_normal": "HeNormal", "he_uniform": "HeUniform",
    "lecun_normal": "LecunNormal", "lecun_uniform": "LecunUniform",
    "variance_scaling": "VarianceScaling",
}


@pytest.mark.parametrize("name", sorted(KERAS2_NAMES))
def test_get_by_name(name):
    init = initializers.get(name)
    assert type(init).__name__ == KERAS2_NAMES[name]
    assert getattr(initializers, name) is getattr(initializers,
                                                  KERAS2_NAMES[name])


def test_every_keras_name_resolves():
    from keras.src.initializers import ALL_OBJECTS_DICT
    skipped = {"Initializer", "initializer", "STFT", "stft",
               "STFTInitializer"}
    for name, cls in ALL_OBJECTS_DICT.items():
        if name not in skipped:
            assert type(initializers.get(name)).__name__ == cls.__name__


def test_keras2_configs():
    # Keras 2.2.4 wrote glorot_uniform as a VarianceScaling config, and
    # spelled the truncated normal distribution 'normal'.
    init = initializers.get({"class_name": "VarianceScaling", "config": {
        "scale": 1.0, "mode": "fan_avg", "distribution": "normal",
        "seed": None}})
    assert init.distribution == "truncated_normal"
    check_stats(init(CONV, key=KEY), 0.0,
                math.sqrt(2 / sum(fans_by_hand(CONV))))


def test_get_forms():
    assert initializers.get(None) is None
    instance = initializers.HeNormal()
    assert initializers.get(instance) is instance
    assert isinstance(initializers.get(initializers.Ones),
                      initializers.Ones)
    with pytest.raises(ValueError, match="Unknown initializer.*he_normal"):
        initializers.get("he_normale")
    with pytest.raises(ValueError, match="initializer"):
        initializers.get(1.5)


def test_user_functions_are_wrapped():
    def keras_style(shape, dtype=None):
        return np.full(shape, 4.0)

    def shape_only(shape):
        return np.arange(np.prod(shape)).reshape(shape)

    init = initializers.get(keras_style)
    out = init((2, 3), key=KEY)
    np.testing.assert_array_equal(out, np.full((2, 3), 4.0))
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(initializers.get(shape_only)((2, 2)),
                                  [[0, 1], [2, 3]])
    assert initializers.serialize(init) == "keras_style"
    restored = initializers.deserialize("keras_style",
                                        {"keras_style": keras_style})
    np.testing.assert_array_equal(restored((1, 2)), [[4.0, 4.0]])


def test_jax_nn_initializers_are_accepted():
    jax_init = jax.nn.initializers.lecun_normal()
    np.testing.assert_array_equal(
        initializers.get(jax_init)((8, 6), key=KEY),
        jax_init(KEY, (8, 6), jnp.float32))


def test_array_identifier():
    value = np.arange(6.0).reshape(2, 3)
    init = initializers.get(value)
    np.testing.assert_array_equal(init((2, 3)), value)
    with pytest.raises(ValueError, match="shape"):
        init((3, 2))


def test_argument_validation():
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        initializers.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="seed"):
        initializers.RandomNormal(seed="42")


def test_jit_with_key():
    init = initializers.GlorotUniform()
    jitted = jax.jit(lambda k: init((5, 7), key=k))
    np.testing.assert_allclose(jitted(KEY), init((5, 7), key=KEY), rtol=1e-6)


def test_public_module_reexports_core():
    for name in initializers.__all__:
        assert getattr(public_initializers, name) is getattr(initializers,
                                                             name)
    assert set(public_initializers.__all__) == set(initializers.__all__)


@pytest.mark.parametrize("name", ["GlorotUniform", "HeNormal", "LecunNormal", "RandomNormal", "RandomUniform",
                                  "TruncatedNormal"])
def test_draws_equal_jax_random_of_the_shape_and_compile_once_per_bucket(name):
    """Each draw is the start of a draw of a bucket size (a power of 4), so a model's many weight
    shapes share a few compiled programs; the values are exactly jax.random's for the shape."""
    import jax.monitoring

    init = getattr(initializers, name)(seed=5)
    key = jnp.array([5, 0], jnp.uint32)  # Keras 3's key for seed 5
    shapes = [(3, 3, 64, 64), (3, 3, 32, 70), (200, 150), (7, 7, 3, 64)]  # all in the 4**8 bucket
    for shape in shapes:
        got = np.asarray(init(shape))
        if name == "RandomUniform":
            ref = jax.random.uniform(key, shape, jnp.float32, -0.05, 0.05)
        elif name == "RandomNormal":
            ref = 0.05 * jax.random.normal(key, shape, jnp.float32)
        elif name == "TruncatedNormal":
            ref = 0.05 * jax.random.truncated_normal(key, -2.0, 2.0, shape, jnp.float32)
        else:  # the variance-scaling formulas, computed as VarianceScaling does
            fan_in, fan_out = fans_by_hand(shape)
            if name == "GlorotUniform":
                limit = math.sqrt(3.0 * (1.0 / max(1.0, (fan_in + fan_out) / 2.0)))
                ref = jax.random.uniform(key, shape, jnp.float32, -limit, limit)
            else:
                stddev = math.sqrt((2.0 if name == "HeNormal" else 1.0) / max(1.0, fan_in)) / 0.87962566103423978
                ref = 0.0 + stddev * jax.random.truncated_normal(key, -2.0, 2.0, shape, jnp.float32)
        np.testing.assert_array_equal(got, np.asarray(ref))
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: compiles.append(kw.get("fun_name"))
        if event == "/jax/core/compile/backend_compile_duration" else None)
    try:
        for shape in [(3, 3, 48, 64), (120, 160), (5, 5, 16, 40)]:
            init(shape)
    finally:
        jax.monitoring.clear_event_listeners()
    assert compiles == []

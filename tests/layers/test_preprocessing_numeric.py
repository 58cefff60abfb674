"""Numeric / categorical preprocessing layers against Keras 3.

Normalization, Discretization and CategoryEncoding run in Keras 3 here (JAX backend) and are
compared directly. Keras's Hashing and IntegerLookup need TensorFlow (not installed), so they are
checked against the expected values of Keras's own docstrings and tests (computed by TensorFlow)
and against reference FarmHash fingerprints.
"""
import json

import jax
import keras
import numpy as np
import pytest

import jkeras
from jkeras import layers
from jkeras.layers import preprocessing_numeric as pn
from jkeras.utils.data_utils import Sequence

RNG = np.random.default_rng(0)


def data(*shape):
    return (RNG.standard_normal(shape) * 3 + 1).astype("float32")


def jit_apply(layer, x):
    return np.asarray(jax.jit(lambda v, x: layer.apply(v, x)[0])(layer.get_variables(), x))


# ------------------------------------------------------------------------------------------
# Normalization


@pytest.mark.parametrize("axis, shape", [(-1, (20, 3)), (None, (20, 3)), ((1, 2), (10, 2, 3)), (1, (10, 4, 2))])
def test_normalization_adapt_matches_keras(axis, shape):
    x = data(*shape)
    k_layer, layer = keras.layers.Normalization(axis=axis), layers.Normalization(axis=axis)
    k_layer.adapt(x)
    layer.adapt(x)
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(k_layer(x)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(jit_apply(layer, x), np.asarray(k_layer(x)), rtol=1e-6, atol=1e-6)
    assert [w.name for w in layer.weights] == [w.name for w in k_layer.weights] == ["mean", "variance", "count"]
    assert [w.trainable for w in layer.weights] == [False] * 3
    for w, kw in zip(layer.get_weights(), k_layer.get_weights()):
        assert w.shape == kw.shape and w.dtype == kw.dtype
        np.testing.assert_allclose(w, kw, rtol=1e-6)
    config, k_config = layer.get_config(), k_layer.get_config()
    assert set(config) == set(k_config)
    assert {k: config[k] for k in ("axis", "invert", "mean", "variance")} == \
        {k: k_config[k] for k in ("axis", "invert", "mean", "variance")}
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:]


@pytest.mark.parametrize("mean, variance", [(3.0, 2.0), ([1.0, 2.0, 3.0], [1.0, 4.0, 9.0])])
def test_normalization_given_mean_variance_matches_keras(mean, variance):
    x = data(5, 3)
    k_layer = keras.layers.Normalization(mean=mean, variance=variance)
    layer = layers.Normalization(mean=mean, variance=variance)
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(k_layer(x)), rtol=1e-6, atol=1e-6)
    assert layer.weights == [] and k_layer.weights == []
    assert layer.get_config()["mean"] == k_layer.get_config()["mean"] == mean
    with pytest.raises(ValueError, match="adapt"):
        layer.adapt(x)


def test_normalization_invert_inverts_and_matches_keras():
    x, z = data(30, 4), data(6, 4)
    forward, inverse = layers.Normalization(), layers.Normalization(invert=True)
    k_inverse = keras.layers.Normalization(invert=True)
    for lay in (forward, inverse, k_inverse):
        lay.adapt(x)
    np.testing.assert_allclose(np.asarray(inverse(forward(z))), z, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(inverse(z)), np.asarray(k_inverse(z)), rtol=1e-6, atol=1e-6)
    assert not np.allclose(np.asarray(inverse(z)), z)


class _Batches(Sequence):
    def __init__(self, x):
        self.x = x

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return self.x[i * 10:(i + 1) * 10], np.zeros(10)


def test_normalization_adapts_on_batches_like_on_the_whole_array():
    x = data(30, 3)
    whole = layers.Normalization()
    whole.adapt(x)
    for source in ([x[:7], x[7:19], x[19:]], _Batches(x), ((b, None) for b in np.split(x, 3))):
        layer = layers.Normalization()
        layer.adapt(source)
        for w, ref in zip(layer.get_weights()[:2], whole.get_weights()[:2]):
            np.testing.assert_allclose(w, ref, rtol=1e-5, atol=1e-5)
    first = layers.Normalization()
    first.adapt(_Batches(x), steps=1)
    np.testing.assert_allclose(first.get_weights()[0], x[:10].mean(0), rtol=1e-5)


def test_normalization_weights_interchange_with_keras():
    x = data(12, 3)
    k_layer, layer = keras.layers.Normalization(), layers.Normalization()
    k_layer.adapt(x)
    layer(x)
    layer.set_weights(k_layer.get_weights())
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(k_layer(x)), rtol=1e-6, atol=1e-6)
    other = keras.layers.Normalization()
    other(x)
    layer.adapt(x * 2)
    other.set_weights(layer.get_weights())
    other.finalize_state()  # Keras's set_weights does not refresh its cached mean / variance
    np.testing.assert_allclose(np.asarray(other(x)), np.asarray(layer(x)), rtol=1e-6, atol=1e-6)


def test_normalization_errors_name_the_argument():
    with pytest.raises(ValueError, match="variance"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="axis"):
        layers.Normalization(axis=3)(np.zeros((2, 3), "float32"))
    layer = layers.Normalization()
    layer.adapt(data(4, 3))
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        layer.adapt(data(4, 5))


def test_functional_model_with_adapted_normalization_trains_saves_and_loads(tmp_path):
    x = data(64, 3) * np.array([1.0, 10.0, 100.0], "float32")
    y = (x @ np.array([[1.0], [0.1], [0.01]], "float32")).astype("float32")
    norm = layers.Normalization()
    norm.adapt(x)
    inputs = jkeras.Input(shape=(3,))
    model = jkeras.Model(inputs, layers.Dense(1)(norm(inputs)))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(norm.get_weights()[0], x.mean(0), rtol=1e-5)  # fit leaves the statistics
    model.save(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    loaded_norm = next(lay for lay in loaded.layers if isinstance(lay, layers.Normalization))
    np.testing.assert_allclose(loaded_norm.get_weights()[1], x.var(0), rtol=1e-4)


# ------------------------------------------------------------------------------------------
# Discretization


def keras_discretization_adapted(batches, **kwargs):
    """Keras's adapt without its TensorFlow type check: its own update_state / finalize_state."""
    k_layer = keras.layers.Discretization(**kwargs)
    k_layer.reset_state()
    for batch in batches:
        k_layer.update_state(batch)
    k_layer.finalize_state()
    return k_layer


@pytest.mark.parametrize("num_bins, epsilon", [(4, 0.01), (5, 0.1), (3, 0.001)])
def test_discretization_adapt_matches_keras(num_bins, epsilon):
    x = data(200, 3)
    k_layer = keras_discretization_adapted([x], num_bins=num_bins, epsilon=epsilon)
    layer = layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    layer.adapt(x)
    assert layer.bin_boundaries == k_layer.bin_boundaries
    np.testing.assert_array_equal(np.asarray(layer(x)), np.asarray(k_layer(x)))
    assert layer(x).dtype == np.int32
    batched = layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    batched.adapt([x[:50], x[50:]])
    assert batched.bin_boundaries == keras_discretization_adapted([x[:50], x[50:]], num_bins=num_bins,
                                                                    epsilon=epsilon).bin_boundaries
    assert layer.get_config() == k_layer.get_config()
    assert layer.weights == [] and k_layer.weights == []


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(6,), (6, 1), (6, 4)])
def test_discretization_output_modes_match_keras(mode, shape):
    x = data(*shape)
    make = lambda lib: lib.layers.Discretization(bin_boundaries=[-1.0, 0.5, 2.0], output_mode=mode)
    k_layer, layer = make(keras), make(jkeras)
    out, k_out = np.asarray(layer(x)), np.asarray(k_layer(x))
    assert out.dtype == k_out.dtype
    np.testing.assert_array_equal(out, k_out)
    np.testing.assert_array_equal(jit_apply(layer, x), k_out)
    free = (None,) + shape[1:]
    assert layer.compute_output_shape(free) == tuple(k_layer.compute_output_shape(free))
    assert make(jkeras)(jkeras.Input(shape=shape[1:])).shape == layer.compute_output_shape(free)


def test_discretization_config_round_trip_keeps_adapted_boundaries():
    x = data(100)
    layer = layers.Discretization(num_bins=3)
    layer.adapt(x)
    config = json.loads(json.dumps(layer.get_config()))
    clone = layers.Discretization.from_config(config)
    assert clone.bin_boundaries == layer.bin_boundaries and clone.num_bins == 3
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(layer(x)))
    k_clone = keras.layers.Discretization.from_config(config)
    np.testing.assert_array_equal(np.asarray(k_clone(x)), np.asarray(layer(x)))


def test_discretization_errors():
    with pytest.raises(ValueError, match="before calling|adapt"):
        layers.Discretization(num_bins=3)(np.zeros((2, 2), "float32"))
    with pytest.raises(ValueError, match="num_bins"):
        layers.Discretization(num_bins=-1)
    with pytest.raises(ValueError, match="num_bins.*bin_boundaries"):
        layers.Discretization(num_bins=2, bin_boundaries=[0.0])
    with pytest.raises(ValueError, match="num_bins.*bin_boundaries"):
        layers.Discretization()
    with pytest.raises(ValueError, match="output_mode"):
        layers.Discretization(bin_boundaries=[0.0], output_mode="tf_idf")
    with pytest.raises(ValueError, match="sparse"):
        layers.Discretization(bin_boundaries=[0.0], output_mode="count", sparse=True)
    with pytest.raises(ValueError, match="bin_boundaries"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(data(5))


# ------------------------------------------------------------------------------------------
# CategoryEncoding


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "binary"])
@pytest.mark.parametrize("x", [
    np.array([0, 3, 3, 1]), np.array([[0], [3], [2]]), np.array([[0, 1, 1, 5], [3, 3, 3, 2]]),
])
def test_category_encoding_matches_keras(mode, x):
    make = lambda lib: lib.layers.CategoryEncoding(num_tokens=6, output_mode=mode)
    k_layer, layer = make(keras), make(jkeras)
    out, k_out = np.asarray(layer(x)), np.asarray(k_layer(x))
    assert out.dtype == k_out.dtype == np.float32
    np.testing.assert_array_equal(out, k_out)
    np.testing.assert_array_equal(jit_apply(layer, x), k_out)
    free = (None,) + x.shape[1:]
    assert layer.compute_output_shape(free) == tuple(k_layer.compute_output_shape(free))
    config, k_config = layer.get_config(), k_layer.get_config()
    assert set(config) == set(k_config) and config["output_mode"] == k_config["output_mode"]


def test_category_encoding_count_mode_counts_and_weights():
    layer = layers.CategoryEncoding(num_tokens=4, output_mode="count")
    x = np.array([[0, 1, 1, 3], [2, 2, 2, 2]])
    np.testing.assert_array_equal(np.asarray(layer(x)), [[1, 2, 0, 1], [0, 0, 4, 0]])
    w = np.array([[0.5, 1.0, 2.0, 1.0], [1.0, 1.0, 1.0, 0.25]], "float32")
    k_out = keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")(x, count_weights=w)
    np.testing.assert_allclose(np.asarray(layer(x, count_weights=w)), np.asarray(k_out))
    np.testing.assert_allclose(np.asarray(layer(x, count_weights=w)), [[0.5, 3.0, 0, 1.0], [0, 0, 3.25, 0]])


def test_category_encoding_errors():
    with pytest.raises(ValueError, match="num_tokens"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="num_tokens"):
        layers.CategoryEncoding(num_tokens=0)
    with pytest.raises(ValueError, match="output_mode"):
        layers.CategoryEncoding(num_tokens=3, output_mode="int")
    with pytest.raises(ValueError, match="sparse"):
        layers.CategoryEncoding(num_tokens=3, sparse=True)
    with pytest.raises(ValueError, match="count_weights"):
        layers.CategoryEncoding(num_tokens=3, output_mode="one_hot")(np.array([1]), count_weights=np.ones(1))


# ------------------------------------------------------------------------------------------
# Hashing (expected bins: Keras's hashing_test.py / docstrings, computed by TensorFlow)


def test_farmhash_and_siphash_match_reference_values():
    # FarmHash Fingerprint64 reference values (Google's farmhash library, via pyfarmhash).
    for s, ref in [(b"", 11160318154034397263), (b"a", 12917804110809363939),
                   (b"-9223372036854775808", 1493431938208774112), (b"hello world", 6381520714923946011),
                   (bytes(range(100)), 4395248839964844437)]:
        assert pn._farmhash64(s) == ref
    # SipHash-2-4 reference vector of the SipHash paper (key 00..0f, message 00..0e).
    key = [int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)), "little")]
    assert pn._siphash64(key, bytes(range(15))) == 0xA129CA6149BE45E5


def test_hashing_ints_match_keras():
    x = np.array([[0], [1], [2], [3], [4]])
    np.testing.assert_array_equal(np.asarray(layers.Hashing(num_bins=3)(x)).ravel(), [1, 0, 1, 0, 2])
    np.testing.assert_array_equal(np.asarray(layers.Hashing(num_bins=3, salt=[133, 137])(x)).ravel(), [1, 1, 2, 0, 1])
    layer = layers.Hashing(num_bins=3)
    np.testing.assert_array_equal(jit_apply(layer, x).ravel(), [1, 0, 1, 0, 2])
    np.testing.assert_array_equal(jit_apply(layer, x.astype("float32") + 0.5).ravel(), [1, 0, 1, 0, 2])


def test_hashing_strings_and_mask_match_keras():
    strings = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    np.testing.assert_array_equal(np.asarray(layers.Hashing(num_bins=3)(strings)).ravel(), [1, 0, 1, 1, 2])
    np.testing.assert_array_equal(np.asarray(layers.Hashing(num_bins=3, salt=[133, 137])(strings)).ravel(),
                                  [1, 2, 1, 0, 2])
    np.testing.assert_array_equal(np.asarray(layers.Hashing(num_bins=3, salt=133)(strings)).ravel(), [0, 0, 2, 1, 0])
    masked = np.array([["A"], ["B"], [""], ["C"], ["D"]])
    np.testing.assert_array_equal(np.asarray(layers.Hashing(num_bins=3, mask_value="")(masked)).ravel(),
                                  [1, 1, 0, 2, 2])
    ints = np.array([5, 0, 7, 0])
    out = np.asarray(layers.Hashing(num_bins=4, mask_value=0)(ints))
    assert out[1] == out[3] == 0 and (out[[0, 2]] > 0).all()


@pytest.mark.parametrize("mode, expected", [
    ("one_hot", [[0, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]]),
    ("multi_hot", [[1, 1, 1]]),
    ("count", [[2, 2, 1]]),
])
def test_hashing_output_modes(mode, expected):
    x = np.array([[0], [1], [2], [3], [4]]) if mode == "one_hot" else np.array([[0, 1, 2, 3, 4]])
    layer = layers.Hashing(num_bins=3, output_mode=mode)
    out = np.asarray(layer(x))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    sym = layers.Hashing(num_bins=3, output_mode=mode)(jkeras.Input(shape=x.shape[1:], dtype="int32"))
    assert sym.shape == (None, 3) == layer.compute_output_shape((None,) + x.shape[1:])


def test_hashing_config_and_errors():
    config = layers.Hashing(num_bins=8, salt=7, mask_value=0).get_config()
    assert {"num_bins", "salt", "mask_value", "output_mode", "sparse", "name", "dtype", "trainable"} == set(config)
    assert config["salt"] == [7, 7] and config["dtype"] == "int64"
    clone = layers.Hashing.from_config(json.loads(json.dumps(config)))
    x = np.arange(20)
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(layers.Hashing(num_bins=8, salt=7, mask_value=0)(x)))
    with pytest.raises(ValueError, match="num_bins"):
        layers.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="salt"):
        layers.Hashing(num_bins=3, salt="x")
    with pytest.raises(ValueError, match="output_mode"):
        layers.Hashing(num_bins=3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="dtype"):
        layers.Hashing(num_bins=3, dtype="float32")


# ------------------------------------------------------------------------------------------
# IntegerLookup (expected values: Keras's IntegerLookup docstring, computed by TensorFlow)

VOCAB = [12, 36, 1138, 42]
KERAS_INDEX_LOOKUP_CONFIG_KEYS = {
    "name", "trainable", "dtype", "invert", "max_tokens", "num_oov_indices", "oov_token", "mask_token",
    "output_mode", "sparse", "pad_to_max_tokens", "vocabulary_dtype", "idf_weights", "vocabulary",
    "vocabulary_size", "oov_method", "salt",
}


def test_integer_lookup_vocabulary_oov_and_adapt_match_keras():
    x = np.array([[12, 1138, 42], [42, 1000, 36]])
    layer = layers.IntegerLookup(vocabulary=VOCAB)
    np.testing.assert_array_equal(np.asarray(layer(x)), [[1, 3, 4], [4, 0, 2]])
    np.testing.assert_array_equal(jit_apply(layer, x), [[1, 3, 4], [4, 0, 2]])
    assert layer.vocabulary_size() == 5 and layer.get_vocabulary() == [-1] + VOCAB
    adapted = layers.IntegerLookup()
    adapted.adapt(x)
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    assert adapted.get_vocabulary(include_special_tokens=False) == [42, 1138, 1000, 36, 12]
    np.testing.assert_array_equal(np.asarray(adapted(x)), [[5, 2, 1], [1, 3, 4]])
    two_oov = layers.IntegerLookup(vocabulary=VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(np.asarray(two_oov(np.array([[12, 1138, 42], [37, 1000, 36]]))),
                                  [[2, 4, 5], [1, 0, 3]])
    oov = np.array([100, 300, 700, 1100, 1700, 2000])
    floormod = layers.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4)
    farm = layers.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash")
    np.testing.assert_array_equal(np.asarray(floormod(oov)), [0] * 6)
    np.testing.assert_array_equal(np.asarray(farm(oov)), [3, 3, 2, 2, 0, 1])
    np.testing.assert_array_equal(jit_apply(farm, oov), [3, 3, 2, 2, 0, 1])


def test_integer_lookup_mask_token_and_inversion():
    layer = layers.IntegerLookup(vocabulary=VOCAB, mask_token=0)
    x = np.array([[12, 0, 7], [0, 42, 36]])
    out = np.asarray(layer(x))
    np.testing.assert_array_equal(out, [[2, 0, 1], [0, 5, 3]])
    assert layer.get_vocabulary() == [0, -1] + VOCAB
    inverse = layers.IntegerLookup(vocabulary=layer.get_vocabulary(), mask_token=0, invert=True)
    np.testing.assert_array_equal(np.asarray(inverse(out)), [[12, 0, -1], [0, 42, 36]])
    np.testing.assert_array_equal(jit_apply(inverse, out), [[12, 0, -1], [0, 42, 36]])
    plain_inverse = layers.IntegerLookup(vocabulary=VOCAB, invert=True)
    np.testing.assert_array_equal(np.asarray(plain_inverse(np.array([[1, 3, 4], [4, 0, 2], [9, -3, 1]]))),
                                  [[12, 1138, 42], [42, -1, 36], [-1, -1, 12]])
    # Outside "int" mode the mask token is dropped and takes no index.
    multi = layers.IntegerLookup(vocabulary=VOCAB, mask_token=0, output_mode="multi_hot")
    np.testing.assert_array_equal(np.asarray(multi(np.array([[12, 0, 0]]))), [[0, 1, 0, 0, 0]])


@pytest.mark.parametrize("kwargs, x, expected", [
    ({"output_mode": "one_hot"}, np.array([12, 36, 1138, 42, 7]), np.eye(5)[[1, 2, 3, 4, 0]]),
    ({"output_mode": "multi_hot"}, np.array([[12, 1138, 42, 42], [42, 7, 36, 7]]), [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]),
    ({"output_mode": "count"}, np.array([[12, 1138, 42, 42], [42, 7, 36, 7]]), [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]),
    ({"output_mode": "tf_idf", "idf_weights": [0.25, 0.75, 0.6, 0.4]}, np.array([[12, 1138, 42, 42], [42, 7, 36, 7]]),
     [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]]),
    ({"output_mode": "count", "max_tokens": 8, "pad_to_max_tokens": True}, np.array([[12, 7]]),
     [[1, 1, 0, 0, 0, 0, 0, 0]]),
])
def test_integer_lookup_output_modes_match_keras(kwargs, x, expected):
    layer = layers.IntegerLookup(vocabulary=VOCAB, **kwargs)
    out = np.asarray(layer(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(jit_apply(layer, x), expected, rtol=1e-6)
    assert layer.compute_output_shape(x.shape) == out.shape
    sym = layers.IntegerLookup(vocabulary=VOCAB, **kwargs)(jkeras.Input(shape=x.shape[1:], dtype="int32"))
    assert sym.shape == (None,) + out.shape[1:]


def test_integer_lookup_adapt_tf_idf_and_max_tokens():
    docs = np.array([[1, 1, 2], [2, 3, 3], [2, 4, 5]])
    layer = layers.IntegerLookup(output_mode="tf_idf")
    layer.adapt(docs)
    assert layer.get_vocabulary() == [-1, 2, 3, 1, 5, 4]
    idf = np.log(1 + 3 / (1 + np.array([3, 1, 1, 1, 1])))
    np.testing.assert_allclose(layer.idf_weights, np.concatenate([[idf.astype("float32").mean()], idf]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(layer(np.array([[2, 2, 9]]))), [[idf.mean(), 2 * idf[0], 0, 0, 0, 0]],
                               rtol=1e-5)
    capped = layers.IntegerLookup(max_tokens=3, mask_token=0)
    capped.adapt(np.array([0, 0, 0, 7, 7, 8, 9, 9, 9]))
    assert capped.get_vocabulary() == [0, -1, 9]


def test_integer_lookup_config_matches_keras_and_round_trips():
    layer = layers.IntegerLookup(vocabulary=np.array(VOCAB), mask_token=0)
    config = json.loads(json.dumps(layer.get_config()))
    assert set(config) == KERAS_INDEX_LOOKUP_CONFIG_KEYS
    assert config["vocabulary"] == VOCAB and config["vocabulary_size"] == 6 and config["oov_token"] == -1
    clone = layers.IntegerLookup.from_config(config)
    x = np.array([[12, 0, 99, 42]])
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(layer(x)))
    adapted = layers.IntegerLookup(output_mode="count")
    adapted.adapt(np.array([[5, 5, 6], [7, 5, 6]]))
    clone = layers.IntegerLookup.from_config(json.loads(json.dumps(adapted.get_config())))
    assert clone.get_vocabulary() == adapted.get_vocabulary() == [-1, 5, 6, 7]
    np.testing.assert_array_equal(np.asarray(clone(np.array([[5, 8]]))), np.asarray(adapted(np.array([[5, 8]]))))


def test_integer_lookup_errors():
    with pytest.raises(ValueError, match="max_tokens"):
        layers.IntegerLookup(max_tokens=1)
    with pytest.raises(ValueError, match="num_oov_indices"):
        layers.IntegerLookup(num_oov_indices=-1)
    with pytest.raises(ValueError, match="output_mode"):
        layers.IntegerLookup(output_mode="bogus")
    with pytest.raises(ValueError, match="invert"):
        layers.IntegerLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="vocabulary_dtype"):
        layers.IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="idf_weights"):
        layers.IntegerLookup(vocabulary=VOCAB, output_mode="tf_idf")
    with pytest.raises(ValueError, match="salt"):
        layers.IntegerLookup(salt=3)
    with pytest.raises(ValueError, match="repeated"):
        layers.IntegerLookup(vocabulary=[1, 2, 1])
    with pytest.raises(ValueError, match="mask_token"):
        layers.IntegerLookup(vocabulary=[1, 0, 2], mask_token=0)
    with pytest.raises(ValueError, match="max_tokens"):
        layers.IntegerLookup(vocabulary=[1, 2, 3], max_tokens=3)
    with pytest.raises(ValueError, match="static vocabulary"):
        layers.IntegerLookup(vocabulary=VOCAB).adapt(np.array([1, 2]))
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layers.IntegerLookup(vocabulary=VOCAB, num_oov_indices=0)(np.array([12, 5]))
    with pytest.raises(RuntimeError, match="vocabulary"):
        layers.IntegerLookup(output_mode="multi_hot")(np.array([[1, 2]]))


def test_unadapted_int_lookup_maps_everything_to_oov():
    layer = layers.IntegerLookup()
    np.testing.assert_array_equal(np.asarray(layer(np.array([3, 4]))), [0, 0])
    assert layer.get_vocabulary() == [-1] and layer.vocabulary_size() == 1

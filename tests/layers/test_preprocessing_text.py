"""StringLookup and TextVectorization against Keras 3.

Keras's versions need TensorFlow (not installed), so they are checked against the expected values of
Keras's own docstrings and tests (computed by TensorFlow; each test names its source in
keras/src/layers/preprocessing/), against NumPy / Python reference computations written here, and
against jkeras's IntegerLookup for the shared index-lookup core.
"""
import json
import string

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jkeras
from jkeras import layers
from jkeras.utils.object_registry import register_keras_serializable

VOCAB = ["a", "b", "c", "d"]
DATA = [["a", "c", "d"], ["d", "z", "b"]]
ENCODE_DATA = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]


def arr(x):
    return np.asarray(x)


# ----------------------------------------------------------------------------------------------
# StringLookup


def test_string_lookup_docstring_examples_match_keras():
    # string_lookup.py docstring: "known vocabulary", "adapted vocabulary", "multiple OOV indices".
    layer = layers.StringLookup(vocabulary=VOCAB)
    out = layer(DATA)
    assert isinstance(out, jax.Array) and out.dtype == jnp.int32
    np.testing.assert_array_equal(arr(out), [[1, 3, 4], [4, 0, 2]])
    adapted = layers.StringLookup()
    adapted.adapt(DATA)
    assert adapted.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    np.testing.assert_array_equal(arr(adapted(DATA)), [[5, 3, 1], [1, 2, 4]])
    two_oov = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=2)  # FarmHash64 buckets: m -> 0, z -> 1
    np.testing.assert_array_equal(arr(two_oov([["a", "c", "d"], ["m", "z", "b"]])), [[2, 4, 5], [0, 1, 3]])
    # "Inverse lookup" and "forward and inverse lookup pairs".
    inverse = layers.StringLookup(vocabulary=VOCAB, invert=True)
    expected = [["a", "c", "d"], ["d", "[UNK]", "b"]]
    np.testing.assert_array_equal(inverse([[1, 3, 4], [4, 0, 2]]), expected)
    np.testing.assert_array_equal(inverse(layer(DATA)), expected)


@pytest.mark.parametrize("mode, kwargs, data, expected", [
    # string_lookup.py docstring: one-hot, multi-hot, token count, TF-IDF (both idf variants).
    ("one_hot", {}, ["a", "b", "c", "d", "z"], np.eye(5)[[1, 2, 3, 4, 0]]),
    ("multi_hot", {}, ENCODE_DATA, [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]),
    ("count", {}, ENCODE_DATA, [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]),
    ("tf_idf", {"idf_weights": [0.25, 0.75, 0.6, 0.4]}, ENCODE_DATA,
     [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]]),
    ("tf_idf", {"idf_weights": [0.9, 0.25, 0.75, 0.6, 0.4], "vocabulary": ["[UNK]"] + VOCAB}, ENCODE_DATA,
     [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]]),
])
def test_string_lookup_output_modes_match_keras_docstring(mode, kwargs, data, expected):
    kwargs = dict(kwargs)
    vocabulary = kwargs.pop("vocabulary", VOCAB)
    layer = layers.StringLookup(output_mode=mode)
    layer.set_vocabulary(vocabulary, **kwargs)
    out = layer(data)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(arr(out), expected, rtol=1e-6)
    assert layer.compute_output_shape(np.shape(data)) == out.shape


def test_string_lookup_keras_unit_tests():
    # string_lookup_test.py: adapt_flow, fixed_vocabulary, set_vocabulary, output_mode_count_shape,
    # output_mode_multi_hot_binary, mask_token_basic, get_vocabulary_include_special_tokens_false.
    adapted = layers.StringLookup(output_mode="int")
    adapted.adapt(["a", "a", "a", "b", "b", "c"])
    np.testing.assert_array_equal(arr(adapted(["b", "c", "d"])), [2, 3, 0])
    np.testing.assert_array_equal(arr(layers.StringLookup(vocabulary=["a", "b", "c"])(["b", "c", "d"])), [2, 3, 0])
    settable = layers.StringLookup()
    settable.set_vocabulary(["a", "b", "c"])
    np.testing.assert_array_equal(arr(settable(np.array(["b", "c", "d"]))), [2, 3, 0])
    count = layers.StringLookup(vocabulary=["a", "b"], output_mode="count")
    np.testing.assert_array_equal(arr(count(["a", "a", "a", "b", "b"])), [0, 3, 2])
    np.testing.assert_array_equal(arr(layers.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot")(["a", "b"])),
                                  [0, 1, 1])
    assert int(layers.StringLookup(vocabulary=["a"], mask_token="[MASK]")(["[MASK]", "a"])[0]) == 0
    assert layers.StringLookup(vocabulary=["a", "b", "c"]).get_vocabulary(include_special_tokens=False) == \
        ["a", "b", "c"]
    # test_salt_siphash: a salt changes the OOV buckets (SipHash64 instead of FarmHash64).
    oov = ["x", "y", "z", "w", "v", "u"]
    farm = arr(layers.StringLookup(vocabulary=["a", "b", "c"], num_oov_indices=4)(oov))
    sip = arr(layers.StringLookup(vocabulary=["a", "b", "c"], num_oov_indices=4, salt=[137, 42])(oov))
    assert not np.array_equal(farm, sip) and farm.max() < 4 and sip.max() < 4


def test_string_lookup_vocabulary_file_and_generators(tmp_path):
    # string_lookup_test.py: test_vocabulary_file, test_adapt_with_generator, ..._infinite_generator_and_steps.
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n")
    layer = layers.StringLookup(vocabulary=str(path), oov_token="[OOV]", mask_token="[MASK]")
    assert layer.get_vocabulary() == ["[MASK]", "[OOV]", "a", "b", "c"]
    np.testing.assert_array_equal(arr(layer(["c", "[MASK]", "q"])), [4, 0, 1])
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9\nna\xefve\n".encode("latin-1"))
    latin_layer = layers.StringLookup(vocabulary=str(latin), encoding="latin-1")
    assert latin_layer.get_vocabulary() == ["[UNK]", "café", "naïve"]
    np.testing.assert_array_equal(arr(latin_layer(np.array(["naïve".encode("latin-1"), b"x"]))), [2, 0])

    def gen():
        yield ["cat", "dog"]
        yield ["bird", "cat"]

    from_gen = layers.StringLookup()
    from_gen.adapt(gen())
    assert from_gen.get_vocabulary() == ["[UNK]", "cat", "dog", "bird"]

    def forever():
        while True:
            yield ["cat", "dog", "cat"]
            yield ["zebra"] * 9

    stepped = layers.StringLookup()
    stepped.adapt(forever(), steps=1)
    assert stepped.get_vocabulary() == ["[UNK]", "cat", "dog"]


def test_string_lookup_adapt_order_ties_and_max_tokens():
    rng = np.random.default_rng(0)
    words = np.array(["b", "B", "a", "é", "z", "aa", "ab", "Z", "ä"])
    data = rng.choice(words, size=(40, 3), p=[0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05])
    layer = layers.StringLookup()
    layer.adapt(data)
    # Keras's finalize_state: np.lexsort((tokens, counts))[::-1] on the UTF-8 bytes of the tokens.
    tokens, counts = np.unique(data, return_counts=True)
    keys = np.array([t.encode("utf-8") for t in tokens])
    expected = tokens[np.lexsort((keys, counts))[::-1]].tolist()
    assert layer.get_vocabulary() == ["[UNK]"] + expected
    # Ties: decreasing token order (bytes), e.g. "é" (0xc3...) before "z" before "b" before "B".
    ties = layers.StringLookup()
    ties.adapt(["b", "B", "z", "é", "a", "a"])
    assert ties.get_vocabulary() == ["[UNK]", "a", "é", "z", "b", "B"]
    capped = layers.StringLookup(max_tokens=4, mask_token="[PAD]", num_oov_indices=1)
    capped.adapt(np.array(["[PAD]"] * 9 + ["[UNK]"] * 9 + ["x"] * 3 + ["y"] * 3 + ["w"]))
    assert capped.get_vocabulary() == ["[PAD]", "[UNK]", "y", "x"]  # special tokens are not counted


@pytest.mark.parametrize("kwargs", [
    {},
    {"mask_token": 0},
    {"num_oov_indices": 3, "oov_method": "farmhash"},
    {"num_oov_indices": 2, "oov_method": "farmhash", "salt": 7},
    {"output_mode": "multi_hot", "mask_token": 0},
    {"output_mode": "count", "num_oov_indices": 2, "oov_method": "farmhash"},
    {"output_mode": "one_hot"},
    {"output_mode": "count", "max_tokens": 9, "pad_to_max_tokens": True},
])
def test_string_lookup_shares_integer_lookup_core(kwargs):
    # IntegerLookup with oov_method="farmhash" hashes the decimal strings of its ints, so a
    # StringLookup over those strings must give the same indices, encodings and vocabulary.
    ints = np.array([[12, 0, 7, 1138], [42, 42, 36, 99999], [5, 12, 0, 3]])
    vocab = [12, 36, 1138, 42]
    int_kwargs = dict(kwargs)
    str_kwargs = {k: v for k, v in kwargs.items() if k != "oov_method"}
    if "mask_token" in kwargs:
        str_kwargs["mask_token"] = str(kwargs["mask_token"])
    int_layer = layers.IntegerLookup(vocabulary=vocab, **int_kwargs)
    str_layer = layers.StringLookup(vocabulary=[str(v) for v in vocab], **str_kwargs)
    np.testing.assert_array_equal(arr(str_layer(ints.astype(str))), arr(int_layer(ints)))
    special = {-1: "[UNK]", 0: "0"}
    assert str_layer.get_vocabulary() == [special.get(t, str(t)) for t in int_layer.get_vocabulary()]
    # Adapt on zero-padded strings (their order equals the ints' order): same vocabulary order.
    counts = np.array([[3, 3, 1, 2], [2, 2, 9, 7], [3, 1, 9, 0]])
    int_adapted = layers.IntegerLookup(**{k: v for k, v in int_kwargs.items() if k != "mask_token"})
    str_adapted = layers.StringLookup(**{k: v for k, v in str_kwargs.items() if k != "mask_token"})
    int_adapted.adapt(counts)
    str_adapted.adapt(np.char.zfill(counts.astype(str), 3))
    assert str_adapted.get_vocabulary(False) == [f"{t:03d}" for t in int_adapted.get_vocabulary(False)]


def test_string_lookup_oov_mask_and_invert():
    with pytest.raises(ValueError, match="StringLookup.*num_oov_indices=0.*'q'"):
        layers.StringLookup(vocabulary=VOCAB, num_oov_indices=0)(["a", "q"])
    no_oov = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=0, mask_token="")
    np.testing.assert_array_equal(arr(no_oov(["", "a", "d"])), [0, 1, 4])
    masked = layers.StringLookup(vocabulary=VOCAB, mask_token="[M]", num_oov_indices=2)
    assert masked.get_vocabulary() == ["[M]", "[UNK]", "[UNK]"] + VOCAB
    np.testing.assert_array_equal(arr(masked([["[M]", "a", "d"]])), [[0, 3, 6]])
    # Outside "int" mode the mask takes no index and is dropped; OOV strings still count.
    multi = layers.StringLookup(vocabulary=VOCAB, mask_token="[M]", output_mode="count")
    np.testing.assert_array_equal(arr(multi([["[M]", "[M]", "q", "a"]])), [[1, 1, 0, 0, 0]])
    inverse = layers.StringLookup(vocabulary=VOCAB, mask_token="[M]", num_oov_indices=2,
                                  oov_token="?", invert=True)
    out = inverse(np.array([[0, 1, 2, 3, 6, 7, -1]]))
    assert out.dtype.kind == "U"
    np.testing.assert_array_equal(out, [["[M]", "?", "?", "a", "d", "?", "?"]])
    with pytest.raises(ValueError, match="mask_token"):
        layers.StringLookup(vocabulary=["a", "[M]"], mask_token="[M]")
    with pytest.raises(ValueError, match="repeated"):
        layers.StringLookup(vocabulary=["a", "b", "a"])


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(), (5,), (4, 3), (2, 3, 4), (3, 1)])
def test_host_encoding_matches_the_jax_core(mode, shape):
    # The text layers encode on the host (no one-hot tensor for multi_hot / count); IntegerLookup's
    # jittable `_encode` is the reference, out-of-range indices (-1: mask, 6 >= depth) included.
    from jkeras.layers import preprocessing_numeric, preprocessing_text

    idx = np.random.default_rng(sum(shape) + len(shape)).integers(-1, 7, shape)
    expected = np.asarray(preprocessing_numeric._encode(jnp.asarray(idx), mode, 6, "float32"))
    np.testing.assert_array_equal(preprocessing_text._encode_on_host(idx, mode, 6), expected)


def test_string_lookup_adapt_tf_idf_reference():
    docs = [["x", "x", "y"], ["y", "z", "z"], ["y", "w", "v"]]
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    assert layer.get_vocabulary() == ["[UNK]", "y", "z", "x", "w", "v"]
    doc_freq = np.array([3, 1, 1, 1, 1])
    idf = np.log(1 + len(docs) / (1 + doc_freq))  # index_lookup.py: _inverse_document_frequency
    idf = np.concatenate([[idf.mean()], idf])
    out = arr(layer([["y", "y", "q", "z"]]))
    np.testing.assert_allclose(out, [[idf[0], 2 * idf[1], idf[2], 0, 0, 0]], rtol=1e-6)


def test_string_lookup_config_round_trip():
    # string_lookup_test.py test_config: Keras's keys (IndexLookup's minus vocabulary_dtype, plus encoding).
    layer = layers.StringLookup(output_mode="int", vocabulary=["a", "b", "c"], oov_token="[OOV]",
                                mask_token="[MASK]")
    config = json.loads(json.dumps(layer.get_config()))
    assert set(config) == {
        "name", "trainable", "dtype", "invert", "max_tokens", "num_oov_indices", "oov_token", "mask_token",
        "output_mode", "sparse", "pad_to_max_tokens", "idf_weights", "vocabulary", "vocabulary_size",
        "oov_method", "salt", "encoding",
    }
    assert config["vocabulary"] == ["a", "b", "c"]
    clone = layers.StringLookup.from_config(config)
    x = [["c", "[MASK]", "q"]]
    np.testing.assert_array_equal(arr(clone(x)), [[4, 0, 1]])
    adapted = layers.StringLookup(output_mode="tf_idf")
    adapted.adapt([["p", "p", "q"], ["q", "r", "s"]])
    clone = layers.StringLookup.from_config(json.loads(json.dumps(adapted.get_config())))
    assert clone.get_vocabulary() == adapted.get_vocabulary() == ["[UNK]", "q", "p", "s", "r"]
    np.testing.assert_allclose(arr(clone([["p", "s", "k"]])), arr(adapted([["p", "s", "k"]])), rtol=1e-6)
    assert isinstance(layers.deserialize(layers.serialize(layer)), layers.StringLookup)


# ----------------------------------------------------------------------------------------------
# TextVectorization


def test_text_vectorization_docstring_and_keras_unit_tests(tmp_path):
    # text_vectorization.py docstring and text_vectorization_test.py test_adapt_flow / test_fixed_vocabulary /
    # test_set_vocabulary / test_get_vocabulary / test_vocabulary_size / test_vocabulary_from_file.
    layer = layers.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    out = layer([["foo qux bar"], ["qux baz"]])
    assert isinstance(out, jax.Array) and out.dtype == jnp.int32
    np.testing.assert_array_equal(arr(out), [[4, 1, 3, 0], [1, 2, 0, 0]])
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    fixed = layers.TextVectorization(output_sequence_length=4, vocabulary=["baz", "bar", "foo"])
    np.testing.assert_array_equal(arr(fixed([["foo qux bar"], ["qux baz"]])), [[4, 1, 3, 0], [1, 2, 0, 0]])
    settable = layers.TextVectorization(output_sequence_length=4)
    settable.set_vocabulary(["baz", "bar", "foo"])
    np.testing.assert_array_equal(arr(settable(["foo qux bar", "qux baz"])), [[4, 1, 3, 0], [1, 2, 0, 0]])
    earth = layers.TextVectorization(max_tokens=5000, vocabulary=["earth", "wind", "and", "fire"])
    assert earth.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    assert earth.get_vocabulary(include_special_tokens=False) == ["earth", "wind", "and", "fire"]
    assert earth.vocabulary_size() == 6
    path = tmp_path / "vocab.txt"
    path.write_text("foo\nbar\nbaz\n")
    np.testing.assert_array_equal(arr(layers.TextVectorization(vocabulary=str(path))(["foo bar baz unknown"])),
                                  [[2, 3, 4, 1]])
    capped = layers.TextVectorization(max_tokens=5)  # test_max_tokens
    capped.adapt(["a b c d e f g h i j"])
    assert capped.get_vocabulary() == ["", "[UNK]", "j", "i", "h"]


@pytest.mark.parametrize("kwargs, data, expected", [
    # text_vectorization_test.py: the standardization, splitting and output-mode tests.
    ({"standardize": "lower_and_strip_punctuation", "vocabulary": ["hello", "world", "this", "is", "nice", "test"]},
     ["Hello, World!. This is just a nice test!"], [[2, 3, 4, 5, 1, 1, 6, 7]]),
    ({"standardize": "lower", "vocabulary": ["hello,", "hello", "world", "this", "is", "nice", "test"]},
     ["Hello, World!. This is just a nice test!"], [[2, 1, 5, 6, 1, 1, 7, 1]]),
    ({"standardize": "strip_punctuation", "vocabulary": ["Hello", "World", "Test"]},
     ["Hello, World! Test."], [[2, 3, 4]]),
    ({"standardize": None, "vocabulary": ["Hello", "world"]}, ["Hello hello"], [[2, 1]]),
    ({"split": "character", "vocabulary": list("abcde")}, ["abcf"], [[2, 3, 4, 1]]),
    ({"split": None, "vocabulary": ["foo", "bar", "baz"]}, [["foo"], ["bar"], ["unknown"]], [[2], [3], [1]]),
    ({"output_mode": "multi_hot", "vocabulary": ["foo", "bar", "baz"]}, [["foo bar"], ["baz foo foo"]],
     [[0, 1, 1, 0], [0, 1, 0, 1]]),
    ({"output_mode": "count", "vocabulary": ["foo", "bar", "baz"]}, ["foo bar", "baz foo foo"],
     [[0, 1, 1, 0], [0, 2, 0, 1]]),
    ({"output_mode": "tf_idf", "vocabulary": ["foo", "bar", "baz"], "idf_weights": [0.3, 0.5, 0.2]},
     ["foo bar", "baz foo foo"], [[0.0, 0.3, 0.5, 0.0], [0.0, 0.6, 0.0, 0.2]]),
])
def test_text_vectorization_matches_keras_tests(kwargs, data, expected):
    layer = layers.TextVectorization(**kwargs)
    out = layer(data)
    assert out.dtype == (jnp.int32 if layer.get_config()["output_mode"] == "int" else jnp.float32)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-6)


def test_text_vectorization_standardize_and_split_reference():
    texts = ["ÉCOLE d'Été: A+B=C\t(x_y)\n\n  new-line…  ¡Hola!", "  ", "A.B,C;d"]
    layer = layers.TextVectorization(standardize="lower_and_strip_punctuation", split="whitespace")
    layer.adapt(texts)
    # Reference: ASCII lowercase (tf.strings.lower's default), the 32 ASCII punctuation characters
    # stripped (Keras's regex is exactly string.punctuation), split on ASCII whitespace.
    lower = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
    strip = str.maketrans("", "", string.punctuation)
    tokens = [t.translate(lower).translate(strip).split() for t in texts]
    assert tokens[0] == ["École", "dÉté", "abc", "xy", "newline…", "¡hola"]
    assert sorted(layer.get_vocabulary(False)) == sorted({t for row in tokens for t in row})
    out = arr(layer(texts))
    vocab = layer.get_vocabulary()
    expected = np.zeros((3, 6), int)
    for i, row in enumerate(tokens):
        expected[i, :len(row)] = [vocab.index(t) for t in row]
    np.testing.assert_array_equal(out, expected)
    lower_only = layers.TextVectorization(standardize="lower", split=None, vocabulary=["a.b,c;d", "École"])
    np.testing.assert_array_equal(arr(lower_only(np.array(["A.B,C;d", "ÉCOLE", "école"]))), [2, 3, 1])
    chars = layers.TextVectorization(standardize=None, split="character", vocabulary=["é", "b"],
                                     output_sequence_length=5)
    np.testing.assert_array_equal(arr(chars(["éb é", "ébébébéb"])), [[2, 3, 1, 2, 0], [2, 3, 2, 3, 2]])


def test_text_vectorization_custom_callables_and_bytes():
    # text_vectorization_test.py test_python_standardize_callable_non_tf_backend: a NumPy str array in.
    seen = []

    def np_standardize(text):
        seen.append((type(text), text.dtype.kind))
        return np.char.replace(np.char.lower(text), ",", "")

    layer = layers.TextVectorization(standardize=np_standardize)
    layer.adapt(["Hello, world."])
    assert seen and all(s == (np.ndarray, "U") for s in seen)
    assert layer.get_vocabulary() == ["", "[UNK]", "world.", "hello"]
    # test_custom_splitting, with a NumPy callable (one token list per example): the default
    # standardization strips "|" first, hence Keras's [[4]].
    def split_bars(x):
        return [s.split("|") for s in x]

    vocab = ["foo", "bar", "foobar"]
    np.testing.assert_array_equal(arr(layers.TextVectorization(split=split_bars, vocabulary=vocab)(["foo|bar"])),
                                  [[4]])
    split = layers.TextVectorization(standardize=None, split=split_bars, vocabulary=vocab)
    np.testing.assert_array_equal(arr(split(["foo|bar", "foobar"])), [[2, 3], [4, 0]])
    as_bytes = layers.TextVectorization(vocabulary=["olá", "mundo"])
    np.testing.assert_array_equal(arr(as_bytes(np.array(["Olá mundo".encode()]))), [[2, 3]])


@pytest.mark.parametrize("ngrams, expected_tokens", [
    (2, ["a", "b", "c", "d", "a b", "b c", "c d"]),
    ((1, 3), ["a", "b", "c", "d", "a b c", "b c d"]),
    ((3, 2), ["a b c", "b c d", "a b", "b c", "c d"]),
    (5, ["a", "b", "c", "d", "a b", "b c", "c d", "a b c", "b c d", "a b c d"]),
])
def test_text_vectorization_ngrams(ngrams, expected_tokens):
    # tf.strings.ngrams(..., separator=" "): each width's n-grams in order, widths in the given order
    # (text_vectorization_test.py test_ngrams_integer / test_ngrams_tuple check the vocabularies).
    vocab = ["a", "b", "c", "d", "a b", "b c", "c d", "a b c", "b c d", "a b c d"]
    layer = layers.TextVectorization(ngrams=ngrams, vocabulary=vocab)
    out = arr(layer(["A b, c d", "a"]))
    expected = [vocab.index(t) + 2 for t in expected_tokens]
    np.testing.assert_array_equal(out[0], expected)
    assert out[1].tolist() == ([2] if 1 in layer._ngrams else []) + [0] * (len(expected) - (1 in layer._ngrams))
    adapted = layers.TextVectorization(ngrams=ngrams)
    adapted.adapt(["a b c d"])
    assert sorted(adapted.get_vocabulary(False)) == sorted(expected_tokens)


def test_text_vectorization_sequence_length_and_shapes():
    layer = layers.TextVectorization(vocabulary=["a", "b", "c"])
    np.testing.assert_array_equal(arr(layer(["a b c a b", "", "c"])), [[2, 3, 4, 2, 3], [0] * 5, [4, 0, 0, 0, 0]])
    assert layer(["", ""]).shape == (2, 0)
    assert layer("a q").tolist() == [2, 1]
    for length, expected in [(2, [[2, 3], [4, 0]]), (4, [[2, 3, 4, 2], [4, 0, 0, 0]]), (0, [[], []])]:
        padded = layers.TextVectorization(vocabulary=["a", "b", "c"], output_sequence_length=length)
        np.testing.assert_array_equal(arr(padded(["a b c a b", "c"])).reshape(2, length), expected)
        assert padded.compute_output_shape((None,)) == (None, length)
    no_split = layers.TextVectorization(split=None, vocabulary=["a", "b"], output_sequence_length=3)
    np.testing.assert_array_equal(arr(no_split([["a", "q"], ["b", "a"]])), [[2, 1, 0], [3, 2, 0]])
    hot = layers.TextVectorization(output_mode="multi_hot", vocabulary=["a", "b"], max_tokens=8,
                                   pad_to_max_tokens=True)  # test_pad_to_max_tokens
    out = hot(["a b", "b"])
    np.testing.assert_array_equal(arr(out), [[0, 1, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0]])
    assert hot.compute_output_shape((None,)) == (None, 8)
    one_hot = layers.TextVectorization(output_mode="one_hot", vocabulary=["a", "b"])
    np.testing.assert_array_equal(arr(one_hot(["b q", "a"])), [[[0, 0, 1], [1, 0, 0]], [[0, 1, 0], [0, 0, 0]]])
    unsplit_count = layers.TextVectorization(output_mode="count", split=None, vocabulary=["a b", "c"])
    np.testing.assert_array_equal(arr(unsplit_count(["A B", "c", "d"])), [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert unsplit_count.compute_output_shape((None,)) == (None, 3)


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_text_vectorization_adapted_encodings_reference(mode):
    texts = ["the cat sat", "the cat the dog", "a dog", "The end."]
    layer = layers.TextVectorization(output_mode=mode, max_tokens=5)
    layer.adapt(texts)
    assert layer.get_vocabulary() == ["[UNK]", "the", "dog", "cat", "sat"]
    docs = [t.lower().replace(".", "").split() for t in texts]
    vocab = layer.get_vocabulary()
    counts = np.array([[sum(vocab.index(t) == j if t in vocab else j == 0 for t in doc) for j in range(5)]
                       for doc in docs], np.float32)
    if mode == "multi_hot":
        expected = np.minimum(counts, 1)
    elif mode == "count":
        expected = counts
    else:
        doc_freq = np.array([sum(t in doc for doc in docs) for t in vocab[1:]])
        idf = np.log(1 + len(docs) / (1 + doc_freq))
        expected = counts * np.concatenate([[idf.mean()], idf])
    np.testing.assert_allclose(arr(layer(texts)), expected, rtol=1e-6)


@register_keras_serializable(package="TextTest")
def _keep_vowels(text):
    return np.char.translate(np.char.lower(text), str.maketrans("", "", "bcdfghjklmnpqrstvwxyz"))


@pytest.mark.parametrize("kwargs", [
    {"output_sequence_length": 5, "ngrams": (1, 2)},
    {"output_mode": "tf_idf", "ngrams": 2},
    {"standardize": _keep_vowels, "split": "character", "max_tokens": 6},
])
def test_text_vectorization_config_round_trip(kwargs):
    texts = ["Alpha beta, gamma", "beta BETA delta", "epsilon alpha"]
    layer = layers.TextVectorization(**kwargs)
    layer.adapt(texts)
    config = json.loads(json.dumps(layer.get_config()))
    assert set(config) >= {"max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length",
                           "pad_to_max_tokens", "sparse", "ragged", "vocabulary", "idf_weights", "encoding",
                           "vocabulary_size"}
    clone = layers.TextVectorization.from_config(config)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_allclose(arr(clone(texts + ["zeta"])), arr(layer(texts + ["zeta"])), rtol=1e-6)
    assert layers.deserialize(layers.serialize(layer)).get_vocabulary() == layer.get_vocabulary()


def test_text_vectorization_errors():
    with pytest.raises(ValueError, match="ngrams"):
        layers.TextVectorization(ngrams="invalid")  # text_vectorization_test.py test_invalid_ngrams
    with pytest.raises(ValueError, match="output_sequence_length` must not be set"):
        layers.TextVectorization(output_mode="multi_hot", output_sequence_length=5)
    with pytest.raises(ValueError, match="ragged"):
        layers.TextVectorization(ragged=True)  # test_raises_exception_ragged_tensor
    with pytest.raises(ValueError, match="sparse"):
        layers.TextVectorization(output_mode="count", sparse=True)
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="split"):
        layers.TextVectorization(split="comma")
    with pytest.raises(ValueError, match="last dimension must be 1"):
        layers.TextVectorization(vocabulary=["a"])([["a", "b"]])
    with pytest.raises(ValueError, match="static vocabulary"):
        layers.TextVectorization(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(ValueError, match="expects strings"):
        layers.TextVectorization(vocabulary=["a"])(np.array([1, 2]))
    with pytest.raises(RuntimeError, match="vocabulary"):
        layers.TextVectorization(output_mode="multi_hot")(["a"])


def test_symbolic_and_traced_inputs_raise_a_clear_error():
    for layer in (layers.TextVectorization(vocabulary=["a"]), layers.StringLookup(vocabulary=["a"])):
        with pytest.raises(ValueError, match=f"{type(layer).__name__} '{layer.name}'.*symbolic KerasTensor.*"
                                             r"model\.fit\(x, y\)"):
            layer(jkeras.Input(shape=(1,)))
    inverse = layers.StringLookup(vocabulary=["a"], invert=True)
    with pytest.raises(ValueError, match="StringLookup.*traced JAX value"):
        jax.jit(lambda x: inverse.apply(inverse.get_variables(), x)[0])(jnp.array([1, 0]))


def test_model_trains_on_text_vectorization_output():
    rng = np.random.default_rng(0)
    good, bad = ["great", "fine", "superb", "nice"], ["awful", "bad", "poor", "dull"]
    filler = ["the", "movie", "was", "plot", "acting", "really"]
    texts, labels = [], []
    for i in range(96):
        label = i % 2
        words = list(rng.choice(filler, 5)) + list(rng.choice(good if label else bad, 2))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + "!")
        labels.append(label)
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=8)
    vectorize.adapt(texts)
    x, y = vectorize(texts), np.array(labels, np.float32)
    assert x.shape == (96, 8) and int(x.max()) < 20
    jkeras.utils.set_random_seed(0)
    model = jkeras.Sequential([
        layers.Embedding(20, 8),
        layers.GlobalAveragePooling1D(),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=jkeras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert history.history["accuracy"][-1] > 0.9

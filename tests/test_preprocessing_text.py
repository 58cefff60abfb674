"""`jkeras.preprocessing.text` / `.sequence` against Keras 3's legacy implementation (the reference)."""
import collections
import hashlib
import json
import random
import warnings

import numpy as np
import pytest
from keras.src.legacy.preprocessing import sequence as ksequence
from keras.src.legacy.preprocessing import text as ktext
from keras.src.legacy.preprocessing.text import Tokenizer as KerasTokenizer

import jkeras as keras
from jkeras.preprocessing import sequence, text
from jkeras.preprocessing.sequence import TimeseriesGenerator, make_sampling_table, pad_sequences, skipgrams
from jkeras.preprocessing.text import Tokenizer, hashing_trick, one_hot, text_to_word_sequence, tokenizer_from_json

# Punctuation, case, tabs / line breaks, repeated words and count ties ("b"/"c" and "dog"/"cat").
CORPUS = [
    "The cat sat on the mat.",
    "The DOG ate the cat's dinner!",
    "A dog, a cat; and a bird?\tThe end\n",
    "b c b c dog cat",
    "Unseen-words: zebra, yak.",
]
UNSEEN = ["the zebra and the unicorn", "", "wombat cat dog", "b c d e f the the the"]
CONFIGS = [
    {},
    {"num_words": 5},
    {"oov_token": "<OOV>"},
    {"num_words": 6, "oov_token": "OOV"},
    {"oov_token": "cat"},  # an oov_token that is also a word of the corpus
    {"lower": False, "filters": ".,!", "split": " "},
    {"char_level": True},
    {"char_level": True, "num_words": 8, "oov_token": "?"},
    {"analyzer": lambda s: s.upper().split("a")},
]


def _fit(config, texts=CORPUS):
    ours, theirs = Tokenizer(**config), KerasTokenizer(**config)
    ours.fit_on_texts(texts)
    theirs.fit_on_texts(texts)
    return ours, theirs


def _assert_state_equal(ours, theirs):
    assert isinstance(ours.word_counts, collections.OrderedDict)
    assert list(ours.word_counts.items()) == list(theirs.word_counts.items())
    assert dict(ours.word_docs) == dict(theirs.word_docs)
    assert dict(ours.index_docs) == dict(theirs.index_docs)
    assert list(ours.word_index.items()) == list(theirs.word_index.items())
    assert ours.index_word == theirs.index_word
    assert ours.document_count == theirs.document_count


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(sorted(c)) or "default")
def test_tokenizer_matches_keras(config):
    ours, theirs = _fit(config)
    _assert_state_equal(ours, theirs)
    for texts in (CORPUS, UNSEEN):
        seqs = ours.texts_to_sequences(texts)
        assert seqs == theirs.texts_to_sequences(texts)
        assert list(ours.texts_to_sequences_generator(iter(texts))) == seqs
        assert ours.sequences_to_texts(seqs) == theirs.sequences_to_texts(seqs)
        for mode in ("binary", "count", "tfidf", "freq"):
            np.testing.assert_allclose(ours.texts_to_matrix(texts, mode=mode),
                                       theirs.texts_to_matrix(texts, mode=mode), rtol=1e-12)
    # indices outside the vocabulary, beyond num_words, and 0
    odd = [[0, 1, 2, 3, 50, 7, 9, 1], [], [4, 4, 4]]
    assert ours.sequences_to_texts(odd) == theirs.sequences_to_texts(odd)
    assert list(ours.sequences_to_texts_generator(iter(odd))) == ours.sequences_to_texts(odd)
    assert ours.get_config() == theirs.get_config()
    assert ours.to_json(sort_keys=True) == theirs.to_json(sort_keys=True)


def test_word_index_order_and_num_words_cutoff():
    tok = Tokenizer(num_words=3)
    tok.fit_on_texts(["x y z z y", "w y"])
    # y: 3, z: 2, x and w tie at 1 (x first); index 0 is never a word; fitting indexes every word
    assert tok.word_index == {"y": 1, "z": 2, "x": 3, "w": 4}
    assert tok.texts_to_sequences(["w x y z q"]) == [[1, 2]]
    assert tok.texts_to_matrix(["w x y z q"]).shape == (1, 3)
    tok = Tokenizer(num_words=3, oov_token="<unk>")
    tok.fit_on_texts(["x y z z y", "w y"])
    assert tok.word_index["<unk>"] == 1 and tok.word_index["y"] == 2
    assert tok.texts_to_sequences(["w x y z q"]) == [[1, 1, 2, 1, 1]]
    assert tok.sequences_to_texts([[1, 2, 3, 99]]) == ["<unk> y <unk> <unk>"]


def test_fit_on_texts_accumulates_and_token_lists():
    ours, theirs = Tokenizer(), KerasTokenizer()
    for batch in (CORPUS[:2], CORPUS[2:], [["Pre", "tokenized", "cat", "cat"]]):
        ours.fit_on_texts(batch)
        theirs.fit_on_texts(batch)
        _assert_state_equal(ours, theirs)
    assert ours.texts_to_sequences([["CAT", "pre", "nope"]]) == theirs.texts_to_sequences([["CAT", "pre", "nope"]])


def test_fit_on_sequences_and_tfidf():
    seqs = [[1, 2, 2, 3], [3, 3, 4], [], [1, 5, 5, 5, 5]]
    ours, theirs = Tokenizer(num_words=7), KerasTokenizer(num_words=7)
    ours.fit_on_sequences(seqs)
    theirs.fit_on_sequences(seqs)
    assert ours.document_count == theirs.document_count == 4
    assert dict(ours.index_docs) == dict(theirs.index_docs)
    for mode in ("binary", "count", "tfidf", "freq"):
        np.testing.assert_allclose(ours.sequences_to_matrix(seqs, mode=mode),
                                   theirs.sequences_to_matrix(seqs, mode=mode), rtol=1e-12)
    m = ours.sequences_to_matrix([[5, 5]], mode="tfidf")
    assert m[0, 5] == pytest.approx((1 + np.log(2)) * np.log(1 + 4 / (1 + 1)))
    assert ours.sequences_to_matrix([[2, 2, 9]], mode="freq")[0, 2] == pytest.approx(2 / 3)


def test_matrix_errors():
    with pytest.raises(ValueError, match="num_words"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="num_words"):
        KerasTokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="tfidf"):
        Tokenizer(num_words=4).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match="tfidf"):
        KerasTokenizer(num_words=4).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match="'onehot'"):
        Tokenizer(num_words=4).sequences_to_matrix([[1]], mode="onehot")
    with pytest.raises(ValueError):
        KerasTokenizer(num_words=4).sequences_to_matrix([[1]], mode="onehot")
    with pytest.raises(TypeError, match="bogus"):
        Tokenizer(bogus=1)
    with pytest.raises(TypeError):
        KerasTokenizer(bogus=1)


def test_constructor_arguments():
    tok = Tokenizer(document_count=3)
    assert tok.document_count == 3
    tok.fit_on_texts(["a b"])
    assert tok.document_count == 4
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert Tokenizer(nb_words=9).num_words == 9
    assert any("num_words" in str(x.message) for x in w)


@pytest.mark.parametrize("config", [{}, {"num_words": 6, "oov_token": "<OOV>"}, {"char_level": True}])
def test_json_round_trip(config):
    ours, theirs = _fit(config)
    restored = tokenizer_from_json(ours.to_json())
    reference = ktext.tokenizer_from_json(theirs.to_json())
    _assert_state_equal(restored, reference)
    _assert_state_equal(restored, ours)
    assert restored.num_words == ours.num_words and restored.oov_token == ours.oov_token
    assert restored.char_level == ours.char_level
    for texts in (CORPUS, UNSEEN):
        assert restored.texts_to_sequences(texts) == reference.texts_to_sequences(texts)
        for mode in ("binary", "tfidf"):
            np.testing.assert_allclose(restored.texts_to_matrix(texts, mode=mode),
                                       ours.texts_to_matrix(texts, mode=mode))
    # unlike Keras's restored dicts, ours keep fitting
    restored.fit_on_texts([["brand"]])
    assert restored.word_docs["brand"] == 1 and "brand" in restored.word_index
    assert restored.document_count == ours.document_count + 1


def test_text_to_word_sequence_one_hot_hashing_trick():
    for s in CORPUS + UNSEEN:
        assert text_to_word_sequence(s) == ktext.text_to_word_sequence(s)
        assert text_to_word_sequence(s, lower=False, filters="", split="a") == \
            ktext.text_to_word_sequence(s, lower=False, filters="", split="a")
        assert one_hot(s, 7) == ktext.one_hot(s, 7)
        for fn in ("md5", None, len):
            assert hashing_trick(s, 11, hash_function=fn) == ktext.hashing_trick(s, 11, hash_function=fn)
        assert hashing_trick(s, 11, "md5", analyzer=str.split) == ktext.hashing_trick(s, 11, "md5", analyzer=str.split)
    # md5 is stable across processes: these values are fixed
    assert hashing_trick("The cat sat", 1000, hash_function="md5") == [
        int(hashlib.md5(w.encode()).hexdigest(), 16) % 999 + 1 for w in ("the", "cat", "sat")]
    assert all(1 <= i < 3 for i in one_hot(" ".join(CORPUS), 3))
    with pytest.raises(ValueError, match="hash_function"):
        hashing_trick("a b", 5, hash_function="sha1")


def _batches(gen):
    return [gen[i] for i in range(len(gen))]


TS_CONFIGS = [
    dict(length=3),
    dict(length=5, sampling_rate=2, batch_size=4),
    dict(length=4, stride=3, batch_size=5),
    dict(length=2, start_index=4, end_index=30, batch_size=7, reverse=True),
    dict(length=6, sampling_rate=3, stride=2, start_index=1, end_index=40, batch_size=3, reverse=True),
    dict(length=10, batch_size=32),
    dict(length=49, batch_size=2),
]


@pytest.mark.parametrize("config", TS_CONFIGS, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_timeseries_generator_matches_keras(config):
    data = np.arange(50 * 2, dtype="float32").reshape(50, 2)
    targets = np.arange(50) * 10
    ours = TimeseriesGenerator(data, targets, **config)
    theirs = ksequence.TimeseriesGenerator(data, targets, **config)
    assert isinstance(ours, keras.utils.Sequence)
    assert len(ours) == len(theirs) > 0
    for (x, y), (kx, ky) in zip(_batches(ours), _batches(theirs)):
        np.testing.assert_array_equal(x, kx)
        np.testing.assert_array_equal(y, ky)
    # lists work too
    listed = TimeseriesGenerator(data.tolist(), targets.tolist(), **config)
    np.testing.assert_array_equal(listed[0][0], ours[0][0])


def test_timeseries_generator_windows():
    data = np.arange(20)
    gen = TimeseriesGenerator(data, data, length=4, sampling_rate=2, stride=3, batch_size=2, reverse=True)
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[2, 0], [5, 3]])
    np.testing.assert_array_equal(y, [4, 7])
    assert len(gen) == 3  # rows 4, 7, 10, 13, 16, 19


def test_timeseries_generator_shuffle():
    data = np.arange(40 * 3).reshape(40, 3)
    targets = np.arange(40)
    kwargs = dict(length=5, sampling_rate=2, start_index=2, end_index=35, batch_size=16)
    ordered = TimeseriesGenerator(data, targets, **kwargs)
    windows = {(tuple(map(tuple, x)), t) for xb, yb in _batches(ordered) for x, t in zip(xb, yb)}
    shuffled = TimeseriesGenerator(data, targets, shuffle=True, **kwargs)
    assert len(shuffled) == len(ordered)
    seen = set()
    for i in range(20):
        xb, yb = shuffled[i % len(shuffled)]
        assert xb.shape == (16, 3, 3)
        seen |= {(tuple(map(tuple, x)), t) for x, t in zip(xb, yb)}
    assert seen <= windows and len(seen) > len(windows) // 2
    # same global NumPy RNG use as Keras
    np.random.seed(3)
    a = shuffled[0]
    np.random.seed(3)
    b = ksequence.TimeseriesGenerator(data, targets, shuffle=True, **kwargs)[0]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_timeseries_generator_errors_and_config():
    with pytest.raises(ValueError, match="len\\(targets\\)=9"):
        TimeseriesGenerator(np.zeros(10), np.zeros(9), length=2)
    with pytest.raises(ValueError, match="end_index=9"):
        TimeseriesGenerator(np.zeros(10), np.zeros(10), length=10)
    gen = TimeseriesGenerator(np.arange(10), list(range(10)), length=2, start_index=1, batch_size=3,
                              workers=2, max_queue_size=4)
    assert gen.workers == 2 and gen.max_queue_size == 4
    config = gen.get_config()
    assert json.loads(config["data"]) == list(range(10)) and json.loads(config["targets"]) == list(range(10))
    assert {k: v for k, v in config.items() if k not in ("data", "targets")} == dict(
        length=2, sampling_rate=1, stride=1, start_index=3, end_index=9, shuffle=False, reverse=False, batch_size=3)
    assert json.loads(gen.to_json()) == {"class_name": "TimeseriesGenerator", "config": config}
    with pytest.raises(TypeError, match="data"):
        TimeseriesGenerator([object()] * 5, list(range(5)), length=1).get_config()


def test_make_sampling_table_matches_keras():
    for size, factor in ((1, 1e-5), (10, 1e-5), (1000, 1e-3), (50, 0.5)):
        np.testing.assert_array_equal(make_sampling_table(size, factor), ksequence.make_sampling_table(size, factor))
    table = make_sampling_table(10000)
    assert table.shape == (10000,) and np.all(np.diff(table[1:]) >= 0) and table.max() <= 1.0  # rarer: kept more often


@pytest.mark.filterwarnings("ignore:non-integer arguments to randrange")  # Keras's randint(0, 10e6)
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(window_size=2, negative_samples=0.5, categorical=True),
    dict(window_size=1, negative_samples=0.0, shuffle=False),
    dict(window_size=3, negative_samples=2.0, shuffle=False),
    dict(sampling_table="table"),
])
def test_skipgrams_matches_keras(kwargs):
    seq = [3, 0, 7, 1, 1, 9, 4, 0, 2, 8, 5, 6]
    if kwargs.get("sampling_table") == "table":
        kwargs = dict(kwargs, sampling_table=make_sampling_table(10, sampling_factor=0.05))
    for seed in (None, 5):
        random.seed(11)
        ours = skipgrams(seq, 10, seed=seed, **kwargs)
        random.seed(11)
        theirs = ksequence.skipgrams(seq, 10, seed=seed, **kwargs)
        assert ours == theirs
    couples, labels = ours
    assert len(couples) == len(labels) > 0
    positive = [1] if not kwargs.get("categorical") else [0, 1]
    for (w, c), label in zip(couples, labels):
        assert 0 < w < 10 and 0 < c < 10
        if label == positive:
            i = [k for k, v in enumerate(seq) if v == w]
            assert any(c in seq[max(0, k - kwargs.get("window_size", 4)):k + kwargs.get("window_size", 4) + 1]
                       for k in i)


def test_module_exports():
    assert set(sequence.__all__) == {"pad_sequences", "TimeseriesGenerator", "make_sampling_table", "skipgrams"}
    assert sequence.pad_sequences is keras.utils.data_utils.pad_sequences
    assert keras.preprocessing.text.Tokenizer is Tokenizer
    for name in text.__all__:
        assert callable(getattr(text, name))


def test_model_trains_on_timeseries_generator():
    t = np.linspace(0, 8 * np.pi, 200).astype("float32")
    data = np.stack([np.sin(t), np.cos(t)], axis=-1)
    gen = TimeseriesGenerator(data, data[:, 0], length=10, sampling_rate=2, batch_size=32)
    model = keras.models.Sequential([keras.layers.Flatten(input_shape=(5, 2)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(gen, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    history = model.fit_generator(gen, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_model_trains_on_tokenizer_output():
    texts = ["good movie great fun", "bad movie awful plot", "great acting good fun", "awful bad boring"] * 8
    labels = np.array([1, 0, 1, 0] * 8, dtype="float32")
    tokenizer = Tokenizer(num_words=20, oov_token="<OOV>")
    tokenizer.fit_on_texts(texts)
    data = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=6)
    assert data.shape == (32, 6) and data.max() < 20
    model = keras.models.Sequential([keras.layers.Embedding(20, 4, input_length=6), keras.layers.Flatten(),
                                     keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert np.isfinite(model.fit(data, labels, batch_size=8, epochs=1, verbose=0).history["loss"][0])
    matrix = tokenizer.texts_to_matrix(texts, mode="binary")
    dense = keras.models.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(20,))])
    dense.compile(optimizer="adam", loss="binary_crossentropy")
    assert np.isfinite(dense.fit(matrix, labels, epochs=1, verbose=0).history["loss"][0])

"""jkeras.datasets, get_file and pad_sequences.

Nothing is downloaded: every test writes small files in the datasets' exact formats into a
temporary Keras cache, and any download other than a local `file://` copy fails the test. The
references are NumPy worked by hand and Keras 3's own loaders reading the same files.
"""
import gzip
import hashlib
import io
import json
import os
import pathlib
import pickle
import tarfile
import urllib.parse
import urllib.request

import keras
import numpy as np
import pytest

import jkeras
from jkeras import datasets
from jkeras.utils import data_utils

RNG = np.random.default_rng(0)
_real_urlretrieve = urllib.request.urlretrieve


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class _Home(type(pathlib.Path())):
    """The cache folder, with `.fetched`: the URLs the code under test asked for."""


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh Keras cache (`$KERAS_HOME`); only `file://` URLs can be fetched."""
    fetched = []

    def local_only(url, filename=None, reporthook=None, data=None):
        fetched.append(url)
        if urllib.parse.urlsplit(url).scheme != "file":
            raise AssertionError(f"a test tried to download {url}")
        return _real_urlretrieve(url, filename, reporthook, data)

    monkeypatch.setattr(urllib.request, "urlretrieve", local_only)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    os.makedirs(tmp_path / "keras_home" / "datasets")
    home = _Home(tmp_path / "keras_home")
    home.fetched = fetched
    return home


def cached(home, name, module, attribute="_HASH", subdir="datasets"):
    """The cache path of `name`; `module.attribute` is set to the hash of the file written there."""
    path = home / subdir / name

    def register(monkeypatch):
        monkeypatch.setattr(module, attribute, sha256(path))

    return path, register


@pytest.fixture
def keras_reads(home, monkeypatch):
    """Points Keras 3's loaders at the same cache, accepting the generated files' hashes."""
    from keras.src.backend import config
    from keras.src.utils import file_utils

    monkeypatch.setattr(config, "_KERAS_DIR", str(home))
    monkeypatch.setattr(file_utils, "validate_file", lambda *args, **kwargs: True)

    def no_download(url, *args, **kwargs):
        raise AssertionError(f"Keras tried to download {url}")

    monkeypatch.setattr(file_utils, "urlretrieve", no_download)


# ------------------------------------------------------------------------------------------
# Image and table datasets


def test_mnist(home, monkeypatch):
    arrays = {"x_train": RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_train": RNG.integers(0, 10, 5).astype(np.uint8),
              "x_test": RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": RNG.integers(0, 10, 3).astype(np.uint8)}
    path, register = cached(home, "mnist.npz", datasets.mnist)
    np.savez(path, **arrays)
    register(monkeypatch)
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    for got, name in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")):
        np.testing.assert_array_equal(got, arrays[name])
        assert got.dtype == np.uint8
    assert home.fetched == []


def test_a_cached_file_with_another_hash_is_downloaded_again(home):
    np.savez(home / "datasets" / "mnist.npz", x_train=np.zeros(1))
    with pytest.raises(AssertionError, match="tried to download https://storage.googleapis.com/"
                                             "tensorflow/tf-keras-datasets/mnist.npz"):
        datasets.mnist.load_data()  # Keras's real hash does not match the generated file


def idx_file(path, magic, array):
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist(home):
    os.makedirs(home / "datasets" / "fashion-mnist")
    sub = home / "datasets" / "fashion-mnist"
    x_train, x_test = RNG.integers(0, 256, (4, 28, 28)), RNG.integers(0, 256, (2, 28, 28))
    y_train, y_test = RNG.integers(0, 10, 4), RNG.integers(0, 10, 2)
    idx_file(sub / "train-labels-idx1-ubyte.gz", 2049, y_train)
    idx_file(sub / "train-images-idx3-ubyte.gz", 2051, x_train)
    idx_file(sub / "t10k-labels-idx1-ubyte.gz", 2049, y_test)
    idx_file(sub / "t10k-images-idx3-ubyte.gz", 2051, x_test)
    (a, b), (c, d) = datasets.fashion_mnist.load_data()
    expected = ((a, x_train, (4, 28, 28)), (b, y_train, (4,)), (c, x_test, (2, 28, 28)), (d, y_test, (2,)))
    for got, want, shape in expected:
        assert got.shape == shape and got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


def cifar_archive(path, inner, members, protocol):
    """A .tar.gz of pickled batch dicts with bytes keys, the CIFAR "python version" layout.

    The real files are Python 2 pickles, whose byte strings load as `bytes` with
    `encoding="bytes"`; Python 3 writes the same with protocol 3 (protocol 2 adds `_codecs.encode`).
    """
    with tarfile.open(path, "w:gz") as tar:
        for name, batch in members.items():
            raw = pickle.dumps({k.encode(): v for k, v in batch.items()}, protocol=protocol)
            info = tarfile.TarInfo(f"{inner}/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def batch(n, **labels):
    return {"batch_label": b"training batch", "data": RNG.integers(0, 256, (n, 3072), dtype=np.uint8),
            "filenames": [b"img.png"] * n, **{k: list(map(int, v)) for k, v in labels.items()}}


def test_cifar10(home, monkeypatch):
    # (Keras's own loader needs 10,000 images per batch file, so the reference here is NumPy.)
    members = {f"data_batch_{i}": batch(2, labels=RNG.integers(0, 10, 2)) for i in range(1, 6)}
    members["test_batch"] = batch(3, labels=RNG.integers(0, 10, 3))
    path, register = cached(home, "cifar-10-batches-py-target_archive", datasets.cifar10)
    cifar_archive(path, "cifar-10-batches-py", members, protocol=2)
    register(monkeypatch)
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    assert y_train.shape == (10, 1) and y_test.shape == (3, 1)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    first = members["data_batch_1"]["data"][1].reshape(3, 32, 32)  # channels, rows, columns
    np.testing.assert_array_equal(x_train[1], first.transpose(1, 2, 0))
    np.testing.assert_array_equal(y_test[:, 0], members["test_batch"]["labels"])


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras(home, monkeypatch, keras_reads, label_mode):
    members = {name: batch(n, fine_labels=RNG.integers(0, 100, n), coarse_labels=RNG.integers(0, 20, n))
               for name, n in (("train", 4), ("test", 2))}
    path, register = cached(home, "cifar-100-python-target_archive", datasets.cifar100)
    cifar_archive(path, "cifar-100-python", members, protocol=3)
    register(monkeypatch)
    ours = datasets.cifar100.load_data(label_mode)
    theirs = keras.datasets.cifar100.load_data(label_mode)
    assert ours[0][0].shape == (4, 32, 32, 3) and ours[1][1].shape == (2, 1)
    for a, b in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="label_mode"):
        datasets.cifar100.load_data("medium")


def test_boston_housing(home, monkeypatch):
    x, y = RNG.standard_normal((10, 13)), RNG.uniform(5, 50, 10)
    path, register = cached(home, "boston_housing.npz", datasets.boston_housing)
    np.savez(path, x=x, y=y)
    register(monkeypatch)
    (x_train, y_train), (x_test, y_test) = datasets.boston_housing.load_data(test_split=0.3, seed=5)
    order = np.arange(10)
    np.random.RandomState(5).shuffle(order)
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), x[order])
    np.testing.assert_array_equal(y_test, y[order][7:])
    assert x_train.shape == (7, 13) and x_train.dtype == np.float64
    with pytest.raises(ValueError, match="test_split"):
        datasets.boston_housing.load_data(test_split=1.0)


# ------------------------------------------------------------------------------------------
# Word-index datasets


def ragged(n, low=2, high=9, vocab=30):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = RNG.integers(0, vocab, RNG.integers(low, high)).tolist()
    return out


def test_imdb_word_indices(home, monkeypatch):
    x_train, x_test = ragged(6), ragged(4)
    y_train, y_test = RNG.integers(0, 2, 6), RNG.integers(0, 2, 4)
    path, register = cached(home, "imdb.npz", datasets.imdb)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    register(monkeypatch)
    (a, b), (c, d) = datasets.imdb.load_data(seed=7)
    rng = np.random.RandomState(7)
    train_order, test_order = rng.permutation(6), rng.permutation(4)
    expected = [np.concatenate([[1], np.asarray(s) + 3]) for s in list(x_train[train_order]) + list(x_test[test_order])]
    largest = max(int(e.max()) for e in expected)
    expected = [np.where(e < largest, e, 2) for e in expected]  # the largest index counts as out of range
    assert a.dtype == object and a.shape == (6,) and c.shape == (4,)
    for got, want in zip(list(a) + list(c), expected):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(b, y_train[train_order])
    np.testing.assert_array_equal(d, y_test[test_order])
    (a, _), _ = datasets.imdb.load_data(seed=7, num_words=10, skip_top=4, oov_char=None, start_char=None,
                                        index_from=0)
    for got, s in zip(a, x_train[train_order]):
        s = np.asarray(s)
        np.testing.assert_array_equal(got, s[(s >= 4) & (s < 10)])
    (a, b), _ = datasets.imdb.load_data(seed=7, maxlen=6)
    kept = [i for i in train_order if len(x_train[i]) + 1 < 6]
    assert [len(s) for s in a] == [len(x_train[i]) + 1 for i in kept]
    np.testing.assert_array_equal(b, y_train[kept])
    with pytest.raises(ValueError, match="maxlen"):
        datasets.imdb.load_data(maxlen=1)


@pytest.mark.parametrize("kwargs", [
    {}, {"num_words": 12, "skip_top": 5}, {"maxlen": 7, "oov_char": None}, {"start_char": None, "index_from": 0},
])
def test_imdb_and_reuters_match_keras(home, monkeypatch, keras_reads, kwargs):
    path, register = cached(home, "imdb.npz", datasets.imdb)
    np.savez(path, x_train=ragged(20), y_train=RNG.integers(0, 2, 20), x_test=ragged(15),
             y_test=RNG.integers(0, 2, 15))
    register(monkeypatch)
    ours, theirs = datasets.imdb.load_data(**kwargs), keras.datasets.imdb.load_data(**kwargs)
    rpath, register = cached(home, "reuters.npz", datasets.reuters)
    np.savez(rpath, x=ragged(25), y=RNG.integers(0, 46, 25))
    register(monkeypatch)
    ours_r = datasets.reuters.load_data(test_split=0.3, **kwargs)
    theirs_r = keras.datasets.reuters.load_data(test_split=0.3, **kwargs)
    for mine, ref in ((ours, theirs), (ours_r, theirs_r)):
        for a, b in zip(mine[0] + mine[1], ref[0] + ref[1]):
            assert len(a) == len(b)
            for s, t in zip(a, b):
                np.testing.assert_array_equal(s, t)


def test_word_index_and_keras1_nb_words(home, monkeypatch):
    path, register = cached(home, "imdb_word_index.json", datasets.imdb, "_INDEX_HASH")
    path.write_text(json.dumps({"the": 1, "and": 2}))
    register(monkeypatch)
    assert datasets.imdb.get_word_index() == {"the": 1, "and": 2}
    assert len(datasets.reuters.get_label_names()) == 46
    path, register = cached(home, "imdb.npz", datasets.imdb)
    np.savez(path, x_train=ragged(3), y_train=np.zeros(3), x_test=ragged(2), y_test=np.zeros(2))
    register(monkeypatch)
    with pytest.warns(UserWarning, match="nb_words"):
        (a, _), _ = datasets.imdb.load_data(nb_words=5, index_from=0, start_char=None)
    assert all(w < 5 for s in a for w in s)


def test_pickled_code_in_a_dataset_file_is_refused(home, monkeypatch):
    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    evil = np.empty(1, dtype=object)
    evil[0] = Payload()
    path, register = cached(home, "imdb.npz", datasets.imdb)
    np.savez(path, x_train=evil, y_train=np.zeros(1), x_test=evil, y_test=np.zeros(1))
    register(monkeypatch)
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        datasets.imdb.load_data()


# ------------------------------------------------------------------------------------------
# get_file


def test_get_file_downloads_verifies_and_caches(home, tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"jkeras" * 100)
    url = source.as_uri()
    digest, md5 = sha256(source), hashlib.md5(source.read_bytes()).hexdigest()
    path = data_utils.get_file("data.bin", origin=url, file_hash=digest)
    assert path == str(home / "datasets" / "data.bin") and sha256(path) == digest
    assert data_utils.get_file("data.bin", origin="https://example.invalid/data.bin", file_hash=md5) == path
    assert len(home.fetched) == 1  # the second call used the cache (its md5 matches too)
    custom = data_utils.get_file(origin=url, cache_dir=str(tmp_path / "elsewhere"), cache_subdir="sub")
    assert custom == str(tmp_path / "elsewhere" / "sub" / "source.bin")
    with pytest.raises(ValueError, match="fname must be a file name"):
        data_utils.get_file("a/b.bin", origin=url)


def test_get_file_checksum_failure_raises(home, tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"corrupted")
    with pytest.raises(ValueError, match="hash does not match"):
        data_utils.get_file("data.bin", origin=source.as_uri(), file_hash="0" * 64)
    assert os.listdir(home / "datasets") == []  # nothing bad left in the cache
    with pytest.raises(ValueError, match="md5"):
        data_utils.get_file("data.bin", origin=source.as_uri(), md5_hash="0" * 32)


def test_get_file_extracts_archives_safely(home, tmp_path):
    archive = tmp_path / "pack.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("pack/readme.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    folder = data_utils.get_file("pack", origin=archive.as_uri(), extract=True)
    assert folder == str(home / "datasets" / "pack")
    assert open(os.path.join(folder, "pack", "readme.txt")).read() == "hi"
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"no"))
    with pytest.raises(ValueError, match="escapes"):
        data_utils.get_file("evil", origin=evil.as_uri(), extract=True)
    assert not (home / "datasets" / "escaped.txt").exists()


# ------------------------------------------------------------------------------------------
# pad_sequences


@pytest.mark.parametrize("kwargs", [
    {}, {"maxlen": 3}, {"maxlen": 6, "padding": "post"}, {"maxlen": 2, "truncating": "post"},
    {"maxlen": 4, "padding": "post", "truncating": "post", "value": -1.0, "dtype": "float32"},
])
def test_pad_sequences_matches_keras(kwargs):
    sequences = [[1, 2, 3, 4], [5], [], [6, 7, 8, 9, 10, 11]]
    ours = jkeras.utils.pad_sequences(sequences, **kwargs)
    theirs = keras.utils.pad_sequences(sequences, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_items_and_errors():
    vectors = [np.ones((2, 3)), np.zeros((1, 3))]
    np.testing.assert_array_equal(jkeras.utils.pad_sequences(vectors, dtype="float32"),
                                  keras.utils.pad_sequences(vectors, dtype="float32"))
    words = jkeras.utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]
    with pytest.raises(ValueError, match="padding"):
        jkeras.utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="string value"):
        jkeras.utils.pad_sequences([[1]], value="x")
    with pytest.raises(ValueError, match="shape"):
        jkeras.utils.pad_sequences([np.ones((2, 3)), np.ones((1, 4))])

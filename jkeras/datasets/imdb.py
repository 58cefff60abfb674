"""IMDB movie reviews: 25,000 training and 25,000 test reviews labeled by sentiment (1 positive,
0 negative), each a list of word indices (words ranked by frequency; 0 is kept for padding)."""
import json

import numpy as np

from jkeras.datasets import _files
from jkeras.utils.data_utils import get_file

_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """Loads the IMDB reviews as word-index sequences (downloading `imdb.npz` once).

    The file stores ragged sequences as NumPy object arrays, which only pickle can hold; they are
    read with an unpickler that can only rebuild NumPy arrays.

    Args:
        path: file name in the cache (`~/.keras/datasets/`).
        num_words: keep the `num_words` most frequent words; others become `oov_char`.
        skip_top: also turn the `skip_top` most frequent indices into `oov_char`.
        maxlen: drop the reviews with `maxlen` or more words (start mark included).
        seed: seed of the shuffle of each split.
        start_char: index put at the start of every review (None: none).
        oov_char: index of words cut by `num_words` / `skip_top` (None: drop them).
        index_from: shift every word index by this.
        **kwargs: `nb_words`, the Keras 1 name of `num_words`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: 1-D object arrays of lists of ints, and int label arrays.

    Raises:
        ValueError: if `maxlen` leaves no review in a split.
    """
    num_words = _files.keras1_num_words("imdb.load_data", num_words, kwargs)
    f = _files.load_npz(get_file(fname=path, origin=_files.ORIGIN + "imdb.npz", file_hash=_HASH))
    rng = np.random.RandomState(seed)
    splits = []
    for name in ("train", "test"):
        x, labels = f["x_" + name], f["y_" + name]
        indices = np.arange(len(x))
        rng.shuffle(indices)
        splits.append((list(x[indices]), labels[indices]))
    (x_train, labels_train), (x_test, labels_test) = splits
    shifted = _files.shift_words(x_train + x_test, start_char, index_from)
    x_train, x_test = shifted[:len(x_train)], shifted[len(x_train):]
    if maxlen:
        x_train, labels_train = _files.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = _files.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}; increase maxlen")
    xs = _files.cut_words(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    at = len(x_train)
    return (_files.object_array(xs[:at]), labels[:at]), (_files.object_array(xs[at:]), labels[at:])


def get_word_index(path="imdb_word_index.json"):
    """The dict word -> index of the IMDB data (indices before the `index_from` shift)."""
    path = get_file(fname=path, origin=_files.ORIGIN + "imdb_word_index.json", file_hash=_INDEX_HASH)
    with open(path) as f:
        return json.load(f)

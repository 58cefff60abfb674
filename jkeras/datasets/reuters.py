"""Reuters newswires: 11,228 newswires labeled over 46 topics, each a list of word indices
(words ranked by frequency; 0 is kept for padding)."""
import json

import numpy as np

from jkeras.datasets import _files
from jkeras.utils.data_utils import get_file

_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
_LABELS = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
    "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
    "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
    "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """Loads the Reuters newswires as word-index sequences (downloading `reuters.npz` once).

    The file stores ragged sequences as NumPy object arrays, which only pickle can hold; they are
    read with an unpickler that can only rebuild NumPy arrays.

    Args:
        path: file name in the cache (`~/.keras/datasets/`).
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as in
            `imdb.load_data` (the shuffle is of the whole data, before the split).
        test_split: fraction of the data kept for testing.
        **kwargs: `nb_words`, the Keras 1 name of `num_words`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: 1-D object arrays of lists of ints, and int topic labels.
    """
    num_words = _files.keras1_num_words("reuters.load_data", num_words, kwargs)
    f = _files.load_npz(get_file(fname=path, origin=_files.ORIGIN + "reuters.npz", file_hash=_HASH))
    xs, labels = f["x"], f["y"]
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs, labels = _files.shift_words(list(xs[indices]), start_char, index_from), labels[indices]
    if maxlen:
        xs, labels = _files.drop_long(maxlen, xs, labels)
    xs = _files.cut_words(xs, num_words, skip_top, oov_char)
    at = int(len(xs) * (1 - test_split))
    labels = np.asarray(labels)
    return (_files.object_array(xs[:at]), np.array(labels[:at])), (_files.object_array(xs[at:]), np.array(labels[at:]))


def get_word_index(path="reuters_word_index.json"):
    """The dict word -> index of the Reuters data (indices before the `index_from` shift)."""
    path = get_file(path, origin=_files.ORIGIN + "reuters_word_index.json", file_hash=_INDEX_HASH)
    with open(path) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, in label order."""
    return _LABELS

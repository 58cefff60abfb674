"""Reading the dataset files without running code from them, and the imdb / reuters word-index
transformation.

Numeric `.npy` members are read with `allow_pickle=False`. Two formats need pickle: the ragged
word-index sequences of imdb / reuters (object arrays inside the `.npz`) and the CIFAR "python
version" batches (pickled dicts). Those are read with an unpickler that can only rebuild NumPy
arrays and dtypes: any other global in the stream (`os.system`, `builtins.eval`, ...) is refused.
"""
import io
import pickle
import zipfile

import numpy as np

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# Every global that rebuilding these arrays needs (NumPy 1 and 2 module names), and `_codecs.encode`,
# which protocol-2 pickles written by Python 3 use for bytes.
_ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("_codecs", "encode"),
})


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that builds NumPy arrays, lists, dicts, strings and numbers, and nothing else."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load `{module}.{name}` from a dataset file: the file is corrupted or was tampered with"
        )


def unpickle(fileobj, encoding="ASCII"):
    """Loads one pickle of arrays / containers from `fileobj` with the restricted unpickler."""
    return _ArrayUnpickler(fileobj, encoding=encoding).load()


def _read_npy(raw):
    fp = io.BytesIO(raw)
    version = np.lib.format.read_magic(fp)
    read_header = np.lib.format.read_array_header_1_0 if version[0] == 1 else np.lib.format.read_array_header_2_0
    _, _, dtype = read_header(fp)
    if not dtype.hasobject:
        return np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
    array = unpickle(fp, encoding="latin1")
    if not isinstance(array, np.ndarray):
        raise ValueError(f"expected an array in the dataset file, found a {type(array).__name__}")
    return array


def load_npz(path):
    """The arrays of an `.npz` file, as a dict (object arrays through the restricted unpickler)."""
    with zipfile.ZipFile(path) as archive:
        return {name[:-len(".npy")]: _read_npy(archive.read(name))
                for name in archive.namelist() if name.endswith(".npy")}


def load_cifar_batch(path, label_key="labels"):
    """`(data (n, 3, 32, 32) uint8, labels list)` from one CIFAR python-version batch file."""
    with open(path, "rb") as f:
        batch = unpickle(f, encoding="bytes")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def object_array(sequences):
    """A 1-D object array of the sequences (even when they all have one length)."""
    out = np.empty(len(sequences), dtype=object)
    for i, s in enumerate(sequences):
        out[i] = s
    return out


def shift_words(xs, start_char, index_from):
    """Keras's imdb / reuters shift: every index plus `index_from`, `start_char` put in front."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def cut_words(xs, num_words, skip_top, oov_char):
    """Indices outside `[skip_top, num_words)` become `oov_char` (or are dropped when it is None).

    With `num_words=None` the bound is the largest index seen, which is thus itself out of range
    (as in Keras).
    """
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def drop_long(maxlen, xs, labels):
    """The sequences shorter than `maxlen` (strictly, as Keras) and their labels."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def keras1_num_words(owner, num_words, kwargs):
    """`nb_words` (Keras 1) -> `num_words`, with one warning.

    Raises:
        TypeError: for any other keyword argument.
    """
    from jkeras.utils import legacy

    _, kwargs = legacy.LegacyInterface(renames={"nb_words": "num_words"}).convert(owner, (), dict(kwargs))
    num_words = kwargs.pop("num_words", num_words)
    if kwargs:
        raise TypeError(f"{owner}: unexpected keyword argument(s) {sorted(kwargs)}")
    return num_words


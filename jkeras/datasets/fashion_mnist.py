"""Fashion-MNIST: 60,000 28x28 grayscale images of 10 kinds of clothing, and 10,000 test images.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
8 Bag, 9 Ankle boot.
"""
import gzip
import os

import numpy as np

from jkeras.datasets import _files
from jkeras.utils.data_utils import get_file

_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
# Keras publishes no hashes for these four files, so none are checked (as in Keras).
_HASHES = {name: None for name in _FILES}


def _read(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data():
    """Loads Fashion-MNIST (downloading its four IDX files once into `~/.keras/datasets/fashion-mnist`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(60000, 28, 28)` / `(10000, 28, 28)`
        and uint8 labels 0-9 `(60000,)` / `(10000,)`.
    """
    paths = [get_file(name, origin=_files.ORIGIN + name, file_hash=_HASHES[name],
                      cache_subdir=os.path.join("datasets", "fashion-mnist")) for name in _FILES]
    y_train = _read(paths[0], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths[2], 8)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)

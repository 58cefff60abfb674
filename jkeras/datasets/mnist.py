"""MNIST: 60,000 28x28 grayscale images of the 10 digits, and 10,000 test images."""
import numpy as np

from jkeras.datasets import _files
from jkeras.utils.data_utils import get_file

_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Loads MNIST (downloading `mnist.npz` once into the Keras cache).

    Args:
        path: file name in the cache (`~/.keras/datasets/`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(60000, 28, 28)` / `(10000, 28, 28)`
        with values 0-255, and uint8 labels 0-9 `(60000,)` / `(10000,)`.
    """
    path = get_file(fname=path, origin=_files.ORIGIN + "mnist.npz", file_hash=_HASH)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])

"""What CIFAR-10 and CIFAR-100 share: the archive download and the batch-file reading."""
import os

import numpy as np

from jkeras.datasets import _files
from jkeras.utils.data_utils import get_file


def load(dirname, origin, file_hash, inner, train_files, test_file, label_key):
    """`(x_train, y_train), (x_test, y_test)` from the CIFAR python-version archive at `origin`.

    Images come out `(n, 32, 32, 3)` (or `(n, 3, 32, 32)` under "channels_first"), labels `(n, 1)`.
    """
    from jkeras import backend

    folder = os.path.join(get_file(fname=dirname, origin=origin, extract=True, file_hash=file_hash), inner)
    parts = [_files.load_cifar_batch(os.path.join(folder, name), label_key) for name in train_files]
    x_train = np.concatenate([data for data, _ in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(labels) for _, labels in parts])
    x_test, y_test = _files.load_cifar_batch(os.path.join(folder, test_file), label_key)
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.reshape(y_test, (len(y_test), 1))
    if backend.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)

"""CIFAR-10: 50,000 32x32 color training images and 10,000 test images in 10 classes.

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.
"""
from jkeras.datasets import _cifar

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """Loads CIFAR-10 (downloading and extracting the archive once into `~/.keras/datasets`).

    The archive's batches are Python pickles (the format CIFAR ships); they are read with an
    unpickler that only rebuilds NumPy arrays.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(50000, 32, 32, 3)` /
        `(10000, 32, 32, 3)` (channels first under "channels_first") and uint8 labels 0-9 of
        shape `(50000, 1)` / `(10000, 1)`.
    """
    (x_train, y_train), (x_test, y_test) = _cifar.load(
        "cifar-10-batches-py-target", _ORIGIN, _HASH, "cifar-10-batches-py",
        [f"data_batch_{i}" for i in range(1, 6)], "test_batch", "labels",
    )
    return (x_train, y_train.astype("uint8")), (x_test.astype("uint8"), y_test.astype("uint8"))

"""CIFAR-100: 50,000 32x32 color training images and 10,000 test images in 100 fine classes,
grouped into 20 coarse classes."""
from jkeras.datasets import _cifar

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """Loads CIFAR-100 (downloading and extracting the archive once into `~/.keras/datasets`).

    Args:
        label_mode: "fine" (100 classes) or "coarse" (20 superclasses).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(50000, 32, 32, 3)` /
        `(10000, 32, 32, 3)` and int64 labels of shape `(50000, 1)` / `(10000, 1)`.

    Raises:
        ValueError: for another `label_mode`.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'cifar100.load_data: label_mode must be "fine" or "coarse", got {label_mode!r}')
    return _cifar.load("cifar-100-python-target", _ORIGIN, _HASH, "cifar-100-python", ["train"], "test",
                       f"{label_mode}_labels")

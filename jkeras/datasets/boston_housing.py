"""Boston housing prices: 13 attributes of 506 houses near Boston in the 1970s, and their median value."""
import numpy as np

from jkeras.datasets import _files
from jkeras.utils.data_utils import get_file

_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston housing data, shuffled with `seed` and split into train and test.

    Args:
        path: file name in the cache (`~/.keras/datasets/`).
        test_split: fraction in [0, 1) of the data kept for testing.
        seed: seed of the shuffle before the split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float64 arrays `(n, 13)` and targets `(n,)`
        (thousands of dollars).

    Raises:
        ValueError: if `test_split` is not in [0, 1).
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1), got {test_split}")
    path = get_file(path, origin=_files.ORIGIN + "boston_housing.npz", file_hash=_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    at = int(len(x) * (1 - test_split))
    return (np.array(x[:at]), np.array(y[:at])), (np.array(x[at:]), np.array(y[at:]))

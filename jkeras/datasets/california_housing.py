"""California housing: 8 attributes of 20,640 census block groups of the 1990 U.S. census, and
their median house value in dollars (Keras 3's replacement of `boston_housing`)."""
import numpy as np

from jkeras.datasets import _files
from jkeras.utils.data_utils import get_file

_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
_SMALL = 600  # rows of the "small" version


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California housing data, shuffled with `seed` and split into train and test.

    Args:
        version: `"large"` (all 20,640 rows) or `"small"` (the first 600, a stand-in for
            `boston_housing`).
        path: file name in the cache (`~/.keras/datasets/`).
        test_split: fraction in [0, 1) of the data kept for testing.
        seed: seed of the shuffle before the split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: arrays `(n, 8)` (MedInc, HouseAge, AveRooms,
        AveBedrms, Population, AveOccup, Latitude, Longitude) and targets `(n,)` (dollars).

    Raises:
        ValueError: if `test_split` is not in [0, 1), or for an unknown `version`.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"california_housing.load_data: test_split must be in [0, 1), got {test_split}")
    if version not in ("small", "large"):
        raise ValueError(f"california_housing.load_data: version must be 'small' or 'large', got {version!r}")
    path = get_file(path, origin=_files.ORIGIN + "california_housing.npz", file_hash=_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:_SMALL], y[:_SMALL]
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    at = int(len(x) * (1 - test_split))
    return (np.array(x[:at]), np.array(y[:at])), (np.array(x[at:]), np.array(y[at:]))

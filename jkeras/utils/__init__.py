"""Utilities: seeds, names, labels, progress bars."""
from jkeras.utils.random import set_random_seed
from jkeras.utils.np_utils import to_categorical, normalize

__all__ = ["set_random_seed", "to_categorical", "normalize"]

"""The global seed: where a layer's initial weights, dropout masks and shuffles draw keys from.

This is shell state (a Python global). The pure core never reads it: it receives keys.
"""
import random as _py_random

import jax
import numpy as np

_seed = {"seed": None, "counter": 0}


def set_random_seed(seed):
    """Seeds Python, NumPy and jkeras, so that model building and `fit` repeat bit for bit.

    Args:
        seed: a non-negative int.

    Raises:
        ValueError: if `seed` is not a non-negative int.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be a non-negative int, got {seed!r}")
    _py_random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))
    _seed["seed"] = int(seed)
    _seed["counter"] = 0


def next_key():
    """Returns a fresh `jax.random` key from the global stream.

    Without `set_random_seed`, the stream starts from a seed drawn from NumPy's global RNG.
    """
    if _seed["seed"] is None:
        _seed["seed"] = int(np.random.randint(0, 2**31 - 1))
    key = jax.random.fold_in(jax.random.PRNGKey(_seed["seed"]), _seed["counter"])
    _seed["counter"] += 1
    return key

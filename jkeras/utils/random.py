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
    key = next_call_key()
    return jax.device_put(key) if isinstance(key, np.ndarray) else key


def next_call_key():
    """`next_key()`'s key, for a jitted call to take with its arguments: a NumPy uint32 pair
    where it is computed on the host (no transfer of its own), else a JAX key."""
    if _seed["seed"] is None:
        _seed["seed"] = int(np.random.randint(0, 2**31 - 1))
    seed, counter = _seed["seed"], _seed["counter"]
    _seed["counter"] += 1
    if seed < 2**31 and counter < 2**32 and _host_threefry():
        # `fold_in(PRNGKey(seed), counter)` computed here: the same bits without two dispatched
        # programs (about 0.1-0.25 ms of every `predict_on_batch` / `train_on_batch` / `fit`).
        return fold_in(np.array([0, seed], np.uint32), counter)
    return jax.random.fold_in(jax.random.PRNGKey(seed), counter)


def fold_in(key, data):
    """`jax.random.fold_in(key, data)`; on the host, with no dispatched program, for a NumPy key
    as `next_call_key` returns (an eager model call derives each layer's key so)."""
    if isinstance(key, np.ndarray) and key.shape == (2,) and key.dtype == np.uint32 \
            and 0 <= data < 2**32 and _host_threefry():
        return np.asarray(_threefry_2x32((int(key[0]), int(key[1])), (0, int(data))), np.uint32)
    return jax.random.fold_in(key, data)


def _host_threefry():
    """Whether keys are raw threefry-2x32 pairs, which `_threefry_2x32` computes as JAX does."""
    return jax.config.jax_default_prng_impl == "threefry2x32" and not jax.config.jax_enable_custom_prng


_MASK = 0xFFFFFFFF


def _threefry_2x32(key, count):
    """Threefry-2x32 (20 rounds) of one pair of uint32 words under `key`, as `jax.random`'s
    threefry2x32 computes it; `fold_in(key, data)` is this of `(0, data)`."""
    def rotate(v, d):
        return ((v << d) | (v >> (32 - d))) & _MASK

    rotations = ((13, 15, 26, 6), (17, 29, 16, 24))
    ks = (key[0], key[1], key[0] ^ key[1] ^ 0x1BD11BDA)
    x0, x1 = (count[0] + ks[0]) & _MASK, (count[1] + ks[1]) & _MASK
    for i in range(5):
        for r in rotations[i % 2]:
            x0 = (x0 + x1) & _MASK
            x1 = rotate(x1, r) ^ x0
        x0 = (x0 + ks[(i + 1) % 3]) & _MASK
        x1 = (x1 + ks[(i + 2) % 3] + i + 1) & _MASK
    return x0, x1

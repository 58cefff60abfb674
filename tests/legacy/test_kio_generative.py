"""Found by running the keras-io `examples/generative/` scripts (Keras 3 versions) on jkeras.

Each test compares with Keras 3 where it runs the same code, else with NumPy (where Keras 3's JAX
backend fails on code that the example's TensorFlow backend runs)."""
import keras
import numpy as np
import pytest

import jkeras
from jkeras import ops


def test_ops_repeat_takes_a_list_of_repeats_as_numpy():
    # conditional_gan.py: `ops.repeat(one_hot_labels[:, :, None, None], repeats=[28 * 28])`
    # (Keras 3's JAX backend raises "repeat requires ndarray or scalar arguments").
    x = np.arange(6, dtype="float32").reshape(2, 3, 1, 1)
    np.testing.assert_array_equal(np.asarray(ops.repeat(x, repeats=[4])), np.repeat(x, [4]))
    np.testing.assert_array_equal(np.asarray(ops.repeat(x, [1, 2], axis=0)), np.repeat(x, [1, 2], axis=0))
    np.testing.assert_array_equal(np.asarray(ops.repeat(x, (2,), axis=1)), np.repeat(x, (2,), axis=1))

"""`jkeras.Variable` (Keras 3's `keras.Variable`) against Keras 3."""
import keras
import numpy as np
import pytest

import jkeras


def _use(lib):
    v = lib.Variable(np.zeros((3,)), name="my_variable", dtype="float32")
    v.assign(np.ones((3,)))
    v.assign_add([1.0, 2.0, 3.0])
    v.assign_sub(np.full((3,), 0.5))
    ones = lib.Variable("ones", shape=(2,))
    as_given = [lib.Variable(value).dtype for value in (np.zeros(3), np.arange(3), [1.0, 2.0], np.zeros(2, "float16"), 3)]

    class Scaled(lib.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.scale = lib.Variable(np.full((units,), 2.0), name="scale", dtype="float32")
            self.offset = lib.Variable(np.ones((units,)), name="offset", trainable=False)

        def call(self, x):
            return x * self.scale + self.offset

    layer = Scaled(2)
    out = layer(np.arange(4, dtype="float32").reshape(2, 2))
    dense = lib.layers.Dense(2)
    dense.build((None, 3))
    return dict(
        value=np.asarray(v), dtype=v.dtype, name=v.name, shape=tuple(v.shape), ones=np.asarray(ones),
        ones_dtype=ones.dtype, inferred=as_given, out=np.asarray(out), arithmetic=np.asarray(v * 2 + 1),
        trainable=[w.name for w in layer.trainable_weights], non_trainable=[w.name for w in layer.non_trainable_weights],
        is_variable=[isinstance(v, lib.Variable), isinstance(dense.weights[0], lib.Variable)],
    )


def test_variable_matches_keras():
    ours, ref = _use(jkeras), _use(keras)
    assert ours.keys() == ref.keys()
    for key in ref:
        if isinstance(ref[key], np.ndarray):
            np.testing.assert_allclose(ours[key], ref[key], err_msg=key)
        else:
            assert ours[key] == ref[key], key


def test_variable_errors_name_the_problem():
    with pytest.raises(ValueError, match="shape"):
        jkeras.Variable("zeros")
    v = jkeras.Variable(np.zeros((2, 2)), name="w")
    with pytest.raises(ValueError, match="'w'.*shape"):
        v.assign(np.zeros(3))
    assert np.asarray(v).shape == (2, 2)  # unchanged, still usable

"""keras-io keras_recipes / structured_data examples (Keras 3 versions) run on jkeras: one compact
check per breakage found, compared with Keras 3 running the same code (or a NumPy formula)."""
import numpy as np
import pytest

import jkeras


def _selection_model(k):
    """classification_with_grn_and_vsn.py's pattern: a layer over a dict of inputs whose
    `build(self)` takes no shape, its sublayers built in `call`."""

    class Selection(k.layers.Layer):
        def __init__(self):
            super().__init__()
            self.proj = {name: k.layers.Dense(4) for name in ("a", "b")}
            self.out = k.layers.Dense(2)

        def call(self, inputs):
            parts = [self.proj[name](k.ops.expand_dims(inputs[name], -1)) for name in inputs]
            return self.out(k.layers.concatenate(parts))

        def build(self):
            self.built = True

    inputs = {name: k.Input(name=name, shape=(), dtype="float32") for name in ("a", "b")}
    return k.Model(inputs, Selection()(inputs))


def test_build_without_shape_argument_matches_keras():
    import keras

    jk, ref = _selection_model(jkeras), _selection_model(keras)
    assert jk.count_params() == ref.count_params() == 2 * 8 + 18
    jk.set_weights(ref.get_weights())
    x = {"a": np.arange(3, dtype="float32"), "b": np.ones(3, "float32")}
    np.testing.assert_allclose(jk.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)

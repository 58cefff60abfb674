"""Found by running keras-io vision examples (Keras 3 versions) on jkeras; each test compares with
Keras 3 running the same code."""
import keras
import numpy as np

import jkeras

X = np.random.default_rng(0).normal(size=(3, 4, 4, 2)).astype("float32")


def test_activation_functions_on_symbolic_tensors_record_an_operation():
    # mobilevit.py: `m = keras.activations.swish(m)` between layers of a functional model.
    def build(k):
        inputs = k.Input((4, 4, 2))
        m = k.layers.Conv2D(3, 1, use_bias=False)(inputs)
        m = k.activations.swish(m)
        m = k.activations.relu(m, max_value=0.5)
        return k.Model(inputs, k.layers.Dense(2)(m))

    ref, ours = build(keras), build(jkeras)
    assert len(ours.layers) == len(ref.layers)
    assert ours.output.shape == ref.output.shape
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    again = jkeras.Model.from_config(ours.get_config())
    again.set_weights(ref.get_weights())
    np.testing.assert_allclose(again.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-5, atol=1e-6)

"""Found by running keras-io vision examples (Keras 3 versions, second half of the list) on jkeras;
each test compares with Keras 3 running the same code."""
import keras
import numpy as np

import jkeras

X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")


def _structure(value):
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_structure(v) for v in value]]
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    return np.asarray(value).shape


def test_predict_keeps_a_nested_output_structure():
    # involution.py: `vis_model = keras.Model(inv_model.input, [layer.output ...])` where each
    # Involution layer returns `(output, kernel)`; `vis_model.predict` gives a list of pairs.
    def run(k):
        class Two(k.layers.Layer):
            def call(self, x):
                return x * 2, x + 1

        inputs = k.Input((3,))
        first = Two(name="t1")(inputs)
        second = Two(name="t2")(first[0])
        model = k.Model(inputs, [first, second])
        named = k.Model(inputs, {"p": first, "q": second[1]})
        return [model.predict(X, batch_size=2, verbose=0), model.predict_on_batch(X),
                named.predict(X, verbose=0)]

    expected, got = run(keras), run(jkeras)
    for ref, ours in zip(expected, got):
        assert _structure(ours) == _structure(ref)
        for a, b in zip(keras.tree.flatten(ref), jkeras.tree.flatten(ours)):
            np.testing.assert_allclose(b, a, rtol=1e-6)

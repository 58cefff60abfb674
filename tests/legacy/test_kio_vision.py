"""Found by running keras-io vision examples (Keras 3 versions) on jkeras; each test compares with
Keras 3 running the same code."""
import keras
import numpy as np
import pytest

import jkeras

X = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")


def test_activation_functions_on_symbolic_tensors_record_an_operation():
    # mobilevit.py: `m = keras.activations.swish(m)` between layers of a functional model.
    def build(k):
        inputs = k.Input((4,))
        m = k.activations.swish(k.layers.Dense(3, use_bias=False)(inputs))
        m = k.activations.relu(m, max_value=0.5)
        return k.Model(inputs, k.layers.Dense(2)(m))

    ref, ours = build(keras), build(jkeras)
    assert len(ours.layers) == len(ref.layers)
    assert ours.output.shape == ref.output.shape
    expected = np.asarray(ref(X))
    again = jkeras.Model.from_config(ours.get_config())
    for model in (ours, again):
        model.set_weights(ref.get_weights())
        np.testing.assert_allclose(np.asarray(model(X)), expected, rtol=1e-5, atol=1e-6)

def test_a_test_step_taking_the_batch_alone_is_named_in_the_error():
    # deit.py: `def test_step(self, data)` (TensorFlow / PyTorch form); on JAX Keras 3 calls
    # test_step(state, data) and fails with a bare TypeError; jkeras says which signature it needs.
    def run(k):
        class Distiller(k.Model):
            def __init__(self):
                super().__init__()
                self.student = k.layers.Dense(2)

            def call(self, x):
                return self.student(x)

            def test_step(self, data):
                x, y = data
                return {"loss": k.ops.mean((self.student(x) - y) ** 2)}

        model = Distiller()
        model.compile(optimizer="sgd", loss="mse")
        x = np.ones((4, 3), "float32")
        with pytest.raises(TypeError) as info:
            model.evaluate(x, np.zeros((4, 2), "float32"), verbose=0)
        return str(info.value)

    run(keras)
    message = run(jkeras)
    assert "Distiller.test_step" in message and "test_step(self, state, data)" in message
    assert "received `test_step(self, data)`" in message

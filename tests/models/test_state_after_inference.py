"""Non-trainable weights a `call` assigns keep their values after predict / evaluate / fit /
*_on_batch, as in Keras 3 (a counter layer run through each)."""
import keras
import numpy as np

import jkeras


def _counting_model(k):
    class Counter(k.layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

        def call(self, x):
            self.count.assign_add(1.0)
            return x

    counter = Counter()
    model = k.Sequential([k.Input((2,)), counter, k.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model, counter


def test_assigned_state_survives_every_entry_point_as_in_keras():
    counts = {}
    for k in (jkeras, keras):
        model, counter = _counting_model(k)
        x, y = np.ones((10, 2), "float32"), np.ones((10, 1), "float32")
        seen = []
        model.predict(x, batch_size=4, verbose=0)
        seen.append(float(np.asarray(counter.count)))
        model.evaluate(x, y, batch_size=4, verbose=0)
        seen.append(float(np.asarray(counter.count)))
        model.predict_on_batch(x[:3])
        model.test_on_batch(x[:3], y[:3])
        seen.append(float(np.asarray(counter.count)))
        model.fit(x, y, batch_size=4, epochs=2, verbose=0)
        seen.append(float(np.asarray(counter.count)))
        counts[k.__name__] = seen
    assert counts["jkeras"] == counts["keras"]

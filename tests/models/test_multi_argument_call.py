"""Layers whose `call` takes several tensors (`endpoint(targets, logits)`, `layer(x, context=c)`),
checked against Keras 3 running the same code."""
import json

import keras
import numpy as np
import pytest

import jkeras


def _classes(k):
    class LogisticEndpoint(k.layers.Layer):
        """The endpoint layer of Keras's "training with built-in methods" guide."""

        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = k.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            self.add_loss(self.loss_fn(targets, logits, sample_weights))
            return k.ops.softmax(logits)

    class Gated(k.layers.Layer):
        """Two tensors, a build taking each shape by name, and a static positional argument."""

        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, x_shape, context_shape):
            self.w = self.add_weight(shape=(x_shape[-1], self.units), name="w")
            self.v = self.add_weight(shape=(context_shape[-1], self.units), name="v")

        def call(self, x, context, scale=1.0):
            return scale * k.ops.matmul(x, self.w) * k.ops.sigmoid(k.ops.matmul(context, self.v))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return LogisticEndpoint, Gated


def _gated_model(k, Gated, context_as_kwarg):
    x = k.Input((4,), name="x")
    c = k.Input((2,), name="c")
    gated = Gated(name="gated")
    y = gated(x, context=c, scale=2.0) if context_as_kwarg else gated(x, c, scale=2.0)
    return k.Model([x, c], k.layers.Dense(1, name="head")(y))


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(6, 4)).astype("float32"), rng.normal(size=(6, 2)).astype("float32")


@pytest.mark.parametrize("context_as_kwarg", [False, True])
def test_functional_node_with_two_tensors_computes_as_keras(data, context_as_kwarg):
    ours = _gated_model(jkeras, _classes(jkeras)[1], context_as_kwarg)
    ref = _gated_model(keras, _classes(keras)[1], context_as_kwarg)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(list(data), verbose=0), ref.predict(list(data), verbose=0),
                               rtol=1e-5, atol=1e-6)
    gated = ours.get_layer("gated")
    assert [t.shape for t in gated.input] == [tuple(t.shape) for t in ref.get_layer("gated").input]


def test_config_is_keras_format_and_round_trips(data):
    LogisticEndpointJ, GatedJ = _classes(jkeras)
    _, GatedK = _classes(keras)
    ours = _gated_model(jkeras, GatedJ, context_as_kwarg=False)
    ref = _gated_model(keras, GatedK, context_as_kwarg=False)
    ours_node = ours.get_config()["layers"][2]
    ref_node = ref.get_config()["layers"][2]
    assert ours_node["name"] == ref_node["name"] == "gated"
    assert len(ours_node["inbound_nodes"][0]["args"]) == len(ref_node["inbound_nodes"][0]["args"]) == 2
    assert ours_node["inbound_nodes"][0]["kwargs"] == ref_node["inbound_nodes"][0]["kwargs"]
    assert json.loads(json.dumps(ours_node["build_config"])) == json.loads(json.dumps(ref_node["build_config"]))
    # Keras 3's own config (positional tensors + static scale) rebuilds the same graph in jkeras.
    rebuilt = jkeras.Model.from_config(json.loads(json.dumps(ref.get_config())),
                                       custom_objects={"Gated": GatedJ})
    rebuilt.set_weights(ref.get_weights())
    np.testing.assert_allclose(rebuilt.predict(list(data), verbose=0), ref.predict(list(data), verbose=0),
                               rtol=1e-5, atol=1e-6)
    again = jkeras.Model.from_config(ours.get_config(), custom_objects={"Gated": GatedJ})
    again.set_weights(ours.get_weights())
    np.testing.assert_allclose(again.predict(list(data), verbose=0), ours.predict(list(data), verbose=0))


def test_saved_model_with_two_tensor_node_loads(tmp_path, data):
    _, Gated = _classes(jkeras)
    model = _gated_model(jkeras, Gated, context_as_kwarg=True)
    path = str(tmp_path / "gated.keras")
    model.save(path)
    loaded = jkeras.models.load_model(path, custom_objects={"Gated": Gated})
    np.testing.assert_allclose(loaded.predict(list(data), verbose=0), model.predict(list(data), verbose=0))


def test_endpoint_layer_trains_with_add_loss_as_keras():
    rng = np.random.default_rng(1)
    x, t = rng.random((16, 3)).astype("float32"), (rng.random((16, 10)) > 0.5).astype("float32")

    def build(k):
        LogisticEndpoint = _classes(k)[0]
        inputs = k.Input(shape=(3,), name="inputs")
        targets = k.Input(shape=(10,), name="targets")
        logits = k.layers.Dense(10)(inputs)
        predictions = LogisticEndpoint(name="predictions")(targets, logits)
        model = k.Model(inputs=[inputs, targets], outputs=predictions)
        model.compile(optimizer=k.optimizers.SGD(0.1))
        return model

    ours, ref = build(jkeras), build(keras)
    ours.set_weights(ref.get_weights())
    feed = {"inputs": x, "targets": t}
    h_ours = ours.fit(feed, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    h_ref = ref.fit(feed, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h_ours, h_ref, rtol=1e-5)
    assert h_ours[-1] < h_ours[0]


def test_eager_call_with_two_positional_tensors_matches_keras():
    ours, ref = _classes(jkeras)[0](), _classes(keras)[0]()
    rng = np.random.default_rng(2)
    t, logits = (rng.random((4, 5)) > 0.5).astype("float32"), rng.normal(size=(4, 5)).astype("float32")
    np.testing.assert_allclose(ours(t, logits), ref(t, logits), rtol=1e-6)
    np.testing.assert_allclose(float(ours.losses[0]), float(ref.losses[0]), rtol=1e-6)


def test_sublayer_with_two_tensors_in_a_subclassed_model_under_fit():
    def build(k):
        _, Gated = _classes(k)

        class Net(k.Model):
            def __init__(self):
                super().__init__()
                self.context = k.layers.Dense(2, name="ctx")
                self.gated = Gated(units=1, name="gated")

            def call(self, x):
                return self.gated(x, self.context(x))

        model = Net()
        model.compile(optimizer=k.optimizers.SGD(0.05), loss="mse")
        return model

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    ours, ref = build(jkeras), build(keras)
    ours(x[:1]), ref(x[:1])
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    ours.set_weights(ref.get_weights())
    h_ours = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    h_ref = ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h_ours, h_ref, rtol=1e-4)


def test_too_many_positional_arguments_name_the_layer():
    _, Gated = _classes(jkeras)
    x = jkeras.Input((4,))
    with pytest.raises(TypeError, match=r"Gated 'g'.*\['context', 'scale'\].*got 4 positional"):
        Gated(name="g")(x, x, 1.0, 2.0)
    with pytest.raises(TypeError, match=r"Dense 'd': call takes the inputs as one argument"):
        jkeras.layers.Dense(2, name="d")(x, x)

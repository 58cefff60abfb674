"""Built-in layers subclassed the Keras way (`call` / `build` overridden, `super().call()`,
`super().build()`), and `build` with extra arguments, against Keras 3 running the same code."""
import keras
import numpy as np
import pytest

import jkeras

X = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
Y = np.random.default_rng(1).normal(size=(8, 3)).astype("float32")


def _shifted(k):
    class ShiftedDense(k.layers.Dense):
        def build(self, input_shape):
            super().build(input_shape)
            self.shift = self.add_weight(shape=(self.units,), initializer="ones", name="shift")

        def call(self, inputs):
            return super().call(inputs) + 100.0 * self.shift

    return ShiftedDense


def _doubled(k):
    class Doubled(k.layers.Dense):
        def call(self, inputs):
            return 2.0 * super().call(inputs)

    return Doubled


def _with_variable(k):
    class LayerWithCustomVariable(k.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.my_variable = k.Variable(np.arange(units, dtype="float32"), name="my_variable", dtype="float32")

        def call(self, inputs):
            return super().call(inputs) + self.my_variable

    return LayerWithCustomVariable


@pytest.mark.parametrize("make", [_shifted, _doubled, _with_variable], ids=["build+call", "call", "init-variable"])
def test_subclassed_dense_computes_and_trains_as_keras(make):
    ours_layer, ref_layer = make(jkeras)(3), make(keras)(3)
    ours = jkeras.Sequential([jkeras.Input((4,)), ours_layer])
    ref = keras.Sequential([keras.Input((4,)), ref_layer])
    assert [w.name for w in ours_layer.weights] == [w.name for w in ref_layer.weights]
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-5, atol=1e-5)
    ours.compile(optimizer=jkeras.optimizers.SGD(0.01), loss="mse")
    ref.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    h_ours = ours.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    h_ref = ref.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h_ours, h_ref, rtol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_subclassed_dense_called_directly():
    ours, ref = _shifted(jkeras)(3, kernel_initializer="zeros"), _shifted(keras)(3, kernel_initializer="zeros")
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(ref(X)))
    assert [w.path for w in ours.weights] == [w.path.replace(ref.name, ours.name) for w in ref.weights]


def test_subclassed_batch_normalization_updates_its_statistics_as_keras():
    def build(k):
        class Scaled(k.layers.BatchNormalization):
            def call(self, inputs, training=None):
                return 0.5 * super().call(inputs, training=training)

        model = k.Sequential([k.Input((4,)), Scaled(), k.layers.Dense(3)])
        model.compile(optimizer=k.optimizers.SGD(0.01), loss="mse")
        return model

    ours, ref = build(jkeras), build(keras)
    ours.set_weights(ref.get_weights())
    ours.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    ref.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):  # moving mean / variance included
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-4, atol=1e-5)


def _custom_build(k, calls):
    class LayerWithCustomBuild(k.layers.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def call(self, inputs):
            return k.ops.matmul(inputs, self.w)

        def get_config(self):
            return dict(units=self.units, **super().get_config())

        def build(self, input_shape, layer_init):
            super().build(input_shape)
            self._input_shape = input_shape
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=layer_init)
            self.layer_init = layer_init

        def get_build_config(self):
            calls.append("get_build_config")
            return {"layer_init": self.layer_init, "input_shape": self._input_shape}

        def build_from_config(self, config):
            calls.append("build_from_config")
            self.build(config["input_shape"], config["layer_init"])

    return LayerWithCustomBuild


def test_build_with_extra_arguments_and_its_hooks(tmp_path):
    found = {}
    for k in (jkeras, keras):
        calls = []
        cls = _custom_build(k, calls)
        layer = cls(units=4)
        layer.build(input_shape=(8,), layer_init="ones")
        model = k.Sequential([layer, k.layers.Dense(1, kernel_initializer="ones")])
        out = np.asarray(model(np.ones((2, 8), "float32")))
        path = str(tmp_path / f"{k.__name__}.keras")
        model.save(path)
        restored = k.models.load_model(path, custom_objects={"LayerWithCustomBuild": cls})
        found[k.__name__] = (layer.built, [tuple(w.shape) for w in layer.weights], out.tolist(), calls,
                             restored.layers[0].layer_init, np.asarray(restored(np.ones((2, 8), "float32"))).tolist())
    assert found["jkeras"] == found["keras"]

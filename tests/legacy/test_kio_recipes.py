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
    np.testing.assert_allclose(np.asarray(jk(x)), np.asarray(ref(x)), rtol=1e-5, atol=1e-6)


def test_random_fourier_features_matches_keras2_formula():
    """quasi_svm.py: `keras.layers.experimental.RandomFourierFeatures` (tf.keras 2.x; Keras 3 has
    none), checked against its formula cos(x @ (unscaled_kernel / kernel_scale) + bias)."""
    from jkeras.layers.experimental import RandomFourierFeatures

    layer = RandomFourierFeatures(output_dim=6, kernel_initializer="gaussian")
    model = jkeras.Sequential([jkeras.Input((8,)), layer])
    assert [w.name for w in layer.weights] == ["kernel_scale", "unscaled_kernel", "bias"]
    assert layer.trainable_weights == [] and model.count_params() == 8 * 6 + 6 + 1
    assert float(layer.get_weights()[0][0]) == pytest.approx(np.sqrt(8 / 2.0))  # default scale
    r = np.random.RandomState(0)
    scale, kernel, bias = np.array([1.5], "float32"), r.normal(size=(8, 6)).astype("float32"), r.uniform(0, 6, 6).astype("float32")
    layer.set_weights([scale, kernel, bias])
    x = r.normal(size=(3, 8)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.cos(x @ (kernel / scale) + bias), rtol=1e-5, atol=1e-5)
    clone = jkeras.Sequential.from_config(model.get_config())
    assert clone.layers[0].get_config() == {**layer.get_config(), "name": clone.layers[0].name}
    with pytest.raises(ValueError, match=r"kernel_initializer must be one of .*got kernel_initializer='rbf'"):
        RandomFourierFeatures(4, kernel_initializer="rbf")
    with pytest.raises(ValueError, match=r"RandomFourierFeatures .*rank 2.*got shape \(None, 2, 8\)"):
        RandomFourierFeatures(4)(jkeras.Input((2, 8)))


@pytest.mark.parametrize("name", ["RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
                                  "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
                                  "LecunNormal", "LecunUniform", "Orthogonal"])
def test_seeded_initializers_give_keras3_values(name):
    """reproducibility_recipes.py prints `initializer(seed=42)(shape=(1, 1))` for each initializer:
    the same seed gives Keras 3's values (its key for an int seed is the raw pair (seed, 0))."""
    import keras

    for shape in [(1, 1), (3, 5)]:
        np.testing.assert_allclose(np.asarray(getattr(jkeras.initializers, name)(seed=42)(shape)),
                                   np.asarray(getattr(keras.initializers, name)(seed=42)(shape)), rtol=1e-6, atol=1e-7)

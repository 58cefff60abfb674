"""Rebuilding functional models with custom layers (config without `name`, registered classes),
checked against Keras 3 running the same code: layer names, configs and predictions after
`from_config`, `load_model` (.keras and .h5), `model_from_json` and `clone_model`."""
import json

import keras
import numpy as np
import pytest

import jkeras

X = np.random.RandomState(0).rand(3, 4).astype("float32")


def _custom_dense(lib):
    """The functional-API guide's layer: its `get_config()` leaves out `name`."""

    class CustomDense(lib.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")

        def call(self, inputs):
            return lib.ops.matmul(inputs, self.w)

        def get_config(self):
            return {"units": self.units}

    return CustomDense


def _registered(lib, package):
    """A layer registered as `package>ScaleBy` (or "Custom>ScaleBy" when `package` is None)."""
    register = (lib.saving.register_keras_serializable() if package is None
                else lib.saving.register_keras_serializable(package=package))

    @register
    class ScaleBy(lib.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    return ScaleBy


def _guide_model(lib):
    """Input -> CustomDense(6) -> Dense(5) -> CustomDense(3), with fresh default names."""
    lib.backend.clear_session()
    CustomDense = _custom_dense(lib)
    inputs = lib.Input((4,))
    x = CustomDense(6)(inputs)
    x = lib.layers.Dense(5, activation="relu")(x)
    outputs = CustomDense(3)(x)
    return lib.Model(inputs, outputs), {"CustomDense": CustomDense}


def _names(model):
    return [layer.name for layer in model.layers]


def _with_keras_weights(model, weights):
    model.set_weights(weights)
    return model


def _predict(model):
    return np.asarray(model.predict(X, verbose=0))


@pytest.fixture
def guide_pair():
    """The guide model in Keras and jkeras, default names counted from zero in both, jkeras's
    weights set to Keras's."""
    k_model, k_objects = _guide_model(keras)
    j_model, j_objects = _guide_model(jkeras)
    weights = [np.asarray(w) for w in k_model.get_weights()]
    j_model.set_weights(weights)
    return k_model, k_objects, j_model, j_objects, weights


def test_from_config_without_name_matches_keras(guide_pair):
    k_model, k_objects, j_model, j_objects, weights = guide_pair
    assert _names(j_model) == _names(k_model)
    k_new = keras.Model.from_config(k_model.get_config(), custom_objects=k_objects)
    j_new = jkeras.Model.from_config(j_model.get_config(), custom_objects=j_objects)
    # The rebuilt custom layers get automatic names; the graph wiring still uses the config's.
    assert _names(j_new) == _names(k_new)
    assert [l["name"] for l in j_new.get_config()["layers"]] == [l["name"] for l in k_new.get_config()["layers"]]
    np.testing.assert_allclose(_predict(_with_keras_weights(j_new, weights)),
                               _predict(_with_keras_weights(k_new, weights)), rtol=1e-5, atol=1e-6)


def test_functional_config_entries_match_keras(guide_pair):
    k_model, _, j_model, _, _ = guide_pair
    keys = ("module", "class_name", "registered_name", "build_config", "name")
    k_entries = [{k: l.get(k) for k in keys} for l in json.loads(json.dumps(k_model.get_config()))["layers"]]
    j_entries = [{k: l.get(k) for k in keys} for l in json.loads(json.dumps(j_model.get_config()))["layers"]]
    assert j_entries == k_entries


def test_model_from_json_without_name(guide_pair):
    k_model, k_objects, j_model, j_objects, weights = guide_pair
    k_new = keras.models.model_from_json(k_model.to_json(), custom_objects=k_objects)
    j_new = jkeras.models.model_from_json(j_model.to_json(), custom_objects=j_objects)
    assert _names(j_new) == _names(k_new)
    np.testing.assert_allclose(_predict(_with_keras_weights(j_new, weights)),
                               _predict(_with_keras_weights(k_new, weights)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("extension", ["keras", "h5"])
def test_load_model_without_name(guide_pair, tmp_path, extension):
    k_model, k_objects, j_model, j_objects, _ = guide_pair
    k_path, j_path = tmp_path / f"k.{extension}", tmp_path / f"j.{extension}"
    k_model.save(k_path)
    j_model.save(j_path)
    k_new = keras.models.load_model(k_path, custom_objects=k_objects)
    j_new = jkeras.models.load_model(j_path, custom_objects=j_objects)
    assert _names(j_new) == _names(k_new)
    # The file's weights come back: the loaded model predicts as the saved one (and as Keras).
    np.testing.assert_allclose(_predict(j_new), _predict(k_new), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_predict(j_new), _predict(k_model), rtol=1e-5, atol=1e-6)


def test_load_keras_file_written_by_keras(guide_pair, tmp_path):
    k_model, _, _, j_objects, _ = guide_pair
    path = tmp_path / "from_keras.keras"
    k_model.save(path)
    j_new = jkeras.models.load_model(path, custom_objects=j_objects)
    np.testing.assert_allclose(_predict(j_new), _predict(k_model), rtol=1e-5, atol=1e-6)


def test_clone_model_without_name(guide_pair):
    k_model, _, j_model, _, weights = guide_pair
    k_clone = keras.models.clone_model(k_model)
    j_clone = jkeras.models.clone_model(j_model)
    # Keras 3 names the cloned Input after its tensor ("keras_tensor..."); compare the others.
    assert _names(j_clone)[1:] == _names(k_clone)[1:]
    assert [type(l).__name__ for l in j_clone.layers[1:]] == [type(l).__name__ for l in k_clone.layers[1:]]
    assert all(a is not b for a, b in zip(j_clone.layers, j_model.layers))
    np.testing.assert_allclose(_predict(_with_keras_weights(j_clone, weights)),
                               _predict(_with_keras_weights(k_clone, weights)), rtol=1e-5, atol=1e-6)


def test_sequential_clone_of_unregistered_layer():
    results = {}
    for lib in (keras, jkeras):
        lib.backend.clear_session()
        model = lib.Sequential([lib.Input((4,)), _custom_dense(lib)(3), lib.layers.Dense(2)])
        clone = lib.models.clone_model(model)
        clone.set_weights(model.get_weights())
        results[lib.__name__] = (_names(clone), _predict(clone), _predict(model))
    assert results["jkeras"][0] == results["keras"][0]
    np.testing.assert_allclose(results["jkeras"][1], results["jkeras"][2], rtol=1e-6)


def _registered_model(lib, package):
    lib.backend.clear_session()
    ScaleBy = _registered(lib, package)
    inputs = lib.Input((4,))
    x = ScaleBy(2.0)(inputs)
    x = lib.layers.Dense(3)(x)
    return lib.Model(inputs, ScaleBy(-0.5, name="half")(x))


@pytest.mark.parametrize("package", [None, "MyLayers"])
def test_registered_layer_found_without_custom_objects(package, tmp_path):
    k_model = _registered_model(keras, package)
    j_model = _registered_model(jkeras, package)
    weights = [np.asarray(w) for w in k_model.get_weights()]
    j_model.set_weights(weights)
    k_layers, j_layers = k_model.get_config()["layers"], j_model.get_config()["layers"]
    assert [l["registered_name"] for l in j_layers] == [l["registered_name"] for l in k_layers]
    assert [l["module"] for l in j_layers] == [l["module"] for l in k_layers]

    k_new, j_new = keras.Model.from_config(k_model.get_config()), jkeras.Model.from_config(j_model.get_config())
    assert _names(j_new) == _names(k_new)
    assert type(j_new.layers[1]).__name__ == "ScaleBy"
    np.testing.assert_allclose(_predict(_with_keras_weights(j_new, weights)),
                               _predict(_with_keras_weights(k_new, weights)), rtol=1e-5, atol=1e-6)

    j_model.save(tmp_path / "j.keras")
    loaded = jkeras.models.load_model(tmp_path / "j.keras")
    np.testing.assert_allclose(_predict(loaded), _predict(k_model), rtol=1e-5, atol=1e-6)


def test_registered_name_picks_the_right_class_of_two_with_one_name():
    """Two registered classes named alike load as themselves (by "package>Name")."""
    A = _registered(jkeras, "PkgA")

    @jkeras.saving.register_keras_serializable(package="PkgB", name="ScaleBy")
    class ScaleByB(A):
        def call(self, x):
            return x * self.factor + 1.0

    inputs = jkeras.Input((4,))
    model = jkeras.Model(inputs, ScaleByB(3.0)(A(2.0)(inputs)))
    config = model.get_config()
    assert [l["registered_name"] for l in config["layers"][1:]] == ["PkgA>ScaleBy", "PkgB>ScaleBy"]
    rebuilt = jkeras.Model.from_config(config)
    assert [type(l) for l in rebuilt.layers[1:]] == [A, ScaleByB]
    np.testing.assert_allclose(_predict(rebuilt), X * 2.0 * 3.0 + 1.0, rtol=1e-6)


def test_unregistered_layer_error_names_the_class(guide_pair):
    _, _, j_model, _, _ = guide_pair
    with pytest.raises(ValueError, match="CustomDense"):
        jkeras.Model.from_config(j_model.get_config())


def _keys(entry):
    return {k: entry.get(k) for k in ("module", "class_name", "registered_name", "build_config")}


@pytest.mark.parametrize("package", [None, "MyLayers"])
def test_serialize_keras_object_of_layers_matches_keras(package):
    pairs = []
    for lib in (keras, jkeras):
        ScaleBy = _registered(lib, package)
        dense = lib.layers.Dense(3)
        dense.build((None, 2))
        pairs.append([lib.saving.serialize_keras_object(obj)
                      for obj in (ScaleBy(2.0), dense, lib.layers.Dense(2))])
    k_entries, j_entries = pairs
    assert [_keys(json.loads(json.dumps(e))) for e in j_entries] == \
        [_keys(json.loads(json.dumps(e))) for e in k_entries]
    scale = jkeras.saving.deserialize_keras_object(j_entries[0])
    assert type(scale).__name__ == "ScaleBy" and scale.factor == 2.0
    dense = jkeras.saving.deserialize_keras_object(j_entries[1])
    assert dense.built and [w.shape for w in dense.get_weights()] == [(2, 3), (3,)]


def test_serialize_keras_object_of_compiled_models_round_trip():
    out = {}
    for lib in (keras, jkeras):
        lib.backend.clear_session()
        ScaleBy = _registered(lib, "MyLayers")
        inputs = lib.Input((4,))
        functional = lib.Model(inputs, lib.layers.Dense(2)(ScaleBy(2.0)(inputs)))
        functional.compile(optimizer=lib.optimizers.SGD(0.125), loss="mse", metrics=["mae"])
        sequential = lib.Sequential([lib.Input((4,)), lib.layers.Dense(2)])
        out[lib.__name__] = (functional, lib.saving.serialize_keras_object(functional),
                             lib.saving.serialize_keras_object(sequential))
    k_functional, k_entry, k_seq_entry = out["keras"]
    j_functional, j_entry, j_seq_entry = out["jkeras"]
    for k, j in ((k_entry, j_entry), (k_seq_entry, j_seq_entry)):
        assert {x: j.get(x) for x in ("module", "class_name", "registered_name")} == \
            {x: k.get(x) for x in ("module", "class_name", "registered_name")}
    assert j_entry["compile_config"]["loss"] == k_entry["compile_config"]["loss"] == "mse"
    assert j_entry["compile_config"]["optimizer"]["class_name"] == "SGD"

    rebuilt = jkeras.saving.deserialize_keras_object(json.loads(jkeras.saving.model_config.dumps(j_entry)))
    k_rebuilt = keras.saving.deserialize_keras_object(k_entry)
    assert rebuilt.compiled and k_rebuilt.compiled
    assert type(rebuilt.optimizer).__name__ == "SGD"
    assert float(rebuilt.optimizer.learning_rate) == pytest.approx(0.125)
    assert [type(l).__name__ for l in rebuilt.layers] == [type(l).__name__ for l in k_rebuilt.layers]
    rebuilt.set_weights(j_functional.get_weights())
    np.testing.assert_allclose(_predict(rebuilt), _predict(j_functional), rtol=1e-6)
    seq = jkeras.saving.deserialize_keras_object(j_seq_entry)
    assert type(seq).__name__ == "Sequential" and [w.shape for w in seq.get_weights()] == [(4, 2), (2,)]

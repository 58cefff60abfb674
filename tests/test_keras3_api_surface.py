"""Keras 3's smaller public modules and top-level names: `keras.config`, `keras.tree`,
`keras.dtype_policies`, the `keras.utils` / `keras.saving` helpers, `keras.Layer` and friends,
and tf.keras 2's `layers.experimental.preprocessing` path; each checked against Keras 3."""
import collections
import logging
import warnings

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jkeras
from jkeras import config, layers

Pair = collections.namedtuple("Pair", ["a", "b"])

STRUCTURES = [
    1, None, [], (), {}, [1, [2, None], (3,)], {"b": 1, "a": [2, 3], "c": None},
    Pair(1, [2, {"z": 3, "y": 4}]), collections.OrderedDict([("b", 1), ("a", 2)]),
    [np.float32(2.0), (None, 1.0)], {"x": {}, "y": [[], ()]},
]


@pytest.mark.parametrize("structure", STRUCTURES, ids=repr)
def test_tree_functions_match_keras(structure):
    for name in ("flatten", "flatten_with_path", "is_nested", "lists_to_tuples"):
        assert repr(getattr(jkeras.tree, name)(structure)) == repr(getattr(keras.tree, name)(structure)), name
    double = lambda x: None if x is None else 2 * x  # noqa: E731
    assert repr(jkeras.tree.map_structure(double, structure)) == repr(keras.tree.map_structure(double, structure))
    leaves = keras.tree.flatten(structure)
    assert repr(jkeras.tree.pack_sequence_as(structure, leaves)) == repr(keras.tree.pack_sequence_as(structure, leaves))
    mark = lambda x: "X" if isinstance(x, int) else None  # noqa: E731
    for top_down in (True, False):
        assert repr(jkeras.tree.traverse(mark, structure, top_down)) == repr(keras.tree.traverse(mark, structure, top_down))


@pytest.mark.parametrize("a, b", [([1, 2], (1, 2)), ([1, [2]], [1, 2]), (Pair(1, 2), (1, 2)),
                                  ({"a": 1}, {"b": 1}), ([1, None], [1, 2]), ({"a": [1]}, {"a": [3]})])
def test_tree_assertions_agree_with_keras(a, b):
    for name in ("assert_same_structure", "assert_same_paths"):
        outcomes = []
        for module in (keras.tree, jkeras.tree):
            try:
                getattr(module, name)(a, b)
                outcomes.append("ok")
            except ValueError:
                outcomes.append("ValueError")
        assert outcomes[0] == outcomes[1], name


def test_tree_up_to_and_shapes_match_keras():
    shallow, deep = [1, 2], [[1, 2], {"a": 3}]
    assert jkeras.tree.map_structure_up_to(shallow, str, deep) == keras.tree.map_structure_up_to(shallow, str, deep)
    shapes = {"a": (None, 3), "b": [(1, 2), (4,)]}
    assert jkeras.tree.map_shape_structure(len, shapes) == keras.tree.map_shape_structure(len, shapes)
    with pytest.raises(ValueError, match="leaves"):
        jkeras.tree.pack_sequence_as([1, 2], [1])


@pytest.mark.parametrize("dtype", ["float32", np.float64, int, float, bool, "bfloat16", jnp.int8,
                                   np.dtype("uint8"), None])
def test_standardize_dtype_matches_keras(dtype):
    assert jkeras.utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)
    assert jkeras.backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype)
    assert jkeras.backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype)


@pytest.mark.parametrize("dtypes", [("int32", "float16"), ("int8", "uint8"), (int, "float32"),
                                    ("bfloat16", "float16"), ("bool", "int8"), (float, int)])
def test_result_type_matches_keras(dtypes):
    assert jkeras.backend.result_type(*dtypes) == keras.backend.result_type(*dtypes)


@pytest.mark.parametrize("data", [np.ones(2), (np.ones(2),), (1, 2), [1, 2, 3]])
def test_pack_and_unpack_match_keras(data):
    unpacked = jkeras.utils.unpack_x_y_sample_weight(data)
    assert repr(unpacked) == repr(keras.utils.unpack_x_y_sample_weight(data))
    assert repr(jkeras.utils.pack_x_y_sample_weight(*unpacked)) == repr(keras.utils.pack_x_y_sample_weight(*unpacked))
    with pytest.raises(ValueError, match="sample_weight"):
        jkeras.utils.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_utils_graph_helpers():
    inputs = jkeras.Input((3,))
    outputs = layers.Dense(2)(layers.Dense(4)(inputs))
    assert jkeras.utils.get_source_inputs(outputs) == [inputs]
    assert jkeras.utils.is_keras_tensor(outputs) and not jkeras.utils.is_keras_tensor(np.ones(3))
    jkeras.utils.clear_session()
    assert layers.Dense(2).name == "dense"


def test_serialize_round_trip_and_keras3_configs():
    dense = jkeras.saving.deserialize_keras_object(jkeras.saving.serialize_keras_object(layers.Dense(3, activation="relu")))
    assert isinstance(dense, layers.Dense) and dense.units == 3
    # A config Keras 3 wrote (its `module` / `registered_name` keys) names a built-in class.
    ref = keras.saving.serialize_keras_object(keras.layers.Dense(5, use_bias=False))
    rebuilt = jkeras.utils.deserialize_keras_object(ref)
    assert isinstance(rebuilt, layers.Dense) and rebuilt.units == 5 and rebuilt.use_bias is False
    assert jkeras.saving.deserialize_keras_object("relu") == keras.saving.deserialize_keras_object("relu") == "relu"
    adam = jkeras.saving.deserialize_keras_object(jkeras.saving.serialize_keras_object(jkeras.optimizers.Adam(0.25)))
    assert float(adam.learning_rate) == 0.25
    with pytest.raises(ValueError, match="NoSuchThing"):
        jkeras.saving.deserialize_keras_object({"class_name": "NoSuchThing", "config": {}})


def test_saving_module_weight_functions_round_trip(tmp_path):
    model = jkeras.Sequential([jkeras.Input((3,)), layers.Dense(2)])
    path = str(tmp_path / "w.weights.h5")
    jkeras.saving.save_weights(model, path)
    other = jkeras.Sequential([jkeras.Input((3,)), layers.Dense(2)])
    jkeras.saving.load_weights(other, path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_top_level_base_classes_subclass_like_keras():
    class Scale(jkeras.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w

    model = jkeras.Sequential([jkeras.Input((2,)), Scale()])
    np.testing.assert_allclose(model.predict(np.ones((1, 2)), verbose=0), np.ones((1, 2)))
    assert jkeras.Loss is jkeras.losses.Loss and jkeras.Metric is jkeras.metrics.Metric
    assert jkeras.Optimizer is jkeras.optimizers.Optimizer and jkeras.InputSpec is jkeras.layers.InputSpec
    assert issubclass(jkeras.initializers.GlorotUniform, jkeras.Initializer)
    assert isinstance(jkeras.regularizers.L2(0.1), jkeras.Regularizer)
    assert jkeras.version() == jkeras.__version__
    for module in ("config", "dtype_policies", "random", "tree"):  # `keras.<module>` after one import
        assert getattr(jkeras, module).__name__ == f"jkeras.{module}"
    with jkeras.device("cpu:0"):
        assert jnp.ones(2).devices() == {__import__("jax").devices("cpu")[0]}
    with pytest.raises(ValueError, match="no device"):
        jkeras.device("tpu:7")


def test_dtype_policies_module_matches_keras():
    for name in ("float32", "mixed_bfloat16", "mixed_float16"):
        ours = jkeras.dtype_policies.serialize(jkeras.dtype_policies.get(name))
        assert ours == keras.dtype_policies.serialize(keras.dtype_policies.get(name))
        assert jkeras.dtype_policies.deserialize(ours).compute_dtype == keras.dtype_policies.deserialize(ours).compute_dtype
    assert jkeras.FloatDTypePolicy is jkeras.DTypePolicy


def test_experimental_preprocessing_path():
    from jkeras.layers.experimental import preprocessing

    assert preprocessing.Rescaling is layers.Rescaling and preprocessing.Normalization is layers.Normalization
    assert jkeras.layers.experimental.EinsumDense is layers.EinsumDense


@pytest.fixture
def restore_config():
    yield
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)
    config.enable_interactive_logging()
    keras.config.set_max_epochs(None)
    keras.config.set_max_steps_per_epoch(None)


def _pair_of_models():
    ours = jkeras.Sequential([jkeras.Input((2,)), layers.Dense(1)])
    ref = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    ref.set_weights(ours.get_weights())
    ours.compile("sgd", "mse")
    ref.compile("sgd", "mse")
    return ours, ref


def test_config_values_match_keras():
    for name in ("backend", "floatx", "epsilon", "image_data_format", "max_epochs", "max_steps_per_epoch",
                 "is_interactive_logging_enabled", "is_nnx_enabled"):
        assert getattr(config, name)() == getattr(keras.config, name)(), name
    assert config.dtype_policy().name == keras.config.dtype_policy().name
    with pytest.raises(ValueError, match="JAX only"):
        config.set_backend("torch")
    with pytest.raises(ValueError, match="max_epochs"):
        config.set_max_epochs(0)


def test_max_epochs_and_steps_limit_fit_evaluate_predict_as_in_keras(restore_config):
    x, y = np.ones((320, 2), "float32"), np.ones((320, 1), "float32")
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(3)
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    ours, ref = _pair_of_models()
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = ours.fit(x, y, epochs=5, batch_size=32, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_history = ref.fit(x, y, epochs=5, batch_size=32, verbose=0)
        ref_predictions = ref.predict(x, batch_size=32, verbose=0)
    assert len(history.history["loss"]) == len(ref_history.history["loss"]) == 2
    np.testing.assert_allclose(history.history["loss"], ref_history.history["loss"], rtol=1e-5)
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        predictions = ours.predict(x, batch_size=32, verbose=0)
    assert predictions.shape == ref_predictions.shape == (96, 1)
    np.testing.assert_allclose(predictions, ref_predictions, rtol=1e-5)


def test_disabled_interactive_logging_sends_progress_to_the_logger(restore_config, capsys, caplog):
    ours, _ = _pair_of_models()
    config.disable_interactive_logging()
    with caplog.at_level(logging.INFO, logger="jkeras"):
        ours.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=1)
        ours.summary()
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records if r.name == "jkeras"]
    assert "Epoch 2/2" in messages and any("Total params" in m for m in messages)
    config.enable_interactive_logging()
    ours.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=1)
    assert "Epoch 2/2" in capsys.readouterr().out


def test_enable_unsafe_deserialization_allows_named_lambda_functions(tmp_path):
    from jkeras.saving import model_config

    def double(x):
        return 2 * x

    inputs = jkeras.Input((2,))
    model = jkeras.Model(inputs, layers.Lambda(double)(inputs))
    path = str(tmp_path / "m.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe mode"):
        jkeras.models.load_model(path, custom_objects={"double": double})
    config.enable_unsafe_deserialization()
    try:
        loaded = jkeras.models.load_model(path, custom_objects={"double": double})
    finally:
        model_config.set_unsafe_deserialization(False)
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2)), verbose=0), 2 * np.ones((1, 2)))

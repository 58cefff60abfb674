"""`model.save` / `load_model`: round trips, exact resumption, atomicity, safe mode, custom objects."""
import json
import os
import warnings

import h5py
import numpy as np
import pytest

import jkeras
from jkeras import layers
from jkeras.saving import keras3_h5, legacy_h5, orbax_io

FORMATS = ["m.keras", "m.h5", "m_dir"]


def _train_functional(make, data, epochs=1):
    model = make()
    model.compile(
        optimizer=jkeras.optimizers.SGD(0.05, momentum=0.9),
        loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
        loss_weights={"cls": 1.0, "reg": 0.5},
        metrics={"cls": ["accuracy"], "reg": ["mae"]},
    )
    model.fit([data["x"], data["xb"]], [data["y"], data["y_reg"]], epochs=epochs, batch_size=16, verbose=0)
    return model


@pytest.mark.parametrize("name", FORMATS)
def test_sequential_round_trip(tmp_path, name, trained_sequential, data, same_weights):
    path = tmp_path / name
    trained_sequential.save(path)
    loaded = jkeras.models.load_model(path)
    assert type(loaded) is jkeras.Sequential and loaded.name == "mlp"
    assert loaded.get_config() == trained_sequential.get_config()
    same_weights(loaded, trained_sequential)
    np.testing.assert_array_equal(loaded.predict(data["x"], verbose=0), trained_sequential.predict(data["x"], verbose=0))
    assert loaded.compiled and type(loaded.optimizer) is jkeras.optimizers.Adam
    assert loaded.optimizer.get_config() == trained_sequential.optimizer.get_config()
    assert loaded.optimizer.iterations == trained_sequential.optimizer.iterations == 6
    assert loaded._compile_args == trained_sequential._compile_args


@pytest.fixture(scope="module")
def trained_functional(functional_model, data):
    jkeras.utils.set_random_seed(1)
    return _train_functional(functional_model, data)


@pytest.mark.parametrize("name", FORMATS)
def test_functional_multi_io_shared_and_nested_round_trip(tmp_path, name, trained_functional, data, same_weights):
    model = trained_functional
    model.save(tmp_path / name)
    loaded = jkeras.models.load_model(tmp_path / name)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.get_config() == model.get_config()
    same_weights(loaded, model)
    x = [data["x"], data["xb"]]
    for a, b in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)
    assert loaded._compile_args == model._compile_args
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    # The shared layer is still one layer with two nodes in the rebuilt graph.
    assert len(loaded.get_layer("shared")._inbound_nodes) == 2


@pytest.mark.parametrize("name", ["m.keras", "m.h5"])
def test_resumed_training_follows_the_original_loss_curve(tmp_path, name, functional_model, data, same_weights):
    jkeras.utils.set_random_seed(2)
    model = functional_model()
    model.compile(optimizer=jkeras.optimizers.Adam(0.02), loss=["sparse_categorical_crossentropy", "mse"])
    x, y = [data["x"], data["xb"]], [data["y"], data["y_reg"]]
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / name)
    loaded = jkeras.models.load_model(tmp_path / name)
    assert loaded.optimizer.iterations == model.optimizer.iterations == 3
    jkeras.utils.set_random_seed(7)
    original = model.fit(x, y, epochs=2, batch_size=16, verbose=0).history
    jkeras.utils.set_random_seed(7)
    resumed = loaded.fit(x, y, epochs=2, batch_size=16, verbose=0).history
    assert resumed == original
    same_weights(loaded, model)


def test_without_optimizer_state_or_compile(tmp_path, trained_sequential):
    trained_sequential.save(tmp_path / "m.keras", include_optimizer=False)
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    assert loaded.compiled and loaded.optimizer.iterations == 0
    loaded = jkeras.models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled


def test_uncompiled_model_round_trip(tmp_path, sequential_model, data):
    model = sequential_model()
    model.save(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.predict(data["x"], verbose=0), model.predict(data["x"], verbose=0))


def test_keras_archive_layout(tmp_path, trained_sequential):
    import zipfile

    trained_sequential.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        names = archive.namelist()
        config = json.loads(archive.read("config.json"))
        meta = json.loads(archive.read("metadata.json"))
    assert set(names) == {"config.json", "metadata.json", "model.weights.h5"}  # a Keras 3 file
    assert config["class_name"] == "Sequential" and config["compile_config"]["loss"] == "sparse_categorical_crossentropy"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert meta["jkeras_version"] == jkeras.__version__


# ------------------------------------------------------------------------------------------------
# Atomicity


class SimulatedCrash(Exception):
    pass


def _interrupt(monkeypatch, module, name):
    original = getattr(module, name)

    def partial_then_crash(*args, **kwargs):
        original(*args, **kwargs)
        raise SimulatedCrash("in the middle of saving")

    monkeypatch.setattr(module, name, partial_then_crash)


@pytest.mark.parametrize("name,module,function", [
    ("m.keras", keras3_h5, "save_weights"),
    ("m_dir", orbax_io, "save_checkpoint"),
    ("m.h5", legacy_h5, "save_weights_to_group"),
])
def test_interrupted_save_leaves_the_previous_save_loadable(tmp_path, monkeypatch, name, module, function,
                                                             sequential_model, same_weights):
    path = tmp_path / name
    model = sequential_model()
    model.save(path)
    first = model.get_weights()
    model.set_weights([w + 1.0 for w in first])
    _interrupt(monkeypatch, module, function)
    with pytest.raises(SimulatedCrash):
        model.save(path)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == [name]  # no temporary leftovers
    for a, b in zip(jkeras.models.load_model(path).get_weights(), first):
        np.testing.assert_array_equal(a, b)
    model.save(path)  # a later save replaces it
    same_weights(jkeras.models.load_model(path), model)


def test_overwrite_false_refuses(tmp_path, trained_sequential):
    trained_sequential.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        trained_sequential.save(tmp_path / "m.keras", overwrite=False)


# ------------------------------------------------------------------------------------------------
# Errors


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No file or directory"):
        jkeras.models.load_model(tmp_path / "missing.keras")
    (tmp_path / "junk.keras").write_text("not a model")
    with pytest.raises(ValueError, match="neither a .keras archive"):
        jkeras.models.load_model(tmp_path / "junk.keras")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no config.json"):
        jkeras.models.load_model(tmp_path / "empty")


def test_weights_only_h5_is_not_a_model(tmp_path, trained_sequential):
    trained_sequential.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="holds weights only"):
        jkeras.models.load_model(tmp_path / "w.h5")


def test_unknown_class_names_custom_objects(tmp_path, trained_sequential):
    config = trained_sequential.get_config()
    config["layers"][1]["class_name"] = "UnregisteredDense"  # (other tests register a MyDense)
    with pytest.raises(ValueError, match="UnregisteredDense"):
        jkeras.models.model_from_config({"class_name": "Sequential", "config": config})


def test_archive_with_unsafe_member_is_refused(tmp_path, trained_sequential):
    import zipfile

    trained_sequential.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras", "a") as archive:
        archive.writestr("checkpoint/../../escape.txt", "x")
    with pytest.raises(ValueError, match="unsafe path"):
        jkeras.models.load_model(tmp_path / "m.keras")
    assert not (tmp_path / "escape.txt").exists()


# ------------------------------------------------------------------------------------------------
# Lambda layers and safe mode


def double_plus_one(x):
    return 2.0 * x + 1.0


def _lambda_model():
    inputs = jkeras.Input((3,))
    return jkeras.Model(inputs, layers.Dense(2)(layers.Lambda(double_plus_one, name="affine")(inputs)))


def test_lambda_is_refused_in_safe_mode(tmp_path, data):
    model = _lambda_model()
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        jkeras.models.load_model(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="custom_objects"):
        jkeras.models.load_model(tmp_path / "m.keras", safe_mode=False)
    loaded = jkeras.models.load_model(tmp_path / "m.keras", safe_mode=False,
                                      custom_objects={"double_plus_one": double_plus_one})
    np.testing.assert_array_equal(loaded.predict(data["xb"], verbose=0), model.predict(data["xb"], verbose=0))


def test_stored_bytecode_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    # What Keras 3 writes for `Lambda(lambda x: ...)`: marshalled bytecode. jkeras must not load it,
    # whatever the safe mode.
    code = "import base64, marshal; f = lambda x: open(%r, 'w')" % str(marker)
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "in"}},
        {"class_name": "Lambda", "config": {"name": "evil", "function": {
            "class_name": "__lambda__", "config": {"code": code, "defaults": None, "closure": None}}}},
    ]}}
    for safe_mode in (True, False):
        with pytest.raises(ValueError, match="Lambda"):
            jkeras.models.model_from_config(config, safe_mode=safe_mode)
    assert not marker.exists()


# ------------------------------------------------------------------------------------------------
# Custom objects


def scaled_tanh(x):
    return 1.5 * jkeras.activations.tanh(x)


def custom_mse(y_true, y_pred):
    return jkeras.losses.mean_squared_error(y_true, y_pred) * 2.0


def _custom_activation_model():
    model = jkeras.Sequential([layers.Input((4,)), layers.Dense(3, activation=scaled_tanh)])
    model.compile(optimizer="sgd", loss=custom_mse)
    return model


def test_custom_objects_argument_and_scope(tmp_path, data):
    model = _custom_activation_model()
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError):
        jkeras.models.load_model(tmp_path / "m.keras")
    objects = {"scaled_tanh": scaled_tanh, "custom_mse": custom_mse}
    loaded = jkeras.models.load_model(tmp_path / "m.keras", custom_objects=objects)
    np.testing.assert_array_equal(loaded.predict(data["x"], verbose=0), model.predict(data["x"], verbose=0))
    assert loaded._compile_args["loss"] is custom_mse
    with jkeras.utils.object_registry.custom_object_scope(objects):
        loaded = jkeras.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].activation is scaled_tanh


@jkeras.utils.object_registry.register_keras_serializable(package="SavingTests")
class Scale(layers.Layer):
    """A registered Keras-style custom layer with a trainable and a non-trainable weight."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.offset = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False, name="offset")

    def call(self, inputs):
        return inputs * self.w * self.factor + self.offset

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_registered_custom_layer_round_trip(tmp_path, data):
    assert jkeras.utils.object_registry.get_registered_name(Scale) == "SavingTests>Scale"
    model = jkeras.Sequential([layers.Input((4,)), Scale(3.0, name="scale"), layers.Dense(2)])
    model.layers[0].set_weights([np.arange(4, dtype="float32"), np.ones(4, "float32")])
    model.save(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[0], Scale) and loaded.layers[0].factor == 3.0
    np.testing.assert_array_equal(loaded.layers[0].get_weights()[1], np.ones(4, "float32"))
    np.testing.assert_array_equal(loaded.predict(data["x"], verbose=0), model.predict(data["x"], verbose=0))


# ------------------------------------------------------------------------------------------------
# JSON / YAML / config


def test_json_round_trip(functional_model):
    model = functional_model()
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == "Functional" and config["backend"] == "jax"
    rebuilt = jkeras.models.model_from_json(text)
    assert rebuilt.get_config() == model.get_config()
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]


def test_yaml_round_trip_is_safe(sequential_model):
    yaml = pytest.importorskip("yaml")
    model = sequential_model()
    text = model.to_yaml()
    assert "!!python" not in text
    rebuilt = jkeras.models.model_from_yaml(text)
    assert rebuilt.get_config() == model.get_config()
    with pytest.raises(yaml.YAMLError):
        jkeras.models.model_from_yaml("!!python/object/apply:os.system ['echo unsafe']")


def test_model_from_config_and_clone(functional_model, sequential_model, data):
    model = functional_model()
    clone = jkeras.models.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert clone.get_layer("shared") is not model.get_layer("shared")
    seq = sequential_model()
    wider = jkeras.models.clone_model(
        seq, clone_function=lambda layer: type(layer).from_config(
            {**layer.get_config(), "units": 16} if layer.name == "hidden" else layer.get_config()))
    assert wider.get_layer("hidden").units == 16
    assert wider.predict(data["x"], verbose=0).shape == (48, 3)


def test_keras2_model_h5_file_loads(tmp_path, data):
    """A whole-model `.h5` as tf.keras 2 wrote it (Keras 2 configs), built here with h5py."""
    rng = np.random.default_rng(3)
    kernel, bias = rng.standard_normal((4, 2)).astype("float32"), rng.standard_normal(2).astype("float32")
    model_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "dense_input"}},
        {"class_name": "Dense", "config": {
            "name": "dense", "trainable": True, "dtype": "float32", "units": 2, "activation": "relu",
            "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
            "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
            "bias_constraint": None}},
    ]}}
    training_config = {"loss": "mse", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
        "name": "mae", "dtype": "float32", "fn": "mean_absolute_error"}}]], "weighted_metrics": None,
        "loss_weights": None, "optimizer_config": {"class_name": "Adam", "config": {
            "name": "Adam", "learning_rate": 0.003, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
            "epsilon": 1e-07, "amsgrad": False}}}
    with h5py.File(tmp_path / "k2.h5", "w") as f:
        f.attrs["keras_version"] = b"2.4.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        f.attrs["training_config"] = json.dumps(training_config).encode("utf8")
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"dense"]
        group = weights.create_group("dense")
        group.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        group["dense/kernel:0"] = kernel
        group["dense/bias:0"] = bias
        f.create_group("optimizer_weights")
    loaded = jkeras.models.load_model(tmp_path / "k2.h5")
    np.testing.assert_allclose(loaded.predict(data["x"], verbose=0), np.maximum(data["x"] @ kernel + bias, 0),
                               rtol=1e-6, atol=1e-6)
    assert loaded.compiled and float(loaded.optimizer.learning_rate) == pytest.approx(0.003)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded.fit(data["x"], data["y_reg"].repeat(2, axis=1), epochs=1, verbose=0)


# ------------------------------------------------------------------------------------------------
# Subclassed models


@jkeras.utils.object_registry.register_keras_serializable(package="SavingTests")
class TwoLayer(jkeras.Model):
    """A registered subclassed model; a new instance gets new default sublayer names."""

    def __init__(self, hidden=6, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden
        self.hidden = layers.Dense(hidden, activation="relu")
        self.norm = layers.BatchNormalization()
        self.out = layers.Dense(3)

    def call(self, inputs, training=None):
        return self.out(self.norm(self.hidden(inputs), training=training))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden_units}


@pytest.mark.parametrize("name", ["m.keras", "m.h5"])
def test_registered_subclassed_model_round_trip_and_resume(tmp_path, name, data, same_weights):
    jkeras.utils.set_random_seed(4)
    model = TwoLayer(hidden=5, name="two_layer")
    model.compile(optimizer=jkeras.optimizers.Adam(0.01),
                  loss=jkeras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(data["x"], data["y"], epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / name)
    loaded = jkeras.models.load_model(tmp_path / name)
    assert type(loaded) is TwoLayer and loaded.hidden_units == 5
    assert loaded.hidden.name != model.hidden.name  # matched by weight order, not by name
    np.testing.assert_array_equal(loaded.predict(data["x"], verbose=0), model.predict(data["x"], verbose=0))
    jkeras.utils.set_random_seed(8)
    original = model.fit(data["x"], data["y"], epochs=2, batch_size=16, verbose=0).history
    jkeras.utils.set_random_seed(8)
    assert loaded.fit(data["x"], data["y"], epochs=2, batch_size=16, verbose=0).history == original
    same_weights(loaded, model)


def test_optimizer_with_schedule_and_optax_transformation(tmp_path, sequential_model, data):
    import optax

    model = sequential_model()
    schedule = jkeras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    model.compile(optimizer=jkeras.optimizers.SGD(schedule, momentum=0.5), loss="sparse_categorical_crossentropy")
    model.train_on_batch(data["x"][:8], data["y"][:8])
    model.save(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == 1
    assert float(loaded.optimizer.learning_rate) == pytest.approx(float(model.optimizer.learning_rate))

    model.compile(optimizer=optax.adam(1e-3), loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "optax.keras")
    with pytest.warns(UserWarning, match="optax"):
        loaded = jkeras.models.load_model(tmp_path / "optax.keras")
    assert not loaded.compiled

"""`save_weights` / `load_weights`: jkeras, Keras 3 and Keras 2 layouts, by_name, mismatches."""
import h5py
import keras
import numpy as np
import pytest

import jkeras
from jkeras import layers

WEIGHT_FORMATS = ["w.weights.h5", "w.h5", "w_ckpt"]


def _conv_model(lib):
    """Conv2D, BatchNormalization, a nested Sequential and TimeDistributed(Dense), in jkeras or Keras."""
    L = lib.layers
    inputs = lib.Input((6, 6, 2))
    x = L.Conv2D(3, 3, activation="relu")(inputs)
    x = L.BatchNormalization()(x)
    x = L.Reshape((4, 12))(x)
    x = L.TimeDistributed(L.Dense(2))(x)
    x = L.Flatten()(x)
    head = lib.Sequential([lib.Input((8,)), L.Dense(4, activation="tanh"), L.Dense(2)])
    return lib.Model(inputs, head(x))


def _randomize(model, seed=0):
    """Random weights (positive variances) for a jkeras or Keras model."""
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.uniform(0.5, 2.0, w.shape) if "variance" in w.path else 0.5 * rng.standard_normal(w.shape))
                       .astype("float32") for w in model.weights])


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(1).standard_normal((5, 6, 6, 2)).astype("float32")


@pytest.mark.parametrize("name", WEIGHT_FORMATS)
def test_weights_round_trip(tmp_path, name, trained_sequential, sequential_model, data, same_weights):
    trained_sequential.save_weights(tmp_path / name)
    fresh = sequential_model()
    fresh.load_weights(tmp_path / name)
    same_weights(fresh, trained_sequential)
    np.testing.assert_array_equal(fresh.predict(data["x"], verbose=0), trained_sequential.predict(data["x"], verbose=0))


def test_weights_file_restores_the_optimizer_state_of_a_compiled_model(tmp_path, trained_sequential,
                                                                       sequential_model):
    trained_sequential.save_weights(tmp_path / "w.weights.h5")
    fresh = sequential_model()
    fresh.compile(optimizer=jkeras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    fresh.load_weights(tmp_path / "w.weights.h5")
    assert fresh.optimizer.iterations == trained_sequential.optimizer.iterations
    with pytest.warns(UserWarning, match="fresh optimizer state"):
        other = sequential_model()
        other.compile(optimizer="sgd", loss="mse")
        other.load_weights(tmp_path / "w.weights.h5")


def test_keras3_loads_jkeras_weights(tmp_path, image):
    jk_model = _conv_model(jkeras)
    _randomize(jk_model)
    jk_model.save_weights(tmp_path / "w.weights.h5")
    jk_model.save_weights(tmp_path / "w.h5")
    for name in ("w.weights.h5", "w.h5"):
        k_model = _conv_model(keras)
        k_model.load_weights(tmp_path / name)
        np.testing.assert_allclose(k_model.predict(image, verbose=0), jk_model.predict(image, verbose=0),
                                   rtol=1e-5, atol=1e-5)


def test_jkeras_loads_keras3_weights_and_models(tmp_path, image):
    k_model = _conv_model(keras)
    _randomize(k_model, seed=2)
    k_model.compile(optimizer="adam", loss="mse")
    k_model.save_weights(tmp_path / "k.weights.h5")
    k_model.save(tmp_path / "k.keras")
    expected = k_model.predict(image, verbose=0)
    for name in ("k.weights.h5", "k.keras"):
        jk_model = _conv_model(jkeras)
        jk_model.load_weights(tmp_path / name)
        np.testing.assert_allclose(jk_model.predict(image, verbose=0), expected, rtol=1e-5, atol=1e-5)
    loaded = jkeras.models.load_model(tmp_path / "k.keras")
    assert loaded.compiled and type(loaded.optimizer) is jkeras.optimizers.Adam
    np.testing.assert_allclose(loaded.predict(image, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_jkeras_loads_a_keras3_legacy_h5_model_file(tmp_path, data):
    k_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                                keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    _randomize(k_model, seed=3)
    k_model.save(tmp_path / "legacy.h5")  # Keras 3 writes Keras 2's layout for .h5
    jk_model = jkeras.Sequential([layers.Input((4,)), layers.Dense(3, activation="relu"),
                                  layers.BatchNormalization(), layers.Dense(2)])
    jk_model.load_weights(tmp_path / "legacy.h5")
    np.testing.assert_allclose(jk_model.predict(data["x"], verbose=0), k_model.predict(data["x"], verbose=0),
                               rtol=1e-5, atol=1e-5)


def _write_keras2_weights(path, values):
    """A weights file in Keras 2's documented layout, written with h5py."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"input_1", b"dense_1", b"batch_normalization_1", b"dense_2"]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        f.create_group("input_1").attrs["weight_names"] = np.zeros((0,), "S1")
        for layer, names in (("dense_1", ["kernel", "bias"]), ("batch_normalization_1",
                             ["gamma", "beta", "moving_mean", "moving_variance"]), ("dense_2", ["kernel", "bias"])):
            group = f.create_group(layer)
            group.attrs["weight_names"] = [f"{layer}/{n}:0".encode() for n in names]
            for n in names:
                group[f"{layer}/{n}:0"] = values[f"{layer}/{n}"]


def _keras2_values(seed=4):
    rng = np.random.default_rng(seed)
    values = {
        "dense_1/kernel": rng.standard_normal((4, 3)), "dense_1/bias": rng.standard_normal(3),
        "batch_normalization_1/gamma": rng.uniform(0.5, 1.5, 3), "batch_normalization_1/beta": rng.standard_normal(3),
        "batch_normalization_1/moving_mean": rng.standard_normal(3),
        "batch_normalization_1/moving_variance": rng.uniform(0.5, 2.0, 3),
        "dense_2/kernel": rng.standard_normal((3, 2)), "dense_2/bias": rng.standard_normal(2),
    }
    return {k: v.astype("float32") for k, v in values.items()}


def _numpy_forward(v, x):
    h = np.maximum(x @ v["dense_1/kernel"] + v["dense_1/bias"], 0)
    bn = "batch_normalization_1/"
    h = (h - v[bn + "moving_mean"]) / np.sqrt(v[bn + "moving_variance"] + 1e-3) * v[bn + "gamma"] + v[bn + "beta"]
    return h @ v["dense_2/kernel"] + v["dense_2/bias"]


def _small(names=("dense_a", "norm", "dense_b"), units=3):
    return jkeras.Sequential([layers.Input((4,)), layers.Dense(units, activation="relu", name=names[0]),
                              layers.BatchNormalization(name=names[1]), layers.Dense(2, name=names[2])])


def test_keras2_layout_loads_topologically_and_by_name(tmp_path, data):
    values = _keras2_values()
    _write_keras2_weights(tmp_path / "k2.h5", values)
    model = _small()
    model.load_weights(tmp_path / "k2.h5")
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), _numpy_forward(values, data["x"]),
                               rtol=1e-5, atol=1e-5)
    renamed = _small(names=("dense_1", "other_norm", "dense_2"))
    before = renamed.get_layer("other_norm").get_weights()
    renamed.load_weights(tmp_path / "k2.h5", by_name=True)
    np.testing.assert_array_equal(renamed.get_layer("dense_1").get_weights()[0], values["dense_1/kernel"])
    np.testing.assert_array_equal(renamed.get_layer("dense_2").get_weights()[1], values["dense_2/bias"])
    for a, b in zip(renamed.get_layer("other_norm").get_weights(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", WEIGHT_FORMATS)
def test_by_name_loads_only_matching_layers(tmp_path, name):
    source = _small(names=("shared_a", "norm_a", "shared_b"))
    _randomize(source, seed=5)
    source.save_weights(tmp_path / name)
    target = _small(names=("shared_a", "norm_other", "shared_b"))
    untouched = target.get_layer("norm_other").get_weights()
    target.load_weights(tmp_path / name, by_name=True)
    for layer_name in ("shared_a", "shared_b"):
        for a, b in zip(target.get_layer(layer_name).get_weights(), source.get_layer(layer_name).get_weights()):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(target.get_layer("norm_other").get_weights(), untouched):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", WEIGHT_FORMATS)
def test_shape_mismatch_raises_or_is_skipped(tmp_path, name):
    source = _small(units=3)
    _randomize(source, seed=6)
    source.save_weights(tmp_path / name)
    target = _small(names=source_names(source), units=5)
    with pytest.raises(ValueError, match=r"(?s)dense_a.*\(4, 5\).*\(4, 3\)"):
        target.load_weights(tmp_path / name)
    with pytest.raises(ValueError, match=r"(?s)dense_a.*\(4, 5\).*\(4, 3\)"):
        target.load_weights(tmp_path / name, by_name=True)
    before = target.get_layer("dense_a").get_weights()
    with pytest.warns(UserWarning, match="Skipping loading"):
        target.load_weights(tmp_path / name, skip_mismatch=True)
    np.testing.assert_array_equal(target.get_layer("dense_a").get_weights()[0], before[0])


def source_names(model):
    return tuple(layer.name for layer in model.layers)


def test_layer_count_mismatch_raises(tmp_path):
    _small().save_weights(tmp_path / "w.h5")
    deeper = jkeras.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(3), layers.Dense(3), layers.Dense(2)])
    with pytest.raises(ValueError, match="Layer count mismatch"):
        deeper.load_weights(tmp_path / "w.h5")
    _small().save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="expects"):
        deeper.load_weights(tmp_path / "w.weights.h5")


def test_load_weights_errors(tmp_path):
    model = _small()
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "missing.h5")
    (tmp_path / "ckpt.index").write_text("")
    with pytest.raises(ValueError, match="TensorFlow checkpoint"):
        model.load_weights(tmp_path / "ckpt")
    with pytest.raises(ValueError, match="use model.save"):
        model.save_weights(tmp_path / "w.keras")


def test_keras3_weights_layout(tmp_path):
    model = _conv_model(jkeras)
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        assert f["vars"].attrs["name"] == model.name
        assert f["layers/conv2d/vars/0"].shape == (3, 3, 2, 3)
        assert len(f["layers/batch_normalization/vars"]) == 4
        assert f["layers/time_distributed/layer/vars/0"].shape == (12, 2)
        assert f["layers/sequential/layers/dense_1/vars/0"].shape == (4, 2)
        assert "layers/input_layer/vars" in f


def test_recurrent_layers_and_wrappers_interchange_with_keras3(tmp_path):
    recurrent = pytest.importorskip("jkeras.layers.recurrent")

    def build(lib, lstm, gru, simple_rnn):
        L = lib.layers
        return lib.Sequential([lib.Input((5, 3)), lstm(4, return_sequences=True),
                               L.Bidirectional(gru(2, return_sequences=True)), L.TimeDistributed(L.Dense(2)),
                               simple_rnn(3)])

    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
    jk_model = build(jkeras, recurrent.LSTM, recurrent.GRU, recurrent.SimpleRNN)
    k_model = build(keras, keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN)
    _randomize(k_model, seed=7)
    k_model.save_weights(tmp_path / "k.weights.h5")
    jk_model.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(jk_model.predict(x, verbose=0), k_model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    _randomize(jk_model, seed=8)
    for name in ("j.weights.h5", "j.h5"):
        jk_model.save_weights(tmp_path / name)
        k_model.load_weights(tmp_path / name)
        np.testing.assert_allclose(k_model.predict(x, verbose=0), jk_model.predict(x, verbose=0),
                                   rtol=1e-4, atol=1e-5)


def test_subclassed_model_weights_interchange_with_keras3(tmp_path, data):
    class JkModel(jkeras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(5, activation="relu")
            self.blocks = [layers.Dense(4), layers.Dense(3)]

        def call(self, inputs):
            x = self.hidden(inputs)
            for block in self.blocks:
                x = block(x)
            return x

    class KModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(5, activation="relu")
            self.blocks = [keras.layers.Dense(4), keras.layers.Dense(3)]

        def call(self, inputs):
            x = self.hidden(inputs)
            for block in self.blocks:
                x = block(x)
            return x

    jk_model, k_model = JkModel(), KModel()
    jk_model.build((None, 4))
    k_model(data["x"][:1])
    _randomize(jk_model, seed=9)
    jk_model.save_weights(tmp_path / "j.weights.h5")
    k_model.load_weights(tmp_path / "j.weights.h5")
    np.testing.assert_allclose(k_model.predict(data["x"], verbose=0), jk_model.predict(data["x"], verbose=0),
                               rtol=1e-5, atol=1e-5)
    _randomize(k_model, seed=10)
    k_model.save_weights(tmp_path / "k.weights.h5")
    jk_model.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(jk_model.predict(data["x"], verbose=0), k_model.predict(data["x"], verbose=0),
                               rtol=1e-5, atol=1e-5)


def test_weights_from_whole_model_saves(tmp_path, trained_sequential, sequential_model, same_weights):
    for name in ("m.keras", "m_dir", "m.h5"):
        trained_sequential.save(tmp_path / name)
        fresh = sequential_model()
        fresh.load_weights(tmp_path / name)
        same_weights(fresh, trained_sequential)


def test_unbuilt_model_has_no_weights_to_save_or_load(tmp_path):
    model = jkeras.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match="not built"):
        model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="not built"):
        model.load_weights(tmp_path / "w.weights.h5")


def test_functional_multi_io_shared_nested_interchange_with_keras3(tmp_path, functional_model, data):
    k_model, jk_model = functional_model(keras), functional_model(jkeras)
    assert [layer.name for layer in jk_model.layers] == [layer.name for layer in k_model.layers]
    x = [data["x"], data["xb"]]
    _randomize(k_model, seed=11)
    k_model.save(tmp_path / "k.keras")
    loaded = jkeras.models.load_model(tmp_path / "k.keras")
    for a, b in zip(loaded.predict(x, verbose=0), k_model.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    _randomize(jk_model, seed=12)
    jk_model.save_weights(tmp_path / "j.weights.h5")
    k_model.load_weights(tmp_path / "j.weights.h5")
    for a, b in zip(k_model.predict(x, verbose=0), jk_model.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)

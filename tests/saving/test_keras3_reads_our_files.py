"""`.keras` files written by jkeras are Keras 3 files: Keras 3's `load_model` rebuilds them with the
same predictions and optimizer state, and `fit` goes on in Keras as it goes on in jkeras. Keras 3's
files load in jkeras the same way, and jkeras's earlier `.keras` archives (orbax checkpoint inside)
still load."""
import io
import json
import os
import zipfile

import h5py
import keras
import numpy as np
import pytest

import jkeras
from jkeras.saving import keras3_h5, saving_api

from .conftest import _functional, _sequential

PACKAGE = "keras3_reads_ours"


def _scaled_dense_class(lib):
    """The same registered custom layer for Keras 3 and for jkeras (a kernel and a scalar scale)."""

    class ScaledDense(lib.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                          name="kernel")
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, x):
            return self.scale * lib.ops.matmul(x, self.kernel)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return lib.saving.register_keras_serializable(package=PACKAGE)(ScaledDense)


SCALED_DENSE = {keras: _scaled_dense_class(keras), jkeras: _scaled_dense_class(jkeras)}


# ------------------------------------------------------------------------------------------------
# The models (each written against the library `K` it is given) and their data


def _mlp(K):
    return _sequential(K), dict(optimizer=K.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                                metrics=["accuracy", K.metrics.SparseCategoricalAccuracy(name="acc")])


def _two_inputs(K):
    return _functional(K), dict(optimizer=K.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
                                loss=["sparse_categorical_crossentropy", K.losses.MeanSquaredError()],
                                loss_weights=[1.0, 0.5], metrics=[["accuracy"], ["mae"]])


def _cnn(K):
    L = K.layers
    model = K.Sequential([K.Input((6, 6, 1)), L.Conv2D(3, 3, activation="relu"), L.BatchNormalization(),
                          L.MaxPooling2D(), L.Flatten(), L.Dense(3, activation="softmax")], name="cnn")
    return model, dict(optimizer=K.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                       loss="sparse_categorical_crossentropy")


def _lstm(K):
    L = K.layers
    inputs = K.Input((5,), dtype="int32")
    outputs = L.Dense(1)(L.LSTM(4)(L.Embedding(12, 3)(inputs)))
    return K.Model(inputs, outputs, name="lstm"), dict(optimizer=K.optimizers.Nadam(0.01), loss="mse")


def _custom(K):
    schedule = K.optimizers.schedules.ExponentialDecay(0.02, decay_steps=2, decay_rate=0.5)
    model = K.Sequential([K.Input((4,)), SCALED_DENSE[K](3, name="scaled"), K.layers.Dense(2)], name="custom")
    return model, dict(optimizer=K.optimizers.AdamW(schedule), loss="mse", metrics=["mae"])


def _data(case):
    rng = np.random.default_rng(0)
    x4, x3 = rng.standard_normal((24, 4)).astype("float32"), rng.standard_normal((24, 3)).astype("float32")
    classes = rng.integers(0, 3, 24).astype("int32")
    return {
        "mlp": ([x4], classes),
        "two_inputs": ([x4, x3], [classes, rng.standard_normal((24, 1)).astype("float32")]),
        "cnn": ([rng.standard_normal((24, 6, 6, 1)).astype("float32")], classes),
        "lstm": ([rng.integers(0, 12, (24, 5)).astype("int32")], rng.standard_normal((24, 1)).astype("float32")),
        "custom": ([x4], rng.standard_normal((24, 2)).astype("float32")),
    }[case]


CASES = {"mlp": _mlp, "two_inputs": _two_inputs, "cnn": _cnn, "lstm": _lstm, "custom": _custom}
STEPS_PER_EPOCH = 3  # 24 samples, batches of 8


def _fit(model, x, y, epochs=1):
    model.fit(x if len(x) > 1 else x[0], y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)


def _predict(model, x):
    out = model.predict(x if len(x) > 1 else x[0], verbose=0)
    return out if isinstance(out, list) else [out]


def _trained(K, case):
    model, compile_args = CASES[case](K)
    model.compile(**compile_args)
    x, y = _data(case)
    _fit(model, x, y, epochs=2)
    return model, x, y


def _assert_close(a, b, rtol=1e-4, atol=1e-5):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=rtol, atol=atol)


# ------------------------------------------------------------------------------------------------
# jkeras saves, Keras 3 loads


@pytest.mark.parametrize("case", list(CASES))
def test_keras3_loads_our_file_and_training_goes_on(tmp_path, case):
    ours, x, y = _trained(jkeras, case)
    path = str(tmp_path / f"{case}.keras")
    ours.save(path)
    theirs = keras.models.load_model(path)
    assert type(theirs.optimizer).__name__ == type(ours.optimizer).__name__
    assert int(theirs.optimizer.iterations) == int(ours.optimizer.iterations) == 2 * STEPS_PER_EPOCH
    _assert_close(_predict(theirs, x), _predict(ours, x), rtol=1e-5, atol=1e-6)
    _assert_close([w.numpy() for w in theirs.weights], ours.get_weights(), rtol=0, atol=0)
    # The same optimizer state: one more epoch moves both models' weights alike (a fresh state in
    # Keras, or a slot in the wrong place, would take other steps).
    again = jkeras.models.load_model(path)
    for model in (theirs, ours, again):
        _fit(model, x, y)
    _assert_close([w.numpy() for w in theirs.weights], ours.get_weights())
    assert int(theirs.optimizer.iterations) == 3 * STEPS_PER_EPOCH
    for a, b in zip(again.get_weights(), ours.get_weights()):  # jkeras's own round trip is exact
        np.testing.assert_array_equal(a, b)


def _h5_layout(data):
    """`{dataset path: shape}` of an h5 file's bytes."""
    found = {}
    with h5py.File(io.BytesIO(data), "r") as h5:
        h5.visititems(lambda name, obj: found.__setitem__(name, obj.shape) if isinstance(obj, h5py.Dataset)
                      else None)
    return found


def _archive(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("case", ["mlp", "two_inputs"])
def test_archive_entries_are_those_keras3_writes(tmp_path, case):
    ours, _, _ = _trained(jkeras, case)
    theirs, _, _ = _trained(keras, case)
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    mine, reference = _archive(tmp_path / "ours.keras"), _archive(tmp_path / "theirs.keras")
    assert set(mine) == set(reference) == {"config.json", "metadata.json", "model.weights.h5"}
    assert {"keras_version", "date_saved"} <= set(json.loads(mine["metadata.json"]))
    # model.weights.h5: the same datasets (layers and optimizer variables) with the same shapes
    assert _h5_layout(mine["model.weights.h5"]) == _h5_layout(reference["model.weights.h5"])
    config, expected = json.loads(mine["config.json"]), json.loads(reference["config.json"])
    assert set(config) == set(expected)
    assert config["build_config"] == expected["build_config"]
    compile_config, expected_compile = config["compile_config"], expected["compile_config"]
    for entry in (compile_config, expected_compile):  # the optimizers' automatic names differ
        del entry["optimizer"]["config"]["name"]
    assert compile_config == expected_compile


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # Keras: no state to load
def test_keras3_loads_a_file_saved_without_optimizer_state(tmp_path):
    ours, x, _ = _trained(jkeras, "mlp")
    ours.save(tmp_path / "m.keras", include_optimizer=False)
    assert "optimizer" not in _h5_layout(_archive(tmp_path / "m.keras")["model.weights.h5"])
    theirs = keras.models.load_model(tmp_path / "m.keras")
    assert int(theirs.optimizer.iterations) == 0
    _assert_close(_predict(theirs, x), _predict(ours, x), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------------
# Keras 3 saves, jkeras loads


def test_jkeras_loads_keras3_files_with_their_optimizer_state(tmp_path):
    theirs, x, y = _trained(keras, "two_inputs")
    theirs.save(tmp_path / "theirs.keras")
    ours = jkeras.models.load_model(tmp_path / "theirs.keras")
    assert type(ours.optimizer) is jkeras.optimizers.RMSprop
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 2 * STEPS_PER_EPOCH
    _assert_close(_predict(ours, x), _predict(theirs, x), rtol=1e-5, atol=1e-6)
    for model in (theirs, ours):
        _fit(model, x, y)
    _assert_close(ours.get_weights(), [w.numpy() for w in theirs.weights])


# ------------------------------------------------------------------------------------------------
# jkeras's earlier `.keras` archives (config.json + orbax checkpoint) still load


def test_earlier_jkeras_archive_still_loads(tmp_path):
    import tempfile

    model, x, y = _trained(jkeras, "mlp")
    path = str(tmp_path / "old.keras")
    with tempfile.TemporaryDirectory() as staging:  # the writer of the earlier archives
        saving_api._write_model_dir(model, staging, include_optimizer=True)
        saving_api._zip_directory(staging, path)
    assert "checkpoint/index.json" in _archive(path) and "model.weights.h5" not in _archive(path)
    loaded = jkeras.models.load_model(path)
    assert int(loaded.optimizer.iterations) == 2 * STEPS_PER_EPOCH
    np.testing.assert_array_equal(_predict(loaded, x)[0], _predict(model, x)[0])
    for m in (loaded, model):
        _fit(m, x, y)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------------------------
# Saving stays atomic


def test_a_crash_mid_save_leaves_the_previous_file(tmp_path, monkeypatch):
    model, x, _ = _trained(jkeras, "mlp")
    path = str(tmp_path / "m.keras")
    model.save(path)
    expected = _predict(model, x)[0]
    model.set_weights([w + 1.0 for w in model.get_weights()])
    original = keras3_h5.save_weights

    def write_then_crash(*args, **kwargs):
        original(*args, **kwargs)
        raise KeyboardInterrupt("in the middle of saving")

    monkeypatch.setattr(keras3_h5, "save_weights", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["m.keras"]
    np.testing.assert_array_equal(_predict(keras.models.load_model(path), x)[0], expected)
    np.testing.assert_array_equal(_predict(jkeras.models.load_model(path), x)[0], expected)

"""Keras 3's saving hooks and Keras objects in custom configs, against Keras 3 running the same code.

The code of the "customizing_saving_and_serialization" and "serialization_and_saving" guides runs
once with `keras` (Keras 3, JAX backend) and once with `jkeras`; the tests compare what each
observes: serialized configs, which hooks ran, restored values and outputs. Files written by one
library are also read by the other where both formats agree (`.weights.h5`, Keras's `.keras`).
"""
import functools
import json
import os
import types
import warnings
import zipfile

import keras
import numpy as np
import pytest

import jkeras

BACKENDS = {"keras": keras, "jkeras": jkeras}


@functools.lru_cache(maxsize=None)
def classes(backend):
    """The guides' custom classes, written once against the library `backend` names."""
    K = BACKENDS[backend]
    calls = []

    @K.saving.register_keras_serializable(package="HooksTest", name="KernelMult")
    class MyDense(K.layers.Layer):
        def __init__(self, units, *, kernel_regularizer=None, kernel_initializer=None, nested_model=None,
                     **kwargs):
            super().__init__(**kwargs)
            self.hidden_units = units
            self.kernel_regularizer = kernel_regularizer
            self.kernel_initializer = kernel_initializer
            self.nested_model = nested_model

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.hidden_units, "kernel_regularizer": self.kernel_regularizer,
                           "kernel_initializer": self.kernel_initializer, "nested_model": self.nested_model})
            return config

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.hidden_units),
                                          regularizer=self.kernel_regularizer,
                                          initializer=self.kernel_initializer)

        def call(self, inputs):
            return K.ops.matmul(inputs, self.kernel)

    @K.saving.register_keras_serializable(package="HooksTest")
    class CustomModel(K.layers.Layer):
        def __init__(self, first_layer, second_layer=None, **kwargs):
            super().__init__(**kwargs)
            self.first_layer = first_layer
            self.second_layer = second_layer if second_layer is not None else K.layers.Dense(8)

        def get_config(self):
            config = super().get_config()
            config.update({"first_layer": self.first_layer, "second_layer": self.second_layer})
            return config

        @classmethod
        def from_config(cls, config):
            calls.append(("from_config", type(config["first_layer"]).__name__,
                          type(config["second_layer"]).__name__))
            config["first_layer"] = K.layers.deserialize(config["first_layer"])
            config["second_layer"] = K.saving.deserialize_keras_object(config["second_layer"])
            return cls(**config)

        def call(self, inputs):
            return self.first_layer(self.second_layer(inputs))

    class Hooked(K.layers.Layer):
        """get_build_config / build_from_config carrying an extra entry."""

        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.init_name = "zeros"

        def get_config(self):
            return dict(units=self.units, **super().get_config())

        def build(self, input_shape):
            self._shape = input_shape
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.init_name, name="w")

        def call(self, x):
            return K.ops.matmul(x, self.w)

        def get_build_config(self):
            calls.append("get_build_config")
            return {"input_shape": self._shape, "init_name": self.init_name}

        def build_from_config(self, config):
            calls.append(("build_from_config", config["init_name"]))
            self.init_name = config["init_name"]
            self.build(config["input_shape"])

    class Scaled(K.layers.Layer):
        """save_own_variables / load_own_variables adding an entry of their own."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
            self.extra = np.zeros((2,), "float32")

        def call(self, x):
            return x * self.w

        def save_own_variables(self, store):
            calls.append("save_own_variables")
            super().save_own_variables(store)
            store["extra"] = np.array([1.0, 2.0], "float32")

        def load_own_variables(self, store):
            calls.append(("load_own_variables", sorted(store.keys())))
            self.extra = np.asarray(store["extra"])
            self.w.assign(np.asarray(store["0"]))

    class WithAssets(K.layers.Layer):
        def __init__(self, vocab=None, **kwargs):
            super().__init__(**kwargs)
            self.vocab = vocab

        def call(self, x):
            return x

        def save_assets(self, inner_path):
            calls.append("save_assets")
            with open(os.path.join(inner_path, "vocabulary.txt"), "w") as f:
                f.write(self.vocab)

        def load_assets(self, inner_path):
            calls.append("load_assets")
            with open(os.path.join(inner_path, "vocabulary.txt")) as f:
                self.vocab = f.read()

    @K.saving.register_keras_serializable(package="HooksTest")
    class LayerWithCustomAssets(K.layers.Dense):
        def __init__(self, vocab=None, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.vocab = vocab

        def save_assets(self, inner_path):
            with open(os.path.join(inner_path, "vocabulary.txt"), "w") as f:
                f.write(self.vocab)

        def load_assets(self, inner_path):
            with open(os.path.join(inner_path, "vocabulary.txt")) as f:
                self.vocab = f.read().replace("<unk>", "little")

    @K.saving.register_keras_serializable(package="HooksTest")
    def small_square_sum_loss(y_true, y_pred):
        return K.ops.sum(K.ops.square(y_pred - y_true) / 10.0, axis=1)

    @K.saving.register_keras_serializable(package="HooksTest")
    def mean_pred(y_true, y_pred):
        return K.ops.mean(y_pred)

    @K.saving.register_keras_serializable(package="HooksTest")
    class ModelWithCustomCompile(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense1 = K.layers.Dense(8, activation="relu")
            self.dense2 = K.layers.Dense(4, activation="softmax")

        def call(self, inputs):
            return self.dense2(self.dense1(inputs))

        def compile(self, optimizer, loss_fn, metrics):
            super().compile(optimizer=optimizer, loss=loss_fn, metrics=metrics)
            self.model_optimizer = optimizer
            self.loss_fn = loss_fn
            self.loss_metrics = metrics

        def get_compile_config(self):
            calls.append("get_compile_config")
            return {"model_optimizer": self.model_optimizer, "loss_fn": self.loss_fn,
                    "metric": self.loss_metrics}

        def compile_from_config(self, config):
            calls.append("compile_from_config")
            optimizer = K.utils.deserialize_keras_object(config["model_optimizer"])
            loss_fn = K.utils.deserialize_keras_object(config["loss_fn"])
            metrics = K.utils.deserialize_keras_object(config["metric"])
            self.compile(optimizer=optimizer, loss_fn=loss_fn, metrics=metrics)

    @K.saving.register_keras_serializable(package="HooksTest")
    class CustomCompileOnly(K.Model):
        """Overrides `compile` but not the compile hooks: loaded uncompiled, with a warning."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = K.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

        def compile(self, optimizer, loss_fn):
            super().compile(optimizer=optimizer, loss=loss_fn)

    return types.SimpleNamespace(**{k: v for k, v in locals().items() if k not in ("K", "backend")})


def both(run, *args):
    """`run(K, classes, *args)` for Keras 3 and jkeras, each on a fresh call log."""
    out = {}
    for name, K in BACKENDS.items():
        ns = classes(name)
        ns.calls.clear()
        out[name] = run(K, ns, *args)
    return out["keras"], out["jkeras"]


# ------------------------------------------------------------------------------------------------
# Keras objects returned by get_config()


def test_layer_objects_in_get_config_serialize_as_keras_dicts():
    def run(K, ns):
        layer = ns.MyDense(16, kernel_regularizer=K.regularizers.L1L2(l1=1e-5, l2=1e-4),
                           kernel_initializer="ones")
        outer = ns.MyDense(64, nested_model=layer)
        config = K.layers.serialize(outer)
        nested = config["config"]["nested_model"]
        rebuilt = K.layers.deserialize(config)
        return {
            "outer": {k: config[k] for k in ("class_name", "registered_name")},
            "nested": {k: nested[k] for k in ("module", "class_name", "registered_name")},
            "nested_keys": sorted(nested),
            "nested_units": nested["config"]["units"],
            "regularizer": nested["config"]["kernel_regularizer"],
            "initializer": nested["config"]["kernel_initializer"],
            # Keras's default from_config hands the constructor the nested dict as it is.
            "rebuilt_nested_is_dict": isinstance(rebuilt.nested_model, dict),
            "rebuilt_nested_units": rebuilt.nested_model["config"]["units"],
            "json": json.loads(json.dumps(config))["config"]["nested_model"]["class_name"],
        }

    k, j = both(run)
    assert k["regularizer"] == {"module": "keras.regularizers", "class_name": "L1L2",
                                "config": {"l1": 1e-05, "l2": 0.0001}, "registered_name": None}
    assert j == k


def test_model_from_config_with_layers_in_a_custom_config():
    x = np.random.default_rng(0).normal(size=(3, 32)).astype("float32")

    def run(K, ns):
        inputs = K.Input((32,))
        first = ns.MyDense(16, kernel_regularizer="l1", kernel_initializer="ones")
        second = K.layers.Dense(8, kernel_initializer="ones", bias_initializer="ones")
        model = K.Model(inputs, ns.CustomModel(first_layer=first, second_layer=second)(inputs))
        new_model = K.Model.from_config(model.get_config())
        entry = model.get_config()["layers"][1]["config"]
        return {
            "calls": list(ns.calls),
            "entry_types": [type(entry[k]).__name__ for k in ("first_layer", "second_layer")],
            "entry_keys": [sorted(set(entry[k]) - {"build_config"}) for k in ("first_layer", "second_layer")],
            "entry_classes": [(entry[k]["module"], entry[k]["class_name"], entry[k]["registered_name"])
                              for k in ("first_layer", "second_layer")],
            "classes": [type(layer).__name__ for layer in new_model.layers],
            "shapes": sorted(tuple(w.shape) for w in new_model.weights),
            "out": np.asarray(new_model.predict(x, verbose=0)),
        }

    k, j = both(run)
    np.testing.assert_allclose(k["out"], (x @ np.ones((32, 8)) + 1) @ np.ones((8, 16)), rtol=1e-5)
    np.testing.assert_allclose(j.pop("out"), k.pop("out"), rtol=1e-5)
    assert k["calls"] == [("from_config", "dict", "dict")]
    assert json.loads(json.dumps(j)) == json.loads(json.dumps(k))


def test_save_and_load_a_layer_whose_config_holds_keras_objects(tmp_path):
    x = np.arange(6, dtype="float32").reshape(2, 3)

    def run(K, ns):
        layer = ns.MyDense(4, kernel_regularizer=K.regularizers.L1L2(l1=1e-5, l2=1e-4),
                           kernel_initializer="ones")
        inputs = K.Input((3,))
        model = K.Model(inputs, layer(inputs))
        path = str(tmp_path / f"{K.__name__}_objects.keras")
        model.save(path)
        loaded = K.models.load_model(path)
        return {"serialized": K.layers.serialize(layer)["config"]["kernel_regularizer"],
                "loaded": loaded.layers[1].kernel_regularizer,
                "before": np.asarray(model.predict(x, verbose=0)), "after": np.asarray(loaded.predict(x, verbose=0))}

    k, j = both(run)
    assert j["serialized"] == k["serialized"]
    assert j["loaded"] == k["loaded"]  # Keras gives the constructor the regularizer's dict
    expected = x @ np.ones((3, 4))
    for out in (k["before"], k["after"], j["before"], j["after"]):
        np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_deserialize_keras_object_reads_structures_as_keras():
    config = {"a": "mse", "b": ["accuracy", 3, None],
              "c": {"module": "keras.regularizers", "class_name": "L1L2",
                    "config": {"l1": 0.5, "l2": 0.0}, "registered_name": None}}
    k = keras.saving.deserialize_keras_object(config)
    j = jkeras.saving.deserialize_keras_object(config)
    assert {key: j[key] for key in "ab"} == {key: k[key] for key in "ab"}
    assert type(j["c"]).__name__ == type(k["c"]).__name__ == "L1L2"
    assert float(j["c"].l1) == pytest.approx(float(k["c"].l1))
    for name in ("SGD", "relu"):  # a name that is no custom object stays a name
        assert jkeras.saving.deserialize_keras_object(name) == keras.saving.deserialize_keras_object(name)
    array = np.arange(3.0)
    np.testing.assert_array_equal(
        jkeras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(array)), array)


# ------------------------------------------------------------------------------------------------
# get_compile_config / compile_from_config


def test_compile_hooks_round_trip(tmp_path):
    x = np.random.default_rng(1).random((4, 8)).astype("float32")

    def run(K, ns):
        model = ns.ModelWithCustomCompile()
        model.compile(optimizer="SGD", loss_fn=ns.small_square_sum_loss, metrics=["accuracy", ns.mean_pred])
        model(x)
        path = str(tmp_path / f"{K.__name__}_compile.keras")
        model.save(path)
        restored = K.models.load_model(path)
        return {
            "calls": list(ns.calls),
            "optimizer": restored.model_optimizer,
            "same_loss_fn": restored.loss_fn is model.loss_fn,
            "same_metrics": restored.loss_metrics == model.loss_metrics,
            "compiled": bool(restored.compiled),
            "optimizer_class": type(restored.optimizer).__name__,
        }

    k, j = both(run)
    assert k["calls"] == ["get_compile_config", "compile_from_config"]
    assert j == k


def test_overridden_compile_without_hooks_loads_uncompiled_with_a_warning(tmp_path):
    def run(K, ns):
        model = ns.CustomCompileOnly()
        model.compile(optimizer="SGD", loss_fn="mse")
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
        path = str(tmp_path / f"{K.__name__}_compile_only.keras")
        model.save(path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            restored = K.models.load_model(path)
        return {"optimizer": getattr(restored, "optimizer", None),
                "warned": any("compile" in str(w.message) and "custom" in str(w.message).lower()
                              or "overrides `compile()`" in str(w.message) for w in caught)}

    k, j = both(run)
    assert j == k == {"optimizer": None, "warned": True}


def test_default_compile_config_hooks():
    def run(K, ns):
        inputs = K.Input((3,))
        model = K.Model(inputs, K.layers.Dense(2)(inputs))
        before = model.get_compile_config()
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        config = model.get_compile_config()
        inputs = K.Input((3,))
        other = K.Model(inputs, K.layers.Dense(2)(inputs))
        other.compile_from_config(config)
        return {"before": before, "loss": config["loss"], "metrics": config["metrics"],
                "optimizer": config["optimizer"]["class_name"], "compiled": other.compiled,
                "other_optimizer": type(other.optimizer).__name__, "other_loss": other.loss}

    k, j = both(run)
    assert j == k


# ------------------------------------------------------------------------------------------------
# get_build_config / build_from_config


def test_build_hooks_in_sequential_and_functional_models(tmp_path):
    x = np.ones((2, 5), "float32")

    def run(K, ns):
        layer = ns.Hooked(3)
        layer.init_name = "ones"
        model = K.Sequential([layer, K.layers.Dense(1, kernel_initializer="ones")])
        model(x)
        path = str(tmp_path / f"{K.__name__}_build.keras")
        model.save(path)
        restored = K.models.load_model(path, custom_objects={"Hooked": ns.Hooked})
        saved_calls = list(ns.calls)
        ns.calls.clear()
        inputs = K.Input((5,))
        functional = K.Model(inputs, ns.Hooked(2)(inputs))
        config = functional.get_config()
        build_config = config["layers"][1]["build_config"]
        with K.saving.custom_object_scope({"Hooked": ns.Hooked}):
            rebuilt = K.Model.from_config(config)
        return {
            "saved_calls": saved_calls,
            "init_name": restored.layers[0].init_name,
            "built": (restored.built, restored.layers[0].built),
            "out": np.asarray(restored.predict(x, verbose=0)),
            "build_config": build_config,
            "functional_calls": list(ns.calls),
            "functional_shapes": [tuple(w.shape) for w in rebuilt.weights],
        }

    k, j = both(run)
    np.testing.assert_allclose(j.pop("out"), k.pop("out"))
    assert k["saved_calls"][-1] == ("build_from_config", "ones")
    assert json.loads(json.dumps(j)) == json.loads(json.dumps(k))


# ------------------------------------------------------------------------------------------------
# save_own_variables / load_own_variables


def _scaled_model(K, ns):
    model = K.Sequential([K.Input((3,)), ns.Scaled()])
    model.layers[0].w.assign(np.array([2.0, 3.0, 4.0], "float32"))
    return model


def test_own_variables_hooks_in_keras_file(tmp_path):
    def run(K, ns):
        path = str(tmp_path / f"{K.__name__}_vars.keras")
        _scaled_model(K, ns).save(path)
        restored = K.models.load_model(path, custom_objects={"Scaled": ns.Scaled})
        return {"calls": list(ns.calls), "extra": restored.layers[0].extra.tolist(),
                "w": np.asarray(restored.layers[0].w).tolist()}

    k, j = both(run)
    assert k["calls"] == ["save_own_variables", ("load_own_variables", ["0", "extra"])]
    assert j == k


def test_own_variables_hooks_in_weights_h5_read_by_the_other_library(tmp_path):
    def run(K, ns):
        path = str(tmp_path / f"{K.__name__}_vars.weights.h5")
        _scaled_model(K, ns).save_weights(path)
        fresh = K.Sequential([K.Input((3,)), ns.Scaled()])
        fresh.load_weights(path)
        return {"calls": list(ns.calls), "extra": fresh.layers[0].extra.tolist(),
                "w": np.asarray(fresh.layers[0].w).tolist(), "path": path}

    k, j = both(run)
    k_path, j_path = k.pop("path"), j.pop("path")
    assert j == k
    # Each library's file, read by the other one's load_own_variables.
    for reader, path in (("keras", j_path), ("jkeras", k_path)):
        ns = classes(reader)
        ns.calls.clear()
        K = BACKENDS[reader]
        model = K.Sequential([K.Input((3,)), ns.Scaled()])
        model.load_weights(path)
        assert ns.calls == [("load_own_variables", ["0", "extra"])]
        assert model.layers[0].extra.tolist() == [1.0, 2.0]
        assert np.asarray(model.layers[0].w).tolist() == [2.0, 3.0, 4.0]


def test_default_own_variables_store():
    def run(K, ns):
        layer = K.layers.Dense(2)
        layer.build((None, 3))
        store = {}
        layer.save_own_variables(store)
        other = K.layers.Dense(2)
        other.build((None, 3))
        other.load_own_variables({key: np.asarray(value) + 1 for key, value in store.items()})
        with pytest.raises(ValueError):
            other.load_own_variables({"0": np.asarray(store["0"])})
        return {"keys": sorted(store), "shapes": [np.shape(store[key]) for key in sorted(store)],
                "loaded": [np.allclose(np.asarray(w), np.asarray(store[str(i)]) + 1)
                           for i, w in enumerate(other.weights)]}

    k, j = both(run)
    assert j == k


def test_failing_save_hook_leaves_the_previous_file(tmp_path):
    ns = classes("jkeras")
    path = str(tmp_path / "atomic.keras")
    model = jkeras.Sequential([jkeras.Input((3,)), ns.Scaled()])
    model.save(path)
    model.layers[0].w.assign(np.array([5.0, 6.0, 7.0], "float32"))
    ns.Scaled.save_own_variables, original = (lambda self, store: 1 / 0), ns.Scaled.save_own_variables
    try:
        with pytest.raises(ZeroDivisionError):
            model.save(path)
    finally:
        ns.Scaled.save_own_variables = original
    restored = jkeras.models.load_model(path, custom_objects={"Scaled": ns.Scaled})
    assert np.asarray(restored.layers[0].w).tolist() == [1.0, 1.0, 1.0]
    assert [name for name in os.listdir(tmp_path)] == ["atomic.keras"]


# ------------------------------------------------------------------------------------------------
# save_assets / load_assets


def test_assets_hooks(tmp_path):
    def run(K, ns):
        model = K.Sequential([K.Input((3,)), ns.WithAssets(vocab="Mary had a little lamb.")])
        path = str(tmp_path / f"{K.__name__}_assets.keras")
        model.save(path)
        restored = K.models.load_model(path, custom_objects={"WithAssets": ns.WithAssets})
        with zipfile.ZipFile(path) as archive:
            assets = sorted(n for n in archive.namelist() if n.startswith("assets/"))
        guide = K.Sequential([ns.LayerWithCustomAssets(vocab="Mary had a <unk> lamb.", units=5)])
        guide(np.random.random((10, 10)))
        guide_path = str(tmp_path / f"{K.__name__}_guide_assets.keras")
        guide.save(guide_path)
        return {"calls": list(ns.calls), "vocab": restored.layers[0].vocab, "assets": assets,
                "guide_vocab": K.models.load_model(guide_path).layers[0].vocab}

    k, j = both(run)
    assert k["guide_vocab"] == "Mary had a little lamb."
    assert j == k


def test_keras_files_with_assets_and_own_variables_load_in_jkeras(tmp_path):
    k_ns, j_ns = classes("keras"), classes("jkeras")
    model = keras.Sequential([keras.Input((3,)), k_ns.WithAssets(vocab="a b c"), k_ns.Scaled()])
    model.layers[1].w.assign(np.array([2.0, 3.0, 4.0], "float32"))
    path = str(tmp_path / "from_keras.keras")
    model.save(path)
    j_ns.calls.clear()
    restored = jkeras.models.load_model(path, custom_objects={"WithAssets": j_ns.WithAssets,
                                                             "Scaled": j_ns.Scaled})
    assert restored.layers[0].vocab == "a b c"
    assert restored.layers[1].extra.tolist() == [1.0, 2.0]
    assert np.asarray(restored.layers[1].w).tolist() == [2.0, 3.0, 4.0]
    assert sorted(map(str, j_ns.calls)) == sorted(["load_assets", str(("load_own_variables", ["0", "extra"]))])

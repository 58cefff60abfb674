"""Found by running the keras-io Keras 3 developer guides (data changes only) on jkeras; each test
compares with Keras 3 running the same code."""
import os

import keras
import numpy as np
import pytest

import jkeras

RNG = np.random.default_rng(0)


def test_a_lone_output_loss_is_logged_as_loss_alone():
    # training_with_built_in_methods: `loss=[None, CategoricalCrossentropy()]` on a two-output
    # model; Keras 3 logs "<output>_loss" only when more than one output has a loss.
    x = RNG.random((16, 4)).astype("float32")
    y = {"s": RNG.random((16, 1)).astype("float32"), "c": RNG.random((16, 5)).astype("float32")}

    def run(k, loss):
        a = k.Input((4,), name="a")
        h = k.layers.Dense(3)(a)
        model = k.Model(a, [k.layers.Dense(1, name="s")(h), k.layers.Dense(5, name="c")(h)])
        model.compile("sgd", loss=loss, metrics={"c": ["accuracy"]})
        history = model.fit(x, y, epochs=1, verbose=0)
        result = model.evaluate(x, y, verbose=0, return_dict=True)
        return sorted(history.history), sorted(result)

    loss = [None, "categorical_crossentropy"]  # (with two losses both are logged: tests/models)
    assert run(jkeras, loss) == run(keras, loss)


def test_device_mesh_keeps_its_axis_names_as_given():
    # distribution guide: `DeviceMesh(..., axis_names=["data", "model"])` and DataParallel's own
    # mesh print and compare their axis names as the list they were given.
    def run(k):
        mesh = k.distribution.DeviceMesh(shape=(1, 1), axis_names=["data", "model"],
                                         devices=k.distribution.list_devices()[:1])
        data_parallel = k.distribution.DataParallel(devices=k.distribution.list_devices()[:1])
        return mesh.axis_names, repr(mesh), data_parallel.device_mesh.axis_names

    assert run(jkeras) == run(keras)


def _flat_shapes(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat_shapes(value, f"{prefix}{key}/"))
        else:
            out[prefix + key] = np.shape(value)
    return out


def test_state_tree_has_keras_layout_and_restores_a_keras_state():
    # orbax_checkpoint guide: Keras 3 checkpoints `model.get_state_tree()`; jkeras lays out the
    # same tree and `set_state_tree` restores weights and Adam's slots from Keras's tree.
    x = RNG.random((8, 4)).astype("float32")
    y = RNG.random((8, 3)).astype("float32")

    def build(k):
        model = k.Sequential([k.Input((4,)), k.layers.Dense(3, name="d"),
                              k.layers.BatchNormalization(name="bn")], name="seq")
        model.compile(k.optimizers.Adam(0.01, name="adam"), "mse")  # paths hold the name
        return model

    ref, ours = build(keras), build(jkeras)
    ref.fit(x, y, batch_size=4, epochs=2, verbose=0)
    ours.fit(x, y, batch_size=4, epochs=1, verbose=0)
    state = ref.get_state_tree("numpy_array")
    assert _flat_shapes(ours.get_state_tree()) == _flat_shapes(state)
    ours.set_state_tree(state)
    assert int(ours.optimizer.iterations) == int(ref.optimizer.iterations)
    for k in (ref, ours):  # one more step from the same state
        k.train_on_batch(x, y)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="value_format"):
        ours.get_state_tree("tensor")


def test_orbax_checkpoints_are_read_both_ways(tmp_path):
    # orbax_checkpoint guide: `keras.callbacks.OrbaxCheckpoint` during fit, then
    # `keras.saving.load_model(directory)` / `model.load_weights(directory)`.
    x = RNG.random((16, 4)).astype("float32")
    y = RNG.random((16, 1)).astype("float32")

    def build(k):
        inputs = k.Input((4,))
        outputs = k.layers.Dense(1, name="dense_2")(k.layers.Dense(3, name="dense_1")(inputs))
        model = k.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="mse")
        return model

    for writer, reader in ((keras, jkeras), (jkeras, keras)):
        directory = str(tmp_path / writer.__name__)
        model = build(writer)
        callback = writer.callbacks.OrbaxCheckpoint(directory=directory, save_freq=2, max_to_keep=2,
                                                    save_on_background=False)
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[callback])
        assert sorted(os.listdir(directory)) == ["2", "4"]
        expected = np.asarray(model.predict(x, verbose=0))
        loaded = reader.saving.load_model(directory)
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-6)
        assert int(loaded.optimizer.iterations) == 4
        fresh = build(reader)
        fresh.load_weights(directory)
        np.testing.assert_allclose(np.asarray(fresh.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-6)


def test_model_parallel_takes_its_layout_map_first():
    # orbax_checkpoint guide: `ModelParallel(layout_map, batch_dim_name="data")`, the same
    # distribution as Keras 3's keyword form.
    def run(k, positional):
        devices = k.distribution.list_devices()[:1]
        mesh = k.distribution.DeviceMesh(shape=(1, 1), axis_names=["data", "model"], devices=devices)
        layout_map = k.distribution.LayoutMap(mesh)
        layout_map["dense_1/kernel"] = (None, "model")
        if positional:
            distribution = k.distribution.ModelParallel(layout_map, batch_dim_name="data")
        else:
            distribution = k.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="data")
        layout = distribution.get_data_layout((8, 4))
        return (distribution.batch_dim_name, tuple(distribution.device_mesh.shape), tuple(layout.axes),
                tuple(distribution._layout_map["dense_1/kernel"].axes))

    assert run(jkeras, positional=True) == run(keras, positional=False)


def test_a_variable_shows_its_value():
    # sequential_model guide: `layer.weights` prints each variable with its value, as Keras 3 does.
    def run(k):
        layer = k.layers.Dense(2, kernel_initializer="ones", name="dense_repr")
        layer.build((None, 3))
        return [repr(w) for w in layer.weights]

    assert run(jkeras) == run(keras)

"""Found by running the keras-io Keras 3 developer guides (data changes only) on jkeras; each test
compares with Keras 3 running the same code."""
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

    for loss in ([None, "categorical_crossentropy"], ["mse", "categorical_crossentropy"]):
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

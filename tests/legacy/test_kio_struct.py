"""Found by running keras-io structured-data, timeseries and keras_recipes examples (Keras 3
versions) on jkeras; each test compares with Keras 3 running the same code."""
import contextlib

import keras
import numpy as np
import pytest

import jkeras


def test_unused_inputs_come_before_the_output_layers_as_keras_3():
    # movielens_recommendations_transformers.py: with include_user_features=False the user
    # inputs reach no output; Keras 3 lists them among the depth-0 layers, before the output.
    def build(k):
        a, b, c = (k.Input((2,), name=n) for n in "abc")
        out = k.layers.Dense(1, name="out")(k.layers.Dense(3, name="hidden")(b))
        with pytest.warns(UserWarning) if k is jkeras else contextlib.nullcontext():
            return k.Model({"a": a, "b": b, "c": c}, out)

    ref, ours = build(keras), build(jkeras)
    names = [layer.name for layer in ref.layers]
    assert names == ["b", "hidden", "a", "c", "out"]
    assert [layer.name for layer in ours.layers] == names
    with pytest.warns(UserWarning):
        again = jkeras.Model.from_config(ours.get_config())
    assert [layer.name for layer in again.layers] == names


def test_a_sequential_built_without_input_names_its_input_layer_as_keras_3():
    # sample_size_estimate.py: an augmentation Sequential built by its first call, then a model
    # from `layers.Input`; Keras 3's deferred build adds an `InputLayer` with its default name
    # (it takes `input_layer`, so the next Input is `input_layer_1`); jkeras named it
    # `sequential_input` / `dense_input` (tf.keras 2).
    def names(k):
        from keras.src.backend.common import global_state

        if k is keras:
            global_state.clear_session()
        else:
            k.backend.clear_session()
        built = k.Sequential([k.layers.Dense(2)])
        built(np.zeros((1, 3), "float32"))
        shaped = k.Sequential([k.layers.Dense(2, input_shape=(3,))])
        first = shaped.get_config()["layers"][0]["config"]["name"]
        inputs = k.layers.Input((3,))
        return built.get_config()["layers"][0]["config"]["name"], first, k.Model(inputs, inputs).layers[0].name

    expected = names(keras)
    assert expected == ("input_layer", "input_layer_1", "input_layer_2")
    assert names(jkeras) == expected


def test_a_layer_output_as_model_input_starts_the_model_there_as_keras_3():
    # structured_data_classification_from_scratch.py: `keras.Model(all_inputs, output)` where the
    # numerical entries of `all_inputs` are Normalization outputs, not Input tensors. Keras 3
    # replaces such an input by a new Input (`<name>CLONE`) and cuts the layers before it off;
    # jkeras refused the model.
    def build(k):
        a, b = k.Input((2,), name="a"), k.Input((3,), name="b")
        cut = k.layers.Dense(4, name="before")(b)
        out = k.layers.Dense(1, name="after")(k.layers.concatenate([a, cut]))
        return k.Model([a, cut], out)

    ref, ours = build(keras), build(jkeras)
    assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in ref.layers]
    assert "before" not in [layer.name for layer in ours.layers]
    assert ours.inputs[1]._keras_history.layer.name.endswith("CLONE")
    assert [tuple(t.shape) for t in ours.inputs] == [tuple(t.shape) for t in ref.inputs]
    ours.set_weights(ref.get_weights())
    x = [np.ones((2, 2), "float32"), np.arange(8, dtype="float32").reshape(2, 4)]
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5)
    # dict data is matched to a dict of inputs by key, as Keras 3 does
    d = build(jkeras)
    dm = jkeras.Model({"a": d.inputs[0], "n": d.inputs[1]}, d.outputs[0])  # "n" is not the Input's name
    assert dm.input_names == ["a", "n"]
    assert dm.predict({"a": x[0], "n": x[1]}, verbose=0).shape == (2, 1)


def test_a_layer_gets_its_dict_of_inputs_in_the_order_it_was_built_with_as_keras_3():
    # structured_data_classification_from_scratch.py: `Classifier.call` concatenates
    # `list(inputs.values())`; Keras 3 runs it with the dict in the model's order ("b", "a"),
    # jkeras gave it sorted ("a", "b") by JAX's tree functions, so the same weights gave other
    # values.
    def build(k):
        class Concat(k.layers.Layer):
            def call(self, inputs):
                return k.layers.concatenate(list(inputs.values()))

        ins = {"b": k.Input((1,), name="b"), "a": k.Input((2,), name="a")}
        return k.Model(ins, k.layers.Dense(2)(Concat()(ins)))

    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    data = {"b": np.ones((2, 1), "float32"), "a": np.arange(4, dtype="float32").reshape(2, 2)}
    expected = ref.predict(data, verbose=0)
    np.testing.assert_allclose(ours.predict(data, verbose=0), expected, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(ours(data)), expected, rtol=1e-5)

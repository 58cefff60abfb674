"""Differences from Keras 3 seen in keras-io examples and left open earlier (tuple outputs, dict
inputs, an unbuilt Sequential's weights, the functional model's class name); each test compares
with Keras 3 running the same code."""
import keras
import numpy as np

import jkeras

X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")


def _kind(value):
    return type(value).__name__


def test_a_tuple_of_outputs_stays_a_tuple():
    # `keras.Model(x, (a, b))`: Keras 3 keeps the tuple in `model.output`, `predict`, eager and
    # symbolic calls and the config; jkeras turned it into a list.
    def run(k):
        i1, i2 = k.Input((3,), name="i1"), k.Input((3,), name="i2")
        model = k.Model((i1, i2), (k.layers.Dense(2, name="a")(i1), k.layers.Dense(4, name="b")(i2)))
        again = k.Model.from_config(model.get_config())
        x = k.Input((3,))
        return {
            "input": _kind(model.input), "output": _kind(model.output), "outputs": _kind(model.outputs),
            "output_shape": (_kind(model.output_shape), [tuple(s) for s in model.output_shape]),
            "predict": _kind(model.predict((X, X), verbose=0)), "call": _kind(model((X, X))),
            "symbolic": _kind(model((x, x))), "from_config": (_kind(again.input), _kind(again.output)),
        }

    ours, ref = run(jkeras), run(keras)
    assert ours == ref
    assert ref["output"] == "tuple"


def test_dict_inputs_flatten_by_sorted_key():
    # `keras.Model({"b": ib, "c": ic, "a": ia}, out)`: Keras 3's `model.inputs` are in sorted key
    # order (tree.flatten); jkeras kept the dict's order, so `input_names` and the order of a
    # positional list of arrays differed.
    data = {"a": np.full((4, 3), 2.0, "float32"), "b": np.full((4, 2), 1.0, "float32"),
            "c": np.full((4, 1), 3.0, "float32")}

    def run(k):
        ib, ia, ic = k.Input((2,), name="b"), k.Input((3,), name="a"), k.Input((1,), name="c")
        dense = k.layers.Dense(1, name="d")
        model = k.Model({"b": ib, "c": ic, "a": ia}, dense(k.layers.Concatenate()([ib, ia, ic])))
        dense.set_weights([np.arange(6, dtype="float32").reshape(6, 1), np.zeros(1, "float32")])
        return model, [t.name for t in model.inputs], np.asarray(model.predict(data, verbose=0))

    ours, names, predicted = run(jkeras)
    _, ref_names, ref_predicted = run(keras)
    assert names == ref_names == ["a", "b", "c"]
    assert ours.input_names == ref_names
    assert list(ours.input) == ["b", "c", "a"]  # `model.input` keeps the dict as given, as Keras 3
    np.testing.assert_allclose(predicted, ref_predicted)
    in_order = [data[name] for name in ref_names]
    np.testing.assert_allclose(np.asarray(ours.predict(in_order, verbose=0)), ref_predicted)
    np.testing.assert_allclose(np.asarray(ours(in_order)), ref_predicted)


def test_dict_outputs_flatten_by_sorted_key_and_are_named_by_key():
    # `keras.Model(x, {"z": ..., "a": ...})` with keys that are not the output layers' names:
    # Keras 3 flattens the outputs by sorted key (so `model.layers` follow that order), logs
    # `<key>_loss` and takes targets keyed the same; jkeras kept the dict's order and looked for
    # targets under the layer names (fit raised).
    y = {"z": np.zeros((5, 1), "float32"), "a": np.ones((5, 2), "float32")}

    def run(k):
        inputs = k.Input((3,), name="x")
        model = k.Model(inputs, {"z": k.layers.Dense(1, name="zed")(inputs),
                                 "a": k.layers.Dense(2, name="ay")(inputs)})
        model.set_weights([np.full(w.shape, 0.1 * (i + 1), "float32") for i, w in enumerate(model.weights)])
        model.compile("sgd", {"z": "mse", "a": "mae"}, metrics={"z": "mae", "a": "mse"})
        history = model.fit(X, y, batch_size=5, verbose=0, shuffle=False).history
        predicted = model.predict(X, verbose=0)
        return [layer.name for layer in model.layers], history, predicted

    layers, history, predicted = run(jkeras)
    ref_layers, ref_history, ref_predicted = run(keras)
    assert layers == ref_layers == ["x", "ay", "zed"]
    assert sorted(history) == sorted(ref_history)
    for key in ref_history:
        np.testing.assert_allclose(history[key], ref_history[key], rtol=1e-5)
    assert list(predicted) == list(ref_predicted) == ["a", "z"]
    for key in ref_predicted:
        np.testing.assert_allclose(predicted[key], ref_predicted[key], rtol=1e-5, atol=1e-6)


def test_an_unbuilt_sequential_lists_the_weights_of_layers_built_before():
    # eanet.py: a Normalization adapted, then put in a Sequential (data augmentation) that is not
    # built yet: Keras 3's `weights` list the adapted layer's weights; jkeras listed none.
    images = np.random.default_rng(1).normal(size=(20, 4, 4, 3)).astype("float32")

    def run(k):
        norm = k.layers.Normalization(name="norm")
        norm.adapt(images)
        dense = k.layers.Dense(5, name="dense_built")
        dense.build((None, 3))
        model = k.Sequential([norm, k.layers.RandomFlip("horizontal", name="flip"), dense,
                              k.layers.Dense(2, name="dense_later")], name="augmentation")
        assert not model.built
        return ([w.path for w in model.weights], len(model.trainable_weights),
                len(model.non_trainable_weights), model.get_weights())

    ours, ref = run(jkeras), run(keras)
    assert ours[:3] == ref[:3]
    assert ref[0][:3] == ["norm/mean", "norm/variance", "norm/count"]
    for a, b in zip(ours[3][:3], ref[3][:3]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_functional_model_is_shown_as_functional():
    # `repr(keras.Model(inputs, outputs))` is `<Functional name=..., built=True>` in Keras 3.
    def run(k):
        inputs = k.Input((3,))
        model = k.Model(inputs, k.layers.Dense(2)(inputs), name="mm")
        assert isinstance(model, k.Model)
        return repr(model), repr(k.Sequential([k.Input((3,)), k.layers.Dense(1)], name="seq"))

    assert run(jkeras) == run(keras)

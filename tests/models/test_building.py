"""Building Sequential and functional models; the layer / model introspection API."""
import io
import contextlib

import keras
import numpy as np
import pytest

import jkeras
from jkeras import layers

RNG = np.random.default_rng(1)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


# ------------------------------------------------------------------------------------------
# Sequential


@pytest.mark.parametrize("first", [
    lambda: layers.Dense(4, input_shape=(3,)),
    lambda: layers.Dense(4, input_dim=3),
    lambda: layers.Dense(4, batch_input_shape=(None, 3)),
])
def test_sequential_first_layer_shape_forms(first):
    model = jkeras.Sequential([first(), layers.Dense(2)])
    assert model.input_shape == (None, 3)
    assert model.output_shape == (None, 2)
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_sequential_batch_size_is_kept():
    model = jkeras.Sequential([layers.Dense(4, input_shape=(3,), batch_size=8)])
    assert model.input_shape == (8, 3)


def test_sequential_add_and_pop():
    model = jkeras.Sequential()
    model.add(layers.Dense(5, input_shape=(3,)))
    model.add(layers.Dense(2))
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Dense"]
    assert model.output_shape == (None, 2)
    model.pop()
    assert model.output_shape == (None, 5)
    assert len(model.layers) == 1


def test_sequential_add_input_tensor():
    model = jkeras.Sequential()
    model.add(jkeras.Input(shape=(6,)))
    model.add(layers.Dense(2))
    assert model.input_shape == (None, 6)


def test_sequential_deferred_build_on_first_call():
    model = jkeras.Sequential([layers.Dense(4), layers.Dense(1)])
    assert not model.weights
    y = model(rand(5, 7))
    assert y.shape == (5, 1)
    assert model.input_shape == (None, 7)
    assert [w.shape for w in model.weights] == [(7, 4), (4,), (4, 1), (1,)]


def test_sequential_deferred_build_on_fit():
    model = jkeras.Sequential([layers.Dense(3, activation="relu"), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(rand(16, 5), rand(16, 1), epochs=1, verbose=0)
    assert model.input_shape == (None, 5)


def test_sequential_rejects_non_layers_and_duplicate_names():
    model = jkeras.Sequential()
    with pytest.raises(TypeError, match="layer instance"):
        model.add("dense")
    model.add(layers.Dense(1, name="same", input_shape=(2,)))
    with pytest.raises(ValueError, match="unique"):
        model.add(layers.Dense(1, name="same"))


def test_layer_input_output_attributes():
    model = jkeras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    first, second = model.layers
    assert first.input_shape == (None, 3) and first.output_shape == (None, 4)
    assert second.input is first.output
    assert model.get_layer(index=1) is second
    assert model.get_layer(name=second.name) is second
    with pytest.raises(ValueError, match="no layer named"):
        model.get_layer("nope")


# ------------------------------------------------------------------------------------------
# Functional


def test_functional_multi_input_multi_output():
    a = jkeras.Input(shape=(4,), name="a")
    b = jkeras.Input(batch_shape=(None, 3), name="b")
    h = layers.Dense(5, activation="relu", name="h")(a)
    out1 = layers.Dense(1, name="out1")(h)
    out2 = layers.Dense(2, name="out2")(b)
    model = jkeras.Model(inputs=[a, b], outputs=[out1, out2])
    assert model.input_shape == [(None, 4), (None, 3)]
    assert model.output_shape == [(None, 1), (None, 2)]
    assert model.input_names == ["a", "b"] and model.output_names == ["out1", "out2"]
    xa, xb = rand(6, 4), rand(6, 3)
    y1, y2 = model.predict([xa, xb], verbose=0)
    y1d, y2d = model.predict({"a": xa, "b": xb}, verbose=0)
    np.testing.assert_allclose(y1, y1d)
    kh, bh = model.get_layer("h").get_weights()
    k1, b1 = model.get_layer("out1").get_weights()
    np.testing.assert_allclose(y1, np.maximum(xa @ kh + bh, 0) @ k1 + b1, rtol=1e-5, atol=1e-5)
    k2, b2 = model.get_layer("out2").get_weights()
    np.testing.assert_allclose(y2, xb @ k2 + b2, rtol=1e-5, atol=1e-5)


def test_functional_keras1_input_output_spelling():
    x = jkeras.Input((3,))
    y = layers.Dense(2)(x)
    model = jkeras.Model(input=x, output=y)
    assert model.output_shape == (None, 2)


def test_input_dtype_and_name():
    x = jkeras.Input(shape=(5,), dtype="int32", name="tokens")
    assert x.dtype == "int32" and x.shape == (None, 5)
    assert x._keras_history.layer.name == "tokens"


def test_graph_disconnected_raises():
    a, b = jkeras.Input((3,)), jkeras.Input((3,))
    out = layers.Dense(1)(b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        jkeras.Model(a, out)


def test_duplicate_layer_names_raise():
    x = jkeras.Input((3,))
    y = layers.Dense(2, name="twin")(x)
    y = layers.Dense(2, name="twin")(y)
    with pytest.raises(ValueError, match='"twin" is used 2 times'):
        jkeras.Model(x, y)


def test_shared_layer_has_two_nodes():
    shared = layers.Dense(3, name="shared")
    a, b = jkeras.Input((4,)), jkeras.Input((4,))
    ya, yb = shared(a), shared(b)
    assert shared.get_output_at(0) is ya and shared.get_output_at(1) is yb
    assert shared.get_input_shape_at(1) == (None, 4)
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        shared.output
    model = jkeras.Model([a, b], [ya, yb])
    assert len(model.weights) == 2


def test_layer_order_and_weight_order_match_keras():
    def build(lib):
        a = lib.Input((4,), name="a")
        b = lib.Input((3,), name="b")
        x = lib.layers.Dense(5, name="x")(a)
        y = lib.layers.Dense(5, name="y")(b)
        z = lib.layers.Dense(2, name="z")(x)
        w = lib.layers.Dense(2, name="w")(y)
        return lib.Model([a, b], [z, w])

    ours, ref = build(jkeras), build(keras)
    assert [l.name for l in ours.layers] == [l.name for l in ref.layers]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    ours.set_weights(ref.get_weights())
    xa, xb = rand(2, 4), rand(2, 3)
    for o, r in zip(ours.predict([xa, xb], verbose=0), ref.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(o, r, rtol=1e-5, atol=1e-5)


def test_nested_model_shares_weights():
    inner = jkeras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)], name="inner")
    x = jkeras.Input((3,))
    outer = jkeras.Model(x, layers.Dense(1)(inner(x)))
    assert [w.path for w in outer.weights][:4] == [w.path for w in inner.weights]
    data = rand(5, 3)
    h = inner.predict(data, verbose=0)
    kernel, bias = outer.layers[-1].get_weights()
    np.testing.assert_allclose(outer.predict(data, verbose=0), h @ kernel + bias, rtol=1e-5, atol=1e-5)


def _path_structures(lib):
    """Models whose weight paths depend on which layers were building when each was built."""
    L = lib.layers

    class Block(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = L.Dense(3, name="inner_dense")

        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1], 2), name="w")

        def call(self, x):
            return self.dense(x) + lib.ops.sum(x @ self.w)

    class Sub(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.block = Block(name="block")
            self.seq = lib.Sequential([L.Dense(2, name="late")], name="late_seq")  # built in call
            i = lib.Input((3,))
            self.fn = lib.Model(i, L.Dense(3, name="early")(i))  # built here, outside any model

        def call(self, x):
            return self.seq(self.block(self.fn(x)))

    sub = Sub(name="sub_model")
    sub(np.zeros((1, 3), "float32"))
    deferred = lib.Sequential([L.Dense(2, name="d0"), L.Dense(1, name="d1")], name="deferred")
    deferred(np.zeros((1, 3), "float32"))
    added = lib.Sequential(name="added")
    added.add(lib.Input((3,)))
    added.add(L.Dense(2, name="a0"))
    added.add(L.BatchNormalization(name="a1"))
    inner = lib.Sequential([lib.Input((5, 3)), L.Bidirectional(L.LSTM(2, name="lstm"), name="bidir"),
                            L.Dense(1, name="i1")], name="inner")  # every weighted layer named: no counters
    i = lib.Input((5, 3))
    x = L.MultiHeadAttention(2, 4, name="mha")(i, i)
    functional = lib.Model(i, L.Dense(1, name="head")(inner(x)), name="outer")
    return [sub, deferred, added, inner, functional]


def test_weight_paths_are_keras_name_scopes():
    """`weight.path` is the chain of layers building the weight's layer, as Keras's name scopes
    give it: a Sequential's and a subclassed model's name prefix their layers' weights, a
    functional model's layers (built as they are called on its inputs) keep their own."""
    for ours, ref in zip(_path_structures(jkeras), _path_structures(keras)):
        assert [w.path for w in ours.weights] == [w.path for w in ref.weights], ref.name
        assert [w.name for w in ours.weights] == [w.name for w in ref.weights], ref.name


# ------------------------------------------------------------------------------------------
# Weights API


def test_get_set_weights_match_keras_and_outputs_agree():
    def build(lib):
        return lib.Sequential([lib.layers.Input((6,)), lib.layers.Dense(5, activation="relu"),
                               lib.layers.Dense(3, activation="softmax")])

    ours, ref = build(jkeras), build(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    ours.set_weights(ref.get_weights())
    x = rand(4, 6)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_set_weights_wrong_shape_names_layer_and_both_shapes():
    model = jkeras.Sequential([layers.Dense(4, input_shape=(3,), name="d1")])
    with pytest.raises(ValueError, match=r"d1.*kernel.*\(3, 4\).*\(3, 5\)"):
        model.set_weights([np.zeros((3, 5)), np.zeros(4)])
    with pytest.raises(ValueError, match="expects a list of 2 weights"):
        model.set_weights([np.zeros((3, 4))])
    assert model.get_weights()[0].shape == (3, 4)


def test_trainable_flag_moves_weights_between_lists():
    model = jkeras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    assert len(model.trainable_weights) == 4 and not model.non_trainable_weights
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.trainable = False
    assert not model.trainable_weights and len(model.non_trainable_weights) == 4


def test_count_params_unbuilt_raises():
    with pytest.raises(ValueError, match="built"):
        layers.Dense(3).count_params()


# ------------------------------------------------------------------------------------------
# summary


def _summary(model):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        model.summary()
    return buf.getvalue()


def test_summary_sequential_table():
    model = jkeras.Sequential(
        [layers.Dense(16, input_shape=(8,), name="hidden"), layers.Dropout(0.5, name="drop"),
         layers.Dense(3, name="out")], name="clf",
    )
    text = _summary(model)
    assert 'Model: "clf"' in text
    lines = text.splitlines()
    assert any(l.startswith("Layer (type)") and "Output Shape" in l and "Param #" in l for l in lines)
    rows = {l.split()[0]: l for l in lines if l.split() and l.split()[0] in ("hidden", "drop", "out")}
    assert "(Dense)" in rows["hidden"] and "(None, 16)" in rows["hidden"] and rows["hidden"].split()[-1] == str(8 * 16 + 16)
    assert rows["drop"].split()[-1] == "0"
    assert rows["out"].split()[-1] == str(16 * 3 + 3)
    total = 8 * 16 + 16 + 16 * 3 + 3
    assert f"Total params: {total:,}" in text
    assert f"Trainable params: {total:,}" in text
    assert "Non-trainable params: 0" in text
    assert all(len(l) <= 65 for l in lines)
    # The rows are Keras's: no input-layer row for a Sequential, in either spelling of its input.
    ref = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, name="hidden")])
    ours = jkeras.Sequential([jkeras.Input((8,)), layers.Dense(16, name="hidden")])
    ref_rows = [l.split()[1] for l in _summary(ref).splitlines() if "(None, 16)" in l]
    assert [l.split()[0] for l in _summary(ours).splitlines() if "(None, " in l] == ref_rows == ["hidden"]


def test_summary_counts_frozen_as_non_trainable_and_shows_connections():
    a, b = jkeras.Input((4,), name="a"), jkeras.Input((4,), name="b")
    shared = layers.Dense(2, name="shared")
    model = jkeras.Model([a, b], [shared(a), shared(b)])
    shared.trainable = False
    text = _summary(model)
    assert "Connected to" in text and "a[0][0]" in text and "b[0][0]" in text
    assert "Trainable params: 0" in text and "Non-trainable params: 10" in text


def test_summary_unbuilt_model_lists_layers():
    # Keras 3 prints an unbuilt model's layers with "?" shapes and "0 (unbuilt)" parameters.
    text = _summary(jkeras.Sequential([layers.Dense(2, name="d")]))
    row = next(l for l in text.splitlines() if l.startswith("d (Dense)"))
    assert row.split()[2:] == ["?", "0", "(unbuilt)"]


# ------------------------------------------------------------------------------------------
# Config round trips


def test_functional_config_round_trip_with_shared_and_nested():
    import json

    a, b = jkeras.Input((4,), name="a"), jkeras.Input((4,), name="b")
    shared = layers.Dense(3, activation="relu", name="shared")
    inner = jkeras.Sequential([layers.Dense(2, input_shape=(3,), name="inner_dense")], name="inner")
    outs = [inner(shared(a)), layers.Dense(1, name="head")(shared(b))]
    model = jkeras.Model([a, b], outs, name="twin")
    config = json.loads(json.dumps(model.get_config()))
    clone = jkeras.Model.from_config(config)
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert clone.input_names == ["a", "b"] and clone.output_shape == [(None, 2), (None, 1)]
    clone.set_weights(model.get_weights())
    xa, xb = rand(3, 4), rand(3, 4)
    for o, r in zip(clone.predict([xa, xb], verbose=0), model.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(o, r, rtol=1e-6)


def test_sequential_config_round_trip():
    import json

    model = jkeras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dropout(0.2),
                               layers.Dense(1)], name="seq")
    clone = jkeras.Sequential.from_config(json.loads(json.dumps(model.get_config())))
    assert clone.input_shape == (None, 3) and [type(l).__name__ for l in clone.layers] == ["Dense", "Dropout", "Dense"]
    clone.set_weights(model.get_weights())
    x = rand(2, 3)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_keras3_functional_config_loads():
    a = keras.Input((4,), name="a")
    h = keras.layers.Dense(3, activation="relu", name="h")(a)
    ref = keras.Model(a, keras.layers.Dense(2, name="o")(h))
    ours = jkeras.Model.from_config(ref.get_config())
    ours.set_weights(ref.get_weights())
    x = rand(5, 4)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_training_flag_fixed_at_call_time_keeps_dropout_on():
    x = jkeras.Input((50,))
    y = layers.Dropout(0.5)(x, training=True)
    model = jkeras.Model(x, y)
    out = model.predict(np.ones((4, 50), "float32"), verbose=0)
    assert (out == 0).any() and (out == 2).any()


def test_sequential_starting_with_a_functional_model_is_built_at_once():
    """Chollet's ch. 5: `Sequential([conv_base, Flatten(), Dense(...)])` with a frozen base is
    built as soon as the base is added (its input fixes the shape), as in Keras 3."""
    import keras

    for lib in (keras, jkeras):
        inp = lib.Input((6, 6, 3))
        base = lib.Model(inp, lib.layers.Conv2D(4, 3)(inp))
        base.trainable = False
        model = lib.Sequential([base, lib.layers.Flatten(), lib.layers.Dense(2)])
        assert model.built
        assert [tuple(w.shape) for w in model.trainable_weights] == [(64, 2), (2,)]
        assert tuple(model.output_shape) == (None, 2)

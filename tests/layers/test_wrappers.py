"""TimeDistributed and Bidirectional against Keras 3 (same weights, same inputs), masks, shared
weights, training and errors."""
import json

import jax
import keras
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras
from jkeras import layers

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def assert_outputs_close(ours, ref, atol=1e-5):
    ours = ours if isinstance(ours, (list, tuple)) else [ours]
    ref = ref if isinstance(ref, (list, tuple)) else [ref]
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        np.testing.assert_allclose(np.asarray(o), np.asarray(r), rtol=1e-5, atol=atol)


def small_vision_model(lib, name=None):
    """A functional Conv2D -> Flatten -> Dense model on 6x6x2 frames."""
    inp = lib.Input(shape=(6, 6, 2))
    h = lib.layers.Conv2D(3, 3, activation="relu")(inp)
    h = lib.layers.Flatten()(h)
    return lib.Model(inp, lib.layers.Dense(4)(h), name=name)


# ------------------------------------------------------------------------------------------
# TimeDistributed


@pytest.mark.parametrize("make, input_shape", [
    (lambda lib: lib.layers.TimeDistributed(lib.layers.Dense(3, activation="tanh")), (2, 4, 5)),
    (lambda lib: lib.layers.TimeDistributed(lib.layers.Dense(3)), (2, 3, 4, 5)),
    (lambda lib: lib.layers.TimeDistributed(lib.layers.Conv2D(3, 2, padding="same")), (2, 3, 5, 5, 2)),
    (lambda lib: lib.layers.TimeDistributed(small_vision_model(lib)), (2, 3, 6, 6, 2)),
], ids=["dense", "dense_rank4", "conv2d", "functional_model"])
def test_time_distributed_matches_keras(make, input_shape):
    check_layer(make, input_shape=input_shape)


def test_time_distributed_shapes_with_unknown_time():
    td = layers.TimeDistributed(layers.Conv2D(4, 3))
    assert td.compute_output_shape((None, None, 8, 8, 3)) == (None, None, 6, 6, 4)
    out = td(jkeras.Input(shape=(None, 8, 8, 3)))
    assert out.shape == (None, None, 6, 6, 4)
    assert td(rand(2, 5, 8, 8, 3)).shape == (2, 5, 6, 6, 4)
    assert [w.name for w in td.weights] == ["kernel", "bias"]


def test_time_distributed_masks_match_keras():
    # Embedding(mask_zero) over (batch, time, words) gives a (batch, time, words) mask; each slice's
    # (batch, words) mask reaches GlobalAveragePooling1D, then the (batch, time) mask passes on.
    def build(lib):
        inp = lib.Input(shape=(3, 5), dtype="int32")
        e = lib.layers.Embedding(10, 4, mask_zero=True)(inp)
        h = lib.layers.TimeDistributed(lib.layers.GlobalAveragePooling1D())(e)
        return lib.Model(inp, [h, lib.layers.TimeDistributed(lib.layers.Dense(2))(h)])

    x = np.array([[[8, 6, 5, 2, 3], [1, 4, 0, 0, 0], [6, 9, 5, 6, 9]],
                  [[7, 6, 5, 5, 9], [2, 8, 6, 0, 3], [8, 0, 0, 0, 0]]])
    k_model, model = build(keras), build(jkeras)
    model.set_weights(k_model.get_weights())
    assert_outputs_close(model(x), k_model(x))
    _, _, masks = model.apply_with_masks(model.get_variables(), x)
    np.testing.assert_array_equal(np.asarray(masks[1]), x != 0)


def test_time_distributed_passes_the_time_mask_through():
    td = layers.TimeDistributed(layers.Dense(2))
    x, mask = rand(2, 3, 4), np.array([[1, 1, 0], [1, 0, 0]], bool)
    assert td.supports_masking
    np.testing.assert_array_equal(np.asarray(td.compute_mask(x, mask)), mask)
    assert td.compute_mask(x, None) is None


def test_time_distributed_unfolds_the_inner_layers_mask():
    # The inner Embedding's (batch * time, words) mask comes back as (batch, time, words).
    td = layers.TimeDistributed(layers.Embedding(10, 3, mask_zero=True))
    x = np.array([[[1, 0], [0, 0], [2, 3]]])
    assert td(x).shape == (1, 3, 2, 3)
    np.testing.assert_array_equal(np.asarray(td.compute_mask(x)), x != 0)


def test_time_distributed_training_mode_and_inner_state():
    td = layers.TimeDistributed(layers.BatchNormalization(momentum=0.5))
    x = rand(4, 3, 2) * 3 + 1
    y_inf = np.asarray(td(x))
    np.testing.assert_allclose(y_inf, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    variables = td.get_variables()
    bn_name = td.layer.name
    assert set(variables["state"][bn_name]) == {"moving_mean", "moving_variance"}
    _, new_state = td.apply(variables, x, training=True, rng=jax.random.PRNGKey(0))
    # Statistics over batch and time together (the slices are folded into the batch axis).
    np.testing.assert_allclose(new_state[bn_name]["moving_mean"], 0.5 * x.reshape(-1, 2).mean(0), rtol=1e-5)
    drop = layers.TimeDistributed(layers.Dropout(0.5))
    ones = np.ones((2, 3, 4), "float32")
    np.testing.assert_array_equal(np.asarray(drop(ones)), ones)
    assert set(np.unique(np.asarray(drop(ones, training=True)))) <= {0.0, 2.0}


def test_time_distributed_init_is_pure_and_nests_the_inner_weights():
    td = layers.TimeDistributed(layers.Dense(3))
    fresh = td.init(jax.random.PRNGKey(1), (None, 4, 5))
    assert set(fresh["params"]) == {td.layer.name}
    assert fresh["params"][td.layer.name]["kernel"].shape == (5, 3)
    assert not td.built and not td.layer.built


def test_time_distributed_shares_a_models_weights_and_trains_them():
    # The video example of the Keras docs: a frame model used alone and over time.
    vision = jkeras.Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(6, 6, 2)),
                                layers.MaxPooling2D(), layers.Flatten()])
    before = vision.get_weights()
    video = jkeras.Input(shape=(5, 6, 6, 2))
    td = layers.TimeDistributed(vision)
    encoded = td(video)
    assert encoded.shape == (None, 5, 16)
    for a, b in zip(before, vision.get_weights()):  # wrapping a built model keeps its weights
        np.testing.assert_array_equal(a, b)
    pooled = layers.GlobalAveragePooling1D()(encoded)
    model = jkeras.Model(video, layers.Dense(1, activation="sigmoid")(pooled))
    assert [w.name for w in model.weights] == ["kernel", "bias", "kernel", "bias"]
    model.compile("adam", "binary_crossentropy")
    x = rand(32, 5, 6, 6, 2)
    y = (x.mean(axis=(1, 2, 3, 4)) > 0).astype("float32")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, vision.get_weights()))
    np.testing.assert_allclose(np.asarray(vision(x[:, 2])), np.asarray(td(x))[:, 2], rtol=1e-5, atol=1e-5)


def test_time_distributed_config_round_trip_in_a_model():
    inp = jkeras.Input(shape=(3, 6, 6, 2))
    model = jkeras.Model(inp, layers.TimeDistributed(small_vision_model(jkeras, name="frames"))(inp))
    clone = jkeras.Model.from_config(json.loads(json.dumps(model.get_config())))
    clone.set_weights(model.get_weights())
    x = rand(2, 3, 6, 6, 2)
    assert_outputs_close(clone(x), model(x))
    assert clone.layers[1].layer.name == "frames"


def test_time_distributed_errors():
    with pytest.raises(ValueError, match=r"TimeDistributed '.*': layer must be a jkeras Layer.*got 3"):
        layers.TimeDistributed(3)
    with pytest.raises(ValueError, match=r"TimeDistributed '.*': expected an input of rank >= 3.*\(2, 5\)"):
        layers.TimeDistributed(layers.Dense(2))(rand(2, 5))
    with pytest.raises(ValueError, match=r"mask's first two axes.*\(2, 3, \.\.\.\).*\(2, 4\)"):
        layers.TimeDistributed(layers.Dense(2))(rand(2, 3, 5), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"mask must be at least 2D.*\(2,\)"):
        layers.TimeDistributed(layers.Dense(2))(rand(2, 3, 5), mask=np.ones((2,), bool))
    td = layers.TimeDistributed(layers.Dense(2))
    td(rand(2, 3, 5))
    with pytest.raises(ValueError, match=r"Dense '.*': expected the input's last axis to have size 5"):
        td(rand(2, 3, 4))


def test_time_distributed_keras2_input_shape_in_a_sequential():
    model = jkeras.Sequential([layers.TimeDistributed(layers.Dense(8), input_shape=(10, 16)),
                               layers.TimeDistributed(layers.Dense(2))])
    assert model.output_shape == (None, 10, 2)
    assert model.count_params() == 16 * 8 + 8 + 8 * 2 + 2


# ------------------------------------------------------------------------------------------
# Bidirectional


def bidirectional(lib, rnn, merge_mode="concat", **rnn_kwargs):
    return lib.layers.Bidirectional(getattr(lib.layers, rnn)(3, **rnn_kwargs), merge_mode=merge_mode)


@pytest.mark.parametrize("rnn, merge_mode, return_sequences, return_state", [
    ("LSTM", "concat", True, False),
    ("LSTM", None, False, True),
    ("GRU", "ave", True, True),
    ("SimpleRNN", "sum", False, True),
    ("SimpleRNN", "mul", True, False),
])
def test_bidirectional_matches_keras(rnn, merge_mode, return_sequences, return_state):
    check_layer(
        lambda lib: bidirectional(lib, rnn, merge_mode, return_sequences=return_sequences,
                                  return_state=return_state),
        input_shape=(2, 4, 5), grads=(rnn == "SimpleRNN" and return_state),
    )


@pytest.mark.parametrize("rnn, merge_mode, return_sequences, return_state", [
    ("LSTM", "concat", False, False),
    ("GRU", None, True, False),
    ("SimpleRNN", "sum", True, True),
])
def test_bidirectional_masks_from_embedding_match_keras(rnn, merge_mode, return_sequences, return_state):
    def build(lib):
        inp = lib.Input(shape=(5,), dtype="int32")
        e = lib.layers.Embedding(10, 4, mask_zero=True)(inp)
        out = bidirectional(lib, rnn, merge_mode, return_sequences=return_sequences,
                            return_state=return_state)(e)
        return lib.Model(inp, out)

    x = np.array([[3, 4, 1, 0, 0], [2, 5, 6, 7, 1], [9, 0, 0, 0, 0]])
    k_model, model = build(keras), build(jkeras)
    model.set_weights(k_model.get_weights())
    assert_outputs_close(model(x), k_model(x))
    _, _, masks = model.apply_with_masks(model.get_variables(), x)
    kept = x != 0 if return_sequences else None
    outputs = 2 if merge_mode is None else 1
    states = (4 if rnn == "LSTM" else 2) if return_state else 0
    assert len(masks) == outputs + states
    for m in masks[:outputs]:
        assert (m is None) if kept is None else np.array_equal(np.asarray(m), kept)
    assert all(m is None for m in masks[outputs:])


def test_bidirectional_layers_weights_and_config_as_keras():
    layer = layers.Bidirectional(layers.LSTM(3, name="encoder"))
    k_layer = keras.layers.Bidirectional(keras.layers.LSTM(3, name="encoder"))
    x = rand(2, 4, 5)
    layer(x), k_layer(x)
    assert layer.forward_layer.name == k_layer.forward_layer.name == "forward_encoder"
    assert layer.backward_layer.name == k_layer.backward_layer.name == "backward_encoder"
    assert not layer.forward_layer.go_backwards and layer.backward_layer.go_backwards
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"] * 2
    assert [w.shape for w in layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    config = layer.get_config()
    assert config["merge_mode"] == "concat"
    assert config["layer"]["class_name"] == config["backward_layer"]["class_name"] == "LSTM"
    assert config["backward_layer"]["config"]["go_backwards"] is True
    clone = layers.Bidirectional.from_config(json.loads(json.dumps(config)))
    assert clone.forward_layer.name == "forward_encoder" and clone.backward_layer.name == "backward_encoder"
    assert clone.get_config() == config


def test_bidirectional_initial_state_split_between_directions():
    k_layer = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))
    layer = layers.Bidirectional(layers.LSTM(3, return_sequences=True))
    x = rand(2, 4, 5)
    states = [np.full((2, 3), v, "float32") for v in (0.5, -1.0, 0.2, 0.3)]
    expected = k_layer(x, initial_state=states)
    layer(x)
    layer.set_weights(k_layer.get_weights())
    assert_outputs_close(layer(x, initial_state=states), expected)
    # Symbolic states are inputs of the graph.
    seq = jkeras.Input(shape=(4, 5))
    state_inputs = [jkeras.Input(shape=(3,)) for _ in states]
    model = jkeras.Model([seq] + state_inputs, layer(seq, initial_state=state_inputs))
    assert model.output_shape == (None, 4, 6)
    assert_outputs_close(model([x] + states), expected)
    with pytest.raises(ValueError, match=r"Bidirectional '.*': initial_state must hold.*got 3"):
        layer.apply(layer.get_variables(), x, initial_state=states[:3])


def test_bidirectional_stateful_carries_states_as_keras():
    k_layer = keras.layers.Bidirectional(keras.layers.GRU(3, stateful=True, return_sequences=True))
    layer = layers.Bidirectional(layers.GRU(3, stateful=True, return_sequences=True))
    x = rand(2, 4, 5)
    k_layer(x), layer(x)
    layer.set_weights(k_layer.get_weights())
    k_layer.reset_states(), layer.reset_states()
    for _ in range(2):  # the second call starts from the first call's final states
        assert_outputs_close(layer(x), k_layer(x))
    k_layer.reset_states(), layer.reset_states()
    assert_outputs_close(layer(x), k_layer(x))
    assert layer.stateful and len(layer.weights) == 6


def test_bidirectional_weights_argument_and_custom_backward_layer():
    source = layers.Bidirectional(layers.SimpleRNN(2))
    x = rand(2, 3, 4)
    source(x)
    layer = layers.Bidirectional(layers.SimpleRNN(2), weights=source.get_weights())
    assert_outputs_close(layer(x), source(x))

    backward = layers.SimpleRNN(2, activation="relu", go_backwards=True, name="back")
    layer = layers.Bidirectional(layers.SimpleRNN(2), backward_layer=backward, merge_mode=None)
    k_layer = keras.layers.Bidirectional(
        keras.layers.SimpleRNN(2), merge_mode=None,
        backward_layer=keras.layers.SimpleRNN(2, activation="relu", go_backwards=True, name="back"),
    )
    expected = k_layer(x)
    layer(x)
    layer.set_weights(k_layer.get_weights())
    assert layer.backward_layer is backward
    assert_outputs_close(layer(x), expected)
    clone = layers.Bidirectional.from_config(json.loads(json.dumps(layer.get_config())))
    assert clone.backward_layer.name == "back" and clone.backward_layer.activation is not None


def test_bidirectional_keras2_input_shape_in_a_sequential():
    model = jkeras.Sequential([layers.Bidirectional(layers.LSTM(4, return_sequences=True), input_shape=(5, 3)),
                               layers.Bidirectional(layers.GRU(2))])
    assert model.output_shape == (None, 4)
    assert model.count_params() == 2 * (4 * 4 * (3 + 4 + 1)) + 2 * (3 * 2 * (8 + 2 + 2))


def test_bidirectional_errors():
    with pytest.raises(ValueError, match=r"Bidirectional '.*': merge_mode must be one of.*got 'max'"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match=r"Bidirectional '.*': layer must be a jkeras Layer.*got 'lstm'"):
        layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match=r"layer must be a recurrent layer with a `go_backwards`.*Dense"):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(ValueError, match=r"different go_backwards values"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match=r"same return_sequences, got False for the forward.*True for the backward"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match=r"LSTM 'forward_lstm.*': expected an input of rank 3.*\(2, 5\)"):
        layers.Bidirectional(layers.LSTM(2))(rand(2, 5))


def test_bidirectional_lstm_text_classifier_learns():
    # Does the (variable-length, zero-padded) sequence contain token 1?
    jkeras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n, steps = 384, 8
    lengths = rng.integers(2, steps + 1, n)
    x = rng.integers(2, 12, (n, steps))
    x[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    plant = rng.integers(0, 2, n) == 1
    x[np.arange(n)[plant], rng.integers(0, lengths)[plant]] = 1
    y = (x == 1).any(axis=1).astype("float32")
    model = jkeras.Sequential([layers.Embedding(12, 8, mask_zero=True, input_shape=(steps,)),
                               layers.Bidirectional(layers.LSTM(8)),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(jkeras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8


def test_wrappers_load_keras3_configs():
    x = rand(2, 4, 5)
    for k_layer, cls in [
        (keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True), merge_mode="sum"),
         layers.Bidirectional),
        (keras.layers.TimeDistributed(keras.layers.Dense(3)), layers.TimeDistributed),
    ]:
        expected = k_layer(x)
        config = json.loads(json.dumps(keras.saving.serialize_keras_object(k_layer)))["config"]
        layer = cls.from_config(config)
        layer(x)
        layer.set_weights(k_layer.get_weights())
        assert_outputs_close(layer(x), expected)


def test_wrappers_in_a_model_are_pure_functions():
    # Model.init gives fresh weights of the structure get_variables has; apply jits, state included.
    inp = jkeras.Input(shape=(3, 4))
    h = layers.Bidirectional(layers.GRU(3, return_sequences=True))(inp)
    out = layers.TimeDistributed(layers.BatchNormalization())(h)
    model = jkeras.Model(inp, out)
    variables = model.get_variables()
    fresh = model.init(jax.random.PRNGKey(0))
    assert jax.tree_util.tree_structure(fresh) == jax.tree_util.tree_structure(variables)
    bidi = model.layers[1]
    assert set(variables["params"][bidi.name]) == {bidi.forward_layer.name, bidi.backward_layer.name}
    step = jax.jit(lambda v, x: model.apply(v, x, training=True, rng=jax.random.PRNGKey(1)))
    y, state = step(fresh, rand(2, 3, 4))
    assert y.shape == (2, 3, 6)
    assert jax.tree_util.tree_structure(state) == jax.tree_util.tree_structure(variables["state"])

"""Keras 2 `examples/` text and sequence scripts (imdb_*, babi_*, addition_rnn, lstm_seq2seq*,
lstm_stateful, cnn_seq2seq, pretrained_word_embeddings, conv_lstm): the pieces that broke, each
checked against Keras 3 running the same code."""
import json

import keras
import numpy as np

import jkeras


def _seq2seq(k, latent=4, enc=5, dec=6):
    """lstm_seq2seq.py's training model: a decoder LSTM started from the encoder's states."""
    L = k.layers
    encoder_inputs = L.Input(shape=(None, enc))
    _, state_h, state_c = L.LSTM(latent, return_state=True)(encoder_inputs)
    decoder_inputs = L.Input(shape=(None, dec))
    decoder_outputs, _, _ = L.LSTM(latent, return_sequences=True, return_state=True)(
        decoder_inputs, initial_state=[state_h, state_c])
    outputs = L.Dense(dec, activation="softmax")(decoder_outputs)
    return k.models.Model([encoder_inputs, decoder_inputs], outputs)


def _layer_entry(config, class_name, index=0):
    return [e for e in config["layers"] if e["class_name"] == class_name][index]


def _node(config, entry):
    """The entry's first node, each tensor's layer named by its position (auto-names differ)."""
    position = {e["name"]: i for i, e in enumerate(config["layers"])}

    def rename(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            history = value["config"]["keras_history"]
            return {**value, "config": {**value["config"], "keras_history": [position[history[0]]] + history[1:]}}
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, dict):
            return {k: rename(v) for k, v in value.items()}
        return value

    return rename(entry["inbound_nodes"][0])


def test_rnn_called_with_initial_state_is_serialized_as_keras_3_does():
    jk_config = json.loads(json.dumps(_seq2seq(jkeras).get_config(), default=list))
    k3_config = json.loads(json.dumps(_seq2seq(keras).get_config(), default=list))
    jk_decoder, k3_decoder = _layer_entry(jk_config, "LSTM", 1), _layer_entry(k3_config, "LSTM", 1)
    assert jk_decoder["build_config"] == k3_decoder["build_config"]
    jk_node, k3_node = _node(jk_config, jk_decoder), _node(k3_config, k3_decoder)
    assert jk_node["args"] == k3_node["args"]
    assert jk_node["kwargs"]["initial_state"] == k3_node["kwargs"]["initial_state"]


def test_seq2seq_model_saved_by_jkeras_loads_in_keras_3(tmp_path):
    model = _seq2seq(jkeras)
    path = str(tmp_path / "s2s.h5")
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    r = np.random.RandomState(0)
    x = [r.rand(2, 3, 5).astype("float32"), r.rand(2, 4, 6).astype("float32")]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    # and back: the Keras 3 model's config rebuilds the same graph in jkeras
    again = jkeras.models.Model.from_config(loaded.get_config())
    again.set_weights(loaded.get_weights())
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def _bidirectional_with_states(k):
    L = k.layers
    sequences, state = L.Input(shape=(None, 5)), L.Input(shape=(4,))
    outputs = L.Bidirectional(L.GRU(4, return_sequences=True))(sequences, initial_state=[state, state])
    return k.models.Model([sequences, state], outputs)


def test_bidirectional_with_initial_state_round_trips_through_keras_3():
    model = _bidirectional_with_states(jkeras)
    config = json.loads(json.dumps(model.get_config(), default=list))
    k3_config = json.loads(json.dumps(_bidirectional_with_states(keras).get_config(), default=list))
    assert config["layers"][-1]["build_config"] == k3_config["layers"][-1]["build_config"]
    node, k3_node = _node(config, config["layers"][-1]), _node(k3_config, k3_config["layers"][-1])
    assert node["args"] == k3_node["args"]
    assert node["kwargs"]["initial_state"] == k3_node["kwargs"]["initial_state"]
    reference = keras.models.Model.from_config(config)
    reference.set_weights(model.get_weights())
    r = np.random.RandomState(1)
    x = [r.rand(2, 3, 5).astype("float32"), r.rand(2, 4).astype("float32")]
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-6)
    # eager calls with array states agree too
    layer, k3_layer = model.layers[-1], reference.layers[-1]
    np.testing.assert_allclose(np.asarray(layer(x[0], initial_state=[x[1], x[1]])),
                               np.asarray(k3_layer(x[0], initial_state=[x[1], x[1]])), atol=1e-6)

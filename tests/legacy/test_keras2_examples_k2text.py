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


def test_rnn_called_with_initial_state_is_serialized_as_keras_3_does():
    jk_config = json.loads(json.dumps(_seq2seq(jkeras).get_config(), default=list))
    k3_config = json.loads(json.dumps(_seq2seq(keras).get_config(), default=list))
    jk_decoder, k3_decoder = _layer_entry(jk_config, "LSTM", 1), _layer_entry(k3_config, "LSTM", 1)
    assert jk_decoder["build_config"] == k3_decoder["build_config"]
    jk_node, k3_node = jk_decoder["inbound_nodes"][0], k3_decoder["inbound_nodes"][0]
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

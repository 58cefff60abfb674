"""Sequence models from the Keras documentation, written as the docs write them: they build with the
documented shapes (checked against Keras 3 where Keras 3 accepts the code) and learn small
synthetic tasks."""
import keras
import numpy as np
import pytest

import jkeras

DATA_DIM, TIMESTEPS, NUM_CLASSES = 16, 8, 10


def stacked_lstm(lib, stateful=False, batch_size=32):
    """"Stacked LSTM for sequence classification" (Keras 2 Sequential guide); the stateful variant
    fixes the batch size with `batch_input_shape` as the guide does (Keras 3 needs
    `Input(batch_shape=...)`)."""
    layers = lib.layers
    model = lib.Sequential()
    if stateful and lib is keras:
        model.add(keras.Input(batch_shape=(batch_size, TIMESTEPS, DATA_DIM)))
        first = layers.LSTM(32, return_sequences=True, stateful=True)
    elif stateful:
        first = layers.LSTM(32, return_sequences=True, stateful=True,
                            batch_input_shape=(batch_size, TIMESTEPS, DATA_DIM))
    else:
        first = layers.LSTM(32, return_sequences=True, input_shape=(TIMESTEPS, DATA_DIM))
    model.add(first)  # returns a sequence of vectors of dimension 32
    model.add(layers.LSTM(32, return_sequences=True, stateful=stateful))  # a sequence of vectors
    model.add(layers.LSTM(32, stateful=stateful))  # a single vector of dimension 32
    model.add(layers.Dense(NUM_CLASSES, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def cnn_lstm(lib, max_features=30, maxlen=24):
    """The "imdb_cnn_lstm" example: Embedding -> Dropout -> Conv1D -> MaxPooling1D -> LSTM -> Dense."""
    layers = lib.layers
    model = lib.Sequential()
    model.add(layers.Embedding(max_features, 16, input_length=maxlen))
    model.add(layers.Dropout(0.25))
    model.add(layers.Conv1D(16, 5, padding="valid", activation="relu", strides=1))
    model.add(layers.MaxPooling1D(pool_size=2))
    model.add(layers.LSTM(16))
    model.add(layers.Dense(1))
    model.add(layers.Activation("sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def lstm_classifier(lib, max_features=30):
    """"Sequence classification with LSTM" (Keras 2 Sequential guide), with padded sequences."""
    layers = lib.layers
    model = lib.Sequential()
    model.add(layers.Embedding(max_features, output_dim=16, mask_zero=True))
    model.add(layers.LSTM(16))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def sequence_classes(n, rng):
    """Class = which of 10 feature pairs carries a signal that decays over time."""
    labels = rng.integers(0, NUM_CLASSES, n)
    x = rng.standard_normal((n, TIMESTEPS, DATA_DIM)).astype("float32") * 0.3
    ramp = np.linspace(1.5, 0.5, TIMESTEPS, dtype="float32")
    x[np.arange(n), :, labels % DATA_DIM] += ramp
    return x, jkeras.utils.to_categorical(labels, NUM_CLASSES)


def token_sequences(n, maxlen, rng, pad=False):
    """Label 1 when token 7 occurs in the sequence (tokens in 1..29; 0 is padding)."""
    x = rng.integers(1, 30, (n, maxlen))
    x[x == 7] = 8
    labels = rng.integers(0, 2, n)
    positions = rng.integers(0, maxlen // 2, n)
    x[labels == 1, positions[labels == 1]] = 7
    if pad:
        lengths = rng.integers(maxlen // 2 + 1, maxlen + 1, n)
        x[np.arange(maxlen)[None, :] >= lengths[:, None]] = 0
    return x, labels.astype("float32")


def test_stacked_lstm_builds_as_keras():
    ours, ref = stacked_lstm(jkeras), stacked_lstm(keras)
    assert [layer.output_shape for layer in ours.layers] == [tuple(l.output.shape) for l in ref.layers]
    assert ours.count_params() == ref.count_params() == 4 * 32 * (16 + 32 + 1) + 2 * 4 * 32 * 65 + 330
    ours.set_weights(ref.get_weights())
    x = np.random.default_rng(0).standard_normal((4, TIMESTEPS, DATA_DIM)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_stateful_stacked_lstm_builds_as_keras():
    ours = stacked_lstm(jkeras, stateful=True, batch_size=4)
    ref = stacked_lstm(keras, stateful=True, batch_size=4)
    assert ours.input_shape == (4, TIMESTEPS, DATA_DIM)
    assert [layer.output_shape for layer in ours.layers] == [tuple(l.output.shape) for l in ref.layers]
    assert ours.count_params() == ref.count_params()


@pytest.mark.slow
def test_stacked_lstm_learns():
    jkeras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = sequence_classes(256, rng)
    x_val, y_val = sequence_classes(64, rng)
    model = stacked_lstm(jkeras)
    history = model.fit(x, y, batch_size=32, epochs=10, validation_data=(x_val, y_val), verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.5


@pytest.mark.slow
def test_stateful_stacked_lstm_learns_across_fit_calls():
    jkeras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    batch_size = 32
    x, y = sequence_classes(256, rng)
    model = stacked_lstm(jkeras, stateful=True, batch_size=batch_size)
    lstm = model.layers[0]
    losses = []
    for _ in range(10):
        history = model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        losses.append(history.history["loss"][0])
        assert np.abs(np.asarray(lstm.states[0])).sum() > 0  # carried to the next batch
        model.reset_states()
        assert np.all(np.asarray(lstm.states[0]) == 0)
    assert losses[-1] < 0.6 * losses[0]
    predictions = model.predict(x[:64], batch_size=batch_size, verbose=0)
    assert predictions.shape == (64, NUM_CLASSES)


@pytest.mark.slow
def test_cnn_lstm_learns_token_detection():
    jkeras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    model = cnn_lstm(jkeras)
    assert [layer.output_shape for layer in model.layers] == [
        (None, 24, 16), (None, 24, 16), (None, 20, 16), (None, 10, 16), (None, 16), (None, 1), (None, 1)]
    x, y = token_sequences(512, 24, rng)
    history = model.fit(x, y, batch_size=32, epochs=10, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8


@pytest.mark.slow
def test_masked_lstm_classifier_learns_on_padded_sequences():
    jkeras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    model = lstm_classifier(jkeras)
    x, y = token_sequences(512, 16, rng, pad=True)
    history = model.fit(x, y, batch_size=32, epochs=10, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    # padding changes nothing: the same sequences padded further give the same outputs (through the
    # pure apply, which takes any sequence length)
    longer = np.concatenate([x[:8], np.zeros((8, 6), x.dtype)], axis=1)
    variables = model.get_variables()
    np.testing.assert_allclose(model.apply(variables, longer)[0], model.predict(x[:8], verbose=0), atol=1e-5)

"""Keras 1 / Keras 2 tutorial code, copied with its old spellings, runs and trains."""
import warnings

import numpy as np

import jkeras as keras
from jkeras.layers import (LSTM, Activation, Convolution1D, Convolution2D, Dense, Dropout, Embedding, Flatten,
                           GlobalMaxPooling1D, Input, MaxPooling2D, SimpleRNN)
from jkeras.models import Model, Sequential
from jkeras.optimizers import SGD, Adam, RMSprop

warnings.filterwarnings("ignore", message=".*deprecated.*", category=UserWarning)


def _images(n=96, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    x = rng.normal(0, 0.3, (n, 8, 8, 1)).astype("float32")
    x[labels == 1, 2:6, 2:6, 0] += 1.0  # class 1 has a bright square
    return x, keras.utils.np_utils.to_categorical(labels, 2)


def _sequences(n=96, steps=6, vocab=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, (n, steps))
    y = (x[:, 0] > vocab // 2).astype("float32")  # the first token decides the class
    return x, y


def test_keras1_mnist_cnn():
    x, y = _images()
    model = Sequential()
    model.add(Convolution2D(8, 3, 3, border_mode="valid", input_shape=(8, 8, 1), init="he_normal"))
    model.add(Activation("relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(p=0.25))
    model.add(Flatten())
    model.add(Dense(output_dim=2))
    model.add(Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.05, decay=1e-6, momentum=0.9, nesterov=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, nb_epoch=8, verbose=0, validation_data=(x, y))
    loss = history.history["loss"]
    assert loss[-1] < loss[0] and history.history["val_accuracy"][-1] > 0.8


def test_keras1_simple_rnn_with_output_dim_init_inner_init():
    x, y = _sequences()
    model = Sequential()
    model.add(Embedding(20, 8, input_length=6))
    model.add(SimpleRNN(output_dim=8, init="glorot_uniform", inner_init="orthogonal", activation="tanh",
                        go_backwards=True))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=RMSprop(lr=0.01))
    loss = model.fit(x, y, batch_size=16, nb_epoch=8, verbose=0).history["loss"]
    assert loss[-1] < 0.8 * loss[0]


def test_keras1_imdb_lstm_with_inner_activation_and_dropout_w():
    x, y = _sequences(seed=1)
    model = Sequential()
    model.add(Embedding(20, 8, input_length=6, dropout=0.0))
    model.add(LSTM(8, dropout_W=0.1, dropout_U=0.1, inner_activation="hard_sigmoid", go_backwards=True))
    model.add(Dense(1))
    model.add(Activation("sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=Adam(lr=0.01), metrics=["accuracy"])
    loss = model.fit(x, y, batch_size=16, nb_epoch=10, verbose=0).history["loss"]
    assert loss[-1] < 0.8 * loss[0]


def test_keras1_functional_model_with_input_output_keywords():
    x, y = _images(seed=2)
    inputs = Input(shape=(8, 8, 1))
    h = Convolution2D(4, 3, 3, border_mode="same", activation="relu")(inputs)
    h = Flatten()(h)
    outputs = Dense(2, activation="softmax", W_regularizer="l2")(h)
    model = Model(input=inputs, output=outputs)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    loss = model.fit(x, y, nb_epoch=6, batch_size=16, verbose=0).history["loss"]
    assert loss[-1] < loss[0]


def test_pretrained_embedding_idiom_keeps_the_matrix_frozen():
    x, y = _sequences(seed=3)
    embedding_matrix = np.random.default_rng(3).normal(size=(20, 8)).astype("float32")
    embedding_layer = Embedding(20, 8, weights=[embedding_matrix], input_length=6, trainable=False)
    sequence_input = Input(shape=(6,), dtype="int32")
    embedded = embedding_layer(sequence_input)
    h = Convolution1D(nb_filter=8, filter_length=3, activation="relu", border_mode="same")(embedded)
    h = GlobalMaxPooling1D()(h)
    preds = Dense(1, activation="sigmoid")(h)
    model = Model(sequence_input, preds)
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["acc"])
    loss = model.fit(x, y, nb_epoch=8, batch_size=16, verbose=0).history["loss"]
    assert loss[-1] < loss[0]
    np.testing.assert_array_equal(embedding_layer.get_weights()[0], embedding_matrix)

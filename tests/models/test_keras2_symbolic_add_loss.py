"""Keras 2's `model.add_loss(symbolic_scalar)` (the VAE example: a loss built with `losses.mse` and
backend functions from the model's tensors, some inside a nested encoder), against NumPy."""
import numpy as np
import pytest

import jkeras
from jkeras import backend as K
from jkeras.layers import Dense, Input
from jkeras.losses import mse
from jkeras.models import Model

DIM, LATENT = 8, 2


def _vae():
    inputs = Input(shape=(DIM,), name="encoder_input")
    x = Dense(6, activation="relu")(inputs)
    z_mean = Dense(LATENT, name="z_mean")(x)
    z_log_var = Dense(LATENT, name="z_log_var")(x)
    encoder = Model(inputs, [z_mean, z_log_var], name="encoder")
    latent = Input(shape=(LATENT,), name="z_sampling")
    decoder = Model(latent, Dense(DIM, activation="sigmoid")(Dense(6, activation="relu")(latent)), name="decoder")
    outputs = decoder(encoder(inputs)[0])  # deterministic: z = z_mean
    vae = Model(inputs, outputs, name="vae")
    reconstruction = mse(inputs, outputs) * DIM
    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    vae.add_loss(K.mean(reconstruction + kl))
    vae.compile(optimizer=jkeras.optimizers.Adam(1e-2))
    return vae, encoder


def test_symbolic_loss_equals_its_numpy_formula_and_trains():
    x = np.random.default_rng(0).random((64, DIM)).astype("float32")
    vae, encoder = _vae()
    z_mean, z_log_var = encoder.predict(x, verbose=0)
    out = vae.predict(x, verbose=0)
    expected = np.mean(np.mean((x - out) ** 2, axis=-1) * DIM
                       - 0.5 * np.sum(1 + z_log_var - z_mean ** 2 - np.exp(z_log_var), axis=-1))
    np.testing.assert_allclose(vae.evaluate(x, batch_size=64, verbose=0), expected, rtol=1e-5)
    before = np.asarray(encoder.get_layer("z_log_var").kernel).copy()
    history = vae.fit(x, epochs=5, batch_size=16, validation_data=(x, None), verbose=0).history
    assert history["loss"][-1] < history["loss"][0] and "val_loss" in history
    assert not np.allclose(np.asarray(encoder.get_layer("z_log_var").kernel), before)  # reached by the KL term


def test_symbolic_loss_from_another_graph_is_refused():
    vae, _ = _vae()
    other = Input(shape=(DIM,))
    with pytest.raises(ValueError, match="add_loss got a tensor not computed from the model's inputs"):
        vae.add_loss(K.mean(Dense(1)(other)))

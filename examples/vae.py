"""A variational autoencoder on the scikit-learn digits, trained by a custom `train_step`.

The Keras "Variational AutoEncoder" example. An encoder maps a digit to the mean and log-variance
of a 2-D Gaussian and samples `z` from it (the `Sampling` layer draws its noise from the key that
`apply` is given); a decoder maps `z` back to pixel probabilities. The `VAE` model overrides
`train_step(state, batch)`: a pure function of the `TrainState` that computes the reconstruction
and KL losses with the encoder's and decoder's `apply`, differentiates their sum with `jax.grad`
and updates the weights with the compiled optax transformation; `fit` jits it as it jits the
default step. Nothing is downloaded.

    python examples/vae.py          # full run, prints the negative ELBO on held-out digits
    python examples/vae.py --smoke  # a few seconds
"""
import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import jkeras as keras
from jkeras import backend as K
from jkeras import layers

LATENT_DIM = 2


class Sampling(layers.Layer):
    """Draws `z = z_mean + exp(z_log_var / 2) * epsilon` with `epsilon ~ N(0, 1)`."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = K.random_normal(jnp.shape(z_mean))
        return z_mean + jnp.exp(0.5 * z_log_var) * epsilon


def build_encoder(units=64):
    """Image `(64,)` -> `[z_mean, z_log_var, z]`, each `(LATENT_DIM,)`."""
    inputs = keras.Input((64,))
    x = layers.Dense(units, activation="relu")(inputs)
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(x)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var")(x)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder(units=64):
    """Latent `(LATENT_DIM,)` -> pixel probabilities `(64,)`."""
    latent = keras.Input((LATENT_DIM,))
    x = layers.Dense(units, activation="relu")(latent)
    return keras.Model(latent, layers.Dense(64, activation="sigmoid")(x), name="decoder")


class VAE(keras.Model):
    """Encoder and decoder trained on the negative evidence lower bound.

    Args:
        encoder: model `x -> [z_mean, z_log_var, z]`.
        decoder: model `z -> reconstruction`.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, inputs, training=None):
        z_mean, _, _ = self.encoder(inputs)
        return self.decoder(z_mean)

    def losses_of(self, params, x, rng):
        """(reconstruction loss, KL loss) of a batch `x`: per-example sums, batch means."""
        (z_mean, z_log_var, z), _ = self.encoder.apply(
            {"params": params[self.encoder.name], "state": {}}, x, training=True, rng=rng)
        reconstruction, _ = self.decoder.apply(
            {"params": params[self.decoder.name], "state": {}}, z, training=True)
        p = jnp.clip(reconstruction, 1e-7, 1 - 1e-7)
        reconstruction_loss = jnp.mean(jnp.sum(-(x * jnp.log(p) + (1 - x) * jnp.log(1 - p)), axis=-1))
        kl = -0.5 * (1 + z_log_var - jnp.square(z_mean) - jnp.exp(z_log_var))
        return reconstruction_loss, jnp.mean(jnp.sum(kl, axis=-1))

    def train_step(self, state, batch):
        (x,), _, _ = batch
        rng, step_rng = jax.random.split(state.rng)

        def objective(params):
            reconstruction_loss, kl_loss = self.losses_of(params, x, step_rng)
            return reconstruction_loss + kl_loss, (reconstruction_loss, kl_loss)

        (loss, (reconstruction_loss, kl_loss)), grads = jax.value_and_grad(
            objective, has_aux=True)(state.params)
        updates, opt_state = self.optimizer.transform.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        state = state._replace(params=params, opt_state=opt_state, rng=rng)
        return state, {"loss": loss, "reconstruction_loss": reconstruction_loss, "kl_loss": kl_loss}


def negative_elbo(vae, x, seed=0):
    """Mean negative ELBO (reconstruction + KL, nats per image) of `x` under `vae`'s weights."""
    params = vae.get_variables()["params"]
    reconstruction_loss, kl_loss = jax.jit(vae.losses_of)(params, jnp.asarray(x), jax.random.PRNGKey(seed))
    return float(reconstruction_loss + kl_loss)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="a smaller network, 3 epochs")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    x = (load_digits().data / 16.0).astype("float32")
    x_train, x_test = train_test_split(x, test_size=0.25, random_state=args.seed)
    units = 32 if args.smoke else 64
    vae = VAE(build_encoder(units), build_decoder(units))
    # The loss named here is unused (train_step computes its own), and the targets given to fit
    # are the inputs: an autoencoder reconstructs what it reads.
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    vae(x_train[:1])
    before = negative_elbo(vae, x_test)
    epochs = 3 if args.smoke else args.epochs
    vae.fit(x_train, x_train, epochs=epochs, batch_size=args.batch_size, verbose=args.verbose)
    after = negative_elbo(vae, x_test)
    print(f"Held-out negative ELBO: {before:.2f} nats per digit before training, {after:.2f} after")
    return {"before": before, "after": after}


if __name__ == "__main__":
    main()

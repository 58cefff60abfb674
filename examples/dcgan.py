"""A DCGAN on the scikit-learn digits, trained adversarially with `train_on_batch`.

The classic Keras GAN recipe: a generator (Dense -> Reshape -> UpSampling2D / Conv2D) maps noise
to 8x8 images in [-1, 1]; a discriminator (strided Conv2D, LeakyReLU) tells real from generated.
Each step trains the discriminator on a half-real, half-fake batch, then trains the generator
through the stacked model `discriminator(generator(z))` with the discriminator frozen
(`trainable = False`, then `trainable = True` again before its own step). Nothing is downloaded.

The script prints both losses per epoch and how far the generated images' pixel statistics are
from the real ones before and after training.

    python examples/dcgan.py                      # full run
    python examples/dcgan.py --smoke              # a few seconds
    python examples/dcgan.py --samples-png s.png  # also save a grid of generated digits
"""
import argparse

import numpy as np
from sklearn.datasets import load_digits

import jkeras as keras
from jkeras import layers

LATENT_DIM = 16


def build_generator(filters=64):
    """Noise `(LATENT_DIM,)` -> image `(8, 8, 1)` with tanh pixels."""
    return keras.Sequential([
        layers.Dense(2 * 2 * filters, input_shape=(LATENT_DIM,)),
        layers.LeakyReLU(0.2),
        layers.Reshape((2, 2, filters)),
        layers.UpSampling2D(),
        layers.Conv2D(filters, 3, padding="same"),
        layers.BatchNormalization(momentum=0.8),
        layers.LeakyReLU(0.2),
        layers.UpSampling2D(),
        layers.Conv2D(filters // 2, 3, padding="same"),
        layers.BatchNormalization(momentum=0.8),
        layers.LeakyReLU(0.2),
        layers.Conv2D(1, 3, padding="same", activation="tanh"),
    ], name="generator")


def build_discriminator(filters=64):
    """Image `(8, 8, 1)` -> probability that it is real."""
    model = keras.Sequential([
        layers.Conv2D(filters // 2, 3, strides=2, padding="same", input_shape=(8, 8, 1)),
        layers.LeakyReLU(0.2),
        layers.Dropout(0.25),
        layers.Conv2D(filters, 3, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  metrics=["accuracy"])
    return model


def build_gan(generator, discriminator):
    """`discriminator(generator(z))`, compiled with the discriminator's weights frozen."""
    discriminator.trainable = False
    z = keras.Input((LATENT_DIM,))
    gan = keras.Model(z, discriminator(generator(z)), name="gan")
    gan.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    return gan


def pixel_gap(fake, real):
    """Mean absolute difference of per-pixel mean and standard deviation, fake vs real."""
    return float(np.abs(fake.mean(0) - real.mean(0)).mean() + np.abs(fake.std(0) - real.std(0)).mean())


def save_grid(images, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 8, figsize=(8, 4))
    for image, ax in zip(images, axes.ravel()):
        ax.imshow(image[..., 0], cmap="gray_r", vmin=-1, vmax=1)
        ax.axis("off")
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples-png", default=None, help="save generated digits to this PNG")
    parser.add_argument("--smoke", action="store_true", help="smaller networks, 2 short epochs")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    real = (load_digits().images / 8.0 - 1.0).astype("float32")[..., None]  # pixels in [-1, 1]
    epochs, filters = (2, 16) if args.smoke else (args.epochs, 64)
    generator, discriminator = build_generator(filters), build_discriminator(filters)
    gan = build_gan(generator, discriminator)
    generator.summary()
    discriminator.summary()

    probe = rng.normal(size=(512, LATENT_DIM)).astype("float32")
    gap_before = pixel_gap(generator.predict(probe, verbose=0), real)
    half = args.batch_size // 2
    ones, zeros = np.ones((half, 1), "float32"), np.zeros((half, 1), "float32")
    steps = 10 if args.smoke else len(real) // half
    for epoch in range(epochs):
        order = rng.permutation(len(real))
        d_losses, g_losses = [], []
        for step in range(steps):
            batch = real[order[step * half:(step + 1) * half]]
            noise = rng.normal(size=(half, LATENT_DIM)).astype("float32")
            fake = generator.predict_on_batch(noise)
            discriminator.trainable = True
            d_real = discriminator.train_on_batch(batch, ones)
            d_fake = discriminator.train_on_batch(fake, zeros)
            discriminator.trainable = False
            noise = rng.normal(size=(args.batch_size, LATENT_DIM)).astype("float32")
            g_losses.append(gan.train_on_batch(noise, np.ones((args.batch_size, 1), "float32")))
            d_losses.append(0.5 * (d_real[0] + d_fake[0]))
        print(f"Epoch {epoch + 1}/{epochs} - d_loss: {np.mean(d_losses):.4f} - g_loss: {np.mean(g_losses):.4f}")

    generated = generator.predict(probe, verbose=0)
    gap_after = pixel_gap(generated, real)
    print(f"Pixel-statistics gap to the real digits: {gap_before:.4f} before training, {gap_after:.4f} after")
    if args.samples_png:
        save_grid(generated[:32], args.samples_png)
        print(f"Saved generated digits to {args.samples_png}")
    return {"gap_before": gap_before, "gap_after": gap_after, "d_loss": float(np.mean(d_losses)),
            "g_loss": float(np.mean(g_losses))}


if __name__ == "__main__":
    main()

"""Models from the Keras documentation, written as the docs write them, build with the documented
shapes (checked against Keras 3 building the same code) and train on small synthetic data."""
import keras
import numpy as np
import pytest

import jkeras


def vgg_like(lib, input_shape=(100, 100, 3)):
    """The VGG-like convnet of the Keras 2 Sequential guide."""
    from_layers = lib.layers
    model = lib.Sequential()
    model.add(from_layers.Conv2D(32, (3, 3), activation="relu", input_shape=input_shape))
    model.add(from_layers.Conv2D(32, (3, 3), activation="relu"))
    model.add(from_layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(from_layers.Dropout(0.25))
    model.add(from_layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(from_layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(from_layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(from_layers.Dropout(0.25))
    model.add(from_layers.Flatten())
    model.add(from_layers.Dense(256, activation="relu"))
    model.add(from_layers.Dropout(0.5))
    model.add(from_layers.Dense(10, activation="softmax"))
    return model


def dcgan_generator(lib, latent_dim=128):
    """The generator of the Keras example "DCGAN to generate face images"."""
    layers = lib.layers
    return lib.Sequential([
        lib.Input(shape=(latent_dim,)),
        layers.Dense(8 * 8 * 128),
        layers.Reshape((8, 8, 128)),
        layers.Conv2DTranspose(128, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(256, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(512, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(3, kernel_size=5, padding="same", activation="sigmoid"),
    ], name="generator")


def dcgan_discriminator(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input(shape=(64, 64, 3)),
        layers.Conv2D(64, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(128, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(128, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")


def mnist_gan_generator(lib, latent_dim=100):
    """The Keras 2-era GAN generator: Dense, Reshape, UpSampling2D, Conv2D, BatchNormalization."""
    layers = lib.layers
    model = lib.Sequential()
    model.add(layers.Dense(128 * 7 * 7, activation="relu", input_dim=latent_dim))
    model.add(layers.Reshape((7, 7, 128)))
    model.add(layers.UpSampling2D())
    model.add(layers.Conv2D(128, kernel_size=3, padding="same"))
    model.add(layers.BatchNormalization(momentum=0.8))
    model.add(layers.Activation("relu"))
    model.add(layers.UpSampling2D())
    model.add(layers.Conv2D(64, kernel_size=3, padding="same"))
    model.add(layers.BatchNormalization(momentum=0.8))
    model.add(layers.Activation("relu"))
    model.add(layers.Conv2D(1, kernel_size=3, padding="same"))
    model.add(layers.Activation("tanh"))
    return model


def _same_architecture(ours, ref):
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in ref.layers]
    assert [l.output_shape for l in ours.layers] == [tuple(l.output.shape) for l in ref.layers]
    assert ours.count_params() == ref.count_params()
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]


@pytest.mark.parametrize("build", [vgg_like, dcgan_generator, dcgan_discriminator, mnist_gan_generator])
def test_doc_model_builds_with_keras_shapes_and_outputs(build):
    ours, ref = build(jkeras), build(keras)
    _same_architecture(ours, ref)
    ours.set_weights(ref.get_weights())
    shape = (2,) + tuple(ref.input_shape[1:])
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_vgg_like_trains_on_synthetic_images():
    jkeras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 64)
    x = rng.standard_normal((64, 32, 32, 3)).astype("float32") * 0.1
    x[np.arange(64), labels * 3, :, 0] += 3.0  # class k lights up row 3k
    y = jkeras.utils.to_categorical(labels, 10)
    model = vgg_like(jkeras, input_shape=(32, 32, 3))
    sgd = jkeras.optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


@pytest.mark.slow
def test_mnist_gan_generator_trains_as_a_regressor():
    jkeras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    z = rng.standard_normal((32, 100)).astype("float32")
    target = np.tanh(rng.standard_normal((32, 28, 28, 1))).astype("float32") * 0.5
    model = mnist_gan_generator(jkeras)
    model.compile(optimizer=jkeras.optimizers.Adam(0.0002, 0.5), loss="mse")
    bn = model.layers[4]
    before = bn.get_weights()[2].copy()
    history = model.fit(z, target, batch_size=8, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.allclose(before, bn.get_weights()[2])  # moving mean moved in fit

"""What the Keras 2 `examples/` image scripts (mnist_*, cifar10_*, variational_autoencoder*)
rely on, checked against Keras 3 where it still runs the code, else against Keras 2's rules."""
import numpy as np
import pytest

import jkeras


def _bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def _sparse_cce(y, p):
    return float(np.mean(-np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1))))


def test_acgan_generator_sequential_runs_on_the_embedding_product():
    """mnist_acgan.py: `multiply([latent (None, 100), Embedding(...)(class (None, 1))])` is
    (None, 1, 100); Keras 2 feeds it to a Sequential built with `input_dim=100` (its Dense runs on
    the last axis). Reference: the same layers applied one by one in Keras 3."""
    import keras

    def build(k):
        cnn = k.Sequential()
        cnn.add(k.layers.Dense(12, input_dim=4, activation="relu"))
        cnn.add(k.layers.Reshape((2, 2, 3)))
        return cnn

    jk_cnn = build(jkeras)
    latent = jkeras.Input(shape=(4,))
    image_class = jkeras.Input(shape=(1,), dtype="int32")
    emb = jkeras.layers.Embedding(10, 4)
    h = jkeras.layers.multiply([latent, emb(image_class)])
    assert tuple(h.shape) == (None, 1, 4)
    out = jk_cnn(h)
    assert tuple(out.shape) == (None, 2, 2, 3)
    model = jkeras.Model([latent, image_class], out)

    k_dense = keras.layers.Dense(12, activation="relu")
    k_dense.build((None, 4))
    k_dense.set_weights(jk_cnn.layers[0].get_weights())
    rs = np.random.RandomState(0)
    z, c = rs.rand(3, 4).astype("float32"), np.array([[1], [7], [3]])
    k_h = z[:, None, :] * emb.get_weights()[0][c[:, 0]][:, None, :]
    expected = keras.ops.convert_to_numpy(keras.layers.Reshape((2, 2, 3))(k_dense(k_h)))
    np.testing.assert_allclose(model.predict([z, c], verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_sequential_still_rejects_an_input_its_layers_cannot_take():
    """The Keras 2 leniency stops where a layer would fail: the error names the model, the input
    and both shapes."""
    cnn = jkeras.Sequential([jkeras.layers.Flatten(input_shape=(28, 28)), jkeras.layers.Dense(10)])
    with pytest.raises(ValueError, match=r"input_layer\w*.*\(None, 28, 28\).*\(None, 32, 32\)"):
        cnn(jkeras.Input((32, 32)))


def test_acgan_combined_model_reports_each_output_loss():
    """mnist_acgan.py's `combined = Model([latent, class], [fake, aux])` takes both outputs from
    the nested discriminator. Keras 2 names them `model`, `model_1` (`_set_output_names`), so
    `train_on_batch` returns [total, bce, sparse cce]; Keras 3 gives both the name `functional`
    and reports the second loss twice. Reference: NumPy losses on the discriminator's outputs."""
    x = jkeras.Input((4,))
    disc = jkeras.Model(x, [jkeras.layers.Dense(1, activation="sigmoid", name="generation")(x),
                            jkeras.layers.Dense(3, activation="softmax", name="auxiliary")(x)])
    y = jkeras.Input((4,))
    fake, aux = disc(y)
    combined = jkeras.Model(y, [fake, aux])
    assert combined.output_names == [disc.name, disc.name + "_1"]
    combined.compile("sgd", loss=["binary_crossentropy", "sparse_categorical_crossentropy"])
    rs = np.random.RandomState(0)
    xs = rs.rand(8, 4).astype("float32")
    y1, y2 = rs.randint(0, 2, 8).astype("float32"), rs.randint(0, 3, 8)
    p1, p2 = disc.predict(xs, verbose=0)
    bce, scce = _bce(y1, p1[:, 0]), _sparse_cce(y2, p2)
    np.testing.assert_allclose(combined.test_on_batch(xs, [y1, y2]), [bce + scce, bce, scce], rtol=1e-5)
    assert combined.metrics_names == ["loss", f"{disc.name}_loss", f"{disc.name}_1_loss"]


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_cifar10_cnn_saved_sequential_opens_in_keras3(tmp_path, ext):
    """cifar10_cnn.py: `Sequential()` whose first layer has `input_shape=`, then `model.save(...)`.
    Keras 3 reads the file (its own format rejects a `batch_input_shape` key in a layer entry;
    the InputLayer entry carries the shape) and predicts as jkeras does."""
    import keras

    model = jkeras.Sequential()
    model.add(jkeras.layers.Conv2D(4, (3, 3), padding="same", input_shape=(6, 6, 3)))
    model.add(jkeras.layers.Flatten())
    model.add(jkeras.layers.Dense(2, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    path = str(tmp_path / ("m" + ext))
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    x = np.random.RandomState(0).rand(2, 6, 6, 3).astype("float32")
    assert tuple(loaded.input_shape) == (None, 6, 6, 3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    again = jkeras.models.load_model(path)
    assert again.input_shape == (None, 6, 6, 3) and again.layers[0].name == model.layers[0].name

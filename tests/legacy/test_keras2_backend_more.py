"""Keras 2 backend and utils names old code calls: K.rnn, batch normalization, resizing, folds,
updates; conv_utils, HDF5Matrix, multi_gpu_model. References: NumPy loops and formulas."""
import warnings

import numpy as np
import pytest

import jkeras
from jkeras import backend as K

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_runs_the_step_over_time_with_a_mask(go_backwards):
    x = RNG.normal(size=(2, 5, 3)).astype("float32")
    w = RNG.normal(size=(3, 4)).astype("float32")
    u = RNG.normal(size=(4, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)

    def step(x_t, states):  # as a Keras 2 custom RNN writes it, in backend functions
        h = K.tanh(K.dot(x_t, w) + K.dot(states[0], u)) * states[1]
        return h, [h]

    last, outputs, states = K.rnn(step, x, [np.zeros((2, 4), "float32")],
                                  go_backwards=go_backwards, mask=mask, constants=[np.float32(0.5)])
    # NumPy reference: a masked step keeps the previous output and state
    h, prev, expected = np.zeros((2, 4), "float32"), np.zeros((2, 4), "float32"), []
    order = range(4, -1, -1) if go_backwards else range(5)
    for t in order:
        new = np.tanh(x[:, t] @ w + h @ u) * 0.5
        keep = mask[:, t][:, None]
        out = np.where(keep, new, prev)
        h = np.where(keep, new, h)
        prev = out
        expected.append(out)
    expected = np.stack(expected, axis=1)
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(last, expected[:, -1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(states[0], h, rtol=1e-5, atol=1e-5)


def test_batch_normalization_helpers():
    x = RNG.normal(size=(6, 4)).astype("float32")
    gamma, beta = RNG.random(4).astype("float32"), RNG.random(4).astype("float32")
    normed, mean, var = K.normalize_batch_in_training(x, gamma, beta, [0], epsilon=1e-3)
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, x.var(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(normed, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) * gamma + beta, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(K.batch_normalization(x, 1.0, 4.0, None, None, epsilon=0.0), (x - 1) / 2, rtol=1e-6)


def test_resize_folds_and_gather():
    images = RNG.random((1, 2, 3, 2)).astype("float32")
    np.testing.assert_array_equal(K.resize_images(images, 2, 3, "channels_last"),
                                  images.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(K.resize_images(images.transpose(0, 3, 1, 2), 2, 1, "channels_first"),
                                  images.transpose(0, 3, 1, 2).repeat(2, axis=2))
    volumes = RNG.random((1, 1, 2, 2, 1)).astype("float32")
    assert K.resize_volumes(volumes, 2, 2, 2, "channels_last").shape == (1, 2, 4, 4, 1)
    elems = np.arange(1.0, 5.0, dtype="float32")
    assert float(K.foldl(lambda acc, x: acc * 10 + x, elems)) == 1234.0
    assert float(K.foldr(lambda acc, x: acc * 10 + x, elems)) == 4321.0
    np.testing.assert_array_equal(K.gather(np.arange(6).reshape(3, 2), [2, 0]), [[4, 5], [0, 1]])
    with pytest.raises(ValueError, match="interpolation"):
        K.resize_images(images, 2, 2, "channels_last", interpolation="cubic")


def test_update_sets_a_layer_weight_and_rejects_arrays():
    layer = jkeras.layers.BatchNormalization()
    jkeras.Sequential([jkeras.Input((3,)), layer])
    K.moving_average_update(layer.moving_mean, np.ones(3, "float32"), 0.9)
    np.testing.assert_allclose(K.get_value(layer.moving_mean), np.full(3, 0.1), rtol=1e-6)
    with pytest.raises(ValueError, match="immutable"):
        K.update(np.zeros(3), np.ones(3))
    with pytest.raises(RuntimeError, match="no TensorFlow session"):
        K.get_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        K.set_session(object())
    assert any("session" in str(w.message) for w in caught)


def test_conv_utils():
    from jkeras.utils import conv_utils

    kernel = RNG.random((3, 2, 4, 5))
    np.testing.assert_array_equal(conv_utils.convert_kernel(kernel), kernel[::-1, ::-1])
    assert conv_utils.conv_output_length(10, 3, "valid", 2) == 4
    assert conv_utils.conv_output_length(10, 3, "same", 2) == 5
    assert conv_utils.normalize_tuple(3, 2, "strides") == (3, 3)
    with pytest.raises(ValueError, match="strides"):
        conv_utils.normalize_tuple((1, 2, 3), 2, "strides")


def test_hdf5_matrix_feeds_fit(tmp_path):
    import h5py

    x = RNG.random((40, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["x"], f["y"] = x, y
    x_train = jkeras.utils.HDF5Matrix(str(tmp_path / "d.h5"), "x", start=0, end=30)
    y_train = jkeras.utils.HDF5Matrix(str(tmp_path / "d.h5"), "y", start=0, end=30, normalizer=lambda a: a * 2)
    assert x_train.shape == (30, 3) and len(y_train) == 30
    np.testing.assert_array_equal(x_train[[5, 1, 5]], x[[5, 1, 5]])
    np.testing.assert_array_equal(y_train[2:4], 2 * y[2:4])
    model = jkeras.Sequential([jkeras.Input((3,)), jkeras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = model.evaluate(x_train, y_train, verbose=0)
    model.fit(x_train, y_train, epochs=5, batch_size=10, shuffle="batch", verbose=0)
    assert model.evaluate(x_train, y_train, verbose=0) < before


def test_multi_gpu_model_checks_the_devices():
    model = jkeras.Sequential([jkeras.Input((3,)), jkeras.layers.Dense(1)])
    with pytest.raises(ValueError, match="gpus >= 2"):
        jkeras.utils.multi_gpu_model(model, gpus=1)
    import jax

    if len(jax.devices()) < 64:
        with pytest.raises(ValueError, match="Try reducing gpus"):
            jkeras.utils.multi_gpu_model(model, gpus=64)


def test_keras2_layer_updates_run_in_training_only():
    """A Keras 2 custom layer's `add_update([K.moving_average_update(...)])`: fit moves the
    average (momentum formula), predict leaves it, as Keras 2's train function alone ran updates."""

    class RunningMean(jkeras.layers.Layer):
        def build(self, input_shape):
            self.moving_mean = self.add_weight(name="mm", shape=(input_shape[-1],), initializer="zeros",
                                               trainable=False)
            super().build(input_shape)

        def call(self, x, training=None):
            mean = K.mean(x, axis=0)
            self.add_update([K.moving_average_update(self.moving_mean, mean, 0.5)], x)
            return K.in_train_phase(x - mean, x - self.moving_mean, training=training)

    model = jkeras.Sequential([jkeras.Input((3,)), RunningMean(), jkeras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.full((8, 3), 2.0, "float32")
    model.fit(x, np.zeros((8, 1)), batch_size=8, epochs=2, verbose=0)
    expected = 0.5 * (0.5 * 0 + 0.5 * 2) + 0.5 * 2  # two steps of momentum 0.5 towards 2
    np.testing.assert_allclose(K.get_value(model.layers[0].moving_mean), np.full(3, expected), rtol=1e-6)
    model.predict(x, verbose=0)
    np.testing.assert_allclose(K.get_value(model.layers[0].moving_mean), np.full(3, expected), rtol=1e-6)
    assert model.layers[0].updates == []


def test_keras1_updates_list_of_pairs_sets_weights_in_training():
    class Counter(jkeras.layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(name="count", shape=(), initializer="zeros", trainable=False)

        def call(self, x):
            self.updates = [(self.count, self.count + 1.0)]  # Keras 1's form
            return x

    model = jkeras.Sequential([jkeras.Input((2,)), Counter(), jkeras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((6, 2)), np.zeros((6, 1)), batch_size=2, epochs=1, verbose=0)
    assert float(K.get_value(model.layers[0].count)) == 3.0  # one per training step
    model.predict(np.ones((6, 2)), verbose=0)
    assert float(K.get_value(model.layers[0].count)) == 3.0

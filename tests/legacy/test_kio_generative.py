"""Found by running the keras-io `examples/generative/` scripts (Keras 3 versions) on jkeras.

Each test compares with Keras 3 where it runs the same code, else with NumPy (where Keras 3's JAX
backend fails on code that the example's TensorFlow backend runs)."""
import keras
import numpy as np
import pytest

import jkeras
from jkeras import ops


def test_ops_repeat_takes_a_list_of_repeats_as_numpy():
    # conditional_gan.py: `ops.repeat(one_hot_labels[:, :, None, None], repeats=[28 * 28])`
    # (Keras 3's JAX backend raises "repeat requires ndarray or scalar arguments").
    x = np.arange(6, dtype="float32").reshape(2, 3, 1, 1)
    np.testing.assert_array_equal(np.asarray(ops.repeat(x, repeats=[4])), np.repeat(x, [4]))
    np.testing.assert_array_equal(np.asarray(ops.repeat(x, [1, 2], axis=0)), np.repeat(x, [1, 2], axis=0))
    np.testing.assert_array_equal(np.asarray(ops.repeat(x, (2,), axis=1)), np.repeat(x, (2,), axis=1))


def test_variable_get_shape_as_tf_keras_2():
    # vq_vae.py's PixelConvLayer.build: `kernel_shape = self.conv.kernel.get_shape()` (tf.Variable's
    # method; Keras 3's Variable has none). The shape must be Keras 3's `kernel.shape`.
    ref, ours = keras.layers.Conv2D(4, 3), jkeras.layers.Conv2D(4, 3)
    ref.build((None, 7, 7, 2))
    ours.build((None, 7, 7, 2))
    shape = ours.kernel.get_shape()
    assert shape == tuple(ref.kernel.shape) == (3, 3, 2, 4)
    mask = np.zeros(shape=shape)
    mask[: shape[0] // 2, ...] = 1.0
    assert mask.sum() == 3 * 2 * 4


def _wrapper(k):
    # ddim.py's DiffusionModel / the GAN wrappers: a Model subclass with no `call` that holds its
    # networks as attributes (and a custom train_step).
    class Wrapper(k.Model):
        def __init__(self):
            super().__init__()
            self.normalizer = k.layers.Normalization()
            inp = k.Input((4,))
            self.network = k.Model(inp, k.layers.Dense(3)(inp))
            self.ema_network = k.models.clone_model(self.network)

    return Wrapper()


def test_model_subclass_without_call_tracks_its_networks_as_keras(tmp_path):
    ref, ours = _wrapper(keras), _wrapper(jkeras)
    data = np.random.default_rng(0).normal(size=(10, 4)).astype("float32")
    ref.normalizer.adapt(data)
    ours.normalizer.adapt(data)
    # (layer names carry process-wide counters: compare the weight names within each layer)
    assert ([(w.path.split("/")[-1], tuple(w.shape)) for w in ours.weights]
            == [(w.path.split("/")[-1], tuple(w.shape)) for w in ref.weights])
    assert len(ours.trainable_weights) == len(ref.trainable_weights) == 4
    assert len(ours.layers) == len(ref.layers) == 3
    ours.set_weights(ref.get_weights())
    ours.built = True  # fit would have built it; save_weights refuses an unbuilt model
    ours.save_weights(tmp_path / "w.weights.h5")
    fresh = _wrapper(jkeras)
    fresh.normalizer.adapt(data * 0)
    fresh.built = True
    fresh.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(fresh.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b)


def _gan(k):
    # gan_ada.py's GAN_ADA: networks held as attributes, `self.built = True`, no `call`.
    class GAN(k.Model):
        def __init__(self):
            super().__init__()
            inp = k.Input((2,))
            self.generator = k.Model(inp, k.layers.Dense(3)(inp))
            self.ema_generator = k.models.clone_model(self.generator)
            self.built = True

    return GAN()


def test_weights_h5_of_a_model_subclass_without_call_loads_from_keras(tmp_path):
    # ModelCheckpoint(save_weights_only=True) in gan_ada.py: Keras 3 writes the networks under
    # their attribute names (`generator/layers/dense/vars`), which jkeras must read back.
    ref = _gan(keras)
    ref.save_weights(tmp_path / "gan.weights.h5")
    ours = _gan(jkeras)
    ours.load_weights(tmp_path / "gan.weights.h5")
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b)

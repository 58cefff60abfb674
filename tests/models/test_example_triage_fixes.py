"""Found by running keras-io examples against Keras 3: a wrapped built layer keeps its weights,
augmentation layers augment when called directly, and a Keras 3 JAX `train_step` gets `x` alone
from `fit(x)`."""
import jax
import keras
import numpy as np
import pytest

import jkeras

X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")


def _wrapper(k, inner):
    class Wrapper(k.Model):
        def __init__(self):
            super().__init__()
            self.inner = inner
            self.head = k.layers.Dense(1)

        def call(self, x):
            return self.head(self.inner(x))

    return Wrapper()


def test_wrapping_a_built_layer_keeps_its_weights_as_keras():
    for k in (jkeras, keras):
        inner = k.layers.Dense(3)
        inner(X)  # built (a trained teacher, a loaded encoder)
        before = [np.asarray(w).copy() for w in inner.get_weights()]
        model = _wrapper(k, inner)
        model(X)
        model.compile(optimizer=k.optimizers.SGD(0.0), loss="mse")
        model.fit(X, np.zeros((16, 1), "float32"), epochs=1, verbose=0)
        for a, b in zip(inner.get_weights(), before):
            np.testing.assert_array_equal(np.asarray(a), b)


def test_augmentation_layers_augment_when_called_without_training():
    images = np.random.default_rng(1).random((4, 8, 8, 3)).astype("float32")
    for k in (jkeras, keras):
        flip = k.layers.RandomFlip("horizontal", seed=3)
        augment = k.Sequential([k.layers.RandomFlip("horizontal"), k.layers.RandomRotation(0.2)])
        assert any(not np.allclose(np.asarray(flip(images)), images) for _ in range(5)), k.__name__
        assert not np.allclose(np.asarray(augment(images)), images), k.__name__
        np.testing.assert_allclose(np.asarray(flip(images, training=False)), images)
        np.testing.assert_allclose(np.asarray(augment.predict(images, verbose=0)), images, atol=1e-6)


def _autoencoder(k):
    seen = []

    class AE(k.Model):
        def __init__(self):
            super().__init__()
            self.dense = k.layers.Dense(4)
            self.tracker = k.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.tracker]

        def call(self, x, training=False):
            return self.dense(x)

        def train_step(self, state, data):  # Keras 3's JAX signature
            seen.append(type(data).__name__)
            tv, ntv, ov, mv = state

            def loss_fn(tv, ntv):
                y, ntv = self.stateless_call(tv, ntv, data, training=True)
                return k.ops.mean(k.ops.square(y - data)), ntv

            (loss, ntv), grads = jax.value_and_grad(loss_fn, has_aux=True)(tv, ntv)
            tv, ov = self.optimizer.stateless_apply(ov, grads, tv)
            mv = self.tracker.stateless_update_state(mv, loss)
            return {"loss": self.tracker.stateless_result(mv)}, (tv, ntv, ov, mv)

    return AE(), seen


def test_keras3_train_step_gets_x_alone_from_fit_without_targets():
    losses = {}
    for k in (keras, jkeras):
        model, seen = _autoencoder(k)
        model(X[:1])
        if k is jkeras:
            model.set_weights(ref_weights)
        else:
            ref_weights = [np.asarray(w) for w in model.get_weights()]
        model.compile(optimizer=k.optimizers.SGD(0.1))
        losses[k.__name__] = model.fit(X, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"]
        assert seen and "tuple" not in seen, (k.__name__, seen)
    np.testing.assert_allclose(losses["jkeras"], losses["keras"], rtol=1e-5)



@pytest.mark.parametrize("dtype", ["string", str])
def test_string_input_names_the_host_side_text_rule(dtype):
    assert keras.Input(shape=(1,), dtype="string").dtype == "string"  # Keras 3 (TF strings) takes it
    with pytest.raises(TypeError, match=r"takes numbers only.*dtype='int32'"):
        jkeras.Input(shape=(1,), dtype=dtype)

"""Found by running the code of François Chollet's *Deep Learning with Python* (first edition:
standalone Keras 2) on jkeras; each test compares with Keras 3 running the same computation, or
with the documented Keras 2 behaviour."""
import keras
import numpy as np

import jkeras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 4)).astype("float32")


def _vae_like(k, closure):
    """A VAE-shaped model whose loss layer reads `z_mean` / `z_log_var`: from the enclosing scope
    (`closure`, Keras 2's one graph: DLwP 8.4) or as explicit inputs (the Keras 3 spelling)."""
    K = k.ops
    inputs = k.Input((4,))
    hidden = k.layers.Dense(3, activation="tanh")(inputs)
    z_mean = k.layers.Dense(2)(hidden)
    z_log_var = k.layers.Dense(2)(hidden)
    decoded = k.layers.Dense(4)(z_mean)

    class CustomVariationalLayer(k.layers.Layer):
        def vae_loss(self, x, z_decoded, z_mean, z_log_var):
            kl_loss = -0.5 * K.mean(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
            return K.mean(K.mean(K.square(x - z_decoded), axis=-1) + kl_loss)

        def call(self, inputs):
            if closure:
                x, z_decoded = inputs
                self.add_loss(self.vae_loss(x, z_decoded, z_mean, z_log_var), inputs=inputs)
            else:
                x, z_decoded, mean, log_var = inputs
                self.add_loss(self.vae_loss(x, z_decoded, mean, log_var))
            return x

    y = CustomVariationalLayer()([inputs, decoded] if closure else [inputs, decoded, z_mean, z_log_var])
    model = k.Model(inputs, y)
    model.compile(optimizer=k.optimizers.SGD(0.1), loss=None)
    return model


def test_a_layer_call_may_compute_with_graph_tensors_it_does_not_take_as_inputs():
    # DLwP 8.4 (VAE): the loss layer's call reads the encoder's z_mean / z_log_var from the
    # enclosing scope (Keras 2 graph semantics) and passes `inputs=` to add_loss; jkeras recursed
    # without end. Keras 3 needs the tensors as inputs: the reference takes them so.
    ref, ours = _vae_like(keras, closure=False), _vae_like(jkeras, closure=True)
    ref_dense = [l for l in ref.layers if isinstance(l, keras.layers.Dense)]
    our_dense = [l for l in ours.layers if isinstance(l, jkeras.layers.Dense)]
    assert len(our_dense) == len(ref_dense) == 4
    for a, b in zip(our_dense, ref_dense):
        a.set_weights(b.get_weights())
    np.testing.assert_allclose(ours.evaluate(X, verbose=0), ref.evaluate(X, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(ours.train_on_batch(X), ref.train_on_batch(X), rtol=1e-5)
    for a, b in zip(our_dense, ref_dense):  # the KL term's gradient reaches z_mean's / z_log_var's layers
        for wa, wb in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours(X)), X)


"""Found by running the code of François Chollet's *Deep Learning with Python* (first edition:
standalone Keras 2) on jkeras; each test compares with Keras 3 running the same computation, or
with the documented Keras 2 behaviour."""
import keras
import numpy as np
import pytest

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


def test_weights_and_batch_predictions_come_back_as_writable_arrays():
    # DLwP 5.4 (Grad-CAM) scales arrays it got back in place; Keras 3 returns writable arrays
    # of their own from get_weights / Variable.numpy / predict_on_batch, jkeras read-only views.
    def arrays(k):
        model = k.Sequential([k.Input((3,)), k.layers.Dense(2)])
        return [model.get_weights()[0], model.layers[0].get_weights()[1], model.weights[0].numpy(),
                np.asarray(model.predict_on_batch(X[:, :3]))]

    expected = [a.flags.writeable for a in arrays(keras)]
    assert expected == [True] * 4
    ours = arrays(jkeras)
    assert [a.flags.writeable for a in ours] == expected
    model = jkeras.Sequential([jkeras.Input((3,)), jkeras.layers.Dense(2)])
    kernel = model.get_weights()[0]
    kernel *= 0.0  # a copy of its own: the layer keeps its weights
    assert np.abs(model.get_weights()[0]).sum() > 0


def test_k_function_and_get_value_return_writable_arrays():
    # DLwP 5.4's Grad-CAM: `conv_layer_output_value[:, :, i] *= pooled_grads_value[i]` on what
    # K.function returned (Keras 2's session gave NumPy arrays of their own); Keras 3 has no
    # K.function: the reference is that behaviour and a NumPy formula.
    K = jkeras.backend
    inputs = jkeras.Input((5, 5, 2))
    conv = jkeras.layers.Conv2D(3, 3, name="conv")
    score = jkeras.layers.Dense(1)(jkeras.layers.GlobalAveragePooling2D()(conv(inputs)))
    model = jkeras.Model(inputs, score)
    grads = K.gradients(model.output[:, 0], conv.output)[0]
    pooled = K.mean(grads, axis=(0, 1, 2))
    iterate = K.function([model.input], [pooled, conv.output[0]])
    image = RNG.normal(size=(1, 5, 5, 2)).astype("float32")
    pooled_value, conv_value = iterate([image])
    assert pooled_value.flags.writeable and conv_value.flags.writeable
    expected = conv_value * pooled_value
    for i in range(3):
        conv_value[:, :, i] *= pooled_value[i]
    np.testing.assert_allclose(conv_value, expected, rtol=1e-6)
    # d score / d conv = dense kernel / (3 * 3) at every position (global average pooling).
    kernel = model.layers[-1].get_weights()[0][:, 0]
    np.testing.assert_allclose(pooled_value, kernel / 9, rtol=1e-5)
    value = K.get_value(K.variable(np.ones((2, 2))))
    value += 1  # writable
    assert value.sum() == 8


def test_fit_gives_callbacks_keras2_validation_data():
    # DLwP 7.2's ActivationLogger reads `self.validation_data[0][0:1]` in on_epoch_end: Keras 2
    # set it to the validation inputs + targets + sample weights (ones when none are given).
    # Keras 3 dropped the attribute: the reference is that documented Keras 2 behaviour.
    seen = []

    class ActivationLogger(jkeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if self.validation_data is None:
                raise RuntimeError("Requires validation_data.")
            seen.append([np.array(a) for a in self.validation_data])

    model = jkeras.Sequential([jkeras.Input((4,)), jkeras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    y = X[:, :1] * 2.0
    model.fit(X, y, epochs=1, callbacks=[ActivationLogger()], validation_data=(X[:3], y[:3]), verbose=0)
    x_val, y_val, weights = seen[0]
    np.testing.assert_array_equal(x_val, X[:3])
    np.testing.assert_array_equal(y_val, y[:3])
    np.testing.assert_array_equal(weights, np.ones(3))
    model.fit(X, y, epochs=1, callbacks=[ActivationLogger()], validation_split=0.5, verbose=0)
    np.testing.assert_array_equal(seen[1][0], X[3:])  # Keras: the last rows validate


def test_a_subclassed_model_returning_a_tuple_trains_one_loss_per_output():
    # DLwP 2nd edition 7 (CustomerTicketModel): `call` returns `priority, department` and compile
    # gets a list of two losses; jkeras took the tuple for one output ('tuple' has no 'ndim').
    def run(k):
        class TicketModel(k.Model):
            def __init__(self):
                super().__init__()
                self.mixing_layer = k.layers.Dense(8, activation="relu")
                self.priority_scorer = k.layers.Dense(1, activation="sigmoid")
                self.department_classifier = k.layers.Dense(3, activation="softmax")

            def call(self, inputs):
                features = self.mixing_layer(inputs)
                return self.priority_scorer(features), self.department_classifier(features)

        model = TicketModel()
        model(X)
        return model

    priority = RNG.random((6, 1)).astype("float32")
    department = np.eye(3, dtype="float32")[RNG.integers(0, 3, 6)]
    ref, ours = run(keras), run(jkeras)
    ours.set_weights(ref.get_weights())
    for model in (ref, ours):
        model.compile(optimizer="sgd", loss=["mean_squared_error", "categorical_crossentropy"])
    expected = ref.evaluate(X, [priority, department], verbose=0)
    np.testing.assert_allclose(ours.evaluate(X, [priority, department], verbose=0)[0], expected[0], rtol=1e-5)
    ours.fit(X, [priority, department], epochs=1, verbose=0)
    ref.fit(X, [priority, department], epochs=1, verbose=0, shuffle=False)
    for a, b in zip(ours.predict(X, verbose=0), ref.predict(X, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_preprocess_input_in_a_functional_model_saves_and_loads_safely(tmp_path):
    # DLwP 2nd edition 8: `x = keras.applications.vgg16.preprocess_input(x)` inside the model,
    # saved by a ModelCheckpoint and loaded back; jkeras recorded a Lambda layer, which loading
    # refuses in safe mode. Keras 3 records operations, as jkeras now does.
    images = RNG.uniform(0, 255, size=(2, 4, 4, 3)).astype("float32")
    for family in ("vgg16", "mobilenet", "densenet"):  # caffe, tf and torch modes
        def build(k):
            inputs = k.Input((4, 4, 3))
            x = getattr(k.applications, family).preprocess_input(inputs)
            return k.Model(inputs, k.layers.Dense(2)(k.layers.Flatten()(x)))

        ref, ours = build(keras), build(jkeras)
        assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in ref.layers]
        ours.set_weights(ref.get_weights())
        expected = np.asarray(ref(images))
        path = str(tmp_path / f"{family}.keras")
        ours.save(path)
        for model in (ours, jkeras.models.load_model(path)):
            np.testing.assert_allclose(np.asarray(model(images)), expected, rtol=1e-5, atol=1e-4)


def test_california_housing_loads_and_splits_as_keras(tmp_path, monkeypatch):
    # DLwP 3rd edition 4: `california_housing.load_data(version="small")`; jkeras had no such
    # module. Both loaders read the same stand-in file (no download): same arrays.
    from keras.src.datasets import california_housing as reference

    from jkeras.datasets import california_housing

    path = str(tmp_path / "california_housing.npz")
    np.savez(path, x=RNG.normal(size=(700, 8)), y=RNG.uniform(1e4, 5e5, size=700))
    for module in (reference, california_housing):
        monkeypatch.setattr(module, "get_file", lambda *args, **kwargs: path)
    for kwargs in ({"version": "small"}, {"test_split": 0.3, "seed": 1}):
        expected = reference.load_data(**kwargs)
        ours = california_housing.load_data(**kwargs)
        for a, b in zip(np.asarray(ours, dtype=object).ravel(), np.asarray(expected, dtype=object).ravel()):
            np.testing.assert_array_equal(a, b)
    for kwargs in ({"version": "medium"}, {"test_split": 1.0}):
        for loader in (reference.load_data, california_housing.load_data):
            with pytest.raises(ValueError):
                loader(**kwargs)

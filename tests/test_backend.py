"""jkeras.backend (K) against NumPy formulas, and K.function / get_value / set_value."""
import jax
import numpy as np
import pytest

import jkeras
from jkeras import backend as K
from jkeras import layers

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 5)).astype("float32")
B = RNG.standard_normal((5, 3)).astype("float32")


@pytest.mark.parametrize("name, reference", [
    ("mean", lambda x: x.mean(axis=1)), ("sum", lambda x: x.sum(axis=1)), ("max", lambda x: x.max(axis=1)),
    ("min", lambda x: x.min(axis=1)), ("std", lambda x: x.std(axis=1)), ("var", lambda x: x.var(axis=1)),
    ("prod", lambda x: x.prod(axis=1)),
])
def test_reductions(name, reference):
    np.testing.assert_allclose(np.asarray(getattr(K, name)(A, axis=1)), reference(A), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, reference", [
    ("square", np.square), ("abs", np.abs), ("exp", np.exp), ("tanh", np.tanh),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("softplus", lambda x: np.log1p(np.exp(x))),
    ("hard_sigmoid", lambda x: np.clip(0.2 * x + 0.5, 0, 1)), ("relu", lambda x: np.maximum(x, 0)),
])
def test_elementwise(name, reference):
    np.testing.assert_allclose(np.asarray(getattr(K, name)(A)), reference(A), rtol=1e-5, atol=1e-6)


def test_shapes_and_products():
    np.testing.assert_allclose(np.asarray(K.dot(A, B)), A @ B, rtol=1e-5)
    x = RNG.standard_normal((2, 3, 4)).astype("float32")
    y = RNG.standard_normal((2, 4, 5)).astype("float32")
    np.testing.assert_allclose(np.asarray(K.batch_dot(x, y, axes=(2, 1))), np.einsum("bij,bjk->bik", x, y), rtol=1e-5)
    u, v = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 3))
    np.testing.assert_allclose(np.asarray(K.batch_dot(u, v, axes=1)), (u * v).sum(1, keepdims=True), rtol=1e-5)
    norm = np.asarray(K.l2_normalize(A, axis=-1))
    np.testing.assert_allclose(norm, A / np.linalg.norm(A, axis=-1, keepdims=True), rtol=1e-5)
    assert K.concatenate([A, A], axis=0).shape == (8, 5)
    assert K.expand_dims(A, 1).shape == (4, 1, 5) and K.reshape(A, (5, 4)).shape == (5, 4)
    np.testing.assert_allclose(np.asarray(K.clip(A, -0.5, 0.5)), np.clip(A, -0.5, 0.5))
    np.testing.assert_allclose(np.asarray(K.softmax(A)), np.exp(A) / np.exp(A).sum(-1, keepdims=True), rtol=1e-5)


def test_config_values():
    assert K.epsilon() == 1e-7 and K.floatx() == "float32" and K.image_data_format() == "channels_last"
    with pytest.raises(ValueError, match="channels"):
        K.set_image_data_format("nhwc")


def test_function_returns_intermediate_outputs():
    model = jkeras.Sequential([layers.Dense(4, activation="relu", input_shape=(5,)), layers.Dense(2)])
    get_hidden = K.function([model.layers[0].input], [model.layers[0].output])
    hidden = get_hidden([A])[0]
    kernel, bias = model.layers[0].get_weights()
    np.testing.assert_allclose(hidden, np.maximum(A @ kernel + bias, 0), rtol=1e-5, atol=1e-6)


def test_get_and_set_value_of_weights_and_learning_rate():
    model = jkeras.Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(jkeras.optimizers.SGD(0.1), "mse")
    K.set_value(model.layers[0].weights[0], np.ones((3, 2)))
    np.testing.assert_array_equal(K.get_value(model.layers[0].weights[0]), np.ones((3, 2)))
    assert np.isclose(K.get_value(model.optimizer.lr), 0.1)
    K.set_value(model.optimizer.lr, 0.01)
    assert np.isclose(float(model.optimizer.learning_rate), 0.01)


def test_lambda_layers_with_backend_functions_train():
    inp = jkeras.Input((5,))
    x = layers.Dense(8)(inp)
    x = layers.Lambda(lambda t: K.l2_normalize(t, axis=-1))(x)
    out = layers.Lambda(lambda t: K.sum(t, axis=-1, keepdims=True))(x)
    model = jkeras.Model(inp, out)
    model.compile("adam", "mse")
    h = model.fit(A, np.ones((4, 1), "float32"), epochs=30, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_random_functions_use_the_call_key_inside_a_layer():
    class Noise(layers.Layer):
        def call(self, inputs, training=None):
            return inputs + K.random_normal(inputs.shape) if training else inputs

    layer = Noise()
    v = {"params": {}, "state": {}}
    a, _ = layer.apply(v, A, training=True, rng=jax.random.PRNGKey(0))
    b, _ = layer.apply(v, A, training=True, rng=jax.random.PRNGKey(0))
    c, _ = layer.apply(v, A, training=True, rng=jax.random.PRNGKey(1))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_array_equal(np.asarray(layer(A)), A)


def test_random_functions_in_a_lambda_draw_from_the_call_key():
    """The Keras 2 VAE's sampling Lambda: fresh noise for each key (not one draw baked into the
    compiled step), the same noise for the same key."""
    def sampling(args):
        mean, log_var = args
        return mean + K.exp(log_var / 2) * K.random_normal(shape=(K.shape(mean)[0], 3))

    inp = jkeras.Input((5,))
    z = layers.Lambda(sampling, output_shape=(3,))([layers.Dense(3)(inp), layers.Dense(3)(inp)])
    model = jkeras.Model(inp, z)
    apply = jax.jit(lambda v, x, key: model.apply(v, x, training=True, rng=key)[0])
    v = model.get_variables()
    a, b, c = (np.asarray(apply(v, A, jax.random.PRNGKey(k))) for k in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert not np.allclose(model.predict(A, verbose=0), model.predict(A, verbose=0))


def test_in_train_phase_follows_the_call_and_the_learning_phase():
    switch = layers.Lambda(lambda t: K.in_train_phase(t * 2.0, t))
    v = {"params": {}, "state": {}}
    np.testing.assert_allclose(switch.apply(v, A, training=True)[0], A * 2.0)
    np.testing.assert_allclose(switch.apply(v, A, training=False)[0], A)
    assert K.in_train_phase(1, 0) == 0 and K.in_train_phase(1, 0, training=True) == 1
    K.set_learning_phase(1)
    try:
        assert int(K.learning_phase()) == 1 and K.in_train_phase(1, 0) == 1
    finally:
        K.set_learning_phase(0)
    with pytest.raises(ValueError, match="0 .* or 1"):
        K.set_learning_phase(2)


def test_function_takes_the_learning_phase_as_an_input():
    """Keras 2's `K.function([model.input, K.learning_phase()], [output])`: 0 is inference (the
    model's predict), 1 training (dropout on: units dropped, the rest scaled by 1 / (1 - rate))."""
    model = jkeras.Sequential([layers.Dense(64, activation="relu", input_shape=(5,)), layers.Dropout(0.5),
                               layers.Dense(2)])
    hidden = K.function([model.layers[0].input, K.learning_phase()], [model.layers[1].output])
    outputs = K.function([model.input, K.learning_phase()], model.output)
    np.testing.assert_allclose(outputs([A, 0])[0], model.predict(A, verbose=0), rtol=1e-5, atol=1e-6)
    relu = np.maximum(A @ model.layers[0].get_weights()[0] + model.layers[0].get_weights()[1], 0)
    np.testing.assert_allclose(hidden([A, 0])[0], relu, rtol=1e-5, atol=1e-6)
    dropped = hidden([A, 1])[0]
    kept = dropped != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped[kept], 2.0 * relu[kept], rtol=1e-5, atol=1e-6)
    assert not np.allclose(hidden([A, 1])[0], dropped)  # a fresh key each call
    with pytest.raises(ValueError, match="expected 2 input values"):
        hidden([A])

"""Keras 2's symbolic backend workflow, as the backend-heavy Keras 2 examples use it
(conv_filter_visualization, deep_dream, neural_style_transfer, neural_doodle): an expression
built from a model's symbolic tensors with K ops, `K.gradients` of it with respect to a symbolic
input, and `K.function` evaluating both.

References: Keras 3 running the equivalent eager code (the model called inside `jax.grad`, same
weights), finite differences, and NumPy formulas.
"""
import jax
import numpy as np
import pytest

import jkeras
from jkeras import backend as K
from jkeras import layers


def _keras3_conv_model():
    import keras

    inputs = keras.Input((None, None, 2))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="c1")(inputs)
    x = keras.layers.Conv2D(3, 3, padding="same", name="c2")(x)
    return keras.Model(inputs, x)


def _jkeras_conv_model():
    inputs = jkeras.Input((None, None, 2))
    x = layers.Conv2D(4, 3, activation="relu", name="c1")(inputs)
    x = layers.Conv2D(3, 3, padding="same", name="c2")(x)
    return jkeras.Model(inputs, x)


def test_filter_visualization_gradient_matches_keras3_jax_grad():
    # conv_filter_visualization: loss = K.mean(output[..., f]); grads normalized by their RMS.
    import keras
    from keras import ops

    km, jm = _keras3_conv_model(), _jkeras_conv_model()
    jm.set_weights(km.get_weights())
    x = np.random.RandomState(0).uniform(-1, 1, (1, 9, 11, 2)).astype("float32")

    input_img = jm.inputs[0]
    loss = K.mean(jm.get_layer("c2").output[:, :, :, 1])
    grads = K.gradients(loss, input_img)[0]
    grads = grads / (K.sqrt(K.mean(K.square(grads))) + K.epsilon())
    loss_value, grads_value = K.function([input_img], [loss, grads])([x])

    def keras_loss(img):
        return ops.mean(km(img)[:, :, :, 1])

    expected_grads = np.asarray(jax.grad(keras_loss)(x))
    expected_grads = expected_grads / (np.sqrt(np.mean(expected_grads ** 2)) + keras.config.epsilon())
    np.testing.assert_allclose(loss_value, np.asarray(keras_loss(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads_value, expected_grads, rtol=1e-4, atol=1e-5)
    assert grads_value.shape == x.shape


def test_gradient_of_dense_graph_matches_finite_differences():
    x = K.placeholder((None, 4))
    dense = layers.Dense(3, activation="tanh")
    loss = K.mean(K.square(dense(x)))
    (grads,) = K.gradients(loss, x)
    f = K.function([x], [loss, grads])
    xv = np.random.RandomState(1).randn(2, 4)
    loss_value, grads_value = f([xv.astype("float32")])
    w, b = (np.asarray(a, np.float64) for a in dense.get_weights())

    def reference(v):
        return np.mean(np.tanh(v @ w + b) ** 2)

    numeric = np.zeros_like(xv)
    for i in np.ndindex(xv.shape):
        e = np.zeros_like(xv)
        e[i] = 1e-5
        numeric[i] = (reference(xv + e) - reference(xv - e)) / 2e-5
    np.testing.assert_allclose(loss_value, reference(xv), rtol=1e-5)
    np.testing.assert_allclose(grads_value, numeric, rtol=1e-3, atol=1e-6)


def test_gradient_of_a_non_scalar_loss_is_that_of_its_sum():
    # tf.gradients (Keras 2) differentiates sum(loss).
    x = K.placeholder(shape=(2, 3))
    f = K.function([x], K.gradients(K.square(x) * 3.0, [x]))
    xv = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(f([xv])[0], 6.0 * xv)


def test_dynamic_shape_scaling_as_in_deep_dream():
    # deep_dream: scaling = K.prod(K.cast(K.shape(x), 'float32')) on a tensor of unknown size.
    inputs = jkeras.Input((None, None, 3))
    x = layers.Conv2D(2, 3)(inputs)
    scaling = K.prod(K.cast(K.shape(x), "float32"))
    loss = K.variable(0.0)
    loss = loss + 0.5 * K.sum(K.square(x[:, 2:-2, 2:-2, :])) / scaling
    grads = K.gradients(loss, inputs)[0]
    grads /= K.maximum(K.mean(K.abs(grads)), K.epsilon())
    f = K.function([inputs], [scaling, loss, grads])
    xv = np.random.RandomState(2).rand(1, 10, 12, 3).astype("float32")
    scaling_value, loss_value, grads_value = f([xv])
    assert scaling_value == 1 * 8 * 10 * 2
    y = np.asarray(jkeras.Model(inputs, x).predict(xv, verbose=0), np.float64)
    np.testing.assert_allclose(loss_value, 0.5 * np.sum(y[:, 2:-2, 2:-2, :] ** 2) / 160.0, rtol=1e-5)
    assert grads_value.shape == xv.shape
    np.testing.assert_allclose(np.mean(np.abs(grads_value)), 1.0, rtol=1e-5)


def test_placeholder_concatenated_with_constants_and_constant_input():
    # neural_style_transfer / neural_doodle: the model input is a K.concatenate of K.variable
    # images and a placeholder; masks come in through Input(tensor=K.variable(...)).
    rng = np.random.RandomState(3)
    style = K.variable(rng.rand(1, 4, 5, 2))
    target = K.placeholder(shape=(1, 4, 5, 2))
    images = K.concatenate([style, target, K.zeros(shape=(1, 4, 5, 2))], axis=0)
    mask_value = rng.rand(2, 4, 5, 1).astype("float32")
    mask_input = jkeras.Input(tensor=K.variable(mask_value), shape=(None, None, None), name="mask_input")
    assert mask_input.shape == (2, 4, 5, 1)
    pooled = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(mask_input)
    mask_model = jkeras.Model(mask_input, pooled)
    masked = images[1, :, :, :] * mask_model.output[1, :, :, :]
    loss = K.sum(K.square(images[0, :, :, :] - masked))
    grads = K.gradients(loss, target)
    f = K.function([target], [loss] + grads)
    tv = rng.rand(1, 4, 5, 2).astype("float32")
    loss_value, grads_value = f([tv])

    padded = np.pad(mask_value[1, :, :, 0], 1)
    counts = np.pad(np.ones((4, 5)), 1)
    sums = sum(padded[i:i + 4, j:j + 5] for i in range(3) for j in range(3))
    m = (sums / sum(counts[i:i + 4, j:j + 5] for i in range(3) for j in range(3)))[:, :, None]
    diff = np.asarray(style)[0] - tv[0] * m
    np.testing.assert_allclose(loss_value, np.sum(diff ** 2), rtol=1e-5)
    np.testing.assert_allclose(grads_value[0], -2 * diff * m, rtol=1e-4, atol=1e-6)


def test_learning_phase_input_with_gradients():
    # Dropout runs in training mode when the learning phase fed is 1.
    x = K.placeholder(shape=(None, 50))
    y = layers.Dropout(0.5)(x)
    f = K.function([x, K.learning_phase()], K.gradients(K.sum(y), x))
    ones = np.ones((4, 50), "float32")
    np.testing.assert_allclose(f([ones, 0])[0], ones)
    train = f([ones, 1])[0]
    assert set(np.unique(train)) <= {0.0, 2.0} and 0 < np.sum(train == 0) < train.size


def test_gradients_bad_inputs_name_the_argument():
    x = K.placeholder(shape=(None, 3))
    d = layers.Dense(2)
    h = d(x)
    with pytest.raises(ValueError, match=r"gradients: variables\[0\] must be an Input tensor"):
        K.gradients(K.sum(h), h)
    with pytest.raises(ValueError, match=r"gradients: `loss` must be a symbolic tensor"):
        K.gradients(np.float32(1.0), x)
    ids = K.placeholder(shape=(None, 3), dtype="int32")
    with pytest.raises(ValueError, match=r"variables\[0\] must have a floating dtype, got 'int32'"):
        K.gradients(K.sum(K.cast(ids, "float32")), ids)
    other = K.placeholder(shape=(None, 3))
    assert K.gradients(K.sum(h), [other, x])[0] is None
    with pytest.raises(ValueError, match="placeholder: give `shape`"):
        K.placeholder()
    assert K.placeholder(ndim=3).shape == (None, None, None)
    with pytest.raises(ValueError, match=r"Input: `shape` \(3,\) does not fit the shape of `tensor`, \(2, 4\)"):
        jkeras.Input(tensor=np.zeros((2, 4), "float32"), shape=(3,))

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


def test_grad_cam_gradient_with_respect_to_a_layer_output_matches_keras3():
    # The Keras 2 Grad-CAM recipe: K.gradients of a class score by the last conv layer's output.
    import keras

    rng = np.random.RandomState(8)
    inputs = jkeras.Input((6, 6, 2))
    conv = layers.Conv2D(3, 3, activation="relu", name="last_conv")
    features = conv(inputs)
    outputs = layers.Dense(4, activation="softmax")(layers.GlobalAveragePooling2D()(features))
    model = jkeras.Model(inputs, outputs)
    grads = K.gradients(model.output[:, 1], conv.output)[0]
    pooled = K.mean(grads, axis=(0, 1, 2))
    f = K.function([model.input], [pooled, conv.output[0]])
    x = rng.rand(1, 6, 6, 2).astype("float32")
    pooled_value, features_value = f([x])

    k_in = keras.Input((6, 6, 2))
    k_conv = keras.Model(k_in, keras.layers.Conv2D(3, 3, activation="relu")(k_in))
    f_in = keras.Input((4, 4, 3))
    k_head = keras.Model(f_in, keras.layers.Dense(4, activation="softmax")(keras.layers.GlobalAveragePooling2D()(f_in)))
    k_conv.set_weights(conv.get_weights())
    k_head.set_weights(model.layers[-1].get_weights())
    k_features = np.asarray(k_conv(x))
    expected = jax.grad(lambda c: keras.ops.sum(k_head(c)[:, 1]))(k_features)
    np.testing.assert_allclose(features_value, k_features[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled_value, np.mean(np.asarray(expected), axis=(0, 1, 2)), rtol=1e-4, atol=1e-7)
    other = layers.Dense(2)(inputs)  # a tensor the class score is not computed through
    assert K.gradients(model.output[:, 1], [other, conv.output])[0] is None


def test_gradients_by_weights_match_keras3_stateless_call():
    # Keras 2: grads = K.gradients(loss, model.trainable_weights); K.function([x, y], grads).
    import keras

    inputs = jkeras.Input((4,))
    hidden = layers.Dense(5, activation="tanh")(inputs)
    model = jkeras.Model(inputs, layers.Dense(2)(hidden))
    targets = K.placeholder(shape=(None, 2))
    loss = K.mean(K.square(model.output - targets))
    unused = layers.Dense(3)
    unused.build((None, 4))
    grads = K.gradients(loss, model.trainable_weights + [unused.kernel])
    assert grads[-1] is None
    f = K.function([model.input, targets], grads[:-1])
    rng = np.random.RandomState(9)
    x, y = rng.randn(3, 4).astype("float32"), rng.randn(3, 2).astype("float32")
    got = f([x, y])

    k_in = keras.Input((4,))
    reference = keras.Model(k_in, keras.layers.Dense(2)(keras.layers.Dense(5, activation="tanh")(k_in)))
    reference.set_weights(model.get_weights())

    def k_loss(trainable):
        out, _ = reference.stateless_call(trainable, [], x)
        return keras.ops.mean(keras.ops.square(out - y))

    expected = jax.grad(k_loss)([v.value for v in reference.trainable_variables])
    assert [g.shape for g in got] == [tuple(w.shape) for w in model.trainable_weights]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-5, atol=1e-6)


def test_gradients_bad_inputs_name_the_argument():
    x = K.placeholder(shape=(None, 3))
    d = layers.Dense(2)
    h = d(x)
    with pytest.raises(ValueError, match=r"gradients: variables\[0\] must be a symbolic tensor .* or a layer weight, got"):
        K.gradients(K.sum(h), np.zeros(3, "float32"))
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


# ------------------------------------------------------------------------------------------
# cifar10_cnn_capsule: K.conv1d; image_ocr: K.ctc_batch_cost, a generator set up by a callback's
# on_train_begin, input dicts with extra entries.


def test_conv1d_matches_keras3_conv_and_causal_padding():
    from keras import ops

    rng = np.random.RandomState(4)
    x = rng.randn(2, 7, 3).astype("float32")
    kernel = rng.randn(2, 3, 5).astype("float32")
    np.testing.assert_allclose(K.conv1d(x, kernel), ops.conv(x, kernel), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(K.conv1d(x, kernel, padding="same", dilation_rate=2),
                               ops.conv(x, kernel, padding="same", dilation_rate=2), rtol=1e-5, atol=1e-5)
    causal = np.asarray(K.conv1d(x, kernel, padding="causal"))
    padded = np.pad(x, ((0, 0), (1, 0), (0, 0)))
    expected = np.einsum("btc,co->bto", padded[:, :-1], kernel[0]) + np.einsum("btc,co->bto", padded[:, 1:], kernel[1])
    np.testing.assert_allclose(causal, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"conv1d: expected an input of rank 3, got shape \(7, 3\)"):
        K.conv1d(x[0], kernel)


def test_small_backend_functions_match_numpy():
    rng = np.random.RandomState(5)
    x = rng.randn(2, 3, 4, 5).astype("float32")
    bias = rng.randn(5).astype("float32")
    np.testing.assert_allclose(K.bias_add(x, bias), x + bias, rtol=1e-6)
    np.testing.assert_allclose(K.bias_add(np.moveaxis(x, -1, 1), bias, data_format="channels_first"),
                               np.moveaxis(x + bias, -1, 1), rtol=1e-6)
    np.testing.assert_allclose(K.pool2d(x[:, :2, :4], (2, 2), strides=(2, 2)),
                               x[:, :2, :4].reshape(2, 1, 2, 2, 2, 5).max(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(K.pool2d(x[:, :2, :4], (2, 2), strides=(2, 2), pool_mode="avg"),
                               x[:, :2, :4].reshape(2, 1, 2, 2, 2, 5).mean(axis=(2, 4)), rtol=1e-5)
    np.testing.assert_allclose(K.spatial_2d_padding(x, ((1, 0), (0, 2))),
                               np.pad(x, ((0, 0), (1, 0), (0, 2), (0, 0))))
    np.testing.assert_allclose(K.reverse(x, [1, 2]), x[:, ::-1, ::-1])
    scores = np.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]], "float32")
    np.testing.assert_array_equal(K.in_top_k(scores, np.array([2, 0]), 1), [False, False])
    np.testing.assert_array_equal(K.in_top_k(scores, np.array([2, 2]), 2), [True, True])
    with pytest.raises(ValueError, match="pool2d: pool_mode must be 'max' or 'avg', got 'sum'"):
        K.pool2d(x, (2, 2), pool_mode="sum")


def _ctc_brute_force(probs, label, blank):
    """-log of the summed probability of every path that collapses to `label` (NumPy)."""
    import itertools

    steps, classes = probs.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in collapsed if c != blank] == list(label):
            total += np.prod([probs[t, c] for t, c in enumerate(path)])
    return -np.log(total)


def test_ctc_batch_cost_matches_brute_force_with_the_last_class_blank():
    rng = np.random.RandomState(6)
    logits = rng.randn(2, 5, 4)
    y_pred = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")
    labels = np.array([[0, 1, -1], [2, 2, 1]], "float32")  # padded past label_length
    input_length = np.array([[5], [4]])
    label_length = np.array([[2], [3]])
    cost = np.asarray(K.ctc_batch_cost(labels, y_pred, input_length, label_length))
    assert cost.shape == (2, 1)
    # Keras 2 feeds log(y_pred + epsilon) to a softmax CTC: the probabilities renormalized.
    p = y_pred.astype(np.float64) + K.epsilon()
    p /= p.sum(-1, keepdims=True)
    expected = [_ctc_brute_force(p[0, :5], [0, 1], 3), _ctc_brute_force(p[1, :4], [2, 2, 1], 3)]
    np.testing.assert_allclose(cost[:, 0], expected, rtol=1e-4)


def test_ctc_decode_greedy_collapses_repeats_and_drops_the_last_class():
    y_pred = np.full((1, 6, 3), 0.1, "float32")
    for t, c in enumerate([0, 0, 2, 0, 1, 1]):
        y_pred[0, t, c] = 0.8
    (decoded,), log_prob = K.ctc_decode(y_pred, np.array([6]))
    np.testing.assert_array_equal(np.asarray(decoded), [[0, 0, 1, -1, -1, -1]])
    np.testing.assert_allclose(np.asarray(log_prob), [[-6 * np.log(0.8 + K.epsilon())]], rtol=1e-5)
    (beam,), _ = K.ctc_decode(y_pred, np.array([6]), greedy=False, beam_width=10)  # the same best path
    np.testing.assert_array_equal(np.asarray(beam), [[0, 0, 1, -1, -1, -1]])


def test_fit_generator_reads_after_on_train_begin_and_ignores_extra_input_keys():
    # image_ocr: the generator callback builds its word list in on_train_begin, and its batches
    # carry 'source_str' next to the model's inputs (Keras 2 reads only the model's inputs).
    import keras

    class Source(jkeras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.ready = False

        def on_train_begin(self, logs=None):
            self.ready = True

        def batches(self):
            while True:
                if not self.ready:
                    raise AssertionError("generator read before on_train_begin")
                yield {"a": np.ones((4, 3), "float32"), "source_str": ["ab"] * 4}, np.ones((4, 1), "float32")

    inputs = jkeras.Input((3,), name="a")
    model = jkeras.Model(inputs, layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    source = Source()
    with pytest.warns(UserWarning, match=r"key\(s\) \['source_str'\] match no model input"):
        model.fit_generator(source.batches(), steps_per_epoch=1, epochs=1, callbacks=[source],
                            validation_data=source.batches(), validation_steps=1, verbose=0)

    k_inputs = keras.Input((3,), name="a")
    reference = keras.Model(k_inputs, keras.layers.Dense(1)(k_inputs))
    reference.compile("sgd", "mse")
    reference.set_weights(model.get_weights())
    x = {"a": np.random.RandomState(7).randn(4, 3).astype("float32")}
    y = np.ones((4, 1), "float32")
    with pytest.warns(UserWarning):
        got = model.evaluate({**x, "extra": np.zeros((4, 2), "float32")}, y, verbose=0)
    np.testing.assert_allclose(got, reference.evaluate(x, y, verbose=0), rtol=1e-5)
    with pytest.raises(ValueError, match=r"key\(s\) \['b'\] that match no model inputs; expected keys \['a'\]"):
        model.evaluate({"b": x["a"]}, y, verbose=0)

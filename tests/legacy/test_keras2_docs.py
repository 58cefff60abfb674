"""Keras 2 (and 1) documentation snippets and the Keras 1/2 names they use, on jkeras: the FAQ's
`K.function` with the learning phase, `uses_learning_phase`, `outbound_nodes`, optimizers'
`get_gradients` / `get_updates` feeding `K.function(updates=...)`, `K.local_conv1d/2d`,
`K.ctc_label_dense_to_sparse`. References: Keras 3 where it still has the API, else NumPy."""
import jax
import keras
import numpy as np
import pytest

import jkeras
from jkeras import backend as K

RNG = np.random.default_rng(0)


def _local_conv_reference(x, kernel, kernel_size, strides, channels_last):
    """Keras 2's local_conv loop: one window per output position, flattened in the input's order."""
    if not channels_last:
        x = np.moveaxis(x, 1, -1)
    spatial = x.shape[1:-1]
    out = [(s - k) // st + 1 for s, k, st in zip(spatial, kernel_size, strides)]
    result = np.zeros((x.shape[0], *out, kernel.shape[-1]), "float32")
    for i, pos in enumerate(np.ndindex(*out)):
        window = x[(slice(None),) + tuple(slice(p * st, p * st + k) for p, st, k in zip(pos, strides, kernel_size))]
        if not channels_last:  # Keras 2 flattens (channels, *window) for channels_first
            window = np.moveaxis(window, -1, 1)
        result[(slice(None),) + pos] = window.reshape(x.shape[0], -1) @ kernel[i]
    return result if channels_last else np.moveaxis(result, -1, 1)


@pytest.mark.parametrize("data_format", ["channels_first"])
def test_local_conv1d_and_2d_match_the_window_loop(data_format):
    # channels_first: the harder layout (channels_last is LocallyConnected's tested path too)
    last = data_format == "channels_last"
    x1 = RNG.normal(size=(2, 7, 3) if last else (2, 3, 7)).astype("float32")
    k1 = RNG.normal(size=(3, 3 * 3, 4)).astype("float32")  # steps 7, window 3, stride 2: 3 outputs
    np.testing.assert_allclose(K.local_conv1d(x1, k1, (3,), (2,), data_format),
                               _local_conv_reference(x1, k1, (3,), (2,), last), rtol=1e-4, atol=1e-4)
    x2 = RNG.normal(size=(2, 5, 4, 3) if last else (2, 3, 5, 4)).astype("float32")
    k2 = RNG.normal(size=(4 * 3, 2 * 2 * 3, 5)).astype("float32")  # 5x4, window 2x2, stride 1: 4x3 outputs
    np.testing.assert_allclose(K.local_conv2d(x2, k2, (2, 2), (1, 1), (4, 3), data_format),
                               _local_conv_reference(x2, k2, (2, 2), (1, 1), last), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="kernel must have shape"):
        K.local_conv1d(x1, k1[:2], (3,), (2,), data_format)
    with pytest.raises(ValueError, match="output_shape"):
        K.local_conv2d(x2, k2, (2, 2), (1, 1), (3, 3), data_format)


def test_ctc_label_dense_to_sparse_keeps_the_labels_within_each_length():
    labels = np.array([[4, 2, 7], [5, 9, 9], [1, 1, 3]])
    sparse = K.ctc_label_dense_to_sparse(labels, np.array([2, 1, 3]))
    assert K.is_sparse(sparse) and not K.is_sparse(labels)
    np.testing.assert_array_equal(sparse.indices, [[0, 0], [0, 1], [1, 0], [2, 0], [2, 1], [2, 2]])
    np.testing.assert_array_equal(sparse.data, [4, 2, 5, 1, 1, 3])
    np.testing.assert_array_equal(K.to_dense(sparse), [[4, 2, 0], [5, 0, 0], [1, 1, 3]])


def test_uses_learning_phase_is_whether_training_changes_the_outputs():
    # Keras 2: True when a layer switches on the learning phase (dropout above 0, batch norm)
    inputs = jkeras.Input((4,))
    dense = jkeras.layers.Dense(3)(inputs)
    assert not jkeras.Model(inputs, dense).uses_learning_phase
    assert jkeras.Model(inputs, jkeras.layers.Dropout(0.5)(dense)).uses_learning_phase
    assert not jkeras.Model(inputs, jkeras.layers.Dropout(0.0)(dense)).uses_learning_phase
    assert jkeras.Model(inputs, jkeras.layers.BatchNormalization()(dense)).uses_learning_phase
    assert jkeras.Model(inputs, dense).state_updates == []


def _graph(lib):
    inputs = lib.Input((4,))
    shared = lib.layers.Dense(3)
    hidden = shared(inputs)
    out1, out2 = lib.layers.Dense(1)(hidden), lib.layers.Dense(2)(hidden)
    return lib.Model(inputs, [out1, out2]), shared


def test_outbound_nodes_are_the_calls_on_a_layer_outputs_as_keras():
    model, shared = _graph(jkeras)
    reference, ref_shared = _graph(keras)
    assert len(shared.outbound_nodes) == len(ref_shared._outbound_nodes) == 2
    assert [n.layer.name for n in shared.outbound_nodes] == [model.layers[2].name, model.layers[3].name]
    assert [len(layer.outbound_nodes) for layer in model.layers] == \
        [len(layer._outbound_nodes) for layer in reference.layers]
    stack = jkeras.Sequential([jkeras.Input((4,)), jkeras.layers.Dense(3), jkeras.layers.Dense(2)])
    first = stack.layers[0]
    assert len(first.outbound_nodes) == 1
    stack.pop()  # the call undone: no longer an outbound node
    assert first.outbound_nodes == []


@pytest.mark.parametrize("clipnorm", [None, 0.05])
def test_get_gradients_and_get_updates_drive_a_k_function_train_step(clipnorm):
    # the Keras 2 custom training loop: updates = opt.get_updates(loss, params);
    # train = K.function([x, y], [loss], updates=updates)
    x = RNG.normal(size=(8, 3)).astype("float32")
    y = RNG.normal(size=(8, 1)).astype("float32")
    inputs, target = jkeras.Input((3,)), jkeras.Input((1,))
    dense = jkeras.layers.Dense(1)
    model = jkeras.Model(inputs, dense(inputs))
    loss = K.mean(K.square(model.output - target))
    opt = jkeras.optimizers.SGD(0.1, clipnorm=clipnorm)
    w, b = model.get_weights()

    def clip(g):  # per tensor, as Keras 2.3 / 3
        norm = np.sqrt(np.sum(g ** 2))
        return g if clipnorm is None else g * clipnorm / max(norm, clipnorm)

    err = x @ w + b - y
    grads = [clip(2 * x.T @ err / 8), clip(2 * err.mean(0))]
    computed = K.function([inputs, target], opt.get_gradients(loss, model.trainable_weights))([x, y])
    for got, want in zip(computed, grads):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    train = K.function([inputs, target], [loss], updates=opt.get_updates(loss, model.trainable_weights))
    (value,) = train([x, y])
    np.testing.assert_allclose(value, np.mean(err ** 2), rtol=1e-5)  # before the update
    np.testing.assert_allclose(model.get_weights()[0], w - 0.1 * grads[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b - 0.1 * grads[1], rtol=1e-4, atol=1e-6)
    # K.update on a symbolic value is a graph update: applied by the function, outputs empty
    mean_out = K.mean(model.output, axis=0)
    expected = (x @ model.get_weights()[0] + model.get_weights()[1]).mean(0)
    assert K.function([inputs], [], updates=[K.update(dense.bias, mean_out)])([x]) == []
    np.testing.assert_allclose(K.get_value(dense.bias), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="None` for gradient"):
        opt.get_gradients(K.mean(target), model.trainable_weights)
    with pytest.raises(ValueError, match="updates\\[0\\]"):
        K.function([inputs], [loss], updates=["not an update"])


def test_tf_optimizer_says_it_needs_tensorflow():
    with pytest.raises(NotImplementedError, match="TensorFlow"):
        jkeras.optimizers.TFOptimizer(object())


def test_backend_guide_snippet():
    # docs/templates/backend.md, as written
    assert K.int_shape(K.placeholder(shape=(2, 4, 5))) == (2, 4, 5)
    assert K.int_shape(K.placeholder(shape=(None, 4, 5))) == (None, 4, 5)
    assert K.int_shape(K.placeholder(ndim=3)) == (None, None, None)
    b = K.random_uniform_variable(shape=(3, 4), low=0, high=1)
    c = K.random_normal_variable(shape=(3, 4), mean=0, scale=1)
    d = K.random_normal_variable(shape=(3, 4), mean=0, scale=1)
    assert 0 <= float(K.min(b)) and float(K.max(b)) < 1
    a = b + c * K.abs(d)
    c = K.dot(a, K.transpose(b))
    a = K.concatenate([b, c], axis=-1)
    np.testing.assert_allclose(a, np.concatenate([b, np.asarray(a[:, 4:])], -1))
    assert K.int_shape(a) == (3, 7)
    samples = np.asarray(K.truncated_normal((4000,), 1.0, 2.0, seed=1))
    assert samples.min() >= -3.0 and samples.max() <= 5.0 and abs(samples.mean() - 1.0) < 0.15


@pytest.mark.parametrize("padding,strides", [("same", 2)])
def test_conv_transpose_separable_and_pool3d_match_keras_ops(padding, strides):
    x = RNG.normal(size=(2, 5, 5, 3)).astype("float32")
    kernel = RNG.normal(size=(3, 3, 4, 3)).astype("float32")  # (rows, cols, out, in), as TF
    ref = np.asarray(keras.ops.conv_transpose(x, kernel, strides=strides, padding=padding))
    got = K.conv2d_transpose(x, kernel, (None,) + ref.shape[1:], (strides, strides), padding)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
    got = K.conv2d_transpose(x.transpose(0, 3, 1, 2), kernel, (2, 4) + ref.shape[1:3], (strides, strides),
                             padding, data_format="channels_first")
    np.testing.assert_allclose(got, ref.transpose(0, 3, 1, 2), rtol=1e-4, atol=1e-4)
    volume = RNG.normal(size=(1, 3, 4, 4, 2)).astype("float32")
    kernel3 = RNG.normal(size=(2, 2, 2, 5, 2)).astype("float32")
    ref3 = np.asarray(keras.ops.conv_transpose(volume, kernel3, strides=strides, padding=padding))
    np.testing.assert_allclose(K.conv3d_transpose(volume, kernel3, ref3.shape, (strides,) * 3, padding), ref3,
                               rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="output_shape"):
        K.conv2d_transpose(x, kernel, (2, 3, 3, 4), (strides, strides), padding)
    depthwise, pointwise = RNG.normal(size=(3, 3, 3, 2)).astype("float32"), RNG.normal(size=(1, 1, 6, 4)).astype("float32")
    np.testing.assert_allclose(K.separable_conv2d(x, depthwise, pointwise, (strides, strides), padding),
                               keras.ops.separable_conv(x, depthwise, pointwise, strides, padding), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(K.separable_conv1d(x[:, 0], depthwise[0], pointwise[0], strides, padding),
                               keras.ops.separable_conv(x[:, 0], depthwise[0], pointwise[0], strides, padding),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(K.pool3d(volume, (2, 2, 2), (strides,) * 3, padding),
                               keras.ops.max_pool(volume, 2, strides, padding), rtol=1e-6)
    np.testing.assert_allclose(K.pool3d(volume, (2, 2, 2), (strides,) * 3, padding, pool_mode="avg"),
                               keras.ops.average_pool(volume, 2, strides, padding), rtol=1e-5)


def test_keras2_backend_helpers_without_a_keras3_twin():
    x = RNG.normal(size=(3, 4, 5)).astype("float32")
    np.testing.assert_array_equal(K.slice(x, (1, 0, 2), (2, -1, 3)), x[1:3, :, 2:5])
    assert int(K.size(x)) == 60
    np.testing.assert_array_equal(K.identity(x), x)
    padded = K.spatial_3d_padding(x[None, ..., None], ((1, 0), (0, 2), (1, 1)))
    np.testing.assert_array_equal(padded, np.pad(x[None, ..., None], ((0, 0), (1, 0), (0, 2), (1, 1), (0, 0))))
    assert K.normalize_data_format(None) == K.image_data_format()
    assert K.normalize_data_format("Channels_First") == "channels_first"
    with pytest.raises(ValueError, match="data_format"):
        K.normalize_data_format("nhwc")
    layer = jkeras.layers.Dense(2)
    layer.build((None, 3))
    assert K.is_variable(layer.kernel) and not K.is_variable(x)
    assert K.is_placeholder(K.placeholder((2, 3))) and not K.is_placeholder(x)
    with K.control_dependencies([x]):
        pass


def test_model_to_dot_as_the_visualization_page_uses_it(tmp_path):
    # docs/templates/visualization.md: SVG(model_to_dot(model).create(prog='dot', format='svg'))
    import xml.etree.ElementTree as ET

    from jkeras.utils import model_to_dot

    def build(lib):
        inputs = lib.Input((3,))
        left, right = lib.layers.Dense(2, name="left")(inputs), lib.layers.Dense(2, name="right")(inputs)
        return lib.Model(inputs, lib.layers.add([left, right]))

    model, reference = build(jkeras), build(keras)
    dot = model_to_dot(model, show_shapes=True)
    svg = ET.fromstring(dot.create(prog="dot", format="svg"))
    boxes = [e for e in svg.iter() if e.tag.endswith("rect")]
    assert len(boxes) == len(reference.layers)  # Keras 3 lists the InputLayer too
    text = dot.to_string()
    assert text.startswith("digraph G {") and text.count("->") == 4 and "left (Dense)" in text
    assert "output: (None, 2)" in text
    dot.write(tmp_path / "model.dot")
    assert (tmp_path / "model.dot").read_text() == text
    with pytest.raises(ValueError, match="svg"):
        dot.create(format="png")


@pytest.mark.slow
def test_nasnet_matches_keras_layer_for_layer(monkeypatch):
    # applications.md lists keras.applications.nasnet.NASNetMobile / NASNetLarge; they were missing
    from applications_testing import _hyperparameters, assert_close, batch, cheap_random_initializers, randomize

    def same_structure(k_model, j_model):
        assert j_model.name == k_model.name
        assert [layer.name for layer in j_model.layers] == [layer.name for layer in k_model.layers]
        assert [type(lay).__name__ for lay in j_model.layers] == [type(lay).__name__ for lay in k_model.layers]
        assert [_hyperparameters(lay) for lay in j_model.layers] == [_hyperparameters(lay) for lay in k_model.layers]
        # same weights in the same order (Keras 3 prefixes the paths with its cells' name scopes)
        assert [w.path.split("/")[-2:] for w in j_model.weights] == [w.path.split("/")[-2:] for w in k_model.weights]
        assert [w.shape for w in j_model.weights] == [tuple(w.shape) for w in k_model.weights]
        assert j_model.output_shape == k_model.output_shape

    keras.backend.clear_session()  # fresh default names (activation, add, ...) in both libraries
    jkeras.backend.clear_session()
    with cheap_random_initializers():
        small = dict(input_shape=(32, 32, 3), penultimate_filters=96, num_blocks=1, stem_block_filters=8,
                     skip_reduction=False, include_top=False, pooling="avg", weights=None)
        from keras.src.applications import nasnet as keras_nasnet

        k_model = keras_nasnet.NASNet(**small)
        j_model = jkeras.applications.nasnet.NASNet(**small)
    same_structure(k_model, j_model)
    randomize(k_model)
    j_model.set_weights(k_model.get_weights())
    x = batch(k_model)
    # Keras's inference pass as predict runs it, compiled with XLA's optimizations off (the compile
    # of this ~360-layer graph is most of the test; the optimizations do not change the values)
    variables = ([v.value for v in k_model.trainable_variables], [v.value for v in k_model.non_trainable_variables])
    forward = jax.jit(lambda tv, ntv, x: k_model.stateless_call(tv, ntv, x, training=False)[0])
    expected = forward.lower(*variables, x).compile({"xla_backend_optimization_level": 0})(*variables, x)
    assert_close(j_model.predict(x, verbose=0), expected)
    with pytest.raises(ValueError, match="penultimate_filters"):
        jkeras.applications.nasnet.NASNet(penultimate_filters=100, weights=None)
    # NASNetMobile / NASNetLarge: the same NASNet arguments as Keras's (not built: 771 and 1040 layers)
    calls = {"keras": [], "jkeras": []}
    monkeypatch.setattr(keras_nasnet, "NASNet", lambda *a, **kw: calls["keras"].append((a, kw)))
    monkeypatch.setattr(jkeras.applications.nasnet, "NASNet", lambda *a, **kw: calls["jkeras"].append((a, kw)))
    for kwargs in (dict(), dict(include_top=False, weights=None, pooling="max"), dict(input_shape=(64, 64, 3))):
        for kind in ("NASNetMobile", "NASNetLarge"):
            getattr(keras_nasnet, kind)(**kwargs)
            getattr(jkeras.applications, kind)(**kwargs)
    assert calls["jkeras"] == calls["keras"] and len(calls["keras"]) == 6


def test_ctc_beam_search_matches_keras_and_k_ctc_decode_uses_it():
    # Keras 2: K.ctc_decode(y_pred, input_length, greedy=False, beam_width, top_paths) on softmax
    # outputs, the blank last; log_prob the log-probability of each path
    scores = np.exp(RNG.normal(size=(2, 5, 3)) * 2)
    probs = (scores / scores.sum(-1, keepdims=True)).astype("float32")
    decoded, log_prob = K.ctc_decode(probs, np.array([5, 3]), greedy=False, beam_width=6, top_paths=2)
    # Keras's beam search traced as one program (run op by op it compiles each of its steps: ~3x slower)
    k_paths, k_scores = jax.jit(lambda lp, n: keras.ops.ctc_decode(lp, n, strategy="beam_search", beam_width=6,
                                                                   top_paths=2, mask_index=2))(
        np.log(probs + 1e-7), np.array([5, 3]))
    j_paths, j_scores = jkeras.ops.ctc_decode(np.log(probs + 1e-7), np.array([5, 3]), strategy="beam_search",
                                              beam_width=6, top_paths=2, mask_index=2)
    np.testing.assert_array_equal(j_paths, k_paths)
    np.testing.assert_allclose(j_scores, k_scores, rtol=1e-5, atol=1e-5)
    assert len(decoded) == 2
    for got, want in zip(decoded, np.asarray(k_paths)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(log_prob, k_scores, rtol=1e-5, atol=1e-5)
    (greedy,), _ = K.ctc_decode(probs, np.array([5, 3]))
    np.testing.assert_array_equal(greedy, keras.ops.ctc_decode(np.log(probs + 1e-7), np.array([5, 3]),
                                                               mask_index=2)[0][0])


def test_backend_docstring_examples_keras2():
    # keras/backend/tensorflow_backend.py (2.3) docstrings
    input_ph = K.placeholder(shape=(2, 4, 5))
    assert input_ph._keras_shape == (2, 4, 5)
    assert jkeras.layers.Dense(3)(jkeras.Input((4,)))._keras_shape == (None, 3)
    np.testing.assert_array_equal(K.eval(K.eye((2, 3))), np.eye(2, 3))
    np.testing.assert_array_equal(K.eval(K.eye(3)), np.eye(3))
    np.testing.assert_array_equal(K.eval(K.tile(K.eye(2), (2, 3))), np.tile(np.eye(2), (2, 3)))
    assert K.int_shape(K.batch_dot(K.ones(shape=(32, 20, 1)), K.ones(shape=(32, 30, 20)), axes=(1, 2))) == (32, 1, 30)
    assert K.int_shape(K.dot(K.random_uniform_variable(shape=(2, 3), low=0, high=1), K.ones((4, 3, 5)))) == (2, 4, 5)


def test_keras1_metric_function_returning_a_dict_logs_each_value():
    # Keras 1 sequential guide: def false_rates(y_true, y_pred): return {'false_neg': ..., 'false_pos': ...}
    def false_rates(y_true, y_pred):
        return {"false_neg": K.mean(y_true * (1 - K.round(y_pred))),
                "false_pos": K.mean((1 - y_true) * K.round(y_pred))}

    model = jkeras.Sequential([jkeras.layers.Dense(1, input_dim=3, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy", false_rates])
    x = RNG.normal(size=(16, 3)).astype("float32")
    y = RNG.integers(0, 2, size=(16, 1)).astype("float32")
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert sorted(logs) == ["accuracy", "false_neg", "false_pos", "loss"]
    predicted = np.round(model(x))
    np.testing.assert_allclose(logs["false_neg"], np.mean(y * (1 - predicted)), rtol=1e-5)
    np.testing.assert_allclose(logs["false_pos"], np.mean((1 - y) * predicted), rtol=1e-5)
    history = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25)
    assert {"false_neg", "false_pos", "val_false_neg", "val_false_pos"} <= set(history.history)


def test_losses_docstring_examples_take_python_lists():
    # keras/losses.py (2.3) docstrings: cce([0, 1, 2], [[.9, .05, .05], [.5, .89, .6], [.05, .01, .94]])
    y_pred = [[.9, .05, .05], [.5, .89, .6], [.05, .01, .94]]
    loss = jkeras.losses.SparseCategoricalCrossentropy()([0, 1, 2], y_pred)
    probs = np.array(y_pred) / np.sum(y_pred, axis=1, keepdims=True)
    np.testing.assert_allclose(loss, -np.mean(np.log(probs[[0, 1, 2], [0, 1, 2]])), rtol=1e-5)
    # same-structure lists keep working, as in Keras 3
    np.testing.assert_allclose(jkeras.losses.MeanSquaredError()([0., 0., 1., 1.], [1., 1., 1., 0.]),
                               keras.losses.MeanSquaredError()([0., 0., 1., 1.], [1., 1., 1., 0.]), rtol=1e-6)


def test_generic_utils_helpers_of_keras2():
    from jkeras.utils import generic_utils as gu

    # the transpose_shape docstring examples
    assert gu.transpose_shape((16, 128, 128, 32), "channels_first", spatial_axes=(1, 2)) == (16, 32, 128, 128)
    assert gu.transpose_shape((16, 128, 128, 32), "channels_last", spatial_axes=(1, 2)) == (16, 128, 128, 32)
    assert gu.transpose_shape((128, 128, 32), "channels_first", spatial_axes=(0, 1)) == (32, 128, 128)
    assert gu.transpose_shape([8, 5, 3], "channels_first", spatial_axes=(1,)) == [8, 3, 5]
    with pytest.raises(ValueError, match="data_format"):
        gu.transpose_shape((1, 2), "nhwc", (0,))
    assert gu.to_list(3) == [3] and gu.to_list((1, 2)) == [(1, 2)] and gu.to_list((1, 2), allow_tuple=True) == [1, 2]
    assert gu.unpack_singleton([5]) == 5 and gu.unpack_singleton([5, 6]) == [5, 6]
    assert gu.is_all_none([None, None]) and not gu.is_all_none((None, 1)) and gu.is_all_none(None)
    assert gu.has_arg(lambda x, training=None: x, "training") and not gu.has_arg(lambda x: x, "training")
    assert gu.has_arg(lambda x, **kw: x, "mask", accept_all=True) and not gu.has_arg(lambda x, **kw: x, "mask")
    a, b = np.arange(10), np.arange(10, 20)
    np.testing.assert_array_equal(gu.slice_arrays(a, 2, 5), a[2:5])
    sliced = gu.slice_arrays([a, None, b], np.array([1, 3]))
    np.testing.assert_array_equal(sliced[0], a[[1, 3]])
    assert sliced[1] is None and gu.slice_arrays(None) == [None]
    with pytest.raises(ValueError, match="Unknown entries in loss dictionary"):
        gu.check_for_unexpected_keys("loss", {"out": 1, "typo": 2}, ["out"])


def test_custom_object_scope_names_reach_layer_arguments():
    # utils/generic_utils.py (2.3): with CustomObjectScope({'MyObject': MyObject}):
    #     layer = Dense(..., kernel_regularizer='MyObject')   # Keras 2 resolves it; Keras 3 raises
    class MyObject(jkeras.regularizers.Regularizer):
        def __call__(self, x):
            return 0.5 * jkeras.ops.sum(jkeras.ops.abs(x))

    with jkeras.utils.CustomObjectScope({"MyObject": MyObject}):
        layer = jkeras.layers.Dense(3, kernel_regularizer="MyObject")
    assert isinstance(layer.kernel_regularizer, MyObject)
    layer.build((None, 2))
    np.testing.assert_allclose(layer.kernel_regularizer(layer.kernel), 0.5 * np.abs(K.get_value(layer.kernel)).sum(),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown regularizer"):  # outside the scope
        jkeras.layers.Dense(3, kernel_regularizer="MyObject")


def test_conv_lstm2d_cell_in_an_rnn_matches_keras_conv_lstm2d():
    # Keras 2.3 documents layers.ConvLSTM2DCell (RNN(ConvLSTM2DCell(...))); Keras 3 only has the layer
    x = RNG.normal(size=(2, 2, 4, 4, 2)).astype("float32")
    # zeros: the weights are overwritten below (the orthogonal default compiles a QR in both libraries)
    zeros = dict(kernel_initializer="zeros", recurrent_initializer="zeros")
    cell = jkeras.layers.ConvLSTM2DCell(4, (3, 3), padding="same", recurrent_activation="sigmoid", **zeros)
    assert jkeras.layers.ConvLSTM2DCell(4, 3).get_config()["recurrent_activation"] == "hard_sigmoid"  # Keras 2's
    inputs = jkeras.Input((2, 4, 4, 2))
    model = jkeras.Model(inputs, jkeras.layers.RNN(cell)(inputs))
    reference = keras.layers.ConvLSTM2D(4, (3, 3), padding="same", **zeros)
    reference.build((None, 2, 4, 4, 2))
    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in reference.weights]
    reference.set_weights([RNG.normal(size=w.shape).astype("float32") * 0.3 for w in reference.weights])
    model.set_weights(reference.get_weights())
    np.testing.assert_allclose(model(x), reference(x), rtol=1e-4, atol=1e-5)
    restored = jkeras.Model.from_config(model.get_config())
    assert type(restored.layers[1].cell).__name__ == "ConvLSTM2DCell"


def test_enqueuers_read_batches_ahead_as_keras2():
    from jkeras.utils import GeneratorEnqueuer, OrderedEnqueuer

    class Batches(jkeras.utils.Sequence):
        def __init__(self):
            super().__init__()
            self.epochs = 0

        def __len__(self):
            return 5

        def __getitem__(self, index):
            return np.full((2, 1), index + 10 * self.epochs)

        def on_epoch_end(self):
            self.epochs += 1

    sequence = Batches()
    enqueuer = OrderedEnqueuer(sequence)
    enqueuer.start(workers=3, max_queue_size=2)
    batches = enqueuer.get()
    seen = [int(next(batches)[0, 0]) for _ in range(10)]
    enqueuer.stop()
    assert seen == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14] and not enqueuer.is_running()
    shuffled = OrderedEnqueuer(Batches(), shuffle=True)
    shuffled.start()
    first_epoch = [int(b[0, 0]) for b, _ in zip(shuffled.get(), range(5))]
    shuffled.stop()
    assert sorted(first_epoch) == [0, 1, 2, 3, 4]
    generator_enqueuer = GeneratorEnqueuer((np.array([i]) for i in range(4)))
    generator_enqueuer.start(max_queue_size=1)
    assert [int(b[0]) for b in generator_enqueuer.get()] == [0, 1, 2, 3]
    generator_enqueuer.stop()

    def failing():
        yield np.zeros(1)
        raise RuntimeError("bad batch")

    broken = GeneratorEnqueuer(failing())
    broken.start()
    with pytest.raises(RuntimeError, match="bad batch"):
        list(broken.get())

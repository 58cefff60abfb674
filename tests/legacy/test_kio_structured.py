"""Found by running keras-io structured-data, timeseries, recipes and vision examples (Keras 3
versions, NumPy data) on jkeras; each test compares with Keras 3 running the same code."""
import contextlib
import io
import re

import jax.numpy as jnp
import keras
import numpy as np

import jkeras


def _attention_model_names(k):
    # cct.py / timeseries_classification_transformer.py: MultiHeadAttention(dropout=...) then the
    # model's own Dropout layers; Keras 3's attention layers create a Softmax and a Dropout layer
    # of their own when they build, which take those default names first.
    k.backend.clear_session()
    inputs = k.Input((4, 8))
    x = k.layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1)(inputs, inputs)
    x = k.layers.Dropout(0.1)(x)
    x = k.layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)(x, x)
    x = k.layers.Dropout(0.1)(x)
    x = k.layers.Softmax()(x)
    return [layer.name for layer in k.Model(inputs, x).layers]


def test_attention_layers_take_the_default_names_of_their_softmax_and_dropout():
    names = _attention_model_names(jkeras)
    assert names == _attention_model_names(keras)
    assert "dropout_1" in names and "softmax_2" in names


def _sequential_names(k):
    # mlp_image_classification.py / cct.py: the model printed by summary() after several
    # Sequential blocks were built is "functional_6" / "functional_2" in Keras 3, which wires each
    # Sequential build through a new (default-named) Functional.
    k.backend.clear_session()
    names = []
    k.Sequential([k.layers.Dense(2)])  # not built: takes no name
    stack = k.Sequential([k.Input((3,)), k.layers.Dense(2), k.layers.Dense(3)])  # built once
    inputs = k.Input((3,))
    names.append(k.Model(inputs, stack(inputs)).name)
    lazy = k.Sequential([k.layers.Dense(2)])
    lazy(np.ones((1, 3), "float32"))  # built on the first call
    names.append(k.Model(inputs, inputs).name)
    stack.add(k.layers.Dense(4))  # each add / pop rebuilds
    stack.pop()
    stack.add(k.layers.Dense(5), rebuild=False)  # ... unless asked not to
    names.append(k.Model(inputs, inputs).name)
    stack.build((None, 3))
    names.append(k.Model(inputs, inputs).name)
    return names, stack


def test_sequential_builds_take_functional_names_and_add_can_defer_the_rebuild():
    (names, ours), (expected, ref) = _sequential_names(jkeras), _sequential_names(keras)
    assert names == expected == ["functional_1", "functional_3", "functional_6", "functional_8"]
    assert [layer.name for layer in ours.layers] == [layer.name for layer in ref.layers]
    ours.set_weights(ref.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-5, atol=1e-6)
    assert ours.pop(rebuild=False).name == ref.pop(rebuild=False).name
    assert np.asarray(ours(x)).shape == (2, 3)


def test_to_categorical_gives_float64_for_arrays_and_float32_tensors_as_keras_3():
    # mnist_convnet.py: y_train = keras.utils.to_categorical(y_train, num_classes) (uint8 labels).
    labels = np.array([[1], [0], [3]], dtype="uint8")
    for num_classes in (None, 0, 5):
        ours = jkeras.utils.to_categorical(labels, num_classes)
        ref = keras.utils.to_categorical(labels, num_classes)
        assert ours.dtype == ref.dtype == np.float64 and ours.shape == ref.shape
        np.testing.assert_array_equal(ours, ref)
    ours = jkeras.utils.to_categorical(jnp.asarray([2, 0]), 3)
    ref = keras.utils.to_categorical(jnp.asarray([2, 0]), 3)
    assert ours.dtype == ref.dtype == jnp.float32 and isinstance(ours, type(ref))
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(ref))
    # Keras 2's dtype argument still gives that dtype.
    out = jkeras.utils.to_categorical([1, 0], 2, dtype="float32")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.eye(2)[[1, 0]])


def _progbar_values(k):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        bar = k.utils.Progbar(1, verbose=2)
        bar.update(1, values=[("fn", 0.0), ("small", 5e-4), ("edge", 1e-3), ("loss", 0.5)], finalize=True)
    return re.findall(r" - (fn|small|edge|loss): (\S+)", buf.getvalue())


def test_progress_bar_formats_zero_and_tiny_values_as_keras():
    # imbalanced_classification.py: Keras 3 logs a zero false-negative count as `0.0000e+00`.
    assert _progbar_values(jkeras) == _progbar_values(keras)
    assert dict(_progbar_values(jkeras))["fn"] == "0.0000e+00"


def test_image_resize_keeps_integer_images_integer_as_keras_3():
    # image_classification_with_vision_transformer.py: ops.image.resize(convert_to_tensor([image]))
    # on a uint8 CIFAR image, then `.astype("uint8")` on the patches for plotting.
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(2, 5, 7, 3)).astype("uint8")
    for dtype in ("uint8", "int32", "float32"):
        for interpolation in ("bilinear", "nearest", "bicubic"):
            ours = jkeras.ops.image.resize(images.astype(dtype), (8, 4), interpolation=interpolation)
            ref = keras.ops.image.resize(images.astype(dtype), (8, 4), interpolation=interpolation)
            assert ours.dtype == ref.dtype == dtype
            np.testing.assert_allclose(np.asarray(ours, "float32"), np.asarray(ref, "float32"), atol=1e-4)
    layer_out = jkeras.layers.Resizing(8, 4, interpolation="bicubic")(images)
    np.testing.assert_array_equal(np.asarray(layer_out), np.asarray(keras.layers.Resizing(8, 4, interpolation="bicubic")(images)))


def _packaged_model_class(k):
    # packaging_keras_models_for_wide_distribution.py: a Model subclass whose __init__ builds its
    # own functional graph and takes only **kwargs; model.save / load_model must call it again.
    class MnistDictModel(k.Model):
        def __init__(self, **kwargs):
            inputs = {"image": k.Input(shape=(None, None, 1), dtype="uint8", name="image")}
            y = k.layers.Rescaling(1 / 255.0)(inputs["image"])
            y = k.layers.Conv2D(2, 3, padding="same")(y)
            y = k.layers.GlobalAveragePooling2D()(y)
            outputs = k.layers.Dense(3, name="classification_head")(y)
            super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    return MnistDictModel


def test_functional_subclass_with_its_own_constructor_saves_and_loads_as_keras_3(tmp_path):
    ours_cls, ref_cls = _packaged_model_class(jkeras), _packaged_model_class(keras)
    ours, ref = ours_cls(name="mnist"), ref_cls(name="mnist")
    ours_config, ref_config = ours.get_config(), ref.get_config()
    assert sorted(ours_config) == sorted(ref_config) == ["dtype", "name", "trainable"]
    ours.set_weights(ref.get_weights())
    x = {"image": np.random.default_rng(0).integers(0, 256, size=(2, 6, 5, 1)).astype("uint8")}
    path = str(tmp_path / "packaged.keras")
    ours.save(path)
    loaded = jkeras.models.load_model(path, custom_objects={"MnistDictModel": ours_cls})
    assert type(loaded) is ours_cls and loaded.name == "mnist"
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), np.asarray(ref.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)


def test_utils_normalize_takes_tensors_inside_traced_code_as_keras_3():
    # supervised-contrastive-learning.py: the loss's __call__ runs
    # keras.utils.normalize(feature_vectors, axis=1, order=2) on the model's output in the step.
    import jax

    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    x[2] = 0.0
    for order in (1, 2):
        ref = np.asarray(keras.utils.normalize(keras.ops.convert_to_tensor(x), axis=1, order=order))
        traced = jax.jit(lambda t, order=order: jkeras.utils.normalize(t, axis=1, order=order))(x)
        np.testing.assert_allclose(np.asarray(traced), ref, rtol=1e-5, atol=1e-6)
        ours = jkeras.utils.normalize(x, axis=1, order=order)
        assert isinstance(ours, np.ndarray)
        np.testing.assert_allclose(ours, keras.utils.normalize(x, axis=1, order=order), rtol=1e-6)


def _contrastive_loss_run(k, weights=None):
    # supervised-contrastive-learning.py: a Loss subclass overriding __call__(labels,
    # feature_vectors, sample_weight=None), passed to compile and called by fit / evaluate.
    ops = k.ops

    class SupervisedContrastiveLoss(k.losses.Loss):
        def __init__(self, temperature=1, name=None):
            super().__init__(name=name)
            self.temperature = temperature

        def __call__(self, labels, feature_vectors, sample_weight=None):
            normalized = k.utils.normalize(feature_vectors, axis=1, order=2)
            logits = ops.divide(ops.matmul(normalized, ops.transpose(normalized)), self.temperature)
            labels = ops.expand_dims(ops.squeeze(labels), -1)
            targets = ops.cast(ops.equal(labels, ops.transpose(labels)), logits.dtype)
            targets = targets / ops.sum(targets, 1, keepdims=True)
            return ops.mean(ops.categorical_crossentropy(targets, logits, from_logits=True))

    inputs = k.Input((4,))
    model = k.Model(inputs, k.layers.Dense(3, activation="relu")(k.layers.Dense(5)(inputs)))
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=k.optimizers.SGD(0.1), loss=SupervisedContrastiveLoss(0.5))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.integers(0, 3, size=(16, 1))
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return model, history.history["loss"], model.evaluate(x, y, batch_size=16, verbose=0)


def test_a_loss_overriding_call_is_called_as_keras_3_calls_it():
    fresh = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5), keras.layers.Dense(3, activation="relu")])
    start = [np.asarray(w) for w in fresh.get_weights()]  # the same starting weights for both
    _, ref_losses, ref_eval = _contrastive_loss_run(keras, start)
    _, losses, evaluated = _contrastive_loss_run(jkeras, start)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(evaluated, ref_eval, rtol=1e-4, atol=1e-5)

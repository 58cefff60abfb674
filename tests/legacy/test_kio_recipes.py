"""keras-io keras_recipes / structured_data examples (Keras 3 versions) run on jkeras: one compact
check per breakage found, compared with Keras 3 running the same code (or a NumPy formula)."""
import numpy as np
import pytest

import jkeras


def _selection_model(k):
    """classification_with_grn_and_vsn.py's pattern: a layer over a dict of inputs whose
    `build(self)` takes no shape, its sublayers built in `call`."""

    class Selection(k.layers.Layer):
        def __init__(self):
            super().__init__()
            self.proj = {name: k.layers.Dense(4) for name in ("a", "b")}
            self.out = k.layers.Dense(2)

        def call(self, inputs):
            parts = [self.proj[name](k.ops.expand_dims(inputs[name], -1)) for name in inputs]
            return self.out(k.layers.concatenate(parts))

        def build(self):
            self.built = True

    inputs = {name: k.Input(name=name, shape=(), dtype="float32") for name in ("a", "b")}
    return k.Model(inputs, Selection()(inputs))


def test_build_without_shape_argument_matches_keras():
    import keras

    jk, ref = _selection_model(jkeras), _selection_model(keras)
    assert jk.count_params() == ref.count_params() == 2 * 8 + 18
    jk.set_weights(ref.get_weights())
    x = {"a": np.arange(3, dtype="float32"), "b": np.ones(3, "float32")}
    np.testing.assert_allclose(np.asarray(jk(x)), np.asarray(ref(x)), rtol=1e-5, atol=1e-6)


def test_random_fourier_features_matches_keras2_formula():
    """quasi_svm.py: `keras.layers.experimental.RandomFourierFeatures` (tf.keras 2.x; Keras 3 has
    none), checked against its formula cos(x @ (unscaled_kernel / kernel_scale) + bias)."""
    from jkeras.layers.experimental import RandomFourierFeatures

    layer = RandomFourierFeatures(output_dim=6, kernel_initializer="gaussian")
    model = jkeras.Sequential([jkeras.Input((8,)), layer])
    assert [w.name for w in layer.weights] == ["kernel_scale", "unscaled_kernel", "bias"]
    assert layer.trainable_weights == [] and model.count_params() == 8 * 6 + 6 + 1
    assert float(layer.get_weights()[0][0]) == pytest.approx(np.sqrt(8 / 2.0))  # default scale
    r = np.random.RandomState(0)
    scale, kernel, bias = np.array([1.5], "float32"), r.normal(size=(8, 6)).astype("float32"), r.uniform(0, 6, 6).astype("float32")
    layer.set_weights([scale, kernel, bias])
    x = r.normal(size=(3, 8)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.cos(x @ (kernel / scale) + bias), rtol=1e-5, atol=1e-5)
    clone = jkeras.Sequential.from_config(model.get_config())
    assert clone.layers[0].get_config() == {**layer.get_config(), "name": clone.layers[0].name}
    with pytest.raises(ValueError, match=r"kernel_initializer must be one of .*got kernel_initializer='rbf'"):
        RandomFourierFeatures(4, kernel_initializer="rbf")
    with pytest.raises(ValueError, match=r"RandomFourierFeatures .*rank 2.*got shape \(None, 2, 8\)"):
        RandomFourierFeatures(4)(jkeras.Input((2, 8)))


def test_seeded_initializers_give_keras3_values():
    """reproducibility_recipes.py prints `initializer(seed=42)(shape=(1, 1))` for each initializer:
    the same seed gives Keras 3's values (its key for an int seed is the raw pair (seed, 0)); one
    initializer per kind of draw (normal, truncated normal, uniform, QR of a normal draw)."""
    import keras

    for name in ["RandomNormal", "HeNormal", "GlorotUniform", "Orthogonal"]:
        np.testing.assert_allclose(np.asarray(getattr(jkeras.initializers, name)(seed=42)((3, 5))),
                                   np.asarray(getattr(keras.initializers, name)(seed=42)((3, 5))), rtol=1e-6, atol=1e-7)


def test_endpoint_layer_metric_is_logged_by_fit_and_evaluate():
    """endpoint_layer_pattern.py: a layer updates its own metric in `call`
    (`self.accuracy_metric.update_state(targets, logits, sample_weight)`); fit / evaluate log it
    as tf.keras and Keras 3 (TensorFlow backend) do. Keras 3's JAX backend fails on this example,
    so the reference is BinaryAccuracy's formula, on a batch size that pads the last batch."""

    class LogisticEndpoint(jkeras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = jkeras.losses.BinaryCrossentropy(from_logits=True)
            self.accuracy_metric = jkeras.metrics.BinaryAccuracy(name="accuracy")

        def call(self, logits, targets=None, sample_weight=None):
            if targets is not None:
                self.add_loss(self.loss_fn(targets, logits, sample_weight))
                self.accuracy_metric.update_state(targets, logits, sample_weight)
            return jkeras.ops.softmax(logits)

    inputs = jkeras.Input((5,), name="inputs")
    logits = jkeras.layers.Dense(1)(inputs)
    targets = jkeras.Input((1,), name="targets")
    sample_weight = jkeras.Input((1,), name="sample_weight")
    model = jkeras.Model([inputs, targets, sample_weight], LogisticEndpoint()(logits, targets, sample_weight))
    r = np.random.RandomState(0)
    data = {"inputs": r.normal(size=(10, 5)), "targets": r.randint(0, 2, (10, 1)).astype("float32"),
            "sample_weight": r.uniform(0.5, 2, (10, 1))}
    model.compile(jkeras.optimizers.Adam(1e-3))
    history = model.fit(data, batch_size=4, epochs=1, verbose=0).history
    assert float(model.layers[-1].accuracy_metric.result()) == pytest.approx(history["accuracy"][-1])
    kernel, bias = model.get_weights()
    hit = ((data["inputs"] @ kernel + bias > 0.5) == data["targets"])[:, 0]
    expected = np.sum(hit * data["sample_weight"][:, 0]) / np.sum(data["sample_weight"])
    logs = model.evaluate(data, batch_size=4, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(expected, rel=1e-5)


def _dict_model(k):
    """endpoint_layer_pattern.py's LogReg: a subclassed model taking a dict, which calls a layer
    with every argument by keyword (`self.endpoint(logits=..., targets=...)`)."""

    class Head(k.layers.Layer):
        def call(self, logits, scale=None):
            return logits * scale

    class Model(k.Model):
        def __init__(self):
            super().__init__()
            self.dense = k.layers.Dense(1)
            self.head = Head()

        def call(self, inputs):
            return self.head(logits=self.dense(inputs["x"]), scale=inputs["s"])

    return Model()


def test_subclassed_model_fits_a_dict_and_calls_layers_by_keyword():
    import keras

    r = np.random.RandomState(1)
    data = {"x": r.normal(size=(6, 3)).astype("float32"), "s": r.uniform(1, 2, (6, 1)).astype("float32")}
    jk, ref = _dict_model(jkeras), _dict_model(keras)
    ref_out = np.asarray(ref.predict(data, verbose=0))
    jk.compile(optimizer="sgd", loss="mse")
    jk.fit(data, np.zeros((6, 1), "float32"), epochs=1, verbose=0)  # built from the dict's shapes
    jk.set_weights(ref.get_weights())
    np.testing.assert_allclose(jk.predict(data, verbose=0), ref_out, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match=r"Head '.*': missing the first argument of call\(\), 'logits'"):
        jk.head(scale=data["s"])


def _standardized_convs(k):
    """subclassing_conv_layers.py (with keras.ops in place of its tf.nn calls): one Conv2D
    overrides `convolution_op`, the other calls it from its own `call`."""
    ops = k.ops

    def standardize(kernel):
        mean = ops.mean(kernel, axis=[0, 1, 2], keepdims=True)
        return (kernel - mean) / ops.sqrt(ops.var(kernel, axis=[0, 1, 2], keepdims=True) + 1e-10)

    class WithOverride(k.layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            return ops.conv(inputs, standardize(kernel), padding="valid", strides=list(self.strides))

    class WithCall(k.layers.Conv2D):
        def call(self, inputs):
            result = self.convolution_op(inputs, standardize(self.kernel))
            return result + self.bias if self.use_bias else result

    return k.Sequential([k.Input((6, 6, 1)), WithCall(2, 3, activation="relu"), WithOverride(3, 2)])


def test_conv_convolution_op_can_be_overridden_or_called():
    import keras

    jk, ref = _standardized_convs(jkeras), _standardized_convs(keras)
    r = np.random.RandomState(2)
    jk.set_weights([r.normal(size=w.shape).astype("float32") for w in ref.get_weights()])
    ref.set_weights(jk.get_weights())
    x = r.normal(size=(2, 6, 6, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(jk(x)), np.asarray(ref(x)), rtol=1e-4, atol=1e-5)

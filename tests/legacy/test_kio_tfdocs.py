"""Found by running the tensorflow.org Keras tutorials (tf.keras 2 code, `tf.keras` replaced by
`keras`, NumPy data) on jkeras; each test compares with Keras 3 running the same code."""
import keras
import numpy as np

import jkeras

HORSEPOWER = np.random.default_rng(0).uniform(46, 230, 40)


def test_normalization_axis_none_adapted_on_a_vector_normalizes_batches_of_one_feature():
    # regression.ipynb: `layers.Normalization(input_shape=[1,], axis=None)` adapted on the 1-D
    # horsepower column, then the first layer of a Sequential taking (batch, 1) inputs; jkeras
    # refused it as built for (40,). The scalar statistics broadcast to any shape, as in Keras 3.
    def run(k):
        normalizer = k.layers.Normalization(input_shape=[1], axis=None)
        normalizer.adapt(HORSEPOWER)
        model = k.Sequential([normalizer, k.layers.Dense(units=1)])
        model.layers[1].set_weights([np.ones((1, 1), "float32"), np.zeros(1, "float32")])
        return model, np.asarray(model.predict(HORSEPOWER[:10], verbose=0))

    (ref, expected), (ours, got) = run(keras), run(jkeras)
    assert ours.output_shape == ref.output_shape == (None, 1)
    assert ours.count_params() == ref.count_params() == 5
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[:, 0], (HORSEPOWER[:10] - HORSEPOWER.mean()) / HORSEPOWER.std(), rtol=1e-5)


def test_an_unbuilt_sequential_lists_the_weights_of_its_built_layers():
    # regression.ipynb: `keras.Sequential([normalizer, Dense(64), ...])` over an adapted
    # Normalization, summarized before fit: Keras 3 counts the normalizer's 19 statistics (its
    # weights are the model's before the model has an input shape); jkeras listed no weights.
    def build(k):
        normalizer = k.layers.Normalization(axis=-1)
        normalizer.adapt(np.arange(18.0).reshape(2, 9))
        return k.Sequential([normalizer, k.layers.Dense(4), k.layers.Dense(1)])

    keras.backend.clear_session()  # the weight paths hold auto-generated names: count from zero
    jkeras.backend.clear_session()
    ref, ours = build(keras), build(jkeras)
    assert not ours.built and not ref.built
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]
    assert len(ours.non_trainable_weights) == len(ref.non_trainable_weights) == 3
    assert ours.trainable_weights == [] == ref.trainable_weights
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b)
    lines = []
    ours.summary(print_fn=lines.append)
    assert "Total params: 19" in lines and "Non-trainable params: 19" in lines


def test_a_weight_initializer_given_as_none_is_the_add_weight_default():
    # imbalanced_data.ipynb: `make_model(output_bias=None)` builds
    # `Dense(1, activation='sigmoid', bias_initializer=None)`; jkeras called None and failed.
    # Keras 3 (as tf.keras 2) gives such a weight add_weight's default, glorot_uniform for floats,
    # and keeps None in the config.
    from keras.src.initializers.random_initializers import compute_fans

    def build(k):
        layers = [k.layers.Dense(8, bias_initializer=None, kernel_initializer=None),
                  k.layers.Conv1D(8, 3, bias_initializer=None),
                  k.layers.Embedding(5, 8, embeddings_initializer=None),
                  k.layers.BatchNormalization(gamma_initializer=None)]
        for layer, shape in zip(layers, [(None, 4), (None, 6, 2), (None, 3), (None, 8)]):
            layer.build(shape)
        return layers

    for ref, ours in zip(build(keras), build(jkeras)):
        config = ours.get_config()
        for key, value in ref.get_config().items():
            if key.endswith("_initializer") and value is None:
                assert config[key] is None, key
        again = type(ours).from_config(config)
        assert again.get_config() == config
        for r, o in zip(ref.weights, ours.weights):
            r, o = np.asarray(r), np.asarray(o)
            assert o.shape == r.shape and o.dtype == r.dtype
            if r.std() > 0:  # glorot_uniform where Keras draws one: limit sqrt(6 / (fan_in + fan_out))
                fan_in, fan_out = compute_fans(r.shape)
                assert o.std() > 0 and np.abs(o).max() <= np.sqrt(6 / (fan_in + fan_out)) + 1e-6
            else:
                np.testing.assert_array_equal(o, r)
    dense = build(jkeras)[0]
    np.testing.assert_array_less(np.abs(np.asarray(dense.bias)), np.sqrt(6 / 16) + 1e-6)
    assert np.asarray(dense.bias).std() > 0


def test_compile_metrics_lists_its_metric_objects():
    # time_series.ipynb: `cm = lstm_model.metrics[1]; cm.metrics` shows the compiled metrics;
    # jkeras's CompileMetrics had no `metrics`. Keras 3: every `metrics` entry, then the weighted.
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")

    def names(k):
        model = k.Sequential([k.Input((3,)), k.layers.Dense(1)])
        model.compile(loss="mse", metrics=[k.metrics.MeanAbsoluteError(), "accuracy"], weighted_metrics=["mae"])
        model.evaluate(x, y, verbose=0)
        compiled = model.metrics[1]
        assert compiled.name == "compile_metrics"
        return [m.name for m in compiled.metrics], [type(m).__name__ for m in compiled.metrics[:2]]

    assert names(jkeras) == names(keras) == (["mean_absolute_error", "accuracy", "mae"],
                                             ["MeanAbsoluteError", "BinaryAccuracy"])

"""Keras 1's Highway, MaxoutDense, TimeDistributedDense, activity / weight regularizer names and
np_utils helpers, checked against NumPy formulas of Keras 2's legacy implementations."""
import warnings

import numpy as np
import pytest

import jkeras
from jkeras import regularizers
from jkeras.layers import Highway, MaxoutDense, TimeDistributedDense
from jkeras.models import Sequential
from jkeras.utils import np_utils

warnings.filterwarnings("ignore", category=UserWarning)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_highway_computes_the_gated_mix_of_transform_and_input():
    model = Sequential([Highway(activation="tanh", input_dim=4)])
    W, W_carry, b, b_carry = model.get_weights()
    assert [w.path.split("/")[-1] for w in model.weights] == ["W", "W_carry", "b", "b_carry"]
    np.testing.assert_array_equal(b_carry, np.ones(4))  # Keras 2's initial transform bias
    rng = np.random.default_rng(0)
    b, b_carry = rng.normal(size=4).astype("float32"), rng.normal(size=4).astype("float32")
    model.set_weights([W, W_carry, b, b_carry])
    x = rng.normal(size=(3, 4)).astype("float32")
    t = _sigmoid(x @ W_carry + b_carry)
    np.testing.assert_allclose(model.predict(x, verbose=0), t * np.tanh(x @ W + b) + (1 - t) * x, rtol=1e-5,
                               atol=1e-6)


def test_highway_transform_bias_and_weights_argument():
    layer = Highway(input_dim=3, transform_bias=-2)
    Sequential([layer])
    np.testing.assert_array_equal(layer.get_weights()[3], np.full(3, -2.0))
    given = [np.eye(3, dtype="float32"), np.zeros((3, 3), "float32"), np.ones(3, "float32"), np.zeros(3, "float32")]
    layer = Highway(input_dim=3, weights=given)
    Sequential([layer])
    for got, expected in zip(layer.get_weights(), given):
        np.testing.assert_array_equal(got, expected)


def test_maxout_dense_takes_the_max_of_its_linear_pieces():
    model = Sequential([MaxoutDense(5, nb_feature=3, input_dim=4)])
    W, b = model.get_weights()
    assert W.shape == (3, 4, 5) and b.shape == (3, 5)
    b = np.random.default_rng(1).normal(size=b.shape).astype("float32")
    model.set_weights([W, b])
    x = np.random.default_rng(2).normal(size=(6, 4)).astype("float32")
    expected = np.max(np.einsum("bi,kio->bko", x, W) + b, axis=1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="nb_feature"):
        MaxoutDense(5, nb_feature=0)


def test_time_distributed_dense_is_a_dense_per_timestep():
    model = Sequential([TimeDistributedDense(3, input_dim=4, input_length=5, init="he_normal")])
    assert model.output_shape == (None, 5, 3)
    kernel, bias = model.get_weights()
    x = np.random.default_rng(3).normal(size=(2, 5, 4)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_legacy_layers_round_trip_their_config_and_train_with_regularizers():
    model = Sequential([Highway(input_dim=4, W_regularizer=regularizers.l2(0.1)),
                        MaxoutDense(2, activity_regularizer=regularizers.activity_l2(0.01))])
    clone = jkeras.models.model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in clone.layers] == ["Highway", "MaxoutDense"]
    assert clone.layers[0].W_regularizer.get_config() == {"l2": 0.1}
    x = np.random.default_rng(4).normal(size=(32, 4)).astype("float32")
    y = x[:, :2] * 2
    model.compile(optimizer=jkeras.optimizers.SGD(lr=0.1), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=10, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


def test_keras1_regularizer_names():
    assert regularizers.activity_l1(0.2).get_config() == {"l1": 0.2}
    assert regularizers.activity_l2(0.3).get_config() == {"l2": 0.3}
    assert regularizers.activity_l1l2(0.1, 0.2).get_config() == {"l1": 0.1, "l2": 0.2}
    assert regularizers.WeightRegularizer(l2=0.5).get_config() == {"l1": 0.0, "l2": 0.5}
    x = np.arange(-2.0, 2.0, dtype="float32")
    np.testing.assert_allclose(regularizers.l1l2(0.1, 0.2)(x), 0.1 * np.abs(x).sum() + 0.2 * np.square(x).sum(),
                               rtol=1e-6)


def test_probas_to_classes():
    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([[0.1, 0.9], [0.8, 0.2]])), [1, 0])
    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([[0.7], [0.2]])), [1, 0])
    np.testing.assert_array_equal(np_utils.categorical_probas_to_classes(np.eye(3)[[2, 0]]), [2, 0])


def test_keras2_layer_submodules_are_attributes():
    assert jkeras.layers.advanced_activations.LeakyReLU is jkeras.layers.LeakyReLU
    assert jkeras.layers.embeddings.Embedding is jkeras.layers.Embedding


def test_highway_weight_regularizers_add_to_the_loss():
    model = Sequential([Highway(input_dim=4, W_regularizer=regularizers.l2(0.1), b_regularizer=regularizers.l1(0.5))])
    model.compile(loss="mse")
    x = np.random.default_rng(5).random((8, 4)).astype("float32")
    W, _, b, _ = model.get_weights()
    expected = np.mean(model.predict(x, verbose=0) ** 2) + 0.1 * np.sum(W ** 2) + 0.5 * np.abs(b).sum()
    np.testing.assert_allclose(model.evaluate(x, np.zeros_like(x), verbose=0), expected, rtol=1e-5)


def test_keras1_custom_layer_with_k_variable_and_trainable_weights():
    """The Keras 1.0 docs' custom layer: `self.W = K.variable(...)`, `self.trainable_weights = [self.W]`,
    `get_output_shape_for`; it trains, and computes `x @ W`."""
    from jkeras import backend as K
    from jkeras.engine.topology import Layer

    class MyLayer(Layer):
        def __init__(self, output_dim, **kwargs):
            self.output_dim = output_dim
            super(MyLayer, self).__init__(**kwargs)

        def build(self, input_shape):
            self.W = K.variable(np.random.random((input_shape[1], self.output_dim)))
            self.bias_like = K.variable(np.zeros(self.output_dim))
            self.trainable_weights = [self.W]
            self.non_trainable_weights = [self.bias_like]

        def call(self, x, mask=None):
            return K.dot(x, self.W) + self.bias_like

        def get_output_shape_for(self, input_shape):
            return (input_shape[0], self.output_dim)

    layer = MyLayer(3, input_shape=(4,))
    model = Sequential([layer, jkeras.layers.Dense(1)])
    assert layer.compute_output_shape((None, 4)) == (None, 3)
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(4, 3)]
    assert [tuple(w.shape) for w in layer.non_trainable_weights] == [(3,)]
    x = np.random.default_rng(6).random((16, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model.compile(optimizer=jkeras.optimizers.SGD(lr=0.05), loss="mse")
    W0 = layer.get_weights()[0]
    model.fit(x, y, epochs=3, verbose=0)
    W, kernel, bias = layer.get_weights()[0], *model.layers[1].get_weights()
    assert not np.allclose(W, W0)
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ W @ kernel + bias, rtol=1e-5, atol=1e-5)


def test_keras1_batchwise_metric_functions_match_their_formulas():
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 2, (12, 3)).astype("float32")
    y_pred = rng.random((12, 3)).astype("float32")
    t, p = np.round(np.clip(y_true, 0, 1)), np.round(np.clip(y_pred, 0, 1))
    tp = np.sum(np.round(np.clip(y_true * y_pred, 0, 1)))
    prec, rec = tp / (p.sum() + 1e-7), tp / (t.sum() + 1e-7)
    np.testing.assert_allclose(jkeras.metrics.precision(y_true, y_pred), prec, rtol=1e-5)
    np.testing.assert_allclose(jkeras.metrics.recall(y_true, y_pred), rec, rtol=1e-5)
    np.testing.assert_allclose(jkeras.metrics.fbeta_score(y_true, y_pred, beta=2),
                               5 * prec * rec / (4 * prec + rec + 1e-7), rtol=1e-5)
    assert float(jkeras.metrics.fmeasure(np.zeros((2, 2)), y_pred[:2, :2])) == 0.0
    assert jkeras.metrics.get("fmeasure") is jkeras.metrics.fmeasure
    assert isinstance(jkeras.metrics.get("precision"), jkeras.metrics.Precision)  # Keras 3's meaning kept


def test_keras1_module_names_and_attributes():
    from jkeras.utils.visualize_util import plot

    assert plot is jkeras.utils.plot_model
    assert jkeras.engine.topology.Layer is jkeras.layers.Layer
    weights = jkeras.initializations.normal((400, 50), scale=0.01)
    assert abs(float(np.std(weights)) - 0.01) < 0.001
    np.testing.assert_array_equal(jkeras.initializations.identity((3, 3), scale=2), 2 * np.eye(3))
    generator = jkeras.preprocessing.image.ImageDataGenerator(dim_ordering="th")
    assert generator.data_format == "channels_first"
    dense = Sequential([jkeras.layers.Dense(3, input_dim=2)]).layers[0]
    assert dense.W is dense.kernel and dense.b is dense.bias and dense.output_dim == 3


def test_keras2_inbound_nodes_name_the_calling_layers():
    a = jkeras.Input((3,))
    first = jkeras.layers.Dense(2)
    second = jkeras.layers.Dense(1)
    second(first(a))
    assert second.inbound_nodes[0].inbound_layers == [first]
    assert len(first.inbound_nodes) == 1

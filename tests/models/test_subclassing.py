"""Keras-style custom layers (build / add_weight / call) and subclassed models."""
import json

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jkeras
from jkeras import backend as K
from jkeras import layers

X = np.random.default_rng(0).standard_normal((64, 8)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, 64)


class Linear(layers.Layer):
    """The custom layer of the Keras guide "Making new layers and models via subclassing"."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True, name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="b")

    def call(self, inputs):
        return K.dot(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Counter(layers.Layer):
    """A layer with a non-trainable weight, Keras 2 add_weight order."""

    def build(self, input_shape):
        self.total = self.add_weight("total", (input_shape[-1],), "float32", "zeros", trainable=False)

    def call(self, inputs):
        return inputs + self.total


class MLP(jkeras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Linear(16)
        self.drop = layers.Dropout(0.2)
        self.out = layers.Dense(3, activation="softmax")

    def call(self, inputs, training=None):
        x = K.relu(self.hidden(inputs))
        x = self.drop(x, training=training)
        return self.out(x)


def test_custom_layer_weights_and_math_match_numpy():
    layer = Linear(4)
    y = np.asarray(layer(X[:3]))
    w, b = layer.get_weights()
    assert [v.name for v in layer.weights] == ["w", "b"] and w.shape == (8, 4)
    np.testing.assert_allclose(y, X[:3] @ w + b, rtol=1e-5, atol=1e-6)
    assert isinstance(layer.w, jkeras.models.variable.Variable) and layer.w.shape == (8, 4)


def test_custom_layer_matches_the_same_keras_layer():
    class KLinear(keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

        def call(self, inputs):
            return keras.ops.matmul(inputs, self.w) + self.b

    ref, ours = KLinear(5), Linear(5)
    expected = np.asarray(ref(X))
    ours(X)
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(np.asarray(ours(X)), expected, rtol=1e-5, atol=1e-6)


def test_non_trainable_weight_and_keras2_add_weight_order():
    layer = Counter()
    layer(X[:2])
    assert not layer.trainable_weights and [w.name for w in layer.non_trainable_weights] == ["total"]
    K.set_value(layer.total, np.ones(8))
    np.testing.assert_allclose(np.asarray(layer(X[:2])), X[:2] + 1)


def test_custom_layer_in_functional_model_and_config():
    inp = jkeras.Input((8,))
    model = jkeras.Model(inp, layers.Dense(2)(Linear(6, name="lin")(inp)))
    assert model.get_layer("lin").output_shape == (None, 6)
    clone = jkeras.Model.from_config(json.loads(json.dumps(model.get_config())), custom_objects={"Linear": Linear})
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_subclassed_model_trains_and_is_pure():
    jkeras.utils.set_random_seed(0)
    model = MLP()
    model.compile(jkeras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X, Y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [w.name for w in model.weights] == ["w", "b", "kernel", "bias"]
    variables = model.get_variables()
    out, _ = jax.jit(model.apply)(variables, X[:5])
    np.testing.assert_allclose(np.asarray(out), model.predict(X[:5], verbose=0), rtol=1e-5, atol=1e-6)
    ensemble = jax.vmap(lambda k: model.init(k))(jax.random.split(jax.random.PRNGKey(0), 3))
    assert jax.tree_util.tree_leaves(ensemble)[0].shape[0] == 3


def test_subclassed_model_gradients_and_dropout_rng():
    model = MLP()
    model.build((None, 8))
    variables = model.get_variables()

    def loss(params, key):
        probs, _ = model.apply({"params": params, "state": {}}, X, training=True, rng=key)
        return -jnp.mean(jnp.log(probs[jnp.arange(64), Y]))

    a = loss(variables["params"], jax.random.PRNGKey(0))
    b = loss(variables["params"], jax.random.PRNGKey(0))
    c = loss(variables["params"], jax.random.PRNGKey(1))
    assert a == b and a != c
    grads = jax.grad(loss)(variables["params"], jax.random.PRNGKey(0))
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(variables["params"])


def test_unbuilt_sublayer_with_weights_is_reported():
    class Lazy(jkeras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Lazy()
    with pytest.raises(ValueError, match="build"):
        model.apply({"params": {}, "state": {}}, X)


@pytest.mark.parametrize("spe", [1, 4])
def test_custom_train_step_override_stays_pure_and_logs(spe):
    """Its own logs reach History, also from a loop of steps (steps_per_execution)."""
    import optax

    from jkeras.core import step as core_step

    class ClippedMLP(MLP):
        """A custom train_step: the default step, plus a logged gradient-free statistic."""

        def train_step(self, state, batch):
            new_state, logs = super().train_step(state, batch)
            norm = optax.global_norm(new_state.params)
            return new_state, {**logs, "param_norm": norm}

    model = ClippedMLP()
    model.compile(jkeras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", steps_per_execution=spe)
    history = model.fit(X, Y, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    norms = history.history["param_norm"]
    assert len(norms) == 3
    flat = np.concatenate([w.ravel() for w in model.get_weights()])
    np.testing.assert_allclose(norms[-1], np.linalg.norm(flat), rtol=1e-4)
    assert isinstance(core_step.TrainState, type)


def test_unbuilt_sequential_inside_a_custom_layer_as_keras():
    """keras.io's TransformerBlock holds `keras.Sequential([Dense(ff), Dense(d)])` with no input
    shape and calls it in `call`: it is wired for the shape it first receives, in a model, and
    computes Keras 3's outputs from Keras 3's weights."""
    def block(lib):
        class FeedForward(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.ffn = lib.Sequential([lib.layers.Dense(8, activation="relu"), lib.layers.Dense(4)])
                self.norm = lib.layers.LayerNormalization()

            def call(self, inputs):
                return self.norm(inputs + self.ffn(inputs))

        inp = lib.Input((5, 4))
        return lib.Model(inp, lib.layers.Dense(1)(FeedForward()(inp)))

    x = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")
    ref, ours = block(keras), block(jkeras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    ours.compile("adam", "mse")
    history = ours.fit(x, np.ones((3, 5, 1), "float32"), epochs=5, verbose=0).history["loss"]
    assert history[-1] < history[0]


def _kl_model(lib):
    class Penalized(lib.layers.Layer):
        """Adds the mean square of its outputs to the loss, as the guide's VAE adds its KL term."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(units)

        def call(self, inputs):
            outputs = self.dense(inputs)
            self.add_loss(0.1 * lib.ops.mean(lib.ops.square(outputs)))
            return outputs

    inputs = lib.Input((4,))
    return lib.Model(inputs, lib.layers.Dense(1)(Penalized(3)(inputs)))


def test_add_loss_in_call_joins_the_training_loss_as_in_keras():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 4)).astype("float32"), rng.standard_normal((32, 1)).astype("float32")
    ours, ref = _kl_model(jkeras), _kl_model(keras)
    ref.set_weights(ours.get_weights())
    for model in (ours, ref):
        model.compile(keras_optimizer(model), "mse")
    got = ours.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    expected = ref.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-5)


def keras_optimizer(model):
    lib = jkeras if isinstance(model, jkeras.Model) else keras
    return lib.optimizers.SGD(0.05)


@pytest.mark.parametrize("with_targets", [True, False])
def test_compile_without_a_loss_trains_on_the_added_losses_as_in_keras(with_targets):
    """`compile(optimizer)` with no loss: the model's `add_loss` terms are the whole loss (the
    guides' VAE and activity-regularization examples), with or without targets `y`."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((32, 4)).astype("float32"), rng.standard_normal((32, 1)).astype("float32")
    ours, ref = _kl_model(jkeras), _kl_model(keras)
    ref.set_weights(ours.get_weights())
    data = (x, y) if with_targets else (x,)
    for model in (ours, ref):
        model.compile(keras_optimizer(model))
    got = ours.fit(*data, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    expected = ref.fit(*data, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert got[-1] < got[0]
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.evaluate(*data, verbose=0), ref.evaluate(*data, verbose=0), rtol=1e-5)


def test_compile_without_any_loss_says_so_when_fitting():
    model = jkeras.Sequential([jkeras.Input((4,)), layers.Dense(1)])
    model.compile("sgd")
    x = np.zeros((8, 4), "float32")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(x, np.zeros((8, 1), "float32"), verbose=0)
    model.compile("sgd", "mse")  # the model stays usable
    assert np.isfinite(model.fit(x, np.zeros((8, 1), "float32"), verbose=0).history["loss"][0])


def test_generator_of_inputs_only_trains_on_the_added_losses_as_in_keras():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 4)).astype("float32")
    ours, ref = _kl_model(jkeras), _kl_model(keras)
    ref.set_weights(ours.get_weights())

    def batches():
        while True:
            for i in range(0, 32, 8):
                yield (x[i:i + 8],)

    for model in (ours, ref):
        model.compile(keras_optimizer(model))
    got = ours.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0).history["loss"]
    expected = ref.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    ours.compile(keras_optimizer(ours), "mse")
    with pytest.raises(ValueError, match="targets `y` are required"):
        ours.fit(batches(), steps_per_epoch=4, verbose=0)


def test_built_sublayer_that_call_does_not_use_keeps_its_weights_in_keras_order():
    """A distiller's teacher: a built attribute its `call` never runs is still the model's."""

    def paths(lib):
        class M(lib.Model):
            def __init__(self):
                super().__init__()
                self.a = lib.layers.Dense(2, name="a")
                self.t = lib.layers.Dense(5, name="t")
                self.b = lib.layers.Dense(3, name="b")

            def call(self, x):
                return self.a(self.b(x))

        m = M()
        m.t(np.ones((1, 4), "float32"))
        teacher = [w.copy() for w in m.t.get_weights()]
        m(np.ones((1, 4), "float32"))
        for got, kept in zip(m.t.get_weights(), teacher):
            np.testing.assert_array_equal(got, kept)
        return [w.path for w in m.weights]

    assert paths(jkeras) == paths(keras)


def test_a_functional_submodel_built_in_build_records_its_graph_as_keras():
    # A layer whose `build` makes a functional model (Input, a layer, ops on its tensors) and
    # whose `call` runs it: the tensors made while the build runs are that graph's, not values.
    def make(k):
        class Wrap(k.layers.Layer):
            def build(self, shape):
                inp = k.Input(shape[1:])
                self.sub = k.Model(inp, k.ops.relu(k.layers.Dense(4)(inp)) * 2.0)

            def call(self, x):
                return self.sub(x) + k.ops.tanh(x[:, :1])

        return Wrap

    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    ref = make(keras)()
    expected = np.asarray(ref(x))
    eager = make(jkeras)()
    eager(x)
    inputs = jkeras.Input((3,))
    model = jkeras.Model(inputs, make(jkeras)()(inputs))
    for layer in (eager, model):
        assert [tuple(w.shape) for w in layer.weights] == [tuple(w.shape) for w in ref.weights]
        layer.set_weights(ref.get_weights())
        np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-6)
    model.compile("sgd", "mse")
    before = model.evaluate(x, np.zeros((5, 4)), verbose=0)
    model.fit(x, np.zeros((5, 4)), epochs=3, verbose=0)
    assert model.evaluate(x, np.zeros((5, 4)), verbose=0) < before

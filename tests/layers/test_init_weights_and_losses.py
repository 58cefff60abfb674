"""Weights made in `__init__` with `add_weight`, non-trainable weights assigned in `call`, and
`layer.losses` after eager calls: the examples of the Keras 3 guide "Making new layers and models
via subclassing", run on jkeras and on Keras 3 with the same layer code."""
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jkeras

LIBS = {"jkeras": jkeras, "keras": keras}


def make_classes(lib):
    """The guide's layers, written once against `lib` (jkeras or Keras 3)."""
    ops = lib.ops

    class Linear(lib.layers.Layer):
        def __init__(self, units=32, input_dim=32, named=False, **kwargs):
            super().__init__(**kwargs)
            names = ({"name": "w"}, {"name": "b"}) if named else ({}, {})
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True,
                                     **names[0])
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True, **names[1])

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    class ComputeSum(lib.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs, axis=0))
            return self.total

    class Mixed(lib.layers.Layer):
        """A non-trainable weight made in `__init__`, a trainable one in `build`."""

        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.c = self.add_weight(shape=(units,), initializer="ones", trainable=False, name="c")

        def build(self, input_shape):
            self.k = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="k")

        def call(self, inputs):
            return ops.matmul(inputs, self.k) + self.c

    class Inner(lib.layers.Layer):
        def build(self, input_shape):
            self.k = self.add_weight(shape=(input_shape[-1], 2))

        def call(self, inputs):
            return ops.matmul(inputs, self.k)

    class Parent(lib.layers.Layer):
        """Builds its sublayer explicitly in `build`, as Keras 3 code often does."""

        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def build(self, input_shape):
            self.inner.build(input_shape)
            self.v = self.add_weight(shape=(2,), initializer="ones")

        def call(self, inputs):
            return self.inner(inputs) + self.v

    class ActivityRegularizationLayer(lib.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(inputs))
            return inputs

    class OuterLayer(lib.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    class OuterLayerWithKernelRegularizer(lib.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = lib.layers.Dense(3, kernel_regularizer=lib.regularizers.l2(1e-3),
                                          bias_regularizer=lib.regularizers.l1(1e-2), bias_initializer="ones")

        def call(self, inputs):
            return self.dense(inputs)

    return {name: cls for name, cls in locals().items() if isinstance(cls, type)}


@pytest.fixture
def fresh():
    """Both libraries with fresh default names (unnamed weights are `variable`, `variable_1`, ...
    in a session, in both)."""
    keras.backend.clear_session()
    jkeras.backend.clear_session()
    return {name: make_classes(lib) for name, lib in LIBS.items()}


def describe(layer):
    return [(w.name, w.path, tuple(w.shape), bool(w.trainable)) for w in layer.weights]


def arrays(x):
    return np.asarray(keras.ops.convert_to_numpy(x)) if not isinstance(x, np.ndarray) else x


@pytest.mark.parametrize("named", [False, True])
def test_linear_with_weights_made_in_init_matches_keras(fresh, named):
    x = np.array([[1.0, 2.0], [3.0, -1.0]], "float32")
    layers = {lib: fresh[lib]["Linear"](4, 2, named=named) for lib in LIBS}
    ours, ref = layers["jkeras"], layers["keras"]
    assert describe(ours) == describe(ref) and not ours.built and not ref.built
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(arrays(ours(x)), arrays(ref(x)), rtol=1e-6)
    assert ours.built and ref.built
    assert ours.weights == [ours.w, ours.b] and ours.trainable_weights == [ours.w, ours.b]
    assert describe(ours) == describe(ref)
    for a, b in zip(ours.get_weights(), ref.get_weights()):  # the call kept the weights
        np.testing.assert_array_equal(a, b)


def test_non_trainable_weight_assigned_in_call_matches_keras(fresh):
    x = np.ones((2, 2), "float32")
    ours, ref = fresh["jkeras"]["ComputeSum"](2), fresh["keras"]["ComputeSum"](2)
    for _ in range(3):
        np.testing.assert_allclose(arrays(ours(x)), arrays(ref(x)))
    np.testing.assert_allclose(ours.get_weights()[0], ref.get_weights()[0])
    assert describe(ours) == describe(ref)
    assert (len(ours.weights), len(ours.trainable_weights), len(ours.non_trainable_weights)) == (1, 0, 1)


def test_the_pure_pair_returns_and_reads_the_weights_made_in_init(fresh):
    layer = fresh["jkeras"]["ComputeSum"](2)
    x = np.arange(6, dtype="float32").reshape(3, 2)
    variables = layer.init(jax.random.PRNGKey(0), (None, 2))
    assert list(variables["state"]) == [layer.weights[0].name] and not variables["params"]
    start = {"params": {}, "state": {layer.weights[0].name: jnp.array([10.0, 20.0])}}
    out, state = jax.jit(lambda v, x: layer.apply(v, x))(start, x)
    np.testing.assert_allclose(out, [10.0 + 6.0, 20.0 + 9.0])
    np.testing.assert_allclose(state[layer.weights[0].name], out)
    np.testing.assert_allclose(layer.get_weights()[0], [0.0, 0.0])  # apply wrote nothing

    linear = fresh["jkeras"]["Linear"](3, 2)
    w, b = np.ones((2, 3), "float32"), np.arange(3, dtype="float32")
    variables = linear.init(jax.random.PRNGKey(1), (None, 2))
    np.testing.assert_array_equal(variables["params"][linear.w.name], linear.get_weights()[0])
    variables = {"params": {linear.w.name: w, linear.b.name: b}, "state": {}}
    out, _ = linear.apply(variables, x)
    np.testing.assert_allclose(out, x @ w + b, rtol=1e-6)


def test_weight_order_and_paths_of_init_and_build_weights_match_keras(fresh):
    def models(lib):
        c = fresh[lib]
        module = LIBS[lib]
        seq = module.Sequential([module.Input((2,)), c["Linear"](4, 2), c["Mixed"](3)])
        inputs = module.Input((2,))
        func = module.Model(inputs, c["Mixed"](2)(c["Linear"](3, 2)(inputs)))
        return seq, func

    ours, ref = models("jkeras"), models("keras")
    x = np.random.default_rng(0).standard_normal((5, 2)).astype("float32")
    for a, b in zip(ours, ref):
        assert describe(a) == describe(b)
        a.set_weights(b.get_weights())
        np.testing.assert_allclose(arrays(a(x)), arrays(b(x)), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_direct_build_call_builds_the_layer_as_in_keras(fresh):
    x = np.ones((2, 4), "float32")
    layers = {lib: fresh[lib]["Mixed"](3) for lib in LIBS}
    for layer in layers.values():
        layer.build((None, 4))
    ours, ref = layers["jkeras"], layers["keras"]
    assert ours.built and ref.built and describe(ours) == describe(ref)
    before = ours.get_weights()
    ours(x)
    for a, b in zip(before, ours.get_weights()):  # the first call keeps the weights build() made
        np.testing.assert_array_equal(a, b)
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(arrays(ours(x)), arrays(ref(x)), rtol=1e-6)
    assert describe(ours) == describe(ref)


def test_build_of_a_sublayer_inside_build_matches_keras(fresh):
    x = np.random.default_rng(4).standard_normal((3, 3)).astype("float32")
    direct = {lib: fresh[lib]["Parent"]() for lib in LIBS}
    for layer in direct.values():
        layer.build((None, 3))
    assert direct["jkeras"].inner.built and describe(direct["jkeras"]) == describe(direct["keras"])
    called = {lib: fresh[lib]["Parent"]() for lib in LIBS}
    stacked = {lib: LIBS[lib].Sequential([LIBS[lib].Input((3,)), fresh[lib]["Parent"]()]) for lib in LIBS}
    for group in (direct, called, stacked):
        ours, ref = group["jkeras"], group["keras"]
        before = ours.get_weights()
        ours(x), ref(x)
        for a, b in zip(before, ours.get_weights()):
            np.testing.assert_array_equal(a, b)
        assert describe(ours) == describe(ref)
        ours.set_weights(ref.get_weights())
        np.testing.assert_allclose(arrays(ours(x)), arrays(ref(x)), rtol=1e-5, atol=1e-6)


def losses_of(layer):
    return [float(arrays(v)) for v in layer.losses]


def test_losses_of_the_last_eager_call_match_keras(fresh):
    x = np.array([[1.0, 3.0], [2.0, 6.0]], "float32")
    for name in ("ActivityRegularizationLayer", "OuterLayer"):
        ours, ref = fresh["jkeras"][name](), fresh["keras"][name]()
        assert losses_of(ours) == losses_of(ref) == []
        for scale in (1.0, 2.0):  # each top-level call starts afresh
            ours(x * scale), ref(x * scale)
            assert len(ours.losses) == len(ref.losses) == 1
            np.testing.assert_allclose(losses_of(ours), losses_of(ref), rtol=1e-6)
        if name == "OuterLayer":
            np.testing.assert_allclose(losses_of(ours.activity_reg), losses_of(ref.activity_reg), rtol=1e-6)


def test_regularization_and_activity_losses_match_keras(fresh):
    x = np.random.default_rng(2).standard_normal((4, 2)).astype("float32")
    ours = fresh["jkeras"]["OuterLayerWithKernelRegularizer"]()
    ref = fresh["keras"]["OuterLayerWithKernelRegularizer"]()
    ref(x)
    ours(x)
    ours.set_weights(ref.get_weights())
    assert len(ours.losses) == len(ref.losses) == 2  # one per regularized weight
    np.testing.assert_allclose(losses_of(ours), losses_of(ref), rtol=1e-5)

    def model(lib):
        c = fresh[lib]
        module = LIBS[lib]
        inputs = module.Input((2,))
        hidden = module.layers.Dense(3, activity_regularizer=module.regularizers.l2(0.1))(inputs)
        return module.Model(inputs, c["ActivityRegularizationLayer"](0.5)(hidden))

    ours, ref = model("jkeras"), model("keras")
    ours.set_weights(ref.get_weights())
    ours(x), ref(x)
    assert len(ours.losses) == len(ref.losses) == 2
    np.testing.assert_allclose(losses_of(ours), losses_of(ref), rtol=1e-5)


def test_fit_with_init_weights_and_add_loss_matches_keras(fresh):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((48, 2)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0]], "float32") + 0.5).astype("float32")

    def model(lib):
        c = fresh[lib]
        module = LIBS[lib]
        return module.Sequential([
            module.Input((2,)), c["Linear"](8, 2), c["ActivityRegularizationLayer"](0.1),
            module.layers.Activation("tanh"), c["Linear"](1, 8),
        ])

    ours, ref = model("jkeras"), model("keras")
    assert describe(ours) == describe(ref)
    ours.set_weights(ref.get_weights())
    for m, lib in ((ours, jkeras), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.05), "mse")
    got = ours.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0).history["loss"]
    expected = ref.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert got[-1] < got[0]
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours.layers[0].w), ref.layers[0].w.numpy(), rtol=1e-5, atol=1e-6)


def test_assigning_a_trainable_weight_in_call_is_refused():
    class Bad(jkeras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.count = self.add_weight(shape=(2,), initializer="zeros", trainable=False)

        def call(self, inputs):
            self.count.assign(jnp.zeros((3,)))
            return inputs

    with pytest.raises(ValueError, match="shape"):
        Bad()(np.ones((1, 2), "float32"))


def test_model_losses_after_fit_evaluate_predict_as_in_keras():
    """An eager call's add_loss terms stay in `model.losses` until fit / evaluate / predict /
    *_on_batch run, which leave only the weight-regularization losses, as Keras does."""
    def counts(lib):
        class Act(lib.layers.Layer):
            def call(self, x):
                self.add_loss(lib.ops.sum(x))
                return x

        i = lib.Input((2,))
        model = lib.Model(i, lib.layers.Dense(1, kernel_regularizer="l2")(Act()(i)))
        model.compile("sgd", "mse")
        x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        seen = []
        for run in (lambda: None, lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0),
                    lambda: model.predict(x, verbose=0), lambda: model.train_on_batch(x, y),
                    lambda: model.test_on_batch(x, y), lambda: model.predict_on_batch(x)):
            model(x)
            run()
            seen.append(len(model.losses))
        return seen

    assert counts(jkeras) == counts(keras)

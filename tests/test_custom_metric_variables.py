"""Custom `Metric` subclasses written Keras 3's way (`add_variable` / `add_weight` state,
`update_state` / `result` / `reset_state` overrides): stateful use, the stateless API, and
`compile(metrics=[...])` in `fit` / `evaluate`, each against Keras 3 running the same class code."""
import keras
import numpy as np
import pytest

import jkeras


def metric_classes(k):
    """The same metric code, written against the Keras module `k` (Keras 3 or jkeras)."""
    ops = k.ops

    class CategoricalTruePositives(k.metrics.Metric):  # the guide's, weights honoured
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives.value

        def reset_state(self):
            self.true_positives.assign(0.0)

    class Hits(k.metrics.Metric):  # ignores sample weights; add_weight; default reset_state
        def __init__(self, name="hits", **kwargs):  # (zeros, not the initializer, in Keras 3)
            super().__init__(name=name, **kwargs)
            self.tp = self.add_weight(shape=(), name="tp", initializer="ones")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hit = ops.argmax(y_pred, axis=1) == ops.cast(ops.reshape(y_true, (-1,)), "int32")
            self.tp.assign_add(ops.sum(ops.cast(hit, "float32")))

        def result(self):
            return ops.convert_to_tensor(self.tp)

    class PerClassRecall(k.metrics.Metric):  # vector variables, result from two of them
        def __init__(self, num_classes=3, name="per_class_recall", **kwargs):
            super().__init__(name=name, **kwargs)
            self.num_classes = num_classes
            self.hits = self.add_variable(shape=(num_classes,), initializer="zeros", name="hits")
            self.support = self.add_variable(shape=(num_classes,), initializer="zeros", name="support")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), self.num_classes)
            y_hat = ops.one_hot(ops.argmax(y_pred, axis=1), self.num_classes)
            self.hits.assign_add(ops.sum(y_true * y_hat, axis=0))
            self.support.assign_add(ops.sum(y_true, axis=0))

        def result(self):
            recall = ops.divide_no_nan(self.hits.value, self.support.value)
            return ops.sum(recall * ops.arange(1, self.num_classes + 1, dtype="float32"))

    class MaxProbMean(k.metrics.Metric):  # total + count; weighted; reset to an initializer
        def __init__(self, name="max_prob_mean", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")
            self.count = self.add_variable(shape=(), initializer="ones", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = ops.max(y_pred, axis=1)
            weight = ops.ones_like(values) if sample_weight is None else ops.cast(
                ops.reshape(sample_weight, (-1,)), "float32")
            self.total.assign_add(ops.sum(values * weight))
            self.count.assign_add(ops.sum(weight))

        def result(self):
            return self.total / self.count

        def reset_state(self):
            self.total.assign(0.0)
            self.count.assign(1.0)

    class ScaledMean(k.metrics.Mean):  # a built-in's state, fed by an update_state override
        def update_state(self, y_true, y_pred, sample_weight=None):
            super().update_state(ops.max(y_pred, axis=1) * 10.0, sample_weight=sample_weight)

    return [CategoricalTruePositives, Hits, PerClassRecall, MaxProbMean, ScaledMean]


def model_pair(seed=0):
    keras.utils.set_random_seed(seed)
    reference = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    ours = jkeras.Sequential([jkeras.Input((4,)), jkeras.layers.Dense(3, activation="softmax")])
    ours.set_weights(reference.get_weights())
    return reference, ours


def data(n=100, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = rng.integers(0, 3, size=(n,))
    w = rng.uniform(0.2, 2.0, size=(n,)).astype("float32")
    return x, y, w


def batch(seed):
    rng = np.random.default_rng(seed)
    y_pred = rng.uniform(size=(8, 3)).astype("float32")
    return rng.integers(0, 3, size=(8,)), y_pred / y_pred.sum(1, keepdims=True), rng.uniform(size=(8,)).astype("float32")


@pytest.mark.parametrize("index", range(5))
def test_stateful_update_result_reset_match_keras(index):
    ours, reference = metric_classes(jkeras)[index](), metric_classes(keras)[index]()
    assert [v.path for v in ours.variables] == [v.path for v in reference.variables]
    for m in (ours, reference):
        first = float(m.result())  # before any update: the initial values
        m.update_state(*batch(0)[:2])
        m.update_state(*batch(1)[:2], sample_weight=batch(1)[2])
        m.values = (first, float(m.result()), [np.asarray(v) for v in m.variables])
        m.reset_state()
        m.values += (float(m.result()), [np.asarray(v) for v in m.variables])
    np.testing.assert_allclose(ours.values[0], reference.values[0], rtol=1e-6)
    np.testing.assert_allclose(ours.values[1], reference.values[1], rtol=1e-5)
    for got, want in zip(ours.values[2] + ours.values[4], reference.values[2] + reference.values[4]):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(ours.values[3], reference.values[3], rtol=1e-6)
    assert float(ours(*batch(2)[:2])) == pytest.approx(float(reference(*batch(2)[:2])), rel=1e-5)


@pytest.mark.parametrize("index", range(5))
def test_stateless_api_matches_keras(index):
    ours, reference = metric_classes(jkeras)[index](), metric_classes(keras)[index]()
    results = []
    for m in (ours, reference):
        state = m.stateless_reset_state()
        for seed in range(2):
            y_true, y_pred, w = batch(seed)
            state = m.stateless_update_state(state, y_true, y_pred, sample_weight=w)
        results.append(([np.asarray(s) for s in state], float(m.stateless_result(state)),
                        float(m.result())))  # the object's own state is untouched
    for got, want in zip(results[0][0], results[1][0]):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(results[0][1:], results[1][1:], rtol=1e-5)


def test_jitted_stateless_update_and_variable_handles():
    import jax

    (ctp,) = metric_classes(jkeras)[:1]
    m = ctp()
    assert m.variables[0] is m.true_positives and not m.true_positives.trainable
    y_true, y_pred, _ = batch(0)
    state = jax.jit(m.stateless_update_state)(m.stateless_reset_state(), y_true, y_pred)
    expected = np.sum(np.argmax(y_pred, 1)[:, None] == y_true[None, :])  # the guide's broadcast
    assert float(m.stateless_result(state)) == expected
    m.true_positives.assign_sub(-2.0)
    assert float(m.result()) == 2.0
    with pytest.raises(ValueError, match="shape"):
        m.true_positives.assign(np.zeros(3))


def test_add_variable_before_super_init_raises():
    class Broken(jkeras.metrics.Metric):
        def __init__(self):
            self.v = self.add_variable(shape=(), initializer="zeros")

    with pytest.raises(RuntimeError, match="super"):
        Broken()


@pytest.mark.parametrize("padded", [False, True])
def test_fit_and_evaluate_match_keras(padded):
    """History per epoch (metrics reset at each epoch's start) and evaluate, batch 32 over 96 rows
    or 100 rows (a short last batch), with a weighted metric given sample weights."""
    x, y, w = data(100 if padded else 96)
    logs = []
    for k, model in zip((keras, jkeras), model_pair()):
        classes = metric_classes(k)
        model.compile(optimizer=k.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                      metrics=[c() for c in classes], weighted_metrics=[classes[0](name="weighted_ctp")])
        history = model.fit(x, y, sample_weight=w, batch_size=32, epochs=2, shuffle=False, verbose=0)
        logs.append((history.history, model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)))
    (ours, ours_eval), (reference, reference_eval) = logs[1], logs[0]
    assert sorted(ours) == sorted(reference)
    for name in reference:
        np.testing.assert_allclose(ours[name], reference[name], rtol=1e-4, err_msg=name)
    assert sorted(ours_eval) == sorted(reference_eval)
    for name in reference_eval:
        np.testing.assert_allclose(ours_eval[name], reference_eval[name], rtol=1e-4, err_msg=name)


def test_result_may_return_the_variable_itself():
    class Count(jkeras.metrics.Metric):
        def __init__(self, name="count", **kwargs):
            super().__init__(name=name, **kwargs)
            self.n = self.add_variable(shape=(), initializer="zeros", name="n")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.n.assign_add(jkeras.ops.cast(jkeras.ops.shape(y_pred)[0], "float32"))

        def result(self):
            return self.n

    x, y, _ = data(70)
    _, model = model_pair()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=[Count()])
    history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    assert history.history["count"] == [70.0, 70.0]  # numpy: 70 rows per epoch, padding left out

"""The names of logged losses and metrics (History keys, `evaluate(..., return_dict=True)` keys,
callback logs) equal Keras 3's for each kind of model and output structure; each test runs the
same code on Keras 3 and on jkeras."""
import keras
import numpy as np

import jkeras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 4)).astype("float32")
Y1 = RNG.normal(size=(8, 2)).astype("float32")
Y2 = (RNG.random(size=(8, 1)) > 0.5).astype("float32")


def _subclassed(k, struct):
    class TwoHeads(k.Model):
        def __init__(self):
            super().__init__()
            self.head_a = k.layers.Dense(2)
            self.head_b = k.layers.Dense(1, activation="sigmoid")

        def call(self, x):
            a, b = self.head_a(x), self.head_b(x)
            if struct == "dict":
                return {"b": b, "a": a}  # keys not in sorted order
            return (a, b) if struct == "tuple" else [a, b]

    return TwoHeads()


def _functional(k, struct):
    inputs = k.Input((4,))
    a = k.layers.Dense(2, name="a")(inputs)
    b = k.layers.Dense(1, activation="sigmoid", name="b")(inputs)
    return k.Model(inputs, {"a": a, "b": b} if struct == "dict" else (a, b) if struct == "tuple" else [a, b])


def _targets(struct):
    return {"a": Y1, "b": Y2} if struct == "dict" else (Y1, Y2) if struct == "tuple" else [Y1, Y2]


def _logs(k, model, compile_kw, y, weights=None):
    """(History keys, `evaluate`'s dict) after one epoch; `weights` set first (None: Keras 3's
    model, whose weights are returned)."""
    model(X[:1])
    if weights is not None:
        model.set_weights(weights)
    start = model.get_weights()
    model.compile(optimizer="sgd", **compile_kw(k))
    history = model.fit(X, y, epochs=1, batch_size=8, verbose=0)
    logs = model.evaluate(X, y, verbose=0, return_dict=True)
    return sorted(history.history), logs, start


def _compare(build, compile_kw, y, values=False):
    ref_keys, ref_logs, weights = _logs(keras, build(keras), compile_kw, y)
    keys, logs, _ = _logs(jkeras, build(jkeras), compile_kw, y, weights)
    assert keys == ref_keys
    assert sorted(logs) == sorted(ref_logs)
    if values:
        for name in ref_logs:
            np.testing.assert_allclose(float(logs[name]), float(ref_logs[name]), rtol=1e-4, atol=1e-6,
                                       err_msg=name)


def test_subclassed_unnamed_outputs_log_losses_by_loss_name_and_metrics_unprefixed():
    # Keras 3: "mse_loss" (one entry for both outputs: the last one's), "mae", "mae_1"; jkeras
    # logged "output_1_loss", "output_1_mae", ...
    def compile_kw(k):
        return dict(loss=["mse", "mse"], metrics=[["mae"], ["mae"]], loss_weights=[1.0, 0.5])

    _compare(lambda k: _subclassed(k, "tuple"), compile_kw, _targets("tuple"), values=True)


def test_subclassed_unnamed_outputs_with_loss_and_metric_objects_and_weighted_metrics():
    def compile_kw(k):
        return dict(loss=[k.losses.MeanSquaredError(), k.losses.BinaryCrossentropy()],
                    metrics=[[k.metrics.MeanAbsoluteError()], ["accuracy"]],
                    weighted_metrics=[["mae"], ["mae"]])

    _compare(lambda k: _subclassed(k, "list"), compile_kw, _targets("list"))


def test_subclassed_dict_outputs_are_named_by_their_keys():
    # jkeras named them output_1 / output_2 (the dict's targets matched no output), and its
    # predictions followed `call`'s key order, not the sorted one of its outputs.
    def compile_kw(k):
        return dict(loss={"a": "mse", "b": "binary_crossentropy"}, metrics={"a": "mae", "b": ["accuracy", "mse"]},
                    loss_weights={"a": 1.0, "b": 0.5})

    _compare(lambda k: _subclassed(k, "dict"), compile_kw, _targets("dict"), values=True)
    ref, ours = _subclassed(keras, "dict"), _subclassed(jkeras, "dict")
    ref(X[:1]), ours(X[:1])
    ours.set_weights(ref.get_weights())
    expected, got = ref.predict(X, verbose=0), ours.predict(X, verbose=0)
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6)


def test_functional_flat_metrics_list_with_one_entry_per_output():
    # Keras 3 reads a flat list as long as the outputs as one metric per output ("a_mae",
    # "b_accuracy"); jkeras gave every output both.
    def compile_kw(k):
        return dict(loss=["mse", "binary_crossentropy"], metrics=["mae", "accuracy"],
                    weighted_metrics=[["mae"], ["mae"]])

    _compare(lambda k: _functional(k, "dict"), compile_kw, _targets("dict"))


def test_one_output_takes_a_nested_list_of_metrics():
    # Keras 3 flattens the metrics of a model with one output; jkeras raised on [["mae"]].
    def build(k):
        return k.Sequential([k.Input((4,)), k.layers.Dense(2)])

    def compile_kw(k):
        return dict(loss=["mse"], metrics=[["mae"], "mse"], weighted_metrics=["mae"])

    _compare(build, compile_kw, Y1)

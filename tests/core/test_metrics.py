"""Metrics against NumPy formulas written here and against Keras 3 (JAX backend)."""
import json
import re

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from keras.src.backend import set_keras_mask
from keras.src.metrics import ALL_OBJECTS_DICT as KERAS_METRIC_OBJECTS
from keras.src.metrics.accuracy_metrics import accuracy as keras_accuracy

from jkeras import losses, metrics
from jkeras.core import metrics as core_metrics

RTOL, ATOL = 1e-5, 1e-6
rng = np.random.default_rng(99)


def _rand(*shape, low=0.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype("float32")


def _onehot(labels, classes):
    return np.eye(classes, dtype="float32")[labels]


def _batches(kind, n=3, batch=6, classes=4):
    """`n` (y_true, y_pred) batches suited to a metric family."""
    out = []
    for _ in range(n):
        if kind == "rounded":
            out.append(((rng.random((batch, 4)) > 0.5).astype("float32"),
                        (rng.random((batch, 4)) > 0.5).astype("float32")))
        elif kind == "binary":
            out.append(((rng.random((batch, 4)) > 0.5).astype("float32"), _rand(batch, 4)))
        elif kind == "onehot":
            probs = _rand(batch, classes, low=0.05)
            out.append((_onehot(rng.integers(0, classes, batch), classes),
                        probs / probs.sum(-1, keepdims=True)))
        elif kind == "sparse":
            probs = _rand(batch, classes, low=0.05)
            out.append((rng.integers(0, classes, (batch, 1)).astype("float32"),
                        probs / probs.sum(-1, keepdims=True)))
        elif kind == "positive":
            out.append((_rand(batch, 4, high=3), _rand(batch, 4, low=0.1, high=3)))
        else:
            out.append((_rand(batch, 4, low=-2, high=2), _rand(batch, 4, low=-2, high=2)))
    return out


# --- metric functions ----------------------------------------------------------


def test_accuracy_functions_match_numpy_and_keras():
    y_true, y_pred = _batches("onehot")[0]
    labels = y_true.argmax(-1)
    rank = (y_pred > y_pred[np.arange(6), labels][:, None]).sum(-1)  # classes scoring higher
    cases = {
        "categorical_accuracy": ((y_true, y_pred), {}, labels == y_pred.argmax(-1)),
        "sparse_categorical_accuracy": ((labels[:, None], y_pred), {}, labels == y_pred.argmax(-1)),
        "top_k_categorical_accuracy":
            ((y_true, y_pred), {"k": 2}, rank < 2),
        "sparse_top_k_categorical_accuracy":
            ((labels, y_pred), {"k": 3}, rank < 3),
        "binary_accuracy": (((y_pred > 0.3).astype("float32"), y_pred), {"threshold": 0.3},
                            np.ones((6, 4), bool)),
        "accuracy": ((labels, y_pred.argmax(-1)), {}, labels == y_pred.argmax(-1)),
    }
    for name, (args, kwargs, want) in cases.items():
        got = getattr(metrics, name)(*args, **kwargs)
        np.testing.assert_array_equal(got, want.astype("float32"), err_msg=name)
        keras_fn = keras_accuracy if name == "accuracy" else getattr(keras.metrics, name)
        np.testing.assert_array_equal(got, keras_fn(*args, **kwargs), err_msg=name)


def test_binary_accuracy_shapes_and_top_k_ties():
    y_true = np.array([1, 0, 1, 0], "float32")
    y_pred = np.array([[0.7], [0.6], [0.2], [0.1]], "float32")  # (batch,) vs (batch, 1)
    got = metrics.binary_accuracy(y_true, y_pred)
    np.testing.assert_array_equal(got, [[1], [0], [0], [1]])
    np.testing.assert_array_equal(got, keras.metrics.binary_accuracy(y_true, y_pred))
    scores = np.array([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7]], "float32")  # a tie counts as a hit
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy([1, 0], scores, k=1),
                                  [1.0, 0.0])


def test_sparse_accuracy_on_sequences_and_sorted_ids():
    labels = rng.integers(0, 3, (2, 5))
    y_pred = _rand(2, 5, 3)
    got = metrics.sparse_categorical_accuracy(labels, y_pred)
    np.testing.assert_array_equal(got, labels == y_pred.argmax(-1))
    ids = np.argsort(-y_pred.reshape(10, 3), axis=-1)
    got = metrics.sparse_top_k_categorical_accuracy(labels.reshape(10), ids, k=2,
                                                    from_sorted_ids=True)
    want = keras.metrics.sparse_top_k_categorical_accuracy(labels.reshape(10), ids, k=2,
                                                           from_sorted_ids=True)
    np.testing.assert_array_equal(got, want)


# --- mean-based metric classes ------------------------------------------------

MEAN_CASES = [
    # (class name, kwargs, batch kind, numpy per-sample formula or None)
    ("Accuracy", {}, "rounded", lambda t, p: (t == p).mean(-1)),
    ("BinaryAccuracy", {"threshold": 0.4}, "binary", lambda t, p: (t == (p > 0.4)).mean(-1)),
    ("CategoricalAccuracy", {}, "onehot", lambda t, p: t.argmax(-1) == p.argmax(-1)),
    ("SparseCategoricalAccuracy", {}, "sparse", lambda t, p: t[:, 0] == p.argmax(-1)),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot", None),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", None),
    ("MeanSquaredError", {}, "real", lambda t, p: ((t - p) ** 2).mean(-1)),
    ("MeanAbsoluteError", {}, "real", lambda t, p: np.abs(t - p).mean(-1)),
    ("MeanAbsolutePercentageError", {}, "positive",
     lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), 1e-7)).mean(-1)),
    ("MeanSquaredLogarithmicError", {}, "positive",
     lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1)),
    ("LogCoshError", {}, "real", lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    ("CosineSimilarity", {}, "real", lambda t, p: (t * p).sum(-1) / np.linalg.norm(t, axis=-1)
     / np.linalg.norm(p, axis=-1)),
    ("Hinge", {}, "binary", lambda t, p: np.maximum(1 - (2 * t - 1) * p, 0).mean(-1)),
    ("SquaredHinge", {}, "binary", lambda t, p: (np.maximum(1 - (2 * t - 1) * p, 0) ** 2).mean(-1)),
    ("CategoricalHinge", {}, "onehot",
     lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    ("KLDivergence", {}, "onehot", None),
    ("Poisson", {}, "positive", lambda t, p: (p - t * np.log(p + 1e-7)).mean(-1)),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary", None),
    ("BinaryCrossentropy", {"from_logits": True}, "real", None),
    ("CategoricalCrossentropy", {}, "onehot",
     lambda t, p: -(t * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(-1)),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse", None),
]


def _run_stateful(metric, batches, weights):
    for (y_true, y_pred), w in zip(batches, weights):
        metric.update_state(y_true, y_pred, sample_weight=w)
    return np.asarray(metric.result())


@pytest.mark.parametrize("cls_name,kwargs,kind,formula", MEAN_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(MEAN_CASES)])
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_metrics_match_keras_and_numpy(cls_name, kwargs, kind, formula, weighted):
    batches = _batches(kind)
    weights = [_rand(6) if weighted else None for _ in batches]
    got = _run_stateful(getattr(metrics, cls_name)(**kwargs), batches, weights)
    want = _run_stateful(getattr(keras.metrics, cls_name)(**kwargs), batches, weights)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    if formula is not None:
        values = np.concatenate([formula(t.astype("float64"), p.astype("float64"))
                                 for t, p in batches])
        w = np.concatenate(weights) if weighted else np.ones_like(values)
        np.testing.assert_allclose(got, (values * w).sum() / w.sum(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_root_mean_squared_error(weighted):
    batches = _batches("real")
    weights = [_rand(6) if weighted else None for _ in batches]
    got = _run_stateful(metrics.RootMeanSquaredError(), batches, weights)
    np.testing.assert_allclose(got, _run_stateful(keras.metrics.RootMeanSquaredError(), batches,
                                                  weights), rtol=RTOL)
    sq = np.concatenate([(t - p) ** 2 for t, p in batches])  # (18, 4)
    w = (np.concatenate(weights) if weighted else np.ones(18))[:, None] * np.ones((1, 4))
    np.testing.assert_allclose(got, np.sqrt((sq * w).mean(-1).sum() / w.mean(-1).sum()), rtol=1e-5)


def test_mean_and_sum_with_sequence_weights():
    values = _rand(4, 5)
    weights = _rand(4, 5)
    for cls_name in ("Mean", "Sum"):
        jk, k3 = getattr(metrics, cls_name)(), getattr(keras.metrics, cls_name)()
        for w in (None, weights, weights[:, :1]):
            jk.update_state(values, sample_weight=w)
            k3.update_state(values, sample_weight=w)
        np.testing.assert_allclose(jk.result(), k3.result(), rtol=RTOL)
    mean = metrics.Mean()
    np.testing.assert_allclose(mean([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0]), 2.0)


def test_mean_metric_wrapper_with_mask_and_user_function():
    def abs_error(y_true, y_pred):
        return jnp.abs(y_true - y_pred)  # per-element values (batch, time)

    y_true, y_pred = _rand(3, 5), _rand(3, 5)
    mask = np.ones((3, 5), bool)
    mask[0, 2:] = mask[2, 4:] = False
    jk = metrics.MeanMetricWrapper(abs_error)
    assert jk.name == "abs_error"
    jk.update(jk.init(), y_true, y_pred)  # pure call leaves the object alone
    state = jk.update(jk.init(), y_true, y_pred, mask=mask)
    masked = jnp.asarray(y_pred)
    set_keras_mask(masked, jnp.asarray(mask))
    k3 = keras.metrics.MeanMetricWrapper(abs_error)
    k3.update_state(y_true, masked)
    np.testing.assert_allclose(jk.compute(state), k3.result(), rtol=RTOL)
    per_sample = (np.abs(y_true - y_pred) * mask).mean(-1)
    np.testing.assert_allclose(jk.compute(state), per_sample.sum() / mask.mean(-1).sum(), rtol=1e-5)


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_crossentropy_metric_ignore_class(weighted):
    labels = np.array([0, 2, 1, 2, 3, 0])
    probs = _rand(6, 4, low=0.05)
    w = _rand(6) if weighted else None
    jk = metrics.SparseCategoricalCrossentropy(ignore_class=2)
    k3 = keras.metrics.SparseCategoricalCrossentropy(ignore_class=2)
    np.testing.assert_allclose(jk(labels, probs, w), k3(labels, probs, w), rtol=RTOL)


@pytest.mark.parametrize("cls_name,kwargs,kind", [
    ("SparseCategoricalAccuracy", {}, "sparse"), ("AUC", {}, "binary"),
    ("F1Score", {"average": "macro"}, "onehot"), ("RootMeanSquaredError", {}, "real"),
])
def test_pure_protocol_under_jit_matches_stateful(cls_name, kwargs, kind):
    batches = _batches(kind)
    weights = [_rand(6) for _ in batches]
    metric = getattr(metrics, cls_name)(**kwargs)
    update = jax.jit(metric.update)
    state = metric.init(y_pred_shape=batches[0][1].shape)
    for (y_true, y_pred), w in zip(batches, weights):
        state = update(state, y_true, y_pred, w)
    got = jax.jit(metric.compute)(state)
    assert metric._state is None  # the pure methods keep nothing on the object
    np.testing.assert_allclose(got, _run_stateful(metric, batches, weights), rtol=1e-6)
    np.testing.assert_allclose(
        got, _run_stateful(getattr(keras.metrics, cls_name)(**kwargs), batches, weights),
        rtol=RTOL, atol=ATOL)
    # No recompilation on a second pass with the same shapes.
    before = update._cache_size()
    update(state, *batches[0], weights[0])
    assert update._cache_size() == before


def test_stateful_api_reset_and_variables():
    metric = metrics.BinaryAccuracy()
    assert metric.name == "binary_accuracy" and metric.dtype == "float32"
    assert float(metric.result()) == 0.0
    np.testing.assert_allclose(metric([1, 0, 1], [0.9, 0.2, 0.1]), 2 / 3, rtol=1e-6)
    np.testing.assert_allclose(metric([1], [0.8]), 3 / 4, rtol=1e-6)
    np.testing.assert_allclose([float(v) for v in metric.variables], [3.0, 4.0])
    metric.reset_state()
    assert float(metric.result()) == 0.0
    metric.update_state([0], [0.7])
    metric.reset_states()  # Keras 2 spelling
    assert [float(v) for v in metric.variables] == [0.0, 0.0]


# --- confusion-matrix family, AUC, R2, F-scores -------------------------------


def _np_counts(y_true, y_pred, threshold, w):
    pos, pred = y_true != 0, y_pred > threshold
    return {"tp": (w * (pos & pred)).sum(), "fp": (w * (~pos & pred)).sum(),
            "tn": (w * (~pos & ~pred)).sum(), "fn": (w * (pos & ~pred)).sum()}


@pytest.mark.parametrize("thresholds,weighted", [(None, False), ([0.2, 0.5, 0.8], True),
                                                 (0.7, True)])
def test_confusion_counts_precision_recall(thresholds, weighted):
    batches = _batches("binary")
    weights = [_rand(6) if weighted else None for _ in batches]
    y_true = np.concatenate([t for t, _ in batches])
    y_pred = np.concatenate([p for _, p in batches])
    w = (np.concatenate(weights) if weighted else np.ones(18))[:, None] * np.ones((1, 4))
    listed = [0.5] if thresholds is None else np.atleast_1d(thresholds)
    counts = [_np_counts(y_true, y_pred, t, w) for t in listed]
    squeeze = (lambda x: x[0]) if len(listed) == 1 else np.asarray
    expected = {
        "TruePositives": squeeze([c["tp"] for c in counts]),
        "FalsePositives": squeeze([c["fp"] for c in counts]),
        "TrueNegatives": squeeze([c["tn"] for c in counts]),
        "FalseNegatives": squeeze([c["fn"] for c in counts]),
        "Precision": squeeze([c["tp"] / (c["tp"] + c["fp"]) for c in counts]),
        "Recall": squeeze([c["tp"] / (c["tp"] + c["fn"]) for c in counts]),
    }
    for cls_name, want in expected.items():
        got = _run_stateful(getattr(metrics, cls_name)(thresholds=thresholds), batches, weights)
        np.testing.assert_allclose(got, want, rtol=1e-5, err_msg=cls_name)
        keras_value = _run_stateful(getattr(keras.metrics, cls_name)(thresholds=thresholds),
                                    batches, weights)
        np.testing.assert_allclose(got, keras_value, rtol=RTOL, err_msg=cls_name)


@pytest.mark.parametrize("kwargs", [{"top_k": 2}, {"top_k": 1, "class_id": 2}])
def test_precision_recall_top_k_and_class_id(kwargs):
    batches = _batches("onehot")
    for cls_name in ("Precision", "Recall"):
        got = _run_stateful(getattr(metrics, cls_name)(**kwargs), batches, [None] * 3)
        want = _run_stateful(getattr(keras.metrics, cls_name)(**kwargs), batches, [None] * 3)
        np.testing.assert_allclose(got, want, rtol=RTOL, err_msg=cls_name)


def _np_roc_auc(y_true, y_pred, w, num_thresholds=200):
    eps = 1e-7
    thresholds = [0.0 - eps] + [(i + 1) / (num_thresholds - 1)
                                for i in range(num_thresholds - 2)] + [1.0 + eps]
    counts = [_np_counts(y_true, y_pred, t, w) for t in thresholds]
    tpr = np.array([c["tp"] / (c["tp"] + c["fn"]) for c in counts])
    fpr = np.array([c["fp"] / (c["fp"] + c["tn"]) for c in counts])
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)


@pytest.mark.parametrize("weighted", [False, True])
def test_auc_roc_matches_numpy_riemann_sum(weighted):
    batches = _batches("binary")
    weights = [_rand(6) if weighted else None for _ in batches]
    y_true = np.concatenate([t for t, _ in batches])
    y_pred = np.concatenate([p for _, p in batches])
    w = (np.concatenate(weights) if weighted else np.ones(18))[:, None] * np.ones((1, 4))
    got = _run_stateful(metrics.AUC(), batches, weights)
    np.testing.assert_allclose(got, _np_roc_auc(y_true, y_pred, w), rtol=1e-4)


@pytest.mark.parametrize("kwargs", [
    {"curve": "PR"}, {"curve": "PR", "summation_method": "minoring", "num_thresholds": 7},
    {"summation_method": "majoring", "label_weights": [0.2, 0.8, 0.5, 1.0]},
    {"curve": "PRGAIN", "thresholds": [0.1, 0.4, 0.75]}, {"from_logits": True},
    {"multi_label": True, "label_weights": [0.3, 0.7, 0.1, 0.9]},
])
def test_auc_variants_match_keras(kwargs):
    batches = _batches("binary")
    if kwargs.get("from_logits"):
        batches = [(t, np.log(p / (1 - p))) for t, p in batches]
    weights = [_rand(6) for _ in batches]
    got = _run_stateful(metrics.AUC(**kwargs), batches, weights)
    want = _run_stateful(keras.metrics.AUC(**kwargs), batches, weights)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls_name,value", [
    ("SensitivityAtSpecificity", 0.5), ("SpecificityAtSensitivity", 0.6),
    ("PrecisionAtRecall", 0.4), ("RecallAtPrecision", 0.5)])
def test_sensitivity_specificity_family(cls_name, value):
    batches = _batches("binary")
    weights = [_rand(6) for _ in batches]
    for kwargs in ({}, {"num_thresholds": 1}):
        got = _run_stateful(getattr(metrics, cls_name)(value, **kwargs), batches, weights)
        want = _run_stateful(getattr(keras.metrics, cls_name)(value, **kwargs), batches, weights)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kwargs", [{}, {"class_aggregation": "variance_weighted_average"},
                                    {"class_aggregation": None}, {"num_regressors": 2}])
@pytest.mark.parametrize("weighted", [False, True])
def test_r2_score(kwargs, weighted):
    batches = _batches("real")
    weights = [_rand(6) if weighted else None for _ in batches]
    got = _run_stateful(metrics.R2Score(**kwargs), batches, weights)
    np.testing.assert_allclose(got, _run_stateful(keras.metrics.R2Score(**kwargs), batches,
                                                  weights), rtol=1e-5, atol=1e-6)
    if not kwargs and not weighted:
        y = np.concatenate([t for t, _ in batches]).astype("float64")
        p = np.concatenate([p for _, p in batches]).astype("float64")
        r2 = 1 - ((y - p) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)
        np.testing.assert_allclose(got, r2.mean(), rtol=1e-4)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.3])
def test_f_scores(average, threshold):
    batches = _batches("onehot")
    weights = [_rand(6) for _ in batches]
    got = _run_stateful(metrics.F1Score(average=average, threshold=threshold), batches, weights)
    want = _run_stateful(keras.metrics.F1Score(average=average, threshold=threshold), batches,
                         weights)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    got = _run_stateful(metrics.FBetaScore(average=average, beta=2.0, threshold=threshold),
                        batches, weights)
    want = _run_stateful(keras.metrics.FBetaScore(average=average, beta=2.0, threshold=threshold),
                         batches, weights)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if average is None and threshold is None:
        y = np.concatenate([t for t, _ in batches])
        p = np.concatenate([p for _, p in batches])
        w = np.concatenate(weights)[:, None]
        pred = p == p.max(-1, keepdims=True)
        tp, fp, fn = (w * (pred & (y == 1))).sum(0), (w * (pred & (y == 0))).sum(0), \
            (w * (~pred & (y == 1))).sum(0)
        f1 = _run_stateful(metrics.F1Score(), batches, weights)
        np.testing.assert_allclose(f1, 2 * tp / (2 * tp + fp + fn), rtol=1e-4)


def test_shape_dependent_metrics_need_a_shape():
    with pytest.raises(ValueError, match="y_pred_shape"):
        metrics.R2Score().init()
    assert metrics.F1Score(average="micro").init()["true_positives"].shape == ()
    assert metrics.AUC(multi_label=True, num_labels=3).init()["true_positives"].shape == (200, 3)
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.R2Score().update_state(np.ones(4), np.ones(4))


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="Threshold values"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="XYZ")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="average"):
        metrics.F1Score(average="median")
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="max")
    with pytest.raises(ValueError, match="specificity"):
        metrics.SensitivityAtSpecificity(1.5)


# --- get / serialize / deserialize --------------------------------------------

ALL_CLASS_CASES = [(name, {}) for name in [
    "Mean", "Sum", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "RootMeanSquaredError", "LogCoshError", "CosineSimilarity",
    "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall",
    "AUC", "R2Score", "FBetaScore", "F1Score"]] + [
    ("SensitivityAtSpecificity", {"specificity": 0.5}), ("PrecisionAtRecall", {"recall": 0.3}),
    ("AUC", {"thresholds": [0.2, 0.6], "curve": "PR"}), ("Precision", {"thresholds": [0.2, 0.6]}),
]


@pytest.mark.parametrize("cls_name,kwargs", ALL_CLASS_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ALL_CLASS_CASES)])
def test_names_configs_and_round_trip(cls_name, kwargs):
    jk = getattr(metrics, cls_name)(**kwargs)
    k3 = getattr(keras.metrics, cls_name)(**kwargs)
    keras_name = re.sub(r"_\d+$", "", k3.name)  # Keras numbers repeated default names
    assert jk.name == keras_name
    config = jk.get_config()
    for key, value in k3.get_config().items():
        assert config[key] == (keras_name if key == "name" else value), key
    restored = metrics.deserialize(json.loads(json.dumps(metrics.serialize(jk))))
    assert type(restored) is type(jk) and restored.get_config() == config
    if not kwargs:
        assert isinstance(metrics.get(cls_name), getattr(metrics, cls_name))


def test_get_resolves_functions_and_classes_as_documented():
    # Function names give functions; the snake-case class names Keras 3 accepts
    # give instances.
    for name in ["binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                 "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "accuracy",
                 "mean_squared_error", "binary_crossentropy", "kl_divergence", "poisson", "hinge",
                 "log_cosh", "cosine_similarity"]:
        assert metrics.get(name) is getattr(metrics, name), name
    assert metrics.get("mse") is losses.mean_squared_error
    assert metrics.get("MAE") is losses.mean_absolute_error
    assert metrics.get("kld") is losses.kl_divergence
    needs_arguments = ("Metric", "MeanMetricWrapper", "SensitivityAtSpecificity",
                       "SpecificityAtSensitivity", "PrecisionAtRecall", "RecallAtPrecision",
                       "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU")
    for name, cls in KERAS_METRIC_OBJECTS.items():
        if (isinstance(cls, type) and hasattr(metrics, cls.__name__)
                and name not in metrics._FUNCTIONS and cls.__name__ not in needs_arguments):
            assert type(metrics.get(name)).__name__ == cls.__name__, name
    assert metrics.get(None) is None
    auc = metrics.get({"class_name": "AUC", "config": {"curve": "PR"}})
    assert auc.curve == "PR"
    fn = lambda y_true, y_pred: y_pred  # noqa: E731
    assert metrics.get(fn) is fn
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    assert metrics.serialize(metrics.mse) == "mean_squared_error"
    with pytest.raises(ValueError, match="Valid names are:.*binary_accuracy"):
        metrics.get("binary_acuracy")


def test_mean_metric_wrapper_config_round_trip():
    wrapped = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc", threshold=0.3)
    config = wrapped.get_config()
    assert config == {"name": "acc", "dtype": "float32", "fn": "binary_accuracy",
                      "threshold": 0.3}
    restored = metrics.deserialize(metrics.serialize(wrapped))
    np.testing.assert_allclose(restored([1, 0], [0.4, 0.2]), 1.0)


def test_cosine_similarity_metric_is_positive_and_proximity_negative():
    y = _rand(4, 3, low=0.1)
    np.testing.assert_allclose(metrics.cosine_similarity(y, y), np.ones(4), rtol=1e-5)
    np.testing.assert_allclose(metrics.cosine_proximity(y, y), -np.ones(4), rtol=1e-5)


def test_confusion_counts_bucketing_agrees_with_direct_comparison():
    y_true = (rng.random((6, 4)) > 0.5).astype("float32")
    y_pred = _rand(6, 4)
    thresholds = [i / 9 for i in range(10)]
    fast = core_metrics.confusion_counts(y_true, y_pred, thresholds,
                                         thresholds_distributed_evenly=True)
    slow = core_metrics.confusion_counts(y_true, y_pred, thresholds)
    for key in ("tp", "fp", "tn", "fn"):
        np.testing.assert_allclose(fast[key], slow[key], err_msg=key)

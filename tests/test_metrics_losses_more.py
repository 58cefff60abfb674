"""Keras 3's IoU and correlation metrics and its newer losses (Dice, Tversky, Circle, CTC,
CategoricalGeneralizedCrossEntropy), checked against Keras 3 itself (JAX backend)."""
import json
import re
import warnings

import jax
import keras
import numpy as np
import pytest

import jkeras
from jkeras import layers, losses, metrics

rng = np.random.default_rng(7)


def _close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


# --- IoU family: streaming results and state against Keras 3 ----------------------------------


def _sparse_batches(classes, shape, low=0, high=None):
    high = classes if high is None else high
    return [(rng.integers(low, high, shape), rng.integers(low, high, shape)) for _ in range(3)]


def _dense_batches(classes, batch, one_hot_true):
    out = []
    for _ in range(3):
        labels = rng.integers(0, classes, batch)
        y_true = np.eye(classes, dtype="float32")[labels] if one_hot_true else labels
        out.append((y_true, rng.random((batch, classes)).astype("float32")))
    return out


IOU_CASES = {
    "iou": ("IoU", dict(num_classes=3, target_class_ids=[0, 2]), _sparse_batches(3, (8,))),
    # Labels out of [0, num_classes) and the ignored class are left out.
    "mean_iou_ignore": ("MeanIoU", dict(num_classes=3, ignore_class=-1),
                        _sparse_batches(3, (10,), low=-1, high=5)),
    "mean_iou_ignore_in_range": ("MeanIoU", dict(num_classes=4, ignore_class=0),
                                 _sparse_batches(4, (2, 5))),
    "mean_iou_2d": ("MeanIoU", dict(num_classes=4), _sparse_batches(4, (3, 2, 2))),
    "mean_iou_dense_pred": ("MeanIoU", dict(num_classes=3, sparse_y_pred=False),
                            _dense_batches(3, 7, one_hot_true=False)),
    "mean_iou_float": ("MeanIoU", dict(num_classes=3, dtype="float32"), _sparse_batches(3, (8,))),
    "binary_iou": ("BinaryIoU", dict(), [(rng.integers(0, 2, (6, 2)), rng.random((6, 2)))
                                         for _ in range(3)]),
    "binary_iou_threshold": ("BinaryIoU", dict(target_class_ids=[1], threshold=0.3),
                             [(rng.integers(0, 2, 8), rng.random(8)) for _ in range(3)]),
    "one_hot_iou": ("OneHotIoU", dict(num_classes=3, target_class_ids=[0, 2]),
                    _dense_batches(3, 6, one_hot_true=True)),
    "one_hot_mean_iou": ("OneHotMeanIoU", dict(num_classes=3), _dense_batches(3, 6, True)),
}


def _weights(labels_shape, float_weights):
    """Weights for every label entry (Keras 3 needs them broadcastable to the flat labels)."""
    shape = labels_shape
    if float_weights:
        return rng.uniform(0.1, 2.0, shape).astype("float32")
    return rng.integers(0, 3, shape).astype("int32")


def _update_both(ours, ref, y_true, y_pred, sw):
    """Updates both metrics; checks that both or neither warn about float weights."""
    warned = []
    for metric in (ours, ref):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            metric.update_state(y_true, y_pred, sample_weight=sw)
        warned.append(any("dtype is `int`" in str(w.message) for w in caught))
    assert warned[0] == warned[1]
    return warned[0]


@pytest.mark.parametrize("case", list(IOU_CASES))
def test_iou_metrics_stream_like_keras(case):
    class_name, kwargs, batches = IOU_CASES[case]
    float_metric = kwargs.get("dtype") == "float32"
    ours = getattr(metrics, class_name)(**kwargs)
    ref = getattr(keras.metrics, class_name)(**kwargs)
    assert ours.name == re.sub(r"_\d+$", "", ref.name)  # Keras numbers repeated names
    one_hot = class_name.startswith("OneHot")
    # Unweighted, then weighted (int weights for the int32 default, float weights for float32,
    # and float weights on int32, which Keras 3 truncates with a warning: weights >= 1 survive).
    weightings = ["none", "int" if not float_metric else "float"]
    if case in ("iou", "one_hot_mean_iou", "mean_iou_dense_pred"):
        weightings.append("float")
    for weighting in weightings:
        for y_true, y_pred in batches:
            labels_shape = np.shape(y_true)[:-1] if one_hot else np.shape(y_true)
            sw = None if weighting == "none" else _weights(labels_shape, weighting == "float")
            if weighting == "float" and not float_metric:
                sw = sw * 1.5
            warned = _update_both(ours, ref, y_true, y_pred, sw)
            assert warned == (weighting == "float" and not float_metric)
            _close(ours.result(), ref.result())
            _close(ours.total_cm, ref.total_cm.value)
    [variable] = ours.variables
    assert variable.shape == tuple(ref.total_cm.shape)
    assert str(variable.dtype) == ref.total_cm.dtype
    assert ref.total_cm.path.endswith("/" + list(ours._state)[0])
    ours.reset_state()
    ref.reset_state()
    _close(ours.result(), ref.result())
    y_true, y_pred = batches[0]
    ours.update_state(y_true, y_pred)
    ref.update_state(y_true, y_pred)
    _close(ours.result(), ref.result())


def test_iou_row_weights_cover_every_label_of_the_row():
    # (batch,) weights of (batch, h, w) labels weight every pixel of their row (Keras 3 needs
    # them broadcast by hand; `fit` passes such weights for the padded last batch).
    y_true, y_pred = rng.integers(0, 3, (4, 2, 3)), rng.integers(0, 3, (4, 2, 3))
    sw = np.array([1, 0, 2, 1], "int32")
    ours = metrics.MeanIoU(num_classes=3)
    ref = keras.metrics.MeanIoU(num_classes=3)
    ours.update_state(y_true, y_pred, sample_weight=sw)
    ref.update_state(y_true, y_pred, sample_weight=np.broadcast_to(sw[:, None, None], (4, 2, 3)))
    _close(ours.result(), ref.result())


def test_iou_docstring_examples():
    m = metrics.MeanIoU(num_classes=2, dtype="float32")
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    # cm = [[.3, .3], [.3, .1]]: iou = [.3 / .9, .1 / .7]
    _close(m.result(), (0.3 / 0.9 + 0.1 / 0.7) / 2)
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3, dtype="float32")
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    _close(m.result(), (0.2 / 0.9 + 0.1 / 0.8) / 2)


def test_iou_pure_protocol_runs_under_jit():
    metric = metrics.OneHotMeanIoU(num_classes=3)
    ref = keras.metrics.OneHotMeanIoU(num_classes=3)
    update = jax.jit(metric.update)
    state = metric.init()
    assert set(state) == {"total_confusion_matrix"}
    for y_true, y_pred in _dense_batches(3, 5, True):
        state = update(state, y_true, y_pred, np.ones(5, "float32"))
        ref.update_state(y_true, y_pred)
    _close(jax.jit(metric.compute)(state), ref.result())


def test_iou_config_round_trip_and_lookup():
    cases = [("IoU", dict(num_classes=3, target_class_ids=[0, 2], ignore_class=255, axis=1)),
             ("MeanIoU", dict(num_classes=4, sparse_y_true=False)),
             ("BinaryIoU", dict(target_class_ids=[1], threshold=0.2)),
             ("OneHotIoU", dict(num_classes=3, target_class_ids=[1], sparse_y_pred=True)),
             ("OneHotMeanIoU", dict(num_classes=5, name="ohm"))]
    for class_name, kwargs in cases:
        ours = getattr(metrics, class_name)(**kwargs)
        ref = getattr(keras.metrics, class_name)(**kwargs)
        config = ours.get_config()
        ref_config = dict(ref.get_config())
        if "name" not in kwargs:  # Keras numbers repeated auto names
            ref_config["name"] = config["name"]
        assert config == ref_config, class_name
        # Serialized like Keras, and Keras 3's own config rebuilds it.
        rebuilt = metrics.deserialize(json.loads(json.dumps(metrics.serialize(ours))))
        assert type(rebuilt) is type(ours) and rebuilt.get_config() == config
        keras_side = metrics.get({"class_name": class_name, "config": ref.get_config()})
        assert type(keras_side) is type(ours)
    assert isinstance(metrics.get("binary_io_u"), metrics.BinaryIoU)
    assert isinstance(metrics.get("BinaryIoU"), metrics.BinaryIoU)
    for name, cls in [("io_u", metrics.IoU), ("mean_io_u", metrics.MeanIoU),
                      ("one_hot_io_u", metrics.OneHotIoU),
                      ("one_hot_mean_io_u", metrics.OneHotMeanIoU)]:
        assert metrics._NAMES.table[name] is cls
        assert keras.src.metrics.ALL_OBJECTS_DICT[name].__name__ == cls.__name__
        with pytest.raises(TypeError, match="num_classes"):  # as in Keras: it needs arguments
            metrics.get(name)


def test_iou_bad_arguments():
    with pytest.raises(ValueError, match=r"Target class id 3 is out of range, which is \[0, 3\)"):
        metrics.IoU(num_classes=3, target_class_ids=[0, 3])
    with pytest.raises(ValueError, match="Target class id 2 is out of range"):
        metrics.BinaryIoU(target_class_ids=[2])
    with pytest.raises(ValueError, match="Target class id -1"):
        metrics.OneHotIoU(num_classes=3, target_class_ids=[-1, 1])
    with pytest.raises(ValueError, match="num_classes.*positive int.*num_classes=0"):
        metrics.MeanIoU(num_classes=0)
    with pytest.raises(ValueError, match="target_class_ids"):
        metrics.IoU(num_classes=3, target_class_ids=[])
    # Keras 3 raises for the out-of-range id too.
    with pytest.raises(ValueError, match="Target class id 3 is out of range"):
        keras.metrics.IoU(num_classes=3, target_class_ids=[0, 3])


# --- correlation metrics -------------------------------------------------------------------------


@pytest.mark.parametrize("class_name, fn_name", [("PearsonCorrelation", "pearson_correlation"),
                                                 ("ConcordanceCorrelation",
                                                  "concordance_correlation")])
@pytest.mark.parametrize("axis", [-1, (1, 2)])
def test_correlation_metrics_match_keras(class_name, fn_name, axis):
    shape = (5, 4) if axis == -1 else (5, 3, 4)
    ours = getattr(metrics, class_name)(axis=axis)
    ref = getattr(keras.metrics, class_name)(axis=axis)
    assert ours.name == ref.name == fn_name
    for weighted in (False, True, True):
        y_true = rng.normal(size=shape).astype("float32")
        y_pred = (y_true + rng.normal(scale=0.7, size=shape)).astype("float32")
        sw = rng.uniform(0, 2, shape[0]).astype("float32") if weighted else None
        _close(getattr(metrics, fn_name)(y_true, y_pred, axis=axis),
               getattr(keras.metrics, fn_name)(y_true, y_pred, axis=axis), rtol=1e-4, atol=1e-5)
        ours.update_state(y_true, y_pred, sample_weight=sw)
        ref.update_state(y_true, y_pred, sample_weight=sw)
        _close(ours.result(), ref.result(), rtol=1e-4, atol=1e-5)
    ours.reset_state()
    ref.reset_state()
    _close(ours.result(), ref.result())
    config = ours.get_config()
    assert config == {"name": fn_name, "dtype": "float32", "axis": axis} == ref.get_config()
    rebuilt = metrics.deserialize(json.loads(json.dumps(metrics.serialize(ours))))
    assert type(rebuilt) is type(ours) and tuple(np.atleast_1d(rebuilt.axis)) == tuple(
        np.atleast_1d(axis))
    y_true = rng.normal(size=shape).astype("float32")
    fresh = getattr(keras.metrics, class_name)(axis=axis)
    _close(rebuilt(y_true, 2 * y_true + 1), fresh(y_true, 2 * y_true + 1), rtol=1e-4, atol=1e-5)
    assert metrics.get(fn_name) is getattr(metrics, fn_name)
    assert isinstance(metrics.get(class_name), getattr(metrics, class_name))


# --- losses ------------------------------------------------------------------------------------


def _masks(shape):
    return ((rng.random(shape) > 0.5).astype("float32"), rng.random(shape).astype("float32"))


@pytest.mark.parametrize("name, kwargs", [
    ("Dice", {}), ("Dice", {"axis": (1, 2, 3)}), ("Dice", {"axis": [1, 2]}),
    ("Tversky", {}), ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)}),
])
def test_dice_tversky_match_keras(name, kwargs):
    y_true, y_pred = _masks((4, 3, 3, 2))
    sw = rng.uniform(0.2, 2, 4).astype("float32")
    for reduction in ("sum_over_batch_size", "sum", "none"):
        ours = getattr(losses, name)(reduction=reduction, **kwargs)
        ref = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        _close(ours(y_true, y_pred), ref(y_true, y_pred))
        if kwargs.get("axis") == (1, 2, 3):  # one value per sample: weights apply per sample
            _close(ours(y_true, y_pred, sample_weight=sw), ref(y_true, y_pred, sample_weight=sw))
    fn = getattr(losses, name.lower())
    _close(fn(y_true, y_pred, **kwargs), getattr(keras.losses, name.lower())(
        y_true, y_pred, **{k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}))
    assert ours.get_config() == ref.get_config()
    rebuilt = losses.deserialize(json.loads(json.dumps(losses.serialize(ours))))
    _close(rebuilt(y_true, y_pred), ref(y_true, y_pred))


def _unit_embeddings(batch, dim):
    e = rng.normal(size=(batch, dim)).astype("float32")
    return e / np.linalg.norm(e, axis=1, keepdims=True)


def _reductions(cls, kwargs, reductions=("sum_over_batch_size", "none")):
    """One jitted function giving `cls(**kwargs)`'s loss for each reduction, with and without
    sample weights (Keras 3's eager CTC and Circle are slow; both sides run jitted)."""
    def run(y_true, y_pred, sample_weight):
        return [cls(reduction=r, **kwargs)(y_true, y_pred, sample_weight=w)
                for r in reductions for w in (None, sample_weight)]
    return jax.jit(run)


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 2.0, "margin": 0.25},
                                    {"gamma": 5.0, "remove_diagonal": False}])
def test_circle_matches_keras(kwargs):
    embeddings = _unit_embeddings(8, 5)
    # Label 3 occurs once: that row has no positive pair, scores 0 and is left out of the mean.
    labels = np.array([0, 1, 0, 1, 2, 2, 0, 3])
    sw = rng.uniform(0.5, 2, 8).astype("float32")
    got = _reductions(losses.Circle, kwargs)(labels, embeddings, sw)
    want = _reductions(keras.losses.Circle, kwargs)(labels, embeddings, sw)
    for g, w in zip(got, want):
        _close(g, w, rtol=1e-4)
    fn_kwargs = {"gamma": 80, "margin": 0.4, "remove_diagonal": True, **kwargs}
    refs = _unit_embeddings(6, 5)
    ref_labels = np.array([0, 1, 2, 3, 0, 1])
    _close(losses.circle(labels, embeddings, ref_labels=ref_labels, ref_embeddings=refs,
                         **fn_kwargs),
           keras.losses.circle(labels, embeddings, ref_labels=ref_labels, ref_embeddings=refs,
                               **fn_kwargs), rtol=1e-4)
    ours = losses.Circle(**kwargs)
    assert ours.get_config() == keras.losses.Circle(**kwargs).get_config()
    # The metric form averages like a Keras 3 MeanMetricWrapper over `circle`.
    ours_metric = metrics.MeanMetricWrapper(losses.circle, name="circle", **kwargs)
    ref_metric = keras.metrics.MeanMetricWrapper(keras.losses.circle, name="circle", **kwargs)
    ours_metric.update_state(labels, embeddings, sample_weight=sw)
    ref_metric.update_state(labels, embeddings, sample_weight=sw)
    _close(ours_metric.result(), ref_metric.result(), rtol=1e-4)


def test_ctc_matches_keras():
    logits = rng.normal(size=(3, 7, 5)).astype("float32")
    labels = np.array([[1, 2, 2, 0], [3, 1, 4, 2], [4, 0, 0, 0]])  # 0 pads (blank)
    sw = np.array([1.0, 0.5, 2.0], "float32")
    got = _reductions(losses.CTC, {}, ("sum_over_batch_size",))(labels, logits, sw)
    want = _reductions(keras.losses.CTC, {}, ("sum_over_batch_size",))(labels, logits, sw)
    for g, w in zip(got, want):
        _close(g, w, rtol=1e-4)
    _close(jax.jit(losses.ctc)(labels, logits), jax.jit(keras.losses.ctc)(labels, logits),
           rtol=1e-4)
    assert losses.CTC().get_config() == keras.losses.CTC().get_config()
    grads = jax.jit(jax.grad(lambda z: losses.CTC()(labels, z)))(logits)
    assert np.all(np.isfinite(grads))
    with pytest.raises(ValueError, match=r"`\(batch_size, max_length\)`.*y_true.shape=\(3,\)"):
        losses.ctc(labels[:, 0], logits)
    with pytest.raises(ValueError, match=r"Logits `y_pred`.*y_pred.shape=\(3, 7\)"):
        losses.ctc(labels, logits[..., 0])


@pytest.mark.parametrize("q", [0.5, 0.1, 0.9])
def test_categorical_generalized_cross_entropy_matches_keras(q):
    probs = rng.random((6, 4)).astype("float32") + 0.05
    probs /= probs.sum(-1, keepdims=True)
    labels = rng.integers(0, 4, 6)
    sw = rng.uniform(0.1, 2, 6).astype("float32")
    _close(losses.categorical_generalized_cross_entropy(labels, probs, q),
           keras.losses.categorical_generalized_cross_entropy(labels, probs, q))
    ours = losses.CategoricalGeneralizedCrossEntropy(q=q)
    ref = keras.losses.CategoricalGeneralizedCrossEntropy(q=q)
    _close(ours(labels, probs), ref(labels, probs))
    _close(ours(labels, probs, sample_weight=sw), ref(labels, probs, sample_weight=sw))
    # (batch, 1) labels mean the same as (batch,) labels.
    _close(ours(labels[:, None], probs), ref(labels, probs))
    assert ours.get_config() == ref.get_config()
    for bad in (0, 1, 1.5, -0.2):
        with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\)"):
            losses.CategoricalGeneralizedCrossEntropy(q=bad)


def test_loss_lookup_and_serialization():
    for name in ("dice", "tversky", "circle", "ctc", "categorical_generalized_cross_entropy"):
        assert losses.get(name) is getattr(losses, name)
        if name in keras.src.losses.ALL_OBJECTS_DICT:  # Keras 3 has no name for the last one
            assert keras.losses.get(name).__name__ == name
        assert losses.serialize(getattr(losses, name)) == name
    for cls_name in ("Dice", "Tversky", "Circle", "CTC", "CategoricalGeneralizedCrossEntropy"):
        ours = losses.get(cls_name)
        ref = getattr(keras.losses, cls_name)()
        assert type(ours).__name__ == cls_name and ours.name == ref.name
        assert ours.get_config() == ref.get_config()
        rebuilt = losses.get({"class_name": cls_name, "config": ref.get_config()})
        assert type(rebuilt) is type(ours)


# --- in compile / fit / evaluate -------------------------------------------------------------


def _twin_models(build):
    ours = build(jkeras, layers)
    ref = build(keras, keras.layers)
    ref.set_weights(ours.get_weights())
    return ours, ref


def test_fit_logs_match_keras_for_iou_metrics():
    def build(k, L):
        return k.Sequential([L.Input((4,)), L.Dense(3, activation="softmax")])

    x = rng.normal(size=(40, 4)).astype("float32")
    y = rng.integers(0, 3, 40)
    sw = rng.uniform(0.5, 1.5, 40).astype("float32")
    ours, ref = _twin_models(build)

    def metric_list(m):
        # Explicit names: Keras numbers auto names already used in this process.
        return [m.MeanIoU(num_classes=3, sparse_y_pred=False, name="mean_io_u"),
                m.IoU(num_classes=3, target_class_ids=[0, 2], sparse_y_pred=False, name="iou02")]

    ours.compile(optimizer=jkeras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                 metrics=metric_list(metrics),
                 weighted_metrics=[metrics.MeanIoU(num_classes=3, sparse_y_pred=False,
                                                   dtype="float32", name="wiou")])
    ref.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                metrics=metric_list(keras.metrics),
                weighted_metrics=[keras.metrics.MeanIoU(num_classes=3, sparse_y_pred=False,
                                                        dtype="float32", name="wiou")])
    # 40 rows in batches of 16: the short last batch is padded by jkeras and must not count.
    history = ours.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False,
                       verbose=0)
    ref_history = ref.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False,
                          verbose=0)
    for key in ("loss", "mean_io_u", "iou02", "wiou"):
        _close(history.history[key], ref_history.history[key], rtol=1e-4, atol=1e-5)


def test_fit_logs_match_keras_for_dice_and_correlations():
    def build(k, L):
        return k.Sequential([L.Input((5,)), L.Dense(4, activation="sigmoid")])

    x = rng.normal(size=(40, 5)).astype("float32")
    y = (rng.random((40, 4)) > 0.5).astype("float32")
    ours, ref = _twin_models(build)
    for model, m, ls, opt in ((ours, metrics, losses, jkeras.optimizers.SGD(0.5)),
                              (ref, keras.metrics, keras.losses, keras.optimizers.SGD(0.5))):
        model.compile(optimizer=opt, loss=ls.Dice(),
                      metrics=[m.PearsonCorrelation(), m.ConcordanceCorrelation(),
                               m.BinaryIoU(target_class_ids=[1], threshold=0.5,
                                           name="binary_io_u")])
    history = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    ref_history = ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for key in ("loss", "pearson_correlation", "concordance_correlation", "binary_io_u"):
        _close(history.history[key], ref_history.history[key], rtol=1e-4, atol=1e-5)
    _close(ours.get_weights()[0], ref.get_weights()[0], rtol=1e-4, atol=1e-5)
    results = ours.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    ref_results = ref.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    for key in ref_results:
        _close(results[key], ref_results[key], rtol=1e-4, atol=1e-5)


def test_evaluate_matches_keras_for_ctc_and_circle():
    x_seq = rng.normal(size=(10, 6, 3)).astype("float32")
    labels = np.array([[1 + (i + j) % 4 for j in range(i % 3 + 1)] + [0] * (2 - i % 3)
                       for i in range(10)])
    x = rng.normal(size=(10, 5)).astype("float32")
    classes = rng.integers(0, 3, 10)
    cases = [
        (lambda k, L: k.Sequential([L.Input((6, 3)), L.Dense(5)]), "CTC", {}, x_seq, labels),
        (lambda k, L: k.Sequential([L.Input((5,)), L.Dense(4), L.UnitNormalization()]),
         "Circle", {"gamma": 4.0}, x, classes),
    ]
    for build, loss_name, kwargs, inputs, targets in cases:
        ours, ref = _twin_models(build)
        ours.compile(optimizer="sgd", loss=getattr(losses, loss_name)(**kwargs))
        ref.compile(optimizer="sgd", loss=getattr(keras.losses, loss_name)(**kwargs))
        # batch_size=4: the last batch of 2 is padded by jkeras.
        got = ours.evaluate(inputs, targets, batch_size=4, verbose=0)
        want = ref.evaluate(inputs, targets, batch_size=4, verbose=0)
        _close(got, want, rtol=1e-4, atol=1e-5)

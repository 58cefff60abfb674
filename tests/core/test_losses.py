"""Losses against NumPy formulas written here and against Keras 3 (JAX backend)."""
import json

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads
from keras.src.backend import set_keras_mask
from keras.src.losses.loss import reduce_weighted_values as keras_reduce_weighted_values

from jkeras import losses
from jkeras.core import losses as core_losses

EPS = 1e-7
RTOL, ATOL = 1e-5, 1e-6
rng = np.random.default_rng(1234)


def _rand(*shape, low=0.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype("float32")


def _probs(*shape):
    x = _rand(*shape, low=0.05, high=1.0)
    return x / x.sum(-1, keepdims=True)


def _onehot(labels, classes):
    return np.eye(classes, dtype="float32")[labels]


# --- NumPy references (float64) ---------------------------------------------


def np_log_softmax(x, axis=-1):
    x = x - x.max(axis, keepdims=True)
    return x - np.log(np.exp(x).sum(axis, keepdims=True))


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def np_cce(t, p, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        logp = np_log_softmax(p)
    else:
        logp = np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS))
    return -(t * logp).sum(-1)


def np_bce(t, p, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return (np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))).mean(-1)
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def np_binary_focal(t, p, gamma=2.0, alpha=0.25, balance=False, from_logits=False):
    p = np_sigmoid(p) if from_logits else p
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if balance:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return out.mean(-1)


def np_categorical_focal(t, p, gamma=2.0, alpha=0.25, from_logits=False):
    p = np.exp(np_log_softmax(p)) if from_logits else p
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - p) ** gamma * -t * np.log(p)).sum(-1)


def np_cosine(t, p):
    tn = t / np.maximum(np.linalg.norm(t, axis=-1, keepdims=True), EPS)
    pn = p / np.maximum(np.linalg.norm(p, axis=-1, keepdims=True), EPS)
    return -(tn * pn).sum(-1)


def np_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2).mean(-1)


NP_REFERENCES = {
    "mean_squared_error": lambda t, p: ((t - p) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: np.abs(t - p).mean(-1),
    "mean_absolute_percentage_error":
        lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "mean_squared_logarithmic_error": lambda t, p: (
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1),
    "hinge": lambda t, p: np.maximum(1 - np_hinge_labels(t) * p, 0).mean(-1),
    "squared_hinge": lambda t, p: (np.maximum(1 - np_hinge_labels(t) * p, 0) ** 2).mean(-1),
    "categorical_hinge": lambda t, p: np.maximum(
        ((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
    "log_cosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "huber": np_huber,
    "kl_divergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(
        np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "cosine_similarity": np_cosine,
    "categorical_crossentropy": np_cce,
    "binary_crossentropy": np_bce,
    "binary_focal_crossentropy": np_binary_focal,
    "categorical_focal_crossentropy": np_categorical_focal,
}


def _inputs(name, shape=(6, 4)):
    if name in ("categorical_crossentropy", "categorical_focal_crossentropy", "kl_divergence",
                "categorical_hinge"):
        return _onehot(rng.integers(0, shape[-1], shape[:-1]), shape[-1]), _probs(*shape)
    if name in ("binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge"):
        return (rng.random(shape) > 0.5).astype("float32"), _rand(*shape, low=0.02, high=0.98)
    if name in ("poisson", "mean_squared_logarithmic_error"):
        return _rand(*shape, high=3.0), _rand(*shape, low=0.1, high=3.0)
    return _rand(*shape, low=-2, high=2), _rand(*shape, low=-2, high=2)


FUNCTION_CASES = [(name, (6, 4)) for name in sorted(NP_REFERENCES)] + [
    (name, (2, 3, 4)) for name in ("mean_squared_error", "hinge", "categorical_crossentropy",
                                   "binary_crossentropy", "cosine_similarity")]


@pytest.mark.parametrize("name,shape", FUNCTION_CASES)
def test_function_matches_numpy_and_keras(name, shape):
    y_true, y_pred = _inputs(name, shape)
    got = np.asarray(getattr(losses, name)(y_true, y_pred))
    assert got.shape == shape[:-1] and got.dtype == np.float32
    want = NP_REFERENCES[name](y_true.astype("float64"), y_pred.astype("float64"))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    keras_value = np.asarray(getattr(keras.losses, name)(y_true, y_pred))
    np.testing.assert_allclose(got, keras_value, rtol=RTOL, atol=ATOL)


def test_hinge_keeps_signed_labels():
    y_true = np.array([[-1.0, 1.0, 1.0], [1.0, -1.0, -1.0]], "float32")
    y_pred = _rand(2, 3, low=-2, high=2)
    want = np.maximum(1 - y_true * y_pred, 0).mean(-1)
    np.testing.assert_allclose(losses.hinge(y_true, y_pred), want, rtol=1e-6)


@pytest.mark.parametrize("name", ["categorical_crossentropy", "binary_crossentropy"])
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_crossentropy_options(name, from_logits, label_smoothing):
    y_true, y_pred = _inputs(name, (6, 4))
    if from_logits:
        y_pred = _rand(6, 4, low=-4, high=4)
    fn = getattr(losses, name)
    got = fn(y_true, y_pred, from_logits=from_logits, label_smoothing=label_smoothing)
    ref = np_cce if name.startswith("categorical") else np_bce
    want = ref(y_true.astype("float64"), y_pred.astype("float64"), from_logits, label_smoothing)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    keras_value = getattr(keras.losses, name)(y_true, y_pred, from_logits=from_logits,
                                              label_smoothing=label_smoothing)
    np.testing.assert_allclose(got, keras_value, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("balance", [False, True])
def test_binary_focal_options(from_logits, balance):
    y_true = (rng.random((6, 4)) > 0.5).astype("float32")
    y_pred = _rand(6, 4, low=-3, high=3) if from_logits else _rand(6, 4, low=0.02, high=0.98)
    kwargs = dict(apply_class_balancing=balance, alpha=0.3, gamma=1.5, from_logits=from_logits)
    got = losses.binary_focal_crossentropy(y_true, y_pred, **kwargs)
    want = np_binary_focal(y_true, y_pred.astype("float64"), 1.5, 0.3, balance, from_logits)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    keras_value = keras.losses.binary_focal_crossentropy(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(got, keras_value, rtol=RTOL, atol=ATOL)


def test_categorical_focal_from_logits_and_alpha_list():
    y_true = _onehot(rng.integers(0, 4, 6), 4)
    y_pred = _rand(6, 4, low=-3, high=3)
    alpha = [0.2, 0.5, 0.1, 0.3]
    got = losses.categorical_focal_crossentropy(y_true, y_pred, alpha=alpha, from_logits=True)
    want = np_categorical_focal(y_true, y_pred.astype("float64"), 2.0, np.array(alpha), True)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        got, keras.losses.categorical_focal_crossentropy(y_true, y_pred, alpha=alpha,
                                                         from_logits=True), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("label_shape", ["flat", "column"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy(label_shape, from_logits):
    labels = rng.integers(0, 4, 6)
    y_pred = _rand(6, 4, low=-3, high=3) if from_logits else _probs(6, 4)
    y_true = labels if label_shape == "flat" else labels[:, None]
    got = losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits)
    want = np_cce(_onehot(labels, 4), y_pred.astype("float64"), from_logits)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, keras.losses.sparse_categorical_crossentropy(
        y_true, y_pred, from_logits=from_logits), rtol=RTOL, atol=ATOL)


def test_sparse_categorical_crossentropy_sequence_and_ignore_class():
    labels = rng.integers(0, 3, (2, 5))
    labels[0, 1] = labels[1, 3] = 2
    y_pred = _probs(2, 5, 3)
    got = losses.sparse_categorical_crossentropy(labels, y_pred, ignore_class=2)
    want = np.where(labels == 2, 0.0, np_cce(_onehot(labels, 3), y_pred.astype("float64")))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # The Loss leaves the ignored entries out of the average, as Keras does.
    jk = losses.SparseCategoricalCrossentropy(ignore_class=2)(labels, y_pred)
    np.testing.assert_allclose(jk, want.sum() / (labels != 2).sum(), rtol=1e-5)
    k3 = keras.losses.SparseCategoricalCrossentropy(ignore_class=2)(labels, y_pred)
    np.testing.assert_allclose(jk, k3, rtol=RTOL)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="same shape"):
        losses.binary_crossentropy(np.zeros((4,)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="y_true.shape"):
        losses.sparse_categorical_crossentropy(np.zeros((4, 2)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_crossentropy(np.ones((2, 3)), np.ones((2, 3)), axis=True)


# --- Loss classes -------------------------------------------------------------

CLASS_CASES = [
    ("MeanSquaredError", "mean_squared_error", {}),
    ("MeanAbsoluteError", "mean_absolute_error", {}),
    ("MeanAbsolutePercentageError", "mean_absolute_percentage_error", {}),
    ("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", {}),
    ("CosineSimilarity", "cosine_similarity", {}),
    ("Huber", "huber", {"delta": 0.5}),
    ("LogCosh", "log_cosh", {}),
    ("Hinge", "hinge", {}),
    ("SquaredHinge", "squared_hinge", {}),
    ("CategoricalHinge", "categorical_hinge", {}),
    ("KLDivergence", "kl_divergence", {}),
    ("Poisson", "poisson", {}),
    ("BinaryCrossentropy", "binary_crossentropy", {"label_smoothing": 0.1}),
    ("BinaryFocalCrossentropy", "binary_focal_crossentropy", {"apply_class_balancing": True}),
    ("CategoricalCrossentropy", "categorical_crossentropy", {"label_smoothing": 0.1}),
    ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy", {"gamma": 1.0}),
]


@pytest.mark.parametrize("cls_name,fn_name,kwargs", CLASS_CASES)
@pytest.mark.parametrize("weights", [None, "batch", "column"])
def test_loss_class_matches_keras(cls_name, fn_name, kwargs, weights):
    y_true, y_pred = _inputs(fn_name, (6, 4))
    sample_weight = {None: None, "batch": _rand(6), "column": _rand(6, 1)}[weights]
    jk = getattr(losses, cls_name)(**kwargs)
    k3 = getattr(keras.losses, cls_name)(**kwargs)
    got = jk(y_true, y_pred, sample_weight=sample_weight)
    np.testing.assert_allclose(got, k3(y_true, y_pred, sample_weight=sample_weight),
                               rtol=RTOL, atol=ATOL)
    per_sample = NP_REFERENCES[fn_name](y_true.astype("float64"), y_pred.astype("float64"),
                                        **{k: v for k, v in kwargs.items() if k == "delta"})
    if not kwargs or "delta" in kwargs:
        w = np.ones(6) if sample_weight is None else sample_weight.reshape(6)
        np.testing.assert_allclose(got, (per_sample * w).mean(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(jk.call(y_true, y_pred), k3.call(y_true, y_pred), rtol=RTOL,
                               atol=ATOL)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean",
                                       "mean_with_sample_weight", "none", None])
@pytest.mark.parametrize("weights", [None, "batch", "timestep"])
def test_reductions_on_sequences(reduction, weights):
    y_true, y_pred = _rand(3, 5, 2), _rand(3, 5, 2)
    sample_weight = {None: None, "batch": _rand(3), "timestep": _rand(3, 5)}[weights]
    got = losses.MeanSquaredError(reduction=reduction)(y_true, y_pred, sample_weight)
    # Keras 3 needs (batch, 1) weights here; jkeras also takes (batch,) as Keras 2 did.
    keras_weight = sample_weight[:, None] if weights == "batch" else sample_weight
    want = keras.losses.MeanSquaredError(reduction=reduction)(y_true, y_pred, keras_weight)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    values = ((y_true - y_pred) ** 2).mean(-1)
    w = np.ones((3, 5)) if sample_weight is None else sample_weight.reshape(3, -1) * np.ones((3, 5))
    expected = {"sum": (values * w).sum(), "none": values * w, None: values * w,
                # divides by the sum of the weights as given (before broadcasting)
                "mean_with_sample_weight":
                    (values * w).sum() / (sample_weight.sum() if weights else 15)}
    np.testing.assert_allclose(got, expected.get(reduction, (values * w).sum() / 15), rtol=1e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("with_weights", [False, True])
def test_mask_is_applied_as_keras_applies_the_output_mask(reduction, with_weights):
    y_true, y_pred = _rand(3, 5, 2), _rand(3, 5, 2)
    mask = np.ones((3, 5), bool)
    mask[0, 3:] = mask[2, 1:] = False
    sample_weight = _rand(3, 1) if with_weights else None
    got = losses.MeanAbsoluteError(reduction=reduction)(y_true, y_pred, sample_weight, mask=mask)
    masked_pred = jnp.asarray(y_pred)
    set_keras_mask(masked_pred, jnp.asarray(mask))
    want = keras.losses.MeanAbsoluteError(reduction=reduction)(y_true, masked_pred, sample_weight)
    if with_weights:  # (batch,) weights give the same (Keras 2 broadcasting)
        np.testing.assert_allclose(got, losses.MeanAbsoluteError(reduction=reduction)(
            y_true, y_pred, sample_weight[:, 0], mask=mask), rtol=1e-6)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    if reduction == "sum_over_batch_size":
        w = (np.ones((3, 1)) if sample_weight is None else sample_weight) * mask
        values = np.abs(y_true - y_pred).mean(-1)
        np.testing.assert_allclose(got, (values * w).sum() / mask.sum(), rtol=1e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_reduce_weighted_values_matches_keras(reduction):
    values = _rand(4, 3)
    sample_weight = _rand(4, 1)
    mask = rng.random((4, 3)) > 0.3
    got = core_losses.reduce_weighted_values(values, sample_weight, mask, reduction)
    want = keras_reduce_weighted_values(values, sample_weight, mask, reduction)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_all_masked_gives_zero():
    got = losses.MeanSquaredError()(_rand(2, 3), _rand(2, 3), mask=np.zeros((2,), bool))
    assert float(got) == 0.0


def test_loss_function_wrapper_and_subclass():
    def scaled_abs(y_true, y_pred, scale=1.0):
        return scale * jnp.mean(jnp.abs(y_true - y_pred), axis=-1)

    y_true, y_pred = _rand(4), _rand(4, 1)  # (batch,) labels expanded to (batch, 1)
    wrapped = losses.LossFunctionWrapper(scaled_abs, scale=2.0)
    assert wrapped.name == "scaled_abs"
    np.testing.assert_allclose(wrapped(y_true, y_pred),
                               2 * np.abs(y_true - y_pred[:, 0]).mean(), rtol=1e-6)
    config = wrapped.get_config()
    assert config == {"name": "scaled_abs", "reduction": "sum_over_batch_size",
                      "fn": "scaled_abs", "scale": 2.0}
    restored = losses.deserialize(losses.serialize(wrapped),
                                  custom_objects={"scaled_abs": scaled_abs})
    np.testing.assert_allclose(restored(y_true, y_pred), wrapped(y_true, y_pred))

    class Cubed(losses.Loss):
        def call(self, y_true, y_pred):
            return jnp.mean((y_true - y_pred) ** 3, axis=-1)

    loss = Cubed()
    assert loss.name == "cubed" and loss.dtype == "float32"
    np.testing.assert_allclose(loss(_rand(2, 3) * 0 + 1, np.zeros((2, 3))), 1.0)


def test_jit_and_grad():
    y_true = _onehot(rng.integers(0, 4, 6), 4)
    logits = _rand(6, 4, low=-2, high=2)
    loss = losses.CategoricalCrossentropy(from_logits=True)
    jitted = jax.jit(lambda t, p, w: loss(t, p, w))
    w = _rand(6)
    np.testing.assert_allclose(jitted(y_true, logits, w), loss(y_true, logits, w), rtol=1e-6)
    grad = jax.grad(lambda p: loss(y_true, p))(jnp.asarray(logits))
    softmax = np.exp(np_log_softmax(logits.astype("float64")))
    np.testing.assert_allclose(grad, (softmax - y_true) / 6, rtol=1e-4, atol=1e-6)


GRAD_CASES = {
    "mean_squared_error": {}, "mean_absolute_error": {}, "mean_absolute_percentage_error": {},
    "mean_squared_logarithmic_error": {}, "log_cosh": {}, "huber": {}, "kl_divergence": {},
    "poisson": {}, "cosine_similarity": {}, "categorical_crossentropy": {"from_logits": True},
    "binary_crossentropy": {"from_logits": True}, "binary_focal_crossentropy": {},
    "categorical_focal_crossentropy": {}, "hinge": {}, "squared_hinge": {},
    "categorical_hinge": {}, "sparse_categorical_crossentropy": {"from_logits": True},
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_check_grads(name):
    if name == "sparse_categorical_crossentropy":
        y_true, y_pred = rng.integers(0, 4, 6), _rand(6, 4, low=-2, high=2)
    elif name in ("hinge", "squared_hinge", "categorical_hinge", "mean_absolute_error",
                  "mean_absolute_percentage_error", "huber"):
        # Stay away from the kinks: y_true * y_pred in [1.2, 1.8], so |error| in [0.2, 0.8] (away
        # from 0 and from huber's delta 1) and the hinge margins away from 1. (An added 0.4 once
        # put some errors next to 0 for y_true = -1: a flaky MAE check.)
        y_true = np.where(_rand(6, 4, low=-1, high=1) < 0, -1.0, 1.0).astype("float32")
        y_pred = y_true * _rand(6, 4, low=1.2, high=1.8)
        if name == "categorical_hinge":
            y_pred = y_pred + 0.4
            y_true = _onehot(rng.integers(0, 4, 6), 4)
    else:
        y_true, y_pred = _inputs(name, (6, 4))
    kwargs = GRAD_CASES[name]
    fn = getattr(losses, name)
    total = jax.jit(lambda p: jnp.sum(fn(y_true, p, **kwargs)))
    check_grads(total, (jnp.asarray(y_pred, "float32"),),
                order=1, modes=("rev",), atol=2e-2, rtol=2e-2, eps=1e-3)


# --- get / serialize / deserialize ------------------------------------------


@pytest.mark.parametrize("cls_name,fn_name,kwargs", CLASS_CASES + [
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", {"ignore_class": 3})])
def test_config_keys_and_json_round_trip(cls_name, fn_name, kwargs):
    jk = getattr(losses, cls_name)(**kwargs)
    keras_config = getattr(keras.losses, cls_name)(**kwargs).get_config()
    config = jk.get_config()
    for key, value in keras_config.items():
        assert config[key] == value, key
    restored = losses.deserialize(json.loads(json.dumps(losses.serialize(jk))))
    assert type(restored) is type(jk) and restored.get_config() == config
    assert isinstance(losses.get(cls_name), getattr(losses, cls_name))
    assert losses.get(fn_name) is getattr(losses, fn_name)
    assert losses.serialize(getattr(losses, fn_name)) == fn_name


def test_huber_config_keeps_delta():
    restored = losses.Huber.from_config(losses.Huber(delta=0.3).get_config())
    assert restored.delta == 0.3


@pytest.mark.parametrize("alias,target", [
    ("mse", "mean_squared_error"), ("MSE", "mean_squared_error"),
    ("mae", "mean_absolute_error"), ("MAE", "mean_absolute_error"),
    ("mape", "mean_absolute_percentage_error"), ("MAPE", "mean_absolute_percentage_error"),
    ("msle", "mean_squared_logarithmic_error"), ("MSLE", "mean_squared_logarithmic_error"),
    ("kld", "kl_divergence"), ("KLD", "kl_divergence"),
    ("kullback_leibler_divergence", "kl_divergence"), ("logcosh", "log_cosh"),
    ("cosine_proximity", "cosine_similarity"), ("bce", "binary_crossentropy"),
])
def test_aliases(alias, target):
    assert losses.get(alias) is getattr(losses, target)
    assert getattr(losses, alias) is getattr(losses, target)


def test_get_edge_cases():
    assert losses.get(None) is None
    instance = losses.get({"class_name": "CategoricalCrossentropy",
                           "config": {"from_logits": True}})
    assert instance.from_logits is True
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    fn = lambda y_true, y_pred: y_pred  # noqa: E731
    assert losses.get(fn) is fn
    # Keras 3's serialized form of a plain function.
    assert losses.get({"module": "builtins", "class_name": "function",
                       "config": "mean_squared_error", "registered_name": "function"}) \
        is losses.mean_squared_error
    with pytest.raises(ValueError, match="Valid names are:.*categorical_crossentropy"):
        losses.get("categorical_crossentropyy")
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


def test_keras2_reduction_names():
    assert losses.MeanSquaredError(reduction="auto").reduction == "sum_over_batch_size"
    loss = losses.MeanSquaredError(reduction=losses.Reduction.NONE)
    assert loss(np.zeros((3, 2)), np.ones((3, 2))).shape == (3,)
    assert set(losses.Reduction.all()) == {"auto", "none", "sum", "sum_over_batch_size"}


def test_core_module_exposes_classes():
    assert core_losses.CategoricalCrossentropy is losses.CategoricalCrossentropy
    assert core_losses.get("mse") is core_losses.mean_squared_error

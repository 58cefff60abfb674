"""jkeras.core.regularizers and jkeras.core.constraints against NumPy formulas
written here and Keras 3."""
import json

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

from jkeras import constraints as public_constraints
from jkeras import regularizers as public_regularizers
from jkeras.core import constraints, regularizers

EPSILON = 1e-7
RNG = np.random.RandomState(0)
DENSE = RNG.normal(0, 0.6, (5, 7)).astype(np.float32)
CONV = RNG.normal(0, 0.3, (3, 3, 4, 8)).astype(np.float32)
WITH_ZERO_ROW = np.concatenate([DENSE[:3], np.zeros((1, 7), np.float32)])


def _close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected,
                               rtol=rtol, atol=atol)


# ---------------------------------------------------------------- regularizers


def np_orthogonal_penalty(x, factor, mode):
    vectors = x.astype(np.float64) if mode == "rows" else x.T.astype(np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norms, EPSILON)
    n = len(unit)
    cosines = unit @ unit.T
    off_diagonal = np.abs(cosines).sum() - np.abs(np.diag(cosines)).sum()
    return factor * 0.5 * off_diagonal / (n * (n - 1) / 2)


REGULARIZER_CASES = [
    ("L1", {"l1": 0.3}, lambda x: 0.3 * np.abs(x).sum()),
    ("L2", {"l2": 0.2}, lambda x: 0.2 * np.square(x).sum()),
    ("L1L2", {"l1": 0.1, "l2": 0.05},
     lambda x: 0.1 * np.abs(x).sum() + 0.05 * np.square(x).sum()),
    ("L1L2", {"l2": 0.05}, lambda x: 0.05 * np.square(x).sum()),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "rows"},
     lambda x: np_orthogonal_penalty(x, 0.5, "rows")),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"},
     lambda x: np_orthogonal_penalty(x, 0.5, "columns")),
]


@pytest.mark.parametrize("x", [DENSE, WITH_ZERO_ROW], ids=["dense", "zeros"])
@pytest.mark.parametrize("name,kwargs,formula", REGULARIZER_CASES)
def test_regularizer_matches_numpy_and_keras(name, kwargs, formula, x):
    ours = getattr(regularizers, name)(**kwargs)
    value = ours(x)
    assert value.shape == () and value.dtype == jnp.float32
    _close(value, formula(x.astype(np.float64)))
    # a JAX array: Keras's NumPy path of OrthogonalRegularizer(mode="columns")
    # normalizes along the wrong axis
    _close(value, getattr(keras.regularizers, name)(**kwargs)(jnp.asarray(x)))


def test_regularizer_dense_formula_on_conv_kernel():
    _close(regularizers.L1L2(0.1, 0.2)(CONV),
           0.1 * np.abs(CONV).sum() + 0.2 * np.square(CONV).sum())


def test_keras2_functions():
    x = DENSE.astype(np.float64)
    _close(regularizers.l1(l=0.3)(DENSE), 0.3 * np.abs(x).sum())
    _close(regularizers.l2(l=0.2)(DENSE), 0.2 * np.square(x).sum())
    _close(regularizers.l1(0.3)(DENSE), 0.3 * np.abs(x).sum())
    _close(regularizers.l1_l2()(DENSE),
           0.01 * np.abs(x).sum() + 0.01 * np.square(x).sum())
    _close(regularizers.l1_l2(l2=0.1)(DENSE),
           0.01 * np.abs(x).sum() + 0.1 * np.square(x).sum())
    assert regularizers.orthogonal_regularizer is \
        regularizers.OrthogonalRegularizer


@pytest.mark.parametrize("name,l1,l2", [
    ("l1", 0.01, 0.0), ("L1", 0.01, 0.0), ("l2", 0.0, 0.01),
    ("L2", 0.0, 0.01), ("L1L2", 0.0, 0.0), ("l1l2", 0.0, 0.0),
    ("l1_l2", 0.01, 0.01),
])
def test_get_by_name(name, l1, l2):
    x = DENSE.astype(np.float64)
    _close(regularizers.get(name)(DENSE),
           l1 * np.abs(x).sum() + l2 * np.square(x).sum())
    if name != "l1_l2":  # Keras 3.15 no longer resolves the string 'l1_l2'
        _close(regularizers.get(name)(DENSE),
               keras.regularizers.get(name)(DENSE))


@pytest.mark.parametrize("reg", [
    regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.2),
    regularizers.OrthogonalRegularizer(0.3, "columns"),
], ids=lambda r: type(r).__name__)
def test_regularizer_config(reg):
    config = reg.get_config()
    keras_reg = getattr(keras.regularizers, type(reg).__name__)(**config)
    # Keras stores some factors as float32 tensors: 0.3 comes back 0.3000000119
    assert config == pytest.approx(keras_reg.get_config())
    restored = regularizers.get(
        json.loads(json.dumps(regularizers.serialize(reg))))
    assert type(restored) is type(reg) and restored.get_config() == config
    from_keras = regularizers.get(keras.regularizers.serialize(keras_reg))
    assert type(from_keras) is type(reg)
    assert from_keras.get_config() == pytest.approx(config)
    keras2 = {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.02}}
    assert regularizers.get(keras2).get_config() == {"l1": 0.0, "l2": 0.02}


def test_regularizer_get_forms_and_errors():
    assert regularizers.get(None) is None

    def my_reg(x):
        return jnp.sum(x)
    assert regularizers.get(my_reg) is my_reg
    assert isinstance(regularizers.get(regularizers.L2), regularizers.L2)
    assert regularizers.serialize(my_reg) == "my_reg"
    assert regularizers.deserialize("my_reg", {"my_reg": my_reg}) is my_reg
    with pytest.raises(ValueError, match="Unknown regularizer.*l1_l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="regularizer"):
        regularizers.get(0.1)
    with pytest.raises(ValueError, match="l1"):
        regularizers.L1(-0.1)
    with pytest.raises(ValueError, match="l2"):
        regularizers.L2(float("nan"))
    with pytest.raises(ValueError, match="mode"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(CONV)


@pytest.mark.parametrize("reg", [
    regularizers.L2(0.2), regularizers.L1L2(0.1, 0.2),
    regularizers.OrthogonalRegularizer(0.3),
], ids=lambda r: type(r).__name__)
def test_regularizer_gradients(reg):
    with jax.enable_x64(True):
        check_grads(reg, (jnp.asarray(DENSE[:3, :4], jnp.float64),), order=1,
                    modes=["rev"])


# ----------------------------------------------------------------- constraints


def np_norms(w, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sqrt(np.square(w).sum(axis=axis, keepdims=True))


def np_max_norm(w, max_value, axis):
    n = np_norms(w, axis)
    return w * np.clip(n, 0, max_value) / (EPSILON + n)


def np_min_max_norm(w, lo, hi, rate, axis):
    n = np_norms(w, axis)
    return w * (rate * np.clip(n, lo, hi) + (1 - rate) * n) / (EPSILON + n)


CONSTRAINT_CASES = [
    ("MaxNorm", {"max_value": 1.5, "axis": 0},
     lambda w: np_max_norm(w, 1.5, 0)),
    ("MaxNorm", {"max_value": 1.5, "axis": 1},
     lambda w: np_max_norm(w, 1.5, 1)),
    ("UnitNorm", {"axis": 0}, lambda w: w / (EPSILON + np_norms(w, 0))),
    ("NonNeg", {}, lambda w: np.maximum(w, 0)),
    ("MinMaxNorm", {"min_value": 1.2, "max_value": 1.6, "rate": 1.0,
                    "axis": 0},
     lambda w: np_min_max_norm(w, 1.2, 1.6, 1.0, 0)),
    ("MinMaxNorm", {"min_value": 1.2, "max_value": 1.6, "rate": 0.3,
                    "axis": 0},
     lambda w: np_min_max_norm(w, 1.2, 1.6, 0.3, 0)),
]
CONV_CASES = [
    ("MaxNorm", {"max_value": 1.7, "axis": [0, 1, 2]},
     lambda w: np_max_norm(w, 1.7, [0, 1, 2])),
    ("UnitNorm", {"axis": [0, 1, 2]},
     lambda w: w / (EPSILON + np_norms(w, [0, 1, 2]))),
    ("MinMaxNorm", {"min_value": 1.8, "max_value": 2.0, "rate": 0.5,
                    "axis": [0, 1, 2]},
     lambda w: np_min_max_norm(w, 1.8, 2.0, 0.5, [0, 1, 2])),
    ("NonNeg", {}, lambda w: np.maximum(w, 0)),
]


@pytest.mark.parametrize(
    "w,name,kwargs,formula",
    [(DENSE, *c) for c in CONSTRAINT_CASES]
    + [(CONV, *c) for c in CONV_CASES])
def test_constraint_matches_numpy_and_keras(w, name, kwargs, formula):
    ours = getattr(constraints, name)(**kwargs)(w)
    assert ours.shape == w.shape and ours.dtype == jnp.float32
    _close(ours, formula(w.astype(np.float64)))
    _close(ours, getattr(keras.constraints, name)(**kwargs)(w))


def test_constraint_cases_straddle_the_bounds():
    # the fixed inputs really exercise both sides of the bounds above
    dense_norms = np_norms(DENSE, 0).ravel()
    assert dense_norms.min() < 1.2 and dense_norms.max() > 1.6
    assert dense_norms.min() < 1.5 < dense_norms.max()
    conv_norms = np_norms(CONV, [0, 1, 2]).ravel()
    assert conv_norms.min() < 1.7 < conv_norms.max()
    assert conv_norms.min() < 1.8 < conv_norms.max()


def test_constraint_in_jit_update():
    constraint = constraints.MaxNorm(1.0)
    step = jax.jit(lambda w, g: constraint(w - 0.1 * g))
    _close(step(DENSE, DENSE), np_max_norm(0.9 * DENSE, 1.0, 0))


KERAS2_CONSTRAINT_NAMES = {
    "max_norm": "MaxNorm", "maxnorm": "MaxNorm", "MaxNorm": "MaxNorm",
    "non_neg": "NonNeg", "nonneg": "NonNeg", "NonNeg": "NonNeg",
    "unit_norm": "UnitNorm", "unitnorm": "UnitNorm", "UnitNorm": "UnitNorm",
    "min_max_norm": "MinMaxNorm", "MinMaxNorm": "MinMaxNorm",
}


@pytest.mark.parametrize("name", sorted(KERAS2_CONSTRAINT_NAMES))
def test_constraint_names(name):
    cls_name = KERAS2_CONSTRAINT_NAMES[name]
    assert type(constraints.get(name)).__name__ == cls_name
    assert getattr(constraints, name) is getattr(constraints, cls_name)


def test_every_keras_constraint_name_resolves():
    from keras.src.constraints import ALL_OBJECTS_DICT
    for name, cls in ALL_OBJECTS_DICT.items():
        if name not in ("Constraint", "constraint"):
            assert type(constraints.get(name)).__name__ == cls.__name__


@pytest.mark.parametrize("constraint", [
    constraints.MaxNorm(3.0, axis=[0, 1, 2]), constraints.NonNeg(),
    constraints.UnitNorm(axis=1),
    constraints.MinMaxNorm(0.5, 2.0, rate=0.7, axis=0),
], ids=lambda c: type(c).__name__)
def test_constraint_config(constraint):
    config = constraint.get_config()
    keras_constraint = getattr(keras.constraints,
                               type(constraint).__name__)(**config)
    assert config == keras_constraint.get_config()
    restored = constraints.get(
        json.loads(json.dumps(constraints.serialize(constraint))))
    assert type(restored) is type(constraint)
    assert restored.get_config() == config
    from_keras = constraints.get(keras.constraints.serialize(keras_constraint))
    assert from_keras.get_config() == config
    _close(restored(CONV), constraint(CONV))


def test_constraint_get_forms_and_errors():
    assert constraints.get(None) is None

    def clip_unit(w):
        return jnp.clip(w, -1, 1)
    assert constraints.get(clip_unit) is clip_unit
    assert constraints.serialize(clip_unit) == "clip_unit"
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)
    _close(constraints.Constraint()(DENSE), DENSE)
    with pytest.raises(ValueError, match="Unknown constraint.*max_norm"):
        constraints.get("max_norms")
    with pytest.raises(ValueError, match="constraint"):
        constraints.get(2)


def test_public_modules_reexport_core():
    for core, public in ((regularizers, public_regularizers),
                         (constraints, public_constraints)):
        for name in core.__all__:
            assert getattr(public, name) is getattr(core, name)
        assert set(public.__all__) == set(core.__all__)

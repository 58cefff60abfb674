"""jkeras.core.activations against NumPy formulas written here and Keras 3."""
import math

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

from jkeras import activations as public_activations
from jkeras.core import activations

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# Negative, zero, large, and values on both sides of every kink.
X = np.array([-50.0, -3.7, -2.5, -1.0, -0.3, 0.0, 0.3, 1.0, 2.5, 3.7, 6.5,
              50.0], np.float32)
# Rows for per-axis functions: ordinary, tied, and very large logits.
X_ROWS = np.array([[-1.0, 0.5, 2.0, 0.0, 0.4, 0.45],
                   [3.0, 3.0, -2.0, 0.0, 1.0, -7.0],
                   [1000.0, 999.0, -1000.0, 0.0, 998.5, 500.0]], np.float32)
# Kink-free points for the gradient checks (float64).
X_SMOOTH = np.array([-2.7, -1.3, -0.7, -0.2, 0.35, 0.8, 1.6, 2.9])


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softplus(x):
    return np.logaddexp(0.0, x)


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_sparsemax(x):
    """Projection onto the simplex: tau solves sum(max(x - tau, 0)) = 1,
    found by bisection (row by row)."""
    out = np.empty_like(x)
    for i, row in enumerate(x):
        lo, hi = row.min() - 1.0, row.max()
        for _ in range(200):
            tau = (lo + hi) / 2
            if np.maximum(row - tau, 0).sum() > 1:
                lo = tau
            else:
                hi = tau
        out[i] = np.maximum(row - (lo + hi) / 2, 0)
    return out


ERF = np.vectorize(math.erf)

ELEMENTWISE = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "celu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "softplus": np_softplus,
    "softsign": lambda x: x / (np.abs(x) + 1),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5,
                                      np.where(x < -0.5, x + 0.5, 0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "sparse_plus": lambda x: np.where(x <= -1, 0,
                                      np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "silu": lambda x: x * np_sigmoid(x),
    "swish": lambda x: x * np_sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + ERF(x / np.sqrt(2))),
    "tanh": np.tanh,
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "sigmoid": np_sigmoid,
    "log_sigmoid": lambda x: -np.logaddexp(0.0, -x),
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "exponential": np.exp,
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(np_softplus(x)),
}
PER_AXIS = {
    "softmax": np_softmax,
    "log_softmax": lambda x: (x - x.max(-1, keepdims=True)) - np.log(
        np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)),
    "sparsemax": np_sparsemax,
    "glu": lambda x: x[:, :3] * np_sigmoid(x[:, 3:]),
}
# Same name, different formula on purpose (hard_sigmoid), or Keras 3.15's
# sparsemax, whose outputs do not sum to 1 once two logits are in the support.
NOT_AS_KERAS = {"hard_sigmoid", "sparsemax"}
ALL_NAMES = sorted(ELEMENTWISE) + sorted(PER_AXIS) + ["threshold"]


def _close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected,
                               rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_matches_numpy_formula(name):
    fn = activations.get(name)
    x = X.astype(np.float64)
    _close(fn(X), ELEMENTWISE[name](x))
    out = fn(X.reshape(3, 4))
    assert out.shape == (3, 4) and out.dtype == jnp.float32


@pytest.mark.parametrize("name", sorted(PER_AXIS))
def test_per_axis_matches_numpy_formula(name):
    out = activations.get(name)(X_ROWS)
    _close(out, PER_AXIS[name](X_ROWS.astype(np.float64)), atol=1e-5)
    assert np.all(np.isfinite(np.asarray(out)))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "sparsemax"])
def test_per_axis_axis_argument(name):
    fn = getattr(activations, name)
    moved = fn(X_ROWS.T, axis=0).T
    _close(moved, PER_AXIS[name](X_ROWS.astype(np.float64)), atol=1e-5)


def test_probability_outputs_sum_to_one():
    for name in ("softmax", "sparsemax"):
        total = np.sum(np.asarray(getattr(activations, name)(X_ROWS)), -1)
        np.testing.assert_allclose(total, 1.0, rtol=1e-5)


def test_threshold_and_glu_arguments():
    _close(activations.threshold(X, 1.0, -9.0),
           np.where(X > 1.0, X, -9.0))
    x = X.reshape(6, 2)
    _close(activations.glu(x, axis=0), x[:3] * np_sigmoid(x[3:]))
    with pytest.raises(ValueError, match="even"):
        activations.glu(np.ones((2, 3), np.float32))


@pytest.mark.parametrize(
    "name", [n for n in ELEMENTWISE if n not in NOT_AS_KERAS])
def test_elementwise_matches_keras(name):
    _close(activations.get(name)(X), keras.activations.get(name)(X),
           atol=1e-6)


@pytest.mark.parametrize(
    "name", [n for n in PER_AXIS if n not in NOT_AS_KERAS])
def test_per_axis_matches_keras(name):
    _close(activations.get(name)(X_ROWS), keras.activations.get(name)(X_ROWS),
           atol=1e-5)


def test_hard_sigmoid_is_keras2_formula():
    # clip(0.2 x + 0.5, 0, 1): 0 from -2.5 down, 1 from 2.5 up; Keras 3's
    # relu6(x + 3) / 6 would give 1/3 at -1 and 2/3 at 1.
    x = np.array([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0], np.float32)
    _close(activations.hard_sigmoid(x), [0, 0, 0.3, 0.5, 0.7, 1, 1])
    assert "Keras 2" in activations.hard_sigmoid.__doc__


@pytest.mark.parametrize("kwargs", [
    {}, {"negative_slope": 0.1}, {"max_value": 6.0}, {"max_value": 2.0},
    {"threshold": 1.0}, {"threshold": -0.5},
    {"negative_slope": 0.3, "max_value": 2.0},
    {"negative_slope": 0.1, "threshold": 0.5, "max_value": 3.0},
])
def test_relu_options_match_keras(kwargs):
    _close(activations.relu(X, **kwargs),
           keras.activations.relu(X, **kwargs))


def test_relu_keras2_alpha_spelling():
    x = X.astype(np.float64)
    _close(activations.relu(X, alpha=0.1, max_value=2.0),
           np.where(x > 0, np.minimum(x, 2.0), 0.1 * x))
    _close(activations.relu(X, 0.25), np.where(x > 0, x, 0.25 * x))
    with pytest.raises(ValueError, match="alpha"):
        activations.relu(X, negative_slope=0.1, alpha=0.2)


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_matches_keras(approximate):
    x = X.astype(np.float64)
    expected = (0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi)
                                       * (x + 0.044715 * x ** 3)))
                if approximate else ELEMENTWISE["gelu"](x))
    _close(activations.gelu(X, approximate=approximate), expected)
    _close(activations.gelu(X, approximate=approximate),
           keras.activations.gelu(X, approximate=approximate))


SMOOTH = ["celu", "elu", "exponential", "gelu", "glu", "log_sigmoid",
          "log_softmax", "mish", "selu", "sigmoid", "silu", "softmax",
          "softplus", "softsign", "squareplus", "tanh", "tanh_shrink"]


@pytest.mark.parametrize("name", SMOOTH)
def test_gradients(name):
    # X_SMOOTH avoids 0, where elu / selu / celu / softsign are only C1
    x = X_SMOOTH.reshape(2, 4) if name in PER_AXIS else X_SMOOTH
    with jax.enable_x64(True):
        check_grads(activations.get(name), (jnp.asarray(x, jnp.float64),),
                    order=1, modes=["rev"])


@pytest.mark.parametrize("name", ALL_NAMES)
def test_jit_and_dtype(name):
    fn = activations.get(name)
    if name == "threshold":
        fn = lambda x: activations.threshold(x, 0.1, -1.0)  # noqa: E731
    x = jnp.asarray(X_ROWS, jnp.bfloat16)
    out = jax.jit(fn)(x)
    assert out.dtype == jnp.bfloat16


def test_get_forms():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu

    def custom(x):
        return x * 2
    assert activations.get(custom) is custom
    keras3_dict = {"module": "keras.activations", "class_name": "function",
                   "config": "tanh", "registered_name": "tanh"}
    assert activations.get(keras3_dict) is activations.tanh
    with pytest.raises(ValueError, match="Unknown activation.*relu6"):
        activations.get("relu7")
    with pytest.raises(ValueError, match="activation"):
        activations.get(3)


def test_every_keras_name_resolves_and_serializes_as_keras():
    from keras.src.activations import ALL_OBJECTS_DICT
    for name in ALL_OBJECTS_DICT:
        ours = activations.get(name)
        assert activations.serialize(ours) == keras.activations.serialize(
            keras.activations.get(name)), name
        assert activations.deserialize(activations.serialize(ours)) is ours


def test_serialize_user_functions():
    def my_act(x):
        return x
    assert activations.serialize(my_act) == "my_act"
    assert activations.deserialize("my_act", {"my_act": my_act}) is my_act
    with pytest.raises(ValueError, match="Unknown activation"):
        activations.deserialize("my_act")


def test_public_module_reexports_core():
    for name in activations.__all__:
        assert getattr(public_activations, name) is getattr(activations, name)
    assert set(public_activations.__all__) == set(activations.__all__)

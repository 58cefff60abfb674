"""Advanced activation layers against Keras 3 (ThresholdedReLU against NumPy), masks and errors."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras
from jkeras import layers
from jkeras.utils import legacy

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


@pytest.mark.parametrize("make", [
    lambda lib: lib.layers.LeakyReLU(),
    lambda lib: lib.layers.ELU(alpha=0.5),
    lambda lib: lib.layers.ReLU(),
    lambda lib: lib.layers.ReLU(max_value=6.0, negative_slope=0.2),
    lambda lib: lib.layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5),
    lambda lib: lib.layers.ReLU(threshold=0.3),
    lambda lib: lib.layers.Softmax(axis=1),
    lambda lib: lib.layers.Softmax(axis=[1, 2]),
])
def test_weightless_activations_match_keras(make):
    check_layer(make, input_shape=(2, 3, 4))


@pytest.mark.parametrize("kwargs, shape, alpha_shape", [
    ({"alpha_initializer": "random_normal"}, (2, 3, 4), (3, 4)),
    ({"shared_axes": [1, 2]}, (2, 3, 4, 5), (1, 1, 5)),
    ({"shared_axes": 1}, (2, 3, 4), (1, 4)),
])
def test_prelu_matches_keras(kwargs, shape, alpha_shape):
    layer, _ = check_layer(lambda lib: lib.layers.PReLU(**kwargs), input_shape=shape)
    assert [w.name for w in layer.weights] == ["alpha"] and layer.weights[0].shape == alpha_shape


def test_prelu_formula_regularizer_and_constraint():
    layer = layers.PReLU(alpha_initializer="ones", alpha_regularizer=jkeras.regularizers.L2(0.5),
                         alpha_constraint="non_neg")
    x = rand(2, 3)
    layer(x)
    layer.set_weights([np.array([0.5, -1.0, 2.0], "float32")])
    alpha = layer.get_weights()[0]
    np.testing.assert_allclose(np.asarray(layer(x)), np.where(x >= 0, x, alpha * x), rtol=1e-6)
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * np.sum(alpha ** 2), rtol=1e-6)
    constrained = layer.apply_constraints(layer.get_variables()["params"])["alpha"]
    np.testing.assert_allclose(np.asarray(constrained), [0.5, 0.0, 2.0])
    config = layer.get_config()
    assert config["alpha_constraint"]["class_name"] == "NonNeg" and config["shared_axes"] is None


def test_thresholded_relu_against_numpy():
    for theta in (1.0, 0.0, 0.5):
        check_layer(lambda lib: lib.layers.ThresholdedReLU(theta=theta), input_shape=(2, 3, 4), keras_make=None,
                    reference=lambda x, w: np.where(x > theta, x, 0.0))
    assert layers.ThresholdedReLU().get_config()["theta"] == 1.0


def test_softmax_with_mask_matches_keras():
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]], bool)
    check_layer(lambda lib: lib.layers.Softmax(), input_shape=(2, 3, 4), call_kwargs={"mask": mask})
    check_layer(lambda lib: lib.layers.Softmax(), input_shape=(2, 3, 4),
                call_kwargs={"mask": mask.astype("float32")[None]})
    y = np.asarray(layers.Softmax()(rand(2, 3, 4), mask=mask))
    np.testing.assert_allclose(y.sum(-1), [[1, 1, 0], [1, 1, 0]], rtol=1e-6)
    assert np.all(y[:, ~mask] == 0)


def test_softmax_mask_that_does_not_broadcast_is_an_error():
    with pytest.raises(ValueError, match=r"Softmax '.*': the mask must broadcast.*\(2, 3, 4\).*\(2, 3\)"):
        layers.Softmax()(rand(2, 3, 4), mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="mask must broadcast"):
        layers.Softmax()(rand(3, 4), mask=np.ones((1, 3, 4), bool))


@pytest.mark.parametrize("name", ["LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "ReLU"])
def test_masks_pass_through(name):
    layer = getattr(layers, name)()
    x, mask = rand(2, 3, 4), np.array([[1, 1, 0], [1, 0, 0]], bool)
    assert layer.supports_masking
    assert layer.compute_mask(x, mask) is mask
    assert layer.compute_mask(x, None) is None
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)


def test_masks_flow_through_activation_layers_in_a_model():
    inp = jkeras.Input((3, 4))
    model = jkeras.Model(inp, layers.PReLU()(layers.LeakyReLU()(layers.Masking()(inp))))
    x = rand(2, 3, 4)
    x[0, 1] = 0.0
    _, _, masks = model.apply_with_masks(model.get_variables(), x)
    np.testing.assert_array_equal(np.asarray(masks[0]), [[True, False, True], [True, True, True]])


def test_leaky_relu_keras2_alpha(monkeypatch):
    monkeypatch.setattr(legacy, "_warned", set())
    with pytest.warns(UserWarning, match="`alpha` is deprecated; use `negative_slope`"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1 and layer.get_config()["negative_slope"] == 0.1
    assert "alpha" not in layer.get_config()
    x = rand(2, 5)
    np.testing.assert_allclose(np.asarray(layer(x)), np.where(x >= 0, x, 0.1 * x), rtol=1e-6)
    assert layers.LeakyReLU(0.2).negative_slope == 0.2
    with pytest.raises(TypeError, match="got both `alpha`"):
        layers.LeakyReLU(alpha=0.1, negative_slope=0.2)


def test_prelu_keras1_init(monkeypatch):
    monkeypatch.setattr(legacy, "_warned", set())
    with pytest.warns(UserWarning, match="`init` is deprecated; use `alpha_initializer`"):
        layer = layers.PReLU(init="ones")
    layer(rand(2, 3))
    np.testing.assert_allclose(layer.get_weights()[0], np.ones(3))


@pytest.mark.parametrize("make, match", [
    (lambda: layers.LeakyReLU(negative_slope=-0.1),
     r"LeakyReLU '.*': negative_slope must be a float >= 0, got negative_slope=-0.1"),
    (lambda: layers.LeakyReLU(negative_slope=None), r"negative_slope must be a float >= 0, got negative_slope=None"),
    (lambda: layers.ReLU(max_value=-1.0),
     r"ReLU '.*': max_value must be a float >= 0 or None, got max_value=-1.0"),
    (lambda: layers.ReLU(negative_slope=-1), r"negative_slope must be a float >= 0"),
    (lambda: layers.ReLU(threshold=None), r"threshold must be a float >= 0, got threshold=None"),
    (lambda: layers.ThresholdedReLU(theta=-1.0), r"ThresholdedReLU '.*': theta must be a float >= 0"),
    (lambda: layers.ELU(alpha="big"), r"ELU '.*': alpha must be a float"),
    (lambda: layers.Softmax(axis="last"), r"Softmax '.*': axis must be an int or a non-empty list of ints"),
    (lambda: layers.PReLU(shared_axes=[0]), r"PReLU '.*': shared_axes must be None or a list of ints >= 1"),
])
def test_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_prelu_input_errors():
    with pytest.raises(ValueError, match=r"PReLU '.*': shared_axes=\[3\] must name non-batch axes 1..2"):
        layers.PReLU(shared_axes=3)(rand(2, 3, 4))
    with pytest.raises(ValueError, match=r"needs a fixed size, got input shape \(None, None, 4\)"):
        layers.PReLU()(jkeras.Input((None, 4)))
    assert layers.PReLU(shared_axes=1)(jkeras.Input((None, 4))).shape == (None, None, 4)
    layer = layers.PReLU()
    layer(rand(2, 3))
    with pytest.raises(ValueError, match=r"built for alpha of shape \(3,\).*\(2, 5\) needs \(5,\)"):
        layer(rand(2, 5))


def test_activation_layers_under_jit_and_grad():
    layer = layers.PReLU(alpha_initializer="ones")
    variables = layer.init(jax.random.PRNGKey(0), (None, 4))
    x = rand(3, 4)
    grad = jax.jit(jax.grad(lambda v, x: jnp.sum(layer.apply(v, x)[0])))(variables, x)
    np.testing.assert_allclose(np.asarray(grad["params"]["alpha"]), np.minimum(x, 0).sum(0), rtol=1e-5)

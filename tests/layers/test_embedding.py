"""Embedding and Masking against Keras 3; masks, index checks, Keras 1 / 2 spellings."""
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads
from layer_testing import check_layer

import jkeras
from jkeras import layers
from jkeras.utils import legacy

RNG = np.random.default_rng(0)


# ------------------------------------------------------------------------------------------
# Embedding


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (2, 5)),
    ({"mask_zero": True}, (2, 3, 4)),
    ({"embeddings_initializer": "random_normal"}, (3,)),
])
def test_embedding_matches_keras(kwargs, shape):
    # grads=False: layer_testing's gradient check indexes the (absent) float inputs; done below.
    layer, out = check_layer(lambda lib: lib.layers.Embedding(12, 4, **kwargs), input_shape=shape,
                             input_dtype="int32", grads=False)
    assert [w.name for w in layer.weights] == ["embeddings"] and layer.weights[0].shape == (12, 4)
    assert out.shape == shape + (4,)
    x = jnp.asarray(RNG.integers(0, 12, shape), "int32")
    loss = lambda params: jnp.sum(jnp.tanh(layer.apply({"params": params, "state": {}}, x)[0]))  # noqa: E731
    check_grads(loss, (layer.get_variables()["params"],), order=1, modes=["rev"], atol=2e-2, rtol=2e-2)


def test_embedding_casts_float_inputs_holding_integers():
    x = np.array([[1.0, 0.0, 11.0], [3.0, 3.0, 2.0]], "float32")
    layer, out = check_layer(lambda lib: lib.layers.Embedding(12, 3), input_shape=(2, 3), inputs=x, grads=False)
    np.testing.assert_allclose(np.asarray(out), layer.get_weights()[0][x.astype(int)])


def test_embedding_mask_zero():
    layer = layers.Embedding(5, 2, mask_zero=True)
    x = np.array([[1, 2, 0, 0], [0, 3, 4, 0]])
    assert layer.supports_masking
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(x)), x != 0)
    plain = layers.Embedding(5, 2)
    assert not plain.supports_masking and plain.compute_mask(x, np.ones((2, 4), bool)) is None


def test_embedding_mask_propagates_through_a_model():
    inp = jkeras.Input((4,), dtype="int32")
    model = jkeras.Model(inp, layers.Dense(3)(layers.Embedding(6, 2, mask_zero=True)(inp)))
    x = np.array([[1, 2, 0, 0], [5, 0, 4, 1]], "int32")
    out, _, masks = jax.jit(model.apply_with_masks)(model.get_variables(), x)
    assert out.shape == (2, 4, 3)
    np.testing.assert_array_equal(np.asarray(masks[0]), x != 0)


def test_embedding_index_errors_when_called_eagerly():
    layer = layers.Embedding(5, 2)
    with pytest.raises(ValueError,
                       match=r"Embedding '.*': indices must be in \[0, input_dim=5\), got values in \[0, 7\]"):
        layer(np.array([[0, 7]]))
    with pytest.raises(ValueError, match=r"indices must be in \[0, input_dim=5\), got values in \[-1, 2\]"):
        layer(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match=r"expects integer indices, got float inputs with a fractional part"):
        layer(np.array([[1.5, 2.0]], "float32"))
    layer.check_indices(np.array([[0, 4]]))


def test_embedding_under_jit_is_unchecked_and_gives_nan_rows_out_of_range():
    layer = layers.Embedding(3, 2)
    variables = layer.init(jax.random.PRNGKey(0), (None, 2))
    out, _ = jax.jit(layer.apply)(variables, jnp.array([[0, 3], [-1, 1]]))
    table = np.asarray(variables["params"]["embeddings"])
    np.testing.assert_allclose(np.asarray(out[0, 0]), table[0])
    assert np.all(np.isnan(np.asarray(out[0, 1])))
    np.testing.assert_allclose(np.asarray(out[1, 0]), table[-1])


def test_embedding_argument_errors():
    with pytest.raises(ValueError, match=r"Embedding '.*': input_dim must be a positive int, got input_dim=0"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match=r"output_dim must be a positive int, got output_dim=1.5"):
        layers.Embedding(4, 1.5)
    with pytest.raises(TypeError, match="at most 2 positional"):
        layers.Embedding(4, 2, "uniform")


def test_embedding_regularizer_constraint_and_initial_weights():
    table = np.arange(8, dtype="float32").reshape(4, 2) - 3
    for weights in ([table], table):
        layer = layers.Embedding(4, 2, weights=weights, embeddings_regularizer=jkeras.regularizers.L1(0.1),
                                 embeddings_constraint="non_neg")
        out = layer(np.array([[3, 1]]))
        np.testing.assert_allclose(np.asarray(out), table[[[3, 1]]])
    np.testing.assert_allclose(float(layer.losses[0]), 0.1 * np.abs(table).sum(), rtol=1e-6)
    constrained = layer.apply_constraints(layer.get_variables()["params"])["embeddings"]
    np.testing.assert_allclose(np.asarray(constrained), np.maximum(table, 0))


def test_embedding_input_length_sets_the_sequential_input():
    model = jkeras.Sequential([layers.Embedding(10, 3, input_length=5), layers.Dense(2)])
    assert model.input_shape == (None, 5) and model.output_shape == (None, 5, 2)
    assert model.inputs[0].dtype == "int32"
    x = RNG.integers(0, 10, (4, 5))
    assert model.predict(x, verbose=0).shape == (4, 5, 2)
    config = model.layers[0].get_config()
    assert config["input_length"] == 5
    clone = layers.Embedding.from_config(config)
    assert clone.input_shape == (None, 5) and clone.input_dtype == "int32"


def test_embedding_keras1_spellings(monkeypatch):
    monkeypatch.setattr(legacy, "_warned", set())
    with pytest.warns(UserWarning) as record:
        layer = layers.Embedding(6, 2, init="zeros", W_regularizer="l2", W_constraint="non_neg")
    messages = " ".join(str(w.message) for w in record)
    for old, new in [("init", "embeddings_initializer"), ("W_regularizer", "embeddings_regularizer"),
                     ("W_constraint", "embeddings_constraint")]:
        assert f"`{old}` is deprecated; use `{new}`" in messages
    assert type(layer.embeddings_regularizer).__name__ == "L2"
    assert type(layer.embeddings_constraint).__name__ == "NonNeg"
    layer(np.array([[1, 2]]))
    np.testing.assert_allclose(layer.get_weights()[0], np.zeros((6, 2)))
    with pytest.warns(UserWarning, match=r"`dropout=0.2` .* is not supported and is ignored"):
        layers.Embedding(6, 2, dropout=0.2)
    assert "dropout" not in layers.Embedding(6, 2, dropout=0.0).get_config()


def test_embedding_keras3_config_loads():
    k_config = keras.layers.Embedding(7, 3, mask_zero=True, name="emb").get_config()
    from jkeras.utils.serialization import standardize_layer_config

    layer = layers.Embedding.from_config(standardize_layer_config(k_config))
    assert (layer.input_dim, layer.output_dim, layer.mask_zero, layer.name) == (7, 3, True, "emb")


# ------------------------------------------------------------------------------------------
# Masking


def _padded(shape, value):
    x = RNG.standard_normal(shape).astype("float32")
    x[0, 1] = value
    x[1, -1] = value
    x[1, 0, 0] = value  # one feature equal to the mask value does not mask the step
    return x


@pytest.mark.parametrize("mask_value, shape", [(0.0, (2, 4, 3)), (-1.0, (2, 3, 2, 3))])
def test_masking_matches_keras(mask_value, shape):
    x = _padded(shape, mask_value)
    # grad_inputs=False: finite differences would move the padded values off the mask value.
    layer, out = check_layer(lambda lib: lib.layers.Masking(mask_value=mask_value), input_shape=shape, inputs=x,
                             grad_inputs=False)
    keep = np.any(x != mask_value, axis=-1)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(x)), keep)
    np.testing.assert_allclose(np.asarray(out), x * keep[..., None])
    grad = jax.grad(lambda x: jnp.sum(layer.apply({"params": {}, "state": {}}, x)[0]))(jnp.asarray(x))
    np.testing.assert_array_equal(np.asarray(grad), np.broadcast_to(keep[..., None], x.shape))


def test_masking_in_a_model_and_errors():
    inp = jkeras.Input((4, 3))
    model = jkeras.Model(inp, layers.Dense(2)(layers.Masking(mask_value=0.0)(inp)))
    x = _padded((2, 4, 3), 0.0)
    _, _, masks = model.apply_with_masks(model.get_variables(), x)
    np.testing.assert_array_equal(np.asarray(masks[0]), [[True, False, True, True], [True, True, True, False]])
    assert layers.Masking(mask_value=2).get_config()["mask_value"] == 2.0
    with pytest.raises(ValueError, match=r"Masking '.*': mask_value must be a number, got mask_value='pad'"):
        layers.Masking(mask_value="pad")

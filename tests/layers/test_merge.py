"""Merge layers against Keras 3 (values, shapes, masks) and their errors."""
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from keras.src.backend import get_keras_mask, set_keras_mask
from layer_testing import check_layer

import jkeras
from jkeras import layers

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


ELEMENTWISE = ["Add", "Multiply", "Average", "Maximum", "Minimum"]


# ------------------------------------------------------------------------------------------
# Values and shapes against Keras 3


@pytest.mark.parametrize("name, shapes", [
    *[(name, [(2, 3, 4), (2, 1, 4)]) for name in ELEMENTWISE],
    ("Add", [(2, 3, 4), (2, 3, 4), (2, 3, 4)]),
    ("Maximum", [(2, 3, 4), (2, 3, 4), (2, 3, 4)]),
    ("Average", [(2, 5), (2, 3, 5)]),
    ("Minimum", [(2, 3, 5), (2, 5)]),
])
def test_elementwise_merges_match_keras(name, shapes):
    check_layer(lambda lib: getattr(lib.layers, name)(), input_shape=shapes)


@pytest.mark.parametrize("shapes", [[(2, 3, 4), (2, 3, 4)], [(2, 3, 4), (2, 4)]])
def test_subtract_matches_keras(shapes):
    check_layer(lambda lib: lib.layers.Subtract(), input_shape=shapes)


@pytest.mark.parametrize("axis, shapes", [
    (-1, [(2, 3, 4), (2, 3, 2)]),
    (1, [(2, 3, 4), (2, 1, 4), (2, 5, 4)]),
    (2, [(2, 3, 4), (2, 3, 1)]),
    (1, [(2, 4), (2, 3)]),
])
def test_concatenate_matches_keras(axis, shapes):
    check_layer(lambda lib: lib.layers.Concatenate(axis=axis), input_shape=shapes)


@pytest.mark.parametrize("axes, shapes, normalize", [
    (1, [(2, 4), (2, 4)], False),
    (-1, [(2, 3, 4), (2, 5, 4)], False),
    ((1, 2), [(2, 3, 5), (2, 4, 3)], False),
    ((1, 2), [(2, 4), (2, 3, 4)], False),
    ((2, 1), [(2, 3, 4), (2, 4)], False),
    ((2, 1), [(2, 3, 4, 5), (2, 4, 2)], False),
    (1, [(2, 4), (2, 4)], True),
    ((1, 2), [(2, 3, 5), (2, 4, 3)], True),
])
def test_dot_matches_keras(axes, shapes, normalize):
    check_layer(lambda lib: lib.layers.Dot(axes=axes, normalize=normalize), input_shape=shapes, atol=1e-4)


def test_compute_output_shape_with_unknown_sizes():
    assert layers.Add().compute_output_shape([(None, None, 4), (None, 3, 1)]) == (None, 3, 4)
    assert layers.Add().compute_output_shape([(None, 1, 4), (None, None, 4)]) == (None, None, 4)
    assert layers.Add().compute_output_shape([(5, 3, 4), (None, 4)]) == (5, 3, 4)
    assert layers.Concatenate(axis=1).compute_output_shape([(None, None, 4), (None, 2, 4)]) == (None, None, 4)
    assert layers.Concatenate().compute_output_shape([(None, None, 4), (None, 3, 2)]) == (None, 3, 6)
    assert layers.Dot(axes=(1, 2)).compute_output_shape([(None, 3, 5), (None, 7, 3)]) == (None, 5, 7)
    assert layers.Dot(axes=1).compute_output_shape([(None, 3), (None, 3)]) == (None, 1)


def test_symbolic_shapes_with_unknown_sizes_and_dtypes():
    a, b = jkeras.Input((None, 4)), jkeras.Input((3, 4))
    assert layers.Add()([a, b]).shape == (None, 3, 4)
    assert layers.Concatenate()([a, b]).shape == (None, 3, 8)
    assert layers.Dot(axes=(1, 2))([jkeras.Input((None, 5)), jkeras.Input((2, 7))]).shape == (None, 5, 2)
    i, j = jkeras.Input((3,), dtype="int32"), jkeras.Input((3,), dtype="int32")
    assert layers.Add()([i, j]).dtype == "int32" and layers.Average()([i, j]).dtype == "float32"
    assert layers.Concatenate()([i, jkeras.Input((2,))]).dtype == "float32"


def test_single_input_passes_through_as_in_keras3():
    x = rand(2, 3)
    np.testing.assert_allclose(np.asarray(layers.Add()([x])), x)
    np.testing.assert_allclose(np.asarray(layers.Concatenate()([x])), x)


def test_functional_forms_build_the_layer_and_call_it():
    a, b = jkeras.Input((3, 4)), jkeras.Input((3, 4))
    xa, xb = rand(2, 3, 4), rand(2, 3, 4)
    cases = {
        layers.add: xa + xb, layers.subtract: xa - xb, layers.multiply: xa * xb,
        layers.average: (xa + xb) / 2, layers.maximum: np.maximum(xa, xb), layers.minimum: np.minimum(xa, xb),
        lambda t: layers.concatenate(t, axis=1): np.concatenate([xa, xb], axis=1),
        lambda t: layers.dot(t, axes=2): np.einsum("bik,bjk->bij", xa, xb),
    }
    for fn, want in cases.items():
        out = fn([a, b])
        assert out.shape == (None,) + want.shape[1:]
        model = jkeras.Model([a, b], out)
        np.testing.assert_allclose(np.asarray(model.predict([xa, xb], verbose=0)), want, rtol=1e-5, atol=1e-5)
    cos = jkeras.Model([a, b], layers.dot([a, b], axes=2, normalize=True)).predict([xa, xb], verbose=0)
    unit = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(cos, np.einsum("bik,bjk->bij", unit(xa), unit(xb)), rtol=1e-5, atol=1e-5)


def test_merge_layers_jit_and_config_names():
    layer = layers.Dot(axes=[1, 2], normalize=True, name="d")
    assert layer.get_config()["axes"] == [1, 2] and layer.get_config()["normalize"] is True
    x, y = rand(2, 3, 5), rand(2, 4, 3)
    out, _ = jax.jit(lambda v, a, b: layer.apply(v, [a, b]))({"params": {}, "state": {}}, x, y)
    assert out.shape == (2, 5, 4)
    assert layers.Concatenate(axis=1).get_config()["axis"] == 1


# ------------------------------------------------------------------------------------------
# Errors


def _raises(make, inputs, match):
    with pytest.raises(ValueError, match=match):
        make()(inputs)


def test_merge_of_a_single_tensor_or_empty_list_is_an_error():
    _raises(layers.Add, rand(2, 3), r"Add '.*': a merge layer must be called on a list of inputs, .*\(2, 3\)")
    _raises(layers.Add, [], r"at least 1 input")
    with pytest.raises(ValueError, match="on a list of inputs"):
        layers.Multiply().apply({"params": {}, "state": {}}, jnp.ones((2, 3)))


def test_subtract_and_dot_need_exactly_two_inputs():
    x = rand(2, 3)
    _raises(layers.Subtract, [x, x, x], r"Subtract '.*': expects exactly 2 inputs, got 3 .*\(2, 3\)")
    _raises(lambda: layers.Dot(1), [x], r"Dot '.*': expects exactly 2 inputs, got 1")
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([jkeras.Input((3,))] * 3)


def test_incompatible_shapes_name_the_layer_and_all_shapes():
    _raises(layers.Add, [rand(2, 3, 4), rand(2, 5, 4)],
            r"Add '.*': inputs have incompatible shapes.*received input shapes \[\(2, 3, 4\), \(2, 5, 4\)\]")
    _raises(layers.Maximum, [rand(2, 3), rand(4, 3)], r"different batch sizes.*\[\(2, 3\), \(4, 3\)\]")
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.Add()([jkeras.Input((3, 4)), jkeras.Input((5, 4))])


def test_concatenate_shape_errors():
    _raises(layers.Concatenate, [rand(2, 3, 4), rand(2, 5, 4)],
            r"Concatenate '.*': requires inputs with matching shapes except for the concatenation axis "
            r"\(axis=-1\); received input shapes \[\(2, 3, 4\), \(2, 5, 4\)\]")
    _raises(layers.Concatenate, [rand(2, 3, 4), rand(2, 4)], r"same rank; received input shapes")
    _raises(lambda: layers.Concatenate(axis=3), [rand(2, 3), rand(2, 3)], r"axis=3 is out of range")
    with pytest.raises(ValueError, match="matching shapes"):
        layers.concatenate([jkeras.Input((3, 4)), jkeras.Input((5, 4))])
    with pytest.raises(ValueError, match="axis must be an int"):
        layers.Concatenate(axis="last")


def test_dot_errors():
    with pytest.raises(ValueError, match=r"Dot '.*': axes must be an int or a pair of ints.*\(1, 2, 3\)"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="axes must be"):
        layers.Dot(axes="1")
    _raises(lambda: layers.Dot(axes=1), [rand(2, 3), rand(2, 4)],
            r"axis 1 of the first input has size 3, axis 1 of the second has size 4")
    _raises(lambda: layers.Dot(axes=0), [rand(2, 3), rand(2, 3)], r"batch axis 0")
    _raises(lambda: layers.Dot(axes=(1, 5)), [rand(2, 3), rand(2, 3)], r"out of range")
    _raises(lambda: layers.Dot(axes=-1), [rand(2), rand(2)], r"rank >= 2")


# ------------------------------------------------------------------------------------------
# Masks


M1 = np.array([[1, 1, 0], [1, 0, 0]], bool)
M2 = np.array([[1, 0, 0], [0, 0, 1]], bool)


def _keras_masked(x, m):
    x = jnp.asarray(x)
    if m is not None:
        set_keras_mask(x, jnp.asarray(m))
    return x


@pytest.mark.parametrize("name", ELEMENTWISE + ["Subtract"])
@pytest.mark.parametrize("masks", [(M1, M2), (M1, None), (None, M2)])
def test_elementwise_values_and_masks_match_keras(name, masks):
    x, y = rand(2, 3, 4), rand(2, 3, 4)
    k_out = getattr(keras.layers, name)()([_keras_masked(x, masks[0]), _keras_masked(y, masks[1])])
    layer = getattr(layers, name)()
    out = layer([x, y], mask=list(masks))
    np.testing.assert_allclose(np.asarray(out), np.asarray(k_out), rtol=1e-6, atol=1e-6)
    got_mask, want_mask = layer.compute_mask([x, y], list(masks)), get_keras_mask(k_out)
    if want_mask is None:
        assert got_mask is None
    else:
        np.testing.assert_array_equal(np.asarray(got_mask), np.asarray(want_mask))
    if all(m is not None for m in masks):  # Keras 3 ORs the masks when every input has one
        np.testing.assert_array_equal(np.asarray(got_mask), M1 | M2)


def test_three_masked_inputs_match_keras():
    xs = [rand(2, 3, 4) for _ in range(3)]
    masks = [M1, M2, ~M1]
    for name in ["Maximum", "Minimum", "Multiply"]:
        k_out = getattr(keras.layers, name)()([_keras_masked(x, m) for x, m in zip(xs, masks)])
        out = getattr(layers, name)()(xs, mask=masks)
        np.testing.assert_allclose(np.asarray(out), np.asarray(k_out), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("axis, shapes", [(1, [(2, 3, 4), (2, 3, 4)]), (-1, [(2, 3, 4), (2, 3, 2)])])
@pytest.mark.parametrize("masks", [(M1, M2), (M1, None), (None, M2), (None, None)])
def test_concatenate_masks_match_keras(axis, shapes, masks):
    xs = [rand(*s) for s in shapes]
    k_out = keras.layers.Concatenate(axis=axis)([_keras_masked(x, m) for x, m in zip(xs, masks)])
    layer = layers.Concatenate(axis=axis)
    np.testing.assert_allclose(np.asarray(layer(xs, mask=list(masks))), np.asarray(k_out))
    got, want = layer.compute_mask(xs, list(masks)), get_keras_mask(k_out)
    if want is None:
        assert got is None
    else:
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    if axis == 1 and masks[0] is M1 and masks[1] is None:
        np.testing.assert_array_equal(np.asarray(got), np.concatenate([M1, np.ones_like(M2)], axis=1))


def test_mask_argument_checks_and_dot_drops_masks():
    x = rand(2, 3, 4)
    assert layers.Add().compute_mask([x, x], None) is None
    assert layers.Dot(axes=2).compute_mask([x, x], [M1, M2]) is None
    with pytest.raises(ValueError, match=r"Add '.*': mask must be a list with one entry"):
        layers.Add().compute_mask([x, x], [M1])


def test_masks_propagate_through_merges_in_a_functional_model():
    a, b = jkeras.Input((3, 2)), jkeras.Input((3, 2))
    ma, mb = layers.Masking()(a), layers.Masking()(b)
    outputs = [layers.add([ma, mb]), layers.concatenate([ma, mb], axis=1), layers.maximum([ma, b]),
               layers.dot([ma, mb], axes=2)]
    model = jkeras.Model([a, b], outputs)
    xa, xb = rand(2, 3, 2), rand(2, 3, 2)
    xa[~M1], xb[~M2] = 0.0, 0.0
    values, _, masks = jax.jit(model.apply_with_masks)(model.get_variables(), [xa, xb])
    np.testing.assert_array_equal(np.asarray(masks[0]), M1 | M2)
    np.testing.assert_array_equal(np.asarray(masks[1]), np.concatenate([M1, M2], axis=1))
    assert masks[2] is None and masks[3] is None
    np.testing.assert_allclose(np.asarray(values[0]), xa + xb, rtol=1e-6)

    k_a, k_b = keras.Input((3, 2)), keras.Input((3, 2))
    k_ma, k_mb = keras.layers.Masking()(k_a), keras.layers.Masking()(k_b)
    k_model = keras.Model([k_a, k_b], [keras.layers.maximum([k_ma, k_b]), keras.layers.multiply([k_ma, k_mb])])
    k_max, k_mul = k_model([xa, xb])
    np.testing.assert_allclose(np.asarray(values[2]), np.asarray(k_max), rtol=1e-6)
    mul_model = jkeras.Model([a, b], layers.multiply([ma, mb]))
    np.testing.assert_allclose(np.asarray(mul_model.predict([xa, xb], verbose=0)), np.asarray(k_mul), rtol=1e-6)

"""The shared layer test: shapes, config round trip, gradients, and equality with Keras 3.

Usage (from a test file under tests/):

    from layer_testing import check_layer
    check_layer(lambda lib: lib.layers.Conv2D(4, 3, padding="same"), input_shape=(2, 8, 8, 3))

`make(lib)` builds the same layer from `jkeras` or from `keras`; pass `keras_make=None` to skip the
Keras comparison (a layer Keras 3 does not have) and `reference=fn(x, weights)` for a NumPy formula.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
from jax.test_util import check_grads

import jkeras


def _random_inputs(input_shape, dtype, rng):
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    if np.issubdtype(np.dtype(dtype), np.integer):
        xs = [rng.integers(0, 10, s).astype(dtype) for s in shapes]
    else:
        xs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return xs if isinstance(input_shape, list) else xs[0]


def _to_list(x):
    return x if isinstance(x, (list, tuple)) else [x]


def check_layer(make, input_shape, keras_make="same", input_dtype="float32", rtol=1e-5, atol=1e-5,
                reference=None, grads=True, grad_inputs=True, call_kwargs=None, inputs=None, seed=0):
    """Runs the four checks every jkeras layer must pass; returns (jkeras layer, outputs).

    Args:
        make: `make(lib)` returning a layer of `lib.layers` (lib is `jkeras` or `keras`).
        input_shape: full input shape (batch first), or a list of them for several inputs.
        keras_make: `make` for Keras (default: the same function), or None to skip Keras.
        input_dtype: dtype of the random inputs.
        rtol, atol: tolerances against Keras / the reference.
        reference: optional `reference(x, weights) -> expected output` written with NumPy.
        grads: run `check_grads` over the weights (and inputs when `grad_inputs`).
        call_kwargs: extra call arguments (e.g. `training=True` is not allowed here: outputs are compared
            in inference mode).
        inputs: explicit inputs instead of random ones.
    """
    rng = np.random.default_rng(seed)
    call_kwargs = dict(call_kwargs or {})
    x = inputs if inputs is not None else _random_inputs(input_shape, input_dtype, rng)
    layer = make(jkeras)
    out = layer(x, **call_kwargs)

    # 1. Keras 3 equality with the same weights.
    if keras_make is not None:
        k_layer = (make if keras_make == "same" else keras_make)(keras)
        k_out = k_layer(x, **call_kwargs)
        k_weights = k_layer.get_weights()
        assert [tuple(w.shape) for w in layer.get_weights()] == [tuple(w.shape) for w in k_weights], (
            "weight shapes differ from Keras's"
        )
        assert [w.name for w in layer.weights] == [w.name.split("/")[-1] for w in k_layer.weights], (
            "weight names differ from Keras's"
        )
        layer.set_weights(k_weights)
        out = layer(x, **call_kwargs)
        for o, r in zip(_to_list(out), _to_list(k_out)):
            np.testing.assert_allclose(np.asarray(o), np.asarray(r), rtol=rtol, atol=atol)
    if reference is not None:
        expected = reference(x, layer.get_weights())
        for o, r in zip(_to_list(out), _to_list(expected)):
            np.testing.assert_allclose(np.asarray(o), np.asarray(r), rtol=rtol, atol=atol)

    # 2. compute_output_shape (batch axis free) equals what apply produces.
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    free = [(None,) + tuple(s[1:]) for s in shapes]
    predicted = layer.compute_output_shape(free if isinstance(input_shape, list) else free[0])
    for p, o in zip(_to_list(predicted) if isinstance(predicted, list) else [predicted], _to_list(out)):
        assert tuple(p) == (None,) + tuple(o.shape[1:]), f"compute_output_shape {p} != apply's {o.shape}"
    sym_inputs = [jkeras.Input(batch_shape=s, dtype=input_dtype) for s in free]
    sym_out = make(jkeras)(sym_inputs if isinstance(input_shape, list) else sym_inputs[0])
    for t, o in zip(_to_list(sym_out), _to_list(out)):
        assert t.shape == (None,) + tuple(o.shape[1:]), f"symbolic shape {t.shape} != {o.shape}"

    # 3. Config: JSON round trip gives the same config and the same outputs.
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert clone.get_config() == layer.get_config()
    if layer.weights:
        clone(x, **call_kwargs)
        clone.set_weights(layer.get_weights())
    for o, c in zip(_to_list(out), _to_list(clone(x, **call_kwargs))):
        np.testing.assert_allclose(np.asarray(c), np.asarray(o), rtol=1e-6, atol=1e-6)

    # 4. Gradients of the pure apply, against finite differences.
    if grads:
        variables = layer.get_variables()
        params = variables["params"]
        is_float = np.issubdtype(np.dtype(input_dtype), np.floating)

        def f(params, *xs):
            if not xs:
                xin = x
            else:
                xin = list(xs) if isinstance(input_shape, list) else xs[0]
            y, _ = layer.apply({"params": params, "state": variables["state"]}, xin, **call_kwargs)
            return sum(jnp.sum(jnp.tanh(v)) for v in _to_list(y))

        args = (params,)
        if grad_inputs and is_float:
            args += tuple(jnp.asarray(v) for v in _to_list(x))
        if jax.tree_util.tree_leaves(args):
            check_grads(f, args, order=1, modes=["rev"], atol=2e-2, rtol=2e-2)
    return layer, out

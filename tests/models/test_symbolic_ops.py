"""Operations on symbolic tensors in a functional model (`x / 255.0`, `x[:, -1]`, `ops.mean(x)`,
`K.exp(x)`): recorded as OpLambda layers, computing what NumPy / Keras 3 compute, saved by name."""
import keras
import numpy as np
import pytest

import jkeras
from jkeras import backend as K
from jkeras import layers, ops

X = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")

CASES = [
    ("add", lambda t: t + 1.0, lambda a: a + 1),
    ("reflected sub", lambda t: 2.0 - t, lambda a: 2 - a),
    ("mul of tensors", lambda t: t * t, lambda a: a * a),
    ("true div", lambda t: t / 255.0, lambda a: a / 255.0),
    ("pow", lambda t: t ** 2, lambda a: a ** 2),
    ("neg", lambda t: -t, lambda a: -a),
    ("numpy + tensor", lambda t: np.arange(4, dtype="float32") + t, lambda a: np.arange(4) + a),
    ("slice", lambda t: t[:, 1:3], lambda a: a[:, 1:3]),
    ("index with None and Ellipsis", lambda t: t[..., None][:, -1], lambda a: a[..., None][:, -1]),
    ("comparison", lambda t: ops.cast(t > 0, "float32"), lambda a: (a > 0).astype("float32")),
    ("ops.mean", lambda t: ops.mean(t, axis=-1, keepdims=True), lambda a: a.mean(-1, keepdims=True)),
    ("ops.concatenate", lambda t: ops.concatenate([t, t * 2], axis=-1), lambda a: np.concatenate([a, 2 * a], -1)),
    ("ops.expand_dims", lambda t: ops.expand_dims(t, -1), lambda a: a[..., None]),
    ("K.sum", lambda t: K.sum(t, axis=1), lambda a: a.sum(1)),
    ("K.exp", lambda t: K.exp(t), np.exp),
    ("K.l2_normalize", lambda t: K.l2_normalize(t, axis=-1), lambda a: a / np.linalg.norm(a, axis=-1, keepdims=True)),
]


@pytest.mark.parametrize("name, op, reference", CASES, ids=[c[0] for c in CASES])
def test_operation_on_a_symbolic_tensor_computes_and_round_trips(name, op, reference):
    inputs = jkeras.Input((4,))
    out = op(inputs)
    model = jkeras.Model(inputs, out)
    # An operation is a node of the graph but not one of `model.layers` (Keras 3).
    assert isinstance(model._graph_layers[-1], layers.OpLambda) and model.layers == [model.layers[0]]
    got = model.predict(X, verbose=0)
    np.testing.assert_allclose(got, reference(X), rtol=1e-5, atol=1e-6)
    assert tuple(out.shape) == (None,) + got.shape[1:]
    restored = jkeras.Model.from_config(model.get_config())
    np.testing.assert_allclose(restored.predict(X, verbose=0), got, rtol=1e-6)


def test_a_functional_model_with_operations_matches_keras_3_and_saves(tmp_path):
    """The keras.io pattern: scale the input, combine layer outputs with arithmetic, slice."""
    def build(lib, lib_ops):
        inputs = lib.Input((5, 4))
        x = lib.layers.Dense(6)(inputs / 2.0)
        x = x - lib_ops.mean(x, axis=-1, keepdims=True)
        x = lib.layers.Dense(3)(x[:, -1, :] * 0.5 + x[:, 0, :])
        return lib.Model(inputs, x)

    x = np.random.default_rng(1).standard_normal((2, 5, 4)).astype("float32")
    ref, ours = build(keras, keras.ops), build(jkeras, ops)
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    ours.compile("adam", "mse")
    y = np.ones((2, 3), "float32")
    losses = ours.fit(x, y, epochs=10, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    ours.save(tmp_path / "ops.keras")
    loaded = jkeras.models.load_model(tmp_path / "ops.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-6)


def test_saved_operation_names_are_resolved_only_among_jkeras_ops():
    with pytest.raises(ValueError, match="unknown operation 'os.system'"):
        layers.OpLambda("os.system", ({"tensor": 0},))
    with pytest.raises(ValueError, match="unknown operation 'operator.setitem'"):
        layers.OpLambda("operator.setitem")
    with pytest.raises(ValueError, match="unknown operation 'backend._v'"):
        layers.OpLambda("backend._v")
    config = {"name": "op", "op": "os.system", "args": ["rm -rf /"], "kwargs": {}}
    with pytest.raises(ValueError, match="unknown operation"):
        layers.OpLambda.from_config(config)


def test_unsavable_arguments_and_iteration_fail_clearly():
    inputs = jkeras.Input((4,))
    out = ops.where(inputs > 0, inputs, 0.0)
    model = jkeras.Model(inputs, out)
    np.testing.assert_allclose(model.predict(X, verbose=0), np.where(X > 0, X, 0), rtol=1e-6)
    with pytest.raises(TypeError, match="not iterable|iterate"):
        list(inputs)
    custom = K.clip(inputs, 0.0, 1.0)  # numbers save; a Python function would not
    assert jkeras.Model(inputs, custom).get_config()
    weird = layers.OpLambda("ops.add", ({"tensor": 0}, lambda v: v))
    with pytest.raises(TypeError, match="cannot save the argument"):
        weird.get_config()


def test_model_layers_leave_operations_out_as_keras_3_but_summary_lists_them(capsys):
    import keras

    def build(lib):
        lib.backend.clear_session()  # default names count from zero in both
        inputs = lib.Input((3,))
        x = lib.layers.Dense(2)(inputs / 255.0)
        return lib.Model(inputs, lib.layers.Dense(1)(x - lib.ops.mean(x)))

    ours, ref = build(jkeras), build(keras)
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in ref.layers]
    assert ours.get_layer(index=1).name == "dense" or isinstance(ours.get_layer(index=1), layers.Dense)
    ours.summary()
    printed = capsys.readouterr().out  # each operation under its Keras 3 op class
    assert all(f"{op.name} ({type(op).__name__})" in printed for op in ref.operations if op not in ref.layers)
    restored = jkeras.Model.from_config(ours.get_config())
    restored.set_weights(ours.get_weights())
    np.testing.assert_allclose(restored.predict(X[:, :3], verbose=0), ours.predict(X[:, :3], verbose=0), rtol=1e-6)

"""Cells written the Keras way (`Layer` with `state_size`, `build` / `add_weight`, `call(inputs,
states)`) in `RNN`, `StackedRNNCells` and `Bidirectional`: the same cell code runs under Keras 3
(the reference) and jkeras, with the same weights."""
import json
import re

import jax
import keras
import numpy as np
import pytest

import jkeras


def make_cells(lib):
    """The cell classes, written once against `lib` (keras or jkeras)."""
    ops, layers = lib.ops, lib.layers

    class MinimalRNNCell(layers.Layer):
        """The cell of Keras's `RNN` docstring."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform",
                                          name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            prev_output = states[0]
            h = ops.matmul(inputs, self.kernel)
            output = h + ops.matmul(prev_output, self.recurrent_kernel)
            return output, [output]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class TwoStateCell(layers.Layer):
        """Two states of different sizes, an `output_size`, a Dense sublayer, a `training` argument."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, 2 * units]
            self.output_size = 3
            self.proj = layers.Dense(3, name="proj")

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(2 * self.units, self.units), name="recurrent_kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="ones", name="bias")

        def call(self, inputs, states, training=False):
            h, c = states
            h2 = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(c, self.recurrent_kernel) + self.bias)
            c2 = ops.concatenate([h2, h * 0.5], axis=-1)
            out = self.proj(h2)
            if training:
                out = out * 2.0
            return out, [h2, c2]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class SingleStateCell(layers.Layer):
        """Returns its new state as one tensor; has its own `get_initial_state`."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

        def get_initial_state(self, batch_size=None):
            return [ops.ones((batch_size, self.units)) * 0.5]

        def call(self, inputs, states):
            out = ops.sigmoid(ops.matmul(inputs, self.kernel)) * states[0] + 0.1
            return out, out

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return {"MinimalRNNCell": MinimalRNNCell, "TwoStateCell": TwoStateCell, "SingleStateCell": SingleStateCell}


CELLS = {keras: make_cells(keras), jkeras: make_cells(jkeras)}


def rand(*shape, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype("float32")


def leaves(structure):
    return [np.asarray(a) for a in jax.tree_util.tree_leaves(structure)]


def assert_close(ours, ref, tol=1e-5):
    ours, ref = leaves(ours), leaves(ref)
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def structure(value):
    """The nesting of lists / tuples with array shapes at the leaves (tuples read as lists)."""
    if isinstance(value, (list, tuple)):
        return [structure(v) for v in value]
    return tuple(value.shape)


def paths(layer):
    """The weights' paths, an implicit stack's uniquified name (`stacked_rnn_cells_2`) unnumbered."""
    return [re.sub(r"stacked_rnn_cells_\d+/", "stacked_rnn_cells/", w.path) for w in layer.weights]


def copy_weights(layer, k_layer):
    """Gives `layer` the weights of `k_layer`, after checking that they have the same paths."""
    assert paths(layer) == paths(k_layer)
    assert [tuple(w.shape) for w in layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    layer.set_weights(k_layer.get_weights())


def run_both(make, x, **call_kwargs):
    """`make(lib, cells)` under both libraries, called on `x`; jkeras's layer gets Keras's weights.
    Returns `(layer, outputs, keras_outputs)`."""
    k_layer = make(keras, CELLS[keras])
    k_out = k_layer(x, **call_kwargs)
    layer = make(jkeras, CELLS[jkeras])
    layer(x, **call_kwargs)
    copy_weights(layer, k_layer)
    out = layer(x, **call_kwargs)
    assert structure(out) == structure(k_out)
    return layer, out, k_out


def test_docstring_cell_symbolic_and_eager():
    """The `keras.layers.RNN` docstring's example."""
    outs = {}
    for lib in (keras, jkeras):
        layer = lib.layers.RNN(CELLS[lib]["MinimalRNNCell"](32, name="minimal_rnn_cell"), name="rnn")
        y = layer(lib.Input((None, 5)))
        assert tuple(y.shape) == (None, 32)
        assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel"]
        assert [w.path for w in layer.weights] == ["rnn/minimal_rnn_cell/kernel",
                                                   "rnn/minimal_rnn_cell/recurrent_kernel"]
        outs[lib] = layer
    outs[jkeras].set_weights(outs[keras].get_weights())
    x = rand(2, 3, 5)
    assert_close(outs[jkeras](x), outs[keras](x))


CONFIGS = [
    ("MinimalRNNCell", {}),
    ("MinimalRNNCell", {"return_sequences": True, "return_state": True}),
    ("MinimalRNNCell", {"go_backwards": True, "unroll": True, "return_sequences": True}),
    ("TwoStateCell", {"return_sequences": True, "return_state": True}),
    ("TwoStateCell", {"go_backwards": True, "return_state": True}),
    ("SingleStateCell", {"return_state": True, "return_sequences": True}),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_outputs_and_states_match_keras(name, kwargs):
    x = rand(3, 5, 4)

    def make(lib, cells):
        return lib.layers.RNN(cells[name](4, name="cell"), name="rnn", **kwargs)

    layer, out, k_out = run_both(make, x)
    assert_close(out, k_out)
    symbolic = make(jkeras, CELLS[jkeras])(jkeras.Input((5, 4)))
    k_symbolic = make(keras, CELLS[keras])(keras.Input((5, 4)))
    assert jax.tree_util.tree_map(lambda t: t.shape, symbolic) == jax.tree_util.tree_map(
        lambda t: tuple(t.shape), list(k_symbolic) if isinstance(k_symbolic, tuple) else k_symbolic)


def test_training_flag_reaches_the_cell():
    x = rand(2, 4, 3)

    def make(lib, cells):
        return lib.layers.RNN(cells["TwoStateCell"](2, name="cell"), name="rnn")

    layer, out, k_out = run_both(make, x, training=True)
    assert_close(out, k_out)
    assert_close(layer(x, training=False) * 2.0, out)


@pytest.mark.parametrize("name, zero_output", [("MinimalRNNCell", False), ("MinimalRNNCell", True),
                                               ("TwoStateCell", True)])
def test_masked_steps_match_keras(name, zero_output):
    x = rand(3, 6, 4)
    mask = np.array([[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]], bool)

    def make(lib, cells):
        return lib.layers.RNN(cells[name](3, name="cell"), return_sequences=True, return_state=True,
                              zero_output_for_mask=zero_output, name="rnn")

    _, out, k_out = run_both(make, x, mask=mask)
    assert_close(out, k_out)


def test_masking_layer_in_a_functional_model():
    x = rand(3, 5, 2)
    x[1, 3:] = 0.0
    models = {}
    for lib in (keras, jkeras):
        inp = lib.Input((5, 2))
        h = lib.layers.Masking()(inp)
        h = lib.layers.RNN(CELLS[lib]["MinimalRNNCell"](3, name="cell"), return_sequences=True, name="rnn")(h)
        models[lib] = lib.Model(inp, h)
    copy_weights(models[jkeras], models[keras])
    assert_close(models[jkeras](x), models[keras](x))


def test_initial_state_eager_and_symbolic():
    x = rand(2, 4, 3)
    h0, c0 = rand(2, 2, seed=1), rand(2, 4, seed=2)

    def make(lib, cells):
        return lib.layers.RNN(cells["TwoStateCell"](2, name="cell"), return_state=True, name="rnn")

    layer, out, k_out = run_both(make, x, initial_state=[h0, c0])
    assert_close(out, k_out)
    inputs = [jkeras.Input((4, 3)), jkeras.Input((2,)), jkeras.Input((4,))]
    model = jkeras.Model(inputs, layer(inputs[0], initial_state=inputs[1:]))
    assert_close(model([x, h0, c0]), k_out)


@pytest.mark.parametrize("explicit", [False, True])
def test_stacked_cells_match_keras(explicit):
    x = rand(2, 5, 4)

    def make(lib, cells):
        stack = [cells["MinimalRNNCell"](3, name="a"), cells["TwoStateCell"](2, name="b"),
                 cells["MinimalRNNCell"](3, name="c")]
        if explicit:
            stack = lib.layers.StackedRNNCells(stack, name="stacked_rnn_cells")
        return lib.layers.RNN(stack, return_sequences=True, return_state=True, name="rnn")

    layer, out, k_out = run_both(make, x)
    assert_close(out, k_out)
    assert paths(layer)[:3] == ["rnn/stacked_rnn_cells/a/kernel",
                                                   "rnn/stacked_rnn_cells/a/recurrent_kernel",
                                                   "rnn/stacked_rnn_cells/b/kernel"]
    # As Keras's stack: one tensor for a one-state cell without get_initial_state, else a list.
    assert structure(out[1:]) == [(2, 3), [(2, 2), (2, 4)], (2, 3)]


def test_bidirectional_matches_keras():
    x = rand(2, 5, 3)
    with keras.saving.custom_object_scope(CELLS[keras]), jkeras.saving.custom_object_scope(CELLS[jkeras]):
        def make(lib, cells):
            return lib.layers.Bidirectional(lib.layers.RNN(cells["MinimalRNNCell"](3, name="cell"), name="rnn",
                                                           return_sequences=True), name="bidi")

        layer, out, k_out = run_both(make, x)
    assert_close(out, k_out)
    assert len(layer.weights) == 4


def test_config_round_trip():
    x = rand(2, 4, 3)

    def make(lib, cells):
        return lib.layers.RNN([cells["MinimalRNNCell"](3, name="a"), cells["TwoStateCell"](2, name="b")],
                              return_sequences=True, go_backwards=True, name="rnn")

    layer, out, k_out = run_both(make, x)
    config = json.loads(json.dumps(layer.get_config()))
    k_config = make(keras, CELLS[keras]).get_config()

    def summary(c):
        cells = [(e["class_name"], e["config"]["name"], e["config"]["units"])
                 for e in c["cell"]["config"]["cells"]]
        return c["cell"]["class_name"], cells, {k: v for k, v in c.items() if k not in ("cell", "dtype")}

    assert summary(config) == summary(k_config)
    # jkeras's config builds the same layer in Keras, and Keras's in jkeras.
    k_clone = keras.layers.RNN.from_config(json.loads(json.dumps(config)), custom_objects=CELLS[keras])
    clone = jkeras.layers.RNN.from_config(json.loads(json.dumps(k_config)), custom_objects=CELLS[jkeras])
    k_clone(x)
    clone(x)
    k_clone.set_weights(layer.get_weights())
    clone.set_weights(layer.get_weights())
    assert_close(clone(x), k_out)
    assert_close(k_clone(x), k_out)


def _fit_model(lib):
    cells = CELLS[lib]
    inp = lib.Input((5, 3))
    h = lib.layers.RNN([cells["MinimalRNNCell"](4, name="a"), cells["TwoStateCell"](2, name="b")], name="rnn")(inp)
    model = lib.Model(inp, lib.layers.Dense(1, name="head")(h))
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
    return model


def test_fit_loss_history_matches_keras():
    keras.utils.set_random_seed(0)  # Keras's initial weights (copied into jkeras's) independent of test order
    x, y = rand(16, 5, 3, seed=3), rand(16, 1, seed=4)
    k_model, model = _fit_model(keras), _fit_model(jkeras)
    k_model(x)
    model(x)
    copy_weights(model, k_model)
    k_hist = k_model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    hist = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(hist, k_hist, rtol=1e-4)
    assert hist[-1] < hist[0]
    assert_close(model.get_weights(), k_model.get_weights(), tol=1e-4)


def test_save_and_load_with_custom_objects(tmp_path):
    x = rand(4, 5, 3, seed=5)
    k_model = _fit_model(keras)
    k_out = k_model(x)
    k_model.save(tmp_path / "keras.keras")
    # A Keras 3 file, and jkeras's own, load into jkeras with the cells as custom objects.
    loaded = jkeras.models.load_model(tmp_path / "keras.keras", custom_objects=CELLS[jkeras])
    assert_close(loaded(x), k_out)
    loaded.save(tmp_path / "jkeras.keras")
    again = jkeras.models.load_model(tmp_path / "jkeras.keras", custom_objects=CELLS[jkeras])
    assert_close(again(x), k_out)
    with pytest.raises(ValueError, match="MinimalRNNCell"):
        jkeras.models.load_model(tmp_path / "jkeras.keras")


def test_keras_style_cell_called_step_by_step():
    x, states = rand(2, 3), [rand(2, 2, seed=1), rand(2, 4, seed=2)]
    k_cell = CELLS[keras]["TwoStateCell"](2, name="cell")
    k_out, k_states = k_cell(x, states)
    cell = CELLS[jkeras]["TwoStateCell"](2, name="cell")
    cell(x, states)
    copy_weights(cell, k_cell)
    out, new_states = cell(x, states)
    assert_close([out, new_states], [k_out, k_states])


def test_abstract_rnn_cell_subclass_written_the_keras_way():
    """Keras 2's base class `AbstractRNNCell` with `build` and `call(inputs, states)`."""

    def make_cell(base, ops):
        class Cell(base):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = units

            @property
            def state_size(self):
                return self.units

            def build(self, input_shape):
                self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

            def call(self, inputs, states):
                out = ops.tanh(ops.matmul(inputs, self.kernel) + states[0])
                return out, [out]

        return Cell(3, name="cell")

    x = rand(2, 4, 5)
    k_layer = keras.layers.RNN(make_cell(keras.layers.Layer, keras.ops), return_state=True, name="rnn")
    k_out = k_layer(x)
    layer = jkeras.layers.RNN(make_cell(jkeras.layers.AbstractRNNCell, jkeras.ops), return_state=True, name="rnn")
    layer(x)
    copy_weights(layer, k_layer)
    assert_close(layer(x), k_out)
    step_out, _ = layer.cell(x[:, 0], [np.zeros((2, 3), "float32")])
    assert_close(step_out, np.tanh(x[:, 0] @ k_layer.get_weights()[0]))


def test_errors_name_the_cell_and_the_problem():
    class NoStates(jkeras.layers.Layer):
        state_size = 2

        def call(self, inputs):
            return inputs, [inputs]

    with pytest.raises(ValueError, match=r"RNN 'bad'.*call\(inputs, states\).*got call\(inputs\)"):
        jkeras.layers.RNN(NoStates(), name="bad")

    class WrongStates(jkeras.layers.Layer):
        state_size = [2, 2]

        def call(self, inputs, states):
            return states[0], [states[0]]

    with pytest.raises(ValueError, match=r"WrongStates 'wrong'.*2 state tensor\(s\).*got 1"):
        jkeras.layers.RNN(WrongStates(name="wrong"))(rand(2, 3, 2))


def make_nested_cell(lib):
    ops = lib.ops

    class NestedStateCell(lib.layers.Layer):
        """States `[h, [a, b]]`, described by its own `get_initial_state`."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.state_size = [4, [2, 3]]
            self.output_size = 4

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 4), name="kernel")

        def get_initial_state(self, batch_size=None):
            return [ops.zeros((batch_size, 4)), [ops.ones((batch_size, 2)), ops.ones((batch_size, 3))]]

        def call(self, inputs, states):
            h, (a, b) = states
            scale = ops.sum(a, axis=-1, keepdims=True) * ops.mean(b, axis=-1, keepdims=True)
            h2 = ops.tanh(ops.matmul(inputs, self.kernel) + h * scale)
            return h2, [h2, [a * 0.5, b + 1.0]]

    return NestedStateCell


def test_nested_states_match_keras():
    x = rand(2, 4, 5)
    mask = np.array([[1, 1, 0, 1], [0, 1, 1, 1]], bool)

    def make(lib, cells):
        return lib.layers.RNN(make_nested_cell(lib)(name="cell"), return_sequences=True, return_state=True,
                              name="rnn")

    _, out, k_out = run_both(make, x, mask=mask)
    assert_close(out, k_out)
    assert structure(out) == [(2, 4, 4), (2, 4), [(2, 2), (2, 3)]]
    symbolic = make(jkeras, None)(jkeras.Input((4, 5)))
    k_symbolic = make(keras, None)(keras.Input((4, 5)))
    as_shapes = lambda s: [as_shapes(t) for t in s] if isinstance(s, (list, tuple)) else tuple(s.shape)  # noqa
    assert as_shapes(symbolic) == as_shapes(k_symbolic) == [(None, 4, 4), (None, 4), [(None, 2), (None, 3)]]


def test_stateful_carries_states_like_keras():
    x1, x2 = rand(2, 3, 4, seed=1), rand(2, 3, 4, seed=2)

    def make(lib, cells):
        return lib.layers.RNN(cells["TwoStateCell"](2, name="cell"), stateful=True, name="rnn")

    layer, out, k_out = run_both(make, x1)
    # run_both called jkeras's layer twice on x1: start both from zero states again.
    layer.reset_states()
    assert_close(layer(x1), k_out)
    k_layer = make(keras, CELLS[keras])
    k_layer(x1)
    k_layer.set_weights(layer.get_weights())
    k_layer.reset_state()
    k_layer(x1)
    assert_close(layer(x2), k_layer(x2))


def test_rnn_of_a_keras_style_cell_inside_a_subclassed_model():
    x = rand(3, 4, 2)

    def make(lib, cells):
        class Model(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.rnn = lib.layers.RNN(cells["TwoStateCell"](3, name="cell"), return_sequences=True,
                                          name="rnn")
                self.head = lib.layers.Dense(1, name="head")

            def call(self, inputs):
                return self.head(self.rnn(inputs))

        return Model(name="net")

    model, out, k_out = run_both(make, x)
    assert_close(out, k_out)
    assert len(model.trainable_weights) == 7

"""Recurrent layers (RNN, SimpleRNN, GRU, LSTM, cells) against Keras 3 and NumPy."""
import json

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras

L = jkeras.layers
RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def assert_close(ours, ref, tol=1e-5):
    for o, r in zip(as_list(ours), as_list(ref)):
        if isinstance(o, (list, tuple)):
            assert_close(o, r, tol)
        else:
            np.testing.assert_allclose(np.asarray(o), np.asarray(r), rtol=tol, atol=tol)


def run_both(make, x, **call_kwargs):
    """The same layer in Keras and jkeras, with Keras's weights copied over: (jk layer, jk out, k out)."""
    k_layer = make(keras)
    k_out = k_layer(x, **call_kwargs)
    layer = make(jkeras)
    layer(x, **call_kwargs)
    layer.set_weights(k_layer.get_weights())
    return layer, layer(x, **call_kwargs), k_out


def left_padded_mask(batch, time, lengths):
    return np.arange(time)[None, :] < np.asarray(lengths)[:, None]


# ------------------------------------------------------------------------------------------
# Keras equality (check_layer: weights, shapes, config, gradients)

LAYERS = {
    "simple_rnn": lambda lib: lib.layers.SimpleRNN(4),
    "simple_rnn_seq_relu": lambda lib: lib.layers.SimpleRNN(4, activation="relu", return_sequences=True),
    "simple_rnn_no_bias_backwards": lambda lib: lib.layers.SimpleRNN(3, use_bias=False, go_backwards=True),
    "gru": lambda lib: lib.layers.GRU(4),
    "gru_reset_before": lambda lib: lib.layers.GRU(4, reset_after=False, return_sequences=True),
    "gru_backwards_seq": lambda lib: lib.layers.GRU(3, go_backwards=True, return_sequences=True),
    "gru_state": lambda lib: lib.layers.GRU(3, return_state=True),
    "gru_no_bias": lambda lib: lib.layers.GRU(3, use_bias=False, reset_after=False),
    "lstm": lambda lib: lib.layers.LSTM(4),
    "lstm_seq_state": lambda lib: lib.layers.LSTM(4, return_sequences=True, return_state=True),
    "lstm_backwards": lambda lib: lib.layers.LSTM(3, go_backwards=True, return_sequences=True),
    "lstm_no_forget_bias": lambda lib: lib.layers.LSTM(3, unit_forget_bias=False, bias_initializer="ones"),
    "lstm_no_bias_relu": lambda lib: lib.layers.LSTM(3, use_bias=False, activation="relu"),
    "lstm_unroll": lambda lib: lib.layers.LSTM(3, unroll=True, return_sequences=True),
    "lstm_dropout_inference": lambda lib: lib.layers.LSTM(3, dropout=0.4, recurrent_dropout=0.3),
    "gru_dropout_inference": lambda lib: lib.layers.GRU(3, dropout=0.2, recurrent_dropout=0.5),
    "rnn_lstm_cell": lambda lib: lib.layers.RNN(lib.layers.LSTMCell(3), return_sequences=True),
    "rnn_gru_cell_backwards": lambda lib: lib.layers.RNN(lib.layers.GRUCell(3), go_backwards=True),
    "rnn_stacked": lambda lib: lib.layers.RNN([lib.layers.LSTMCell(3), lib.layers.GRUCell(4),
                                               lib.layers.SimpleRNNCell(2)], return_sequences=True),
    "rnn_stacked_cells_object": lambda lib: lib.layers.RNN(
        lib.layers.StackedRNNCells([lib.layers.GRUCell(3), lib.layers.LSTMCell(2)])),
}


# Gradient checks (finite differences through the scan) for one layer per cell kind.
WITH_GRADS = {"gru_reset_before", "lstm_seq_state", "rnn_stacked"}  # stacked: all three cells


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_matches_keras(name):
    check_layer(LAYERS[name], input_shape=(2, 5, 3), grads=name in WITH_GRADS)


MASKED = [
    lambda lib: lib.layers.LSTM(3, return_sequences=True),
    lambda lib: lib.layers.GRU(3, return_sequences=True, go_backwards=True),
    lambda lib: lib.layers.SimpleRNN(3),
    lambda lib: lib.layers.LSTM(3, return_sequences=True, zero_output_for_mask=True),
    lambda lib: lib.layers.RNN([lib.layers.LSTMCell(2), lib.layers.GRUCell(3)], return_sequences=True),
]


@pytest.mark.parametrize("make", MASKED, ids=["lstm_seq", "gru_backwards", "simple_last", "lstm_zero_output",
                                              "stacked"])
def test_masked_steps_match_keras(make):
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 0]], bool)  # also a hole in the middle
    check_layer(make, input_shape=(2, 5, 3), call_kwargs={"mask": mask}, grads=make is MASKED[0])


def test_hard_sigmoid_is_keras2_formula():
    def keras2_hard_sigmoid(x):
        return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)

    check_layer(lambda lib: lib.layers.LSTM(3, recurrent_activation="hard_sigmoid"), input_shape=(2, 4, 3),
                keras_make=lambda lib: lib.layers.LSTM(3, recurrent_activation=keras2_hard_sigmoid),
                grads=False)
    check_layer(lambda lib: lib.layers.GRU(3, recurrent_activation="hard_sigmoid"), input_shape=(2, 4, 3),
                keras_make=lambda lib: lib.layers.GRU(3, recurrent_activation=keras2_hard_sigmoid),
                grads=False)


def test_weights_layout_as_keras():
    lstm = L.LSTM(5)
    lstm(rand(2, 3, 7))
    assert [(w.name, w.shape) for w in lstm.weights] == [
        ("kernel", (7, 20)), ("recurrent_kernel", (5, 20)), ("bias", (20,))]
    np.testing.assert_array_equal(lstm.get_weights()[2], np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    gru = L.GRU(5)
    gru(rand(2, 3, 7))
    assert [w.shape for w in gru.weights] == [(7, 15), (5, 15), (2, 15)]
    gru_v1 = L.GRU(5, reset_after=False)
    gru_v1(rand(2, 3, 7))
    assert [w.shape for w in gru_v1.weights] == [(7, 15), (5, 15), (15,)]
    assert lstm.get_variables()["params"]["lstm_cell"]["kernel"].shape == (7, 20)


def test_stacked_return_state_structure_matches_keras():
    x = rand(2, 5, 3)

    def make(lib):
        return lib.layers.RNN([lib.layers.LSTMCell(3), lib.layers.GRUCell(4)], return_state=True)

    layer, out, k_out = run_both(make, x)
    assert len(out) == 3 and len(out[1]) == 2 and len(out[2]) == 1
    assert_close(out, k_out)
    shapes = layer.compute_output_shape((None, 5, 3))
    assert shapes == [(None, 4), [(None, 3), (None, 3)], [(None, 4)]]
    symbolic = make(jkeras)(jkeras.Input((5, 3)))
    assert [symbolic[0].shape, [t.shape for t in symbolic[1]], [t.shape for t in symbolic[2]]] == shapes


# ------------------------------------------------------------------------------------------
# A user-written cell


class MinimalRNNCell(L.Layer):
    """The Keras docs' minimal cell, written with jkeras's pure cell protocol."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def init(self, rng, input_shape):
        k1, k2 = jax.random.split(rng)
        init = jkeras.initializers.get("uniform")
        return {"params": {"kernel": init((input_shape[-1], self.units), self.dtype, key=k1),
                           "recurrent_kernel": init((self.units, self.units), self.dtype, key=k2)},
                "state": {}}

    def step(self, params, inputs, states, *, training=False, rng=None):
        output = inputs @ params["kernel"] + jnp.tanh(states[0] @ params["recurrent_kernel"])
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class KerasMinimalRNNCell(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        output = keras.ops.matmul(inputs, self.kernel) + keras.ops.tanh(
            keras.ops.matmul(states[0], self.recurrent_kernel))
        return output, [output]


@pytest.mark.parametrize("stacked", [False, True])
def test_user_cell_matches_keras(stacked):
    x = rand(3, 6, 4)

    def make(lib):
        cell = MinimalRNNCell if lib is jkeras else KerasMinimalRNNCell
        return lib.layers.RNN([cell(3), cell(5)] if stacked else cell(3), return_sequences=True)

    layer, out, k_out = run_both(make, x)
    assert_close(out, k_out)
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel"] * (2 if stacked else 1)
    clone = L.RNN.from_config(json.loads(json.dumps(layer.get_config())),
                              custom_objects={"MinimalRNNCell": MinimalRNNCell})
    clone(x)
    clone.set_weights(layer.get_weights())
    assert_close(clone(x), out)
    # gradients flow through the scan into the user's weights
    grads = jax.grad(lambda p: jnp.sum(layer.apply({"params": p, "state": {}}, x)[0] ** 2))(
        layer.get_variables()["params"])
    assert all(np.abs(np.asarray(g)).sum() > 0 for g in jax.tree_util.tree_leaves(grads))


def test_abstract_cell_is_callable_step_by_step():
    cell = L.LSTMCell(3)
    x = rand(2, 4)
    out, (h, c) = cell(x, [np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")])
    k_cell = keras.layers.LSTMCell(3)
    k_out, _ = k_cell(x, [np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")])
    cell.set_weights(k_cell.get_weights())
    out, (h, c) = cell.call(x, cell.get_initial_state(2))
    assert_close(out, k_out)
    assert_close(h, out)


def test_cell_without_protocol_is_rejected():
    class NotACell(L.Layer):
        state_size = 3

    with pytest.raises(ValueError, match=r"RNN 'bad_rnn'.*step\(params, inputs, states"):
        L.RNN(NotACell(), name="bad_rnn")
    with pytest.raises(ValueError, match="state_size"):
        L.RNN(L.Dense(3))


# ------------------------------------------------------------------------------------------
# Masks


def test_padded_and_unpadded_batches_agree_on_real_steps():
    tokens = np.array([[3, 5, 2, 7], [4, 1, 0, 0]])
    inp = jkeras.Input((None,), dtype="int32")
    emb = L.Embedding(10, 4, mask_zero=True)
    seq = L.LSTM(3, return_sequences=True)
    model = jkeras.Model(inp, [seq(emb(inp)), L.LSTM(3)(emb(inp))])
    full_seq, full_last = model.predict(tokens, verbose=0)
    short_seq, short_last = model.predict(tokens[1:, :2], verbose=0)
    np.testing.assert_allclose(full_seq[1, :2], short_seq[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(full_last[1], short_last[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(full_seq[1, 2:], np.repeat(full_seq[1, 1:2], 2, 0), rtol=1e-6)  # carried


def test_output_mask_is_input_mask_with_return_sequences():
    mask = np.array([[1, 1, 0], [1, 0, 0]], bool)
    x = rand(2, 3, 2)
    seq = L.GRU(2, return_sequences=True)
    seq(x)
    np.testing.assert_array_equal(seq.compute_mask(x, mask), mask)
    last = L.GRU(2)
    last(x)
    assert last.compute_mask(x, mask) is None
    with_state = L.LSTM(2, return_sequences=True, return_state=True)
    with_state(x)
    m = with_state.compute_mask(x, mask)
    assert len(m) == 3 and m[1] is None and m[2] is None
    np.testing.assert_array_equal(m[0], mask)


def test_masking_layer_feeds_the_mask():
    x = rand(2, 4, 3)
    x[0, 2:] = 0.0

    def make(lib):
        return lib.Sequential([lib.layers.Masking(0.0), lib.layers.LSTM(3, return_sequences=True)])

    k_model = make(keras)
    k_out = k_model(x)
    model = make(jkeras)
    model(x)
    model.set_weights(k_model.get_weights())
    assert_close(model.predict(x, verbose=0), k_out)


# ------------------------------------------------------------------------------------------
# initial_state


def test_initial_state_eager_and_pure():
    x, h, c = rand(2, 4, 3), rand(2, 5), rand(2, 5)
    layer, out, k_out = run_both(lambda lib: lib.layers.LSTM(5, return_state=True), x, initial_state=[h, c])
    assert_close(out, k_out)
    pure, _ = layer.apply(layer.get_variables(), x, initial_state=[h, c])
    assert_close(pure, k_out)
    listed, _ = layer.apply(layer.get_variables(), [x, h, c])
    assert_close(listed, k_out)


def test_initial_state_symbolic_in_functional_model():
    x, h = rand(2, 4, 3), rand(2, 5)

    def make(lib):
        inp, state = lib.Input((4, 3)), lib.Input((5,))
        out = lib.layers.GRU(5, return_sequences=True, name="gru")(inp, initial_state=[state])
        return lib.Model([inp, state], out)

    k_model, model = make(keras), make(jkeras)
    model.set_weights(k_model.get_weights())
    assert_close(model.predict([x, h], verbose=0), k_model.predict([x, h], verbose=0))
    assert model.get_layer("gru").output.shape == (None, 4, 5)


def test_initial_state_errors():
    layer = L.LSTM(3, name="lstm_init")
    with pytest.raises(ValueError, match=r"LSTM 'lstm_init': initial_state: expected 2 state"):
        layer(rand(2, 4, 3), initial_state=[rand(2, 3)])
    with pytest.raises(ValueError, match=r"initial_state: expected states of shapes \[\(2, 3\), \(2, 3\)\]"):
        layer(rand(2, 4, 3), initial_state=[rand(2, 4), rand(2, 4)])


# ------------------------------------------------------------------------------------------
# Stateful


def test_stateful_carries_across_batches_like_keras():
    x1, x2 = rand(3, 4, 2), rand(3, 4, 2)
    make = lambda lib: lib.layers.LSTM(4, stateful=True, return_sequences=True)  # noqa: E731
    k_layer = make(keras)
    k1 = np.asarray(k_layer(x1))
    layer = make(jkeras)
    layer(x1)
    layer.set_weights(k_layer.get_weights())
    layer.reset_states()
    assert_close(layer(x1), k1)
    assert_close(layer(x2), k_layer(x2))
    assert len(layer.get_weights()) == len(k_layer.get_weights()) == 3
    assert [s.shape for s in layer.states] == [(3, 4), (3, 4)]
    assert_close(layer.states, [v.value for v in k_layer.states])
    layer.reset_states()
    k_layer.reset_states()
    assert np.all(np.asarray(layer.states[0]) == 0)
    assert_close(layer(x2), k_layer(x2))


def test_stateful_model_predict_threads_state_and_reset():
    x = rand(8, 5, 2)

    def make(lib):
        return lib.Sequential([lib.Input(batch_shape=(4, 5, 2)), lib.layers.GRU(3, stateful=True),
                               lib.layers.Dense(1)])

    k_model, model = make(keras), make(jkeras)
    model.set_weights(k_model.get_weights())
    # Keras 3's jitted predict does not carry the states the way its eager calls (and Keras 2's
    # predict) do; the reference is Keras's model called batch by batch.
    expected = np.concatenate([np.asarray(k_model(x[:4])), np.asarray(k_model(x[4:]))])
    assert_close(model.predict(x, batch_size=4, verbose=0), expected)
    model.reset_states()
    k_model.layers[0].reset_state()
    assert_close(model.predict(x[:4], batch_size=4, verbose=0), k_model(x[:4]))
    assert_close(model.predict(x[4:], batch_size=4, verbose=0), k_model(x[4:]))


def test_stateful_state_updates_in_training_and_reset_to_values():
    layer = L.SimpleRNN(2, stateful=True, batch_input_shape=(2, 3, 1))
    model = jkeras.Sequential([layer])
    model.compile("sgd", "mse")
    model.fit(np.ones((2, 3, 1)), np.zeros((2, 2)), batch_size=2, epochs=1, verbose=0, shuffle=False)
    assert np.abs(np.asarray(layer.states[0])).sum() > 0
    layer.reset_states([np.full((2, 2), 0.5, "float32")])
    np.testing.assert_array_equal(np.asarray(layer.states[0]), np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="expected 1 state"):
        layer.reset_states([np.zeros((2, 2)), np.zeros((2, 2))])


def test_stateful_needs_a_fixed_batch_size():
    with pytest.raises(ValueError, match=r"LSTM 'stateless_batch': stateful=True needs a fixed batch size"):
        jkeras.Sequential([L.LSTM(2, stateful=True, input_shape=(3, 2), name="stateless_batch")])
    layer = L.GRU(2, stateful=True, name="fixed_batch")
    layer(rand(4, 3, 2))
    with pytest.raises(ValueError, match=r"fixed_batch.*batch size it was built for \(4\)"):
        layer(rand(5, 3, 2))


# ------------------------------------------------------------------------------------------
# Dropout in training


def test_dropout_masks_are_constant_over_time_and_drawn_from_rng():
    layer = L.SimpleRNN(6, activation=None, use_bias=False, dropout=0.5, return_sequences=True)
    x = np.ones((4, 5, 6), "float32")
    layer(x)
    layer.set_weights([np.eye(6, dtype="float32"), np.zeros((6, 6), "float32")])
    v = layer.get_variables()
    train = jax.jit(lambda v, x, rng: layer.apply(v, x, training=True, rng=rng)[0])
    out = np.asarray(train(v, x, jax.random.PRNGKey(0)))
    assert np.all(out == out[:, :1])  # the same mask at every step
    assert set(np.unique(out)) <= {0.0, 2.0} and 0 < (out == 0).mean() < 1
    np.testing.assert_array_equal(out, np.asarray(train(v, x, jax.random.PRNGKey(0))))
    assert not np.array_equal(out, np.asarray(train(v, x, jax.random.PRNGKey(1))))
    np.testing.assert_array_equal(np.asarray(layer(x)), x)  # inference: no dropout
    with pytest.raises(ValueError, match="needs an `rng` key"):
        layer.apply(v, x, training=True)


def test_recurrent_dropout_mask_is_constant_over_time():
    layer = L.SimpleRNN(5, activation=None, use_bias=False, recurrent_dropout=0.5, return_sequences=True)
    x = np.ones((3, 4, 5), "float32")
    layer(x)
    layer.set_weights([np.eye(5, dtype="float32"), np.eye(5, dtype="float32")])
    out = np.asarray(layer.apply(layer.get_variables(), x, training=True, rng=jax.random.PRNGKey(2))[0])
    mask = out[:, 1] - 1.0  # h1 = 1 + h0 * m with h0 = 1
    expected = [np.ones((3, 5))]
    for _ in range(3):
        expected.append(1.0 + expected[-1] * mask)
    np.testing.assert_allclose(out, np.stack(expected, 1), rtol=1e-6)
    assert set(np.unique(mask)) <= {0.0, 2.0}


@pytest.mark.parametrize("make", [
    lambda: L.LSTM(4, dropout=0.3, recurrent_dropout=0.3),
    lambda: L.GRU(4, dropout=0.3, recurrent_dropout=0.3, reset_after=False),
    lambda: L.GRU(4, dropout=0.3, implementation=1),
])
def test_dropout_training_runs_and_changes_outputs(make):
    layer = make()
    x = rand(3, 5, 2)
    layer(x)
    v = layer.get_variables()
    train = np.asarray(layer.apply(v, x, training=True, rng=jax.random.PRNGKey(0))[0])
    assert train.shape == (3, 4) and not np.allclose(train, np.asarray(layer(x)))


# ------------------------------------------------------------------------------------------
# Compilation: a scan, not a loop


def _eqn_count(layer, time):
    x = jnp.zeros((2, time, 3))
    layer(x)
    return len(jax.make_jaxpr(lambda v, x: layer.apply(v, x))(layer.get_variables(), x).jaxpr.eqns)


def test_program_size_does_not_grow_with_sequence_length():
    assert _eqn_count(L.LSTM(4), 5) == _eqn_count(L.LSTM(4), 60)
    assert _eqn_count(L.GRU(4, return_sequences=True), 5) == _eqn_count(L.GRU(4, return_sequences=True), 60)
    assert _eqn_count(L.LSTM(4, unroll=True), 10) > 1.5 * _eqn_count(L.LSTM(4, unroll=True), 5)


def test_unroll_equals_scan_with_masks_and_state():
    x = rand(2, 5, 3)
    mask = np.array([[1, 1, 0, 1, 1], [1, 1, 1, 0, 0]], bool)
    scan = L.LSTM(3, return_sequences=True, return_state=True, go_backwards=True)
    unrolled = L.LSTM.from_config({**scan.get_config(), "unroll": True, "name": "unrolled"})
    scan(x)
    unrolled(x)
    unrolled.set_weights(scan.get_weights())
    assert_close(unrolled(x, mask=mask), scan(x, mask=mask))


@pytest.mark.parametrize("make", [
    lambda: L.LSTM(4, dropout=0.3, recurrent_dropout=0.2, return_sequences=True, return_state=True),
    lambda: L.GRU(4, dropout=0.3, reset_after=False, go_backwards=True, return_sequences=True),
    lambda: L.GRU(3, recurrent_dropout=0.4),
    lambda: L.SimpleRNN(3, dropout=0.5, unroll=True),
    lambda: L.RNN([L.LSTMCell(3, dropout=0.2), L.GRUCell(2)], return_sequences=True),
], ids=["lstm", "gru_before_backwards", "gru", "simple_unroll", "stacked"])
def test_projection_placement_and_scan_unroll_agree(make, monkeypatch):
    """Each step's input projected inside the scan (CPU, inference) or all steps before it (an
    accelerator training), 1 or 4 steps per scan iteration (an accelerator): the same outputs,
    states and gradients, with masks and dropout."""
    from jkeras.layers import _rnn_base

    x = rand(3, 6, 2)
    mask = np.array([[1, 1, 0, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1] * 6], bool)
    layer = make()
    layer(x)
    v = layer.get_variables()

    def run(in_loop, unroll=1):
        monkeypatch.setattr(_rnn_base, "PROJECT_IN_LOOP", in_loop)
        monkeypatch.setattr(_rnn_base, "SCAN_UNROLL", unroll)
        assert _rnn_base.project_in_loop() is in_loop and _rnn_base.scan_unroll() == unroll

        def total(params, x):
            out = layer.apply({**v, "params": params}, x, training=True, rng=jax.random.PRNGKey(3), mask=mask)[0]
            return sum(jnp.sum(jnp.sin(o)) for o in as_list(out)), out

        (_, out), grads = jax.jit(jax.value_and_grad(total, argnums=(0, 1), has_aux=True))(v["params"], x)
        return out, grads

    out_ref, grads_ref = run(True)
    for in_loop, unroll in ((False, 1), (True, 4), (False, 4)):  # 4 does not divide the 6 steps
        out, grads = run(in_loop, unroll)
        assert_close(out, out_ref)
        for a, b in zip(jax.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(grads_ref)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------------------
# Regularizers, constraints, trainable


def test_regularizers_and_constraints():
    layer = L.GRU(3, kernel_regularizer=jkeras.regularizers.l2(0.1),
                  recurrent_regularizer=jkeras.regularizers.l1(0.01),
                  recurrent_constraint=jkeras.constraints.MaxNorm(0.01))
    layer(rand(2, 4, 2))
    kernel, recurrent, _ = layer.get_weights()
    expected = 0.1 * np.sum(kernel ** 2) + 0.01 * np.sum(np.abs(recurrent))
    np.testing.assert_allclose(float(sum(layer.losses)), expected, rtol=1e-5)
    params = layer.apply_constraints(layer.get_variables()["params"])
    norms = np.sqrt((np.asarray(params["gru_cell"]["recurrent_kernel"]) ** 2).sum(0))
    assert norms.max() <= 0.01 + 1e-6


def test_frozen_layer_has_no_trainable_weights():
    layer = L.LSTM(3, trainable=False)
    layer(rand(2, 3, 2))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    assert layer.count_params() == 2 * 12 + 3 * 12 + 12


# ------------------------------------------------------------------------------------------
# Configs and spellings


def test_config_from_keras3_and_keras2():
    k_config = keras.layers.LSTM(3, return_sequences=True, dropout=0.1, name="from_k3").get_config()
    layer = L.LSTM.from_config(k_config)
    assert layer.units == 3 and layer.return_sequences and layer.dropout == 0.1 and layer.name == "from_k3"
    keras2 = {"name": "lstm_k2", "trainable": True, "batch_input_shape": [None, 4, 2], "dtype": "float32",
              "return_sequences": False, "return_state": False, "go_backwards": False, "stateful": False,
              "unroll": False, "time_major": False, "units": 3, "activation": "tanh",
              "recurrent_activation": "hard_sigmoid", "use_bias": True, "implementation": 2,
              "kernel_initializer": {"class_name": "VarianceScaling",
                                     "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
                                                "seed": None}},
              "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
              "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
              "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
              "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
              "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0}
    layer = L.LSTM.from_config(keras2)
    assert layer.input_shape == (None, 4, 2) and layer(rand(2, 4, 2)).shape == (2, 3)
    gru = L.GRU.from_config(keras.layers.GRU(2, reset_after=False).get_config())
    assert gru.reset_after is False
    k_rnn = keras.layers.RNN([keras.layers.LSTMCell(2), keras.layers.GRUCell(3)])
    rnn = L.RNN.from_config(k_rnn.get_config())
    assert rnn(rand(2, 3, 4)).shape == (2, 3)


def test_keras1_spellings():
    with pytest.warns(UserWarning) as record:
        layer = L.LSTM(output_dim=4, init="uniform", inner_init="orthogonal", inner_activation="hard_sigmoid",
                       forget_bias_init="one", W_regularizer=jkeras.regularizers.l2(0.01),
                       U_regularizer=jkeras.regularizers.l2(0.02), dropout_W=0.2, dropout_U=0.1,
                       consume_less="gpu", input_dim=3, input_length=6, return_sequences=True)
    assert any("`output_dim` is deprecated; use `units`" in str(w.message) for w in record)
    config = layer.get_config()
    assert config["units"] == 4 and config["recurrent_activation"] == "hard_sigmoid"
    assert config["dropout"] == 0.2 and config["recurrent_dropout"] == 0.1 and layer.unit_forget_bias
    assert config["kernel_initializer"]["class_name"] == "RandomUniform"
    assert layer.input_shape == (None, 6, 3)
    model = jkeras.Sequential([layer])
    assert model.output_shape == (None, 6, 4)
    with pytest.warns(UserWarning):
        simple = L.SimpleRNN(output_dim=2, consume_less="cpu", input_dim=3)
        gru = L.GRU(2, inner_activation="sigmoid")
        lstm = L.LSTM(2, forget_bias_init="zero")
    assert simple.units == 2 and simple.input_shape == (None, None, 3)
    assert gru.get_config()["recurrent_activation"] == "sigmoid"
    assert lstm.unit_forget_bias is False


def test_cudnn_aliases_run_the_same_equations():
    x = rand(2, 5, 3)
    lstm, cudnn_lstm = L.LSTM(4, return_sequences=True), L.CuDNNLSTM(4, return_sequences=True)
    lstm(x)
    cudnn_lstm(x)
    cudnn_lstm.set_weights(lstm.get_weights())
    assert_close(cudnn_lstm(x), lstm(x))
    gru, cudnn_gru = L.GRU(4, return_state=True), L.CuDNNGRU(4, return_state=True)
    gru(x)
    cudnn_gru(x)
    cudnn_gru.set_weights(gru.get_weights())
    assert_close(cudnn_gru(x), gru(x))
    assert cudnn_gru.reset_after and [w.shape for w in cudnn_gru.weights][2] == (2, 12)
    for layer in (cudnn_lstm, cudnn_gru):
        config = json.loads(json.dumps(layer.get_config()))
        assert "activation" not in config and "dropout" not in config
        assert type(layer).from_config(config).get_config() == layer.get_config()


@pytest.mark.parametrize("make, match", [
    (lambda: L.LSTM(0), r"LSTM 'lstm_err': units must be a positive int, got 0"),
    (lambda: L.GRU(2.5), r"GRU 'lstm_err': units must be a positive int, got 2.5"),
    (lambda: L.SimpleRNN(3, dropout="x"), r"dropout must be a float"),
    (lambda: L.LSTM(3, use_cudnn="yes"), r"use_cudnn must be 'auto', True or False"),
    (lambda: L.LSTM(3, time_major=True), r"time_major=True is not supported"),
])
def test_argument_errors_name_the_layer(make, match):
    with pytest.raises(ValueError, match=match.replace("lstm_err", ".*")):
        make()


def test_input_shape_errors():
    with pytest.raises(ValueError, match=r"LSTM 'rank2': expected an input of rank 3 .*\(None, 4\)"):
        L.LSTM(2, name="rank2")(jkeras.Input((4,)))
    layer = L.GRU(2, name="built_for_3")
    layer(rand(2, 4, 3))
    with pytest.raises(ValueError, match=r"built_for_3.*built for input shape"):
        layer(rand(2, 4, 5))
    with pytest.raises(ValueError, match="rank >= 3"):
        L.RNN(L.LSTMCell(2))(rand(2, 3))


def test_symbolic_shapes_and_summary():
    inp = jkeras.Input((None, 6))
    out, h, c = L.LSTM(4, return_state=True)(inp)
    assert out.shape == h.shape == c.shape == (None, 4)
    seq = L.GRU(3, return_sequences=True)(inp)
    assert seq.shape == (None, None, 3)
    model = jkeras.Model(inp, [out, seq])
    lines = []
    model.summary(print_fn=lines.append)
    assert any("LSTM" in line for line in lines)
    assert model.count_params() == 6 * 16 + 4 * 16 + 16 + 6 * 9 + 3 * 9 + 18


@pytest.mark.slow
def test_fit_with_dropout_masks_and_stacked_cells():
    jkeras.utils.set_random_seed(0)
    tokens = np.random.default_rng(0).integers(0, 6, (32, 7))
    model = jkeras.Sequential([
        L.Embedding(6, 4, mask_zero=True),
        L.RNN([L.LSTMCell(4, dropout=0.2, recurrent_dropout=0.2), L.GRUCell(3)], return_sequences=True),
        L.GRU(2, dropout=0.1, recurrent_dropout=0.3),
    ])
    model.compile("adam", "mse")
    history = model.fit(tokens, np.zeros((32, 2)), batch_size=8, epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]

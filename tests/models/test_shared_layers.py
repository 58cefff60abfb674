"""A layer held at several places inside one model keeps one set of weights, as in Keras 3: listed
once, trained once (its gradients from every use summed), its state updated wherever it runs."""
import jax
import jax.numpy as jnp
import keras
import numpy as np
from jax.test_util import check_grads

import jkeras
from jkeras.models import shared_layers


def _feedback(k):
    """tensorflow.org's time-series FeedBack model: one LSTMCell is `lstm_cell` and the cell of
    `lstm_rnn`."""

    class FeedBack(k.Model):
        def __init__(self):
            super().__init__()
            self.lstm_cell = k.layers.LSTMCell(6)
            self.lstm_rnn = k.layers.RNN(self.lstm_cell, return_state=True)
            self.dense = k.layers.Dense(2)

        def call(self, inputs, training=None):
            x, *state = self.lstm_rnn(inputs)
            prediction = self.dense(x)
            predictions = [prediction]
            for _ in range(2):
                x, state = self.lstm_cell(prediction, states=state, training=training)
                prediction = self.dense(x)
                predictions.append(prediction)
            return k.ops.transpose(k.ops.stack(predictions), [1, 0, 2])

    return FeedBack()


def _direct_and_nested(k):
    """A Dense used directly and inside a nested Sequential."""
    dense = k.layers.Dense(3)

    class Model(k.Model):
        def __init__(self):
            super().__init__()
            self.block = k.Sequential([dense, k.layers.Dense(3)])
            self.dense = dense

        def call(self, x):
            return self.dense(x) + self.block(x)

    return Model()


def _functional(k):
    """A functional model using a nested model and, after it, one of that model's layers."""
    inner_dense = k.layers.Dense(4)
    inner = k.Sequential([k.Input((4,)), inner_dense])
    x = k.Input((4,))
    return k.Model(x, inner_dense(inner(x)))


def _pair(make, x):
    keras.utils.set_random_seed(0)
    theirs = make(keras)
    theirs(x)
    ours = make(jkeras)
    ours(x)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    return ours, theirs


CASES = {
    "feedback": (_feedback, lambda rng: rng.standard_normal((8, 5, 2)), lambda rng: rng.standard_normal((8, 3, 2))),
    "direct_and_nested": (_direct_and_nested, lambda rng: rng.standard_normal((8, 3)),
                          lambda rng: rng.standard_normal((8, 3))),
    "functional": (_functional, lambda rng: rng.standard_normal((8, 4)), lambda rng: rng.standard_normal((8, 4))),
}


def _case(name):
    make, make_x, make_y = CASES[name]
    rng = np.random.default_rng(1)
    return make, make_x(rng).astype("float32"), make_y(rng).astype("float32")


def test_a_layer_held_twice_is_listed_once_and_computes_as_in_keras():
    for name in CASES:
        make, x, _ = _case(name)
        ours, theirs = _pair(make, x)
        assert len(ours.weights) == len(theirs.weights), name
        np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_a_layer_held_twice_trains_as_one_layer_as_in_keras():
    """Two SGD steps: the shared weights move by the sum of their uses' gradients (two copies,
    each moved by one use's, would differ from Keras)."""
    for name in CASES:
        make, x, y = _case(name)
        ours, theirs = _pair(make, x)
        for model, k in ((ours, jkeras), (theirs, keras)):
            model.compile(k.optimizers.SGD(0.1), "mse")
            model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        assert len(ours.weights) == len(theirs.weights)
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=name)


def test_pure_pair_over_one_copy_sums_the_gradients():
    make, x, y = _case("direct_and_nested")
    model = make(jkeras)
    model(x)
    variables = model.get_variables()
    fresh = model.init(jax.random.PRNGKey(0), x.shape)
    assert jax.tree_util.tree_structure(fresh) == jax.tree_util.tree_structure(variables)
    dense, block = model.dense.name, model.block.name
    # `block` is set first: the shared Dense's one copy sits inside it, none at the top.
    assert dense in variables["params"][block] and dense not in variables["params"]

    def loss(params):
        out, _ = model.apply({"params": params, "state": variables["state"]}, x)
        return jnp.mean((out - y) ** 2)

    grads = jax.grad(loss)(variables["params"])
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(variables["params"])
    # By hand: the shared Dense's kernel gradient is the sum of its direct and its nested use's.
    kernel, bias = (np.asarray(variables["params"][block][dense][k]) for k in ("kernel", "bias"))
    other = variables["params"][block][model.block.layers[1].name]
    h = x @ kernel + bias
    out = h + (h @ np.asarray(other["kernel"]) + np.asarray(other["bias"]))
    d_out = 2 * (out - y) / out.size
    d_h = d_out + d_out @ np.asarray(other["kernel"]).T
    np.testing.assert_allclose(grads[block][dense]["kernel"], x.T @ d_h, rtol=1e-4, atol=1e-6)
    check_grads(loss, (variables["params"],), order=1, modes=("rev",), atol=1e-2, rtol=1e-2)


def test_state_updated_at_a_later_place_reaches_the_layer():
    """A BatchNormalization held as `self.bn` and run only inside `self.block`: its moving
    statistics change as in Keras."""

    def make(k):
        bn = k.layers.BatchNormalization()

        class Model(k.Model):
            def __init__(self):
                super().__init__()
                self.bn = bn
                self.block = k.Sequential([k.layers.Dense(3), bn])

            def call(self, x, training=None):
                return self.block(x, training=training)

        return Model()

    x = np.random.default_rng(2).standard_normal((8, 3)).astype("float32")
    y = np.zeros((8, 3), "float32")
    ours, theirs = _pair(make, x)
    assert len(ours.weights) == 6
    for model, k in ((ours, jkeras), (theirs, keras)):
        model.compile(k.optimizers.SGD(0.1), "mse")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    np.testing.assert_allclose(np.asarray(ours.bn.moving_mean), np.asarray(theirs.bn.moving_mean), rtol=1e-5,
                               atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_weights_files_carry_one_copy_between_keras_and_jkeras(tmp_path):
    """Keras 3's `.weights.h5` of these models loads into jkeras and back. FeedBack's attributes
    sort after `layers`, which Keras 3 visits in their place: its cell is stored at
    `layers/lstm_cell`."""
    for name in CASES:
        make, x, _ = _case(name)
        theirs = make(keras)
        theirs(x)
        theirs.save_weights(str(tmp_path / f"{name}_keras.weights.h5"))
        ours = make(jkeras)
        ours(x)
        ours.load_weights(str(tmp_path / f"{name}_keras.weights.h5"))
        np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
        ours.save_weights(str(tmp_path / f"{name}_ours.weights.h5"))
        again = make(keras)
        again(x)
        again.load_weights(str(tmp_path / f"{name}_ours.weights.h5"))
        np.testing.assert_allclose(np.asarray(again(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)


def test_places_lists_the_first_place_of_each_layer():
    shared = jkeras.layers.Dense(2, name="shared")
    outer = jkeras.layers.Layer(name="outer")
    inner = jkeras.layers.Layer(name="inner")
    inner._sublayers = [shared]
    outer._sublayers = [inner, shared]
    first, later = shared_layers.places(outer)
    assert first[id(shared)] == ("inner", "shared")
    assert later == [(("shared",), ("inner", "shared"))]
    tree = {"params": {"inner": {"shared": {"kernel": 1}}}, "state": {}}
    expanded = shared_layers.expand(tree, later)
    assert expanded["params"]["shared"] is tree["params"]["inner"]["shared"]
    assert shared_layers.drop_later(expanded, later) == tree
    assert tree == {"params": {"inner": {"shared": {"kernel": 1}}}, "state": {}}  # not changed in place

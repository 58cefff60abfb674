"""Keras 1's `Merge(layers, mode=...)` / `merge(tensors, mode=...)`: the merged Sequential of
the Keras 1 docs trains, and every mode computes its NumPy formula."""
import numpy as np
import pytest

import jkeras
from jkeras.layers import Dense, Merge, merge
from jkeras.models import Model, Sequential

_NUMPY = {
    "sum": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "ave": lambda a, b: (a + b) / 2,
    "max": np.maximum,
    "concat": lambda a, b: np.concatenate([a, b], axis=1),
    "dot": lambda a, b: np.sum(a * b, axis=1, keepdims=True),
    "cos": lambda a, b: np.sum(a * b, axis=1, keepdims=True)
    / (np.linalg.norm(a, axis=1, keepdims=True) * np.linalg.norm(b, axis=1, keepdims=True)),
}


def _branch():
    branch = Sequential()
    branch.add(Dense(4, input_dim=6))
    return branch


@pytest.mark.parametrize("mode", sorted(_NUMPY))
def test_merged_sequential_computes_the_mode(mode):
    left, right = _branch(), _branch()
    model = Sequential()
    model.add(Merge([left, right], mode=mode, concat_axis=1))
    model.add(Dense(2))
    assert [layer.name for layer in model.layers][1:] == [model.layers[-1].name]
    assert len(model.inputs) == 2
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(5, 6)).astype("float32"), rng.normal(size=(5, 6)).astype("float32")
    wl, bl, wr, br, w, b = model.get_weights()
    assert wl.shape == wr.shape == (6, 4)
    merged = _NUMPY[mode](x1 @ wl + bl, x2 @ wr + br)
    np.testing.assert_allclose(model.predict([x1, x2], verbose=0), merged @ w + b, rtol=2e-5, atol=2e-5)


def test_merged_sequential_trains_from_both_inputs():
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=(64, 6)).astype("float32"), rng.normal(size=(64, 6)).astype("float32")
    y = (x1[:, :1] - 2 * x2[:, 1:2]).astype("float32")
    model = Sequential()
    model.add(Merge([_branch(), _branch()], mode="concat"))
    model.add(Dense(1))
    model.compile(optimizer=jkeras.optimizers.SGD(lr=0.05), loss="mse")
    before = model.evaluate([x1, x2], y, verbose=0)
    model.fit([x1, x2], y, nb_epoch=20, batch_size=16, verbose=0)
    assert model.evaluate([x1, x2], y, verbose=0) < 0.5 * before
    with pytest.raises(NotImplementedError, match="functional API"):
        model.to_json()


def test_merge_function_and_layer_on_tensors():
    a, b = jkeras.Input((3,)), jkeras.Input((3,))
    model = Model([a, b], [merge([a, b], mode="concat"), Merge(mode="mul")([a, b]),
                           merge([a, b], mode=lambda t: t[0] - t[1], output_shape=lambda s: s[0])])
    x1, x2 = np.arange(6, dtype="float32").reshape(2, 3), np.ones((2, 3), "float32")
    concat, mul, diff = model.predict([x1, x2], verbose=0)
    np.testing.assert_allclose(concat, np.concatenate([x1, x2], axis=1))
    np.testing.assert_allclose(mul, x1 * x2)
    np.testing.assert_allclose(diff, x1 - x2)
    # Keras 2's `keras.layers.merge` module is still there
    assert jkeras.layers.merge.Concatenate is jkeras.layers.Concatenate


def test_merge_errors_name_the_problem():
    with pytest.raises(ValueError, match="mode must be one of .*received mode='add'"):
        Merge(mode="add")
    with pytest.raises(ValueError, match="at least 2 layers"):
        Merge([_branch()], mode="sum")
    with pytest.raises(ValueError, match="has no output to merge yet"):
        Merge([Sequential([Dense(2)]), _branch()], mode="sum")


def test_nested_merges_share_an_encoder_as_in_keras1_babi_memnn():
    """Keras 1's babi_memnn: merged Sequentials merged again, one encoder used twice; the model
    takes each distinct source input once (3 inputs)."""
    from jkeras.layers import Activation, Embedding, Permute

    def encoder(length, dim):
        model = Sequential()
        model.add(Embedding(input_dim=10, output_dim=dim, input_length=length))
        return model

    story_m, question, story_c = encoder(6, 8), encoder(3, 8), encoder(6, 3)
    match = Sequential()
    match.add(Merge([story_m, question], mode="dot", dot_axes=[2, 2]))
    match.add(Activation("softmax"))
    response = Sequential()
    response.add(Merge([match, story_c], mode="sum"))
    response.add(Permute((2, 1)))
    answer = Sequential()
    answer.add(Merge([response, question], mode="concat", concat_axis=-1))
    answer.add(jkeras.layers.Flatten())
    answer.add(Dense(10, activation="softmax"))
    assert len(answer.inputs) == 3
    assert answer.output_shape == (None, 10)
    rng = np.random.default_rng(0)
    stories, queries = rng.integers(0, 10, (8, 6)), rng.integers(0, 10, (8, 3))
    answer.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    history = answer.fit([stories, queries, stories], np.eye(10)[rng.integers(0, 10, 8)], epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))

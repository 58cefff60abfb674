"""Attention layers against Keras 3: EinsumDense, MultiHeadAttention, Attention, AdditiveAttention,
Identity (values, scores, masks, weights, gradients, dropout, config, saving, training)."""
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

import jkeras
from jkeras import layers

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def close(a, b, atol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=atol)


def paired_mha(x_shapes, **kwargs):
    """A Keras and a jkeras MultiHeadAttention built on `x_shapes`, jkeras holding Keras's weights."""
    k = keras.layers.MultiHeadAttention(**kwargs)
    k.build(*x_shapes)
    j = layers.MultiHeadAttention(**kwargs)
    j.build(*x_shapes)
    j.set_weights(k.get_weights())
    return k, j


# ------------------------------------------------------------------------------------------
# EinsumDense


@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape", [
    ("ab,bc->ac", 4, "c", (3, 5)),
    ("abc,cd->abd", (None, 4), "d", (2, 3, 5)),
    ("abc,cde->abde", (None, 2, 4), "de", (2, 3, 5)),
    ("abc,cde->abde", (3, 2, 4), "e", (2, 3, 5)),
    ("...b,bc->...c", 4, None, (2, 3, 5)),
])
def test_einsum_dense_matches_keras(equation, output_shape, bias_axes, input_shape):
    k = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    j = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    x = rand(*input_shape)
    expected = k(x)
    j.build(input_shape)
    assert [w.shape for w in j.weights] == [tuple(w.shape) for w in k.weights]
    assert [w.name for w in j.weights] == [w.name for w in k.weights]
    j.set_weights(k.get_weights())
    close(j(x), expected)
    shape = (None,) + input_shape[1:]
    # Keras leaves an output_shape None as None; jkeras takes the input's size there.
    assert j.compute_output_shape(shape) == tuple(expected.shape[:1] and (None,) + tuple(expected.shape[1:]))
    assert all(a == b or b is None for a, b in zip(j.compute_output_shape(shape), k.compute_output_shape(shape)))


def test_einsum_dense_kernel_initializer_uses_einsum_fans():
    j = layers.EinsumDense("abc,cde->abde", (None, 4, 8), kernel_initializer="glorot_uniform")
    j.build((2, 3, 16))
    limit = np.sqrt(6.0 / (16 + 32))  # fan_in = c, fan_out = d * e, as Keras 3
    kernel = j.get_weights()[0]
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit


def test_einsum_dense_errors():
    with pytest.raises(ValueError, match="invalid einsum equation"):
        layers.EinsumDense("ab->b", 3)
    with pytest.raises(ValueError, match="bias_axes='x'"):
        layers.EinsumDense("ab,bc->ac", 3, bias_axes="x")
    layer = layers.EinsumDense("abc,cd->abd", (4, 2))
    with pytest.raises(ValueError, match="shared dimension 'b'.*size 3.*asks for 4"):
        layer(np.zeros((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match="expects an input of rank 3"):
        layers.EinsumDense("abc,cd->abd", (None, 2))(np.zeros((2, 5), "float32"))


# ------------------------------------------------------------------------------------------
# MultiHeadAttention against Keras 3


MHA_CASES = {
    "self": dict(kwargs=dict(num_heads=2, key_dim=3), shapes=[(2, 4, 6), (2, 4, 6)], same=True),
    "cross": dict(kwargs=dict(num_heads=2, key_dim=3), shapes=[(2, 4, 6), (2, 5, 7)]),
    "key": dict(kwargs=dict(num_heads=3, key_dim=2), shapes=[(2, 4, 6), (2, 5, 7), (2, 5, 3)]),
    # Keras's fused path (no scores asked) fails on JAX when value_dim != key_dim: compare with its
    # scores path there.
    "value_dim": dict(kwargs=dict(num_heads=3, key_dim=2, value_dim=4), shapes=[(2, 4, 6), (2, 5, 7), (2, 5, 3)]),
    "output_shape": dict(kwargs=dict(num_heads=2, key_dim=3, output_shape=(2, 5)), shapes=[(2, 4, 6), (2, 5, 6)]),
    "no_bias": dict(kwargs=dict(num_heads=2, key_dim=3, use_bias=False), shapes=[(2, 4, 6), (2, 5, 6)]),
    "gate": dict(kwargs=dict(num_heads=2, key_dim=3, use_gate=True), shapes=[(2, 4, 6), (2, 5, 6)]),
}


@pytest.mark.parametrize("case", list(MHA_CASES))
@pytest.mark.parametrize("scores", [False, True])
def test_mha_matches_keras(case, scores):
    spec = MHA_CASES[case]
    k, j = paired_mha(spec["shapes"], **spec["kwargs"])
    inputs = [rand(*s) for s in spec["shapes"]]
    if spec.get("same"):
        inputs[1] = inputs[0]
    expected = k(*inputs, return_attention_scores=scores or case == "value_dim")
    if case == "value_dim" and not scores:
        expected = expected[0]
    got = j(*inputs, return_attention_scores=scores)
    if scores:
        close(got[0], expected[0])
        close(got[1], expected[1])
        assert got[1].shape == (2, spec["kwargs"]["num_heads"], spec["shapes"][0][1], spec["shapes"][1][1])
    else:
        close(got, expected)
    assert tuple(got[0].shape if scores else got.shape) == k.compute_output_shape(*spec["shapes"])


@pytest.mark.parametrize("scores", [False, True])
@pytest.mark.parametrize("masking", ["attention_mask", "causal", "both", "value_mask", "sliding"])
def test_mha_masks_match_keras(masking, scores):
    extra = dict(sliding_window=2) if masking == "sliding" else {}
    k, j = paired_mha([(2, 4, 6), (2, 4, 6)], num_heads=2, key_dim=3, **extra)
    q, v = rand(2, 4, 6), rand(2, 4, 6)
    mask = RNG.random((2, 4, 4)) > 0.3
    mask[:, :, 0] = True  # every query row attends somewhere
    call = {}
    if masking in ("attention_mask", "both"):
        call["attention_mask"] = mask
    if masking in ("causal", "both"):
        call["use_causal_mask"] = True
    if masking == "value_mask":
        call["value_mask"] = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    expected = k(q, v, return_attention_scores=scores, **call)
    got = j(q, v, return_attention_scores=scores, **call)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected)):
        close(a, b)
    if scores and masking in ("causal", "both"):
        assert np.all(np.triu(np.asarray(got[1]), k=1) == 0)


def test_mha_attention_axes_on_4d_inputs_match_keras():
    shapes = [(2, 3, 4, 6), (2, 3, 4, 6)]
    k, j = paired_mha(shapes, num_heads=2, key_dim=3, attention_axes=(1, 2))
    q, v = rand(*shapes[0]), rand(*shapes[1])
    out_k, scores_k = k(q, v, return_attention_scores=True)
    out_j, scores_j = j(q, v, return_attention_scores=True)
    close(out_j, out_k)
    close(scores_j, scores_k)
    assert scores_j.shape == (2, 2, 3, 4, 3, 4)
    close(j(q, v), k(q, v))
    assert j.get_config()["attention_axes"] == (1, 2)


@pytest.mark.parametrize("scores", [True, False])
def test_mha_masks_from_embedding_in_a_functional_model_match_keras(scores):
    def build(lib):
        tokens = lib.Input((5,), dtype="int32")
        x = lib.layers.Embedding(10, 6, mask_zero=True, embeddings_initializer="normal")(tokens)
        out = lib.layers.MultiHeadAttention(2, 3)(x, x, return_attention_scores=scores)
        return lib.Model(tokens, out)

    km, jm = build(keras), build(jkeras)
    jm.set_weights(km.get_weights())
    tokens = np.array([[3, 4, 5, 0, 0], [1, 2, 0, 0, 0]], "int32")
    got, expected = jm.predict(tokens, verbose=0), km.predict(tokens, verbose=0)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected)):
        close(a, b)
    if scores:  # padded value positions get no attention: the masks did reach the layer
        assert np.all(np.asarray(got[1])[0, :, :3, 3:] == 0) and np.all(np.asarray(got[1])[1, :, :2, 2:] == 0)
        assert not np.allclose(np.asarray(got[1])[0, :, 0, :3], 1 / 3)


def test_mha_output_mask_is_the_query_mask():
    tokens = jkeras.Input((5,), dtype="int32")
    x = layers.Embedding(10, 6, mask_zero=True)(tokens)
    y = layers.MultiHeadAttention(2, 3)(x, x)
    model = jkeras.Model(tokens, y)
    data = np.array([[3, 4, 0, 0, 0]], "int32")
    _, _, masks = model.apply_with_masks(model.get_variables(), data)
    np.testing.assert_array_equal(np.asarray(masks[0]), data != 0)


def test_mha_weights_match_keras_names_shapes_and_order():
    kwargs = dict(num_heads=2, key_dim=3, value_dim=4, output_shape=5)
    k, j = paired_mha([(2, 4, 6), (2, 5, 7)], **kwargs)
    assert [w.shape for w in j.weights] == [tuple(w.shape) for w in k.weights]
    assert [w.path.replace(j.name, "<mha>") for w in j.weights] == [w.path.replace(k.name, "<mha>") for w in k.weights]
    assert [s.name for s in j._sublayers] == ["query", "key", "value", "attention_output"]
    assert j.query_dense.equation == k.query_dense.equation
    assert j.output_dense.equation == k.output_dense.equation
    assert j.count_params() == k.count_params()


def test_mha_weights_h5_interchanges_with_keras(tmp_path):
    def build(lib):
        q = lib.Input((4, 6))
        v = lib.Input((5, 6))
        return lib.Model([q, v], lib.layers.MultiHeadAttention(2, 3, name="mha")(q, v))

    km, jm = build(keras), build(jkeras)
    data = [rand(2, 4, 6), rand(2, 5, 6)]
    km.save_weights(tmp_path / "k.weights.h5")
    jm.load_weights(tmp_path / "k.weights.h5")
    close(jm.predict(data, verbose=0), km.predict(data, verbose=0))
    jm2 = build(jkeras)
    jm2.save_weights(tmp_path / "j.weights.h5")
    km.load_weights(tmp_path / "j.weights.h5")
    close(km.predict(data, verbose=0), jm2.predict(data, verbose=0))


def test_mha_gradients():
    layer = layers.MultiHeadAttention(2, 2, dropout=0.0)
    q, v = jnp.asarray(rand(1, 3, 4)), jnp.asarray(rand(1, 2, 4))
    layer.build(q.shape, v.shape)
    variables = layer.get_variables()

    def f(params, q, v):
        return layer.apply({"params": params, "state": {}}, {"query": q, "value": v}, use_causal_mask=False)[0]

    check_grads(lambda p, q, v: jnp.sum(jnp.sin(f(p, q, v))), (variables["params"], q, v),
                order=1, modes=["rev"], atol=1e-2, rtol=1e-2)


def test_mha_apply_is_jittable_and_masks_trace():
    layer = layers.MultiHeadAttention(2, 3)
    q = rand(2, 4, 6)
    layer.build(q.shape, q.shape)

    @jax.jit
    def run(variables, q, mask):
        return layer.apply(variables, {"query": q, "value": q, "attention_mask": mask},
                           return_attention_scores=True, use_causal_mask=True)[0]

    out, scores = run(layer.get_variables(), q, np.ones((2, 4, 4), bool))
    close(out, layer(q, q, use_causal_mask=True))
    assert scores.shape == (2, 2, 4, 4)


def test_mha_dropout_only_in_training_and_from_rng():
    layer = layers.MultiHeadAttention(2, 3, dropout=0.5)
    q = rand(2, 4, 6)
    layer.build(q.shape, q.shape)
    reference = layers.MultiHeadAttention(2, 3)
    reference.build(q.shape, q.shape)
    reference.set_weights(layer.get_weights())
    variables = layer.get_variables()
    inputs = {"query": q, "value": q}
    inference = layer.apply(variables, inputs, training=False)[0]
    close(inference, reference(q, q))
    a = layer.apply(variables, inputs, training=True, rng=jax.random.PRNGKey(1))[0]
    b = layer.apply(variables, inputs, training=True, rng=jax.random.PRNGKey(2))[0]
    again = layer.apply(variables, inputs, training=True, rng=jax.random.PRNGKey(1))[0]
    assert not np.allclose(a, b) and not np.allclose(a, inference)
    close(a, again)
    with pytest.raises(ValueError, match="rng"):
        layer.apply(variables, inputs, training=True)


def test_mha_argument_and_shape_errors():
    with pytest.raises(ValueError, match="num_heads.*positive integer.*num_heads=0"):
        layers.MultiHeadAttention(0, 2)
    with pytest.raises(ValueError, match="key_dim.*key_dim=2.5"):
        layers.MultiHeadAttention(2, 2.5)
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(2, 2, attention_axes="x")
    with pytest.raises(ValueError, match="dropout"):
        layers.MultiHeadAttention(2, 2, dropout=1.5)
    layer = layers.MultiHeadAttention(2, 3)
    with pytest.raises(ValueError, match=r"value_shape=\(2, 5, 6\) and key_shape=\(2, 4, 6\)"):
        layer(rand(2, 4, 6), rand(2, 5, 6), rand(2, 4, 6))
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(2, 3, attention_axes=(3,))(rand(2, 4, 6), rand(2, 4, 6))
    layer(rand(2, 4, 6), rand(2, 5, 6))
    with pytest.raises(ValueError, match=r"attention mask must broadcast to .* \(2, 2, 4, 5\).*\(2, 1, 4, 3\)"):
        layer(rand(2, 4, 6), rand(2, 5, 6), attention_mask=np.ones((2, 4, 3), bool))
    with pytest.raises(ValueError, match=r"`query` of last axis 6.*query_shape=\(2, 4, 7\)"):
        layer(rand(2, 4, 7), rand(2, 5, 6))
    with pytest.raises(ValueError, match="missing the `value` argument"):
        layers.MultiHeadAttention(2, 3)(rand(2, 4, 6))


def test_mha_symbolic_shapes():
    q, v = jkeras.Input((None, 6)), jkeras.Input((7, 5))
    out, scores = layers.MultiHeadAttention(2, 3, output_shape=4)(q, v, return_attention_scores=True)
    assert out.shape == (None, None, 4)
    assert scores.shape == (None, 2, None, 7)


# ------------------------------------------------------------------------------------------
# Attention, AdditiveAttention


ATTENTION_CASES = [
    ("Attention", dict()),
    ("Attention", dict(use_scale=True)),
    ("Attention", dict(score_mode="concat")),
    ("Attention", dict(use_scale=True, score_mode="concat")),
    ("AdditiveAttention", dict()),
    ("AdditiveAttention", dict(use_scale=False)),
]


@pytest.mark.parametrize("name, kwargs", ATTENTION_CASES)
@pytest.mark.parametrize("with_key, masked, causal", [
    (False, False, False), (True, False, False), (False, True, False), (True, True, True), (False, False, True),
])
def test_attention_layers_match_keras(name, kwargs, with_key, masked, causal):
    k = getattr(keras.layers, name)(**kwargs)
    j = getattr(layers, name)(**kwargs)
    inputs = [rand(2, 4, 3), rand(2, 5, 3)] + ([rand(2, 5, 3)] if with_key else [])
    mask = None
    if masked:
        mask = [np.array([[1, 1, 1, 0], [1, 0, 0, 0]], bool), np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], bool)]
    expected = k(inputs, mask=mask, return_attention_scores=True, use_causal_mask=causal)
    j.build([x.shape for x in inputs])
    assert [w.name for w in j.weights] == [w.name for w in k.weights]
    assert [w.shape for w in j.weights] == [tuple(w.shape) for w in k.weights]
    j.set_weights([RNG.uniform(0.5, 1.5, w.shape).astype("float32") for w in k.weights])
    k.set_weights(j.get_weights())
    expected = k(inputs, mask=mask, return_attention_scores=True, use_causal_mask=causal)
    got = j(inputs, mask=mask, return_attention_scores=True, use_causal_mask=causal)
    close(got[0], expected[0])
    close(got[1], expected[1])
    close(j(inputs, mask=mask), k(inputs, mask=mask))
    if masked:
        close(j.compute_mask(inputs, mask), mask[0])


@pytest.mark.parametrize("name", ["Attention", "AdditiveAttention"])
def test_attention_masks_from_embedding_match_keras(name):
    def build(lib):
        a, b = lib.Input((4,), dtype="int32"), lib.Input((5,), dtype="int32")
        emb = lib.layers.Embedding(10, 3, mask_zero=True)
        out = getattr(lib.layers, name)()([emb(a), emb(b)])
        return lib.Model([a, b], lib.layers.GlobalAveragePooling1D()(out))

    km, jm = build(keras), build(jkeras)
    jm.set_weights(km.get_weights())
    data = [np.array([[1, 2, 0, 0], [3, 0, 0, 0]], "int32"), np.array([[4, 5, 6, 0, 0], [7, 8, 0, 0, 0]], "int32")]
    close(jm.predict(data, verbose=0), km.predict(data, verbose=0))


def test_attention_dropout_and_errors():
    layer = layers.Attention(dropout=0.5)
    inputs = [rand(2, 4, 3), rand(2, 5, 3)]
    layer.build([x.shape for x in inputs])
    variables = layer.get_variables()
    close(layer.apply(variables, inputs)[0], layers.Attention()(inputs))
    a = layer.apply(variables, inputs, training=True, rng=jax.random.PRNGKey(0))[0]
    b = layer.apply(variables, inputs, training=True, rng=jax.random.PRNGKey(1))[0]
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match="score_mode.*score_mode='sum'"):
        layers.Attention(score_mode="sum")
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(rand(2, 4, 3))
    with pytest.raises(ValueError, match="length 2 or 3.*received length: 1"):
        layers.Attention()([rand(2, 4, 3)])
    with pytest.raises(ValueError, match="mask list of length 2 or 3"):
        layers.Attention()(inputs, mask=[None])
    with pytest.raises(ValueError, match=r"same last axis.*\(2, 4, 3\).*\(2, 5, 2\)"):
        layers.AdditiveAttention()([rand(2, 4, 3), rand(2, 5, 2)])


# ------------------------------------------------------------------------------------------
# Identity, config, saving, training


def test_identity_passes_inputs_and_masks():
    tokens = jkeras.Input((4,), dtype="int32")
    x = layers.Embedding(10, 3, mask_zero=True)(tokens)
    model = jkeras.Model(tokens, layers.Identity()(x))
    data = np.array([[1, 2, 0, 0]], "int32")
    out, _, masks = model.apply_with_masks(model.get_variables(), data)
    close(out, model.layers[1](data))
    np.testing.assert_array_equal(np.asarray(masks[0]), data != 0)
    assert layers.Identity().compute_output_shape((None, 3)) == (None, 3)


@pytest.mark.parametrize("make", [
    lambda lib: lib.layers.EinsumDense("abc,cde->abde", (None, 2, 4), bias_axes="de", activation="relu"),
    lambda lib: lib.layers.MultiHeadAttention(2, 3, value_dim=4, dropout=0.1, output_shape=(5,),
                                              attention_axes=(1,), kernel_regularizer="l2", seed=3),
    lambda lib: lib.layers.Attention(use_scale=True, score_mode="concat", dropout=0.2, seed=1),
    lambda lib: lib.layers.AdditiveAttention(use_scale=False, dropout=0.1),
    lambda lib: lib.layers.Identity(),
])
def test_config_round_trip_and_keys_match_keras(make):
    j, k = make(jkeras), make(keras)
    config = j.get_config()
    assert set(config) == set(k.get_config()) - {"quantization_config"}
    clone = type(j).from_config(config)
    assert clone.get_config() == config
    keras_clone = type(j).from_config({**k.get_config(), "name": j.name})
    assert keras_clone.get_config() == config


def test_mha_model_saves_to_keras_file_and_loads(tmp_path):
    tokens = jkeras.Input((6,), dtype="int32")
    x = layers.Embedding(20, 8, mask_zero=True)(tokens)
    x = layers.MultiHeadAttention(2, 4, dropout=0.1)(x, x, use_causal_mask=True)
    model = jkeras.Model(tokens, layers.Dense(3)(layers.GlobalAveragePooling1D()(x)))
    data = RNG.integers(0, 20, (4, 6)).astype("int32")
    model.save(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    close(loaded.predict(data, verbose=0), model.predict(data, verbose=0))
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]


class TransformerBlock(layers.Layer):
    """keras.io "Text classification with Transformer"."""

    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        # The tutorial's `Sequential([Dense, Dense])` needs an input shape inside a jkeras layer.
        self.ffn = jkeras.Sequential([jkeras.Input((None, embed_dim)), layers.Dense(ff_dim, activation="relu"),
                                      layers.Dense(embed_dim)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.dropout2(self.ffn(out1), training=training)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        positions = jnp.arange(x.shape[-1])
        return self.token_emb(x) + self.pos_emb(positions)


def test_transformer_block_trains_with_fit():
    maxlen, vocab = 8, 30
    inputs = jkeras.Input((maxlen,), dtype="int32")
    x = TokenAndPositionEmbedding(maxlen, vocab, 16)(inputs)
    x = TransformerBlock(16, 2, 16)(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(2, activation="softmax")(layers.Dropout(0.1)(x))
    model = jkeras.Model(inputs, outputs)
    model.compile(optimizer=jkeras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    data = RNG.integers(0, vocab, (64, maxlen)).astype("int32")
    labels = (data[:, 0] < vocab // 2).astype("int32")
    history = model.fit(data, labels, batch_size=16, epochs=5, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 5 and np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    names = [w.path for w in model.weights]
    # Keras's name-scope paths: the block, then its attention layer, then the projection.
    block = next(layer for layer in model.layers if isinstance(layer, TransformerBlock))
    assert f"{block.name}/{block.att.name}/query/kernel" in names
    assert f"{block.name}/{block.att.name}/attention_output/bias" in names


@pytest.mark.parametrize("masked", [False, True])
def test_mha_with_dropout_in_inference_matches_keras(masked):
    """Inference with a dropout rate runs the fused kernel (Keras writes the einsums out there):
    the same outputs, a fully masked query row included."""
    k, j = paired_mha([(2, 5, 6), (2, 7, 6)], num_heads=2, key_dim=3, dropout=0.4)
    q, v = rand(2, 5, 6), rand(2, 7, 6)
    mask = None
    if masked:
        mask = RNG.random((2, 5, 7)) > 0.4
        mask[0, 1] = False  # a query that may attend nowhere
    close(j(q, v, attention_mask=mask, training=False), k(q, v, attention_mask=mask, training=False))
    close(j(q, v, attention_mask=mask), k(q, v, attention_mask=mask))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_cpu_attention_form_matches_jax_dot_product_attention(dtype):
    """The CPU form of MultiHeadAttention's fused path (`_cpu_attention`, its own tangent rule)
    computes what `jax.nn.dot_product_attention` computes, values and gradients, masks included
    (a fully masked row attends uniformly); forward and reverse mode, second order."""
    from jkeras.layers.attention import _cpu_attention

    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    q, k, v = (jax.random.normal(key, (2, t, 3, 4)).astype(dtype) for key, t in zip(keys, (5, 7, 7)))
    mask = jax.random.bernoulli(keys[3], 0.6, (2, 1, 5, 7)).at[0, 0, 0].set(False)
    heads = lambda t: jnp.swapaxes(t, 1, 2)  # noqa: E731
    for m in (None, mask):
        def ours(q, k, v):
            return heads(_cpu_attention(heads(q), heads(k), heads(v), m, None, 0.5, False))

        def reference(q, k, v):
            return jax.nn.dot_product_attention(q, k, v, mask=m, scale=0.5, implementation="xla")

        atol = 1e-6 if dtype == "float32" else 2e-2
        close(ours(q, k, v).astype("float32"), reference(q, k, v).astype("float32"), atol=atol)
        cotangent = jax.random.normal(keys[0], (2, 5, 3, 4)).astype(dtype)
        grads = [jax.vjp(f, q, k, v)[1](cotangent) for f in (ours, reference)]
        for a, b in zip(*grads):
            close(a.astype("float32"), b.astype("float32"), atol=atol * 10)
        if dtype == "float32":
            check_grads(ours, (q, k, v), order=2, modes=("fwd", "rev"), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_mha_cpu_form_matches_the_other_backends_form(monkeypatch, dropout):
    """On a CPU MultiHeadAttention trains through `_cpu_attention`; elsewhere through
    `jax.nn.dot_product_attention` (no dropout) or the written-out einsums (dropout: the same
    mask from the same key). Both give the same outputs and gradients, masks included."""
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=dropout)
    q, v = rand(3, 5, 6), rand(3, 7, 6)
    mask = np.ones((3, 5, 7), bool)
    mask[0, 1] = False  # a query that may attend nowhere
    mask[1, :, 3:] = False
    mha.build(q.shape, v.shape)
    variables = mha.get_variables()
    rng = jax.random.PRNGKey(1)

    def loss(params, q, v):
        out = mha.apply({**variables, "params": params}, {"query": q, "value": v, "attention_mask": mask},
                        training=True, rng=rng)[0]
        return jnp.sum(jnp.sin(out)), out

    cpu = jax.value_and_grad(loss, argnums=(0, 1, 2), has_aux=True)(variables["params"], q, v)
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    other = jax.value_and_grad(loss, argnums=(0, 1, 2), has_aux=True)(variables["params"], q, v)
    for a, b in zip(jax.tree_util.tree_leaves(cpu), jax.tree_util.tree_leaves(other)):
        close(a, b, atol=1e-5)

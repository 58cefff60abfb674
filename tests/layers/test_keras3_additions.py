"""Keras 3 names jkeras added late (adaptive pooling, fold / unfold / rearrange, GroupQueryAttention,
ReversibleEmbedding, SpectralNormalization, backend and callback helpers), each against Keras 3
running the same thing."""
import json

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras
from jkeras import layers

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _plain(value):
    """A Keras 3 config value as jkeras writes it: nested objects without `module` /
    `registered_name`, dtype policies by their name."""
    if isinstance(value, dict):
        if value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
            return value["config"]["name"]
        return {k: _plain(v) for k, v in value.items() if k not in ("module", "registered_name")}
    return value


def same_config(ours, theirs):
    """`ours.get_config()` equals Keras's (but for the layer name, and objects written as jkeras
    writes every layer's), and `from_config` of Keras's config rebuilds the same layer."""
    expected = {**_plain(theirs.get_config()), "name": ours.name}
    assert ours.get_config() == expected
    assert type(ours).from_config({**theirs.get_config(), "name": ours.name}).get_config() == expected


# ------------------------------------------------------------------------------------------
# Adaptive pooling


# Sizes that divide, that do not (overlapping windows) and that grow (5 -> 7 repeats entries).
_ADAPTIVE_CASES = [
    ("AdaptiveAveragePooling", 1, "channels_last", (10,), 4),
    ("AdaptiveMaxPooling", 1, "channels_first", (5,), 7),
    ("AdaptiveMaxPooling", 2, "channels_last", (7, 9), (3, 4)),
    ("AdaptiveAveragePooling", 2, "channels_first", (8, 6), 4),
    ("AdaptiveMaxPooling", 3, "channels_first", (4, 6, 5), 3),
]


@pytest.mark.parametrize("kind, rank, data_format, sizes, output_size", _ADAPTIVE_CASES)
def test_adaptive_pooling_matches_keras(kind, rank, data_format, sizes, output_size):
    shape = (2,) + sizes + (3,) if data_format == "channels_last" else (2, 3) + sizes
    layer, out = check_layer(
        lambda lib: getattr(lib.layers, f"{kind}{rank}D")(output_size, data_format=data_format),
        input_shape=shape, grads=rank == 2 and data_format == "channels_last",
    )
    k_layer = getattr(keras.layers, f"{kind}{rank}D")(output_size, data_format=data_format)
    same_config(layer, k_layer)
    assert layer.compute_output_shape(shape) == k_layer.compute_output_shape(shape)


def test_adaptive_pooling_in_a_model_fits_predicts_and_jits():
    model = jkeras.Sequential([
        jkeras.Input((9, 7, 2)), layers.Conv2D(4, 3, padding="same"),
        layers.AdaptiveMaxPooling2D((2, 3)), layers.AdaptiveAveragePooling2D(1), layers.Flatten(),
        layers.Dense(1),
    ])
    assert model.output_shape == (None, 1)
    x, y = rand(8, 9, 7, 2), rand(8, 1)
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    variables = model.get_variables()
    jitted = jax.jit(lambda v, x: model.apply(v, x)[0])
    np.testing.assert_allclose(np.asarray(jitted(variables, x)), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_adaptive_pooling_errors():
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(TypeError, match="output_size"):
        keras.layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="data_format"):
        layers.AdaptiveMaxPooling1D(3, data_format="nhwc")
    with pytest.raises(ValueError, match="rank 4"):
        layers.AdaptiveMaxPooling2D(3)(rand(2, 5, 3))


# ------------------------------------------------------------------------------------------
# ops.fold / ops.unfold / ops.rearrange


_FOLD_CASES = [dict(kernel_size=2), dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))]


@pytest.mark.parametrize("kwargs", _FOLD_CASES)
def test_unfold_and_fold_match_keras(kwargs):
    x = rand(2, 3, 7, 8)
    patches = jkeras.ops.unfold(x, **kwargs)
    expected = keras.ops.unfold(x, **kwargs)
    assert patches.shape == expected.shape and patches.dtype == expected.dtype
    np.testing.assert_allclose(np.asarray(patches), np.asarray(expected), rtol=1e-6, atol=1e-6)
    # fold sums overlapping blocks: compare on Keras's own patches.
    folded = jkeras.ops.nn.fold(np.asarray(expected), (7, 8), **kwargs)
    np.testing.assert_allclose(np.asarray(folded), np.asarray(keras.ops.nn.fold(expected, (7, 8), **kwargs)),
                               rtol=1e-5, atol=1e-5)
    assert jkeras.ops.nn.unfold is jkeras.ops.unfold and jkeras.ops.nn.fold is jkeras.ops.fold


def test_fold_unfold_rearrange_take_keras_argument_names():
    import inspect

    for ours, theirs in ((jkeras.ops.fold, keras.ops.fold), (jkeras.ops.unfold, keras.ops.unfold),
                         (jkeras.ops.nn.fold, keras.ops.nn.fold), (jkeras.ops.rearrange, keras.ops.rearrange)):
        assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters)


def test_fold_is_the_adjoint_of_unfold_under_jit():
    """<unfold(x), p> == <x, fold(p)> for every x and p (col2im is im2col's transpose)."""
    kwargs = dict(kernel_size=3, dilation=2, padding=(1, 2), stride=2)
    x, p = rand(1, 2, 9, 10), None
    p = rand(*jkeras.ops.unfold(x, **kwargs).shape)
    lhs = jnp.vdot(jax.jit(lambda x: jkeras.ops.unfold(x, **kwargs))(x), p)
    rhs = jnp.vdot(x, jax.jit(lambda p: jkeras.ops.fold(p, (9, 10), **kwargs))(p))
    np.testing.assert_allclose(float(lhs), float(rhs), rtol=1e-4)


def test_fold_and_unfold_errors():
    with pytest.raises(ValueError, match="4D"):
        jkeras.ops.unfold(rand(3, 7, 8), 2)
    with pytest.raises(ValueError, match="3D"):
        jkeras.ops.fold(rand(1, 3, 7, 8), 4, 2)
    with pytest.raises(ValueError, match="divisible"):
        jkeras.ops.fold(rand(1, 7, 9), 4, 2)
    with pytest.raises(ValueError, match="L=8"):
        jkeras.ops.fold(rand(1, 8, 8), 4, 2)
    with pytest.raises(ValueError, match="kernel_size"):
        jkeras.ops.unfold(rand(1, 1, 4, 4), 0)


_PATTERNS = [
    ("b h w c -> b c h w", {}),
    ("b h w c -> b (c h w)", {}),
    ("b h w c -> h (b w) c", {}),
    ("b (h1 h) (w1 w) c -> (b h1 w1) h w c", dict(h1=2, w1=2)),
    ("b (h h1) (w w1) c -> b h w (c h1 w1)", dict(h1=2, w1=4)),
]


@pytest.mark.parametrize("pattern, lengths", _PATTERNS)
def test_rearrange_matches_keras(pattern, lengths):
    x = rand(4, 6, 8, 3)
    ours, theirs = jkeras.ops.rearrange(x, pattern, **lengths), keras.ops.rearrange(x, pattern, **lengths)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_rearrange_ellipsis_units_and_symbolic_use():
    x = rand(4, 6, 8, 3)
    # einops extras Keras 3 lacks, against NumPy.
    np.testing.assert_array_equal(np.asarray(jkeras.ops.rearrange(x, "b ... c -> b c ...")),
                                  np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_array_equal(np.asarray(jkeras.ops.rearrange(x, "b h w c -> b 1 (h w) () c")),
                                  x.reshape(4, 1, 48, 1, 3))
    inputs = jkeras.Input((6, 8, 3))
    outputs = jkeras.ops.rearrange(inputs, "b (h h1) w c -> b h (w h1 c)", h1=2)
    assert outputs.shape == (None, 3, 48)
    model = jkeras.Model(inputs, outputs)
    expected = keras.ops.rearrange(x, "b (h h1) w c -> b h (w h1 c)", h1=2)
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.asarray(expected))


@pytest.mark.parametrize("pattern, lengths, match", [
    ("b h w c -> b h w", {}, "not on both sides"),
    ("b h w c -> b c h", {}, "not on both sides"),
    ("b h w -> b h w", {}, "3 input axes"),
    ("b (h h1) w c -> b h w c h1", dict(h1=5), "divisible"),
    ("b (h h1) w c -> b h w c h1", {}, "infer"),
    ("b h w c -> b (h w c", {}, "parentheses"),
    ("b h w c", {}, "input -> output"),
    ("b h w c -> b h w c", dict(z=2), "does not have"),
])
def test_rearrange_errors(pattern, lengths, match):
    with pytest.raises(ValueError, match=match):
        jkeras.ops.rearrange(rand(4, 6, 8, 3), pattern, **lengths)


# ------------------------------------------------------------------------------------------
# GroupQueryAttention


def _same_weights_outputs(make, args, call_kwargs):
    """Builds the layer in both libraries, copies Keras's weights into jkeras's, returns both outputs."""
    theirs, ours = make(keras), make(jkeras)
    expected = theirs(*args, **call_kwargs)
    ours(*args, **call_kwargs)
    assert [w.name for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    return ours, theirs, ours(*args, **call_kwargs), expected


_GQA_CASES = [
    (dict(), dict(use_causal_mask=True)),
    (dict(use_gate=True, sliding_window=3), dict(return_attention_scores=True)),
    (dict(use_bias=False), dict(attention_mask=np.random.default_rng(1).random((2, 5, 7)) > 0.3)),
]


@pytest.mark.parametrize("kwargs, call_kwargs", _GQA_CASES)
def test_group_query_attention_matches_keras(kwargs, call_kwargs):
    q, v = rand(2, 5, 6), rand(2, 7, 6)
    ours, theirs, out, expected = _same_weights_outputs(
        lambda lib: lib.layers.GroupQueryAttention(4, 4, 2, **kwargs), (q, v), call_kwargs)
    for o, e in zip(out if isinstance(out, tuple) else [out], expected if isinstance(expected, tuple) else [expected]):
        assert o.shape == e.shape
        np.testing.assert_allclose(np.asarray(o), np.asarray(e), rtol=1e-5, atol=1e-5)
    same_config(ours, theirs)
    clone = layers.GroupQueryAttention.from_config(json.loads(json.dumps(ours.get_config())))
    clone(q, v, **call_kwargs)
    clone.set_weights(ours.get_weights())
    first = lambda o: o[0] if isinstance(o, tuple) else o  # noqa: E731
    np.testing.assert_allclose(np.asarray(first(clone(q, v, **call_kwargs))), np.asarray(first(out)), rtol=1e-6)


def test_group_query_attention_with_a_separate_key_and_keras_masks_in_a_model():
    tokens = np.array([[3, 5, 2, 0, 0], [4, 1, 0, 0, 0]])
    key = rand(2, 5, 8)

    def build(lib):
        ids, k = lib.Input((5,), dtype="int32"), lib.Input((5, 8))
        x = lib.layers.Embedding(10, 8, mask_zero=True)(ids)
        x = lib.layers.GroupQueryAttention(head_dim=3, num_query_heads=6, num_key_value_heads=3)(x, x, key=k)
        return lib.Model([ids, k], lib.layers.Dense(1)(lib.layers.GlobalAveragePooling1D()(x)))

    theirs, ours = build(keras), build(jkeras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict([tokens, key], verbose=0), theirs.predict([tokens, key], verbose=0),
                               rtol=1e-5, atol=1e-5)
    ours.compile("adam", "mse")
    ours.fit([tokens, key], np.ones((2, 1)), epochs=1, verbose=0)
    variables = ours.get_variables()
    jitted = jax.jit(lambda v, x: ours.apply(v, x)[0])
    np.testing.assert_allclose(np.asarray(jitted(variables, [tokens, key])), ours.predict([tokens, key], verbose=0),
                               rtol=1e-5, atol=1e-5)


def test_group_query_attention_errors_and_scores_shape():
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(4, 6, 4)
    with pytest.raises(ValueError, match="head_dim"):
        layers.GroupQueryAttention(0, 4, 2)
    with pytest.raises(ValueError, match="rank 3"):
        layers.GroupQueryAttention(4, 4, 2)(rand(2, 3, 4, 6), rand(2, 3, 4, 6))
    q = jkeras.Input((5, 6))
    out, scores = layers.GroupQueryAttention(4, 4, 2, dropout=0.5)(q, q, return_attention_scores=True)
    assert out.shape == (None, 5, 6) and scores.shape == (None, 4, 5, 5)
    assert layers.GroupedQueryAttention is layers.GroupQueryAttention


# ------------------------------------------------------------------------------------------
# ReversibleEmbedding


def _keras_embedding_config(layer):
    """Keras 3's config less the keys jkeras's Embedding does not write (quantization, and an
    `activity_regularizer` of None)."""
    config = _plain(layer.get_config())
    config.pop("quantization_config", None)
    if config.get("activity_regularizer") is None:
        config.pop("activity_regularizer", None)
    return config


@pytest.mark.parametrize("kwargs", [dict(), dict(tie_weights=False, logit_soft_cap=0.05, mask_zero=True)])
def test_reversible_embedding_matches_keras(kwargs):
    ids = np.array([[1, 2, 0], [3, 9, 0]])
    hidden = rand(2, 3, 4)
    make = lambda lib: lib.layers.ReversibleEmbedding(10, 4, **kwargs)  # noqa: E731
    ours, theirs, out, expected = _same_weights_outputs(make, (ids,), {})
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))
    np.testing.assert_allclose(np.asarray(ours(hidden, reverse=True)), np.asarray(theirs(hidden, reverse=True)),
                               rtol=1e-6, atol=1e-6)
    assert ours.get_config() == {**_keras_embedding_config(theirs), "name": ours.name}
    clone = layers.ReversibleEmbedding.from_config(json.loads(json.dumps(ours.get_config())))
    clone(ids)
    clone.set_weights(ours.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(hidden, reverse=True)), np.asarray(ours(hidden, reverse=True)))


def test_reversible_embedding_tied_language_model_fits_and_jits():
    def build(lib):
        ids = lib.Input((5,), dtype="int32")
        embedding = lib.layers.ReversibleEmbedding(12, 6, mask_zero=True)
        x = lib.layers.Dense(6, activation="tanh")(embedding(ids))
        return lib.Model(ids, embedding(x, reverse=True))

    ours, theirs = build(jkeras), build(keras)
    assert ours.output_shape == (None, 5, 12)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    tokens = np.random.default_rng(2).integers(0, 12, (4, 5))
    np.testing.assert_allclose(ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0), rtol=1e-5, atol=1e-6)
    ours.compile("adam", "sparse_categorical_crossentropy")
    ours.fit(tokens, tokens, epochs=1, verbose=0)
    jitted = jax.jit(lambda v, x: ours.apply(v, x)[0])
    np.testing.assert_allclose(np.asarray(jitted(ours.get_variables(), tokens)), ours.predict(tokens, verbose=0),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="output_dim=6"):
        layers.ReversibleEmbedding(12, 6)(rand(2, 5), reverse=True)


# ------------------------------------------------------------------------------------------
# SpectralNormalization


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.layers.Dense(5), (4, 3)),
    (lambda lib: lib.layers.Conv2D(4, 3), (2, 6, 6, 3)),
])
def test_spectral_normalization_matches_keras(make, shape):
    x = rand(*shape)
    ours, theirs, out, expected = _same_weights_outputs(
        lambda lib: lib.layers.SpectralNormalization(make(lib), power_iterations=2), (x,), {})
    np.testing.assert_allclose(np.asarray(out), np.asarray(expected), rtol=1e-6, atol=1e-6)
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
    # Training calls: the normalized kernel, then vector_u and (eagerly, as Keras) the kernel written back.
    for _ in range(2):
        np.testing.assert_allclose(np.asarray(ours(x, training=True)), np.asarray(theirs(x, training=True)),
                                   rtol=1e-5, atol=1e-6)
        for o, t in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(o, t, rtol=1e-5, atol=1e-6)
    config = ours.get_config()
    assert config["power_iterations"] == 2 and config["layer"]["class_name"] == type(theirs.layer).__name__
    clone = layers.SpectralNormalization.from_config(json.loads(json.dumps(config)))
    clone(x)
    clone.set_weights(ours.get_weights())
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(ours(x)), rtol=1e-6)


def test_spectral_normalization_under_fit_matches_keras():
    """One SGD step: the raw kernel gets the gradient through the division; vector_u advances."""
    x, y = rand(8, 3), rand(8, 2)

    def build(lib):
        model = lib.Sequential([lib.Input((3,)), lib.layers.SpectralNormalization(lib.layers.Dense(2))])
        model.compile(lib.optimizers.SGD(0.1), "mse")
        return model

    ours, theirs = build(jkeras), build(keras)
    ours.set_weights(theirs.get_weights())
    ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for o, t in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(o, t, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_spectral_normalization_errors():
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="kernel"):
        layers.SpectralNormalization(layers.LayerNormalization())(rand(2, 3))


# ------------------------------------------------------------------------------------------
# backend.get_uid / backend.is_keras_tensor


def test_get_uid_counts_with_default_names_as_keras():
    results = {}
    for lib in (keras, jkeras):
        lib.backend.clear_session()
        first = lib.layers.Dense(2).name
        uid = lib.backend.get_uid("dense")
        second = lib.layers.Dense(2).name
        fresh = [lib.backend.get_uid("my_prefix"), lib.backend.get_uid("my_prefix"), lib.backend.get_uid()]
        lib.backend.clear_session()
        results[lib.__name__] = (first, uid, second, fresh, lib.backend.get_uid("my_prefix"))
    assert results["jkeras"] == results["keras"]


def test_is_keras_tensor():
    symbolic = jkeras.Input((3,))
    assert jkeras.backend.is_keras_tensor(symbolic)
    assert jkeras.backend.is_keras_tensor(layers.Dense(2)(symbolic))
    for value in (np.ones(3), jnp.ones(3), 1.0, keras.Input((3,))):
        assert not jkeras.backend.is_keras_tensor(value)
    assert keras.backend.is_keras_tensor(keras.Input((3,))) and not keras.backend.is_keras_tensor(np.ones(3))


# ------------------------------------------------------------------------------------------
# The STFT initializer and STFTSpectrogram


@pytest.mark.parametrize("kwargs", [
    dict(), dict(side="imag", window="hamming", scaling="spectrum", periodic=True),
    dict(window=None, scaling=None), dict(side="imag", window=list(np.linspace(0.0, 1.0, 16))),
])
def test_stft_initializer_matches_keras(kwargs):
    ours, theirs = jkeras.initializers.STFT(**kwargs), keras.initializers.STFT(**kwargs)
    values = ours((16, 1, 9))
    assert values.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(values), np.asarray(theirs((16, 1, 9))), atol=1e-5)
    assert ours.get_config() == theirs.get_config() or kwargs.get("window") is not None
    restored = jkeras.initializers.deserialize(keras.initializers.serialize(theirs))
    np.testing.assert_array_equal(np.asarray(restored((16, 1, 9))), np.asarray(values))
    assert jkeras.initializers.STFTInitializer is jkeras.initializers.stft is jkeras.initializers.STFT
    with pytest.raises(ValueError, match="side"):
        jkeras.initializers.STFT(side="both")


@pytest.mark.parametrize("mode, data_format, kwargs", [
    ("log", "channels_last", dict()),
    ("psd", "channels_first", dict(padding="same", frame_step=5, fft_length=32, window="hamming", periodic=True)),
    ("stft", "channels_last", dict(expand_dims=True, scaling="spectrum")),
    ("angle", "channels_first", dict(expand_dims=True, window=None)),
    ("real", "channels_last", dict(padding="same")),
])
def test_stft_spectrogram_matches_keras(mode, data_format, kwargs):
    """Same arguments, each library's own initial weights (the initializer is deterministic)."""
    x = rand(2, 70, 3) if data_format == "channels_last" else rand(2, 3, 70)
    make = lambda lib: lib.layers.STFTSpectrogram(mode=mode, frame_length=16, data_format=data_format, **kwargs)  # noqa: E731
    ours, theirs = make(jkeras), make(keras)
    out, expected = ours(x), theirs(x)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert out.shape == expected.shape and out.dtype == expected.dtype
    out, expected = np.asarray(out), np.asarray(expected)
    if mode == "angle":  # at the Nyquist bin the imaginary part is ~0: +pi and -pi are the same angle
        out, expected = np.exp(1j * out), np.exp(1j * expected)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    shape = (None,) + x.shape[1:]
    assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)
    same_config(ours, theirs)


def test_stft_spectrogram_in_a_model_fits_and_jits():
    model = jkeras.Sequential([
        jkeras.Input((64, 1)), layers.STFTSpectrogram(frame_length=16, frame_step=8), layers.Flatten(), layers.Dense(1),
    ])
    assert model.output_shape == (None, 1)
    x = rand(4, 64, 1)
    model.compile("adam", "mse")
    model.fit(x, rand(4, 1), epochs=1, verbose=0)
    jitted = jax.jit(lambda v, x: model.apply(v, x)[0])
    np.testing.assert_allclose(np.asarray(jitted(model.get_variables(), x)), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="frame_step"):
        layers.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(TypeError, match="float"):
        layers.STFTSpectrogram(frame_length=8)(np.ones((1, 16, 1), "int32"))


# ------------------------------------------------------------------------------------------
# MelSpectrogram


@pytest.mark.parametrize("kwargs", [
    dict(fft_length=128, sequence_stride=50, sequence_length=100, window="hamming", num_mel_bins=20,
         power_to_db=False, mag_exp=1.0, sampling_rate=8000, max_freq=3000.0),
    dict(fft_length=64, sequence_stride=16, window=None, num_mel_bins=16, top_db=30.0, ref_power=2.0),
])
def test_mel_spectrogram_matches_keras(kwargs):
    x = np.random.default_rng(3).standard_normal((2, 600)).astype("float32")
    ours, theirs = layers.MelSpectrogram(**kwargs), keras.layers.MelSpectrogram(**kwargs)
    out, expected = ours(x), theirs(x)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    # Keras builds the filterbank in float32, jkeras in float64: decibels agree to ~1e-3.
    np.testing.assert_allclose(np.asarray(out), np.asarray(expected), rtol=1e-4, atol=5e-3)
    np.testing.assert_allclose(np.asarray(ours(x[0])), np.asarray(theirs(x[0])), rtol=1e-4, atol=5e-3)
    assert ours.compute_output_shape((None, 600)) == tuple(theirs.compute_output_shape((None, 600)))
    same_config(ours, theirs)


def test_mel_spectrogram_in_a_functional_model_under_jit():
    inputs = jkeras.Input((800,))
    spec = layers.MelSpectrogram(fft_length=128, sequence_stride=64, num_mel_bins=24)(inputs)
    assert spec.shape == (None, 24, 13)
    model = jkeras.Model(inputs, spec)
    x = rand(3, 800)
    jitted = jax.jit(lambda v, x: model.apply(v, x)[0])
    np.testing.assert_allclose(np.asarray(jitted(model.get_variables(), x)), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="sequence_length"):
        layers.MelSpectrogram(fft_length=64, sequence_length=128)


# ------------------------------------------------------------------------------------------
# HashedCrossing (Keras 3 runs it through TensorFlow, absent here: its documented outputs are the reference)

_FEAT1 = np.array(["A", "B", "A", "B", "A"])
_FEAT2 = np.array([101, 101, 101, 102, 102])


def test_hashed_crossing_gives_keras_documented_bins():
    # keras.layers.HashedCrossing's docstring (and its test): num_bins=5 -> [1, 4, 1, 1, 3].
    np.testing.assert_array_equal(np.asarray(layers.HashedCrossing(num_bins=5)((_FEAT1, _FEAT2))), [1, 4, 1, 1, 3])
    one_hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((_FEAT1[:, None], _FEAT2[:, None]))
    np.testing.assert_array_equal(np.asarray(one_hot), np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])
    assert one_hot.dtype == jnp.float32
    layer = layers.HashedCrossing(num_bins=5)
    assert layer.compute_output_shape([(None, 1), (None, 1)]) == (None, 1)
    assert layers.HashedCrossing(4, output_mode="one_hot").compute_output_shape([(None,), (None,)]) == (None, 4)
    config = layer.get_config()
    assert {k: config[k] for k in ("num_bins", "output_mode", "sparse", "dtype")} == {
        "num_bins": 5, "output_mode": "int", "sparse": False, "dtype": "int64"}
    assert layers.HashedCrossing.from_config(json.loads(json.dumps(config))).get_config() == config


def test_hashed_crossing_of_integers_in_a_jitted_model():
    a, b = jkeras.Input((1,), dtype="int32"), jkeras.Input((1,), dtype="int32")
    model = jkeras.Model([a, b], layers.HashedCrossing(num_bins=7, output_mode="one_hot")([a, b]))
    x1, x2 = np.array([[1], [2], [3], [1]]), np.array([[4], [5], [6], [4]])
    eager = np.asarray(layers.HashedCrossing(num_bins=7)((x1, x2)))
    assert eager.shape == (4, 1) and eager.min() >= 0 and eager.max() < 7 and eager[0, 0] == eager[3, 0]
    out = jax.jit(lambda v, xs: model.apply(v, xs)[0])(model.get_variables(), [x1, x2])
    np.testing.assert_array_equal(np.asarray(out), np.eye(7, dtype="float32")[eager[:, 0]])


def test_hashed_crossing_errors():
    with pytest.raises(ValueError, match="at least two"):
        layers.HashedCrossing(num_bins=10)([np.array([1])])
    with pytest.raises(ValueError, match="shape"):
        layers.HashedCrossing(num_bins=10)((np.array([[1, 2]]), np.array([[1, 2]])))
    with pytest.raises(ValueError, match="integer or string"):
        layers.HashedCrossing(num_bins=10)((np.array([1.0]), np.array([1.0])))
    with pytest.raises(ValueError, match="output_mode"):
        layers.HashedCrossing(num_bins=10, output_mode="count")

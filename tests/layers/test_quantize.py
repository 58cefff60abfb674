"""Keras 3's int8 post-training quantization (`model.quantize("int8")`, "int8_from_float32"
policies); each test compares with Keras 3 running the same code."""
import warnings

import jax
import keras
import numpy as np
import pytest

import jkeras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 6)).astype("float32")
Y = RNG.normal(size=(8, 3)).astype("float32")


def _model(k):
    inputs = k.Input((6,))
    x = k.layers.Dense(5, activation="tanh", name="a")(inputs)
    x = k.layers.Dense(4, activation="relu", name="q")(x)
    outputs = k.layers.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c", name="e")(x)
    return k.Model(inputs, outputs)


def _pair(build, **quantize):
    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.quantize("int8", **quantize)
        ours.quantize("int8", **quantize)
    return ref, ours


def _describe(model):
    return [(w.path, str(w.dtype), tuple(w.shape), w.trainable) for w in model.weights]


@pytest.fixture(scope="module")
def int8_pair():
    """The Keras 3 and the jkeras `_model`, same weights, both quantized to int8: built once for the
    tests that only read them (calls, apply, saving)."""
    return _pair(_model)


def test_quantized_weights_and_outputs_match_keras(int8_pair):
    ref, ours = int8_pair
    assert _describe(ours) == _describe(ref)  # bias, kernel (int8), kernel_scale per layer
    for a, b in zip(ref.get_weights(), ours.get_weights()):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(ref(X)), rtol=1e-6, atol=1e-6)
    assert ours.layers[1].dtype_policy.name == ref.layers[1].dtype_policy.name == "int8_from_float32"
    assert ours.layers[1].get_config()["dtype"] == ref.layers[1].get_config()["dtype"]
    assert ours.layers[1].get_config()["quantization_config"] == ref.layers[1].get_config()["quantization_config"]


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape", [
    ("abc,cde->abde", (3, 2, 4), "de", (2, 3, 5)),
    ("abcd,cde->abe", (3, 4), "e", (2, 3, 5, 6)),
    ("ab,bcd->acd", (2, 3), None, (2, 5)),
])
def test_einsum_dense_scale_layouts_match_keras(equation, output_shape, bias_axes, input_shape):
    layers = [k.layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes) for k in (keras, jkeras)]
    for layer in layers:
        layer.build(input_shape)
    ref, ours = layers
    ours.set_weights([RNG.normal(size=w.shape).astype("float32") for w in ref.weights])
    ref.set_weights(ours.get_weights())
    ref.quantize("int8")
    ours.quantize("int8")
    assert [(w.name, str(w.dtype), tuple(w.shape)) for w in ours.weights] == \
        [(w.name, str(w.dtype), tuple(w.shape)) for w in ref.weights]
    x = RNG.normal(size=input_shape).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-6, atol=1e-6)


def test_embedding_and_weight_only_config_match_keras():
    def build(k):
        return k.Sequential([k.Input((5,), dtype="int32"), k.layers.Embedding(20, 8, name="emb"),
                             k.layers.Flatten(name="flat"), k.layers.Dense(4, name="out")], name="seq")

    x = RNG.integers(0, 20, (6, 5))
    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    ref.quantize(config=keras.quantizers.Int8QuantizationConfig(activation_quantizer=None))
    ours.quantize(config=jkeras.quantizers.Int8QuantizationConfig(activation_quantizer=None))
    assert _describe(ours) == _describe(ref)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-6, atol=1e-6)


def test_fit_trains_the_float_weights_with_keras_straight_through_gradient():
    # Only `q` and `e` are quantized: the gradient reaching `a` goes through their dequantized kernels.
    ref, ours = _pair(_model, filters=["q", "e"])
    ref.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    ours.compile(optimizer=jkeras.optimizers.SGD(0.1), loss="mse")
    h_ref = ref.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    h_ours = ours.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h_ours, h_ref, rtol=1e-5)
    for a, b in zip(ref.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert [w.path for w in ours.trainable_weights] == [w.path for w in ref.trainable_weights]
    np.testing.assert_allclose(ours.evaluate(X, Y, verbose=0), ref.evaluate(X, Y, verbose=0), rtol=1e-5)


def test_quantized_apply_is_pure_and_jits(int8_pair):
    _, ours = int8_pair
    variables = ours.get_variables()
    run = jax.jit(lambda v, x: ours.apply(v, x)[0])
    np.testing.assert_allclose(np.asarray(run(variables, X)), np.asarray(ours(X)), rtol=1e-6, atol=1e-6)


def test_keras_files_cross_load(tmp_path, int8_pair):
    ref, ours = int8_pair
    expected = np.asarray(ref(X))
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    for loaded in (jkeras.models.load_model(tmp_path / "ours.keras"), keras.models.load_model(tmp_path / "ours.keras"),
                   jkeras.models.load_model(tmp_path / "ref.keras")):
        assert loaded.layers[2].dtype_policy.name == "int8_from_float32"
        np.testing.assert_allclose(np.asarray(loaded(X)), expected, rtol=1e-6, atol=1e-6)
    ours.save_weights(tmp_path / "ours.weights.h5")
    for k in (keras, jkeras):  # a fresh model (other float weights), quantized, then loaded
        target = _model(k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            target.quantize("int8")
        target.load_weights(tmp_path / "ours.weights.h5")
        np.testing.assert_allclose(np.asarray(target(X)), expected, rtol=1e-6, atol=1e-6)


def test_quantized_policies_match_keras():
    for name in ("int8_from_float32", "int8_from_mixed_bfloat16", "int4/128_from_float32", "int4_from_float32"):
        ref, ours = keras.dtype_policies.get(name), jkeras.dtype_policies.get(name)
        assert type(ours).__name__ == type(ref).__name__
        assert (ours.name, ours.compute_dtype, ours.variable_dtype, ours.quantization_mode) == \
            (ref.name, ref.compute_dtype, ref.variable_dtype, ref.quantization_mode)
        assert jkeras.dtype_policies.serialize(ours) == keras.dtype_policies.serialize(ref)
    built = []
    for k in (keras, jkeras):
        layer = k.layers.Dense(3, dtype="int8_from_float32")
        layer.build((None, 4))
        built.append([(w.name, str(w.dtype), tuple(w.shape), w.trainable) for w in layer.weights])
    assert built[0] == built[1]


def _errors(k):
    found = []

    def attempt(fn):
        try:
            fn()
            found.append(None)
        except Exception as error:  # noqa: BLE001 - the type and message are compared
            found.append((type(error).__name__, str(error)))

    dense = k.layers.Dense(2, name="dq")
    attempt(lambda: dense.quantize("int8"))
    dense.build((None, 3))
    attempt(lambda: dense.quantize("int3"))
    attempt(lambda: dense.quantize(None))
    attempt(lambda: dense.quantize("int8"))
    attempt(lambda: dense.quantize("int8"))
    conv = k.layers.Conv2D(2, 3)
    conv.build((None, 5, 5, 1))
    attempt(lambda: conv.quantize("int8"))

    class MyDense(k.layers.Dense):
        pass

    sub = MyDense(2)
    sub.build((None, 3))
    attempt(lambda: sub.quantize("int8"))
    attempt(lambda: k.dtype_policies.get("int8_from_float16"))
    model = k.Sequential([k.Input((3,)), k.layers.Dense(2)])
    attempt(lambda: model.quantize("int8", filters=3))
    return found


def test_errors_match_keras():
    assert _errors(jkeras) == _errors(keras)


def test_model_quantize_skips_unsupported_layers_with_a_warning():
    messages = []
    for k in (keras, jkeras):
        model = k.Sequential([k.Input((6, 6, 1)), k.layers.Conv2D(2, 3), k.layers.Flatten(), k.layers.Dense(2)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.quantize("int8")
        messages.append(sorted({str(w.message) for w in caught if "quantize" in str(w.message)}))
        assert [layer.quantization_mode for layer in model.layers] == [None, None, "int8"]
    assert set(messages[1]) <= set(messages[0])
    assert "Layer Conv2D does not have a `quantize` method implemented." in messages[1]


def test_multi_head_attention_quantizes_its_einsum_dense_sublayers():
    # model.quantize reaches MultiHeadAttention's EinsumDense projections (its own check of the
    # input sizes read the float kernel, which a quantized sublayer no longer has).
    def build(k):
        inputs = k.Input((4, 8))
        return k.Model(inputs, k.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(inputs, inputs))

    ref, ours = _pair(build)
    assert _describe(ours) == _describe(ref)
    x = RNG.normal(size=(2, 4, 8)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lora_first", [True, False])
def test_lora_on_int8_layers_matches_keras(tmp_path, lora_first):
    def build(k):
        model = k.Sequential([k.Input((6,)), k.layers.Dense(3, name="d")], name="seq")
        if lora_first:
            model.layers[0].enable_lora(2)
        model.quantize("int8")
        if not lora_first:
            model.layers[0].enable_lora(2)
        return model

    ref, ours = build(keras), build(jkeras)
    assert _describe(ours) == _describe(ref)  # bias, lora_kernel_a, lora_kernel_b, kernel, kernel_scale
    values = [w.numpy() if w.name in ("kernel", "kernel_scale") else 0.1 * RNG.normal(size=w.shape).astype("float32")
              for w in ref.weights]
    ref.set_weights(values)
    ours.set_weights(values)
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(ref(X)), rtol=1e-6, atol=1e-6)
    ref.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    ours.compile(optimizer=jkeras.optimizers.SGD(0.05), loss="mse")
    fit = dict(epochs=1, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours.fit(X, Y, **fit).history["loss"], ref.fit(X, Y, **fit).history["loss"], rtol=1e-5)
    # Files hold the LoRA update merged into a requantized kernel (no factors), as Keras writes them.
    ours.save_weights(tmp_path / "ours.weights.h5")
    ref.save_weights(tmp_path / "ref.weights.h5")
    expected = np.asarray(ref(X))
    ref.load_weights(tmp_path / "ours.weights.h5")
    ours.load_weights(tmp_path / "ref.weights.h5")
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(ref(X)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ref(X)), expected, rtol=0.1, atol=0.05)  # requantized: close, not equal


def test_abs_max_quantize_and_quantizer_configs_match_keras():
    x = RNG.normal(size=(4, 5)).astype("float32")
    for axis, to_numpy in ((0, True), (-1, False), ((0, 1), False)):
        q_ref, s_ref = keras.quantizers.abs_max_quantize(x, axis, to_numpy=to_numpy)
        q_ours, s_ours = jkeras.quantizers.abs_max_quantize(x, axis, to_numpy=to_numpy)
        np.testing.assert_array_equal(np.asarray(q_ours), np.asarray(q_ref))
        np.testing.assert_allclose(np.asarray(s_ours), np.asarray(s_ref), rtol=1e-7)
        assert str(np.asarray(q_ours).dtype) == "int8"
    ref = keras.quantizers.Int8QuantizationConfig(weight_quantizer=keras.quantizers.AbsMaxQuantizer(axis=0))
    ours = jkeras.quantizers.Int8QuantizationConfig(weight_quantizer=jkeras.quantizers.AbsMaxQuantizer(axis=0))
    assert jkeras.quantizers.serialize(ours) == keras.quantizers.serialize(ref)
    again = keras.quantizers.deserialize(jkeras.quantizers.serialize(ours))
    assert again.weight_quantizer.axis == (0,) and again.mode == "int8"
    assert jkeras.quantizers.serialize(jkeras.quantizers.deserialize(keras.quantizers.serialize(ref))) == \
        keras.quantizers.serialize(ref)


@pytest.mark.parametrize("block_size,with_inputs_quantizer", [(None, False), (4, False), (-1, True)])
def test_int4_dense_and_einsum_dense_match_keras(tmp_path, block_size, with_inputs_quantizer):
    # None: quantize("int4") (sub-channel, block 128); -1: per channel; 4: groups of 4 input rows.
    def build(k):  # the float `a` is trained through the int4 layers' input gradients
        inputs = k.Input((10,))
        x = k.layers.Dense(5, activation="tanh", name="a")(inputs)
        x = k.layers.Dense(6, name="q")(x)
        return k.Model(inputs, k.layers.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c", name="qe")(x))

    def config(k):
        if block_size is None:
            return {"mode": "int4"}
        extra = {"activation_quantizer": k.quantizers.AbsMaxQuantizer()} if with_inputs_quantizer else {}
        return {"config": k.quantizers.Int4QuantizationConfig(block_size=block_size, **extra)}

    x = RNG.normal(size=(8, 10)).astype("float32")
    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    ref.quantize(filters="q", **config(keras))
    ours.quantize(filters="q", **config(jkeras))  # `q` and `qe`
    assert _describe(ours) == _describe(ref)  # bias, kernel (packed), kernel_scale[, kernel_zero, g_idx]
    assert ours.layers[2].dtype_policy.name == ref.layers[2].dtype_policy.name
    assert ours.layers[2].get_config()["dtype"] == ref.layers[2].get_config()["dtype"]
    for a, b in zip(ref.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(b, a)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-6, atol=1e-6)
    if block_size is None:  # the default int4 config: files
        ours.save(tmp_path / "ours.keras")
        loaded = keras.models.load_model(tmp_path / "ours.keras")
        np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(ours(x)), rtol=1e-6, atol=1e-6)
        again = jkeras.models.load_model(tmp_path / "ours.keras")
        np.testing.assert_allclose(np.asarray(again(x)), np.asarray(ours(x)), rtol=1e-6, atol=1e-6)
        return
    ref.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    ours.compile(optimizer=jkeras.optimizers.SGD(0.1), loss="mse")
    y = RNG.normal(size=(8, 3)).astype("float32")
    fit = dict(epochs=1, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours.fit(x, y, **fit).history["loss"], ref.fit(x, y, **fit).history["loss"], rtol=1e-5)


def test_int4_packing_and_grouped_quantization_match_keras():
    from keras.src.quantizers import dequantize_with_sz_map

    values = RNG.integers(-8, 8, (5, 7)).astype("int8")
    for axis in (0, -1):
        packed_ref, shape_ref, n_ref = keras.quantizers.pack_int4(values, axis=axis)
        packed, shape, n = jkeras.quantizers.pack_int4(values, axis=axis)
        np.testing.assert_array_equal(np.asarray(packed), np.asarray(packed_ref))
        assert (shape, n) == (shape_ref, n_ref)
        np.testing.assert_array_equal(np.asarray(jkeras.quantizers.unpack_int4(packed, n, axis=axis)), values)
    x = RNG.normal(size=(10, 3)).astype("float32")
    ref = keras.quantizers.abs_max_quantize_grouped_with_zero_point(x, 4, to_numpy=True)
    ours = jkeras.quantizers.abs_max_quantize_grouped_with_zero_point(x, 4)
    for a, b in zip(ref, ours):
        assert np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_array_equal(np.asarray(b), np.asarray(a))
    groups = np.arange(10) // 4
    np.testing.assert_allclose(
        np.asarray(jkeras.quantizers.dequantize_with_sz_map(*ours, groups, group_axis=0)),
        np.asarray(dequantize_with_sz_map(*ref, groups, group_axis=0)), rtol=1e-7)


@pytest.mark.parametrize("block_size", [-1, 3])
def test_int4_embedding_matches_keras(tmp_path, block_size):
    def build(k):
        return k.Sequential([k.Input((5,), dtype="int32"), k.layers.Embedding(20, 7, name="emb"),
                             k.layers.Flatten(name="flat")], name="seq")

    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    for k, model in ((keras, ref), (jkeras, ours)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if block_size is None:
                model.quantize("int4")
            else:
                model.quantize(config=k.quantizers.Int4QuantizationConfig(block_size=block_size))
    assert _describe(ours) == _describe(ref)  # embeddings (packed), embeddings_scale[, embeddings_zero, g_idx]
    for a, b in zip(ref.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(b, a)
    x = RNG.integers(0, 20, (6, 5))
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-6, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(keras.models.load_model(tmp_path / "ours.keras")(x)), np.asarray(ref(x)),
                               rtol=1e-6, atol=1e-6)

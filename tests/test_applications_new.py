"""MobileNetV3, ConvNeXt, EfficientNetV2 and InceptionResNetV2 against Keras 3's: same layers,
weights and outputs; Keras's weight files load; ImageNet downloads go to Keras's URLs with Keras's
hashes (faked here: nothing is downloaded)."""
import re
import warnings

import h5py
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from keras.src.applications import convnext as k_convnext
from keras.src.applications import efficientnet_v2 as k_efficientnet_v2
from keras.src.applications import mobilenet_v3 as k_mobilenet_v3

import jkeras
from jkeras import applications as ja
from jkeras.applications import imagenet_utils as j_utils

from applications_testing import RNG, _hyperparameters, assert_close, batch, build, cheap_random_initializers, randomize


@pytest.fixture(autouse=True, scope="module")
def _cheap_random_initializers():
    with cheap_random_initializers():
        yield


def _weight_path(path):
    """`layer/weight`: Keras 3 prefixes the weights of a nested model's layers with the nested
    model's name (`convnext_tiny_stem/convnext_tiny_stem_conv/kernel`), jkeras does not."""
    return "/".join(path.split("/")[-2:])


def _hp(layer):
    """The compared settings; an int `axis` equals the 1-tuple (LayerNormalization keeps `-1`
    in jkeras, `(-1,)` in Keras 3)."""
    config = _hyperparameters(layer)
    if isinstance(config.get("axis"), int):
        config["axis"] = (config["axis"],)
    return config


def assert_same_structure(k_model, j_model):
    """`applications_testing.assert_same_structure`, up to the two differences above."""
    assert j_model.name == k_model.name
    k_layers, j_layers = k_model.layers, j_model.layers
    assert [layer.name for layer in j_layers] == [layer.name for layer in k_layers]
    assert [type(layer).__name__ for layer in j_layers] == [type(layer).__name__ for layer in k_layers]
    assert [_weight_path(w.path) for w in j_model.weights] == [_weight_path(w.path) for w in k_model.weights]
    assert [tuple(w.shape) for w in j_model.weights] == [tuple(w.shape) for w in k_model.weights]
    assert ([_weight_path(w.path) for w in j_model.trainable_weights]
            == [_weight_path(w.path) for w in k_model.trainable_weights])
    assert tuple(j_model.input_shape) == tuple(k_model.input_shape)
    assert tuple(j_model.output_shape) == tuple(k_model.output_shape)
    assert [_hp(layer) for layer in j_layers] == [_hp(layer) for layer in k_layers]
    for k_layer, j_layer in zip(k_layers, j_layers):  # the nested stem / downsampling models
        if isinstance(k_layer, keras.Model):
            assert [lay.name for lay in j_layer.layers] == [lay.name for lay in k_layer.layers]
            assert [_hp(lay) for lay in j_layer.layers] == [_hp(lay) for lay in k_layer.layers]


def _pixels(kind):
    return (0.0, 255.0) if kind.startswith(("MobileNetV3", "ConvNeXt", "EfficientNetV2")) else (-1.0, 1.0)


COMPARED = [
    ("MobileNetV3Small", dict(include_top=True, input_shape=(32, 32, 3), classes=4, classifier_activation=None)),
    ("MobileNetV3Large", dict(include_top=False, input_shape=(32, 32, 3), minimalistic=True, alpha=0.75,
                              pooling="avg")),
    ("ConvNeXtTiny", dict(include_top=True, input_shape=(32, 32, 3), classes=3, classifier_activation=None)),
    ("EfficientNetV2B0", dict(include_top=True, input_shape=(32, 32, 3), classes=4, classifier_activation=None)),
    pytest.param("InceptionResNetV2", dict(include_top=False, input_shape=(75, 75, 3), pooling="avg"),
                 marks=pytest.mark.slow),
]


@pytest.mark.parametrize("kind,kwargs", COMPARED, ids=["MobileNetV3Small", "MobileNetV3Large", "ConvNeXtTiny",
                                                             "EfficientNetV2B0", "InceptionResNetV2"])
def test_same_layers_weights_and_predictions_as_keras(kind, kwargs):
    k_model, j_model = build(kind, weights=None, **kwargs)
    assert_same_structure(k_model, j_model)
    randomize(k_model)
    j_model.set_weights(k_model.get_weights())
    low, high = _pixels(kind)
    x = batch(k_model, low=low, high=high)
    assert_close(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


STRUCTURE_ONLY = [
    ("MobileNetV3Small", dict(include_top=True, classes=3, minimalistic=True, include_preprocessing=False)),
    ("MobileNetV3Small", dict(include_top=False, input_shape=(48, 64, 3), alpha=1.25, pooling="max")),
    ("MobileNetV3Large", dict(include_top=True, input_shape=(224, 224, 3), dropout_rate=0.0)),
    ("ConvNeXtTiny", dict(include_top=False, input_shape=(32, 32, 3), include_preprocessing=False, pooling="max")),
    ("ConvNeXtSmall", dict(include_top=False, input_shape=(32, 32, 3))),
    ("EfficientNetV2B1", dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")),
    ("EfficientNetV2B2", dict(include_top=False, input_shape=(32, 32, 3), include_preprocessing=False)),
    ("EfficientNetV2B3", dict(include_top=True, classes=3)),
    ("EfficientNetV2S", dict(include_top=False, input_shape=(32, 32, 3), pooling="max")),
    ("InceptionResNetV2", dict(include_top=True, classes=3, classifier_activation="sigmoid")),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind,kwargs", STRUCTURE_ONLY, ids=[f"{k}-{i}" for i, (k, _) in enumerate(STRUCTURE_ONLY)])
def test_same_layers_and_weight_shapes_as_keras(kind, kwargs):
    k_model, j_model = build(kind, weights=None, **kwargs)
    assert_same_structure(k_model, j_model)


@pytest.mark.parametrize("kind", ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
                                  "ConvNeXtXLarge"])
def test_convnext_variants_pass_keras_configuration(monkeypatch, kind):
    """The big variants are too big to build twice here: both libraries' `ConvNeXt` get the same
    arguments (configurations, names and weights names), and `ConvNeXtSmall` is built above."""
    calls = []
    monkeypatch.setattr(k_convnext, "ConvNeXt", lambda **kw: calls.append(kw))
    monkeypatch.setattr(ja.convnext, "ConvNeXt", lambda **kw: calls.append(kw))
    args = dict(include_top=False, weights=None, input_shape=(64, 64, 3), pooling="avg", classes=7)
    getattr(keras.applications, kind)(**args)
    getattr(ja, kind)(**args)
    assert calls[1] == calls[0]
    assert ja.convnext.MODEL_CONFIGS == k_convnext.MODEL_CONFIGS
    assert ja.convnext.WEIGHTS_HASHES == k_convnext.WEIGHTS_HASHES
    assert ja.mobilenet_v3.WEIGHTS_HASHES == k_mobilenet_v3.WEIGHTS_HASHES


@pytest.mark.parametrize("kind", ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
                                  "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L"])
def test_efficientnet_v2_variants_pass_keras_configuration(monkeypatch, kind):
    """As for ConvNeXt: M and L are too big to build twice here; S and the B variants are built."""
    calls = []
    monkeypatch.setattr(k_efficientnet_v2, "EfficientNetV2", lambda **kw: calls.append(kw))
    monkeypatch.setattr(ja.efficientnet_v2, "EfficientNetV2", lambda **kw: calls.append(kw))
    args = dict(include_top=False, weights=None, input_shape=(64, 64, 3), pooling="avg", classes=7,
                include_preprocessing=False)
    getattr(keras.applications, kind)(**args)
    getattr(ja, kind)(**args)
    assert calls[1] == calls[0]
    assert ja.efficientnet_v2.DEFAULT_BLOCKS_ARGS == k_efficientnet_v2.DEFAULT_BLOCKS_ARGS
    assert ja.efficientnet_v2.WEIGHTS_HASHES == k_efficientnet_v2.WEIGHTS_HASHES


def test_efficientnet_v2_non_b_preprocessing_and_scaling_equal_keras():
    """The S / M / L preprocessing (`Rescaling(1 / 128, offset=-1)`) and the width and depth
    scaling, on a shrunk EfficientNetV2-S."""
    kwargs = dict(width_coefficient=0.25, depth_coefficient=0.3, default_size=32, name="efficientnetv2-s",
                  weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    keras.backend.clear_session()
    jkeras.backend.clear_session()
    k_model = k_efficientnet_v2.EfficientNetV2(**kwargs)
    j_model = ja.efficientnet_v2.EfficientNetV2(**kwargs)
    assert_same_structure(k_model, j_model)
    assert j_model.layers[1].get_config()["offset"] == -1
    randomize(k_model)
    j_model.set_weights(k_model.get_weights())
    x = batch(k_model, low=0.0, high=255.0)
    assert_close(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


def test_efficientnet_v2_rejects_stages_without_repeats():
    args = [dict(b, num_repeat=0) if i == 1 else b
            for i, b in enumerate(ja.efficientnet_v2.DEFAULT_BLOCKS_ARGS["efficientnetv2-b0"])]
    with pytest.raises(ValueError, match=re.escape("must be > 0. Received: num_repeat=0")):
        ja.efficientnet_v2.EfficientNetV2(1.0, 1.0, 224, blocks_args=args, weights=None, include_top=False,
                                          input_shape=(32, 32, 3))
    assert ja.efficientnet_v2.DEFAULT_BLOCKS_ARGS["efficientnetv2-b0"][1]["num_repeat"] == 2  # not modified


def test_mobilenet_v3_hard_sigmoid_and_preprocessing():
    model = ja.MobileNetV3Small(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert type(model.layers[1]).__name__ == "Rescaling"
    x = batch(model, low=0.0, high=255.0)
    probe = jkeras.Model(model.input, model.layers[1].output)
    np.testing.assert_allclose(probe.predict(x, verbose=0), x / 127.5 - 1.0, rtol=1e-6, atol=1e-6)
    # The squeeze-and-excitation gate of the first block: relu6(x + 3) / 6.
    pre = model.get_layer("expanded_conv_squeeze_excite_conv_1")
    gate_input = jkeras.Model(model.input, pre.output).predict(x, verbose=0)
    gate = model.get_layer("expanded_conv_squeeze_excite_mul").input[1]
    got = jkeras.Model(model.input, gate).predict(x, verbose=0)
    np.testing.assert_allclose(got, np.clip(gate_input + 3.0, 0.0, 6.0) / 6.0, rtol=1e-5, atol=1e-6)


def _save_keras_weights(k_model, path, legacy):
    from keras.src.legacy.saving import legacy_h5_format

    if legacy:
        with h5py.File(path, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, k_model)
    else:
        k_model.save_weights(path)
    return str(path)


@pytest.mark.parametrize("legacy", [False, True], ids=["weights.h5", "legacy-h5"])
def test_convnext_loads_keras_weights_files(tmp_path, legacy):
    """ConvNeXt's nested stem and downsampling models are read from Keras's files too."""
    kwargs = dict(include_top=True, input_shape=(32, 32, 3), classes=3)
    keras.backend.clear_session()
    k_model = keras.applications.ConvNeXtTiny(weights=None, **kwargs)
    randomize(k_model)
    path = _save_keras_weights(k_model, tmp_path / ("w.h5" if legacy else "w.weights.h5"), legacy)
    j_model = ja.ConvNeXtTiny(weights=path, **kwargs)
    x = batch(k_model, low=0.0, high=255.0)
    assert_close(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


def test_saved_models_keep_convnext_and_mobilenet_v3_layers(tmp_path):
    inputs = jkeras.Input((4, 4, 3))
    x = ja.convnext.LayerScale(0.5, 3, name="scale")(inputs)
    x = ja.convnext.StochasticDepth(0.25, name="drop")(x)
    x = ja.mobilenet_v3.hard_sigmoid(x)
    model = jkeras.Model(inputs, x)
    model.get_layer("scale").set_weights([np.array([0.5, -1.0, 2.0], "float32")])
    data = RNG.normal(size=(2, 4, 4, 3)).astype("float32")
    expected = np.clip(data * [0.5, -1.0, 2.0] + 3.0, 0.0, 6.0) / 6.0
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("scale")) is ja.convnext.LayerScale
    assert loaded.get_layer("drop").get_config()["drop_path_rate"] == 0.25
    assert loaded.get_layer("scale").get_config()["projection_dim"] == 3
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_stochastic_depth_drops_whole_samples_in_training():
    layer = ja.convnext.StochasticDepth(0.5)
    x = jnp.ones((64, 2, 2, 3))
    variables = layer.init(jax.random.PRNGKey(0), x.shape)
    same, _ = layer.apply(variables, x, training=False)
    np.testing.assert_array_equal(np.asarray(same), np.asarray(x))
    y, _ = layer.apply(variables, x, training=True, rng=jax.random.PRNGKey(1))
    y = np.asarray(y)
    per_sample = y.reshape(64, -1)
    assert set(np.unique(per_sample)) == {0.0, 2.0}  # dropped, or kept and scaled by 1 / 0.5
    assert (per_sample == per_sample[:, :1]).all()  # one draw per sample
    with pytest.raises(ValueError, match="rng"):
        layer.apply(variables, x, training=True)


IMAGENET = [
    ("MobileNetV3Small", "mobilenet_v3", dict(include_top=False, input_shape=(32, 32, 3))),
    ("MobileNetV3Large", "mobilenet_v3", dict(include_top=True, alpha=0.75, input_shape=(32, 32, 3))),
    ("ConvNeXtTiny", "convnext", dict(include_top=False, input_shape=(32, 32, 3))),
    ("EfficientNetV2B0", "efficientnet_v2", dict(include_top=False, input_shape=(32, 32, 3))),
    ("InceptionResNetV2", "inception_resnet_v2", dict(include_top=False, input_shape=(75, 75, 3))),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind,module,kwargs", IMAGENET, ids=[k for k, _, _ in IMAGENET])
def test_imagenet_weights_come_from_keras_url_and_hash_and_load(tmp_path, monkeypatch, kind, module, kwargs):
    source = getattr(ja, kind)(weights=None, **kwargs)
    randomize(source)
    path = str(tmp_path / "published.h5")
    source.save_weights(path)
    calls = {"keras": [], "jkeras": []}

    def fake(who):
        def get_file(fname=None, origin=None, **kw):
            calls[who].append((fname, origin, kw.get("cache_subdir"), kw.get("file_hash")))
            return path
        return get_file

    monkeypatch.setattr("keras.src.utils.file_utils.get_file", fake("keras"))
    monkeypatch.setattr(f"jkeras.applications.{module}.get_file", fake("jkeras"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k_model, j_model = build(kind, weights="imagenet", **kwargs)
    assert calls["jkeras"] == calls["keras"] and len(calls["keras"]) == 1
    assert calls["jkeras"][0][1].startswith("https://storage.googleapis.com/")
    assert calls["jkeras"][0][3]  # a hash is checked
    assert_same_structure(k_model, j_model)
    for expected, k_value, j_value in zip(source.get_weights(), k_model.get_weights(), j_model.get_weights()):
        np.testing.assert_array_equal(k_value, expected)
        np.testing.assert_array_equal(j_value, expected)


def test_mobilenet_v3_warns_like_keras_for_imagenet_weights_at_other_sizes(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise RuntimeError("no download in tests")

    monkeypatch.setattr("keras.src.utils.file_utils.get_file", refuse)
    monkeypatch.setattr("jkeras.applications.mobilenet_v3.get_file", refuse)
    for lib in (keras.applications, ja):
        with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\) will be loaded"):
            with pytest.raises(RuntimeError, match="no download"):
                lib.MobileNetV3Small(weights="imagenet", include_top=False, input_shape=(96, 96, 3))


MODULES = ["mobilenet_v3", "convnext", "efficientnet_v2", "inception_resnet_v2"]


@pytest.mark.parametrize("module", MODULES[:3])
def test_preprocess_input_is_a_pass_through_like_keras(module):
    x = RNG.uniform(0, 255, (2, 5, 4, 3)).astype("float32")
    k_out = getattr(keras.applications, module).preprocess_input(x)
    j_out = getattr(ja, module).preprocess_input(x)
    assert k_out is x and j_out is x


def test_inception_resnet_v2_preprocess_input_equals_keras():
    j_fn, k_fn = ja.inception_resnet_v2.preprocess_input, keras.applications.inception_resnet_v2.preprocess_input
    x = RNG.uniform(0, 255, (2, 5, 4, 3)).astype("float32")
    for data_format, sample in (("channels_last", x), ("channels_first", x.transpose(0, 3, 1, 2)), (None, x[0])):
        expected = k_fn(sample.copy(), data_format=data_format)
        got = j_fn(sample.copy(), data_format=data_format)
        assert isinstance(got, np.ndarray) and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(j_fn(x.copy()), x / 127.5 - 1.0, rtol=1e-6, atol=1e-6)
    ints = RNG.integers(0, 256, (4, 4, 3)).astype("uint8")
    np.testing.assert_allclose(j_fn(ints.copy()), k_fn(ints.copy()), rtol=1e-6)
    got, expected = j_fn(jnp.asarray(x)), k_fn(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="Expected data_format"):
        j_fn(x.copy(), data_format="channels_middle")


def test_custom_scale_layer_equals_keras_and_saves(tmp_path):
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer as KCustomScaleLayer

    a, b = RNG.normal(size=(2, 3, 3, 4)).astype("float32"), RNG.normal(size=(2, 3, 3, 4)).astype("float32")
    expected = np.asarray(KCustomScaleLayer(0.17)([a, b]))
    layer = ja.inception_resnet_v2.CustomScaleLayer(0.17)
    np.testing.assert_allclose(np.asarray(layer([a, b])), expected, rtol=1e-6, atol=1e-6)
    x1, x2 = jkeras.Input((3, 3, 4)), jkeras.Input((3, 3, 4))
    model = jkeras.Model([x1, x2], ja.inception_resnet_v2.CustomScaleLayer(0.17, name="scale")([x1, x2]))
    model.save(tmp_path / "m.keras")
    loaded = jkeras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("scale")) is ja.inception_resnet_v2.CustomScaleLayer
    np.testing.assert_allclose(loaded.predict([a, b], verbose=0), expected, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match='Expects "block35", "block17" or "block8", but got: block9'):
        ja.inception_resnet_v2.inception_resnet_block(x1, 0.1, "block9", 1)


@pytest.mark.parametrize("module", MODULES)
def test_decode_predictions_is_imagenet_decoding(monkeypatch, module):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    monkeypatch.setattr(j_utils, "CLASS_INDEX", index)
    preds = RNG.uniform(size=(2, 1000)).astype("float32")
    got = getattr(ja, module).decode_predictions(preds, top=3)
    best = np.argsort(-preds, axis=1)[:, :3]
    assert [[r[0] for r in sample] for sample in got] == [[f"n{i:08d}" for i in row] for row in best]
    with pytest.raises(ValueError, match=re.escape("Received array with shape: (2, 10)")):
        getattr(ja, module).decode_predictions(np.zeros((2, 10)))


ARG_ERRORS = [
    ("MobileNetV3Small", dict(weights="/no/such/file.h5")),
    ("MobileNetV3Large", dict(weights="imagenet", classes=10)),
    ("MobileNetV3Small", dict(weights=None, include_top=False, input_shape=(31, 40, 3))),
    ("MobileNetV3Large", dict(weights="imagenet", alpha=0.5)),
    ("MobileNetV3Small", dict(weights="imagenet", alpha=0.75, minimalistic=True)),
    ("MobileNetV3Large", dict(weights="imagenet", classifier_activation="sigmoid", input_shape=(224, 224, 3))),
    ("ConvNeXtTiny", dict(weights="/no/such/file.h5")),
    ("ConvNeXtSmall", dict(weights="imagenet", classes=10)),
    ("ConvNeXtBase", dict(weights=None, include_top=False, input_shape=(31, 32, 3))),
    ("ConvNeXtLarge", dict(weights="imagenet", include_top=True, input_shape=(64, 64, 3))),
    ("ConvNeXtXLarge", dict(weights=None, include_top=True, input_shape=(None, None, 3))),
    ("ConvNeXtTiny", dict(weights="imagenet", classifier_activation="sigmoid")),
    ("EfficientNetV2B0", dict(weights="/no/such/file.h5")),
    ("EfficientNetV2S", dict(weights="imagenet", classes=10)),
    ("EfficientNetV2M", dict(weights=None, include_top=False, input_shape=(32, 31, 3))),
    ("EfficientNetV2B3", dict(weights="imagenet", include_top=True, input_shape=(224, 224, 3))),
    ("EfficientNetV2L", dict(weights="imagenet", include_top=False, input_shape=(64, 64, 1))),
    ("InceptionResNetV2", dict(weights="/no/such/file.h5")),
    ("InceptionResNetV2", dict(weights="imagenet", classes=10)),
    ("InceptionResNetV2", dict(weights=None, include_top=False, input_shape=(74, 75, 3))),
    ("InceptionResNetV2", dict(weights="imagenet", include_top=True, input_shape=(224, 224, 3))),
]


@pytest.mark.parametrize("kind,kwargs", ARG_ERRORS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(ARG_ERRORS)])
def test_argument_errors_match_keras(monkeypatch, kind, kwargs):
    def refuse(*args, **kw):
        raise RuntimeError("no download in tests")

    monkeypatch.setattr("keras.src.utils.file_utils.get_file", refuse)
    monkeypatch.setattr(f"jkeras.applications.{getattr(ja, kind).__module__.rsplit('.', 1)[-1]}.get_file", refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as expected:
            getattr(keras.applications, kind)(**kwargs)
        with pytest.raises(ValueError) as got:
            getattr(ja, kind)(**kwargs)
    # An activation's repr carries its address.
    assert _no_address(str(got.value)) == _no_address(str(expected.value))


def _no_address(message):
    return re.sub(r" at 0x[0-9a-f]+>", ">", message)


def test_convnext_imagenet_weights_need_the_variant_name():
    for lib in (keras.applications, ja):
        with pytest.raises(ValueError, match='Model name "my_model" does not match weights variant'):
            lib.ConvNeXtTiny(weights="imagenet", include_top=False, input_shape=(32, 32, 3), name="my_model")


def test_convnext_rejects_channels_first_like_keras():
    k_format, j_format = keras.config.image_data_format(), jkeras.backend.image_data_format()
    keras.config.set_image_data_format("channels_first")
    jkeras.backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError) as expected:
            keras.applications.ConvNeXtTiny(weights=None)
        with pytest.raises(ValueError) as got:
            ja.ConvNeXtTiny(weights=None)
    finally:
        keras.config.set_image_data_format(k_format)
        jkeras.backend.set_image_data_format(j_format)
    assert str(got.value) == str(expected.value)


def test_applications_are_exported():
    names = ("MobileNetV3Small", "MobileNetV3Large", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase",
             "ConvNeXtLarge", "ConvNeXtXLarge", "InceptionResNetV2")
    names += tuple(f"EfficientNetV2{v}" for v in ("B0", "B1", "B2", "B3", "S", "M", "L"))
    for name in names:
        assert name in ja.__all__ and callable(getattr(jkeras.applications, name))
        assert hasattr(keras.applications, name)
    assert ja.ConvNeXtTiny is ja.convnext.ConvNeXtTiny and ja.MobileNetV3Small is ja.mobilenet_v3.MobileNetV3Small
    for module in MODULES:
        assert module in ja.__all__

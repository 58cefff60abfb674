"""Xception, InceptionV3, DenseNet, ResNetV2 and EfficientNet against Keras 3's: same layers,
weights and outputs; Keras's weight files load; ImageNet downloads go to Keras's URLs with Keras's
hashes (faked here: nothing is downloaded)."""
import re
import warnings

import h5py
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

import jkeras
from jkeras import applications as ja
from jkeras.applications import imagenet_utils as j_utils

from applications_testing import RNG, assert_close as _assert_close, assert_same_structure as _assert_same_structure
from applications_testing import cheap_random_initializers
from applications_testing import batch as _batch, build as _build, randomize as _randomize


@pytest.fixture(autouse=True, scope="module")
def _cheap_random_initializers():
    with cheap_random_initializers():
        yield


COMPARED = [
    ("Xception", dict(include_top=False, input_shape=(71, 71, 3), pooling="avg")),
    ("InceptionV3", dict(include_top=False, input_shape=(75, 75, 3), pooling="max")),
    ("DenseNet121", dict(include_top=False, input_shape=(32, 32, 3))),
    ("ResNet50V2", dict(include_top=True, input_shape=(32, 32, 3), classes=5, classifier_activation=None)),
    ("EfficientNetB0", dict(include_top=True, input_shape=(32, 32, 3), classes=4, classifier_activation=None)),
]


@pytest.mark.parametrize("kind,kwargs", COMPARED, ids=[k for k, _ in COMPARED])
def test_same_layers_weights_and_predictions_as_keras(kind, kwargs):
    k_model, j_model = _build(kind, weights=None, **kwargs)
    _assert_same_structure(k_model, j_model)
    _randomize(k_model)
    j_model.set_weights(k_model.get_weights())
    x = _batch(k_model, low=0.0, high=255.0) if kind.startswith("EfficientNet") else _batch(k_model)
    _assert_close(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


STRUCTURE_ONLY = [
    ("Xception", dict(include_top=True, classes=3)),
    ("InceptionV3", dict(include_top=True, classes=3, classifier_activation="sigmoid")),
    ("DenseNet169", dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")),
    ("DenseNet201", dict(include_top=False, input_shape=(32, 32, 3), pooling="max")),
    ("ResNet101V2", dict(include_top=False, input_shape=(32, 32, 3))),
    ("ResNet152V2", dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")),
] + [(f"EfficientNetB{i}", dict(include_top=True, classes=3, input_shape=(32, 32, 3))) for i in range(1, 8)]
# (Weight shapes do not depend on the image size; 32x32 builds B5 in 4 s instead of 35 s.)


@pytest.mark.slow
@pytest.mark.parametrize("kind,kwargs", STRUCTURE_ONLY, ids=[f"{k}-{i}" for i, (k, _) in enumerate(STRUCTURE_ONLY)])
def test_same_layers_and_weight_shapes_as_keras(kind, kwargs):
    k_model, j_model = _build(kind, weights=None, **kwargs)
    _assert_same_structure(k_model, j_model)


def test_efficientnet_normalization_uses_its_weights():
    kwargs = dict(include_top=False, input_shape=(32, 32, 3))
    model = ja.EfficientNetB0(weights=None, **kwargs)
    assert [type(layer).__name__ for layer in model.layers[1:4]] == ["Rescaling", "Normalization", "ZeroPadding2D"]
    norm = model.layers[2]
    x = _batch(model, low=0.0, high=255.0)
    probe = jkeras.Model(model.input, norm.output)
    np.testing.assert_allclose(probe.predict(x, verbose=0), x / 255.0, rtol=1e-6)  # fresh: mean 0, variance 1
    mean, variance = np.array([0.4, 0.5, 0.6], "float32"), np.array([0.2, 0.3, 0.4], "float32")
    norm.set_weights([mean, variance, np.array(0, "int32")])
    np.testing.assert_allclose(probe.predict(x, verbose=0), (x / 255.0 - mean) / np.sqrt(variance),
                               rtol=1e-5, atol=1e-6)


def _save_keras_weights(k_model, path, legacy):
    if legacy:
        with h5py.File(path, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, k_model)
    else:
        k_model.save_weights(path)
    return str(path)


@pytest.mark.parametrize("legacy", [False, True], ids=["weights.h5", "legacy-h5"])
def test_weights_path_loads_keras_weights_file(tmp_path, legacy):
    kwargs = dict(include_top=True, input_shape=(32, 32, 3), classes=4)
    keras.backend.clear_session()
    k_model = keras.applications.EfficientNetB0(weights=None, **kwargs)
    _randomize(k_model)
    path = _save_keras_weights(k_model, tmp_path / ("w.h5" if legacy else "w.weights.h5"), legacy)
    j_model = ja.EfficientNetB0(weights=path, **kwargs)
    x = _batch(k_model, low=0.0, high=255.0)
    _assert_close(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


IMAGENET = [
    ("Xception", "xception", dict(include_top=False, input_shape=(71, 71, 3))),
    ("InceptionV3", "inception_v3", dict(include_top=False, input_shape=(75, 75, 3))),
    ("DenseNet169", "densenet", dict(include_top=True, classes=1000)),
    ("ResNet50V2", "resnet", dict(include_top=False, input_shape=(32, 32, 3))),
    ("EfficientNetB0", "efficientnet", dict(include_top=False, input_shape=(32, 32, 3))),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind,module,kwargs", IMAGENET, ids=[k for k, _, _ in IMAGENET])
def test_imagenet_weights_come_from_keras_url_and_hash_and_load(tmp_path, monkeypatch, kind, module, kwargs):
    # The "published" file: Keras 2's layout, written by jkeras (Keras-written files: the test above).
    source = getattr(ja, kind)(weights=None, **kwargs)
    _randomize(source)
    path = str(tmp_path / "published.h5")
    source.save_weights(path)
    with h5py.File(path, "r") as f:
        assert "layer_names" in f.attrs
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
        k_model, j_model = _build(kind, weights="imagenet", **kwargs)
    assert calls["jkeras"] == calls["keras"] and len(calls["keras"]) == 1
    assert calls["jkeras"][0][1].startswith("https://storage.googleapis.com/")
    assert calls["jkeras"][0][3]  # a hash is checked
    _assert_same_structure(k_model, j_model)
    for expected, k_value, j_value in zip(source.get_weights(), k_model.get_weights(), j_model.get_weights()):
        np.testing.assert_array_equal(k_value, expected)
        np.testing.assert_array_equal(j_value, expected)
    if kind.startswith("EfficientNet"):  # the ImageNet model has Keras's extra Rescaling layer
        x = _batch(source, low=0.0, high=255.0)
        _assert_close(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


PREPROCESSING = ["xception", "inception_v3", "densenet", "resnet_v2", "efficientnet"]


@pytest.mark.parametrize("module", PREPROCESSING)
def test_preprocess_input_equals_keras(module):
    j_fn = getattr(ja, module).preprocess_input
    k_fn = getattr(keras.applications, module).preprocess_input
    x = RNG.uniform(0, 255, (2, 5, 4, 3)).astype("float32")
    for data_format, sample in (("channels_last", x), ("channels_first", x.transpose(0, 3, 1, 2)), (None, x[0])):
        expected = k_fn(sample.copy(), data_format=data_format)
        got = j_fn(sample.copy(), data_format=data_format)
        assert isinstance(got, np.ndarray) and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    ints = RNG.integers(0, 256, (4, 4, 3)).astype("uint8")
    np.testing.assert_allclose(j_fn(ints.copy()), k_fn(ints.copy()), rtol=1e-6)
    got, expected = j_fn(jnp.asarray(x)), k_fn(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_preprocess_input_modes():
    x = RNG.uniform(0, 255, (1, 2, 2, 3)).astype("float32")
    np.testing.assert_allclose(ja.xception.preprocess_input(x.copy()), x / 127.5 - 1, rtol=1e-6,
                               atol=1e-6)  # float32 rounding near 0 (x close to 127.5)
    np.testing.assert_allclose(ja.densenet.preprocess_input(x.copy()),
                               (x / 255.0 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225], rtol=1e-5)
    assert ja.efficientnet.preprocess_input(x) is x  # the models rescale their inputs themselves
    with pytest.raises(ValueError, match="Expected data_format"):
        ja.inception_v3.preprocess_input(x.copy(), data_format="channels_middle")


@pytest.mark.parametrize("module", PREPROCESSING)
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
    ("Xception", dict(weights="/no/such/file.h5")),
    ("Xception", dict(weights="imagenet", classes=10)),
    ("Xception", dict(weights=None, include_top=False, input_shape=(70, 71, 3))),
    ("InceptionV3", dict(weights="/no/such/file.h5")),
    ("InceptionV3", dict(weights="imagenet", classes=10)),
    ("InceptionV3", dict(weights=None, include_top=False, input_shape=(75, 74, 3))),
    ("InceptionV3", dict(weights="imagenet", include_top=True, input_shape=(224, 224, 3))),
    ("DenseNet121", dict(weights="/no/such/file.h5")),
    ("DenseNet169", dict(weights="imagenet", classes=10)),
    ("DenseNet201", dict(weights="imagenet", include_top=False, input_shape=(64, 64, 1))),
    ("ResNet50V2", dict(weights="/no/such/file.h5")),
    ("ResNet101V2", dict(weights="imagenet", classes=10)),
    ("ResNet152V2", dict(weights=None, include_top=True, input_shape=(None, None, 3))),
    ("EfficientNetB0", dict(weights="/no/such/file.h5")),
    ("EfficientNetB3", dict(weights="imagenet", classes=10)),
    ("EfficientNetB7", dict(weights=None, include_top=False, input_shape=(31, 32, 3))),
    ("EfficientNetB1", dict(weights="imagenet", include_top=True, input_shape=(224, 224, 3))),
    ("EfficientNetB0", dict(weights=None, include_top=False, input_tensor=np.zeros((1, 32, 32, 3)))),
]


@pytest.mark.parametrize("kind,kwargs", ARG_ERRORS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(ARG_ERRORS)])
def test_argument_errors_match_keras(kind, kwargs):
    with pytest.raises(ValueError) as expected:
        getattr(keras.applications, kind)(**kwargs)
    with pytest.raises(ValueError) as got:
        getattr(ja, kind)(**kwargs)
    assert str(got.value) == str(expected.value)


def test_densenet_rejects_channels_first_like_keras():
    k_format, j_format = keras.config.image_data_format(), jkeras.backend.image_data_format()
    keras.config.set_image_data_format("channels_first")
    jkeras.backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError) as expected:
            keras.applications.DenseNet121(weights=None)
        with pytest.raises(ValueError) as got:
            ja.DenseNet121(weights=None)
    finally:
        keras.config.set_image_data_format(k_format)
        jkeras.backend.set_image_data_format(j_format)
    assert str(got.value) == str(expected.value)
    assert "channels_first" in str(got.value)


def test_efficientnet_rejects_blocks_without_repeats_and_bad_activation():
    args = [dict(b, repeats=0) if i == 2 else b for i, b in enumerate(ja.efficientnet.DEFAULT_BLOCKS_ARGS)]
    with pytest.raises(ValueError, match=re.escape("must be > 0. Received: repeats=0")):
        ja.efficientnet.EfficientNet(1.0, 1.0, 224, blocks_args=args, weights=None, include_top=False,
                                     input_shape=(32, 32, 3))
    assert ja.efficientnet.DEFAULT_BLOCKS_ARGS[2]["repeats"] == 2  # not modified
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        ja.Xception(weights="imagenet", classifier_activation="sigmoid")


def test_input_tensor_and_transfer_learning_head():
    inp = jkeras.Input((32, 32, 3), name="image")
    x = jkeras.layers.RandomFlip("horizontal")(inp)
    base = ja.EfficientNetB0(weights=None, include_top=False, input_tensor=x)
    assert base.layers[0].name == "image" and base.layers[1].name.startswith("random_flip")
    base.trainable = False
    out = jkeras.layers.Dense(1)(jkeras.layers.GlobalAveragePooling2D()(base.output))
    model = jkeras.Model(inp, out)
    assert len(model.trainable_weights) == 2
    model.compile(optimizer="adam", loss="mse")
    before = [np.array(w) for w in base.get_weights()]
    images = RNG.uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    model.fit(images, RNG.normal(size=(4, 1)).astype("float32"), epochs=1, batch_size=2, verbose=0)
    for b, a in zip(before, base.get_weights()):  # batch-norm and normalization statistics included
        np.testing.assert_array_equal(a, b)


def test_applications_are_exported():
    for name in ("Xception", "InceptionV3", "DenseNet121", "DenseNet169", "DenseNet201", "ResNet50V2",
                 "ResNet101V2", "ResNet152V2") + tuple(f"EfficientNetB{i}" for i in range(8)):
        assert name in ja.__all__ and callable(getattr(jkeras.applications, name))
    assert ja.ResNet50V2 is ja.resnet_v2.ResNet50V2 and ja.Xception is ja.xception.Xception
    for module in PREPROCESSING:
        assert module in ja.__all__

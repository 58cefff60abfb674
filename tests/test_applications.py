"""jkeras.applications against Keras 3's: same layers, weights and outputs; Keras's weight files
load; ImageNet downloads go to Keras's URLs with Keras's hashes (faked here: nothing is downloaded)."""
import json
import re
import warnings

import h5py
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from keras.src.applications import imagenet_utils as k_utils
from keras.src.legacy.saving import legacy_h5_format

import jkeras
from jkeras import applications as ja
from jkeras.applications import imagenet_utils as j_utils

from applications_testing import RNG, assert_close as _assert_close, assert_same_structure as _assert_same_structure
from applications_testing import batch as _batch, build as _build, randomize as _randomize


COMPARED = [
    ("VGG16", dict(include_top=False, input_shape=(32, 32, 3))),
    ("ResNet50", dict(include_top=False, input_shape=(32, 32, 3), pooling="max")),
    ("MobileNet", dict(include_top=False, input_shape=(40, 32, 3), alpha=0.5, depth_multiplier=2)),
    ("MobileNetV2", dict(include_top=False, input_shape=(35, 33, 3), alpha=0.35, pooling="avg")),
    ("MobileNet", dict(include_top=True, input_shape=(32, 32, 3), alpha=0.25, classes=5,
                       classifier_activation=None)),
]


@pytest.mark.parametrize("kind,kwargs", COMPARED, ids=[f"{k}-{i}" for i, (k, _) in enumerate(COMPARED)])
def test_same_layers_weights_and_predictions_as_keras(kind, kwargs):
    k_model, j_model = _build(kind, weights=None, **kwargs)
    _assert_same_structure(k_model, j_model)
    _randomize(k_model)
    j_model.set_weights(k_model.get_weights())
    x = _batch(k_model)
    _assert_close(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


STRUCTURE_ONLY = [
    ("VGG19", dict(include_top=False, input_shape=(32, 32, 3))),
    ("ResNet101", dict(include_top=False, input_shape=(32, 32, 3))),
    ("ResNet152", dict(include_top=False, input_shape=(32, 32, 3))),
    ("VGG16", dict(include_top=True, input_shape=(32, 32, 3), classes=3)),
    ("ResNet50", dict(include_top=True, input_shape=(32, 32, 3), classes=3, classifier_activation="sigmoid")),
    ("MobileNetV2", dict(include_top=True, input_shape=(32, 32, 3), classes=3, alpha=1.3)),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind,kwargs", STRUCTURE_ONLY, ids=[f"{k}-{i}" for i, (k, _) in enumerate(STRUCTURE_ONLY)])
def test_same_layers_and_weight_shapes_as_keras(kind, kwargs):
    k_model, j_model = _build(kind, weights=None, **kwargs)
    _assert_same_structure(k_model, j_model)


def test_pooling_avg_and_max_give_2d_features():
    model = ja.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg")
    assert tuple(model.output_shape) == (None, 512)
    x = _batch(model)
    features = jkeras.Model(model.input, model.get_layer("block5_pool").output).predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), features.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    max_model = ja.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max", alpha=0.35)
    assert tuple(max_model.output_shape) == (None, 1280)
    assert type(max_model.layers[-1]).__name__ == "GlobalMaxPooling2D"
    assert tuple(ja.ResNet50(weights=None, include_top=False).output_shape) == (None, None, None, 2048)


def test_input_tensor_is_used_and_its_sources_are_the_inputs():
    inp = jkeras.Input((32, 32, 3), name="image")
    x = jkeras.layers.Rescaling(1.0 / 255)(inp)
    model = ja.MobileNet(weights=None, include_top=False, input_tensor=x, alpha=0.25)
    assert model.layers[0].name == "image"
    assert model.get_layer(index=1).name.startswith("rescaling")
    assert tuple(model.output_shape) == (None, 1, 1, 256)
    assert model.name == "mobilenet_0.25_None"  # as Keras: rows come from input_shape=None


def _save_keras_weights(k_model, path, legacy):
    if legacy:
        with h5py.File(path, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, k_model)
    else:
        k_model.save_weights(path)
    return str(path)


@pytest.mark.parametrize("legacy", [False, True], ids=["weights.h5", "legacy-h5"])
def test_weights_path_loads_keras_weights_file(tmp_path, legacy):
    kwargs = dict(include_top=True, input_shape=(32, 32, 3), alpha=0.25, classes=4)
    keras.backend.clear_session()
    k_model = keras.applications.MobileNet(weights=None, **kwargs)
    _randomize(k_model)
    path = _save_keras_weights(k_model, tmp_path / ("w.h5" if legacy else "w.weights.h5"), legacy)
    j_model = ja.MobileNet(weights=path, **kwargs)
    x = _batch(k_model)
    _assert_close(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


IMAGENET = [
    ("VGG16", "vgg16", dict(include_top=False, input_shape=(32, 32, 3))),
    ("ResNet50", "resnet", dict(include_top=False, input_shape=(32, 32, 3))),
    ("MobileNet", "mobilenet", dict(include_top=False, input_shape=(32, 32, 3), alpha=0.25)),
    ("MobileNetV2", "mobilenet_v2", dict(include_top=False, input_shape=(96, 96, 3), alpha=0.35)),
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
    assert calls["jkeras"][0][1].startswith("https://storage.googleapis.com/tensorflow/keras-applications/")
    assert j_model.name == k_model.name
    x = _batch(source)
    _assert_close(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


def test_decode_predictions_downloads_the_class_index_like_keras(tmp_path, monkeypatch):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = tmp_path / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    calls = {"keras": [], "jkeras": []}

    def fake(who):
        def get_file(fname=None, origin=None, **kw):
            calls[who].append((fname, origin, kw.get("cache_subdir"), kw.get("file_hash")))
            return str(path)
        return get_file

    monkeypatch.setattr(k_utils.file_utils, "get_file", fake("keras"))
    monkeypatch.setattr(k_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(j_utils, "get_file", fake("jkeras"))
    monkeypatch.setattr(j_utils, "CLASS_INDEX", None)
    preds = RNG.uniform(size=(3, 1000)).astype("float32")
    expected = k_utils.decode_predictions(preds, top=4)
    for decode in (j_utils.decode_predictions, ja.vgg16.decode_predictions, ja.mobilenet_v2.decode_predictions):
        got = decode(jnp.asarray(preds), top=4)
        assert [[r[:2] for r in sample] for sample in got] == [[r[:2] for r in sample] for sample in expected]
        np.testing.assert_allclose([[r[2] for r in s] for s in got], [[r[2] for r in s] for s in expected])
    assert calls["jkeras"] == calls["keras"] and len(calls["jkeras"]) == 1  # downloaded once, then cached
    with pytest.raises(ValueError, match=re.escape("Received array with shape: (3, 10)")):
        ja.resnet.decode_predictions(np.zeros((3, 10)))


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_equals_keras(mode, data_format):
    shape = (2, 5, 4, 3) if data_format == "channels_last" else (2, 3, 5, 4)
    floats = RNG.uniform(0, 255, shape).astype("float32")
    ints = RNG.integers(0, 256, shape[1:]).astype("uint8")
    for x in (floats, floats[0], ints):
        k_x, j_x = x.copy(), x.copy()
        expected = k_utils.preprocess_input(k_x, data_format=data_format, mode=mode)
        got = j_utils.preprocess_input(j_x, data_format=data_format, mode=mode)
        assert isinstance(got, np.ndarray) and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-6)
        np.testing.assert_array_equal(j_x, k_x)  # float input is overwritten as Keras does
    for x in (jnp.asarray(floats), jnp.asarray(floats[1])):  # JAX arrays take Keras's tensor path
        expected = k_utils.preprocess_input(x, data_format=data_format, mode=mode)
        got = j_utils.preprocess_input(x, data_format=data_format, mode=mode)
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_module_preprocess_input_modes_and_errors():
    x = RNG.uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    for module, k_fn in [
        (ja.vgg16, keras.applications.vgg16.preprocess_input),
        (ja.vgg19, keras.applications.vgg19.preprocess_input),
        (ja.resnet, keras.applications.resnet.preprocess_input),
        (ja.resnet50, keras.applications.resnet50.preprocess_input),
        (ja.mobilenet, keras.applications.mobilenet.preprocess_input),
        (ja.mobilenet_v2, keras.applications.mobilenet_v2.preprocess_input),
    ]:
        np.testing.assert_allclose(module.preprocess_input(x.copy()), k_fn(x.copy()), rtol=1e-6)
    # A symbolic input becomes a layer of the model, computing the same.
    inp = jkeras.Input((4, 4, 3))
    model = jkeras.Model(inp, ja.vgg16.preprocess_input(inp))
    np.testing.assert_allclose(model.predict(x, verbose=0), ja.vgg16.preprocess_input(x.copy()), rtol=1e-5)
    for kwargs in (dict(mode="keras"), dict(data_format="channels_middle")):
        with pytest.raises(ValueError) as expected:
            k_utils.preprocess_input(x.copy(), **kwargs)
        with pytest.raises(ValueError, match=re.escape(str(expected.value))):
            j_utils.preprocess_input(x.copy(), **kwargs)


OBTAIN_CASES = [
    dict(input_shape=None, require_flatten=True, weights="imagenet"),
    dict(input_shape=None, require_flatten=False, weights=None),
    dict(input_shape=(224, 224, 3), require_flatten=True, weights="imagenet"),
    dict(input_shape=(150, 150, 3), require_flatten=True, weights="imagenet"),
    dict(input_shape=(150, 150, 3), require_flatten=False, weights="imagenet"),
    dict(input_shape=(150, 150, 1), require_flatten=False, weights="imagenet"),
    dict(input_shape=(150, 150, 1), require_flatten=False, weights=None),
    dict(input_shape=(150, 150, 4), require_flatten=True, weights=None),
    dict(input_shape=(31, 64, 3), require_flatten=False, weights=None),
    dict(input_shape=(64, 31, 3), require_flatten=False, weights=None),
    dict(input_shape=(32, 32, 3), require_flatten=False, weights=None),
    dict(input_shape=(None, None, 3), require_flatten=False, weights=None),
    dict(input_shape=(None, None, 3), require_flatten=True, weights=None),
    dict(input_shape=(64, 64), require_flatten=False, weights=None),
    dict(input_shape=(3, 31, 64), require_flatten=False, weights=None, data_format="channels_first"),
    dict(input_shape=(1, 64, 64), require_flatten=False, weights="imagenet", data_format="channels_first"),
    dict(input_shape=(5, 64, 64), require_flatten=False, weights=None, data_format="channels_first"),
    dict(input_shape=None, require_flatten=True, weights=None, data_format="channels_first"),
    dict(input_shape=None, require_flatten=False, weights=None, data_format="channels_first"),
]


@pytest.mark.parametrize("case", OBTAIN_CASES)
def test_obtain_input_shape_equals_keras(case):
    kwargs = dict(default_size=224, min_size=32, data_format="channels_last")
    kwargs.update(case)

    def run(fn):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fn(**kwargs)
            except ValueError as e:
                result = ("error", str(e))
        return result, [str(w.message) for w in caught]

    assert run(j_utils.obtain_input_shape) == run(k_utils.obtain_input_shape)


ARG_ERRORS = [
    ("VGG16", dict(weights="imagenet", include_top=True, classes=10)),
    ("VGG16", dict(weights="/no/such/file.h5")),
    ("VGG19", dict(weights="imagenet", include_top=True, input_shape=(150, 150, 3))),
    ("VGG16", dict(weights=None, include_top=False, input_shape=(31, 64, 3))),
    ("VGG16", dict(weights=None, include_top=False, input_shape=(64, 64))),
    ("VGG16", dict(weights=None, include_top=True, input_shape=(None, None, 3))),
    ("VGG16", dict(weights=None, include_top=False, input_tensor=np.zeros((1, 32, 32, 3)))),
    ("ResNet50", dict(weights="imagenet", include_top=False, input_shape=(64, 64, 1))),
    ("ResNet101", dict(weights="/no/such/file.h5")),
    ("ResNet152", dict(weights="imagenet", classes=5)),
    ("MobileNet", dict(weights="/no/such/file.h5")),
    ("MobileNet", dict(weights="imagenet", classes=5)),
    ("MobileNet", dict(weights="imagenet", include_top=False, input_shape=(32, 32, 3), depth_multiplier=2)),
    ("MobileNet", dict(weights="imagenet", include_top=False, input_shape=(32, 32, 3), alpha=0.3)),
    ("MobileNetV2", dict(weights="/no/such/file.h5")),
    ("MobileNetV2", dict(weights="imagenet", classes=5)),
    ("MobileNetV2", dict(weights="imagenet", include_top=False, input_shape=(32, 32, 3), alpha=0.2)),
    ("MobileNetV2", dict(weights=None, include_top=False, input_shape=(20, 32, 3))),
]


@pytest.mark.parametrize("kind,kwargs", ARG_ERRORS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(ARG_ERRORS)])
def test_argument_errors_match_keras(kind, kwargs):
    with pytest.raises(ValueError) as expected:
        getattr(keras.applications, kind)(**kwargs)
    with pytest.raises(ValueError) as got:
        getattr(ja, kind)(**kwargs)
    assert str(got.value) == str(expected.value)


def test_input_tensor_and_input_shape_must_agree_in_mobilenet_v2():
    kwargs = dict(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(ValueError) as expected:
        keras.applications.MobileNetV2(input_tensor=keras.Input((64, 48, 3)), **kwargs)
    with pytest.raises(ValueError) as got:
        ja.MobileNetV2(input_tensor=jkeras.Input((64, 48, 3)), **kwargs)
    assert str(got.value) == str(expected.value)


def test_pretrained_weights_allow_only_softmax_or_no_classifier_activation():
    j_utils.validate_activation("relu", None)
    j_utils.validate_activation(None, "imagenet")
    j_utils.validate_activation("softmax", "imagenet")
    j_utils.validate_activation(jkeras.activations.softmax, "/some/file.h5")
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        j_utils.validate_activation("relu", "imagenet")
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        ja.MobileNet(weights="imagenet", alpha=0.25, input_shape=(128, 128, 3), classifier_activation="sigmoid")


def test_transfer_learning_trains_the_head_and_keeps_the_frozen_base():
    base = ja.MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.25)
    base.trainable = False
    assert base.trainable_weights == [] and len(base.non_trainable_weights) == len(base.weights)
    x = jkeras.layers.Flatten()(base.output)
    out = jkeras.layers.Dense(1, activation="sigmoid")(x)
    model = jkeras.Model(base.input, out)
    assert len(model.trainable_weights) == 2
    model.compile(optimizer="adam", loss="binary_crossentropy")
    before = [np.array(w) for w in base.get_weights()]
    head_before = [np.array(w) for w in model.layers[-1].get_weights()]
    images = RNG.uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    # All-positive labels: the head's bias gradient cannot vanish (balanced labels on features the
    # random frozen base may zero out gave a zero gradient: a flaky test).
    history = model.fit(ja.mobilenet.preprocess_input(images), np.ones((8, 1), "float32"),
                        epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for b, a in zip(before, base.get_weights()):  # batch-norm statistics included
        np.testing.assert_array_equal(a, b)
    assert any(not np.allclose(a, b) for a, b in zip(model.layers[-1].get_weights(), head_before))


def test_applications_is_reachable_from_the_package():
    assert jkeras.applications.VGG16 is ja.vgg16.VGG16
    assert ja.resnet50.ResNet50 is ja.resnet.ResNet50 is ja.ResNet50
    for name in ("MobileNet", "MobileNetV2", "ResNet101", "ResNet152", "VGG19"):
        assert callable(getattr(jkeras.applications, name))

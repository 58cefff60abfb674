"""Files are safe (issue 10): loading never executes code from the file (no pickle, no marshalled
bytecode; `Lambda` only with `safe_mode=False` and its function given in code), hostile configs give
clear errors without allocating or executing anything, and `ModelCheckpoint` paths cannot be
redirected by values taken from `logs`."""
import json
import os
import pathlib
import sys
import zipfile

import jax
import numpy as np
import pytest

import jkeras
from jkeras import layers as L

from reliability.catalogue import assert_clear_error

_AUDIT = {"on": False, "events": []}


def _audit(event, args):
    if _AUDIT["on"] and (event.startswith("pickle.") or event.startswith("marshal.")):
        _AUDIT["events"].append(event)


sys.addaudithook(_audit)


def _model():
    jkeras.utils.set_random_seed(0)
    model = jkeras.Sequential([L.Input((4,), name="x"), L.Dense(3, name="d"), L.BatchNormalization(name="bn"),
                               L.Dense(2, name="out")], name="small")
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 4)), np.ones((8, 2)), epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("files")
    model = _model()
    model.save(root / "m.keras")
    model.save(root / "m.h5")
    model.save(root / "m_dir")
    model.save_weights(root / "w.weights.h5")
    model.save_weights(root / "w.h5")
    return root


# ------------------------------------------------------------------------------------------------
# No code from the file


def test_loading_every_format_unpickles_and_unmarshals_nothing(files):
    def load_all():
        for name in ("m.keras", "m.h5", "m_dir"):
            jkeras.models.load_model(files / name)
        for name in ("w.weights.h5", "w.h5", "m.keras"):
            _model().load_weights(files / name)

    load_all()  # imports whatever loading imports lazily
    _AUDIT.update(on=True, events=[])
    try:
        load_all()
    finally:
        _AUDIT["on"] = False
    assert _AUDIT["events"] == []


def test_the_loading_code_has_no_pickle_marshal_or_eval():
    package = pathlib.Path(jkeras.__file__).parent
    for path in list((package / "saving").glob("*.py")) + list((package / "models").glob("*.py")):
        text = path.read_text()
        for word in ("import pickle", "pickle.", "marshal", "eval(", "exec(", "allow_pickle=True", "yaml.load("):
            assert word not in text, f"{path.name} uses {word}"


def _with_lambda(tmp_path, marker):
    """A .keras file whose Lambda layer carries Keras-style marshalled bytecode that would create
    `marker` if it were ever run."""
    import base64
    import marshal

    inputs = jkeras.Input((4,))
    model = jkeras.Model(inputs, L.Lambda(_double, name="evil")(inputs))
    path = tmp_path / "lambda.keras"
    model.save(path)
    code = compile(f"open({str(marker)!r}, 'w').write('ran')", "<evil>", "exec")
    payload = base64.b64encode(marshal.dumps(code)).decode("ascii")
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(entries["config.json"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Lambda":
            layer["config"]["function"] = {"class_name": "__lambda__", "config": {
                "code": payload, "defaults": None, "closure": None}}
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _double(x):
    return 2 * x


def test_lambda_bytecode_never_runs(tmp_path):
    marker = tmp_path / "marker"
    path = _with_lambda(tmp_path, marker)
    assert_clear_error(lambda: jkeras.models.load_model(path), ValueError,
                       "Lambda layer 'evil'", "safe_mode=False", "would run Python code")
    assert_clear_error(lambda: jkeras.models.load_model(path, safe_mode=False), ValueError,
                       "Lambda layer 'evil'", "custom_objects", "never loads the bytecode")
    assert not marker.exists()
    loaded = jkeras.models.load_model(path, safe_mode=False, custom_objects={"evil": _double})
    np.testing.assert_array_equal(loaded.predict(np.ones((2, 4), "float32"), verbose=0), 2 * np.ones((2, 4)))
    assert not marker.exists()


# ------------------------------------------------------------------------------------------------
# Hostile configs


def _config():
    return json.loads(jkeras.Sequential([L.Input((4,), name="x"), L.Dense(3, name="d")], name="s").to_json())


def _edit(fn):
    config = _config()
    fn(config)
    return json.dumps(config)


def _dense(config):
    return next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")["config"]


HOSTILE = [
    ("unknown_layer_class", lambda c: c["config"]["layers"][1].update(class_name="EvilLayer"),
     ValueError, "'EvilLayer'", "custom_objects", "Unknown layer class"),
    ("module_path_as_class", lambda c: c.update(class_name="os.system"),
     ValueError, "'os.system'", "custom_objects", "Unknown layer class"),
    ("module_key_ignored", lambda c: c["config"]["layers"][1].update(module="os", class_name="system"),
     ValueError, "'system'", "custom_objects", "Unknown layer class"),
    ("unknown_activation", lambda c: _dense(c).update(activation="os.system"),
     ValueError, "activation", "Valid names are", "'os.system'"),
    ("unknown_initializer", lambda c: _dense(c).update(kernel_initializer={"class_name": "Evil", "config": {}}),
     ValueError, "initializer", "Valid names are", "'Evil'"),
    ("dunder_argument", lambda c: _dense(c).update(__class__="x"),
     TypeError, "Dense 'd'", "Valid arguments", "'__class__'"),
    ("negative_units", lambda c: _dense(c).update(units=-3),
     ValueError, "Dense 'd'", "positive int", "got -3"),
    ("units_as_text", lambda c: _dense(c).update(units="3"),
     ValueError, "Dense 'd'", "positive int", "'3'"),
    ("terabyte_kernel", lambda c: _dense(c).update(units=10**12),
     ValueError, "Dense 'd'", "more than this machine's memory", ["20.0 TB", "(4, 1000000000000)"]),
    ("terabyte_input", lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 10**7]) or
     _dense(c).update(units=10**6),
     ValueError, "Dense 'd'", "more than this machine's memory", ["40.0 TB", "(None, 10000000)"]),
    ("absurd_dimension", lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 10**18]),
     ValueError, "Dense 'd'", "larger than this machine's memory", "(None, 1000000000000000000)"),
]


@pytest.mark.parametrize("edit, error, place, expected, received",
                         [pytest.param(*case[1:], id=case[0]) for case in HOSTILE])
def test_hostile_config(edit, error, place, expected, received):
    text = _edit(edit)
    arrays_before = len(jax.live_arrays())
    assert_clear_error(lambda: jkeras.models.model_from_json(text), error, place, expected, received)
    assert all(a.size < 10**8 for a in jax.live_arrays())  # nothing large was allocated
    assert len(jax.live_arrays()) <= arrays_before + 8


@pytest.mark.parametrize("depth", [10_000, 200_000])
def test_deeply_nested_config(tmp_path, depth):
    text = "[" * depth + "]" * depth
    assert_clear_error(lambda: jkeras.models.model_from_json(text), ValueError,
                       "model_from_json", "model config", ["nested too deeply", "damaged or hostile"])
    archive = tmp_path / "deep.keras"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("config.json", "{" + '"class_name": "Sequential", "config": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(ValueError, match=r"deep\.keras.*nested too deeply"):
        jkeras.models.load_model(archive)


def test_hostile_config_inside_a_model_file(tmp_path, files):
    path = tmp_path / "huge.keras"
    with zipfile.ZipFile(files / "m.keras") as source, zipfile.ZipFile(path, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "config.json":
                config = json.loads(data)
                _dense(config)["units"] = 10**12
                data = json.dumps(config).encode()
            out.writestr(name, data)
    assert_clear_error(lambda: jkeras.models.load_model(path), ValueError,
                       "Dense 'd'", "more than this machine's memory", "(4, 1000000000000)")


def test_the_memory_guard_counts_every_weight():
    from jkeras.models.build_guard import limit_weight_memory

    text = json.dumps(_config())  # Dense(3) on 4 features: a float32 kernel (4, 3) and bias (3,)
    size = (4 * 3 + 3) * np.dtype("float32").itemsize
    with limit_weight_memory(max_bytes=size - 1):
        assert_clear_error(lambda: jkeras.models.model_from_json(text), ValueError,
                           "Dense 'd'", f"more than this machine's memory ({size - 1:.1f} B)", f"{size:.1f} B")
    with limit_weight_memory(max_bytes=size):
        jkeras.models.model_from_json(text)


def test_the_memory_guard_only_applies_to_loading():
    layer = L.Dense(3, name="fine")
    layer(np.ones((2, 4), "float32"))  # ordinary building is unaffected
    assert layer.built


# ------------------------------------------------------------------------------------------------
# ModelCheckpoint patterns


class _Logs(jkeras.callbacks.Callback):
    """Puts hostile values into the epoch logs before ModelCheckpoint formats its path."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs.update(self.values)


def _fit_with_checkpoint(pattern, values):
    model = jkeras.Sequential([L.Input((2,)), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0,
              callbacks=[_Logs(values), jkeras.callbacks.ModelCheckpoint(pattern, save_weights_only=True)])


def test_checkpoint_paths_cannot_escape_through_logs(tmp_path):
    inside = tmp_path / "inside"
    inside.mkdir()
    before = set(os.listdir(tmp_path))
    # A text value is never offered to the pattern.
    with pytest.raises(KeyError, match=r"name.*numeric logs only"):
        _fit_with_checkpoint(str(inside / "{name}.weights.h5"), {"name": "../escaped"})
    # A number formatted with a separator as fill character.
    with pytest.raises(ValueError, match=r"filled with '/+7\.0'.*without separators"):
        _fit_with_checkpoint(str(inside / "m{loss:/>5}.weights.h5"), {"loss": 7.0})
    # Attribute or index access in a placeholder.
    with pytest.raises(ValueError, match=r"plain names.*\{loss\.__class__\}"):
        _fit_with_checkpoint(str(inside / "m{loss.__class__}.weights.h5"), {"loss": 1.0})
    assert set(os.listdir(tmp_path)) == before and os.listdir(inside) == []
    # Ordinary numeric placeholders keep working.
    _fit_with_checkpoint(str(inside / "m-{epoch:02d}-{loss:.2f}.weights.h5"), {"loss": 0.5})
    assert os.listdir(inside) == ["m-01-0.50.weights.h5"]

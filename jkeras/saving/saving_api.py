"""`save_model` / `load_model`, `save_weights` / `load_weights`, `model_from_json` / `_yaml` / `_config`.

Whole model: `model.save(path)`, read back by `jkeras.models.load_model(path)`
------------------------------------------------------------------------------
The format follows the path's extension:

    model.keras    a zip archive in Keras 3's format (Keras 3's `load_model` reads it), holding
        metadata.json          {"keras_version": "jkeras-<version>", "jkeras_version", "date_saved"}
        config.json            {"module", "class_name": "Sequential" | "Functional" | <registered class>,
                                "config": model.get_config(),          # Keras 3's graph format
                                "registered_name", "build_config": {"input_shape"},
                                "compile_config": {"optimizer": {"module": "keras.optimizers",
                                    "class_name", "config", "registered_name"}, "loss",
                                    "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
                                    "steps_per_execution", "jit_compile"} ({} when not compiled)}
        model.weights.h5       Keras 3's layout (`keras3_h5`): `/layers/dense/vars/0`, ... (every
                               variable, BatchNormalization statistics too), and the optimizer state
                               as Keras's `/optimizer/vars/0..n` (iterations, learning rate, the
                               slots of each trainable weight: `keras3_optimizer`); a state without a
                               Keras layout (optax transformations) goes to `jkeras_optimizer_state`
        assets/<object path>/  files written by the `save_assets(dir)` of layers overriding it
    model.h5       one HDF5 file in Keras 2's layout: root attributes `model_config` (the JSON
                   {"class_name", "config"} above), `training_config` (the compile config, with the
                   optimizer under Keras 2's key `optimizer_config`), `keras_version`, `backend`;
                   group `model_weights` (the `.h5` weights layout below); group
                   `jkeras_optimizer_state` (datasets "0", "1", ... with attributes `paths` and
                   `weight_paths`, the same index as checkpoint/index.json)
    any other path a directory in jkeras's orbax layout (what `.keras` archives held before they
                   became Keras 3 files, and still read):
        metadata.json          {"format": "jkeras", "format_version": 1, "jkeras_version", "date_saved"}
        config.json            as above
        checkpoint/index.json  {"weights": [["params", "dense", "kernel"], ...],   # model.weights order
                                "optimizer": [["0", "mu", "dense", "kernel"], ...]} # optax leaf paths
        checkpoint/state/      orbax-checkpoint (StandardCheckpointer) save of the pytree
                               {"variables": {"params": {...}, "state": {...}},     # model.get_variables()
                                "optimizer": {"0": leaf, "1": leaf, ...}}           # optax state leaves
                               (+ the stores of layers overriding save_own_variables: `layer_hooks`)
        assets/<object path>/  as above

The hooks of Keras 3 are honoured: `compile_config` is `model.get_compile_config()` and loading
calls `model.compile_from_config(config)`; a layer's `get_build_config()` / `build_from_config()`,
`save_own_variables()` / `load_own_variables()` and `save_assets()` / `load_assets()` are called
when its class overrides them (`jkeras.saving.layer_hooks`).

`load_model` rebuilds the model from config.json, compiles it from `compile_config` and restores
every variable (trainable `params` and non-trainable `state`, e.g. BatchNormalization statistics)
and the optimizer state, so `fit` continues exactly as the saved model would have. Weights are
matched by their Keras 3 object path (`.keras`), or by their path in `get_variables()` or their
order in `model.weights` when layer names differ (orbax directories: a subclassed model built
afresh gets new default names). Arrays are stored as NumPy arrays, so a save loads on any device
layout. `load_model` reads Keras 3 `.keras` files (their optimizer state too, where it fits the
optimizer), the `.keras` archives of earlier jkeras versions (config.json + checkpoint/, the
orbax layout above) and Keras 2 `.h5` model files.

Saving is atomic: the file or directory is written beside the target (`.<name>.tmp-<id>`; a
`.keras` archive is staged in a temporary directory, then zipped there) and renamed over it at
the end, so an interrupted save leaves the previous save loadable.
Loading runs no code from the file: no pickle, YAML through `yaml.safe_load`, and a `Lambda` layer
is rebuilt only with `safe_mode=False` and its function given by name in `custom_objects`
(stored bytecode is never loaded).

Weights only: `model.save_weights(path)`, read back by `model.load_weights(path)`
-------------------------------------------------------------------------------
    w.weights.h5   Keras 3's layout (`keras3_h5`): `/layers/dense/vars/0`, ... ; Keras 3 reads it
    w.h5, w.hdf5   Keras 2's layout (`legacy_h5`): root attribute `layer_names`, one group per
                   layer with attribute `weight_names` and one dataset per weight; Keras 2 and
                   Keras 3 read it
    other path     a directory: `index.json` + `state/`, the `checkpoint/` entries above
The `.h5` files also hold the optimizer state in a `jkeras_optimizer_state` group (Keras ignores
it); `load_weights` restores it when the model is compiled with an optimizer it fits.
`load_weights` reads any of these, the weights of a whole-model save, and Keras 3 / Keras 2 files.
"""
import contextlib
import io
import json
import os
import shutil
import stat
import tempfile
import zipfile
import zlib

from jkeras.saving import atomic, keras3_h5, keras3_orbax, layer_hooks, legacy_h5, model_config, orbax_io

_CONFIG = "config.json"
_ASSETS = "assets"
_METADATA = "metadata.json"
_CHECKPOINT = "checkpoint"
_KERAS3_WEIGHTS = "model.weights.h5"
_IGNORED_SAVE_KWARGS = ("signatures", "options", "save_traces", "zipped")
_EXPECTED_MODEL = ("expected a .keras zip archive with config.json, an HDF5 .h5 file with a model_config, "
                   "or a saved-model directory with config.json")
_EXPECTED_WEIGHTS = ("expected an HDF5 .h5 / .weights.h5 file, a .keras zip archive, or a checkpoint directory "
                     "with index.json and state/")
# Low-level errors of a damaged zip member (bad CRC, truncated deflate stream, short read).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError)


@contextlib.contextmanager
def _damaged_zip(path):
    """Turns the low-level errors of reading a damaged zip archive into a ValueError naming the file."""
    try:
        yield
    except (FileNotFoundError, PermissionError):
        raise
    except _ZIP_ERRORS as error:
        raise ValueError(f"{path!r} is a damaged zip archive ({type(error).__name__}: {error}); it cannot be "
                         "read as a jkeras/Keras model file") from error


def _open_h5(path, what="file"):
    """Opens an HDF5 file (path or file object) for reading; a damaged file raises ValueError."""
    h5py = _h5py()
    try:
        return h5py.File(path, "r")
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        name = path if isinstance(path, str) else what
        raise ValueError(f"{name!r} is not a readable HDF5 file; it may be truncated or damaged "
                         f"({type(error).__name__}: {error})") from error


def _parse_config(text, source):
    """`json.loads(text)` for config.json; invalid JSON raises ValueError naming `source`."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        config = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{source}: {_CONFIG} is not valid JSON ({error}); the model file is damaged") from error
    except RecursionError:
        raise ValueError(f"{source}: {_CONFIG} is nested too deeply to be a model config (beyond Python's "
                         "recursion limit); the file is damaged or hostile") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{source}: {_CONFIG} is not a model config (expected a JSON object with "
                         "\"class_name\" and \"config\")")
    return config


def _h5py():
    try:
        import h5py
    except ImportError as error:  # pragma: no cover - h5py is a dependency
        raise ImportError("Saving and loading HDF5 files needs h5py: pip install h5py") from error
    return h5py


def _model_format(path, save_format):
    if save_format is not None:
        formats = {"keras": "keras", "h5": "h5", "hdf5": "h5", "tf": "dir", "dir": "dir", "orbax": "dir"}
        if save_format not in formats:
            raise ValueError(f"Unknown save_format={save_format!r}; use one of {sorted(formats)}")
        return formats[save_format]
    if path.endswith(".keras"):
        return "keras"
    if path.endswith((".h5", ".hdf5")):
        return "h5"
    return "dir"


def _check_overwrite(path, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} already exists; pass overwrite=True to replace it")


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
    """Saves architecture, compile configuration, weights and optimizer state (see module docstring).

    Args:
        model: the model.
        filepath: `.keras` (zip), `.h5` (HDF5) or any other path (a directory).
        overwrite: replace an existing save (False raises FileExistsError).
        include_optimizer: also save the optimizer state (to resume training exactly).
        save_format: "keras", "h5" or "dir"/"tf" to override the choice by extension.

    Raises:
        FileExistsError: if the target exists and `overwrite` is False.
    """
    unknown = [k for k in kwargs if k not in _IGNORED_SAVE_KWARGS]
    if unknown:
        raise TypeError(f"save: unexpected keyword argument(s) {unknown}")
    path = os.fspath(filepath)
    _check_overwrite(path, overwrite)
    fmt = _model_format(path, save_format)
    if fmt == "h5":
        with atomic.atomic_path(path) as tmp, _h5py().File(tmp, "w") as h5:
            legacy_h5.save_model(model, h5, include_optimizer=include_optimizer)
    elif fmt == "keras":
        with tempfile.TemporaryDirectory() as staging:
            _write_keras_dir(model, staging, include_optimizer)
            with atomic.atomic_path(path) as tmp:
                _zip_directory(staging, tmp)
    else:
        with atomic.atomic_path(path, is_dir=True) as tmp:
            _write_model_dir(model, tmp, include_optimizer)


def _keras_config(model):
    """config.json of a `.keras` archive, with the entries Keras 3 writes beside the model config."""
    config = model_config.model_to_config(model)
    if "build_config" not in config:  # Keras 3: a Sequential's input shape, None for a functional model
        build = model_config.get_build_config(model)
        if build is None:
            functional = config["class_name"] == "Functional"
            build = {"input_shape": None if functional else model_config._built_input_shape(model)}
        config["build_config"] = json.loads(model_config.dumps(build))
    config["compile_config"] = model_config.get_compile_config(model) or {}
    return config


def _write_keras_dir(model, directory, include_optimizer):
    """Writes the entries of a Keras 3 `.keras` archive into `directory`."""
    with open(os.path.join(directory, _METADATA), "w") as f:
        json.dump(model_config.keras_metadata(), f)
    with open(os.path.join(directory, _CONFIG), "w") as f:
        f.write(model_config.dumps(_keras_config(model)))
    with _h5py().File(os.path.join(directory, _KERAS3_WEIGHTS), "w") as h5:
        keras3_h5.save_weights(model, h5)
        if include_optimizer:
            keras3_h5.save_optimizer(model, h5)
    layer_hooks.save_assets(model, os.path.join(directory, _ASSETS))


def _write_model_dir(model, directory, include_optimizer):
    """Writes a saved-model directory in jkeras's orbax layout (also the contents of the `.keras`
    archives of earlier jkeras versions)."""
    config = model_config.model_to_config(model)
    config["compile_config"] = model_config.get_compile_config(model)
    with open(os.path.join(directory, _METADATA), "w") as f:
        json.dump(model_config.metadata(), f)
    with open(os.path.join(directory, _CONFIG), "w") as f:
        f.write(model_config.dumps(config))
    orbax_io.save_checkpoint(model, os.path.join(directory, _CHECKPOINT), include_optimizer=include_optimizer)
    layer_hooks.save_assets(model, os.path.join(directory, _ASSETS))


def _zip_directory(directory, zip_path):
    with zipfile.ZipFile(zip_path, "w") as archive:
        for root, _, files in os.walk(directory):
            for name in sorted(files):
                full = os.path.join(root, name)
                arcname = os.path.relpath(full, directory).replace(os.sep, "/")
                compression = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
                archive.write(full, arcname, compress_type=compression)


def _safe_extract(archive, prefix, target):
    """Extracts the members under `prefix` into `target`, refusing unsafe paths, links and bombs."""
    for member in archive.infolist():
        name = member.filename
        if not name.startswith(prefix):
            continue
        parts = name.split("/")
        if name.startswith("/") or ".." in parts or ":" in parts[0] or "\\" in name:
            raise ValueError(f"Refusing to extract {name!r} from the archive: unsafe path")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ValueError(f"Refusing to extract {name!r} from the archive: it is a symbolic link")
        if member.file_size > (1 << 20) and member.file_size > 1000 * max(member.compress_size, 1):
            raise ValueError(f"Refusing to extract {name!r} from the archive: suspicious compression ratio")
        archive.extract(member, target)


# ------------------------------------------------------------------------------------------------
# Loading models


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by `model.save` (or by Keras 3 `.keras` / Keras 2 `.h5`).

    Args:
        filepath: the saved file or directory.
        custom_objects: dict of custom classes and functions by name.
        compile: compile the model with its saved compile configuration and restore the optimizer
            state, so that `fit` resumes where it stopped.
        safe_mode: False allows `Lambda` layers whose functions are given in `custom_objects`.

    Returns:
        The model.

    Raises:
        FileNotFoundError: if nothing is at `filepath`.
        ValueError: for an unknown format, an unknown class, or a `Lambda` layer in safe mode.
    """
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at {path!r}")
    options = dict(custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, _CONFIG)) and keras3_orbax.is_checkpoint(path):
            return keras3_orbax.load_model(
                path, lambda text: _build(text, custom_objects, compile, safe_mode, source=repr(path)))
        return _load_model_dir(path, **options)
    if zipfile.is_zipfile(path):
        with _damaged_zip(path), zipfile.ZipFile(path) as archive:
            return _load_model_zip(archive, path, **options)
    h5py = _h5py()
    if h5py.is_hdf5(path):
        with _open_h5(path) as h5:
            return legacy_h5.load_model(h5, **options)
    hint = " (a .keras file that is not a zip archive was probably truncated)" if path.endswith(".keras") else ""
    raise ValueError(f"{path!r} is not a jkeras/Keras model file{hint}: it is neither a .keras archive, an HDF5 "
                     f"file nor a saved-model directory ({_EXPECTED_MODEL})")


def _build(config_text, custom_objects, compile, safe_mode, source="the model file"):
    config = _parse_config(config_text, source)
    model = model_config.model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
    compiled = False
    if compile and config.get("compile_config"):
        compiled = model_config.compile_model(model, config["compile_config"], custom_objects)
    return model, compiled


def _load_model_dir(path, custom_objects, compile, safe_mode, source=None):
    config_path = os.path.join(path, _CONFIG)
    if not os.path.isfile(config_path):
        if os.path.isfile(os.path.join(path, "saved_model.pb")):
            raise ValueError(f"{path!r} is a TensorFlow SavedModel, which jkeras cannot load")
        raise ValueError(f"{path!r} is not a jkeras/Keras model directory: it has no {_CONFIG} ({_EXPECTED_MODEL})")
    with open(config_path, "rb") as f:
        model, compiled = _build(f.read(), custom_objects, compile, safe_mode, source=source or repr(path))
    checkpoint = os.path.join(path, _CHECKPOINT)
    if orbax_io.is_checkpoint(checkpoint):
        tree, index = orbax_io.read_checkpoint(checkpoint)
        orbax_io.apply_checkpoint(model, tree, index, optimizer=compiled)
    elif os.path.isfile(os.path.join(path, _KERAS3_WEIGHTS)):
        with _open_h5(os.path.join(path, _KERAS3_WEIGHTS)) as h5:
            _load_keras3_weights(model, h5, compiled, source or repr(path))
    else:
        raise ValueError(f"{source or repr(path)} holds no weights ({_CHECKPOINT}/index.json and "
                         f"{_CHECKPOINT}/state/, or {_KERAS3_WEIGHTS}); it may be incomplete")
    layer_hooks.load_assets(model, os.path.join(path, _ASSETS))
    return model


def _load_keras3_weights(model, h5, compiled, source):
    """The weights of a `model.weights.h5`, and its optimizer state into a compiled model."""
    keras3_h5.load_weights(model, h5)
    if compiled:
        keras3_h5.load_optimizer(model, h5, source=source)


def _load_model_zip(archive, path, custom_objects, compile, safe_mode):
    names = archive.namelist()
    if _CONFIG not in names:
        raise ValueError(f"{path!r} is a zip archive without {_CONFIG}, so it is not a jkeras/Keras model "
                         f"file ({_EXPECTED_MODEL})")
    config_text = archive.read(_CONFIG)
    _parse_config(config_text, repr(path))  # report a damaged config before anything else
    if any(name.startswith(_CHECKPOINT + "/") for name in names):
        with tempfile.TemporaryDirectory() as staging:
            _safe_extract(archive, _CHECKPOINT + "/", staging)
            _safe_extract(archive, _CONFIG, staging)
            _safe_extract(archive, _ASSETS + "/", staging)
            return _load_model_dir(staging, custom_objects, compile, safe_mode, source=repr(path))
    if _KERAS3_WEIGHTS not in names:
        raise ValueError(f"{path!r} holds no weights ({_CHECKPOINT}/ or {_KERAS3_WEIGHTS}); it may be incomplete")
    model, compiled = _build(config_text, custom_objects, compile, safe_mode, source=repr(path))
    with _open_h5(io.BytesIO(archive.read(_KERAS3_WEIGHTS)), what=f"{path}/{_KERAS3_WEIGHTS}") as h5:
        _load_keras3_weights(model, h5, compiled, repr(path))
    if layer_hooks.hooked_layers(model, ("load_assets",)):
        with tempfile.TemporaryDirectory() as staging:
            _safe_extract(archive, _ASSETS + "/", staging)
            layer_hooks.load_assets(model, os.path.join(staging, _ASSETS))
    return model


# ------------------------------------------------------------------------------------------------
# Weights only


def _check_built(model, action):
    if not model.built:
        raise ValueError(
            f"You are {action} model '{model.name}', which is not built yet and has no weights. Build it "
            "first: give its first layer an input shape, call model.build(input_shape), or call it on data."
        )


def save_weights(model, filepath, overwrite=True, save_format=None):
    """Saves the weights (and optimizer state) in the format the path names (see module docstring).

    Raises:
        FileExistsError: if the target exists and `overwrite` is False.
        ValueError: for a `.keras` path (use `model.save`).
    """
    path = os.fspath(filepath)
    _check_built(model, "saving the weights of")
    _check_overwrite(path, overwrite)
    if path.endswith(".keras"):
        raise ValueError(f"save_weights({path!r}): a .keras file holds a whole model; use model.save(path), "
                         "or a .weights.h5 path for the weights")
    if save_format in ("h5", "hdf5") and not path.endswith((".h5", ".hdf5")):
        path_kind = "legacy"
    elif path.endswith(".weights.h5"):
        path_kind = "keras3"
    elif path.endswith((".h5", ".hdf5")):
        path_kind = "legacy"
    else:
        path_kind = "dir"
    if path_kind == "dir":
        with atomic.atomic_path(path, is_dir=True) as tmp:
            orbax_io.save_checkpoint(model, tmp)
        return
    with atomic.atomic_path(path) as tmp, _h5py().File(tmp, "w") as h5:
        if path_kind == "keras3":
            keras3_h5.save_weights(model, h5)
        else:
            legacy_h5.save_weights_to_group(h5, model)
        legacy_h5.write_optimizer_group(h5, model)


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Loads weights saved by `save_weights` or `save` (jkeras, Keras 3 or Keras 2 files).

    With a compiled model, a saved optimizer state that fits is restored too (not with `by_name`).

    Raises:
        FileNotFoundError: if nothing is at `filepath`.
        ValueError: when the weights do not fit the model (see the format modules).
    """
    path = os.fspath(filepath)
    _check_built(model, "loading weights into")
    if not os.path.exists(path):
        if os.path.exists(path + ".index"):
            raise ValueError(f"{path!r} is a TensorFlow checkpoint, which jkeras cannot read")
        raise FileNotFoundError(f"No file or directory found at {path!r}")
    if os.path.isdir(path):
        for directory in (path, os.path.join(path, _CHECKPOINT)):
            if orbax_io.is_checkpoint(directory):
                orbax_io.load_checkpoint(model, directory, skip_mismatch=skip_mismatch, by_name=by_name)
                return
        if keras3_orbax.is_checkpoint(path):
            keras3_orbax.load_weights(model, path)
            return
        if os.path.isfile(os.path.join(path, _KERAS3_WEIGHTS)):
            path = os.path.join(path, _KERAS3_WEIGHTS)
        else:
            raise ValueError(f"{path!r} is a directory without a jkeras checkpoint or Keras weights "
                             f"({_EXPECTED_WEIGHTS})")
    if zipfile.is_zipfile(path):
        with _damaged_zip(path), zipfile.ZipFile(path) as archive:
            _load_weights_zip(model, archive, path, by_name, skip_mismatch)
        return
    h5py = _h5py()
    if not h5py.is_hdf5(path):
        raise ValueError(f"Cannot read weights from {path!r}: it is not a weights file ({_EXPECTED_WEIGHTS}); "
                         "it may be truncated or of another kind")
    with _open_h5(path) as h5:
        _load_weights_h5(model, h5, by_name, skip_mismatch)


def _load_weights_h5(model, h5, by_name, skip_mismatch):
    if "layer_names" in h5.attrs:
        legacy_h5.load_weights_from_group(h5, model, by_name=by_name, skip_mismatch=skip_mismatch)
    elif "model_weights" in h5:
        legacy_h5.load_weights_from_group(h5["model_weights"], model, by_name=by_name, skip_mismatch=skip_mismatch)
    else:
        keras3_h5.load_weights(model, h5, skip_mismatch=skip_mismatch, by_name=by_name)
    if not by_name:
        keras3_h5.load_optimizer(model, h5)


def _load_weights_zip(model, archive, path, by_name, skip_mismatch):
    names = archive.namelist()
    if any(name.startswith(_CHECKPOINT + "/") for name in names):
        with tempfile.TemporaryDirectory() as staging:
            _safe_extract(archive, _CHECKPOINT + "/", staging)
            orbax_io.load_checkpoint(model, os.path.join(staging, _CHECKPOINT), skip_mismatch=skip_mismatch,
                                     by_name=by_name)
        return
    if _KERAS3_WEIGHTS not in names:
        raise ValueError(f"{path!r} is a zip archive without weights ({_CHECKPOINT}/ or {_KERAS3_WEIGHTS})")
    with _open_h5(io.BytesIO(archive.read(_KERAS3_WEIGHTS)), what=f"{path}/{_KERAS3_WEIGHTS}") as h5:
        keras3_h5.load_weights(model, h5, skip_mismatch=skip_mismatch, by_name=by_name)
        if not by_name:
            keras3_h5.load_optimizer(model, h5, source=repr(path))


# ------------------------------------------------------------------------------------------------
# Architecture only


def model_to_json_config(model):
    """What `to_json` / `to_yaml` write: the model config plus `keras_version` and `backend`."""
    config = model_config.model_to_config(model)
    config["keras_version"] = f"jkeras-{model_config.jkeras_version()}"
    config["backend"] = "jax"
    return config


def model_from_config(config, custom_objects=None, safe_mode=True):
    """Builds a model from `{"class_name": ..., "config": ...}` (fresh weights)."""
    return model_config.model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """Builds a model (fresh weights) from `model.to_json()` output (or Keras 2 / 3 JSON)."""
    config = _parse_config(json_string, "model_from_json")
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_yaml(yaml_string, custom_objects=None, safe_mode=True):
    """Builds a model (fresh weights) from `model.to_yaml()` output; the YAML is read with
    `yaml.safe_load`, which builds no Python objects.

    Raises:
        ImportError: if PyYAML is not installed.
    """
    try:
        import yaml
    except ImportError as error:
        raise ImportError("model_from_yaml needs PyYAML: pip install pyyaml") from error
    return model_from_config(yaml.safe_load(yaml_string), custom_objects=custom_objects, safe_mode=safe_mode)


def remove_path(path):
    """Deletes a saved file or directory (used by checkpoint callbacks)."""
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)

"""Model and compile configurations as JSON: writing them, and rebuilding models from them safely.

A model's config is Keras 3's `{"class_name": ..., "config": ...}` (plus `build_config` for a model
of a custom class); the compile config uses Keras 3's keys (`optimizer`, `loss`, `metrics`,
`loss_weights`, `weighted_metrics`, `run_eagerly`, `steps_per_execution`). Configs written by
Keras 2 (`training_config` with `optimizer_config`) and Keras 3 are read too.

Rebuilding never runs code a file carries. Names of custom classes and functions are looked up
in the open `CustomObjectScope`s, the registered objects and `custom_objects`
(`jkeras.utils.object_registry`). A `Lambda` layer is refused unless `safe_mode=False`, and even
then its function must be given by name in `custom_objects`: stored bytecode is never loaded.
"""
import datetime
import inspect
import json
import warnings

import numpy as np

from jkeras.models import build_guard
from jkeras.utils import object_registry

# Config keys that hold graph structure, not objects to resolve.
_STRUCTURE_KEYS = ("name", "inbound_nodes", "input_layers", "output_layers")
_BUILTIN_MODELS = ("Sequential", "Functional", "Model")


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8")
    if callable(obj) and hasattr(obj, "__name__"):
        return object_registry.get_registered_name(obj)
    raise TypeError(f"Cannot write {obj!r} (of type {type(obj).__name__}) into a JSON config")


def dumps(obj, **kwargs):
    """`json.dumps` that also writes NumPy values, sets and named functions (by name)."""
    return json.dumps(obj, default=_json_default, **kwargs)


def jkeras_version():
    from jkeras import __version__

    return __version__


def keras_metadata():
    """The `metadata.json` of a `.keras` archive: Keras 3's keys (`keras_version` names the writer,
    as the `keras_version` of jkeras's `.h5` files does) and `jkeras_version`."""
    return {
        "keras_version": f"jkeras-{jkeras_version()}",
        "jkeras_version": jkeras_version(),
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }


def metadata():
    """The `metadata.json` of a saved-model directory (jkeras's orbax layout)."""
    return {
        "format": "jkeras",
        "format_version": 1,
        "jkeras_version": jkeras_version(),
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }


# ------------------------------------------------------------------------------------------------
# Model config


def model_to_config(model):
    """`{"class_name", "config"[, "registered_name", "build_config"]}` of a model (JSON-friendly).

    Raises:
        NotImplementedError: from `get_config` of a custom class that does not define it.
    """
    from jkeras.utils.serialization import serialize_layer

    entry = serialize_layer(model)
    entry = json.loads(dumps(entry))
    registered = object_registry.get_registered_name(type(model))
    if ">" in registered:  # registered as "Package>Name"
        entry["registered_name"] = registered
    if entry["class_name"] not in _BUILTIN_MODELS:
        from jkeras.saving import layer_hooks

        if layer_hooks.overrides(model, "get_build_config"):
            build = get_build_config(model)
            entry["build_config"] = json.loads(dumps(build)) if build is not None else None
        else:
            shape = _built_input_shape(model)
            if shape is not None:
                entry["build_config"] = {"input_shape": json.loads(dumps(shape))}
        if entry.get("build_config") is None:
            entry.pop("build_config", None)
    return entry


def _built_input_shape(model):
    shape = getattr(model, "_build_input_shape", None)
    if shape is None:
        try:
            shape = model.input_shape
        except (AttributeError, ValueError):
            return None
    return shape


def _as_shape(value):
    """A JSON shape (list) back to a tuple, or a list of them for several inputs."""
    if isinstance(value, (list, tuple)) and all(d is None or isinstance(d, int) for d in value):
        return tuple(value)
    if isinstance(value, (list, tuple)):
        return [_as_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_shape(v) for k, v in value.items()}
    return value


def model_from_config(config, custom_objects=None, safe_mode=True):
    """Builds a model (or layer) from `{"class_name": ..., "config": ...}`.

    Args:
        config: the dict `model_to_config` (or Keras 2 / 3) wrote.
        custom_objects: dict of custom classes and functions by name.
        safe_mode: False allows `Lambda` layers whose function is given in `custom_objects`.

    Returns:
        The model, built.

    Raises:
        ValueError: for an unknown class name, or a `Lambda` layer in safe mode.
    """
    from jkeras.utils.serialization import deserialize_layer

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "model_from_config expects a dict {'class_name': ..., 'config': ...} as `model.to_json()` "
            f"writes; got {type(config).__name__}"
        )
    from jkeras.saving import layer_hooks

    objects = object_registry.merged_custom_objects(custom_objects)
    try:
        # As Keras 3, the custom objects are in scope while configs are read, so that the
        # `from_config` / `build_from_config` of custom classes find them by name (the merged
        # dict keeps the lookup order of `merged_custom_objects`).
        with build_guard.limit_weight_memory(), object_registry.CustomObjectScope(objects):
            resolved = _resolve_value(config, objects)
            loaders = dict(objects)
            loaders.setdefault("Lambda", _LambdaLoader(objects, safe_mode))
            for name in ("TFOpLambda", "SlicingOpLambda"):
                loaders.setdefault(name, _UnsupportedLoader(name))
            model = deserialize_layer(resolved, custom_objects=loaders)
            build_config = config.get("build_config") or {}
            if model.built or not build_config:
                pass
            elif layer_hooks.overrides(model, "build_from_config"):
                model.build_from_config(build_config)
            elif build_config.get("input_shape") is not None:
                model.build(_as_shape(build_config["input_shape"]))
    except RecursionError:
        raise ValueError(
            "model_from_config: the config is nested too deeply to be a model config (expected layers "
            "nested a few levels, got nesting beyond Python's recursion limit); the file is damaged or hostile"
        ) from None
    return model


def _lookup(entry, objects):
    """The custom object a `{"class_name", "registered_name"}` entry names, or None."""
    registered = entry.get("registered_name")
    if isinstance(registered, str) and registered in objects:
        return objects[registered]
    name = entry.get("class_name")
    return objects.get(name) if isinstance(name, str) else None


def _is_layer_class(obj):
    from jkeras.models.layer import Layer

    return inspect.isclass(obj) and issubclass(obj, Layer)


def _resolve_value(value, objects):
    """`value` with every name of a custom function, and every config of a custom non-layer class,
    replaced by the object (layer configs are kept as configs, resolved inside)."""
    if isinstance(value, list):
        return [_resolve_value(v, objects) for v in value]
    if isinstance(value, str):
        obj = objects.get(value)
        return obj if callable(obj) and not inspect.isclass(obj) else value
    if not isinstance(value, dict):
        return value
    if "class_name" not in value:
        return {k: v if k in _STRUCTURE_KEYS else _resolve_value(v, objects) for k, v in value.items()}
    inner = value.get("config")
    if value["class_name"] == "function" or isinstance(inner, str):
        obj = _lookup(value, objects) or (objects.get(inner) if isinstance(inner, str) else None)
        return obj if callable(obj) else value
    obj = _lookup(value, objects)
    if obj is not None and not _is_layer_class(obj) and value["class_name"] != "__keras_tensor__":
        inner = _resolve_value(inner or {}, objects)
        return obj.from_config(inner) if hasattr(obj, "from_config") else obj(**inner)
    entry = dict(value)
    registered = value.get("registered_name")
    if obj is not None and isinstance(registered, str) and registered in objects:
        entry["class_name"] = registered  # the key `deserialize_layer` finds the class under
    if isinstance(inner, dict):
        entry["config"] = {k: v if k in _STRUCTURE_KEYS else _resolve_value(v, objects)
                           for k, v in inner.items()}
    return entry


_unsafe = {"enabled": False}


def set_unsafe_deserialization(enabled):
    """Whether every load runs as with `safe_mode=False` (`jkeras.config.enable_unsafe_deserialization`)."""
    _unsafe["enabled"] = bool(enabled)


class _LambdaLoader:
    """Rebuilds `Lambda` layers from configs, only outside safe mode and only from known functions."""

    def __init__(self, objects, safe_mode):
        self.objects = objects
        self.safe_mode = safe_mode and not _unsafe["enabled"]

    def from_config(self, config):
        from jkeras.layers import Lambda
        from jkeras.utils.serialization import standardize_layer_config

        name = config.get("name", "lambda")
        spec = config.get("function")
        if self.safe_mode:
            raise ValueError(
                f"Loading the Lambda layer '{name}' would run Python code, which jkeras refuses in safe "
                "mode. If you trust this file, pass safe_mode=False and give the function in "
                f"custom_objects, e.g. custom_objects={{{_function_name(spec, name)!r}: fn}}."
            )
        function = spec if callable(spec) else self.objects.get(_function_name(spec, name))
        if not callable(function):
            raise ValueError(
                f"Lambda layer '{name}': its function {_function_name(spec, name)!r} is not in "
                "custom_objects. jkeras never loads the bytecode a file may carry; pass "
                f"custom_objects={{{_function_name(spec, name)!r}: fn}} with safe_mode=False."
            )
        base = standardize_layer_config({k: v for k, v in config.items() if k in ("name", "trainable", "dtype")})
        output_shape = config.get("output_shape")
        if not (callable(output_shape) or _is_int_list(output_shape)):
            output_shape = None
        mask = config.get("mask")
        return Lambda(
            function,
            output_shape=tuple(output_shape) if _is_int_list(output_shape) else output_shape,
            mask=mask if callable(mask) else None,
            arguments=config.get("arguments") or {},
            **base,
        )


class _UnsupportedLoader:
    def __init__(self, class_name):
        self.class_name = class_name

    def from_config(self, config):
        raise ValueError(
            f"Layer '{config.get('name')}' is a {self.class_name}, a TensorFlow op recorded by tf.keras; "
            "jkeras cannot load it. Rebuild that part of the model with jkeras layers."
        )


def _is_int_list(value):
    return isinstance(value, (list, tuple)) and all(d is None or isinstance(d, int) for d in value)


def _function_name(spec, layer_name):
    """The name to look a Lambda's function up by: its own name, else the layer's (for lambdas)."""
    if isinstance(spec, str) and spec != "<lambda>":
        return spec
    if isinstance(spec, dict):
        inner = spec.get("config")
        if isinstance(inner, str) and inner != "<lambda>":
            return inner
    return layer_name


# ------------------------------------------------------------------------------------------------
# Compile config


def get_build_config(model):
    """`model.get_build_config()` with its values serialized as Keras 3 does, or None."""
    from jkeras.utils.serialization import get_build_config as serialized_build_config

    return serialized_build_config(model)


def get_compile_config(model):
    """What a save writes as `compile_config`: `model.get_compile_config()` (Keras 3's hook; by
    default `compile_to_config(model)`) with its values serialized as Keras 3 does (a Keras object
    becomes its `serialize_keras_object` dict, a function its registered name), JSON-friendly;
    None when it is empty (the model is not compiled)."""
    from jkeras.utils.serialization import serialize_dict

    hook = getattr(model, "get_compile_config", None)
    config = hook() if hook is not None else compile_to_config(model)
    if not config:
        return None
    if not isinstance(config, dict):
        raise TypeError(f"get_compile_config() of model '{model.name}' must return a dict or None, "
                        f"got {type(config).__name__}")
    return json.loads(dumps(serialize_dict(config)))


def compile_model(model, config, custom_objects=None):
    """Compiles a loaded model from its saved `compile_config` through `model.compile_from_config`
    (Keras 3's hook; by default `compile_from_config` below), the custom objects in scope.

    Returns:
        Whether the model is now compiled with an optimizer (so its saved state can be restored).
    """
    hook = getattr(model, "compile_from_config", None)
    with object_registry.CustomObjectScope(object_registry.merged_custom_objects(custom_objects)):
        if hook is None:
            return compile_from_config(model, config, custom_objects)
        hook(config)
    return bool(getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None)


def compile_to_config(model):
    """The compile arguments of `model` as Keras 3 writes them (`Trainer.get_compile_config()`), JSON-
    friendly, or None when it is not compiled.

    The optimizer, loss and metric objects become their `serialize_keras_object` entries
    (`{"module": "keras.optimizers", "class_name": "Adam", "config": {...}, "registered_name": None}`),
    functions Keras's `{"module": "builtins", "class_name": "function", "config": <registered name>,
    "registered_name": "function"}`, names stay names; an optax transformation is written as
    `{"class_name": "OptaxOptimizer", ...}`, which only tells the loader that it cannot rebuild it.
    """
    from jkeras import optimizers
    from jkeras.utils.serialization import serialize_keras_object

    if not getattr(model, "compiled", False) or model.optimizer is None:
        return None
    args = getattr(model, "_compile_args", None) or {}
    if isinstance(model.optimizer, optimizers.OptaxOptimizer):
        optimizer = {"class_name": "OptaxOptimizer", "config": model.optimizer.get_config()}
    else:
        optimizer = serialize_keras_object(model.optimizer)
    run_eagerly = bool(getattr(model, "run_eagerly", False))
    config = {
        "optimizer": optimizer,
        "loss": _serialize_compile_value(args.get("loss")),
        "loss_weights": args.get("loss_weights"),
        "metrics": _serialize_compile_value(args.get("metrics")),
        "weighted_metrics": _serialize_compile_value(args.get("weighted_metrics")),
        "run_eagerly": run_eagerly,
        "steps_per_execution": int(getattr(model, "steps_per_execution", 1)),
        "jit_compile": not run_eagerly,
    }
    return json.loads(dumps(config))


def _serialize_compile_value(value):
    """A loss / metric argument of `compile` as Keras 3's `serialize_keras_object` writes it."""
    from jkeras.utils.serialization import serialize_keras_object

    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_compile_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_compile_value(v) for k, v in value.items()}
    if inspect.isfunction(value) or (callable(value) and not hasattr(value, "get_config")
                                     and hasattr(value, "__name__")):
        return {"module": "builtins", "class_name": "function",
                "config": object_registry.get_registered_name(value), "registered_name": "function"}
    return serialize_keras_object(value)


def compile_from_config(model, config, custom_objects=None):
    """Compiles `model` from `compile_to_config` output, or a Keras 2 `training_config`.

    Returns:
        True when compiled; False (after a warning) when the optimizer cannot be rebuilt.

    Raises:
        ValueError: for a loss or metric name that is neither built in nor a custom object.
    """
    from jkeras import losses, metrics, optimizers

    objects = object_registry.merged_custom_objects(custom_objects)
    optimizer_config = config.get("optimizer", config.get("optimizer_config"))
    if isinstance(optimizer_config, dict) and optimizer_config.get("class_name") == "OptaxOptimizer":
        warnings.warn(
            "This model was compiled with an optax GradientTransformation, which cannot be rebuilt from a "
            "file; it is returned uncompiled. Call model.compile(...) with the same transformation.",
            stacklevel=3,
        )
        return False
    if isinstance(optimizer_config, str):
        optimizer = optimizers.get(optimizer_config)
    else:
        optimizer = optimizers.deserialize(optimizer_config, custom_objects=objects)
    single_output = len(getattr(model, "outputs", None) or [None]) == 1
    try:
        model.compile(
            optimizer=optimizer,
            loss=_deserialize_structure(config.get("loss"), losses.deserialize, objects),
            metrics=_metric_structure(config.get("metrics"), metrics.deserialize, objects, single_output),
            loss_weights=config.get("loss_weights"),
            weighted_metrics=_metric_structure(config.get("weighted_metrics"), metrics.deserialize, objects,
                                               single_output),
            run_eagerly=bool(config.get("run_eagerly") or False),
            steps_per_execution=int(config.get("steps_per_execution") or 1),
        )
    except ValueError as error:
        raise ValueError(
            f"Could not compile the loaded model: {error} If the model used custom losses or metrics, pass "
            "them in `custom_objects` (or register them), or load with compile=False."
        ) from error
    return True


def _metric_structure(value, deserialize, objects, single_output):
    """Metrics; Keras 2 wrote a single output's metrics as a list of one list."""
    if single_output and isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    return _deserialize_structure(value, deserialize, objects)


def _deserialize_structure(value, deserialize, objects):
    if value is None:
        return None
    if isinstance(value, str):
        obj = objects.get(value)
        return obj if obj is not None else value
    if isinstance(value, (list, tuple)):
        return [_deserialize_structure(v, deserialize, objects) for v in value]
    if isinstance(value, dict) and "class_name" in value:
        return deserialize(value, custom_objects=objects)
    if isinstance(value, dict):
        return {k: _deserialize_structure(v, deserialize, objects) for k, v in value.items()}
    return value

"""Layer configs as Keras writes them: `{"class_name": ..., "config": {...}}`."""
import inspect


# jkeras namespaces and the Keras 3 module that exports the same public classes.
_PUBLIC_MODULES = (("layers", "keras.layers"), ("models", "keras"), ("optimizers", "keras.optimizers"),
                   ("optimizers.schedules", "keras.optimizers.schedules"), ("losses", "keras.losses"),
                   ("metrics", "keras.metrics"), ("initializers", "keras.initializers"),
                   ("regularizers", "keras.regularizers"), ("constraints", "keras.constraints"),
                   ("dtype_policies", "keras"))


def _public_module(cls):
    """The Keras module of the public class `cls` of jkeras ("keras.layers", ...), else None."""
    import importlib

    if not cls.__module__.startswith("jkeras."):
        return None
    for namespace, keras_module in _PUBLIC_MODULES:
        try:
            found = getattr(importlib.import_module("jkeras." + namespace), cls.__name__, None)
        except ImportError:
            continue
        if found is cls:
            return keras_module
    return None


def _class_entry(cls, config):
    """`{"module", "class_name", "config", "registered_name"}` as Keras 3 writes it for `cls`: a public
    class gives its Keras module and no registered name; any other class its own module (None for
    `__main__`) and its registered name ("Package>Name", else the class name)."""
    from jkeras.models.functional import Model
    from jkeras.utils.object_registry import get_registered_name

    if cls is Model:  # Keras 3 writes the functional model's private class
        return {"module": "keras.src.models.functional", "class_name": "Functional", "config": config,
                "registered_name": "Functional"}
    registered = get_registered_name(cls)
    module = _public_module(cls)
    if module is not None and ">" not in registered:
        return {"module": module, "class_name": cls.__name__, "config": config, "registered_name": None}
    module = cls.__module__ if cls.__module__ != "__main__" else None
    return {"module": module, "class_name": cls.__name__, "config": config, "registered_name": registered}


def _build_config(layer):
    """Keras 3's `build_config` of a built layer (`{"input_shape": ...}`), else None."""
    from jkeras.models.node import CallArgs

    shape = getattr(layer, "_build_input_shape", None)
    if not getattr(layer, "built", False) or shape is None:
        return None
    if isinstance(shape, CallArgs):  # a call with several tensors: Keras's shapes by argument
        return {"shapes_dict": {f"{k}_shape": v for k, v in shape.values.items()}}
    return {"input_shape": shape}


def _hooks():
    from jkeras.saving import layer_hooks

    return layer_hooks


def _is_plain(value):
    return value is None or isinstance(value, (str, int, float, bool))


def serialize_value(value):
    """A config value as Keras 3 writes it: every Keras object in it (a layer, regularizer,
    initializer, constraint, loss, metric, optimizer, any object with `get_config()`) becomes its
    `serialize_keras_object` dict, inside lists, tuples and dicts too; other values are kept."""
    if _is_plain(value) or inspect.isclass(value):
        return value
    if isinstance(value, (list, tuple)):
        if hasattr(value, "_fields"):
            return value
        items = [serialize_value(v) for v in value]  # a tracked list attribute becomes a plain list
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return serialize_dict(value)
    if hasattr(value, "get_config") and callable(value.get_config):
        return serialize_keras_object(value)
    return value


def serialize_dict(config):
    """`{key: serialize_value(value)}` (Keras 3's `serialize_dict`)."""
    return {key: serialize_value(value) for key, value in config.items()}


def _get_config(obj):
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It returned: {config!r}")
    return serialize_dict(config)


def get_build_config(layer):
    """The layer's `get_build_config()` (Keras 3's hook), JSON-friendly, or None."""
    build = _hooks().call_hook(layer, "get_build_config")
    return serialize_dict(build) if isinstance(build, dict) else build


def serialize_layer(layer, build_config=False):
    """A layer's entry as Keras 3 writes it: `{"module", "class_name", "config", "registered_name"}`.

    `registered_name` is the "package>Name" of a class registered with
    `register_keras_serializable` (so that two registered classes of the same name load as
    themselves), the class name for other custom classes, None for built-in ones.

    Args:
        layer: the layer.
        build_config: also write Keras 3's `build_config` (`{"input_shape": ...}`) of a built
            layer (functional model configs and `serialize_keras_object` do; configs nested in a
            layer's own config, which rebuild unbuilt layers, do not).
    """
    entry = _class_entry(type(layer), _get_config(layer))
    hooks = _hooks()
    # A class with its own build hooks always gets its build config (as Keras writes it everywhere).
    if build_config or hooks.overrides(layer, "get_build_config") or hooks.overrides(layer, "build_from_config"):
        build = get_build_config(layer)
        if build is not None:
            entry["build_config"] = build
    return entry


def _layer_class(config, custom_objects=None):
    """The class a layer entry names: its `registered_name` or `class_name` among the custom objects
    (open scopes, registered classes, `custom_objects`), else a built-in layer or model; None if none."""
    from jkeras import layers, models
    from jkeras.utils.object_registry import merged_custom_objects

    name = config["class_name"]
    objects = merged_custom_objects(custom_objects)
    registered = config.get("registered_name")
    if isinstance(registered, str) and registered in objects:
        return objects[registered]
    if name in (custom_objects or {}):
        return custom_objects[name]
    # An entry Keras 3 marks built in (`registered_name: None`) is not shadowed by a registered
    # class that happens to have the same bare name.
    if not ("registered_name" in config and registered is None) and name in objects:
        return objects[name]
    if name == "Functional":
        name = "Model"
    cls = (getattr(layers, name, None) or getattr(models, name, None)
           or getattr(layers.experimental, name, None))  # tf.keras 2.x's RandomFourierFeatures
    return cls if inspect.isclass(cls) or hasattr(cls, "from_config") else None


def deserialize_layer(config, custom_objects=None):
    """Creates a layer from `serialize_layer`'s output (or Keras 2 / 3's). The class is found by the
    entry's `registered_name` or `class_name` among `custom_objects`, the open `CustomObjectScope`s
    and the classes registered with `register_keras_serializable`, else in `jkeras.layers` /
    `jkeras.models` / `jkeras.layers.experimental`. Never runs code carried by the config.

    Raises:
        ValueError: for an unknown class name.
    """
    cls = _layer_class(config, custom_objects)
    if cls is None:
        name = config["class_name"]
        raise ValueError(
            f"Unknown layer class '{name}': register it with "
            "`@keras.saving.register_keras_serializable()` or pass it in `custom_objects` "
            f"(e.g. custom_objects={{'{name}': {name}}})"
        )
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        layer = cls.from_config(config["config"], custom_objects=custom_objects)
    else:
        layer = cls.from_config(config["config"])
    if _hooks().overrides(layer, "build_from_config"):
        _build_from_config(layer, config.get("build_config"))
    return layer


def _build_from_config(layer, build_config):
    """Builds a layer that its config left unbuilt from its `build_config` through its
    `build_from_config` (as Keras's deserialization does), so that its weights exist."""
    if not build_config or getattr(layer, "built", True):
        return
    _hooks().call_hook(layer, "build_from_config", build_config)


def serialize_keras_object(instance):
    """The object as Keras 3 serializes it: `{"module", "class_name", "config", "registered_name"}`;
    a layer adds its `build_config`, a model its `compile_config` too.

    Args:
        instance: an object with `get_config()`, or None.

    Returns:
        A dict (the object's config values serialized the same way), or None for None; a plain
        function gives its `__name__`, lists / dicts / plain values are serialized item by item.
    """
    from jkeras.models.layer import Layer

    if instance is None:
        return None
    if isinstance(instance, Layer):
        entry = serialize_layer(instance, build_config=True)
        if hasattr(instance, "compile") and hasattr(instance, "optimizer"):
            from jkeras.saving.model_config import get_compile_config

            entry["compile_config"] = get_compile_config(instance) or {}
        return entry
    if _is_plain(instance) or isinstance(instance, (list, tuple, dict)):
        return serialize_value(instance)
    if hasattr(instance, "get_config") and not inspect.isclass(instance):
        return _class_entry(type(instance), _with_schedule_entry(instance, _get_config(instance)))
    return getattr(instance, "__name__", instance)


def _with_schedule_entry(instance, config):
    """An optimizer's config with its learning-rate schedule (and a loss-scale optimizer's inner
    optimizer) as Keras 3 writes them (their `serialize_keras_object` entries, with `module`),
    where `get_config` gave the bare `{"class_name", "config"}`."""
    from jkeras.optimizers import Optimizer, schedules

    if not isinstance(instance, Optimizer):
        return config
    schedule = getattr(instance, "_learning_rate", None)
    if isinstance(schedule, schedules.LearningRateSchedule) and isinstance(config.get("learning_rate"), dict):
        config = dict(config, learning_rate=serialize_keras_object(schedule))
    inner = getattr(instance, "inner_optimizer", None)
    if isinstance(inner, Optimizer) and isinstance(config.get("inner_optimizer"), dict):
        config = dict(config, inner_optimizer=serialize_keras_object(inner))
    return config


# Where a built-in object's class or function is found when no lookup dict names it.
_NAMESPACES = ("layers", "losses", "metrics", "optimizers", "optimizers.schedules", "initializers",
               "regularizers", "constraints", "activations")


def _builtin(name, module=None):
    """The jkeras class or function `name`, from Keras's `module` ("keras.layers", ...) or else
    from the built-in namespaces; None when there is none."""
    import importlib

    candidates = _NAMESPACES
    if isinstance(module, str) and module.split(".")[0] == "keras":
        short = ".".join(part for part in module.split(".")[1:] if part != "src")
        candidates = (short,) + candidates if short else candidates
    for namespace in candidates:
        try:
            found = getattr(importlib.import_module("jkeras." + namespace), name, None)
        except ImportError:
            continue
        if found is not None and callable(found):
            return found
    return None


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object", safe_mode=True, **kwargs):
    """Creates an object from a serialized config or a name (Keras 2 and Keras 3 forms).

    Args:
        identifier: a dict `{"class_name", "config"}` (Keras 3's `module` / `registered_name` keys
            are read too), a name, or a list / dict of them (deserialized item by item).
        module_objects: dict name -> class or function to look names up in (Keras 3 code passes
            its `custom_objects` in this position; both are lookups).
        custom_objects: dict name -> class or function, consulted first.
        printable_module_name: what the object is, for the error message.
        safe_mode: accepted for Keras 3 code; no stored code is ever run.

    Returns:
        The object (a class is instantiated with `from_config`; a layer is then built from its
        `build_config` and a model compiled from its `compile_config`, through their
        `build_from_config` / `compile_from_config`). A name is looked up among the custom objects
        (the lookups, the open `CustomObjectScope`s, the registered objects); without
        `module_objects`, a name found there is returned as it is (Keras 3), with it, jkeras's
        built-in layers, losses, metrics, optimizers, initializers, regularizers, constraints and
        activations are searched too (Keras 2). Plain values and already-built objects are
        returned as they are.

    Raises:
        ValueError: for an unknown class name (or an unknown name given with `module_objects`),
            naming `printable_module_name`.
    """
    from jkeras.utils.object_registry import merged_custom_objects

    del safe_mode, kwargs
    if identifier is None:
        return None
    lookup = {**(module_objects or {}), **merged_custom_objects(custom_objects)}
    if isinstance(identifier, (list, tuple)):
        return [deserialize_keras_object(item, module_objects, custom_objects, printable_module_name)
                for item in identifier]
    if isinstance(identifier, dict) and not ("class_name" in identifier and "config" in identifier):
        if "class_name" not in identifier:
            return {key: deserialize_keras_object(value, module_objects, custom_objects, printable_module_name)
                    for key, value in identifier.items()}
    if isinstance(identifier, str) and module_objects is None:
        return lookup.get(identifier, identifier)  # Keras 3: a name that is no custom object stays a name
    if not isinstance(identifier, (str, dict)):
        return identifier  # a plain value, or an object already built
    module = None
    if isinstance(identifier, dict):
        special = _special_value(identifier)
        if special is not _NOT_SPECIAL:
            return special
        name, config = identifier["class_name"], identifier.get("config", {})
        module = identifier.get("module")
        if name == "function" and isinstance(config, str):
            registered = identifier.get("registered_name")
            name, config = (registered if registered in lookup else config), None
        name = identifier.get("registered_name") if identifier.get("registered_name") in lookup else name
    else:
        name, config = identifier, None
    obj = lookup.get(name) or _builtin(name, module)
    if isinstance(identifier, dict) and (obj is None or _is_layer_class(obj)):
        layer_class = _layer_class(identifier, lookup)
        if _is_layer_class(layer_class):
            return _deserialize_layer_object(identifier, layer_class, lookup, custom_objects)
    if obj is None:
        raise ValueError(f"Unknown {printable_module_name}: {name!r}; pass it in `custom_objects`")
    if config is None or not isinstance(obj, type):
        return obj
    if "custom_objects" in inspect.signature(obj.from_config).parameters:
        return obj.from_config(config, custom_objects=custom_objects)
    return obj.from_config(config)


_NOT_SPECIAL = object()


def _special_value(identifier):
    """The value of Keras 3's `__numpy__` / `__bytes__` / `__ellipsis__` entries, else `_NOT_SPECIAL`."""
    import numpy as np

    name, config = identifier.get("class_name"), identifier.get("config")
    if name == "__numpy__" and isinstance(config, dict):
        return np.array(config["value"], dtype=config.get("dtype"))
    if name == "__bytes__" and isinstance(config, dict):
        return config["value"].encode("utf-8")
    if name == "__ellipsis__":
        return Ellipsis
    return _NOT_SPECIAL


def _is_layer_class(obj):
    from jkeras.models.layer import Layer

    return inspect.isclass(obj) and issubclass(obj, Layer)


def _deserialize_layer_object(identifier, cls, lookup, custom_objects):
    """A layer or model from its Keras 3 entry: built from `build_config` (`build_from_config`)
    when its config does not build it, and compiled from a non-empty `compile_config`
    (`compile_from_config`), as Keras 3's deserialization does."""
    from jkeras.saving import model_config

    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        instance = cls.from_config(identifier.get("config", {}), custom_objects=lookup)
    else:
        instance = cls.from_config(identifier.get("config", {}))
    _build_from_config(instance, identifier.get("build_config"))
    compile_config = identifier.get("compile_config")
    if compile_config and hasattr(instance, "compile"):
        model_config.compile_model(instance, compile_config, custom_objects)
    return instance


# Keras 3 config keys for features jkeras does not have, dropped when they hold Keras's "off" value
# (any other value reaches the constructor, which rejects it by name).
_IGNORED_WHEN_DEFAULT = {
    "ragged": False, "optional": False, "sparse": False, "quantization_config": None,
    "lora_rank": None, "lora_alpha": None, "autocast": True,
}


def standardize_layer_config(config):
    """A Keras 2 / Keras 3 layer config made acceptable to jkeras constructors.

    DTypePolicy dicts (QuantizedDTypePolicy ones too) become their name; keys of absent Keras features are dropped while they hold
    their default value.
    """
    config = dict(config)
    dtype = config.get("dtype")
    if isinstance(dtype, dict):
        from jkeras import mixed_precision

        config["dtype"] = mixed_precision.get(dtype).name
    for key, default in _IGNORED_WHEN_DEFAULT.items():
        if key in config and config[key] == default:
            config.pop(key)
    return config

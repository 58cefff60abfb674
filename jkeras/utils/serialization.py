"""Layer configs as Keras writes them: `{"class_name": ..., "config": {...}}`."""
import inspect


def serialize_layer(layer):
    """`{"class_name": "Dense", "config": layer.get_config()}`, plus Keras 3's `registered_name`
    ("package>Name") for a class registered with `register_keras_serializable`, so that two
    registered classes of the same name load as themselves."""
    from jkeras.utils.object_registry import get_registered_name

    name = type(layer).__name__
    if name == "Model":
        name = "Functional"
    entry = {"class_name": name, "config": layer.get_config()}
    registered = get_registered_name(type(layer))
    if ">" in registered:
        entry["registered_name"] = registered
    return entry


def deserialize_layer(config, custom_objects=None):
    """Creates a layer from `serialize_layer`'s output; classes come from `jkeras.layers`,
    `jkeras.models` or `custom_objects`. Never runs code carried by the config.

    Raises:
        ValueError: for an unknown class name.
    """
    from jkeras import layers, models

    name = config["class_name"]
    if name == "Functional":
        name = "Model"
    cls = (custom_objects or {}).get(name) or getattr(layers, name, None) or getattr(models, name, None)
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{name}': pass it in `custom_objects` (e.g. custom_objects={{'{name}': {name}}})"
        )
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(config["config"], custom_objects=custom_objects)
    return cls.from_config(config["config"])


def serialize_keras_object(instance):
    """`{"class_name": ..., "config": instance.get_config()}` (Keras 2's generic form).

    Args:
        instance: an object with `get_config()`, or None.

    Returns:
        A dict, or None for None (a plain function gives its `__name__`).
    """
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        return {"class_name": type(instance).__name__, "config": instance.get_config()}
    return getattr(instance, "__name__", instance)


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
            are read too) or a name.
        module_objects: dict name -> class or function to look names up in (Keras 3 code passes
            its `custom_objects` in this position; both are lookups).
        custom_objects: dict name -> class or function, consulted first.
        printable_module_name: what the object is, for the error message.
        safe_mode: accepted for Keras 3 code; no stored code is ever run.

    Returns:
        The object (a class is instantiated with `from_config`). Names not in the lookups are
        looked up among jkeras's built-in layers, losses, metrics, optimizers, initializers,
        regularizers, constraints and activations.

    Raises:
        ValueError: for an unknown name, naming `printable_module_name`.
    """
    from jkeras.utils.object_registry import merged_custom_objects

    del safe_mode, kwargs
    if identifier is None:
        return None
    lookup = {**(module_objects or {}), **merged_custom_objects(custom_objects)}
    module = None
    if isinstance(identifier, dict):
        name, config = identifier["class_name"], identifier.get("config", {})
        module = identifier.get("module")
        name = identifier.get("registered_name") if identifier.get("registered_name") in lookup else name
    else:
        name, config = identifier, None
    obj = lookup.get(name) or _builtin(name, module)
    if obj is None:
        raise ValueError(f"Unknown {printable_module_name}: {name!r}; pass it in `custom_objects`")
    if config is None or not isinstance(obj, type):
        return obj
    if "custom_objects" in inspect.signature(obj.from_config).parameters:
        return obj.from_config(config, custom_objects=custom_objects)
    return obj.from_config(config)


# Keras 3 config keys for features jkeras does not have, dropped when they hold Keras's "off" value
# (any other value reaches the constructor, which rejects it by name).
_IGNORED_WHEN_DEFAULT = {
    "ragged": False, "optional": False, "sparse": False, "quantization_config": None,
    "lora_rank": None, "lora_alpha": None, "autocast": True,
}


def standardize_layer_config(config):
    """A Keras 2 / Keras 3 layer config made acceptable to jkeras constructors.

    DTypePolicy dicts become their name; keys of absent Keras features are dropped while they hold
    their default value.
    """
    config = dict(config)
    dtype = config.get("dtype")
    if isinstance(dtype, dict):
        config["dtype"] = dtype.get("config", {}).get("name", "float32")
    for key, default in _IGNORED_WHEN_DEFAULT.items():
        if key in config and config[key] == default:
            config.pop(key)
    return config

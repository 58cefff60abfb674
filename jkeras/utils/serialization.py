"""Layer configs as Keras writes them: `{"class_name": ..., "config": {...}}`."""
import inspect


def serialize_layer(layer):
    """`{"class_name": "Dense", "config": layer.get_config()}`."""
    name = type(layer).__name__
    if name == "Model":
        name = "Functional"
    return {"class_name": name, "config": layer.get_config()}


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

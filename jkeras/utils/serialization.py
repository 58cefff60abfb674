"""Layer configs as Keras writes them: `{"class_name": ..., "config": {...}}`."""
import inspect


def serialize_layer(layer):
    """`{"class_name": "Dense", "config": layer.get_config()}`."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(config, custom_objects=None):
    """Creates a layer from `serialize_layer`'s output; classes come from `jkeras.layers`,
    `jkeras.models` or `custom_objects`. Never runs code carried by the config.

    Raises:
        ValueError: for an unknown class name.
    """
    from jkeras import layers, models

    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or getattr(layers, name, None) or getattr(models, name, None)
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{name}': pass it in `custom_objects` (e.g. custom_objects={{'{name}': {name}}})"
        )
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(config["config"], custom_objects=custom_objects)
    return cls.from_config(config["config"])

"""`jkeras.dtype_policies`: Keras 3's module of dtype policies (`DTypePolicy`, `get`, ...).

jkeras has float policies only (no quantized ones): `FloatDTypePolicy` is `DTypePolicy`.
"""
from jkeras.mixed_precision import DTypePolicy, get

FloatDTypePolicy = DTypePolicy

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]


def serialize(dtype_policy):
    """`{"class_name": "DTypePolicy", "config": {"name": ...}}` for a policy."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype_policy.name},
            "registered_name": None}


def deserialize(config, custom_objects=None):
    """The `DTypePolicy` a `serialize` dict (or a policy name) describes.

    Raises:
        ValueError: for an unknown policy name.
    """
    del custom_objects
    return get(config)

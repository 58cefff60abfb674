"""`jkeras.dtype_policies`: Keras 3's module of dtype policies (`DTypePolicy`, `get`, ...).

Float policies (`DTypePolicy`, alias `FloatDTypePolicy`) and the policies of quantized layers
(`QuantizedDTypePolicy`, named like "int8_from_float32"; `Int4DTypePolicy`, named like
"int4/128_from_float32").
"""
from jkeras.mixed_precision import QUANTIZATION_MODES, DTypePolicy, Int4DTypePolicy, QuantizedDTypePolicy, get

FloatDTypePolicy = DTypePolicy

__all__ = ["DTypePolicy", "FloatDTypePolicy", "Int4DTypePolicy", "QUANTIZATION_MODES", "QuantizedDTypePolicy",
           "deserialize", "get", "serialize"]


def serialize(dtype_policy):
    """The Keras 3 config dict of a policy: `{"module": "keras", "class_name": "DTypePolicy",
    "config": {"name": ...}}`, or for a quantized one `{"module": "keras.dtype_policies",
    "class_name": "QuantizedDTypePolicy", "config": {"mode": ..., "source_name": ...}}`."""
    if isinstance(dtype_policy, QuantizedDTypePolicy):
        return {"module": "keras.dtype_policies", "class_name": type(dtype_policy).__name__,
                "config": dtype_policy.get_config(), "registered_name": None}
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype_policy.name},
            "registered_name": None}


def deserialize(config, custom_objects=None):
    """The policy a `serialize` dict (or a policy name) describes.

    Raises:
        ValueError: for an unknown policy name or quantization mode.
    """
    del custom_objects
    return get(config)

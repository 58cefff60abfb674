"""Keras 2's `keras.utils.generic_utils` module path."""
from jkeras.utils.object_registry import (  # noqa: F401
    CustomObjectScope, custom_object_scope, get_custom_objects,
)
from jkeras.utils.progbar import Progbar  # noqa: F401
from jkeras.utils.serialization import deserialize_keras_object, serialize_keras_object  # noqa: F401

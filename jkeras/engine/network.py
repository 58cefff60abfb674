"""Keras 2's `keras.engine.network` module path (`Network` is the functional `Model`)."""
from jkeras.models.functional import Model as Network  # noqa: F401
from jkeras.models.node import get_source_inputs  # noqa: F401

"""Keras 2's `keras.engine` module paths: `Input`, `InputLayer`, `InputSpec`, `Layer`, `Model`.

The implementation lives in `jkeras.models`; these modules only re-export it.
"""
from jkeras.engine.base_layer import InputSpec, Layer  # noqa: F401
from jkeras.engine.input_layer import Input, InputLayer  # noqa: F401
from jkeras.engine.network import get_source_inputs  # noqa: F401
from jkeras.engine.training import Model  # noqa: F401
from jkeras.engine import saving, sequential, topology  # noqa: F401,E402 (reachable as attributes)

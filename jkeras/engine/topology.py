"""Keras 1 / Keras 2's `keras.engine.topology` module path (`Container` is Keras 1's `Network`)."""
from jkeras.engine.base_layer import InputSpec, Layer, Node  # noqa: F401
from jkeras.engine.input_layer import Input, InputLayer  # noqa: F401
from jkeras.engine.network import Network, get_source_inputs  # noqa: F401
from jkeras.utils.summary import print_summary  # noqa: F401

Container = Network

"""Symbolic tensors a layer's `call` reads from outside its inputs (Keras 2 graph semantics).

In Keras 2 every tensor lives in one graph, so a custom layer's `call` may compute with a symbolic
tensor it never received as an input, e.g. the first edition of *Deep Learning with Python*'s
VAE, whose loss layer reads the encoder's `z_mean` / `z_log_var` from the enclosing scope:

    class CustomVariationalLayer(keras.layers.Layer):
        def call(self, inputs):
            x, z_decoded = inputs
            kl = K.mean(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
            ...

jkeras runs `call` on arrays. When an operation inside a running `call` meets a `KerasTensor`
with no value, `Captured` stops the call; the layer's symbolic call then records that tensor as
an extra input of its node (an edge of the functional graph, not an argument of `call`) and
tries again. Wherever the node runs, the tensor's value is *bound* while `call` runs, and
operations on the tensor compute on that value (`symbolic_call` looks the binding up).

A layer's `build` or `call` may also build a graph of its own (a functional submodel made in
`build`): the tensors made while the call runs are that graph's, not captures, and calls on them
are recorded as usual (`in_call`).
"""
import contextlib
import threading

import jax.numpy as jnp

from jkeras.models import call_scope
from jkeras.models.node import KerasTensor, map_structure

_local = threading.local()


class Captured(Exception):
    """Raised when a running layer call computes with a symbolic tensor that has no value.

    Args:
        tensors: the unbound KerasTensors.
    """

    def __init__(self, tensors):
        self.tensors = list(tensors)
        super().__init__(
            f"a layer's call computes with the symbolic tensor(s) {self.tensors}, which are not among "
            "its inputs. Call the layer on symbolic inputs (the functional API) so that these tensors "
            "become edges of the graph, or pass them to the layer as inputs"
        )


def _bindings():
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


@contextlib.contextmanager
def bind(values):
    """Binds symbolic tensors to values while the block runs.

    Args:
        values: `{id(KerasTensor): array}`.
    """
    stack = _bindings()
    stack.append(values)
    try:
        yield
    finally:
        stack.pop()


def stand_ins(tensors, unknown_size):
    """Zeros standing in for `tensors` while a layer is built or its output traced: each tensor's
    shape with unknown sizes set to `unknown_size` (as the layer's own inputs get)."""
    return {id(t): jnp.zeros(tuple(unknown_size if d is None else d for d in t.shape), t.dtype)
            for t in tensors}


def value_of(tensor):
    """The value bound to `tensor` (the innermost binding), or None."""
    for values in reversed(_bindings()):
        if id(tensor) in values:
            return values[id(tensor)]
    return None


def made_in_running_call(tensor):
    """Whether `tensor` was made after the innermost running layer call started (it belongs to a
    graph that call builds)."""
    scope = call_scope.current()
    return scope is not None and tensor._serial > getattr(scope, "first_serial", tensor._serial)


def in_call(structure):
    """Inside a running layer call: `structure` with each KerasTensor replaced by its bound value;
    tensors the call made itself stay symbolic.

    Raises:
        Captured: for tensors bound to no value that the call did not make.
    """
    unbound = []

    def value(t):
        if not isinstance(t, KerasTensor):
            return t
        bound = value_of(t)
        if bound is not None:
            return bound
        if not made_in_running_call(t):
            unbound.append(t)
        return t

    structure = map_structure(value, structure)
    if unbound:
        raise Captured(unbound)
    return structure

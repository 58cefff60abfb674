"""Rematerialization (gradient checkpointing): `RematScope` and `remat`, Keras 3's spelling.

A layer created inside `with RematScope(mode):` keeps that mode; when its mode applies, the
layer's `forward` runs its `apply` under `jax.checkpoint`, so the backward pass recomputes the
layer's intermediate values instead of keeping them. A block of layers is one model created in
the scope (or named in `layer_names`): it is then recomputed as a whole.
"""
import math
import threading
from typing import NamedTuple

import jax

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_local = threading.local()


class RematMode(NamedTuple):
    """The rematerialization settings a layer was created under."""

    mode: str
    output_size_threshold: int
    layer_names: tuple


def remat(f):
    """Applies rematerialization to a function: its intermediates are recomputed for the gradient.

    Args:
        f: a function of JAX arrays.

    Returns:
        `jax.checkpoint(f)`.
    """
    return jax.checkpoint(f)


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class RematScope:
    """A context manager: layers created inside it rematerialize as `mode` says.

    Args:
        mode: `"full"` (every layer created in the scope), `"activations"` (only the `activation`
            function of layers that have one, e.g. `Dense(..., activation="relu")`),
            `"larger_than"` (layers whose outputs hold more than `output_size_threshold`
            values, batch axis included), `"list_of_layers"` (layers named in `layer_names`), or
            None (no rematerialization, also inside an outer scope).
        output_size_threshold: the size threshold of `"larger_than"`.
        layer_names: the layer names of `"list_of_layers"`.

    Raises:
        ValueError: for another mode.
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(
                f"RematScope: invalid mode {mode!r}; supported modes are 'full', 'activations', "
                "'larger_than', 'list_of_layers' and None"
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = tuple(layer_names or ())

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc_info):
        _stack().remove(self)


def current_mode():
    """The `RematMode` of the innermost open `RematScope`, or None."""
    stack = _stack()
    if not stack or stack[-1].mode is None:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def _output_size(apply, variables, inputs):
    spec = jax.eval_shape(lambda v, x: apply(v, x)[0], variables, inputs)
    return sum(math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(spec))


def rematerialized_apply(layer, apply):
    """`apply` (a function `(variables, inputs, rng, mask) -> (outputs, new_state)`) wrapped as the
    layer's remat mode says; unchanged when the layer has none."""
    mode = getattr(layer, "_remat_mode", None)
    if mode is None:
        return apply
    if mode.mode == "full" or (mode.mode == "list_of_layers" and layer.name in mode.layer_names):
        return jax.checkpoint(apply)
    if mode.mode == "larger_than":

        def run(variables, inputs, rng, mask):
            size = _output_size(lambda v, x: apply(v, x, rng, mask), variables, inputs)
            fn = jax.checkpoint(apply) if size > mode.output_size_threshold else apply
            return fn(variables, inputs, rng, mask)

        return run
    if mode.mode == "activations" and callable(getattr(layer, "activation", None)):

        def run(variables, inputs, rng, mask):
            original = layer.activation
            layer.__dict__["activation"] = jax.checkpoint(original)
            try:
                return apply(variables, inputs, rng, mask)
            finally:
                layer.__dict__["activation"] = original

        return run
    return apply

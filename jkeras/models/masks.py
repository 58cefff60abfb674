"""Masks carried by tensors (`x._keras_mask`), as in Keras 3.

A layer called directly on arrays (eagerly, or inside a subclassed model's `call`, also under
`jax.jit`) reads the mask of its inputs from them when no `mask=` is given, and marks its outputs
with `compute_mask(inputs, mask)`: `lstm(embedding(x))` skips the padding as it does in a
functional model. A JAX array holds the mask as an attribute; a tracer (which takes no attributes)
in a table keyed by its id, dropped when the tracer is collected.
"""
import contextlib
import threading
import weakref

import jax
import jax.numpy as jnp

from jkeras.models.node import CallArgs, KerasTensor, flatten, map_structure

_by_id = {}


def get_keras_mask(x):
    """The mask attached to tensor `x`, or None."""
    mask = getattr(x, "_keras_mask", None)
    if mask is None and _by_id:
        mask = _by_id.get(id(x))
    return mask


def set_keras_mask(x, mask):
    """Attaches `mask` to tensor `x` (in place; not for Python / NumPy values, which are skipped)."""
    try:
        x._keras_mask = mask
        return
    except AttributeError:
        pass
    if not hasattr(x, "shape"):
        return
    try:
        weakref.finalize(x, _by_id.pop, id(x), None)
    except TypeError:  # not weak-referenceable (a NumPy array): it keeps no mask
        return
    _by_id[id(x)] = mask


def _clear_keras_mask(x):
    if getattr(x, "_keras_mask", None) is not None:
        x._keras_mask = None
    else:
        _by_id.pop(id(x), None)


def _pairs(inputs, mask):
    """(tensor, mask) pairs of `inputs` and the same-structured `mask` (a single mask for a single
    tensor); parts whose structures differ give none."""
    if isinstance(inputs, CallArgs):
        if isinstance(mask, CallArgs):
            for name, value in inputs.values.items():
                yield from _pairs(value, mask.values.get(name))
        return
    if isinstance(inputs, (list, tuple)):
        if isinstance(mask, (list, tuple)) and len(mask) == len(inputs):
            for x, m in zip(inputs, mask):
                yield from _pairs(x, m)
        return
    if isinstance(inputs, dict):
        if isinstance(mask, dict):
            for k, x in inputs.items():
                yield from _pairs(x, mask.get(k))
        return
    if mask is not None and hasattr(inputs, "shape") and hasattr(mask, "shape"):
        yield inputs, mask


@contextlib.contextmanager
def attached(inputs, mask):
    """While a Keras-style `call` runs, its input tensors carry the masks the call was given, as
    Keras 3's tensors carry theirs: a sublayer called there on them reads them (keras-io
    video_transformers: `self.attention(inputs, inputs, attention_mask=mask)` also masks the padded
    query frames). Taken off again afterwards, so another consumer of the same tensor is not
    handed a mask meant for this call."""
    added = []
    for tensor, m in _pairs(inputs, mask):
        if get_keras_mask(tensor) is None:
            set_keras_mask(tensor, m)
            if get_keras_mask(tensor) is m:
                added.append(tensor)
    try:
        yield
    finally:
        for tensor in added:
            _clear_keras_mask(tensor)


def input_mask(inputs):
    """The masks attached to `inputs` (same structure), or None when none is."""
    masks = map_structure(get_keras_mask, inputs)
    return None if all(m is None for m in flatten(masks)) else masks


def per_output(out_mask, count):
    """One mask per output of a call that returns `count` tensors: a list or tuple from
    `compute_mask` gives each output its own, a single mask (or None) goes to every output."""
    return flatten(out_mask) if isinstance(out_mask, (list, tuple)) else [out_mask] * count


def mark_outputs(layer, inputs, mask, outputs):
    """Attaches `layer.compute_mask(inputs, mask)` to `outputs` (unless they all carry one)."""
    flat = flatten(outputs)
    if all(get_keras_mask(t) is not None for t in flat):
        return
    out_mask = layer.compute_mask(inputs, mask)
    if out_mask is None:
        return
    for tensor, m in zip(flat, per_output(out_mask, len(flat))):
        if m is not None and get_keras_mask(tensor) is None:
            set_keras_mask(tensor, m)


# ---- symbolic calls: the masks a graph's tensors will carry


def symbolic_input_mask(node_args, explicit=None):
    """The symbolic masks feeding a call on `node_args`: the explicit `mask=` argument, else the
    masks the input tensors carry (None when there are none)."""
    if explicit is not None:
        return explicit
    found = map_structure(lambda t: t._keras_mask if isinstance(t, KerasTensor) else None, node_args)
    return None if all(m is None for m in flatten(found)) else found


def _default_compute_mask():
    from jkeras.models.layer import Layer

    return Layer.compute_mask


def _spec(t, size):
    return jax.ShapeDtypeStruct(tuple(size if d is None else d for d in t.shape), t.dtype)


def symbolic_mask(tensor):
    """The mask the output `tensor` of a layer call will carry, as a boolean KerasTensor, or None:
    `layer.compute_mask` traced on stand-ins of the call's inputs and their masks."""
    if getattr(tensor, "_keras_history", None) is None or tensor.node.is_input:
        return None
    layer, _, index = tensor._keras_history
    node = tensor.node
    in_mask = symbolic_input_mask(node.call_args, node.call_kwargs.get("mask"))
    if in_mask is None and type(layer).compute_mask is _default_compute_mask():
        return None  # the default passes an input mask on, and there is none

    def traced(size):
        def run(args, mask):
            out = layer.compute_mask(args, mask)
            flat = per_output(out, len(node.output_tensors))
            return flat[index] if index < len(flat) else None

        as_spec = lambda t: _spec(t, size) if isinstance(t, KerasTensor) else t  # noqa: E731
        return jax.eval_shape(run, map_structure(as_spec, node.call_args),
                              None if in_mask is None else map_structure(as_spec, in_mask))

    try:
        first = traced(7)
        if first is None:
            return None
        second = traced(11)
    except Exception:  # a compute_mask that cannot run on stand-ins: no known mask
        return None
    shape = tuple(None if a != b else a for a, b in zip(first.shape, second.shape))
    return KerasTensor(shape, "bool", name=f"{layer.name}_mask")


class _BuildMask(threading.local):
    layer = spec = None


_build_mask = _BuildMask()


@contextlib.contextmanager
def symbolic_call_masks(layer, in_mask):
    """While a symbolic call builds `layer` and infers its outputs: the masks of its inputs
    (KerasTensors), so that a `call(inputs, mask=None)` sees a mask then too, as in Keras; while
    an eager first call builds it, the masks it was given (arrays)."""
    previous = _build_mask.layer, _build_mask.spec
    _build_mask.layer, _build_mask.spec = layer, in_mask
    try:
        yield
    finally:
        _build_mask.layer, _build_mask.spec = previous


def build_mask(layer):
    """All-true masks for the call `Layer.init` runs on zeros, when the symbolic call that builds
    `layer` has masked inputs; else None."""
    spec = _build_mask.spec if _build_mask.layer is layer else None
    if spec is None:
        return None
    return map_structure(lambda t: jnp.ones(tuple(1 if d is None else d for d in t.shape), bool)
                         if isinstance(t, KerasTensor) else t, spec)


def trace_mask(layer, size):
    """Stand-ins of the input masks of `layer`'s symbolic call, for tracing its outputs; None
    without masks."""
    spec = _build_mask.spec if _build_mask.layer is layer else None
    if spec is None:
        return None
    return map_structure(lambda t: _spec(t, size) if isinstance(t, KerasTensor) else t, spec)

"""Merge layers: combine a list of tensors into one.

Elementwise: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum` (shapes broadcast as in
NumPy, non-batch axes aligned from the right; an input of lower rank gets size-1 axes after its
batch axis). Others: `Concatenate`, `Dot`. Each has a functional form (`add([a, b])` builds an
`Add()` and calls it).

Masks follow Keras 3: `compute_mask(inputs, mask)` takes a list of masks (None entries allowed).
The elementwise merges OR the masks when every input has one (else no mask); `Maximum`,
`Minimum` and `Multiply` also ignore the masked positions of an input when computing values.
`Concatenate` concatenates the masks (an unmasked input counts as all True); `Dot` drops them.

Keras 1's `Merge(layers, mode=...)` and `merge(tensors, mode=...)` build the Keras 2 layer of
their mode (`Merge([model_a, model_b], mode="concat")` as the first layer of a `Sequential`
makes a model with the merged models' inputs). This module is also callable, as Keras 1's
`keras.layers.merge` function was.
"""
import functools

import jax
import jax.numpy as jnp

from jkeras.core import config
import numpy as np

from jkeras.models.layer import Layer

__all__ = [
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
    "Merge",
]



def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class _Merge(Layer):
    """Base of the merge layers: called on a list of tensors, returns one tensor.

    Subclasses define `_output_shape(shapes)` (which validates) and `_merge(inputs, masks)`.
    `_num_inputs` fixes the number of inputs (None: one or more).
    """

    _num_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _shape_list(self, input_shape):
        """`input_shape` as a list of shape tuples, checked to be a list of the right length."""
        if not isinstance(input_shape, (list, tuple)) or not all(
            isinstance(s, (list, tuple)) for s in input_shape
        ):
            raise self._error(
                f"a merge layer must be called on a list of inputs, got a single input of shape "
                f"{input_shape}"
            )
        shapes = [tuple(s) for s in input_shape]
        if not shapes:
            raise self._error("a merge layer must be called on a list of at least 1 input, got an empty list")
        if self._num_inputs is not None and len(shapes) != self._num_inputs:
            raise self._error(
                f"expects exactly {self._num_inputs} inputs, got {len(shapes)} (input shapes {shapes})"
            )
        return shapes

    def _batch_size(self, shapes):
        sizes = {s[0] for s in shapes if s} - {None}
        if len(sizes) > 1:
            raise self._error(f"cannot merge tensors with different batch sizes; received input shapes {shapes}")
        return sizes.pop() if sizes else None

    def _check_input_shape(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        return self._output_shape(self._shape_list(input_shape))

    def _mask_list(self, inputs, mask):
        if mask is None:
            return [None] * len(inputs)
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise self._error(
                f"mask must be a list with one entry (a mask or None) per input: {len(inputs)} inputs, "
                f"got mask={mask!r}"
            )
        return [None if m is None else jnp.asarray(m, bool) for m in mask]

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise self._error(f"a merge layer must be called on a list of inputs, got {type(inputs).__name__}")
        inputs = [jnp.asarray(x) for x in inputs]
        # Keras 3 compares batch sizes when the layer is built (on the graph's shapes), not in each
        # call: a batch of 1 then broadcasts (keras-io perceiver adds its (1, latent, dim) latent
        # array to a batch of latents inside a functional model)
        self.compute_output_shape([(None,) + tuple(x.shape[1:]) if x.ndim else () for x in inputs])
        return self._merge(inputs, self._mask_list(inputs, mask)), variables["state"]

    def _output_shape(self, shapes):
        raise NotImplementedError

    def _merge(self, inputs, masks):
        raise NotImplementedError


class _Elementwise(_Merge):
    """Elementwise merges: broadcast shapes, OR of the masks when every input has one."""

    def _output_shape(self, shapes):
        batch = self._batch_size(shapes)
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = self._broadcast(out, shape[1:], shapes)
        return (batch,) + out

    def _broadcast(self, a, b, shapes):
        if len(a) < len(b):
            a, b = b, a
        lead, tail = a[:len(a) - len(b)], []
        for i, j in zip(a[len(a) - len(b):], b):
            if i == 1 or j == 1:
                tail.append(j if i == 1 else i)
            elif i is None or j is None or i == j:
                tail.append(j if i is None else i)
            else:
                raise self._error(
                    f"inputs have incompatible shapes: {a} and {b} differ on an axis where neither is 1; "
                    f"received input shapes {shapes}"
                )
        return tuple(lead) + tuple(tail)

    def _merge(self, inputs, masks):
        rank = max(x.ndim for x in inputs)
        inputs = [jnp.reshape(x, x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in inputs]
        return self._combine(inputs, masks)

    def _combine(self, inputs, masks):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        masks = self._mask_list(inputs, mask)
        if any(m is None for m in masks):
            return None
        return functools.reduce(jnp.logical_or, masks)


def _expand_mask(mask, ndim):
    """`mask` with trailing size-1 axes up to rank `ndim` (so it broadcasts against the input)."""
    return jnp.reshape(mask, mask.shape + (1,) * max(ndim - mask.ndim, 0))


class Add(_Elementwise):
    """Sums a list of inputs elementwise: `inputs[0] + inputs[1] + ...`.

    Input shape: a list of tensors whose shapes broadcast together (non-batch axes aligned from the
    right), e.g. `[(batch, 3, 4), (batch, 1, 4)]`. Output shape: the broadcast shape.

    Raises:
        ValueError: if called on something other than a list, or shapes / batch sizes do not match.
    """

    def _combine(self, inputs, masks):
        return functools.reduce(jnp.add, inputs)


class Subtract(_Elementwise):
    """Subtracts two inputs: `inputs[0] - inputs[1]`.

    Input shape: a list of exactly 2 tensors whose shapes broadcast together.

    Raises:
        ValueError: if not called on exactly 2 inputs of compatible shapes.
    """

    _num_inputs = 2

    def _combine(self, inputs, masks):
        return inputs[0] - inputs[1]


class Multiply(_Elementwise):
    """Multiplies a list of inputs elementwise.

    A masked position of an input counts as 1; when every input has a mask, positions masked in all
    of them are set to 0.

    Raises:
        ValueError: if called on something other than a list, or shapes / batch sizes do not match.
    """

    def _combine(self, inputs, masks):
        all_masked = all(m is not None for m in masks)
        output = output_mask = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = _expand_mask(mask, x.ndim)
                x = jnp.where(mask, x, jnp.ones((), x.dtype))
                if all_masked:
                    output_mask = mask if output_mask is None else jnp.logical_or(output_mask, mask)
            output = x if output is None else output * x
        if all_masked:
            output = jnp.where(output_mask, output, jnp.zeros((), output.dtype))
        return output


class Average(_Elementwise):
    """Averages a list of inputs elementwise: `(inputs[0] + ... + inputs[n-1]) / n`.

    Raises:
        ValueError: if called on something other than a list, or shapes / batch sizes do not match.
    """

    def _combine(self, inputs, masks):
        return functools.reduce(jnp.add, inputs) / len(inputs)


def _masked_reduce(op, inputs, masks):
    """Folds `op` over the inputs, replacing each masked position by the other operand (Keras 3's
    rule for Maximum / Minimum, which have no identity element)."""
    output = output_mask = None
    for x, mask in zip(inputs, masks):
        if mask is not None:
            mask = _expand_mask(mask, x.ndim)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = jnp.where(mask, x, output)
        if output_mask is not None:
            output = jnp.where(output_mask, output, x)
        output_mask = None if mask is None or output_mask is None else jnp.logical_or(output_mask, mask)
        output = op(output, x)
    return output


class Maximum(_Elementwise):
    """Elementwise maximum of a list of inputs (masked positions of an input are ignored).

    Raises:
        ValueError: if called on something other than a list, or shapes / batch sizes do not match.
    """

    def _combine(self, inputs, masks):
        return _masked_reduce(jnp.maximum, inputs, masks)


class Minimum(_Elementwise):
    """Elementwise minimum of a list of inputs (masked positions of an input are ignored).

    Raises:
        ValueError: if called on something other than a list, or shapes / batch sizes do not match.
    """

    def _combine(self, inputs, masks):
        return _masked_reduce(jnp.minimum, inputs, masks)


class Concatenate(_Merge):
    """Concatenates a list of inputs along `axis`.

    Args:
        axis: int, the axis to concatenate on (negative counts from the end; default the last).

    Input shape: a list of tensors of the same rank whose sizes agree on every axis but `axis`.
    Output shape: the same, with the sizes along `axis` summed.

    Raises:
        ValueError: if `axis` is not an int, or the inputs' ranks or non-axis sizes differ.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(axis):
            raise self._error(f"axis must be an int, got {axis!r}")
        self.axis = int(axis)

    def _output_shape(self, shapes):
        ranks = {len(s) for s in shapes}
        rank = ranks.pop()
        if ranks:
            raise self._error(f"requires inputs of the same rank; received input shapes {shapes}")
        if not -rank <= self.axis < rank:
            raise self._error(f"axis={self.axis} is out of range for inputs of rank {rank} (shapes {shapes})")
        axis, out = self.axis % rank, []
        for d in range(rank):
            sizes = [s[d] for s in shapes]
            if d == axis:
                out.append(None if None in sizes else sum(sizes))
                continue
            known = set(sizes) - {None}
            if len(known) > 1:
                raise self._error(
                    f"requires inputs with matching shapes except for the concatenation axis "
                    f"(axis={self.axis}); received input shapes {shapes}"
                )
            out.append(known.pop() if known else None)
        return tuple(out)

    def _merge(self, inputs, masks):
        return jnp.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        masks = self._mask_list(inputs, mask)
        if all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):
            x_shape = jnp.shape(x)
            if m is None:
                full.append(jnp.ones(x_shape, bool))
            else:
                full.append(jnp.broadcast_to(_expand_mask(m, len(x_shape)), x_shape))
        return jnp.any(jnp.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _l2_normalize(x, axis):
    square_sum = jnp.sum(jnp.square(x), axis=axis, keepdims=True)
    return x * jax.lax.rsqrt(jnp.maximum(square_sum, config.epsilon() ** 2))


class Dot(_Merge):
    """Dot product of two inputs over one axis each, per sample.

    For inputs `(batch, *a)` and `(batch, *b)`, the output keeps the first input's remaining
    axes then the second's: e.g. `(batch, 3, 5)` and `(batch, 10, 3)` with `axes=(1, 2)` give
    `(batch, 5, 10)`; two `(batch, d)` inputs give `(batch, 1)`.

    Args:
        axes: int, or a pair of ints (one axis per input); never the batch axis 0.
        normalize: whether to L2-normalize both inputs along their dot axis first (the output is
            then the cosine similarity).

    Raises:
        ValueError: if `axes` is not an int or a pair of ints, not called on exactly 2 inputs of
            rank >= 2, an axis is out of range or 0, or the two axes' sizes differ.
    """

    _num_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if _is_int(axes):
            self.axes = int(axes)
        elif isinstance(axes, (list, tuple)) and len(axes) == 2 and all(_is_int(a) for a in axes):
            self.axes = [int(a) for a in axes]
        else:
            raise self._error(f"axes must be an int or a pair of ints (one axis per input), got {axes!r}")
        self.normalize = bool(normalize)

    def _axes(self, shapes):
        pair = [self.axes] * 2 if _is_int(self.axes) else self.axes
        axes = []
        for a, shape in zip(pair, shapes):
            if not -len(shape) <= a < len(shape):
                raise self._error(f"axes={self.axes} is out of range for input shapes {shapes}")
            if a % len(shape) == 0:
                raise self._error(
                    f"cannot take the dot product over the batch axis 0 (axes={self.axes}, input shapes {shapes})"
                )
            axes.append(a % len(shape))
        return axes

    def _output_shape(self, shapes):
        if any(len(s) < 2 for s in shapes):
            raise self._error(f"expects two inputs of rank >= 2 (batch, ...); received input shapes {shapes}")
        batch = self._batch_size(shapes)
        (a0, a1), (s0, s1) = self._axes(shapes), shapes
        if s0[a0] is not None and s1[a1] is not None and s0[a0] != s1[a1]:
            raise self._error(
                f"incompatible input shapes: axis {a0} of the first input has size {s0[a0]}, axis {a1} of "
                f"the second has size {s1[a1]}; received input shapes {shapes}"
            )
        out = s0[1:a0] + s0[a0 + 1:] + s1[1:a1] + s1[a1 + 1:]
        return (batch,) + (out or (1,))

    def _merge(self, inputs, masks):
        x, y = inputs
        a0, a1 = self._axes([x.shape, y.shape])
        if self.normalize:
            x, y = _l2_normalize(x, a0), _l2_normalize(y, a1)
        dtype = jnp.result_type(x, y)
        out = jax.lax.dot_general(x.astype(dtype), y.astype(dtype), (((a0,), (a1,)), ((0,), (0,))))
        return jnp.reshape(out, (out.shape[0], 1)) if out.ndim == 1 else out

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    """Functional form of `Add`: `Add(**kwargs)(inputs)`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`: `Subtract(**kwargs)(inputs)`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`: `Multiply(**kwargs)(inputs)`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of `Average`: `Average(**kwargs)(inputs)`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`: `Maximum(**kwargs)(inputs)`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`: `Minimum(**kwargs)(inputs)`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`: `Concatenate(axis, **kwargs)(inputs)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of `Dot`: `Dot(axes, normalize, **kwargs)(inputs)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


# --------------------------------------------------------------------------------------------
# Keras 1: `Merge` / `merge` with a `mode`

_MODES = ("sum", "mul", "concat", "ave", "cos", "dot", "max")


def _dot_axes(dot_axes):
    return dot_axes if _is_int(dot_axes) else list(dot_axes)


def _layer_for_mode(mode, concat_axis, dot_axes, output_shape, output_mask, arguments, name):
    if callable(mode):
        from jkeras.layers.core import Lambda

        return Lambda(mode, output_shape=output_shape, mask=output_mask, arguments=arguments, name=name)
    builders = {
        "sum": lambda: Add(name=name), "mul": lambda: Multiply(name=name),
        "ave": lambda: Average(name=name), "max": lambda: Maximum(name=name),
        "concat": lambda: Concatenate(axis=concat_axis, name=name),
        "dot": lambda: Dot(axes=_dot_axes(dot_axes), name=name),
        "cos": lambda: Dot(axes=_dot_axes(dot_axes), normalize=True, name=name),
    }
    if mode not in builders:
        raise ValueError(f"Merge: mode must be one of {', '.join(_MODES)} or a function of the list of "
                         f"inputs; received mode={mode!r}")
    return builders[mode]()


def Merge(layers=None, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None,
          arguments=None, node_indices=None, tensor_indices=None, name=None):
    """Keras 1's merge layer: the Keras 2 layer of `mode`.

    Args:
        layers: optional list of at least 2 layers or models (built, one output each) whose outputs
            are merged now; such a merge can be the first layer of a `Sequential`, whose inputs
            are then those of the merged models, in order.
        mode: "sum", "mul", "concat", "ave", "cos" (cosine similarity), "dot", "max", or a function
            of the list of input tensors (then a `Lambda`).
        concat_axis: axis of "concat".
        dot_axes: axis (or pair of axes, batch axis counted) of "dot" and "cos".
        output_shape: output shape of a function `mode` (a tuple without the batch axis, or a
            function of the list of input shapes).
        output_mask: output mask of a function `mode` (a mask or a function of the input masks).
        arguments: keyword arguments for a function `mode`.
        node_indices: per layer, which of its calls' outputs to merge (default: its first).
        tensor_indices: per layer, which output of that call (for layers with several).
        name: layer name.

    Returns:
        A layer (`Add`, `Multiply`, `Average`, `Maximum`, `Concatenate`, `Dot` or `Lambda`).

    Raises:
        ValueError: for an unknown `mode`, fewer than 2 `layers`, or a layer with no output yet.
    """
    layer = _layer_for_mode(mode, concat_axis, dot_axes, output_shape, output_mask, arguments, name)
    if layers is None:
        return layer
    if not isinstance(layers, (list, tuple)) or len(layers) < 2:
        raise ValueError(f"Merge '{layer.name}': `layers` must be a list of at least 2 layers or models; "
                         f"received {layers!r}")
    tensors = []
    for i, source in enumerate(layers):
        node_index = node_indices[i] if node_indices else 0
        try:  # a model's first output is its own (Keras 1's node 0), a layer's its first call's
            own = getattr(source, "outputs", None) if node_index == 0 else None
            out = list(own) if own else source.get_output_at(node_index)
        except Exception as e:  # noqa: BLE001 - re-raised with the layer named
            raise ValueError(f"Merge '{layer.name}': layer '{getattr(source, 'name', source)}' has no output to "
                             f"merge yet (build it first, e.g. give its first layer `input_dim`)") from e
        if isinstance(out, (list, tuple)):
            out = out[tensor_indices[i] if tensor_indices else 0]
        tensors.append(out)
    from jkeras.models.node import get_source_inputs

    layer._keras1_merged = (get_source_inputs(tensors), layer(tensors))
    return layer


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None,
          arguments=None, name=None):
    """Keras 1's functional merge: `Merge(mode=mode, ...)(inputs)`.

    Args:
        inputs: list of at least 2 tensors.
        mode, concat_axis, dot_axes, output_shape, output_mask, arguments, name: as for `Merge`.

    Returns:
        The merged tensor.
    """
    return Merge(mode=mode, concat_axis=concat_axis, dot_axes=dot_axes, output_shape=output_shape,
                 output_mask=output_mask, arguments=arguments, name=name)(inputs)


class _CallableModule(type(jax)):
    """This module, callable as Keras 1's `keras.layers.merge(...)` function."""

    def __call__(self, inputs, **kwargs):
        return merge(inputs, **kwargs)


import sys as _sys  # noqa: E402

_sys.modules[__name__].__class__ = _CallableModule

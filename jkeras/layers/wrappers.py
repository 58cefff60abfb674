"""Wrappers: layers that hold other layers. TimeDistributed, Bidirectional.

A wrapper keeps its inner layers in `_sublayers`, so their weights sit under their names in the
wrapper's variables (`params["bidirectional"]["forward_lstm"]["kernel"]`) and its `weights` list
them in Keras's order.
"""
import jax
import jax.numpy as jnp

from jkeras.models.layer import Layer, map_structure_shapes
from jkeras.models.node import CallArgs, KerasTensor, flatten, map_structure
from jkeras.utils.random import next_key
from jkeras.models.variable import creation_scope
from jkeras.utils.serialization import deserialize_layer, serialize_layer, standardize_layer_config

__all__ = ["Bidirectional", "TimeDistributed", "Wrapper"]

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _layer_variables(variables, layer):
    """The part of a wrapper's `variables` that belongs to `layer`."""
    return {c: variables[c].get(layer.name, {}) for c in ("params", "state")}


def _nest(parts):
    """`{"params": {name: ...}, "state": {name: ...}}` from `[(layer, variables), ...]`."""
    out = {"params": {}, "state": {}}
    for layer, v in parts:
        for collection in ("params", "state"):
            if v[collection]:
                out[collection][layer.name] = v[collection]
    return out


class Wrapper(Layer):
    """Base of layers that wrap another layer.

    Args:
        layer: the wrapped layer instance (its weights become the wrapper's).

    Raises:
        ValueError: if `layer` is not a layer instance.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise self._error(f"layer must be a jkeras Layer instance, got {layer!r} of type {type(layer).__name__}")
        self.layer = layer
        self._sublayers = [layer]

    def _child_input_shapes(self, input_shape):
        """`[(sublayer, its input shape), ...]` for a wrapper input of `input_shape`."""
        return [(self.layer, input_shape)]

    def build(self, input_shape):
        """Builds each inner layer that is not built yet; a built one keeps its (shared) weights."""
        with creation_scope(self):  # the inner weights' paths start with this wrapper's name
            for layer, shape in self._child_input_shapes(input_shape):
                layer._maybe_build(shape)
        self.built = True
        self._build_input_shape = input_shape
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def init(self, rng, input_shape):
        parts = []
        for i, (layer, shape) in enumerate(self._child_input_shapes(input_shape)):
            parts.append((layer, layer.init(jax.random.fold_in(rng, i), shape)))
        return _nest(parts)

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = standardize_layer_config(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects=custom_objects)
        return cls(**config)


class TimeDistributed(Wrapper):
    """Applies `layer` to every time slice of its input: `(batch, time, ...) -> (batch, time, ...)`.

    The time axis is folded into the batch axis, so the inner layer runs once on
    `(batch * time, ...)` with the same weights for every step. The inner layer may be any layer,
    a whole `Model` included; a layer or model used elsewhere too shares its weights.

    Args:
        layer: the layer applied to each slice `(batch, ...)`.

    Call arguments:
        inputs: array of shape `(batch, time, ...)` (or a list of them, same batch and time).
        mask: optional boolean mask `(batch, time, ...)`; the slice `(batch * time, ...)` reaches
            the inner layer, the output carries the input mask (or the inner layer's, unfolded).

    Raises:
        ValueError: if `layer` is not a layer, the input has rank < 3, or the mask's first two axes
            differ from the input's.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_input_shapes(self, input_shape):
        return [(self.layer, map_structure_shapes(lambda s: (s[0],) + tuple(s[2:]), input_shape))]

    def _check_input_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        for shape in shapes:
            if len(shape) < 3:
                raise self._error(
                    f"expected an input of rank >= 3 (batch, time, ...), got shape {tuple(shape)}"
                )
        if len({tuple(s[:2]) for s in shapes}) > 1:
            raise self._error(f"every input must have the same batch and time sizes, got shapes {shapes}")
        self.layer._check_input_shape(self._child_input_shapes(input_shape)[0][1])

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        first = flatten(inputs)[0]
        batch, steps = first.shape[0], first.shape[1]
        if mask is not None:
            self._check_mask(jnp.shape(mask), first.shape)
            mask = jnp.reshape(mask, (batch * steps,) + jnp.shape(mask)[2:])
        folded = map_structure(lambda x: jnp.reshape(x, (batch * steps,) + x.shape[2:]), inputs)
        outputs, inner_state = self.layer.forward(
            _layer_variables(variables, self.layer), folded, training=training, rng=rng, mask=mask
        )
        outputs = map_structure(lambda y: jnp.reshape(y, (batch, steps) + y.shape[1:]), outputs)
        state = dict(variables["state"])
        if inner_state:
            state[self.layer.name] = inner_state
        return outputs, state

    def _check_mask(self, mask_shape, input_shape):
        if len(mask_shape) < 2:
            raise self._error(
                f"the mask must be at least 2D (batch, time), got a mask of shape {tuple(mask_shape)}"
            )
        if tuple(mask_shape[:2]) != tuple(input_shape[:2]):
            raise self._error(
                f"the mask's first two axes (batch, time) must match the input's: expected a mask of "
                f"shape ({input_shape[0]}, {input_shape[1]}, ...), got {tuple(mask_shape)}"
            )

    def compute_mask(self, inputs, mask=None):
        """The inner layer's mask of the folded slices, unfolded; else the input mask (Keras 3)."""
        first = flatten(inputs)[0]
        if isinstance(first, KerasTensor) or (mask is None and not self.layer.supports_masking):
            return mask
        batch, steps = first.shape[0], first.shape[1]
        folded = map_structure(lambda x: jnp.reshape(x, (batch * steps,) + jnp.shape(x)[2:]), inputs)
        folded_mask = None if mask is None else jnp.reshape(mask, (batch * steps,) + jnp.shape(mask)[2:])
        inner = self.layer.compute_mask(folded, folded_mask)
        if inner is None or isinstance(inner, (list, tuple)):
            return mask
        return jnp.reshape(inner, (batch, steps) + jnp.shape(inner)[1:])

    def compute_output_shape(self, input_shape):
        child_shape = self._child_input_shapes(input_shape)[0][1]
        steps = _shape_list(input_shape)[0][1]
        inner = self.layer.compute_output_shape(child_shape)
        return map_structure_shapes(lambda s: (s[0], steps) + tuple(s[1:]), inner)


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and backwards over the sequence and merges the outputs.

    The forward and backward layers are fresh copies built from `layer`'s config, named
    `forward_<name>` and `backward_<name>` (the backward one with `go_backwards` flipped); their
    weights are `forward_<name>`'s then `backward_<name>`'s.

    Args:
        layer: a recurrent layer (`LSTM`, `GRU`, `SimpleRNN`, `RNN`, or any layer with
            `go_backwards`, `return_sequences`, `return_state` and `get_config` / `from_config`).
        merge_mode: how the two outputs combine: "concat" (last axis, the default), "sum", "mul",
            "ave", or None (a list `[forward, backward]`).
        weights: optional initial weights, as `set_weights` takes them.
        backward_layer: optional layer for the backward direction (its `go_backwards` must differ
            from `layer`'s, its `stateful` / `return_sequences` / `return_state` must match).

    Call arguments:
        inputs: array `(batch, time, features)`.
        mask: optional boolean mask `(batch, time)`, passed to both directions.
        initial_state: optional list of states: the first half goes to the forward layer, the
            second half to the backward layer.

    Output:
        the merged output (`(batch, time, 2 * units)` for "concat" with `return_sequences`); with
        `return_state`, a list `[output(s), forward states..., backward states...]`.

    Raises:
        ValueError: for a `layer` / `backward_layer` that is not a layer, an unknown `merge_mode`, or
            a `backward_layer` whose configuration does not pair with `layer`.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if weights is not None:
            kwargs["weights"] = weights
        inner_shape = getattr(layer, "_batch_input_shape", None)
        if inner_shape is not None and kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None:
            kwargs["batch_input_shape"] = inner_shape  # Keras 2: Bidirectional(LSTM(..., input_shape=...))
        super().__init__(layer, **kwargs)
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise self._error(
                f"backward_layer must be a jkeras Layer instance, got {backward_layer!r} "
                f"of type {type(backward_layer).__name__}"
            )
        if merge_mode not in _MERGE_MODES:
            raise self._error(
                f"merge_mode must be one of 'concat', 'sum', 'mul', 'ave' or None, got {merge_mode!r}"
            )
        for attr in ("go_backwards", "return_sequences", "return_state"):
            if not hasattr(layer, attr):
                raise self._error(
                    f"layer must be a recurrent layer with a `{attr}` attribute (LSTM, GRU, SimpleRNN, "
                    f"RNN), got {type(layer).__name__}"
                )
        self.forward_layer = _copy_layer(layer, "forward_" + _removeprefix(layer.name, "forward_"))
        if backward_layer is None:
            self.backward_layer = _copy_layer(
                layer, "backward_" + _removeprefix(layer.name, "backward_"), go_backwards=not layer.go_backwards
            )
        else:
            self.backward_layer = backward_layer
        self._verify_pair()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.layer = self.forward_layer  # the given `layer` itself is not used (as in Keras)
        self._sublayers = [self.forward_layer, self.backward_layer]
        self.merge_mode = merge_mode
        self.stateful = bool(getattr(layer, "stateful", False))
        self.return_sequences = bool(layer.return_sequences)
        self.return_state = bool(layer.return_state)
        self.supports_masking = True

    def _verify_pair(self):
        forward, backward = self.forward_layer, self.backward_layer
        if bool(forward.go_backwards) == bool(getattr(backward, "go_backwards", forward.go_backwards)):
            raise self._error(
                "the forward and backward layers must have different go_backwards values, got "
                f"forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={getattr(backward, 'go_backwards', None)}"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            f, b = getattr(forward, attr, False), getattr(backward, attr, False)
            if f != b:
                raise self._error(
                    f"the forward and backward layers must have the same {attr}, got {f!r} for the "
                    f"forward layer and {b!r} for the backward layer"
                )

    def _child_input_shapes(self, input_shape):
        shape = _sequence_shape(input_shape)
        return [(self.forward_layer, shape), (self.backward_layer, shape)]

    def _check_input_shape(self, input_shape):
        shape = _sequence_shape(input_shape)
        self.forward_layer._check_input_shape(shape)
        self.backward_layer._check_input_shape(shape)

    def __call__(self, inputs, initial_state=None, **kwargs):
        # Initial states are call arguments (Keras 3's `sequences`, `initial_state`), so symbolic
        # states are graph edges and the saved node is Keras 3's; Keras 2's `[sequences, *states]` works too.
        if initial_state is not None:
            if isinstance(inputs, (list, tuple)):
                states = flatten(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
                return super().__call__(list(inputs) + states, **kwargs)
            if isinstance(initial_state, tuple):
                initial_state = list(initial_state)
            inputs = CallArgs({"sequences": inputs, "initial_state": initial_state}, 1)
        return super().__call__(inputs, **kwargs)

    def _eager_call(self, inputs, training=None, mask=None, **kwargs):
        if not self.stateful:
            return super()._eager_call(inputs, training=training, mask=mask, **kwargs)
        # A stateful pair keeps its final states for the next call, in inference too.
        inputs = map_structure(jnp.asarray, inputs)
        shapes = map_structure(lambda a: tuple(a.shape), inputs)
        self._check_input_shape(shapes)
        self._maybe_build(shapes)
        variables = self.get_variables()
        outputs, new_state = self.forward(
            variables, inputs, training=bool(training), rng=next_key() if training else None, mask=mask, **kwargs
        )
        self.set_variables({"params": variables["params"], "state": new_state})
        return outputs

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None, initial_state=None):
        if isinstance(inputs, CallArgs):
            initial_state = inputs.values.get("initial_state", initial_state)
            inputs = inputs.first()
        if isinstance(mask, CallArgs):
            mask = mask.first()
        if isinstance(inputs, (list, tuple)):
            inputs, extra = inputs[0], list(inputs[1:])
            if extra:
                initial_state = extra if initial_state is None else list(initial_state)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = list(initial_state)
            if len(initial_state) % 2:
                raise self._error(
                    "initial_state must hold the forward states then the backward states (an even "
                    f"number of arrays), got {len(initial_state)}"
                )
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        rng_f, rng_b = (None, None) if rng is None else jax.random.split(rng)
        state = dict(variables["state"])
        results = []
        for layer, key, init_state in ((self.forward_layer, rng_f, forward_state),
                                       (self.backward_layer, rng_b, backward_state)):
            extra_kwargs = {} if init_state is None else {"initial_state": init_state}
            out, new_state = layer.forward(
                _layer_variables(variables, layer), inputs, training=training, rng=key, mask=mask, **extra_kwargs
            )
            if new_state:
                state[layer.name] = new_state
            results.append(out)
        y, y_rev = results
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        output = self._merge(y, y_rev)
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states, state
        return output, state

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return jnp.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def compute_output_shape(self, input_shape):
        shape = _sequence_shape(input_shape)
        output_shape = self.forward_layer.compute_output_shape(shape)
        state_shapes = []
        if self.return_state:
            output_shape, state_shapes = tuple(output_shape[0]), [tuple(s) for s in output_shape[1:]]
        output_shape = tuple(output_shape)
        if self.merge_mode == "concat":
            last = output_shape[-1]
            output_shape = output_shape[:-1] + (None if last is None else 2 * last,)
        outputs = [output_shape, output_shape] if self.merge_mode is None else [output_shape]
        if self.return_state:
            return outputs + state_shapes + state_shapes
        return outputs if self.merge_mode is None else output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, CallArgs):
            mask = mask.first()
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        kept = mask if self.return_sequences else None
        masks = [kept, kept] if self.merge_mode is None else [kept]
        if self.return_state:
            sequences = inputs.first() if isinstance(inputs, CallArgs) else inputs
            sequences = sequences[0] if isinstance(sequences, (list, tuple)) else sequences
            shapes = self.forward_layer.compute_output_shape(tuple(jnp.shape(sequences)))
            return masks + [None] * (2 * (len(shapes) - 1))
        return masks if self.merge_mode is None else kept

    def get_config(self):
        return {
            **Layer.get_config(self),  # not Wrapper's: "layer" is the forward copy
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = standardize_layer_config(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects=custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"], custom_objects=custom_objects)
        return cls(**config)


def _copy_layer(layer, name, **overrides):
    """A fresh layer of `layer`'s class from its config (no weights carried over)."""
    config = {**layer.get_config(), "name": name, **overrides}
    return type(layer).from_config(config)


def _removeprefix(text, prefix):
    return text[len(prefix):] if text.startswith(prefix) else text


def _sequence_shape(input_shape):
    """The sequence's shape from a shape, a list `[sequence shape, state shapes...]` or the shapes
    of a call with `initial_state` (`CallArgs`)."""
    if isinstance(input_shape, CallArgs):
        input_shape = input_shape.first()
    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
        return tuple(input_shape[0])
    return tuple(input_shape)


def _shape_list(shape):
    """The shape tuples in a shape or a nested list / dict of shapes."""
    found = []
    map_structure_shapes(found.append, shape)
    return found

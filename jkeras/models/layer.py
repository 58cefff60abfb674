"""`Layer`: the base of every layer and model.

A layer holds its configuration and, once built, its current weights. Its computation is the pure
pair `init(rng, input_shape) -> variables` and
`apply(variables, inputs, *, training=False, rng=None, mask=None) -> (outputs, new_state)`, where
`variables = {"params": {...}, "state": {...}}`. The stateful Keras methods (`__call__`, `build`,
`get_weights`, ...) are built on that pair.
"""
import contextlib
import difflib
import functools
import inspect
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jkeras import mixed_precision
from jkeras.core import config
from jkeras.core import step
from jkeras.core.scope import add_loss, collect_losses, short_batch_size, valid_rows
from jkeras.models import _sharding, build_guard, call_scope, captures, masks, remat, shared_layers
from jkeras.models.node import (
    CallArgs, KerasHistory, KerasTensor, Node, NodeAccessors, flatten, is_symbolic, map_structure,
)
from jkeras.models.variable import KerasVariable, Variable, _building, _register, creation_scope, record_path
from jkeras.utils import legacy, naming
from jkeras.saving.layer_hooks import LayerSavingHooks
from jkeras.utils.random import next_call_key, next_key

_BASE_KWARGS = (
    "trainable", "name", "dtype", "input_shape", "batch_input_shape", "batch_size", "input_dim",
    "weights", "autocast", "dynamic", "activity_regularizer",
)


def _empty():
    return {"params": {}, "state": {}}


def _is_shape(s):
    return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in s)


def _infer_sizes(shape, size):
    return tuple(size if d is None else d for d in shape)


def _named_inference_error(layer, inputs, size, error):
    """`error`, raised while tracing `layer`'s call on symbolic `inputs` (unknown sizes set to
    `size`), as an error that names the layer and the shapes it was given, as Keras 3's "Could not
    automatically infer the output shape"; an error that already names the layer, or of another
    type than ValueError / TypeError, is returned as it is."""
    if type(error) not in (ValueError, TypeError) or layer.name in str(error):
        return error
    shapes = [tuple(t.shape) for t in flatten(inputs) if isinstance(t, KerasTensor)]
    shown = shapes[0] if len(shapes) == 1 else shapes
    named = type(error)(
        f"{type(layer).__name__} '{layer.name}': could not infer its output from inputs of shape {shown} "
        f"(its call was traced with {size} for each unknown size; define `compute_output_shape` if the "
        f"call needs the real sizes): {error}")
    named.__cause__ = error
    return named


_NOT_GIVEN = object()  # `Layer.__call__` without a positional first argument


_DIVISIBLE_SIZE = 720720  # the least common multiple of 1..16: a stand-in size for unknown dimensions


class Layer(legacy.Converted, NodeAccessors, LayerSavingHooks):
    """Base class of all layers.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: unique name; a default like `dense_1` is given when None.
        dtype: dtype of the weights and computation, or a mixed-precision policy name
            ("mixed_bfloat16", "mixed_float16") or `jkeras.mixed_precision.DTypePolicy`;
            default: the global policy (`jkeras.mixed_precision.global_policy()`, "float32").
        input_shape: shape of one sample (no batch axis), for the first layer of a `Sequential`.
        batch_input_shape: full input shape, batch axis included.
        batch_size: fixed batch size, with `input_shape`.
        input_dim: Keras 2 shorthand for `input_shape=(input_dim,)`.
        weights: initial weights, a list as `set_weights` takes, applied once the layer is built.
        activity_regularizer: a regularizer applied to the layer's output; adds to the training loss.

    Raises:
        TypeError: for an unknown keyword argument (the message suggests the nearest valid one).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_output_shape_for" in cls.__dict__ and "compute_output_shape" not in cls.__dict__:
            cls.compute_output_shape = cls.__dict__["get_output_shape_for"]  # Keras 1's name
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_jkeras_base", False) and not hasattr(build, "_direct"):
            cls.build = _routed_build(build)
        if _pure_ancestor(cls) is not None and _computes_in_call(cls):
            # A built-in layer subclassed the Keras way (`call` / `build` overridden): it computes
            # in its `call`, `super().call()` and `super().build()` reaching the built-in's
            # pure pair (`Layer.call` / `Layer.build`).
            for name in ("init", "apply"):
                if name not in cls.__dict__:
                    setattr(cls, name, getattr(Layer, name))

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        early = [(k, v) for k, v in self.__dict__.items() if not k.startswith("_")]
        self.__dict__.update(_weight_attrs={}, _added_regularizers={}, _added_constraints={}, _sublayers=[],
                             _init_weights=[], _auto_weight_names=[], _init_auto_count=0, _losses=[])
        if early:  # attributes set before `super().__init__()` are tracked too, as Keras 3 tracks them
            from jkeras.random import track_seed_generators  # late: jkeras.random imports the backend

            for attr, value in early:
                self.__dict__[attr] = self._track(value)
                track_seed_generators(self, attr, value)
        unknown = [k for k in kwargs if k not in _BASE_KWARGS]
        if unknown:
            raise TypeError(self._unknown_kwarg_message(unknown[0], name))
        self.name = name if name is not None else naming.uniquify(naming.to_snake_case(type(self).__name__))
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"{type(self).__name__}: name must be a non-empty str, got {name!r}")
        self._trainable = bool(trainable)
        try:
            self.dtype_policy = mixed_precision.get(dtype)
        except (TypeError, ValueError):
            raise TypeError(f"{type(self).__name__} '{self.name}': dtype must be a dtype name such as "
                            f"'float32' or a policy name such as 'mixed_bfloat16', got {dtype!r}") from None
        self.built = False
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask  # as Keras 3
        self._params = {}
        self._state = {}
        self._inbound_nodes = []
        self._outbound_nodes = []  # calls of other layers on this layer's outputs (Keras 2's)
        self._build_input_shape = None
        self._batch_input_shape = self._batch_input_shape_from(kwargs)
        self._initial_weights = kwargs.get("weights")
        self._remat_mode = remat.current_mode()
        from jkeras.core import regularizers  # resolved late: the core module is independent of layers

        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))

    # ----------------------------------------------------------------------------------------
    # Construction helpers

    def _unknown_kwarg_message(self, key, name):
        valid = set(_BASE_KWARGS)
        for cls in type(self).__mro__:
            if "__init__" in cls.__dict__:
                valid.update(p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs"))
        hint = difflib.get_close_matches(key, sorted(valid), n=1)
        label = f"{type(self).__name__}" + (f" '{name}'" if name else "")
        msg = f"{label}: unexpected keyword argument '{key}'."
        return msg + (f" Did you mean '{hint[0]}'?" if hint else f" Valid arguments: {sorted(valid)}")

    def _batch_input_shape_from(self, kwargs):
        if kwargs.get("batch_input_shape") is not None:
            return tuple(kwargs["batch_input_shape"])
        shape = kwargs.get("input_shape")
        if shape is None and kwargs.get("input_dim") is not None:
            shape = (kwargs["input_dim"],)
        if shape is None:
            return None
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        return (kwargs.get("batch_size"),) + tuple(shape)

    @property
    def dtype(self):
        """The dtype of the layer's weights (the policy's `variable_dtype`)."""
        return self.dtype_policy.variable_dtype

    @dtype.setter
    def dtype(self, value):
        self.dtype_policy = mixed_precision.get(value)

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs (the policy's `compute_dtype`)."""
        return self.dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights."""
        return self.dtype_policy.variable_dtype

    @property
    def quantization_mode(self):
        """The quantization mode of the layer ("int8"), None when it is not quantized."""
        return self.dtype_policy.quantization_mode

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantizes the layer's weights in place (Keras 3's post-training quantization).

        `Dense`, `EinsumDense` and `Embedding` support mode "int8": the matrix weight becomes int8
        with a float scale per output channel, and the layer's policy becomes "int8_from_<policy>".
        They also support "int4" (two int4 values per byte; per channel, or per group of
        `block_size` rows with zero points: policy "int4/<block_size>_from_<policy>").

        Args:
            mode: the quantization mode, "int8" or "int4" (optional when `config` says it).
            type_check: refuse subclasses of the supporting layers (as Keras 3 does).
            config: optional `jkeras.quantizers.Int8QuantizationConfig` /
                `Int4QuantizationConfig` choosing the quantizers (and the int4 block size).

        Raises:
            ValueError: for an unknown mode, neither mode nor config, a layer not built yet, a layer
                already quantized, or int8 with a float16 compute dtype.
            NotImplementedError: for a layer (or a subclass) without quantization support, or a
                mode jkeras does not implement ("float8", "gptq", "awq").
        """
        from jkeras import quantizers

        mode, config = quantizers.resolve_mode(mode, config)
        self._check_quantize_args(mode)
        self._quantize(mode, type_check, config)

    def _check_quantize_args(self, mode):
        if not self.built:
            raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer '{self.name}' (of type "
                             f"'{type(self).__name__}') is not built yet.")
        if self.quantization_mode is not None:
            raise ValueError(f"Layer '{self.name}' is already quantized with dtype_policy="
                             f"'{self.dtype_policy.name}'. Received: mode={mode}")
        if mode == "int8" and self.compute_dtype == "float16":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. Consider "
                             "loading model/layer with another dtype policy such as 'mixed_bfloat16' or "
                             "'mixed_float16' before calling `quantize()`.")

    def _quantize(self, mode, type_check, config):
        """The layer's own quantization (`quantize` checked the arguments): none by default."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` method implemented.")

    def _error(self, message):
        """A ValueError whose message starts with this layer's class and name."""
        return ValueError(f"{type(self).__name__} '{self.name}': {message}")

    # ----------------------------------------------------------------------------------------
    # The pure pair (override in subclasses)

    def init(self, rng, input_shape, *, call_kwargs=None):
        """Creates fresh weights for inputs of `input_shape` (batch axis included, may be None).

        A Keras-style layer (one that defines `call`) gets this from its `build` and `call`: see
        `jkeras.models.call_scope`.

        Args:
            rng: a `jax.random` key.
            input_shape: a shape tuple, or a list of them for several inputs.
            call_kwargs: the call's other (non-tensor) arguments, which the call on zeros that
                creates the weights gets too (`block(x, height, width)`: a `call` that needs them).

        Returns:
            `{"params": {...}, "state": {...}}`.
        """
        if not self._keras_style:
            return _empty()
        active, _eager_losses.active = _eager_losses.active, False
        # A `build` that ends with `self.built = True` (as Keras layers' do) must not mark the layer
        # built here: `init` only computes weights, which the caller stores (`_set_variables`).
        was_built = self.__dict__.get("built", False)
        try:
            # The call on zeros only creates weights: the losses it adds go nowhere.
            with call_scope.opened(self._init_scope(rng)) as scope, collect_losses(), \
                    captures.bind(captures.stand_ins(_capturing.tensors, 1)):
                if not getattr(type(self).build, "_jkeras_base", False):
                    _call_with_shapes(self.build, input_shape)
                elif _pure_ancestor(type(self)) is not None:
                    self._create_pure_weights(scope, input_shape)
                self._call_keras_style(call_scope.zeros_like_shape(input_shape, self._input_dtype()),
                                       dict(call_kwargs or {}), False, masks.build_mask(self))
                for sub in self._sublayers:  # built ones `call` does not use (a distiller's teacher) keep theirs
                    if sub.built and sub.weights:
                        scope.create_sublayer(sub, None)
        finally:
            _eager_losses.active = active
            self.__dict__["built"] = was_built
        return shared_layers.drop_later(scope.variables(), shared_layers.places(self)[1])

    def _with_init_weights(self, variables):
        """`variables` plus the weights made in `__init__` (a `keras.Variable` attribute of a subclass
        of a built-in layer, as keras-io vit_small_ds's attention temperature `self.tau`), which the
        built-in's `init` does not know."""
        if not self._init_weights:
            return variables
        out = {c: dict(variables.get(c, {})) for c in ("params", "state")}
        for collection, name in self._init_weights:
            out[collection].setdefault(name, getattr(self, "_" + collection)[name])
        return out

    def _init_scope(self, rng):
        """The `InitScope` of a Keras-style build, holding the weights made in `__init__`."""
        made_in_init = {c: {n: getattr(self, "_" + c)[n] for c2, n in self._init_weights if c2 == c}
                        for c in ("params", "state")}
        return call_scope.InitScope(self, rng, made_in_init)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None, **kwargs):
        """Computes the layer's outputs (pure).

        Args:
            variables: `{"params": ..., "state": ...}` as `init` returns.
            inputs: an array, or a list of arrays.
            training: whether to run in training mode (dropout on, batch statistics).
            rng: a `jax.random` key for random layers in training mode.
            mask: optional boolean mask of the inputs.

        Returns:
            `(outputs, new_state)`.
        """
        if not self._keras_style:
            raise NotImplementedError(f"{type(self).__name__} implements neither apply() nor call()")
        later = shared_layers.places(self)[1]  # a layer held twice: its one copy read at each place
        variables = shared_layers.expand(variables, later)
        with call_scope.opened(call_scope.ApplyScope(self, variables, training, rng)) as scope:
            outputs = self._call_keras_style(inputs, kwargs, training, mask)
        if scope.handed_out:
            outputs = call_scope.materialize(outputs)
        return outputs, shared_layers.fold_state(scope.state, variables.get("state", {}), later)

    def call(self, inputs, *args, **kwargs):
        """Keras-style computation: override it (with `build` and `add_weight`) instead of `apply`.

        In a subclass of a built-in layer, `super().call(inputs)` runs the built-in computation
        on the layer's current weights."""
        pure = _pure_ancestor(type(self))
        scope = call_scope.scope_of(self)
        if pure is None or scope is None:
            raise NotImplementedError(f"{type(self).__name__} defines no call()")
        training = bool(kwargs.pop("training", scope.training))
        mask = kwargs.pop("mask", None)
        variables = {"params": scope.params, "state": scope.state}
        outputs, new_state = pure.apply(self, variables, inputs, *args, training=training, rng=scope.next_rng(),
                                        mask=mask, **kwargs)
        for name, value in new_state.items():
            if value is not scope.state.get(name):
                scope.assign("state", name, value)  # e.g. BatchNormalization's moving statistics
        return outputs

    def _create_pure_weights(self, scope, input_shape):
        """In an `init` of a subclassed built-in layer: the built-in's own weights, in its order."""
        made = _pure_ancestor(type(self)).init(self, scope.next_rng(), input_shape)
        for collection in ("params", "state"):
            for name, value in made[collection].items():
                scope.create(collection, name, value)

    @property
    def _keras_style(self):
        return type(self).call is not Layer.call

    @property
    def _tracks_layers(self):
        """Whether layers set as attributes become sublayers (Keras 3's attribute tracking): in
        layers written the Keras way, with `call`."""
        return self._keras_style

    def _call_keras_style(self, inputs, kwargs, training, mask):
        params = _call_parameters(type(self))
        kwargs = dict(kwargs)
        if "training" in params:
            kwargs["training"] = training
        if isinstance(inputs, CallArgs):
            given = mask
            if "mask" in params and isinstance(mask, CallArgs):
                mask = mask.first()  # Keras passes the mask of the first argument
            if "mask" in params and mask is not None:
                kwargs["mask"] = mask
            values = list(inputs.values.values())
            leading = values[:inputs.positional]
            with masks.attached(inputs, given):
                return self.call(*leading, **dict(list(inputs.values.items())[inputs.positional:]), **kwargs)
        if "mask" in params and mask is not None:
            kwargs["mask"] = mask
        with masks.attached(inputs, mask):  # Keras 3's input tensors carry their masks into `call`
            return self.call(inputs, **kwargs)

    def _input_dtype(self):
        return getattr(self, "input_dtype", None) or config.floatx()

    def add_update(self, updates, inputs=None):
        """Keras 2: registers weight updates made in `call` (`K.moving_average_update(...)`).

        As in tf.keras 2 with eager execution, the updates already happened when they were
        computed (`K.update` assigns the weight, recorded by the step); this call does nothing else.
        """
        del updates, inputs

    @property
    def updates(self):
        """Keras 2: the pending update ops; always empty (updates apply when computed)."""
        return []

    @updates.setter
    def updates(self, updates):
        """Keras 1: `self.updates = [(weight, new_value), ...]` in `call` sets those weights (in
        training, as `K.update`); update results of Keras 2 (`K.update(...)`) already applied."""
        from jkeras import backend

        for update in updates or ():
            if isinstance(update, tuple) and len(update) == 2:
                backend.update(*update)

    def add_loss(self, loss, inputs=None):
        """Adds `loss` (a scalar computed in `call`, e.g. a VAE's KL term) to the training loss.

        Called inside `call`: `fit`, `evaluate` and `train_on_batch` add it to the compiled
        loss of that batch. After a call on data (not inside `fit`), `layer.losses` lists the
        losses added during that call, as in Keras; `apply` itself stays pure.

        Args:
            loss: an array (summed over its entries in the training loss, as Keras 3 sums it),
                or a list of them.
            inputs: Keras 2's inputs the loss depends on (`self.add_loss(loss, inputs=inputs)`);
                ignored: a loss added in `call` is always that call's.
        """
        for value in (loss if isinstance(loss, (list, tuple)) else [loss]):
            self._add_own_loss(jnp.asarray(value))

    def _add_own_loss(self, value):
        """Adds `value` to the enclosing `collect_losses()` block and, during an eager call,
        notes this layer as its owner (for `layer.losses`)."""
        add_loss(value)
        if _eager_losses.active:
            _eager_losses.owners[id(value)] = self

    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True, regularizer=None,
                   constraint=None, name=None, **kwargs):
        """Creates a weight of this layer (in `build`, or in `__init__`); returns a `Variable`.

        A weight made in `__init__` is one of the layer's variables from then on: `init` returns
        its current value and the layer's first call uses it.

        Keras 3 order `add_weight(shape, initializer, ...)` and Keras 2 order
        `add_weight(name, shape, dtype, initializer, regularizer, trainable, constraint)` both work.

        Args:
            shape: the weight's shape.
            initializer: initializer name or object (default glorot_uniform for floats, zeros otherwise).
            dtype: dtype (default the layer's).
            trainable: False puts the weight in the non-trainable `state`.
            regularizer: optional regularizer (adds to the loss).
            constraint: optional constraint (applied after each update).
            name: the weight's name (default `variable`, `variable_1`, ..., unique in the session as
                Keras names them).

        Returns:
            A `Variable`; reading the attribute it is stored in inside `call` gives the array.
        """
        from jkeras.core import constraints, initializers, regularizers

        keras2 = ("name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint")
        keras3 = ("shape", "initializer", "dtype", "trainable", "regularizer", "constraint")
        given = dict(zip(keras2 if args and isinstance(args[0], str) else keras3, args))
        shape = tuple(given.get("shape", shape) or ())
        dtype = str(jnp.dtype(given.get("dtype", dtype) or self.dtype))
        trainable = bool(given.get("trainable", trainable))
        name = given.get("name", name)
        initializer = given.get("initializer", initializer)
        if initializer is None:
            initializer = "glorot_uniform" if np.issubdtype(np.dtype(dtype), np.floating) else "zeros"
        collection = "params" if trainable else "state"
        taken = set(self._params) | set(self._state)
        scope = call_scope.scope_of(self)
        if scope is not None:
            taken |= set(scope.params) | set(scope.state)
        creating = scope is not None and scope.creating
        if name is None:
            name = self._auto_weight_name(scope if creating else None, taken)
        key = scope.next_rng() if creating else next_key()
        value = jnp.asarray(initializers.get(initializer)(shape, dtype, key=key), dtype)
        self._added_regularizers[name] = regularizers.get(given.get("regularizer", regularizer))
        self._added_constraints[name] = constraints.get(given.get("constraint", constraint))
        if creating:
            scope.create(collection, name, value)
        else:
            getattr(self, "_" + collection)[name] = value
            if not self.built and (collection, name) not in self._init_weights:
                # Made in `__init__`: part of the layer's variables from now on (`init` returns it),
                # its path fixed now, as Keras names it when it is created.
                self._init_weights.append((collection, name))
                if not hasattr(self, "_init_weights_path"):
                    record_path(self)
                    self._init_weights_path = self._weights_path
        return self._variable(collection, name)

    def _variable(self, collection, name):
        """The `Variable` of own weight `name`, the same object each time (`weights == [w, b]`)."""
        handles = self.__dict__.setdefault("_variable_handles", {})
        var = handles.get((collection, name))
        if var is None:
            cls = _InitVariable if (collection, name) in self._init_weights else Variable
            var = handles[(collection, name)] = cls(self, collection, name)
        return var

    def _auto_weight_name(self, scope, taken):
        """The name of an unnamed weight: `variable`, `variable_1`, ... unique in the session, as
        Keras names them; the k-th unnamed weight `build` creates keeps its name at every `init`."""
        names = self._auto_weight_names
        index = None
        if scope is not None:
            index = self._init_auto_count + scope.unnamed
            scope.unnamed += 1
        if index is not None and index < len(names) and names[index] not in taken:
            return names[index]
        name = naming.uniquify("variable")
        while name in taken:
            name = naming.uniquify("variable")
        if index is not None and index < len(names):
            names[index] = name
        else:
            names.append(name)
        if scope is None and not self.built:
            self._init_auto_count = len(names)
        return name

    def __setattr__(self, name, value):
        if name == "activation" and value is None and callable(self.__dict__.get("activation")):
            # `model.layers[-1].activation = None` (grad_cam.py): Keras layers skip a None
            # activation, so the layer computes without one (linear).
            from jkeras.core import activations

            value = activations.linear
        attrs = self.__dict__.get("_weight_attrs")
        if attrs is not None and type(value) is KerasVariable and not name.startswith("_"):
            # A `jkeras.Variable` set on a layer is one of its weights, as Keras tracks it.
            made_in_init = not self.built
            value = self.add_weight(shape=value.shape, initializer=value.value, dtype=value.dtype,
                                    trainable=value.trainable, name=value.name)
            if made_in_init:  # Keras 3 keeps the variable's own path: "variable", not "layer/variable"
                outer = [owner.name for owner in getattr(_building, "stack", ()) if owner is not self]
                self.__dict__.setdefault("_keras_variable_paths", {})[(value._collection, value.name)] = \
                    "/".join(outer + [value.name])
        if attrs is not None and isinstance(value, Variable) and value._layer is self:
            attrs[name] = value
            self.__dict__.pop(name, None)
            return
        if (self.__dict__.get("built") and not name.startswith("_") and name not in self.__dict__
                and any(name in self.__dict__.get(t, {}) for t in ("_params", "_state"))):
            raise AttributeError(
                f"{type(self).__name__} '{self.name}': `{name}` is one of the layer's weights and cannot "
                f"be replaced; set its value with `layer.{name}.assign(value)`"
            )
        if self.__dict__.get("_sublayers") is not None and not name.startswith("_"):
            value = self._track(value)
        if self.__dict__.get("_sublayers") is not None:
            from jkeras.random import track_seed_generators  # late: jkeras.random imports the backend

            track_seed_generators(self, name, value)  # Keras 3: a SeedGenerator's state is layer state
        object.__setattr__(self, name, value)

    def _track(self, value):
        """Keras 3's attribute tracking: a metric set on the layer is listed by `model.metrics`; a
        layer set on a Keras-style layer, also inside a list, tuple or dict, becomes its sublayer.
        Returns `value`, a list or dict wrapped so that layers added to it later are tracked too
        (`self.blocks = []`, then `self.blocks.append(Dense(8))`), as Keras wraps them."""
        if _is_metric(value):
            tracked = self.__dict__.setdefault("_tracked_metrics", [])
            if value not in tracked:
                tracked.append(value)  # Keras 3: listed by `model.metrics`
        if not self._tracks_layers:
            return value
        if isinstance(value, Layer):
            if value is not self and value not in self._sublayers:
                self._sublayers.append(value)
        elif type(value) in (list, _TrackedList):
            return _TrackedList([self._track(v) for v in value], self)
        elif type(value) in (dict, _TrackedDict):
            return _TrackedDict({k: self._track(v) for k, v in value.items()}, self)
        elif type(value) is tuple:
            return tuple(self._track(v) for v in value)
        return value

    def __getattr__(self, name):
        attrs = self.__dict__.get("_weight_attrs")
        if attrs and name in attrs:
            var = attrs[name]
            scope = call_scope.scope_of(self)
            if scope is not None:
                return scope.handle(var._collection, var.name)
            enclosing = call_scope.enclosing_weight(self, var._collection, var.name) if call_scope.current() else None
            return enclosing if enclosing is not None else var
        scope = call_scope.scope_of(self) if not name.startswith("_") else None
        for collection in ("params", "state"):  # a built-in layer's weights by name: `dense.kernel`
            if scope is not None:
                own = scope.params if collection == "params" else scope.state
            else:
                own = self.__dict__.get("_" + collection)
            if scope is None and not name.startswith("_") and call_scope.current() is not None:
                enclosing = call_scope.enclosing_weight(self, collection, name)  # `self.conv.kernel` in a call
                if enclosing is not None:
                    return enclosing
            if own and not name.startswith("_") and name in own and not isinstance(own[name], dict):
                return scope.handle(collection, name) if scope is not None else self._variable(collection, name)
        prop = getattr(type(self), name, None)
        if isinstance(prop, property):
            return prop.fget(self)  # re-raises the property's own, more helpful AttributeError
        for modern in _KERAS1_ATTRIBUTES.get(name, ()):  # Keras 1: `dense.W`, `dense.output_dim`
            try:
                return getattr(self, modern)
            except AttributeError:
                pass
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # What `training=None` (a direct call that does not say) means for this layer: inference for
    # most layers, training for augmentations (Keras 3's `call(data, training=True)`); None for
    # models, whose layers each take their own default.
    _training_default = False

    def forward(self, variables, inputs, *, training=False, rng=None, mask=None, **kwargs):
        """`apply` inside a named scope, plus the activity-regularization loss (pure).

        Models call their layers through this; the loss goes to the enclosing
        `jkeras.core.scope.collect_losses()` block, if any. A layer created in a
        `jkeras.RematScope` runs `apply` under `jax.checkpoint` here.
        """

        if training is None:
            training = self._training_default

        def run(variables, inputs, rng, mask):
            return self.apply(variables, inputs, training=training, rng=rng, mask=mask, **kwargs)

        with jax.named_scope(self.name):
            if self._autocast:
                variables, inputs = self._autocast_to_compute_dtype(variables, inputs)
            outputs, new_state = remat.rematerialized_apply(self, run)(variables, inputs, rng, mask)
            outputs = _sharding.lay_out_outputs(self.name, outputs)
            if self.activity_regularizer is not None:
                rows = valid_rows()
                for out in jax.tree_util.tree_leaves(outputs):
                    if rows is not None and out.ndim > 0 and out.shape[0] == rows.shape[0] and short_batch_size():
                        # A padded last batch of known size: the regularizer sees its real rows only
                        # (one that mixes rows, as PointNet's orthogonality penalty, counts no padding).
                        def regularize(total, args, kwargs):
                            return total + self.activity_regularizer(args[0]) / args[0].shape[0]

                        loss = step.on_real_rows(regularize, jnp.zeros((), out.dtype), (out,), {},
                                                 weigh_padding=False)
                    elif rows is not None and out.ndim > 0 and out.shape[0] == rows.shape[0]:
                        # A padded batch of unknown size: zeroed padding (exact for L1 / L2).
                        out = out * jnp.reshape(rows, (-1,) + (1,) * (out.ndim - 1)).astype(out.dtype)
                        loss = self.activity_regularizer(out) / jnp.maximum(jnp.sum(rows), 1)
                    else:
                        loss = self.activity_regularizer(out)
                        if out.ndim > 0 and out.shape[0]:
                            loss = loss / out.shape[0]
                    self._add_own_loss(loss)
        return outputs, new_state

    # Mixed precision: floating inputs and weights are cast to the compute dtype in `forward`.
    # Containers (models) leave it to their layers; layers that compute in float32 whatever the
    # policy (the normalizations) turn it off.
    _autocast = True

    def _autocast_to_compute_dtype(self, variables, inputs):
        dtype = jnp.dtype(self.compute_dtype)

        def cast(a):
            floating = hasattr(a, "dtype") and jnp.issubdtype(a.dtype, jnp.floating)
            return a.astype(dtype) if floating and a.dtype != dtype else a

        if self.dtype_policy.is_mixed:
            variables = {**variables, "params": jax.tree_util.tree_map(cast, variables["params"])}
        return variables, _in_order_of(inputs, jax.tree_util.tree_map(cast, inputs))

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: the input mask when the layer supports masking, else None."""
        if isinstance(mask, CallArgs):
            mask = mask.first()
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape`, inferred from `apply` without running it."""
        if not self.built:
            self._maybe_build(input_shape)
        specs = self._infer_output_spec(map_structure_shapes(lambda s: KerasTensor(s), input_shape), {})
        return map_structure(lambda t: t.shape, specs)

    # ----------------------------------------------------------------------------------------
    # Building and calling

    def build(self, input_shape):
        """Creates the weights for `input_shape` (from `init`, with a key from the global seed).

        A Keras-style layer overrides this with `add_weight` calls; jkeras then runs it from `init`
        (a direct `layer.build(input_shape)` call builds the layer that way, as Keras builds it).
        """
        if self._keras_style:
            scope = call_scope.scope_of(self)
            if scope is not None and scope.creating and _pure_ancestor(type(self)) is not None:
                self._create_pure_weights(scope, input_shape)  # `super().build()` of a built-in
                return
            _build_directly(self, input_shape)
            return
        with creation_scope(self):  # weight paths under this layer's name, as a call builds them
            self._set_variables(self._with_init_weights(self.init(next_key(), input_shape)), creating=True)
        self.built, self._build_input_shape = True, input_shape

    build._jkeras_base = True

    def _maybe_build(self, input_shape, call_kwargs=None):
        if self.built:
            return
        build_guard.check_build(self, input_shape)
        with jax.named_scope(self.name), creation_scope(self):
            if self._keras_style:
                try:
                    variables = call_scope.init_for_call(self, next_key(), input_shape, call_kwargs)
                except (TypeError, ValueError) as e:
                    if "None" not in repr(input_shape) or "unknown sizes taken as 1" in str(e):
                        raise
                    # Keras traces the call symbolically; jkeras runs it on zeros, unknown sizes 1.
                    raise type(e)(
                        f"{type(self).__name__} '{self.name}': building it by calling it on zeros of the "
                        f"input shape {input_shape} (unknown sizes taken as 1) failed: {e}. A call that "
                        f"needs a known batch size needs it declared: `Input(shape, batch_size=N)`"
                    ) from e
                self._set_variables(variables, creating=True)
            else:
                self.build(input_shape)
        self.built = True
        self._build_input_shape = input_shape
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def __call__(self, inputs=_NOT_GIVEN, *args, **kwargs):
        if inputs is _NOT_GIVEN:  # Keras 3: the first argument by its name (`layer(logits=x, targets=t)`)
            inputs = self._first_argument(kwargs)
        if args or (_computes_in_call(type(self)) and any(_holds_tensor(v) for k, v in kwargs.items()
                                                          if k not in ("training", "mask"))):
            inputs, kwargs = self._pack_call_args(inputs, args, kwargs)
        scope = call_scope.current()
        if scope is not None and scope.layer is not self:
            if is_symbolic(inputs):
                inputs = captures.in_call(inputs)
            if not is_symbolic(inputs):
                return scope.call_sublayer(self, inputs, kwargs)
            with call_scope.outside():  # tensors made in the running call: a graph it builds
                return self._symbolic_call(inputs, kwargs)
        if is_symbolic(inputs):
            return self._symbolic_call(inputs, kwargs)
        if kwargs.get("mask") is None:
            mask = masks.input_mask(inputs)
            if mask is not None:
                kwargs["mask"] = mask
        if _eager_losses.active:  # an eager call inside another one: the outer one records
            outputs = self._eager_call(inputs, **kwargs)
        else:
            outputs = self._recorded_eager_call(inputs, kwargs)
        masks.mark_outputs(self, inputs, kwargs.get("mask"), outputs)
        return outputs

    def _first_argument(self, kwargs):
        """Pops the first argument of `call` from `kwargs`, where a call named it.

        Raises:
            TypeError: if `kwargs` does not hold it.
        """
        names = _call_argument_names(type(self))
        if names and names[0] in kwargs:
            return kwargs.pop(names[0])
        raise TypeError(f"{type(self).__name__} '{self.name}': missing the first argument of call(), "
                        f"{names[0] if names else 'inputs'!r}; got only keyword arguments {sorted(kwargs)}")

    def _pack_call_args(self, inputs, args, kwargs):
        """`(inputs, kwargs)` for a call with several tensor arguments (`layer(a, b)`,
        `layer(x, context=c)`): the tensors become one `CallArgs` structure (graph edges, shapes,
        values), the other arguments stay keyword arguments. Unchanged when only `inputs` holds
        tensors.

        Raises:
            TypeError: if the layer's `call` takes no such arguments.
        """
        names = _call_argument_names(type(self)) if _computes_in_call(type(self)) else []
        if len(names) < 1 + len(args):
            raise TypeError(
                f"{type(self).__name__} '{self.name}': call takes the inputs as one argument "
                f"(a tensor or a list of tensors) plus {list(names[1:])}, got {1 + len(args)} "
                "positional arguments"
            )
        kwargs = dict(kwargs)
        for name, value in zip(names[1:], args):
            if name in kwargs:
                raise TypeError(f"{type(self).__name__} '{self.name}': call got multiple values for "
                                f"argument '{name}'")
            kwargs[name] = value
        tensors = {names[0]: inputs}
        for name in names[1:]:
            if name in kwargs and name not in ("training", "mask") and _holds_tensor(kwargs[name]):
                tensors[name] = kwargs.pop(name)
        if len(tensors) == 1:
            return inputs, kwargs
        positional = 1
        while positional <= len(args) and names[positional] in tensors:
            positional += 1
        return CallArgs(tensors, positional), kwargs

    def _recorded_eager_call(self, inputs, kwargs):
        """An eager call that leaves the losses added during it in `losses` (Keras 3: cleared at
        the start of each top-level call, kept by the layer that added them)."""
        self._clear_losses()
        _eager_losses.active, _eager_losses.owners = True, {}
        try:
            with collect_losses() as collected:
                outputs = self._eager_call(inputs, **kwargs)
        finally:
            owners = _eager_losses.owners
            _eager_losses.active, _eager_losses.owners = False, {}
        for loss in collected:
            add_loss(loss)  # to an enclosing `collect_losses()` block, if any
            if not isinstance(loss, jax.core.Tracer):
                owners.get(id(loss), self)._losses.append(loss)
        return outputs

    def _clear_losses(self):
        for layer in self._flatten_layers():
            layer._losses.clear()

    def _flatten_layers(self):
        """This layer and all layers nested in it, each once."""
        found, stack, seen = [], [self], set()
        while stack:
            layer = stack.pop(0)
            if id(layer) not in seen:
                seen.add(id(layer))
                found.append(layer)
                stack[:0] = layer._sublayers
        return found

    def _symbolic_call(self, inputs, kwargs):
        explicit_mask = kwargs.get("mask") if is_symbolic(kwargs.get("mask")) else None
        if explicit_mask is not None and any(getattr(t, "_keras_history", None) is None
                                             for t in flatten(explicit_mask) if isinstance(t, KerasTensor)):
            raise self._error("the `mask` argument is a symbolic tensor computed by no layer call (a "
                              "tensor's `_keras_mask` only describes its mask); compute the mask with "
                              "`jkeras.ops`, e.g. `ops.not_equal(token_ids, 0)`")
        kwargs = {k: v for k, v in kwargs.items() if k != "mask" and not (k == "training" and v is None)}
        shapes = call_scope.shape_structure(inputs)
        self._check_input_shape(shapes)
        in_mask = None
        if _computes_in_call(type(self)) and "mask" in _call_parameters(type(self)):
            in_mask = masks.symbolic_input_mask(inputs, explicit_mask)
        captured = []  # symbolic tensors `call` reads from outside its inputs (Keras 2's one graph)
        while True:
            try:
                with masks.symbolic_call_masks(self, in_mask), _capturing(captured):
                    self._maybe_build(shapes, {k: v for k, v in kwargs.items() if k != "training"})
                    specs = self._infer_output_spec(inputs, kwargs)
                break
            except captures.Captured as e:
                if any(t._keras_history is None for t in e.tensors) or all(
                        any(t is c for c in captured) for t in e.tensors):
                    raise
                captured += [t for t in e.tensors if not any(t is c for c in captured)]
        node = Node(self, inputs, kwargs if explicit_mask is None else {**kwargs, "mask": explicit_mask},
                    captured=captured)
        node_index = len(self._inbound_nodes)
        self._inbound_nodes.append(node)
        for producer in {id(t.node.layer): t.node.layer for t in node.input_tensors}.values():
            producer.__dict__.setdefault("_outbound_nodes", []).append(node)
        count = iter(range(len(flatten(specs))))

        def make(spec):
            t = KerasTensor(spec.shape, spec.dtype, name=self.name)
            t._keras_history = KerasHistory(self, node_index, next(count))
            return t

        outputs = map_structure(make, specs)
        node.set_outputs(outputs)
        return outputs

    def _eager_call(self, inputs, training=None, mask=None, **kwargs):
        inputs = map_structure(jnp.asarray, inputs)
        shapes = call_scope.shape_structure(inputs)
        self._check_input_shape(shapes)
        # the call that creates the weights gets the mask this one got, as Keras 3's first call
        # (keras-io image_captioning: the decoder's `call` builds its attention masks from `mask`)
        with masks.symbolic_call_masks(self, mask) if mask is not None else contextlib.nullcontext():
            self._maybe_build(shapes, kwargs)
        training = self._training_default if training is None else bool(training)
        assigns = call_scope.assign_count()
        outputs, new_state = self.forward(
            self.get_variables(), inputs, training=training,
            rng=next_call_key() if training or training is None else None, mask=mask, **kwargs,
        )
        assigned = call_scope.assign_count() != assigns and not any(
            isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(new_state))
        if training or assigned:  # `assigned`: a call() set a non-trainable weight (`assign_add`)
            self.set_variables({"params": self.get_variables()["params"], "state": new_state})
        return outputs

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False,
                       **kwargs):
        """Calls the layer on weights given as lists, with no side effect (Keras 3, pure).

        Args:
            trainable_variables: arrays in `self.trainable_variables` order.
            non_trainable_variables: arrays in `self.non_trainable_variables` order.
            *args: the inputs (one array, or a list / dict of them).
            return_losses: also return the losses added during the call (activity regularizers,
                `add_loss`).
            **kwargs: `training`, `mask`, `rng` (the key random layers draw from in training; by
                default one made from the `SeedGenerator` states in `non_trainable_variables`,
                which come back advanced), and call arguments.

        Returns:
            `(outputs, non_trainable_variables)` (the new non-trainable values, in order), plus
            the list of losses with `return_losses=True`.

        Raises:
            ValueError: if the layer is not built, or a list has the wrong length or a value the
                wrong shape (naming the layer and the weight).
        """
        from jkeras.models import stateless

        return stateless.stateless_call(self, trainable_variables, non_trainable_variables, *args,
                                        return_losses=return_losses, **kwargs)

    def _check_input_shape(self, input_shape):
        """Raises a clear error when `input_shape` cannot feed this layer (override per family)."""

    def _infer_output_spec(self, inputs, kwargs):
        """Output KerasTensor specs (shape, dtype) for symbolic `inputs`.

        Shapes come from the class's own `compute_output_shape` when it defines one (exact, also
        for unknown sizes), else from tracing `apply` with two stand-in sizes for each unknown
        dimension (dimensions that differ between the traces are unknown). Dtypes come from a trace.
        """
        has_formula = self._has_shape_formula()
        has_none = any(None in t.shape for t in flatten(inputs) if isinstance(t, KerasTensor))
        sizes = (7, 11)
        first_size = sizes[0]  # the stand-in size of the trace an error comes from
        try:
            first = self._trace_output(inputs, kwargs, sizes[0])
        except captures.Captured:
            raise
        except Exception as error:
            first = None
            if has_none:
                # An unknown size regrouped by a reshape (keras-io semantic_image_clustering:
                # `reshape(x, (-1, k_neighbours, clusters))` of a batch of k_neighbours images per
                # row) needs stand-ins it divides: sizes every small group size divides.
                sizes = (_DIVISIBLE_SIZE, 2 * _DIVISIBLE_SIZE)
                try:
                    first = self._trace_output(inputs, kwargs, sizes[0])
                except captures.Captured:
                    raise
                except Exception:
                    first = None
            if first is None and not has_formula:
                raise _named_inference_error(self, inputs, first_size, error)
        if has_formula:
            shapes = _call_with_shapes(self.compute_output_shape, map_structure(lambda t: t.shape, inputs))
            dtypes = [a.dtype for a in jax.tree_util.tree_leaves(first)] if first is not None else []
            count = iter(range(1 << 30))

            def make(shape):
                i = next(count)
                return KerasTensor(shape, dtypes[i] if i < len(dtypes) else self.compute_dtype)

            return map_structure_shapes(make, shapes)
        leaves_a, treedef = jax.tree_util.tree_flatten(first)
        if has_none:
            leaves_b = jax.tree_util.tree_leaves(self._trace_output(inputs, kwargs, sizes[1]))
            shapes = [
                tuple(None if da != db else da for da, db in zip(a.shape, b.shape))
                for a, b in zip(leaves_a, leaves_b)
            ]
        else:
            shapes = [tuple(a.shape) for a in leaves_a]
        specs = [KerasTensor(s, a.dtype) for s, a in zip(shapes, leaves_a)]
        return jax.tree_util.tree_unflatten(treedef, specs)

    def _has_shape_formula(self):
        """Whether `compute_output_shape` is the class's own formula (not the traced default)."""
        return type(self).compute_output_shape is not Layer.compute_output_shape

    def _trace_output(self, inputs, kwargs, size):
        """`jax.eval_shape` of `apply` with every unknown dimension set to `size`."""
        var_spec = jax.tree_util.tree_map(
            lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), self.get_variables()
        )
        arg_spec = map_structure(
            lambda t: jax.ShapeDtypeStruct(_infer_sizes(t.shape, size), t.dtype)
            if isinstance(t, KerasTensor) else t,
            inputs,
        )
        static = {k: v for k, v in kwargs.items() if k != "training"}
        mask = masks.trace_mask(self, size)

        def run(v, x, m):
            with captures.bind(captures.stand_ins(_capturing.tensors, size)):
                return self.apply(v, _in_order_of(arg_spec, x), training=False, mask=m, **static)[0]

        return jax.eval_shape(run, var_spec, arg_spec, mask)

    # ----------------------------------------------------------------------------------------
    # Variables: this layer's own weights plus its sublayers', nested by sublayer name

    def _own_variables(self):
        return {"params": self._params, "state": self._state}

    def get_variables(self):
        """The current weights as a pytree `{"params": {...}, "state": {...}}` (for `apply`).

        A layer held at several places inside this one has its weights at the first
        (`jkeras.models.shared_layers`)."""
        return self._variables_once(set())

    def _variables_once(self, seen):
        seen.add(id(self))
        params, state = dict(self._params), dict(self._state)
        for sub in self._sublayers:
            if id(sub) in seen:
                continue
            v = sub._variables_once(seen)
            if v["params"]:
                params[sub.name] = v["params"]
            if v["state"]:
                state[sub.name] = v["state"]
        return {"params": params, "state": state}

    def set_variables(self, variables):
        """Sets the weights from a pytree of the structure `get_variables()` returns.

        Raises:
            ValueError: if a weight is missing or has another shape.
        """
        self._set_variables(variables, creating=False)

    def _set_variables(self, variables, creating, seen=None):
        seen = set() if seen is None else seen
        seen.add(id(self))
        sub_names = {sub.name for sub in self._sublayers}
        if creating:
            record_path(self)
        for collection in ("params", "state"):
            given = variables.get(collection, {})
            own = getattr(self, "_" + collection)
            if creating:
                own.clear()
                for key, value in given.items():
                    if key not in sub_names:
                        own[key] = _sharding.lay_out_weight(f"{self.name}/{key}", jnp.asarray(value))
                continue
            seeds = {g._key for g in self.__dict__.get("_seed_generators", ())}
            for key in own:
                if key not in given:
                    if key in seeds:
                        continue  # a SeedGenerator state left out (`"state": {}`): kept as it is
                    raise self._error(f"set_variables: missing {collection} weight '{key}'")
                value = jnp.asarray(given[key], dtype=own[key].dtype)
                if value.shape != own[key].shape:
                    raise self._error(
                        f"weight '{key}' has shape {tuple(own[key].shape)}, got {tuple(value.shape)}"
                    )
                own[key] = value
        for sub in self._sublayers:
            if id(sub) in seen:  # held at an earlier place too: its weights are there
                continue
            part = {c: variables.get(c, {}).get(sub.name, {}) for c in ("params", "state")}
            if creating and not sub.built:
                with creation_scope(sub):
                    sub._set_variables(part, creating=True, seen=seen)
                sub.built = True
            else:
                sub._set_variables(part, creating=False, seen=seen)

    def regularization_loss(self, params):
        """Sum of the weight regularizers over this layer's trainable weights in `params` (pure)."""
        total = 0.0
        if self.trainable:
            frozen = self._frozen_weights()
            for key, reg in self._weight_regularizers().items():
                if reg is not None and key in params and key not in frozen:
                    total = total + reg(params[key])
        for sub in self._sublayers:
            if sub.name in params:
                total = total + sub.regularization_loss(params[sub.name])
        return total

    def apply_constraints(self, params):
        """`params` with each weight's constraint applied (pure)."""
        out = dict(params)
        for key, constraint in self._weight_constraints().items():
            if constraint is not None and key in out:
                out[key] = constraint(out[key])
        for sub in self._sublayers:
            if sub.name in out:
                out[sub.name] = sub.apply_constraints(out[sub.name])
        return out

    def trainable_mask(self, params, parent_trainable=True):
        """A pytree like `params` whose leaves say whether each weight is trained."""
        trainable = parent_trainable and self.trainable
        frozen = self._frozen_weights()
        out = {}
        for key, value in params.items():
            sub = next((s for s in self._sublayers if s.name == key), None)
            if sub is not None and key not in self._params:
                out[key] = sub.trainable_mask(value, trainable)
            else:
                out[key] = jax.tree_util.tree_map(lambda _, t=trainable and key not in frozen: t, value)
        return out

    def _frozen_weights(self):
        """Names of own `params` weights kept fixed by training (LoRA freezes its base matrix)."""
        return set()

    def _weight_regularizers(self):
        """Maps own weight names to regularizers: each trainable weight's `<name>_regularizer`
        attribute (`recurrent_kernel` -> `recurrent_regularizer`), and those given to `add_weight`."""
        return {**self._per_weight_attribute("regularizer"), **self._added_regularizers}

    def _weight_constraints(self):
        """Maps own weight names to constraints, found as `_weight_regularizers` finds regularizers."""
        return {**self._per_weight_attribute("constraint"), **self._added_constraints}

    def _per_weight_attribute(self, kind):
        found = {}
        for name in self._params:
            for attr in (f"{name}_{kind}", f"{name.replace('_kernel', '')}_{kind}"):
                if self.__dict__.get(attr) is not None:
                    found[name] = self.__dict__[attr]
                    break
        return found

    # ----------------------------------------------------------------------------------------
    # Keras's stateful weight API

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for sub in self._sublayers:
            sub.trainable = value

    @property
    def weights(self):
        """All weights: own trainable-kind, own non-trainable-kind, then each sublayer's.

        The states of the `SeedGenerator`s layers hold are no weights (they are in `variables`).
        """
        out = [self._variable("params", k) for k in self._params]
        seeds = {g._key for g in self.__dict__.get("_seed_generators", ())}  # `jkeras.random`
        out += [self._variable("state", k) for k in self._state if k not in seeds]
        seen = {id(w) for w in out}
        for sub in self._sublayers:
            for w in sub.weights:  # a layer held at several places: its weights once, as Keras
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        return [w for w in self.weights if w.trainable] if self.trainable else []

    @trainable_weights.setter
    def trainable_weights(self, variables):
        """Keras 1: `self.trainable_weights = [self.W]` in `build` declares which weights train."""
        self._declare_weights(variables, trainable=True)

    @property
    def non_trainable_weights(self):
        return self.weights if not self.trainable else [w for w in self.weights if not w.trainable]

    @non_trainable_weights.setter
    def non_trainable_weights(self, variables):
        """Keras 1: `self.non_trainable_weights = [self.running_mean]` in `build`."""
        self._declare_weights(variables, trainable=False)

    def _declare_weights(self, variables, trainable):
        """Makes each of `variables` (own weights, or `K.variable`s not yet any layer's) a weight of
        the kind `trainable` says, moving a weight `build` made of the other kind."""
        target = "params" if trainable else "state"
        scope = call_scope.scope_of(self)
        tables = ({"params": scope.params, "state": scope.state} if scope is not None
                  else {"params": self._params, "state": self._state})
        for var in variables:
            if type(var) is KerasVariable:
                self.add_weight(shape=var.shape, initializer=var.value, dtype=var.dtype, trainable=trainable,
                                name=var.name)
                continue
            if isinstance(var, Variable) and var._layer is self:
                collection, name = var._collection, var.name
            else:  # in `build`, `self.W` reads the weight's value
                found = [(c, n) for c, table in tables.items() for n, v in table.items() if v is var]
                held = [k for k, v in self.__dict__.items() if v is var and not k.startswith("_")]
                if not found and held:  # Keras 1: `self.W = K.variable(...)`, an array until listed here
                    del self.__dict__[held[0]]
                    setattr(self, held[0], self.add_weight(shape=var.shape, initializer=var, dtype=var.dtype,
                                                           trainable=trainable, name=held[0]))
                    continue
                if not found:
                    raise ValueError(f"{type(self).__name__} '{self.name}': trainable_weights / "
                                     f"non_trainable_weights can list only the layer's own weights (made in "
                                     f"build); got {type(var).__name__} of shape {getattr(var, 'shape', None)}")
                collection, name = found[0]
            if collection == target:
                continue
            tables[target][name] = tables[collection].pop(name)
            old = self.__dict__.get("_variable_handles", {}).pop((collection, name), None)
            attrs = self.__dict__.get("_weight_attrs") or {}
            for attr, held in list(attrs.items()):
                if held is old or (isinstance(held, Variable) and (held._collection, held.name) == (collection, name)):
                    attrs[attr] = self._variable(target, name)

    @property
    def variables(self):
        """All the layer's state, as Keras 3 lists it: each layer's own weights followed by the
        states of the `SeedGenerator`s it holds (not weights), then each sublayer's variables."""
        from jkeras.random import seed_variables

        weights = self.weights  # the listing a subclass may narrow (stateful RNN carries)
        out = [w for w in weights if w._layer is self] + seed_variables(self)
        seen = {id(v) for v in out}
        for v in [v for sub in self._sublayers for v in sub.variables] + weights:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        """The variables not trained: non-trainable weights and `SeedGenerator` states."""
        variables = self.variables
        return variables if not self.trainable else [v for v in variables if not v.trainable]

    def get_weights(self):
        """The weights as a list of NumPy arrays, in Keras's order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays in `get_weights()` order.

        Raises:
            ValueError: if the number of arrays or a shape does not match (naming the layer and both).
        """
        current = self.weights
        weights = list(weights)
        if len(weights) != len(current):
            raise self._error(
                f"set_weights expects a list of {len(current)} weights "
                f"({[w.name for w in current]}), got {len(weights)}"
            )
        for var, value in zip(current, weights):
            value = np.asarray(value)
            if tuple(value.shape) != var.shape:
                raise var._layer._error(
                    f"weight '{var.name}' has shape {var.shape}, got an array of shape {tuple(value.shape)}"
                )
        for var, value in zip(current, weights):
            var.assign(value)

    def reset_states(self):
        """Resets the state kept across batches by stateful layers (stateful RNNs) inside this one."""
        for sub in self._sublayers:
            sub.reset_states()

    def count_params(self):
        """Total number of scalars in the weights.

        Raises:
            ValueError: if the layer is not built yet.
        """
        if not self.built:
            raise self._error(
                "count_params() needs the layer built: call it on an input, or give it an input shape"
            )
        return int(sum(np.prod(w.shape, dtype=np.int64) for w in self.weights))

    @property
    def losses(self):
        """The losses of the last call on data (`add_loss`, activity regularizers) of this layer
        and the layers in it, then one weight-regularization loss per regularized trainable
        weight, as Keras lists them (a list of scalars)."""
        out = [loss for layer in self._flatten_layers() for loss in layer._losses]
        for var in self.trainable_weights:
            regularizer = var._layer._weight_regularizers().get(var.name)
            if regularizer is not None:
                out.append(regularizer(var.value))
        return out

    # ----------------------------------------------------------------------------------------
    # Config

    def get_config(self):
        """The constructor arguments as a JSON-friendly dict (Keras keys)."""
        policy = self.dtype_policy
        dtype = policy.name
        if policy.quantization_mode is not None:  # as Keras 3 writes it: a config dict
            from jkeras import dtype_policies

            dtype = dtype_policies.serialize(policy)
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtype}
        if self.activity_regularizer is not None:
            from jkeras.core import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """Creates a layer from `get_config()`'s output (Keras 2 and Keras 3 configs too)."""
        from jkeras.utils.serialization import standardize_layer_config

        return cls(**standardize_layer_config(config))

    def __repr__(self):
        return f"<{naming.keras_class_name(self)} name={self.name}, built={self.built}>"  # Keras 3's


@_register
class _InitVariable(Variable):
    """A weight made in its layer's `__init__`: its path is fixed then, as Keras names it at
    creation (`linear/variable` also when a `Sequential` builds the layer later)."""

    @property
    def path(self):
        own = self._layer.__dict__.get("_keras_variable_paths", {}).get((self._collection, self.name))
        return own or f"{self._layer._init_weights_path}/{self.name}"


def _build_directly(layer, input_shape):
    """Builds the Keras-style `layer` through `init` when user code calls its `build` (not `init`
    itself): at top level, the layer is built as by its first call; inside the `build` or `call`
    of a layer that holds it, while that one's `init` runs, its weights join that `init`'s
    variables. Returns whether it did (else the caller runs `build` as it is)."""
    if (input_shape is None or not layer._keras_style or layer.built or call_scope.scope_of(layer) is not None
            or getattr(layer, "_is_subclassed", None) is not None):  # models build their own way
        return False
    shape = tuple(input_shape) if _is_shape(input_shape) else input_shape
    outer = call_scope.current()
    if outer is None:
        layer._maybe_build(shape)
        return True
    if outer.creating and layer in outer.layer._sublayers:
        outer.create_sublayer(layer, shape)
        return True
    return False


def _build_with_arguments(layer, build, args, kwargs):
    """Builds the Keras-style `layer` by its own `build` called with arguments `init` cannot repeat
    (`build(input_shape, layer_init)`): the weights `add_weight` makes become the layer's, no call
    runs (as in Keras). Returns whether it did."""
    if (not layer._keras_style or layer.built or call_scope.current() is not None
            or getattr(layer, "_is_subclassed", None) is not None):
        return False
    with jax.named_scope(layer.name), creation_scope(layer), call_scope.opened(layer._init_scope(next_key())) as scope:
        build(layer, *args, **kwargs)
    layer._set_variables(scope.variables(), creating=True)
    layer.built = True
    shape = args[0] if args else kwargs.get("input_shape")
    layer._build_input_shape = tuple(shape) if _is_shape(shape) else shape
    return True


def _routed_build(build):
    """Wraps a layer class's own `build`: called directly on a Keras-style layer that is not built,
    it builds the layer through `init` (so the weights it creates are the layer's variables)."""

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        if len(args) == 1 and not kwargs and _build_directly(self, args[0]):
            return None
        if (args or kwargs) and _build_with_arguments(self, build, args, kwargs):
            return None
        return build(self, *args, **kwargs)

    wrapper._direct = build
    return wrapper


class _EagerLosses(threading.local):
    """While an eager top-level call runs: which layer added each loss (by `id`)."""

    active = False
    owners = {}


_eager_losses = _EagerLosses()


class _Capturing(threading.local):
    """The symbolic tensors the layer in its symbolic call has so far found its `call` reading
    from outside its inputs (`jkeras.models.captures`): `init` and the output trace bind them to
    stand-in zeros. `with _capturing(tensors):` sets them for the block."""

    tensors = ()

    @contextlib.contextmanager
    def __call__(self, tensors):
        outer, self.tensors = self.tensors, tensors
        try:
            yield
        finally:
            self.tensors = outer


_capturing = _Capturing()


def map_structure_shapes(fn, shape):
    """Applies `fn` to each shape tuple in a shape or a list / dict of shapes."""
    if _is_shape(shape):
        return fn(tuple(shape))
    if isinstance(shape, (list, tuple)):
        return [map_structure_shapes(fn, s) for s in shape]
    if isinstance(shape, dict):
        return {k: map_structure_shapes(fn, v) for k, v in shape.items()}
    if isinstance(shape, CallArgs):
        return shape.map(lambda s: map_structure_shapes(fn, s))
    raise TypeError(f"Expected a shape tuple or a list of them, got {shape!r}")


class _Tracking:
    """What `_TrackedList` and `_TrackedDict` share: the owner that tracks what is put in them."""

    def __init__(self, values, owner):
        super().__init__(values)
        self._owner = owner

    def _track(self, value):
        owner = self.__dict__.get("_owner")  # absent, or not set up, while pickle / copy refill it
        return value if owner is None or owner.__dict__.get("_sublayers") is None else owner._track(value)


class _TrackedList(_Tracking, list):
    """A list attribute of a Keras-style layer (Keras 3's `TrackedList`): a layer or metric
    appended, inserted or set into it later is tracked by `owner` as one set directly is."""

    def append(self, value):
        super().append(self._track(value))

    def insert(self, index, value):
        super().insert(index, self._track(value))

    def extend(self, values):
        super().extend([self._track(v) for v in values])

    def __iadd__(self, values):
        self.extend(values)
        return self

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            value = [self._track(v) for v in value]
        else:
            value = self._track(value)
        super().__setitem__(index, value)


class _TrackedDict(_Tracking, dict):
    """A dict attribute of a Keras-style layer (Keras 3's `TrackedDict`): values set into it
    later are tracked by `owner` as one set directly is."""

    def __setitem__(self, key, value):
        super().__setitem__(key, self._track(value))

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]


def _in_order_of(original, mapped):
    """`mapped`, the result of a JAX tree operation on `original` (which returns dicts with their
    keys sorted), with every dict back in `original`'s key order: Keras 3 hands `call` a dict of
    inputs in the order it was built with (`layers.concatenate(list(inputs.values()))` in
    structured_data_classification_from_scratch.py depends on it)."""
    if type(original) is dict and type(mapped) is dict and set(original) == set(mapped):
        return {k: _in_order_of(original[k], mapped[k]) for k in original}
    if type(original) in (list, tuple) and type(mapped) is type(original) and len(original) == len(mapped):
        return type(mapped)(_in_order_of(o, m) for o, m in zip(original, mapped))
    return mapped


# As pytrees they are the plain list and dict they hold (`jax.tree.map`, `jit` arguments).
jax.tree_util.register_pytree_node(_TrackedList, lambda x: (list(x), None), lambda _, children: list(children))
jax.tree_util.register_pytree_node(
    _TrackedDict, lambda x: (tuple(x[k] for k in sorted(x)), tuple(sorted(x))),
    lambda keys, children: dict(zip(keys, children)))


def _is_metric(value):
    from jkeras._metric_classes import Metric

    return isinstance(value, Metric)


def _holds_tensor(value):
    """Whether `value` is a tensor (symbolic, JAX or NumPy) or a list / dict holding one."""
    return any(isinstance(leaf, (KerasTensor, jax.Array, np.ndarray)) for leaf in flatten(value))


def _pure_ancestor(cls, dispatching=True):
    """The nearest class of `cls`'s MRO with a pure `apply` of its own (a built-in layer such as
    `Dense`), or None for a layer that only ever computes in `call`. With `dispatching`, a class
    whose own `apply` runs a subclass's `call` (models, RNN cells) counts as none."""
    for c in cls.__mro__:
        if c is Layer or (dispatching and c.__dict__.get("_runs_subclass_call")):
            return None
        apply = c.__dict__.get("apply")
        if apply is not None and apply is not Layer.__dict__["apply"]:
            return c
    return None


# Keras 1's attribute names of built-in layers' weights and sizes, read as their modern names.
_KERAS1_ATTRIBUTES = {
    "W": ("kernel", "embeddings", "depthwise_kernel"), "b": ("bias",), "U": ("recurrent_kernel",),
    "output_dim": ("units", "filters"), "nb_filter": ("filters",),
}


def _computes_in_call(cls):
    """Whether `cls` computes in a Keras-style `call` that `Layer.apply` runs (its `call` is defined
    in a class below the one with a pure `apply`), rather than in its own `apply`."""
    cached = cls.__dict__.get("_computes_in_call_cache")
    if cached is None:
        mro = cls.__mro__
        pure = _pure_ancestor(cls, dispatching=False)
        call_at = next(i for i, c in enumerate(mro) if "call" in c.__dict__)
        cached = call_at < mro.index(pure if pure is not None else Layer)
        setattr(cls, "_computes_in_call_cache", cached)
    return cached


def _call_argument_names(cls):
    """The names of the parameters `cls.call` takes positionally, in order (cached per class)."""
    cached = cls.__dict__.get("_call_args_cache")
    if cached is None:
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        cached = [p.name for p in list(inspect.signature(cls.call).parameters.values())[1:] if p.kind in kinds]
        setattr(cls, "_call_args_cache", cached)
    return cached


def _call_with_shapes(fn, shapes):
    """Calls `build` / `compute_output_shape` with the shapes of a call's tensors, as Keras 3 does:
    a one-parameter method gets the first argument's shape; one with several gets each as
    `<argument>_shape`; one with no parameter (`def build(self)`) gets none."""
    signature = inspect.signature(fn).parameters.values()
    params = [p for p in signature
              if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    if not params and len(params) == len(signature):
        return fn()
    if not isinstance(shapes, CallArgs):
        return fn(shapes)
    if len(params) <= 1:
        return fn(shapes.first())
    given = {f"{k}_shape": v for k, v in shapes.values.items()}
    unknown = [p.name for p in params if p.name not in given and p.default is inspect.Parameter.empty]
    if unknown:
        raise ValueError(
            f"{fn.__qualname__}: with several arguments, each must be named `<call argument>_shape`; "
            f"no call argument matches {unknown} (the call's tensors: {list(shapes.values)})"
        )
    return fn(**{p.name: given[p.name] for p in params if p.name in given})


def _call_parameters(cls):
    """Names of the parameters of `cls.call` (cached per class)."""
    cached = cls.__dict__.get("_call_params_cache")
    if cached is None:
        cached = frozenset(inspect.signature(cls.call).parameters)
        setattr(cls, "_call_params_cache", cached)
    return cached

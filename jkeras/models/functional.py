"""`Model`: a graph of layers from `Input` tensors to outputs, itself a layer.

`Model(inputs, outputs)` walks the symbolic history back from `outputs`, orders the nodes as Keras
does (by depth, then traversal order), and its pure `apply` evaluates them in that order.
"""
import collections
import copy
import inspect
import os
import tempfile
import warnings

import jax

from jkeras.core.scope import add_loss
from jkeras.models import call_scope, captures, masks, shared_layers
from jkeras.models.input_layer import Input, InputLayer
from jkeras.models.layer import Layer, _is_shape
from jkeras.models.node import CallArgs, KerasTensor, dict_keys, flatten, map_structure
from jkeras.models.training import Trainer
from jkeras.saving.model_methods import SavingMixin
from jkeras.utils import legacy, naming
from jkeras.utils import random as random_utils


class Model(Trainer, SavingMixin, Layer):
    """A model: layers wired from inputs to outputs, with training and inference methods.

    Args:
        inputs: an `Input` tensor, or a list / dict of them. Keras 1's `input=` is the same.
        outputs: a tensor computed from `inputs` by layer calls, or a list / dict of them
            (Keras 1's `output=`).
        name: optional model name.

    Raises:
        ValueError: if an input is not an `Input` tensor, the graph is disconnected, or two layers
            share a name.
    """

    _runs_subclass_call = True  # its own apply runs a subclass's `call` (see Layer._pure_ancestor)
    _training_default = None  # a direct call without `training`: each layer takes its own default

    _legacy = legacy.LegacyInterface(renames={"input": "inputs", "output": "outputs"})

    _autocast = False  # each layer casts for itself

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if name is None and type(self) is Model and inputs is not None:
            name = naming.uniquify("functional")  # Keras 3's name for `Model(inputs, outputs)`
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._layers = []
        self._nodes = []
        # `add_loss` on graph tensors (Keras 2): the loss tensors, the nodes only they need, and
        # where the weights of those nodes' layers sit (nested models' layers under their names).
        self._symbolic_losses, self._loss_nodes, self._loss_paths = [], [], {}
        self._input_struct = self._output_struct = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError(f"Model '{self.name}': give both `inputs` and `outputs`")
            self._init_graph(inputs, outputs)

    # ----------------------------------------------------------------------------------------
    # Copying and pickling

    def __deepcopy__(self, memo):
        """A deep copy of every attribute (weights, compiled state, caches), as Python's default."""
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def __reduce__(self):
        """Pickles the model as its `.keras` file (architecture, weights, compile configuration
        and optimizer state), as Keras 3 does: custom classes must be registered
        (`register_keras_serializable`) to be restored."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.keras")
            self.save(path)
            with open(path, "rb") as f:
                return (_unpickle_model, (f.read(),))

    # ----------------------------------------------------------------------------------------
    # Graph

    def _init_graph(self, inputs, outputs):
        for t in flatten(inputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    f"Model '{self.name}': every input must be a symbolic tensor (`Input(...)` or a "
                    f"layer's output), got {t!r}"
                )
        inputs, outputs = _start_at_inputs(inputs, outputs)
        for t in flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    f"Model '{self.name}': outputs must be tensors computed by layers from the inputs, "
                    f"got {t!r}"
                )
        # A tuple of inputs / outputs stays a tuple, as Keras 3 (`model.output`, `predict`, calls)
        self._input_struct, self._output_struct = inputs, outputs
        # a dict of inputs / outputs flattens by sorted key, as Keras 3's `model.inputs` /
        # `outputs` (Keras 2's too): the order of `input_names` / `output_names`, of positional
        # lists of arrays, and of the layers (the graph is walked from the outputs)
        self.inputs, self.outputs = flatten(inputs, sort_keys=True), flatten(outputs, sort_keys=True)
        self._nodes, self._layers = _map_graph(self.inputs, self.outputs)
        names = [layer.name for layer in self._layers]
        for n in names:
            if names.count(n) > 1:
                raise ValueError(
                    f'Model \'{self.name}\': the name "{n}" is used {names.count(n)} times in the model. '
                    "All layer names should be unique."
                )
        self._sublayers = list(self._layers)
        self._layer_input_shapes = {}
        for node in self._nodes:
            self._layer_input_shapes.setdefault(
                id(node.layer), map_structure(lambda t: t.shape, node.call_args)
            )
        self.built = True

    @property
    def layers(self):
        """The model's layers in graph order; operations on tensors (`x / 255.0`, `ops.mean(x)`:
        `OpLambda` nodes) are left out, as in Keras 3, so layer indices match Keras's."""
        return [layer for layer in self._graph_layers if type(layer).__name__ != "OpLambda"]

    @property
    def uses_learning_phase(self):
        """Keras 2: True when the model computes differently in training than in inference
        (`Dropout` with a rate above 0, `BatchNormalization`, noise layers), so `K.function`
        users feed `K.learning_phase()`. Found by tracing the model in both modes."""
        from jkeras.utils.random import next_key

        if self._input_struct is None:
            return False
        specs = map_structure(
            lambda t: jax.ShapeDtypeStruct(tuple(1 if d is None else d for d in t.shape), t.dtype),
            self._input_struct)

        def traced(training):
            return str(jax.make_jaxpr(
                lambda variables, xs, rng: self.apply(variables, xs, training=training, rng=rng)[0]
            )(self.get_variables(), specs, next_key()))

        return traced(True) != traced(False)

    @property
    def state_updates(self):
        """Keras 2: the pending state-update ops of stateful layers; always empty, as the states
        (a stateful RNN's) are assigned when each batch runs (`reset_states()` clears them)."""
        return []

    @property
    def _graph_layers(self):
        """Every layer of the graph, operations included (what `summary()` lists)."""
        return list(self._layers) if self._nodes or self._layers else list(self._sublayers)

    @property
    def _tracks_layers(self):
        """A `Model` subclass without `call` and without a graph (keras-io's GAN / diffusion
        wrappers: networks as attributes, a custom `train_step`) tracks them too, as Keras 3
        does: they are its `weights` and what `save_weights` writes."""
        return self._keras_style or (type(self) is not Model and not self.__dict__.get("_nodes"))

    @property
    def _is_subclassed(self):
        """A model defined by subclassing with `call` (no graph of nodes)."""
        return self._keras_style

    def get_layer(self, name=None, index=None):
        """Returns a layer by name or by index in `model.layers`.

        Raises:
            ValueError: if nothing matches, or both / neither of name and index are given.
        """
        if (name is None) == (index is None):
            raise ValueError(f"Model '{self.name}': give exactly one of `name` and `index` to get_layer")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"Model '{self.name}': get_layer index {index} is out of range; "
                    f"the model has {len(self.layers)} layers"
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"Model '{self.name}': no layer named '{name}'. Layers: {[l.name for l in self.layers]}"
        )

    @property
    def input(self):
        self._require_graph("input")
        return self._input_struct

    @property
    def output(self):
        self._require_graph("output")
        return self._output_struct

    @property
    def input_shape(self):
        self._require_graph("input_shape")
        return map_structure(lambda t: t.shape, _listed(self._input_struct))

    @property
    def output_shape(self):
        self._require_graph("output_shape")
        return map_structure(lambda t: t.shape, _listed(self._output_struct))

    @property
    def input_names(self):
        if isinstance(self._input_struct, dict) and all(
                not isinstance(v, (list, tuple, dict)) for v in self._input_struct.values()):
            # Keras 3 matches dict data to a dict of inputs by key, even where a key is not the
            # Input's name (an input cut from a layer output is `<name>CLONE`), in `inputs`' order
            return dict_keys(self._input_struct)
        if self._is_subclassed:
            return [f"input_{i + 1}" for i in range(len(self.inputs))]
        return [t._keras_history.layer.name for t in self.inputs]

    @property
    def output_names(self):
        if isinstance(self._output_struct, dict) and all(
                not isinstance(v, (list, tuple, dict)) for v in self._output_struct.values()):
            # a dict of outputs: its keys name the losses, metrics and targets, as Keras 3 logs
            # `<key>_loss` (also where a key is not the output layer's name)
            return dict_keys(self._output_struct)
        if self._is_subclassed:
            return [f"output_{i + 1}" for i in range(len(self.outputs))]
        # Keras 2 (`Network._set_output_names`): an output layer giving several outputs (a nested
        # model) gets unique names `model`, `model_1`, ..., so each output has its own `<name>_loss`.
        names, count = [], {}
        for t in self.outputs:
            base = proposal = t._keras_history.layer.name
            while proposal in names:
                count[base] = count.get(base, 1)
                proposal = f"{base}_{count[base]}"
                count[base] += 1
            names.append(proposal)
        return names

    def build(self, input_shape=None):
        """Builds a subclassed model for inputs of `input_shape` (batch axis included).

        Raises:
            ValueError: if no shape is given for a model that is not built.
        """
        if not self._is_subclassed or call_scope.scope_of(self) is not None:
            return
        if input_shape is None:
            raise ValueError(f"Model '{self.name}': build() needs an input_shape")
        self._build_from_data(input_shape if isinstance(input_shape, list) else [input_shape])

    build._jkeras_base = True

    def _build_from_data(self, input_shapes):
        """Builds a subclassed model from the shapes of the first data seen (batch axis free): a
        list of shapes, or a dict of them for data given as a dict (the model's `call` then gets a
        dict, keyed as the data)."""
        if not self._is_subclassed or self._input_struct is not None:
            return
        keys = list(input_shapes) if isinstance(input_shapes, dict) else None
        given = list(input_shapes.values() if keys else input_shapes)
        # integer / boolean data (indices) keep their dtype (`call_scope.TypedShape`), as the first
        # batch Keras builds with keeps it
        dtypes = [getattr(s, "dtype", None) for s in given]
        shapes = [(None,) + tuple(s[1:]) if d is None else call_scope.TypedShape((None,) + tuple(s[1:]), d)
                  for s, d in zip(given, dtypes)]
        structure = dict(zip(keys, shapes)) if keys else shapes[0] if len(shapes) == 1 else shapes
        self._maybe_build(structure)
        inputs = [KerasTensor(s, d or self._input_dtype(), name=keys[i] if keys else f"input_{i + 1}")
                  for i, (s, d) in enumerate(zip(shapes, dtypes))]
        self._input_struct = dict(zip(keys, inputs)) if keys else inputs[0] if len(inputs) == 1 else inputs
        self.inputs = flatten(self._input_struct, sort_keys=True)
        self._output_struct = self._infer_output_spec(self._input_struct, {})
        self.outputs = flatten(self._output_struct, sort_keys=True)

    def _require_graph(self, what):
        if self._input_struct is None:
            raise AttributeError(
                f"Model '{self.name}' has not been built yet, so it has no `{what}`: give the first layer "
                "an `input_shape`, call `build(input_shape)`, or call the model on data."
            )

    # ----------------------------------------------------------------------------------------
    # The pure pair

    def init(self, rng, input_shape=None, *, call_kwargs=None):
        """Fresh weights for every layer of the model (the layers' current weights are untouched).

        Args:
            rng: a `jax.random` key.
            input_shape: ignored (the graph fixes every layer's input shape).
            call_kwargs: a subclassed model's other call arguments (see `Layer.init`).

        Returns:
            `{"params": {layer_name: ...}, "state": {layer_name: ...}}`.
        """
        if self._is_subclassed:
            return Layer.init(self, rng, input_shape if input_shape is not None else self.input_shape,
                              call_kwargs=call_kwargs)
        del input_shape
        self._require_graph("init")
        params, state = {}, {}
        for i, layer in enumerate(self._layers):
            if isinstance(layer, InputLayer):
                continue
            v = layer.init(jax.random.fold_in(rng, i), self._layer_input_shapes[id(layer)])
            if v["params"]:
                params[layer.name] = v["params"]
            if v["state"]:
                state[layer.name] = v["state"]
        return shared_layers.drop_later({"params": params, "state": state}, shared_layers.places(self)[1])

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        """Runs the model (pure): `(outputs, new_state)`; see `Layer.apply`."""
        outputs, new_state, out_masks = self.apply_with_masks(
            variables, inputs, training=training, rng=rng, mask=mask
        )
        for tensor, m in zip(flatten(outputs, sort_keys=True), out_masks):
            if m is not None:  # for a model called inside another one, or directly (Keras's `_keras_mask`)
                masks.set_keras_mask(tensor, m)
        return outputs, new_state

    def apply_with_masks(self, variables, inputs, *, training=False, rng=None, mask=None, offsets=None):
        """Like `apply`, also returning the outputs' masks (a list, None where unmasked).

        `offsets` (`{id(tensor): array}`) are added to those tensors of the graph where they are
        computed: differentiating by them gives the gradients with respect to those tensors
        (`jkeras.backend.gradients`)."""
        if self._is_subclassed:
            if self._input_struct is not None:
                flat = self._flatten_inputs(inputs)
                inputs = (dict(zip(dict_keys(self._input_struct), flat)) if isinstance(self._input_struct, dict)
                          else flat if isinstance(self._input_struct, (list, tuple)) else flat[0])
            outputs, state = Layer.apply(self, variables, inputs, training=training, rng=rng, mask=mask)
            if isinstance(outputs, dict) and isinstance(self._output_struct, dict):
                # a dict of outputs in `output_names`' order (the built structure's), whatever
                # order `call` built it in, so outputs line up with their targets and names
                outputs = {key: outputs[key] for key in self._output_struct}
            return outputs, state, [masks.get_keras_mask(t) for t in flatten(outputs, sort_keys=True)]
        self._require_graph("apply")
        flat_inputs = self._flatten_inputs(inputs)
        flat_masks = [None] * len(flat_inputs) if mask is None else self._flatten_inputs(mask)
        values = {id(layer.output): layer._constant for layer in self._layers  # `Input(tensor=array)`s
                  if isinstance(layer, InputLayer) and layer._constant is not None}
        values.update((id(t), x) for t, x in zip(self.inputs, flat_inputs))
        offsets = offsets or {}
        for t in self.inputs:
            if id(t) in offsets:
                values[id(t)] = values[id(t)] + offsets[id(t)]
        mask_of = {id(t): m for t, m in zip(self.inputs, flat_masks)}
        later = shared_layers.places(self)[1]  # a layer held twice: its one copy read at each place
        variables = shared_layers.expand(variables, later)
        params, state = variables["params"], dict(variables["state"])
        for position, node in enumerate(self._nodes + self._loss_nodes):
            layer = node.layer
            args = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_args)
            arg_mask = map_structure(lambda t: mask_of.get(id(t)) if isinstance(t, KerasTensor) else None,
                                     node.call_args)
            if all(m is None for m in flatten(arg_mask)):
                arg_mask = None
            path = self._loss_paths.get(id(layer), (layer.name,)) if position >= len(self._nodes) else (layer.name,)
            layer_vars = {"params": _at_path(params, path), "state": _at_path(state, path)}
            kwargs = dict(node.call_kwargs)
            if "mask" in kwargs:  # an explicit `mask=` tensor of the graph
                arg_mask = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t,
                                         kwargs.pop("mask"))
            node_training = kwargs.pop("training", training)
            node_training = None if node_training is None else bool(node_training)  # None: the layer's default
            layer_rng = None if rng is None else random_utils.fold_in(rng, position)
            if node_training and layer_rng is None:
                layer_rng = jax.random.PRNGKey(position)
            with captures.bind({id(t): values[id(t)] for t in node.captured}):
                out, new_state = layer.forward(
                    layer_vars, args, training=node_training, rng=layer_rng, mask=arg_mask, **kwargs
                )
            if new_state and len(path) == 1:
                state[layer.name] = new_state
            flat_out = flatten(out)
            flat_mask = masks.per_output(layer.compute_mask(args, arg_mask), len(flat_out))
            for t, value, m in zip(node.output_tensors, flat_out, flat_mask):
                values[id(t)] = value + offsets[id(t)] if id(t) in offsets else value
                mask_of[id(t)] = masks.get_keras_mask(value) if m is None else m  # a nested model's
        for t in self._symbolic_losses:
            add_loss(values[id(t)])
        outputs = map_structure(lambda t: values[id(t)], self._output_struct)
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]  # `Model(x, [y])` returns `y`, as in Keras 2 and 3
        state = shared_layers.fold_state(state, variables["state"], later)
        return outputs, state, [mask_of.get(id(t)) for t in self.outputs]

    def add_loss(self, loss):
        """Adds a loss to the model's training loss.

        A scalar computed from the model's tensors (Keras 2: `vae.add_loss(K.mean(kl))` after
        `vae = Model(inputs, outputs)`) is computed on each batch from the graph; an array (inside
        a subclassed model's `call`) is added as `Layer.add_loss` adds it.

        Args:
            loss: a symbolic scalar of this model's graph, an array, or a list of them.

        Raises:
            ValueError: if a symbolic loss is not computed from this model's inputs.
        """
        losses = loss if isinstance(loss, (list, tuple)) else [loss]
        symbolic = [t for t in losses if isinstance(t, KerasTensor)]
        if not symbolic:
            return super().add_loss(loss)
        self._require_graph("add_loss")
        if len(symbolic) != len(losses):
            super().add_loss([t for t in losses if not isinstance(t, KerasTensor)])
        try:
            nodes, _ = _map_graph(self.inputs, self._symbolic_losses + symbolic)
        except ValueError as e:
            raise ValueError(f"Model '{self.name}': add_loss got a tensor not computed from the model's "
                             f"inputs: {e}") from None
        self._symbolic_losses = self._symbolic_losses + symbolic
        main = set(map(id, self._nodes))
        self._loss_nodes = [n for n in nodes if id(n) not in main]
        # A loss may read tensors inside a nested model (Keras 2's VAE: the encoder's z_mean): those
        # layers' weights sit under the nested model's name.
        self._loss_paths = {}
        stack = [((layer.name,), layer) for layer in self._layers]
        while stack:
            path, layer = stack.pop()
            self._loss_paths.setdefault(id(layer), path)
            stack.extend((path + (sub.name,), sub) for sub in getattr(layer, "_layers", ()) or ())

    def _flatten_inputs(self, inputs):
        """Aligns a single array, a list, or a dict keyed by input names with `self.inputs`."""
        n = len(self.inputs)
        if isinstance(inputs, dict):
            names = self.input_names
            missing = [k for k in names if k not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}': missing data for input(s) {missing}; got keys {sorted(inputs)}"
                )
            return [inputs[k] for k in names]
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != n:
                raise ValueError(
                    f"Model '{self.name}' expects {n} input(s) {self.input_names}, "
                    f"but it received {len(inputs)} input arrays"
                )
            return list(inputs)
        if n != 1:
            raise ValueError(
                f"Model '{self.name}' expects {n} inputs {self.input_names}, but it received one array; "
                "pass a list or a dict keyed by input name"
            )
        return [inputs]

    def _infer_output_spec(self, inputs, kwargs):
        return Layer._infer_output_spec(self, inputs, kwargs)

    def _check_input_shape(self, input_shape):
        """Each input's rank and defined sizes must match the model's `Input`s (batch axis free)."""
        if self._is_subclassed or self._input_struct is None:
            return
        shapes = [input_shape] if len(self.inputs) == 1 and _is_shape(input_shape) else \
            self._flatten_inputs(input_shape)
        for tensor, shape, name in zip(self.inputs, shapes, self.input_names):
            expected = tensor.shape
            if not _is_shape(shape):
                continue
            if len(shape) != len(expected) or any(
                e is not None and g is not None and e != g for e, g in zip(expected[1:], shape[1:])
            ):
                raise self._error(
                    f"input '{name}' expects shape {expected} (None = any size), got shape {tuple(shape)}"
                )

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False):
        """Prints a table of the layers: name (type), output shape, parameter count, and totals."""
        from jkeras.utils.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)

    def _repr_html_(self):
        from jkeras.utils.summary import summary_html

        return summary_html(self)

    def get_config(self):
        """The graph as Keras 3 writes it: layers with their inbound nodes, input and output layers."""
        from jkeras.utils.serialization import serialize_layer

        if self._is_subclassed or not _functional_like_constructor(type(self)):
            # As Keras 3: a subclass whose own __init__ builds the graph (keras-io's packaging
            # recipe: `MnistModel()`) is configured by its constructor arguments.
            return Layer.get_config(self)
        self._require_graph("get_config")
        node_ids = {}
        for layer in self._layers:
            own = [n for n in layer._inbound_nodes if n in self._nodes or n.is_input]
            for index, node in enumerate(own):
                node_ids[id(node)] = index

        def ref(t):
            layer, node_index, tensor_index = t._keras_history
            return [layer.name, node_ids[id(layer._inbound_nodes[node_index])], tensor_index]

        def tensor_config(t):
            if not isinstance(t, KerasTensor):
                return t
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": ref(t)}}

        layer_configs = []
        for layer in self._layers:
            entry = serialize_layer(layer, build_config=True)
            entry["name"] = layer.name
            entry["inbound_nodes"] = [_node_config(n, tensor_config) for n in layer._inbound_nodes if n in self._nodes]
            layer_configs.append(entry)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": map_structure(ref, self._input_struct),
            "output_layers": map_structure(ref, self._output_struct),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds a functional model from `get_config()` (Keras 3's format, or Keras 2's nested lists).

        Raises:
            ValueError: for an unknown layer class or a node that references a missing tensor.
        """
        from jkeras.utils.serialization import deserialize_layer

        if "layers" not in config or not _functional_like_constructor(cls):
            return Layer.from_config.__func__(cls, config)
        # Everything is keyed by the config entry's name (as Keras 3 does): a layer whose
        # `get_config()` leaves out `name` gets an automatic name, but the graph's references
        # still use the entry's name.
        created = {}
        pending = []
        for entry in config["layers"]:
            layer = deserialize_layer(entry, custom_objects=custom_objects)
            key = entry.get("name", layer.name)
            created[key] = layer
            pending += [(key, layer, node) for node in _normalize_nodes(entry.get("inbound_nodes", []))]
        outputs_of = {key: [n.outputs for n in layer._inbound_nodes if n.is_input]
                      for key, layer in created.items()}

        def resolve(item):
            if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
                name, node_index, tensor_index = item["config"]["keras_history"]
                produced = outputs_of.get(name, [])
                if node_index >= len(produced):
                    raise KeyError(name)
                return flatten(produced[node_index])[tensor_index]
            return item

        while pending:
            progressed, waiting = False, []
            for key, layer, (args, kwargs) in pending:
                try:
                    inputs, call_kwargs = _map_config(resolve, args), _map_config(resolve, kwargs)
                except KeyError:
                    waiting.append((key, layer, (args, kwargs)))
                    continue
                if len(inputs) != 1 and not _takes_several_arguments(layer):
                    inputs = [inputs]  # a Keras 3 node of a layer called on a list
                outputs_of[key].append(layer(*inputs, **call_kwargs))
                progressed = True
            if not progressed:
                missing = sorted({key for key, _, _ in waiting})
                raise ValueError(f"Model config: the inputs of layer(s) {missing} can never be computed")
            pending = waiting

        def tensor_of(ref):
            name, node_index, tensor_index = ref[:3]
            if name not in outputs_of or node_index >= len(outputs_of[name]):
                raise ValueError(
                    f"Model config: input/output reference {list(ref[:3])} names no layer output; "
                    f"layers: {sorted(outputs_of)}"
                )
            return flatten(outputs_of[name][node_index])[tensor_index]

        inputs = _map_refs(tensor_of, config["input_layers"])
        outputs = _map_refs(tensor_of, config["output_layers"])
        return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
                   trainable=config.get("trainable", True))


def _functional_like_constructor(cls):
    """Whether `cls(inputs=..., outputs=..., name=...)` rebuilds a model of class `cls`, as Keras 3
    decides: `Model` and subclasses keeping its constructor, or an `__init__(self, inputs,
    outputs, name=None)`, or one taking `*args, **kwargs`."""
    if cls.__init__ is Model.__init__:
        return True
    spec = inspect.getfullargspec(cls.__init__)
    return spec.args[1:] == ["inputs", "outputs", "name"] or (spec.varargs is not None and spec.varkw is not None)


def _start_at_inputs(inputs, outputs):
    """Keras 3's `clone_graph_nodes`: an input that is a layer's output rather than an `Input`
    tensor (structured_data_classification_from_scratch.py passes `Normalization` outputs) is
    replaced by a new `Input` of its shape and dtype named `<name>CLONE`, and the calls between
    it and the outputs are made again from there: the model starts at that tensor, and the layers
    before it are not part of the model."""
    mapping = {}
    for t in flatten(inputs):
        if not isinstance(t._keras_history.layer, InputLayer) and id(t) not in mapping:
            mapping[id(t)] = Input(batch_shape=t.shape, dtype=t.dtype, name=f"{t.name}CLONE")
    if not mapping:
        return inputs, outputs
    cut = set(mapping)
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        if not any(id(t) in cut for t in node.output_tensors):
            for parent in node.parent_nodes:
                visit(parent)
        order.append(node)

    for t in flatten(outputs):
        visit(t.node)

    def swap(structure):
        return map_structure(lambda x: mapping.get(id(x), x) if isinstance(x, KerasTensor) else x, structure)

    for node in order:
        if node.is_input or not any(id(t) in mapping for t in node.input_tensors):
            continue
        kwargs = swap(node.call_kwargs)
        if isinstance(node.call_args, CallArgs):
            values = list(swap(node.call_args).values.items())
            positional = [v for _, v in values[:node.call_args.positional]]
            result = node.layer(*positional, **dict(values[node.call_args.positional:]), **kwargs)
        else:
            result = node.layer(swap(node.call_args), **kwargs)
        for old, new in zip(node.output_tensors, flatten(result)):
            mapping.setdefault(id(old), new)
    return swap(inputs), swap(outputs)


def _map_graph(inputs, outputs):
    """Nodes in evaluation order and layers in Keras's order (decreasing depth, then traversal)."""
    finished, in_progress, ordered = set(), set(), []
    first_seen = {}

    def visit(node):
        if id(node) in finished:
            return
        if id(node) in in_progress:
            raise ValueError(f"The graph has a cycle at layer '{node.layer.name}'")
        in_progress.add(id(node))
        first_seen.setdefault(id(node.layer), len(first_seen))
        if not any(node.output_tensors[0] is t for t in inputs):
            for parent in node.parent_nodes:
                visit(parent)
        in_progress.discard(id(node))
        finished.add(id(node))
        ordered.append(node)

    for t in outputs:
        visit(t.node)

    available = {id(t) for t in inputs}
    accessed = []
    for node in ordered:
        for t in node.input_tensors:
            if id(t) not in available:
                raise ValueError(
                    f"Graph disconnected: cannot obtain value for tensor {t!r} at layer "
                    f"'{node.layer.name}'. The following previous layers were accessed without issue: "
                    f"{accessed}"
                )
        if (node.is_input and not any(node.output_tensors[0] is t for t in inputs)
                and getattr(node.layer, "_constant", None) is None):  # an `Input(tensor=array)` holds its value
            raise ValueError(
                f"Graph disconnected: cannot obtain value for tensor {node.output_tensors[0]!r} at layer "
                f"'{node.layer.name}': it is an Input that is not among the model's inputs. "
                f"The following previous layers were accessed without issue: {accessed}"
            )
        accessed.append(node.layer.name)
        available.update(id(t) for t in node.output_tensors)

    depth = {}
    layer_depth = {}
    layer_of = {}
    for node in reversed(ordered):
        d = max(depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        depth[id(node)] = d
        layer_depth[id(node.layer)] = d
        layer_of[id(node.layer)] = node.layer
        if not node.is_input:
            for parent in node.parent_nodes:
                depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
    for t in inputs:
        layer = t._keras_history.layer
        if id(layer) not in layer_depth:
            warnings.warn(
                f"Model input '{layer.name}' (shape {t.shape}) does not reach any output: the model "
                "accepts it and ignores its data. Remove it from `inputs`, or use it in the graph.",
                UserWarning, stacklevel=4,
            )
            layer_depth[id(layer)] = 0
            layer_of[id(layer)] = layer
            # Keras 3 gives an unused input the traversal index -1: it comes first among the
            # depth-0 layers (before the output layers), unused inputs in the order of `inputs`.
            first_seen[id(layer)] = -1
    by_depth = collections.defaultdict(list)
    for lid, d in layer_depth.items():
        by_depth[d].append(layer_of[lid])
    layers = []
    for d in sorted(by_depth, reverse=True):
        layers.extend(sorted(by_depth[d], key=lambda layer: first_seen[id(layer)]))
    nodes = [node for node in ordered if not node.is_input]
    return nodes, layers


def _at_path(tree, path):
    for name in path:
        tree = tree.get(name, {})
    return tree


def _listed(structure):
    """A top-level tuple of tensors as a list: Keras 3's `input_shape` / `output_shape` list the
    shapes of a model built on a tuple."""
    return list(structure) if isinstance(structure, tuple) else structure


def _is_ref(value):
    return (isinstance(value, (list, tuple)) and len(value) >= 3 and isinstance(value[0], str)
            and all(isinstance(v, int) for v in value[1:3]))


def _map_refs(fn, refs):
    """Maps `fn` over `[name, node_index, tensor_index]` references in a list / dict structure."""
    if _is_ref(refs):
        return fn(refs)
    if isinstance(refs, dict):
        return {k: _map_refs(fn, v) for k, v in refs.items()}
    out = [_map_refs(fn, r) for r in refs]
    return tuple(out) if isinstance(refs, tuple) else out  # an in-memory config keeps a tuple, as Keras 3


def _map_config(fn, structure):
    if isinstance(structure, dict) and structure.get("class_name") == "__keras_tensor__":
        return fn(structure)
    if isinstance(structure, list):
        return [_map_config(fn, s) for s in structure]
    if isinstance(structure, dict):
        return {k: _map_config(fn, v) for k, v in structure.items()}
    return fn(structure)


def _node_config(node, tensor_config):
    """A node as Keras 3 writes it: the call's positional arguments and its keyword arguments."""
    if isinstance(node.call_args, CallArgs):
        items = [(k, map_structure(tensor_config, v)) for k, v in node.call_args.values.items()]
        positional = node.call_args.positional
        return {"args": [v for _, v in items[:positional]],
                "kwargs": {**_kwargs_config(node, tensor_config), **dict(items[positional:])}}
    return {"args": [map_structure(tensor_config, node.call_args)], "kwargs": _kwargs_config(node, tensor_config)}


def _kwargs_config(node, tensor_config):
    kwargs = dict(node.call_kwargs)
    if "mask" in kwargs:
        kwargs["mask"] = map_structure(tensor_config, kwargs["mask"])
    return kwargs


def _takes_several_arguments(layer):
    """Whether `layer(a, b, ...)` is a call with several tensors (a Keras-style `call` or a
    layer's own `__call__`), rather than one that must get them as a list."""
    from jkeras.models.layer import _computes_in_call

    return _computes_in_call(type(layer)) or type(layer).__call__ is not Layer.__call__


def _normalize_nodes(inbound_nodes):
    """(positional args, kwargs) per node, from Keras 3 dicts or Keras 2
    `[[name, node, tensor, kwargs], ...]`."""
    nodes = []
    for node in inbound_nodes:
        if isinstance(node, dict):
            nodes.append((list(node.get("args", [])), node.get("kwargs", {})))
            continue
        tensors = [
            {"class_name": "__keras_tensor__", "config": {"keras_history": list(item[:3])}} for item in node
        ]
        kwargs = node[0][3] if node and len(node[0]) > 3 and node[0][3] else {}
        nodes.append(([tensors[0] if len(tensors) == 1 else tensors], kwargs))
    return nodes


def _unpickle_model(data):
    """The model that `Model.__reduce__` stored as its `.keras` file's bytes."""
    from jkeras.saving import saving_api

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        return saving_api.load_model(path)

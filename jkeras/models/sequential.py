"""`Sequential`: a plain stack of layers, each feeding the next.

Once the input shape is known (from the first layer's `input_shape` / `input_dim` /
`batch_input_shape`, an `InputLayer`, `build`, or the first data seen) the stack is wired as a
functional graph, so everything a functional `Model` does works the same way.
"""
import warnings

from jkeras.models import call_scope
from jkeras.models.functional import Model
from jkeras.models.input_layer import Input, InputLayer
from jkeras.models.layer import Layer
from jkeras.models.node import KerasTensor
from jkeras.models.variable import creation_scope
from jkeras.utils import naming


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: optional list of layers to add in order.
        name: optional model name.

    Raises:
        TypeError: if something that is not a layer is added.
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack = []
        self._input_layer = None
        self._owned_nodes = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        if self._stack and self._wired and self._output_struct is None:
            self._rebuild()  # once, for the whole list, as Keras 3

    @property
    def _tracks_layers(self):
        return self._keras_style  # its layers are the ones `add` stacks

    def add(self, layer, rebuild=True):
        """Appends a layer (or an `Input` tensor / `InputLayer` that fixes the input shape).

        Args:
            layer: the layer instance to add.
            rebuild: whether to wire the model's graph again now (when it has an input shape);
                with False it is wired when next built or called.

        Raises:
            TypeError: if `layer` is not a layer.
            ValueError: if the layer's name is already in the model.
        """
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history.layer, InputLayer):
            layer = layer._keras_history.layer
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError(f"Sequential '{self.name}': an InputLayer can only be the first layer")
            self._input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential '{self.name}': add() takes a layer instance, got {layer!r} "
                f"(of type {type(layer).__name__})"
            )
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f"Sequential '{self.name}': all layers must have unique names; '{layer.name}' is already in the model"
            )
        self._stack.append(layer)
        self._track_stack()
        if len(self._stack) == 1 and getattr(layer, "_keras1_merged", None) is not None:
            # Keras 1: `Merge([model_a, model_b])` first: the merged models' inputs are the model's.
            self._input_layer = None
            self._rebuild()
            return
        batch_shape = _known_batch_shape(layer)
        if self._input_layer is None and len(self._stack) == 1 and batch_shape is not None:
            # Keras 3 adds an `InputLayer` with its default name (`input_layer`, `input_layer_1`, ...)
            self._input_layer = InputLayer(batch_shape=batch_shape, dtype=_input_dtype(layer))
        if not rebuild:
            self._unwire()
        elif self._wired:
            if self._output_struct is None:
                self._rebuild()
            else:
                try:
                    self._extend(layer)
                except Exception:
                    self._stack.pop()
                    raise

    def pop(self, rebuild=True):
        """Removes the last layer.

        Args:
            rebuild: whether to wire the model's graph again now (when it has an input shape);
                with False it is wired when next built or called.

        Returns:
            The removed layer.

        Raises:
            TypeError: if the model has no layers.
        """
        if not self._stack:
            raise TypeError(f"Sequential '{self.name}': there are no layers to pop")
        layer = self._stack.pop()
        self._track_stack()
        if not rebuild:
            self._unwire()
        elif self._wired:
            self._rebuild()
        return layer

    @property
    def _wired(self):
        """Whether the stack has its inputs: an input shape, or a Keras 1 `Merge` of models first."""
        return self._input_layer is not None or bool(self._stack) and self._merged_sources() is not None

    def _merged_sources(self):
        """`(inputs, merged tensor)` of a Keras 1 `Merge([model_a, model_b])` first layer, else None."""
        return getattr(self._stack[0], "_keras1_merged", None) if self._stack else None

    def build(self, input_shape=None):
        """Wires the stack for inputs of `input_shape` (batch axis included) and creates the weights."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(f"Sequential '{self.name}': build() needs an input_shape")
        else:
            dtype = _input_dtype(self._stack[0]) if self._stack else None
            self._input_layer = InputLayer(batch_shape=tuple(input_shape), dtype=dtype)  # Keras 3's default name
        self._rebuild()

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2: the model's outputs, expected to be probabilities (same as `predict`).

        Warns when an output lies outside [0, 1].
        """
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.min() < 0.0 or preds.max() > 1.0:
            warnings.warn(f"Sequential '{self.name}': predict_proba got values outside [0, 1] "
                          f"(min {preds.min()}, max {preds.max()}): the last layer is no probability "
                          "(sigmoid / softmax)", UserWarning, stacklevel=2)
        return preds

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2: class indices, `argmax` of the outputs, or `outputs > 0.5` for one output unit.

        Returns:
            An int32 array: `(batch,)` for several units, `(batch, 1)` for one.
        """
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1).astype("int32")
        return (proba > 0.5).astype("int32")

    def _check_input_shape(self, input_shape):
        """As in Keras 2, an input its layers accept runs even when its shape differs from the
        declared one (a stack built for `(None, 100)` called on a `(None, 1, 100)` tensor);
        anything a layer would reject gets the declared-shape error."""
        try:
            super()._check_input_shape(input_shape)
        except ValueError as declared:
            shape = input_shape
            try:
                for layer in self._stack:
                    layer._check_input_shape(shape)
                    shape = layer.compute_output_shape(shape)
            except Exception:
                raise declared from None

    def _maybe_build(self, input_shape, call_kwargs=None):  # no other call arguments to pass
        if self._output_struct is None and self._stack and self._wired:
            self._rebuild()  # layers added or popped with rebuild=False since
        elif self._input_struct is None:
            self._build_from_data([input_shape])

    def init(self, rng, input_shape=None):
        """Fresh weights for every layer; a Sequential with no input shape yet is first wired for
        `input_shape` (a Sequential created inside a custom layer and called in its `call`)."""
        if self._input_layer is None and input_shape is not None:
            with call_scope.outside():
                self._build_from_data([input_shape])
            # Wiring built every layer with fresh weights: those are the weights. Initializing again
            # would run a custom layer's `build` a second time, giving it new sublayers while its
            # weights stay those of the first ones (a layer shared by two Sequentials, as keras-io
            # patch_convnet.py's trunk blocks).
            return self.get_variables()
        return super().init(rng, input_shape)

    def _build_from_data(self, input_shapes):
        """Deferred build, from the shape of the first data seen (a list with one shape)."""
        if self._input_layer is None:
            shape = input_shapes[0]
            self.build((None,) + tuple(shape[1:]))

    def _unwire(self):
        for layer, node in self._owned_nodes:
            if node in layer._inbound_nodes:
                layer._inbound_nodes.remove(node)
        self._owned_nodes = []
        self._output_struct = None
        self._track_stack()

    def _track_stack(self):
        """Until the stack is wired (which makes its graph's layers the sublayers), its layers are
        the sublayers: as Keras 3, an unbuilt Sequential's `weights` are those of its layers built
        before being added (an adapted `Normalization`, keras-io's eanet)."""
        if self._output_struct is None:
            self._sublayers = list(self._stack)

    def _rebuild(self):
        self._unwire()
        merged = self._merged_sources()
        if merged is not None:
            (self._input_tensor, x), stack = merged, self._stack[1:]
        else:
            x = self._input_layer._inbound_nodes[0].outputs
            if not self._stack:
                return
            self._input_tensor, stack = x, self._stack
        for layer in stack:
            x = self._call_owned(layer, x)
        self._init_graph(self._input_tensor, x)
        naming.uniquify("functional")  # Keras 3 wires each build through a new, default-named Functional

    def _extend(self, layer):
        x = self._call_owned(layer, self._output_struct)
        self._init_graph(self._input_tensor, x)
        naming.uniquify("functional")  # as _rebuild

    def _call_owned(self, layer, x):
        before = len(layer._inbound_nodes)
        with creation_scope(self):  # the layer's weights are "<this model>/<layer>/<name>"
            out = layer(x)
        self._owned_nodes += [(layer, n) for n in layer._inbound_nodes[before:]]
        return out

    @property
    def layers(self):
        return list(self._stack)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Sets every layer's `trainable`, as Keras 3 does, also before the model is built (its
        layers become sublayers when it is wired: `Sequential([...]).trainable = False` then
        calling it, as the keras-io FCN example freezes its converted dense layers)."""
        Model.trainable.fset(self, value)
        for layer in self.__dict__.get("_stack", ()):
            layer.trainable = value

    def get_config(self):
        from jkeras.utils.serialization import serialize_layer

        if self._merged_sources() is not None:
            raise NotImplementedError(
                f"Sequential '{self.name}' starts with a Keras 1 Merge of models, which has no config of its "
                "own; build the same model with the functional API (Model(inputs, outputs)) to save it")
        config = {"name": self.name, "trainable": self.trainable, "layers": []}
        if self._input_layer is not None:
            config["layers"].append(serialize_layer(self._input_layer))
        config["layers"] += [serialize_layer(layer) for layer in self._stack]
        if self._input_layer is not None and self._stack:
            # The InputLayer entry carries the shape, as Keras 3 writes it: Keras 3 rejects a
            # `batch_input_shape` key in a layer entry of its own format (model.save / to_json).
            config["layers"][1]["config"].pop("batch_input_shape", None)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from jkeras.utils.serialization import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects=custom_objects))
        return model


def _model_inputs(layer):
    """The input tensors of a functional (or built Sequential) model, else None."""
    if isinstance(layer, Model) and not layer._is_subclassed:
        return getattr(layer, "inputs", None)
    return None


def _input_dtype(layer):
    inputs = _model_inputs(layer)
    if inputs is not None and len(inputs) == 1:
        return inputs[0].dtype
    return getattr(layer, "input_dtype", None)


def _known_batch_shape(layer):
    """The batch input shape a first layer fixes: its `batch_input_shape`, or the input of a
    functional model with one input (a pretrained conv base: `Sequential([VGG16(...), ...])`)."""
    if layer._batch_input_shape is not None:
        return layer._batch_input_shape
    inputs = _model_inputs(layer)
    if inputs is not None and len(inputs) == 1:
        return tuple(inputs[0].shape)
    return None

"""Pipeline (Keras 3): a chain of layers, usually preprocessing and augmentation layers, run one after
the other. Its inner layers keep their weights (if any) under their names in the pipeline's variables."""
import jax

from jkeras.models.layer import Layer
from jkeras.models.variable import creation_scope
from jkeras.utils.serialization import deserialize_layer, serialize_layer

__all__ = ["Pipeline"]


class Pipeline(Layer):
    """Applies `layers` in order, each to the previous one's output.

    Unlike a `Sequential` model, a Pipeline is a layer: it fits inside a data pipeline or a model.
    Called directly without `training`, it runs its layers in training mode (Keras 3's
    `call(inputs, training=True)`), so that its augmentations apply; in `predict` they do not. Each
    inner layer gets its own key, folded from the pipeline's `rng`.

    Args:
        layers: a list of layer instances.
        name: optional name of the pipeline.

    Raises:
        ValueError: if `layers` is not a list of layers.
    """

    _training_default = True

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer) for layer in layers):
            raise self._error(f"layers must be a list of layer instances, got {layers!r}")
        self._pipeline_layers = list(layers)
        self._sublayers = list(layers)

    @property
    def layers(self):
        """The layers, in order."""
        return self._pipeline_layers

    def _shapes(self, input_shape):
        """`[(layer, its input shape), ...]`."""
        out, shape = [], input_shape
        for layer in self._pipeline_layers:
            out.append((layer, shape))
            shape = layer.compute_output_shape(shape)
        return out

    def build(self, input_shape):
        """Builds each inner layer that is not built yet; a built one keeps its (shared) weights."""
        with creation_scope(self):
            shape = input_shape
            for layer in self._pipeline_layers:
                layer._maybe_build(shape)
                shape = layer.compute_output_shape(shape)
        self.built = True
        self._build_input_shape = input_shape

    def init(self, rng, input_shape):
        variables = {"params": {}, "state": {}}
        for i, (layer, shape) in enumerate(self._shapes(input_shape)):
            made = layer.init(jax.random.fold_in(rng, i), shape)
            for collection in ("params", "state"):
                if made[collection]:
                    variables[collection][layer.name] = made[collection]
        return variables

    def _check_input_shape(self, input_shape):
        if self._pipeline_layers:
            self._pipeline_layers[0]._check_input_shape(input_shape)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        state = dict(variables["state"])
        x = inputs
        for i, layer in enumerate(self._pipeline_layers):
            own = {c: variables[c].get(layer.name, {}) for c in ("params", "state")}
            key = None if rng is None else jax.random.fold_in(rng, i)
            out, new_state = layer.forward(own, x, training=training, rng=key, mask=mask)
            if new_state:
                state[layer.name] = new_state
            mask = layer.compute_mask(x, mask)
            x = out
        return x, state

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._pipeline_layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self):
        return {"layers": [serialize_layer(layer) for layer in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"Pipeline: the config must hold a list of serialized layers under 'layers', "
                             f"got layers={layers!r}")
        config = {**config, "layers": [deserialize_layer(entry, custom_objects=custom_objects) for entry in layers]}
        return cls(**config)

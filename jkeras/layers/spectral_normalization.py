"""`SpectralNormalization` (Keras 3): a wrapper that divides a layer's kernel by its spectral
norm, estimated by power iteration, when training.

The power-iteration vector is the wrapper's non-trainable weight `vector_u` `(1, units)`, in
`state`; a training call returns it advanced. The kernel itself stays a trainable weight of the
wrapped layer, and the normalized kernel is what the wrapped layer computes with (gradients flow
through the division, not through the power iteration). Weights list in Keras's order: the
wrapped kernel, `vector_u`, then the wrapped layer's other weights.
"""
import numbers

import jax
import jax.numpy as jnp

from jkeras.core import initializers
from jkeras.layers.wrappers import Wrapper, _layer_variables
from jkeras.utils.random import next_key

__all__ = ["SpectralNormalization"]

_EPSILON = 1e-7  # Keras's backend epsilon, the floor of the l2 norms


def _l2_normalize(x):
    """`x / ||x||` (all entries), as `keras.ops.normalize(x, axis=None)`: `x * min(rsqrt(sum x^2), 1 / eps)`."""
    return x * jnp.minimum(jax.lax.rsqrt(jnp.sum(jnp.square(x))), 1.0 / _EPSILON)


def spectral_normalize(kernel, vector_u, power_iterations):
    """`(new_vector_u, kernel / sigma)`: `sigma` the largest singular value of `kernel` reshaped
    to `(-1, units)`, estimated by `power_iterations` steps from `vector_u` (pure).

    An all-zero kernel is returned unchanged with `vector_u`.
    """
    weights = jnp.reshape(kernel, (-1, kernel.shape[-1]))
    u = vector_u
    for _ in range(power_iterations):
        v = _l2_normalize(jnp.matmul(u, weights.T))
        u = _l2_normalize(jnp.matmul(v, weights))
    u, v = jax.lax.stop_gradient(u), jax.lax.stop_gradient(v)
    sigma = jnp.matmul(jnp.matmul(v, weights), u.T)  # (1, 1)
    normalized = jnp.reshape(kernel / sigma, kernel.shape).astype(kernel.dtype)
    zero = jnp.all(kernel == 0)
    return (jnp.where(zero, vector_u, u.astype(vector_u.dtype)), jnp.where(zero, kernel, normalized))


class SpectralNormalization(Wrapper):
    """Spectral normalization of a layer's kernel (Miyato et al., 2018), as Keras 3's.

    In training, the wrapped layer's `kernel` (or `embeddings`) is divided by its largest
    singular value, estimated by power iteration from the stored vector `vector_u`, which the
    call advances. In inference the layer runs with its kernel unchanged. An eager call
    `layer(x, training=True)` also writes the normalized kernel into the wrapped layer, as Keras's
    does; under `fit` the optimizer updates the raw kernel (Keras 3 on JAX behaves the same).

    Args:
        layer: the layer to wrap; it must have a `kernel` or `embeddings` weight.
        power_iterations: positive int, power-iteration steps per training call.

    Weights:
        the wrapped kernel, vector_u `(1, kernel.shape[-1])` (non-trainable, initialized from a
        truncated normal with stddev 0.02), then the wrapped layer's other weights.

    Raises:
        ValueError: if `power_iterations` is not a positive int, or the wrapped layer has neither
            `kernel` nor `embeddings`.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if (isinstance(power_iterations, bool) or not isinstance(power_iterations, numbers.Integral)
                or power_iterations <= 0):
            raise self._error(f"power_iterations must be a positive int, got power_iterations={power_iterations!r}")
        self.power_iterations = int(power_iterations)

    def _kernel_name(self, inner_params):
        for name in ("kernel", "embeddings"):
            if name in inner_params:
                return name
        raise self._error(f"{type(self.layer).__name__} object has no weight 'kernel' nor 'embeddings' "
                          f"(its weights: {sorted(inner_params)})")

    def _check_input_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 1:
            raise self._error(f"expected an input of rank >= 1, got shape {input_shape}")
        self.layer._check_input_shape(input_shape)

    def _initial_vector_u(self, inner_params, rng):
        kernel = inner_params[self._kernel_name(inner_params)]
        initializer = initializers.get({"class_name": "TruncatedNormal", "config": {"stddev": 0.02}})
        return jnp.asarray(initializer((1, kernel.shape[-1]), kernel.dtype, key=rng), kernel.dtype)

    def build(self, input_shape):
        super().build(input_shape)
        if "vector_u" not in self._state:
            self._state["vector_u"] = self._initial_vector_u(self.layer.get_variables()["params"], next_key())

    def init(self, rng, input_shape):
        variables = super().init(rng, input_shape)
        inner = variables["params"].get(self.layer.name, {})
        variables["state"]["vector_u"] = self._initial_vector_u(inner, jax.random.fold_in(rng, 7))
        return variables

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        inner = _layer_variables(variables, self.layer)
        state = dict(variables["state"])
        if training:
            name = self._kernel_name(inner["params"])
            state["vector_u"], kernel = spectral_normalize(inner["params"][name], state["vector_u"],
                                                           self.power_iterations)
            inner = {"params": {**inner["params"], name: kernel}, "state": inner["state"]}
        outputs, inner_state = self.layer.forward(inner, inputs, training=training, rng=rng, mask=mask)
        if inner_state:
            state[self.layer.name] = inner_state
        dtype = jnp.result_type(inputs)
        if jnp.issubdtype(dtype, jnp.floating):  # Keras casts to the input's dtype
            outputs = outputs.astype(dtype)
        return outputs, state

    def _eager_call(self, inputs, training=None, mask=None, **kwargs):
        if not training:
            return super()._eager_call(inputs, training=training, mask=mask, **kwargs)
        self._maybe_build(tuple(jnp.shape(inputs)))
        inner = self.layer.get_variables()["params"]
        name = self._kernel_name(inner)
        _, kernel = spectral_normalize(inner[name], self.get_variables()["state"]["vector_u"],
                                       self.power_iterations)
        outputs = super()._eager_call(inputs, training=training, mask=mask, **kwargs)
        getattr(self.layer, name).assign(kernel)  # Keras assigns the normalized kernel in training
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    @property
    def weights(self):
        weights = super().weights
        if not self.built:
            return weights
        kernel = next((w for w in weights if w._layer is self.layer and w.name in ("kernel", "embeddings")), None)
        if kernel is None:
            return weights
        return [kernel] + [w for w in weights if w is not kernel]

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}

"""RandomFourierFeatures: tf.keras 2.x's `keras.layers.experimental.RandomFourierFeatures` (Keras 3
dropped it; keras-io's quasi_svm example uses it)."""
import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import constraints, initializers
from jkeras.layers.core import _positive_int
from jkeras.models.layer import Layer

_KERNELS = ("gaussian", "laplacian")


class RandomFourierFeatures(Layer):
    """Maps its input to `cos(inputs @ (unscaled_kernel / kernel_scale) + bias)`, random features
    whose dot products approximate a shift-invariant kernel (Rahimi & Recht), as tf.keras 2.x did.

    Args:
        output_dim: number of random features (a positive int).
        kernel_initializer: "gaussian" (entries N(0, 1), approximates the RBF kernel),
            "laplacian" (standard Cauchy entries, the Laplacian kernel) or an initializer.
        scale: the initial `kernel_scale` (> 0); default `sqrt(input_dim / 2)` for "gaussian",
            1.0 otherwise.
        trainable: whether `kernel_scale` trains (default False, as in tf.keras).

    Weights (in Keras 2's order): kernel_scale `(1,)` (non-negative), unscaled_kernel
        `(input_dim, output_dim)` and bias `(output_dim,)` uniform in [0, 2 pi), never trained.

    Raises:
        ValueError: for a bad `output_dim`, `kernel_initializer` or `scale`, or an input that is
            not of rank 2 with a known last axis.
    """

    def __init__(self, output_dim, kernel_initializer="gaussian", scale=None, trainable=False,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.output_dim = _positive_int(f"RandomFourierFeatures '{self.name}'", "output_dim", output_dim)
        if isinstance(kernel_initializer, str) and kernel_initializer.lower() not in _KERNELS:
            raise self._error(f"kernel_initializer must be one of {_KERNELS} or an initializer, "
                              f"got kernel_initializer={kernel_initializer!r}")
        if scale is not None and not scale > 0.0:
            raise self._error(f"scale must be None or > 0, got scale={scale!r}")
        self.kernel_initializer = kernel_initializer
        self.scale = scale
        self.kernel_scale_constraint = constraints.get("non_neg")

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise self._error(f"expected an input of rank 2 (batch, features) with a known last axis, "
                              f"got shape {input_shape}")

    def init(self, rng, input_shape):
        input_dim = input_shape[-1]
        k_kernel, k_bias = jax.random.split(rng)
        shape = (input_dim, self.output_dim)
        kind = self.kernel_initializer.lower() if isinstance(self.kernel_initializer, str) else None
        if kind == "gaussian":
            kernel = initializers.RandomNormal(stddev=1.0)(shape, "float32", key=k_kernel)
        elif kind == "laplacian":  # standard Cauchy samples
            kernel = jnp.tan(np.pi * (jax.random.uniform(k_kernel, shape, jnp.float32) - 0.5))
        else:
            kernel = initializers.get(self.kernel_initializer)(shape, "float32", key=k_kernel)
        if self.scale is None:
            self.scale = float(np.sqrt(input_dim / 2.0)) if kind == "gaussian" else 1.0
        bias = jax.random.uniform(k_bias, (self.output_dim,), jnp.float32, 0.0, 2 * np.pi)
        return {"params": {"kernel_scale": jnp.full((1,), self.scale, jnp.float32)},
                "state": {"unscaled_kernel": kernel, "bias": bias}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        params, state = variables["params"], variables["state"]
        kernel = (1.0 / params["kernel_scale"]) * state["unscaled_kernel"]
        outputs = jnp.matmul(jnp.asarray(inputs, jnp.float32), kernel) + state["bias"]
        return jnp.cos(outputs), state

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        kernel_initializer = self.kernel_initializer
        if not isinstance(kernel_initializer, str):
            kernel_initializer = initializers.serialize(kernel_initializer)
        return {**super().get_config(), "output_dim": self.output_dim,
                "kernel_initializer": kernel_initializer, "scale": self.scale}

"""Keras 1's dense layers that Keras 2 kept in `keras.legacy.layers` and Keras 3 dropped:
`Highway`, `MaxoutDense` and `TimeDistributedDense` (now `TimeDistributed(Dense(...))`).

They take Keras 1's argument names (`init`, `W_regularizer`, `b_constraint`, `bias`, `input_dim`)
and name their weights as Keras 2's legacy versions did (`W`, `W_carry`, `b`, `b_carry`).
"""
import warnings

import jax
import jax.numpy as jnp

from jkeras.core import activations, constraints, initializers, regularizers
from jkeras.layers.core import Dense, _positive_int
from jkeras.layers.wrappers import TimeDistributed
from jkeras.models.layer import Layer

__all__ = ["Highway", "MaxoutDense", "TimeDistributedDense"]


class _LegacyDense(Layer):
    """What `Highway` and `MaxoutDense` share: Keras 1's arguments for a `W` / `b` pair."""

    def __init__(self, init="glorot_uniform", weights=None, W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None, bias=True, input_dim=None,
                 **kwargs):
        warnings.warn(f"The `{type(self).__name__}` layer is Keras 1's (Keras 2 deprecated it, Keras 3 "
                      "removed it)", UserWarning, stacklevel=3)
        super().__init__(activity_regularizer=activity_regularizer, input_dim=input_dim, weights=weights,
                         **kwargs)
        self.initializer = initializers.get(init)
        self.W_regularizer = regularizers.get(W_regularizer)
        self.b_regularizer = regularizers.get(b_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.bias = bool(bias)
        self.input_dim = input_dim

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise self._error(f"expected an input of rank 2 (batch, input_dim) with a known input_dim, "
                              f"got shape {input_shape}")

    def get_config(self):
        def maybe(serialize, value):
            return serialize(value) if value is not None else None

        return {**super().get_config(), "init": initializers.serialize(self.initializer),
                "W_regularizer": maybe(regularizers.serialize, self.W_regularizer),
                "b_regularizer": maybe(regularizers.serialize, self.b_regularizer),
                "W_constraint": maybe(constraints.serialize, self.W_constraint),
                "b_constraint": maybe(constraints.serialize, self.b_constraint),
                "bias": self.bias, "input_dim": self.input_dim}


class Highway(_LegacyDense):
    """Keras 1's densely connected highway layer (Srivastava et al., 2015):
    `t * activation(x @ W + b) + (1 - t) * x` with the transform gate `t = sigmoid(x @ W_carry + b_carry)`.

    Args:
        init: initializer of `W` and `W_carry`.
        activation: activation of the transform (None: linear).
        weights: initial weights `[W, W_carry, b, b_carry]`.
        W_regularizer, b_regularizer, activity_regularizer: regularizers (or None).
        W_constraint, b_constraint: constraints (or None).
        bias: whether to use `b` and `b_carry`.
        input_dim: the input size (first layer of a model).
        transform_bias: Keras 1's initial value of `b_carry` (Keras 2's default: ones).

    Weights:
        W `(input_dim, input_dim)`, W_carry `(input_dim, input_dim)`, b `(input_dim,)`,
        b_carry `(input_dim,)`.

    Raises:
        ValueError: for an input that is not `(batch, input_dim)`.
    """

    def __init__(self, init="glorot_uniform", activation=None, transform_bias=None, **kwargs):
        super().__init__(init=init, **kwargs)
        self.activation = activations.get(activation)
        self.transform_bias = transform_bias

    def init(self, rng, input_shape):
        dim = input_shape[-1]
        k_w, k_carry = jax.random.split(rng)
        params = {"W": self.initializer((dim, dim), self.dtype, key=k_w),
                  "W_carry": self.initializer((dim, dim), self.dtype, key=k_carry)}
        if self.bias:
            carry = 1.0 if self.transform_bias is None else self.transform_bias
            params["b"] = jnp.zeros((dim,), self.dtype)
            params["b_carry"] = jnp.full((dim,), carry, self.dtype)
        return {"params": params, "state": {}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        p = variables["params"]
        x = jnp.asarray(inputs, self.compute_dtype)
        gate = x @ p["W_carry"] + (p["b_carry"] if self.bias else 0)
        transform = jax.nn.sigmoid(gate)
        act = self.activation(x @ p["W"] + (p["b"] if self.bias else 0))
        return act * transform + (1 - transform) * x, variables["state"]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation),
                "transform_bias": self.transform_bias}


class MaxoutDense(_LegacyDense):
    """Keras 1's dense maxout layer: the element-wise maximum of `nb_feature` linear layers
    (Goodfellow et al., 2013), `max_k (x @ W[k] + b[k])`. It is linear: no activation.

    Args:
        output_dim: positive int, the output size.
        nb_feature: number of linear pieces.
        init, weights, W_regularizer, b_regularizer, activity_regularizer, W_constraint,
            b_constraint, bias, input_dim: as for `Highway`.

    Weights:
        W `(nb_feature, input_dim, output_dim)`, b `(nb_feature, output_dim)`.

    Raises:
        ValueError: for a bad `output_dim` / `nb_feature`, or an input that is not `(batch, input_dim)`.
    """

    def __init__(self, output_dim, nb_feature=4, **kwargs):
        super().__init__(**kwargs)
        self.output_dim = _positive_int(f"MaxoutDense '{self.name}'", "output_dim", output_dim)
        self.nb_feature = _positive_int(f"MaxoutDense '{self.name}'", "nb_feature", nb_feature)

    def init(self, rng, input_shape):
        params = {"W": self.initializer((self.nb_feature, input_shape[-1], self.output_dim), self.dtype, key=rng)}
        if self.bias:
            params["b"] = jnp.zeros((self.nb_feature, self.output_dim), self.dtype)
        return {"params": params, "state": {}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        p = variables["params"]
        out = jnp.einsum("bi,kio->bko", jnp.asarray(inputs, self.compute_dtype), p["W"])
        if self.bias:
            out = out + p["b"]
        return jnp.max(out, axis=1), variables["state"]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        return {**super().get_config(), "output_dim": self.output_dim, "nb_feature": self.nb_feature}


def TimeDistributedDense(output_dim, input_dim=None, input_length=None, **kwargs):  # noqa: N802
    """Keras 1's `TimeDistributedDense`: `TimeDistributed(Dense(output_dim, ...))`.

    Args:
        output_dim: positive int, the output size per timestep.
        input_dim: feature size of the input (first layer of a model).
        input_length: number of timesteps (first layer of a model).
        **kwargs: `Dense`'s arguments, in Keras 1 or later spelling (`init`, `W_regularizer`, ...),
            and the layer's `name` / `input_shape`.

    Returns:
        A `TimeDistributed` layer wrapping a `Dense`.
    """
    warnings.warn("TimeDistributedDense is Keras 1's; use TimeDistributed(Dense(...))", UserWarning, stacklevel=2)
    wrapper = {key: kwargs.pop(key) for key in ("name", "input_shape", "batch_input_shape", "batch_size")
               if key in kwargs}
    if input_dim is not None and "input_shape" not in wrapper and "batch_input_shape" not in wrapper:
        wrapper["input_shape"] = (input_length, input_dim)
    return TimeDistributed(Dense(output_dim, **kwargs), **wrapper)

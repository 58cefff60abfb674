"""`ReversibleEmbedding` (Keras 3): an `Embedding` that also projects hidden states back to
vocabulary logits (`layer(h, reverse=True)`), with the transposed embeddings (tied) or its own
`reverse_embeddings` matrix."""
import numbers

import jax
import jax.numpy as jnp

from jkeras.layers.embedding import Embedding
from jkeras.models.layer import Layer
from jkeras.models.node import KerasTensor, map_structure

__all__ = ["ReversibleEmbedding"]


class ReversibleEmbedding(Embedding):
    """An embedding that can also project from `output_dim` back to `input_dim`.

    `layer(ids)` looks up `embeddings[ids]` as `Embedding` does; `layer(h, reverse=True)` returns
    the logits `h @ embeddings.T` (weights tied, the default) or `h @ reverse_embeddings`
    (`tie_weights=False`). There are no biases.

    Args:
        input_dim: positive int, the vocabulary size.
        output_dim: positive int, the size of each vector.
        tie_weights: whether the reverse projection uses the transposed `embeddings`; otherwise
            a separate trainable `reverse_embeddings` `(output_dim, input_dim)` is created (with
            `embeddings_initializer`).
        embeddings_initializer, embeddings_regularizer, embeddings_constraint, mask_zero: as
            `Embedding`'s (the constraint and regularizer apply to `embeddings` only).
        reverse_dtype: optional dtype the reverse projection computes in (default: the layer's
            compute dtype).
        logit_soft_cap: optional positive float `c`: reverse logits become `c * tanh(logits / c)`.

    Call arguments:
        inputs: integer ids `(batch, ...)`, or with `reverse=True` hidden states `(batch, ..., output_dim)`.
        reverse: whether to project back to the vocabulary.

    Returns:
        `(batch, ..., output_dim)` embeddings, or `(batch, ..., input_dim)` logits with `reverse=True`.
        With `mask_zero=True` the forward call's output carries the mask `ids != 0`; the reverse
        call (float inputs) has no mask.

    Raises:
        ValueError: for bad arguments; with `reverse=True`, inputs whose last axis is not `output_dim`.
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero, **kwargs)
        if logit_soft_cap is not None and (isinstance(logit_soft_cap, bool)
                                           or not isinstance(logit_soft_cap, numbers.Real) or logit_soft_cap <= 0):
            raise self._error(f"logit_soft_cap must be None or a positive number, got logit_soft_cap={logit_soft_cap!r}")
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = None if reverse_dtype is None else jnp.dtype(reverse_dtype).name
        self.logit_soft_cap = logit_soft_cap

    def _check_input_shape(self, input_shape):
        pass  # forward and reverse calls take different shapes; `apply` checks the reverse one

    def _eager_call(self, inputs, **kwargs):
        if kwargs.get("reverse"):  # hidden states, not ids: no index check
            return Layer._eager_call(self, inputs, **kwargs)
        return super()._eager_call(inputs, **kwargs)

    def init(self, rng, input_shape):
        variables = super().init(rng, input_shape)
        if not self.tie_weights:
            variables["params"]["reverse_embeddings"] = self.embeddings_initializer(
                (self.output_dim, self.input_dim), self.dtype, key=jax.random.fold_in(rng, 2)
            )
        return variables

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None, reverse=False):
        if not reverse:
            return super().apply(variables, inputs, training=training, rng=rng, mask=mask)
        inputs = jnp.asarray(inputs)
        if inputs.ndim < 1 or inputs.shape[-1] != self.output_dim:
            raise self._error(f"reverse=True expects inputs of shape (..., output_dim={self.output_dim}), "
                              f"got shape {tuple(inputs.shape)}")
        params = variables["params"]
        kernel = self.lora_matrix(params).T if self.tie_weights else params["reverse_embeddings"]
        if self.reverse_dtype is not None:
            inputs, kernel = inputs.astype(self.reverse_dtype), kernel.astype(self.reverse_dtype)
        logits = jnp.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = jnp.asarray(self.logit_soft_cap, logits.dtype)
            logits = jnp.tanh(logits / cap) * cap
        return logits, variables["state"]

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero or jnp.issubdtype(jnp.result_type(inputs), jnp.floating):
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return super().compute_output_shape(input_shape)

    def _infer_output_spec(self, inputs, kwargs):
        if not kwargs.get("reverse"):
            return super()._infer_output_spec(inputs, kwargs)
        shape = map_structure(lambda t: t.shape, inputs)
        dtype = self.reverse_dtype or self.compute_dtype
        return KerasTensor(self.compute_output_shape(shape, reverse=True), dtype)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap}


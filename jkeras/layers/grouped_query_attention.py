"""`GroupQueryAttention` (Keras 3's `keras.layers.GroupQueryAttention`, class `GroupedQueryAttention`).

Grouped-query attention is `MultiHeadAttention` over `(batch, length, features)` inputs whose key
and value projections have `num_key_value_heads` heads, each shared by
`num_query_heads // num_key_value_heads` query heads. It reuses `MultiHeadAttention`'s calling,
masks and attention; only the projections and the head sharing differ. Weights (names, shapes,
order) are Keras's: `query`, `key`, (`gate`,) `value`, `attention_output`, each `kernel`, `bias`.
"""
import jax.numpy as jnp

from jkeras.core import constraints, initializers, regularizers
from jkeras.layers.attention import (
    MultiHeadAttention,
    _build_attention_equation,
    _is_int,
    _reserve_attention_layer_names,
    _serialize,
)
from jkeras.models.layer import Layer
from jkeras.models.node import KerasTensor, map_structure

__all__ = ["GroupQueryAttention", "GroupedQueryAttention"]


class GroupedQueryAttention(MultiHeadAttention):
    """Grouped-query attention (Ainslie et al., 2023), as Keras 3's `GroupQueryAttention`.

    `query` is projected to `num_query_heads` heads, `key` and `value` to `num_key_value_heads`
    heads, each repeated to serve `num_query_heads // num_key_value_heads` query heads; the scaled
    dot products `query . key / sqrt(head_dim)` are softmaxed over the key positions and the heads'
    weighted sums of `value` are projected back to the query's feature size. `num_key_value_heads=1`
    is multi-query attention, `num_key_value_heads == num_query_heads` multi-head attention.

    Args:
        head_dim: positive int, the size of each head.
        num_query_heads: positive int, the number of query heads.
        num_key_value_heads: positive int dividing `num_query_heads`, the number of key / value heads.
        dropout: float in [0, 1), dropout on the attention probabilities (training only).
        use_bias: whether the projections have biases.
        sliding_window: None or a positive int: each query position attends only to key
            positions less than `sliding_window` away.
        flash_attention: accepted for Keras compatibility; `True` forbids `dropout` and
            `return_attention_scores` as in Keras (the computation is the same).
        kernel_initializer, bias_initializer: initializers of the projections.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers of the projections.
        kernel_constraint, bias_constraint: constraints of the projections.
        use_gate: whether a sigmoid gate `gate(query)` (an `EinsumDense` named `gate`) multiplies
            the heads' outputs.
        seed: optional int mixed into the dropout key.

    Call arguments:
        query: array `(B, T, dim)`.
        value: array `(B, S, dim)`.
        key: optional array `(B, S, dim)`; default `value`.
        query_mask, value_mask, key_mask: optional boolean masks `(B, T)` / `(B, S)`; by default
            the Keras masks that reach `query`, `value`, `key` in a model.
        attention_mask: optional boolean mask `(B, T, S)`: True where a query position may attend
            to a key position.
        return_attention_scores: also return the attention probabilities `(B, num_query_heads, T, S)`.
        training: whether dropout is on.
        use_causal_mask: whether position `i` may attend only to positions `j <= i`.

    Returns:
        The attention output `(B, T, dim)`, and with `return_attention_scores` the tuple
        `(output, scores)`.

    Raises:
        ValueError: for invalid arguments, `num_query_heads` not divisible by
            `num_key_value_heads`, inputs of rank other than 3, or masks that do not match them.
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, use_gate=False,
                 seed=None, **kwargs):
        for arg, value in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                           ("num_key_value_heads", num_key_value_heads)):
            if not _is_int(value) or value <= 0:
                raise ValueError(f"{type(self).__name__}: invalid value for argument `{arg}`, expected a "
                                 f"positive integer; received: {arg}={value!r}")
        if num_query_heads % num_key_value_heads:
            raise ValueError(f"{type(self).__name__}: `num_query_heads` must be divisible by "
                             f"`num_key_value_heads`; received: num_query_heads={num_query_heads}, "
                             f"num_key_value_heads={num_key_value_heads}")
        super().__init__(
            num_heads=num_query_heads, key_dim=head_dim, dropout=dropout, use_bias=use_bias,
            sliding_window=sliding_window, flash_attention=flash_attention,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, use_gate=use_gate, seed=seed, **kwargs,
        )
        self.head_dim = int(head_dim)
        self.num_query_heads = int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads

    use_gate = property(lambda self: self._use_gate)
    sliding_window = property(lambda self: self._sliding_window)

    def _shapes(self, input_shape, value_shape=None, key_shape=None):
        shapes = super()._shapes(input_shape, value_shape, key_shape)
        for name, shape in zip(("query", "value", "key"), shapes):
            if len(shape) != 3:
                raise self._error(f"`{name}` must have rank 3 (batch, length, features); received: "
                                  f"{name}_shape={shape}")
        return shapes

    def _make_sublayers(self, query_shape, value_shape, key_shape):
        if self._built_ranks is not None:
            return
        query_heads = [self.num_query_heads, self.head_dim]
        shared_heads = [self.num_key_value_heads, self.head_dim]
        self.query_dense = self._projection(3, 1, query_heads, "query")
        self.key_dense = self._projection(3, 1, shared_heads, "key")
        if self._use_gate:
            self._gate_dense = self._projection(3, 1, query_heads, "gate", "sigmoid")
        self.value_dense = self._projection(3, 1, shared_heads, "value")
        self.output_dense = self._projection(3, 2, [query_shape[-1]], "attention_output")
        self._attention_axes = (1,)
        _reserve_attention_layer_names()
        self._dot_product_equation, self._combine_equation, scores_rank = _build_attention_equation(4, (1,))
        self._norm_axes = (scores_rank - 1,)
        self._sublayers = [s for s in (self.query_dense, self.key_dense, self._gate_dense, self.value_dense,
                                       self.output_dense) if s is not None]
        self._built_ranks = (3, 3, 3)

    def _compute_attention(self, query, key, value, attention_mask, training, rng, return_attention_scores):
        # (B, S, kv_heads, H) -> (B, S, query_heads, H): key / value head i serves query heads
        # i * num_repeats ... (i + 1) * num_repeats - 1.
        key = jnp.repeat(key, self.num_repeats, axis=2)
        value = jnp.repeat(value, self.num_repeats, axis=2)
        return super()._compute_attention(query, key, value, attention_mask, training, rng,
                                          return_attention_scores)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, _ = self._shapes(query_shape, value_shape, key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise self._error(f"the last dimension of `query_shape` and `value_shape` must be equal; "
                              f"received: query_shape={query_shape}, value_shape={value_shape}")
        return query_shape

    def _infer_output_spec(self, inputs, kwargs):
        shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else tuple(jnp.shape(t)), inputs)
        output = KerasTensor(self.compute_output_shape(shapes), self.compute_dtype)
        if not kwargs.get("return_attention_scores"):
            return output
        query_shape, _, key_shape = self._shapes(shapes)
        scores = (query_shape[0], self.num_query_heads, query_shape[1], key_shape[1])
        return output, KerasTensor(scores, self.compute_dtype)

    def get_config(self):
        return {
            **Layer.get_config(self),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "sliding_window": self._sliding_window,
            "dropout": self._dropout,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": _serialize(regularizers, self._kernel_regularizer),
            "bias_regularizer": _serialize(regularizers, self._bias_regularizer),
            "activity_regularizer": _serialize(regularizers, self._activity_regularizer),
            "kernel_constraint": _serialize(constraints, self._kernel_constraint),
            "bias_constraint": _serialize(constraints, self._bias_constraint),
            "seed": self.seed,
        }


GroupQueryAttention = GroupedQueryAttention  # Keras 3's public name

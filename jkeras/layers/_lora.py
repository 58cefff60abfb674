"""LoRA (low-rank adaptation) for layers with one weight matrix: `Dense` and `Embedding`.

As Keras 3: `enable_lora(rank)` (or the constructor's `lora_rank`) freezes the matrix `W` and adds
two trainable factors `A (rows, rank)` and `B (rank, cols)`; the layer then computes with
`W + (lora_alpha / lora_rank) * A @ B`. `B` starts at zero, so enabling LoRA leaves the outputs
unchanged. Files in Keras 3's layout store the merged matrix and no factors, as Keras does.
"""
import jax
import jax.numpy as jnp

from jkeras.core import initializers
from jkeras.utils.random import next_key


class LoRAMixin:
    """`lora_rank`, `lora_alpha`, `enable_lora` for a layer whose matrix weight is `_lora_target`.

    The class sets `_lora_target` (e.g. "kernel"), `_lora_factor_names` and
    `_lora_regularizer_attr` (the regularizer the factors share with the matrix).
    """

    _lora_target = "kernel"
    _lora_factor_names = ("lora_kernel_a", "lora_kernel_b")
    _lora_regularizer_attr = "kernel_regularizer"
    _lora_constraint_attr = "kernel_constraint"

    def _configure_lora(self, lora_rank, lora_alpha):
        for arg, value in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise self._error(f"{arg} must be a positive number or None, got {arg}={value!r}")
        if lora_rank is not None and getattr(self, self._lora_constraint_attr) is not None:
            raise self._error(self._lora_constraint_message())
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self._lora_initializers = ("he_uniform", "zeros")

    def _lora_constraint_message(self):
        return (f"LoRA is incompatible with `{self._lora_constraint_attr}`: remove the constraint to "
                "enable LoRA")

    @property
    def lora_enabled(self):
        """Whether the layer computes with the low-rank factors (built with a `lora_rank`)."""
        return self.built and self._lora_factor_names[0] in self._params

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Freezes the matrix weight and adds two trainable low-rank factors (Keras 3's LoRA).

        Args:
            rank: positive int, the inner size of the factors.
            lora_alpha: the update is scaled by `lora_alpha / rank` (default `rank`).
            a_initializer: initializer of the first factor `(rows, rank)`.
            b_initializer: initializer of the second factor `(rank, cols)` (zeros: outputs unchanged).

        Raises:
            ValueError: naming the layer, if it has a constraint on the matrix, is not built yet,
                LoRA is already enabled, or `rank` is not a positive int.
        """
        if getattr(self, self._lora_constraint_attr) is not None:
            raise self._error(self._lora_constraint_message())
        if not self.built:
            raise self._error("cannot enable LoRA on a layer that isn't built yet: build it or call it first")
        if self.lora_enabled:
            raise self._error("LoRA is already enabled; it can be enabled only once per layer")
        if isinstance(rank, bool) or not isinstance(rank, int) or rank <= 0:
            raise self._error(f"enable_lora: rank must be a positive int, got rank={rank!r}")
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank
        self._lora_initializers = (a_initializer, b_initializer)
        target = self._lora_target  # an int8 matrix (a quantized layer) is in `state`
        rows, cols = (self._params[target] if target in self._params else self._state[target]).shape
        self._params.update(self._lora_factors(next_key(), rows, cols))

    def _lora_factors(self, rng, rows, cols):
        """Fresh factors `{a_name: (rows, rank), b_name: (rank, cols)}` (float32, as Keras)."""
        key_a, key_b = jax.random.split(rng)
        name_a, name_b = self._lora_factor_names
        init_a, init_b = (initializers.get(i) for i in self._lora_initializers)
        regularizer = getattr(self, self._lora_regularizer_attr)
        self._added_regularizers[name_a] = self._added_regularizers[name_b] = regularizer
        return {name_a: init_a((rows, self.lora_rank), "float32", key=key_a),
                name_b: init_b((self.lora_rank, cols), "float32", key=key_b)}

    def _frozen_weights(self):
        return {self._lora_target} if self.lora_enabled else set()

    def lora_matrix(self, params):
        """The matrix the layer computes with: `W + (alpha / rank) * A @ B` when LoRA is on (pure)."""
        matrix = params[self._lora_target]
        name_a, name_b = self._lora_factor_names
        if name_a not in params:
            return matrix
        delta = (self.lora_alpha / self.lora_rank) * jnp.matmul(params[name_a], params[name_b])
        return (matrix + delta).astype(matrix.dtype)

    def stored_weights(self, weights):
        """`[(Variable, array)]` as Keras 3 files store `weights` (this layer's own): the merged
        matrix in place of the matrix, and no factors."""
        if not self.lora_enabled:
            return [(w, w.numpy()) for w in weights]
        merged = self.lora_matrix(self._params)
        return [(w, merged if w.name == self._lora_target else w.numpy())
                for w in weights if w.name not in self._lora_factor_names]

    def after_stored_load(self):
        """After loading a merged matrix the factors restart at zero, as Keras 3 does."""
        for name in self._lora_factor_names if self.lora_enabled else ():
            self._params[name] = jnp.zeros_like(self._params[name])

    def _lora_config(self):
        return {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha} if self.lora_rank else {}

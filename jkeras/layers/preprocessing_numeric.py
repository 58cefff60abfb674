"""Numeric and categorical preprocessing layers: Normalization, Discretization, CategoryEncoding,
Hashing, IntegerLookup.

They follow Keras 3 (`keras.layers.*`): same arguments, defaults, weights, outputs and configs.
`adapt(data)` runs eagerly on the host (NumPy); `apply` is jittable. What an adapted layer learned
lives where Keras keeps it: Normalization's mean / variance / count are non-trainable weights (the
"state" collection), Discretization's `bin_boundaries` and IntegerLookup's vocabulary are Python
attributes baked into `apply` as constants, so adapt such a layer before a model using it is
compiled or jitted. IntegerLookup is built on `_IndexLookup`, Keras's IndexLookup core (vocabulary,
adapt, encodings, config), which StringLookup (`preprocessing_text`) shares.

Differences from Keras 3, all forced by JAX or by jkeras having no saved-model assets:
- Integer outputs and vocabularies are 32-bit unless `jax_enable_x64` is on (Keras: int64).
- IntegerLookup's `get_config()` holds the adapted vocabulary (and, in "tf_idf" mode, the adapted
  idf weights) under `vocabulary` / `idf_weights`, where Keras writes it to an asset file; a layer
  rebuilt from such a config has a fixed vocabulary, like one given `vocabulary=...`.
- `sparse=True` is refused (no sparse outputs).
- With `num_oov_indices=0`, an out-of-vocabulary input raises in eager calls but maps to -1 under
  `jax.jit` (no runtime assertions there).
- Hashing computes FarmHash64 / SipHash64 (the hashes of Keras's TensorFlow ops) on the host through
  `jax.pure_callback`: it works under `jax.jit` but runs on the CPU. Integer inputs are hashed as
  their decimal strings, as Keras does; NumPy string / bytes arrays are hashed in eager calls only.
"""
import collections
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import config
from jkeras.models.layer import Layer

__all__ = [
    "CategoryEncoding",
    "Discretization",
    "Hashing",
    "IntegerLookup",
    "Normalization",
]

_ENCODING_MODES = ("one_hot", "multi_hot", "count")


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_mode(layer, value, allowed):
    if value not in allowed:
        raise layer._error(f"output_mode must be one of {list(allowed)}, got output_mode={value!r}")


def _no_sparse(layer, sparse):
    if sparse:
        raise layer._error("sparse=True is not supported in jkeras (no sparse outputs); use sparse=False")


def _encode(indices, output_mode, depth, dtype, count_weights=None):
    """Keras's `encode_categorical_inputs` (dense): int indices -> int / one_hot / multi_hot / count.

    Out-of-range indices (negative or >= depth) give all-zero rows, as in Keras.
    """
    if output_mode == "int":
        return indices.astype(jax.dtypes.canonicalize_dtype(dtype))
    indices = jnp.asarray(indices)
    if indices.ndim == 0:
        indices = indices[None]
    indices = indices.astype(jnp.int32)
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = jnp.squeeze(indices, -1)
        return jax.nn.one_hot(indices, depth, dtype=dtype)
    axis = 1 if indices.ndim > 1 else 0
    if output_mode == "multi_hot":
        return jnp.max(jax.nn.one_hot(indices, depth, dtype=dtype), axis=axis)
    # count
    if count_weights is not None:
        encoded = jax.nn.one_hot(indices, depth, dtype=count_weights.dtype) * count_weights[..., None]
    else:
        encoded = jax.nn.one_hot(indices, depth, dtype=dtype)
    return jnp.sum(encoded, axis=axis)


def _encoded_shape(input_shape, output_mode, depth):
    """Output shape of `_encode` (the sample axis 1 is reduced by multi_hot / count, as in Keras)."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if len(input_shape) == 0:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if len(input_shape) == 1:
        return (depth,)
    return (input_shape[0],) + input_shape[2:] + (depth,)


def _first_of(batch):
    """The inputs of a batch that may be `(x, y)` or `(x, y, sample_weight)`."""
    return batch[0] if isinstance(batch, tuple) else batch


def _is_array(data):
    return isinstance(data, (np.ndarray, jax.Array))


# ----------------------------------------------------------------------------------------------
# Normalization


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance: `(x - mean) / sqrt(variance)`.

    The mean and variance come from the `mean` / `variance` arguments or from `adapt(data)`.
    Before `adapt`, an adaptable layer uses mean 0 and variance 1 (as Keras).

    Args:
        axis: int, tuple of ints or None: the axes that keep a separate mean and variance per index
            (default -1, the features). None: one scalar mean and variance for all elements.
        mean: optional mean value(s), broadcast to the kept axes; give `variance` with it.
        variance: optional variance value(s), broadcast to the kept axes; give `mean` with it.
        invert: if True, undo the normalization: `mean + x * sqrt(variance)`.

    Weights (adaptable layer, i.e. without `mean` / `variance`):
        mean, variance: shaped like the kept axes (non-trainable, float); count: scalar int
        (non-trainable, kept for Keras compatibility and always 0, as in Keras).

    Raises:
        ValueError: if only one of `mean` / `variance` is given, their shapes differ, `mean` has
            more dimensions than `axis` has entries, or an axis lies outside the input or has no
            known size.
    """

    _autocast = False

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif _is_int(axis):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(_is_int(a) for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise self._error(f"axis must be an int, a tuple of ints or None, got axis={axis!r}")
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        if (mean is not None) != (variance is not None):
            raise self._error(
                f"when setting values directly, both `mean` and `variance` must be set, got mean={mean} "
                f"and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise self._error(
                    f"`mean` and `variance` must have the same shape, got mean shape {np.shape(mean)} and "
                    f"variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise self._error(
                    f"the rank of `mean` must be <= the number of axes ({len(self.axis)}), got mean shape "
                    f"{np.shape(mean)} for axis={self.axis}"
                )

    def _keep_axes(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise self._error(
                f"all `axis` values must be in the range [-ndim, ndim), got inputs of shape {tuple(input_shape)} "
                f"(ndim={ndim}) and axis={self.axis}"
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise self._error(
                    f"the kept axes must have a known size, got axis={self.axis} and input shape "
                    f"{tuple(input_shape)} (axis {d} unknown)"
                )
        return keep

    def _check_input_shape(self, input_shape):
        if not _is_shape_tuple(input_shape):
            raise self._error(f"expected one input tensor, got input shapes {input_shape}")
        keep = self._keep_axes(input_shape)
        built = self._build_input_shape
        if self.built and built is not None and self._adaptable:
            # As Keras: the statistics broadcast against inputs of any rank whose kept axes have the
            # sizes they were built for (axis=None: scalars, so any shape; `Normalization(axis=None)`
            # adapted on a 1-D array then normalizes `(batch, 1)` inputs, the tf regression tutorial).
            if self._kept_sizes(input_shape) != self._kept_sizes(built):
                raise self._error(
                    f"the layer was built for inputs of shape {tuple(built)}, got shape {tuple(input_shape)}"
                )

    def _kept_sizes(self, input_shape):
        return tuple(input_shape[d] for d in self._keep_axes(input_shape))

    @property
    def _adaptable(self):
        return self.input_mean is None

    def init(self, rng, input_shape):
        keep = self._keep_axes(input_shape)
        if not self._adaptable:
            return {"params": {}, "state": {}}
        shape = tuple(input_shape[d] for d in keep)
        return {"params": {}, "state": {
            "mean": jnp.zeros(shape, self.dtype),
            "variance": jnp.ones(shape, self.dtype),
            "count": jnp.zeros((), jnp.int32),
        }}

    def _statistics(self, variables, shape):
        keep = self._keep_axes(shape)
        ndim = len(shape)
        broadcast = [shape[d] if d in keep else 1 for d in range(ndim)]
        dtype = self.compute_dtype
        if self._adaptable:
            state = variables["state"]
            mean, variance = state["mean"], state["variance"]
            return (jnp.reshape(mean, broadcast).astype(dtype), jnp.reshape(variance, broadcast).astype(dtype))
        mean, variance = np.asarray(self.input_mean), np.asarray(self.input_variance)
        if mean.ndim:
            expanded = [1] * ndim
            for i in range(1, mean.ndim + 1):
                expanded[keep[-i]] = mean.shape[-i]
            mean, variance = np.reshape(mean, expanded), np.reshape(variance, expanded)
        try:
            mean, variance = np.broadcast_to(mean, broadcast), np.broadcast_to(variance, broadcast)
        except ValueError:
            raise self._error(
                f"`mean` / `variance` of shape {np.shape(self.input_mean)} cannot be broadcast to the kept "
                f"axes' shape {tuple(broadcast)}"
            ) from None
        return jnp.asarray(mean, dtype), jnp.asarray(variance, dtype)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = jnp.asarray(inputs).astype(self.compute_dtype)
        mean, variance = self._statistics(variables, x.shape)
        scale = jnp.maximum(jnp.sqrt(variance), config.epsilon())
        outputs = mean + x * scale if self.invert else (x - mean) / scale
        return outputs, variables["state"]

    def adapt(self, data, batch_size=None, steps=None):
        """Computes the mean and variance of `data` over the non-kept axes and stores them.

        Args:
            data: a NumPy / JAX array, or an iterable of batches (a list of arrays, a generator, a
                `jkeras.utils.Sequence`); batches may be `(x, y)` tuples. Iterables are combined
                batch by batch with Keras's formula.
            batch_size: accepted for compatibility; an array is reduced in one pass.
            steps: optional int, the number of batches to read from an iterable.

        Raises:
            ValueError: if the layer was given `mean` / `variance`, the data is empty, or its kept
                axes differ from the built shape.
            TypeError: if `data` is neither an array nor an iterable of arrays.
        """
        if not self._adaptable:
            raise self._error("adapt() cannot be used on a layer given `mean` and `variance`")
        if _is_array(data):
            data = np.asarray(data)
            batches = None
            input_shape = data.shape
        elif hasattr(data, "__iter__"):
            batches = iter(data)
            if steps is not None:
                batches = itertools.islice(batches, int(steps))
            first = next(batches, None)
            if first is None:
                raise self._error("adapt() received an empty iterable (no batches)")
            first = _first_of(first)
            if not hasattr(first, "shape"):
                raise TypeError(
                    f"{type(self).__name__} '{self.name}': adapt() expects an iterable of arrays (with a "
                    f"`.shape`), got an element of type {type(first).__name__}"
                )
            input_shape = tuple(first.shape)
            batches = itertools.chain([first], batches)
        else:
            raise TypeError(
                f"{type(self).__name__} '{self.name}': adapt() supports arrays and iterables of batches, "
                f"got {type(data).__name__}"
            )
        input_shape = tuple(int(d) for d in input_shape)
        if not self.built:
            self._check_input_shape(input_shape)
            self._maybe_build(input_shape)
        keep = self._keep_axes(input_shape)
        built = self._build_input_shape
        if self._kept_sizes(input_shape) != self._kept_sizes(built):
            raise self._error(
                f"the layer was built with input_shape={tuple(built)}, but adapt() got data of the "
                f"incompatible shape {input_shape}"
            )
        reduce = tuple(d for d in range(len(input_shape)) if d not in keep)
        if batches is None:
            total_mean, total_var = np.mean(data, axis=reduce), np.var(data, axis=reduce)
        else:
            dtype = np.dtype(self.compute_dtype)
            total_mean = np.zeros([input_shape[d] for d in keep], dtype)
            total_var = np.zeros_like(total_mean)
            total_count = 0
            for batch in batches:
                batch = np.asarray(_first_of(batch), dtype)
                if batch.ndim != len(built) or any(batch.shape[d] != built[d] for d in keep):
                    raise self._error(
                        f"adapt() got a batch of incompatible shape {batch.shape}; expected {tuple(built)}"
                    )
                batch_mean, batch_var = np.mean(batch, axis=reduce), np.var(batch, axis=reduce)
                batch_count = math.prod(batch.shape[d] for d in reduce) if reduce else 1
                total_count += batch_count
                batch_weight = float(batch_count) / total_count
                existing_weight = 1.0 - batch_weight
                new_mean = total_mean * existing_weight + batch_mean * batch_weight
                total_var = ((total_var + (total_mean - new_mean) ** 2) * existing_weight
                             + (batch_var + (batch_mean - new_mean) ** 2) * batch_weight)
                total_mean = new_mean
        self._state["mean"] = jnp.asarray(total_mean, self._state["mean"].dtype)
        self._state["variance"] = jnp.asarray(total_var, self._state["variance"].dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return super().from_config(config)


def _is_shape_tuple(shape):
    return isinstance(shape, tuple) and all(d is None or _is_int(d) for d in shape)


# ----------------------------------------------------------------------------------------------
# Discretization (Keras's quantile summaries, copied for identical boundaries)


def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    increment = np.size(values) / (1.0 / epsilon)
    step = max(increment, 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _compress_summary(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


def _merge_summaries(prev_summary, next_summary, epsilon):
    merged = np.concatenate((prev_summary, next_summary), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


class Discretization(Layer):
    """Buckets continuous values by ranges: `bin_boundaries=[0., 1.]` gives the bins
    `(-inf, 0)`, `[0, 1)`, `[1, inf)`, i.e. indices 0, 1, 2.

    Args:
        bin_boundaries: list of increasing floats; if set, do not call `adapt`.
        num_bins: int >= 0, the number of bins `adapt` computes from quantiles of the data.
        epsilon: float, the quantile approximation's error tolerance (e.g. 0.01).
        output_mode: "int" (bin indices, int32), "one_hot", "multi_hot" or "count" (float, the
            last axis of size `len(bin_boundaries) + 1`; multi_hot / count reduce the sample axis 1).
        sparse: must be False.

    Raises:
        ValueError: for both or neither of `bin_boundaries` / `num_bins`, a negative `num_bins`, an
            unknown `output_mode`, `sparse=True`, or a call before the boundaries are known.
    """

    _autocast = False

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        _no_sparse(self, sparse)
        _check_mode(self, output_mode, ("int",) + _ENCODING_MODES)
        if num_bins is not None and (not _is_int(num_bins) or num_bins < 0):
            raise self._error(f"`num_bins` must be an int >= 0, got num_bins={num_bins!r}")
        if num_bins is not None and bin_boundaries is not None:
            raise self._error(
                f"both `num_bins` and `bin_boundaries` should not be set, got num_bins={num_bins} and "
                f"bin_boundaries={bin_boundaries}"
            )
        if num_bins is None and bin_boundaries is None:
            raise self._error("you need to set either `num_bins` or `bin_boundaries`")
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon = float(epsilon)
        self.output_mode = output_mode
        self.sparse = False
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")

    @property
    def output_dtype(self):
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def adapt(self, data, batch_size=None, steps=None):
        """Computes `num_bins` bin boundaries from approximate quantiles of `data`.

        Args:
            data: a NumPy / JAX array, or an iterable of batches (list, generator, Sequence).
            batch_size: accepted for compatibility; an array is summarized in one pass.
            steps: optional int, the number of batches to read from an iterable.

        Raises:
            ValueError: if the layer was given `bin_boundaries`.
        """
        if self.num_bins is None:
            raise self._error(
                "cannot adapt a Discretization layer initialized with `bin_boundaries`; use `num_bins`"
            )
        self.summary = np.array([[], []], dtype="float32")
        if hasattr(data, "__iter__") and not _is_array(data):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self._update_state(_first_of(batch))
        else:
            self._update_state(data)
        self.bin_boundaries = _compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def _update_state(self, data):
        data = np.array(data).astype("float32")
        self.summary = _merge_summaries(_summarize(data, self.epsilon), self.summary, self.epsilon)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if self.bin_boundaries is None:
            raise self._error(
                "you need to either pass `bin_boundaries` at construction time or call `adapt(data)` "
                "before calling the layer"
            )
        x = jnp.asarray(inputs).astype(config.floatx())
        indices = jnp.digitize(x, jnp.asarray(self.bin_boundaries, x.dtype))
        outputs = _encode(indices, self.output_mode, len(self.bin_boundaries) + 1, self.output_dtype)
        return outputs, variables["state"]

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return _encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self):
        base = super().get_config()
        out = {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }
        if "batch_input_shape" in base:
            out["batch_input_shape"] = base["batch_input_shape"]
        return out

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            bin_boundaries = config.pop("bin_boundaries")
            layer = super().from_config(config)
            layer.bin_boundaries = [float(b) for b in bin_boundaries]
            layer.summary = None
            return layer
        return super().from_config(config)


# ----------------------------------------------------------------------------------------------
# CategoryEncoding


class CategoryEncoding(Layer):
    """Encodes integer indices in `[0, num_tokens)` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: int >= 1, the size of the encoding (indices must be below it; others give zeros).
        output_mode: "multi_hot" (default; "binary" is its old name), "one_hot" or "count".
        sparse: must be False.

    Call arguments:
        inputs: integer indices; one_hot encodes each element (a last axis of size 1 is replaced),
            multi_hot / count reduce the sample axis (axis 1, or axis 0 of a 1D input).
        count_weights: optional weights shaped like `inputs`, summed instead of counts ("count" only).

    Raises:
        ValueError: for a missing or non-positive `num_tokens`, an unknown `output_mode`,
            `sparse=True`, or `count_weights` outside "count" mode.
    """

    _autocast = False

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        _check_mode(self, output_mode, ("count", "one_hot", "multi_hot"))
        _no_sparse(self, sparse)
        if num_tokens is None:
            raise self._error(
                "num_tokens must be set to use this layer; if the number of tokens is not known beforehand, "
                "use the IntegerLookup layer instead"
            )
        if not _is_int(num_tokens) or num_tokens < 1:
            raise self._error(f"`num_tokens` must be an int >= 1, got num_tokens={num_tokens!r}")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise self._error(
                    f"`count_weights` is only used when output_mode='count', got output_mode={self.output_mode!r}"
                )
            count_weights = jnp.asarray(count_weights).astype(self.compute_dtype)
        outputs = _encode(jnp.asarray(inputs), self.output_mode, self.num_tokens, self.dtype, count_weights)
        return outputs, variables["state"]

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


# ----------------------------------------------------------------------------------------------
# Hashing: FarmHash64 (TensorFlow's Fingerprint64) and SipHash-2-4, as TensorFlow computes them

_M64 = (1 << 64) - 1
_K0, _K1, _K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F


def _rot(v, s):
    return ((v >> s) | (v << (64 - s))) & _M64


def _fetch64(s, i):
    return int.from_bytes(s[i:i + 8], "little")


def _fetch32(s, i):
    return int.from_bytes(s[i:i + 4], "little")


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & _M64
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M64
    b ^= b >> 47
    return (b * mul) & _M64


def _hash_len_0_to_16(s):
    n = len(s)
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(s, 0) + _K2) & _M64
        b = _fetch64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M64
        d = ((_rot(a, 25) + b) * mul) & _M64
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        return _hash_len16((n + (_fetch32(s, 0) << 3)) & _M64, _fetch32(s, n - 4), mul)
    if n > 0:
        y = (s[0] + (s[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (s[n - 1] << 2)) & 0xFFFFFFFF
        v = ((y * _K2) ^ (z * _K0)) & _M64
        return ((v ^ (v >> 47)) * _K2) & _M64
    return _K2


def _hash_len_17_to_32(s):
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K1) & _M64
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M64
    d = (_fetch64(s, n - 16) * _K2) & _M64
    return _hash_len16((_rot((a + b) & _M64, 43) + _rot(c, 30) + d) & _M64,
                       (a + _rot((b + _K2) & _M64, 18) + c) & _M64, mul)


def _hash_len_33_to_64(s):
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K2) & _M64
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M64
    d = (_fetch64(s, n - 16) * _K2) & _M64
    y = (_rot((a + b) & _M64, 43) + _rot(c, 30) + d) & _M64
    z = _hash_len16(y, (a + _rot((b + _K2) & _M64, 18) + c) & _M64, mul)
    e = (_fetch64(s, 16) * mul) & _M64
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & _M64
    h = ((z + _fetch64(s, n - 24)) * mul) & _M64
    return _hash_len16((_rot((e + f) & _M64, 43) + _rot(g, 30) + h) & _M64,
                       (e + _rot((f + a) & _M64, 18) + g) & _M64, mul)


def _weak_hash_len32_with_seeds(s, i, a, b):
    w, x, y, z = (_fetch64(s, i + k) for k in (0, 8, 16, 24))
    a = (a + w) & _M64
    b = _rot((b + a + z) & _M64, 21)
    c = a
    a = (a + x + y) & _M64
    b = (b + _rot(a, 44)) & _M64
    return (a + z) & _M64, (b + c) & _M64


def _farmhash64(s):
    """FarmHash's Fingerprint64 (farmhashna::Hash64) of the bytes `s`: TensorFlow's Fingerprint64."""
    n = len(s)
    if n <= 16:
        return _hash_len_0_to_16(s)
    if n <= 32:
        return _hash_len_17_to_32(s)
    if n <= 64:
        return _hash_len_33_to_64(s)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _M64
    t = (y * _K2 + 113) & _M64
    z = ((t ^ (t >> 47)) * _K2) & _M64
    v, w = (0, 0), (0, 0)
    x = (x * _K2 + _fetch64(s, 0)) & _M64
    end = ((n - 1) // 64) * 64
    last64 = n - 64
    i = 0
    while True:
        x = (_rot((x + y + v[0] + _fetch64(s, i + 8)) & _M64, 37) * _K1) & _M64
        y = (_rot((y + v[1] + _fetch64(s, i + 48)) & _M64, 42) * _K1) & _M64
        x ^= w[1]
        y = (y + v[0] + _fetch64(s, i + 40)) & _M64
        z = (_rot((z + w[0]) & _M64, 33) * _K1) & _M64
        v = _weak_hash_len32_with_seeds(s, i, (v[1] * _K1) & _M64, (x + w[0]) & _M64)
        w = _weak_hash_len32_with_seeds(s, i + 32, (z + w[1]) & _M64, (y + _fetch64(s, i + 16)) & _M64)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = (_K1 + ((z & 0xFF) << 1)) & _M64
    i = last64
    w = ((w[0] + ((n - 1) & 63)) & _M64, w[1])
    v = ((v[0] + w[0]) & _M64, v[1])
    w = ((w[0] + v[0]) & _M64, w[1])
    x = (_rot((x + y + v[0] + _fetch64(s, i + 8)) & _M64, 37) * mul) & _M64
    y = (_rot((y + v[1] + _fetch64(s, i + 48)) & _M64, 42) * mul) & _M64
    x ^= (w[1] * 9) & _M64
    y = (y + v[0] * 9 + _fetch64(s, i + 40)) & _M64
    z = (_rot((z + w[0]) & _M64, 33) * mul) & _M64
    v = _weak_hash_len32_with_seeds(s, i, (v[1] * mul) & _M64, (x + w[0]) & _M64)
    w = _weak_hash_len32_with_seeds(s, i + 32, (z + w[1]) & _M64, (y + _fetch64(s, i + 16)) & _M64)
    z, x = x, z
    return _hash_len16((_hash_len16(v[0], w[0], mul) + ((y ^ (y >> 47)) * _K0) + z) & _M64,
                       (_hash_len16(v[1], w[1], mul) + x) & _M64, mul)


def _siphash64(key, s):
    """SipHash-2-4 of the bytes `s` with the 128-bit key `(key[0], key[1])` (TensorFlow's strong hash)."""
    k0, k1 = key[0] & _M64, key[1] & _M64
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def rounds(count):
        for _ in range(count):
            v[0] = (v[0] + v[1]) & _M64
            v[1] = ((v[1] << 13) | (v[1] >> 51)) & _M64
            v[1] ^= v[0]
            v[0] = ((v[0] << 32) | (v[0] >> 32)) & _M64
            v[2] = (v[2] + v[3]) & _M64
            v[3] = ((v[3] << 16) | (v[3] >> 48)) & _M64
            v[3] ^= v[2]
            v[0] = (v[0] + v[3]) & _M64
            v[3] = ((v[3] << 21) | (v[3] >> 43)) & _M64
            v[3] ^= v[0]
            v[2] = (v[2] + v[1]) & _M64
            v[1] = ((v[1] << 17) | (v[1] >> 47)) & _M64
            v[1] ^= v[2]
            v[2] = ((v[2] << 32) | (v[2] >> 32)) & _M64

    n = len(s)
    full = n - n % 8
    for i in range(0, full, 8):
        m = int.from_bytes(s[i:i + 8], "little")
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    b = ((n & 0xFF) << 56) | int.from_bytes(s[full:], "little")
    v[3] ^= b
    rounds(2)
    v[0] ^= b
    v[2] ^= 0xFF
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _as_bytes(value):
    """The bytes Keras hashes for one input element: ints as decimal strings, str as UTF-8."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return str(int(value)).encode("ascii")


def _hash_buckets(values, num_buckets, salt=None):
    """Host-side `hash(value) % num_buckets` for a NumPy array (int64 result)."""
    values = np.asarray(values)
    flat = values.reshape(-1)
    if flat.size == 0:
        return np.zeros(values.shape, np.int64)
    uniques, inverse = np.unique(flat, return_inverse=True)
    if salt is None:
        hashed = [_farmhash64(_as_bytes(u)) % num_buckets for u in uniques.tolist()]
    else:
        hashed = [_siphash64(salt, _as_bytes(u)) % num_buckets for u in uniques.tolist()]
    return np.asarray(hashed, np.int64)[np.reshape(inverse, -1)].reshape(values.shape)


def _hash_on_host(x, num_buckets, salt):
    """`_hash_buckets` of an integer JAX array through `jax.pure_callback` (jittable, int32 result)."""

    def host(values):
        return _hash_buckets(np.asarray(values), num_buckets, salt).astype(np.int32)

    return jax.pure_callback(host, jax.ShapeDtypeStruct(x.shape, jnp.int32), x, vmap_method="expand_dims")


def _salt_arg(layer, salt):
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(_is_int(s) for s in salt):
        return [int(s) for s in salt]
    if _is_int(salt):
        return [int(salt), int(salt)]
    raise layer._error(f"`salt` can only be a tuple of 2 integers or a single integer, got salt={salt!r}")


def _is_string_array(inputs):
    if isinstance(inputs, (str, bytes)):
        return True
    if isinstance(inputs, (list, tuple)) or isinstance(inputs, np.ndarray):
        return np.asarray(inputs).dtype.kind in "USO"
    return False


class Hashing(Layer):
    """Hashes values into `num_bins` bins: `hash(str(x)) % num_bins` with Keras's (TensorFlow's) hashes.

    FarmHash64 (Fingerprint64) by default, SipHash64 keyed by `salt` when given. Integers are hashed
    as their decimal strings and floats are truncated to integers first, as in Keras, so the bins
    equal Keras's. Hashing runs on the host (`jax.pure_callback`); it also works under `jax.jit`.
    NumPy string / bytes inputs are hashed in eager calls only.

    Args:
        num_bins: int > 0, the number of bins, including the mask bin 0 when `mask_value` is set.
        mask_value: optional value mapped to bin 0 (the others then hash into bins 1..num_bins-1).
        salt: optional int or pair of ints, the SipHash64 key.
        output_mode: "int" (default), "one_hot", "multi_hot" or "count".
        sparse: must be False.
        dtype: output dtype; default "int64" for "int" (int32 unless JAX's x64 mode is on), else
            the float type.

    Raises:
        ValueError: for a missing or non-positive `num_bins`, a bad `salt`, an unknown
            `output_mode`, `sparse=True`, or a non-integer dtype with output_mode="int".
    """

    _autocast = False

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else config.floatx()
        super().__init__(**kwargs)
        if num_bins is None or not _is_int(num_bins) or num_bins <= 0:
            raise self._error(f"`num_bins` cannot be None or non-positive, got num_bins={num_bins!r}")
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise self._error(
                f"when output_mode='int', `dtype` must be 'int32' or 'int64', got dtype={kwargs['dtype']!r}"
            )
        _check_mode(self, output_mode, ("int",) + _ENCODING_MODES)
        _no_sparse(self, sparse)
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = _salt_arg(self, salt)
        self.strong_hash = self.salt is not None
        self.output_mode = output_mode
        self.sparse = False

    def _bins(self, x, hash_fn):
        hash_bins, mask = self.num_bins, None
        if self.mask_value is not None and hash_bins > 1:
            hash_bins -= 1
            mask = x == self.mask_value
        values = hash_fn(x, hash_bins)
        if mask is not None:
            values = values + 1
            values = jnp.where(mask, 0, values) if isinstance(values, jax.Array) else np.where(mask, 0, values)
        return values

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = jnp.asarray(inputs)
        if self.output_mode == "one_hot" and x.ndim and x.shape[-1] == 1:
            x = jnp.squeeze(x, -1)
        if jnp.issubdtype(x.dtype, jnp.floating):
            x = jnp.trunc(x).astype(jnp.int32)
        elif not jnp.issubdtype(x.dtype, jnp.integer):
            raise self._error(f"expected integer or float inputs, got dtype {x.dtype}")
        indices = self._bins(x, lambda v, n: _hash_on_host(v, n, self.salt))
        return _encode(indices, self.output_mode, self.num_bins, self.dtype), variables["state"]

    def __call__(self, inputs, *args, **kwargs):
        if not _is_string_array(inputs):
            return super().__call__(inputs, *args, **kwargs)
        x = np.asarray(inputs)
        if self.output_mode == "one_hot" and x.ndim and x.shape[-1] == 1:
            x = np.squeeze(x, -1)
        indices = self._bins(x, lambda v, n: _hash_buckets(v, n, self.salt))
        self.built = True
        return _encode(jnp.asarray(indices), self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode, "sparse": self.sparse}


# ----------------------------------------------------------------------------------------------
# The index-lookup core (IntegerLookup here, StringLookup in preprocessing_text)


class _IndexLookup(Layer):
    """Keras's `IndexLookup`: the vocabulary, adapt, encodings and config shared by IntegerLookup and
    StringLookup. Subclasses define the token type (`_token_arg`, `_as_token_array`,
    `_read_vocabulary_file`, `_token_value`) and the call.
    """

    _autocast = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        if max_tokens is not None and (not _is_int(max_tokens) or max_tokens <= 1):
            raise self._error(
                f"if `max_tokens` is set, it must be an int greater than 1, got max_tokens={max_tokens!r}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise self._error("pad_to_max_tokens=True needs `max_tokens` set, got max_tokens=None")
        if not _is_int(num_oov_indices) or num_oov_indices < 0:
            raise self._error(f"`num_oov_indices` must be an int >= 0, got num_oov_indices={num_oov_indices!r}")
        _no_sparse(self, sparse)
        self._check_vocabulary_dtype()
        if oov_method not in ("floormod", "farmhash"):
            raise self._error(f"oov_method must be 'floormod' or 'farmhash', got oov_method={oov_method!r}")
        if salt is not None and oov_method != "farmhash" and not self._string_tokens:
            raise self._error(f"`salt` can only be used when oov_method='farmhash', got oov_method={oov_method!r}")
        salt = _salt_arg(self, salt)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        _check_mode(self, output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"))
        if invert and output_mode != "int":
            raise self._error(f"output_mode must be 'int' when invert=True, got output_mode={output_mode!r}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise self._error(
                f"`idf_weights` should only be set if output_mode='tf_idf', got output_mode={output_mode!r}"
            )
        self.invert = bool(invert)
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = self._token_arg(mask_token)
        self.oov_token = self._token_arg(oov_token)
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_vocab_size
        self._has_input_vocabulary = bool(has_input_vocabulary)
        self.input_vocabulary = None
        self.input_idf_weights = idf_weights
        self._tokens = self._as_token_array([])
        self.idf_weights = None
        if output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise self._error(
                "when `vocabulary` is given in output_mode='tf_idf', `idf_weights` must be given too"
            )
        if vocabulary is not None:
            if isinstance(vocabulary, str):
                vocabulary = self._read_vocabulary_file(vocabulary)
            self.input_vocabulary = _listify(vocabulary)
            self.set_vocabulary(vocabulary, idf_weights)

    # -- token type (overridden by StringLookup) -------------------------------------------------

    _string_tokens = False

    def _check_vocabulary_dtype(self):
        pass

    def _token_arg(self, token):
        return None if token is None else int(token)

    def _as_token_array(self, values):
        """`values` as a NumPy array of tokens (int64), or a ValueError naming `vocabulary`."""
        values = np.asarray(values)
        if values.size == 0:
            return np.zeros(values.shape, np.int64)
        if not np.issubdtype(values.dtype, np.integer):
            raise self._error(f"`vocabulary` must be a 1D list of ints, got {values.tolist()!r}")
        return values.astype(np.int64)

    def _as_adapt_batch(self, batch):
        batch = np.asarray(batch)
        if not np.issubdtype(batch.dtype, np.integer):
            batch = batch.astype(np.int64)
        return batch

    def _read_vocabulary_file(self, path):
        with open(path) as f:
            return [int(line) for line in f.read().splitlines() if line.strip()]

    def _token_value(self, token):
        return int(token)

    # -- indices -------------------------------------------------------------------------------

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The vocabulary size, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, index order.

        Args:
            include_special_tokens: if True, the mask token and the OOV tokens lead the list, so a
                term's position equals its index; if False, only the learned / given terms.

        Returns:
            A list of tokens.
        """
        vocab = [self.oov_token] * self._token_start_index() + [self._token_value(t) for t in self._tokens]
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return vocab

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, in "tf_idf" mode, the idf weights), replacing any previous one.

        Args:
            vocabulary: list / tuple / 1D array of tokens, optionally led by the special tokens
                `[mask_token] + [oov_token] * num_oov_indices`, or the path of a text file with one
                token per line.
            idf_weights: one float per vocabulary entry; required in "tf_idf" mode, refused otherwise.

        Raises:
            ValueError: for a missing / unexpected `idf_weights`, an empty vocabulary, a repeated or
                misplaced special token, or more than `max_tokens` entries.
        """
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise self._error("`idf_weights` must be set if output_mode='tf_idf'")
        elif idf_weights is not None:
            raise self._error(
                f"`idf_weights` should only be set if output_mode='tf_idf', got output_mode={self.output_mode!r}"
            )
        if isinstance(vocabulary, str):
            vocabulary = self._read_vocabulary_file(vocabulary)
        if np.asarray(vocabulary, dtype=object).size == 0:
            raise self._error(f"cannot set an empty vocabulary, got vocabulary={_listify(vocabulary)}")
        vocabulary = self._as_token_array(vocabulary)
        if vocabulary.ndim != 1:
            raise self._error(f"`vocabulary` must be 1D, got {vocabulary.tolist()!r}")
        oov_start, token_start = self._oov_start_index(), self._token_start_index()
        special = [self.mask_token] * oov_start + [self.oov_token] * self.num_oov_indices
        found_special = len(vocabulary) >= token_start and vocabulary[:token_start].tolist() == special
        tokens = vocabulary[token_start:] if found_special else vocabulary
        repeated = [t for t, c in collections.Counter(tokens.tolist()).items() if c > 1]
        if repeated:
            raise self._error(
                f"the vocabulary has repeated terms: {repeated}; please uniquify `vocabulary`"
            )
        for arg, token, applies in (("mask_token", self.mask_token, True),
                                    ("oov_token", self.oov_token, self.invert)):
            if applies and token is not None and token in tokens.tolist():
                raise self._error(
                    f"found the reserved {arg}={token!r} inside `vocabulary`; special tokens may only lead "
                    f"it, in exactly this order: {special}"
                )
        new_size = token_start + len(tokens)
        if self.max_tokens is not None and new_size > self.max_tokens:
            raise self._error(
                f"the vocabulary size ({new_size}) is larger than `max_tokens` ({self.max_tokens})"
            )
        if self.output_mode == "tf_idf":
            idf_weights = np.asarray(idf_weights, np.float64)
            if idf_weights.ndim != 1:
                raise self._error(f"`idf_weights` must be 1D, got shape {idf_weights.shape}")
            if len(vocabulary) != len(idf_weights):
                raise self._error(
                    f"`idf_weights` must be as long as the vocabulary: len(idf_weights) is {len(idf_weights)}, "
                    f"len(vocabulary) is {len(vocabulary)}"
                )
            front, front_value = (0, 0) if found_special else (token_start, np.average(idf_weights))
            back = self.max_tokens - front - len(idf_weights) if self.pad_to_max_tokens else 0
            self.idf_weights = np.pad(idf_weights, (front, back), "constant",
                                      constant_values=(front_value, 0)).astype(config.floatx())
        self._set_tokens(tokens)
        self._record_vocabulary_size()

    def _set_tokens(self, tokens):
        self._tokens = tokens

    def _record_vocabulary_size(self):
        size = self.vocabulary_size()
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            if self._frozen_vocab_size is not None and size != self._frozen_vocab_size:
                raise RuntimeError(
                    f"{type(self).__name__} '{self.name}': with output_mode={self.output_mode!r} and "
                    f"pad_to_max_tokens=False, the vocabulary size cannot change once set: it was "
                    f"{self._frozen_vocab_size}, the new one is {size}"
                )
        self._frozen_vocab_size = size

    # -- adapt ---------------------------------------------------------------------------------

    def _check_adaptable(self):
        if self._has_input_vocabulary:
            raise self._error(
                "cannot adapt a layer after setting a static vocabulary via the `vocabulary` argument or "
                "`set_vocabulary()`"
            )

    def _adapt_state(self):
        """Counts of an adapt pass: token counts, document counts (tf_idf) and the document count."""
        return {"counts": collections.Counter(), "doc_counts": collections.Counter(), "num_docs": 0}

    def _update_state(self, state, documents):
        """Adds `documents` (a 2D+ array, one document per row, or a list of token lists)."""
        if isinstance(documents, np.ndarray):
            state["counts"].update(documents.reshape(-1).tolist())
        else:
            for doc in documents:
                state["counts"].update(doc)
        if self.output_mode == "tf_idf":
            for doc in documents:
                state["doc_counts"].update(set(np.reshape(doc, -1).tolist() if isinstance(doc, np.ndarray) else doc))
        state["num_docs"] += len(documents)

    def _finalize_state(self, state):
        """Sets the vocabulary (and idf weights) from an adapt pass's counts, Keras's order."""
        counts, doc_counts = state["counts"], state["doc_counts"]
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        if not counts:
            self._record_vocabulary_size()
            return
        # Decreasing count, ties by decreasing token (Keras: np.lexsort((tokens, counts))[::-1]).
        tokens = [t for t, _ in sorted(counts.items(), key=lambda tc: (tc[1], tc[0]), reverse=True)]
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        if self.output_mode == "tf_idf":
            docs = np.asarray([doc_counts[t] for t in tokens], np.int64)
            idf = np.log(1 + state["num_docs"] / (1 + docs)).astype(config.floatx())
            idf = np.pad(idf, (self._token_start_index(), 0), constant_values=np.mean(idf))
            if self.pad_to_max_tokens:
                idf = np.pad(idf, (0, self.max_tokens - idf.size))
            self.idf_weights = idf.astype(config.floatx())
        self._set_tokens(self._as_token_array(tokens))
        self._record_vocabulary_size()

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary: the tokens of `data` by decreasing count, ties by decreasing token,
        truncated to `max_tokens` (special tokens excluded). In "tf_idf" mode each row is a document
        and the idf weights are `log(1 + num_documents / (1 + document_count))`.

        Args:
            data: an array (a 1D array is one token per document) or a list of tokens, or an
                iterable of batches (generator, `Sequence`).
            batch_size: accepted for compatibility; unused.
            steps: optional int, the number of batches to read from an iterable.

        Raises:
            ValueError: if the layer was given a vocabulary.
        """
        self._check_adaptable()
        state = self._adapt_state()
        if hasattr(data, "__iter__") and not isinstance(data, (list, tuple, np.ndarray, jax.Array, str, bytes)):
            batches = (_first_of(b) for b in itertools.islice(iter(data), steps))
        else:
            array = self._as_adapt_batch(data)
            batches = [array[:, None] if array.ndim == 1 else array]
        for batch in batches:
            batch = self._as_adapt_batch(batch)
            if batch.ndim <= 1:
                batch = np.reshape(batch, (1, -1))
            self._update_state(state, batch)
        self._finalize_state(state)

    # -- call ----------------------------------------------------------------------------------

    def _encode_lookups(self, lookups):
        """Indices -> the output_mode's encoding (with the idf weights in "tf_idf" mode)."""
        if self.output_mode == "int":
            return lookups
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        outputs = _encode(lookups, mode, depth, config.floatx())
        if self.output_mode == "tf_idf":
            outputs = outputs * jnp.asarray(self.idf_weights, outputs.dtype)
        return outputs

    def _raise_oov(self, values):
        raise self._error(
            f"when num_oov_indices=0 all inputs should be in the vocabulary, found OOV values "
            f"{values}; consider setting num_oov_indices=1"
        )

    def _ensure_known_vocab_size(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}': with output_mode={self.output_mode!r} and "
                "pad_to_max_tokens=False, set the vocabulary before calling the layer: pass `vocabulary` "
                "or call `adapt(data)`"
            )
        if self.output_mode == "tf_idf" and self.idf_weights is None:
            raise self._error("output_mode='tf_idf' needs `idf_weights` (or adapt)")

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        input_shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return _encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self):
        vocabulary, idf_weights = self.input_vocabulary, _listify(self.input_idf_weights)
        if vocabulary is None and len(self._tokens):
            # Adapted: jkeras has no asset files, so the learned vocabulary goes in the config.
            vocabulary = list(self._tokens)
            if self.output_mode == "tf_idf" and self.idf_weights is not None:
                start = self._token_start_index()
                idf_weights = [float(w) for w in self.idf_weights[start:start + len(self._tokens)]]
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": idf_weights,
            "vocabulary": None if vocabulary is None else [self._token_value(v) for v in vocabulary],
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }


# ----------------------------------------------------------------------------------------------
# IntegerLookup


class IntegerLookup(_IndexLookup):
    """Maps integer tokens to contiguous indices from a vocabulary (or back, with `invert=True`).

    Indices: `[mask (0, if mask_token is set and output_mode="int")] + [OOV indices] + tokens`.
    Out-of-vocabulary tokens go to the OOV index, or with several OOV indices to
    `token % num_oov_indices` ("floormod") or a FarmHash64 / SipHash64 bucket ("farmhash").

    Args:
        max_tokens: optional int > 1, the largest vocabulary size (special tokens included).
        num_oov_indices: int >= 0, the number of OOV indices (0: OOV inputs are an error).
        mask_token: optional int token that means "masked": index 0 in "int" mode, dropped in the
            other modes.
        oov_token: the token `invert=True` returns for OOV indices (default -1).
        vocabulary: optional list / 1D array of int tokens, or the path of a text file with one
            token per line; special tokens may lead it in the order [mask, oov...].
        vocabulary_dtype: must be "int64".
        idf_weights: with output_mode="tf_idf" and `vocabulary`, one float per vocabulary term.
        invert: map indices back to tokens (output_mode "int" only).
        output_mode: "int" (indices, int32), "one_hot", "multi_hot", "count" or "tf_idf" (float
            vectors of the vocabulary size, or `max_tokens` with `pad_to_max_tokens`).
        sparse: must be False.
        pad_to_max_tokens: pad encoded outputs to `max_tokens`.
        oov_method: "floormod" (default) or "farmhash", how several OOV indices are chosen.
        salt: with oov_method="farmhash", an int or a pair of ints keying SipHash64.

    Raises:
        ValueError: for bad arguments (each message names the argument), a repeated or misplaced
            special token in `vocabulary`, a vocabulary larger than `max_tokens`, adapting a layer
            given a vocabulary, or OOV inputs with `num_oov_indices=0`.
        RuntimeError: calling a non-"int" layer before its vocabulary is set (without
            `pad_to_max_tokens`).
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        self._vocabulary_dtype_arg = vocabulary_dtype
        self.vocabulary_dtype = "int64"
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)

    def _check_vocabulary_dtype(self):
        if self._vocabulary_dtype_arg != "int64":
            raise self._error(
                f"only vocabulary_dtype='int64' is supported, got vocabulary_dtype={self._vocabulary_dtype_arg!r}"
            )

    def _lookup(self, x):
        token_start = self._token_start_index()
        if len(self._tokens):
            order = np.argsort(self._tokens, kind="stable")
            sorted_tokens = jnp.asarray(self._tokens[order], x.dtype)
            sorted_indices = jnp.asarray(order + token_start, jnp.int32)
            pos = jnp.clip(jnp.searchsorted(sorted_tokens, x), 0, len(self._tokens) - 1)
            found = sorted_tokens[pos] == x
            found_index = sorted_indices[pos]
        else:
            found = jnp.zeros(x.shape, bool)
            found_index = jnp.zeros(x.shape, jnp.int32)
        oov_start = self._oov_start_index()
        if self.num_oov_indices == 0:
            oov = jnp.full(x.shape, -1, jnp.int32)
        elif self.num_oov_indices == 1:
            oov = jnp.full(x.shape, oov_start, jnp.int32)
        elif self.oov_method == "floormod":
            oov = jnp.mod(x, self.num_oov_indices).astype(jnp.int32) + oov_start
        else:
            oov = _hash_on_host(x, self.num_oov_indices, self.salt) + oov_start
        lookups = jnp.where(found, found_index, oov)
        if self.mask_token is not None:
            lookups = jnp.where(x == self.mask_token, 0 if self.output_mode == "int" else -1, lookups)
        return lookups, found

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = jnp.asarray(inputs)
        if not jnp.issubdtype(x.dtype, jnp.integer):
            x = x.astype(jnp.int32)
        if self.invert:
            vocab = jnp.asarray(self.get_vocabulary(), jnp.int32)
            fill = -1 if self.oov_token is None else self.oov_token
            found = jnp.take(vocab, x, mode="fill", fill_value=fill)  # wraps negative indices: mask them
            return jnp.where(x < 0, fill, found), variables["state"]
        self._ensure_known_vocab_size()
        lookups, found = self._lookup(x)
        if self.num_oov_indices == 0 and not isinstance(x, jax.core.Tracer):
            unknown = ~np.asarray(found)
            if self.mask_token is not None:
                unknown &= np.asarray(x) != self.mask_token
            if unknown.any():
                self._raise_oov(np.unique(np.asarray(x)[unknown]).tolist())
        return self._encode_lookups(lookups), variables["state"]


def _listify(x):
    if x is None:
        return None
    if isinstance(x, (np.ndarray, jax.Array)):
        return np.asarray(x).tolist()
    return list(x)

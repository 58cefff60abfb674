"""`HashedCrossing` (Keras 3): crosses scalar categorical features into `num_bins` hashed bins,
with TensorFlow's `tf.sparse.cross_hashed` hash (which Keras 3 calls), computed on the host."""
import jax
import jax.numpy as jnp
import numpy as np

from jkeras.layers.preprocessing_numeric import _encode, _encoded_shape, _farmhash64, _is_int, _no_sparse
from jkeras.models.layer import Layer

__all__ = ["HashedCrossing"]

_M64 = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default key


def _shift_mix(value):
    return value ^ (value >> 47)


def _fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64: combines two 64-bit fingerprints."""
    result = fp1 ^ _MUL
    result ^= (_shift_mix((fp2 * _MUL) & _M64) * _MUL) & _M64
    result = (result * _MUL) & _M64
    result = (_shift_mix(result) * _MUL) & _M64
    return _shift_mix(result)


def _feature_hash(value):
    """A feature's 64-bit hash: Fingerprint64 of a string's bytes, an integer's own two's-complement bits."""
    if isinstance(value, bytes):
        return _farmhash64(value)
    if isinstance(value, str):
        return _farmhash64(value.encode("utf-8"))
    return int(value) & _M64


def _cross_hash(columns, num_bins):
    """`FingerprintCat64(...FingerprintCat64(key, hash(f1))..., hash(fn)) % num_bins` per row (NumPy, host)."""
    flat = [np.asarray(c).reshape(-1).tolist() for c in columns]
    out = np.empty(len(flat[0]), np.int64)
    for row, values in enumerate(zip(*flat)):
        hashed = _HASH_KEY
        for value in values:
            hashed = _fingerprint_cat64(hashed, _feature_hash(value))
        out[row] = hashed % num_bins
    return out.reshape(np.shape(columns[0]))


def _is_string(x):
    return isinstance(x, (str, bytes)) or (isinstance(x, np.ndarray) and x.dtype.kind in ("U", "S", "O"))


class HashedCrossing(Layer):
    """Crosses scalar categorical features with the hashing trick: `hash((f1, f2, ...)) % num_bins`.

    The hash is TensorFlow's `tf.sparse.cross_hashed` (strings by FarmHash Fingerprint64, integers
    by their value, combined by FingerprintCat64), so the bins equal Keras 3's. It runs on the host:
    string features in eager calls only, integer features also under `jax.jit` (`jax.pure_callback`).

    Args:
        num_bins: positive int, the number of hash bins.
        output_mode: "int" (the bin index) or "one_hot".
        sparse: must be False (Keras allows True only on TensorFlow).
        dtype: output dtype; default "int64" for "int" (int32 unless JAX's x64 mode is on).

    Call arguments:
        inputs: a list or tuple of at least two features of one shape: `()`, `(batch,)` or
            `(batch, 1)`; integers or strings.

    Returns:
        The bins, of the inputs' shape ("int"), or one-hot `(..., num_bins)` ("one_hot").

    Raises:
        ValueError: for bad arguments, fewer than two inputs, inputs of different or unsupported
            shapes, or non-integer, non-string inputs.
    """

    _autocast = False

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if not _is_int(num_bins) or num_bins <= 0:
            raise self._error(f"num_bins must be a positive int, got num_bins={num_bins!r}")
        if output_mode not in ("int", "one_hot"):
            raise self._error(f"output_mode must be 'int' or 'one_hot', got output_mode={output_mode!r}")
        _no_sparse(self, sparse)
        self.num_bins = int(num_bins)
        self.output_mode = output_mode
        self.sparse = False

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise self._error(f"should be called on a list or tuple of at least two inputs, got {inputs!r}")
        shapes = [tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape) for x in inputs]
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise self._error(f"inputs should have shape (), (batch_size,) or (batch_size, 1), got shapes {shapes}")
        if any(s != first for s in shapes[1:]):
            raise self._error(f"all inputs should have equal shapes, got shapes {shapes}")

    def __call__(self, inputs, *args, **kwargs):
        if not (isinstance(inputs, (list, tuple)) and any(_is_string(x) for x in inputs)):
            return super().__call__(inputs, *args, **kwargs)
        self._check_inputs(inputs)
        columns = [np.asarray(x) for x in inputs]
        for x in columns:
            if x.dtype.kind not in ("U", "S", "O", "i", "u"):
                raise self._error(f"inputs should have an integer or string dtype, got dtype {x.dtype}")
        self.built = True
        return _encode(jnp.asarray(_cross_hash(columns, self.num_bins)), self.output_mode, self.num_bins, self.dtype)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        self._check_inputs(inputs)
        columns = [jnp.asarray(x) for x in inputs]
        for x in columns:
            if not jnp.issubdtype(x.dtype, jnp.integer):
                raise self._error(f"inputs should have an integer or string dtype, got dtype {x.dtype}")

        def host(*values):
            return _cross_hash([np.asarray(v) for v in values], self.num_bins).astype(np.int32)

        bins = jax.pure_callback(host, jax.ShapeDtypeStruct(columns[0].shape, jnp.int32), *columns,
                                 vmap_method="sequential")
        return _encode(bins, self.output_mode, self.num_bins, self.dtype), variables["state"]

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2 or not isinstance(input_shape[0], tuple):
            raise self._error(f"expected the shapes of at least two inputs, got input_shape={input_shape}")
        return _encoded_shape(input_shape[0], self.output_mode, self.num_bins)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse}


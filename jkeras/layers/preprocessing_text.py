"""Text preprocessing layers: StringLookup and TextVectorization (Keras 3's).

JAX has no string dtype, so these layers run eagerly on the host, on NumPy string arrays or
(nested) Python lists of str / bytes, and are not jittable. Use them as Keras 3's JAX-backend
tutorials do, to preprocess text before the model:

    vectorize = layers.TextVectorization(max_tokens=20000, output_sequence_length=200)
    vectorize.adapt(train_texts)
    model.fit(vectorize(train_texts), train_labels)

Calling them on a symbolic tensor (`jkeras.Input`) or inside `jax.jit` raises a ValueError naming
the layer. Their numeric outputs are JAX arrays: int32 indices (int64 with `jax_enable_x64`) or
float vectors; `StringLookup(invert=True)` returns a NumPy str array.

They share IntegerLookup's index-lookup core (`preprocessing_numeric._IndexLookup`): same index
layout, adapt order (decreasing count, ties by decreasing token), OOV and mask rules, encodings and
tf-idf formula as Keras. Differences from Keras 3:
- `sparse=True` and `ragged=True` are refused; outputs are dense. A ragged batch of token lists
  (what `tf.ragged.constant` holds: a list / 1D object array of lists of different lengths) is
  accepted by `StringLookup.adapt` (one document per row) and by its "multi_hot" / "count" /
  "tf_idf" modes (one vector per row); "int" / "one_hot" refuse it (no dense result).
- `get_config()` holds the adapted vocabulary (and idf weights) under `vocabulary` /
  `idf_weights`, where Keras writes asset files (see IntegerLookup).
- A callable `standardize` gets a NumPy str array (as in Keras on non-TensorFlow backends); a
  callable `split` gets the 1D NumPy str array of examples and returns one token list per example.
"""
import itertools
import re
import string

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import config
from jkeras.layers.preprocessing_numeric import (
    _IndexLookup, _check_mode, _first_of, _hash_buckets, _is_int, _no_sparse,
)
from jkeras.models.layer import Layer
from jkeras.models.node import flatten, is_symbolic

__all__ = ["StringLookup", "TextVectorization"]

# Keras's `standardize` regex (tf.strings.regex_replace) and TensorFlow's whitespace.
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
# tf.strings.lower with its default encoding lowercases ASCII letters only.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_INT_DTYPE = jax.dtypes.canonicalize_dtype(np.int64)


def _check_host_inputs(layer, inputs):
    """Raises the error that says a host-side text layer cannot be traced or be symbolic."""
    if is_symbolic(inputs):
        got = "a symbolic KerasTensor"
    elif any(isinstance(t, jax.core.Tracer) for t in flatten(inputs)):
        got = "a traced JAX value (inside jax.jit or a compiled model)"
    else:
        return
    raise layer._error(
        f"this layer runs on the host on NumPy string arrays / lists of str and cannot be part of a "
        f"symbolic or jitted model, got {got}. Preprocess the data before the model instead: "
        f"`x = layer(texts)`, then `model.fit(x, y)`"
    )


def _as_strings(layer, inputs, encoding):
    """`inputs` (str, bytes, nested lists, NumPy U / S / object arrays) as an object array of str."""
    if isinstance(inputs, jax.Array):
        raise layer._error(f"expects strings (a NumPy string array or a list of str), got a JAX "
                           f"{inputs.dtype} array")
    try:
        x = np.asarray(inputs)
    except ValueError as e:
        raise layer._error(f"inputs must be a rectangular array of strings ({e})") from None
    if x.dtype.kind == "U":
        return x.astype(object)
    if x.dtype.kind == "S":
        return np.char.decode(x, encoding).astype(object)
    if x.dtype.kind == "O":
        flat = [v.decode(encoding) if isinstance(v, bytes) else v for v in x.reshape(-1).tolist()]
        if all(isinstance(v, str) for v in flat):
            return np.asarray(flat + [None], object)[:-1].reshape(x.shape)
    if x.size == 0:
        return x.astype(object)
    raise layer._error(f"expects strings (a NumPy string array or a list of str), got dtype {x.dtype}")


def _ragged_rows(inputs):
    """The rows of a ragged batch of token lists, else None: a list / tuple / 1D object array whose
    items are lists / tuples / arrays of different lengths (or a 1D object array of them, as a pandas
    column of lists gives), the NumPy form of Keras's `tf.ragged.constant(list_of_token_lists)`."""
    if isinstance(inputs, np.ndarray):
        if inputs.dtype != object or inputs.ndim != 1:
            return None
    elif not isinstance(inputs, (list, tuple)):
        return None
    rows = list(inputs)
    if not rows or not all(isinstance(r, (list, tuple, np.ndarray)) for r in rows):
        return None
    if not isinstance(inputs, np.ndarray) and len({len(r) for r in rows}) == 1:
        return None  # rectangular: the ordinary array path
    return [list(np.asarray(r, object).reshape(-1)) for r in rows]


def _encode_on_host(indices, output_mode, depth):
    """NumPy twin of `preprocessing_numeric._encode` (same shapes; out-of-range indices dropped),
    without materializing a one-hot tensor for "multi_hot" / "count"."""
    indices = np.asarray(indices, np.int64)
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = np.squeeze(indices, -1)
        out = np.zeros(indices.shape + (depth,), np.float32)
        flat, rows = indices.reshape(-1), out.reshape(-1, depth)
        valid = np.nonzero((flat >= 0) & (flat < depth))[0]
        rows[valid, flat[valid]] = 1
        return out
    # multi_hot / count reduce the sample axis: 0 for a 1D input, else 1.
    axis = 1 if indices.ndim > 1 else 0
    moved = np.moveaxis(indices, axis, -1)
    samples = moved.reshape(-1, moved.shape[-1])
    row = np.broadcast_to(np.arange(samples.shape[0])[:, None], samples.shape)
    valid = (samples >= 0) & (samples < depth)
    counts = np.bincount(row[valid] * depth + samples[valid], minlength=samples.shape[0] * depth)
    counts = counts.reshape(moved.shape[:-1] + (depth,)).astype(np.float32)
    return np.minimum(counts, 1) if output_mode == "multi_hot" else counts


def _pad_rows(rows, length, fill):
    """Token-index rows (ragged) as a `(len(rows), length)` int array: truncated, padded with `fill`."""
    out = np.full((len(rows), length), fill, np.int64)
    for i, row in enumerate(rows):
        row = row[:length]
        out[i, :len(row)] = row
    return out


# ----------------------------------------------------------------------------------------------
# StringLookup


class StringLookup(_IndexLookup):
    """Maps strings to contiguous indices from a vocabulary (or back, with `invert=True`).

    Runs on the host (NumPy), not under `jax.jit`: apply it to the data before the model. Indices:
    `[mask (0, if mask_token is set and output_mode="int")] + [OOV indices] + tokens`. With several
    OOV indices an OOV string goes to bucket `FarmHash64(string) % num_oov_indices` (SipHash64 keyed
    by `salt` when given), TensorFlow's hashes, so the buckets equal Keras's.

    Args:
        max_tokens: optional int > 1, the largest vocabulary size (special tokens included).
        num_oov_indices: int >= 0, the number of OOV indices (0: OOV inputs are an error).
        mask_token: optional string that means "masked": index 0 in "int" mode, dropped in the
            other modes.
        oov_token: the string `invert=True` returns for OOV indices (default "[UNK]").
        vocabulary: optional list / tuple / 1D array of strings, or the path of a text file with one
            token per line; special tokens may lead it in the order [mask, oov...].
        idf_weights: with output_mode="tf_idf" and `vocabulary`, one float per vocabulary term.
        invert: map indices back to strings (output_mode "int" only).
        output_mode: "int" (indices, int32), "one_hot", "multi_hot", "count" or "tf_idf" (float
            vectors of the vocabulary size, or `max_tokens` with `pad_to_max_tokens`).
        pad_to_max_tokens: pad encoded outputs to `max_tokens`.
        sparse: must be False.
        encoding: the text encoding of bytes inputs and vocabulary files (default "utf-8").
        salt: optional int or pair of ints keying SipHash64 for the OOV buckets.

    Input: a str, a NumPy str / bytes array or a (nested) list of str; with `invert=True`, integer
    indices. Output: a JAX int or float array; with `invert=True`, a NumPy str array.

    Raises:
        ValueError: for bad arguments (each message names the argument), a repeated or misplaced
            special token in `vocabulary`, a vocabulary larger than `max_tokens`, adapting a layer
            given a vocabulary, OOV inputs with `num_oov_indices=0`, non-string inputs, or a
            symbolic / traced input.
        RuntimeError: calling a non-"int" layer before its vocabulary is set (without
            `pad_to_max_tokens`).
    """

    _string_tokens = True
    vocabulary_dtype = "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):
        self.encoding = encoding
        self._index = None
        vocabulary_dtype = kwargs.pop("vocabulary_dtype", "string")
        oov_method = kwargs.pop("oov_method", "floormod")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)
        if vocabulary_dtype not in ("string", "str"):
            raise self._error(f"vocabulary_dtype must be 'string', got vocabulary_dtype={vocabulary_dtype!r}")

    # -- token type ----------------------------------------------------------------------------

    def _token_arg(self, token):
        if token is None or isinstance(token, str):
            return token
        if isinstance(token, bytes):
            return token.decode(self.encoding)
        raise self._error(f"mask_token / oov_token must be strings or None, got {token!r}")

    def _as_token_array(self, values):
        if isinstance(values, (list, tuple)) and not values:
            return np.zeros((0,), object)
        return _as_strings(self, values, self.encoding)

    def _as_adapt_batch(self, batch):
        return _as_strings(self, batch, self.encoding)

    def adapt(self, data, batch_size=None, steps=None):
        rows = _ragged_rows(data)
        if rows is not None:  # ragged token lists: each row is one document (one batch of 1)
            data = (np.asarray(row + [None], object)[None, :-1] for row in rows)
        return super().adapt(data, batch_size=batch_size, steps=steps)

    def _read_vocabulary_file(self, path):
        with open(path, encoding=self.encoding) as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    def _token_value(self, token):
        return str(token)

    def _set_tokens(self, tokens):
        self._tokens = tokens
        self._index = None

    # -- call ----------------------------------------------------------------------------------

    def _lookup_strings(self, flat):
        """Indices (int64 NumPy) of a list of str, with Keras's OOV and mask rules (mask: -1 outside
        "int" mode, which the encodings drop)."""
        if self._index is None:
            self._index = {t: i for i, t in enumerate(self._tokens.tolist(), self._token_start_index())}
        index = self._index
        indices = np.fromiter((index.get(t, -1) for t in flat), np.int64, count=len(flat))
        unknown = np.nonzero(indices < 0)[0]
        if not len(unknown):
            return indices
        values = np.asarray(flat + [None], object)[:-1][unknown]
        masked = None
        if self.mask_token is not None:  # never in the table: only unknown positions can be masked
            is_mask = values == self.mask_token
            masked, unknown, values = unknown[is_mask], unknown[~is_mask], values[~is_mask]
        if len(unknown):
            if self.num_oov_indices == 0:
                self._raise_oov(sorted(set(values.tolist())))
            if self.num_oov_indices == 1:
                indices[unknown] = self._oov_start_index()
            else:
                indices[unknown] = _hash_buckets(values, self.num_oov_indices, self.salt) + self._oov_start_index()
        if masked is not None:
            indices[masked] = 0 if self.output_mode == "int" else -1
        return indices

    def _invert(self, inputs):
        x = np.asarray(inputs)
        if not np.issubdtype(x.dtype, np.integer):
            if x.dtype.kind != "f":
                raise self._error(f"with invert=True, expects integer indices, got dtype {x.dtype}")
            x = x.astype(np.int64)
        vocab = np.asarray(self.get_vocabulary() + [None], object)[:-1]
        fill = "" if self.oov_token is None else self.oov_token
        valid = (x >= 0) & (x < len(vocab))
        if not len(vocab):
            return np.full(x.shape, fill, dtype=str)
        return np.where(valid, vocab[np.where(valid, x, 0)], fill).astype(str)

    def _encode_lookups(self, lookups):
        """NumPy indices -> the output_mode's encoding, computed on the host, as a JAX array."""
        lookups = np.asarray(lookups)
        if self.output_mode == "int":
            return jnp.asarray(lookups.astype(_INT_DTYPE))
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        outputs = _encode_on_host(lookups, "count" if self.output_mode == "tf_idf" else self.output_mode, depth)
        if self.output_mode == "tf_idf":
            outputs = outputs * np.asarray(self.idf_weights, np.float32)
        return jnp.asarray(outputs.astype(config.floatx(), copy=False))

    def _call_host(self, inputs):
        _check_host_inputs(self, inputs)
        if self.invert:
            return self._invert(inputs)
        self._ensure_known_vocab_size()
        rows = _ragged_rows(inputs)
        if rows is not None:
            return self._encode_ragged(rows)
        x = _as_strings(self, inputs, self.encoding)
        return self._encode_lookups(self._lookup_strings(x.reshape(-1).tolist()).reshape(x.shape))

    def _encode_ragged(self, rows):
        """Encodes each row of a ragged batch to one vector ("multi_hot" / "count" / "tf_idf" /
        equal-length rows): the rows are padded with index -1, which the encodings drop."""
        lookups = [self._lookup_strings(_as_strings(self, row, self.encoding).reshape(-1).tolist()) for row in rows]
        lengths = {len(row) for row in lookups}
        if self.output_mode in ("int", "one_hot") and len(lengths) > 1:
            raise self._error(
                f"with output_mode={self.output_mode!r}, rows of different lengths (a ragged batch, lengths "
                f"{sorted(lengths)}) have no dense result; pad the rows to one length first, or use "
                f"output_mode='multi_hot', 'count' or 'tf_idf'"
            )
        padded = np.full((len(lookups), max(lengths | {1})), -1, np.int64)
        for i, row in enumerate(lookups):
            padded[i, :len(row)] = row
        return self._encode_lookups(padded if len(lengths) > 1 or 0 in lengths else np.stack(lookups))

    def __call__(self, inputs, **kwargs):
        outputs = self._call_host(inputs)
        self.built = True
        return outputs

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return self._call_host(inputs), variables["state"]

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        return {**config, "encoding": self.encoding}


# ----------------------------------------------------------------------------------------------
# TextVectorization


def _ngrams(tokens, widths):
    """tf.strings.ngrams(tokens, widths, separator=" "): each width's n-grams, in `widths` order."""
    out = []
    for n in widths:
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def _callable_name(fn):
    from jkeras.utils.object_registry import get_registered_name

    return get_registered_name(fn)


def _resolve_callable(value, arg, builtins):
    """A `standardize` / `split` config value: a built-in name, None, a callable, or a registered name."""
    if value is None or callable(value) or value in builtins:
        return value
    from jkeras.utils.object_registry import get_registered_object

    if isinstance(value, dict):  # Keras 3's serialized function
        value = value.get("registered_name") or value.get("config")
    fn = get_registered_object(value) if isinstance(value, str) else None
    if fn is None:
        raise ValueError(
            f"TextVectorization: cannot restore {arg}={value!r}: register the function with "
            f"`jkeras.utils.register_keras_serializable` or pass it in a custom object scope"
        )
    return fn


class TextVectorization(Layer):
    """Maps strings to token-index sequences or to token-count vectors, with a learned vocabulary.

    Runs on the host (NumPy), not under `jax.jit`: adapt it, then apply it to the data before the
    model (`x = layer(texts)`, then `model.fit(x, y)`). Each example is standardized, split into
    tokens, joined into n-grams (space-separated), then looked up in a StringLookup whose mask
    token is "" (index 0, the padding) and whose OOV token is "[UNK]" (index 1 in "int" mode).

    Args:
        max_tokens: optional int > 1, the largest vocabulary size (special tokens included).
        standardize: None, "lower_and_strip_punctuation" (default), "lower", "strip_punctuation",
            or a callable taking and returning a NumPy str array. "lower" lowercases ASCII letters
            (as TensorFlow's default); punctuation is Keras's ASCII set.
        split: None, "whitespace" (default), "character", or a callable taking the 1D NumPy str
            array of examples and returning one list of tokens per example.
        ngrams: None, an int n (n-grams of sizes 1..n) or a tuple of sizes.
        output_mode: "int" (default), "one_hot", "multi_hot", "count" or "tf_idf".
        output_sequence_length: "int" mode only: pad (with 0) or truncate sequences to this length.
        pad_to_max_tokens: pad encoded outputs to `max_tokens`.
        vocabulary: optional list / 1D array of strings, or the path of a one-token-per-line file.
        idf_weights: with output_mode="tf_idf" and `vocabulary`, one float per vocabulary term.
        sparse: must be False.
        ragged: must be False.
        encoding: the text encoding of bytes inputs and vocabulary files (default "utf-8").

    Input: a 1D batch of strings, `(batch,)` or `(batch, 1)` (with `split=None`, any shape of
    pre-split tokens). Output: "int": int32 `(batch, sequence_length)`, where the length is
    `output_sequence_length` or the longest example's; "multi_hot" / "count" / "tf_idf": float32
    `(batch, vocabulary_size)`; "one_hot": float32 `(batch, sequence_length, vocabulary_size)`.

    Raises:
        ValueError: for bad arguments (each message names the argument), a batch whose last axis is
            not 1 when splitting, adapting a layer given a vocabulary, or a symbolic / traced input.
    """

    _autocast = False

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise self._error(f"standardize must be None, a callable or one of {list(_STANDARDIZE)}, "
                              f"got standardize={standardize!r}")
        if not (split is None or callable(split) or split in _SPLIT):
            raise self._error(f"split must be None, a callable or one of {list(_SPLIT)}, got split={split!r}")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        _check_mode(self, output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"))
        if not (ngrams is None or (_is_int(ngrams) and ngrams >= 1)
                or (isinstance(ngrams, tuple) and ngrams and all(_is_int(n) and n >= 1 for n in ngrams))):
            raise self._error(f"`ngrams` must be None, an integer >= 1, or a tuple of such integers, "
                              f"got ngrams={ngrams!r}")
        if output_mode == "int" and not (output_sequence_length is None or
                                         (_is_int(output_sequence_length) and output_sequence_length >= 0)):
            raise self._error(f"`output_sequence_length` must be None or an int >= 0 when output_mode='int', "
                              f"got output_sequence_length={output_sequence_length!r}")
        if output_mode != "int" and output_sequence_length is not None:
            raise self._error(f"`output_sequence_length` must not be set if output_mode is not 'int', got "
                              f"output_sequence_length={output_sequence_length!r}")
        _no_sparse(self, sparse)
        if ragged:
            raise self._error("ragged=True is not supported in jkeras (no ragged arrays); use ragged=False and "
                              "`output_sequence_length`")
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if _is_int(ngrams) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = None if output_sequence_length is None else int(output_sequence_length)
        self._encoding = encoding
        self._has_input_vocabulary = bool(has_input_vocabulary)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            has_input_vocabulary=self._has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size, name=f"{self.name}_string_lookup",
        )

    # -- vocabulary ----------------------------------------------------------------------------

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, index order.

        Args:
            include_special_tokens: if True, the padding token "" ("int" mode) and "[UNK]" lead
                the list, so a term's position equals its index; if False, only the terms.

        Returns:
            A list of str.
        """
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The vocabulary size, padding and OOV indices included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, in "tf_idf" mode, the idf weights), replacing any previous one.

        Args:
            vocabulary: list / tuple / 1D array of strings, or the path of a one-token-per-line file.
            idf_weights: one float per vocabulary entry; required in "tf_idf" mode, refused otherwise.
        """
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- preprocessing -------------------------------------------------------------------------

    def _standardized(self, x):
        if callable(self._standardize):
            return _as_strings(self, self._standardize(x.astype(str)), self._encoding)
        if self._standardize is None:
            return x
        flat = x.reshape(-1).tolist()
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            flat = [s.translate(_ASCII_LOWER) for s in flat]
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [_PUNCTUATION.sub("", s) for s in flat]
        return np.asarray(flat + [None], object)[:-1].reshape(x.shape)

    def _preprocess(self, inputs):
        """Standardized, split, n-grammed inputs: a list of token lists (one per example) and the
        batch shape `()` / `(batch,)`, or, with `split=None` and no ngrams, an object array."""
        x = self._standardized(_as_strings(self, inputs, self._encoding))
        if self._split is None:
            if self._ngrams is None:
                return x, None
            if x.ndim != 2:
                raise self._error(f"with split=None and `ngrams`, inputs must be 2D pre-split tokens "
                                  f"(batch, tokens), got shape {x.shape}")
            rows = x.tolist()
            shape = (len(rows),)
        else:
            if x.ndim > 1:
                if x.shape[-1] != 1:
                    raise self._error(f"to split strings, the input rank must be 1 or the last dimension must "
                                      f"be 1, got inputs of shape {x.shape}")
                x = np.squeeze(x, -1)
            if x.ndim > 1:
                raise self._error(f"to split strings, inputs must be a batch of strings, (batch,) or "
                                  f"(batch, 1), got shape {x.shape + (1,)}")
            shape = x.shape
            flat = x.reshape(-1).tolist()
            if self._split == "whitespace":
                rows = [[t for t in _WHITESPACE.split(s) if t] for s in flat]
            elif self._split == "character":
                rows = [list(s) for s in flat]
            else:
                split = self._split(np.asarray(flat, dtype=str).reshape(-1))
                rows = [[t.decode(self._encoding) if isinstance(t, bytes) else str(t) for t in np.ravel(row)]
                        for row in split]
                if len(rows) != len(flat):
                    raise self._error(f"the `split` callable must return one token list per example: got "
                                      f"{len(rows)} lists for {len(flat)} examples")
        if self._ngrams is not None:
            rows = [_ngrams(row, self._ngrams) for row in rows]
        return rows, shape

    # -- adapt ---------------------------------------------------------------------------------

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from the tokens of `data`: decreasing count, ties by decreasing
        token, truncated to `max_tokens`. In "tf_idf" mode each example is a document and the idf
        weights are `log(1 + num_documents / (1 + document_count))`.

        Args:
            data: a list / NumPy array of strings, or an iterable of such batches (generator,
                `Sequence`; `(x, y)` batches use `x`).
            batch_size: accepted for compatibility; unused.
            steps: optional int, the number of batches to read from an iterable.

        Raises:
            ValueError: if the layer was given a vocabulary.
        """
        lookup = self._lookup_layer
        lookup._check_adaptable()
        state = lookup._adapt_state()
        if hasattr(data, "__iter__") and not isinstance(data, (list, tuple, np.ndarray, jax.Array, str, bytes)):
            batches = (_first_of(b) for b in itertools.islice(iter(data), steps))
        else:
            array = _as_strings(self, data, self._encoding)
            batches = [array[:, None] if array.ndim == 1 else array]
        for batch in batches:
            _check_host_inputs(self, batch)
            documents, _ = self._preprocess(batch)
            if isinstance(documents, np.ndarray) and documents.ndim <= 1:
                documents = np.reshape(documents, (1, -1))
            lookup._update_state(state, documents)
        lookup._finalize_state(state)

    # -- call ----------------------------------------------------------------------------------

    def _call_host(self, inputs):
        _check_host_inputs(self, inputs)
        lookup = self._lookup_layer
        lookup._ensure_known_vocab_size()
        tokens, shape = self._preprocess(inputs)
        length = self._output_sequence_length
        if shape is None:  # split=None: a dense array of tokens
            x = tokens
            if self._output_mode != "int" and x.ndim <= 1:
                x = np.reshape(x, (-1, 1))  # one example per string
            indices = lookup._lookup_strings(x.reshape(-1).tolist()).reshape(x.shape)
            if self._output_mode == "int" and length is not None:
                indices = indices[..., :length]
                pad = [(0, 0)] * (indices.ndim - 1) + [(0, length - indices.shape[-1])]
                indices = np.pad(indices, pad)
        else:
            flat = [t for row in tokens for t in row]
            found = lookup._lookup_strings(flat)
            ends = np.cumsum([len(row) for row in tokens])
            rows = np.split(found, ends[:-1]) if len(tokens) else []
            if length is None:
                length = max((len(row) for row in tokens), default=0)
            fill = 0 if self._output_mode == "int" else -1
            indices = _pad_rows(rows, length, fill).reshape(shape + (length,))
        return lookup._encode_lookups(indices)

    def __call__(self, inputs, **kwargs):
        outputs = self._call_host(inputs)
        self.built = True
        return outputs

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        return self._call_host(inputs), variables["state"]

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = tuple(input_shape) + (1,)
        else:
            input_shape = tuple(input_shape) + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    # -- config --------------------------------------------------------------------------------

    def get_config(self):
        lookup_config = self._lookup_layer.get_config()

        def fn_config(value):
            return _callable_name(value) if callable(value) else value

        return {
            **super().get_config(),
            "max_tokens": self._lookup_layer.max_tokens,
            "standardize": fn_config(self._standardize),
            "split": fn_config(self._split),
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens,
            "sparse": False,
            "ragged": False,
            "vocabulary": lookup_config["vocabulary"],
            "idf_weights": lookup_config["idf_weights"],
            "encoding": self._encoding,
            "vocabulary_size": lookup_config["vocabulary_size"],
        }

    @classmethod
    def from_config(cls, config):
        from jkeras.utils.serialization import standardize_layer_config

        config = standardize_layer_config(config)
        if "standardize" in config:
            config["standardize"] = _resolve_callable(config["standardize"], "standardize", _STANDARDIZE)
        if "split" in config:
            config["split"] = _resolve_callable(config["split"], "split", _SPLIT)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

"""`jkeras.ops` math operations (Keras's `keras.src.ops.math`): segment reductions, top-k,
log-sum-exp, FFTs and short-time Fourier transforms, special functions."""
import math as _math

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.ops._base import _t, op


def _segment(reduce, name):
    def segment(data, segment_ids, num_segments=None, sorted=False):
        if num_segments is None:
            raise ValueError(f"{name}: num_segments must be set with JAX, received num_segments=None")
        return reduce(_t(data), _t(segment_ids), num_segments, indices_are_sorted=sorted)

    segment.__name__ = segment.__qualname__ = name
    segment.__doc__ = (f"`{name.split('_')[1]}` of the rows of `data` sharing a segment id, for ids "
                       "in [0, num_segments) (missing segments get the reduction's identity).")
    return op(segment)


segment_sum = _segment(jax.ops.segment_sum, "segment_sum")
segment_max = _segment(jax.ops.segment_max, "segment_max")
segment_min = _segment(jax.ops.segment_min, "segment_min")
segment_prod = _segment(jax.ops.segment_prod, "segment_prod")


@op
def top_k(x, k, sorted=True):
    """(values, indices) of the `k` largest entries of `x` along its last axis."""
    return jax.lax.top_k(_t(x), k)


@op
def in_top_k(targets, predictions, k):
    """True where the prediction for the `targets` class is among the `k` largest."""
    predictions = _t(predictions)
    at_label = jnp.take_along_axis(predictions, jnp.expand_dims(_t(targets), -1), axis=-1)
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)
    return 1 + jnp.sum(predictions > at_label, axis=-1) <= k


@op
def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` over `axis`, computed stably."""
    return jax.scipy.special.logsumexp(_t(x), axis=axis, keepdims=keepdims)


@op
def cdist(x, y):
    """Euclidean distances between the rows of `x` (..., m, d) and of `y` (..., n, d)."""
    x, y = _t(x), _t(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"cdist: inputs must have rank >= 2, received shapes {x.shape} and {y.shape}")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"cdist: last dimensions must match, received shapes {x.shape} and {y.shape}")
    diff = jnp.expand_dims(x, -2) - jnp.expand_dims(y, -3)
    return jnp.sqrt(jnp.sum(diff * diff, axis=-1))


@op
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` along the last axis of `x`, every `sequence_stride`."""
    x = _t(x)
    *batch, length = x.shape
    frames = jax.lax.conv_general_dilated_patches(
        jnp.reshape(x, (_math.prod(batch), length, 1)), (sequence_length,), (sequence_stride,),
        "VALID", dimension_numbers=("NTC", "OIT", "NTC"),
    )
    return jnp.reshape(frames, (*batch, *frames.shape[-2:]))


def _complex(x):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"x must be a tuple (real, imaginary) of two tensors, received {x!r}")
    real, imag = _t(x[0]), _t(x[1])
    if real.shape != imag.shape:
        raise ValueError(f"x's real and imaginary parts must have the same shape, received "
                         f"{real.shape} and {imag.shape}")
    if not (jnp.issubdtype(real.dtype, jnp.floating) and jnp.issubdtype(imag.dtype, jnp.floating)):
        raise ValueError(f"x's real and imaginary parts must be floats, received {real.dtype}, {imag.dtype}")
    return jax.lax.complex(real, imag)


def _parts(z):
    return jnp.real(z), jnp.imag(z)


@op
def fft(x):
    """FFT over the last axis of the complex tensor `x` = (real, imag); returns (real, imag)."""
    return _parts(jnp.fft.fft(_complex(x)))


@op
def fft2(x):
    """2-D FFT over the last two axes of `x` = (real, imag); returns (real, imag)."""
    return _parts(jnp.fft.fft2(_complex(x)))


@op
def ifft2(x):
    """Inverse 2-D FFT over the last two axes of `x` = (real, imag); returns (real, imag)."""
    return _parts(jnp.fft.ifft2(_complex(x)))


@op
def rfft(x, fft_length=None):
    """FFT of the real signal `x` over its last axis; returns (real, imag)."""
    return _parts(jnp.fft.rfft(_t(x), n=fft_length, axis=-1, norm="backward"))


@op
def irfft(x, fft_length=None):
    """Inverse of `rfft` for `x` = (real, imag): a real signal of `fft_length`."""
    return jnp.fft.irfft(_complex(x), n=fft_length, axis=-1, norm="backward")


def _window(window, sequence_length, fft_length, dtype):
    """The (centred, zero-padded to `fft_length`) analysis window: "hann", "hamming" (periodic),
    an array, or None (ones)."""
    left = (fft_length - sequence_length) // 2
    right = fft_length - sequence_length - left
    if window is None:
        return jnp.ones((fft_length,), dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"window must be 'hann', 'hamming', an array or None, received window={window!r}")
        a = 0.5 if window == "hann" else 0.54
        k = np.arange(sequence_length)
        win = jnp.asarray(a - (1 - a) * np.cos(2 * np.pi * k / sequence_length), dtype)
    else:
        win = _t(window, dtype)
    if win.shape != (sequence_length,):
        raise ValueError(f"window must have shape ({sequence_length},), received {win.shape}")
    return jnp.pad(win, [(left, right)])


@op
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform of the real signals `x` (..., samples): (real, imag), each
    (..., frames, fft_length // 2 + 1).

    Raises:
        TypeError: for an input that is not float32 / float64.
        ValueError: when `fft_length < sequence_length` or for a bad `window`.
    """
    x = _t(x)
    if x.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"stft: x must be float32 or float64, received {x.dtype}")
    if fft_length < sequence_length:
        raise ValueError(f"stft: fft_length ({fft_length}) must be >= sequence_length ({sequence_length})")
    win = _window(window, sequence_length, fft_length, x.dtype)
    if center:
        x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)], mode="reflect")
    frames = extract_sequences(x, fft_length, sequence_stride) * win
    return _parts(jnp.fft.rfft(frames, n=fft_length, axis=-1))


@op
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Inverse of `stft` for `x` = (real, imag) (..., frames, fft_length // 2 + 1): the signals,
    by windowed overlap-add."""
    z = _complex(x)
    dtype = jnp.real(z).dtype
    if z.ndim < 2:
        raise ValueError(f"istft: x must have at least 2 dimensions, received shape {z.shape}")
    frames = jnp.fft.irfft(z, n=fft_length, axis=-1)
    win = _window(window, sequence_length, fft_length, dtype)
    num = frames.shape[-2]
    total = fft_length + sequence_stride * (num - 1)
    starts = np.arange(num) * sequence_stride
    idx = (starts[:, None] + np.arange(fft_length)[None, :]).reshape(-1)
    signal = jnp.zeros(frames.shape[:-2] + (total,), dtype)
    signal = signal.at[..., idx].add((frames * win).reshape(frames.shape[:-2] + (-1,)))
    norm = jnp.zeros((total,), dtype).at[idx].add(jnp.tile(win * win, num))
    signal = signal / jnp.where(norm > 1e-10, norm, 1.0)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    return signal[..., start:end]


@op
def rsqrt(x):
    """`1 / sqrt(x)`, element-wise."""
    return jax.lax.rsqrt(_t(x))


@op
def erf(x):
    """The error function of `x`, element-wise."""
    return jax.lax.erf(_t(x))


@op
def erfc(x):
    """`1 - erf(x)`, element-wise."""
    return jax.scipy.special.erfc(_t(x))


@op
def erfinv(x):
    """The inverse error function of `x`, element-wise."""
    return jax.scipy.special.erfinv(_t(x))


@op
def logdet(x):
    """`log(det(x))` of the (positive-determinant) square matrices `x`."""
    return jnp.linalg.slogdet(_t(x))[1]


@op
def view_as_complex(x):
    """The complex tensor (...) whose (real, imag) are the last axis (size 2) of the real `x`."""
    x = _t(x)
    if x.shape[-1] != 2:
        raise ValueError(f"view_as_complex: the last axis of x must have size 2, received shape {x.shape}")
    return jax.lax.complex(x[..., 0], x[..., 1])


@op
def view_as_real(x):
    """The real tensor (..., 2) of the (real, imag) parts of the complex `x`."""
    x = _t(x)
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


__all__ = [
    "cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2", "in_top_k",
    "irfft", "istft", "logdet", "logsumexp", "rfft", "rsqrt", "segment_max", "segment_min",
    "segment_prod", "segment_sum", "stft", "top_k", "view_as_complex", "view_as_real",
]

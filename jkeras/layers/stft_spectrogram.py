"""`STFTSpectrogram` (Keras 3): spectrograms of 1D signals by a strided Conv1D whose kernels are
the `STFT` initializer's windowed Fourier bases (`real_kernel`, `imag_kernel`, trainable as in
Keras)."""
import math
import numbers
import warnings

import jax.numpy as jnp
from jax import lax

from jkeras.core import config
from jkeras.core._stft_initializer import STFT, _check_window_name
from jkeras.layers.pooling import _data_format
from jkeras.models.layer import Layer

__all__ = ["STFTSpectrogram"]

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _positive_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


class STFTSpectrogram(Layer):
    """Short-time Fourier transform spectrograms of `(batch, time, channels)` signals.

    Each channel is cut into frames of `frame_length` samples, `frame_step` apart, windowed and
    transformed with `fft_length` bins (`fft_length // 2 + 1` of them kept); the transform is a
    Conv1D with the `STFT` initializer's kernels, so it can be fine-tuned.

    Args:
        mode: what to return per bin: "log" (log magnitude, default), "magnitude", "psd" (power,
            the inner bins doubled), "real", "imag", "angle", or "stft" (real then imaginary
            parts, `2 * (fft_length // 2 + 1)` bins).
        frame_length: positive int, samples per frame (the window length).
        frame_step: positive int <= frame_length, samples between frames (default `frame_length // 2`).
        fft_length: int >= frame_length, the transform size (default: the next power of two
            >= frame_length).
        window: a `scipy.signal.windows` name, the window's values, or None.
        periodic: whether a named window is periodic.
        scaling: "density" (window L2-normalized), "spectrum" (L1) or None.
        padding: "valid" (frames inside the signal) or "same" (`ceil(time / frame_step)` frames).
        expand_dims: keep channels on their own axis: `(batch, frames, bins, channels)` instead
            of `(batch, frames, channels * bins)` (channels first: `(batch, channels, frames, bins)`
            and `(batch, channels * bins, frames)`).
        data_format: "channels_last" `(batch, time, channels)` or "channels_first" `(batch, channels, time)`.

    Weights:
        real_kernel and imag_kernel `(frame_length, 1, fft_length // 2 + 1)` (only the one needed
        in "real" / "imag" mode).

    Raises:
        ValueError: for bad arguments, or an input of rank other than 3.
        TypeError: for a non-float input.
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann",
                 periodic=False, scaling="density", padding="valid", expand_dims=False, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not _positive_int(frame_length):
            raise self._error(f"frame_length must be a positive int, received frame_length={frame_length!r}")
        if frame_step is not None and (not _positive_int(frame_step) or frame_step > frame_length):
            raise self._error(f"frame_step should be a positive integer not greater than frame_length; "
                              f"received frame_step={frame_step!r}, frame_length={frame_length}")
        if fft_length is not None and (not _positive_int(fft_length) or fft_length < frame_length):
            raise self._error(f"fft_length should be an int not less than frame_length; received "
                              f"fft_length={fft_length!r}, frame_length={frame_length}")
        if fft_length is not None and fft_length & (fft_length - 1):
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}")
        if mode not in _MODES:
            raise self._error(f"mode must be one of {', '.join(_MODES)}; received mode={mode!r}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise self._error(f"scaling must be None, 'density' or 'spectrum'; received scaling={scaling!r}")
        if padding not in ("valid", "same"):
            raise self._error(f"padding must be 'valid' or 'same'; received padding={padding!r}")
        _check_window_name(window)
        self.mode = mode
        self.frame_length = int(frame_length)
        self.frame_step = frame_step
        self._frame_step = int(frame_step) if frame_step is not None else self.frame_length // 2
        self.fft_length = fft_length
        self._fft_length = int(fft_length) if fft_length else 2 ** int(math.ceil(math.log2(self.frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = _data_format(self, data_format)

    def _sides(self):
        return [side for side in ("real", "imag") if self.mode != {"real": "imag", "imag": "real"}[side]]

    def _check_input_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) != 3:
            raise self._error(f"expected an input of rank 3 (batch, time, channels) or channels first, "
                              f"got shape {input_shape}")
        time = input_shape[1] if self.data_format == "channels_last" else input_shape[2]
        if self.padding == "valid" and time is not None and time < self.frame_length:
            raise self._error(f"the input has {time} samples, fewer than frame_length={self.frame_length} "
                              f"(padding='valid')")

    def init(self, rng, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        params = {f"{side}_kernel": STFT(side, self.window, self.scaling, self.periodic)(shape, self.dtype)
                  for side in self._sides()}
        return {"params": params, "state": {}}

    def _transform(self, x, kernel):
        """`(batch, channels, frames, bins)` of one side of the transform."""
        if self.data_format == "channels_last":
            x = jnp.transpose(x, (0, 2, 1))
        batch, channels, time = x.shape
        signals = jnp.reshape(x, (batch * channels, time, 1))
        out = lax.conv_general_dilated(signals, kernel.astype(x.dtype), (self._frame_step,), self.padding.upper(),
                                       dimension_numbers=("NWC", "WIO", "NWC"))
        return jnp.reshape(out, (batch, channels) + out.shape[1:])

    def _arrange(self, out):
        batch, channels, frames, bins = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return jnp.transpose(out, (0, 2, 3, 1))
            return jnp.reshape(jnp.transpose(out, (0, 2, 1, 3)), (batch, frames, channels * bins))
        if self.expand_dims:
            return out
        return jnp.reshape(jnp.transpose(out, (0, 1, 3, 2)), (batch, channels * bins, frames))

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = jnp.asarray(inputs)
        if x.dtype not in (jnp.float16, jnp.float32, jnp.float64):
            raise TypeError(f"{type(self).__name__} '{self.name}': expected float16, float32 or float64 "
                            f"inputs, received dtype {x.dtype}")
        self._check_input_shape(tuple(x.shape))
        params = variables["params"]
        sides = {side: self._transform(x, params[f"{side}_kernel"]) for side in self._sides()}
        if self.mode in ("real", "imag"):
            out = sides[self.mode]
        elif self.mode == "angle":
            out = jnp.arctan2(sides["imag"], sides["real"])
        elif self.mode == "stft":
            out = jnp.concatenate([sides["real"], sides["imag"]], axis=-1)
        else:
            power = jnp.square(sides["real"]) + jnp.square(sides["imag"])
            if self.mode == "psd":  # the inner bins stand for their mirrored negative frequencies too
                out = power + jnp.pad(power[..., 1:-1], [(0, 0)] * 3 + [(1, 1)])
            else:
                eps = jnp.asarray(config.epsilon(), power.dtype)
                out = jnp.sqrt(jnp.maximum(power, eps))
                if self.mode == "log":
                    out = jnp.log(jnp.maximum(out, eps))
        return self._arrange(out), variables["state"]

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape)
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if time is None:
            frames = None
        elif self.padding == "valid":
            frames = (time - self.frame_length) // self._frame_step + 1
        else:
            frames = -(-time // self._frame_step)
        flat = None if channels is None else channels * bins
        if self.data_format == "channels_last":
            return (batch, frames, bins, channels) if self.expand_dims else (batch, frames, flat)
        return (batch, channels, frames, bins) if self.expand_dims else (batch, flat, frames)

    def get_config(self):
        window = self.window
        if window is not None and not isinstance(window, str):
            window = [float(v) for v in window]
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }

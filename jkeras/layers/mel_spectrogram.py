"""`MelSpectrogram` (Keras 3): audio signals to (log-)mel spectrograms, with `ops.math.stft` and an
HTK mel filterbank."""
import numbers

import jax.numpy as jnp
import numpy as np

from jkeras.models.layer import Layer
from jkeras.ops.math import stft

__all__ = ["MelSpectrogram"]

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(hertz):
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + np.asarray(hertz, np.float64) / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz,
                                upper_edge_hertz):
    """The `(num_spectrogram_bins, num_mel_bins)` HTK triangular filterbank (peaks 1.0), as
    TensorFlow's `linear_to_mel_weight_matrix`: spectrogram bins evenly spaced on
    `[0, sampling_rate / 2]`, the DC bin's row zero; mel bands evenly spaced in mel between the edges."""
    linear = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:]
    bins_mel = _hertz_to_mel(linear)[:, None]
    edges = np.linspace(_hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz), num_mel_bins + 2)
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    weights = np.maximum(0.0, np.minimum((bins_mel - lower) / (center - lower), (upper - bins_mel) / (upper - center)))
    return np.pad(weights, [(1, 0), (0, 0)])


class MelSpectrogram(Layer):
    """Mel spectrograms of audio signals `(batch, samples)` (or one signal `(samples,)`).

    The signal is framed around each hop (`center=True`, reflection padding), windowed and
    transformed (`fft_length` bins); the magnitude raised to `mag_exp` is mapped onto
    `num_mel_bins` mel bands, then optionally to decibels.

    Args:
        fft_length: int, the FFT size.
        sequence_stride: int, samples between frames.
        sequence_length: int <= fft_length, the window length (default `fft_length`).
        window: "hann", "hamming" or None.
        sampling_rate: the signal's samples per second.
        num_mel_bins: int, the number of mel bands.
        min_freq, max_freq: the band edges in Hz (default max: `sampling_rate / 2`).
        power_to_db: convert to decibels: `10 log10(max(S, min_power) / max(|ref_power|, min_power))`,
            floored at `top_db` below the maximum over the whole call's batch (as Keras 3).
        top_db: float, the decibel range kept.
        mag_exp: float, the exponent of the magnitude (1: energy, 2: power).
        min_power: float, the floor of the power before the logarithm.
        ref_power: float, the power that maps to 0 dB.

    Returns:
        `(batch, num_mel_bins, frames)` (or `(num_mel_bins, frames)`), `frames = samples // sequence_stride + 1`.

    Raises:
        ValueError: for bad arguments or an input of rank other than 1 or 2.
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True,
                 top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("fft_length", fft_length), ("sequence_stride", sequence_stride),
                           ("num_mel_bins", num_mel_bins)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise self._error(f"{arg} must be a positive int, received {arg}={value!r}")
        self.fft_length = int(fft_length)
        self.sequence_stride = int(sequence_stride)
        self.sequence_length = sequence_length or self.fft_length
        if self.fft_length < self.sequence_length:
            raise self._error(f"fft_length must be greater than or equal to sequence_length; received "
                              f"sequence_length={self.sequence_length}, fft_length={self.fft_length}")
        if window not in ("hann", "hamming", None):
            raise self._error(f"window must be 'hann', 'hamming' or None, received window={window!r}")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = int(num_mel_bins)
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power

    def _check_input_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) not in (1, 2):
            raise self._error(f"expected an input (batch, samples) or (samples,), got shape {input_shape}")

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        x = jnp.asarray(inputs).astype(dtype)
        self._check_input_shape(tuple(x.shape))
        real, imag = stft(x, self.sequence_length, self.sequence_stride, self.fft_length, window=self.window,
                          center=True)
        spec = jnp.power(jnp.sqrt(jnp.square(real) + jnp.square(imag)), self.mag_exp)
        matrix = linear_to_mel_weight_matrix(self.num_mel_bins, spec.shape[-1], float(self.sampling_rate),
                                             float(self.min_freq), float(self.max_freq))
        out = jnp.tensordot(spec, jnp.asarray(matrix, spec.dtype), axes=1)
        if self.power_to_db:
            log_spec = 10.0 * jnp.log10(jnp.maximum(out, self.min_power))
            log_spec = log_spec - 10.0 * np.log10(max(abs(self.ref_power), self.min_power))
            out = jnp.maximum(log_spec, jnp.max(log_spec) - self.top_db)
        return jnp.swapaxes(out, -1, -2).astype(self.compute_dtype), variables["state"]

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape)
        samples = input_shape[-1]
        half = self.fft_length // 2
        frames = None if samples is None else (samples + 2 * half - self.fft_length) // self.sequence_stride + 1
        return input_shape[:-1] + (self.num_mel_bins, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }

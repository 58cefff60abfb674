"""The `STFT` initializer (Keras 3's `keras.initializers.STFT`): Conv1D kernels computing one side
(real or imaginary) of a windowed discrete Fourier transform, for `STFTSpectrogram`."""
import jax.numpy as jnp
import numpy as np

from jkeras.core._initializer_classes import Initializer, _standardize_dtype, _standardize_shape

__all__ = ["STFT", "STFTInitializer", "stft"]


def _get_window(window, length, periodic):
    """The window's `length` values: a `scipy.signal.windows` name, or the given values."""
    if isinstance(window, str):
        try:
            from scipy import signal
        except ImportError as error:  # pragma: no cover - scipy is optional
            raise ImportError(f"STFT: a window given by name ({window!r}) needs scipy") from error
        return np.asarray(signal.get_window(window, length, fftbins=bool(periodic)), np.float64)
    values = np.asarray(window, np.float64)
    if values.ndim != 1 or values.shape[0] != length:
        raise ValueError(f"STFT: the window must have shape ({length},) (the frame length), "
                         f"received a window of shape {values.shape}")
    return values


def _check_window_name(window):
    if isinstance(window, str):
        _get_window(window, 1, False)  # raises for an unknown name, as Keras


class STFT(Initializer):
    """Kernels of a Conv1D that computes a short-time Fourier transform, one side at a time.

    For a shape `(T, channels, F)` (`T` the frame length, `F = n_fft // 2 + 1` frequency bins),
    entry `[t, :, f]` is `cos(-2 pi t f / n_fft)` ("real") or `sin(-2 pi t f / n_fft)` ("imag"),
    `n_fft = 2 * (F - 1)`, times the window value at `t` divided by the window's scale.

    Args:
        side: "real" or "imag", the side of the transform the kernel computes.
        window: name of a `scipy.signal.windows` window ("hann", "hamming", ...), its `T` values,
            or None (no window).
        scaling: "density" (divide by the window's L2 norm), "spectrum" (by its L1 norm) or None.
        periodic: whether a named window is periodic (the DFT-even window) rather than symmetric.

    Raises:
        ValueError: for a bad `side`, `scaling` or window name, or (when called) a window whose
            length is not the frame length.
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: side must be 'real' or 'imag', received side={side!r}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"STFT: scaling must be None, 'density' or 'spectrum', received scaling={scaling!r}")
        _check_window_name(window)
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None, *, key=None):
        del key
        shape = _standardize_shape(shape)
        if len(shape) != 3:
            raise ValueError(f"STFT: shape must be (frame_length, channels, fft_length // 2 + 1), "
                             f"received shape={shape}")
        dtype = _standardize_dtype(dtype)
        frames, _, bins = shape
        n_fft = 2 * (bins - 1)
        time = np.arange(frames, dtype=np.float64)[:, None, None]
        freq = np.arange(bins, dtype=np.float64)[None, None, :] / n_fft
        angles = -2.0 * np.pi * time * freq
        kernel = np.cos(angles) if self.side == "real" else np.sin(angles)
        if self.window is not None:
            win = _get_window(self.window, frames, self.periodic)
            scale = 1.0
            if self.scaling == "density":
                scale = np.sqrt(np.sum(np.square(win)))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
            kernel = kernel * win[:, None, None] / scale
        return jnp.asarray(np.broadcast_to(kernel, shape), dtype)

    def get_config(self):
        window = self.window
        if window is not None and not isinstance(window, str):
            window = np.asarray(window).tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}


STFTInitializer = stft = STFT  # Keras 3's other names

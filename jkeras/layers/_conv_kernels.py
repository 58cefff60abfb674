"""How a convolution runs on each backend.

XLA's CPU backend differentiates an unpadded ("valid") convolution several times slower than a
padded one of the same size (26x26x32 -> 24x24x64 over 128 images: forward and gradients 149
against 68 ms; `bench/conv_cpu.py`). On a CPU, `conv` computes such a convolution, when it is
differentiated, padded by one more stride at the end of its first spatial axis, the extra outputs
dropped (a `jax.custom_jvp` whose rule is that form: the same numbers, every JAX transformation
applies); undifferentiated it stays XLA's own, which fuses better with the layers after it
(inference). A 1x1 convolution of channels-last data is a matrix product there (3.7x faster), and
a depthwise one a sum over kernel offsets of elementwise products (forward 14-84x, gradients
5-30x faster than XLA's CPU grouped convolution). A strided transposed convolution is
differentiated in its sub-pixel form, one undilated convolution whose output channels are
interleaved into positions (gradients 4-11x faster than XLA's input-dilated form). Other
backends run their own kernels: there it is `lax.conv_general_dilated` as it is.
"""
import functools
import itertools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero


def conv(x, kernel, strides, padding, lhs_dilation=None, rhs_dilation=None, dimension_numbers=None,
         feature_group_count=1):
    """`lax.conv_general_dilated` with the same arguments, run the fast way on a CPU."""
    rank = x.ndim - 2
    strides = tuple(strides)
    lhs_dilation = (1,) * rank if lhs_dilation is None else tuple(lhs_dilation)
    rhs_dilation = (1,) * rank if rhs_dilation is None else tuple(rhs_dilation)
    numbers = lax.conv_dimension_numbers(x.shape, kernel.shape, dimension_numbers)
    padding = padding if isinstance(padding, str) else tuple((int(lo), int(hi)) for lo, hi in padding)
    spec = (strides, padding, lhs_dilation, rhs_dilation, numbers, feature_group_count)
    if jax.default_backend() != "cpu":
        return _lax_form(x, kernel, spec)
    if _is_matmul(x, kernel, strides, padding, lhs_dilation, numbers, feature_group_count):
        # a 1x1 convolution of channels-last data is a matrix product (3.7x XLA's CPU convolution)
        in_axis, out_axis = numbers.rhs_spec[1], numbers.rhs_spec[0]
        matrix = jnp.transpose(kernel, tuple(numbers.rhs_spec[2:]) + (in_axis, out_axis)).reshape(
            kernel.shape[in_axis], kernel.shape[out_axis])
        return jnp.matmul(x, matrix.astype(x.dtype))
    if _is_depthwise(x, kernel, lhs_dilation, numbers, feature_group_count):
        return _depthwise(x, kernel, spec)
    if _is_transposed(x, kernel, strides, padding, lhs_dilation, rhs_dilation, numbers, feature_group_count):
        return _subpixel_when_differentiated(x, kernel, spec)
    unpadded = padding == "VALID" or (not isinstance(padding, str) and not any(p for pair in padding for p in pair))
    # grouped convolutions run no faster padded
    windowed = any(kernel.shape[axis] > 1 for axis in numbers.rhs_spec[2:]) and feature_group_count == 1
    if not unpadded or not windowed or any(d != 1 for d in lhs_dilation):
        return _lax_form(x, kernel, spec)
    return _padded_when_differentiated(x, kernel, spec)


def _lax_form(x, kernel, spec):
    strides, padding, lhs_dilation, rhs_dilation, numbers, groups = spec
    return lax.conv_general_dilated(x, kernel, strides, padding, lhs_dilation, rhs_dilation,
                                    dimension_numbers=numbers, feature_group_count=groups)


def _padded_form(x, kernel, spec):
    """The unpadded convolution computed padded by one more stride at the end of its first spatial
    axis, the extra outputs dropped."""
    strides, _, lhs_dilation, rhs_dilation, numbers, groups = spec
    rank = x.ndim - 2
    out = lax.conv_general_dilated(x, kernel, strides, ((0, strides[0]),) + ((0, 0),) * (rank - 1), lhs_dilation,
                                   rhs_dilation, dimension_numbers=numbers, feature_group_count=groups)
    axis = numbers.out_spec[2]
    return lax.slice_in_dim(out, 0, out.shape[axis] - 1, axis=axis)


def _differentiated_as(form):
    """A convolution computed as XLA's own form undifferentiated (inference, which XLA fuses
    better with what follows) and as `form`, the same bilinear function of the input and the
    kernel, when differentiated: its value and tangent there (and, transposed, its gradients).
    A `jax.custom_jvp` whose rule is plain JAX: every transformation applies."""

    @functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
    def convolution(x, kernel, spec):
        return _lax_form(x, kernel, spec)

    @functools.partial(convolution.defjvp, symbolic_zeros=True)
    def _(spec, primals, tangents):
        x, kernel = primals
        d_x, d_kernel = tangents
        out = form(x, kernel, spec)
        tangent = jnp.zeros_like(out)
        if not isinstance(d_x, SymbolicZero):
            tangent = tangent + form(d_x, kernel, spec)
        if not isinstance(d_kernel, SymbolicZero):
            tangent = tangent + form(x, d_kernel, spec)
        return out, tangent

    return convolution


_padded_when_differentiated = _differentiated_as(_padded_form)


def _is_matmul(x, kernel, strides, padding, lhs_dilation, numbers, groups):
    """Whether the convolution is a matrix product over the last axis: a 1x1 kernel, unit strides, no
    padding, no groups, features last in and out."""
    return (groups == 1 and _channels_last(x, numbers) and all(kernel.shape[a] == 1 for a in numbers.rhs_spec[2:])
            and all(s == 1 for s in strides) and all(d == 1 for d in lhs_dilation)
            and (padding in ("VALID", "SAME") or not any(p for pair in padding for p in pair)))


def _is_depthwise(x, kernel, lhs_dilation, numbers, groups):
    """Whether the convolution is depthwise (each input channel its own group) over channels-last
    data."""
    return (groups > 1 and groups == x.shape[-1] and kernel.shape[numbers.rhs_spec[1]] == 1
            and _channels_last(x, numbers) and all(d == 1 for d in lhs_dilation))


def _is_transposed(x, kernel, strides, padding, lhs_dilation, rhs_dilation, numbers, groups):
    """Whether the convolution is a strided transposed one (the input dilated, unit strides, an
    undilated kernel) over channels-last data, with its padding given as pairs."""
    return (groups == 1 and 1 <= x.ndim - 2 <= 3 and any(d > 1 for d in lhs_dilation) and all(s == 1 for s in strides)
            and all(d == 1 for d in rhs_dilation) and not isinstance(padding, str) and _channels_last(x, numbers))


def _channels_last(x, numbers):
    """Whether the inputs and outputs are laid out batch, spatial axes, features."""
    last = x.ndim - 1
    return (numbers.lhs_spec[1] == last and numbers.out_spec[1] == last
            and tuple(numbers.lhs_spec[2:]) == tuple(range(1, last)) == tuple(numbers.out_spec[2:]))


def _depthwise(x, kernel, spec):
    """A depthwise convolution as a sum over kernel offsets of the input window there times that
    offset's per-channel weights: elementwise work that XLA fuses into one loop, where XLA's CPU
    grouped convolution is 14-84x slower forward and 5-30x in its gradients."""
    strides, padding, _, rhs_dilation, numbers, _ = spec
    rank = x.ndim - 2
    channels = x.shape[-1]
    kernel = jnp.transpose(kernel, tuple(numbers.rhs_spec[2:]) + (numbers.rhs_spec[1], numbers.rhs_spec[0]))
    sizes = kernel.shape[:rank]
    kernel = kernel.reshape(sizes + (channels, kernel.shape[-1] // channels))  # output c * m + j: (c, j)
    if isinstance(padding, str):
        window = [(k - 1) * d + 1 for k, d in zip(sizes, rhs_dilation)]
        padding = lax.padtype_to_pads(x.shape[1:-1], window, strides, padding)
    accumulate = jnp.promote_types(x.dtype, jnp.float32)
    padded = jnp.pad(x, ((0, 0),) + tuple(tuple(p) for p in padding) + ((0, 0),))
    out_size = [(padded.shape[1 + i] - (sizes[i] - 1) * rhs_dilation[i] - 1) // strides[i] + 1 for i in range(rank)]
    total = None
    for offset in itertools.product(*(range(k) for k in sizes)):
        start = (0,) + tuple(o * d for o, d in zip(offset, rhs_dilation)) + (0,)
        limit = ((padded.shape[0],) + tuple(s + (n - 1) * st + 1 for s, n, st in zip(start[1:], out_size, strides))
                 + (channels,))
        window = lax.slice(padded, start, limit, (1,) + tuple(strides) + (1,))
        part = window[..., None].astype(accumulate) * kernel[offset].astype(accumulate)
        total = part if total is None else total + part
    return total.reshape(total.shape[:-2] + (-1,)).astype(x.dtype)


def _subpixel_form(x, kernel, spec):
    """A transposed convolution (the input dilated by `s`, padded, convolved at unit stride) as one
    undilated convolution with `s1 * s2 * ...` times the output channels, whose channels are then
    interleaved into the output's positions (depth to space).

    Output position `s * q + r` (phase `r`) meets the kernel only at the offsets `j` with
    `j = (low - r) mod s`: each phase is a plain convolution of the undilated input with those
    offsets of the kernel. All phases share one window, each one's offsets placed at its own shift
    in it (zeros elsewhere). XLA's CPU backend differentiates the dilated form 4-11x slower
    (`bench/conv_cpu.py`).
    """
    _, padding, lhs_dilation, _, numbers, _ = spec
    rank = x.ndim - 2
    kernel = jnp.transpose(kernel, tuple(numbers.rhs_spec[2:]) + (numbers.rhs_spec[1], numbers.rhs_spec[0]))
    plans = [_subpixel_axis(x.shape[1 + i], lhs_dilation[i], kernel.shape[i], *padding[i]) for i in range(rank)]
    # The window's kernel: offset `index[t, r]` of the kernel at window position t for phase r
    # (the kernel's size: the zero appended).
    window = jnp.pad(kernel, ((0, 1),) * rank + ((0, 0), (0, 0)))
    for i, plan in enumerate(plans):
        axis = 2 * i  # the axes before are (position, phase) pairs by now
        window = jnp.take(window, plan.index.reshape(-1), axis=axis)
        window = window.reshape(window.shape[:axis] + plan.index.shape + window.shape[axis + 1:])
    order = [2 * i for i in range(rank)] + [2 * rank] + [2 * i + 1 for i in range(rank)] + [2 * rank + 1]
    phases = int(np.prod(lhs_dilation))
    window = jnp.transpose(window, order).reshape(
        tuple(p.taps for p in plans) + (kernel.shape[-2], phases * kernel.shape[-1]))
    inputs = lax.pad(x, jnp.zeros((), x.dtype), ((0, 0, 0),) + tuple((p.low, p.high, 0) for p in plans) + ((0, 0, 0),))
    spatial = "DHW"[3 - rank:]
    numbers = lax.conv_dimension_numbers(inputs.shape, window.shape,
                                         ("N" + spatial + "C", spatial + "IO", "N" + spatial + "C"))
    out = conv(inputs, window.astype(x.dtype), (1,) * rank, "VALID", dimension_numbers=numbers)
    batch, channels = x.shape[0], kernel.shape[-1]
    out = out.reshape((batch,) + tuple(p.per_phase for p in plans) + tuple(lhs_dilation) + (channels,))
    out = jnp.transpose(out, (0,) + tuple(a for i in range(rank) for a in (1 + i, 1 + rank + i)) + (1 + 2 * rank,))
    out = out.reshape((batch,) + tuple(p.per_phase * s for p, s in zip(plans, lhs_dilation)) + (channels,))
    return lax.slice(out, (0,) * out.ndim, (batch,) + tuple(p.length for p in plans) + (channels,))


class _SubpixelAxis(NamedTuple):
    index: np.ndarray  # (taps, stride): the kernel offset at each window position per phase
    taps: int  # the window's size
    low: int  # padding (negative: cropping) of the undilated input
    high: int
    per_phase: int  # outputs per phase (the last ones past `length` are dropped)
    length: int  # the transposed convolution's output length


def _subpixel_axis(size, stride, kernel, low, high):
    """How one axis of a transposed convolution (input `size`, dilated by `stride`, padded
    `(low, high)`, a `kernel`-tap window) maps to the sub-pixel form."""
    length = (size - 1) * stride + 1 + low + high - kernel + 1
    first = [(low - r) % stride for r in range(stride)]  # each phase's first kernel offset
    shift = [(r + first[r] - low) // stride for r in range(stride)]  # its input position for q = 0
    count = [max(0, -(-(kernel - first[r]) // stride)) for r in range(stride)]
    base = min(shift)
    taps = max(shift[r] - base + count[r] for r in range(stride))
    index = np.full((taps, stride), kernel, np.int32)
    for r in range(stride):
        for m in range(count[r]):
            index[shift[r] - base + m, r] = first[r] + stride * m
    per_phase = -(-length // stride)
    return _SubpixelAxis(index, taps, -base, per_phase + taps - 2 + base - (size - 1), per_phase, length)


_subpixel_when_differentiated = _differentiated_as(_subpixel_form)

"""How a convolution runs on each backend.

On a CPU, XLA's gradient of a convolution with respect to its kernel (a "backward filter"
convolution) runs several times slower than the same arithmetic as matrix products: for a
3x3x32->64 kernel over 128 26x26 images, 75 ms against 25 ms. There `conv` keeps XLA's forward
convolution and its input gradient, and computes the kernel gradient as one product per kernel
offset: the input window at that offset (a strided slice) contracted with the output gradient
over the batch and spatial axes (a `jax.custom_vjp`: reverse-mode differentiation, `jax.grad` and
`vmap` of it; not forward mode, `jax.jvp`, `jacfwd`, `hessian`, for which
`jkeras.config.disable_conv_gradient_by_products()` turns it off). Elsewhere (GPUs, TPUs: cuDNN
and XLA's own kernels) and for grouped convolutions it is `lax.conv_general_dilated` as it is.
"""
import functools
import itertools

import jax
import jax.numpy as jnp
from jax import lax

from jkeras import config


def conv(x, kernel, strides, padding, dilation, dimension_numbers, groups, channels_last):
    """`lax.conv_general_dilated(x, kernel, strides, padding, rhs_dilation=dilation, ...)` for a
    Keras kernel `(*kernel_size, in, out)`, with the kernel gradient computed by products on a CPU
    (channels-last inputs, no groups)."""
    lax_conv = functools.partial(lax.conv_general_dilated, window_strides=tuple(strides),
                                 rhs_dilation=tuple(dilation), dimension_numbers=dimension_numbers,
                                 feature_group_count=groups)
    rank = x.ndim - 2
    if (not config.is_conv_gradient_by_products_enabled() or jax.default_backend() != "cpu" or groups != 1
            or not channels_last or rank > 3):
        return lax_conv(x, kernel, padding=padding)
    if isinstance(padding, str):
        window = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:rank], dilation)]
        padding = lax.padtype_to_pads(x.shape[1:-1], window, strides, padding)
    pads = tuple((int(lo), int(hi)) for lo, hi in padding)
    if any(p < 0 for pair in pads for p in pair):
        return lax_conv(x, kernel, padding=pads)
    return _cpu_conv(x, kernel, tuple(strides), pads, tuple(dilation))


def _channels_last(rank):
    spatial = "DHW"[3 - rank:]
    return ("N" + spatial + "C", spatial + "IO", "N" + spatial + "C")


def _forward(x, kernel, strides, pads, dilation):
    return lax.conv_general_dilated(x, kernel, strides, pads, rhs_dilation=dilation,
                                    dimension_numbers=_channels_last(x.ndim - 2))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _cpu_conv(x, kernel, strides, pads, dilation):
    return _forward(x, kernel, strides, pads, dilation)


def _cpu_conv_fwd(x, kernel, strides, pads, dilation):
    return _forward(x, kernel, strides, pads, dilation), (x, kernel)


def _cpu_conv_bwd(strides, pads, dilation, residuals, grad):
    x, kernel = residuals
    _, input_vjp = jax.vjp(lambda v: _forward(v, kernel, strides, pads, dilation), x)
    d_x, = input_vjp(grad)
    return d_x, _kernel_gradient(x, grad, kernel.shape, strides, pads, dilation)


_cpu_conv.defvjp(_cpu_conv_fwd, _cpu_conv_bwd)


def _kernel_gradient(x, grad, kernel_shape, strides, pads, dilation):
    """The gradient of the convolution with respect to its kernel, given the output gradient: for
    each kernel offset, the input window there contracted with `grad` over batch and space."""
    rank = x.ndim - 2
    padded = jnp.pad(x, ((0, 0),) + pads + ((0, 0),))
    out_size = grad.shape[1:-1]
    axes = tuple(range(rank + 1))  # batch and spatial
    parts = []
    for offset in itertools.product(*(range(k) for k in kernel_shape[:rank])):
        start = (0,) + tuple(o * d for o, d in zip(offset, dilation)) + (0,)
        limit = ((padded.shape[0],) + tuple(s + (n - 1) * st + 1 for s, n, st in zip(start[1:], out_size, strides))
                 + (padded.shape[-1],))
        window = lax.slice(padded, start, limit, (1,) + strides + (1,))
        parts.append(jnp.tensordot(window, grad.astype(window.dtype), axes=(axes, axes)))
    return jnp.stack(parts).reshape(kernel_shape).astype(grad.dtype)

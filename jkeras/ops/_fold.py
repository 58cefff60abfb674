"""`ops.unfold` (im2col) and `ops.fold` (col2im) over channels-first images, as Keras 3's (and
PyTorch's `nn.Unfold` / `nn.Fold`).

`unfold` gathers each kernel offset as one strided slice of the padded image; `fold` is its linear
transpose (`jax.linear_transpose`), so overlapping blocks are summed and the two stay exact adjoints.
"""
import jax
import jax.numpy as jnp
import numpy as np

from jkeras.ops._base import _t, op

__all__ = ["fold", "unfold"]


def _pair(value, name, minimum):
    values = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if (not isinstance(values, (tuple, list)) or len(values) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
                       for v in values)):
        raise ValueError(f"{name} must be an int or a tuple of 2 ints >= {minimum}, received {name}={value!r}")
    return tuple(int(v) for v in values)


def _blocks(size, kernel, dilation, padding, stride, name):
    """How many blocks fit along one axis of `size` (before padding)."""
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        raise ValueError(
            f"{name}: the dilated kernel ({span}) is larger than the padded input ({size + 2 * padding})"
        )
    return (size + 2 * padding - span) // stride + 1


def _unfold(x, kernel, dilation, padding, stride):
    n, c, h, w = x.shape
    nh = _blocks(h, kernel[0], dilation[0], padding[0], stride[0], "unfold")
    nw = _blocks(w, kernel[1], dilation[1], padding[1], stride[1], "unfold")
    x = jnp.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    pieces = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            top, left = i * dilation[0], j * dilation[1]
            pieces.append(jax.lax.slice(
                x, (0, 0, top, left),
                (n, c, top + (nh - 1) * stride[0] + 1, left + (nw - 1) * stride[1] + 1),
                (1, 1, stride[0], stride[1]),
            ))
    # (N, C, kH * kW, nH, nW): channel-major, then the kernel offsets row by row, as PyTorch.
    patches = jnp.stack(pieces, axis=2)
    return patches.reshape(n, c * kernel[0] * kernel[1], nh * nw)


@op
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Extracts sliding blocks of a channels-first image batch (im2col).

    Args:
        x: 4D tensor `(N, C, H, W)`.
        kernel_size: int or tuple of 2 ints `(kH, kW)`, the block size.
        dilation: int or tuple of 2 ints, the spacing between kernel points.
        padding: int or tuple of 2 ints, zeros added on both sides of each spatial axis.
        stride: int or tuple of 2 ints, the step between blocks.

    Returns:
        A tensor `(N, C * kH * kW, L)`, `L` the number of blocks (row-major); the second axis runs
        over channels, then kernel rows, then kernel columns.

    Raises:
        ValueError: for an input of rank other than 4, bad arguments, or a kernel larger than the
            padded input.
    """
    x = _t(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: the input must be a 4D tensor (N, C, H, W), received input.shape={x.shape}")
    return _unfold(x, _pair(kernel_size, "kernel_size", 1), _pair(dilation, "dilation", 1),
                   _pair(padding, "padding", 0), _pair(stride, "stride", 1))


@op
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums sliding blocks back into a channels-first image batch (col2im; reverses `unfold`).

    Args:
        x: 3D tensor `(N, C * kH * kW, L)`, as `unfold` returns.
        output_size: int or tuple of 2 ints `(H, W)`, the image size.
        kernel_size: int or tuple of 2 ints `(kH, kW)`, the block size.
        dilation: int or tuple of 2 ints, the spacing between kernel points.
        padding: int or tuple of 2 ints, the padding `unfold` applied (cropped off here).
        stride: int or tuple of 2 ints, the step between blocks.

    Returns:
        A tensor `(N, C, H, W)`; entries covered by several blocks get their sum.

    Raises:
        ValueError: for an input of rank other than 3, bad arguments, a second axis not divisible
            by `kH * kW`, or an `L` other than the number of blocks in `output_size`.
    """
    x = _t(x)
    if x.ndim != 3:
        raise ValueError(f"fold: the input must be a 3D tensor (N, C * kH * kW, L), received input.shape={x.shape}")
    size = _pair(output_size, "output_size", 1)
    kernel = _pair(kernel_size, "kernel_size", 1)
    dilation, padding = _pair(dilation, "dilation", 1), _pair(padding, "padding", 0)
    stride = _pair(stride, "stride", 1)
    n, ckk, length = x.shape
    if ckk % (kernel[0] * kernel[1]):
        raise ValueError(
            f"fold: the input's second axis ({ckk}) must be divisible by kH * kW = {kernel[0] * kernel[1]}"
        )
    blocks = [_blocks(s, k, d, p, st, "fold") for s, k, d, p, st in zip(size, kernel, dilation, padding, stride)]
    if length != blocks[0] * blocks[1]:
        raise ValueError(
            f"fold: output_size={size} with kernel_size={kernel}, dilation={dilation}, padding={padding} "
            f"and stride={stride} has {blocks[0]} x {blocks[1]} = {blocks[0] * blocks[1]} blocks, "
            f"but the input has L={length}"
        )
    image = jax.ShapeDtypeStruct((n, ckk // (kernel[0] * kernel[1])) + size, x.dtype)
    transpose = jax.linear_transpose(lambda img: _unfold(img, kernel, dilation, padding, stride), image)
    return transpose(x)[0]

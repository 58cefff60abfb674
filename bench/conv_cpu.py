#!/usr/bin/env python
"""Convolutions on this backend: `lax.conv_general_dilated` as it is against jkeras's form
(`jkeras.layers._conv_kernels.conv`: on a CPU an unpadded convolution, when differentiated,
computed padded by one more row, its extra outputs dropped; a 1x1 channels-last convolution as a
matrix product; a depthwise one as elementwise products summed over kernel offsets; a strided
transposed one, when differentiated, as one undilated convolution whose output channels are
interleaved into positions, the sub-pixel form).

    python bench/conv_cpu.py               # the cnn workload's and a few common shapes
    python bench/conv_cpu.py --batch 8     # seconds

Prints, per shape, the best of `--repeats` times of the forward pass and of forward plus both
gradients, and jkeras's speed as a ratio to lax's (higher is better), measured in one process.
"""
import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

# (height = width, in channels, out channels, kernel, stride, groups) of an unpadded ("valid")
# convolution; groups = in channels: depthwise
SHAPES = [(28, 1, 32, 3, 1, 1), (32, 3, 32, 3, 1, 1), (32, 8, 32, 3, 1, 1), (26, 32, 64, 3, 1, 1),
          (56, 64, 64, 3, 1, 1), (30, 128, 128, 3, 1, 1), (57, 64, 64, 3, 2, 1), (24, 64, 128, 1, 1, 1),
          (26, 32, 32, 3, 1, 32), (56, 64, 64, 3, 1, 64), (57, 64, 128, 3, 2, 64)]
# (height = width, in channels, out channels, kernel, stride, Keras padding) of a Conv2DTranspose:
# the Keras DCGAN / VAE decoders' and the convolutional autoencoders'
TRANSPOSED = [(7, 128, 128, 4, 2, "same"), (14, 128, 64, 4, 2, "same"), (7, 64, 64, 3, 2, "same"),
              (14, 64, 32, 3, 2, "same"), (14, 64, 64, 3, 2, "valid"), (16, 64, 32, 5, 2, "same")]


def _best(fn, args, repeats):
    jax.block_until_ready(fn(*args))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    from jkeras.layers import _conv_kernels

    dn = ("NHWC", "HWIO", "NHWC")
    forms = {"lax": lambda x, k, s, g: lax.conv_general_dilated(x, k, (s, s), "VALID", dimension_numbers=dn,
                                                                feature_group_count=g),
             "jkeras": lambda x, k, s, g: _conv_kernels.conv(x, k, (s, s), "VALID", dimension_numbers=dn,
                                                             feature_group_count=g)}
    print(f"backend {jax.default_backend()}, batch {args.batch}; ms, best of {args.repeats}")
    rng = np.random.default_rng(0)
    _table("shape (hw, in, out, kernel, stride, groups)", SHAPES, forms, rng, args,
           lambda hw, cin, cout, size, stride, groups: ((hw, hw, cin), (size, size, cin // groups, cout)))

    def transposed(conv):
        def form(x, k, stride, padding):
            pads = [transpose_padding(k.shape[0], stride, 1, padding, None)] * 2
            return conv(x, k, (1, 1), pads, lhs_dilation=(stride, stride), dimension_numbers=dn)
        return form

    from jkeras.layers._conv_base import transpose_padding

    _table("Conv2DTranspose (hw, in, out, kernel, stride, padding)", TRANSPOSED,
           {"lax": transposed(lax.conv_general_dilated), "jkeras": transposed(_conv_kernels.conv)}, rng, args,
           lambda hw, cin, cout, size, stride, padding: ((hw, hw, cin), (size, size, cin, cout)))


def _table(title, shapes, forms, rng, args, arrays):
    """One row per shape: forward, and forward plus both gradients, of each form."""
    print(f"{title:56s} {'lax fwd':>9s} {'jkeras fwd':>11s} {'x':>6s} {'lax grad':>9s} {'jkeras grad':>12s} {'x':>6s}")
    for shape in shapes:
        x_shape, k_shape = arrays(*shape)
        x = jnp.asarray(rng.standard_normal((args.batch,) + x_shape), jnp.float32)
        k = jnp.asarray(rng.standard_normal(k_shape) * 0.1, jnp.float32)
        row = {}
        for name, form in forms.items():
            forward = jax.jit(lambda x, k, form=form: form(x, k, *shape[-2:]))
            both = jax.jit(jax.grad(lambda x, k, form=form: jnp.sum(form(x, k, *shape[-2:]) ** 2), (0, 1)))
            row[name] = (_best(forward, (x, k), args.repeats), _best(both, (x, k), args.repeats))
        (lf, lg), (jf, jg) = row["lax"], row["jkeras"]
        print(f"{str(shape):56s} {lf:9.1f} {jf:11.1f} {lf / jf:5.2f}x {lg:9.1f} {jg:12.1f} {lg / jg:5.2f}x")


if __name__ == "__main__":
    main()

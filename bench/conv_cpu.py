#!/usr/bin/env python
"""Convolutions on this backend: `lax.conv_general_dilated` as it is against jkeras's form
(`jkeras.layers._conv_kernels.conv`: on a CPU an unpadded convolution, when differentiated,
computed padded by one more row, its extra outputs dropped; a 1x1 channels-last convolution as a
matrix product; a depthwise one as elementwise products summed over kernel offsets).

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
    print(f"{'shape (hw, in, out, kernel, stride, groups)':44s} {'lax fwd':>9s} {'jkeras fwd':>11s} {'x':>6s} "
          f"{'lax grad':>9s} {'jkeras grad':>12s} {'x':>6s}")
    rng = np.random.default_rng(0)
    for hw, cin, cout, size, stride, groups in SHAPES:
        x = jnp.asarray(rng.standard_normal((args.batch, hw, hw, cin)), jnp.float32)
        k = jnp.asarray(rng.standard_normal((size, size, cin // groups, cout)) * 0.1, jnp.float32)
        row = {}
        for name, form in forms.items():
            forward = jax.jit(lambda x, k, form=form: form(x, k, stride, groups))
            both = jax.jit(jax.grad(lambda x, k, form=form: jnp.sum(form(x, k, stride, groups) ** 2), (0, 1)))
            row[name] = (_best(forward, (x, k), args.repeats), _best(both, (x, k), args.repeats))
        (lf, lg), (jf, jg) = row["lax"], row["jkeras"]
        print(f"{str((hw, cin, cout, size, stride, groups)):44s} {lf:9.1f} {jf:11.1f} {lf / jf:5.2f}x {lg:9.1f} {jg:12.1f} "
              f"{lg / jg:5.2f}x")


if __name__ == "__main__":
    main()

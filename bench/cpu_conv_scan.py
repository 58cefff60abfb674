#!/usr/bin/env python
"""Reproducer: on XLA:CPU, convolution gradients inside `lax.scan` are far slower than outside.

The cnn workload's gradient step (Conv32 -> Conv64 on 28x28x1) is timed three ways over the same
batches: one jitted call per batch, the batches inside one `lax.scan`, and the same scan unrolled.
This is why `compile(steps_per_execution=N)` (and the hand-written scan loop) lose by an order of
magnitude on the cnn workload on a CPU. The forward pass alone is not affected, nor are matmuls.

    python bench/cpu_conv_scan.py               # batch 32, 2 steps: about half a minute on 2 cores
    python bench/cpu_conv_scan.py --batch 128
"""
import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=2)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    xs = jnp.asarray(rng.random((args.steps, args.batch, 28, 28, 1), dtype=np.float32))
    kernels = (jnp.asarray(rng.standard_normal((3, 3, 1, 32), dtype=np.float32) * 0.1),
               jnp.asarray(rng.standard_normal((3, 3, 32, 64), dtype=np.float32) * 0.1))

    def loss(ks, xb):
        dn = ("NHWC", "HWIO", "NHWC")
        y = jax.nn.relu(lax.conv_general_dilated(xb, ks[0], (1, 1), "VALID", dimension_numbers=dn))
        y = lax.conv_general_dilated(y, ks[1], (1, 1), "VALID", dimension_numbers=dn)
        return jnp.mean(y ** 2)

    grad = jax.jit(jax.grad(loss))

    def per_batch(ks, xs):
        return [grad(ks, xs[i]) for i in range(xs.shape[0])]

    def scanned(unroll):
        @jax.jit
        def run(ks, xs):
            return lax.scan(lambda c, xb: (c, jax.grad(loss)(ks, xb)), 0.0, xs, unroll=unroll)[1]
        return run

    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}; {args.steps} gradient steps of batch {args.batch}")
    for name, fn in [("one jit call per batch", per_batch), ("lax.scan", scanned(1)),
                     (f"lax.scan, unroll={args.steps}", scanned(args.steps))]:
        jax.block_until_ready(fn(kernels, xs))            # compile
        t = time.perf_counter()
        jax.block_until_ready(fn(kernels, xs))
        print(f"  {name:28s} {time.perf_counter() - t:8.3f} s", flush=True)


if __name__ == "__main__":
    main()

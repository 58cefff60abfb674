"""`steps_per_execution`'s loop: steps per loop iteration against the hand-written scan ceiling.

    python bench/spe_loop.py                 # mlp-small, 32 steps per call, this machine's backend
    python bench/spe_loop.py --spe 128 --steps 4096

jkeras `fit` on the mlp-small workload (32-64-10, batch 32) with `steps_per_execution`, under each
setting of `jkeras.core.step.LOOP_UNROLL` (steps per iteration of the loop inside one call; None is
the default, chosen by backend), next to `hand-scan` of `compare.py` (a whole epoch in one
`lax.scan`) in the same process. Prints microseconds per training step (best of 2 epochs after a
compiling one), the first epoch (compile included) and the ratio to hand-scan (higher is better).
"""
import argparse
import functools
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import _workloads  # noqa: E402


def _best_epoch(run_epoch, repeats=2):
    best = float("inf")
    for epoch in range(repeats):
        start = time.perf_counter()
        run_epoch(epoch)
        best = min(best, time.perf_counter() - start)
    return best


def _hand_scan(wl, x, y, weights):
    """compare.py's hand-scan epoch on device data; returns seconds per epoch (best of 2)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    import compare

    n, bs = len(x), wl.batch_size
    params, tx, sgd_step, _ = compare._hand_common(wl, weights)

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def epoch(p, opt_state, xd, yd, key):
        perm = jax.random.permutation(key, n)

        def body(carry, i):
            p, opt_state, total = carry
            idx = lax.dynamic_slice_in_dim(perm, i * bs, bs)
            p, opt_state, loss = sgd_step(p, opt_state, jnp.take(xd, idx, axis=0), jnp.take(yd, idx, axis=0))
            return (p, opt_state, total + loss), None

        return lax.scan(body, (p, opt_state, jnp.zeros(())), jnp.arange(n // bs))[0]

    xd, yd = jax.device_put(x), jax.device_put(y)
    state = [params, tx.init(params)]

    def run(e):
        state[0], state[1], total = epoch(state[0], state[1], xd, yd, jax.random.PRNGKey(e))
        float(total)

    start = time.perf_counter()
    run(99)
    return _best_epoch(run), time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spe", type=int, default=32, help="steps_per_execution")
    parser.add_argument("--steps", type=int, default=8192, help="training steps per epoch")
    parser.add_argument("--unrolls", default="default,1,2,4", help="LOOP_UNROLL settings to run")
    args = parser.parse_args(argv)

    import jax

    import jkeras
    from jkeras.core import step as core_step

    wl = _workloads.WORKLOADS["mlp-small"]
    x, y = wl.make_data(args.steps * wl.batch_size, 0)
    jkeras.utils.set_random_seed(0)
    weights = wl.build_jkeras(jkeras).get_weights()
    print(f"device {jax.devices()[0].device_kind} ({jax.default_backend()}); mlp-small, "
          f"{args.steps} steps of {wl.batch_size} per epoch, steps_per_execution={args.spe}")
    hand_s, hand_first = _hand_scan(wl, x, y, weights)
    hand_us = hand_s / args.steps * 1e6
    print(f"{'setting':>12} {'unroll':>6} {'us/step':>8} {'x hand-scan':>11} {'1st epoch s':>11}")
    for setting in args.unrolls.split(","):
        core_step.LOOP_UNROLL = None if setting == "default" else int(setting)
        model = wl.build_jkeras(jkeras)
        model.set_weights(weights)
        model.compile(jkeras.optimizers.Adam(1e-3), _workloads.jkeras_loss(jkeras, wl.kind),
                      steps_per_execution=args.spe)
        start = time.perf_counter()
        model.fit(x, y, batch_size=wl.batch_size, epochs=1, verbose=0)
        first = time.perf_counter() - start
        seconds = _best_epoch(lambda e: model.fit(x, y, batch_size=wl.batch_size, epochs=1, verbose=0))
        us = seconds / args.steps * 1e6
        print(f"{setting:>12} {core_step.loop_unroll(args.spe):>6} {us:8.1f} {hand_us / us:10.2f}x {first:11.2f}",
              flush=True)
    print(f"{'hand-scan':>12} {'-':>6} {hand_us:8.1f} {1:10.2f}x {hand_first:11.2f}")


if __name__ == "__main__":
    main()

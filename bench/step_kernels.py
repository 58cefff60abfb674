"""What the compiled train step is made of: kernels per step, jkeras against the hand loop.

    python bench/step_kernels.py                      # mlp-small and lstm on this machine's backend
    python bench/step_kernels.py --workloads mlp-small --show loop

For a small model the time of a step is the number of kernels it launches (a few microseconds each
on a GPU, whether the step is a call of its own or an iteration of a loop), so this counts the
operations XLA leaves after optimization, by kind: in the single-step program (jkeras's default
`fit` against `hand-device`'s jitted step) and in one iteration of the loop
(`steps_per_execution=32` against `hand-scan`'s whole-epoch `lax.scan`). Run it on the backend to
study: a CPU fuses differently from a GPU. `--show NAME` prints that program's optimized HLO
("single" or "loop") for jkeras and the hand loop.
"""
import argparse
import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import _workloads  # noqa: E402

# HLO instructions that cost no kernel: structure, views, constants.
_FREE = {"parameter", "constant", "get-tuple-element", "tuple", "bitcast", "after-all", "partition-id",
         "replica-id"}


def _computations(hlo):
    """{name: body text} of every computation in an optimized HLO module."""
    comps, name, lines = {}, None, []
    for line in hlo.splitlines():
        head = re.match(r"^(ENTRY )?%?([\w.\-]+) \(.*\{$", line)
        if head:
            name, lines = ("ENTRY" if head.group(1) else head.group(2)), []
        elif line.startswith("}") and name:
            comps[name] = "\n".join(lines)
            name = None
        elif name:
            lines.append(line)
    return comps


def _ops(body):
    ops = re.findall(r"^\s*(?:ROOT )?%?[\w.\-]+ = [^=]*? ([a-z][\w\-]*)\(", body, re.M)
    return collections.Counter(op for op in ops if op not in _FREE)


def kernels(hlo):
    """(ops of the entry computation, ops of the largest while-loop body or None)."""
    comps = _computations(hlo)
    bodies = [comps[b] for b in re.findall(r"body=%?([\w.\-]+)", comps.get("ENTRY", "")) if b in comps]
    loop = max(bodies, key=lambda b: sum(_ops(b).values())) if bodies else None
    return _ops(comps["ENTRY"]), (None if loop is None else _ops(loop))


def _fmt(counter):
    if counter is None:
        return "-"
    kinds = ", ".join(f"{k} {v}" for k, v in counter.most_common())
    return f"{sum(counter.values())} ({kinds})"


def jkeras_programs(wl, x, y, spe):
    import jax

    import jkeras
    from jkeras.models import data_adapter

    model = wl.build_jkeras(jkeras)
    model.compile(jkeras.optimizers.Adam(1e-3), _workloads.jkeras_loss(jkeras, wl.kind), steps_per_execution=spe)
    data = data_adapter.prepare(model, x, y, None, None, "fit")
    model._ensure_spec(data.y)
    bs, n = wl.batch_size, len(x)
    ts = model._train_state(jax.random.PRNGKey(0))
    rows = data_adapter.Rows(data.to_device(), bs)  # held on the device, as an accelerator holds it
    epoch_data = next(rows.feed(data_adapter.epoch_order(n, True, bs, [0]), spe * bs))
    fn = model._train_fn(spe, bs, n)
    return fn.lower(ts, epoch_data, data_adapter.first_row()).compile().as_text(), model.get_weights()


def hand_programs(wl, x, y, weights, steps):
    import jax
    import jax.numpy as jnp
    import optax
    from jax import lax

    params = jax.tree_util.tree_map(jnp.asarray, wl.to_params(weights))
    tx = optax.adam(1e-3, eps=1e-7)
    bs = wl.batch_size

    def sgd_step(p, opt_state, xb, yb):
        loss, grads = jax.value_and_grad(lambda p: _workloads.loss_jax(wl.kind, wl.hand_apply(p, xb), yb))(p)
        updates, opt_state = tx.update(grads, opt_state, p)
        return optax.apply_updates(p, updates), opt_state, loss

    def gather(xd, yd, perm, i):
        idx = lax.dynamic_slice_in_dim(perm, i * bs, bs)
        return jnp.take(xd, idx, axis=0), jnp.take(yd, idx, axis=0)

    def single(p, opt_state, loss_sum, xd, yd, perm, i):
        p, opt_state, loss = sgd_step(p, opt_state, *gather(xd, yd, perm, i))
        return p, opt_state, loss_sum + loss

    def loop(p, opt_state, xd, yd, perm):
        def body(carry, i):
            p, opt_state, loss_sum = carry
            p, opt_state, loss = sgd_step(p, opt_state, *gather(xd, yd, perm, i))
            return (p, opt_state, loss_sum + loss), None

        return lax.scan(body, (p, opt_state, jnp.zeros((), jnp.float32)), jnp.arange(steps))[0]

    xd, yd = jnp.asarray(x), jnp.asarray(y)
    perm = jnp.arange(len(x), dtype=jnp.int32)
    opt_state = tx.init(params)
    one = jax.jit(single, donate_argnums=(0, 1, 2)).lower(
        params, opt_state, jnp.zeros(()), xd, yd, perm, 0).compile().as_text()
    many = jax.jit(loop, donate_argnums=(0, 1)).lower(params, opt_state, xd, yd, perm).compile().as_text()
    return one, many


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp-small,lstm")
    parser.add_argument("--spe", type=int, default=32, help="steps per jkeras call for the loop program")
    parser.add_argument("--show", choices=["single", "loop"], help="print the optimized HLO of these programs")
    args = parser.parse_args(argv)

    import jax

    print(f"backend {jax.default_backend()} ({jax.devices()[0].device_kind}); kernels = optimized HLO "
          f"instructions other than {', '.join(sorted(_FREE))}")
    for name in args.workloads.split(","):
        wl = _workloads.WORKLOADS[name]
        n = wl.batch_size * args.spe
        x, y = wl.make_data(n, 0)
        jk_single, weights = jkeras_programs(wl, x, y, 1)
        jk_loop, _ = jkeras_programs(wl, x, y, args.spe)
        hand_single, hand_loop = hand_programs(wl, x, y, weights, args.spe)
        rows = [("jkeras fit, one step per call", kernels(jk_single)[0]),
                ("hand-device step", kernels(hand_single)[0]),
                (f"jkeras spe={args.spe}, one loop iteration", kernels(jk_loop)[1]),
                ("hand-scan, one loop iteration", kernels(hand_loop)[1])]
        print(f"\n{name}:")
        for label, counter in rows:
            print(f"  {label:40s} {_fmt(counter)}")
        if args.show:
            for label, text in (("jkeras", jk_single if args.show == "single" else jk_loop),
                                ("hand", hand_single if args.show == "single" else hand_loop)):
                print(f"\n----- {name} {label} ({args.show}) -----\n{text}")


if __name__ == "__main__":
    main()

"""Where the first epoch's time goes: tracing, lowering and XLA compilation per program.

    python bench/first_epoch.py                              # cnn and lstm, jkeras and Keras 3
    python bench/first_epoch.py --workloads mlp --large --top 8
    python bench/first_epoch.py --workloads mlp-small --tiny     # seconds: the smoke test

Each (workload, framework) runs in a fresh process: build and compile the model, then one timed
`fit(epochs=1)` on the workload's data (the first-epoch figure of `compare.py`). `jax.monitoring`
reports every trace, lowering and backend compile inside that call, by program name; the rest of the
wall time is running the steps plus Python. Figures are seconds in one run: compare the columns of
one run, not runs on different days.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import _workloads  # noqa: E402

_EVENTS = {"/jax/core/compile/jaxpr_trace_duration": "trace",
           "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
           "/jax/core/compile/backend_compile_duration": "compile"}


def _worker(framework, workload, size):
    wl = _workloads.WORKLOADS[workload]
    if framework == "keras3":
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras as k
    else:
        import jkeras as k
    import jax

    per_program = collections.defaultdict(lambda: collections.Counter())
    recording = [False]

    def listener(event, duration, **kwargs):
        if recording[0] and event in _EVENTS:
            name = kwargs.get("fun_name", "?").removeprefix("jit(").removesuffix(")")
            per_program[name][_EVENTS[event]] += duration
            if _EVENTS[event] == "compile":
                per_program[name]["programs"] += 1

    jax.monitoring.register_event_duration_secs_listener(listener)
    x, y = wl.make_data(wl.num_samples(size), 0)
    model = wl.build_jkeras(k) if framework == "jkeras" else wl.build_keras(k)
    model.compile(optimizer=k.optimizers.Adam(learning_rate=1e-3), loss=_workloads.jkeras_loss(k, wl.kind))
    jax.effects_barrier()
    recording[0] = True
    start = time.perf_counter()
    model.fit(x, y, batch_size=wl.batch_size, epochs=1, verbose=0)
    jax.block_until_ready(model.trainable_weights[0].value if framework == "keras3" else model.get_weights()[0])
    wall = time.perf_counter() - start
    recording[0] = False
    programs = {name: dict(c) for name, c in per_program.items()}
    print(json.dumps({"wall": wall, "programs": programs, "device": jax.devices()[0].device_kind}))


def _run(framework, workload, size, timeout):
    cmd = [sys.executable, __file__, "--worker", framework, "--workloads", workload, "--size", size]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode:
        raise RuntimeError(f"{framework} {workload} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", default="cnn,lstm")
    p.add_argument("--frameworks", default="jkeras,keras3")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--large", action="store_const", dest="size", const="large", help="accelerator-sized")
    size.add_argument("--tiny", action="store_const", dest="size", const="tiny", help="the smoke test")
    p.set_defaults(size="default")
    p.add_argument("--size", help=argparse.SUPPRESS)
    p.add_argument("--top", type=int, default=5, help="programs listed per run, slowest first")
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return _worker(args.worker, args.workloads, args.size)
    for workload in args.workloads.split(","):
        print(f"\n## {workload} ({args.size})")
        print(f"{'framework':<8} {'wall s':>7} {'trace':>6} {'lower':>6} {'compile':>8} {'programs':>8} {'rest':>6}")
        details = []
        for framework in args.frameworks.split(","):
            try:
                r = _run(framework, workload, args.size, args.timeout)
            except Exception as e:  # noqa: BLE001 - a failed worker is reported, the rest still run
                print(f"{framework:<8} failed: {e}")
                continue
            total = collections.Counter()
            for c in r["programs"].values():
                total.update(c)
            rest = r["wall"] - total["trace"] - total["lower"] - total["compile"]
            print(f"{framework:<8} {r['wall']:7.2f} {total['trace']:6.2f} {total['lower']:6.2f} "
                  f"{total['compile']:8.2f} {int(total['programs']):8d} {rest:6.2f}")
            details.append((framework, r))
        for framework, r in details:
            slow = sorted(r["programs"].items(), key=lambda kv: -sum(v for k, v in kv[1].items() if k != "programs"))
            print(f"  {framework} (device {r['device']}), slowest programs (trace / lower / compile s):")
            for name, c in slow[:args.top]:
                print(f"    {name[:60]:<60} {c.get('trace', 0):6.3f} {c.get('lower', 0):6.3f} {c.get('compile', 0):6.3f}")


if __name__ == "__main__":
    main()

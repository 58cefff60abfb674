"""The fixed cost of one API call: `train_on_batch`, `predict_on_batch`, a one-batch `fit`, ...

    python bench/per_call.py                  # jkeras and Keras 3, 7 rounds each
    python bench/per_call.py --rounds 3 --frameworks jkeras

Keras 2 style loops (a GAN's `train_on_batch` per step, a DQN agent's `predict` and `fit` per
environment step) pay a whole API call for every batch; the model here is small (32-64-10, batch
32) so that the call's own work, not the arithmetic, is what is timed. Each framework runs in its
own process; every case is timed in `--rounds` rounds of `--calls` calls (after two warm-up calls),
interleaved, and the best round is kept (the machine's noise only adds). Prints microseconds per
call and jkeras's speed as a ratio to Keras 3's (higher is better: 2x = half the time).
"""
import argparse
import json
import os
import subprocess
import sys
import time

CASES = ["train_on_batch", "test_on_batch", "predict_on_batch", "predict", "evaluate", "fit",
         "call", "call_inference"]


def _worker(framework, rounds, calls):
    if framework == "keras3":
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras as k
    else:
        import jkeras as k
    import numpy as np

    k.utils.set_random_seed(0)
    model = k.Sequential([k.Input((32,)), k.layers.Dense(64, activation="relu"),
                          k.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 32)).astype("float32"), rng.integers(0, 10, 32)
    run = {
        "train_on_batch": lambda: model.train_on_batch(x, y),
        "test_on_batch": lambda: model.test_on_batch(x, y),
        "predict_on_batch": lambda: model.predict_on_batch(x),
        "predict": lambda: model.predict(x[:1], verbose=0),
        "evaluate": lambda: model.evaluate(x, y, verbose=0),
        "fit": lambda: model.fit(x, y, epochs=1, verbose=0),
        "call": lambda: np.asarray(model(x)),
        "call_inference": lambda: np.asarray(model(x[:1], training=False)),
    }
    for name in CASES:
        run[name]()
        run[name]()
    best = {}
    for _ in range(rounds):
        for name in CASES:
            start = time.perf_counter()
            for _ in range(calls):
                run[name]()
            best[name] = min(best.get(name, float("inf")), (time.perf_counter() - start) / calls * 1e6)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default="jkeras,keras3")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(args.worker, args.rounds, args.calls)))
        return
    results = {}
    for framework in args.frameworks.split(","):
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", framework,
                               "--rounds", str(args.rounds), "--calls", str(args.calls)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["failed"])[-1]
            print(f"{framework}: not run ({tail})")
            continue
        results[framework] = json.loads(proc.stdout.strip().splitlines()[-1])
    names = list(results)
    print(f"us per call, best of {args.rounds} rounds of {args.calls} calls (32-64-10 MLP, batch 32)")
    header = f"{'call':18s}" + "".join(f"{name:>12s}" for name in names)
    if {"jkeras", "keras3"} <= set(names):
        header += f"{'jkeras speed x Keras 3':>24s}"
    print(header)
    for case in CASES:
        line = f"{case:18s}" + "".join(f"{results[name][case]:12.1f}" for name in names)
        if {"jkeras", "keras3"} <= set(names):
            line += f"{results['keras3'][case] / results['jkeras'][case]:23.2f}x"
        print(line)


if __name__ == "__main__":
    main()

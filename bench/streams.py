#!/usr/bin/env python
"""`fit` / `evaluate` / `predict` on generators and PyDatasets, jkeras and Keras 3 side by side.

    python bench/streams.py                    # both sizes, 7 rounds (a minute or two)
    python bench/streams.py --sizes small --rounds 3
    python bench/streams.py --tiny             # seconds: the smoke test

`compare.py` and `tutorials.py` feed NumPy arrays; Keras 2 code (`fit_generator`, `Sequence`) and
Keras 3 code (`PyDataset`) feed batches from Python. Here the same MLP trains, evaluates and
predicts one epoch of batches sliced from NumPy by: a generator (`fit(gen, steps_per_epoch=...)`),
a `PyDataset` read on the calling thread (`workers=1`, the default) and on 2 threads, a generator
as `validation_data`, and generators given to `evaluate` / `predict`. Each framework runs in its
own process; every case is timed in `--rounds` interleaved rounds after a warm-up epoch, and the
best round is kept. Prints milliseconds per epoch and jkeras's speed as a ratio to Keras 3's
(higher is better).
"""
import argparse
import json
import os
import subprocess
import sys
import time

# name: (samples, features, batch size, hidden units)
SIZES = {"small": (4096, 64, 32, 128), "mnist": (8192, 784, 128, 512), "tiny": (256, 8, 32, 16)}
CASES = ["fit_generator", "fit_pydataset", "fit_pydataset_2_workers", "fit_validation_generator",
         "evaluate_generator", "predict_generator"]


def _worker(framework, size, rounds):
    if framework == "keras3":
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras as k
    else:
        import jkeras as k
    import numpy as np

    n, features, batch, hidden = SIZES[size]
    steps = n // batch
    rng = np.random.default_rng(0)
    x = rng.random((n, features)).astype("float32")
    y = rng.integers(0, 10, n).astype("int32")
    k.utils.set_random_seed(0)
    model = k.Sequential([k.Input((features,)), k.layers.Dense(hidden, activation="relu"),
                          k.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])

    def endless(with_y=True):
        while True:
            for i in range(0, n, batch):
                yield (x[i:i + batch], y[i:i + batch]) if with_y else (x[i:i + batch],)

    class Batches(k.utils.PyDataset):
        def __len__(self):
            return steps

        def __getitem__(self, i):
            return x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]

    train, val, inputs = endless(), endless(), endless(with_y=False)
    one_thread, two_threads = Batches(), Batches(workers=2)
    run = {
        "fit_generator": lambda: model.fit(train, steps_per_epoch=steps, epochs=1, verbose=0),
        "fit_pydataset": lambda: model.fit(one_thread, epochs=1, verbose=0),
        "fit_pydataset_2_workers": lambda: model.fit(two_threads, epochs=1, verbose=0),
        "fit_validation_generator": lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0,
                                                      validation_data=val, validation_steps=steps),
        "evaluate_generator": lambda: model.evaluate(val, steps=steps, verbose=0),
        "predict_generator": lambda: model.predict(inputs, steps=steps, verbose=0),
    }
    for name in CASES:
        run[name]()
    best = {}
    for _ in range(rounds):
        for name in CASES:
            start = time.perf_counter()
            run[name]()
            best[name] = min(best.get(name, float("inf")), (time.perf_counter() - start) * 1e3)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default="jkeras,keras3")
    parser.add_argument("--sizes", default="small,mnist")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tiny", action="store_true", help="the smoke test: tiny data, 1 round")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(args.worker[0], args.worker[1], args.rounds)))
        return
    sizes, rounds = (["tiny"], 1) if args.tiny else (args.sizes.split(","), args.rounds)
    for size in sizes:
        results = {}
        for framework in args.frameworks.split(","):
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", framework, size,
                                   "--rounds", str(rounds)], capture_output=True, text=True)
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or ["failed"])[-1]
                print(f"{framework}: not run ({tail})")
                continue
            results[framework] = json.loads(proc.stdout.strip().splitlines()[-1])
        n, features, batch, hidden = SIZES[size]
        names = list(results)
        both = {"jkeras", "keras3"} <= set(names)
        print(f"## {size}: {n} samples of {features} features, batch {batch}, {features}-{hidden}-10 MLP; "
              f"ms per epoch, best of {rounds} rounds")
        print(f"{'case':26s}" + "".join(f"{name:>10s}" for name in names)
              + (f"{'jkeras speed x Keras 3':>24s}" if both else ""))
        for case in CASES:
            line = f"{case:26s}" + "".join(f"{results[name][case]:10.1f}" for name in names)
            if both:
                line += f"{results['keras3'][case] / results['jkeras'][case]:23.2f}x"
            print(line)


if __name__ == "__main__":
    main()

"""float32 against mixed precision in jkeras's `fit`: samples/s and final loss, one process per policy.

    python bench/mixed_precision.py                 # CPU-sized (bfloat16 is emulated on CPUs: slower)
    python bench/mixed_precision.py --large         # accelerator-sized: where bfloat16 pays off

Every policy trains the same MLP (same initial weights, data and Adam(1e-3)); ratios are to
float32 measured in the same run. `mixed_float16` adds dynamic loss scaling (LossScaleOptimizer).
"""
import argparse
import json
import os
import subprocess
import sys
import time

POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")


def worker(policy, large):
    import numpy as np

    import jkeras
    from jkeras import layers

    width, depth, batch, n, epochs = (4096, 4, 1024, 65_536, 4) if large else (512, 2, 128, 8192, 3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 784)).astype("float32")
    y = (x @ rng.standard_normal((784, 10))).argmax(-1).astype("int32")
    jkeras.utils.set_random_seed(0)
    jkeras.mixed_precision.set_global_policy(policy)
    stack = [layers.Input((784,))] + [layers.Dense(width, activation="relu") for _ in range(depth)]
    stack += [layers.Dense(10), layers.Activation("linear", dtype="float32")]
    model = jkeras.Sequential(stack)
    model.compile(jkeras.optimizers.Adam(1e-3), jkeras.losses.SparseCategoricalCrossentropy(from_logits=True))
    times = []

    class Timer(jkeras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    history = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[Timer()])
    steady = min(times[1:])
    flops = 6 * batch * sum(a * b for a, b in zip([784] + [width] * depth, [width] * depth + [10]))
    return {"policy": policy, "samples_per_s": n / steady, "first_epoch_s": times[0],
            "final_loss": history.history["loss"][-1], "tflops": flops * (n / batch) / steady / 1e12,
            "compute_dtype": model.layers[0].compute_dtype, "kernel_dtype": str(model.get_weights()[0].dtype)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--worker")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.large)))
        return
    results = []
    for policy in POLICIES:
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", policy] + (["--large"] if args.large else [])
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            print(f"{policy}: failed\n{out.stderr[-2000:]}")
            continue
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = next((r for r in results if r["policy"] == "float32"), None)
    print(f"{'policy':16} {'samples/s':>12} {'x float32':>10} {'TFLOP/s':>8} {'1st epoch s':>12} {'final loss':>11} weights")
    for r in results:
        ratio = r["samples_per_s"] / base["samples_per_s"] if base else float("nan")
        print(f"{r['policy']:16} {r['samples_per_s']:12,.0f} {ratio:9.2f}x {r['tflops']:8.1f} {r['first_epoch_s']:12.2f} "
              f"{r['final_loss']:11.4f} {r['kernel_dtype']} (compute {r['compute_dtype']})")


if __name__ == "__main__":
    main()

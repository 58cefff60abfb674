"""How jkeras runs a recurrent layer's loop over time: LSTM fit / predict for each setting.

    python bench/rnn_loop.py            # CPU-sized
    python bench/rnn_loop.py --large    # accelerator-sized
    python bench/rnn_loop.py --samples 128   # seconds: the smoke test

The LSTM workload of bench/compare.py (Embedding 1000x64, LSTM 64, Dense 1; length 64, batch 64)
under every combination of the two knobs of `jkeras.layers._rnn_base` (None is the default, chosen
by backend):

* `PROJECT_IN_LOOP`: the input projection `x_t @ kernel + bias` inside the scan, or on all time
  steps before it (default: inside, except when an accelerator trains);
* `SCAN_UNROLL`: time steps per scan iteration (default: 1 on a CPU, 4 on an accelerator).

All settings compute the same function (tests/layers/test_recurrent.py); only speed differs.
Prints microseconds per training step and per predicted batch (best of 3, same process), and the
first fit + predict (compilation included).
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import _workloads  # noqa: E402

SETTINGS = [(None, None), (True, 1), (False, 1), (True, 4), (False, 4), (False, 2)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--samples", type=int, help="override the sample count (a multiple of 64)")
    args = parser.parse_args(argv)

    import jax

    import jkeras
    from jkeras.layers import _rnn_base

    wl = _workloads.WORKLOADS["lstm"]
    n = args.samples or (12_800 if args.large else 640)
    x, y = wl.make_data(n, 0)
    bs = wl.batch_size
    steps = n // bs
    print(f"device {jax.devices()[0].device_kind} ({jax.default_backend()}), {n} samples, batch {bs}")
    print(f"{'in loop':>8} {'unroll':>7} {'fit us/step':>12} {'predict us/batch':>17} {'first fit+predict s':>20}")
    for in_loop, unroll in SETTINGS:
        _rnn_base.PROJECT_IN_LOOP, _rnn_base.SCAN_UNROLL = in_loop, unroll
        jkeras.utils.set_random_seed(0)
        model = wl.build_jkeras(jkeras)
        model.compile(jkeras.optimizers.Adam(1e-3), jkeras.losses.BinaryCrossentropy(from_logits=True))
        t = time.perf_counter()
        model.fit(x, y, batch_size=bs, epochs=1, verbose=0)
        model.predict(x, batch_size=bs, verbose=0)
        first = time.perf_counter() - t
        fit_s = predict_s = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            model.fit(x, y, batch_size=bs, epochs=1, verbose=0)
            fit_s = min(fit_s, time.perf_counter() - t)
            t = time.perf_counter()
            model.predict(x, batch_size=bs, verbose=0)
            predict_s = min(predict_s, time.perf_counter() - t)
        label = "default" if in_loop is None else str(in_loop)
        print(f"{label:>8} {unroll or _rnn_base.scan_unroll():>7} {fit_s / steps * 1e6:12.1f} "
              f"{predict_s / steps * 1e6:17.1f} {first:20.2f}", flush=True)


if __name__ == "__main__":
    main()

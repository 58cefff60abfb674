#!/usr/bin/env python
"""jkeras against hand-written JAX training loops and Keras 3 (issue 7): the same models, data,
batch size, Adam(1e-3) and initial weights, each framework in its own process.

    python bench/compare.py                          # all workloads and frameworks, CPU-sized
    python bench/compare.py --workloads mlp,cnn --frameworks jkeras,hand-jit --repeat 3
    python bench/compare.py --large                  # accelerator-sized runs (+ TFLOP/s on a GPU)
    python bench/compare.py --workloads mlp-small --tiny   # seconds; what the smoke test runs

Frameworks:
    jkeras        jkeras `fit` with default settings (verbose=0)
    jkeras-spe32  jkeras `fit` after `compile(..., steps_per_execution=32)`
    jkeras-host   jkeras `fit` with the data fed from the host, as for data over the device-data
                  limit (`jkeras.models.data_adapter.DEVICE_DATA_BYTES = 0`)
    hand-jit      idiomatic hand loop: flax / plain-JAX model, optax.adam, one `jax.jit` train step
                  with donated buffers, batches sliced from NumPy (THE REFERENCE for every ratio)
    hand-device   data put on the device once, shuffled there each epoch, one jitted step per batch
                  (gathering its batch on the device), donated buffers, no host sync inside an epoch
    hand-scan     as hand-device, but the whole epoch is one `lax.scan` inside one jitted call
    keras3        Keras 3 on its JAX backend (skipped when Keras is not installed)

Each worker is this script run with `--worker FRAMEWORK`; it prints one JSON line on stdout.
See bench/README.md for what each column means.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _path in (HERE, ROOT):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import _workloads  # noqa: E402

FRAMEWORKS = ("jkeras", "jkeras-spe32", "jkeras-host", "hand-jit", "hand-device", "hand-scan", "keras3")
REFERENCE = "hand-jit"
RESULT_PREFIX = "BENCH_RESULT "
LR = 1e-3
ADAM_EPS = 1e-7   # Keras's default epsilon; the hand loops use it too so all run the same Adam
SEED = 0
INIT_TOL = 1e-3   # relative: the initial loss of every framework must equal the reference's
# The final losses of two correct runs differ only through their shuffle orders (and float
# rounding); a gap larger than LOSS_TOL * loss + LOSS_ATOL from the hand loop's voids the comparison.
LOSS_TOL, LOSS_ATOL = 0.25, 0.01
# (workload, framework) pairs not run by default on a CPU: XLA:CPU runs convolution gradients
# inside a while loop (lax.scan) about 30x slower than outside one (bench/cpu_conv_scan.py), so
# these take many minutes. Name the framework in --frameworks to run them anyway.
SLOW_ON_CPU = {("cnn", "jkeras-spe32"), ("cnn", "hand-scan")}


# ================================================================================================
# Workers (each runs in its own process)


def _max_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def _device_info():
    import jax

    dev = jax.local_devices()[0]
    info = {"platform": dev.platform, "device_kind": dev.device_kind, "jax": jax.__version__,
            "num_devices": jax.local_device_count()}
    try:
        stats = dev.memory_stats()
    except Exception:  # noqa: BLE001 - backends without memory stats
        stats = None
    if stats:
        peak = stats.get("peak_bytes_in_use", stats.get("bytes_in_use"))
        if peak is not None:
            info["device_peak_mib"] = peak / 2**20
        if stats.get("bytes_limit"):
            info["device_limit_mib"] = stats["bytes_limit"] / 2**20
    return info


def _load_weights(path):
    import numpy as np

    with np.load(path) as f:
        return [f[f"w{i}"] for i in range(len(f.files))]


def _steady(epoch_s, num_samples):
    steady = epoch_s[1:]
    return num_samples * len(steady) / sum(steady) if steady else None


def _time_predict(predict, x, repeats=1):
    """Warm-up call (compiles), then the best of `repeats` timed calls; returns (samples/s, outputs)."""
    out = predict(x)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        out = predict(x)
        best = min(best, time.perf_counter() - t)
    return len(x) / best, out


def _work_init(wl, args):
    """Draws the initial weights with jkeras's initializers and writes them for the other workers."""
    import numpy as np

    import jkeras

    if wl.needs:
        try:
            __import__("jkeras.layers", fromlist=[wl.needs]).__dict__[wl.needs]
        except (ImportError, KeyError):
            return {"status": "skipped", "message": f"skipped: jkeras {wl.needs} not available"}
    jkeras.utils.set_random_seed(SEED)
    model = wl.build_jkeras(jkeras)
    weights = model.get_weights()
    np.savez(args.weights, **{f"w{i}": np.asarray(w) for i, w in enumerate(weights)})
    # The reference initial loss: the hand-written forward pass on the first batch.
    x, y = wl.make_data(wl.batch_size, SEED)
    logits = np.asarray(wl.hand_apply(wl.to_params([np.asarray(w) for w in weights]), x))
    return {"status": "ok", "init_loss": _workloads.loss_np(wl.kind, logits, y),
            "num_weights": int(sum(np.asarray(w).size for w in weights)), **_device_info()}


def _work_keras_like(wl, args, k, spe, n, epochs, x, y, weights):
    """jkeras and Keras 3 share one driver: the Keras API is the same."""
    k.utils.set_random_seed(SEED)
    model = wl.build_jkeras(k) if k.__name__ == "jkeras" else wl.build_keras(k)
    model.set_weights(weights)
    kwargs = {"steps_per_execution": spe} if spe > 1 else {}
    model.compile(optimizer=k.optimizers.Adam(learning_rate=LR), loss=_workloads.jkeras_loss(k, wl.kind),
                  **kwargs)
    bs = wl.batch_size
    init_loss = _workloads.loss_np(wl.kind, model.predict(x[:bs], batch_size=bs, verbose=0), y[:bs])

    stamps = []

    class EpochTimer(k.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            stamps.append(time.perf_counter())

    t0 = time.perf_counter()
    history = model.fit(x, y, batch_size=bs, epochs=epochs, verbose=0, shuffle=True, callbacks=[EpochTimer()])
    t_fit = time.perf_counter() - t0
    epoch_s = [b - a for a, b in zip([t0] + stamps[:-1], stamps)]
    predict_sps, preds = _time_predict(lambda v: model.predict(v, batch_size=bs, verbose=0), x, args.predict_repeats)
    return {"init_loss": init_loss, "epoch_s": epoch_s, "fit_s": t_fit,
            "final_loss": float(history.history["loss"][-1]), "predict_sps": predict_sps,
            "eval_loss": _workloads.loss_np(wl.kind, preds, y)}


def _hand_common(wl, weights):
    import jax
    import jax.numpy as jnp
    import optax

    params = jax.tree_util.tree_map(jnp.asarray, wl.to_params(weights))
    tx = optax.adam(LR, eps=ADAM_EPS)

    def loss_fn(p, xb, yb):
        return _workloads.loss_jax(wl.kind, wl.hand_apply(p, xb), yb)

    def sgd_step(p, opt_state, xb, yb):
        loss, grads = jax.value_and_grad(loss_fn)(p, xb, yb)
        updates, opt_state = tx.update(grads, opt_state, p)
        return optax.apply_updates(p, updates), opt_state, loss

    forward = jax.jit(wl.hand_apply)
    return params, tx, sgd_step, forward


def _work_hand_jit(wl, args, n, epochs, x, y, weights):
    """The idiomatic hand loop: batches sliced from NumPy, one jitted step with donated buffers."""
    import functools

    import jax
    import jax.numpy as jnp
    import numpy as np

    params, tx, sgd_step, forward = _hand_common(wl, weights)
    bs, steps = wl.batch_size, n // wl.batch_size
    init_loss = _workloads.loss_np(wl.kind, np.asarray(forward(params, x[:bs])), y[:bs])

    @functools.partial(jax.jit, donate_argnums=(0, 1, 2))
    def train_step(p, opt_state, loss_sum, xb, yb):
        p, opt_state, loss = sgd_step(p, opt_state, xb, yb)
        return p, opt_state, loss_sum + loss

    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    opt_state = tx.init(params)
    epoch_s, last = [], t0
    for _ in range(epochs):
        perm = rng.permutation(n)
        loss_sum = jnp.zeros((), jnp.float32)
        for i in range(steps):
            idx = perm[i * bs:(i + 1) * bs]
            params, opt_state, loss_sum = train_step(params, opt_state, loss_sum, x[idx], y[idx])
        final_loss = float(loss_sum) / steps            # the one host sync of the epoch
        now = time.perf_counter()
        epoch_s.append(now - last)
        last = now
    t_fit = last - t0

    def predict(v):
        return np.concatenate([np.asarray(forward(params, v[i:i + bs])) for i in range(0, len(v), bs)])

    predict_sps, preds = _time_predict(predict, x, args.predict_repeats)
    return {"init_loss": init_loss, "epoch_s": epoch_s, "fit_s": t_fit, "final_loss": final_loss,
            "predict_sps": predict_sps, "eval_loss": _workloads.loss_np(wl.kind, preds, y)}


def _work_hand_device(wl, args, n, epochs, x, y, weights, scan):
    """Data on the device once, shuffled there each epoch; one jitted step per batch, or (scan)
    the whole epoch in one `lax.scan`."""
    import functools

    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax import lax

    params, tx, sgd_step, forward = _hand_common(wl, weights)
    bs, steps = wl.batch_size, n // wl.batch_size
    init_loss = _workloads.loss_np(wl.kind, np.asarray(forward(params, x[:bs])), y[:bs])

    def gather(xd, yd, perm, i):
        idx = lax.dynamic_slice_in_dim(perm, i * bs, bs)
        return jnp.take(xd, idx, axis=0), jnp.take(yd, idx, axis=0)

    @functools.partial(jax.jit, donate_argnums=(0, 1, 2))
    def train_step(p, opt_state, loss_sum, xd, yd, perm, i):
        p, opt_state, loss = sgd_step(p, opt_state, *gather(xd, yd, perm, i))
        return p, opt_state, loss_sum + loss

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def train_epoch(p, opt_state, xd, yd, key):
        perm = jax.random.permutation(key, n)

        def body(carry, i):
            p, opt_state, loss_sum = carry
            p, opt_state, loss = sgd_step(p, opt_state, *gather(xd, yd, perm, i))
            return (p, opt_state, loss_sum + loss), None

        (p, opt_state, loss_sum), _ = lax.scan(body, (p, opt_state, jnp.zeros((), jnp.float32)),
                                               jnp.arange(steps))
        return p, opt_state, loss_sum / steps

    permutation = jax.jit(lambda key: jax.random.permutation(key, n))
    key = jax.random.PRNGKey(SEED)
    t0 = time.perf_counter()
    xd, yd = jax.device_put(x), jax.device_put(y)
    opt_state = tx.init(params)
    epoch_s, last = [], t0
    for epoch in range(epochs):
        ekey = jax.random.fold_in(key, epoch)
        if scan:
            params, opt_state, mean_loss = train_epoch(params, opt_state, xd, yd, ekey)
            final_loss = float(mean_loss)
        else:
            perm = permutation(ekey)
            loss_sum = jnp.zeros((), jnp.float32)
            for i in range(steps):
                params, opt_state, loss_sum = train_step(params, opt_state, loss_sum, xd, yd, perm, i)
            final_loss = float(loss_sum) / steps
        now = time.perf_counter()
        epoch_s.append(now - last)
        last = now
    t_fit = last - t0

    if scan:   # the ceiling: every batch's forward pass in one compiled call over device data
        @jax.jit
        def predict_all(p, xd):
            batches = xd.reshape((-1, bs) + xd.shape[1:])
            out = lax.map(lambda b: wl.hand_apply(p, b), batches)
            return out.reshape((-1,) + out.shape[2:])

        def predict(v):
            return np.asarray(predict_all(params, jax.device_put(v)))
    else:
        @jax.jit
        def predict_batch(p, xd, i):
            return wl.hand_apply(p, lax.dynamic_slice_in_dim(xd, i * bs, bs))

        def predict(v):
            vd = jax.device_put(v)
            return np.asarray(jnp.concatenate([predict_batch(params, vd, i) for i in range(len(v) // bs)]))

    predict_sps, preds = _time_predict(predict, x, args.predict_repeats)
    return {"init_loss": init_loss, "epoch_s": epoch_s, "fit_s": t_fit, "final_loss": final_loss,
            "predict_sps": predict_sps, "eval_loss": _workloads.loss_np(wl.kind, preds, y)}


def worker_main(args):
    wl = _workloads.WORKLOADS[args.workload]
    if args.worker == "init":
        return _work_init(wl, args)
    n, epochs = wl.num_samples(args.size), args.epochs or wl.epochs(args.size)
    assert n % wl.batch_size == 0, "sample counts are whole batches: no partial last batch anywhere"
    x, y = wl.make_data(n, SEED)
    weights = _load_weights(args.weights)
    fw = args.worker
    t_start = time.perf_counter()
    if fw in ("jkeras", "jkeras-spe32", "jkeras-host"):
        import jkeras

        if fw == "jkeras-host":
            from jkeras.models import data_adapter

            data_adapter.DEVICE_DATA_BYTES = 0  # every array stays on the host, batches go per call
        out = _work_keras_like(wl, args, jkeras, 32 if fw == "jkeras-spe32" else 1, n, epochs, x, y, weights)
    elif fw == "keras3":
        os.environ["KERAS_BACKEND"] = "jax"
        try:
            import keras
        except ImportError:
            return {"status": "skipped", "message": "skipped: Keras 3 is not installed"}
        if keras.backend.backend() != "jax":
            return {"status": "skipped", "message": f"skipped: Keras backend is {keras.backend.backend()}"}
        out = _work_keras_like(wl, args, keras, 1, n, epochs, x, y, weights)
        out["version"] = keras.__version__
    elif fw == "hand-jit":
        out = _work_hand_jit(wl, args, n, epochs, x, y, weights)
    elif fw in ("hand-device", "hand-scan"):
        out = _work_hand_device(wl, args, n, epochs, x, y, weights, scan=fw == "hand-scan")
    else:
        raise ValueError(f"unknown framework {fw!r}")
    out.update(status="ok", num_samples=n, epochs=epochs, batch_size=wl.batch_size,
               first_epoch_s=out["epoch_s"][0], train_sps=_steady(out["epoch_s"], n),
               worker_s=time.perf_counter() - t_start, max_rss_mib=_max_rss_mib())
    out.update(_device_info())
    return out


def run_worker(args):
    # Anything printed by the libraries goes to stderr; stdout carries only the result line.
    result_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    import warnings

    warnings.filterwarnings("ignore", message=".*donated buffers.*")
    try:
        result = worker_main(args)
    except Exception as e:  # noqa: BLE001 - reported to the parent, which carries on
        import traceback

        traceback.print_exc()
        result = {"status": "error", "message": f"{type(e).__name__}: {e}"}
    result.update(framework=args.worker, workload=args.workload)
    os.write(result_fd, (RESULT_PREFIX + json.dumps(result) + "\n").encode())
    os.close(result_fd)


# ================================================================================================
# Parent: runs the workers, keeps the best of --repeat runs, prints the tables


def spawn(args, worker, workload, weights, timeout):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", worker, "--workload", workload,
           "--size", args.size, "--weights", weights, "--predict-repeats", str(args.predict_repeats)]
    if args.epochs:
        cmd += ["--epochs", str(args.epochs)]
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join([ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"status": "error", "message": f"timed out after {timeout} s", "framework": worker}
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
            if result["status"] == "error" and args.show_errors:
                sys.stderr.write(proc.stderr[-4000:])
            return result
    tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
    return {"status": "error", "message": f"worker exited {proc.returncode}: {tail}", "framework": worker}


BEST = {"train_sps": max, "predict_sps": max, "first_epoch_s": min, "max_rss_mib": min,
        "device_peak_mib": min, "fit_s": min}


def merge_best(runs):
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        return runs[0]
    best = dict(ok[0])
    for key, pick in BEST.items():
        values = [r[key] for r in ok if r.get(key) is not None]
        if values:
            best[key] = pick(values)
    best["runs"] = len(ok)
    return best


def fmt(value, digits=3):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:.2f}"


def ratio(value, ref):
    if value is None or ref is None or ref == 0:
        return "-"
    return f"{value / ref:.2f}x"


def table(header, rows):
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in rows])


def check_losses(results, init_ref):
    """Notes per framework; 'VOID' where the numbers do not describe the same training run."""
    ref = results.get(REFERENCE)
    ref_loss = ref.get("eval_loss") if ref and ref.get("status") == "ok" else None
    notes = {}
    for fw, r in results.items():
        if r.get("status") != "ok":
            notes[fw] = r.get("message", r.get("status"))
            continue
        problems = []
        losses = [r.get("init_loss"), r.get("final_loss"), r.get("eval_loss")]
        if any(v is None or v != v or abs(v) == float("inf") for v in losses):
            problems.append("non-finite loss")
        elif abs(r["init_loss"] - init_ref) > INIT_TOL * max(1.0, abs(init_ref)):
            problems.append(f"initial loss {r['init_loss']:.5g} != {init_ref:.5g} (weights differ)")
        elif ref_loss is not None and abs(r["eval_loss"] - ref_loss) > LOSS_TOL * abs(ref_loss) + LOSS_ATOL:
            problems.append(f"final loss {r['eval_loss']:.4g} vs {REFERENCE} {ref_loss:.4g}")
        notes[fw] = ("VOID: " + "; ".join(problems)) if problems else "ok"
    return notes


def report_workload(wl, results, init, args):
    ref = results.get(REFERENCE) if results.get(REFERENCE, {}).get("status") == "ok" else {}
    notes = check_losses(results, init["init_loss"])
    show_flops = args.large and wl.matmul_flops
    header = ["framework", "train samples/s", "x hand", "1st epoch s", "x hand", "predict samples/s", "x hand",
              "final loss", "eval loss", "x hand", "max RSS MiB", "x hand", "device peak MiB", "x hand"]
    if show_flops:
        header.insert(3, "matmul TFLOP/s")
    header.append("check")
    rows = []
    for fw, r in results.items():
        if r.get("status") != "ok":
            row = [fw] + ["-"] * (len(header) - 2) + [notes[fw]]
            rows.append(row)
            continue
        row = [fw, fmt(r["train_sps"]), ratio(r["train_sps"], ref.get("train_sps")),
               fmt(r["first_epoch_s"]), ratio(r["first_epoch_s"], ref.get("first_epoch_s")),
               fmt(r["predict_sps"]), ratio(r["predict_sps"], ref.get("predict_sps")),
               f"{r['final_loss']:.4f}", f"{r['eval_loss']:.4f}", ratio(r["eval_loss"], ref.get("eval_loss")),
               fmt(r["max_rss_mib"]), ratio(r["max_rss_mib"], ref.get("max_rss_mib")),
               fmt(r.get("device_peak_mib")), ratio(r.get("device_peak_mib"), ref.get("device_peak_mib"))]
        if show_flops:
            row.insert(3, f"{wl.matmul_flops * r['train_sps'] / 1e12:.3g}")
        row.append(notes[fw])
        rows.append(row)
    any_ok = next((r for r in results.values() if r.get("status") == "ok"), None)
    desc = (f"{wl.name}: {any_ok['num_samples']} samples, batch {wl.batch_size}, {any_ok['epochs']} epochs, "
            f"{init['num_weights']:,} weights, initial loss {init['init_loss']:.4f}") if any_ok else wl.name
    print(f"\n### {desc}\n")
    print(table(header, rows))
    if show_flops and any_ok:
        peaks = _workloads.peak_tflops(any_ok.get("device_kind", ""))
        where = f"{any_ok['device_kind']} ({any_ok['platform']})"
        if peaks:
            print(f"\nmatmul TFLOP/s = {wl.matmul_flops:,} training FLOPs/sample x samples/s; peak of {where}: "
                  f"float32 {peaks[0]}, TF32 {peaks[1]}, bf16 {peaks[2]} TFLOP/s (dense)")
        else:
            print(f"\nmatmul TFLOP/s = {wl.matmul_flops:,} training FLOPs/sample x samples/s; peak of {where}: unknown")
    return notes


def header_lines(args, argv):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return [
        f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, {platform.platform()}",
        f"python {platform.python_version()}",
        "command: python bench/compare.py " + " ".join(shlex.quote(a) for a in argv),
        f"size: {args.size}, repeat: best of {args.repeat}, reference for every ratio: {REFERENCE}",
    ]


def parent_main(args, argv):
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    explicit = args.frameworks is not None
    frameworks = [f.strip() for f in (args.frameworks or ",".join(FRAMEWORKS)).split(",") if f.strip()]
    for w in workloads:
        if w not in _workloads.WORKLOADS:
            sys.exit(f"unknown workload {w!r}; choose from {', '.join(_workloads.WORKLOADS)}")
    for f in frameworks:
        if f not in FRAMEWORKS:
            sys.exit(f"unknown framework {f!r}; choose from {', '.join(FRAMEWORKS)}")
    print("# jkeras benchmark (bench/compare.py)\n")
    for line in header_lines(args, argv):
        print(f"- {line}")
    import importlib.util

    keras_missing = "keras3" in frameworks and importlib.util.find_spec("keras") is None
    if keras_missing:
        print("- keras3: skipped: Keras 3 is not installed")
    t_all = time.perf_counter()
    summary = {}
    versions = {}
    raw = {"argv": argv, "header": header_lines(args, argv)}
    with tempfile.TemporaryDirectory(prefix="jkeras-bench-") as tmp:
        for w in workloads:
            wl = _workloads.WORKLOADS[w]
            weights = os.path.join(tmp, f"{w}.npz")
            init = spawn(args, "init", w, weights, args.timeout)
            if init.get("status") != "ok":
                print(f"\n### {w}: {init.get('message', 'init failed')}")
                summary[w] = None
                continue
            runs = {f: [] for f in frameworks}
            for _ in range(args.repeat):          # interleaved, so drift hits every framework alike
                for f in frameworks:
                    if f == "keras3" and keras_missing:
                        runs[f].append({"status": "skipped", "message": "skipped: Keras 3 is not installed"})
                        continue
                    if init.get("platform") == "cpu" and (w, f) in SLOW_ON_CPU and not explicit:
                        runs[f].append({"status": "not run", "message": (
                            "not run on CPU by default: conv backprop in lax.scan, see README")})
                        continue
                    runs[f].append(spawn(args, f, w, weights, args.timeout))
            results = {f: merge_best(rs) for f, rs in runs.items()}
            for r in results.values():
                if r.get("status") == "ok":
                    versions.setdefault("jax", r.get("jax"))
                    versions.setdefault("device", f"{r.get('device_kind')} ({r.get('platform')}, "
                                                  f"{r.get('num_devices')} device(s))")
                    if r.get("version"):
                        versions["keras"] = r["version"]
            notes = report_workload(wl, results, init, args)
            summary[w] = (results, notes)
            raw[w] = {"init": init, "runs": runs, "best": results, "checks": notes}
    print(f"\n## Ratios to {REFERENCE} (same run; throughput: higher is better, >1x beats the hand loop)\n")
    header = ["workload"] + [f for f in frameworks]
    rows = []
    for w, entry in summary.items():
        if entry is None:
            rows.append([w] + ["skipped"] * len(frameworks))
            continue
        results, notes = entry
        ref = results.get(REFERENCE, {})
        row = [w]
        for f in frameworks:
            r = results[f]
            if r.get("status") != "ok":
                row.append(r.get("status"))
                continue
            cell = f"train {ratio(r['train_sps'], ref.get('train_sps'))}, predict {ratio(r['predict_sps'], ref.get('predict_sps'))}"
            if notes[f].startswith("VOID"):
                cell += " VOID"
            row.append(cell)
        rows.append(row)
    print(table(header, rows))
    print(f"\njax {versions.get('jax', '?')}, device {versions.get('device', '?')}"
          + (f", keras {versions['keras']}" if "keras" in versions else "")
          + f"; total {time.perf_counter() - t_all:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)
        print(f"raw results: {args.json}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default=",".join(_workloads.WORKLOADS),
                   help=f"comma-separated, from {','.join(_workloads.WORKLOADS)}")
    p.add_argument("--frameworks", default=None,
                   help=f"comma-separated, from {','.join(FRAMEWORKS)} (default: all; on a CPU the "
                        "cnn workload leaves out the lax.scan ones unless they are named here)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--tiny", action="store_const", dest="size", const="tiny", help="seconds-long smoke sizes")
    size.add_argument("--large", action="store_const", dest="size", const="large", help="accelerator-sized runs")
    p.set_defaults(size="default")
    p.add_argument("--epochs", type=int, default=0, help="override the epochs of every workload (>= 2)")
    p.add_argument("--repeat", type=int, default=1, help="run every worker N times, keep the best of each figure")
    p.add_argument("--predict-repeats", type=int, default=1, help="timed predict calls per worker (best kept)")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per worker process")
    p.add_argument("--show-errors", action="store_true", help="print a failing worker's stderr")
    p.add_argument("--json", metavar="PATH", help="also write every run's raw figures to PATH as JSON")
    # worker-only
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    p.add_argument("--size", dest="size_arg", help=argparse.SUPPRESS)
    p.add_argument("--weights", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.size_arg:
        args.size = args.size_arg
    args.large = args.size == "large"
    if args.epochs and args.epochs < 2:
        p.error("--epochs must be >= 2 (the first epoch is reported separately)")
    if args.repeat < 1:
        p.error("--repeat must be >= 1")
    if args.worker:
        run_worker(args)
    else:
        parent_main(args, argv)


if __name__ == "__main__":
    main()

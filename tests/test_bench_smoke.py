"""Smoke test of the benchmark (bench/compare.py): it runs end to end and prints its ratio table.

No timing threshold is asserted: CI machines are shared and noisy; the numbers are for people.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_compare_tiny_prints_ratio_table():
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "compare.py"), "--workloads", "mlp-small", "--tiny"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "### mlp-small" in out, out
    assert "## Ratios to hand-jit" in out, out
    # The per-workload table has a row per framework, with ratios to the hand loop.
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    for framework in ("jkeras", "jkeras-spe32", "jkeras-host", "hand-jit", "hand-device", "hand-scan"):
        assert framework in rows, out
    assert "1.00x" in rows["hand-jit"], out            # the reference against itself
    assert "x" in rows["jkeras"].split("|")[3], out    # jkeras's training throughput as a ratio
    assert "VOID" not in rows["jkeras"], out            # same initial weights, comparable losses
    summary = out.split("## Ratios to hand-jit", 1)[1]
    assert "| mlp-small" in summary and "train " in summary, out


@pytest.mark.slow
def test_rnn_loop_prints_every_setting():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "rnn_loop.py"), "--samples", "128"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line.split() for line in proc.stdout.splitlines()[2:] if line.strip()]
    assert [row[:2] for row in rows[1:]] == [["True", "1"], ["False", "1"], ["True", "4"], ["False", "4"],
                                             ["False", "2"]], proc.stdout
    assert rows[0][:2] in (["default", "1"], ["default", "4"]), proc.stdout  # by backend
    assert all(float(value) > 0 for row in rows for value in row[2:]), proc.stdout


@pytest.mark.slow
def test_step_kernels_counts_both_programs_of_both_loops():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "step_kernels.py"), "--workloads", "mlp-small",
                           "--spe", "4"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line.strip() for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert len(rows) == 4, proc.stdout
    for row in rows:  # "label   N (fusion a, copy b, ...)": a kernel count and its parts
        total, parts = re.match(r".*?\s(\d+) \((.*)\)$", row).groups()
        assert int(total) > 0 and int(total) == sum(int(p.split()[-1]) for p in parts.split(", ")), row


@pytest.mark.slow
def test_spe_loop_prints_every_unroll_and_the_hand_scan():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "spe_loop.py"), "--steps", "256",
                           "--spe", "8", "--unrolls", "default,1,3"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line.split() for line in proc.stdout.splitlines()[2:] if line.strip()]
    assert [row[:2] for row in rows] == [["default", "1"], ["1", "1"], ["3", "3"], ["hand-scan", "-"]], proc.stdout
    assert rows[-1][3] == "1.00x" and all(float(row[2]) > 0 for row in rows), proc.stdout


@pytest.mark.slow
def test_first_epoch_splits_compile_time_by_program():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "first_epoch.py"), "--workloads",
                           "mlp-small", "--tiny"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines()
            if line.startswith(("jkeras ", "keras3 "))}
    assert set(rows) == {"jkeras", "keras3"}, proc.stdout
    for wall, trace, lower, compile_s, programs, rest in rows.values():
        assert float(wall) >= float(compile_s) > 0 and int(programs) >= 1, proc.stdout
    assert re.search(r"^\s+run\s", proc.stdout, re.M), proc.stdout  # jkeras's train program by name


@pytest.mark.slow
def test_per_call_prints_every_call():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "per_call.py"), "--frameworks", "jkeras",
                           "--rounds", "1", "--calls", "2"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines()[2:] if line.strip()}
    assert list(rows) == ["train_on_batch", "test_on_batch", "predict_on_batch", "predict", "evaluate", "fit",
                          "call", "call_inference"], proc.stdout
    assert all(len(values) == 1 and float(values[0]) > 0 for values in rows.values()), proc.stdout


@pytest.mark.slow
def test_conv_cpu_prints_both_forms_for_every_shape():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "conv_cpu.py"), "--batch", "2", "--repeats", "1"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("(")]
    assert len(rows) >= 6, proc.stdout
    for row in rows:  # "(shape) lax-fwd jkeras-fwd ratio x lax-grad jkeras-grad ratio x"
        assert row.count("x") >= 2 and all(float(v) > 0 for v in row.split(")")[1].replace("x", " ").split())


@pytest.mark.slow
def test_tutorials_prints_both_frameworks_and_ratios():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "tutorials.py"), "--tiny", "--models",
                           "mnist_convnet,text_transformer"], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line.split() for line in proc.stdout.splitlines()[2:] if line.strip()]
    assert [row[:2] for row in rows] == [[m, f] for m in ("mnist_convnet", "text_transformer")
                                         for f in ("jkeras", "keras3", "x")], proc.stdout
    for row in rows:  # four seconds and a loss, or three ratios
        values = [float(v.rstrip("x")) for v in row[2:]]
        assert len(values) == (3 if row[1] == "x" else 4) and all(v > 0 for v in values[:3]), proc.stdout


@pytest.mark.slow
def test_streams_prints_every_case_with_a_ratio():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "streams.py"), "--tiny"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines()
            if line.startswith(("fit_", "evaluate_", "predict_"))}
    assert set(rows) == {"fit_generator", "fit_pydataset", "fit_pydataset_2_workers", "fit_validation_generator",
                         "evaluate_generator", "predict_generator"}, proc.stdout
    for jkeras_ms, keras_ms, ratio in rows.values():  # Keras 3 is a test dependency: both ran
        assert float(jkeras_ms) > 0 and float(keras_ms) > 0 and ratio.endswith("x"), proc.stdout

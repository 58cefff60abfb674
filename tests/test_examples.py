"""Every script in examples/ runs with its reduced-size `--smoke` flag and achieves something.

Each example's `main(argv)` returns what it printed. The checks compare against references the
examples do not compute themselves: chance level of the task, the model before training, a bound
that needs memory across batches to beat. The examples run in-process (one JAX start-up).
"""
import pathlib
import runpy

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def run_example(name, capsys, *extra):
    namespace = runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name=f"example_{name}")
    result = namespace["main"](["--smoke", *extra])
    return result, capsys.readouterr().out


def test_every_example_is_smoke_tested():
    tested = {name for name, *_ in CASES}
    assert {p.stem for p in EXAMPLES.glob("*.py")} == tested


def _digits_mlp(result, out):
    assert result > 0.3  # 10 balanced classes: chance is 0.1
    assert "Epoch 3/3" in out and "Test accuracy:" in out


def _vgg_cnn(result, out):
    assert result > 0.2
    assert "max_pooling2d" in out and "Test accuracy:" in out


def _conv1d(result, out):
    assert result > 0.6  # two balanced classes: chance is 0.5


def _stacked_lstm(result, out):
    assert result > 0.2


def _stateful(result, out):
    # Stateless chunks cannot see the older part of the moving-average window; predicting it
    # needs the states carried from batch to batch.
    floor = (8 - 2) / 3.0 / 8 ** 2
    assert result["stateful"] < floor
    assert result["stateless"] > result["stateful"]


def _multi_io(result, out):
    results, majority = result
    assert results["priority_accuracy"] > majority["priority_accuracy"]
    assert results["department_accuracy"] > majority["department_accuracy"]


def _dcgan(result, out):
    assert np.isfinite(result["d_loss"]) and np.isfinite(result["g_loss"])
    assert result["gap_after"] < result["gap_before"]
    assert "Epoch 2/2 - d_loss:" in out


def _vae(result, out):
    assert result["after"] < result["before"]
    assert "kl_loss" in out and "reconstruction_loss" in out


def _fine_tuning(result, out):
    assert result["frozen_unchanged"]
    assert result["tuned_accuracy"] > 0.2  # five classes: chance is 0.2
    assert "Loaded 3 base layers by name" in out


def _jit_pure(result, out):
    assert result["losses"][-1] < result["losses"][0]
    assert result["accuracy"] > 0.3
    assert result["predict_agrees"]


CASES = [
    ("digits_mlp", _digits_mlp, ("--verbose", "2")),
    ("vgg_cnn", _vgg_cnn, ("--verbose", "0")),
    ("conv1d_sequence", _conv1d, ("--verbose", "0")),
    ("stacked_lstm", _stacked_lstm, ("--verbose", "0")),
    ("stateful_lstm", _stateful, ("--verbose", "0")),
    ("functional_multi_io", _multi_io, ("--verbose", "0")),
    ("dcgan", _dcgan, ()),
    ("vae", _vae, ("--verbose", "2")),
    ("fine_tuning", _fine_tuning, ("--verbose", "0")),
    ("jit_pure_api", _jit_pure, ()),
]
# The quickest runs are in the default selection; the rest are marked slow.
QUICK = {"jit_pure_api", "vae"}


@pytest.mark.parametrize(
    "name,check,extra",
    [pytest.param(*case, id=case[0], marks=() if case[0] in QUICK else pytest.mark.slow) for case in CASES],
)
def test_example_smoke(name, check, extra, capsys):
    result, out = run_example(name, capsys, *extra)
    check(result, out)



@pytest.mark.slow
def test_readme_quickstart_runs(tmp_path, monkeypatch, capsys):
    readme = (EXAMPLES.parent / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 25
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md quickstart", "exec"), {"__name__": "readme_quickstart"})
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy:")[1].split()[0])
    assert accuracy > 0.5  # 10 balanced classes: chance is 0.1
    assert (tmp_path / "digits.keras").exists()

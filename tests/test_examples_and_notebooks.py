"""The README's main job, the examples and the notebooks run as users run them."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_digits_example_reaches_95_percent():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import digits_mlp
    finally:
        sys.path.pop(0)
    accuracy = digits_mlp.main(["--verbose", "0"])
    assert accuracy >= 0.95


def test_digits_example_runs_as_a_script():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "digits_mlp.py"), "--epochs", "2"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Epoch 2/2" in result.stdout and "Test accuracy:" in result.stdout
    assert "Total params: 17,226" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_executes(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    env_backup = dict(os.environ)
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)

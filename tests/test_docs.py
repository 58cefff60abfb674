"""The API reference (mkdocs + mkdocstrings over the docstrings) builds without a warning."""
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_api_reference_builds_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "WARNING" not in log, log[-5000:]
    layers_page = (tmp_path / "site" / "api" / "layers" / "index.html").read_text()
    # Rendered from the docstrings: a layer's heading and a line of its Args section.
    assert 'id="jkeras.layers.core.Dense"' in layers_page
    assert "units" in layers_page
    models_page = (tmp_path / "site" / "api" / "models" / "index.html").read_text()
    assert 'id="jkeras.models.Model.fit"' in models_page or 'id="jkeras.models.Model"' in models_page

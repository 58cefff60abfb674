"""Fixtures of the legacy tests: fresh warn-once memory and restored global settings."""
import pytest

from jkeras.core import config
from jkeras.utils import legacy


@pytest.fixture(autouse=True)
def _fresh_legacy_state():
    legacy._warned.clear()
    saved = dict(config._config)
    yield
    config._config.clear()
    config._config.update(saved)

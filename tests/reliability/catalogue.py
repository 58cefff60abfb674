"""The shared check of the bad-input catalogue: an error of the right type whose message names the
place (a layer or an argument) and says what was expected and what was received."""
import re

import jax
import jax.monitoring
import pytest


def assert_clear_error(fn, error_type, place, expected, received, before_compiling=False):
    """Calls `fn` and checks the exception it raises (with `before_compiling`, also that nothing was
    compiled before it: for errors in `fit` / `evaluate` / `predict`).

    Args:
        fn: a function of no arguments that must raise.
        error_type: the exception class expected.
        place, expected, received: substrings (or lists of them) the message must contain: where the
            problem is, what was expected there and what was received.

    Returns:
        The exception.
    """
    with pytest.raises(error_type) as info, count_compiles() as counter:
        fn()
    if before_compiling:
        assert counter.count == 0, f"{counter.count} XLA compilation(s) ran before the error"
    message = str(info.value)
    for role, parts in (("place", place), ("expected", expected), ("received", received)):
        for part in parts if isinstance(parts, (list, tuple)) else [parts]:
            assert re.search(re.escape(part), message), (
                f"the message does not say the {role} ({part!r}): {message}")
    return info.value


_compiles = {"count": 0}


def _on_duration(name, *args, **kwargs):
    if name == "/jax/core/compile/backend_compile_duration":
        _compiles["count"] += 1


jax.monitoring.register_event_duration_secs_listener(_on_duration)


class count_compiles:  # noqa: N801 - used as a context manager
    """Counts XLA compilations (of jitted steps and of eager ops) inside a `with` block:
    `with count_compiles() as c: ...; c.count`."""

    def __enter__(self):
        self._start = _compiles["count"]
        self.count = 0
        return self

    def __exit__(self, *exc_info):
        self.count = _compiles["count"] - self._start
        return False

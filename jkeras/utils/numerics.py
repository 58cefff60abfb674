"""`check_numerics`: a switch that makes `fit` / `evaluate` / `predict` reject NaN and Inf in the data.

When it is on, every array handed to a training or inference method (each generator / `Sequence`
batch too) is checked on the host as it is read, before it reaches a compiled step: one vectorised
`isfinite` pass over the data, nothing inside the step.
"""
import numpy as np

_state = {"enabled": False}


class check_numerics:  # noqa: N801 - a function-like switch, as `torch.autograd.set_detect_anomaly`
    """Turns the NaN / Inf check of input data on or off.

    It takes effect at once; used as a context manager, it restores the previous setting on exit:

    ```python
    jkeras.utils.check_numerics(True)          # from now on
    with jkeras.utils.check_numerics():        # only inside the block
        model.fit(x, y)
    ```

    Args:
        enabled: True to check, False to stop checking.

    Raises:
        TypeError: if `enabled` is not a bool.
    """

    def __init__(self, enabled=True):
        if not isinstance(enabled, (bool, np.bool_)):
            raise TypeError(f"check_numerics: enabled must be True or False, got {enabled!r}")
        self._previous = _state["enabled"]
        _state["enabled"] = bool(enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        _state["enabled"] = self._previous
        return False


def numerics_enabled():
    """Whether `check_numerics` is on."""
    return _state["enabled"]


def check_finite(arrays, method):
    """Raises if a float array holds NaN or Inf (only while `check_numerics` is on).

    Args:
        arrays: list of `(description, array or None)`, e.g. `("input 'image'", x)`.
        method: the calling method's name, for the message.

    Raises:
        ValueError: naming the array, the first bad sample and its value.
    """
    if not _state["enabled"]:
        return
    for what, array in arrays:
        if array is None or not np.issubdtype(np.dtype(array.dtype), np.inexact):
            continue
        finite = np.isfinite(np.asarray(array))
        if finite.all():
            continue
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        value = np.asarray(array)[bad]
        count = int(finite.size - finite.sum())
        raise ValueError(
            f"{method}: {what} must hold finite values (jkeras.utils.check_numerics is on), but it "
            f"contains {count} NaN/Inf value(s); the first is {value} at sample {bad[0]} (index {bad})"
        )

"""A Keras-style progress bar.

In a terminal the bar is redrawn in place with a carriage return. In a Jupyter kernel (Jupyter,
Colab, VS Code) a carriage return would be stored once per redraw in the notebook, so the bar is
one display output that each redraw replaces (`IPython.display` with a `display_id`): the cell
keeps one line per bar, however many steps were drawn. Without a terminal or a kernel (CI logs)
the bar prints only its final line.
"""
import math
import os
import sys
import time

import numpy as np

from jkeras import config
from jkeras.utils.io_utils import print_msg


def _kernel():
    """The running IPython kernel's shell, or None outside a Jupyter kernel."""
    if "IPython" not in sys.modules:  # a kernel has imported it; never import it here
        return None
    shell = sys.modules["IPython"].get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def _interactive():
    if not config.is_interactive_logging_enabled():
        return False
    if _kernel() is not None or os.environ.get("COLAB_RELEASE_TAG"):
        return True
    return hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


class _NotebookLine:
    """One notebook output line, replaced in place by each `write`."""

    def __init__(self):
        from IPython.display import display

        self._display = display
        self._handle = None

    def write(self, line):
        bundle = {"text/plain": line}
        if self._handle is None:
            sys.stdout.flush()  # text printed before the bar (`Epoch 1/5`) stays above it
            self._handle = self._display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)


def format_value(value):
    """Formats a log value as Keras (2 and 3) does: 4 decimals above 1e-3 in magnitude, else
    scientific notation (0 included: `0.0000e+00`)."""
    value = float(np.mean(value))
    if abs(value) > 1e-3:
        return f"{value:.4f}"
    return f"{value:.4e}"


def format_time(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def format_per_step(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """Displays progress over `target` steps with running metric values.

    Args:
        target: total number of steps, or None when unknown.
        width: bar width in characters.
        verbose: 1 for a live bar (in a terminal redrawn with a carriage return; in a Jupyter
            kernel one display output replaced in place), 2 for one line at the end, 0 for silence.
        interval: minimum seconds between redraws.
        unit_name: what a step is called ("step").
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._dynamic = _interactive()
        self._notebook = _NotebookLine() if self._dynamic and verbose == 1 and _kernel() is not None else None
        self._start = time.time()
        self._last_update = 0.0
        self._prev_width = 0
        self._seen = 0

    def update(self, current, values=None, finalize=None):
        """Redraws the bar at step `current` with `values` (a dict or list of (name, value)).

        Values are only read (and so copied from the device) when the bar is actually redrawn.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._seen = current
        now = time.time()
        if self.verbose == 0:
            return
        if self.verbose == 1 and not finalize and now - self._last_update < self.interval:
            return
        if (self.verbose == 2 or not self._dynamic) and not finalize:
            return
        self._last_update = now
        items = list(values.items()) if isinstance(values, dict) else list(values or [])
        elapsed = now - self._start
        per_step = elapsed / max(current, 1)
        metrics = "".join(f" - {name}: {format_value(value)}" for name, value in items)
        if self.verbose == 2:
            line = f"{current}/{self.target or current} - {format_time(elapsed)} - {format_per_step(per_step)}{metrics}"
            print_msg(line)
            return
        if self.target is not None:
            digits = int(math.log10(self.target)) + 1 if self.target > 0 else 1
            done = int(self.width * current / self.target) if self.target else self.width
            bar = f"{current:>{digits}}/{self.target} " + "━" * done + "─" * (self.width - done)
        else:
            bar = f"{current}/Unknown"
        if finalize:
            timing = f" {format_time(elapsed)} {format_per_step(per_step)}"
        else:
            eta = per_step * (self.target - current) if self.target else 0
            timing = f" {format_time(eta)} {format_per_step(per_step)}"
        line = bar + timing + metrics
        if self._notebook is not None:
            self._notebook.write(line)
        elif self._dynamic:
            pad = max(self._prev_width - len(line), 0)
            sys.stdout.write("\r" + line + " " * pad + ("\n" if finalize else ""))
        else:
            print_msg(line)
        self._prev_width = len(line)
        sys.stdout.flush()

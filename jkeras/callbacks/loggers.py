"""Small callbacks that record or react to the logs: `CSVLogger`, `RemoteMonitor`,
`TerminateOnNaN`, `LambdaCallback`."""
import collections.abc
import csv
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from jkeras.callbacks.callback import Callback
from jkeras.utils.io_utils import print_msg

_HOOKS = tuple(name for name in vars(Callback) if name.startswith("on_"))


class CSVLogger(Callback):
    """Writes each epoch's logs as a row of a CSV file.

    The header is "epoch" and the sorted log keys of the first epoch (with "val_*" columns added
    when that epoch had none, filled with "NA" until validation runs). Values that are 1-D
    iterables are written as "[a, b]".

    Args:
        filename: path of the CSV file.
        separator: the field delimiter.
        append: append to an existing file (writing the header only if the file is empty)
            instead of overwriting it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            self.append_header = True
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            class Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and np.ndim(value) > 0:
        return f'"[{", ".join(map(str, value))}]"'
    return value.item() if isinstance(value, (np.ndarray, np.generic)) else value


class RemoteMonitor(Callback):
    """POSTs each epoch's logs (with "epoch") as JSON to `root + path`.

    Uses the standard library's HTTP client; an unreachable server warns and training goes on.

    Args:
        root: the server's root URL.
        path: path of the endpoint, appended to `root`.
        field: form field holding the JSON text when `send_as_json=False`.
        headers: dict of extra HTTP headers.
        send_as_json: send the JSON as the body ("application/json") instead of inside a
            form-encoded field.
        timeout: seconds to wait for the server before warning.
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False, timeout=10.0):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        send.update((key, _json_value(value)) for key, value in (logs or {}).items())
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)


def _json_value(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    array = np.asarray(value)
    return array.item() if array.ndim == 0 else array.tolist()


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or infinite.

    It reads the loss after every batch (one device-to-host copy per batch).

    Args:
        raise_error: raise a `RuntimeError` at once instead of setting `model.stop_training`.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(np.asarray(loss))
        if np.isfinite(loss):
            return
        where = f"Epoch {self._epoch + 1}, batch {batch}"
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered ({where}). Loss value: {loss}. "
                               "Terminating training immediately.")
        print_msg(f"{where}: Invalid loss ({loss}), terminating training")
        self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of the functions passed for some hooks.

    Functions take the hook's arguments positionally: `on_epoch_begin(epoch, logs)`,
    `on_epoch_end(epoch, logs)`, `on_batch_begin(batch, logs)`, `on_batch_end(batch, logs)`,
    `on_train_begin(logs)`, `on_train_end(logs)`; any other hook (`on_train_batch_end`,
    `on_test_end`, ...) may be passed by name.

    Raises:
        TypeError: for a keyword that names no hook.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unexpected keyword argument(s) {unknown}; "
                            f"valid hooks are {sorted(_HOOKS)}")
        kwargs.update(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                      on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                      on_train_begin=on_train_begin, on_train_end=on_train_end)
        for hook, function in kwargs.items():
            if function is not None:
                setattr(self, hook, function)

"""Where jkeras prints: stdout, or the Python logger "jkeras" when interactive logging is off
(`jkeras.config.disable_interactive_logging`)."""
import logging
import sys

from jkeras import config


def print_msg(message, line_break=True):
    """Prints `message` (the progress bars, `summary()`, callback messages).

    Args:
        message: the text.
        line_break: whether a newline follows it (stdout only; a log record is always one line).
    """
    if config.is_interactive_logging_enabled():
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        logging.getLogger("jkeras").info(message.strip("\r\n"))


class HDF5Matrix:
    """Keras 2's array-like view of an HDF5 dataset (h5py), usable as `x` / `y` in `fit`.

    Args:
        datapath: path of the HDF5 file.
        dataset: name of the dataset in it.
        start: first row used.
        end: row after the last used (default: the dataset's end).
        normalizer: optional function applied to each slice read.

    Raises:
        ValueError: if `start` / `end` do not lie in the dataset.
    """

    def __init__(self, datapath, dataset, start=0, end=None, normalizer=None):
        import h5py

        self._file = h5py.File(datapath, "r")
        self.data = self._file[dataset]
        rows = self.data.shape[0]
        self.start = int(start)
        self.end = rows if end is None else int(end)
        if not 0 <= self.start <= self.end <= rows:
            raise ValueError(f"HDF5Matrix: need 0 <= start <= end <= {rows} (the rows of '{dataset}'), got "
                             f"start={start}, end={end}")
        self.normalizer = normalizer

    def __len__(self):
        return self.end - self.start

    def __getitem__(self, key):
        import numpy as np

        if isinstance(key, slice):
            begin, stop, step = key.indices(len(self))
            out = self.data[self.start + begin:self.start + stop][::step]
        elif isinstance(key, (int, np.integer)):
            if not -len(self) <= key < len(self):
                raise IndexError(f"HDF5Matrix: row {key} out of range for {len(self)} rows")
            out = self.data[self.start + key % len(self)]
        else:
            rows = np.asarray(key) % len(self) + self.start  # h5py reads increasing, unique rows
            unique, inverse = np.unique(rows, return_inverse=True)
            out = self.data[unique][inverse]
        return self.normalizer(out) if self.normalizer is not None else out

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        out = self[:]
        return out if dtype is None else np.asarray(out, dtype)

    @property
    def shape(self):
        return (len(self),) + tuple(self.data.shape[1:])

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        import numpy as np

        return int(np.prod(self.shape))

"""`timeseries_dataset_from_array`: Keras 3's sliding windows as a `jkeras.utils.dataset_utils.Dataset`."""
import numpy as np

from jkeras.utils import dataset_utils


class _Windows(dataset_utils.Dataset):
    """Element i: `data[p + k * sampling_rate]` for k < sequence_length (and `targets[p]`), p the
    i-th start position."""

    def __init__(self, data, targets, positions, sequence_length, sampling_rate):
        super().__init__()
        self._data, self._targets, self._positions = data, targets, positions
        self._steps = np.arange(sequence_length, dtype=np.int64) * sampling_rate

    def __len__(self):
        return len(self._positions)

    def _item(self, index, pass_index):
        batch = self._batch_of([index], pass_index)
        return batch[0, ...] if self._targets is None else tuple(a[0, ...] for a in batch)

    def _batch_of(self, indices, pass_index, pad=False):
        starts = self._positions[np.asarray(indices, dtype=np.int64)].astype(np.int64)
        windows = self._data[starts[:, None] + self._steps[None, :]]
        return windows if self._targets is None else (windows, self._targets[starts])


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  format="tf"):  # noqa: A002 - Keras's argument name
    """Creates a dataset of sliding windows over a timeseries provided as an array.

    With `n = end_index - start_index - (sequence_length - 1) * sampling_rate` (at most
    `len(targets)`), window `j` starts at `p = start_index + j * sequence_stride` for `p` below
    `start_index + n` and holds `data[p], data[p + sampling_rate], ...` (`sequence_length`
    steps); its target is `targets[p]`.

    Args:
        data: array of consecutive timesteps (axis 0 is time).
        targets: the target of the window starting at each index, or None.
        sequence_length: timesteps per window.
        sequence_stride: period between successive windows.
        sampling_rate: period between successive timesteps within a window.
        batch_size: windows per batch; None yields single windows.
        shuffle: shuffle the windows (once, seeded, as Keras; then again in every pass within a
            buffer of `8 * batch_size`).
        seed: the shuffle seed.
        start_index: first timestep used (inclusive).
        end_index: last timestep used (exclusive).
        format: "tf" or "grain" (accepted; both give this `Dataset`).

    Returns:
        A `Dataset` yielding `(windows, targets)` batches (`windows` alone without targets).

    Raises:
        ValueError: for a bad index, stride or rate (named, with the received value).
    """
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= len(data):
            raise ValueError("`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {len(data)}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError("`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= len(data):
            raise ValueError("`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {len(data)}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: sampling_rate={sampling_rate}")
    if sampling_rate >= len(data):
        raise ValueError("`sampling_rate` must be lower than the length of the data. Received: "
                         f"sampling_rate={sampling_rate}, for data of length {len(data)}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: sequence_stride={sequence_stride}")
    if sequence_stride >= len(data):
        raise ValueError("`sequence_stride` must be lower than the length of the data. Received: "
                         f"sequence_stride={sequence_stride}, for data of length {len(data)}")
    dataset_utils.check_format_arg(format)
    if start_index is None:
        start_index = 0
    if end_index is None:
        end_index = len(data)
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    index_dtype = "int32" if num_seqs < 2147483647 else "int64"
    positions = np.arange(0, num_seqs, sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(positions)
    data = np.asarray(data)[start_index:end_index]
    if targets is not None:
        targets = np.asarray(targets)[start_index:end_index]
    ds = _Windows(data, targets, positions, int(sequence_length), int(sampling_rate))
    if shuffle:
        ds = ds.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    return ds

"""Keras 2's `keras.preprocessing.sequence`: `pad_sequences`, `TimeseriesGenerator`, `skipgrams`,
`make_sampling_table` (the IMDB, timeseries and word2vec tutorials' imports)."""
import json
import random

import numpy as np

from jkeras.utils.data_utils import Sequence, pad_sequences  # noqa: F401

__all__ = ["pad_sequences", "TimeseriesGenerator", "make_sampling_table", "skipgrams"]


class TimeseriesGenerator(Sequence):
    """Batches of sliding windows over a time series, with the target at each window's end.

    The sample ending at row `i` is `data[i - length : i : sampling_rate]` and its target is
    `targets[i]`; `i` runs from `start_index + length` to `end_index` (both included) in steps of
    `stride`.

    Args:
        data: indexable of consecutive timesteps (a list or NumPy array), time along axis 0.
        targets: targets for the timesteps of `data`, of the same length.
        length: length of the history window, in timesteps.
        sampling_rate: period between the timesteps kept in a window (a window holds
            `ceil(length / sampling_rate)` of them).
        stride: period between the end rows of successive windows.
        start_index: rows before `start_index` are not used (the first window ends at
            `start_index + length`).
        end_index: rows after `end_index` are not used (default: the last row).
        shuffle: whether each batch draws its end rows at random (with replacement, from
            NumPy's global random state) instead of in order.
        reverse: whether the timesteps of each window are in reverse chronological order.
        batch_size: windows per batch (except maybe the last one).
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size`, as for `Sequence`.

    Raises:
        ValueError: if `data` and `targets` differ in length, or if `start_index + length` is
            greater than `end_index`.

    Example:

        gen = TimeseriesGenerator(data, targets, length=10, batch_size=32)
        model.fit(gen, epochs=2)
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128, **kwargs):
        super().__init__(**kwargs)
        if len(data) != len(targets):
            raise ValueError(f"TimeseriesGenerator: data and targets must have the same length, got "
                             f"len(data)={len(data)} and len(targets)={len(targets)}")
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"TimeseriesGenerator: start_index + length must be at most end_index, got "
                             f"start_index + length={self.start_index} > end_index={self.end_index}; "
                             "no row would be left as a window's last step")

    def __len__(self):
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            i = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(i, min(i + self.batch_size * self.stride, self.end_index + 1), self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self):
        """The generator's configuration, with `data` and `targets` as JSON strings.

        As in Keras, `start_index` is the stored `start_index + length`.

        Returns:
            A dict, the `"config"` entry of `to_json`.

        Raises:
            TypeError: if `data` or `targets` can't be written as JSON.
        """
        def dumps(name, value):
            if type(value).__module__ == np.__name__:
                value = value.tolist()
            try:
                return json.dumps(value)
            except TypeError as e:
                raise TypeError(f"TimeseriesGenerator: {name} is not JSON serializable: {value!r}") from e

        return {
            "data": dumps("data", self.data),
            "targets": dumps("targets", self.targets),
            "length": self.length,
            "sampling_rate": self.sampling_rate,
            "stride": self.stride,
            "start_index": self.start_index,
            "end_index": self.end_index,
            "shuffle": self.shuffle,
            "reverse": self.reverse,
            "batch_size": self.batch_size,
        }

    def to_json(self, **kwargs):
        """The generator as a JSON string.

        Args:
            **kwargs: passed to `json.dumps`.

        Returns:
            A JSON string `{"class_name": "TimeseriesGenerator", "config": get_config()}`.
        """
        return json.dumps({"class_name": self.__class__.__name__, "config": self.get_config()}, **kwargs)


def make_sampling_table(size, sampling_factor=1e-5):
    """Word-rank sampling probabilities for `skipgrams` (word2vec's subsampling of frequent words).

    Assuming Zipf-distributed word frequencies, entry `i` is the probability of keeping the
    `i`-th most frequent word: `min(1, sqrt(f) / f)` with `f = sampling_factor * inv_freq(rank)`,
    `inv_freq(r) = r * (log(r) + gamma) + 1/2 - 1/(12 r)` and rank 0 counted as rank 1.

    Args:
        size: the number of words (the table's length).
        sampling_factor: word2vec's sampling factor.

    Returns:
        A 1D float64 NumPy array of length `size`.
    """
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """Skipgram word pairs of a sequence: in-window pairs (label 1) and random pairs (label 0).

    Index 0 is a non-word and is skipped. Randomness comes from Python's global `random`
    state, as in Keras: `sampling_table` and negative samples draw from it unseeded, and the
    shuffle reseeds it with `seed`.

    Args:
        sequence: a list of word indices (ranks of the words if `sampling_table` is given).
        vocabulary_size: the largest possible word index + 1.
        window_size: half-window: word `i` pairs with words `i - window_size` to
            `i + window_size`.
        negative_samples: negative pairs per positive pair (0 for none); each pairs a word of
            the positive pairs with a random index in `[1, vocabulary_size)`.
        shuffle: whether to shuffle the pairs (and their labels alike).
        categorical: whether labels are `[0, 1]` / `[1, 0]` instead of `1` / `0`.
        sampling_table: 1D array of length `vocabulary_size`; word `w` is used as a center
            word with probability `sampling_table[w]` (see `make_sampling_table`).
        seed: the seed of the shuffle (default: a random one).

    Returns:
        `(couples, labels)`: a list of `[word, context]` pairs and the list of their labels.
    """
    couples = []
    labels = []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i:
                wj = sequence[j]
                if not wj:
                    continue
                couples.append([wi, wj])
                labels.append([0, 1] if categorical else 1)

    if negative_samples > 0:
        num_negative = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)]
                    for i in range(num_negative)]
        labels += [[1, 0] if categorical else 0 for _ in range(num_negative)]

    if shuffle:
        if seed is None:
            seed = random.randint(0, 10_000_000)
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels

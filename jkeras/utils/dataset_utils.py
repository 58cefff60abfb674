"""Keras's dataset utilities without `tf.data`: a `PyDataset` with the `tf.data.Dataset` methods
tutorials call, `split_dataset`, and the file indexing shared by the `*_dataset_from_directory`
loaders.

`Dataset` is a `jkeras.utils.PyDataset`, so `model.fit(ds, validation_data=val_ds)`,
`model.evaluate(ds)` and `model.predict(ds)` read it batch by batch (files are read only when a
batch is asked for). Its items are NumPy arrays in the structure Keras yields (`(images, labels)`,
`images` alone, ...); iterating it gives them as `Tensor`s, NumPy arrays that also answer
`.numpy()` as `tf.Tensor` does.

How the `tf.data` methods map:

- `take(n)`, `skip(n)`, `map(fn)`, `batch(n)`, `padded_batch(n)`, `unbatch()`: as in `tf.data`,
  lazily (an item is computed when it is read).
- `shuffle(buffer_size, seed=None)`: `tf.data`'s buffer shuffle (an item is drawn at random from
  the next `buffer_size` ones), with NumPy's generator, a new order in every pass.
- `repeat(count)`: `count` passes in one; `repeat()` (forever) is the dataset itself: `fit`
  starts a new pass whenever `steps_per_epoch` asks for more batches.
- `prefetch(n)` and `cache()`: the dataset itself (`fit` already reads batches ahead on threads;
  items are recomputed in each pass rather than cached).
- `cardinality()` / `len(ds)`: the number of items; `as_numpy_iterator()`: plain NumPy items.

A pass is one `for` loop over the dataset or one epoch of `fit` (`on_epoch_end` starts the next).
"""
import os
import random
import threading

import numpy as np

from jkeras import tree
from jkeras.utils.data_utils import PyDataset
from jkeras.utils.io_utils import print_msg

INFINITE_CARDINALITY = -1
AUTOTUNE = -1


# --------------------------------------------------------------------------------------------
# Tensor: the NumPy array items come out as


class Tensor(np.ndarray):
    """A NumPy array that also answers `tf.Tensor.numpy()`.

    Indexing keeps the type (`images[i].numpy()`, a single value is a 0-d `Tensor`); arithmetic,
    reductions and NumPy functions return plain NumPy arrays and scalars.
    """

    def numpy(self):
        """The value as a plain NumPy array (a NumPy scalar, or bytes for a string, if 0-d)."""
        plain = self.view(np.ndarray)
        return plain[()] if plain.ndim == 0 else plain

    def __getitem__(self, key):
        out = super().__getitem__(key)
        if isinstance(out, np.ndarray):
            return out
        return np.asarray(out, dtype=self.dtype).view(Tensor)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if return_scalar and isinstance(array, np.ndarray) and array.ndim == 0:
            return array[()]
        return array.view(np.ndarray) if isinstance(array, np.ndarray) else array

    def __array_function__(self, func, types, args, kwargs):
        return func(*_plain(args), **_plain(kwargs))


def _plain(x):
    return tree.map_structure(lambda v: v.view(np.ndarray) if isinstance(v, Tensor) else v, x)


# --------------------------------------------------------------------------------------------
# Structures of arrays (tuples, lists, dicts of NumPy arrays)


_map = tree.map_structure
_leaves = tree.flatten


def _zip_map(fn, items):
    """`fn(list of leaves)` at every position of the common structure of `items`."""
    return tree.map_structure(lambda *leaves: fn(list(leaves)), *items)


def _to_numpy(x):
    """A leaf as a NumPy array (jax arrays copied to the host; str / bytes as 0-d object arrays)."""
    if isinstance(x, Tensor):
        return x.view(np.ndarray)
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (str, bytes)):
        return np.array(x, dtype=object)
    return np.asarray(x)


def _wrap(item):
    return _map(lambda a: np.asarray(a).view(Tensor), item)


def _unwrap(item):
    return _map(lambda a: a[()] if a.ndim == 0 else a, _map(_to_numpy, item))


def _stack_leaves(arrays, pad):
    if pad:
        arrays = [np.asarray(a) for a in arrays]
        if arrays[0].ndim:
            longest = max(a.shape[0] for a in arrays)
            arrays = [np.pad(a, [(0, longest - a.shape[0])] + [(0, 0)] * (a.ndim - 1)) for a in arrays]
    try:
        return np.stack(arrays)
    except ValueError as e:
        shapes = sorted({np.shape(a) for a in arrays})
        raise ValueError(
            f"Dataset.batch: the elements of a batch have different shapes {shapes}; resize them to one "
            f"shape first, or use padded_batch() for sequences of different lengths ({e})"
        ) from None


def _stack(items, pad=False):
    return _zip_map(lambda leaves: _stack_leaves(leaves, pad), items)


def _unstack(item, count):
    """The `count` elements of a batch `item`, each a structure of 0-d or larger arrays."""
    return [_map(lambda a: a[i, ...], item) for i in range(count)]


def _leading_size(item):
    sizes = {np.shape(a)[0] if np.ndim(a) else None for a in _leaves(item)}
    return sizes.pop() if len(sizes) == 1 else None


def _count(value, name, owner):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{owner}: {name} must be an int, received {name}={value!r}")
    return int(value)


# --------------------------------------------------------------------------------------------
# Dataset


class Dataset(PyDataset):
    """A `PyDataset` with the `tf.data.Dataset` methods tutorials call (see the module docstring).

    Subclasses give `__len__` (the number of items) and `_item(index, pass_index)`; the item
    order may depend on the pass (shuffling). Items are batches after `batch()`, elements
    otherwise.
    """

    # Keras's fit reads a tf.data.Dataset in its own order (fit's `shuffle` is ignored); a data
    # reader that honours this flag leaves the batch order to the dataset.
    ignores_fit_shuffle = True

    def __init__(self):
        super().__init__()
        self._pass = 0

    # -- what subclasses give ------------------------------------------------------------------

    def __len__(self):
        raise NotImplementedError

    def _item(self, index, pass_index):
        raise NotImplementedError

    def _batch_of(self, indices, pass_index, pad=False):
        """The items at `indices` stacked along a new first axis."""
        return _stack([self._item(int(i), pass_index) for i in indices], pad)

    @property
    def _depth(self):
        """How many `batch()` levels the items have (0: single elements)."""
        return 0

    def _sizes(self, pass_index):
        """The leading size of every item, for `unbatch()`."""
        raise ValueError(f"unbatch(): the items of {type(self).__name__} have no batch axis; unbatch() needs "
                         "a batched dataset")

    # -- PyDataset -------------------------------------------------------------------------------

    def __getitem__(self, index):
        index = _count(index, "index", "Dataset[index]")
        n = len(self)
        if not 0 <= index < n:
            raise IndexError(f"Dataset index {index} out of range for a dataset of {n} items")
        return _wrap(self._item(index, self._pass))

    def on_epoch_end(self):
        self._pass += 1

    def __iter__(self):
        pass_index = self._pass
        self._pass += 1
        for index in range(len(self)):
            yield _wrap(self._item(index, pass_index))

    def __bool__(self):
        return True

    def __repr__(self):
        return f"<Dataset cardinality={len(self)}>"

    # -- tf.data.Dataset methods -------------------------------------------------------------

    @staticmethod
    def from_tensor_slices(tensors):
        """A dataset of the slices of `tensors` (an array, or a tuple / list / dict of arrays of
        the same length) along their first axis."""
        return _Slices(tensors)

    def cardinality(self):
        """The number of items, as a 0-d int64 `Tensor`."""
        return np.asarray(len(self), np.int64).view(Tensor)

    def as_numpy_iterator(self):
        """Iterates over the items as plain NumPy arrays (single values as NumPy scalars / bytes)."""
        for item in self:
            yield _unwrap(item)

    def take(self, count):
        """The first `count` items (all of them for `count=-1`)."""
        count = _count(count, "count", "Dataset.take")
        n = len(self)
        return _Range(self, 0, n if count < 0 else min(count, n))

    def skip(self, count):
        """All but the first `count` items (none for `count=-1`)."""
        count = _count(count, "count", "Dataset.skip")
        n = len(self)
        return _Range(self, n if count < 0 else min(count, n), n)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Applies `map_func` to every item: `map_func(*item)` for a tuple item, else
        `map_func(item)`. JAX arrays it returns become NumPy arrays."""
        del num_parallel_calls, deterministic, name
        if not callable(map_func):
            raise ValueError(f"Dataset.map: map_func must be callable, received {map_func!r}")
        return _Map(self, map_func)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Stacks `batch_size` consecutive items into one (the last one may be smaller unless
        `drop_remainder`)."""
        del num_parallel_calls, deterministic, name
        return _Batch(self, _positive(batch_size, "batch_size", "Dataset.batch"), drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        """`batch`, with the first axis of every element zero-padded to the longest in its batch."""
        del name
        if padded_shapes is not None or padding_values is not None:
            raise ValueError("Dataset.padded_batch: only padded_shapes=None and padding_values=None (zeros, "
                             f"to the longest element) are supported, received padded_shapes={padded_shapes!r}, "
                             f"padding_values={padding_values!r}")
        return _Batch(self, _positive(batch_size, "batch_size", "Dataset.padded_batch"), drop_remainder, pad=True)

    def unbatch(self, name=None):
        """The elements of the batches, one by one."""
        del name
        if isinstance(self, _Batch) and not self._drop_remainder and not self._pad:
            return self._parent
        if self._depth < 1:
            raise ValueError("Dataset.unbatch: the dataset is not batched (its items have no batch axis)")
        return _Unbatch(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Shuffles the items as `tf.data` does: each is drawn at random from a buffer of the next
        `buffer_size` items; a new order every pass unless `reshuffle_each_iteration=False`."""
        del name
        buffer_size = _count(buffer_size, "buffer_size", "Dataset.shuffle")
        if buffer_size == 0 or buffer_size < -1:
            raise ValueError(f"Dataset.shuffle: buffer_size must be positive (or -1: all), received "
                             f"buffer_size={buffer_size}")
        return _Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None, name=None):
        """`count` passes over the items as one dataset; `repeat()` is the dataset itself."""
        del name
        if count is None or _count(count, "count", "Dataset.repeat") < 0:
            return self
        return _Repeat(self, int(count))

    def prefetch(self, buffer_size=None, name=None):
        """The dataset itself: `fit` / `evaluate` / `predict` read batches ahead on threads."""
        del buffer_size, name
        return self

    def cache(self, filename="", name=None):
        """The dataset itself: items are recomputed (files read again) in every pass."""
        del filename, name
        return self

    def with_options(self, options, name=None):
        """The dataset itself."""
        del options, name
        return self

    def apply(self, transformation_func):
        """`transformation_func(self)`."""
        return transformation_func(self)


def _positive(value, name, owner):
    value = _count(value, name, owner)
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, received {name}={value}")
    return value


class _Slices(Dataset):
    """The slices of arrays along their first axis."""

    def __init__(self, tensors):
        super().__init__()
        if isinstance(tensors, list):
            tensors = np.asarray(tensors)
        self._tensors = _map(_to_numpy, tensors)
        lengths = {a.shape[0] if a.ndim else None for a in _leaves(self._tensors)}
        if len(lengths) != 1 or None in lengths:
            raise ValueError("Dataset.from_tensor_slices: all arrays must have the same first dimension, "
                             f"received first dimensions {sorted(lengths, key=str)}")
        self._n = lengths.pop()

    def __len__(self):
        return self._n

    def _item(self, index, pass_index):
        return _map(lambda a: a[index, ...], self._tensors)

    def _batch_of(self, indices, pass_index, pad=False):
        indices = np.asarray(indices, dtype=np.int64)
        return _map(lambda a: a[indices], self._tensors)


class _Range(Dataset):
    def __init__(self, parent, start, stop):
        super().__init__()
        self._parent, self._start, self._stop = parent, start, max(start, stop)

    def __len__(self):
        return self._stop - self._start

    @property
    def _depth(self):
        return self._parent._depth

    def _item(self, index, pass_index):
        return self._parent._item(self._start + index, pass_index)

    def _batch_of(self, indices, pass_index, pad=False):
        return self._parent._batch_of(np.asarray(indices) + self._start, pass_index, pad)

    def _sizes(self, pass_index):
        return self._parent._sizes(pass_index)[self._start:self._stop]


class _Map(Dataset):
    def __init__(self, parent, fn):
        super().__init__()
        self._parent, self._fn = parent, fn

    def __len__(self):
        return len(self._parent)

    @property
    def _depth(self):
        return self._parent._depth

    def _item(self, index, pass_index):
        item = _wrap(self._parent._item(index, pass_index))
        out = self._fn(*item) if isinstance(item, tuple) else self._fn(item)
        if isinstance(out, list):
            out = tuple(out)
        return _map(_to_numpy, out)

    def _sizes(self, pass_index):
        return self._parent._sizes(pass_index)


def _buffer_order(n, buffer_size, rng):
    """The order in which `tf.data`'s shuffle buffer of `buffer_size` emits `n` items."""
    if buffer_size < 0 or buffer_size >= n:
        return rng.permutation(n)
    buffer = list(range(buffer_size))
    order = np.empty(n, np.int64)
    draws = rng.integers(0, np.minimum(buffer_size, n - np.arange(n)))
    following = buffer_size
    for k in range(n):
        j = int(draws[k])
        order[k] = buffer[j]
        if following < n:
            buffer[j] = following
            following += 1
        else:
            buffer[j] = buffer[-1]
            buffer.pop()
    return order


class _Shuffle(Dataset):
    def __init__(self, parent, buffer_size, seed, reshuffle):
        super().__init__()
        self._parent, self._buffer_size, self._reshuffle = parent, buffer_size, reshuffle
        self._seed = int(np.random.randint(2**31 - 1)) if seed is None else int(seed)
        self._orders = {}
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._parent)

    @property
    def _depth(self):
        return self._parent._depth

    def _order(self, pass_index):
        key = pass_index if self._reshuffle else 0
        with self._lock:
            order = self._orders.get(key)
            if order is None:
                rng = np.random.default_rng([self._seed, key])
                order = _buffer_order(len(self._parent), self._buffer_size, rng)
                if len(self._orders) > 4:
                    self._orders.pop(min(self._orders))
                self._orders[key] = order
        return order

    def _item(self, index, pass_index):
        return self._parent._item(int(self._order(pass_index)[index]), pass_index)

    def _batch_of(self, indices, pass_index, pad=False):
        return self._parent._batch_of(self._order(pass_index)[np.asarray(indices, np.int64)], pass_index, pad)

    def _sizes(self, pass_index):
        return np.asarray(self._parent._sizes(pass_index))[self._order(pass_index)]


class _Batch(Dataset):
    def __init__(self, parent, batch_size, drop_remainder, pad=False):
        super().__init__()
        self._parent, self._batch_size = parent, batch_size
        self._drop_remainder, self._pad = bool(drop_remainder), pad

    def __len__(self):
        n = len(self._parent)
        return n // self._batch_size if self._drop_remainder else -(-n // self._batch_size)

    @property
    def _depth(self):
        return self._parent._depth + 1

    def _item(self, index, pass_index):
        start = index * self._batch_size
        stop = min(start + self._batch_size, len(self._parent))
        return self._parent._batch_of(np.arange(start, stop), pass_index, self._pad)

    def _sizes(self, pass_index):
        sizes = np.full(len(self), self._batch_size, np.int64)
        if sizes.size and not self._drop_remainder:
            sizes[-1] = len(self._parent) - self._batch_size * (len(self) - 1)
        return sizes


class _Unbatch(Dataset):
    def __init__(self, parent):
        super().__init__()
        self._parent = parent
        self._n = int(np.sum(parent._sizes(0)))
        self._offsets = {}
        self._cache = {}
        self._lock = threading.Lock()

    def __len__(self):
        return self._n

    @property
    def _depth(self):
        return self._parent._depth - 1

    def _locate(self, index, pass_index):
        with self._lock:
            offsets = self._offsets.get(pass_index)
            if offsets is None:
                offsets = np.cumsum(self._parent._sizes(pass_index))
                self._offsets = {pass_index: offsets}
        j = int(np.searchsorted(offsets, index, side="right"))
        return j, index - (int(offsets[j - 1]) if j else 0), int(offsets[j] - (offsets[j - 1] if j else 0))

    def _item(self, index, pass_index):
        j, k, expected = self._locate(index, pass_index)
        key = (pass_index, j)
        with self._lock:
            batch = self._cache.get(key)
        if batch is None:
            batch = self._parent._item(j, pass_index)
            size = _leading_size(batch)
            if size != expected:
                raise ValueError(f"Dataset.unbatch: item {j} has leading size {size} where the batch size "
                                 f"{expected} was expected (a map() function must keep the batch axis)")
            with self._lock:
                if len(self._cache) >= 8:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = batch
        return _map(lambda a: a[k, ...], batch)


class _Repeat(Dataset):
    def __init__(self, parent, count):
        super().__init__()
        self._parent, self._count = parent, count

    def __len__(self):
        return len(self._parent) * self._count

    @property
    def _depth(self):
        return self._parent._depth

    def _item(self, index, pass_index):
        n = len(self._parent)
        return self._parent._item(index % n, pass_index * self._count + index // n)


# --------------------------------------------------------------------------------------------
# Datasets of files


class _Files(Dataset):
    """Elements `(load(path), label)` (or `load(path)` without labels), read when asked for."""

    def __init__(self, paths, labels, load):
        super().__init__()
        self._paths, self._labels, self._load = list(paths), labels, load

    def __len__(self):
        return len(self._paths)

    def _item(self, index, pass_index):
        value = self._load(self._paths[index])
        return value if self._labels is None else (value, self._labels[index])


def encode_labels(labels, label_mode, num_classes):
    """Integer class indices as Keras's datasets yield them: int32 `(n,)` ("int"), float32
    `(n, 1)` ("binary") or one-hot float32 `(n, num_classes)` ("categorical")."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    if label_mode == "categorical":
        return (labels[:, None] == np.arange(num_classes)[None, :]).astype(np.float32)
    return labels.astype(np.int32)


def files_dataset(paths, labels, label_mode, num_classes, load, batch_size, shuffle, seed, pad=False):
    """The dataset of Keras's loaders: elements shuffled every pass (buffer `8 * batch_size`, or
    1024 unbatched) when `shuffle`, then batched unless `batch_size` is None."""
    encoded = None if not label_mode else encode_labels(labels, label_mode, num_classes)
    ds = _Files(paths, encoded, load)
    if shuffle:
        ds = ds.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
    if batch_size is not None:
        ds = ds.padded_batch(batch_size) if pad else ds.batch(batch_size)
    return ds


# --------------------------------------------------------------------------------------------
# Indexing a directory (Keras's file order and seeded shuffle)


def check_labels_arg(labels, class_names, what):
    """Keras's checks of `labels` / `class_names` for the `*_dataset_from_directory` loaders."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size as the number "
                f"of {what} files in the target directory. If you wish to infer the labels from the "
                'subdirectory names in the target directory, pass `labels="inferred"`. If you wish to get a '
                f"dataset that only contains {what} samples (no labels), pass `labels=None`. "
                f"Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. '
                f"Received: labels={labels}, and class_names={class_names}"
            )


def check_label_mode_arg(label_mode):
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", '
            f"or None. Received: label_mode={label_mode}"
        )


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Raises Keras's errors for bad `validation_split` / `subset` / `seed` combinations."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` argument, to make "
            "sure that there is no overlap between the training and validation subset."
        )


def _iter_valid_files(directory, follow_links, formats):
    walk = os.walk(directory, followlinks=follow_links)
    for root, _, files in sorted(walk, key=lambda x: x[0]):
        for fname in sorted(files):
            if fname.lower().endswith(formats):
                yield root, fname


def _index_subdirectory(directory, class_index, follow_links, formats):
    dirname = os.path.basename(directory)
    filenames = []
    for root, fname in _iter_valid_files(directory, follow_links, formats):
        filenames.append(os.path.join(dirname, os.path.relpath(os.path.join(root, fname), directory)))
    return filenames, [class_index] * len(filenames)


def index_files(directory, labels, label_mode, class_names, formats, shuffle, seed, validation_split, subset,
                follow_links, verbose):
    """The first steps of every `*_dataset_from_directory`, as Keras takes them: checks the
    split arguments, draws a seed when none is given, lists the files (`index_directory`) and
    checks a binary label mode.

    Returns:
        `(paths, labels, class_names, seed)`.
    """
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(directory, labels, formats=formats, class_names=class_names,
                                                 shuffle=shuffle, seed=seed, follow_links=follow_links,
                                                 verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 class_names. '
                         f"Received: class_names={class_names}")
    return paths, labels, class_names, seed


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True):
    """Lists the files of `directory` with their labels, in Keras's order.

    Files are sorted by folder then name (`os.walk`), class by class; with `shuffle` the paths
    and labels are shuffled by `np.random.RandomState(seed).shuffle`, as Keras does.

    Args:
        directory: the folder (one subfolder per class when `labels="inferred"`).
        labels: "inferred", None, or a list / tuple of integer labels, one per file in order.
        formats: tuple of accepted lowercase file extensions (".png", ...).
        class_names: the subfolders to use, in this order (`labels="inferred"` only).
        shuffle: shuffle the files.
        seed: the shuffle seed (default: drawn at random).
        follow_links: follow symbolic links to folders.
        verbose: print how many files and classes were found.

    Returns:
        `(file_paths, labels, class_names)`: labels an int32 array (a list for given labels, None
        without labels), class_names None without labels.

    Raises:
        ValueError: for `class_names` that are not subfolders, `class_names` with explicit or no
            labels, or a number of labels unlike the number of files.
    """
    if labels == "inferred":
        subdirs = []
        for subdir in sorted(os.listdir(directory)):
            if os.path.isdir(os.path.join(directory, subdir)) and not subdir.startswith("."):
                subdirs.append(subdir[:-1] if subdir.endswith("/") else subdir)
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories of the target "
                    f"directory. Expected: {subdirs} (or a subset of it), but received: class_names={class_names}"
                )
            subdirs = class_names
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be specified.")
            raise ValueError(
                "When argument `labels` is specified, argument `class_names` cannot be specified (the "
                "`class_names` will be the sorted list of labels)."
            )
    class_names = list(subdirs)
    filenames, labels_list = [], []
    for index, subdir in enumerate(subdirs):
        names, part = _index_subdirectory(os.path.join(directory, subdir), index, follow_links, formats)
        filenames += names
        labels_list += part
    if labels == "inferred":
        labels = np.asarray(labels_list, dtype="int32")
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target directory. "
                f"len(labels) is {len(labels)} while we found {len(filenames)} files in directory {directory}."
            )
        class_names = [str(label) for label in sorted(set(labels))]
        labels = list(labels)
    if verbose:
        if labels is None:
            print_msg(f"Found {len(filenames)} files.")
        else:
            print_msg(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    file_paths = [os.path.join(directory, fname) for fname in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, class_names


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """The training (all but the last `int(validation_split * n)`) or validation (those last)
    samples and labels; all of them without `validation_split`."""
    if not validation_split:
        return samples, labels
    num_val_samples = int(validation_split * len(samples))
    if subset == "training":
        print_msg(f"Using {len(samples) - num_val_samples} files for training.")
        samples = samples[:-num_val_samples]
        if labels is not None:
            labels = labels[:-num_val_samples]
    elif subset == "validation":
        print_msg(f"Using {num_val_samples} files for validation.")
        samples = samples[-num_val_samples:]
        if labels is not None:
            labels = labels[-num_val_samples:]
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')
    return samples, labels


def check_format_arg(format):  # noqa: A002 - Keras's argument name
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')


def directory_datasets(directory, file_paths, labels, label_mode, class_names, validation_split, subset,
                       make, what, formats_message):
    """The dataset (or the training and validation pair for `subset="both"`) of a loader.

    `make(paths, labels, training)` builds one dataset; `class_names` is set on each.
    """
    if subset == "both":
        train_paths, train_labels = get_training_or_validation_split(file_paths, labels, validation_split,
                                                                     "training")
        val_paths, val_labels = get_training_or_validation_split(file_paths, labels, validation_split, "validation")
        if not train_paths:
            raise ValueError(f"No training {what} found in directory {directory}. {formats_message}")
        if not val_paths:
            raise ValueError(f"No validation {what} found in directory {directory}. {formats_message}")
        train, val = make(train_paths, train_labels, True), make(val_paths, val_labels, False)
        train.class_names = val.class_names = class_names
        return [train, val]
    file_paths, labels = get_training_or_validation_split(file_paths, labels, validation_split, subset)
    if not file_paths:
        raise ValueError(f"No {what} found in directory {directory}. {formats_message}")
    dataset = make(file_paths, labels, True)
    dataset.class_names = class_names
    return dataset


# --------------------------------------------------------------------------------------------
# split_dataset


def _rescale_split_sizes(left_size, right_size, total_length):
    """Keras's `left_size` / `right_size` checks and their conversion to sample counts."""
    left_type, right_type = type(left_size), type(right_size)
    if (left_size is not None and left_type not in (int, float)) and (
            right_size is not None and right_type not in (int, float)):
        raise TypeError(
            "Invalid `left_size` and `right_size` Types. Expected: integer or float or None, Received: "
            f"type(left_size)={left_type} and type(right_size)={right_type}"
        )
    if left_size is not None and left_type not in (int, float):
        raise TypeError(f"Invalid `left_size` Type. Expected: int or float or None, Received: "
                        f"type(left_size)={left_type}.")
    if right_size is not None and right_type not in (int, float):
        raise TypeError(f"Invalid `right_size` Type. Expected: int or float or None, Received: "
                        f"type(right_size)={right_type}.")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the split sizes must be "
                         "non-zero.")
    if (left_type is int and (left_size <= 0 or left_size >= total_length)
            or left_type is float and (left_size <= 0 or left_size >= 1)):
        raise ValueError(f"`left_size` should be either a positive integer smaller than {total_length}, or a "
                         f"float within the range `[0, 1]`. Received: left_size={left_size}")
    if (right_type is int and (right_size <= 0 or right_size >= total_length)
            or right_type is float and (right_size <= 0 or right_size >= 1)):
        raise ValueError(f"`right_size` should be either a positive integer and smaller than {total_length} or "
                         f"a float within the range `[0, 1]`. Received: right_size={right_size}")
    if right_type is left_type is float and right_size + left_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be less than or "
                         "equal to 1.")
    if left_type is float:
        left_size = round(left_size * total_length)
    if right_type is float:
        right_size = round(right_size * total_length)
    if left_size is None:
        left_size = total_length - right_size
    elif right_size is None:
        right_size = total_length - left_size
    if left_size + right_size > total_length:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the {total_length}. "
                         f"Received: left_size + right_size = {left_size + right_size} and total_length = "
                         f"{total_length}")
    for split, side in ((left_size, "left"), (right_size, "right")):
        if split == 0:
            raise ValueError(f"With `dataset` of length={total_length}, `left_size`={left_size} and "
                             f"`right_size`={right_size}. Resulting {side} side dataset split will be empty. "
                             "Adjust any of the aforementioned parameters")
    return int(left_size), int(right_size)


def _samples(dataset):
    """`(samples, batch_size)`: the list of samples of `dataset` (a NumPy array, a list / tuple of
    arrays, or a `Dataset`, unbatched) and the batch size to restore."""
    if isinstance(dataset, Dataset):
        batch_size = dataset._batch_size if isinstance(dataset, _Batch) else None
        elements = dataset
        while elements._depth > 0:
            elements = elements.unbatch()
        return [_map(_to_numpy, item) for item in elements], batch_size
    if isinstance(dataset, np.ndarray):
        if dataset.ndim == 0 or len(dataset) == 0:
            raise ValueError("Received an empty dataset. Argument `dataset` must be a non-empty list/tuple of "
                             "`numpy.ndarray` objects or `Dataset` objects.")
        return list(dataset), None
    kind = type(dataset).__name__
    if len(dataset) == 0:
        raise ValueError(f"Received an empty {kind} dataset. Please provide a non-empty {kind} of arrays.")
    expected = None
    for i, element in enumerate(dataset):
        if not isinstance(element, np.ndarray):
            raise ValueError(f"Expected a {kind} of `numpy.ndarray` objects, Received: {type(element)} at index {i}.")
        if expected is None:
            expected = element.shape
        elif element.shape[0] != expected[0]:
            raise ValueError(
                f"Received a {kind} of NumPy arrays with different lengths. Mismatch found at index {i}, "
                f"Expected shape={expected} Received shape={element.shape}. Please provide a {kind} of NumPy "
                "arrays of the same length."
            )
    return list(zip(*dataset)), None


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Splits a dataset into a left half and a right half (e.g. train / test).

    As Keras: the samples are listed (a batched `Dataset` is unbatched), shuffled with Python's
    `random.Random(seed).shuffle` when `shuffle`, the first `left_size` go left and the last
    `right_size` go right.

    Args:
        dataset: a NumPy array, a list / tuple of arrays of the same length, or a `Dataset`.
        left_size: float in (0, 1) (a fraction) or int (a number of samples) for the left split;
            None: the complement of `right_size`.
        right_size: the same for the right split; None: the complement of `left_size`.
        shuffle: shuffle the samples before splitting.
        seed: the shuffle seed (default: drawn at random).
        preferred_backend: accepted for Keras compatibility; unused.

    Returns:
        `(left, right)`, two `Dataset`s of samples, batched with the batch size of `dataset` if it
        was a batched `Dataset`.

    Raises:
        TypeError: for another kind of `dataset`, or sizes that are not int / float / None.
        ValueError: for sizes both None, out of range or leaving a split empty, or an empty dataset.
    """
    del preferred_backend
    if not isinstance(dataset, (tuple, list, np.ndarray, Dataset)):
        raise TypeError("The `dataset` argument must be either a `Dataset` object, or a list/tuple of arrays. "
                        f"Received: dataset={dataset!r} of type {type(dataset)}")
    if right_size is None and left_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. Received: "
                         "left_size=None and right_size=None")
    samples, batch_size = _samples(dataset)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(samples)
    left_size, right_size = _rescale_split_sizes(left_size, right_size, len(samples))
    splits = []
    for part in (samples[:left_size], samples[-right_size:]):
        ds = _Slices(_zip_map(lambda leaves: np.stack([_to_numpy(v) for v in leaves]), part))
        splits.append(ds if batch_size is None else ds.batch(batch_size))
    return tuple(splits)

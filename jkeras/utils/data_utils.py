"""Data helpers Keras users reach for: `Sequence`, `get_file`, `pad_sequences`, and Keras 2's
`OrderedEnqueuer` / `GeneratorEnqueuer` (batches read ahead on threads).

`get_file` downloads into the Keras cache (`$KERAS_HOME`, else `~/.keras`), verifies the file's
sha256 / md5 hash and extracts tar / zip archives without letting a member escape the target
folder.
"""
import concurrent.futures
import hashlib
import os
import queue
import shutil
import tarfile
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

import numpy as np

from jkeras.utils.progbar import Progbar


class Sequence:
    """Base class of batch datasets for `fit` / `evaluate` / `predict`.

    Implement `__len__` (the number of batches) and `__getitem__(index)` (one batch: `x`,
    `(x, y)` or `(x, y, sample_weight)`); `on_epoch_end` runs after every pass over the batches
    (shuffle the samples there). Unlike a generator, a Sequence can be read by several threads
    at once while the batches still reach the model in order.

    Args:
        workers: threads that read batches (0: read them on the main thread).
        use_multiprocessing: accepted for Keras compatibility; batches are read in threads.
        max_queue_size: batches read ahead of the training step.

    Example:

        class Batches(jkeras.utils.Sequence):
            def __init__(self, x, y, batch_size):
                super().__init__()
                self.x, self.y, self.batch_size = x, y, batch_size

            def __len__(self):
                return -(-len(self.x) // self.batch_size)

            def __getitem__(self, i):
                s = slice(i * self.batch_size, (i + 1) * self.batch_size)
                return self.x[s], self.y[s]
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__()")

    @property
    def num_batches(self):
        """`len(self)` (the Keras 3 `PyDataset` name)."""
        return len(self)

    def on_epoch_begin(self):
        """Called before each pass over the batches."""

    def on_epoch_end(self):
        """Called after each pass over the batches."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


PyDataset = Sequence


# --------------------------------------------------------------------------------------------
# Enqueuers (Keras 2): batches read ahead on threads, for custom training loops


class SequenceEnqueuer:
    """Reads batches ahead on background threads into a queue (Keras 2's base class):
    `start()`, then iterate `get()`, then `stop()`.

    Args:
        sequence: what the subclass reads (a `Sequence`, or a generator).
        use_multiprocessing: accepted; jkeras reads on threads (a warning says so when True).
    """

    def __init__(self, sequence, use_multiprocessing=False):
        self.sequence = sequence
        self.use_multiprocessing = use_multiprocessing
        if use_multiprocessing:
            warnings.warn("use_multiprocessing=True: jkeras reads batches on threads", stacklevel=2)
        self.workers = 0
        self.queue = None
        self._stop = None
        self._thread = None

    def is_running(self):
        return self._stop is not None and not self._stop.is_set()

    def start(self, workers=1, max_queue_size=10):
        """Starts reading with `workers` threads, keeping up to `max_queue_size` batches ahead."""
        self.workers = max(1, int(workers))
        self.queue = queue.Queue(max(1, int(max_queue_size)))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="jkeras_enqueuer")
        self._thread.start()

    def _put(self, item):
        """Puts `item` on the queue unless stopped; False once stopped."""
        while not self._stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def stop(self, timeout=None):
        """Stops reading and waits for the reading thread (at most `timeout` seconds)."""
        if self._stop is None:
            return
        self._stop.set()
        while self.queue is not None and not self.queue.empty():
            self.queue.get_nowait()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _run(self):
        raise NotImplementedError

    def get(self):
        """Yields the batches, as they are read; a reading error is raised here."""
        while self.is_running() or (self.queue is not None and not self.queue.empty()):
            try:
                kind, value = self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if kind == "end":
                return
            if kind == "error":
                self.stop()
                raise value
            yield value.result() if isinstance(value, concurrent.futures.Future) else value


class OrderedEnqueuer(SequenceEnqueuer):
    """Reads a `Sequence` ahead, batches in order (epoch after epoch, calling `on_epoch_end`
    between them), with `workers` threads calling `sequence[i]` (Keras 2).

    Args:
        sequence: a `jkeras.utils.Sequence`.
        use_multiprocessing: accepted; threads are used.
        shuffle: whether each epoch reads the batches in a new random order.
    """

    def __init__(self, sequence, use_multiprocessing=False, shuffle=False):
        super().__init__(sequence, use_multiprocessing)
        self.shuffle = shuffle

    def _run(self):
        with concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="jkeras_enqueuer") as pool:
            while not self._stop.is_set():
                order = list(range(len(self.sequence)))
                if self.shuffle:
                    np.random.shuffle(order)
                futures = [pool.submit(self.sequence.__getitem__, index) for index in order[:self.workers]]
                for position in range(len(order)):
                    ahead = position + self.workers  # `workers` reads run ahead of the queue
                    if ahead < len(order):
                        futures.append(pool.submit(self.sequence.__getitem__, order[ahead]))
                    if not self._put(("batch", futures[position])):
                        return
                concurrent.futures.wait(futures)  # every batch of the epoch is read...
                while not self.queue.empty() and not self._stop.is_set():  # ...and taken
                    self._stop.wait(0.01)
                self.sequence.on_epoch_end()


class GeneratorEnqueuer(SequenceEnqueuer):
    """Reads a generator ahead on a thread (Keras 2); `get()` ends when the generator does.

    Args:
        generator: a generator (or any iterator) of batches.
        use_multiprocessing: accepted; a thread is used.
        wait_time, random_seed: accepted (Keras 2's process settings).
    """

    def __init__(self, generator, use_multiprocessing=False, wait_time=None, random_seed=None):
        del wait_time, random_seed
        super().__init__(generator, use_multiprocessing)

    def _run(self):
        try:
            for batch in self.sequence:
                if not self._put(("batch", batch)):
                    return
            self._put(("end", None))
        except Exception as error:  # noqa: BLE001 (re-raised by get())
            self._put(("error", error))


# --------------------------------------------------------------------------------------------
# get_file


def keras_home():
    """The Keras cache folder: `$KERAS_HOME`, else `~/.keras` (`/tmp/.keras` if home is read-only)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else tempfile.gettempdir(), ".keras")


def _hasher(algorithm, file_hash=None):
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"hash_algorithm must be 'auto', 'sha256' or 'md5', got {algorithm!r}")


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex sha256 (or md5) digest of the file at `fpath`."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file at `fpath` has the sha256 / md5 digest `file_hash` ("auto": by its length)."""
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


def _inside(base, name):
    target = os.path.realpath(os.path.join(base, name))
    return os.path.commonpath([target, base]) == base


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extracts a tar (.tar, .tar.gz, .tar.bz2) or zip archive into `path`.

    Members whose path (or link target) would land outside `path` are refused.

    Returns:
        True if `file_path` was an archive of one of the formats and was extracted, else False.

    Raises:
        ValueError: for a member that would escape `path`.
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format)
    )
    base = os.path.realpath(path)
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                for member in archive.getmembers():
                    link = member.issym() or member.islnk()
                    link_target = os.path.join(os.path.dirname(member.name), member.linkname) if member.issym() \
                        else member.linkname
                    if not _inside(base, member.name) or (link and not _inside(base, link_target)):
                        raise ValueError(f"extract_archive: {file_path} member {member.name!r} escapes {path}")
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                archive.extractall(path, **extra)
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                for name in archive.namelist():
                    if not _inside(base, name):
                        raise ValueError(f"extract_archive: {file_path} member {name!r} escapes {path}")
                archive.extractall(path)
            return True
        if fmt not in ("tar", "zip"):
            raise ValueError(f"archive_format must be 'auto', 'tar', 'zip' or None, got {fmt!r}")
    return False


def _download(origin, target):
    """Downloads `origin` to `target` (via a partial file), with a progress bar."""
    print(f"Downloading data from {origin}", flush=True)
    bar = {}

    def report(block_num, block_size, total_size):
        if "bar" not in bar:
            bar["bar"] = Progbar(total_size if total_size > 0 else None)
        done = block_num * block_size
        bar["bar"].update(min(done, total_size) if total_size > 0 else done)

    partial = target + ".part"
    try:
        urllib.request.urlretrieve(origin, partial, report)
    except BaseException as e:
        if os.path.exists(partial):
            os.remove(partial)
        if isinstance(e, urllib.error.HTTPError):
            raise OSError(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
        if isinstance(e, urllib.error.URLError):
            raise OSError(f"URL fetch failure on {origin}: {e.reason}") from e
        raise
    return partial


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Downloads a file from a URL unless it is already in the cache, and returns its path.

    The file goes to `cache_dir/cache_subdir/fname` (default `~/.keras/datasets/fname`, or
    `$KERAS_HOME/datasets/fname`). A cached file whose hash does not match `file_hash` is
    downloaded again.

    Args:
        fname: local file name (default: the last part of `origin`'s path). With `extract`, a
            name without a dot names the extraction folder.
        origin: URL of the file.
        untar: Keras 1 spelling of `extract=True` for tar archives.
        md5_hash: Keras 1 spelling of `file_hash` with `hash_algorithm="md5"`.
        file_hash: expected sha256 (64 hex digits) or md5 (32) digest of the file.
        cache_subdir: folder under `cache_dir` (an absolute path is used as it is).
        hash_algorithm: "auto" (by the length of `file_hash`), "sha256" or "md5".
        extract: extract the downloaded tar / zip archive and return the extraction folder.
        archive_format: "auto", "tar", "zip" or None.
        cache_dir: cache folder (default `$KERAS_HOME` or `~/.keras`).
        force_download: download even when the file is cached.

    Returns:
        The path of the file, or of the extraction folder with `extract=True`.

    Raises:
        ValueError: without `origin`, for an `fname` with a folder in it, or when the downloaded
            file does not match `file_hash` (the bad file is not kept).
        OSError: when the download fails.
    """
    if origin is None:
        raise ValueError('get_file: specify the "origin" argument (URL of the file to download)')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(cache_dir if cache_dir is not None else keras_home())
    if not os.access(base, os.W_OK) and os.path.exists(base):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    given = None if fname is None else os.fspath(fname)
    if not given:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"get_file: can't take a file name from origin {origin!r}; pass `fname`")
    else:
        fname = given
        if os.sep in fname or (os.altsep and os.altsep in fname):
            raise ValueError(
                f"get_file: fname must be a file name, got {fname!r}; choose its folder with `cache_dir` "
                "and `cache_subdir`"
            )
    extract = extract or untar
    if extract:
        if given and "." in fname:
            target = os.path.join(datadir, fname)
            extract_dir = os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
        else:
            target = os.path.join(datadir, fname + "_archive")
            extract_dir = os.path.join(datadir, fname)
    else:
        target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
        print(f"A local file was found, but its {hash_algorithm} hash does not match {file_hash}: "
              "downloading it again.", flush=True)
        download = True
    if download:
        partial = _download(origin, target)
        if file_hash is not None and not validate_file(partial, file_hash, hash_algorithm):
            os.remove(partial)
            raise ValueError(
                f"get_file: the file downloaded from {origin} is incomplete or corrupted: its "
                f"{hash_algorithm} hash does not match the expected {file_hash}"
            )
        os.replace(partial, target)
    if extract:
        if download or not os.path.exists(extract_dir):
            if os.path.isdir(extract_dir):
                shutil.rmtree(extract_dir)
            if not extract_archive(target, extract_dir, "tar" if untar else archive_format):
                raise ValueError(f"get_file: {target} is not a tar or zip archive, so it can't be extracted")
        return extract_dir
    return target


# --------------------------------------------------------------------------------------------
# pad_sequences


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (or truncates) sequences to one length: a 2D (or higher) NumPy array.

    Args:
        sequences: list of sequences (lists or arrays); their items may themselves be arrays.
        maxlen: output length (default: the longest sequence).
        dtype: dtype of the output (`object` for variable-length strings).
        padding: "pre" or "post": pad before or after each sequence.
        truncating: "pre" or "post": drop items at the start or at the end of longer sequences.
        value: the padding value.

    Returns:
        An array of shape `(len(sequences), maxlen) + item_shape`.

    Raises:
        ValueError: for a bad `padding` / `truncating`, a non-sequence item, items of different
            shapes, or a string `value` with a non-string `dtype`.
    """
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: padding must be "pre" or "post", got {padding!r}')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: truncating must be "pre" or "post", got {truncating!r}')
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be a list of sequences")
    lengths, item_shape = [], None
    for i, s in enumerate(sequences):
        if not hasattr(s, "__len__"):
            raise ValueError(f"pad_sequences: `sequences` must be a list of sequences; item {i} is {s!r}")
        lengths.append(len(s))
        if item_shape is None and len(s):
            item_shape = np.asarray(s).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    is_str = dtype is not object and np.issubdtype(np.dtype(dtype), np.character)
    if isinstance(value, str) and dtype is not object and not is_str:
        raise ValueError(
            f"pad_sequences: dtype {dtype} can't hold the string value {value!r}; use dtype=object for "
            "variable-length strings"
        )
    out = np.full((len(lengths), maxlen) + tuple(item_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != tuple(item_shape):
            raise ValueError(
                f"pad_sequences: items of sequence {i} have shape {kept.shape[1:]}, but earlier ones "
                f"have shape {tuple(item_shape)}"
            )
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out

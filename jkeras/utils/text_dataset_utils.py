"""`text_dataset_from_directory`: Keras 3's text folder loader as a `jkeras.utils.dataset_utils.Dataset`."""
import functools

import numpy as np

from jkeras.utils import dataset_utils


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):  # noqa: A002 - Keras's name
    """Generates a dataset from text files in a directory (one subdirectory per class).

    The ".txt" files are listed and shuffled in Keras's order, so the same `seed` gives the same
    files and the same training / validation split as Keras. Files are read when their batch is.

    Args:
        directory: the folder; with `labels="inferred"`, one subfolder per class.
        labels: "inferred" (from the subfolders), None (no labels), or a list / tuple of integer
            labels, one per text file in the order of `os.walk` (sorted).
        label_mode: "int" (int32 `(batch,)`), "categorical" (one-hot float32
            `(batch, num_classes)`), "binary" (float32 `(batch, 1)`, exactly 2 classes) or None.
        class_names: the subfolders to use, in this order (`labels="inferred"` only).
        batch_size: texts per batch; None yields single texts.
        max_length: keep at most this many bytes of each file (`tf.strings.substr`).
        shuffle: shuffle the files (once, seeded, as Keras), then the texts again in every pass
            (buffer of `8 * batch_size`); False: alphanumeric order.
        seed: the shuffle seed.
        validation_split: fraction of the files kept for validation (the last ones).
        subset: "training", "validation" or "both" (returns `[train, validation]`).
        follow_links: follow symbolic links to folders.
        format: "tf" or "grain" (accepted; both give this `Dataset`).
        verbose: print how many files and classes were found.

    Returns:
        A `Dataset` yielding `(texts, labels)` (texts: an object array of the files' bytes, as
        `tf.string`) or `texts` alone without labels, with `class_names` and `file_paths`
        attributes; a list of two such datasets for `subset="both"`.

    Raises:
        ValueError: for a bad argument (named, with the received value), no text files, or
            `label_mode="binary"` without exactly 2 classes.
    """
    dataset_utils.check_labels_arg(labels, class_names, "text")
    dataset_utils.check_label_mode_arg(label_mode)
    dataset_utils.check_format_arg(format)
    if labels is None or label_mode is None:
        labels = label_mode = None
    paths, labels, class_names, seed = dataset_utils.index_files(
        directory, labels, label_mode, class_names, (".txt",), shuffle, seed, validation_split, subset,
        follow_links, verbose)
    load = functools.partial(read_text, max_length=max_length)

    def make(part_paths, part_labels, training):
        ds = dataset_utils.files_dataset(part_paths, part_labels, label_mode, len(class_names or ()), load,
                                         batch_size, shuffle and training, seed)
        ds.file_paths = list(part_paths)
        return ds

    return dataset_utils.directory_datasets(directory, paths, labels, label_mode, class_names, validation_split,
                                            subset, make, "text files", "Allowed format: .txt")


def read_text(path, max_length=None):
    """The bytes of a file (its first `max_length` bytes) as a 0-d object array."""
    with open(path, "rb") as f:
        data = f.read() if max_length is None else f.read(max_length)
    return np.array(data, dtype=object)

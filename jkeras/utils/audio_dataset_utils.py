"""`audio_dataset_from_directory`: Keras 3's ".wav" folder loader as a `jkeras.utils.dataset_utils.Dataset`.

Files are decoded with the standard library's `wave` module like `tf.audio.decode_wav`: float32
samples in [-1, 1), shape `(samples, channels)`.
"""
import functools
import wave

import numpy as np

from jkeras.utils import dataset_utils

ALLOWED_FORMATS = (".wav",)


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False, verbose=True):
    """Generates a dataset from ".wav" files in a directory (one subdirectory per class).

    The files are listed and shuffled in Keras's order, so the same `seed` gives the same files
    and the same training / validation split as Keras. Files are read when their batch is.

    Args:
        directory: the folder; with `labels="inferred"`, one subfolder per class.
        labels: "inferred" (from the subfolders), None (no labels), or a list / tuple of integer
            labels, one per audio file in the order of `os.walk` (sorted).
        label_mode: "int" (int32 `(batch,)`), "categorical" (one-hot float32
            `(batch, num_classes)`), "binary" (float32 `(batch, 1)`, exactly 2 classes) or None.
        class_names: the subfolders to use, in this order (`labels="inferred"` only).
        batch_size: files per batch; None yields single files.
        sampling_rate: resampling needs `tensorflow_io` in Keras; jkeras raises for it.
        output_sequence_length: cut or zero-pad every file to this many samples; None: batches
            are zero-padded to their longest file.
        ragged: not supported (NumPy has no ragged arrays); raises if True.
        shuffle: shuffle the files (once, seeded, as Keras), then again in every pass (buffer of
            `8 * batch_size`); False: alphanumeric order.
        seed: the shuffle seed.
        validation_split: fraction of the files kept for validation (the last ones).
        subset: "training", "validation" or "both" (returns `[train, validation]`).
        follow_links: follow symbolic links to folders.
        verbose: print how many files and classes were found.

    Returns:
        A `Dataset` yielding `(audio, labels)` (float32 audio `(batch, samples, channels)`) or
        `audio` alone without labels, with a `class_names` attribute; a list of two such
        datasets for `subset="both"`.

    Raises:
        ValueError: for a bad argument (named, with the received value), no audio files, or
            `label_mode="binary"` without exactly 2 classes.
        ImportError: for `sampling_rate` (resampling needs `tensorflow_io`).
    """
    dataset_utils.check_labels_arg(labels, class_names, "audio")
    dataset_utils.check_label_mode_arg(label_mode)
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if ragged:
        raise ValueError("ragged=True: jkeras datasets hold NumPy arrays, which can't be ragged; pass "
                         "output_sequence_length, or ragged=False to zero-pad each batch to its longest file")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError(f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}")
        raise ImportError("To use the argument `sampling_rate`, you should install tensorflow_io, which jkeras "
                          "does not use: resample the files beforehand and pass sampling_rate=None.")
    if labels is None or label_mode is None:
        labels = label_mode = None
    paths, labels, class_names, seed = dataset_utils.index_files(
        directory, labels, label_mode, class_names, ALLOWED_FORMATS, shuffle, seed, validation_split, subset,
        follow_links, verbose)
    load = functools.partial(read_wav, output_sequence_length=output_sequence_length)

    def make(part_paths, part_labels, training):
        return dataset_utils.files_dataset(part_paths, part_labels, label_mode, len(class_names or ()), load,
                                           batch_size, shuffle and training, seed,
                                           pad=output_sequence_length is None)

    return dataset_utils.directory_datasets(directory, paths, labels, label_mode, class_names, validation_split,
                                            subset, make, "audio files", f"Allowed format(s): {ALLOWED_FORMATS}")


def read_wav(path, output_sequence_length=None):
    """A PCM ".wav" file as float32 `(samples, channels)` in [-1, 1), cut or zero-padded to
    `output_sequence_length` samples when given (`tf.audio.decode_wav`'s `desired_samples`)."""
    with wave.open(str(path), "rb") as f:
        channels, width, frames = f.getnchannels(), f.getsampwidth(), f.getnframes()
        raw = f.readframes(frames)
    if width == 1:
        audio = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        audio = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        audio = (((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8) >> 8).astype(np.float32) / 8388608.0
    elif width == 4:
        audio = np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648.0
    else:
        raise ValueError(f"audio_dataset_from_directory: {path} has {8 * width}-bit samples; 8, 16, 24 or 32-bit "
                         "PCM is supported")
    audio = audio.reshape(-1, channels)
    if output_sequence_length is not None:
        n = int(output_sequence_length)
        audio = audio[:n] if len(audio) >= n else np.pad(audio, [(0, n - len(audio)), (0, 0)])
    return audio

"""`TensorBoard`: writes logs, weight histograms and images as TensorBoard event files.

Event files are written with tensorboardX (`pip install tensorboardX`), which needs no TensorFlow;
the layout and tag names are Keras 3's, so TensorBoard shows the same runs and charts.
"""
import itertools
import json
import os
import shutil
import struct
import time
import types
import warnings
import zlib

import jax
import numpy as np

from jkeras.callbacks.callback import Callback

_KERAS2_ARGUMENTS = ("batch_size", "write_grads", "embeddings_layer_names", "embeddings_data")


def _tensorboardx():
    """The parts of tensorboardX used: its record writer, summary builders and protos."""
    try:
        from tensorboardX import event_file_writer, summary
        from tensorboardX.proto import event_pb2, summary_pb2
    except ImportError as error:
        raise ImportError(
            "The TensorBoard callback writes event files with tensorboardX: "
            "`pip install tensorboardX`."
        ) from error
    return types.SimpleNamespace(EventsWriter=event_file_writer.EventsWriter, summary=summary,
                                 Event=event_pb2.Event, Summary=summary_pb2.Summary)


# TensorFlow's default histogram bucket limits: +-1e-12 * 1.1**k up to 1e20, and 0.
_POSITIVE_LIMITS = 1e-12 * 1.1 ** np.arange(int(np.ceil(np.log(1e32) / np.log(1.1))))
_BUCKET_LIMITS = np.concatenate([-_POSITIVE_LIMITS[::-1], [0.0], _POSITIVE_LIMITS])
_file_ids = itertools.count()


class _EventFile:
    """One TensorBoard event file, written synchronously: `flush` puts every summary on disk.

    Args:
        logdir: directory of the file (created if missing).
    """

    def __init__(self, logdir):
        self._tbx = _tensorboardx()
        os.makedirs(logdir, exist_ok=True)
        self.logdir = logdir
        # The pid and a counter keep two files opened within one second apart.
        suffix = f".{os.getpid()}.{next(_file_ids)}"
        self._events = self._tbx.EventsWriter(os.path.join(logdir, "events"), suffix)

    def _write(self, summary, step):
        self._events.write_event(self._tbx.Event(wall_time=time.time(), step=int(step), summary=summary))

    def scalar(self, tag, value, step):
        self._write(self._tbx.summary.scalar(tag, float(np.asarray(value))), step)

    def histogram(self, tag, values, step):
        self._write(self._tbx.summary.histogram(tag, np.asarray(values, "float64"), _BUCKET_LIMITS), step)

    def text(self, tag, text, step):
        self._write(self._tbx.summary.text(tag, text), step)

    def image(self, tag, image, step):
        """Writes an HxWxC float image in [0, 1] (C = 1, 3 or 4) as a PNG."""
        Summary = self._tbx.Summary  # noqa: N806 (the proto's name)
        pixels = np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
        height, width, channels = pixels.shape
        png = Summary.Image(height=height, width=width, colorspace=channels,
                            encoded_image_string=_png(pixels))
        self._write(Summary(value=[Summary.Value(tag=tag, image=png)]), step)

    def flush(self):
        self._events.flush()

    def close(self):
        self._events.close()


def _png(pixels):
    """PNG bytes of an HxWxC uint8 array (C = 1 grey, 3 RGB, 4 RGBA)."""
    height, width, channels = pixels.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + row.tobytes() for row in pixels)  # Filter type 0 on every row.
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


class TensorBoard(Callback):
    """Writes TensorBoard event files for a training run.

    Under `log_dir/train`: `epoch_<name>` scalars of each epoch's training logs (and
    `epoch_learning_rate`) at step `epoch`; with `update_freq="batch"` or an int N,
    `batch_<name>` scalars every N batches at the global batch number (counted from 1);
    `<layer>/<weight>/histogram` histograms every `histogram_freq` epochs (epochs 0, N, 2N, ...),
    and `<layer>/<weight>/image` images with `write_images`; with `write_graph`, the model's JSON
    config as a text summary tagged "keras". Under `log_dir/validation`: `epoch_<name>` of the
    "val_*" logs, and `evaluation_<name>_vs_iterations` after `evaluate(callbacks=[...])`.

    Args:
        log_dir: directory of the event files.
        histogram_freq: epochs between weight histograms (0: none).
        write_graph: write the model's config (JAX programs have no TensorFlow graph to show).
        write_images: write each weight as an image, scaled to [0, 1], with the histograms.
        write_steps_per_second: also log `steps_per_second` (epoch) and `batch_steps_per_second`.
        update_freq: "epoch", "batch" (= 1) or an int number of batches between batch scalars.
        profile_batch: a global batch number, or a pair `(start, stop)`, to trace with the JAX
            profiler into `log_dir/train/plugins/profile` (0: no profiling).
        embeddings_freq: epochs between writing `Embedding` layers' matrices for the projector.
        embeddings_metadata: a metadata (TSV) file for all embeddings, or a dict layer name ->
            file.
        **kwargs: Keras 2's `embeddings_layer_names` (which embeddings to write), and
            `batch_size`, `write_grads` (warns) and `embeddings_data`, accepted and unused.

    Raises:
        ValueError: for a bad `profile_batch` or `update_freq`.
        TypeError: for an unknown keyword argument.
        ImportError: (in `fit`) if tensorboardX is not installed.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(_KERAS2_ARGUMENTS))
        if unknown:
            raise TypeError(f"TensorBoard: unexpected keyword argument(s) {unknown}")
        if kwargs.get("write_grads"):
            warnings.warn("TensorBoard: `write_grads` is not supported (callbacks see no gradients); "
                          "it is ignored.", stacklevel=2)
        self.embeddings_layer_names = kwargs.get("embeddings_layer_names")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        if self.update_freq != "epoch" and (isinstance(self.update_freq, bool) or
                                            not isinstance(self.update_freq, int) or self.update_freq < 1):
            raise ValueError(f'TensorBoard: update_freq must be "epoch", "batch" or a positive int, '
                             f"got {update_freq!r}")
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}
        self._training = False
        self._global_train_batch = 0
        self._epoch_first_batch = 0
        self._profiling = False
        self._step_trace = None
        self._batch_start_time = None
        self._epoch_start = (time.time(), 0)

    # ------------------------------------------------------------------------------ writers

    def _writer(self, which):
        if which not in self._writers:
            path = self._train_dir if which == "train" else self._val_dir
            self._writers[which] = _EventFile(path)
        return self._writers[which]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ------------------------------------------------------------------------------ hooks

    def on_train_begin(self, logs=None):
        self._training = True
        self._global_train_batch = 0
        self._epoch_first_batch = 0
        if self.write_graph:
            self._write_model_config()

    def on_train_end(self, logs=None):
        self._training = False
        if self._profiling:
            self._stop_profiler()
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_first_batch = self._global_train_batch
        if self.write_steps_per_second:
            self._epoch_start = (time.time(), self._iterations())

    def on_train_batch_begin(self, batch, logs=None):
        step = self._epoch_first_batch + batch + 1
        if self._start_batch and step == self._start_batch and not self._profiling:
            self._start_profiler()
        if self._profiling:
            self._step_trace = jax.profiler.StepTraceAnnotation("train", step_num=step)
            self._step_trace.__enter__()
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch = step = self._epoch_first_batch + batch + 1
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            writer = self._writer("train")
            for name, value in (logs or {}).items():
                writer.scalar(f"batch_{name}", value, step)
            if self.write_steps_per_second and self._batch_start_time is not None:
                elapsed = max(time.time() - self._batch_start_time, 1e-9)
                writer.scalar("batch_steps_per_second", 1.0 / elapsed, step)
        if self._step_trace is not None:
            self._step_trace.__exit__(None, None, None)
            self._step_trace = None
        if self._profiling and step >= self._stop_batch:
            self._stop_profiler()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not logs:
            return
        writer = self._writer("val")
        for name, value in logs.items():
            writer.scalar(f"evaluation_{name}_vs_iterations", value, self._iterations())
        if self._training:
            writer.flush()
        else:  # A standalone `evaluate`: nothing else will close the file.
            self._writers.pop("val").close()

    # ------------------------------------------------------------------------------ summaries

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        return int(getattr(optimizer, "iterations", 0) or 0)

    def _log_epoch_metrics(self, epoch, logs):
        train = {k: v for k, v in logs.items() if not k.startswith("val_") and k != "lr"}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        try:
            train["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))
        except (AttributeError, TypeError, ValueError):
            pass
        if self.write_steps_per_second:
            start_time, start_iterations = self._epoch_start
            train["steps_per_second"] = (self._iterations() - start_iterations) / max(
                time.time() - start_time, 1e-9)
        for which, values in (("train", train), ("val", val)):
            if values:
                writer = self._writer(which)
                for name, value in values.items():
                    writer.scalar(f"epoch_{name}", value, epoch)

    def _weights(self):
        """`(path, array)` of each distinct weight of the model, in `model.weights` order."""
        seen, out = set(), []
        for weight in self.model.weights:
            path = weight.path.replace(":", "_")
            if path not in seen:
                seen.add(path)
                out.append((path, np.asarray(weight)))
        return out

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for path, value in self._weights():
            writer.histogram(f"{path}/histogram", value, epoch)
            if self.write_images:
                image = _weight_image(value)
                if image is not None:
                    writer.image(f"{path}/image", image, epoch)

    def _write_model_config(self):
        try:
            to_json = getattr(self.model, "to_json", None)
            text = to_json() if callable(to_json) else json.dumps(
                {"class_name": type(self.model).__name__, "config": self.model.get_config()}, default=str)
        except Exception as error:  # A model whose config cannot be written still trains.
            warnings.warn(f"TensorBoard: could not write the model's config ({error}).", stacklevel=2)
            return
        self._writer("train").text("keras", text, 0)

    def _log_embeddings(self, epoch):
        from jkeras.layers import Embedding

        layers = [layer for layer in _all_layers(self.model) if isinstance(layer, Embedding)]
        if self.embeddings_layer_names:
            layers = [layer for layer in layers if layer.name in self.embeddings_layer_names]
        metadata = self.embeddings_metadata
        if isinstance(metadata, dict):
            names = {layer.name for layer in layers}
            unknown = sorted(set(metadata) - names)
            if unknown:
                raise ValueError("Unrecognized `Embedding` layer names passed to "
                                 f"`keras.callbacks.TensorBoard` `embeddings_metadata` argument: {unknown}")
        for layer in layers:
            path = metadata if isinstance(metadata, (str, os.PathLike)) else (metadata or {}).get(layer.name)
            _write_projector_embedding(self._train_dir, layer.name, np.asarray(layer.get_weights()[0]),
                                       path, epoch)

    # ------------------------------------------------------------------------------ profiler

    def _start_profiler(self):
        try:
            jax.profiler.start_trace(self._train_dir)
        except RuntimeError as error:  # Another trace is running.
            warnings.warn(f"TensorBoard: the JAX profiler did not start ({error}).", stacklevel=2)
            return
        self._profiling = True

    def _stop_profiler(self):
        if self._step_trace is not None:
            self._step_trace.__exit__(None, None, None)
            self._step_trace = None
        jax.profiler.stop_trace()
        self._profiling = False


def _profile_range(profile_batch):
    """`(start, stop)` global batch numbers to profile; `(0, 0)` for none."""
    message = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. "
               "A pair of positive integers signifies a range of batches to profile. "
               f"Found: {profile_batch}")
    if isinstance(profile_batch, str):
        try:
            profile_batch = [int(part) for part in profile_batch.split(",")]
        except ValueError:
            raise ValueError(message) from None
        if len(profile_batch) == 1:
            profile_batch = profile_batch[0]
    if isinstance(profile_batch, int) and not isinstance(profile_batch, bool):
        start = stop = profile_batch
    elif isinstance(profile_batch, (tuple, list)) and len(profile_batch) == 2:
        start, stop = profile_batch
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _weight_image(value):
    """A weight as an HxWxC image in [0, 1], None if it makes none.

    Keras 3's layouts: a vector is one row, a matrix is shown wide, a 3-D kernel is one image per
    input channel (laid side by side here, one column apart). Values are scaled min..max to 0..1.
    """
    image = np.squeeze(value)
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        image = np.transpose(image, (2, 0, 1))[..., None]
    if image.ndim != 4 or image.shape[-1] not in (1, 3, 4):
        return None
    low, high = float(image.min()), float(image.max())
    image = (image - low) / (high - low) if high > low else np.zeros_like(image)
    gap = np.zeros(image.shape[1:2] + (1,) + image.shape[3:])
    tiles = [part for tile in image for part in (tile, gap)][:-1]
    return np.concatenate(tiles, axis=1).astype("float32")


def _all_layers(model):
    stack, out = list(getattr(model, "layers", [])), []
    while stack:
        layer = stack.pop(0)
        out.append(layer)
        stack.extend(getattr(layer, "layers", []))
    return out


def _write_projector_embedding(run_dir, name, matrix, metadata_path, epoch):
    """Writes `matrix` (vocabulary, dim) for TensorBoard's projector under `run_dir/<epoch>/<name>/`.

    The rows go to `tensors.tsv`, a copy of the metadata file to `metadata.tsv`, and an entry to
    `run_dir/projector_config.pbtxt`.
    """
    subdir = f"{epoch:05d}/{name}"
    os.makedirs(os.path.join(run_dir, subdir), exist_ok=True)
    np.savetxt(os.path.join(run_dir, subdir, "tensors.tsv"), matrix.reshape(len(matrix), -1),
               delimiter="\t", fmt="%.9g")
    entry = f'embeddings {{\n  tensor_name: "{name}:{epoch:05d}"\n  tensor_path: "{subdir}/tensors.tsv"\n'
    if metadata_path is not None:
        shutil.copyfile(metadata_path, os.path.join(run_dir, subdir, "metadata.tsv"))
        entry += f'  metadata_path: "{subdir}/metadata.tsv"\n'
    with open(os.path.join(run_dir, "projector_config.pbtxt"), "a") as f:
        f.write(entry + "}\n")

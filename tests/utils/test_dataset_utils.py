"""Keras's dataset loaders without tf.data (jkeras.utils.*_dataset_from_*, split_dataset).

References: Keras 3's own pure-Python helpers (file indexing and seeded shuffle, split sizes, its
Pillow + ops.image.resize image loader), NumPy constructions (windows, bilinear resize, one-hot,
wav decoding) and the documented tf.data semantics.
"""
import os
import random
import wave

import numpy as np
import pytest

import jkeras
from jkeras.utils import dataset_utils

Image = pytest.importorskip("PIL.Image")
keras_dataset_utils = pytest.importorskip("keras.src.utils.dataset_utils")
keras_image_utils = pytest.importorskip("keras.src.utils.image_dataset_utils")

IMG_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


# --------------------------------------------------------------------------------------------
# Fixtures


def _png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    """3 classes, a nested folder, an upper-case extension, a 10x6 image and a non-image file."""
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    names = {"cats": ["c1.png", "c0.png", "sub/c2.png", "c3.PNG"], "dogs": ["d0.png", "d1.png", "d2.png"],
             "zebra": ["z0.png", "z1.png", "wide.png"]}
    for cls, files in names.items():
        for f in files:
            shape = (10, 6, 3) if f == "wide.png" else (8, 8, 3)
            _png(str(root / cls / f), rng.integers(0, 256, shape).astype(np.uint8))
    (root / "dogs" / "notes.txt").write_text("not an image")
    os.makedirs(root / ".hidden")
    return str(root)


@pytest.fixture(scope="module")
def color_dir(tmp_path_factory):
    """Two classes told apart by color: reddish and bluish 8x8 images."""
    root = tmp_path_factory.mktemp("colors")
    rng = np.random.default_rng(1)
    for cls, channel in (("blue", 2), ("red", 0)):
        for i in range(12):
            a = rng.integers(0, 80, (8, 8, 3)).astype(np.uint8)
            a[..., channel] += 150
            _png(str(root / cls / f"{i:02d}.png"), a)
    return str(root)


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("texts")
    texts = {"neg": {"a.txt": "bad movie", "b.txt": "awful, really bad", "c.txt": "meh"},
             "pos": {"a.txt": "great film", "b.txt": "loved it", "sub/c.txt": "wonderful and great"}}
    for cls, files in texts.items():
        for name, content in files.items():
            os.makedirs(os.path.dirname(str(root / cls / name)), exist_ok=True)
            (root / cls / name).write_text(content)
    (root / "pos" / "skip.md").write_text("ignored")
    return str(root), texts


def _write_wav(path, samples, rate=8000):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(samples.astype("<i2").tobytes())


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(2)
    clips = {}
    for cls, lengths in (("no", (30, 50)), ("yes", (40, 20, 35))):
        for i, n in enumerate(lengths):
            samples = rng.integers(-32768, 32767, (n, 1))
            path = str(root / cls / f"{i}.wav")
            _write_wav(path, samples)
            clips[path] = samples
    return str(root), clips


def _keras_index(directory, labels="inferred", formats=IMG_FORMATS, **kw):
    return keras_dataset_utils.index_directory(directory, labels, formats, verbose=False, **kw)


# --------------------------------------------------------------------------------------------
# File order, shuffling, splits (Keras's helpers as reference)


@pytest.mark.parametrize("shuffle,seed", [(False, None), (True, 7), (True, 1234)])
def test_index_directory_matches_keras(image_dir, shuffle, seed):
    ref_paths, ref_labels, ref_names = _keras_index(image_dir, shuffle=shuffle, seed=seed)
    paths, labels, names = dataset_utils.index_directory(image_dir, "inferred", IMG_FORMATS, shuffle=shuffle,
                                                         seed=seed, verbose=False)
    assert paths == ref_paths and names == ref_names
    np.testing.assert_array_equal(labels, ref_labels)
    ds = jkeras.utils.image_dataset_from_directory(image_dir, image_size=(4, 4), shuffle=shuffle, seed=seed,
                                                   verbose=False)
    assert ds.file_paths == ref_paths and ds.class_names == ref_names


def test_index_directory_explicit_and_no_labels_match_keras(image_dir):
    n = len(_keras_index(image_dir, shuffle=False)[0])
    given = [i % 4 for i in range(n)]
    for labels in (None, given):
        ref = _keras_index(image_dir, labels=None if labels is None else list(labels), shuffle=True, seed=3)
        got = dataset_utils.index_directory(image_dir, None if labels is None else list(labels), IMG_FORMATS,
                                            seed=3, verbose=False)
        assert got[0] == ref[0] and got[2] == ref[2]
        assert (got[1] is None) == (ref[1] is None) and (got[1] is None or list(got[1]) == list(ref[1]))
    ref_names = _keras_index(image_dir, class_names=["zebra", "cats"], shuffle=False)
    assert dataset_utils.index_directory(image_dir, "inferred", IMG_FORMATS, class_names=["zebra", "cats"],
                                         shuffle=False, verbose=False)[0] == ref_names[0]


@pytest.mark.parametrize("split", [0.2, 0.5])
def test_validation_split_matches_keras(image_dir, split):
    paths, labels, _ = _keras_index(image_dir, shuffle=True, seed=11)
    ref_train = keras_dataset_utils.get_training_or_validation_split(paths, labels, split, "training")[0]
    ref_val = keras_dataset_utils.get_training_or_validation_split(paths, labels, split, "validation")[0]
    kw = dict(image_size=(4, 4), seed=11, validation_split=split, verbose=False)
    train, val = jkeras.utils.image_dataset_from_directory(image_dir, subset="both", **kw)
    assert train.file_paths == ref_train and val.file_paths == ref_val
    assert jkeras.utils.image_dataset_from_directory(image_dir, subset="training", **kw).file_paths == ref_train
    assert jkeras.utils.image_dataset_from_directory(image_dir, subset="validation", **kw).file_paths == ref_val
    assert sum(len(b[1]) for b in val) == len(ref_val)
    assert not set(train.file_paths) & set(val.file_paths)


# --------------------------------------------------------------------------------------------
# Images


def _bilinear(img, size):
    """tf.image.resize's bilinear (half-pixel centers, no antialiasing) in NumPy."""
    out = img.astype(np.float64)
    for axis, target in ((0, size[0]), (1, size[1])):
        n = out.shape[axis]
        src = np.clip((np.arange(target) + 0.5) * n / target - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        w = (src - lo).reshape([-1 if a == axis else 1 for a in range(out.ndim)])
        out = np.take(out, lo, axis=axis) * (1 - w) + np.take(out, hi, axis=axis) * w
    return out


def test_image_batches_and_pixels(image_dir):
    ds = jkeras.utils.image_dataset_from_directory(image_dir, image_size=(4, 4), batch_size=4, shuffle=False,
                                                   verbose=False)
    paths, labels, _ = _keras_index(image_dir, shuffle=False)
    assert len(ds) == 3 and int(ds.cardinality()) == 3
    images = np.concatenate([x for x, _ in ds])
    got_labels = np.concatenate([y for _, y in ds])
    assert images.dtype == np.float32 and images.shape == (len(paths), 4, 4, 3)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_labels.dtype == np.int32
    for path, image in zip(paths, images):
        ref = _bilinear(np.asarray(Image.open(path).convert("RGB"), np.float32), (4, 4))
        np.testing.assert_allclose(image, ref, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("options", [
    dict(color_mode="grayscale"), dict(color_mode="rgba", interpolation="nearest"),
    dict(crop_to_aspect_ratio=True), dict(pad_to_aspect_ratio=True), dict(interpolation="bicubic"),
    dict(data_format="channels_first"),
])
def test_image_loader_matches_keras_loader(image_dir, options):
    """Keras's Pillow + ops.image.resize loader (its grain path) is the reference, on a 10x6 image."""
    options = {"interpolation": "bilinear", "color_mode": "rgb", "data_format": "channels_last", **options}
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[options["color_mode"]]
    ds = jkeras.utils.image_dataset_from_directory(
        image_dir, labels=None, image_size=(5, 7), batch_size=None, shuffle=False, verbose=False, **options)
    paths = _keras_index(image_dir, labels=None, shuffle=False)[0]
    index = [os.path.basename(p) for p in paths].index("wide.png")
    ref = keras_image_utils._load_image_grain(
        paths[index], (5, 7), channels, options["interpolation"], options["data_format"],
        options.get("crop_to_aspect_ratio", False), options.get("pad_to_aspect_ratio", False))
    got = list(ds.skip(index).take(1))[0]
    np.testing.assert_allclose(got, np.asarray(ref), rtol=1e-4, atol=1e-3)


def test_label_modes(image_dir):
    kw = dict(image_size=(2, 2), shuffle=False, verbose=False, batch_size=100)
    _, labels, names = _keras_index(image_dir, shuffle=False)
    x, y = next(iter(jkeras.utils.image_dataset_from_directory(image_dir, label_mode="categorical", **kw)))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, np.eye(len(names))[labels])
    images = next(iter(jkeras.utils.image_dataset_from_directory(image_dir, label_mode=None, **kw)))
    assert isinstance(images, np.ndarray) and images.shape == x.shape
    two = jkeras.utils.image_dataset_from_directory(image_dir, class_names=["zebra", "dogs"], label_mode="binary",
                                                    **kw)
    assert two.class_names == ["zebra", "dogs"]
    _, yb = next(iter(two))
    ref = _keras_index(image_dir, class_names=["zebra", "dogs"], shuffle=False)[1]
    assert yb.dtype == np.float32 and yb.shape == (len(ref), 1)
    np.testing.assert_array_equal(yb[:, 0], ref)
    n = len(labels)
    given = jkeras.utils.image_dataset_from_directory(image_dir, labels=[i % 2 for i in range(n)], **kw)
    assert given.class_names == ["0", "1"]
    np.testing.assert_array_equal(next(iter(given))[1], [i % 2 for i in range(n)])


def test_unbatched_elements_and_numpy(image_dir):
    ds = jkeras.utils.image_dataset_from_directory(image_dir, image_size=(3, 3), batch_size=None, shuffle=False,
                                                   verbose=False)
    image, label = next(iter(ds))
    assert image.shape == (3, 3, 3) and label.shape == ()
    assert isinstance(image.numpy(), np.ndarray) and type(image.numpy()) is np.ndarray
    assert ds.class_names[label] == "cats" and label.numpy() == 0
    batch = jkeras.utils.image_dataset_from_directory(image_dir, image_size=(3, 3), shuffle=False, verbose=False)
    images, labels = next(iter(batch))
    assert type(images[0].numpy()) is np.ndarray and int(labels[0].numpy()) == 0
    # arithmetic and NumPy functions give plain arrays / scalars
    assert type(images / 255.0) is np.ndarray and type(images[0] + 1) is np.ndarray
    assert type(np.concatenate([images, images])) is np.ndarray
    assert isinstance(images.mean(), np.floating) and isinstance(np.max(images), np.floating)
    np.testing.assert_allclose(np.asarray(images) / 255.0, images / 255.0)
    for item in batch.as_numpy_iterator():
        assert all(type(a) is np.ndarray for a in item)


def test_shuffle_every_pass_is_a_permutation(image_dir):
    n = len(_keras_index(image_dir, shuffle=False)[0])
    ds = jkeras.utils.image_dataset_from_directory(image_dir, labels=list(range(n)), image_size=(2, 2),
                                                   batch_size=3, seed=5, verbose=False)
    orders = [np.concatenate([y for _, y in ds]) for _ in range(4)]
    for order in orders:
        assert sorted(order.tolist()) == list(range(n))
    assert len({tuple(o) for o in orders}) > 1


def test_errors(image_dir, tmp_path):
    load = jkeras.utils.image_dataset_from_directory
    cases = [
        (dict(label_mode="sparse"), "label_mode.*Received: label_mode=sparse"),
        (dict(color_mode="cmyk"), "color_mode.*Received: color_mode=cmyk"),
        (dict(image_size=(1, 2, 3)), "image_size.*Received: image_size=\\(1, 2, 3\\)"),
        (dict(interpolation="cubic"), "interpolation.*Received: interpolation=cubic"),
        (dict(interpolation="area"), "interpolation='area'"),
        (dict(validation_split=1.5, subset="training", seed=1), "validation_split.*received: 1.5"),
        (dict(subset="training"), "validation_split` must be set"),
        (dict(validation_split=0.2, subset="train", seed=1), "subset.*received: train"),
        (dict(validation_split=0.2, subset="training"), "must provide a `seed`"),
        (dict(labels="folders"), "labels.*Received: labels=folders"),
        (dict(labels=[0] * 10, class_names=["a"]), "only pass `class_names`"),
        (dict(class_names=["cats", "birds"]), "did not match.*class_names=\\['cats', 'birds'\\]"),
        (dict(label_mode="binary"), "exactly 2 class_names"),
        (dict(labels=[0, 1]), "len\\(labels\\) is 2 while we found 10 files"),
        (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "Only one of"),
        (dict(format="torch"), "format.*Received: format=torch"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            load(image_dir, verbose=False, **kwargs)
    with pytest.raises(ValueError, match="No images found in directory"):
        load(str(tmp_path), labels=None, verbose=False)


def test_fit_evaluate_predict_on_image_directory(color_dir):
    train, val = jkeras.utils.image_dataset_from_directory(color_dir, image_size=(8, 8), batch_size=6,
                                                           validation_split=0.25, subset="both", seed=3,
                                                           verbose=False)
    assert train.class_names == ["blue", "red"] and len(val.file_paths) == 6
    model = jkeras.Sequential([jkeras.Input((8, 8, 3)), jkeras.layers.Rescaling(1 / 255.0),
                               jkeras.layers.Flatten(), jkeras.layers.Dense(2)])
    model.compile("adam", jkeras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(train.cache().shuffle(100).prefetch(dataset_utils.AUTOTUNE), validation_data=val,
                        epochs=6, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < loss[0] and history.history["val_loss"][-1] < history.history["val_loss"][0]
    assert len(model.evaluate(val, verbose=0)) == 2
    assert model.predict(val, verbose=0).shape == (6, 2)
    augmented = train.map(lambda x, y: (jkeras.layers.RandomFlip("horizontal")(x, training=True), y))
    assert model.fit(augmented, epochs=1, verbose=0).history["loss"][0] > 0


# --------------------------------------------------------------------------------------------
# tf.data methods


def test_dataset_methods():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ds = dataset_utils.Dataset.from_tensor_slices((x, y))
    assert len(ds) == 10 and int(ds.cardinality().numpy()) == 10
    batched = ds.batch(4)
    assert [len(b[1]) for b in batched] == [4, 4, 2] and len(ds.batch(4, drop_remainder=True)) == 2
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batched]), x)
    assert [b[1].tolist() for b in batched.skip(1).take(1)] == [[4, 5, 6, 7]]
    assert len(batched.take(-1)) == 3 and len(batched.skip(5)) == 0
    doubled = batched.map(lambda a, b: (a * 2, b))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in doubled]), 2 * x)
    rescale = jkeras.layers.Rescaling(0.5)
    np.testing.assert_allclose(next(iter(batched.map(lambda a, b: (rescale(a), b))))[0], x[:4] * 0.5)
    # unbatch after a map and a batch-level shuffle: the same elements
    mixed = doubled.shuffle(3, seed=0).unbatch()
    assert sorted(int(e[1]) for e in mixed) == list(range(10))
    np.testing.assert_array_equal(np.stack([e[0] for e in batched.unbatch()]), x)
    nested = ds.batch(2).batch(2)
    assert next(iter(nested))[0].shape == (2, 2, 2)
    assert len(ds.repeat(3)) == 30 and ds.repeat() is ds and ds.prefetch(2) is ds and ds.cache() is ds
    assert list(ds.repeat(2).as_numpy_iterator())[10][1] == 0
    with pytest.raises(ValueError, match="not batched"):
        ds.unbatch()
    with pytest.raises(ValueError, match="batch_size must be a positive int, received batch_size=0"):
        ds.batch(0)


@pytest.mark.parametrize("buffer_size", [1, 3, 100])
def test_shuffle_buffer_semantics(buffer_size):
    """tf.data's shuffle buffer: the k-th item out is one of the first k + buffer_size items."""
    ds = dataset_utils.Dataset.from_tensor_slices(np.arange(50)).shuffle(buffer_size, seed=4)
    first, second = [np.array([int(e) for e in ds]) for _ in range(2)]
    for order in (first, second):
        assert sorted(order.tolist()) == list(range(50))
        assert np.all(order < np.arange(50) + buffer_size)
    assert (buffer_size == 1) == np.array_equal(first, second)
    fixed = dataset_utils.Dataset.from_tensor_slices(np.arange(50)).shuffle(10, seed=4, reshuffle_each_iteration=False)
    assert [int(e) for e in fixed] == [int(e) for e in fixed]


# --------------------------------------------------------------------------------------------
# Text


def test_text_dataset(text_dir):
    root, texts = text_dir
    ds = jkeras.utils.text_dataset_from_directory(root, batch_size=2, shuffle=False, verbose=False)
    paths, labels, names = _keras_index(root, formats=(".txt",), shuffle=False)
    assert ds.class_names == names == ["neg", "pos"] and ds.file_paths == paths
    got = [(t, int(label)) for batch, lab in ds for t, label in zip(batch.numpy(), lab)]
    expected = [(open(p, "rb").read(), int(label)) for p, label in zip(paths, labels)]
    assert got == expected and isinstance(got[0][0], bytes)
    short = jkeras.utils.text_dataset_from_directory(root, max_length=4, label_mode=None, shuffle=False,
                                                     batch_size=None, verbose=False)
    assert [t.numpy() for t in short] == [open(p, "rb").read()[:4] for p in paths]
    shuffled = jkeras.utils.text_dataset_from_directory(root, seed=9, verbose=False, validation_split=0.34,
                                                        subset="both")
    ref = _keras_index(root, formats=(".txt",), shuffle=True, seed=9)[0]
    assert shuffled[0].file_paths + shuffled[1].file_paths == ref
    layer = jkeras.layers.TextVectorization(max_tokens=20, output_sequence_length=3)
    layer.adapt(ds.map(lambda x, y: x))
    assert "great" in layer.get_vocabulary()
    with pytest.raises(ValueError, match="label_mode.*Received: label_mode=onehot"):
        jkeras.utils.text_dataset_from_directory(root, label_mode="onehot")


# --------------------------------------------------------------------------------------------
# Timeseries


def _windows(data, targets, length, stride, rate, start=None, end=None):
    start = start or 0
    end = len(data) if end is None else end
    count = end - start - (length - 1) * rate
    if targets is not None:
        count = min(count, len(targets))
    starts = np.arange(0, count, stride)
    x = np.stack([data[start:end][s + rate * np.arange(length)] for s in starts])
    return x, None if targets is None else np.asarray(targets)[start:end][starts]


@pytest.mark.parametrize("length,stride,rate,start,end,batch", [
    (10, 3, 2, None, None, 8), (5, 1, 1, 4, 60, 7), (3, 2, 3, None, 40, None), (7, 5, 1, 10, None, 128),
])
def test_timeseries_matches_numpy(length, stride, rate, start, end, batch):
    data = np.random.default_rng(0).normal(size=(99, 2)).astype(np.float32)
    targets = np.arange(99) * 10
    ds = jkeras.utils.timeseries_dataset_from_array(data, targets, length, sequence_stride=stride,
                                                    sampling_rate=rate, batch_size=batch, start_index=start,
                                                    end_index=end)
    ref_x, ref_y = _windows(data, targets, length, stride, rate, start, end)
    items = list(ds)
    if batch is None:
        xs, ys = np.stack([i[0] for i in items]), np.stack([i[1] for i in items])
    else:
        assert all(len(i[0]) <= batch for i in items) and len(ds) == -(-len(ref_x) // batch)
        xs, ys = np.concatenate([i[0] for i in items]), np.concatenate([i[1] for i in items])
    np.testing.assert_array_equal(xs, ref_x)
    np.testing.assert_array_equal(ys, ref_y)


def test_timeseries_keras_docstring_examples():
    # Example 1: indices [0 .. 98], sequence_length=10, sampling_rate=2, sequence_stride=3.
    ds = jkeras.preprocessing.timeseries_dataset_from_array(np.arange(99), None, 10, sequence_stride=3,
                                                            sampling_rate=2)
    seqs = np.concatenate(list(ds))
    np.testing.assert_array_equal(seqs[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(seqs[1], np.arange(3, 22, 2))
    np.testing.assert_array_equal(seqs[-1], np.arange(78, 97, 2))
    # Example 2: past 10 steps -> the next one.
    data = np.arange(50.0)
    for inputs, targets in jkeras.utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10):
        assert np.array_equal(inputs[0], data[:10]) and np.array_equal(targets[0], data[10])
        break
    # Example 3: many-to-many, non-overlapping.
    X = np.arange(100)
    inp = jkeras.utils.timeseries_dataset_from_array(X, None, sequence_length=20, sequence_stride=20)
    tgt = jkeras.utils.timeseries_dataset_from_array(X * 2, None, sequence_length=20, sequence_stride=20)
    for inputs, targets in zip(inp, tgt):
        assert np.array_equal(inputs[0], X[:20]) and np.array_equal(targets[1], (X * 2)[20:40])


def test_timeseries_shuffle_and_errors():
    data = np.arange(60)
    ds = jkeras.utils.timeseries_dataset_from_array(data, data, 5, batch_size=4, shuffle=True, seed=2)
    batches = list(ds)  # one pass (every pass has its own order)
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(x[:, 0], y)
    assert sorted(y.tolist()) == list(range(56))
    np.testing.assert_array_equal(x, y[:, None] + np.arange(5))
    cases = [(dict(start_index=-1), "start_index` must be 0 or greater"),
             (dict(start_index=70), "start_index` must be lower"),
             (dict(start_index=10, end_index=5), "end_index` must be higher than `start_index"),
             (dict(end_index=60), "end_index` must be lower"),
             (dict(sampling_rate=0), "sampling_rate` must be higher than 0. Received: sampling_rate=0"),
             (dict(sequence_stride=0), "sequence_stride` must be higher than 0"),
             (dict(sequence_stride=60), "sequence_stride` must be lower")]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            jkeras.utils.timeseries_dataset_from_array(data, None, 5, **kwargs)


# --------------------------------------------------------------------------------------------
# Audio


def test_audio_dataset(audio_dir):
    root, clips = audio_dir
    ds = jkeras.utils.audio_dataset_from_directory(root, batch_size=2, shuffle=False, verbose=False)
    paths, labels, names = _keras_index(root, formats=(".wav",), shuffle=False)
    assert ds.class_names == names
    batches = list(ds)
    for i, (audio, lab) in enumerate(batches):
        part = paths[2 * i:2 * i + 2]
        longest = max(len(clips[p]) for p in part)
        assert audio.dtype == np.float32 and audio.shape == (len(part), longest, 1)
        for row, p in zip(audio, part):
            n = len(clips[p])
            np.testing.assert_allclose(row[:n], clips[p] / 32768.0)
            assert not row[n:].any()
        np.testing.assert_array_equal(lab, labels[2 * i:2 * i + 2])
    fixed = jkeras.utils.audio_dataset_from_directory(root, output_sequence_length=32, label_mode=None,
                                                      shuffle=False, verbose=False)
    audio = next(iter(fixed))
    assert audio.shape == (len(paths), 32, 1)
    for row, p in zip(audio, paths):
        ref = np.zeros(32)
        ref[:min(32, len(clips[p]))] = clips[p][:32, 0] / 32768.0
        np.testing.assert_allclose(row[:, 0], ref)
    with pytest.raises(ValueError, match="Cannot set both `ragged` and `output_sequence_length`"):
        jkeras.utils.audio_dataset_from_directory(root, ragged=True, output_sequence_length=3)
    with pytest.raises(ValueError, match="sampling_rate` should be higher than 0"):
        jkeras.utils.audio_dataset_from_directory(root, sampling_rate=-1)


# --------------------------------------------------------------------------------------------
# split_dataset


@pytest.mark.parametrize("left,right,shuffle", [(0.8, None, False), (None, 3, True), (4, 0.5, True), (0.3, 0.5, False)])
def test_split_dataset_arrays(left, right, shuffle):
    x = np.arange(30).reshape(10, 3)
    y = np.arange(10) * 7
    left_ds, right_ds = jkeras.utils.split_dataset((x, y), left_size=left, right_size=right, shuffle=shuffle, seed=5)
    ln, rn = keras_dataset_utils._rescale_dataset_split_sizes(left, right, 10)
    samples = list(zip(x, y))
    if shuffle:
        random.seed(5)
        random.shuffle(samples)
    assert len(left_ds) == ln and len(right_ds) == rn
    np.testing.assert_array_equal(np.stack([e[0] for e in left_ds]), np.stack([s[0] for s in samples[:ln]]))
    np.testing.assert_array_equal(np.stack([e[1] for e in right_ds]), np.stack([s[1] for s in samples[-rn:]]))
    single_left, _ = jkeras.utils.split_dataset(x, left_size=left, right_size=right, shuffle=shuffle, seed=5)
    np.testing.assert_array_equal(np.stack(list(single_left)), np.stack([s[0] for s in samples[:ln]]))


def test_split_dataset_of_a_dataset_and_errors():
    ds = dataset_utils.Dataset.from_tensor_slices((np.arange(10.0), np.arange(10))).batch(3)
    left, right = jkeras.utils.split_dataset(ds, left_size=0.6)
    assert [len(b[1]) for b in left] == [3, 3] and [len(b[1]) for b in right] == [3, 1]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in right]), np.arange(6, 10))
    with pytest.raises(ValueError, match="At least one of the `left_size` or `right_size`"):
        jkeras.utils.split_dataset(np.zeros(4))
    with pytest.raises(ValueError, match="left_size` should be either a positive integer smaller than 4"):
        jkeras.utils.split_dataset(np.zeros(4), left_size=1.5)
    with pytest.raises(TypeError, match="Invalid `left_size` Type"):
        jkeras.utils.split_dataset(np.zeros(4), left_size="half")
    with pytest.raises(TypeError, match="The `dataset` argument must be"):
        jkeras.utils.split_dataset({"a": np.zeros(4)}, left_size=0.5)
    with pytest.raises(ValueError, match="different lengths"):
        jkeras.utils.split_dataset((np.zeros(4), np.zeros(3)), left_size=0.5)


def test_fit_keeps_the_dataset_order_as_keras_does_for_tf_data():
    """Keras's fit ignores `shuffle` for a tf.data.Dataset: these datasets keep their own order."""
    series = np.arange(40, dtype="float32")[:, None]
    seen = []

    def record(x, y):
        seen.append(float(x[0, 0, 0]))
        return x, y

    ds = jkeras.utils.timeseries_dataset_from_array(series, series[4:, 0], sequence_length=4, batch_size=8)
    model = jkeras.Sequential([jkeras.Input((4, 1)), jkeras.layers.Flatten(), jkeras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(ds.map(record), epochs=2, verbose=0)  # shuffle=True by default
    starts = [float(x[0, 0, 0]) for x, _ in ds]
    assert seen[:len(starts)] == starts and seen[len(starts):] == starts

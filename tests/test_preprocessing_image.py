"""jkeras.preprocessing.image against Keras 3's legacy `keras.preprocessing.image` (the reference).

Both draw the random transforms from NumPy's global random state in the same order, so with the
same seed the parameters, transformed images and seeded batches must be identical.
"""
import io
import os
import sys
import warnings
import zlib

import numpy as np
import pytest
from keras.src.legacy.preprocessing import image as kimage
from keras.src.utils import image_utils as kutils
from PIL import Image

import jkeras
from jkeras.preprocessing import image as jimage
from jkeras.preprocessing.image import ImageDataGenerator

RNG = np.random.default_rng(0)
X_LAST = RNG.uniform(0, 255, (12, 9, 11, 3)).astype("float32")
X_FIRST = np.ascontiguousarray(X_LAST.transpose(0, 3, 1, 2))
Y = np.arange(12) % 3


def images(data_format):
    return X_LAST if data_format == "channels_last" else X_FIRST


def same_params(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], (key, a[key], b[key])
        assert type(a[key]) is type(b[key]), (key, type(a[key]), type(b[key]))


def both(**kwargs):
    """An ImageDataGenerator of jkeras and one of Keras with the same arguments."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ImageDataGenerator(**kwargs), kimage.ImageDataGenerator(**kwargs)


# --------------------------------------------------------------------------------------------
# The transforms


TRANSFORMS = [
    {"theta": 25.0},
    {"tx": 2.5, "ty": -3.0},
    {"shear": 12.0},
    {"zx": 0.8, "zy": 1.3},
    {"theta": -40.0, "tx": 1.0, "ty": 2.0, "shear": 5.0, "zx": 1.1, "zy": 0.9},
    {"flip_horizontal": True, "flip_vertical": True},
    {"channel_shift_intensity": 30.0, "flip_horizontal": 1},
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("fill_mode,cval,order", [("nearest", 0.0, 1), ("constant", 7.0, 0), ("reflect", 0.0, 3),
                                                  ("wrap", 0.0, 1)])
def test_apply_transform_matches_keras(data_format, fill_mode, cval, order):
    ours, ref = both(data_format=data_format, fill_mode=fill_mode, cval=cval, interpolation_order=order)
    x = images(data_format)[0]
    for params in TRANSFORMS:
        got, want = ours.apply_transform(x, params), ref.apply_transform(x, params)
        assert got.shape == want.shape == x.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        if params != {"flip_horizontal": True, "flip_vertical": True}:
            assert not np.array_equal(got, x)


def test_apply_transform_brightness_matches_keras():
    ours, ref = both()
    for x in (X_LAST[1], X_LAST[1] / 255.0, X_LAST[1] - 100):  # within 0..255, and rescaled back
        got, want = ours.apply_transform(x, {"brightness": 0.6}), ref.apply_transform(x, {"brightness": 0.6})
        np.testing.assert_allclose(got, want, rtol=1e-6)
        assert got.shape == x.shape and got.max() <= x.max() + 1e-3
    assert ours.apply_transform(X_LAST[1], {"brightness": 0.6}).mean() < 0.7 * X_LAST[1].mean()
    # A channels-first generator brightens in its own format (Keras's uses the global format).
    cf = ImageDataGenerator(data_format="channels_first")
    got = cf.apply_transform(X_FIRST[1], {"brightness": 0.6})
    np.testing.assert_allclose(got.transpose(1, 2, 0), ours.apply_transform(X_LAST[1], {"brightness": 0.6}))


def test_identity_transform_returns_input():
    ours = ImageDataGenerator()
    x = X_LAST[0]
    assert ours.apply_transform(x, {}) is x
    np.testing.assert_array_equal(ours.apply_transform(x, ours.get_random_transform(x.shape, seed=1)), x)


CONFIGS = [
    dict(rotation_range=40, width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
         horizontal_flip=True, fill_mode="nearest"),
    dict(width_shift_range=3, height_shift_range=[-2, 0, 2], vertical_flip=True, channel_shift_range=15.0),
    dict(width_shift_range=2.5, height_shift_range=1.5, zoom_range=[0.5, 1.0], brightness_range=(0.3, 1.2)),
    dict(width_shift_range=0.7, height_shift_range=0.9, rotation_range=5, shear_range=30),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("config", range(len(CONFIGS)))
def test_get_random_transform_and_random_transform_match_keras(data_format, config):
    kwargs = dict(CONFIGS[config], data_format=data_format)
    if data_format == "channels_first":
        kwargs.pop("brightness_range", None)  # Keras's brightness shift is channels-last only
    ours, ref = both(**kwargs)
    x = images(data_format)[2]
    for seed in range(6):
        same_params(ours.get_random_transform(x.shape, seed=seed), ref.get_random_transform(x.shape, seed=seed))
        np.testing.assert_array_equal(ours.random_transform(x, seed=seed), ref.random_transform(x, seed=seed))
    # Without a seed: the global state, consumed alike.
    np.random.seed(5)
    a = [ours.get_random_transform(x.shape) for _ in range(3)]
    np.random.seed(5)
    b = [ref.get_random_transform(x.shape) for _ in range(3)]
    for pa, pb in zip(a, b):
        same_params(pa, pb)
    assert a[0] != a[1]


def test_shift_ranges_in_pixels_and_fractions():
    gen = ImageDataGenerator(width_shift_range=3, height_shift_range=0.25)
    draws = [gen.get_random_transform((8, 20, 3), seed=s) for s in range(200)]
    ty = {d["ty"] for d in draws}
    assert ty <= {-2, -1, 0, 1, 2} and len(ty) == 5  # an int n: whole pixels below n, either sign
    tx = np.array([d["tx"] for d in draws])
    assert np.all(np.abs(tx) <= 0.25 * 8) and np.abs(tx).max() > 1.5  # a fraction of the height


def test_random_functions_match_keras():
    x = X_FIRST[3]  # the functions' default layout: channels first
    cases = [
        (jimage.random_rotation, kimage.random_rotation, (30,)),
        (jimage.random_shift, kimage.random_shift, (0.2, 0.3)),
        (jimage.random_shear, kimage.random_shear, (20,)),
        (jimage.random_zoom, kimage.random_zoom, ((0.7, 1.2),)),
        (jimage.random_channel_shift, kimage.random_channel_shift, (40,)),
    ]
    for ours, ref, args in cases:
        np.random.seed(3)
        got = ours(x, *args)
        np.random.seed(3)
        want = ref(x, *args)
        np.testing.assert_array_equal(got, want)
        assert got.shape == x.shape and not np.array_equal(got, x)
    for scale in (True, False):
        np.random.seed(4)
        got = jimage.random_brightness(X_LAST[3], (0.5, 1.5), scale)
        np.random.seed(4)
        np.testing.assert_allclose(got, kimage.random_brightness(X_LAST[3], (0.5, 1.5), scale), rtol=1e-6)
    np.testing.assert_array_equal(
        jimage.apply_affine_transform(X_LAST[0], theta=10, zx=0.9, row_axis=0, col_axis=1, channel_axis=2,
                                      fill_mode="constant", cval=3.0, order=0),
        kimage.apply_affine_transform(X_LAST[0], theta=10, zx=0.9, row_axis=0, col_axis=1, channel_axis=2,
                                      fill_mode="constant", cval=3.0, order=0),
    )
    np.testing.assert_array_equal(jimage.apply_channel_shift(X_LAST[0], -50.0, 2),
                                  kimage.apply_channel_shift(X_LAST[0], -50.0, 2))


def test_transform_errors():
    x = X_LAST[0]
    with pytest.raises(ValueError, match="distinct"):
        jimage.apply_affine_transform(x, theta=1, row_axis=0, col_axis=0, channel_axis=2)
    with pytest.raises(ValueError, match=r"0, 1 and 2.*\(0, 1, 3\)"):
        jimage.apply_affine_transform(x, theta=1, row_axis=0, col_axis=1, channel_axis=3)
    with pytest.raises(ValueError, match=r"rank 3\), got shape \(9, 11\)"):
        jimage.apply_affine_transform(x[..., 0], theta=1, row_axis=0, col_axis=1, channel_axis=2)
    with pytest.raises(ValueError, match="channel_axis must be the first or last axis.*got 1"):
        jimage.apply_affine_transform(x, theta=1, row_axis=0, col_axis=2, channel_axis=1)
    with pytest.raises(ValueError, match="fill_mode must be one of.*got 'bogus'"):
        jimage.apply_affine_transform(x, theta=1, row_axis=0, col_axis=1, channel_axis=2, fill_mode="bogus")
    with pytest.raises(ValueError, match=r"zoom_range.*got \(0.5,\)"):
        jimage.random_zoom(x, (0.5,))
    with pytest.raises(ValueError, match=r"brightness_range.*got \[1\]"):
        jimage.random_brightness(x, [1])


# --------------------------------------------------------------------------------------------
# The generator's arguments, standardize and fit


def test_constructor_defaults_and_errors():
    gen = ImageDataGenerator()
    ref = kimage.ImageDataGenerator()
    for name in ("featurewise_center", "samplewise_center", "featurewise_std_normalization",
                 "samplewise_std_normalization", "zca_whitening", "zca_epsilon", "rotation_range",
                 "width_shift_range", "height_shift_range", "brightness_range", "shear_range", "zoom_range",
                 "channel_shift_range", "fill_mode", "cval", "horizontal_flip", "vertical_flip", "rescale",
                 "preprocessing_function", "data_format", "interpolation_order", "dtype", "channel_axis",
                 "row_axis", "col_axis", "_validation_split"):
        assert getattr(gen, name) == getattr(ref, name), name
    assert ImageDataGenerator(zoom_range=[0.5, 2]).zoom_range == [0.5, 2]
    with pytest.raises(ValueError, match="zoom_range must be a float or a tuple / list of two floats, got 'x'"):
        ImageDataGenerator(zoom_range="x")
    with pytest.raises(ValueError, match="validation_split must be strictly between 0 and 1, got 1.5"):
        ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match="data_format must be .*got 'NHWC'"):
        ImageDataGenerator(data_format="NHWC")
    with pytest.raises(ValueError, match=r"brightness_range must be a tuple or list of two floats, got 0.5"):
        ImageDataGenerator(brightness_range=0.5)
    with pytest.warns(UserWarning, match="overrides setting of `featurewise_center`"):
        assert ImageDataGenerator(featurewise_std_normalization=True).featurewise_center
    with pytest.warns(UserWarning, match="overrides setting of `samplewise_center`"):
        assert ImageDataGenerator(samplewise_std_normalization=True).samplewise_center
    with pytest.warns(UserWarning) as record:
        gen = ImageDataGenerator(zca_whitening=True, featurewise_std_normalization=True)
    assert any("`zca_whitening`, which overrides" in str(w.message) for w in record)
    assert gen.featurewise_center and not gen.featurewise_std_normalization


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", [
    dict(featurewise_center=True, featurewise_std_normalization=True, rescale=1 / 255.0),
    dict(zca_whitening=True, zca_epsilon=0.1, rescale=1 / 255.0),
    dict(samplewise_center=True, samplewise_std_normalization=True, preprocessing_function=lambda x: x ** 0.5),
])
def test_fit_and_standardize_match_keras(data_format, kwargs):
    x = images(data_format)
    ours, ref = both(data_format=data_format, **kwargs)
    ours.fit(x)
    ref.fit(x)
    for attr in ("mean", "std", "zca_whitening_matrix"):
        if getattr(ref, attr) is None:
            assert getattr(ours, attr) is None
        else:
            np.testing.assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=1e-5, atol=1e-6)
    got, want = ours.standardize(np.copy(x)), ref.standardize(np.copy(x))
    assert got.shape == x.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert not np.allclose(got, x)
    np.testing.assert_allclose(ours.standardize(np.copy(x[0])), ref.standardize(np.copy(x[0])), rtol=1e-4,
                               atol=1e-4)


def test_featurewise_statistics_and_augmented_fit():
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    gen.fit(X_LAST)
    assert gen.mean.shape == gen.std.shape == (1, 1, 3)
    out = gen.standardize(np.copy(X_LAST))
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    kwargs = dict(featurewise_center=True, rotation_range=30, horizontal_flip=True)
    ours, ref = both(**kwargs)
    ours.fit(X_LAST, augment=True, rounds=2, seed=7)
    ref.fit(X_LAST, augment=True, rounds=2, seed=7)
    np.testing.assert_allclose(ours.mean, ref.mean, rtol=1e-5)
    with pytest.raises(ValueError, match=r"rank 4, got an array of shape \(9, 11, 3\)"):
        gen.fit(X_LAST[0])
    with pytest.warns(UserWarning, match="hasn't been fit"):
        ImageDataGenerator(featurewise_center=True).standardize(np.copy(X_LAST[0]))


# --------------------------------------------------------------------------------------------
# flow


def test_flow_batches_match_keras_with_seed():
    kwargs = dict(rotation_range=20, width_shift_range=0.1, zoom_range=0.1, horizontal_flip=True, rescale=1 / 255.0)
    ours, ref = both(**kwargs)
    a = ours.flow(X_LAST, Y, batch_size=5, seed=11)
    b = ref.flow(X_LAST, Y, batch_size=5, seed=11)
    assert isinstance(a, jkeras.utils.Sequence) and len(a) == len(b) == 3
    for i in range(len(a)):
        (xa, ya), (xb, yb) = a[i], b[i]
        assert xa.shape == xb.shape and xa.dtype == xb.dtype == np.float32
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    for _ in range(4):  # the endless iteration: next() wraps around into new epochs
        (xa, ya), (xb, yb) = next(a), next(b)
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert [len(batch[0]) for batch in (a.next(), next(a), next(a))] == [5, 2, 5]  # 5, 5, 2 | 5 | 5, 2, 5


def test_flow_covers_every_sample_once_per_epoch():
    gen = ImageDataGenerator()
    it = gen.flow(X_LAST, np.arange(12), batch_size=5, shuffle=True, seed=1)
    orders = []
    for _ in range(2):
        ys = np.concatenate([it[i][1] for i in range(len(it))])
        assert sorted(ys.tolist()) == list(range(12))
        orders.append(ys.tolist())
        it.on_epoch_end()
    assert orders[0] != orders[1] and orders[0] != list(range(12))
    it = gen.flow(X_LAST, np.arange(12), batch_size=5, shuffle=False)
    batches = [it[i] for i in range(len(it))]
    assert [b[0].shape for b in batches] == [(5, 9, 11, 3), (5, 9, 11, 3), (2, 9, 11, 3)]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), np.arange(12))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), X_LAST)  # no transform: the images
    with pytest.raises(ValueError, match="element 3, but the Sequence has length 3"):
        it[3]


def test_flow_outputs_misc_inputs_sample_weight_and_dtype():
    gen = ImageDataGenerator(dtype="float64")
    sw = np.linspace(0.1, 1.2, 12)
    x, y, w = gen.flow(X_LAST, Y, sample_weight=sw, batch_size=4, shuffle=False)[1]
    assert x.dtype == np.float64 and x.shape == (4, 9, 11, 3)
    np.testing.assert_array_equal(y, Y[4:8])
    np.testing.assert_array_equal(w, sw[4:8])
    extra = np.arange(24).reshape(12, 2)
    (xs, e), y = gen.flow((X_LAST, extra), Y, batch_size=4, shuffle=False)[2]
    np.testing.assert_array_equal(e, extra[8:])
    only_x = gen.flow(X_LAST, batch_size=4, shuffle=False)[0]
    assert isinstance(only_x, np.ndarray) and only_x.shape == (4, 9, 11, 3)
    with pytest.raises(ValueError, match=r"same length, got x.shape = \(12, 9, 11, 3\), y.shape = \(3,\)"):
        gen.flow(X_LAST, Y[:3])
    with pytest.raises(ValueError, match=r"rank 4, got shape \(12, 99\)"):
        gen.flow(np.zeros((12, 99)))
    with pytest.raises(ValueError, match="NumpyArrayIterator: batch_size must be a positive int, got 0"):
        gen.flow(X_LAST, Y, batch_size=0)


def test_flow_validation_split_matches_keras():
    ours, ref = both(validation_split=0.25)
    for subset in ("training", "validation"):
        a = ours.flow(X_LAST, Y, batch_size=4, shuffle=False, subset=subset)
        b = ref.flow(X_LAST, Y, batch_size=4, shuffle=False, subset=subset)
        assert a.n == b.n == (9 if subset == "training" else 3) and len(a) == len(b)
        for i in range(len(a)):
            np.testing.assert_array_equal(a[i][0], b[i][0])
            np.testing.assert_array_equal(a[i][1], b[i][1])
    np.testing.assert_array_equal(ours.flow(X_LAST, Y, shuffle=False, subset="validation")[0][1], Y[:3])
    extra = np.arange(12) * 10
    for subset, rows in (("validation", slice(0, 3)), ("training", slice(3, 6))):
        (xa, ea), ya = ours.flow((X_LAST, [extra]), Y, batch_size=3, shuffle=False, subset=subset)[0]
        (xb, eb), yb = ref.flow((X_LAST, [extra]), Y, batch_size=3, shuffle=False, subset=subset)[0]
        np.testing.assert_array_equal(ea, extra[rows])
        np.testing.assert_array_equal(ea, eb)
        np.testing.assert_array_equal(xa, xb)
    sorted_y = np.sort(Y)
    with pytest.raises(ValueError, match="different classes"):
        ours.flow(X_LAST, sorted_y, subset="training")
    assert ours.flow(X_LAST, sorted_y, subset="training", ignore_class_split=True).n == 9
    with pytest.raises(ValueError, match="subset must be \"training\", \"validation\" or None, got 'test'"):
        ours.flow(X_LAST, Y, subset="test")


def test_flow_save_to_dir(tmp_path):
    ImageDataGenerator(rotation_range=10).flow(X_LAST, Y, batch_size=3, save_to_dir=str(tmp_path),
                                               save_prefix="aug", save_format="jpeg")[0]
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 3 and all(f.startswith("aug_") and f.endswith(".jpeg") for f in files)


# --------------------------------------------------------------------------------------------
# Image files


def write_image(path, size, color, mode="RGB"):
    rng = np.random.default_rng(zlib.crc32(path.name.encode()))
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    arr = np.clip(rng.integers(0, 60, (size[1], size[0], channels)) + np.array(list(color) + [195])[:channels],
                  0, 255)
    img = Image.fromarray(arr.astype("uint8").squeeze(), mode)
    img.save(path)


@pytest.fixture
def image_tree(tmp_path):
    """data/{cats,dogs}: PNGs of several sizes (one in a nested folder), a JPEG and a text file."""
    root = tmp_path / "data"
    for cls, color in (("cats", (200, 30, 30)), ("dogs", (20, 40, 220))):
        d = root / cls
        (d / "more").mkdir(parents=True)
        for i, size in enumerate([(12, 10), (8, 8), (16, 9), (10, 14)]):
            write_image(d / f"{cls}{i}.png", size, color)
        write_image(d / "more" / f"{cls}_nested.png", (9, 9), color, "RGBA")
        write_image(d / f"{cls}_gray.jpg", (11, 10), color, "L")
        (d / "notes.txt").write_text("not an image")
    (root / "README").write_text("not a class")
    return root


def same_directory_iterators(a, b):
    assert a.class_indices == b.class_indices
    assert a.filenames == b.filenames
    assert a.filepaths == b.filepaths
    np.testing.assert_array_equal(a.classes, b.classes)
    assert a.classes.dtype == b.classes.dtype and a.samples == b.samples and len(a) == len(b)
    for i in range(len(a)):
        ba, bb = a[i], b[i]
        if isinstance(bb, tuple):
            assert len(ba) == len(bb)
            for u, v in zip(ba, bb):
                assert u.shape == v.shape and u.dtype == v.dtype
                np.testing.assert_allclose(u, v, rtol=1e-6)
        else:
            assert ba.shape == bb.shape and ba.dtype == bb.dtype
            np.testing.assert_allclose(ba, bb, rtol=1e-6)


@pytest.mark.parametrize("class_mode", ["categorical", "binary", "sparse", "input", None])
def test_flow_from_directory_matches_keras(image_tree, class_mode, capsys):
    ours, ref = both(rescale=1 / 255.0)
    kwargs = dict(target_size=(7, 9), class_mode=class_mode, batch_size=4, shuffle=False)
    a = ours.flow_from_directory(str(image_tree), **kwargs)
    b = ref.flow_from_directory(str(image_tree), **kwargs)
    assert a.class_indices == {"cats": 0, "dogs": 1}
    assert a.samples == 12 and not any(f.endswith(".txt") for f in a.filenames)
    assert os.path.join("cats", "more", "cats_nested.png") in a.filenames
    assert "Found 12 images belonging to 2 classes." in capsys.readouterr().out
    same_directory_iterators(a, b)
    first = a[0]
    x = first[0] if isinstance(first, tuple) else first
    assert x.shape == (4, 7, 9, 3) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1


@pytest.mark.parametrize("kwargs", [
    dict(color_mode="grayscale", interpolation="bilinear", data_format="channels_first"),
    dict(color_mode="rgba", keep_aspect_ratio=True, classes=["dogs", "cats"]),
    dict(subset="validation", validation_split=0.34),
    dict(subset="training", validation_split=0.34, follow_links=True),
    dict(rotation_range=30, horizontal_flip=True, brightness_range=(0.5, 1.5), shuffle=True, seed=3),
])
def test_flow_from_directory_options_match_keras(image_tree, kwargs):
    gen_args = {k: kwargs.pop(k) for k in ("data_format", "validation_split", "rotation_range", "horizontal_flip",
                                           "brightness_range") if k in kwargs}
    ours, ref = both(**gen_args)
    kwargs = dict(dict(target_size=(6, 8), batch_size=5, shuffle=False), **kwargs)
    same_directory_iterators(ours.flow_from_directory(str(image_tree), **kwargs),
                             ref.flow_from_directory(str(image_tree), **kwargs))


def test_flow_from_directory_subsets_partition_each_class(image_tree):
    gen = ImageDataGenerator(validation_split=0.34)
    train = gen.flow_from_directory(str(image_tree), target_size=(4, 4), subset="training")
    val = gen.flow_from_directory(str(image_tree), target_size=(4, 4), subset="validation")
    assert (train.samples, val.samples) == (8, 4)
    assert sorted(train.filenames + val.filenames) == sorted(gen.flow_from_directory(str(image_tree)).filenames)
    assert sorted(val.classes.tolist()) == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="class_mode must be one of .*got 'multi'"):
        gen.flow_from_directory(str(image_tree), class_mode="multi")
    with pytest.raises(ValueError, match="color_mode must be .*got 'cmyk'"):
        gen.flow_from_directory(str(image_tree), color_mode="cmyk")
    with pytest.raises(ValueError, match="subset must be .*got 'train'"):
        gen.flow_from_directory(str(image_tree), subset="train")


def test_load_img_img_to_array_round_trip(tmp_path, image_tree):
    arr = RNG.integers(0, 256, (6, 5, 3)).astype("float32")
    for path in (tmp_path / "a.png", str(tmp_path / "b.bmp")):
        jimage.save_img(path, arr, scale=False)
        img = jimage.load_img(path)
        assert img.size == (5, 6) and img.mode == "RGB"
        back = jimage.img_to_array(img)
        assert back.dtype == np.float32 and back.shape == (6, 5, 3)
        np.testing.assert_array_equal(back, arr)
    first = jimage.img_to_array(jimage.load_img(tmp_path / "a.png"), data_format="channels_first")
    np.testing.assert_array_equal(first, arr.transpose(2, 0, 1))
    buffer = io.BytesIO()
    jimage.save_img(buffer, arr, file_format="png", scale=False)
    buffer.seek(0)
    np.testing.assert_array_equal(jimage.img_to_array(jimage.load_img(buffer)), arr)
    # array_to_img scales to 0..255 by default, like Keras; grayscale / RGBA / channels first.
    for x, kw in ((arr / 255.0, {}), (arr[..., :1], {}), (np.concatenate([arr, arr[..., :1]], -1), {}),
                  (arr.transpose(2, 0, 1), {"data_format": "channels_first"}), (arr[..., :1] * 300, {})):
        ours, ref = jimage.array_to_img(x, **kw), kutils.array_to_img(x, **kw)
        assert ours.mode == ref.mode and ours.size == ref.size
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(ref))
    # load_img options against Keras's.
    png = str(image_tree / "cats" / "cats0.png")
    for kw in (dict(target_size=(5, 7)), dict(target_size=(5, 7), keep_aspect_ratio=True, interpolation="bicubic"),
               dict(color_mode="grayscale"), dict(color_mode="rgba", target_size=(20, 3), interpolation="lanczos")):
        ours, ref = jimage.load_img(png, **kw), kutils.load_img(png, **kw)
        assert ours.mode == ref.mode and ours.size == ref.size
        np.testing.assert_array_equal(jimage.img_to_array(ours), kutils.img_to_array(ref))
    with pytest.warns(DeprecationWarning, match="grayscale"):
        assert jimage.load_img(png, grayscale=True).mode == "L"


def test_image_file_errors(tmp_path):
    with pytest.raises(ValueError, match=r"rank 3 \(a single image\), got shape \(4, 4\)"):
        jimage.array_to_img(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="1, 3 or 4 channels, got 2"):
        jimage.array_to_img(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match=r"rank 2 or 3, got shape \(1, 2, 3, 4\)"):
        jimage.img_to_array(np.zeros((1, 2, 3, 4)))
    with pytest.raises(TypeError, match="io.BytesIO, got int"):
        jimage.load_img(3)
    jimage.save_img(tmp_path / "a.png", np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="color_mode must be .*got 'cmyk'"):
        jimage.load_img(tmp_path / "a.png", color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation must be one of .*got 'cubic'"):
        jimage.load_img(tmp_path / "a.png", target_size=(2, 2), interpolation="cubic")
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        jimage.save_img(tmp_path / "a.jpg", np.zeros((4, 4, 4)))
    assert Image.open(tmp_path / "a.jpg").format == "JPEG"


def test_smart_resize_matches_keras():
    for x, size, kw in ((X_LAST[0], (5, 5), {}), (X_LAST[:2], (12, 6), {"interpolation": "nearest"}),
                        (X_FIRST[0], (4, 8), {"data_format": "channels_first", "interpolation": "bicubic"})):
        got, want = jimage.smart_resize(x, size, **kw), kutils.smart_resize(x, size, **kw)
        assert isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)
    assert jimage.smart_resize(X_LAST[0], (3, 4)).shape == (3, 4, 3)
    with pytest.raises(ValueError, match=r"tuple of 2 integers, got \(3,\)"):
        jimage.smart_resize(X_LAST[0], (3,))
    with pytest.raises(ValueError, match=r"got shape \(9, 11\)"):
        jimage.smart_resize(X_LAST[0, ..., 0], (3, 3))
    with pytest.raises(ValueError, match="interpolation must be one of .*got 'area'"):
        jimage.smart_resize(X_LAST[0], (3, 3), interpolation="area")


# --------------------------------------------------------------------------------------------
# Packaging


def test_public_paths():
    import jkeras as keras  # the tutorials' spelling

    assert keras.utils.load_img is jimage.load_img and keras.utils.img_to_array is jimage.img_to_array
    assert keras.utils.array_to_img is jimage.array_to_img and keras.utils.save_img is jimage.save_img
    assert keras.preprocessing.image.ImageDataGenerator is ImageDataGenerator
    for name in jimage.__all__:
        assert getattr(jimage, name).__doc__, name
    for cls in (jimage.NumpyArrayIterator, jimage.DirectoryIterator, jimage.DataFrameIterator):
        assert issubclass(cls, jkeras.utils.Sequence)


def test_missing_optional_dependencies(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r"load_img needs Pillow .*pip install jkeras\[image\]"):
        jimage.load_img("x.png")
    with pytest.raises(ImportError, match=r"array_to_img needs Pillow"):
        jimage.array_to_img(np.zeros((2, 2, 3)))
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.ndimage", None)
    with pytest.raises(ImportError, match=r"needs SciPy .*pip install jkeras\[image\]"):
        ImageDataGenerator(rotation_range=10).random_transform(X_LAST[0], seed=0)
    # Without a transform, nothing needs scipy.
    assert ImageDataGenerator(rescale=0.5).flow(X_LAST, Y, batch_size=2)[0][0].shape == (2, 9, 11, 3)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="flow_from_dataframe needs pandas.*pip install pandas"):
        ImageDataGenerator().flow_from_dataframe(object())


def test_flow_from_dataframe_matches_keras(image_tree):
    pd = pytest.importorskip("pandas")
    files = [os.path.join("cats", "cats0.png"), os.path.join("dogs", "dogs1.png"), os.path.join("cats", "cats2.png"),
             os.path.join("dogs", "dogs3.png"), "missing.png", os.path.join("cats", "notes.txt")]
    df = pd.DataFrame({"filename": files, "class": ["c", "d", "c", "d", "c", "d"],
                       "w": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "value": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]})
    for kwargs in (dict(), dict(class_mode="binary", weight_col="w"), dict(class_mode="raw", y_col="value"),
                   dict(class_mode=None), dict(classes=["d"])):
        ours, ref = both(validation_split=0.5) if kwargs == {} else both()
        extra = dict(subset="training") if kwargs == {} else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = ours.flow_from_dataframe(df, str(image_tree), target_size=(5, 6), batch_size=2, shuffle=False,
                                         **kwargs, **extra)
            b = ref.flow_from_dataframe(df, str(image_tree), target_size=(5, 6), batch_size=2, shuffle=False,
                                        **kwargs, **extra)
        assert a.filenames == b.filenames and a.samples == b.samples and len(a) == len(b) > 0
        assert getattr(a, "class_indices", None) == getattr(b, "class_indices", None)
        for i in range(len(a)):
            ba, bb = a[i], b[i]
            for u, v in zip(ba if isinstance(ba, tuple) else (ba,), bb if isinstance(bb, tuple) else (bb,)):
                np.testing.assert_allclose(u, v)
    with pytest.raises(ValueError, match="class_mode=\"binary\" needs 2 classes"):
        ImageDataGenerator().flow_from_dataframe(df.assign(**{"class": ["a", "b", "c", "a", "b", "c"]}),
                                                 str(image_tree), class_mode="binary")


# --------------------------------------------------------------------------------------------
# Training


def small_cnn(shape, units, activation, loss):
    jkeras.utils.set_random_seed(0)
    model = jkeras.Sequential([
        jkeras.layers.Input(shape), jkeras.layers.Conv2D(4, 3, activation="relu"), jkeras.layers.Flatten(),
        jkeras.layers.Dense(units, activation=activation),
    ])
    model.compile(jkeras.optimizers.Adam(0.01), loss, metrics=["accuracy"])
    return model


def test_cnn_trains_on_flow_and_fit_generator():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 64)
    x = rng.uniform(0, 60, (64, 8, 8, 3)).astype("float32")
    x[y == 1, :, :, 0] += 150  # red images are class 1
    datagen = ImageDataGenerator(rotation_range=40, width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2,
                                 zoom_range=0.2, horizontal_flip=True, fill_mode="nearest", rescale=1.0 / 255)
    model = small_cnn((8, 8, 3), 2, "softmax", "categorical_crossentropy")
    y_onehot = jkeras.utils.to_categorical(y, 2)
    history = model.fit(datagen.flow(x, y_onehot, batch_size=16, seed=0), epochs=4, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    history = model.fit_generator(datagen.flow(x, y_onehot, batch_size=16, seed=1), steps_per_epoch=len(x) // 16,
                                  epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    test = ImageDataGenerator(rescale=1.0 / 255).flow(x, y_onehot, batch_size=16, shuffle=False)
    loss, acc = model.evaluate(test, verbose=0)
    assert acc > 0.8
    probs = model.predict(ImageDataGenerator(rescale=1.0 / 255).flow(x, batch_size=16, shuffle=False), verbose=0)
    assert probs.shape == (64, 2)
    np.testing.assert_allclose(probs, model.predict(x / 255.0, verbose=0), rtol=1e-4, atol=1e-5)


def test_cnn_trains_on_flow_from_directory(image_tree):
    datagen = ImageDataGenerator(rescale=1.0 / 255, horizontal_flip=True, validation_split=0.34)
    train = datagen.flow_from_directory(str(image_tree), target_size=(8, 8), batch_size=4, class_mode="binary",
                                        subset="training", seed=0)
    val = datagen.flow_from_directory(str(image_tree), target_size=(8, 8), batch_size=4, class_mode="binary",
                                      subset="validation", seed=0)
    model = small_cnn((8, 8, 3), 1, "sigmoid", "binary_crossentropy")
    history = model.fit(train, steps_per_epoch=5, epochs=3, validation_data=val, verbose=0)
    assert len(history.history["val_loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]

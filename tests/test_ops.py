"""`jkeras.ops` against Keras 3's `keras.ops` (JAX backend): names, values, shapes and dtypes,
including Keras's argument names and keyword arguments; ops on symbolic tensors save and reload."""
import inspect

import keras
import numpy as np
import pytest

import jkeras
from jkeras import layers, ops

rng = np.random.default_rng(0)
A = rng.uniform(0.1, 0.9, (3, 4)).astype("float32")
B = rng.uniform(0.1, 0.9, (3, 4)).astype("float32")
N = rng.standard_normal((3, 4)).astype("float32")
I = np.array([[1, 2, 3, 0], [3, 1, 0, 2], [2, 2, 1, 3]], "int32")
SQ = (rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype("float32")
SPD = (SQ @ SQ.T).astype("float32")
IMG = rng.uniform(0, 1, (2, 6, 8, 3)).astype("float32")
X1D = rng.standard_normal((2, 7, 3)).astype("float32")
SIG = rng.standard_normal((2, 32)).astype("float32")
PROBS = np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]], "float32")
ONEHOT = np.array([[0, 1, 0], [0, 0, 1]], "float32")
Q = rng.standard_normal((2, 5, 2, 4)).astype("float32")


def _compare(ours, ref):
    if isinstance(ref, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(ref)
        for o, r in zip(ours, ref):
            _compare(o, r)
        return
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype
    if ref.dtype.kind in "fc":
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5, equal_nan=True)
    else:
        np.testing.assert_array_equal(ours, ref)


# Each case: (id, f(ops_namespace) -> result); run with keras.ops and with jkeras.ops.
CASES = [
    # nn: pooling, convolutions, normalization, losses, encodings
    ("max_pool", lambda o: o.max_pool(IMG, 2, strides=(1, 2), padding="same")),
    ("average_pool same", lambda o: o.average_pool(IMG, pool_size=(3, 2), strides=(2, 1), padding="same")),
    ("average_pool 1d", lambda o: o.average_pool(X1D, 2, strides=1)),
    ("adaptive_average_pool", lambda o: o.adaptive_average_pool(IMG, output_size=(4, 3))),
    ("adaptive_max_pool", lambda o: o.adaptive_max_pool(IMG, (4, 3))),
    ("conv", lambda o: o.conv(IMG, np.ones((2, 2, 3, 4), "float32") * 0.1, strides=2, padding="same")),
    ("conv dilated 1d", lambda o: o.conv(X1D, np.full((2, 3, 2), 0.2, "float32"), dilation_rate=2)),
    ("conv_transpose", lambda o: o.conv_transpose(IMG, np.full((3, 3, 2, 3), 0.1, "float32"), strides=2,
                                                  padding="same")),
    ("conv_transpose output_padding", lambda o: o.conv_transpose(
        X1D, np.full((3, 2, 3), 0.1, "float32"), strides=2, output_padding=1)),
    ("depthwise_conv", lambda o: o.depthwise_conv(IMG, np.full((2, 2, 3, 2), 0.3, "float32"), padding="same")),
    ("separable_conv", lambda o: o.separable_conv(IMG, np.full((2, 2, 3, 2), 0.3, "float32"),
                                                  np.full((1, 1, 6, 4), 0.1, "float32"))),
    ("depth_to_space", lambda o: o.depth_to_space(np.arange(2 * 2 * 3 * 8, dtype="float32").reshape(2, 2, 3, 8), 2)),
    ("space_to_depth", lambda o: o.space_to_depth(IMG[:, :6, :6], 2)),
    ("batch_normalization", lambda o: o.batch_normalization(
        N, np.arange(4, dtype="float32") * 0.1, np.ones(4, "float32") * 2, axis=-1,
        offset=np.ones(4, "float32"), scale=np.full(4, 0.5, "float32"), epsilon=1e-2)),
    ("moments", lambda o: o.moments(N, axes=[0], keepdims=True)),
    ("layer_normalization", lambda o: o.layer_normalization(N, gamma=np.full(4, 2.0, "float32"),
                                                            beta=np.ones(4, "float32"), epsilon=1e-3)),
    ("rms_normalization", lambda o: o.rms_normalization(N, scale=np.full(4, 2.0, "float32"), axis=-1)),
    ("normalize l2", lambda o: o.normalize(N, axis=0)),
    ("normalize l1", lambda o: o.normalize(N, order=1)),
    ("binary_crossentropy", lambda o: o.binary_crossentropy(B, A)),
    ("binary_crossentropy logits", lambda o: o.binary_crossentropy(B, N, from_logits=True)),
    ("categorical_crossentropy", lambda o: o.categorical_crossentropy(ONEHOT, PROBS)),
    ("categorical_crossentropy logits", lambda o: o.categorical_crossentropy(ONEHOT, PROBS, from_logits=True)),
    ("sparse_categorical_crossentropy", lambda o: o.sparse_categorical_crossentropy(
        np.array([1, 2]), PROBS, from_logits=True)),
    ("one_hot", lambda o: o.one_hot(np.array([0, 2, -1]), 3, axis=0, dtype="int32")),
    ("multi_hot", lambda o: o.multi_hot(np.array([[0, 2], [1, 1]]), num_classes=4)),
    ("psnr", lambda o: o.psnr(A, B, max_val=1.0)),
    ("softsign", lambda o: o.softsign(N)),
    ("hard_shrink", lambda o: o.hard_shrink(N, threshold=0.3)),
    ("soft_shrink", lambda o: o.soft_shrink(N, threshold=0.3)),
    ("tanh_shrink", lambda o: o.tanh_shrink(N)),
    ("threshold", lambda o: o.threshold(N, 0.1, default_value=-5.0)),
    ("sparsemax", lambda o: o.sparsemax(N, axis=0)),
    ("polar", lambda o: o.polar(A, B)),
    ("gelu exact", lambda o: o.gelu(N, approximate=False)),
    ("leaky_relu", lambda o: o.leaky_relu(N, negative_slope=0.1)),
    ("dot_product_attention", lambda o: o.dot_product_attention(Q, Q * 0.5, Q, is_causal=True)),
    ("dot_product_attention mask", lambda o: o.dot_product_attention(
        Q, Q, Q, mask=np.tril(np.ones((5, 5), bool)), scale=0.3)),
    ("ctc_loss", lambda o: o.ctc_loss(np.array([[1, 2, 0], [2, 0, 0]]), np.log(np.tile(PROBS[:, None], (1, 4, 1))),
                                      np.array([2, 1]), np.array([4, 3]))),
    ("ctc_decode", lambda o: o.ctc_decode(np.log(np.tile(PROBS[:, None], (1, 4, 1))), np.array([4, 3]))),
    # core
    ("convert_to_tensor dtype", lambda o: o.convert_to_tensor([1, 2], dtype="float32")),
    ("cast", lambda o: o.cast(A * 10, "int32")),
    ("saturate_cast", lambda o: o.saturate_cast(np.array([-3.0, 300.0, 7.6], "float32"), "uint8")),
    ("scatter", lambda o: o.scatter(np.array([[0, 1], [2, 3]]), np.array([5.0, 6.0], "float32"), (3, 4))),
    ("scatter_update", lambda o: o.scatter_update(A, np.array([[0, 1], [2, 3]]), np.array([5.0, 6.0], "float32"))),
    ("scatter_update add", lambda o: o.scatter_update(A, [[0, 1]], np.array([5.0], "float32"), reduction="add")),
    ("slice", lambda o: o.slice(A, (1, 1), (2, -1))),
    ("slice_update", lambda o: o.slice_update(A, (1, 2), np.zeros((2, 2), "float32"))),
    ("unstack", lambda o: o.unstack(A, axis=1)),
    ("while_loop", lambda o: o.while_loop(lambda i, s: i < 10, lambda i, s: (i + 1, s * 2.0),
                                          (0, 1.0), maximum_iterations=5)),
    ("fori_loop", lambda o: o.fori_loop(0, 4, lambda i, v: v + i, 0)),
    ("scan", lambda o: o.scan(lambda c, x: (c + x, c * x), 0.0, np.arange(4, dtype="float32"))),
    ("cond", lambda o: o.cond(True, lambda: A, lambda: B)),
    ("vectorized_map", lambda o: o.vectorized_map(lambda r: r.sum(), A)),
    ("stop_gradient", lambda o: o.stop_gradient(np.asarray(A))),
    ("top_k", lambda o: o.top_k(N, 2, sorted=True)),
    # math
    ("segment_sum", lambda o: o.segment_sum(A, np.array([0, 0, 2]), num_segments=3)),
    ("segment_max", lambda o: o.segment_max(A, np.array([0, 1, 1]), num_segments=2, sorted=True)),
    ("in_top_k", lambda o: o.in_top_k(np.array([1, 2]), PROBS, k=1)),
    ("logsumexp", lambda o: o.logsumexp(N, axis=1, keepdims=True)),
    ("extract_sequences", lambda o: o.extract_sequences(SIG, sequence_length=8, sequence_stride=4)),
    ("rfft", lambda o: o.rfft(SIG, fft_length=16)),
    ("irfft", lambda o: o.irfft((A, B), fft_length=6)),
    ("fft", lambda o: o.fft((A, B))),
    ("fft2", lambda o: o.fft2((A, B))),
    ("stft", lambda o: o.stft(SIG, sequence_length=8, sequence_stride=4, fft_length=16)),
    ("stft hamming no center", lambda o: o.stft(SIG, 8, 2, 8, window="hamming", center=False)),
    ("istft", lambda o: o.istft(o.stft(SIG, 8, 4, 16), sequence_length=8, sequence_stride=4, fft_length=16)),
    ("erfinv", lambda o: o.erfinv(A - 0.5)),
    ("rsqrt", lambda o: o.rsqrt(A)),
    ("logdet", lambda o: o.logdet(SPD)),
    ("cdist", lambda o: o.cdist(A, B)),
    ("view_as_real", lambda o: o.view_as_real(o.view_as_complex(np.stack([A, B], -1)))),
    # numpy names whose Keras semantics differ from jax.numpy's
    ("divide_no_nan", lambda o: o.divide_no_nan(A, np.where(B > 0.5, B, 0.0))),
    ("clip bool", lambda o: o.clip(A > 0.5, 0, 1)),
    ("clip", lambda o: o.clip(N, x_min=-0.5, x_max=0.5)),
    ("ceil int", lambda o: o.ceil(I)),
    ("floor int", lambda o: o.floor(I)),
    ("arange ints", lambda o: o.arange(2, 9, 2)),
    ("arange float", lambda o: o.arange(0, 1, 0.25)),
    ("get_item", lambda o: o.get_item(A, 1)),
    ("mean of list", lambda o: o.mean([1, 2, 4])),
    ("sum keyword", lambda o: o.sum(x=A, axis=0, keepdims=True)),
    ("add keywords", lambda o: o.add(x1=A, x2=2)),
    ("max initial", lambda o: o.max(A, axis=1, initial=0.5)),
    ("reshape", lambda o: o.reshape(A, newshape=(2, -1))),
    ("pad", lambda o: o.pad(A, ((1, 0), (0, 2)), constant_values=3.0)),
    ("pad reflect", lambda o: o.pad(A, 1, mode="reflect")),
    ("tile", lambda o: o.tile(A, (2, 1))),
    ("where", lambda o: o.where(A > 0.5, A, 0.0)),
    ("where one argument", lambda o: o.where(A > 0.5)),
    ("round negative decimals", lambda o: o.round(I * 37, decimals=-1)),
    ("bincount", lambda o: o.bincount(np.array([0, 1, 1, 3]), minlength=6)),
    ("bincount weights", lambda o: o.bincount(np.array([0, 1, 1]), weights=np.array([0.5, 1.0, 2.0], "float32"))),
    ("slogdet", lambda o: o.slogdet(SQ)),
    ("stack", lambda o: o.stack([A, B], axis=1)),
    ("concatenate", lambda o: o.concatenate([A, B], axis=-1)),
    ("select", lambda o: o.select([A < 0.3, A > 0.7], [A, B], default=-1.0)),
    ("take_along_axis", lambda o: o.take_along_axis(A, np.argsort(A, axis=1), axis=1)),
    ("unique", lambda o: o.unique(np.array([3, 1, 3, 2]), return_counts=True)),
    ("hamming", lambda o: o.hamming(5)),
    ("kaiser", lambda o: o.kaiser(5, beta=2.0)),
    ("eye", lambda o: o.eye(3, 4, k=1, dtype="int32")),
    ("linspace", lambda o: o.linspace(0, 1, num=5, endpoint=False)),
    ("view", lambda o: o.view(A, "int32")),
    ("nonzero", lambda o: o.nonzero(I)),
    ("median", lambda o: o.median(I, axis=0)),
    ("trapezoid", lambda o: o.trapezoid(A, dx=0.5)),
    ("einsum", lambda o: o.einsum("ij,kj->ik", A, B)),
    ("searchsorted", lambda o: o.searchsorted(np.arange(5.0), np.array([1.5, 3.0]), side="right")),
    # linalg
    ("cholesky", lambda o: o.cholesky(SPD)),
    ("cholesky upper", lambda o: o.cholesky(SPD, upper=True)),
    ("cholesky_inverse", lambda o: o.cholesky_inverse(np.linalg.cholesky(SPD))),
    ("det", lambda o: o.det(SQ)),
    ("inv", lambda o: o.inv(SQ)),
    ("solve", lambda o: o.solve(SQ, A[:, :2].copy())),
    ("solve_triangular", lambda o: o.solve_triangular(np.tril(SQ), A, lower=True)),
    ("svd values", lambda o: o.svd(A, compute_uv=False)),
    ("qr", lambda o: np.abs(o.convert_to_numpy(o.qr(SQ)[1]))),
    ("eigh values", lambda o: o.eigh(SPD)[0]),
    ("norm", lambda o: o.norm(A, ord="fro", keepdims=True)),
    ("norm vector", lambda o: o.norm(N, ord=1, axis=1)),
    ("norm int", lambda o: o.norm(I)),
    ("lstsq", lambda o: o.lstsq(A.T.copy(), np.ones((4, 1), "float32"))),
    ("matrix_rank", lambda o: o.matrix_rank(A)),
    ("pinv", lambda o: o.pinv(A)),
    ("lu_factor", lambda o: o.lu_factor(SQ)),
    ("linalg.norm", lambda o: o.linalg.norm(N, axis=0)),
    # image
    ("image.resize", lambda o: o.image.resize(IMG, (3, 5))),
    ("image.resize nearest crop", lambda o: o.image.resize(IMG, (4, 4), interpolation="nearest",
                                                           crop_to_aspect_ratio=True)),
    ("image.resize pad", lambda o: o.image.resize(IMG, (4, 4), pad_to_aspect_ratio=True, fill_value=1.0)),
    ("image.resize channels_first", lambda o: o.image.resize(IMG.transpose(0, 3, 1, 2), (3, 4),
                                                             interpolation="bicubic", data_format="channels_first")),
    ("image.rgb_to_grayscale", lambda o: o.image.rgb_to_grayscale(IMG)),
    ("image.rgb_to_hsv", lambda o: o.image.rgb_to_hsv(IMG)),
    ("image.hsv_to_rgb", lambda o: o.image.hsv_to_rgb(IMG)),
    ("image.crop_images", lambda o: o.image.crop_images(IMG, top_cropping=1, left_cropping=2, target_height=3,
                                                        target_width=4)),
    ("image.crop_images bottom right", lambda o: o.image.crop_images(IMG[0], top_cropping=1, bottom_cropping=2, left_cropping=0, right_cropping=1)),
    ("image.pad_images", lambda o: o.image.pad_images(IMG, top_padding=1, left_padding=2, target_height=9,
                                                      target_width=11)),
    ("image.pad_images bottom right", lambda o: o.image.pad_images(IMG[0], top_padding=0, bottom_padding=2, left_padding=3, right_padding=1)),
    ("image.affine_transform", lambda o: o.image.affine_transform(
        IMG[0], np.array([1.1, 0.1, -1.0, -0.05, 0.9, 0.5, 0.0, 0.0], "float32"))),
    ("image.affine_transform nearest reflect", lambda o: o.image.affine_transform(
        IMG, np.tile([[0.8, 0.0, 1.5, 0.2, 1.0, -0.5, 0.0, 0.0]], (2, 1)).astype("float32"),
        interpolation="nearest", fill_mode="reflect")),
    ("image.map_coordinates", lambda o: o.image.map_coordinates(A, np.array([[0.5, 1.7], [2.2, 0.1]], "float32"),
                                                                order=1, fill_mode="nearest")),
    ("image.extract_patches", lambda o: o.image.extract_patches(IMG, 2)),
    ("image.extract_patches strides same", lambda o: o.image.extract_patches(IMG, (3, 2), strides=(2, 3),
                                                                             padding="same")),
]


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
def test_op_matches_keras_3(name, fn):
    _compare(fn(ops), fn(keras.ops))


def _names(module):
    return sorted(n for n in dir(module) if not n.startswith("_") and not inspect.ismodule(getattr(module, n)))


NOT_PROVIDED = set()  # every Keras 3 op is provided


@pytest.mark.parametrize("submodule", ["", "numpy", "nn", "linalg", "image"])
def test_every_keras_op_exists_with_keras_argument_names(submodule):
    ref = keras.ops if not submodule else getattr(keras.ops, submodule)
    ours = ops if not submodule else getattr(ops, submodule)
    for name in _names(ref):
        if name in NOT_PROVIDED:
            continue
        assert hasattr(ours, name), f"jkeras.ops.{submodule + '.' if submodule else ''}{name} is missing"
        expected = list(inspect.signature(getattr(ref, name)).parameters)
        assert list(inspect.signature(getattr(ours, name)).parameters) == expected, name


# Element-wise and reduction functions, on floats and on ints.
ELEMENTWISE = [n for n in _names(keras.ops.numpy)
               if list(inspect.signature(getattr(keras.ops.numpy, n)).parameters) in (["x"], ["x1", "x2"],
                                                                                      ["x", "axis", "keepdims"])]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_and_reductions_match_keras_3(name):
    params = list(inspect.signature(getattr(keras.ops.numpy, name)).parameters)
    for x, y in ((A, B), (I, I + 1), (SQ, SQ)):
        args = (x, y) if params == ["x1", "x2"] else (x,)
        try:
            ref = getattr(keras.ops, name)(*args)
        except Exception:  # not defined for these inputs in Keras (e.g. gcd of floats)
            continue
        _compare(getattr(ops, name)(*args), ref)
    if params[1:] == ["axis", "keepdims"]:
        _compare(getattr(ops, name)(A, axis=1, keepdims=True), getattr(keras.ops, name)(A, axis=1, keepdims=True))


def test_convert_to_numpy_is_tensor_shape_dtype():
    x = ops.convert_to_tensor(A)
    out = ops.convert_to_numpy(x)
    assert isinstance(out, np.ndarray) and isinstance(keras.ops.convert_to_numpy(x), np.ndarray)
    np.testing.assert_array_equal(out, A)
    assert ops.is_tensor(x) and not ops.is_tensor(A) and keras.ops.is_tensor(x) and not keras.ops.is_tensor(A)
    assert ops.shape(x) == tuple(keras.ops.shape(x))
    assert ops.dtype(x) == keras.ops.dtype(x) == "float32"


def test_custom_gradient_and_errors():
    import jax

    @ops.custom_gradient
    def clipped_identity(x):
        def grad(upstream):
            return jax.numpy.clip(upstream, -0.1, 0.1)

        return x, grad

    np.testing.assert_allclose(jax.grad(lambda v: clipped_identity(v).sum())(A), np.full_like(A, 0.1))
    with pytest.raises(ValueError, match="reduction"):
        ops.scatter_update(A, [[0, 0]], [1.0], reduction="sum")
    with pytest.raises(ValueError, match="num_segments"):
        ops.segment_sum(A, np.array([0, 0, 1]))
    with pytest.raises(ValueError, match="order"):
        ops.normalize(A, order=0)
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.resize(IMG, (2, 2), interpolation="area")
    with pytest.raises(ValueError, match="attn_logits_soft_cap"):
        ops.dot_product_attention(Q, Q, Q, attn_logits_soft_cap=2.0)
    with pytest.raises(ValueError, match="exactly two"):
        ops.image.pad_images(IMG, bottom_padding=2)
    with pytest.raises(ValueError, match="constant_values"):
        ops.pad(A, 1, mode="reflect", constant_values=1.0)


def test_a_functional_model_with_new_ops_saves_and_reloads(tmp_path):
    inputs = jkeras.Input((6, 8, 3))
    x = ops.image.resize(inputs, (4, 4), interpolation="nearest")
    x = ops.image.rgb_to_grayscale(x)
    x = ops.max_pool(x, 2, strides=2, padding="same")
    x = layers.Flatten()(x)
    x = ops.normalize(x, axis=-1)
    x = ops.divide_no_nan(x, ops.clip(x, x_min=0.0, x_max=0.5))
    outputs = layers.Dense(2)(ops.layer_normalization(x, epsilon=1e-3))
    model = jkeras.Model(inputs, outputs)
    assert [l.op for l in model._graph_layers if isinstance(l, layers.OpLambda)][:2] == ["ops.image.resize",
                                                                                  "ops.image.rgb_to_grayscale"]
    expected = model.predict(IMG, verbose=0)
    model.save(tmp_path / "ops.keras")
    loaded = jkeras.models.load_model(tmp_path / "ops.keras")
    np.testing.assert_allclose(loaded.predict(IMG, verbose=0), expected, rtol=1e-6)
    # The same computation in Keras 3.
    k = keras.ops
    ref = k.image.rgb_to_grayscale(k.image.resize(IMG, (4, 4), interpolation="nearest"))
    ref = k.normalize(k.reshape(k.max_pool(ref, 2, strides=2, padding="same"), (2, -1)), axis=-1)
    ref = k.layer_normalization(k.divide_no_nan(ref, k.clip(ref, 0.0, 0.5)), epsilon=1e-3)
    kernel, bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(expected, np.asarray(ref) @ kernel + bias, rtol=1e-4, atol=1e-5)


def test_saved_submodule_names_resolve_only_inside_jkeras_ops():
    assert layers.OpLambda("ops.image.resize", ({"tensor": 0}, (2, 2))).function is ops.image.resize
    for bad in ("ops.os.system", "ops.image._images", "ops.jax.numpy.save", "backend.image.resize",
                "ops._base.op"):
        with pytest.raises(ValueError, match="unknown operation"):
            layers.OpLambda(bad)

"""`jkeras.ops.nn`: Keras 3's neural-network operations (`keras.ops.nn`): activations,
convolutions, pooling, normalization, losses, one-hot encodings, CTC, attention."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jkeras.ops._base import _t, check_data_format, epsilon, op, standardize_dtype


def _normalize(x, mean, variance, epsilon, gamma=None, beta=None):
    """`gamma * (x - mean) / sqrt(variance + epsilon) + beta`, in Keras's operation order
    (shared with the normalization layers)."""
    inv = jax.lax.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    shift = -mean * inv
    if beta is not None:
        shift = shift + beta
    return x * inv + shift

# Activations of one tensor `x`: jax.nn's function of that name.
_ACTIVATIONS = (
    "relu", "relu6", "sigmoid", "sparse_sigmoid", "softplus", "sparse_plus", "silu", "log_sigmoid",
    "hard_sigmoid", "hard_silu", "selu", "hard_tanh",
)


def _activation(name):
    fn = getattr(jax.nn, name)

    def activation(x):
        return fn(_t(x))

    activation.__name__ = activation.__qualname__ = name
    activation.__doc__ = f"The `{name}` activation of `x`, element-wise (Keras's `ops.{name}`)."
    return op(activation)


for _name in _ACTIVATIONS:
    globals()[_name] = _activation(_name)


@op
def swish(x):
    """`x * sigmoid(x)` (the same as `silu`)."""
    return jax.nn.silu(_t(x))


@op
def hard_swish(x):
    """`x * relu6(x + 3) / 6` (the same as `hard_silu`)."""
    return jax.nn.hard_silu(_t(x))


@op
def tanh(x):
    """Hyperbolic tangent of `x`, element-wise."""
    return jnp.tanh(_t(x))


@op
def tanh_shrink(x):
    """`x - tanh(x)`."""
    x = _t(x)
    return x - jnp.tanh(x)


@op
def softsign(x):
    """`x / (1 + |x|)`."""
    return jax.nn.soft_sign(_t(x))


@op
def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0."""
    x = _t(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


@op
def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0."""
    x = _t(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


@op
def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    x = _t(x)
    return jnp.where(x > threshold, x, default_value)


@op
def squareplus(x, b=4):
    """`(x + sqrt(x ** 2 + b)) / 2`."""
    return jax.nn.squareplus(_t(x), b=b)


@op
def leaky_relu(x, negative_slope=0.2):
    """`x` for positive `x`, else `negative_slope * x`."""
    return jax.nn.leaky_relu(_t(x), negative_slope=negative_slope)


@op
def elu(x, alpha=1.0):
    """`x` for positive `x`, else `alpha * (exp(x) - 1)`."""
    return jax.nn.elu(_t(x), alpha=alpha)


@op
def celu(x, alpha=1.0):
    """`max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)`."""
    return jax.nn.celu(_t(x), alpha=alpha)


@op
def gelu(x, approximate=True):
    """Gaussian error linear unit; the tanh approximation when `approximate`."""
    return jax.nn.gelu(_t(x), approximate)


@op
def glu(x, axis=-1):
    """Gated linear unit: `a * sigmoid(b)` for the halves `a`, `b` of `x` along `axis`."""
    return jax.nn.glu(_t(x), axis=axis)


@op
def softmax(x, axis=-1):
    """Softmax of `x` along `axis`."""
    return jax.nn.softmax(_t(x), axis=axis)


@op
def log_softmax(x, axis=-1):
    """Log-softmax of `x` along `axis`."""
    return jax.nn.log_softmax(_t(x), axis=axis)


@op
def sparsemax(x, axis=-1):
    """Sparsemax of `x` along `axis`: the Euclidean projection onto the probability simplex."""
    logits = _t(x)
    ordered = -jnp.sort(-logits, axis=axis)
    cumsum = jnp.cumsum(ordered, axis=axis)
    shape = [1] * logits.ndim
    shape[axis] = -1
    r = jnp.arange(1, logits.shape[axis] + 1).reshape(shape)
    support = ordered - (cumsum - 1) / r > 0
    k = jnp.sum(support, axis=axis, keepdims=True)
    tau = (jnp.sum(jnp.where(support, cumsum, 0.0), axis=axis, keepdims=True) - 1) / k
    return jnp.maximum(logits - tau, 0.0)


@op
def polar(abs_, angle):
    """The complex numbers `abs_ * (cos(angle) + i sin(angle))`."""
    abs_, angle = _t(abs_), _t(angle)
    return jax.lax.complex(abs_ * jnp.cos(angle), abs_ * jnp.sin(angle))


# ------------------------------------------------------------------------------------------------
# Convolution and pooling


def _spatial(value, rank, name):
    """An int or a sequence of `rank` ints, as a tuple of `rank` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * rank
    value = tuple(int(v) for v in value)
    if len(value) != rank:
        raise ValueError(f"{name} must be an int or {rank} ints, received {name}={value}")
    return value


def _padding(padding):
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', received padding={padding!r}")
    return padding.upper()


def _dimension_numbers(rank, data_format):
    spatial = "".join("DHW"[3 - rank:])
    lhs = "N" + spatial + "C" if data_format == "channels_last" else "NC" + spatial
    return lhs, spatial + "IO", lhs


def _window(value, rank, data_format):
    """A per-spatial-axis window / stride as lax.reduce_window's per-axis tuple."""
    return (1,) + value + (1,) if data_format == "channels_last" else (1, 1) + value


@op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution of `inputs` (batch, spatial..., channels) with `kernel`
    (spatial..., in_channels, out_channels); grouped when in_channels divides the input channels.

    Raises:
        ValueError: when the kernel's input channels do not divide the input's channels.
    """
    data_format = check_data_format(data_format)
    kernel = _t(kernel)
    inputs = _t(inputs, kernel.dtype)
    rank = inputs.ndim - 2
    channels = inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]
    if channels % kernel.shape[-2]:
        raise ValueError(
            f"conv: the input channels ({channels}) must be a multiple of the kernel's input "
            f"channels ({kernel.shape[-2]})"
        )
    return jax.lax.conv_general_dilated(
        inputs, kernel, _spatial(strides, rank, "strides"), _padding(padding),
        rhs_dilation=_spatial(dilation_rate, rank, "dilation_rate"),
        dimension_numbers=_dimension_numbers(rank, data_format),
        feature_group_count=channels // kernel.shape[-2],
    )


@op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: each input channel convolved with its own `kernel`
    (spatial..., in_channels, channel_multiplier) filters."""
    data_format = check_data_format(data_format)
    inputs, kernel = _t(inputs), _t(kernel)
    rank = inputs.ndim - 2
    channels = inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]
    if kernel.shape[-2] != channels:
        raise ValueError(
            f"depthwise_conv: the kernel's input channels ({kernel.shape[-2]}) must equal the "
            f"input's channels ({channels})"
        )
    kernel = jnp.reshape(kernel, kernel.shape[:-2] + (1, channels * kernel.shape[-1]))
    return jax.lax.conv_general_dilated(
        inputs, kernel, _spatial(strides, rank, "strides"), _padding(padding),
        rhs_dilation=_spatial(dilation_rate, rank, "dilation_rate"),
        dimension_numbers=_dimension_numbers(rank, data_format), feature_group_count=channels,
    )


@op
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise convolution followed by a pointwise (1x1) convolution."""
    out = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(out, pointwise_kernel, strides=1, padding="valid", data_format=data_format,
                dilation_rate=dilation_rate)


def _transpose_padding(kernel_size, stride, dilation_rate, padding, output_padding):
    """Keras's (left, right) padding of a transposed convolution for `lax.conv_transpose`."""
    kernel_size = (kernel_size - 1) * dilation_rate + 1
    if padding.lower() == "valid":
        if output_padding is None:
            output_padding = max(kernel_size, stride) - kernel_size
        return kernel_size - 1, kernel_size - 1 + output_padding
    if output_padding is None:
        total = stride + kernel_size - 2
    else:
        total = kernel_size + kernel_size % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, kernel_size - 1)
    return left, total - left


@op
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """Transposed N-D convolution; `kernel` is (spatial..., out_channels, in_channels)."""
    data_format = check_data_format(data_format)
    inputs, kernel = _t(inputs), _t(kernel)
    rank = inputs.ndim - 2
    _padding(padding)
    strides = _spatial(strides, rank, "strides")
    dilation_rate = _spatial(dilation_rate, rank, "dilation_rate")
    if output_padding is not None:
        output_padding = _spatial(output_padding, rank, "output_padding")
    pads = [
        _transpose_padding(kernel.shape[i], strides[i], dilation_rate[i], padding,
                           None if output_padding is None else output_padding[i])
        for i in range(rank)
    ]
    return jax.lax.conv_transpose(inputs, kernel, strides, pads, rhs_dilation=dilation_rate,
                                  dimension_numbers=_dimension_numbers(rank, data_format),
                                  transpose_kernel=True)


def _pool_args(inputs, pool_size, strides, data_format):
    data_format = check_data_format(data_format)
    rank = inputs.ndim - 2
    pool_size = _spatial(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else _spatial(strides, rank, "strides")
    return _window(pool_size, rank, data_format), _window(strides, rank, data_format)


@op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over windows of `pool_size` (strides default to `pool_size`)."""
    inputs = _t(inputs)
    window, strides = _pool_args(inputs, pool_size, strides, data_format)
    return jax.lax.reduce_window(inputs, -jnp.inf, jax.lax.max, window, strides, _padding(padding))


@op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over windows of `pool_size`; "same" padding averages only real entries."""
    inputs = _t(inputs)
    window, strides = _pool_args(inputs, pool_size, strides, data_format)
    pooled = jax.lax.reduce_window(inputs, 0.0, jax.lax.add, window, strides, _padding(padding))
    if padding.lower() == "valid":
        return pooled / math.prod(window)
    shape = [a if b != 1 else 1 for a, b in zip(inputs.shape, window)]
    counts = jax.lax.reduce_window(jnp.ones(shape, inputs.dtype), 0.0, jax.lax.add, window, strides, "SAME")
    return pooled / counts


def _adaptive_pool(inputs, output_size, data_format, reduce):
    data_format = check_data_format(data_format)
    inputs = _t(inputs)
    rank = inputs.ndim - 2
    output_size = _spatial(output_size, rank, "output_size")
    first = 1 if data_format == "channels_last" else 2
    out = inputs
    for i, size in enumerate(output_size):
        axis = first + i
        length = out.shape[axis]
        pieces = []
        for j in range(size):  # PyTorch's bins: [floor(j * L / n), ceil((j + 1) * L / n))
            start, stop = (j * length) // size, -((-(j + 1) * length) // size)
            pieces.append(reduce(jax.lax.slice_in_dim(out, start, stop, axis=axis), axis=axis, keepdims=True))
        out = jnp.concatenate(pieces, axis=axis)
    return out


@op
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed spatial `output_size` (PyTorch's adaptive bins)."""
    return _adaptive_pool(inputs, output_size, data_format, jnp.mean)


@op
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed spatial `output_size` (PyTorch's adaptive bins)."""
    return _adaptive_pool(inputs, output_size, data_format, jnp.max)


@op
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into `block_size` x `block_size` spatial blocks (pixel shuffle)."""
    x = _t(x)
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = jnp.reshape(x, (n, h, w, block_size, block_size, c // block_size ** 2))
        x = jnp.transpose(x, (0, 1, 3, 2, 4, 5))
        return jnp.reshape(x, (n, h * block_size, w * block_size, c // block_size ** 2))
    n, c, h, w = x.shape
    x = jnp.reshape(x, (n, c // block_size ** 2, block_size, block_size, h, w))
    x = jnp.transpose(x, (0, 1, 4, 2, 5, 3))
    return jnp.reshape(x, (n, c // block_size ** 2, h * block_size, w * block_size))


@op
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves `block_size` x `block_size` spatial blocks into channels (pixel unshuffle)."""
    x = _t(x)
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = jnp.reshape(x, (n, h // block_size, block_size, w // block_size, block_size, c))
        x = jnp.transpose(x, (0, 1, 3, 2, 4, 5))
        return jnp.reshape(x, (n, h // block_size, w // block_size, c * block_size ** 2))
    n, c, h, w = x.shape
    x = jnp.reshape(x, (n, c, h // block_size, block_size, w // block_size, block_size))
    x = jnp.transpose(x, (0, 1, 3, 5, 2, 4))
    return jnp.reshape(x, (n, c * block_size ** 2, h // block_size, w // block_size))


# ------------------------------------------------------------------------------------------------
# Encodings, normalization, losses


@op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encoding of the int tensor `x` in a new `axis` of size `num_classes`
    (negative or out-of-range indices give zeros)."""
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported (no sparse tensors in jkeras)")
    return jax.nn.one_hot(_t(x), num_classes, axis=axis, dtype=standardize_dtype(dtype) or "float32")


@op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encoding: per sample (first axis of a 2-D `inputs`), 1 for each class present."""
    if "data" in kwargs:  # Keras's former argument name
        inputs = kwargs.pop("data")
    if kwargs:
        raise TypeError(f"multi_hot: unexpected arguments {sorted(kwargs)}")
    if num_classes is None:
        raise ValueError("multi_hot: num_classes is required")
    if sparse:
        raise ValueError("multi_hot: sparse=True is not supported (no sparse tensors in jkeras)")
    x = _t(inputs).astype("int32")
    encoded = jax.nn.one_hot(x, num_classes, axis=axis, dtype=standardize_dtype(dtype) or "float32")
    return jnp.max(encoded, axis=1 if x.ndim > 1 else 0)


@op
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of `x` over `axes`; float16 / bfloat16 computed in float32.

    Raises:
        NotImplementedError: for `synchronized=True`.
    """
    if synchronized:
        raise NotImplementedError("moments: synchronized=True is not supported with JAX")
    x = _t(x)
    dtype = x.dtype
    low = dtype in (jnp.float16, jnp.bfloat16)
    if low:
        x = x.astype("float32")
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    mean = jnp.mean(x, axes, keepdims=keepdims)
    variance = jnp.var(x, axis=axes, keepdims=keepdims)
    if low:
        info = jnp.finfo(jnp.float16)
        mean = jnp.clip(mean, info.min, info.max).astype(dtype)
        variance = jnp.clip(variance, info.min, info.max).astype(dtype)
    return mean, variance


@op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, the 1-D statistics along `axis`."""
    x = _t(x)
    shape = [1] * x.ndim
    shape[axis] = _t(mean).shape[0]
    along = lambda v: None if v is None else jnp.reshape(_t(v), shape)  # noqa: E731
    return _normalize(x, along(mean), along(variance), epsilon, along(scale), along(offset))


def _compute_dtype(dtype):
    return jnp.promote_types(dtype, jnp.float32)


@op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalizes `x` over `axis` to zero mean and unit variance, then `* gamma + beta`."""
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}")
    eps = globals()["epsilon"]() if epsilon is None else epsilon
    x = _t(x)
    original = x.dtype
    x = x.astype(_compute_dtype(original))
    axes = sorted([axis] if isinstance(axis, int) else axis)
    shape = [1] * x.ndim
    for dim in axes:
        shape[dim] = x.shape[dim]

    def broadcast(v):
        if v is None:
            return None
        v = _t(v).astype(x.dtype)
        return jnp.reshape(v, shape) if v.ndim != x.ndim and axes != [x.ndim - 1] else v

    gamma, beta = broadcast(gamma), broadcast(beta)
    if rms_scaling:
        out = x * jax.lax.rsqrt(jnp.var(x, axis=axes, keepdims=True) + eps)
        if gamma is not None:
            out = out * gamma
        return out.astype(original)
    mean, variance = jnp.mean(x, axis=axes, keepdims=True), jnp.var(x, axis=axes, keepdims=True)
    return _normalize(x, mean, variance, eps, gamma, beta).astype(original)


@op
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x ** 2, axis) + epsilon) * scale`."""
    eps = globals()["epsilon"]() if epsilon is None else epsilon
    x = _t(x)
    original = x.dtype
    x = x.astype(_compute_dtype(original))
    axis = sorted(axis) if isinstance(axis, (list, tuple)) else axis
    if x.ndim == 0:
        x = x[None]
    out = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=axis, keepdims=True) + eps)
    if scale is not None:
        out = out * _t(scale).astype(x.dtype)
    return out.astype(original)


@op
def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm along `axis` (at least `epsilon`).

    Raises:
        ValueError: when `order` is not an int >= 1.
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1, received order={order!r}")
    eps = globals()["epsilon"]() if epsilon is None else epsilon
    x = _t(x)
    if x.ndim == 0:
        x = x[None]
    if order == 2:
        inv = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inv, 1.0 / eps)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, eps)


def _check_same_shape(target, output):
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape, received "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )


@op
def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy of probabilities (or logits) `output` against `target`."""
    target, output = _t(target), _t(output)
    _check_same_shape(target, output)
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1.0 - target) * jax.nn.log_sigmoid(-output)
    output = jnp.clip(output, epsilon(), 1.0 - epsilon())
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def _log_prob(output, from_logits, axis):
    if from_logits:
        return jax.nn.log_softmax(output, axis=axis)
    output = output / jnp.sum(output, axis, keepdims=True)
    return jnp.log(jnp.clip(output, epsilon(), 1.0 - epsilon()))


@op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot `target` against probabilities (or logits) `output` along `axis`."""
    target, output = _t(target), _t(output)
    _check_same_shape(target, output)
    if target.ndim < 1:
        raise ValueError(f"categorical_crossentropy: target and output must be at least rank 1, "
                         f"received shape {target.shape}")
    return -jnp.sum(target * _log_prob(output, from_logits, axis), axis=axis)


@op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of int class `target` against probabilities (or logits) `output`."""
    target, output = _t(target, "int32"), _t(output)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, axis=-1)
    if output.ndim < 1 or target.shape != output.shape[:-1]:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last "
            f"dimension, received target.shape={target.shape}, output.shape={output.shape}"
        )
    log_prob = _log_prob(output, from_logits, axis)
    return -jnp.sum(jax.nn.one_hot(target, output.shape[axis], axis=axis) * log_prob, axis=axis)


@op
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio (dB) of `x2` against `x1`, for values up to `max_val`."""
    x1, x2 = _t(x1), _t(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: x1 and x2 must have the same shape, received {x1.shape} and {x2.shape}")
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(_t(max_val, x2.dtype)) - 10 * jnp.log10(mse)


@op
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss of int labels `target` (batch, max_label) against logits `output`
    (batch, time, classes), with the blank class `mask_index`."""
    target = _t(target, "int32")
    output = _t(output)
    output = output.astype(_compute_dtype(output.dtype))
    target_length, output_length = _t(target_length, "int32"), _t(output_length, "int32")
    logit_paddings = (jnp.arange(output.shape[1])[None, :] >= output_length[:, None]).astype(output.dtype)
    label_paddings = (jnp.arange(target.shape[1])[None, :] >= target_length[:, None]).astype(output.dtype)
    return optax.ctc_loss(output, logit_paddings, target, label_paddings, blank_id=mask_index,
                          log_epsilon=-1e5)


def _prefix_beam_search(log_probs, lengths, beam_width, top_paths, blank):
    """CTC prefix beam search in NumPy, on (batch, time, classes) log-probabilities: for each
    sample, the `top_paths` label sequences of highest probability (summed over their alignments)
    among those kept in a beam of `beam_width` prefixes, as (top_paths, batch, time) labels padded
    with -1 and (batch, top_paths) log-probabilities."""
    log_probs, lengths = np.asarray(log_probs, "float64"), np.asarray(lengths)
    batch, steps, classes = log_probs.shape
    decoded = np.full((top_paths, batch, steps), -1, "int32")
    scores = np.full((batch, top_paths), -np.inf, "float64")
    for b in range(batch):
        beams = {(): (0.0, -np.inf)}  # prefix -> (log P ending in blank, log P ending in a label)
        for t in range(int(min(lengths[b], steps))):
            lp = log_probs[b, t]
            grown = {}

            def add(prefix, blank_score, label_score):
                old_blank, old_label = grown.get(prefix, (-np.inf, -np.inf))
                grown[prefix] = (np.logaddexp(old_blank, blank_score), np.logaddexp(old_label, label_score))

            for prefix, (p_blank, p_label) in beams.items():
                total = np.logaddexp(p_blank, p_label)
                add(prefix, total + lp[blank], -np.inf)
                for c in range(classes):
                    if c == blank:
                        continue
                    if prefix and prefix[-1] == c:  # a repeat collapses unless a blank separates
                        add(prefix, -np.inf, p_label + lp[c])
                        add(prefix + (c,), -np.inf, p_blank + lp[c])
                    else:
                        add(prefix + (c,), -np.inf, total + lp[c])
            ranked = sorted(grown.items(), key=lambda item: -np.logaddexp(*item[1]))
            beams = dict(ranked[:beam_width])
        ranked = sorted(beams.items(), key=lambda item: -np.logaddexp(*item[1]))[:top_paths]
        for k, (prefix, (p_blank, p_label)) in enumerate(ranked):
            decoded[k, b, :len(prefix)] = prefix
            scores[b, k] = np.logaddexp(p_blank, p_label)
    return decoded, scores


@op
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """CTC decoding of (batch, time, classes) scores (logits), with the blank class `mask_index`
    (None: the last class).

    Args:
        strategy: "greedy" (the best class at each step; `merge_repeated` collapses repeats) or
            "beam_search" (prefix beam search over the log-softmax of `inputs`, keeping
            `beam_width` prefixes; repeats are always merged, as in Keras).
        top_paths: with "beam_search", how many sequences to return.

    Returns:
        `(decoded, scores)`: greedy: decoded (1, batch, time) with -1 padding and the negative
        summed best scores (batch, 1); beam search: decoded (top_paths, batch, time) and their
        log-probabilities (batch, top_paths), best first.

    Raises:
        ValueError: for another strategy.
    """
    inputs = _t(inputs)
    inputs = inputs.astype(_compute_dtype(inputs.dtype))
    lengths = _t(sequence_lengths, "int32")
    batch, steps, classes = inputs.shape
    if mask_index is None:
        mask_index = classes - 1
    if strategy == "beam_search":
        log_probs = jax.nn.log_softmax(inputs, axis=-1)
        shapes = (jax.ShapeDtypeStruct((top_paths, batch, steps), jnp.int32),
                  jax.ShapeDtypeStruct((batch, top_paths), jnp.float64 if jax.config.jax_enable_x64 else jnp.float32))
        decoded, scores = jax.pure_callback(
            lambda lp, n: tuple(np.asarray(a, s.dtype) for a, s in zip(
                _prefix_beam_search(lp, n, beam_width, top_paths, mask_index), shapes)),
            shapes, log_probs, lengths)
        return decoded, scores.astype(inputs.dtype)
    if strategy != "greedy":
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")
    indices, scores = jnp.argmax(inputs, axis=-1), jnp.max(inputs, axis=-1)
    beyond = jnp.arange(steps)[None, :] >= lengths[:, None]
    indices = jnp.where(beyond, mask_index, indices)
    scores = jnp.where(beyond, 0.0, scores)
    if merge_repeated:
        repeated = jnp.pad(indices[:, 1:] == indices[:, :-1], ((0, 0), (1, 0)))
        indices = jnp.where(repeated, mask_index, indices)
    invalid = indices == mask_index
    indices = jnp.where(invalid, -1, indices)
    order = jnp.argsort(jnp.where(invalid, steps, jnp.arange(steps)[None, :]), axis=-1)
    indices = jnp.take_along_axis(indices, order, axis=-1)
    return indices[None], -jnp.sum(scores, axis=1)[:, None]


@op
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention over (batch, time, heads, depth) `query`, `key`, `value`;
    `mask` (True = attend) and `bias` broadcast to (batch, heads, query time, key time).

    Raises:
        ValueError: for `flash_attention=True` or `attn_logits_soft_cap` (TPU-only in Keras).
    """
    query, key, value = _t(query), _t(key), _t(value)
    if flash_attention:
        raise ValueError("dot_product_attention: flash_attention=True is not supported here")
    bias = None if bias is None else _t(bias)
    mask = None if mask is None else _t(mask).astype(bool)
    if attn_logits_soft_cap is not None:
        raise ValueError("dot_product_attention: attn_logits_soft_cap is only supported by Keras's JAX "
                         "backend on TPU; received attn_logits_soft_cap=" + repr(attn_logits_soft_cap))
    return jax.nn.dot_product_attention(query, key, value, bias=bias, mask=mask, scale=scale,
                                        is_causal=is_causal)


__all__ = sorted(set(_ACTIVATIONS) | {
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose",
    "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention", "elu",
    "gelu", "glu", "hard_shrink", "hard_swish", "layer_normalization", "leaky_relu", "log_softmax",
    "max_pool", "moments", "multi_hot", "normalize", "one_hot", "polar", "psnr", "rms_normalization",
    "separable_conv", "soft_shrink", "softmax", "softsign", "space_to_depth",
    "sparse_categorical_crossentropy", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink",
    "threshold",
})

from jkeras.ops._fold import fold, unfold  # noqa: E402,F401  (keras.ops.nn.fold / unfold)

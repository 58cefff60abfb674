"""`jkeras.backend` (`K`): the backend functions Keras code uses in `Lambda` layers, custom losses,
metrics and layers, on JAX.

    from jkeras import backend as K
    Lambda(lambda x: K.l2_normalize(x, axis=-1))

Every function accepts JAX / NumPy arrays and jkeras `Variable`s (a layer weight read outside
`call`), and is traceable by `jax.jit`. Random functions draw from the enclosing layer call's key
inside `call`, else from the global seed (`jkeras.utils.set_random_seed`).
"""
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.models import call_scope, shared_layers
from jkeras.core.symbolic import symbolic
from jkeras.utils import naming
from jkeras.utils.random import next_key

from jkeras.core.config import (  # noqa: F401  (the settings live in the pure core)
    epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format,
)


def _v(x):
    """The array behind `x` (a Variable's or a learning rate's current value)."""
    if hasattr(x, "_layer") and hasattr(x, "_collection"):
        return x.value
    if hasattr(x, "_optimizer") and hasattr(x, "assign"):
        return jnp.asarray(x.value)
    return x


# ------------------------------------------------------------------------------------------
# Configuration


def image_dim_ordering():
    """Keras 1's name of the data format: "tf" (channels last) or "th" (channels first)."""
    return "tf" if image_data_format() == "channels_last" else "th"


def set_image_dim_ordering(dim_ordering):
    """Sets the data format from Keras 1's "tf" / "th".

    Raises:
        ValueError: for another value than "tf" / "th".
    """
    if dim_ordering not in ("tf", "th"):
        raise ValueError(f"set_image_dim_ordering: dim_ordering must be 'tf' or 'th', got {dim_ordering!r}")
    set_image_data_format("channels_last" if dim_ordering == "tf" else "channels_first")


def backend():
    return "jax"


def clear_session():
    """Forgets the default names given so far (the next Dense is `dense` again)."""
    naming.reset_names()


# ------------------------------------------------------------------------------------------
# Values and variables


def variable(value, dtype=None, name=None):
    """A JAX array of `value` (jkeras layers hold their weights themselves)."""
    del name
    return jnp.asarray(value, dtype or floatx())


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A symbolic input of `shape` (batch axis included; None for free sizes), as Keras 2's
    placeholder: an `Input` that `K.function` feeds and `K.gradients` differentiates by.

    Raises:
        ValueError: if neither `shape` nor `ndim` is given, or for `sparse=True`.
    """
    from jkeras.models.input_layer import Input

    if shape is None and ndim is None:
        raise ValueError("placeholder: give `shape` (batch axis included) or `ndim`, got neither")
    if sparse:
        raise ValueError("placeholder: sparse=True is not supported (no sparse tensors in jkeras)")
    if shape is None:
        shape = (None,) * int(ndim)
    return Input(batch_shape=tuple(shape), dtype=dtype or floatx(), name=name)


def constant(value, dtype=None, shape=None, name=None):
    del name
    value = jnp.asarray(value, dtype or floatx())
    return jnp.broadcast_to(value, shape) if shape is not None else value


def get_value(x):
    """The value of a weight, learning rate or array as a NumPy array of its own (writable, as
    Keras 2's)."""
    return np.array(_v(x))


def batch_get_value(xs):
    return [get_value(x) for x in xs]


def set_value(x, value):
    """Sets a weight (`Variable`) or an optimizer's learning rate to `value`.

    Raises:
        TypeError: if `x` cannot be assigned (a plain array).
    """
    if not hasattr(x, "assign"):
        raise TypeError(f"set_value: {type(x).__name__} cannot be assigned; pass a layer weight or optimizer.lr")
    x.assign(np.asarray(value))


def batch_set_value(pairs):
    for x, value in pairs:
        set_value(x, value)


def is_tensor(x):
    return isinstance(_v(x), (jax.Array, np.ndarray))


def shape(x):
    """The shape of `x`: a tuple of ints; of a symbolic tensor, a tuple of symbolic scalars
    (its sizes when the graph runs, as Keras 2's dynamic `K.shape`)."""
    return tuple(jnp.shape(_v(x)))


def int_shape(x):
    """The static shape as a tuple (None for unknown sizes of symbolic tensors)."""
    return tuple(x.shape)


def ndim(x):
    return len(int_shape(x))


def dtype(x):
    return str(x.dtype)


def count_params(x):
    return int(np.prod(int_shape(x)))


def is_variable(x):
    """Whether `x` is a layer's weight (Keras 2)."""
    from jkeras.models.variable import Variable

    return isinstance(x, Variable)


def is_placeholder(x):
    """Whether `x` is a symbolic input (`K.placeholder`, an `Input` tensor; Keras 2)."""
    from jkeras.models.node import KerasTensor

    return isinstance(x, KerasTensor) and getattr(x, "_keras_history", None) is not None and x.node.is_input


def identity(x, name=None):
    """`x` itself, as an array (Keras 2)."""
    del name
    return jnp.asarray(_v(x))


def size(x, name=None):
    """The number of elements of `x`, as an int32 scalar (Keras 2)."""
    del name
    return jnp.asarray(jnp.size(_v(x)), "int32")


def slice(x, start, size):  # noqa: A001
    """`x[start[0]:start[0] + size[0], ...]` (Keras 2; a size of -1 takes the rest of the axis).

    Raises:
        ValueError: if `start` and `size` do not have one entry per axis of `x`.
    """
    x = _v(x)
    start, size = list(start), list(size)
    if len(start) != jnp.ndim(x) or len(size) != jnp.ndim(x):
        raise ValueError(f"slice: start and size must have one entry per axis of x ({jnp.ndim(x)}), got "
                         f"start={start!r}, size={size!r}")
    return jax.lax.dynamic_slice(x, start, [d - b if n == -1 else n for b, n, d in zip(start, size, x.shape)])


def normalize_data_format(value):
    """The data format `value` names ("channels_last" / "channels_first", any case); None:
    `image_data_format()` (Keras 2).

    Raises:
        ValueError: for another value.
    """
    if value is None:
        return image_data_format()
    data_format = str(value).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f'The `data_format` argument must be one of "channels_first", "channels_last". '
                         f"Received: {value!r}")
    return data_format


def control_dependencies(control_inputs):
    """A context that does nothing (Keras 2: ops run in order in JAX, updates happen when
    computed)."""
    import contextlib

    del control_inputs
    return contextlib.nullcontext()


def cast(x, dtype):
    return jnp.asarray(_v(x)).astype(dtype)


def zeros(shape, dtype=None, name=None):
    return jnp.zeros(shape, dtype or floatx())


def ones(shape, dtype=None, name=None):
    return jnp.ones(shape, dtype or floatx())


def eye(size, dtype=None, name=None):
    """An identity matrix: `size` rows and columns, or `(rows, columns)` (Keras 2)."""
    del name
    rows, columns = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    return jnp.eye(rows, columns, dtype=dtype or floatx())


def zeros_like(x, dtype=None, name=None):
    return jnp.zeros_like(_v(x), dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return jnp.ones_like(_v(x), dtype=dtype)


# ------------------------------------------------------------------------------------------
# Math


def _reduce(fn):
    def reduce(x, axis=None, keepdims=False):
        return fn(_v(x), axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)

    reduce.__name__ = fn.__name__
    reduce.__doc__ = f"`{fn.__name__}` of `x` over `axis` (all axes when None)."
    return reduce


sum = _reduce(jnp.sum)  # noqa: A001
mean = _reduce(jnp.mean)
max = _reduce(jnp.max)  # noqa: A001
min = _reduce(jnp.min)  # noqa: A001
prod = _reduce(jnp.prod)
std = _reduce(jnp.std)
var = _reduce(jnp.var)
any = _reduce(jnp.any)  # noqa: A001
all = _reduce(jnp.all)  # noqa: A001


def logsumexp(x, axis=None, keepdims=False):
    return jax.nn.logsumexp(_v(x), axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return jnp.argmax(_v(x), axis=axis)


def argmin(x, axis=-1):
    return jnp.argmin(_v(x), axis=axis)


def _unary(fn, name):
    def op(x):
        return fn(_v(x))

    op.__name__ = name
    op.__doc__ = f"Elementwise `{name}`."
    return op


square = _unary(jnp.square, "square")
sqrt = _unary(jnp.sqrt, "sqrt")
exp = _unary(jnp.exp, "exp")
log = _unary(jnp.log, "log")
abs = _unary(jnp.abs, "abs")  # noqa: A001
sign = _unary(jnp.sign, "sign")
round = _unary(jnp.round, "round")  # noqa: A001
sin = _unary(jnp.sin, "sin")
cos = _unary(jnp.cos, "cos")
tanh = _unary(jnp.tanh, "tanh")
sigmoid = _unary(jax.nn.sigmoid, "sigmoid")
softplus = _unary(jax.nn.softplus, "softplus")
softsign = _unary(jax.nn.soft_sign, "softsign")


def hard_sigmoid(x):
    """Keras 2's `clip(0.2 * x + 0.5, 0, 1)`."""
    return jnp.clip(0.2 * _v(x) + 0.5, 0.0, 1.0)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """`x` above `threshold`, `alpha * (x - threshold)` below, capped at `max_value`."""
    x = _v(x)
    y = jnp.where(x >= threshold, x, alpha * (x - threshold))
    return y if max_value is None else jnp.minimum(y, max_value)


def elu(x, alpha=1.0):
    return jax.nn.elu(_v(x), alpha)


def softmax(x, axis=-1):
    return jax.nn.softmax(_v(x), axis=axis)


def pow(x, a):  # noqa: A001
    return jnp.power(_v(x), a)


def clip(x, min_value, max_value):
    return jnp.clip(_v(x), min_value, max_value)


def maximum(x, y):
    return jnp.maximum(_v(x), _v(y))


def minimum(x, y):
    return jnp.minimum(_v(x), _v(y))


def equal(x, y):
    return jnp.equal(_v(x), _v(y))


def not_equal(x, y):
    return jnp.not_equal(_v(x), _v(y))


def greater(x, y):
    return jnp.greater(_v(x), _v(y))


def greater_equal(x, y):
    return jnp.greater_equal(_v(x), _v(y))


def less(x, y):
    return jnp.less(_v(x), _v(y))


def less_equal(x, y):
    return jnp.less_equal(_v(x), _v(y))


def l2_normalize(x, axis=None):
    """`x / sqrt(max(sum(x**2, axis), epsilon))`, as Keras."""
    x = _v(x)
    return x * jax.lax.rsqrt(jnp.maximum(jnp.sum(jnp.square(x), axis=axis, keepdims=True), 1e-12))


def dot(x, y):
    """Matrix product contracting the last axis of `x` with the second-to-last of `y` (Keras's `K.dot`)."""
    x, y = _v(x), _v(y)
    if y.ndim > 2:
        return jnp.tensordot(x, jnp.moveaxis(y, -2, 0), axes=1)
    return jnp.matmul(x, y)


def batch_dot(x, y, axes=None):
    """Per-sample dot products of two batches, contracting `axes` (Keras's `K.batch_dot`)."""
    x, y = _v(x), _v(y)
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2 if y.ndim > 2 else y.ndim - 1)
    ax, ay = (a % t.ndim for a, t in zip(axes, (x, y)))
    out = jax.vmap(lambda a, b: jnp.tensordot(a, b, axes=(ax - 1, ay - 1)))(x, y)
    return out[:, None] if out.ndim == 1 else out


def transpose(x):
    return jnp.transpose(_v(x))


def permute_dimensions(x, pattern):
    return jnp.transpose(_v(x), pattern)


def reshape(x, shape):
    return jnp.reshape(_v(x), shape)


def flatten(x):
    return jnp.reshape(_v(x), (-1,))


def batch_flatten(x):
    x = _v(x)
    return jnp.reshape(x, (x.shape[0], -1))


def expand_dims(x, axis=-1):
    return jnp.expand_dims(_v(x), axis)


def squeeze(x, axis):
    return jnp.squeeze(_v(x), axis)


def concatenate(tensors, axis=-1):
    return jnp.concatenate([_v(t) for t in tensors], axis=axis)


def stack(tensors, axis=0):
    return jnp.stack([_v(t) for t in tensors], axis=axis)


def tile(x, n):
    return jnp.tile(_v(x), n)


def repeat(x, n):
    """`(batch, dim) -> (batch, n, dim)`."""
    return jnp.repeat(_v(x)[:, None, :], n, axis=1)


def repeat_elements(x, rep, axis):
    return jnp.repeat(_v(x), rep, axis=axis)


def gather(reference, indices):
    return jnp.take(_v(reference), jnp.asarray(_v(indices)), axis=0)


def one_hot(indices, num_classes):
    return jax.nn.one_hot(_v(indices), num_classes)


def cumsum(x, axis=0):
    return jnp.cumsum(_v(x), axis=axis)


def switch(condition, then_expression, else_expression):
    cond = _v(condition)
    then = then_expression() if callable(then_expression) else _v(then_expression)
    other = else_expression() if callable(else_expression) else _v(else_expression)
    return jnp.where(cond, then, other)


def stop_gradient(variables):
    """`variables` (a tensor or a list of them) as constants for gradients."""
    if isinstance(variables, (list, tuple)):
        return [jax.lax.stop_gradient(_v(x)) for x in variables]
    return jax.lax.stop_gradient(_v(variables))


def reverse(x, axes):
    """`x` reversed along `axes` (an int or a list of ints)."""
    return jnp.flip(_v(x), axis=tuple(axes) if isinstance(axes, (list, tuple)) else axes)


def arange(start, stop=None, step=1, dtype="int32"):
    return jnp.arange(start, stop, step, dtype=dtype)


def cumprod(x, axis=0):
    return jnp.cumprod(_v(x), axis=axis)


def cast_to_floatx(x):
    """`x` as a NumPy array of `floatx()`."""
    return np.asarray(x, dtype=floatx())


def eval(x):  # noqa: A001
    """The value of `x` as NumPy (Keras 2)."""
    return get_value(x)


def bias_add(x, bias, data_format=None):
    """`x + bias`, the bias along the channels axis of `data_format` (Keras 2).

    Raises:
        ValueError: for an unknown `data_format`, or a bias of rank other than 1 or `ndim(x) - 1`.
    """
    x, bias = _v(x), _v(bias)
    data_format = _data_format(data_format, "bias_add")
    if bias.ndim not in (1, x.ndim - 1):
        raise ValueError(
            f"bias_add: the bias must have rank 1 or {x.ndim - 1} (ndim(x) - 1), got shape {tuple(bias.shape)}"
        )
    if data_format == "channels_first" and x.ndim > 2:
        bias = jnp.reshape(bias, (bias.shape[0], *(1,) * (x.ndim - 2)) if bias.ndim == 1
                           else (bias.shape[-1],) + bias.shape[:-1])
    return x + bias


def _data_format(data_format, where):
    data_format = image_data_format() if data_format is None else data_format
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"{where}: data_format must be 'channels_first' or 'channels_last', got {data_format!r}")
    return data_format


def _conv(where, rank, x, kernel, strides, padding, data_format, dilation_rate):
    from jkeras.ops import nn

    data_format = _data_format(data_format, where)
    x = _v(x)
    if x.ndim != rank + 2:
        raise ValueError(f"{where}: expected an input of rank {rank + 2}, got shape {tuple(x.shape)}")
    if padding == "causal":
        if rank != 1:
            raise ValueError(f"{where}: padding='causal' is only for conv1d, got padding={padding!r}")
        dilation = dilation_rate[0] if isinstance(dilation_rate, (list, tuple)) else dilation_rate
        x = temporal_padding(x, (dilation * (_v(kernel).shape[0] - 1), 0)) if data_format == "channels_last" \
            else jnp.pad(x, ((0, 0), (0, 0), (dilation * (_v(kernel).shape[0] - 1), 0)))
        padding = "valid"
    return nn.conv(x, kernel, strides=strides, padding=padding, data_format=data_format,
                   dilation_rate=dilation_rate)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1D convolution of `x` with `kernel` (width, in_channels, out_channels), as Keras 2.

    Args:
        padding: "valid", "same" or "causal" (left padding).

    Raises:
        ValueError: for an input that is not 3D or an unknown data_format.
    """
    return _conv("conv1d", 1, x, kernel, strides, padding, data_format, dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2D convolution with `kernel` (rows, cols, in_channels, out_channels), as Keras 2."""
    return _conv("conv2d", 2, x, kernel, strides, padding, data_format, dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None, dilation_rate=(1, 1, 1)):
    """3D convolution with `kernel` (d1, d2, d3, in_channels, out_channels), as Keras 2."""
    return _conv("conv3d", 3, x, kernel, strides, padding, data_format, dilation_rate)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """Depthwise 2D convolution with `depthwise_kernel` (rows, cols, in_channels, multiplier)."""
    from jkeras.ops import nn

    return nn.depthwise_conv(_v(x), depthwise_kernel, strides=strides, padding=padding,
                             data_format=_data_format(data_format, "depthwise_conv2d"),
                             dilation_rate=dilation_rate)


def _local_conv(where, rank, inputs, kernel, kernel_size, strides, data_format):
    from jkeras.layers.locally_connected import local_conv

    data_format = _data_format(data_format, where)
    inputs = _v(inputs)
    if jnp.ndim(inputs) != rank + 2:
        raise ValueError(f"{where}: expected an input of rank {rank + 2}, got shape {tuple(jnp.shape(inputs))}")
    as_tuple = lambda v: tuple(v) if isinstance(v, (list, tuple)) else (v,) * rank  # noqa: E731
    return local_conv(inputs, _v(kernel), as_tuple(kernel_size), as_tuple(strides), data_format == "channels_last")


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """1D convolution with unshared weights, as Keras 2's `LocallyConnected1D` ('valid' padding).

    Args:
        inputs: `(batch, steps, channels)`, or `(batch, channels, steps)` for channels_first.
        kernel: `(output_length, kernel_size * channels, filters)`, one filter bank per output
            step; features ordered as the input window flattened (`(window, channels)`, or
            `(channels, window)` for channels_first).
        kernel_size, strides: tuples of one int.
        data_format: "channels_last" or "channels_first"; None: `image_data_format()`.

    Returns:
        `(batch, output_length, filters)`, or `(batch, filters, output_length)`.

    Raises:
        ValueError: for another data_format or an input that is not 3D.
    """
    return _local_conv("local_conv1d", 1, inputs, kernel, kernel_size, strides, data_format)


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """2D convolution with unshared weights, as Keras 2's `LocallyConnected2D` ('valid' padding).

    Args:
        inputs: `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.
        kernel: `(output_rows * output_cols, kernel_rows * kernel_cols * channels, filters)`.
        kernel_size, strides: tuples of two ints.
        output_shape: `(output_rows, output_cols)`.
        data_format: "channels_last" or "channels_first"; None: `image_data_format()`.

    Returns:
        `(batch, output_rows, output_cols, filters)`, or `(batch, filters, output_rows,
        output_cols)`.

    Raises:
        ValueError: for another data_format, an input that is not 4D, or an `output_shape` the
            windows do not give.
    """
    outputs = _local_conv("local_conv2d", 2, inputs, kernel, kernel_size, strides, data_format)
    spatial = outputs.shape[1:3] if _data_format(data_format, "local_conv2d") == "channels_last" else outputs.shape[2:]
    if tuple(output_shape) != tuple(spatial):
        raise ValueError(f"local_conv2d: output_shape {tuple(output_shape)} does not match the output "
                         f"positions of the windows, {tuple(spatial)}")
    return outputs


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2D max or average pooling (Keras 2: `pool_mode` "max" or "avg").

    Raises:
        ValueError: for another `pool_mode`.
    """
    return _pool("pool2d", x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    """3D max or average pooling (Keras 2: `pool_mode` "max" or "avg").

    Raises:
        ValueError: for another `pool_mode`.
    """
    return _pool("pool3d", x, pool_size, strides, padding, data_format, pool_mode)


def _pool(where, x, pool_size, strides, padding, data_format, pool_mode):
    from jkeras.ops import nn

    if pool_mode not in ("max", "avg"):
        raise ValueError(f"{where}: pool_mode must be 'max' or 'avg', got {pool_mode!r}")
    pool = nn.max_pool if pool_mode == "max" else nn.average_pool
    return pool(_v(x), pool_size, strides, padding, _data_format(data_format, where))


def _conv_transpose(where, rank, x, kernel, output_shape, strides, padding, data_format, dilation_rate):
    """The transpose of `_conv` (its gradient with respect to the input), as TF's
    `conv2d_transpose`: `kernel` `(*window, out_channels, in_channels)` maps `x` back to an
    input of `output_shape`."""
    x, kernel = _v(x), _v(kernel)
    if jnp.ndim(x) != rank + 2:
        raise ValueError(f"{where}: expected an input of rank {rank + 2}, got shape {tuple(jnp.shape(x))}")
    shape = (x.shape[0],) + tuple(int(d) for d in tuple(output_shape)[1:])  # the batch from `x`
    if len(shape) != rank + 2:
        raise ValueError(f"{where}: output_shape must have {rank + 2} entries (batch included), got {output_shape!r}")
    forward = lambda y: _conv(where, rank, y, kernel, strides, padding, data_format, dilation_rate)  # noqa: E731
    expected = jax.eval_shape(forward, jax.ShapeDtypeStruct(shape, x.dtype)).shape
    if tuple(expected) != tuple(x.shape):
        raise ValueError(f"{where}: a convolution of an input of output_shape {shape} gives shape "
                         f"{tuple(expected)}, not the shape of x {tuple(x.shape)}")
    _, transpose = jax.vjp(forward, jnp.zeros(shape, x.dtype))
    return transpose(x)[0]


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """2D transposed convolution ("deconvolution"), as Keras 2 (TF's `conv2d_transpose`).

    Args:
        x: `(batch, rows, cols, in_channels)` (channels_first: channels on axis 1).
        kernel: `(rows, cols, out_channels, in_channels)`.
        output_shape: the shape of the result, batch included (its batch entry is ignored): the
            input that a `conv2d` with `kernel` transposed, these strides and padding maps to
            `x`'s shape.
        strides, padding, data_format, dilation_rate: those of that `conv2d`.

    Returns:
        The result, of `output_shape`.

    Raises:
        ValueError: if `output_shape` does not convolve to `x`'s shape, or for a bad
            data_format.
    """
    return _conv_transpose("conv2d_transpose", 2, x, kernel, output_shape, strides, padding, data_format,
                           dilation_rate)


def conv3d_transpose(x, kernel, output_shape, strides=(1, 1, 1), padding="valid", data_format=None):
    """3D transposed convolution, as Keras 2; `kernel` `(d1, d2, d3, out_channels,
    in_channels)`. See `conv2d_transpose`."""
    return _conv_transpose("conv3d_transpose", 3, x, kernel, output_shape, strides, padding, data_format, 1)


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                     dilation_rate=1):
    """1D separable convolution: a depthwise convolution with `depthwise_kernel` (width,
    in_channels, multiplier), then a 1x1 convolution with `pointwise_kernel` (1, in_channels *
    multiplier, out_channels)."""
    from jkeras.ops import nn

    return nn.separable_conv(_v(x), depthwise_kernel, pointwise_kernel, strides=strides, padding=padding,
                             data_format=_data_format(data_format, "separable_conv1d"), dilation_rate=dilation_rate)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """2D separable convolution: depthwise with `depthwise_kernel` (rows, cols, in_channels,
    multiplier), then pointwise with `pointwise_kernel` (1, 1, in_channels * multiplier,
    out_channels)."""
    from jkeras.ops import nn

    return nn.separable_conv(_v(x), depthwise_kernel, pointwise_kernel, strides=strides, padding=padding,
                             data_format=_data_format(data_format, "separable_conv2d"), dilation_rate=dilation_rate)


def temporal_padding(x, padding=(1, 1)):
    """Zeros added before and after the time axis (axis 1) of a 3D tensor."""
    return jnp.pad(_v(x), ((0, 0), tuple(padding), (0, 0)))


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zeros added around the rows and columns of a 4D tensor."""
    pads = [(0, 0), tuple(padding[0]), tuple(padding[1])]
    if _data_format(data_format, "spatial_2d_padding") == "channels_last":
        return jnp.pad(_v(x), pads + [(0, 0)])
    return jnp.pad(_v(x), [(0, 0)] + pads)


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zeros added around the three spatial axes of a 5D tensor."""
    pads = [(0, 0)] + [tuple(p) for p in padding]
    if _data_format(data_format, "spatial_3d_padding") == "channels_last":
        return jnp.pad(_v(x), pads + [(0, 0)])
    return jnp.pad(_v(x), [(0, 0)] + pads)


def in_top_k(predictions, targets, k):
    """Whether each target class is among the `k` highest predictions of its row."""
    predictions, targets = _v(predictions), jnp.asarray(_v(targets)).astype("int32")
    target_scores = jnp.take_along_axis(predictions, targets[:, None], axis=-1)
    return jnp.sum(predictions > target_scores, axis=-1) < k


def map_fn(fn, elems, name=None, dtype=None):
    """`fn` applied to each element of `elems` along its first axis, results stacked."""
    del name, dtype
    return jax.lax.map(fn, _v(elems))


# ------------------------------------------------------------------------------------------
# CTC (Keras 2: softmax probabilities, the last class is the blank)


def ctc_label_dense_to_sparse(labels, label_lengths):
    """The first `label_lengths[i]` labels of each row of `labels` as a sparse array (Keras 2;
    TF's `SparseTensor` there).

    Args:
        labels: `(samples, max_string_length)` integer labels.
        label_lengths: `(samples,)` (or `(samples, 1)`) how many labels of each row count.

    Returns:
        A `jax.experimental.sparse.BCOO` of shape `labels.shape`: `.indices` the `(row, col)`
        of each kept label in row-major order, `.data` the labels; `K.to_dense` gives the
        labels with zeros past each length.
    """
    from jax.experimental import sparse

    labels = np.asarray(_v(labels))
    lengths = np.reshape(np.asarray(_v(label_lengths)), (-1,))
    rows, cols = np.nonzero(np.arange(labels.shape[1])[None, :] < lengths[:, None])
    indices = np.stack([rows, cols], axis=1).astype("int32")
    return sparse.BCOO((jnp.asarray(labels[rows, cols]), jnp.asarray(indices)), shape=labels.shape)


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """Per-sample CTC loss, as Keras 2's.

    Args:
        y_true: labels `(samples, max_string_length)` (padding past `label_length` ignored).
        y_pred: softmax outputs `(samples, time_steps, num_categories)`; the last category is
            the blank.
        input_length: `(samples, 1)` time steps used in each sample of `y_pred`.
        label_length: `(samples, 1)` length of each label sequence.

    Returns:
        `(samples, 1)` the CTC loss of each sample.
    """
    from jkeras.ops import nn

    y_pred = _v(y_pred)
    label_length = jnp.reshape(jnp.asarray(_v(label_length)), (-1,)).astype("int32")
    input_length = jnp.reshape(jnp.asarray(_v(input_length)), (-1,)).astype("int32")
    logits = jnp.log(y_pred + epsilon())
    loss = nn.ctc_loss(jnp.asarray(_v(y_true)).astype("int32"), logits, label_length, input_length,
                       mask_index=y_pred.shape[-1] - 1)
    return loss[:, None]


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """CTC decoding of softmax outputs, as Keras 2's (the last category is the blank).

    Args:
        y_pred: `(samples, time_steps, num_categories)` softmax outputs.
        input_length: `(samples,)` time steps used in each sample.
        greedy: True: the most likely category at each step; False: a prefix beam search.
        beam_width: with `greedy=False`, how many prefixes the search keeps.
        top_paths: with `greedy=False`, how many sequences to return.

    Returns:
        `(decoded, log_prob)`: `decoded` a list of `top_paths` (1 if greedy) `(samples,
        time_steps)` label arrays padded with -1, best first; `log_prob` `(samples, top_paths)`
        the log-probability of each sequence (greedy: `(samples, 1)` the negative sum of the best
        log-probability at each step).
    """
    from jkeras.ops import nn

    y_pred = _v(y_pred)
    decoded, log_prob = nn.ctc_decode(jnp.log(y_pred + epsilon()), jnp.reshape(jnp.asarray(_v(input_length)), (-1,)),
                                      strategy="greedy" if greedy else "beam_search", beam_width=beam_width,
                                      top_paths=1 if greedy else top_paths, mask_index=y_pred.shape[-1] - 1)
    return [decoded[i] for i in range(decoded.shape[0])], log_prob


class _LearningPhase:
    """Keras 2's learning-phase placeholder: an input of `K.function` (feed 0 for inference, 1 for
    training); anywhere else it reads as the phase `set_learning_phase` set (0 by default)."""

    value = 0

    def __int__(self):
        return int(self.value)

    __index__ = __int__

    def __bool__(self):
        return bool(self.value)

    def __repr__(self):
        return f"<learning phase: {self.value}>"


_LEARNING_PHASE = _LearningPhase()


def learning_phase():
    """The learning-phase placeholder (Keras 2): `K.function([model.input, K.learning_phase()],
    outputs)` takes the phase as its last input. Layers themselves get `training` explicitly."""
    return _LEARNING_PHASE


def set_learning_phase(value):
    """Sets the phase `learning_phase()` reads as outside `K.function` (Keras 2).

    Raises:
        ValueError: if `value` is not 0 or 1.
    """
    if value not in (0, 1):
        raise ValueError(f"set_learning_phase: expected 0 (test) or 1 (train), got {value!r}")
    _LearningPhase.value = int(value)


def _training(training):
    """The phase a backend switch uses: `training` if given, else the enclosing layer call's
    mode, else the global learning phase."""
    if training is not None:
        return bool(training)
    scope = call_scope.current()
    return bool(scope.training) if scope is not None else bool(_LEARNING_PHASE)


def in_train_phase(x, alt, training=None):
    """`x` in training, else `alt` (Keras 2's learning-phase switch); either may be a callable.

    Args:
        training: the phase; None: the enclosing layer call's (inside `call` or a `Lambda`), else
            the global learning phase.
    """
    chosen = x if _training(training) else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    """`x` in inference, else `alt`; see `in_train_phase`."""
    return in_train_phase(alt, x, training)


# ------------------------------------------------------------------------------------------
# Losses (per-sample values, Keras 2 argument order: target, output)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from jkeras.core import losses

    return losses.categorical_crossentropy(_v(target), _v(output), from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from jkeras.core import losses

    return losses.sparse_categorical_crossentropy(_v(target), _v(output), from_logits=from_logits, axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy (no reduction), as Keras's backend function."""
    target, output = _v(target), _v(output)
    if from_logits:
        return jnp.maximum(output, 0) - output * target + jnp.log1p(jnp.exp(-jnp.abs(output)))
    output = jnp.clip(output, epsilon(), 1 - epsilon())
    return -(target * jnp.log(output) + (1 - target) * jnp.log(1 - output))


# ------------------------------------------------------------------------------------------
# Randomness


def _int_key(seed):
    """Keras 3's key for an int seed: the raw uint32 pair `(seed, 0)` (so values equal Keras's)."""
    return jnp.array([int(seed) & 0xFFFFFFFF, 0], jnp.uint32)


def _key(seed):
    """The `jax.random` key one random op draws from.

    Args:
        seed: None: the enclosing layer call's key (a fresh one per draw), else the global stream
            (`jkeras.utils.set_random_seed`). An int: a fixed key, the same on every call.
            A `jkeras.random.SeedGenerator`: the call's key folded with the generator's seed, else
            the generator's own stream (advancing on each draw). A `jax.random` key: itself.

    Raises:
        ValueError: for another `seed`.
    """
    from jkeras.random import SeedGenerator

    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return _int_key(seed)
    if isinstance(seed, jax.Array):
        return seed
    if seed is not None and not isinstance(seed, SeedGenerator):
        raise ValueError(
            f"seed must be None, an int, a jkeras.random.SeedGenerator or a jax.random key, got {seed!r}"
        )
    scope = call_scope.current()
    if scope is not None and scope.rng is not None:
        key = scope.next_rng()
        return key if seed is None else jax.random.fold_in(key, seed.seed & 0xFFFFFFFF)
    return next_key() if seed is None else seed._next_own_key()


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn beyond two standard deviations from the mean (Keras 2 / TF)."""
    return mean + stddev * jax.random.truncated_normal(_key(seed), -2.0, 2.0, shape, dtype or floatx())


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A variable (an array) of uniform samples in `[low, high)` (Keras 2)."""
    del name
    return random_uniform(tuple(shape), low, high, dtype, seed)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A variable (an array) of normal samples of mean `mean` and standard deviation `scale`
    (Keras 2)."""
    del name
    return random_normal(tuple(shape), mean, scale, dtype, seed)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples; inside a layer's `call` they come from that call's key."""
    return mean + stddev * jax.random.normal(_key(seed), shape, dtype or floatx())


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return jax.random.uniform(_key(seed), shape, dtype or floatx(), minval, maxval)


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    return jax.random.bernoulli(_key(seed), p, shape).astype(dtype or floatx())


def dropout(x, level, noise_shape=None, seed=None):
    x = _v(x)
    keep = jax.random.bernoulli(_key(seed), 1.0 - level, noise_shape or x.shape)
    return jnp.where(keep, x / (1.0 - level), 0.0)


# ------------------------------------------------------------------------------------------
# More of Keras 2's backend: updates, normalization, resizing, loops, sessions


def print_tensor(x, message="", summarize=3):
    """Prints `message` and the value of `x` when it is computed (also under `jit`); returns `x`."""
    del summarize
    jax.debug.print(str(message).replace("{", "{{").replace("}", "}}") + "{}", _v(x))
    return x


def update(x, new_x):
    """Sets `x` (a layer's weight, made with `add_weight`) to `new_x`; returns `new_x`. Inside a
    layer's call in inference (`predict`, `evaluate`) nothing changes, as in Keras 2. A symbolic
    `new_x` (computed from `Input` tensors) is a graph update: this returns the pair `(x, new_x)`
    for `K.function(inputs, outputs, updates=[...])`, which assigns it on each call.

    Raises:
        ValueError: if `x` is not a weight (a JAX array cannot be changed in place).
    """
    if not hasattr(x, "assign"):
        raise ValueError(f"K.update: expected a layer's weight (made with add_weight), got {type(x).__name__}; "
                         "arrays are immutable in JAX")
    from jkeras.models.node import KerasTensor

    if isinstance(new_x, KerasTensor):  # a graph update (Keras 2): K.function(..., updates=[...]) applies it
        return (x, new_x)
    from jkeras.models import call_scope

    scope = call_scope.current()
    if scope is not None and getattr(scope, "training", True) is False:
        return new_x  # as Keras 2's train function alone ran a layer's updates (`add_update`)
    x.assign(new_x)
    return new_x


def update_add(x, increment):
    """`update(x, x + increment)`."""
    return update(x, _v(x) + increment)


def update_sub(x, decrement):
    """`update(x, x - decrement)`."""
    return update(x, _v(x) - decrement)


def moving_average_update(x, value, momentum):
    """`update(x, x * momentum + value * (1 - momentum))`."""
    return update(x, _v(x) * momentum + _v(value) * (1.0 - momentum))


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """`(x - mean) / sqrt(var + epsilon) * gamma + beta` (`beta` / `gamma` may be None)."""
    del axis  # the statistics are given in a shape that broadcasts against `x`
    out = (_v(x) - _v(mean)) * jax.lax.rsqrt(_v(var) + epsilon)
    if gamma is not None:
        out = out * _v(gamma)
    return out + _v(beta) if beta is not None else out


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """The batch normalized by its own mean and variance over `reduction_axes`.

    Returns:
        `(normalized, mean, variance)`, the statistics without the reduced axes.
    """
    x = _v(x)
    axes = tuple(a % x.ndim for a in reduction_axes)
    mean, var = jnp.mean(x, axis=axes, keepdims=True), jnp.var(x, axis=axes, keepdims=True)
    kept = [d for i, d in enumerate(x.shape) if i not in axes]

    def shaped(p):
        return None if p is None else jnp.reshape(_v(p), mean.shape) if jnp.size(_v(p)) == mean.size else _v(p)

    normed = batch_normalization(x, mean, var, shaped(beta), shaped(gamma), epsilon=epsilon)
    return normed, jnp.reshape(mean, kept), jnp.reshape(var, kept)


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Scales the rows and columns of a batch of images by integer factors.

    Raises:
        ValueError: for an unknown `data_format` or `interpolation`.
    """
    x = _v(x)
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"resize_images: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    rows, cols = (1, 2) if data_format == "channels_last" else (2, 3)
    if interpolation == "nearest":
        return jnp.repeat(jnp.repeat(x, height_factor, axis=rows), width_factor, axis=cols)
    if interpolation != "bilinear":
        raise ValueError(f"resize_images: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    shape = list(x.shape)
    shape[rows], shape[cols] = shape[rows] * height_factor, shape[cols] * width_factor
    return jax.image.resize(x, shape, "bilinear").astype(x.dtype)


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    """Scales the three spatial axes of a batch of volumes by integer factors (nearest)."""
    x = _v(x)
    first = 1 if data_format == "channels_last" else 2
    for axis, factor in zip(range(first, first + 3), (depth_factor, height_factor, width_factor)):
        x = jnp.repeat(x, factor, axis=axis)
    return x


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None, unroll=False,
        input_length=None):
    """Runs `step_function(input_t, states) -> (output_t, new_states)` over the time axis 1 of
    `inputs`, as Keras 2's `K.rnn` (one `lax.scan`).

    Args:
        step_function: the step; it gets the states followed by `constants`.
        inputs: `(batch, time, ...)`.
        initial_states: list of `(batch, ...)` arrays.
        go_backwards: whether to run from the last step to the first (outputs in that order).
        mask: optional `(batch, time)` booleans; a masked step keeps the previous output and states.
        constants: list of arrays passed to every step.
        unroll, input_length: accepted for Keras 2 compatibility.

    Returns:
        `(last_output, outputs, new_states)`: outputs `(batch, time, ...)`.
    """
    del unroll, input_length
    steps = jnp.swapaxes(_v(inputs), 0, 1)
    masks = None if mask is None else jnp.swapaxes(jnp.asarray(mask).astype(bool), 0, 1)
    if go_backwards:
        steps = steps[::-1]
        masks = None if masks is None else masks[::-1]
    constants = [_v(c) for c in constants or []]
    states = [_v(s) for s in initial_states]
    first = jax.eval_shape(lambda x, st: step_function(x, list(st) + constants)[0], steps[0], states)

    def body(carry, step):
        states, previous = carry
        x, m = step
        output, new_states = step_function(x, list(states) + constants)
        new_states = list(new_states)
        if m is not None:
            def keep(new, old):
                return jnp.where(jnp.reshape(m, m.shape + (1,) * (jnp.ndim(new) - 1)), new, old)
            output = keep(output, previous)
            new_states = [keep(n, o) for n, o in zip(new_states, states)]
        return (new_states, output), output

    (states, last), outputs = jax.lax.scan(body, (states, jnp.zeros(first.shape, first.dtype)), (steps, masks))
    return last, jnp.swapaxes(outputs, 0, 1), states


def foldl(fn, elems, initializer=None, name=None):
    """Reduces `elems` along axis 0 from the left: `acc = fn(acc, x)`, starting from
    `initializer` (default `elems[0]`)."""
    del name
    elems = _v(elems)
    if initializer is None:
        initializer, elems = elems[0], elems[1:]
    return jax.lax.scan(lambda acc, x: (fn(acc, x), None), initializer, elems)[0]


def foldr(fn, elems, initializer=None, name=None):
    """`foldl` from the right (the last element first)."""
    return foldl(fn, _v(elems)[::-1], initializer, name)


def name_scope(name):
    """A context naming the operations inside it (`jax.named_scope`)."""
    return jax.named_scope(name)


def get_variable_shape(x):
    """The shape of a variable, as a tuple."""
    return int_shape(x)


def is_sparse(tensor):
    """Whether `tensor` is a sparse array (`jax.experimental.sparse.BCOO`, what
    `ctc_label_dense_to_sparse` returns)."""
    from jax.experimental import sparse

    return isinstance(tensor, sparse.BCOO)


def to_dense(tensor):
    """The dense array of a sparse `tensor` (zeros where it has no entry); any other `tensor`
    itself."""
    return tensor.todense() if is_sparse(tensor) else tensor


def reset_uids():
    """Forgets the default layer names given so far."""
    naming.reset_names()


def manual_variable_initialization(value):
    """Accepted for Keras 2 compatibility: jkeras layers create their weights' values when built."""
    del value


def set_session(session):
    """Accepted for Keras 2 compatibility (TensorFlow only): JAX has no session to set; warns."""
    warnings.warn("K.set_session: jkeras runs on JAX, which has no TensorFlow session; the session is ignored "
                  "(JAX allocates device memory itself: see XLA_PYTHON_CLIENT_PREALLOCATE)", UserWarning,
                  stacklevel=2)
    del session


def get_session():
    """Keras 2's TensorFlow session.

    Raises:
        RuntimeError: always: JAX computes without a session (`K.get_value` reads values).
    """
    raise RuntimeError("K.get_session: jkeras runs on JAX, which has no TensorFlow session; read values with "
                       "K.get_value / K.eval and run functions with K.function")


# ------------------------------------------------------------------------------------------
# K.function


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable computing `outputs` from `inputs` (symbolic tensors of a functional graph).

    Args:
        inputs: list of `Input` tensors (or tensors of an existing model); it may hold
            `K.learning_phase()`, whose value (0 or 1) then chooses inference or training mode
            (dropout on, batch statistics) for each call.
        outputs: a tensor or list of tensors computed from them (may be empty with `updates`).
        updates: what each call also changes, after computing `outputs` (Keras 2): the list
            `optimizer.get_updates(loss, params)` returns, and `(weight, new_value)` pairs
            (`K.update(weight, new_value)` on a symbolic `new_value` makes one), where
            `new_value` is a symbolic tensor computed from `inputs` or an array.

    Returns:
        `f(list_of_arrays) -> list_of_numpy_arrays` (writable arrays of their own), compiled with
        `jax.jit` on first use.

    Raises:
        ValueError: if an update is neither of those, if the call gets a different number of
            values than `inputs` has, or a learning phase other than 0 or 1.
    """
    del name, kwargs
    from jkeras.models.functional import Model
    from jkeras.models.node import KerasTensor
    from jkeras.optimizers._base import OptimizerUpdate

    inputs = list(inputs)
    phase_at = [i for i, t in enumerate(inputs) if isinstance(t, _LearningPhase)]
    tensors = [t for t in inputs if not isinstance(t, _LearningPhase)]
    single = not isinstance(outputs, (list, tuple))
    outputs = [outputs] if single else list(outputs)
    steps, assignments = [], []  # optimizer steps; (weight, symbolic value or array) pairs
    for i, update in enumerate(updates or []):
        if isinstance(update, OptimizerUpdate):
            steps.append(update)
        elif isinstance(update, (tuple, list)) and len(update) == 2 and hasattr(update[0], "assign"):
            assignments.append(tuple(update))
        else:
            raise ValueError(
                f"K.function: updates[{i}] must be what `optimizer.get_updates(loss, params)` returns or a "
                f"(weight, new_value) pair such as `K.update(weight, new_value)`, got {update!r}"
            )
    computed = outputs + [g for step in steps for g in step.grads] + [
        value for _, value in assignments if isinstance(value, KerasTensor)]
    model = Model(tensors, computed) if computed else None
    compiled = {}

    def run(values):
        values = list(values)
        if len(values) != len(inputs):
            raise ValueError(f"K.function: expected {len(inputs)} input values, got {len(values)}")
        training = bool(_LEARNING_PHASE)
        for i in phase_at:
            if int(values[i]) not in (0, 1):
                raise ValueError(f"K.function: the learning phase must be 0 or 1, got {values[i]!r}")
            training = bool(int(values[i]))
        arrays = [jnp.asarray(v) for i, v in enumerate(values) if i not in phase_at]
        results = []
        if model is not None:
            fn = compiled.get(training)
            if fn is None:
                fn = compiled[training] = jax.jit(
                    lambda variables, xs, rng: model.apply(variables, xs, training=training, rng=rng)[0])
            results = fn(model.get_variables(), arrays, next_key())
            results = list(results) if len(computed) > 1 else [results]  # one output: the array itself
        rest = iter(results[len(outputs):])
        for step in steps:  # after the outputs, as Keras 2's session ran its update ops
            step.run([next(rest) for _ in step.grads])
        for weight, value in assignments:
            weight.assign(next(rest) if isinstance(value, KerasTensor) else _v(value))
        # Writable copies, as Keras 2's session returned (Grad-CAM scales them in place).
        return [np.array(o) for o in results[:len(outputs)]]

    return run


def gradients(loss, variables):
    """The gradients of `loss` with respect to `variables` (Keras 2), as symbolic tensors of the
    graph: `K.function` evaluates them (with `jax.grad`) and K ops combine them.

    Args:
        loss: a symbolic tensor computed from `Input` tensors (placeholders, a model's inputs);
            a non-scalar loss is summed first, as Keras 2 does.
        variables: a symbolic tensor or a layer weight, or a list of them: inputs, tensors of
            the graph `loss` is computed through (a layer's `output`, as in Grad-CAM), weights of
            its layers (`model.trainable_weights`).

    Returns:
        A list with one gradient per entry of `variables`, each of its shape; None for a tensor
        or weight `loss` does not depend on (as Keras 2).

    Raises:
        ValueError: if `loss` is not symbolic, or an entry of `variables` is neither a floating
            symbolic tensor nor a layer weight.
    """
    from jkeras.layers.op_lambda import Gradients
    from jkeras.models.functional import Model
    from jkeras.models.node import KerasTensor, get_source_inputs
    from jkeras.models.variable import Variable

    wrt = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    if not isinstance(loss, KerasTensor):
        raise ValueError(
            f"gradients: `loss` must be a symbolic tensor computed from Input tensors (a model's "
            f"inputs, K.placeholder), got {loss!r} of type {type(loss).__name__}"
        )
    for i, t in enumerate(wrt):
        is_weight = isinstance(t, Variable)
        if not is_weight and (not isinstance(t, KerasTensor) or getattr(t, "_keras_history", None) is None):
            raise ValueError(
                f"gradients: variables[{i}] must be a symbolic tensor (a model's input or a layer's "
                f"output, a K.placeholder) or a layer weight, got {t!r} of type {type(t).__name__}"
            )
        if not jnp.issubdtype(jnp.dtype(t.dtype), jnp.floating):
            raise ValueError(f"gradients: variables[{i}] must have a floating dtype, got {t.dtype!r}")
    upstream, stack = set(), [loss]  # the tensors `loss` is computed through
    while stack:
        t = stack.pop()
        if id(t) not in upstream:
            upstream.add(id(t))
            stack.extend(t.node.input_tensors)
    asked = list({id(t): t for t in wrt if not isinstance(t, Variable) and id(t) in upstream}.values())
    sources = get_source_inputs(loss)
    graph = Model(sources, [loss] + asked, name=naming.uniquify("gradients_graph"))
    paths = shared_layers.places(graph)[0]  # where each layer's weights sit
    weights = list({id(v): v for v in wrt if isinstance(v, Variable) and id(v._layer) in paths}.values())
    if not asked and not weights:
        return [None] * len(wrt)
    layer = Gradients(graph, asked, [(v._collection, paths[id(v._layer)] + (v.name,), v) for v in weights])
    grad_of = dict(zip([id(t) for t in asked + weights], layer(list(sources))))
    return [grad_of.get(id(t)) for t in wrt]


# ------------------------------------------------------------------------------------------
# On symbolic tensors (a functional model's KerasTensors) a backend function records an
# `OpLambda` layer in the graph, as tf.keras 2's TFOpLambda did. These read, create or configure
# instead of computing on their arguments:
_NOT_OPS = frozenset({
    "image_dim_ordering", "set_image_dim_ordering", "backend", "clear_session", "variable", "constant",
    "get_value", "batch_get_value", "set_value", "batch_set_value", "is_tensor", "int_shape",
    "ndim", "dtype", "count_params", "placeholder", "gradients", "cast_to_floatx", "eval", "arange", "learning_phase", "set_learning_phase", "in_train_phase",
    "in_test_phase", "random_normal", "random_uniform", "random_binomial", "function",
    "update", "update_add", "update_sub", "moving_average_update", "name_scope", "get_variable_shape",
    "is_sparse", "to_dense", "reset_uids", "ctc_label_dense_to_sparse", "random_uniform_variable",
    "random_normal_variable", "truncated_normal", "is_variable", "is_placeholder", "normalize_data_format",
    "control_dependencies", "manual_variable_initialization", "set_session", "get_session",
})


for _name, _fn in list(globals().items()):
    if (callable(_fn) and not isinstance(_fn, type) and not _name.startswith("_") and _name not in _NOT_OPS
            and getattr(_fn, "__module__", None) == __name__):
        globals()[_name] = symbolic("backend", _name, _fn)


# Keras 3 dtype helpers (keras.backend.standardize_dtype, ...).
from jkeras.utils.dtype_utils import is_float_dtype, is_int_dtype, result_type, standardize_dtype  # noqa: E402,F401

# Keras 3 (keras.backend.get_uid, keras.backend.is_keras_tensor).
from jkeras._uids import get_uid, is_keras_tensor  # noqa: E402,F401

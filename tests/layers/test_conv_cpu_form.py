"""On a CPU an unpadded convolution runs as a padded one, its extra outputs dropped
(`jkeras.layers._conv_kernels`): the same values, gradients and tangents as
`lax.conv_general_dilated`."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.test_util import check_grads

from jkeras.layers import _conv_kernels
from jkeras.layers._conv_base import dimension_numbers

CASES = [  # input shape, kernel shape, strides, padding, rhs dilation, groups, data format
    ((2, 9, 9, 3), (3, 3, 3, 4), (1, 1), "VALID", (1, 1), 1, "channels_last"),
    ((2, 9, 9, 3), (3, 3, 3, 4), (2, 2), "VALID", (1, 1), 1, "channels_last"),
    ((2, 10, 9, 3), (3, 2, 3, 4), (3, 2), [(0, 0), (0, 0)], (1, 1), 1, "channels_last"),
    ((2, 3, 9, 9), (3, 3, 3, 4), (1, 1), "VALID", (1, 1), 1, "channels_first"),
    ((2, 11, 3), (3, 3, 4), (1,), "VALID", (2,), 1, "channels_last"),
    ((2, 6, 6, 6, 2), (2, 2, 2, 2, 3), (1, 2, 1), "VALID", (1, 1, 1), 1, "channels_last"),
    ((2, 9, 9, 4), (3, 3, 2, 6), (1, 1), "VALID", (1, 1), 2, "channels_last"),  # grouped
    ((2, 9, 9, 3), (3, 3, 1, 6), (1, 1), "VALID", (1, 1), 3, "channels_last"),  # depthwise, multiplier 2
    ((2, 9, 9, 3), (3, 3, 1, 3), (2, 2), "SAME", (1, 1), 3, "channels_last"),
    ((2, 10, 9, 4), (3, 2, 1, 4), (1, 2), [(1, 2), (0, 1)], (2, 1), 4, "channels_last"),
    ((2, 11, 3), (5, 1, 3), (1,), [(4, 0)], (1,), 3, "channels_last"),  # causal Conv1D-style
    ((2, 5, 6, 7, 2), (2, 3, 2, 1, 2), (1, 1, 2), "SAME", (1, 1, 1), 2, "channels_last"),
    ((2, 3, 9, 9), (3, 3, 1, 3), (1, 1), "VALID", (1, 1), 3, "channels_first"),  # XLA's form
    ((2, 9, 9, 3), (3, 3, 3, 4), (1, 1), "SAME", (1, 1), 1, "channels_last"),  # padded: unchanged
    ((2, 9, 9, 3), (1, 1, 3, 4), (1, 1), "VALID", (1, 1), 1, "channels_last"),  # 1x1: a matrix product
    ((2, 9, 3), (1, 3, 4), (1,), "SAME", (1,), 1, "channels_last"),
    ((2, 3, 9, 9), (1, 1, 3, 4), (1, 1), "VALID", (1, 1), 1, "channels_first"),
    ((2, 9, 9, 3), (1, 1, 3, 4), (2, 2), "VALID", (1, 1), 1, "channels_last"),
]


def _assert_same_as(ours, reference, x, k):
    """`ours(x, k)` has `reference`'s values, gradients and tangents, and passes `check_grads`."""
    np.testing.assert_allclose(ours(x, k), reference(x, k), rtol=1e-5, atol=1e-6)
    loss = lambda f: lambda x, k: jnp.sum(f(x, k) ** 2)  # noqa: E731
    for a, b in zip(jax.grad(loss(ours), (0, 1))(x, k), jax.grad(loss(reference), (0, 1))(x, k)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    tangents = (jnp.ones_like(x), jnp.ones_like(k))
    np.testing.assert_allclose(jax.jvp(ours, (x, k), tangents)[1], jax.jvp(reference, (x, k), tangents)[1],
                               rtol=1e-4, atol=1e-4)
    check_grads(lambda x, k: jnp.sum(ours(x, k)), (x, k), order=1, modes=("fwd", "rev"), atol=5e-2, rtol=5e-2)


@pytest.mark.parametrize("x_shape,k_shape,strides,padding,dilation,groups,data_format", CASES)
def test_same_values_gradients_and_tangents_as_lax(x_shape, k_shape, strides, padding, dilation, groups,
                                                   data_format):
    assert jax.default_backend() == "cpu"
    dn = dimension_numbers(len(x_shape) - 2, data_format)
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal(x_shape), jnp.float32)
    k = jnp.asarray(rng.standard_normal(k_shape), jnp.float32)

    def ours(x, k):
        return jnp.sin(_conv_kernels.conv(x, k, strides, padding, rhs_dilation=dilation, dimension_numbers=dn,
                                          feature_group_count=groups))

    def reference(x, k):
        return jnp.sin(lax.conv_general_dilated(x, k, strides, padding, rhs_dilation=dilation, dimension_numbers=dn,
                                                feature_group_count=groups))

    _assert_same_as(ours, reference, x, k)


def test_differentiated_an_unpadded_convolution_runs_padded_and_inference_as_it_is():
    dn = dimension_numbers(2, "channels_last")
    x, k = jnp.zeros((2, 9, 9, 3)), jnp.zeros((3, 3, 3, 4))
    conv = lambda x, k: _conv_kernels.conv(x, k, (1, 1), "VALID", dimension_numbers=dn)  # noqa: E731
    padded = "pad=0_1x0_0"
    inference = jax.jit(conv).lower(x, k).compile().as_text()
    gradient = jax.jit(jax.grad(lambda x, k: jnp.sum(conv(x, k)), (0, 1))).lower(x, k).compile().as_text()
    assert "convolution" in inference and padded not in inference
    assert padded in gradient


TRANSPOSED = [  # input shape, kernel size, strides, Keras padding, output_padding, data format
    ((2, 5, 3), 3, 2, "valid", None, "channels_last"),
    ((2, 5, 3), 4, 3, "valid", 2, "channels_last"),
    ((2, 5, 3), 1, 2, "valid", None, "channels_last"),  # padding past the kernel (a crop)
    ((2, 4, 5, 3), 3, 2, "same", None, "channels_last"),
    ((2, 4, 5, 3), 4, 2, "same", None, "channels_last"),  # the DCGAN generator's
    ((2, 4, 5, 3), (3, 2), (2, 3), "same", (1, 0), "channels_last"),
    ((2, 4, 5, 3), 5, 2, "valid", 1, "channels_last"),
    ((2, 4, 5, 3), 2, 3, "valid", None, "channels_last"),
    ((2, 3, 2, 3, 2), 2, 2, "valid", None, "channels_last"),
    ((2, 3, 2, 3, 2), 3, (1, 2, 2), "same", None, "channels_last"),
    ((2, 3, 4, 5), 3, 2, "same", None, "channels_first"),  # XLA's form
]


@pytest.mark.parametrize("x_shape,kernel,strides,padding,output_padding,data_format", TRANSPOSED)
def test_transposed_convolution_same_values_gradients_and_tangents_as_lax(x_shape, kernel, strides, padding,
                                                                          output_padding, data_format):
    """On a CPU a strided transposed convolution is differentiated in its sub-pixel form."""
    from jkeras.layers._conv_base import transpose_padding

    rank = len(x_shape) - 2
    kernel = (kernel,) * rank if isinstance(kernel, int) else kernel
    strides = (strides,) * rank if isinstance(strides, int) else strides
    output_padding = (output_padding,) * rank if isinstance(output_padding, (int, type(None))) else output_padding
    pads = [transpose_padding(k, s, 1, padding, p) for k, s, p in zip(kernel, strides, output_padding)]
    dn = dimension_numbers(rank, data_format, transpose=True)
    channels = x_shape[-1] if data_format == "channels_last" else x_shape[1]
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal(x_shape), jnp.float32)
    k = jnp.asarray(rng.standard_normal(kernel + (4, channels)), jnp.float32)

    def ours(x, k):
        return jnp.sin(_conv_kernels.conv(x, k, (1,) * rank, pads, lhs_dilation=strides, dimension_numbers=dn))

    def reference(x, k):
        return jnp.sin(lax.conv_general_dilated(x, k, (1,) * rank, pads, lhs_dilation=strides, dimension_numbers=dn))

    _assert_same_as(ours, reference, x, k)


def test_differentiated_a_transposed_convolution_runs_undilated_and_inference_as_it_is():
    dn = dimension_numbers(2, "channels_last", transpose=True)
    x, k = jnp.zeros((2, 7, 7, 3)), jnp.zeros((4, 4, 5, 3))
    conv = lambda x, k: _conv_kernels.conv(x, k, (1, 1), [(2, 2), (2, 2)], lhs_dilation=(2, 2),  # noqa: E731
                                           dimension_numbers=dn)
    inference = jax.jit(conv).lower(x, k).compile().as_text()
    gradient = jax.jit(jax.grad(lambda x, k: jnp.sum(conv(x, k) ** 2), (0, 1))).lower(x, k).compile().as_text()
    assert "lhs_dilate=2x2" in inference
    assert "convolution" in gradient and "lhs_dilate" not in gradient

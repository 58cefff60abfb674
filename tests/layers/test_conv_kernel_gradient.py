"""On a CPU, Conv layers compute their kernel gradient as one product per kernel offset
(`jkeras.layers._conv_kernels`): the same gradients as XLA's autodiff of the convolution."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.test_util import check_grads

import jkeras
from jkeras.layers import _conv_kernels
from jkeras.layers._conv_base import dimension_numbers

CASES = [  # rank, strides, padding, dilation
    (2, (1, 1), "VALID", (1, 1)),
    (2, (2, 2), "SAME", (1, 1)),
    (2, (3, 2), "VALID", (1, 1)),
    (2, (1, 1), "SAME", (2, 2)),
    (1, (1,), [(4, 0)], (2,)),  # causal
    (3, (1, 2, 1), "SAME", (1, 1, 1)),
]


def _functions(rank, strides, padding, dilation):
    dn = dimension_numbers(rank, "channels_last")

    def ours(x, k):
        return jnp.sum(jnp.sin(_conv_kernels.conv(x, k, strides, padding, dilation, dn, 1, True)))

    def reference(x, k):
        return jnp.sum(jnp.sin(lax.conv_general_dilated(x, k, strides, padding, rhs_dilation=dilation,
                                                        dimension_numbers=dn)))

    return ours, reference


def _arrays(rank, seed=0):
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.standard_normal((2,) + (9,) * rank + (3,)), jnp.float32)
    k = jnp.asarray(rng.standard_normal((3,) * rank + (3, 4)), jnp.float32)
    return x, k


@pytest.mark.parametrize("rank,strides,padding,dilation", CASES)
def test_gradients_equal_xlas(rank, strides, padding, dilation):
    assert jax.default_backend() == "cpu"
    ours, reference = _functions(rank, strides, padding, dilation)
    x, k = _arrays(rank)
    np.testing.assert_allclose(ours(x, k), reference(x, k), rtol=1e-5)
    for a, b in zip(jax.grad(ours, (0, 1))(x, k), jax.grad(reference, (0, 1))(x, k)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    check_grads(ours, (x, k), order=1, modes=("rev",), atol=5e-2, rtol=5e-2)


def test_per_example_and_second_order_gradients():
    ours, reference = _functions(2, (1, 1), "SAME", (1, 1))
    x, k = _arrays(2)
    xs = jnp.stack([x, 2 * x])
    np.testing.assert_allclose(jax.vmap(jax.grad(ours, 1), (0, None))(xs, k),
                               jax.vmap(jax.grad(reference, 1), (0, None))(xs, k), rtol=1e-4, atol=1e-5)

    def penalty(f):  # a gradient penalty (WGAN-GP): reverse mode over reverse mode
        return jax.grad(lambda k: jnp.sum(jax.grad(f, 0)(x, k) ** 2))(k)

    np.testing.assert_allclose(penalty(ours), penalty(reference), rtol=1e-3, atol=1e-4)


def test_conv_layers_train_as_with_xlas_gradient_and_the_switch_restores_forward_mode():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 8, 8, 2)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")

    def trained():
        jkeras.utils.set_random_seed(0)
        model = jkeras.Sequential([jkeras.Input((8, 8, 2)), jkeras.layers.Conv2D(4, 3, padding="same", strides=2),
                                   jkeras.layers.Conv2D(3, 2, dilation_rate=2), jkeras.layers.Flatten(),
                                   jkeras.layers.Dense(1)])
        model.compile(jkeras.optimizers.SGD(0.05), "mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        return model

    by_products = trained()
    with pytest.raises(TypeError, match="forward-mode"):
        jax.jvp(lambda v: by_products(v), (x,), (x,))
    jkeras.config.disable_conv_gradient_by_products()
    try:
        assert not jkeras.config.is_conv_gradient_by_products_enabled()
        by_xla = trained()
        jax.jvp(lambda v: by_xla(v), (x,), (x,))  # forward mode works with XLA's gradient
    finally:
        jkeras.config.enable_conv_gradient_by_products()
    for a, b in zip(by_products.get_weights(), by_xla.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)

"""Keras update rules that optax does not provide exactly: Adam, Adamax, Nadam, clipnorm.

Part of `jkeras.core.optimizers` (split out to keep files short); import from there.
Each is an `optax.GradientTransformation` that scales gradients as Keras 3 does before the
learning rate is applied. The params / gradients pytrees may hold `None` leaves.
"""
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import tree as otu


def _tree_map(fn, tree, *rest):
    """`jax.tree.map` that skips `None` leaves of `tree` (frozen weights)."""
    return jax.tree.map(
        lambda x, *r: None if x is None else fn(x, *r), tree, *rest, is_leaf=lambda x: x is None
    )


# ----------------------------------------------------------------------------- rule states


class ScaleByKerasAdamState(NamedTuple):
    """State of `scale_by_keras_adam` (Keras `momentum`, `velocity`)."""

    count: jax.Array  # shape=(), int32: the number of steps taken.
    mu: Any
    nu: Any


class ScaleByKerasAmsgradState(NamedTuple):
    """State of `scale_by_keras_adam(amsgrad=True)` (adds Keras `velocity_hat`)."""

    count: jax.Array
    mu: Any
    nu: Any
    nu_max: Any


class ScaleByKerasAdamaxState(NamedTuple):
    """State of `scale_by_keras_adamax` (Keras `momentum`, `norm`)."""

    count: jax.Array
    mu: Any
    norm: Any


class ScaleByKerasNadamState(NamedTuple):
    """State of `scale_by_keras_nadam` (Keras `momentum`, `velocity`, `u_product`)."""

    count: jax.Array
    u_product: jax.Array  # shape=(), float32: product of the momentum-cache schedule.
    mu: Any
    nu: Any


def scale_by_keras_adam(beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    """Rescales gradients as Keras's Adam, before the learning rate.

    `update = m * sqrt(1 - beta_2**t) / (1 - beta_1**t) / (sqrt(v) + epsilon)`, where `v` is
    the running maximum of the second moment when `amsgrad=True`.

    Args:
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the second moment.
        epsilon: Added to `sqrt(v)` (outside the bias correction, as Keras).
        amsgrad: Whether to use the running maximum of the second moment.

    Returns:
        An `optax.GradientTransformation`.
    """

    def init(params):
        mu, nu = otu.zeros_like(params), otu.zeros_like(params)
        count = jnp.zeros([], jnp.int32)
        if amsgrad:
            return ScaleByKerasAmsgradState(count, mu, nu, otu.zeros_like(params))
        return ScaleByKerasAdamState(count, mu, nu)

    def update(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        step = count.astype(jnp.float32)
        correction = jnp.sqrt(1 - jnp.power(beta_2, step)) / (1 - jnp.power(beta_1, step))
        mu = otu.update_moment(updates, state.mu, beta_1, 1)
        nu = otu.update_moment_per_elem_norm(updates, state.nu, beta_2, 2)
        if amsgrad:
            nu_max = _tree_map(jnp.maximum, state.nu_max, nu)
            new_state = ScaleByKerasAmsgradState(count, mu, nu, nu_max)
        else:
            nu_max = nu
            new_state = ScaleByKerasAdamState(count, mu, nu)
        updates = _tree_map(
            lambda m, v: m * correction.astype(m.dtype) / (jnp.sqrt(v) + epsilon), mu, nu_max
        )
        return updates, new_state

    return optax.GradientTransformation(init, update)


def scale_by_keras_adamax(beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Rescales gradients as Keras's Adamax, before the learning rate.

    `u = max(beta_2 * u, |g|)`, `update = m / ((1 - beta_1**t) * (u + epsilon))`.

    Args:
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the infinity norm.
        epsilon: Added to the infinity norm.

    Returns:
        An `optax.GradientTransformation`.
    """

    def init(params):
        zeros = otu.zeros_like
        return ScaleByKerasAdamaxState(jnp.zeros([], jnp.int32), zeros(params), zeros(params))

    def update(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        correction = 1 - jnp.power(beta_1, count.astype(jnp.float32))
        mu = otu.update_moment(updates, state.mu, beta_1, 1)
        norm = _tree_map(lambda g, u: jnp.maximum(beta_2 * u, jnp.abs(g)), updates, state.norm)
        updates = _tree_map(
            lambda m, u: m / (correction.astype(m.dtype) * (u + epsilon)), mu, norm
        )
        return updates, ScaleByKerasAdamaxState(count, mu, norm)

    return optax.GradientTransformation(init, update)


def scale_by_keras_nadam(beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Rescales gradients as Keras 3's Nadam, before the learning rate.

    With the momentum cache `u_t = beta_1 * (1 - 0.5 * 0.96**t)` and `U_t = u_1 * ... * u_t`:
    `m_hat = u_{t+1} * m / (1 - U_{t+1}) + (1 - u_t) * g / (1 - U_t)`,
    `update = m_hat / (sqrt(v / (1 - beta_2**t)) + epsilon)`.

    Args:
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the second moment.
        epsilon: Added to the square root of the corrected second moment.

    Returns:
        An `optax.GradientTransformation`.
    """

    def init(params):
        return ScaleByKerasNadamState(
            count=jnp.zeros([], jnp.int32),
            u_product=jnp.ones([], jnp.float32),
            mu=otu.zeros_like(params),
            nu=otu.zeros_like(params),
        )

    def update(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        step = count.astype(jnp.float32)
        cache = 1.0 - 0.5 * jnp.power(0.96, step)
        u_t = beta_1 * cache
        u_next = beta_1 * (1.0 - 0.5 * jnp.power(0.96, step + 1))
        u_product = state.u_product * beta_1 * cache  # Keras's order of multiplication.
        u_product_next = u_product * u_next
        v_correction = 1 - jnp.power(beta_2, step)
        # Keras's Nadam forms `1 - beta` in float32, so `v / (1 - beta_2**1)` is exactly g**2.
        b1_rest, b2_rest = 1 - jnp.float32(beta_1), 1 - jnp.float32(beta_2)
        mu = _tree_map(lambda g, m: m + (g - m) * b1_rest.astype(m.dtype), updates, state.mu)
        nu = _tree_map(lambda g, v: v + (g * g - v) * b2_rest.astype(v.dtype), updates, state.nu)

        def direction(g, m, v):
            dt = m.dtype
            m_hat = (u_next.astype(dt) * m / (1 - u_product_next).astype(dt)
                     + (1 - u_t).astype(dt) * g / (1 - u_product).astype(dt))
            return m_hat / (jnp.sqrt(v / v_correction.astype(dt)) + epsilon)

        updates = _tree_map(direction, updates, mu, nu)
        return updates, ScaleByKerasNadamState(count, u_product, mu, nu)

    return optax.GradientTransformation(init, update)


def clip_by_norm_per_tensor(max_norm):
    """Clips each gradient tensor to L2 norm `max_norm`, as Keras's `clipnorm`.

    Args:
        max_norm: Maximum L2 norm of each tensor.

    Returns:
        An `optax.GradientTransformation` (stateless).
    """

    def clip(g):
        sum_sq = jnp.sum(jnp.square(g), keepdims=True)
        positive = sum_sq > 0
        norm = jnp.where(positive, jnp.sqrt(jnp.where(positive, sum_sq, 1.0)), sum_sq)
        return g * max_norm / jnp.maximum(norm, max_norm)

    def update(updates, state, params=None):
        del params
        return _tree_map(clip, updates), state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update)

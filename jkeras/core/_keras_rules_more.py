"""Keras 3's Adafactor, Ftrl, Lamb, Lion and ScheduleFreeAdamW rules as optax transformations.

Part of `jkeras.core.optimizers` (split out to keep files short); import from there.
Unlike the rules in `_keras_transforms`, each of these takes the learning rate itself (Ftrl
divides by it, Adafactor caps it with the step count), so it is a complete rule
`rule(learning_rate, **hyperparameters)`. All but Lion read the weights: their
`update` needs `params`, and they carry `reads_weights = True` so that `keras_optimizer`
applies Keras's weight decay to the weights before they see them. The params / gradients
pytrees may hold `None` leaves.
"""
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from optax import tree as otu

from jkeras.core._keras_transforms import _tree_map


class LionState(NamedTuple):
    """State of `lion` (Keras `momentum`)."""

    count: jax.Array  # shape=(), int32: the number of steps taken.
    mu: Any


class LambState(NamedTuple):
    """State of `lamb` (Keras `momentum`, `velocity`)."""

    count: jax.Array
    mu: Any
    nu: Any


class FtrlState(NamedTuple):
    """State of `ftrl` (Keras `accumulator`, `linear`)."""

    count: jax.Array
    accumulator: Any
    linear: Any


class ScheduleFreeAdamWState(NamedTuple):
    """State of `schedule_free_adamw` (Keras `momentum`, started at the weights, `velocity`)."""

    count: jax.Array
    mu: Any
    nu: Any


class AdafactorState(NamedTuple):
    """State of `adafactor` (Keras `r`, `c`, `velocity`).

    For weights of rank >= 2, `r` has the weight's shape without its last axis and `c`
    without its second-last axis; for lower ranks both are scalar placeholders, as in Keras.
    """

    count: jax.Array
    r: Any
    c: Any
    v: Any


def _learning_rate_at(learning_rate, count):
    """The float learning rate, or a schedule's value at `count` (steps taken so far)."""
    return learning_rate(count) if callable(learning_rate) else learning_rate


def _tree_map_n(fn, n, tree, *rest):
    """Maps `fn` (returning `n` values) over the leaves; returns `n` trees. `None` leaves of
    `tree` stay `None` in every output."""
    leaves, treedef = jax.tree.flatten(tree, is_leaf=lambda x: x is None)
    others = [treedef.flatten_up_to(r) for r in rest]
    outs = [(None,) * n if x is None else fn(x, *rs) for x, *rs in zip(leaves, *others)]
    return tuple(treedef.unflatten([o[i] for o in outs]) for i in range(n))


def _check_params(params, name):
    if params is None:
        raise ValueError(f"The `{name}` update needs the current weights: call "
                         f"`update(grads, state, params)`. Received: params=None")


def _cast(value, like):
    return jnp.asarray(value).astype(like.dtype)


def _rms(x):
    return jnp.sqrt(jnp.mean(jnp.square(x)))


def _check_number(name, value, ok, expected):
    """Validates a Python-number hyperparameter (traced values pass through)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not ok(value):
        raise ValueError(f"`{name}` {expected}. Received: {name}={value}.")


# ----------------------------------------------------------------------------- Lion


def lion(learning_rate, beta_1=0.9, beta_2=0.99):
    """Keras's Lion: `w -= lr * sign(beta_1 * m + (1 - beta_1) * g)`.

    Then `m = beta_2 * m + (1 - beta_2) * g`.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        beta_1: Interpolation factor of the update direction, in (0, 1].
        beta_2: Decay rate of the momentum.

    Returns:
        An `optax.GradientTransformation`.

    Raises:
        ValueError: If `beta_1` is not in (0, 1].
    """
    _check_number("beta_1", beta_1, lambda b: 0 < b <= 1,
                  "must be in the [0, 1] range. Otherwise, the optimizer degenerates to "
                  "SignSGD")

    def init(params):
        return LionState(jnp.zeros([], jnp.int32), otu.zeros_like(params))

    def update(updates, state, params=None):
        del params
        lr = _learning_rate_at(learning_rate, state.count)

        def step(g, m):
            b1, one = _cast(beta_1, m), jnp.ones([], m.dtype)
            return -_cast(lr, m) * jnp.sign(m * b1 + g * (one - b1))

        def momentum(g, m):
            b2, one = _cast(beta_2, m), jnp.ones([], m.dtype)
            return m * b2 + g * (one - b2)

        new_updates = _tree_map(step, updates, state.mu)
        mu = _tree_map(momentum, updates, state.mu)
        return new_updates, LionState(optax.safe_increment(state.count), mu)

    return optax.GradientTransformation(init, update)


# ----------------------------------------------------------------------------- Lamb


def lamb(learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras's Lamb: an Adam step scaled by the trust ratio `||w|| / ||step||` per tensor.

    `step = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)`;
    `w -= ratio * lr * step`, where the ratio is 1 when either norm is 0.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the second moment.
        epsilon: Added to the root of the corrected second moment.

    Returns:
        An `optax.GradientTransformation`; its `update` needs `params`.
    """

    def init(params):
        zeros = otu.zeros_like
        return LambState(jnp.zeros([], jnp.int32), zeros(params), zeros(params))

    def update(updates, state, params=None):
        _check_params(params, "lamb")
        lr = _learning_rate_at(learning_rate, state.count)
        count = optax.safe_increment(state.count)
        mu = _tree_map(lambda g, m: m + (g - m) * _cast(1 - beta_1, m), updates, state.mu)
        nu = _tree_map(lambda g, v: v + (jnp.square(g) - v) * _cast(1 - beta_2, v), updates,
                       state.nu)

        def step(m, v, w):
            t = count.astype(w.dtype)
            m_hat = m / (1.0 - jnp.power(_cast(beta_1, w), t))
            direction = m_hat / (jnp.sqrt(v / (1.0 - jnp.power(_cast(beta_2, w), t))) + epsilon)
            w_norm = jnp.sqrt(jnp.sum(jnp.square(w)))
            d_norm = jnp.sqrt(jnp.sum(jnp.square(direction)))
            ratio = jnp.where(w_norm > 0,
                              jnp.where(d_norm > 0, w_norm / jnp.where(d_norm > 0, d_norm, 1), 1),
                              1).astype(w.dtype)
            return -(ratio * _cast(lr, w) * direction)

        return _tree_map(step, mu, nu, params), LambState(count, mu, nu)

    return optax.GradientTransformation(init, update)


lamb.reads_weights = True


# ----------------------------------------------------------------------------- Ftrl


def check_ftrl_arguments(learning_rate_power=-0.5, initial_accumulator_value=0.1,
                         l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                         l2_shrinkage_regularization_strength=0.0):
    """Raises Keras's ValueError for an out-of-range Ftrl hyperparameter."""
    non_negative = ("needs to be positive or zero", lambda x: x >= 0)
    for name, value, (expected, ok) in (
            ("initial_accumulator_value", initial_accumulator_value, non_negative),
            ("learning_rate_power", learning_rate_power,
             ("needs to be negative or zero", lambda x: x <= 0)),
            ("l1_regularization_strength", l1_regularization_strength, non_negative),
            ("l2_regularization_strength", l2_regularization_strength, non_negative),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
             non_negative)):
        _check_number(name, value, ok, expected)


def ftrl(learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
         l1_regularization_strength=0.0, l2_regularization_strength=0.0,
         l2_shrinkage_regularization_strength=0.0, beta=0.0):
    """Keras's FTRL-Proximal (McMahan et al., 2013), with its online L2 shrinkage.

    With `n' = n + g**2`, `p = -learning_rate_power`:
    `z += g + 2 * l2_shrinkage * w - (n'**p - n**p) / lr * w`,
    `w = (clip(z, -l1, l1) - z) / (n'**p / lr + 2 * (l2 + beta / (2 * lr)))`.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        learning_rate_power: Float <= 0.
        initial_accumulator_value: Float >= 0, the start of the accumulators `n`.
        l1_regularization_strength: Float >= 0.
        l2_regularization_strength: Float >= 0.
        l2_shrinkage_regularization_strength: Float >= 0 (a magnitude penalty on the weights).
        beta: Float, added as `beta / (2 * lr)` to the L2 strength.

    Returns:
        An `optax.GradientTransformation`; its `update` needs `params` (the update sets the
        weights to the FTRL solution).

    Raises:
        ValueError: If a hyperparameter is out of its range.
    """
    check_ftrl_arguments(learning_rate_power, initial_accumulator_value,
                         l1_regularization_strength, l2_regularization_strength,
                         l2_shrinkage_regularization_strength)
    power = -learning_rate_power

    def init(params):
        accumulator = _tree_map(lambda p: jnp.full_like(p, initial_accumulator_value), params)
        return FtrlState(jnp.zeros([], jnp.int32), accumulator, otu.zeros_like(params))

    def update(updates, state, params=None):
        _check_params(params, "ftrl")
        lr = _learning_rate_at(learning_rate, state.count)

        def one(g, n, z, w):
            lr_w = _cast(lr, w)
            l2 = l2_regularization_strength + beta / (2.0 * lr_w)
            new_n = n + jnp.square(g)
            new_z = z + ((g + 2 * l2_shrinkage_regularization_strength * w)
                         - (jnp.power(new_n, power) - jnp.power(n, power)) / lr_w * w)
            quadratic = jnp.power(new_n, power) / lr_w + 2 * l2
            clipped = jnp.clip(new_z, -l1_regularization_strength, l1_regularization_strength)
            return (clipped - new_z) / quadratic - w, new_n, new_z

        new_updates, accumulator, linear = _tree_map_n(
            one, 3, updates, state.accumulator, state.linear, params)
        return new_updates, FtrlState(optax.safe_increment(state.count), accumulator, linear)

    return optax.GradientTransformation(init, update)


ftrl.reads_weights = True


# ----------------------------------------------------------------------------- Adafactor


def adafactor(learning_rate, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
              clip_threshold=1.0, relative_step=True):
    """Keras 3's Adafactor (Shazeer & Stern, 2018).

    At step `t`: `rho = min(lr, 1 / sqrt(t))`, `alpha = max(epsilon_2, rms(w)) * rho`,
    `beta = 1 - t**beta_2_decay`. The second moment of `g**2 + epsilon_1` is a running
    average `v` for weights of rank < 2 and, for higher ranks, the outer product of the row
    and column averages `r` and `c` over the last two axes (`v = r / mean(r) x c`).
    `u = g / sqrt(v)`, `w -= alpha * u / max(1, rms(u) / clip_threshold)`.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        beta_2_decay: The decay exponent of `beta`.
        epsilon_1: Added to the squared gradients.
        epsilon_2: The least weight RMS that scales the step.
        clip_threshold: Threshold of the update clipping by its RMS.
        relative_step: Keras's argument; Keras 3 always caps the step size by
            `1 / sqrt(t)`, so it changes nothing.

    Returns:
        An `optax.GradientTransformation`; its `update` needs `params`.
    """
    del relative_step  # min(min(lr, 1/sqrt(t)), 1/sqrt(t)) == min(lr, 1/sqrt(t)) in Keras 3.

    def factors(p):
        if p.ndim < 2:
            return jnp.zeros([], p.dtype), jnp.zeros([], p.dtype)
        return (jnp.zeros(p.shape[:-1], p.dtype),
                jnp.zeros(p.shape[:-2] + p.shape[-1:], p.dtype))

    def init(params):
        r, c = _tree_map_n(factors, 2, params)
        return AdafactorState(jnp.zeros([], jnp.int32), r, c, otu.zeros_like(params))

    def update(updates, state, params=None):
        _check_params(params, "adafactor")
        lr = _learning_rate_at(learning_rate, state.count)
        count = optax.safe_increment(state.count)

        def one(g, r, c, v, w):
            g = g.astype(w.dtype)
            t = count.astype(w.dtype)
            rho = jnp.minimum(_cast(lr, w), 1 / jnp.sqrt(t))
            alpha = jnp.maximum(_cast(epsilon_2, w), _rms(w)) * rho
            squared = jnp.square(g) + epsilon_1
            beta = 1 - jnp.power(t, _cast(beta_2_decay, w))
            if w.ndim >= 2:
                r = beta * r + (1 - beta) * jnp.mean(squared, axis=-1)
                c = beta * c + (1 - beta) * jnp.mean(squared, axis=-2)
                v = (jnp.expand_dims(r / jnp.mean(r, axis=-1, keepdims=True), -1)
                     * jnp.expand_dims(c, -2))
            else:
                v = beta * v + (1 - beta) * squared
            u = g / jnp.sqrt(v)
            u_hat = u / jnp.maximum(jnp.ones([], w.dtype), _rms(u) / clip_threshold)
            return -(alpha * u_hat), r, c, v

        new_updates, r, c, v = _tree_map_n(one, 4, updates, state.r, state.c, state.v, params)
        return new_updates, AdafactorState(count, r, c, v)

    return optax.GradientTransformation(init, update)


adafactor.reads_weights = True


# ----------------------------------------------------------------------------- Schedule-Free


def schedule_free_adamw(learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0):
    """Keras 3's Schedule-Free AdamW (Defazio et al., 2024); the weights are the `y` sequence.

    With `lr_t = lr * min(t / warmup_steps, 1)` and `m` started at the weights:
    `v = beta_2 * v + (1 - beta_2) * g**2`, `m_new = m - lr_t * g / (sqrt(v / (1 -
    beta_2**t)) + epsilon)`, `x = (w - (1 - beta_1) * m) / beta_1`,
    `x_new = (1 - 1/t) * x + m_new / t`, `w = (1 - beta_1) * m_new + beta_1 * x_new`.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        beta_1: Interpolation between the momentum and the average `x`.
        beta_2: Decay rate of the second moment.
        epsilon: Added to the root of the corrected second moment.
        warmup_steps: Int; steps of linear learning-rate warmup (0: none).

    Returns:
        An `optax.GradientTransformation`; its `update` needs `params`.
    """

    def init(params):
        mu = _tree_map(jnp.array, params)  # A copy of the weights.
        return ScheduleFreeAdamWState(jnp.zeros([], jnp.int32), mu, otu.zeros_like(params))

    def update(updates, state, params=None):
        _check_params(params, "schedule_free_adamw")
        lr = _learning_rate_at(learning_rate, state.count)
        count = optax.safe_increment(state.count)

        def one(g, m, v, y):
            g = g.astype(y.dtype)
            t = count.astype(y.dtype)
            b1, b2 = _cast(beta_1, y), _cast(beta_2, y)
            lr_t = _cast(lr, y)
            if warmup_steps > 0:
                lr_t = lr_t * jnp.minimum(t / _cast(warmup_steps, y), 1.0)
            v = v + (jnp.square(g) - v) * (1 - b2)
            denom = jnp.sqrt(v / (1 - jnp.power(b2, t))) + _cast(epsilon, y)
            new_m = m - lr_t * g / denom
            weight = 1.0 / t
            x = (y - (1 - b1) * m) / b1
            x = (1 - weight) * x + weight * new_m
            return (1 - b1) * new_m + b1 * x - y, new_m, v

        new_updates, mu, nu = _tree_map_n(one, 3, updates, state.mu, state.nu, params)
        return new_updates, ScheduleFreeAdamWState(count, mu, nu)

    return optax.GradientTransformation(init, update)


schedule_free_adamw.reads_weights = True


def decay_weights_first(step, rate):
    """Runs `step` on weights already decayed by `w -= w * rate`, as Keras orders it.

    Keras applies weight decay to the variables before the update rule reads them; for rules
    that read the weights (`reads_weights`), the decay must come first.

    Args:
        step: An `optax.GradientTransformation` whose update reads `params`.
        rate: `weight_decay * learning_rate` (float or scalar array).

    Returns:
        An `optax.GradientTransformation`; the updates include the decay.
    """

    def update(updates, state, params=None):
        _check_params(params, "weight decay")
        decayed = _tree_map(lambda p: p - p * _cast(rate, p), params)
        new_updates, state = step.update(updates, state, decayed)
        total = _tree_map(lambda u, d, p: u + (d - p), new_updates, decayed, params)
        return total, state

    return optax.GradientTransformation(step.init, update)

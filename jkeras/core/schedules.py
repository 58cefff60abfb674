"""Pure learning-rate schedule functions `f(step, ...) -> float32 scalar`.

Each computes what the Keras 3 schedule of the same name computes
(keras/src/optimizers/schedules/learning_rate_schedule.py), with `jnp` only, so it can be
traced under `jax.jit` with `step` an int32 array. Hyperparameters are Python numbers.
"""
import math

import jax.numpy as jnp


def _step(step):
    return jnp.asarray(step).astype(jnp.float32)


def exponential_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        step: Scalar step count.
        initial_learning_rate: Float.
        decay_steps: Positive number.
        decay_rate: Float.
        staircase: If True, `step / decay_steps` is floored.

    Returns:
        A float32 scalar.
    """
    p = _step(step) / jnp.float32(decay_steps)
    if staircase:
        p = jnp.floor(p)
    return jnp.float32(initial_learning_rate) * jnp.power(jnp.float32(decay_rate), p)


def piecewise_constant_decay(step, boundaries, values):
    """`values[i]` where `boundaries[i - 1] < step <= boundaries[i]`.

    Args:
        step: Scalar step count.
        boundaries: Increasing list of `n` numbers.
        values: List of `n + 1` numbers.

    Returns:
        A float32 scalar.
    """
    step = jnp.asarray(step)
    bounds = jnp.asarray(boundaries).astype(step.dtype)
    index = jnp.sum(step > bounds)
    return jnp.asarray(values, dtype=jnp.float32)[index]


def polynomial_decay(step, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle=False):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`.

    Args:
        step: Scalar step count.
        initial_learning_rate: Float.
        decay_steps: Positive number.
        end_learning_rate: Float reached at `decay_steps`.
        power: Float exponent.
        cycle: If True, `decay_steps` grows to the first multiple above `step`; else `step`
            stops at `decay_steps`.

    Returns:
        A float32 scalar.
    """
    step = _step(step)
    steps = jnp.float32(decay_steps)
    if cycle:
        steps = steps * jnp.where(step == 0, 1.0, jnp.ceil(step / steps))
    else:
        step = jnp.minimum(step, steps)
    initial, end = jnp.float32(initial_learning_rate), jnp.float32(end_learning_rate)
    return (initial - end) * jnp.power(1 - step / steps, jnp.float32(power)) + end


def inverse_time_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        step: Scalar step count.
        initial_learning_rate: Float.
        decay_steps: Positive number.
        decay_rate: Float.
        staircase: If True, `step / decay_steps` is floored.

    Returns:
        A float32 scalar.
    """
    p = _step(step) / jnp.float32(decay_steps)
    if staircase:
        p = jnp.floor(p)
    return jnp.float32(initial_learning_rate) / (1 + jnp.float32(decay_rate) * p)


def _cosine(step, decay_steps, alpha, decay_from):
    cosine = 0.5 * (1.0 + jnp.cos(jnp.float32(math.pi) * (step / decay_steps)))
    return decay_from * ((1 - alpha) * cosine + alpha)


def cosine_decay(step, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None,
                 warmup_steps=0):
    """Optional linear warmup, then cosine decay to `alpha` times the starting value.

    Args:
        step: Scalar step count.
        initial_learning_rate: Float.
        decay_steps: Positive number of decay steps.
        alpha: Final value as a fraction of the decay's starting value.
        warmup_target: Float or None; if set, the rate goes linearly from
            `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays
            from `warmup_target`.
        warmup_steps: Number of warmup steps.

    Returns:
        A float32 scalar.
    """
    step = _step(step)
    initial = jnp.float32(initial_learning_rate)
    steps = jnp.float32(decay_steps)
    if warmup_target is None:
        return _cosine(jnp.minimum(step, steps), steps, alpha, initial)
    target, warm = jnp.float32(warmup_target), jnp.float32(warmup_steps)
    step = jnp.minimum(step, steps + warm)
    warmup = (target - initial) * (step / warm) + initial
    return jnp.where(step < warm, warmup, _cosine(step - warm, steps, alpha, target))


def cosine_decay_restarts(step, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                          alpha=0.0):
    """Cosine decay with warm restarts (SGDR).

    Period `i` lasts `first_decay_steps * t_mul**i` steps and starts at
    `initial_learning_rate * m_mul**i`.

    Args:
        step: Scalar step count.
        initial_learning_rate: Float.
        first_decay_steps: Positive length of the first period.
        t_mul: Period length multiplier.
        m_mul: Restart value multiplier.
        alpha: Minimum value as a fraction of `initial_learning_rate`.

    Returns:
        A float32 scalar.
    """
    fraction = _step(step) / jnp.float32(first_decay_steps)
    t_mul, m_mul, alpha = jnp.float32(t_mul), jnp.float32(m_mul), jnp.float32(alpha)
    geometric_restart = jnp.floor(jnp.log(1.0 - fraction * (1.0 - t_mul)) / jnp.log(t_mul))
    geometric_fraction = (fraction - (1.0 - t_mul ** geometric_restart) / (1.0 - t_mul)) / (
        t_mul ** geometric_restart)
    restart = jnp.where(t_mul == 1.0, jnp.floor(fraction), geometric_restart)
    fraction = jnp.where(t_mul == 1.0, fraction - jnp.floor(fraction), geometric_fraction)
    cosine = 0.5 * m_mul ** restart * (1.0 + jnp.cos(jnp.float32(math.pi) * fraction))
    return jnp.float32(initial_learning_rate) * ((1 - alpha) * cosine + alpha)

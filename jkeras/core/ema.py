"""Keras 3's optimizer EMA (`use_ema=True`) as a pure optax stage.

`with_ema(transform, momentum, overwrite_frequency)` runs `transform`, then keeps an exponential
moving average of the updated weights in its state, as Keras 3's
`_update_model_variables_moving_average` does after each step:
`average = m * average + (1 - m) * new_weight`, with `m = 0` on the first step (the average
starts at the weights) and `m = momentum` after. With `overwrite_frequency=N` every N-th step
(`(iterations + 1) % N == 0`) replaces the step's updates so that the weights become the
averages (`_overwrite_model_variables_with_average_value`).
"""
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jkeras.core import optimizers as core


class EMAState(NamedTuple):
    """The moving averages of the weights (a pytree like the params, Keras's
    `_model_variables_moving_average`) and the wrapped transformation's state."""

    averages: Any
    inner_state: Any


def check_ema_arguments(momentum, overwrite_frequency):
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
        raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={momentum!r}")
    if overwrite_frequency and (isinstance(overwrite_frequency, bool) or not isinstance(overwrite_frequency, int)
                                or overwrite_frequency < 1):
        raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                         f"ema_overwrite_frequency={overwrite_frequency!r}")


def with_ema(transform, momentum=0.99, overwrite_frequency=None):
    """Wraps `transform` so that its state keeps a moving average of the updated weights.

    The step count read for the first-step and overwrite rules is the wrapped state's
    (`get_iterations`), before the update: Keras's `optimizer.iterations`.

    Args:
        transform: An `optax.GradientTransformation` (a Keras update rule).
        momentum: Float in [0, 1], Keras's `ema_momentum`.
        overwrite_frequency: Int >= 1 or None, Keras's `ema_overwrite_frequency`.

    Returns:
        An `optax.GradientTransformationExtraArgs` with state `EMAState`; its `update` needs
        `params`.

    Raises:
        ValueError: for `momentum` outside [0, 1] or an `overwrite_frequency` that is not an
            int >= 1 or None; at update time, for `params=None`.
    """
    check_ema_arguments(momentum, overwrite_frequency)
    transform = optax.with_extra_args_support(transform)

    def init(params):
        averages = jax.tree_util.tree_map(jnp.zeros_like, params)
        return EMAState(averages, transform.init(params))

    def update(updates, state, params=None, **extra_args):
        if params is None:
            raise ValueError("An optimizer with `use_ema=True` needs the weights: call "
                             "`update(grads, state, params)`. Received: params=None")
        iterations = core.get_iterations(state.inner_state)
        updates, inner = transform.update(updates, state.inner_state, params, **extra_args)
        new_params = optax.apply_updates(params, updates)
        not_first = iterations != 0

        def average(avg, weight):
            m = not_first.astype(weight.dtype) * jnp.asarray(momentum, weight.dtype)
            return (m * avg + (1 - m) * weight).astype(avg.dtype)

        averages = jax.tree_util.tree_map(average, state.averages, new_params)
        if overwrite_frequency:
            overwrite = (iterations + 1) % overwrite_frequency == 0
            updates = jax.tree_util.tree_map(
                lambda u, avg, p: jnp.where(overwrite, (avg - p).astype(u.dtype), u),
                updates, averages, params)
        return updates, EMAState(averages, inner)

    return optax.GradientTransformationExtraArgs(init, update)


def find_ema_state(opt_state):
    """The first `EMAState` inside `opt_state`, or None."""
    is_ema = lambda x: isinstance(x, EMAState)  # noqa: E731
    for node in jax.tree_util.tree_leaves(opt_state, is_leaf=is_ema):
        if is_ema(node):
            return node
    return None


def replace_averages(opt_state, averages):
    """A copy of `opt_state` whose first `EMAState` holds `averages` (same structure)."""
    is_ema = lambda x: isinstance(x, EMAState)  # noqa: E731
    leaves, treedef = jax.tree_util.tree_flatten(opt_state, is_leaf=is_ema)
    for i, leaf in enumerate(leaves):
        if is_ema(leaf):
            leaves[i] = leaf._replace(averages=averages)
            return treedef.unflatten(leaves)
    raise ValueError("The optimizer state holds no moving averages: create the optimizer "
                     "with `use_ema=True`.")

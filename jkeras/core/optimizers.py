"""Keras optimizers as pure optax `GradientTransformation`s.

Every update rule here gives Keras 3's numbers (keras/src/optimizers/*.py), including where
Keras differs from optax's textbook versions: Adam puts `epsilon` outside the bias
correction, Adamax adds `epsilon` after the infinity norm, Nadam uses the momentum-cache
schedule `beta_1 * (1 - 0.5 * 0.96 ** t)`, and SGD / RMSprop momentum accumulate
`learning_rate`-scaled steps, so a learning rate changed between steps acts as in Keras.

Each rule factory (`sgd`, `rmsprop`, ...) takes `learning_rate` first, as optax's aliases do,
so it can be wrapped in `optax.inject_hyperparams`. `keras_optimizer` composes a rule with
Keras's gradient clipping, decoupled weight decay and Keras 2's `decay`, and keeps the
learning rate in the optimizer state (`get_learning_rate` / `set_learning_rate`), so it can
be changed between jitted steps without recompiling.

The params / gradients pytrees may hold `None` leaves (frozen weights).
"""
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jkeras.core._keras_transforms import (  # noqa: F401  (re-exported)
    ScaleByKerasAdamState, ScaleByKerasAdamaxState, ScaleByKerasAmsgradState,
    ScaleByKerasNadamState, clip_by_norm_per_tensor, scale_by_keras_adam, scale_by_keras_adamax,
    scale_by_keras_nadam)
from jkeras.core._keras_rules_more import (  # noqa: F401  (re-exported)
    AdafactorState, FtrlState, LambState, LionState, ScheduleFreeAdamWState, adafactor,
    check_ftrl_arguments, decay_weights_first, ftrl, lamb, lion, schedule_free_adamw)

_INJECT_STATES = (optax.InjectStatefulHyperparamsState, optax.InjectHyperparamsState)
_LEARNING_RATE = "learning_rate"


def _is_python_zero(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _check_unit_interval(name, value):
    """Validates a Python-number hyperparameter in [0, 1] (traced values pass through)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not 0 <= value <= 1:
        raise ValueError(f"`{name}` must be a float in [0, 1]. Received: {name}={value}")


# ----------------------------------------------------------------------------- states


class IterationsState(NamedTuple):
    """A step count (Keras's `iterations`) and the wrapped transformation's state."""

    iterations: jax.Array
    inner_state: Any


# ----------------------------------------------------------------------------- update rules


def sgd(learning_rate, momentum=0.0, nesterov=False):
    """Keras's SGD: `velocity = momentum * velocity - lr * g`, `w += velocity`.

    With `nesterov=True`: `w += momentum * velocity - lr * g`.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        momentum: Float in [0, 1]; `0` keeps no momentum state.
        nesterov: Whether to use Nesterov momentum.

    Returns:
        An `optax.GradientTransformation`.

    Raises:
        ValueError: If `momentum` is outside [0, 1].
    """
    _check_unit_interval("momentum", momentum)
    step = optax.scale_by_learning_rate(learning_rate)
    if _is_python_zero(momentum):
        return step
    return optax.chain(step, optax.trace(decay=momentum, nesterov=bool(nesterov)))


def rmsprop(learning_rate, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    """Keras's RMSprop: `w -= lr * g / sqrt(v + epsilon)` (centered: `v - mean(g)**2`).

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        rho: Discount factor of the squared-gradient average.
        momentum: Float; if not `0`, `m = momentum * m + lr * g / sqrt(...)`, `w -= m`.
        epsilon: Added inside the square root.
        centered: Whether to subtract the squared mean gradient.

    Returns:
        An `optax.GradientTransformation`.
    """
    scale_by = optax.scale_by_stddev if centered else optax.scale_by_rms
    parts = [scale_by(decay=rho, eps=epsilon, initial_scale=0.0),
             optax.scale_by_learning_rate(learning_rate)]
    if not _is_python_zero(momentum):
        parts.append(optax.trace(decay=momentum))
    return optax.chain(*parts)


def adagrad(learning_rate, initial_accumulator_value=0.1, epsilon=1e-7):
    """Keras's Adagrad: `acc += g**2`, `w -= lr * g / sqrt(acc + epsilon)`.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        initial_accumulator_value: Non-negative starting value of the accumulators.
        epsilon: Added inside the square root.

    Returns:
        An `optax.GradientTransformation`.

    Raises:
        ValueError: If `initial_accumulator_value` is negative.
    """
    if isinstance(initial_accumulator_value, (int, float)) and initial_accumulator_value < 0:
        raise ValueError(
            "`initial_accumulator_value` must be non-negative. Received: "
            f"initial_accumulator_value={initial_accumulator_value}"
        )
    return optax.chain(
        optax.scale_by_rss(initial_accumulator_value=initial_accumulator_value, eps=epsilon),
        optax.scale_by_learning_rate(learning_rate),
    )


def adadelta(learning_rate, rho=0.95, epsilon=1e-7):
    """Keras's Adadelta: `w -= lr * sqrt(E[dx**2] + eps) / sqrt(E[g**2] + eps) * g`.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        rho: Decay rate of both running averages.
        epsilon: Added inside both square roots.

    Returns:
        An `optax.GradientTransformation`.
    """
    return optax.chain(
        optax.scale_by_adadelta(rho=rho, eps=epsilon), optax.scale_by_learning_rate(learning_rate)
    )


def adam(learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    """Keras's Adam: `w -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + epsilon)`.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the second moment.
        epsilon: Added to `sqrt(v)`, outside the bias correction.
        amsgrad: Whether to use the running maximum of `v` (AMSGrad).

    Returns:
        An `optax.GradientTransformation`.
    """
    return optax.chain(
        scale_by_keras_adam(beta_1, beta_2, epsilon, bool(amsgrad)),
        optax.scale_by_learning_rate(learning_rate),
    )


def adamax(learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras's Adamax: `w -= lr * m / ((1 - b1**t) * (u + epsilon))`, `u = max(b2 * u, |g|)`.

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the infinity norm.
        epsilon: Added to the infinity norm.

    Returns:
        An `optax.GradientTransformation`.
    """
    return optax.chain(
        scale_by_keras_adamax(beta_1, beta_2, epsilon), optax.scale_by_learning_rate(learning_rate)
    )


def nadam(learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras 3's Nadam (Adam with Nesterov momentum and a momentum-cache schedule).

    Args:
        learning_rate: A float, scalar array or schedule `step -> lr`.
        beta_1: Decay rate of the first moment.
        beta_2: Decay rate of the second moment.
        epsilon: Added to the square root of the corrected second moment.

    Returns:
        An `optax.GradientTransformation`.
    """
    return optax.chain(
        scale_by_keras_nadam(beta_1, beta_2, epsilon), optax.scale_by_learning_rate(learning_rate)
    )


RULES = {
    "sgd": sgd,
    "rmsprop": rmsprop,
    "adagrad": adagrad,
    "adadelta": adadelta,
    "adam": adam,
    "adamw": adam,
    "adamax": adamax,
    "nadam": nadam,
    "adafactor": adafactor,
    "ftrl": ftrl,
    "lamb": lamb,
    "lion": lion,
    "schedulefreeadamw": schedule_free_adamw,
}


# ----------------------------------------------------------------------------- keras_optimizer


def _with_keras_decay(rule_with_lr, learning_rate, decay):
    """Runs `rule_with_lr(lr_t)` with Keras 2's `lr_t = lr / (1 + decay * iterations)`."""

    def init(params):
        inner = rule_with_lr(learning_rate).init(params)
        return IterationsState(jnp.zeros([], jnp.int32), inner)

    def update(updates, state, params=None):
        lr_t = learning_rate / (1.0 + decay * state.iterations.astype(jnp.float32))
        lr_t = lr_t.astype(jnp.result_type(learning_rate))
        updates, inner = rule_with_lr(lr_t).update(updates, state.inner_state, params)
        return updates, IterationsState(optax.safe_increment(state.iterations), inner)

    return optax.GradientTransformation(init, update)


def _check_non_negative(name, value):
    if value is None:
        return
    if isinstance(value, bool) or not hasattr(value, "__float__") or float(value) < 0:
        raise ValueError(
            f"`{name}` must be a non-negative float or None. Received: {name}={value!r}"
        )


def keras_optimizer(rule, learning_rate=0.001, *, weight_decay=None, clipnorm=None,
                    clipvalue=None, global_clipnorm=None, decay=0.0, **rule_kwargs):
    """Builds a Keras optimizer as one optax transformation, in Keras 3's order.

    1. gradient clipping: `clipnorm` (each tensor to its own L2 norm), `clipvalue`
       (elementwise) or `global_clipnorm` (`optax.clip_by_global_norm`);
    2. the learning rate `lr_t = lr / (1 + decay * iterations)` (Keras 2's `decay`), where
       `lr` is the float or `schedule(iterations)`;
    3. the update rule with `lr_t`, plus decoupled weight decay `w -= w * weight_decay * lr_t`
       computed from the weights before the step (for a rule with `reads_weights = True`,
       such as Lamb, Ftrl or Adafactor, the rule sees the decayed weights, as in Keras).

    The learning rate lives in the state (`optax.inject_hyperparams`): read and change it
    with `get_learning_rate` / `set_learning_rate`, without recompiling a jitted step.

    Args:
        rule: A name in `RULES` (`"sgd"`, `"adam"`, ...) or a factory
            `rule(learning_rate, **rule_kwargs) -> optax.GradientTransformation`.
        learning_rate: A float or a schedule `step -> lr`.
        weight_decay: Float or None; decoupled weight decay.
        clipnorm: Float or None; per-tensor norm clipping.
        clipvalue: Float or None; elementwise clipping to `[-clipvalue, clipvalue]`.
        global_clipnorm: Float or None; clipping by the global norm of all gradients.
        decay: Float >= 0; Keras 2's inverse-time learning-rate decay per step.
        **rule_kwargs: Hyperparameters of the rule (`momentum`, `beta_1`, ...).

    Returns:
        An `optax.GradientTransformationExtraArgs`; its update needs `params` when
        `weight_decay` is set.

    Raises:
        ValueError: On an unknown rule name, more than one clipping argument or a
            negative / non-numeric clipping, decay or weight-decay value.
        TypeError: If `learning_rate` is neither a number nor a callable.
    """
    if isinstance(rule, str):
        if rule.lower() not in RULES:
            raise ValueError(
                f"Unknown optimizer rule: rule={rule!r}. Valid names: {sorted(RULES)}"
            )
        rule = RULES[rule.lower()]
    for name, value in (("weight_decay", weight_decay), ("clipnorm", clipnorm),
                        ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm)):
        _check_non_negative(name, value)
    _check_non_negative("decay", decay)
    if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
            f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
        )
    if not callable(learning_rate):
        if isinstance(learning_rate, bool) or not hasattr(learning_rate, "__float__"):
            raise TypeError(
                "`learning_rate` must be a float or a schedule (a callable step -> learning "
                f"rate). Received: learning_rate={learning_rate!r}"
            )
        learning_rate = float(learning_rate)

    if clipnorm:
        clip = [clip_by_norm_per_tensor(clipnorm)]
    elif global_clipnorm:
        clip = [optax.clip_by_global_norm(global_clipnorm)]
    elif clipvalue:
        clip = [optax.clip(clipvalue)]
    else:
        clip = []

    def rule_with_lr(lr):
        step = rule(lr, **rule_kwargs)
        if weight_decay and getattr(rule, "reads_weights", False):
            step = decay_weights_first(step, weight_decay * lr)
        elif weight_decay:
            step = optax.chain(step, optax.add_decayed_weights(-weight_decay * lr))
        return step

    def with_learning_rate(learning_rate):
        body = (_with_keras_decay(rule_with_lr, learning_rate, decay) if decay
                else rule_with_lr(learning_rate))
        return optax.chain(*clip, body) if clip else body

    return optax.inject_hyperparams(with_learning_rate)(learning_rate=learning_rate)


# ----------------------------------------------------------------------------- state helpers


def _flatten_to_inject(opt_state):
    return jax.tree_util.tree_flatten(opt_state, is_leaf=lambda x: isinstance(x, _INJECT_STATES))


def _find_learning_rate(leaves):
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, _INJECT_STATES) and _LEARNING_RATE in leaf.hyperparams:
            return i
    raise ValueError(
        "No `learning_rate` hyperparameter in the optimizer state. Build the optax "
        "transformation with `optax.inject_hyperparams(...)(learning_rate=...)` to read or "
        "set its learning rate."
    )


def get_learning_rate(opt_state):
    """Returns the learning rate stored in an optimizer state.

    Searches (possibly nested) states for the first `optax.inject_hyperparams` state with a
    `learning_rate` hyperparameter. For a scheduled learning rate this is the value used by
    the last update (the initial value before any update).

    Args:
        opt_state: An optax state pytree.

    Returns:
        A scalar array (float32, or the params' float dtype).

    Raises:
        ValueError: If no injected `learning_rate` is found.
    """
    leaves, _ = _flatten_to_inject(opt_state)
    return leaves[_find_learning_rate(leaves)].hyperparams[_LEARNING_RATE]


def set_learning_rate(opt_state, value):
    """Returns a copy of `opt_state` whose learning rate is `value`.

    The new value keeps the dtype, shape and sharding of the old one, so a jitted step that
    takes the state does not recompile.

    Args:
        opt_state: An optax state pytree holding an injected `learning_rate`.
        value: The new learning rate (float or scalar array).

    Returns:
        The new optimizer state.

    Raises:
        ValueError: If no injected `learning_rate` is found.
        TypeError: If the learning rate is a schedule (setting it would have no effect).
    """
    leaves, treedef = _flatten_to_inject(opt_state)
    index = _find_learning_rate(leaves)
    inject_state = leaves[index]
    if _LEARNING_RATE in getattr(inject_state, "hyperparams_states", {}):
        raise TypeError(
            "The learning rate of this optimizer is a schedule, hence it is not settable. "
            f"Received: value={value!r}"
        )
    old = inject_state.hyperparams[_LEARNING_RATE]
    new = jnp.asarray(value, dtype=jnp.result_type(old)).reshape(jnp.shape(old))
    # Keep the placement: a committed (e.g. mesh-replicated) value stays committed to the
    # same sharding, an uncommitted one stays uncommitted; either change would recompile.
    if getattr(old, "_committed", False) and not isinstance(new, jax.core.Tracer):
        new = jax.device_put(new, old.sharding)
    leaves[index] = inject_state._replace(
        hyperparams={**inject_state.hyperparams, _LEARNING_RATE: new}
    )
    return jax.tree_util.tree_unflatten(treedef, leaves)


def count_iterations(transform):
    """Wraps `transform` so that its state counts the updates (Keras's `iterations`).

    Args:
        transform: An `optax.GradientTransformation`.

    Returns:
        An `optax.GradientTransformationExtraArgs` with state `IterationsState`.
    """
    transform = optax.with_extra_args_support(transform)

    def init(params):
        return IterationsState(jnp.zeros([], jnp.int32), transform.init(params))

    def update(updates, state, params=None, **extra_args):
        updates, inner = transform.update(updates, state.inner_state, params, **extra_args)
        return updates, IterationsState(optax.safe_increment(state.iterations), inner)

    return optax.GradientTransformationExtraArgs(init, update)


def get_iterations(opt_state):
    """Returns the number of updates an optimizer state has taken.

    Reads the outermost `IterationsState`, else the step count of the first
    `optax.inject_hyperparams` state, else the first `count` field of a NamedTuple state
    (`optax.adam`'s, ...), else 0.

    Args:
        opt_state: An optax state pytree.

    Returns:
        An int32 scalar array.
    """

    def is_counter(x):
        return isinstance(x, (IterationsState, *_INJECT_STATES)) or (
            isinstance(x, tuple) and "count" in getattr(x, "_fields", ()))

    counters = [x for x in jax.tree_util.tree_leaves(opt_state, is_leaf=is_counter)
                if is_counter(x)]
    for kind in (IterationsState, _INJECT_STATES, tuple):
        for counter in counters:
            if isinstance(counter, kind):
                return counter.iterations if kind is IterationsState else counter.count
    return jnp.zeros([], jnp.int32)


# --------------------------------------------------------------------------------------------
# Dynamic loss scaling (mixed_float16)


class LossScaleState(NamedTuple):
    """State of `dynamic_loss_scale`: the current scale, good steps since it last changed, and
    the wrapped transformation's state."""

    loss_scale: Any
    growth_count: Any
    inner_state: Any


def dynamic_loss_scale(transform, initial_scale=2.0 ** 15, growth_steps=2000):
    """Wraps `transform` for gradients of a loss multiplied by a dynamic scale (Keras 3's
    `LossScaleOptimizer`).

    The train step multiplies the loss by `loss_scale_of(state)`; this transformation divides
    the gradients by it. When every gradient is finite, `transform` runs and after
    `growth_steps` such steps in a row the scale doubles; otherwise the step is skipped (zero
    updates, inner state unchanged) and the scale halves.

    Args:
        transform: An `optax.GradientTransformation`.
        initial_scale: Float > 0, the first scale.
        growth_steps: Int >= 1, finite steps before the scale doubles.

    Returns:
        An `optax.GradientTransformationExtraArgs` with state `LossScaleState`.

    Raises:
        ValueError: for a non-positive `initial_scale` or `growth_steps`.
    """
    if not initial_scale > 0:
        raise ValueError(f"`initial_scale` must be > 0. Received: initial_scale={initial_scale!r}")
    if isinstance(growth_steps, bool) or not isinstance(growth_steps, int) or growth_steps < 1:
        raise ValueError(f"`dynamic_growth_steps` must be an int >= 1. Received: {growth_steps!r}")
    transform = optax.with_extra_args_support(transform)

    def init(params):
        return LossScaleState(jnp.asarray(initial_scale, jnp.float32), jnp.zeros([], jnp.int32),
                              transform.init(params))

    def update(grads, state, params=None, **extra_args):
        scale = state.loss_scale
        grads = jax.tree_util.tree_map(lambda g: g / scale.astype(g.dtype), grads)
        finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads)]))
        safe = jax.tree_util.tree_map(lambda g: jnp.where(finite, g, jnp.zeros_like(g)), grads)
        updates, inner = transform.update(safe, state.inner_state, params, **extra_args)
        keep = lambda new, old: jnp.where(finite, new, old)  # noqa: E731
        updates = jax.tree_util.tree_map(lambda u: jnp.where(finite, u, jnp.zeros_like(u)), updates)
        inner = jax.tree_util.tree_map(keep, inner, state.inner_state)
        grown = state.growth_count + 1 >= growth_steps
        new_scale = jnp.where(finite, jnp.where(grown, scale * 2.0, scale), scale / 2.0)
        count = jnp.where(finite & ~grown, state.growth_count + 1, 0).astype(jnp.int32)
        return updates, LossScaleState(new_scale.astype(jnp.float32), count, inner)

    return optax.GradientTransformationExtraArgs(init, update)


def loss_scale_of(opt_state):
    """The current loss scale of the first `LossScaleState` in `opt_state`, or None if none."""
    is_scale = lambda x: isinstance(x, LossScaleState)  # noqa: E731
    for node in jax.tree_util.tree_leaves(opt_state, is_leaf=is_scale):
        if is_scale(node):
            return node.loss_scale
    return None

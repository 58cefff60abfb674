"""Keras 3's stateful optimizer step: `optimizer.apply(grads, variables)` and `apply_gradients`
update a list of weights in place, with the optax state of that list.

The optimizer remembers the variables it was built for (`optimizer._trainable_variables`, keyed
by identity as Keras keys them); a call may pass any of them, in any order. A weight without a
gradient (None) keeps its value and its own optimizer state, as Keras skips it.
"""
import functools
import warnings

import jax
import jax.numpy as jnp
import optax


def as_array(value):
    """The array a `Variable` handle holds; any other value as it is."""
    from jkeras.models.variable import as_array as value_of

    return value_of(value)


def arrays(values):
    """A list of weights, handles or arrays as a list of arrays."""
    return [jnp.asarray(as_array(v)) for v in values]


def holds_variables(values):
    """Whether `values` is a list / tuple of assignable weights (`Variable` handles).

    Raises:
        ValueError: for a list mixing variables and other values.
    """
    from jkeras.models.variable import _ArrayLike

    if not isinstance(values, (list, tuple)) or not values:
        return False
    kinds = [isinstance(v, _ArrayLike) for v in values]
    if any(kinds) and not all(kinds):
        bad = kinds.index(False)
        raise ValueError("Optimizer: `trainable_variables` must be all variables or all arrays; "
                         f"item {bad} is {values[bad]!r}")
    return all(kinds)


def check_state(optimizer, variables):
    """Raises unless `optimizer.state` is the optimizer state of weights shaped as `variables`."""
    expected = jax.eval_shape(optimizer.transform.init, arrays(variables))
    got = jax.tree_util.tree_leaves(optimizer.state)
    want = jax.tree_util.tree_leaves(expected)
    same = (jax.tree_util.tree_structure(optimizer.state) == jax.tree_util.tree_structure(expected)
            and [jnp.shape(a) for a in got] == [tuple(a.shape) for a in want])
    if not same:
        raise ValueError(
            f"Optimizer '{optimizer.name}' holds a state built for other weights than these "
            f"{len(variables)} variables (shapes {[tuple(v.shape) for v in variables]}), by "
            "`build` or by `fit`; create a new optimizer for them.")
    optimizer._checked_state = optimizer.state


def apply_to_variables(optimizer, grads, variables):
    """One update of `variables` (a list, or None for those `optimizer` was built with).

    Raises:
        ValueError: see `Optimizer.apply`.
    """
    name = optimizer.name
    grads = list(grads)
    if not grads:
        return  # Keras: no gradients, no update
    if variables is None:
        if optimizer._trainable_variables is None:
            raise ValueError(
                f"Optimizer '{name}': when passing `grads` without variables, the optimizer must "
                "already be built on a list of variables. Call "
                "`optimizer.build(trainable_variables)` first.")
        variables = optimizer._trainable_variables
    else:
        variables = list(variables)
        if optimizer._trainable_variables is None:
            if optimizer.state is None:
                optimizer.build(variables)
            else:  # a state made for arrays (`build(arrays)`): adopt these variables
                check_state(optimizer, variables)
                optimizer._trainable_variables = variables
    if len(grads) != len(variables):
        raise ValueError(f"Optimizer '{name}': got {len(grads)} gradients for {len(variables)} "
                         "variables; they must match one to one.")
    known = optimizer._trainable_variables
    index = {id(v): i for i, v in enumerate(known)}
    full = [None] * len(known)
    for grad, variable in zip(grads, variables):
        if id(variable) not in index:
            raise ValueError(
                f"Optimizer '{name}': unknown variable {variable!r}. This optimizer can only "
                "update the variables it was built with; create a new optimizer for other variables.")
        full[index[id(variable)]] = grad
    missing = [v.path for g, v in zip(grads, variables) if g is None]
    if len(missing) == len(grads):
        raise ValueError(f"Optimizer '{name}': no gradients provided for any variable "
                         "(all gradients are None).")
    if missing:
        warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss.",
                      stacklevel=3)
    if optimizer.state is not optimizer._checked_state:  # set by `fit` or by hand since
        check_state(optimizer, known)
    params = arrays(known)
    present = tuple(g is not None for g in full)
    full = [jnp.zeros_like(p) if g is None else jnp.asarray(as_array(g), p.dtype)
            for g, p in zip(full, params)]
    new_params, optimizer.state = _masked_update(optimizer.transform, present, full,
                                                 optimizer.state, params)
    optimizer._checked_state = optimizer.state
    for variable, value, updated in zip(known, new_params, present):
        if updated:
            variable.assign(value)
            constraint = _constraint_of(variable)
            if constraint is not None:  # Keras: `variable.constraint` after the update
                variable.assign(constraint(variable.value))


def _constraint_of(variable):
    """The constraint of a layer weight (`kernel_constraint`, `add_weight(constraint=)`), or None."""
    layer = getattr(variable, "_layer", None)
    if layer is None or not hasattr(layer, "_weight_constraints"):
        return None
    return layer._weight_constraints().get(variable.name)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _masked_update(transform, present, grads, state, params):
    """One update of the list `params`; weights where `present` is False (a None gradient, given
    here as zeros) keep their values and their per-weight optimizer state, as Keras skips them."""
    updates, new_state = transform.update(grads, state, params)
    new_params = optax.apply_updates(params, updates)
    if all(present):
        return new_params, new_state
    new_params = [n if keep else p for n, p, keep in zip(new_params, params, present)]
    per_weight = jax.tree_util.tree_structure(params)

    def is_per_weight(node):
        return jax.tree_util.tree_structure(node) == per_weight

    def select(old, new):
        if is_per_weight(old):
            return [n if keep else o for o, n, keep in zip(old, new, present)]
        return new

    return new_params, jax.tree_util.tree_map(select, state, new_state, is_leaf=is_per_weight)

"""The shell side of optimizer EMA (`use_ema=True`): reading and writing the moving averages
kept in the optimizer state (`jkeras.core.ema`) against a model's weights.

The averages are a pytree like the weights the state was built for: a list (`build(var_list)`,
`apply` on variables, a Keras 3-style custom step) or the model's params tree with None holes for
frozen weights (`fit`). `weight_pairs` lines each average up with the model weight it averages.
"""
import weakref

import jax

from jkeras.core import ema as core_ema


def averages_of(optimizer):
    """The averages pytree in `optimizer.state`, or None (no state, or no EMA)."""
    if optimizer.state is None:
        return None
    found = core_ema.find_ema_state(optimizer.state)
    return None if found is None else found.averages


def _is_none(x):
    return x is None


def average_leaves(optimizer):
    """The averages as a flat list of arrays (frozen weights' holes left out)."""
    return jax.tree_util.tree_leaves(averages_of(optimizer))


def set_average_leaves(optimizer, leaves):
    """Replaces the averages by `leaves` (a list like `average_leaves`)."""
    averages = averages_of(optimizer)
    treedef = jax.tree_util.tree_structure(averages)
    optimizer.state = core_ema.replace_averages(optimizer.state, treedef.unflatten(list(leaves)))


def _handle_tree(layer):
    """A tree like `layer.get_variables()["params"]` whose leaves are the weights' handles."""
    params = {k: layer._variable("params", k) for k in layer._params}
    for sub in layer._sublayers:
        sub_params = _handle_tree(sub)
        if sub_params:
            params[sub.name] = sub_params
    return params


def _key(variable):
    return (id(getattr(variable, "_layer", variable)), getattr(variable, "name", None))


def bind(optimizer, model):
    """Records `model` as the owner of the weights `fit` builds `optimizer`'s state for (`compile`)."""
    optimizer._ema_model = weakref.ref(model)


def weight_pairs(optimizer):
    """`[(leaf_index, weight_handle)]`: each average's index in `average_leaves` and the weight it
    averages, in the weights' Keras order (`model.trainable_variables`, or the built list).

    The weight is None where no weights are known (a state built on arrays); the pairs are then
    in the averages' own order.

    Raises:
        ValueError: when the averages do not fit the bound model's weights.
    """
    from jkeras.models.variable import _ArrayLike

    averages = averages_of(optimizer)
    if isinstance(averages, (list, tuple)):
        handles = optimizer._trainable_variables
        model = _bound(optimizer)
        if handles is None and model is not None:
            handles = model.trainable_variables
        if handles is None:
            return [(i, None) for i in range(len(averages))]
        return list(enumerate(handles))
    model = _bound(optimizer)
    if model is None:  # a pytree of arrays (`apply(grads, params)`): the averages in its leaf order
        return [(i, None) for i in range(len(jax.tree_util.tree_leaves(averages)))]
    avg_leaves, avg_def = jax.tree_util.tree_flatten(averages, is_leaf=_is_none)
    is_handle = lambda x: isinstance(x, _ArrayLike)  # noqa: E731
    handles, handle_def = jax.tree_util.tree_flatten(_handle_tree(model), is_leaf=is_handle)
    if avg_def != handle_def:
        raise ValueError(f"Optimizer '{optimizer.name}': its moving averages were built for other "
                         f"weights than model '{model.name}' has; create a new optimizer.")
    index, by_key = 0, {}
    for avg, handle in zip(avg_leaves, handles):
        if avg is not None:
            by_key[_key(handle)] = (index, handle)
            index += 1
    ordered = [by_key.pop(_key(v)) for v in model.trainable_variables if _key(v) in by_key]
    return ordered + list(by_key.values())


def _bound(optimizer):
    ref = getattr(optimizer, "_ema_model", None)
    return None if ref is None else ref()


class AverageArrays:
    """The owner `StateVariable`s read the averages through (`optimizer._model_variables_moving_average`)."""

    def __init__(self, optimizer):
        self._optimizer = optimizer
        self.name = optimizer.name

    def _state_arrays(self):
        return average_leaves(self._optimizer)

    def _set_state_array(self, index, value):
        leaves = average_leaves(self._optimizer)
        leaves[index] = value
        set_average_leaves(self._optimizer, leaves)


def average_variables(optimizer):
    """The averages as assignable handles, in the weights' Keras order."""
    from jkeras.models.variable import StateVariable

    owner = AverageArrays(optimizer)
    out = []
    for index, handle in weight_pairs(optimizer):
        name = f"{handle.name}_average" if handle is not None else f"average_{index}"
        out.append(StateVariable(owner, index, name))
    return out


def write_averages(optimizer, var_list):
    """Keras's `_overwrite_model_variables_with_average_value`: each weight of `var_list` takes
    its average.

    Raises:
        ValueError: if `var_list` has another length than the averages, or holds a weight the
            averages were not built for.
    """
    pairs = weight_pairs(optimizer)
    var_list = list(var_list)
    if len(var_list) != len(pairs):
        raise ValueError(
            f"The length of model variables ({len(var_list)}) to override does not match the length "
            f"of model variables stored in the optimizer ({len(pairs)}). Please check if the "
            "optimizer was called on your model.")
    leaves = average_leaves(optimizer)
    if any(handle is None for _, handle in pairs):  # built on arrays: the order is the list's
        for variable, (index, _) in zip(var_list, pairs):
            variable.assign(leaves[index])
        return
    by_key = {_key(handle): index for index, handle in pairs}
    for variable in var_list:
        if _key(variable) not in by_key:
            raise ValueError(f"Optimizer '{optimizer.name}': no moving average for the variable "
                             f"{variable!r}; the averages were built for other weights.")
        variable.assign(leaves[by_key[_key(variable)]])


def swap(optimizer):
    """Swaps each weight with its average (SwapEMAWeights)."""
    leaves = average_leaves(optimizer)
    for index, handle in weight_pairs(optimizer):
        current = handle.value
        handle.assign(leaves[index])
        leaves[index] = current
    set_average_leaves(optimizer, leaves)


def copy_weights_to_averages(optimizer):
    """Each average takes its weight's value (SwapEMAWeights' `_finalize_ema_values`)."""
    leaves = average_leaves(optimizer)
    for index, handle in weight_pairs(optimizer):
        leaves[index] = handle.value
    set_average_leaves(optimizer, leaves)


def finalize_after_fit(model, epochs):
    """What Keras 3's `fit` does last: `optimizer.finalize_variable_values(model.trainable_weights)`
    (for `epochs > 0`), the weights taking their averages when the optimizer uses EMA."""
    optimizer = getattr(model, "optimizer", None)
    if epochs <= 0 or optimizer is None or averages_of(optimizer) is None:
        return
    bind(optimizer, model)
    optimizer.finalize_variable_values(model.trainable_weights)

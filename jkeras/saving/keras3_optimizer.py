"""Keras 3's optimizer variables, read from and written into jkeras's optax optimizer state.

Keras 3 saves an optimizer as the flat list `optimizer.variables` (`optimizer/vars/0`, `/1`, ...
of `model.weights.h5`), in the order it creates them:

    iterations                      int scalar
    learning_rate                   float scalar, absent when it is a schedule
    the averages (use_ema)          one per trainable weight, in `model.trainable_weights` order
    the slots of each weight        per group of slots, for each trainable weight (in
                                    `model.trainable_weights` order) each slot of the group:
                                    Adam  momentum/w0, velocity/w0, momentum/w1, velocity/w1, ...,
                                          then (amsgrad) velocity_hat/w0, velocity_hat/w1, ...
    extra scalars                   Nadam's u_product (last)

jkeras holds the same numbers in an optax state: counters (`count`, `iterations`, all equal to
Keras's `iterations`), the injected `hyperparams["learning_rate"]`, one subtree shaped like the
trainable params per slot (`mu`, `nu`, `trace`, ...) and scalars such as `u_product`. `_LAYOUTS`
names, per Keras class, the jkeras field of each Keras slot; RMSprop's momentum is stored with
the opposite sign (jkeras accumulates the negated, learning-rate-scaled step).

A state this table does not describe exactly (an optax `GradientTransformation`, a loss-scale
optimizer, counters that disagree, unknown leaves) has no Keras layout: `keras_variables`
returns None, and the caller keeps jkeras's own leaves instead (`legacy_h5.write_optimizer_group`).
"""
import warnings

import jax
import numpy as np

from jkeras.saving import variables
from jkeras.saving.variables import _key_str

# Keras optimizer class -> groups of (Keras slot name, jkeras state field, sign). The slots of
# a group are interleaved per weight; groups follow one another (Keras's `build` order). A
# group whose fields the state lacks (SGD without momentum, Adam without amsgrad) is absent.
_MOMENTS = [[("momentum", "mu", 1), ("velocity", "nu", 1)]]
_LAYOUTS = {
    "SGD": [[("momentum", "trace", 1)]],
    "RMSprop": [[("velocity", "nu", 1)], [("momentum", "trace", -1)], [("average_gradient", "mu", 1)]],
    "Adagrad": [[("accumulator", "sum_of_squares", 1)]],
    "Adadelta": [[("accumulated_grad", "e_g", 1), ("accumulated_delta_var", "e_x", 1)]],
    "Adam": _MOMENTS + [[("velocity_hat", "nu_max", 1)]],
    "AdamW": _MOMENTS + [[("velocity_hat", "nu_max", 1)]],
    "Adamax": [[("momentum", "mu", 1), ("norm", "norm", 1)]],
    "Nadam": _MOMENTS,
    "Lion": [[("momentum", "mu", 1)]],
    "Ftrl": [[("accumulator", "accumulator", 1), ("linear", "linear", 1)]],
    "Lamb": _MOMENTS,
    "Adafactor": [[("r", "r", 1), ("c", "c", 1), ("velocity", "v", 1)]],
}
# Scalars Keras keeps after the slots, by jkeras field name.
_TRAILING = {"Nadam": ("u_product",)}
_COUNTERS = ("count", "iterations")
_AVERAGES = "averages"  # jkeras.core.ema.EMAState's field


class _Slot:
    """One Keras optimizer variable: the jkeras state leaves holding it, and the sign between them."""

    def __init__(self, name, leaves, sign=1, shape=(), weight=None):
        self.name, self.leaves, self.sign, self.shape = name, leaves, sign, tuple(shape)
        self.weight = weight  # position in `model.trainable_weights` of a per-weight slot


def _keras_class(optimizer):
    for cls in type(optimizer).__mro__:
        if cls.__name__ in _LAYOUTS and cls.__module__.startswith("jkeras."):
            return cls.__name__
    return None


def _trainable(model):
    """The trainable params tree the optimizer state was made for (None holes for frozen weights)."""
    from jkeras.core import step as core_step

    params = model.get_variables()["params"]
    trainable, _ = core_step.partition(params, model.trainable_mask(params))
    return trainable


def _weight_order(model, trainable):
    """Positions, in the flattened trainable tree, of `model.trainable_weights` (Keras's order);
    None when they do not correspond one to one."""
    flat, _ = jax.tree_util.tree_flatten_with_path(trainable)
    position = {tuple(_key_str(k) for k in path): i for i, (path, _) in enumerate(flat)}
    paths = {id(var): path[1:] for path, var in variables.weight_entries(model)}
    order = [position.get(paths.get(id(var))) for var in model.trainable_weights]
    if None in order or sorted(order) != list(range(len(flat))):
        return None
    return order


def _layout(model, state):
    """`[_Slot]` in Keras's order for the optax `state` of `model.optimizer`, or None."""
    optimizer = model.optimizer
    name = _keras_class(optimizer)
    if name is None or state is None:
        return None
    trainable = _trainable(model)
    order = _weight_order(model, trainable)
    if order is None:
        return None
    per_weight = jax.tree_util.tree_structure(trainable)

    def is_per_weight(node):
        return jax.tree_util.tree_structure(node) == per_weight

    counters, learning_rate, scalars, fields = [], None, {}, {}
    for path, node in jax.tree_util.tree_flatten_with_path(state, is_leaf=is_per_weight)[0]:
        key = tuple(_key_str(k) for k in path)
        if is_per_weight(node):
            if key[-1] in fields:
                return None
            leaves = jax.tree_util.tree_flatten_with_path(node)[0]
            fields[key[-1]] = [(key + tuple(_key_str(k) for k in p), np.shape(leaf)) for p, leaf in leaves]
        elif np.ndim(node) != 0:
            return None
        elif key[-1] in _COUNTERS:
            counters.append(key)
        elif key[-2:] == ("hyperparams", "learning_rate") and learning_rate is None:
            learning_rate = key
        elif key[-1] in _TRAILING.get(name, ()) and key[-1] not in scalars:
            scalars[key[-1]] = key
        else:
            return None
    known = {field for group in _LAYOUTS[name] for _, field, _ in group}
    if getattr(optimizer, "use_ema", False):
        known.add(_AVERAGES)
    if not counters or learning_rate is None or set(fields) - known or set(scalars) != set(_TRAILING.get(name, ())):
        return None
    slots = [_Slot("iteration", counters)]
    if isinstance(getattr(optimizer, "_learning_rate", None), float):
        slots.append(_Slot("learning_rate", [learning_rate]))
    if _AVERAGES in fields:  # use_ema: Keras's `_model_variables_moving_average`, built first
        slots += [_Slot("average", [fields[_AVERAGES][i][0]], 1, fields[_AVERAGES][i][1], weight=k)
                  for k, i in enumerate(order)]
    for group in _LAYOUTS[name]:
        present = [(slot, field, sign) for slot, field, sign in group if field in fields]
        if not present:
            continue
        if len(present) != len(group):
            return None
        for k, index in enumerate(order):
            for slot, field, sign in present:
                leaf, shape = fields[field][index]
                slots.append(_Slot(slot, [leaf], sign, shape, weight=k))
    slots += [_Slot(field, [scalars[field]]) for field in _TRAILING.get(name, ())]
    return slots


def _base_count(slots):
    """How many of the slots are Keras's optimizer-wide variables (iterations, learning rate)."""
    return sum(slot.name in ("iteration", "learning_rate") for slot in slots)


def _state_leaves(state):
    leaves = jax.tree_util.tree_flatten_with_path(state)[0]
    return {tuple(_key_str(k) for k in path): leaf for path, leaf in leaves}


def keras_variables(model):
    """The optimizer state of `model` as Keras 3's `optimizer.variables` values (NumPy arrays, in
    Keras's order), or None when the model has no optimizer or its state has no Keras layout.

    A compiled model that has not trained yet gives the values of a fresh state (iterations 0),
    as Keras 3 builds its optimizer when it compiles a built model.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "built", False) or not hasattr(optimizer, "transform"):
        return None
    state = optimizer.state
    if state is None:
        state = optimizer.transform.init(_trainable(model))
    slots = _layout(model, state)
    if slots is None:
        return None
    leaves = _state_leaves(state)
    counts = {int(np.asarray(leaves[key])) for key in slots[0].leaves}
    if len(counts) != 1:  # counters that disagree (e.g. skipped loss-scaled steps)
        return None
    return [_signed(np.asarray(jax.device_get(leaves[slot.leaves[0]])), slot.sign) for slot in slots]


def keras_variable_paths(model):
    """The paths Keras 3 gives the variables `keras_variables(model)` lists (same order):
    "<optimizer>/iteration", "<optimizer>/learning_rate", "<optimizer>/<weight path with _>_<slot>"
    (e.g. "adam/dense_kernel_momentum"); None when the state has no Keras layout."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "built", False) or not hasattr(optimizer, "transform"):
        return None
    state = optimizer.state if optimizer.state is not None else optimizer.transform.init(_trainable(model))
    slots = _layout(model, state)
    if slots is None:
        return None
    weights = model.trainable_weights
    names = [slot.name if slot.weight is None else f"{weights[slot.weight].path.replace('/', '_')}_{slot.name}"
             for slot in slots]
    return [f"{optimizer.name}/{name}" for name in names]


def _signed(value, sign):
    return -value if sign < 0 else value


def restore(model, values, source="the file"):
    """Sets `model.optimizer.state` from Keras 3's `optimizer.variables` values.

    Args:
        model: a compiled model.
        values: the arrays `optimizer/vars/0`, `/1`, ... in order.
        source: how to name the file in the warning.

    Returns:
        True when restored; False (with a warning, as Keras 3 skips such a state) when the values do
        not fit the model's optimizer (another optimizer class, other weights). Values of a Keras
        optimizer saved before it was built (iterations and learning rate only) set those two and
        leave the slots fresh.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "transform") or not values:
        return False
    fresh = optimizer.transform.init(_trainable(model))
    slots = _layout(model, fresh)
    problem = None
    if slots is None:
        problem = f"jkeras cannot map Keras's optimizer variables onto optimizer '{optimizer.name}'"
    elif len(values) == _base_count(slots) < len(slots):
        slots = slots[:len(values)]  # a Keras optimizer saved before it was built: no slots yet
    elif len(slots) != len(values):
        problem = (f"optimizer '{optimizer.name}' has {len(slots)} variables whereas the saved optimizer has "
                   f"{len(values)} variables")
    else:
        bad = next((i for i, (slot, value) in enumerate(zip(slots, values))
                    if slot.shape and tuple(np.shape(value)) != slot.shape), None)
        if bad is not None:
            problem = (f"variable {bad} ({slots[bad].name}) has shape {tuple(np.shape(values[bad]))}, "
                       f"expected {slots[bad].shape}")
    if problem is not None:
        warnings.warn(f"Skipping the optimizer state of {source}: {problem}; training will start with a "
                      "fresh optimizer state.", stacklevel=3)
        return False
    entries = {key: np.asarray(leaf) for key, leaf in _state_leaves(fresh).items()}
    for slot, value in zip(slots, values):
        value = np.asarray(value)
        for key in slot.leaves:
            entries[key] = _signed(value, slot.sign).astype(entries[key].dtype)
    if "learning_rate" not in [slot.name for slot in slots]:
        _scheduled_learning_rate(optimizer, entries, int(np.asarray(values[0])))
    return variables.restore_optimizer(model, list(entries.items()))


def _scheduled_learning_rate(optimizer, entries, iterations):
    """The state's last learning rate for a schedule: `schedule(iterations - 1)`, as the last step
    computed it (the fresh state's value before any step)."""
    schedule = getattr(optimizer, "_learning_rate", None)
    key = ("hyperparams", "learning_rate")
    if iterations <= 0 or not callable(schedule) or key not in entries:
        return
    try:
        value = np.asarray(schedule(np.int32(iterations - 1)))
    except Exception:  # a schedule that cannot be evaluated outside a step keeps the fresh value
        return
    if value.shape == entries[key].shape:
        entries[key] = value.astype(entries[key].dtype)

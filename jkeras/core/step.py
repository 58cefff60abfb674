"""Pure training, evaluation and prediction steps.

Everything here is a function of its arguments: the shell builds a `StepSpec` from a compiled model
(its `apply`, its losses and metrics, the optax transformation) and jits the steps made from it.
A step never reads Python object state; weights, optimizer state, metric state and the RNG key all
travel in a `TrainState` pytree.
"""
import contextlib
import functools
import inspect
from typing import Any, Callable, NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from jkeras.core.optimizers import get_iterations, loss_scale_of
from jkeras.core.scope import batch_rows, bind_metric_states, collect_losses, short_batch_size, valid_rows


class TrainState(NamedTuple):
    """Everything a training step reads and returns.

    `rng` is the key random layers draw from: each step folds the update count into it, so it
    stays the same from step to step and a model without random layers computes no key.
    """

    params: Any
    state: Any
    opt_state: Any
    metrics: Any
    rng: Any


class OutputSpec(NamedTuple):
    """What the loss and metrics of one model output are.

    Attributes:
        name: the name its loss is logged under (`{name}_loss`) when several outputs have a
            loss: the output's name, or the loss's own name for an output that has none (a
            subclassed model's list / tuple of outputs), as in Keras 3.
        loss: `loss(y_true, y_pred, sample_weight=None, mask=None) -> scalar`, or None.
        loss_weight: its weight in the total loss.
        metrics: list of `(log_name, metric, weighted)`; metric implements init/update/compute.
        shape: the output's shape (batch axis None), for metrics whose state depends on it.
    """

    name: str
    loss: Optional[Callable]
    loss_weight: float
    metrics: Sequence
    shape: Any = None


class StepSpec(NamedTuple):
    """The pure pieces a compiled model is made of.

    Attributes:
        apply: `apply(variables, inputs, training, rng) -> (outputs_list, new_state, masks_list)`.
        outputs: one `OutputSpec` per model output.
        transform: the optax `GradientTransformation`.
        regularization: `params -> scalar` weight-regularization loss.
        constraints: `params -> params`, applied after each update.
        trainable_mask: pytree like params, True where a weight is trained.
        loss_override: a model's own `compute_loss` (Keras 3), replacing the compiled losses,
            the regularization and the added losses: `loss_override(variables, x, y_true,
            y_pred, sample_weights, added, training, rng) -> scalar`; None for the default.
        layer_metrics: `(log_name, metric)` pairs of the metrics that the model's layers update
            in `call` (Keras 3 lists them in `model.metrics` and the logs); their states travel
            in the metric state under `log_name`.
    """

    apply: Callable
    outputs: Sequence[OutputSpec]
    transform: Any
    regularization: Callable
    constraints: Callable
    trainable_mask: Any
    loss_override: Optional[Callable] = None
    layer_metrics: Sequence = ()


def fresh_copy(tree):
    """New buffers for every array in `tree`, with strong (non-weak) dtypes.

    Donating the copy never invalidates the original, and the step's input types stay the same
    from the first call on, so it compiles once. One small jitted program per tree structure
    makes every copy: a transfer per array cost about 30 us each on a CPU (a 20-array train state
    0.6 ms, which dominated `train_on_batch` and a small `fit`), the program about 0.1 ms.
    """
    return _copy_tree(tree)


@jax.jit
def _copy_tree(tree):
    # `jnp.copy` is an operation XLA runs, so each output is a new buffer (not the argument
    # forwarded); converting to its own dtype drops a weak type.
    return jax.tree_util.tree_map(lambda a: lax.convert_element_type(jnp.copy(a), a.dtype), tree)


# --------------------------------------------------------------------------------------------
# Trainable / frozen partition (frozen leaves become None, which JAX and optax skip)


def partition(params, mask):
    """Splits `params` into (trainable, frozen) trees of the same structure with None holes."""
    trainable = jax.tree_util.tree_map(lambda p, m: p if m else None, params, mask)
    frozen = jax.tree_util.tree_map(lambda p, m: None if m else p, params, mask)
    return trainable, frozen


def merge(trainable, frozen):
    """Inverse of `partition`."""
    return jax.tree_util.tree_map(
        lambda t, f: f if t is None else t, trainable, frozen, is_leaf=lambda x: x is None
    )


# --------------------------------------------------------------------------------------------
# Loss and metric bookkeeping


# A loss tracker is one float32 array `[weighted total, total weight]`: one buffer and one update
# per step (two scalars were two arguments per call and two kernels per step on a GPU).


def _mean_init():
    return np.zeros((2,), np.float32)


def _mean_update(state, value, weight):
    weight = jnp.asarray(weight, jnp.float32)
    return state + jnp.stack([jnp.asarray(value, jnp.float32) * weight, weight])


def _mean_result(state):
    total, count = state[0], state[1]
    return jnp.where(count > 0, total / jnp.where(count > 0, count, 1.0), 0.0)


def _batch_size(tree):
    return jax.tree_util.tree_leaves(tree)[0].shape[0]


def logged_output_losses(spec):
    """The outputs whose own loss is logged as "<output>_loss": those with a compiled loss, when
    there are several of them (Keras 3 logs a lone output loss only as "loss"); none under a
    model's own `compute_loss`, which gives no per-output losses (`step_loss`)."""
    if spec.loss_override is not None:
        return []
    with_loss = [out for out in spec.outputs if out.loss is not None]
    return with_loss if len(with_loss) > 1 else []


def init_metrics(spec):
    """Fresh metric state: the loss trackers, then each output's metrics."""
    state = {"loss": _mean_init()}
    for out in logged_output_losses(spec):
        state[f"{out.name}_loss"] = _mean_init()
    for out in spec.outputs:
        for log_name, metric, _ in out.metrics:
            state[log_name] = metric.init(y_pred_shape=out.shape)
    for log_name, metric in spec.layer_metrics:
        state[log_name] = metric.init()
    return state


def compute_metrics(spec, metric_state):
    """The logs dict (name -> scalar) from a metric state, in Keras's order."""
    logs = {"loss": _mean_result(metric_state["loss"])}
    for out in logged_output_losses(spec):
        logs[f"{out.name}_loss"] = _mean_result(metric_state[f"{out.name}_loss"])
    for out in spec.outputs:
        for log_name, metric, _ in out.metrics:
            logs[log_name] = metric.compute(metric_state[log_name])
    for log_name, metric in spec.layer_metrics:
        logs[log_name] = metric.compute(metric_state[log_name])
    return logs


@contextlib.contextmanager
def _layer_metrics(spec, metric_state):
    """Around the model's call: binds the metrics its layers update to their traced states.

    Yields:
        A dict `log_name -> state`, filled with the updated states when the block closes.
    """
    updated = {}
    with bind_metric_states({id(metric): metric_state[name] for name, metric in spec.layer_metrics}) as bound:
        yield updated
    updated.update({name: bound[id(metric)] for name, metric in spec.layer_metrics})


def _rows_mask(mask, rows):
    """`mask` with the padded rows (see `jkeras.core.scope.batch_rows`) set False."""
    if rows is None:
        return mask
    if mask is None:
        return rows
    mask = jnp.asarray(mask).astype(bool)
    return mask & jnp.reshape(rows, rows.shape + (1,) * (mask.ndim - 1))


def _rows_weight(sample_weight, rows):
    """`sample_weight` with the padded rows weighted 0 (None when every row is real and unweighted)."""
    if rows is None:
        return sample_weight
    weight = rows.astype(jnp.float32)
    if sample_weight is None:
        return weight
    sample_weight = jnp.asarray(sample_weight, jnp.float32)
    return sample_weight * jnp.reshape(weight, weight.shape + (1,) * (sample_weight.ndim - 1))


def on_real_rows(run, state, args, kwargs, weigh_padding=True):
    """`run(state, args, kwargs) -> state` (a metric update, a loss) on the real rows of the batch.

    Outside a padded batch (see `jkeras.core.scope.batch_rows`) it is `run(state, args, kwargs)`.
    In one, the arrays of `args` / `kwargs` whose first axis is the batch are cut to the real
    rows (their number is known while tracing: the epoch's short last batch); a batch of
    padding alone leaves `state` as it is. `run` sees no padded batch: a metric it updates in
    turn takes all the rows it is given. A leaf of the result that is batch-shaped in `state`
    but comes back cut to the real rows (a prediction) is put back at their rows, `state`'s
    values at the others. When the number of real rows is unknown, the padding
    is weighted 0 in `kwargs["sample_weight"]` (`weigh_padding`) or, for an update that takes no
    weights, the whole batch counts, unless it holds no real row.
    """
    rows = valid_rows()
    if rows is None:
        return run(state, args, kwargs)
    size = rows.shape[0]
    short = short_batch_size()
    with batch_rows(None):
        if not short:  # a padded batch of unknown size
            if weigh_padding:
                kwargs = {**kwargs, "sample_weight": _rows_weight(kwargs.get("sample_weight"), rows)}
                return run(state, args, kwargs)
            return lax.cond(jnp.any(rows), lambda s: run(s, args, kwargs), lambda s: s, state)

        def take(positions):
            def rows_of(a):
                if getattr(a, "ndim", 0) and a.shape[0] == size:
                    return jnp.take(a, positions, axis=0)
                return a
            return jax.tree_util.tree_map(rows_of, (args, kwargs))

        def put_back(state, result):
            def leaf(full, cut):
                if jnp.shape(cut) != jnp.shape(full) and jnp.ndim(full) and jnp.shape(full)[0] == size:
                    return full.at[real].set(cut)
                return cut
            return jax.tree_util.tree_map(leaf, state, result)

        branches = [lambda state: run(state, args, kwargs), lambda state: state]
        real = jnp.argsort(~rows, stable=True)[:short]  # the real rows, in order
        branches.append(lambda state: put_back(state, run(state, *take(real))))
        index = jnp.where(jnp.all(rows), 0, jnp.where(jnp.sum(rows) == short, 2, 1))
        return lax.switch(index, branches, state)


def _as_float32(y):
    """Low-precision (mixed precision) outputs are scored in float32, as Keras does."""
    if jnp.issubdtype(y.dtype, jnp.floating) and jnp.finfo(y.dtype).bits < 32:
        return y.astype(jnp.float32)
    return y


def _batch_valued(loss, y_true, y_pred):
    """Whether `loss` computes one value for the whole batch (a user function such as
    `mean(square(y_pred - y_true))`) rather than one per sample."""
    values = getattr(loss, "_call_with_mask", None)
    if values is None:
        return False
    try:
        shape = jax.eval_shape(lambda t, p: values(t, p)[0], y_true, y_pred)
    except Exception:  # noqa: BLE001 - the real call reports it
        return False
    return all(jnp.ndim(leaf) == 0 for leaf in jax.tree_util.tree_leaves(shape))


@functools.lru_cache(maxsize=None)
def _takes_mask(loss_class):
    """Whether the loss's `__call__` takes jkeras's `mask` argument: a Loss subclass may override
    `__call__` as `(labels, feature_vectors, sample_weight=None)` (keras-io's supervised contrastive
    loss), which Keras 3 calls with the targets, predictions and sample weights alone."""
    try:
        params = inspect.signature(loss_class.__call__).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "mask" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def compute_loss(spec, y_true, y_pred, sample_weights, masks):
    """Total weighted loss and the per-output losses (a dict keyed `{output}_loss`).

    Padded rows (`jkeras.core.scope.batch_rows`) are masked out, so a padded batch gives the
    loss of its real rows; a loss that computes one value per batch is computed on the real
    rows alone.
    """
    rows = valid_rows()
    total = jnp.zeros((), jnp.float32)
    per_output = {}
    for out, yt, yp, sw, mask in zip(spec.outputs, y_true, y_pred, sample_weights, masks):
        if out.loss is None:
            continue
        takes_mask = _takes_mask(type(out.loss))
        if rows is not None and _batch_valued(out.loss, yt, yp):  # padding cannot be masked out of it
            kwargs = {"sample_weight": sw, "mask": mask} if takes_mask else {"sample_weight": sw}
            value = on_real_rows(lambda _, args, kwargs: jnp.float32(out.loss(*args, **kwargs)), jnp.zeros((), jnp.float32),
                                 (yt, yp), kwargs, weigh_padding=False)
        elif takes_mask:
            value = out.loss(yt, yp, sample_weight=sw, mask=_rows_mask(mask, rows))  # a Loss casts to float32
        else:
            value = out.loss(yt, yp, sw)  # as Keras 3's compiled loss calls it (no mask argument)
        per_output[f"{out.name}_loss"] = value  # one name for two outputs: the last one's, as Keras 3 logs it
        total = total + out.loss_weight * value
    return total, per_output


def total_loss(spec, y_true, y_pred, sample_weights, masks, params, added):
    """The loss a step minimises: the outputs' compiled losses, the weight regularizers of
    `params` and the losses `added` during the call (`add_loss`); and the per-output losses.

    Raises:
        ValueError: (while tracing) when there is none of them, as Keras does.
    """
    loss, per_output = compute_loss(spec, y_true, y_pred, sample_weights, masks)
    regularization = spec.regularization(params)
    if not per_output and not added and isinstance(regularization, (int, float)):
        raise ValueError("No loss to compute. Provide a `loss` argument in `compile()` "
                         "(or add losses in the model with `add_loss`).")
    return loss + regularization + added_loss(added), per_output


def added_loss(added):
    """The sum of the losses `added` during a call (`add_loss`), each summed over its entries
    (Keras 3's `_aggregate_additional_loss`: a CTC endpoint layer adds a `(batch, 1)` loss)."""
    total = jnp.zeros((), jnp.float32)
    for value in added:
        value = jnp.asarray(value)
        if not jnp.issubdtype(value.dtype, jnp.floating):
            value = value.astype(jnp.float32)
        total = total + jnp.sum(value)
    return total


def step_loss(spec, variables, x, y_true, y_pred, sample_weights, masks, added, training, rng):
    """The loss of one step and the per-output losses: `total_loss`, or the model's own
    `spec.loss_override` (no per-output losses), computed on the real rows of a padded batch."""
    if spec.loss_override is None:
        return total_loss(spec, y_true, y_pred, sample_weights, masks, variables["params"], added)

    def run(_, args, kwargs):
        return jnp.float32(spec.loss_override(variables, *args, added=added, training=training, rng=rng))

    loss = on_real_rows(run, jnp.zeros((), jnp.float32), (x, y_true, y_pred, sample_weights), {},
                        weigh_padding=False)
    return loss, {}


def forward_and_loss(spec, variables, metric_state, x, y_true, sample_weights, training, rng):
    """The model's outputs on `x` and their loss: `(loss, y_pred, new_state, per_output, masks,
    layer_states)`, `layer_states` the new states of the metrics the layers update in `call`
    (`spec.layer_metrics`, read from `metric_state`).

    A loss added in `call` (`add_loss`) may pool over the batch, so padding cannot be masked
    out of it: on a padded batch whose real rows are known (the epoch's short last batch) the
    whole computation runs on the real rows alone, as Keras runs that batch at its own size.
    """
    def run(_, args, kwargs):
        x, y_true, sample_weights = args
        with collect_losses() as added, _layer_metrics(spec, metric_state) as layer_states:
            y_pred, new_state, masks = spec.apply(variables, x, training=training, rng=rng)
        loss, per_output = step_loss(spec, variables, x, y_true, y_pred, sample_weights, masks, added,
                                     training, rng)
        return (loss, y_pred, new_state, per_output, masks, layer_states), bool(added)

    result, added = run(None, (x, y_true, sample_weights), {})
    if added and short_batch_size():
        zeros = jax.tree_util.tree_map(jnp.zeros_like, result)
        # no real row: the state and the layers' metrics stay as they are
        empty = zeros[:2] + (variables["state"],) + zeros[3:5] + ({n: metric_state[n] for n in result[5]},)
        result = on_real_rows(lambda state, args, kwargs: run(state, args, kwargs)[0], empty,
                              (x, y_true, sample_weights), {}, weigh_padding=False)
    return result


def update_metrics(spec, metric_state, loss, per_output_losses, y_true, y_pred, sample_weights, masks):
    """Accumulates one batch into the metric state (loss means are weighted by the batch's real rows)."""
    rows = valid_rows()
    new = dict(metric_state)
    if rows is None:
        weight = jnp.asarray(_batch_size(y_pred), jnp.float32)
    else:
        weight = jnp.sum(rows.astype(jnp.float32))
    new["loss"] = _mean_update(metric_state["loss"], loss, weight)
    for out in logged_output_losses(spec):
        name = f"{out.name}_loss"
        if name in per_output_losses:  # a model's own compute_loss gives none
            new[name] = _mean_update(metric_state[name], per_output_losses[name], weight)
    for out, yt, yp, sw, mask in zip(spec.outputs, y_true, y_pred, sample_weights, masks):
        yp = _as_float32(yp)
        for log_name, metric, weighted in out.metrics:
            weight = sw if weighted else None
            if not getattr(metric.update, "selects_real_rows", False):  # else it leaves padding out itself
                weight = _rows_weight(weight, rows)
            new[log_name] = metric.update(new[log_name], yt, yp, sample_weight=weight, mask=mask)
    return new


# --------------------------------------------------------------------------------------------
# Steps


def make_train_step(spec):
    """Returns `train_step(ts, batch) -> (ts, logs)` for batches `(x_list, y_list, sw_list)`."""

    def train_step(ts, batch):
        x, y, sw = batch
        # The step's key: the state's key folded with the update count. The state's key stays
        # the same (no per-step split to carry), and a model without random layers computes none.
        step_rng = jax.random.fold_in(ts.rng, get_iterations(ts.opt_state))
        trainable, frozen = partition(ts.params, spec.trainable_mask)

        scale = loss_scale_of(ts.opt_state)  # mixed_float16: a LossScaleOptimizer's scale

        def objective(trainable):
            variables = {"params": merge(trainable, frozen), "state": ts.state}
            loss, y_pred, new_state, per_output, masks, layer_states = forward_and_loss(
                spec, variables, ts.metrics, x, y, sw, True, step_rng)
            scaled = loss if scale is None else loss * scale
            return scaled, (loss, y_pred, new_state, per_output, masks, layer_states)

        (_, (loss, y_pred, new_state, per_output, masks, layer_states)), grads = jax.value_and_grad(
            objective, has_aux=True
        )(trainable)
        # `value` feeds transformations that read the loss (optax.contrib.reduce_on_plateau).
        updates, opt_state = spec.transform.update(grads, ts.opt_state, trainable, value=loss)
        trainable = optax.apply_updates(trainable, updates)
        params = spec.constraints(merge(trainable, frozen))
        metrics = update_metrics(spec, {**ts.metrics, **layer_states}, loss, per_output, y, y_pred, sw, masks)
        ts = TrainState(params, new_state, opt_state, metrics, ts.rng)
        return ts, compute_metrics(spec, metrics)

    return train_step


def make_eval_step(spec):
    """Returns `eval_step(variables, metric_state, batch, rng=None) -> (metric_state, logs, new_state)`.

    `new_state` is what stateful layers (stateful RNNs) carry to the next batch; other layers
    return their state unchanged in inference. `rng` feeds layers that draw in inference too (a
    VAE's sampling layer, `training=True` dropout), as in `predict`.
    """

    def eval_step(variables, metric_state, batch, rng=None):
        x, y, sw = batch
        loss, y_pred, new_state, per_output, masks, layer_states = forward_and_loss(
            spec, variables, metric_state, x, y, sw, False, rng)
        metric_state = update_metrics(spec, {**metric_state, **layer_states}, loss, per_output, y, y_pred, sw,
                                      masks)
        return metric_state, compute_metrics(spec, metric_state), new_state

    return eval_step


def make_predict_step(apply):
    """Returns `predict_step(variables, x_list, rng=None) -> (outputs_list, new_state)`.

    `rng` only feeds layers whose call fixed `training=True` (Monte-Carlo dropout); the new state
    carries what stateful layers (stateful RNNs) keep from one batch to the next.
    """

    def predict_step(variables, x, rng=None):
        y_pred, new_state, _ = apply(variables, x, training=False, rng=rng)
        return y_pred, new_state

    return predict_step


def batch_at(data, start, batch_size, limit=None):
    """The batch of `batch_size` rows at row `start` of every array in `data`, and which of its
    rows are real (`(batch_size,)` booleans, or None when every row is).

    Rows at positions >= `limit` are padding. A batch inside the data is a contiguous slice (a
    gather of scattered rows costs more than the step of a small model on a CPU); a short last
    batch is the last `batch_size` rows, its rows before `start` (already seen) padding. With
    `limit` past the data (steps that cycle through it) or fewer rows than a batch, positions
    wrap around to the first rows.
    """
    num_rows = _batch_size(data)
    positions = jnp.arange(batch_size)
    padded = limit is not None and limit % batch_size != 0  # only then is a batch ever short
    if (limit is not None and limit > num_rows) or num_rows < batch_size:
        batch = take_rows(data, (start + positions) % num_rows)
        return batch, (start + positions < limit) if padded else None
    first = jnp.minimum(start, num_rows - batch_size)
    batch = jax.tree_util.tree_map(lambda a: lax.dynamic_slice_in_dim(a, first, batch_size), data)
    if not padded:
        return batch, None
    rows = first + positions
    return batch, (rows >= start) & (rows < limit)


def take_rows(data, rows):
    """The rows `rows` (an index array) of every array in `data`, in that order."""
    return jax.tree_util.tree_map(lambda a: jnp.take(a, rows, axis=0, mode="clip"), data)


# Steps per iteration of the loop that runs `steps_per_execution` steps in one call: None picks by
# backend. A GPU pays a few microseconds at every iteration of a loop, whatever its body: an
# accelerator runs 4 (H100, mlp-small at 32 steps per call, `bench/spe_loop.py`, two runs: 24.2 /
# 24.4 us per step at 1 step per iteration, 20.3 / 21.2 at 2, 19.2 / 19.9 at 4, against the
# hand-written whole-epoch scan's 20.8 / 18.3). The step program is compiled four times over: a
# longer first call, which a model with short steps (what `steps_per_execution` is for) soon earns
# back. A CPU runs 1 (no gain, a longer compile).
LOOP_UNROLL = None


def loop_unroll(num_steps):
    """Steps per loop iteration (see `LOOP_UNROLL`) for a loop of `num_steps` steps."""
    unroll = LOOP_UNROLL if LOOP_UNROLL is not None else (1 if jax.default_backend() == "cpu" else 4)
    return max(1, min(int(unroll), num_steps))


def indexed(step, num_steps, batch_size, limit, every_step=True, logs_of=None, per_call=False):
    """Wraps a step so it takes its own batches from the data it is given.

    The result `run(carry, data, start, *args) -> (carry, logs, next_start)` runs `num_steps`
    consecutive batches of `batch_size` rows, from row `start` of the epoch on, as
    `step(carry, batch, *args)`: `args` (weights an evaluation reads) pass through unchanged. `data` (a pytree of arrays)
    holds the epoch's rows in order, or, with `per_call`, just this call's rows (fed from the
    host). Rows at positions >= `limit` (the end of the epoch) are padding (see `batch_at`): the
    step runs inside `jkeras.core.scope.batch_rows`, so losses, metrics and batch statistics
    leave them out, and every batch of an epoch, the short last one included, runs the same
    compiled program.

    With `num_steps > 1` the steps run in one `lax.fori_loop`: over all `num_steps` (a trip count
    the compiler knows: a GPU runs the loop without a host round trip per step; `loop_unroll`
    steps per iteration), or, with `every_step=False`, over the steps with real rows left (the
    short last group of an epoch: nothing is computed for the missing steps). Returns the last step's logs; given
    `logs_of(carry)` (the logs as a function of the state, as for the built-in steps, whose logs
    are the metrics' results), the loop computes none and they are computed once after it.
    """

    padded = limit is not None and limit % batch_size != 0  # only then is a batch ever short

    def one(carry, data, start, offset, args):
        if per_call:  # the call's rows, in order: the host wrapped them past the end already
            batch, _ = batch_at(data, offset, batch_size)
            rows = start + jnp.arange(batch_size) < limit if padded else None
        else:
            batch, rows = batch_at(data, start, batch_size, limit)
        with batch_rows(rows, limit % batch_size if padded else None):
            return step(carry, batch, *args)

    def run(carry, data, start, *args):
        start = jnp.asarray(start, jnp.int32)
        if num_steps == 1:
            carry, logs = one(carry, data, start, 0, args)
            return carry, logs, start + batch_size
        unroll = 1
        if every_step:
            trips, unroll = num_steps, loop_unroll(num_steps)
        else:  # the steps with real rows left in this call (no overflow for limits near 2**31)
            left = limit - start
            trips = jnp.clip(left // batch_size + (left % batch_size > 0), 1, num_steps)
        next_start = start + num_steps * batch_size
        if logs_of is not None:  # the steps' own logs are dead code in the loop
            def body(i, carry):
                return one(carry, data, start + i * batch_size, i * batch_size, args)[0]

            carry = lax.fori_loop(0, trips, body, carry, unroll=unroll)
            return carry, logs_of(carry), next_start

        logs_shape = jax.eval_shape(lambda c: one(c, data, start, 0, args)[1], carry)
        no_logs = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), logs_shape)

        def body_with_logs(i, state):
            return one(state[0], data, start + i * batch_size, i * batch_size, args)

        carry, logs = lax.fori_loop(0, trips, body_with_logs, (carry, no_logs), unroll=unroll)
        return carry, logs, next_start

    return run


def flat_carry(fn, treedef):
    """`fn(carry, *args) -> (carry, *outs)` as a function of the carry's leaves.

    The result takes and returns the carry as the list of its leaves (`treedef` is its structure).
    A loop that keeps its state as that list hands the jitted program a flat list: no dicts or
    named tuples to flatten and rebuild on the host at every step.
    """

    def run(leaves, *args):
        carry, *outs = fn(treedef.unflatten(leaves), *args)
        return (treedef.flatten_up_to(carry), *outs)

    return run

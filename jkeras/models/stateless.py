"""Keras 3's JAX "stateless" API on jkeras's pure pair.

Keras 3 code for JAX passes a model's weights as two lists in `model.trainable_variables` /
`model.non_trainable_variables` order (`stateless_call`), the optimizer state as a flat list
(`optimizer.stateless_apply`) and the metric states as one flat list in `model.metrics` order;
a `Model` subclass may override `train_step(self, state, data) -> (logs, state)` with `state`
the tuple of those lists. Here the lists are mapped onto jkeras's variables dict
(`{"params": ..., "state": ...}`) and `fit` / `evaluate` run such overrides inside their own
jitted steps (`keras3_train_step` / `keras3_test_step` adapt them to jkeras's `TrainState`).
"""
import contextlib
import inspect
import itertools
import threading

import jax
import jax.numpy as jnp

from jkeras._metric_classes import Mean, Metric
from jkeras.core import step as core_step
from jkeras.core.optimizers import get_iterations
from jkeras.core.scope import collect_losses
from jkeras.models import shared_layers
from jkeras.models.node import map_structure
from jkeras.models.variable import as_array
from jkeras.utils.random import next_key

# --------------------------------------------------------------------------------------------
# Lists of weights <-> the variables dict


def variable_paths(layer, variables):
    """`(collection, key path)` of each `Variable` of `variables` inside `layer.get_variables()`;
    `(collection, None)` for the state of a `SeedGenerator` that keeps it outside the variables
    (a built-in layer's, such as Dropout's)."""
    prefixes = shared_layers.places(layer)[0]
    return [(v._collection, _path_of(v, prefixes)) for v in variables]


def _path_of(variable, prefixes):
    if _is_seed_state(variable):
        key = variable._key  # the generator's key in its layer's state (not its Keras name)
        return None if key is None else prefixes[id(variable._layer)] + (key,)
    return prefixes[id(variable._layer)] + (variable.name,)


def _is_seed_state(variable):
    from jkeras.random import SeedState  # late: jkeras.random imports the backend, which imports this

    return isinstance(variable, SeedState)


def lists_to_variables(variables, paths, values):
    """`variables` (`{"params", "state"}`) with `values[i]` put at `paths[i]`."""
    out = dict(variables)
    for (collection, path), value in zip(paths, values):
        if path is not None:
            out[collection] = shared_layers.put_path(out[collection], path, value)
    return out


def _check_lists(layer, trainable_variables, non_trainable_variables):
    for arg, given, expected in (("trainable_variables", trainable_variables, layer.trainable_variables),
                                 ("non_trainable_variables", non_trainable_variables,
                                  layer.non_trainable_variables)):
        if len(given) != len(expected):
            raise layer._error(
                f"stateless_call: argument `{arg}` must be a list corresponding 1:1 to "
                f"{type(layer).__name__}().{arg}: expected {len(expected)} values, got {len(given)}")
        for i, (var, value) in enumerate(zip(expected, given)):
            if tuple(jnp.shape(value)) != var.shape:
                raise layer._error(
                    f"stateless_call: `{arg}[{i}]` ('{var.path}') must have shape {var.shape}, "
                    f"got shape {tuple(jnp.shape(value))}")


# Keys for random layers in `stateless_call(training=True)` without `rng`: inside `fit`, drawn from
# the train state's key (a fresh one each step); elsewhere made from the `SeedGenerator` states
# among the non-trainable variables given (`_key_from_seed_states`), else from the global seed.
_step_keys = []


@contextlib.contextmanager
def _step_key(key):
    _step_keys.append((key, itertools.count()))
    try:
        yield
    finally:
        _step_keys.pop()


def _next_rng():
    if _step_keys:
        key, count = _step_keys[-1]
        return jax.random.fold_in(key, next(count))
    return next_key()


def _key_from_seed_states(states):
    """The call's key made from `SeedGenerator` states (uint32 pairs): the one state itself, as
    Keras 3 draws from a generator's state; several are folded together."""
    key = jnp.asarray(states[0], jnp.uint32)
    for state in states[1:]:
        state = jnp.asarray(state, jnp.uint32)
        key = jax.random.fold_in(jax.random.fold_in(key, state[0]), state[1])
    return key


def stateless_call(layer, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs):
    """`Layer.stateless_call` (see there)."""
    if not layer.built:
        raise layer._error("stateless_call needs the layer built (its variables created): call it on "
                           "some data first")
    if len(args) != 1:
        raise TypeError(f"{type(layer).__name__} '{layer.name}': stateless_call takes the inputs as one "
                        f"positional argument after the two variable lists, got {len(args)}")
    trainable_variables = [as_array(v) for v in trainable_variables]
    non_trainable_variables = [as_array(v) for v in non_trainable_variables]
    _check_lists(layer, trainable_variables, non_trainable_variables)
    trainable_refs, frozen_refs = layer.trainable_variables, layer.non_trainable_variables
    paths = variable_paths(layer, trainable_refs + frozen_refs)
    variables = lists_to_variables(layer.get_variables(), paths,
                                   [jnp.asarray(v) for v in trainable_variables + non_trainable_variables])
    training = bool(kwargs.pop("training", False))
    rng = kwargs.pop("rng", None)
    # `SeedGenerator` states: without `rng`, a training call draws from a key made from them and
    # returns them advanced by one draw, so a loop feeding them back draws anew at every step.
    seeds = [i for i, ref in enumerate(frozen_refs) if _is_seed_state(ref)]
    advance = rng is None and training and bool(seeds)
    if rng is None and training:
        rng = _next_rng() if _step_keys or not seeds else _key_from_seed_states(
            [non_trainable_variables[i] for i in seeds])
    inputs = map_structure(jnp.asarray, args[0])
    with collect_losses() as losses:
        outputs, new_state = layer.forward(variables, inputs, training=training, rng=rng, **kwargs)
    new_non_trainable = [
        shared_layers.get_path(new_state, path) if collection == "state" and path is not None else value
        for (collection, path), value in zip(paths[len(trainable_refs):], non_trainable_variables)
    ]
    if advance:
        for i in seeds:
            new_non_trainable[i] = jnp.asarray(non_trainable_variables[i], jnp.uint32) + jnp.array(
                [0, 1], jnp.uint32)
    if return_losses:
        return outputs, new_non_trainable, list(losses)
    return outputs, new_non_trainable


# --------------------------------------------------------------------------------------------
# model.metrics, compute_loss


def _as_list(value, names):
    if isinstance(value, dict):
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        return list(value)
    return [value]


class CompileMetrics(Metric):
    """The metrics given to `compile`, as one metric (Keras 3's `model.metrics[1]`).

    Its `result()` is a dict log name -> value; `update_state(y_true, y_pred, sample_weight=None)`
    takes the model's targets and outputs (an array, or a list / dict per output).
    """

    def __init__(self, spec, output_names):
        super().__init__(name="compile_metrics")
        self._spec, self._output_names = spec, list(output_names)

    @property
    def metrics(self):
        """Keras 3's list of the compiled metric objects: every output's `metrics`, then its
        `weighted_metrics` (the tf time-series tutorial shows `model.metrics[1].metrics`)."""
        entries = list(self._entries())
        return [m for _, _, m, weighted in entries if not weighted] + [m for _, _, m, weighted in entries if weighted]

    def _entries(self):
        for out in self._spec.outputs if self._spec is not None else ():  # None: not built yet
            for log_name, metric, weighted in out.metrics:
                yield out, log_name, metric, weighted

    def init(self, y_pred_shape=None):
        state = {}
        for out, log_name, metric, _ in self._entries():
            state.update(_named_leaves(log_name, metric.init(y_pred_shape=out.shape)))
        return state

    def _split(self, state):
        """The flat state as each metric's own state pytree."""
        parts = {}
        for out, log_name, metric, _ in self._entries():
            initial = metric.init(y_pred_shape=out.shape)
            if isinstance(initial, dict):
                parts[log_name] = {key: state[f"{log_name}/{key}"] for key in initial}
            else:
                names = list(_named_leaves(log_name, initial))
                treedef = jax.tree_util.tree_structure(initial)
                parts[log_name] = treedef.unflatten([state[name] for name in names])
        return parts

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        parts = self._split(state)
        y_true, y_pred = _as_list(y_true, self._output_names), _as_list(y_pred, self._output_names)
        weights = _as_list(sample_weight, self._output_names) if sample_weight is not None \
            else [None] * len(y_pred)
        new = {}
        for i, out in enumerate(self._spec.outputs if self._spec is not None else ()):
            for log_name, metric, weighted in out.metrics:
                yp = core_step._as_float32(jnp.asarray(y_pred[i]))
                updated = metric.update(parts[log_name], jnp.asarray(y_true[i]), yp,
                                        sample_weight=weights[i] if weighted else None, mask=None)
                new.update(_named_leaves(log_name, updated))
        return new

    def compute(self, state):
        parts = self._split(state)
        return {log_name: metric.compute(parts[log_name]) for _, log_name, metric, _ in self._entries()}


def _named_leaves(prefix, state):
    """A metric state as `{prefix/name: array}`: a dict's own keys in order, else key paths."""
    if isinstance(state, dict):
        return {f"{prefix}/{key}": value for key, value in state.items()}
    return {f"{prefix}{jax.tree_util.keystr(path)}": leaf
            for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]}


def _compiled_with_metrics(model):
    args = getattr(model, "_compile_args", None) or {}
    return bool(args.get("metrics") or args.get("weighted_metrics"))


def _tracked_metrics(model):
    return list(model.__dict__.get("_tracked_metrics", ()))


def model_metrics(model):
    """Keras 3's `model.metrics`: the loss tracker, the compiled metrics, then the model's own."""
    metrics = []
    if getattr(model, "compiled", False):
        tracker = model.__dict__.get("_loss_tracker")
        if tracker is None:
            tracker = model.__dict__["_loss_tracker"] = Mean(name="loss")
        metrics.append(tracker)
        spec = model._spec
        if spec is not None and any(out.metrics for out in spec.outputs):
            cached = model.__dict__.get("_compile_metrics")
            if cached is None or cached._spec is not spec:
                cached = model.__dict__["_compile_metrics"] = CompileMetrics(spec, model.output_names)
            metrics.append(cached)
        elif spec is None and _compiled_with_metrics(model):
            # Keras 3 lists its compile metrics from `compile` on, built with the first batch: until
            # the step spec exists, one holding no metric (keras-io consistency_training reads
            # `model.metrics` before training)
            cached = model.__dict__.get("_compile_metrics")
            if cached is None or cached._spec is not None:
                cached = model.__dict__["_compile_metrics"] = CompileMetrics(None, [])
            metrics.append(cached)
    return metrics + _tracked_metrics(model)


class _OverrideStep(threading.local):
    params = None  # the traced weights of the step running a `compute_loss` override
    added = ()  # the losses its model's call added (`add_loss`)


_override_step = _OverrideStep()


def compute_loss(model, x=None, y=None, y_pred=None, sample_weight=None, training=True, params=None):
    """Keras 3's `Model.compute_loss`: the compiled losses plus the weight regularization of
    `params` (the model's current weights when None) and, inside a step running an override
    of it (`super().compute_loss(...)`), the losses the call added; zero when there are none."""
    del x, training
    names = model.output_names
    y_list = _as_list(y, names)
    if model._spec is None:
        model._ensure_spec(y_list)
    spec = model._spec
    y_pred_list = _as_list(y_pred, names)
    weights = _as_list(sample_weight, names) if sample_weight is not None else [None] * len(y_pred_list)
    total, _ = core_step.compute_loss(spec, y_list, y_pred_list, weights, [None] * len(y_pred_list))
    added = ()
    if params is None:
        params, added = _override_step.params, _override_step.added
    if params is None:
        params = model.get_variables()["params"]
    return total + spec.regularization(params) + core_step.added_loss(added)


def loss_override(model):
    """The model's own `compute_loss` as `StepSpec.loss_override`, or None when it has none.

    It runs with the step's weights bound (a layer it calls, such as a distiller's teacher,
    computes with them) and gets Keras's arguments: `x`, `y`, `y_pred` and `sample_weight`
    structured as Keras passes them, and `training` when its signature takes it.
    """
    from jkeras.models import call_scope
    from jkeras.models.training import Trainer

    if type(model).compute_loss is Trainer.compute_loss:
        return None
    takes_training = "training" in inspect.signature(model.compute_loss).parameters

    def run(variables, x, y, y_pred, sample_weight, added, training, rng):
        def single(values):  # Keras's structure: one array, or a list per input / output
            values = None if values is None or all(v is None for v in values) else list(values)
            return values[0] if values is not None and len(values) == 1 else values

        kwargs = {"x": single(x), "y": single(y), "y_pred": single(y_pred), "sample_weight": single(sample_weight)}
        if takes_training:
            kwargs["training"] = training
        return _compute_loss_in_step(model, variables, kwargs, added, training, rng)

    return run


def _compute_loss_in_step(model, variables, kwargs, added, training, rng):
    """`model.compute_loss(**kwargs)` inside a traced step on `variables` (see `loss_override`)."""
    from jkeras.models import call_scope

    previous = _override_step.params, _override_step.added
    _override_step.params, _override_step.added = variables["params"], tuple(added)
    try:
        with call_scope.opened(call_scope.ApplyScope(model, variables, training=training, rng=rng)):
            return model.compute_loss(**kwargs)
    finally:
        _override_step.params, _override_step.added = previous


# --------------------------------------------------------------------------------------------
# Keras 3's default train / test steps, for models overriding `compute_metrics` (or updating
# metrics of their own in a `compute_loss` override)


def overrides_metric_hooks(model):
    """Whether `fit` / `evaluate` run Keras 3's default JAX steps (`default_train_step` /
    `default_test_step`) rather than jkeras's built-in ones: the model overrides `compute_metrics`,
    or overrides `compute_loss` and has metrics of its own (a `metrics` property or Metric
    attributes), which that override may update as Keras 3 lets it."""
    from jkeras.models.training import Trainer

    cls = type(model)
    if cls.compute_metrics is not Trainer.compute_metrics:
        return True
    return cls.compute_loss is not Trainer.compute_loss and (
        cls.metrics is not Trainer.metrics or bool(_tracked_metrics(model)))


@contextlib.contextmanager
def metric_values(model, values):
    """Keras 3's `StatelessScope` over `model.metrics`: inside, the metrics hold `values` (a flat
    list in `metrics_variables` order) and `update_state` / `result` work on them; the yielded list
    receives their values at exit, and the metrics get their own values back (no traced value
    stays in a metric)."""
    refs = [v for m in model.metrics for v in m.variables]
    saved = [v.value for v in refs]
    new = []
    try:
        for ref, value in zip(refs, values):
            ref.assign(value)
        yield new
        new.extend(ref.value for ref in refs)
    finally:
        for ref, value in zip(refs, saved):
            ref.assign(value)


def _unpack(data):
    data = tuple(data) if isinstance(data, tuple) else (data,)
    return data + (None,) * (3 - len(data))


def _loss_and_updates(model, trainable, non_trainable, metrics_variables, x, y, sample_weight, training):
    """Keras 3's `compute_loss_and_updates`: `(loss, (y_pred, non_trainable, metrics_variables))`,
    the metrics updated by `compute_loss` captured (`metric_values`)."""
    y_pred, non_trainable, added = model.stateless_call(trainable, non_trainable, x, training=training,
                                                        return_losses=True)
    paths = variable_paths(model, model.trainable_variables + model.non_trainable_variables)
    variables = lists_to_variables(model.get_variables(), paths, list(trainable) + list(non_trainable))
    kwargs = {"x": x, "y": y, "y_pred": y_pred, "sample_weight": sample_weight}
    if "training" in inspect.signature(model.compute_loss).parameters:
        kwargs["training"] = training
    with metric_values(model, metrics_variables) as new_metrics:
        loss = _compute_loss_in_step(model, variables, kwargs, added, training, _next_rng())
    return jnp.asarray(loss, jnp.float32), (y_pred, non_trainable, new_metrics)


def _metrics_logs(model, metrics_variables, loss, x, y, y_pred, sample_weight):
    """The loss tracker updated with the batch's loss, then `model.compute_metrics`, on the metric
    values `metrics_variables`: `(logs, new metrics_variables)`."""
    with metric_values(model, metrics_variables) as new_metrics:
        tracker = model.__dict__.get("_loss_tracker")
        if any(m is tracker for m in model.metrics):  # a `metrics` override may leave it out
            tracker.update_state(loss, sample_weight=jnp.shape(jax.tree_util.tree_leaves(x)[0])[0])
        logs = model.compute_metrics(x, y, y_pred, sample_weight)
    return logs, new_metrics


def default_train_step(model):
    """Keras 3's default JAX `train_step(state, data) -> (logs, state)`."""

    def train_step(state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        x, y, sample_weight = _unpack(data)
        grad_fn = jax.value_and_grad(
            lambda t: _loss_and_updates(model, t, non_trainable, metrics_variables, x, y, sample_weight, True),
            has_aux=True)
        (loss, (y_pred, non_trainable, metrics_variables)), grads = grad_fn(list(trainable))
        trainable, optimizer_variables = model.optimizer.stateless_apply(optimizer_variables, grads, trainable)
        logs, metrics_variables = _metrics_logs(model, metrics_variables, loss, x, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)

    return train_step


def default_test_step(model):
    """Keras 3's default JAX `test_step(state, data) -> (logs, state)`."""

    def test_step(state, data):
        trainable, non_trainable, metrics_variables = state
        x, y, sample_weight = _unpack(data)
        loss, (y_pred, non_trainable, metrics_variables) = _loss_and_updates(
            model, trainable, non_trainable, metrics_variables, x, y, sample_weight, False)
        logs, metrics_variables = _metrics_logs(model, metrics_variables, loss, x, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, metrics_variables)

    return test_step


def _own_step(model, name, default):
    from jkeras.models.training import Trainer

    own = getattr(type(model), name, None)
    return getattr(model, name) if own is not None and own is not getattr(Trainer, name, None) else default(model)


def stateless_compute_loss(model, trainable_variables, non_trainable_variables, metrics_variables,
                           x=None, y=None, y_pred=None, sample_weight=None, training=True):
    """Keras 3's `Model.stateless_compute_loss`: `compute_loss` with the weights given as lists;
    returns `(loss, (trainable_variables, non_trainable_variables, metrics_variables))`."""
    refs = model.trainable_variables + model.non_trainable_variables
    values = [as_array(v) for v in list(trainable_variables) + list(non_trainable_variables)]
    params = lists_to_variables(model.get_variables(), variable_paths(model, refs), values)["params"]
    loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training,
                              **({"params": params} if _takes_params(model) else {}))
    return loss, (trainable_variables, non_trainable_variables, metrics_variables)


def _takes_params(model):
    return "params" in inspect.signature(model.compute_loss).parameters


# --------------------------------------------------------------------------------------------
# fit / evaluate with Keras 3 `train_step(self, state, data)` / `test_step` overrides


def metrics_state(model):
    """Fresh (reset) metric variables of `model.metrics`, one flat list."""
    return [a for m in model.metrics for a in m.stateless_reset_state()]


def assign_metrics(model, values):
    """Writes a flat list of metric variables back into `model.metrics`."""
    values = list(values)
    for metric in model.metrics:
        for var in metric.variables:
            var.assign(values.pop(0))


def _keras_data(model, batch):
    """jkeras's batch `(x_list, y_list, sw_list)` as Keras's `(x, y)` / `(x, y, sample_weight)`."""
    x, y, sw = batch

    def single(values):
        if values is None:
            return None
        values = list(values)
        return values[0] if len(values) == 1 else values

    x, y = single(x), single(y)
    no_weights = sw is None or all(w is None for w in sw)
    if y is None and no_weights:  # Keras's pack_x_y_sample_weight: `x` alone (an autoencoder's fit(x))
        return (x,) if isinstance(x, tuple) else x
    if no_weights:
        return (x, y)
    return (x, y, single(sw))


def _flat_logs(logs):
    """Logs with dict results (`compile_metrics`) merged into the top level, as Keras's fit does."""
    out = {}
    for name, value in dict(logs).items():
        if isinstance(value, dict):
            out.update(value)
        else:
            out[name] = value
    return out


def _weight_lists(model, params, state):
    refs_t, refs_n = model.trainable_variables, model.non_trainable_variables
    paths = variable_paths(model, refs_t + refs_n)
    variables = {"params": params, "state": state}
    values = [shared_layers.get_path(variables[c], p) if p is not None else jnp.asarray(ref.value)
              for (c, p), ref in zip(paths, refs_t + refs_n)]
    return values[:len(refs_t)], values[len(refs_t):], paths


def keras3_train_step(model):
    """The Keras 3 override `model.train_step(state, data) -> (logs, state)` as jkeras's step
    `(TrainState, batch) -> (TrainState, logs)`; the TrainState's `opt_state` is the optax state
    built on the list of trainable weights and its `metrics` the flat list of metric variables."""

    def step(ts, batch):
        trainable, non_trainable, paths = _weight_lists(model, ts.params, ts.state)
        treedef = jax.tree_util.tree_structure(ts.opt_state)
        state = (trainable, non_trainable, jax.tree_util.tree_leaves(ts.opt_state), list(ts.metrics))
        with _step_key(jax.random.fold_in(ts.rng, get_iterations(ts.opt_state))):
            logs, new = _own_step(model, "train_step", default_train_step)(state, _keras_data(model, batch))
        trainable, non_trainable, optimizer_variables, metrics_variables = new
        variables = lists_to_variables({"params": ts.params, "state": ts.state}, paths,
                                       [as_array(v) for v in list(trainable) + list(non_trainable)])
        opt_state = treedef.unflatten(jax.tree_util.tree_leaves(list(optimizer_variables)))
        metrics = [as_array(v) for v in metrics_variables]
        return core_step.TrainState(variables["params"], variables["state"], opt_state, metrics,
                                    ts.rng), _flat_logs(logs)

    return step


_STEP_FORMS = {
    "test_step": "`test_step(self, state, data) -> (logs, state)` with state = (trainable_variables, "
                 "non_trainable_variables, metrics_variables)",
    "predict_step": "`predict_step(self, state, data) -> (outputs, non_trainable_variables)` with state = "
                    "(trainable_variables, non_trainable_variables)",
}


def _check_stateless_step(model, name):
    """TypeError naming the override when step `name` ("test_step", "predict_step") takes the
    batch alone (Keras 3's TensorFlow / PyTorch `test_step(self, data)`), which Keras 3 on JAX,
    like jkeras, cannot call. A model without its own step runs Keras 3's default one."""
    own = getattr(type(model), name, None)
    if own is None:
        return
    parameters = list(inspect.signature(own).parameters.values())[1:]
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < 2 and not any(p.kind is p.VAR_POSITIONAL for p in parameters):
        received = ", ".join(["self"] + [str(p) for p in parameters])
        raise TypeError(
            f"{type(model).__name__}.{name}: expected Keras 3's JAX signature {_STEP_FORMS[name]}; "
            f"received `{name}({received})`, the TensorFlow / PyTorch form, which Keras 3 on JAX "
            "cannot call either")


def keras3_predict_step(model, on_batch=False):
    """An overridden `model.predict_step(state, data) -> (outputs, non_trainable_variables)`
    (Keras 3's JAX form) as jkeras's predict step `(variables, x_list, rng) -> (output_leaves,
    new_state)`; the structure of the override's outputs is kept in `model._predict_structure`.
    `data` is the batch as Keras 3 hands it: the inputs (`predict`), `(inputs,)`
    (`predict_on_batch`).

    Raises:
        TypeError: if the override takes the batch alone (`predict_step(self, data)`).
    """
    _check_stateless_step(model, "predict_step")

    def step(variables, x, rng=None):
        trainable, non_trainable, paths = _weight_lists(model, variables["params"], variables["state"])
        xs = list(x)
        data = (xs[0] if len(xs) == 1 else xs,) if on_batch else _keras_data(model, (x, None, None))
        with _step_key(rng if rng is not None else jax.random.PRNGKey(0)):
            outputs, non_trainable = model.predict_step((trainable, non_trainable), data)
        refs_n = len(model.non_trainable_variables)
        new_vars = lists_to_variables(variables, paths[len(paths) - refs_n:], [as_array(v) for v in non_trainable])
        leaves, model._predict_structure = jax.tree_util.tree_flatten(outputs)
        return leaves, new_vars["state"]

    return step


def keras3_test_step(model):
    """The Keras 3 override `model.test_step(state, data) -> (logs, state)` as jkeras's eval step
    `(variables, metric_state, batch, rng) -> (metric_state, logs, new_state)`.

    Raises:
        TypeError: if the override takes the batch alone (`test_step(self, data)`).
    """
    _check_stateless_step(model, "test_step")

    def step(variables, metric_state, batch, rng=None):
        trainable, non_trainable, paths = _weight_lists(model, variables["params"], variables["state"])
        with _step_key(rng if rng is not None else jax.random.PRNGKey(0)):
            logs, new = _own_step(model, "test_step", default_test_step)(
                (trainable, non_trainable, list(metric_state)), _keras_data(model, batch))
        _, non_trainable, metrics_variables = new
        refs_n = len(model.non_trainable_variables)
        new_vars = lists_to_variables(variables, paths[len(paths) - refs_n:],
                                      [as_array(v) for v in non_trainable])
        return [as_array(v) for v in metrics_variables], _flat_logs(logs), new_vars["state"]

    return step


def _spec_tree(tree):
    return jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(jnp.shape(a), jnp.result_type(a)), tree)


def uses_keras3_train_step(model, batch_spec):
    """Whether `model.train_step` is a Keras 3 override (`(state 4-tuple, data) -> (logs, state)`)
    rather than jkeras's (`(TrainState, batch) -> (TrainState, logs)`); decided by tracing it
    (`jax.eval_shape`, nothing runs) with Keras 3's state, then jkeras's.

    Raises:
        TypeError: if the override fails with both (the message holds both errors).
    """
    variables = model.get_variables()
    transform = model.optimizer.transform
    ts = core_step.TrainState(variables["params"], variables["state"], None, None, next_key())
    keras3_ts = ts._replace(
        opt_state=jax.eval_shape(transform.init, [as_array(v) for v in model.trainable_variables]),
        metrics=metrics_state(model))
    try:
        jax.eval_shape(keras3_train_step(model), _spec_tree(keras3_ts), batch_spec)
        return True
    except Exception as keras3_error:  # noqa: BLE001 (any failure means: not this convention)
        error = keras3_error
    trainable, _ = core_step.partition(variables["params"], model._spec.trainable_mask)
    jkeras_ts = ts._replace(opt_state=jax.eval_shape(transform.init, trainable),
                            metrics=core_step.init_metrics(model._spec))
    try:
        jax.eval_shape(model.train_step, _spec_tree(jkeras_ts), batch_spec)
        return False
    except Exception as jkeras_error:  # noqa: BLE001
        raise TypeError(
            f"{type(model).__name__}.train_step fails with both conventions it may follow. As Keras 3's "
            f"`train_step(self, state, data) -> (logs, state)`: {type(error).__name__}: {error}. As "
            f"jkeras's `train_step(self, state, batch) -> (state, logs)` (state a TrainState): "
            f"{type(jkeras_error).__name__}: {jkeras_error}") from jkeras_error


def batch_spec_of(batch, batch_size=None):
    """Shape specs of a batch `(x_list, y_list, sw_list)`, its batch axis `batch_size` if given."""
    def spec(a):
        shape = tuple(a.shape)
        if batch_size is not None and shape:
            shape = (batch_size,) + shape[1:]
        return jax.ShapeDtypeStruct(shape, a.dtype)

    return jax.tree_util.tree_map(spec, batch)


__all__ = ["stateless_call", "model_metrics", "compute_loss", "stateless_compute_loss", "CompileMetrics",
           "keras3_train_step", "keras3_test_step", "uses_keras3_train_step"]

"""Resolving `compile`'s loss / metrics / loss_weights against a model's outputs and targets."""
import jax
import numpy as np

from jkeras.core.step import OutputSpec
from jkeras.utils import naming


def _per_output(value, names, what, default=None):
    """One entry per output from a single value, a list, or a dict keyed by output name."""
    n = len(names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"compile: {what} has key(s) {unknown} that name no output; outputs are {names}")
        return [value.get(k, default) for k in names]
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"compile: {what} is a list of {len(value)} entries, but the model has {n} output(s) {names}"
            )
        return list(value)
    return [value] * n


def check_keras2_arguments(sample_weight_mode, target_tensors):
    """Validates `compile`'s Keras 2 arguments `sample_weight_mode` and `target_tensors`.

    `sample_weight_mode="temporal"` (or a list / dict of it per output) needs nothing more: sample
    weights of shape `(batch, timesteps)` weight each timestep's loss, whatever the mode.

    Raises:
        ValueError: for a mode other than None / "temporal", or any `target_tensors` (JAX models
            take their targets as data).
    """
    modes = list(sample_weight_mode.values()) if isinstance(sample_weight_mode, dict) else (
        list(sample_weight_mode) if isinstance(sample_weight_mode, (list, tuple)) else [sample_weight_mode])
    for mode in modes:
        if mode not in (None, "temporal"):
            raise ValueError(
                f"compile: sample_weight_mode must be None or 'temporal' (or a list / dict of them per "
                f"output), got {mode!r}"
            )
    if target_tensors is not None:
        raise ValueError(
            "compile: `target_tensors` is not supported, got target_tensors="
            f"{type(target_tensors).__name__}. A JAX model has no graph placeholders to bind fixed "
            "target tensors to: pass the targets as data instead, `model.fit(x, y)` with arrays, or "
            "a generator / `Sequence` / `tf.data`-like iterable yielding `(x, y)` batches (a custom "
            "`train_step(state, (x, y, sample_weight))` receives them the same way)."
        )


def _shape(a):
    return tuple(a.shape)


def _binary_or_sparse(y_true_shape, y_pred_shape):
    is_binary = y_pred_shape[-1] == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
    return is_binary, is_sparse


def _resolve_loss(identifier, y_true_shape, y_pred_shape):
    from jkeras import losses

    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _binary_or_sparse(y_true_shape, y_pred_shape)
        identifier = ("binary_crossentropy" if is_binary else
                      "sparse_categorical_crossentropy" if is_sparse else "categorical_crossentropy")
    obj = losses.get(identifier)
    if isinstance(obj, losses.Loss):
        return obj
    name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", "loss")
    return losses.LossFunctionWrapper(obj, name=name)


def _resolve_metric(identifier, y_true_shape, y_pred_shape):
    from jkeras import metrics

    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        is_binary, is_sparse = _binary_or_sparse(y_true_shape, y_pred_shape)
        cls = (metrics.BinaryAccuracy if is_binary else
               metrics.SparseCategoricalAccuracy if is_sparse else metrics.CategoricalAccuracy)
        return cls(name=identifier)
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _binary_or_sparse(y_true_shape, y_pred_shape)
        cls = (metrics.BinaryCrossentropy if is_binary else
               metrics.SparseCategoricalCrossentropy if is_sparse else metrics.CategoricalCrossentropy)
        return cls(name=identifier)
    obj = metrics.get(identifier)
    if isinstance(obj, metrics.Metric):
        return obj
    if isinstance(identifier, str):
        name = identifier
    else:  # Keras 3's get_object_name: a function's name in snake case (`PSNR` logs as `psnr`)
        name = naming.to_snake_case(obj.__name__) if hasattr(obj, "__name__") else "metric"
    return metrics.MeanMetricWrapper(obj, name=name)


def _named_values(fn, y_true_shape, y_pred_shape):
    """The names of the values a metric function returns as a dict (Keras 1: `return
    {'false_neg': ..., 'false_pos': ...}` logs each), or None when it returns one value or
    cannot be traced on placeholder shapes (its errors then come from the step itself)."""
    import jax

    def spec(shape):
        return jax.ShapeDtypeStruct(tuple(1 if d is None else d for d in shape), "float32")

    try:
        out = jax.eval_shape(fn, spec(y_true_shape), spec(y_pred_shape))
    except Exception:  # noqa: BLE001 (a probe only: any failure means "not a dict of values")
        return None
    return list(out) if isinstance(out, dict) else None


def _resolve_metrics(identifier, y_true_shape, y_pred_shape):
    """`(log name base, metric)` pairs for one `metrics=` entry: one pair, or one per value of a
    Keras 1 metric function that returns a dict."""
    from jkeras import metrics

    metric = _resolve_metric(identifier, y_true_shape, y_pred_shape)
    if isinstance(identifier, str) or isinstance(identifier, metrics.Metric) or \
            not isinstance(metric, metrics.MeanMetricWrapper) or metric._fn is not identifier:
        return [(identifier if isinstance(identifier, str) else metric.name, metric)]
    keys = _named_values(identifier, y_true_shape, y_pred_shape)
    if keys is None:
        return [(metric.name, metric)]

    def entry(key):
        def value(y_true, y_pred):
            return identifier(y_true, y_pred)[key]

        value.__name__ = str(key)
        return metrics.MeanMetricWrapper(value, name=str(key))

    return [(str(key), entry(key)) for key in keys]


def _flat_list(value):
    """The identifiers of a (nested) list of metrics, in order."""
    if isinstance(value, (list, tuple)):
        return [m for entry in value for m in _flat_list(entry)]
    return [] if value is None else [value]


def _metric_lists(value, names, what):
    """Per-output lists of metric identifiers, as Keras 3 reads `metrics=`: with one output, every
    metric of a (nested) list; with several, a dict keyed by output name, or a list of one entry
    (a metric or a list of them) per output. Any other list applies to every output (Keras 2)."""
    if value is None:
        return [[] for _ in names]
    if len(names) == 1:
        return [_flat_list(value)]
    if isinstance(value, dict):
        return [_flat_list(m) for m in _per_output(value, names, what, default=[])]
    if isinstance(value, (list, tuple)):
        if len(value) == len(names) or (value and all(isinstance(m, (list, tuple)) or m is None for m in value)):
            return [_flat_list(m) for m in _per_output(list(value), names, what)]
        return [list(value) for _ in names]
    return [[value] for _ in names]


def resolve_outputs(model, y_list, loss, metrics, loss_weights, weighted_metrics, targets_from_override=False):
    """One `OutputSpec` per model output. An output without a target gets no loss, unless
    `targets_from_override`: a `compute_loss` override passes the targets to the compiled loss
    (Keras 3 calls it with `y=None` when `fit` got none).

    Raises:
        ValueError: when lists / dicts do not fit the outputs.
    """
    names = model.output_names
    losses = _per_output(loss, names, "loss")  # None: the model's own losses only (`add_loss`)
    weights = _per_output(1.0 if loss_weights is None else loss_weights, names, "loss_weights", default=1.0)
    plain = _metric_lists(metrics, names, "metrics")
    weighted = _metric_lists(weighted_metrics, names, "weighted_metrics")
    named = _names_outputs(model)
    outputs = []
    taken = {}
    for i, name in enumerate(names):
        y_pred_shape = model.outputs[i].shape
        y_true = y_list[i] if y_list is not None and i < len(y_list) else None
        y_true_shape = _shape(y_true) if y_true is not None else y_pred_shape
        loss_obj = None
        if (y_true is not None or targets_from_override) and losses[i] is not None:
            loss_obj = _resolve_loss(losses[i], y_true_shape, y_pred_shape)
        if not named:  # Keras 3 logs the loss of an unnamed output under the loss's own name
            name = loss_obj.name if loss_obj is not None else name
        prefix = f"{name}_" if len(names) > 1 and named else ""
        entries = []
        for ids, is_weighted in ((plain[i], False), (weighted[i], True)):
            for identifier in ids:
                for base, metric in _resolve_metrics(identifier, y_true_shape, y_pred_shape):
                    entries.append((_unique_log_name(prefix, base, is_weighted, taken), metric, is_weighted))
        outputs.append(OutputSpec(name, loss_obj, float(weights[i]), entries, tuple(y_pred_shape)))
    return outputs


def _names_outputs(model):
    """Whether the model's outputs have names of their own to log their losses and metrics under:
    a functional model's output layers, the keys of a dict of outputs. A subclassed model's list
    or tuple of outputs has none: Keras 3 logs each output's loss as `<loss name>_loss` and its
    metrics without a prefix (`mse_loss`, `mae`, `mae_1`)."""
    return not getattr(model, "_is_subclassed", False) or isinstance(getattr(model, "_output_struct", None), dict)


def check_target_shapes(model, ys):
    """Checks that each output's loss accepts targets shaped like `ys`, once per compile and shape.

    Called with the targets of every `fit` / `evaluate` / `*_on_batch` call (a stream's first batch)
    and with `validation_data`, before any step is traced.

    Raises:
        ValueError: see `_check_loss_shapes`.
    """
    args = getattr(model, "_compile_args", None)
    if ys is None or not args or args.get("loss") is None or getattr(model, "run_eagerly", False):
        return
    from jkeras.models.training import Trainer

    if type(model).train_step is not Trainer.train_step:
        return  # its own step passes the compiled loss the targets it makes (keras-io metric_learning:
        # `y` holds the positive images, the loss gets class indices), as Keras 3's does
    checked = model.__dict__.get("_checked_targets")
    if checked is None or checked[0] is not args:
        checked = model.__dict__["_checked_targets"] = (args, set())
    key = tuple(None if y is None else (tuple(y.shape[1:]), str(y.dtype)) for y in ys)
    if key in checked[1]:
        return
    names = model.output_names
    for name, identifier, y_true, y_pred in zip(names, _per_output(args["loss"], names, "loss"), ys, model.outputs):
        if y_true is not None and identifier is not None:
            loss_obj = _resolve_loss(identifier, _shape(y_true), y_pred.shape)
            _check_loss_shapes(name, loss_obj, y_true, y_pred)
    checked[1].add(key)


def _check_loss_shapes(output_name, loss_obj, y_true, y_pred):
    """Runs the loss on abstract arrays shaped like one batch (nothing is computed or compiled), so
    targets that cannot fit the predictions fail here, with a hint, instead of inside the step.

    Raises:
        ValueError: naming the output, the loss, both shapes and, where it is clear, the fix.
    """
    true_shape = tuple(y_true.shape)
    pred_shape = tuple(y_pred.shape)
    if not true_shape or any(d is None for d in pred_shape[1:]):
        return  # sizes known only at run time: the step checks them
    batch = true_shape[0]
    pred = jax.ShapeDtypeStruct((batch,) + pred_shape[1:], np.dtype(y_pred.dtype))
    true = jax.ShapeDtypeStruct(true_shape, np.dtype(y_true.dtype))
    try:
        jax.eval_shape(lambda t, p: loss_obj(t, p), true, pred)
    except jax.errors.ConcretizationTypeError:
        return  # a loss written for eager values; the step reports its own error
    except (TypeError, ValueError) as error:
        loss_name = getattr(loss_obj, "name", None) or type(loss_obj).__name__
        raise ValueError(
            f"Output '{output_name}': the loss '{loss_name}' cannot compare targets of shape "
            f"{true_shape} with the model's predictions of shape {pred_shape}: "
            f"{str(error).splitlines()[0].rstrip('.')}{_shape_hint(loss_name, true_shape, pred_shape)}"
        ) from None


def _shape_hint(loss_name, true_shape, pred_shape):
    key = loss_name.lower().replace("_", "")
    classes = pred_shape[-1] if pred_shape else None
    if "sparsecategorical" in key and len(true_shape) == len(pred_shape) and true_shape[-1] == classes:
        return (f". The targets look one-hot encoded ({classes} classes on the last axis): use "
                "loss='categorical_crossentropy', or pass integer labels np.argmax(y, axis=-1)")
    if "categorical" in key and "sparse" not in key and (
            len(true_shape) == len(pred_shape) - 1 or (len(true_shape) == len(pred_shape) and true_shape[-1] == 1)):
        return (". The targets look like integer class labels: use loss='sparse_categorical_crossentropy', "
                f"or one-hot encode them with jkeras.utils.to_categorical(y, {classes})")
    return f". Targets must have the predictions' shape {pred_shape} (or broadcast to it)"


def _unique_log_name(prefix, base, is_weighted, taken):
    """Keras's log names: `{output}_{metric}`; a clash gets `weighted_` (weighted) or `_1`, `_2`."""
    name = prefix + base
    if name in taken and is_weighted:
        name = prefix + "weighted_" + base
    if name in taken:
        taken[name] += 1
        name = f"{name}_{taken[name] - 1}"
    taken.setdefault(name, 1)
    return name

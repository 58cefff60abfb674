"""Keras metric classes: the `Metric` base, `Mean`, `Sum`, `MeanMetricWrapper` and
the metrics built on it (accuracies, regression errors, crossentropies, hinges).

Split from `jkeras/metrics.py` for length; import these from `jkeras.metrics`.

Every metric is config plus three pure methods that run inside `jax.jit`:

    state = metric.init()                       # small pytree of jnp arrays
    state = metric.update(state, y_true, y_pred, sample_weight=None, mask=None)
    value = metric.compute(state)

and the stateful Keras API on top of them (`update_state`, `result`,
`reset_state`, `__call__`), which alone keeps a state on the object. A metric
written Keras 3's way (`add_variable` in `__init__`, `update_state` / `result`
/ `reset_state` overridden) gets the pure methods from its stateful ones (see
`jkeras/_metric_variables.py`).
"""
import jax
import jax.numpy as jnp

from jkeras import _metric_variables
from jkeras.core import losses as core_losses
from jkeras.core import scope as core_scope
from jkeras.core import metrics as core_metrics
from jkeras.core._loss_classes import _function_name, _snake_case, _standardize_dtype
from jkeras.core.scope import valid_rows
from jkeras.core.step import _rows_weight, on_real_rows


def _traced(state):
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(state))


class Metric:
    """Metric base class.

    Subclasses implement `init(y_pred_shape=None) -> state`,
    `update(state, y_true, y_pred, sample_weight=None, mask=None) -> state`
    and `compute(state) -> value`, all pure; or, as in Keras 3, create their
    state with `add_variable` in `__init__` and override `update_state`,
    `result` (and optionally `reset_state`), whose pure counterparts then run
    them against a state bound to the variables.

    A `Metric` set as an attribute of a metric (`self.inner = Mean()` in `__init__`, as in
    Keras 3) is tracked: its variables follow the metric's own in `variables`, and its state is
    part of the metric's state, so an `update_state` that delegates to it runs in `fit`.

    Args:
        name: name of the metric; defaults to the snake-cased class name.
        dtype: dtype of the state and the result (default `jkeras.backend.floatx()`).
    """

    _direction = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _metric_variables.install_adapters(cls)

    def __init__(self, name=None, dtype=None):
        self.name = name or _snake_case(type(self).__name__)
        self._dtype = _standardize_dtype(dtype)
        self._state = None
        self._variable_names = None
        self._added = {}  # state key -> MetricVariable, for the variables add_variable made
        if (_metric_variables.uses_adapter(self, "update")
                and _metric_variables.pure_method(self, "init").__func__ is Metric.init):
            self._set_state({})  # a metric whose state is only the variables it adds

    def __setattr__(self, name, value):
        subs = self.__dict__.get("_sub_metrics")
        if isinstance(value, Metric) and not name.startswith("__"):
            if subs is None:
                subs = self.__dict__["_sub_metrics"] = {}
            if value._state is None:
                try:  # a sub-metric's state is part of this one's from the start
                    value._set_state(value.init())
                except Exception:  # noqa: BLE001 (a state shaped by the data: made at first use)
                    pass
            subs[name] = value
        elif subs and name in subs:
            del subs[name]
        object.__setattr__(self, name, value)

    @property
    def _state(self):
        """The state: a dict of arrays, this metric's own entries, then each tracked
        sub-metric's as `"{attribute}/{key}"` (None before a pure `init` ran)."""
        own = self.__dict__.get("_own_state")
        subs = self.__dict__.get("_sub_metrics")
        if not subs or own is None:
            return own
        state = dict(own)
        for attr, sub in subs.items():
            state.update({f"{attr}/{key}": v for key, v in (sub._state or {}).items()})
        return state

    @_state.setter
    def _state(self, state):
        subs = self.__dict__.get("_sub_metrics")
        if not subs or state is None:
            self.__dict__["_own_state"] = state
            return
        own, parts = {}, {attr: {} for attr in subs}
        for key, value in state.items():
            attr, _, rest = key.partition("/")
            if rest and attr in parts:
                parts[attr][rest] = value
            else:
                own[key] = value
        self.__dict__["_own_state"] = own
        for attr, sub in subs.items():
            if parts[attr]:  # a state of this metric's own entries alone leaves the sub-metrics'
                sub._state = parts[attr]

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Adds a state variable to the metric (call it in `__init__`).

        Args:
            shape: the variable's shape, e.g. `()` or `(num_classes,)`.
            initializer: its initial value: an initializer name (`"zeros"`), instance or
                callable `fn(shape, dtype)`.
            dtype: its dtype (default `jkeras.backend.floatx()`).
            aggregation: Keras's cross-replica aggregation: "sum", "mean", "none" or
                "only_first_replica" (a single-process step needs none).
            name: its name (default "variable"); `variable.path` is `"{metric}/{name}"`.

        Returns:
            The variable: usable as an array, changed with `assign` / `assign_add` /
            `assign_sub` (in `update_state`, `reset_state`).

        Raises:
            RuntimeError: if `super().__init__()` has not run yet.
            ValueError: for an unknown `aggregation` or no `initializer`.
        """
        return _metric_variables.add_variable(self, shape, initializer, dtype, aggregation, name)

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras's older name of `add_variable` (same arguments, `aggregation` "sum")."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def dtype(self):
        return self._dtype

    # -- pure protocol --------------------------------------------------------
    def init(self, y_pred_shape=None):
        """Returns the initial state, a dict of zero arrays (for a metric made of added
        variables: the state `reset_state()` leaves).

        Args:
            y_pred_shape: the prediction shape, needed only by metrics whose
                state size depends on the number of classes.
        """
        if self._state is None:
            raise NotImplementedError(f"{type(self).__name__} must implement init().")
        return _metric_variables.bound(self, self._state, self.reset_state)[0]

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        """Returns the state with one batch added (pure)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update().")

    def compute(self, state):
        """Returns the metric value of a state (pure)."""
        raise NotImplementedError(f"{type(self).__name__} must implement compute().")

    def _initial_state(self, *args, **kwargs):
        del args, kwargs
        return self.init()

    def _zeros(self, **shapes):
        return {name: jnp.zeros(shape, self.dtype) for name, shape in shapes.items()}

    # -- stateful Keras API ----------------------------------------------------
    def update_state(self, *args, **kwargs):
        """Accumulates a batch into the metric's own state (inside `fit` / `evaluate`, into the
        state the step carries for a metric a layer updates in `call`; while a model is traced
        symbolically, nowhere)."""
        bound = core_scope.bound_metric_states()
        if bound is not None and id(self) in bound:
            bound[id(self)] = _metric_variables.pure_method(self, "update")(bound[id(self)], *args, **kwargs)
            return
        if self._state is None:
            self._set_state(self._initial_state(*args, **kwargs))
        new = _metric_variables.pure_method(self, "update")(self._state, *args, **kwargs)
        if _traced(new) and not _traced(self._state):
            return  # a call traced to build a model (`jax.eval_shape`): keeping it would leak a tracer
        self._state = new

    def result(self):
        """Returns the metric value over everything accumulated so far."""
        if self._state is None:
            self._set_state(self.init())
        return _metric_variables.pure_method(self, "compute")(self._state)

    def reset_state(self):
        """Zeroes the accumulated state (keeping its shapes once known), as Keras 3 zeroes
        every variable."""
        if self._state is not None:
            self._state = jax.tree_util.tree_map(jnp.zeros_like, self._state)

    def reset_states(self):
        """Keras 2 name of `reset_state`."""
        self.reset_state()

    def _set_state(self, state):
        self._state = state
        self._variable_names = list(self._state)

    @property
    def variables(self):
        """The state as `jkeras.models.variable.StateVariable` handles (assignable, usable as
        arrays), in creation order; then the tracked sub-metrics' `variables`."""
        from jkeras.models.variable import StateVariable

        handles = {}
        for attr, sub in (self.__dict__.get("_sub_metrics") or {}).items():
            handles.update({f"{attr}/{key}": h for key, h in zip(sub._names(), sub.variables)})
        return [handles.get(name) or self._added.get(name) or StateVariable(self, i, name)
                for i, name in enumerate(self._names())]

    def _names(self):
        if self._state is None:
            self._set_state(self.init())
        if self.__dict__.get("_sub_metrics"):
            return list(self._state)  # a sub-metric's keys may come after this one's were set
        return self._variable_names

    def _state_arrays(self):
        return [self._state[name] for name in self._names()]

    def _set_state_array(self, index, value):
        self._state = {**self._state, self._names()[index]: value}

    # -- stateless Keras 3 API (lists of arrays in `variables` order) ---------
    def _state_from(self, metric_variables, method):
        names = self._names()
        metric_variables = list(metric_variables)
        if len(metric_variables) != len(names):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': {method} expects `metric_variables` with "
                f"{len(names)} values (one per metric.variables: {names}), got {len(metric_variables)}"
            )
        return {name: jnp.asarray(v) for name, v in zip(names, jax.tree_util.tree_leaves(metric_variables))}

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """`update_state` as a pure function of the state.

        Args:
            metric_variables: the state as a list of arrays (or handles) in `variables` order.
            *args, **kwargs: as `update_state` takes them (e.g. `y_true, y_pred, sample_weight`).

        Returns:
            The new state, a list of arrays in `variables` order.

        Raises:
            ValueError: if `metric_variables` has the wrong length.
        """
        state = self.update(self._state_from(metric_variables, "stateless_update_state"), *args, **kwargs)
        return [state[name] for name in self._names()]

    def stateless_result(self, metric_variables):
        """`result()` of the state `metric_variables` (a list in `variables` order), pure."""
        return self.compute(self._state_from(metric_variables, "stateless_result"))

    def stateless_reset_state(self):
        """The state `reset_state()` gives, as a list of arrays in `variables` order."""
        state = _metric_variables.bound(self, dict(zip(self._names(), self._state_arrays())),
                                        self.reset_state)[0]
        return [state[name] for name in self._names()]

    def __call__(self, *args, **kwargs):
        """Runs `update_state(*args, **kwargs)` and returns `result()`."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Sum(Metric):
    """The (weighted) sum of the given values.

    `update(state, values, sample_weight=None)` adds `sum(values * w)`.
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def init(self, y_pred_shape=None):
        return self._zeros(total=())

    def update(self, state, values, sample_weight=None):
        values, _ = core_metrics.reduce_to_samplewise_values(
            values, sample_weight, jnp.sum, dtype=self.dtype)
        return {"total": state["total"] + jnp.sum(values)}

    def compute(self, state):
        return state["total"]


class Mean(Metric):
    """The (weighted) mean of the given values: `total / count`.

    `update(state, values, sample_weight=None)` adds `sum(values * w)` to the
    total and `sum(w)` (or the batch size) to the count.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def init(self, y_pred_shape=None):
        return self._zeros(total=(), count=())

    def update(self, state, values, sample_weight=None):
        return core_metrics.mean_update(state, values, sample_weight, dtype=self.dtype)

    def compute(self, state):
        return core_metrics.divide_no_nan(state["total"], state["count"])


_MASKED_VARIANTS = {
    core_losses.sparse_categorical_crossentropy:
        core_losses._sparse_categorical_crossentropy_and_mask,
    core_losses.circle: core_losses._circle_and_mask,
}


class MeanMetricWrapper(Mean):
    """The mean over samples and batches of `fn(y_true, y_pred, **kwargs)`.

    A function of one value per sample is averaged over the samples. A function returning a
    scalar (e.g. `ops.mean(y_pred)`) is averaged over the batches, each batch counting once, as
    in Keras 3: in `fit` / `evaluate` the short last batch of an epoch, which they pad, gets it
    computed on its real rows alone.

    Args:
        fn: metric function `fn(y_true, y_pred, **kwargs)`.
        name: name of the metric; defaults to `fn.__name__`.
        dtype: as in `Metric`.
        **kwargs: keyword arguments passed on to `fn`.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: `fn` must be callable. Received: fn={fn!r}")
        super().__init__(name=name or _function_name(fn), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        """Adds a batch; `mask` (e.g. a sequence output mask) zeroes weights.

        Raises:
            ValueError: when `fn` returns a scalar and `sample_weight` or `mask` is given (a
                batch value cannot be weighted per sample; Keras 3 fails too).
        """
        masked_fn = _MASKED_VARIANTS.get(self._fn)
        if masked_fn is not None:
            values, values_mask = masked_fn(y_true, y_pred, **self._fn_kwargs)
        else:
            values, values_mask = self._fn(y_true, y_pred, **self._fn_kwargs), None
        rows = valid_rows()
        if rows is not None:  # a padded batch (see `jkeras.core.scope.batch_rows`)
            if jnp.ndim(values) == 0:  # a batch value: recompute it on the real rows alone
                def run(state, args, kwargs):
                    return self.update(state, *args, **kwargs)

                return on_real_rows(
                    run, state, (y_true, y_pred), {"sample_weight": sample_weight, "mask": mask},
                    weigh_padding=False)
            sample_weight = _rows_weight(sample_weight, rows)
        if jnp.ndim(values) == 0 and (sample_weight is not None or mask is not None):
            raise ValueError(
                f"MeanMetricWrapper '{self.name}': `fn` returned a scalar (one value per batch), "
                "which cannot be weighted per sample, but got "
                f"{'a sample_weight' if sample_weight is not None else 'an output mask'}. Return "
                "one value per sample (e.g. ops.mean(y_pred, axis=-1)), or pass the metric in "
                "`metrics` rather than `weighted_metrics`.")
        sample_weight = core_losses.apply_mask(sample_weight, mask, self.dtype, reduction="sum")
        return core_metrics.mean_update(state, values, sample_weight, values_mask, self.dtype)

    update.selects_real_rows = True  # `update_metrics` leaves the padded rows to it

    def get_config(self):
        from jkeras.metrics import serialize
        return {**Metric.get_config(self), "fn": serialize(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            from jkeras.metrics import deserialize
            config["fn"] = deserialize(config["fn"])
        return cls(**config)


class _Wrapper(MeanMetricWrapper):
    """A built-in mean metric: `fn` fixed, its options stored as attributes."""

    _FN = None

    def __init__(self, name, dtype, **options):
        super().__init__(type(self)._FN, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self):
        return {**Metric.get_config(self), **{k: getattr(self, k) for k in self._fn_kwargs}}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Accuracy(_Wrapper):
    """How often predictions equal labels."""

    _FN = staticmethod(core_metrics.accuracy)
    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name, dtype)


class BinaryAccuracy(_Wrapper):
    """How often `y_pred > threshold` equals the 0/1 label.

    Args:
        threshold: the decision threshold.
    """

    _FN = staticmethod(core_metrics.binary_accuracy)
    _direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(name, dtype, threshold=threshold)


class CategoricalAccuracy(_Wrapper):
    """How often `argmax(y_pred)` equals `argmax` of the one-hot label."""

    _FN = staticmethod(core_metrics.categorical_accuracy)
    _direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


class SparseCategoricalAccuracy(_Wrapper):
    """How often `argmax(y_pred)` equals the integer label."""

    _FN = staticmethod(core_metrics.sparse_categorical_accuracy)
    _direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


class TopKCategoricalAccuracy(_Wrapper):
    """How often the one-hot label is among the top `k` predictions.

    Args:
        k: number of top predictions that count.
    """

    _FN = staticmethod(core_metrics.top_k_categorical_accuracy)
    _direction = "up"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name, dtype, k=k)


class SparseTopKCategoricalAccuracy(_Wrapper):
    """How often the integer label is among the top `k` predictions.

    Args:
        k: number of top predictions that count.
        from_sorted_ids: whether `y_pred` holds class ids sorted by score.
    """

    _FN = staticmethod(core_metrics.sparse_top_k_categorical_accuracy)
    _direction = "up"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(name, dtype, k=k, from_sorted_ids=from_sorted_ids)


class MeanSquaredError(_Wrapper):
    """Mean squared error between labels and predictions."""

    _FN = staticmethod(core_losses.mean_squared_error)
    _direction = "down"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name, dtype)


class MeanAbsoluteError(_Wrapper):
    """Mean absolute error between labels and predictions."""

    _FN = staticmethod(core_losses.mean_absolute_error)
    _direction = "down"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name, dtype)


class MeanAbsolutePercentageError(_Wrapper):
    """Mean absolute percentage error between labels and predictions."""

    _FN = staticmethod(core_losses.mean_absolute_percentage_error)
    _direction = "down"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name, dtype)


class MeanSquaredLogarithmicError(_Wrapper):
    """Mean squared logarithmic error between labels and predictions."""

    _FN = staticmethod(core_losses.mean_squared_logarithmic_error)
    _direction = "down"

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name, dtype)


class LogCoshError(_Wrapper):
    """Mean of the logarithm of the hyperbolic cosine of the error."""

    _FN = staticmethod(core_losses.log_cosh)
    _direction = "down"

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name, dtype)


class CosineSimilarity(_Wrapper):
    """Mean cosine similarity between labels and predictions (1 = parallel).

    Args:
        axis: the axis along which the similarity is computed.
    """

    _FN = staticmethod(core_metrics.cosine_similarity)
    _direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """`sqrt(mean(square(y_true - y_pred)))` over all samples seen."""

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        del mask  # Keras 3 ignores the prediction mask here.
        y_true = jnp.asarray(y_true, self.dtype)
        y_pred = jnp.asarray(y_pred, self.dtype)
        y_true, y_pred = core_losses.squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update(state, jnp.square(y_pred - y_true), sample_weight)

    def compute(self, state):
        return jnp.sqrt(super().compute(state))


class Hinge(_Wrapper):
    """Mean hinge loss."""

    _FN = staticmethod(core_losses.hinge)
    _direction = "down"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name, dtype)


class SquaredHinge(_Wrapper):
    """Mean squared hinge loss."""

    _FN = staticmethod(core_losses.squared_hinge)
    _direction = "down"

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name, dtype)


class CategoricalHinge(_Wrapper):
    """Mean categorical hinge loss."""

    _FN = staticmethod(core_losses.categorical_hinge)
    _direction = "down"

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name, dtype)


class KLDivergence(_Wrapper):
    """Mean Kullback-Leibler divergence."""

    _FN = staticmethod(core_losses.kl_divergence)
    _direction = "down"

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name, dtype)


class Poisson(_Wrapper):
    """Mean Poisson loss."""

    _FN = staticmethod(core_losses.poisson)
    _direction = "down"

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name, dtype)


class BinaryCrossentropy(_Wrapper):
    """Mean binary crossentropy.

    Args:
        from_logits: whether `y_pred` holds logits.
        label_smoothing: float in [0, 1].
    """

    _FN = staticmethod(core_losses.binary_crossentropy)
    _direction = "down"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_Wrapper):
    """Mean categorical crossentropy.

    Args:
        from_logits: whether `y_pred` holds logits.
        label_smoothing: float in [0, 1].
        axis: the class axis.
    """

    _FN = staticmethod(core_losses.categorical_crossentropy)
    _direction = "down"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_Wrapper):
    """Mean sparse categorical crossentropy.

    Args:
        from_logits: whether `y_pred` holds logits.
        ignore_class: optional label whose entries score 0 (and, when sample
            weights are given, get zero weight), as in Keras 3.
        axis: the class axis.
    """

    _FN = staticmethod(core_losses.sparse_categorical_crossentropy)
    _direction = "down"

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(name, dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)


class PearsonCorrelation(_Wrapper):
    """Mean Pearson correlation coefficient of labels and predictions.

    Args:
        axis: the axis (or tuple of axes) each coefficient is computed along.
    """

    _FN = staticmethod(core_metrics.pearson_correlation)
    _direction = "up"

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)


class ConcordanceCorrelation(_Wrapper):
    """Mean concordance correlation coefficient of labels and predictions.

    Args:
        axis: the axis (or tuple of axes) each coefficient is computed along.
    """

    _FN = staticmethod(core_metrics.concordance_correlation)
    _direction = "up"

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)

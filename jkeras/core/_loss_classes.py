"""Config-only Keras `Loss` classes and `get` / `serialize` / `deserialize`.

Split from `jkeras/core/losses.py` for length; import these names from there
(or from `jkeras.losses`). A `Loss` object holds its configuration only:
`call(y_true, y_pred)` gives per-sample values and `__call__` reduces them
with `reduce_weighted_values`, so both run inside `jax.jit` / `jax.grad`.
"""
import re

import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import config
from jkeras.core import losses as _fns
from jkeras.core._registry import Registry


def _snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _function_name(fn):
    """`fn.__name__` when it is a usable name (not `<lambda>`), else None."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else None


def _standardize_dtype(dtype):
    """A dtype, dtype name, Keras policy name (`"mixed_float16"`) or policy -> name."""
    if dtype is None:
        return config.floatx()
    dtype = getattr(dtype, "compute_dtype", dtype)
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        dtype = dtype[len("mixed_"):]
    try:
        return jnp.dtype(dtype).name
    except TypeError:
        raise ValueError(f"Invalid dtype: expected a float dtype name such as 'float32'. "
                         f"Received: dtype={dtype!r}") from None


class Loss:
    """Loss base class: subclass it and implement `call(y_true, y_pred)`.

    Args:
        name: name of the loss; defaults to the snake-cased class name.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, `"none"` or None (Keras 2's `"auto"`
            means `"sum_over_batch_size"`).
        dtype: computation dtype of the inputs and the loss (default `jkeras.backend.floatx()`).

    Raises:
        ValueError: for an unknown `reduction`.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _snake_case(type(self).__name__)
        self.reduction = _fns.standardize_reduction(reduction)
        self._dtype = _standardize_dtype(dtype)

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        """Computes the reduced loss.

        Args:
            y_true: targets (array or pytree matching `call`).
            y_pred: predictions.
            sample_weight: optional per-sample (or per-timestep) weights.
            mask: optional boolean mask of the per-sample loss's shape, or of
                its leading axes (a `(batch,)` mask covers every timestep), e.g.
                a masked sequence model's output mask; combined with any mask
                the loss itself produces (`ignore_class`).

        Returns:
            A scalar (or the weighted per-sample values for reduction none).
        """
        y_true = _as_arrays(y_true, self.dtype)
        y_pred = _as_arrays(y_pred, self.dtype)
        values, out_mask = self._call_with_mask(y_true, y_pred)
        if mask is not None:
            mask = _fns.broadcast_mask(jnp.asarray(mask).astype(bool), jnp.shape(values))
            mask = mask if out_mask is None else mask & out_mask
        else:
            mask = out_mask
        return _fns.reduce_weighted_values(values, sample_weight, mask,
                                           self.reduction, self.dtype)

    def call(self, y_true, y_pred):
        """Returns the per-sample loss values."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred).")

    def _call_with_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _numbers_only(value):
    """Whether `value` is a (nested) list / tuple of Python or NumPy numbers: array data."""
    if isinstance(value, (list, tuple)):
        return all(_numbers_only(v) for v in value)
    return isinstance(value, (bool, int, float, np.number))


def _as_arrays(value, dtype):
    """`value` as arrays of `dtype`: nested lists of numbers (`[0, 1, 2]`, `[[.9, .1], ...]`) as
    one array, as Keras 2 converted them; any other structure leaf by leaf (a pytree of
    per-output targets)."""
    if isinstance(value, (list, tuple)) and value and _numbers_only(value):
        return jnp.asarray(value, dtype)
    return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype), value)


def _squeeze_pairs(y_true, y_pred):
    pairs = jax.tree_util.tree_map(_fns.squeeze_or_expand_to_same_rank, y_true, y_pred)
    y_true = jax.tree_util.tree_map(lambda _, pair: pair[0], y_true, pairs)
    y_pred = jax.tree_util.tree_map(lambda _, pair: pair[1], y_pred, pairs)
    return y_true, y_pred


# Functions whose per-sample output comes with a validity mask.
_MASKED_VARIANTS = {
    _fns.sparse_categorical_crossentropy: _fns._sparse_categorical_crossentropy_and_mask,
    _fns.circle: _fns._circle_and_mask,
}


class LossFunctionWrapper(Loss):
    """Wraps a function `fn(y_true, y_pred, **kwargs)` into a `Loss`.

    Args:
        fn: the per-sample loss function.
        reduction: as in `Loss`.
        name: name of the loss; defaults to `fn.__name__`.
        dtype: as in `Loss`.
        **kwargs: keyword arguments passed on to `fn`.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: `fn` must be callable. Received: fn={fn!r}")
        super().__init__(name=name or _function_name(fn), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self._call_with_mask(y_true, y_pred)[0]

    def _call_with_mask(self, y_true, y_pred):
        y_true, y_pred = _squeeze_pairs(y_true, y_pred)
        masked_fn = _MASKED_VARIANTS.get(self.fn)
        if masked_fn is not None:
            return masked_fn(y_true, y_pred, **self._fn_kwargs)
        return self.fn(y_true, y_pred, **self._fn_kwargs), None

    def get_config(self):
        return {**Loss.get_config(self), "fn": serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        fn_name = getattr(self.fn, "__name__", self.fn)
        return f"<{type(self).__name__}({fn_name}, kwargs={self._fn_kwargs})>"


class _Wrapper(LossFunctionWrapper):
    """A built-in loss: `fn` fixed, its options stored as attributes."""

    _FN = None

    def __init__(self, reduction, name, dtype, **options):
        super().__init__(type(self)._FN, reduction=reduction, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self):
        return {**Loss.get_config(self), **{key: getattr(self, key) for key in self._fn_kwargs}}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return Loss.__repr__(self)


class MeanSquaredError(_Wrapper):
    """Mean of squares of errors: `mean(square(y_true - y_pred))`."""

    _FN = staticmethod(_fns.mean_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction, name, dtype)


class MeanAbsoluteError(_Wrapper):
    """Mean of absolute errors: `mean(abs(y_true - y_pred))`."""

    _FN = staticmethod(_fns.mean_absolute_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(reduction, name, dtype)


class MeanAbsolutePercentageError(_Wrapper):
    """`100 * mean(abs((y_true - y_pred) / y_true))`."""

    _FN = staticmethod(_fns.mean_absolute_percentage_error)

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error", dtype=None):
        super().__init__(reduction, name, dtype)


class MeanSquaredLogarithmicError(_Wrapper):
    """`mean(square(log(y_true + 1) - log(y_pred + 1)))`."""

    _FN = staticmethod(_fns.mean_squared_logarithmic_error)

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(reduction, name, dtype)


class CosineSimilarity(_Wrapper):
    """Negative cosine similarity `-sum(l2_norm(y_true) * l2_norm(y_pred))`.

    Args:
        axis: the axis along which the similarity is computed.
    """

    _FN = staticmethod(_fns.cosine_similarity)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(reduction, name, dtype, axis=axis)


class Huber(_Wrapper):
    """Huber loss: quadratic for `|error| <= delta`, linear beyond.

    Args:
        delta: the point where the loss changes from quadratic to linear.
    """

    _FN = staticmethod(_fns.huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction, name, dtype, delta=delta)


class LogCosh(_Wrapper):
    """Logarithm of the hyperbolic cosine of the prediction error."""

    _FN = staticmethod(_fns.log_cosh)

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction, name, dtype)


class Hinge(_Wrapper):
    """Hinge loss `maximum(1 - y_true * y_pred, 0)`; 0/1 labels become -1/1."""

    _FN = staticmethod(_fns.hinge)

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction, name, dtype)


class SquaredHinge(_Wrapper):
    """Squared hinge loss `square(maximum(1 - y_true * y_pred, 0))`."""

    _FN = staticmethod(_fns.squared_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(reduction, name, dtype)


class CategoricalHinge(_Wrapper):
    """Categorical hinge `maximum(neg - pos + 1, 0)`."""

    _FN = staticmethod(_fns.categorical_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction, name, dtype)


class KLDivergence(_Wrapper):
    """Kullback-Leibler divergence `y_true * log(y_true / y_pred)`."""

    _FN = staticmethod(_fns.kl_divergence)

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction, name, dtype)


class Poisson(_Wrapper):
    """Poisson loss `y_pred - y_true * log(y_pred)`."""

    _FN = staticmethod(_fns.poisson)

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction, name, dtype)


class BinaryCrossentropy(_Wrapper):
    """Binary crossentropy between 0/1 labels and probabilities or logits.

    Args:
        from_logits: whether `y_pred` holds logits.
        label_smoothing: float in [0, 1]; labels are squeezed towards 0.5.
        axis: the axis the mean is taken over.
    """

    _FN = staticmethod(_fns.binary_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(_Wrapper):
    """Binary focal crossentropy.

    Args:
        apply_class_balancing: whether to weight class 1 by `alpha` and
            class 0 by `1 - alpha`.
        alpha: weight of class 1.
        gamma: focusing parameter.
        from_logits, label_smoothing, axis: as in `BinaryCrossentropy`.
    """

    _FN = staticmethod(_fns.binary_focal_crossentropy)

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma)


class CategoricalCrossentropy(_Wrapper):
    """Crossentropy between one-hot labels and probabilities or logits.

    Args:
        from_logits: whether `y_pred` holds logits.
        label_smoothing: float in [0, 1], smoothing towards `1 / num_classes`.
        axis: the class axis.
    """

    _FN = staticmethod(_fns.categorical_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(_Wrapper):
    """Alpha-balanced categorical focal crossentropy.

    Args:
        alpha: class weight (a float or a per-class list).
        gamma: focusing parameter.
        from_logits, label_smoothing, axis: as in `CategoricalCrossentropy`.
    """

    _FN = staticmethod(_fns.categorical_focal_crossentropy)

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis, alpha=alpha, gamma=gamma)


class SparseCategoricalCrossentropy(_Wrapper):
    """Crossentropy between integer labels and probabilities or logits.

    Args:
        from_logits: whether `y_pred` holds logits.
        ignore_class: optional label left out of the loss and its average.
        axis: the class axis.
    """

    _FN = staticmethod(_fns.sparse_categorical_crossentropy)

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(reduction, name, dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)


class CTC(_Wrapper):
    """Connectionist Temporal Classification loss (see `jkeras.losses.ctc`)."""

    _FN = staticmethod(_fns.ctc)

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(reduction, name, dtype)


class Dice(_Wrapper):
    """Dice loss `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))`.

    Args:
        axis: the axes the sums run over; None (default) sums the whole batch.
    """

    _FN = staticmethod(_fns.dice)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction, name, dtype, axis=axis)


class Tversky(_Wrapper):
    """Tversky loss `1 - tp / (tp + alpha * fp + beta * fn)` (see `jkeras.losses.tversky`).

    Args:
        alpha: weight of false positives.
        beta: weight of false negatives.
        axis: the axes the sums run over; None (default) sums the whole batch.
    """

    _FN = staticmethod(_fns.tversky)

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)


class Circle(_Wrapper):
    """Circle loss between integer labels and L2-normalized embeddings.

    Rows with no positive pair (loss 0) are left out of the average.

    Args:
        gamma: scale of the similarity scores.
        margin: relaxation margin.
        remove_diagonal: whether self-similarities leave the positive pairs.
    """

    _FN = staticmethod(_fns.circle)

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(reduction, name, dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)


class CategoricalGeneralizedCrossEntropy(_Wrapper):
    """Generalized cross entropy `(1 - p ** q) / q` of integer labels and probabilities.

    Args:
        q: noise parameter in (0, 1).

    Raises:
        ValueError: if `q` is not in (0, 1).
    """

    _FN = staticmethod(_fns.categorical_generalized_cross_entropy)

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q!r}")
        super().__init__(reduction, name, dtype, q=q)


_CLASSES = (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh,
    Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
    BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy, CTC, Dice, Tversky, Circle, CategoricalGeneralizedCrossEntropy,
)
_FUNCTIONS = {
    fn.__name__: fn for fn in (
        _fns.mean_squared_error, _fns.mean_absolute_error, _fns.mean_absolute_percentage_error,
        _fns.mean_squared_logarithmic_error, _fns.cosine_similarity, _fns.huber, _fns.log_cosh,
        _fns.hinge, _fns.squared_hinge, _fns.categorical_hinge, _fns.kl_divergence, _fns.poisson,
        _fns.binary_crossentropy, _fns.binary_focal_crossentropy, _fns.categorical_crossentropy,
        _fns.categorical_focal_crossentropy, _fns.sparse_categorical_crossentropy, _fns.ctc,
        _fns.dice, _fns.tversky, _fns.circle, _fns.categorical_generalized_cross_entropy)
}
_FUNCTIONS.update({
    "mse": _fns.mse, "MSE": _fns.mse, "mae": _fns.mae, "MAE": _fns.mae,
    "mape": _fns.mape, "MAPE": _fns.mape, "msle": _fns.msle, "MSLE": _fns.msle,
    "kld": _fns.kld, "KLD": _fns.kld, "kullback_leibler_divergence": _fns.kld,
    "bce": _fns.bce, "BCE": _fns.bce, "logcosh": _fns.log_cosh,
    "cosine_proximity": _fns.cosine_similarity, "cosine": _fns.cosine_similarity,
})
_CLASS_OBJECTS = {cls.__name__: cls for cls in _CLASSES}
_NAMES = Registry("loss", {**_CLASS_OBJECTS, **_FUNCTIONS}, classes=_CLASS_OBJECTS,
                  nested=("fn",), instantiate=(Loss,), serialize_error=TypeError)


def serialize(loss):
    """Serializes a loss: its name for a function, `{"class_name", "config"}` for a `Loss`.

    Any object with `get_config()` serializes like a `Loss`; None gives None.

    Raises:
        TypeError: if `loss` has neither a config nor a name.
    """
    return None if loss is None else _NAMES.serialize(loss)


def deserialize(config, custom_objects=None):
    """Rebuilds a loss from `serialize`'s output (or a Keras 3 config dict).

    Args:
        config: a name string or a `{"class_name": ..., "config": {...}}` dict.
        custom_objects: optional dict of user classes and functions by name.

    Returns:
        A loss function or a `Loss` instance.

    Raises:
        ValueError: for an unknown name or a malformed config.
    """
    return _NAMES.deserialize(config, custom_objects)


def get(identifier):
    """Returns a loss function or `Loss` instance.

    Args:
        identifier: None, a function name (`"categorical_crossentropy"`,
            `"mse"`), a class name (`"CategoricalCrossentropy"`), a config
            dict, a `Loss` class or instance, or a callable `f(y_true, y_pred)`.

    Returns:
        The function for function names, an instance for class names and
        configs, the callable itself otherwise; None for None.

    Raises:
        ValueError: for an unknown name (the message lists the valid names).
    """
    return _NAMES.get(identifier)

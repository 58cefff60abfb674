"""Keras 3's scikit-learn wrappers: `SKLearnClassifier`, `SKLearnRegressor`, `SKLearnTransformer`.

    def dynamic_model(X, y, loss, layers=[10]):
        inp = Input(shape=(X.shape[1],))
        hidden = inp
        for units in layers:
            hidden = Dense(units, activation="relu")(hidden)
        out = Dense(y.shape[1] if y.ndim > 1 else 1, activation="softmax")(hidden)
        model = Model(inp, out)
        model.compile(loss=loss, optimizer="rmsprop")
        return model

    est = SKLearnClassifier(model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy"},
                            fit_kwargs={"epochs": 5})
    est.fit(X, y).predict(X)

Importing this module imports scikit-learn (an ImportError names the `examples` extra when it is
missing).
"""
import numpy as np

from jkeras.wrappers._sklearn_import import import_sklearn

sklearn = import_sklearn("jkeras.wrappers.SKLearnClassifier / SKLearnRegressor / SKLearnTransformer")

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder  # noqa: E402
from sklearn.utils.multiclass import type_of_target  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from jkeras.models import Model, clone_model  # noqa: E402

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def _validate_data(estimator, *args, **kwargs):
    """`sklearn.utils.validation.validate_data` (scikit-learn >= 1.6) or its older method form."""
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:
        return estimator._validate_data(*args, **kwargs)
    return validate_data(estimator, *args, **kwargs)


def _target_type(y):
    target_type = type_of_target(y)
    if target_type == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return target_type


def _check_model(model):
    if not getattr(model, "compiled", False) or not model.loss or not model.optimizer:
        raise RuntimeError("Given model needs to be compiled, and have a loss and an optimizer.")


def _predict(model, X):
    """`model.predict(X)`, quietly, as a NumPy array."""
    return np.asarray(model.predict(X, verbose=0))


def _clone_compiled(model):
    """A clone of `model` with fresh weights, compiled like `model` (as Keras 3's `clone_model`)."""
    from jkeras.saving import model_config

    clone = clone_model(model)
    config = model_config.compile_to_config(model)
    if config is not None:
        model_config.compile_from_config(clone, config)
    return clone


class TargetReshaper(TransformerMixin, BaseEstimator):
    """Turns 1-D targets into a column and back (for encoders that need 2-D input).

    Attributes:
        ndim_: the number of dimensions of the `y` seen by `fit`.
    """

    def fit(self, y):
        """Records `y.ndim`. Returns self."""
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        """Returns `y` as a column when it is 1-D, else unchanged."""
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        """Returns a one-column `y` squeezed to 1-D when `fit` saw a 1-D target, else unchanged."""
        check_is_fitted(self)
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y


class SKLBase(BaseEstimator):
    """Base class of the scikit-learn wrappers around jkeras models.

    Args:
        model: a compiled `Model`, or a callable `model(X=X, y=y, **model_kwargs)` returning one
            (`y` as the wrapper encodes it: one-hot for classifiers, 2-D for regressors). A `Model`
            is cloned (fresh weights, same compile arguments) before each fit unless `warm_start`.
        warm_start: whether `fit` keeps training the model of the previous fit (and trains a given
            `Model` itself rather than a clone).
        model_kwargs: dict of keyword arguments for `model` when it is a callable.
        fit_kwargs: dict of keyword arguments for `model.fit`; those given to the wrapper's `fit`
            take precedence.

    Attributes:
        model_: the fitted `Model`.
        history_: the `History` of the last fit.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self):
        return {"non_deterministic": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        """An unfitted copy with the same parameters (a `Model` given as `model` is shared)."""
        return type(self)(model=self.model, warm_start=self.warm_start,
                          model_kwargs=self.model_kwargs, fit_kwargs=self.fit_kwargs)

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return self.model if self.warm_start else _clone_compiled(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fits the model to `(X, y)`.

        Args:
            X: array-like, shape `(n_samples, n_features)`: the input samples.
            y: array-like, shape `(n_samples,)` or `(n_samples, n_outputs)`: the targets.
            **kwargs: arguments of `model.fit`, overriding `fit_kwargs`.

        Returns:
            self.

        Raises:
            RuntimeError: if the model is not compiled with a loss and an optimizer.
        """
        X, y = _validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_model(model)
        fit_kwargs = dict(self.fit_kwargs or {})
        fit_kwargs.update(kwargs)
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X):
        """Predicts the targets of `X` (decoded as `fit` encoded them).

        Args:
            X: array-like, shape `(n_samples, n_features)`: the input samples.

        Returns:
            Array of shape `(n_samples,)` or `(n_samples, n_outputs)`.
        """
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self._reverse_process_target(_predict(self.model_, X))

    def _process_target(self, y, reset=False):
        """Regressors and transformers: 1-D targets become columns."""
        _target_type(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """scikit-learn classifier around a jkeras model (Keras 3's `keras.wrappers.SKLearnClassifier`).

    Binary and multiclass labels of any type are one-hot encoded (columns in `classes_` order)
    before reaching the model, whose outputs `predict` decodes by argmax; so the model needs
    one output unit per class. `score` is scikit-learn's accuracy of `predict`.

    Args:
        model: a compiled `Model`, or a callable `model(X=X, y=y, **model_kwargs)` returning one.
        warm_start: whether `fit` keeps training the model of the previous fit.
        model_kwargs: dict of keyword arguments for `model` when it is a callable.
        fit_kwargs: dict of keyword arguments for `model.fit`.

    Attributes:
        model_: the fitted `Model`.
        history_: the `History` of the last fit.
        classes_: array of shape `(n_classes,)`: the class labels.

    Raises:
        ValueError (from `fit`): for a target that is not binary or multiclass, or has one class.
    """

    def decision_function(self, X):
        """Returns the model's raw outputs for `X`, shape `(n_samples, n_classes)`."""
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return _predict(self.model_, X)

    def _process_target(self, y, reset=False):
        target_type = _target_type(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {target_type}")
        if reset:
            self._target_encoder = make_pipeline(TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """scikit-learn regressor around a jkeras model (Keras 3's `keras.wrappers.SKLearnRegressor`).

    1-D targets reach the model as one column and `predict` returns them 1-D again. `score` is
    scikit-learn's R^2 of `predict`.

    Args:
        model: a compiled `Model`, or a callable `model(X=X, y=y, **model_kwargs)` returning one.
        warm_start: whether `fit` keeps training the model of the previous fit.
        model_kwargs: dict of keyword arguments for `model` when it is a callable.
        fit_kwargs: dict of keyword arguments for `model.fit`.

    Attributes:
        model_: the fitted `Model`.
        history_: the `History` of the last fit.
    """

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """scikit-learn transformer around a jkeras model (Keras 3's `keras.wrappers.SKLearnTransformer`).

    `fit` trains the model on `(X, y)` as `SKLearnRegressor` does; `transform` returns the
    model's outputs (e.g. an embedding), so it fits in a `Pipeline` before another estimator.

    Args:
        model: a compiled `Model`, or a callable `model(X=X, y=y, **model_kwargs)` returning one.
        warm_start: whether `fit` keeps training the model of the previous fit.
        model_kwargs: dict of keyword arguments for `model` when it is a callable.
        fit_kwargs: dict of keyword arguments for `model.fit`.

    Attributes:
        model_: the fitted `Model`.
        history_: the `History` of the last fit.
    """

    def transform(self, X):
        """Returns the model's outputs for `X`, shape `(n_samples, n_outputs)`."""
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return _predict(self.model_, X)

    def _more_tags(self):
        return {"preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

"""Keras 2's scikit-learn wrappers: `KerasClassifier` and `KerasRegressor` (`keras.wrappers.scikit_learn`).

    def create_model(optimizer="adam"):
        model = Sequential([Dense(12, input_dim=8, activation="relu"), Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
        return model

    model = KerasClassifier(build_fn=create_model, epochs=150, batch_size=10, verbose=0)
    cross_val_score(model, X, y, cv=StratifiedKFold(10, shuffle=True))
    GridSearchCV(model, dict(batch_size=[10, 20], optimizer=["adam", "rmsprop"])).fit(X, y)

Importing this module imports scikit-learn (an ImportError names the `examples` extra when it is
missing); the wrappers are scikit-learn estimators, so `clone`, `Pipeline`, `cross_val_score` and
`GridSearchCV` take them.
"""
import copy
import inspect
import types

import numpy as np

from jkeras.wrappers._sklearn_import import import_sklearn

import_sklearn("jkeras.wrappers.scikit_learn")

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin  # noqa: E402

from jkeras.models import Sequential  # noqa: E402
from jkeras.utils import to_categorical  # noqa: E402

__all__ = ["BaseWrapper", "KerasClassifier", "KerasRegressor"]

# The `Sequential` methods whose arguments are legal `sk_params` (besides `build_fn`'s).
_LEGAL_PARAMS_FNS = (Sequential.fit, Sequential.predict, Sequential.predict_classes,
                     Sequential.predict_proba, Sequential.evaluate)
_ACCURACY_ERROR = ('The model is not configured to compute accuracy. You should pass '
                   '`metrics=["accuracy"]` to the `model.compile()` method.')


def _has_arg(fn, name):
    """Whether `fn` takes an argument called `name` explicitly (not through `**kwargs`)."""
    parameter = inspect.signature(fn).parameters.get(name)
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _is_categorical_crossentropy(loss):
    """Keras 2's `losses.is_categorical_crossentropy`: the name, the function or the Loss class."""
    from jkeras.losses import CategoricalCrossentropy

    if isinstance(loss, str):
        return loss == "categorical_crossentropy"
    if isinstance(loss, CategoricalCrossentropy):
        return True
    fn = getattr(loss, "fn", loss)
    return getattr(fn, "__name__", None) == "categorical_crossentropy"


def _predict(model, x, kwargs):
    """`model.predict(x, **kwargs)` as a NumPy array."""
    return np.asarray(model.predict(x, **kwargs))


class BaseWrapper(BaseEstimator):
    """Base class of Keras 2's scikit-learn wrappers (use `KerasClassifier` / `KerasRegressor`).

    `build_fn` builds, compiles and returns a new model on each `fit`. It is one of:
    1. a function;
    2. an instance of a class with a `__call__` method;
    3. None: the wrapper subclass's own `__call__` method is the build function.

    `sk_params` holds both model parameters (the arguments of `build_fn`, which should all have
    defaults) and the arguments of `Sequential.fit`, `predict`, `predict_proba` and `evaluate`
    (e.g. `epochs`, `batch_size`, `verbose`). A method's arguments are taken first from the
    keyword arguments given to that method, then from `sk_params`, then from the Keras defaults.
    scikit-learn's search tools may tune any `sk_params` entry, fitting arguments included.
    Keras 1's `nb_epoch` is accepted and passed to `fit` as `epochs`.

    Args:
        build_fn: callable building and compiling the model, or None (see above).
        **sk_params: model parameters and fitting parameters.

    Raises:
        ValueError: when an `sk_params` name is not a legal parameter.
    """

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _build_fn_signature_fn(self):
        """The callable whose arguments are `build_fn`'s model parameters."""
        if self.build_fn is None:
            return self.__call__
        if not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn.__call__
        return self.build_fn

    def check_params(self, params):
        """Checks for user typos in `params`.

        Args:
            params: dict of parameters to check.

        Raises:
            ValueError: if a name in `params` is neither an argument of `build_fn` nor of
                `Sequential.fit` / `predict` / `predict_proba` / `evaluate`.
        """
        legal_params_fns = list(_LEGAL_PARAMS_FNS) + [self._build_fn_signature_fn()]
        for params_name in params:
            if params_name == "nb_epoch" or any(_has_arg(fn, params_name) for fn in legal_params_fns):
                continue
            raise ValueError(f"{params_name} is not a legal parameter")

    def get_params(self, **params):
        """Gets the parameters of this estimator.

        Args:
            **params: ignored (`deep=` exists for scikit-learn compatibility).

        Returns:
            Dict of `build_fn` and the `sk_params` (the values themselves, as `sklearn.clone`
            requires).
        """
        del params
        res = dict(self.sk_params)
        res.update({"build_fn": self.build_fn})
        return res

    def set_params(self, **params):
        """Sets the parameters of this estimator.

        Args:
            **params: parameter names mapped to their values (`build_fn` or `sk_params` entries).

        Returns:
            self.

        Raises:
            ValueError: if a name in `params` is not a legal parameter.
        """
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def fit(self, x, y, **kwargs):
        """Builds a new model with `build_fn` and fits it to `(x, y)`.

        With a `categorical_crossentropy` loss, integer targets of shape `(n_samples,)` are
        one-hot encoded first.

        Args:
            x: array-like, shape `(n_samples, n_features)`: the training samples.
            y: array-like, shape `(n_samples,)` or `(n_samples, n_outputs)`: the targets.
            **kwargs: arguments of `Sequential.fit`, overriding `sk_params`.

        Returns:
            The `History` returned by the model's `fit`.
        """
        build = self._build_fn_signature_fn()
        self.model = (self.__call__ if self.build_fn is None else self.build_fn)(
            **self.filter_sk_params(build))
        y = np.asarray(y)
        if _is_categorical_crossentropy(self.model.loss) and len(y.shape) != 2:
            y = to_categorical(y, num_classes=getattr(self, "n_classes_", None))
        fit_args = copy.deepcopy(self.filter_sk_params(Sequential.fit))
        if "nb_epoch" in self.sk_params and "epochs" not in fit_args:
            fit_args["epochs"] = self.sk_params["nb_epoch"]
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def filter_sk_params(self, fn, override=None):
        """The `sk_params` entries that are arguments of `fn`, updated with `override`.

        Args:
            fn: a function.
            override: dict of values replacing those of `sk_params`.

        Returns:
            Dict of the names in both `sk_params` and `fn`'s arguments, to their values.
        """
        res = {name: value for name, value in self.sk_params.items() if _has_arg(fn, name)}
        res.update(override or {})
        return res

    def _check_fitted(self, method):
        if not hasattr(self, "model"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"{type(self).__name__}.{method}: call `fit` before `{method}`")


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """Keras 2's scikit-learn classifier around a model built by `build_fn` (see `BaseWrapper`).

    `fit` maps the labels through `np.unique` to class indices `0 .. n_classes - 1` (stored in
    `classes_` and `n_classes_`); 2-D targets with several columns are taken as one-hot and their
    classes are the column indices. `predict` maps the model's outputs back to the labels.

    Args:
        build_fn: callable building and compiling the model, or None.
        **sk_params: model parameters and fitting parameters.
    """

    def fit(self, x, y, **kwargs):
        """Builds a new model with `build_fn` and fits it to `(x, y)`.

        Args:
            x: array-like, shape `(n_samples, n_features)`: the training samples.
            y: array-like, shape `(n_samples,)`, `(n_samples, 1)` (labels) or
                `(n_samples, n_classes)` (one-hot): the targets.
            **kwargs: arguments of `Sequential.fit`, overriding `sk_params`.

        Returns:
            The `History` returned by the model's `fit`.

        Raises:
            ValueError: for a `y` of any other shape.
        """
        y = np.array(y)
        if len(y.shape) == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif (len(y.shape) == 2 and y.shape[1] == 1) or len(y.shape) == 1:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError("Invalid shape for y: " + str(y.shape))
        self.n_classes_ = len(self.classes_)
        return super().fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        """Returns the predicted class labels of `x`.

        The class is the argmax of the outputs, or `output > 0.5` for a single output unit.

        Args:
            x: array-like, shape `(n_samples, n_features)`: the test samples.
            **kwargs: arguments of `Sequential.predict`, overriding `sk_params`.

        Returns:
            Array of shape `(n_samples,)`: labels from `classes_`.
        """
        self._check_fitted("predict")
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        proba = _predict(self.model, x, kwargs)
        if proba.shape[-1] > 1:
            classes = proba.argmax(axis=-1)
        else:
            classes = (proba[..., 0] > 0.5).astype("int32")
        return self.classes_[classes]

    def predict_proba(self, x, **kwargs):
        """Returns the class probabilities of `x` (the model's outputs).

        Args:
            x: array-like, shape `(n_samples, n_features)`: the test samples.
            **kwargs: arguments of `Sequential.predict_proba`, overriding `sk_params`.

        Returns:
            Array of shape `(n_samples, n_outputs)`; for a single output unit (binary
            classification), shape `(n_samples, 2)`: `[1 - p, p]`, as scikit-learn expects.
        """
        self._check_fitted("predict_proba")
        kwargs = self.filter_sk_params(Sequential.predict_proba, kwargs)
        probs = _predict(self.model, x, kwargs)
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        """Returns the model's accuracy on `(x, y)`, as `evaluate` computes it.

        Args:
            x: array-like, shape `(n_samples, n_features)`: the test samples.
            y: array-like, shape `(n_samples,)` or `(n_samples, n_outputs)`: the true labels.
            **kwargs: arguments of `Sequential.evaluate`, overriding `sk_params`.

        Returns:
            The accuracy (a float).

        Raises:
            ValueError: if the model was not compiled with `metrics=["accuracy"]` (or `"acc"`).
        """
        self._check_fitted("score")
        y = np.searchsorted(self.classes_, np.asarray(y))
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        if _is_categorical_crossentropy(self.model.loss) and len(y.shape) != 2:
            y = to_categorical(y, num_classes=self.n_classes_)
        outputs = self.model.evaluate(x, y, **kwargs)
        if not isinstance(outputs, list):
            outputs = [outputs]
        for name, output in zip(self.model.metrics_names, outputs):
            if name in ("accuracy", "acc"):
                return output
        raise ValueError(_ACCURACY_ERROR)


class KerasRegressor(RegressorMixin, BaseWrapper):
    """Keras 2's scikit-learn regressor around a model built by `build_fn` (see `BaseWrapper`).

    `score` is minus the model's loss, so that greater is better.

    Args:
        build_fn: callable building and compiling the model, or None.
        **sk_params: model parameters and fitting parameters.
    """

    def predict(self, x, **kwargs):
        """Returns the model's predictions for `x`.

        Args:
            x: array-like, shape `(n_samples, n_features)`: the test samples.
            **kwargs: arguments of `Sequential.predict`, overriding `sk_params`.

        Returns:
            Array of shape `(n_samples,)` for a single output unit, else `(n_samples, n_outputs)`.
        """
        self._check_fitted("predict")
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        preds = _predict(self.model, x, kwargs)
        if preds.shape[-1] == 1:
            return np.squeeze(preds, axis=-1)
        return preds

    def score(self, x, y, **kwargs):
        """Returns minus the model's loss on `(x, y)`.

        Args:
            x: array-like, shape `(n_samples, n_features)`: the test samples.
            y: array-like, shape `(n_samples,)` or `(n_samples, n_outputs)`: the true targets.
            **kwargs: arguments of `Sequential.evaluate`, overriding `sk_params`.

        Returns:
            `-loss` (a float).
        """
        self._check_fitted("score")
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        if isinstance(loss, list):
            return -loss[0]
        return -loss

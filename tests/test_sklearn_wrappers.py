"""scikit-learn wrappers: Keras 2's `KerasClassifier` / `KerasRegressor` and Keras 3's `SKLearn*`.

References: scikit-learn's own metrics and estimator checks, NumPy formulas, and Keras 3 (its
`keras.wrappers` and plain Keras models trained from the same weights)."""
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._testing import SkipTest
from sklearn.utils.estimator_checks import estimator_checks_generator

import jkeras
from jkeras.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer
from jkeras.wrappers.scikit_learn import KerasClassifier, KerasRegressor

IRIS_X, IRIS_Y = load_iris(return_X_y=True)
IRIS_NAMES = np.array(["setosa", "versicolor", "virginica"])[IRIS_Y]
BIN_X, BIN_Y = make_classification(n_samples=160, n_features=6, n_informative=4, random_state=0)
BIN_X = BIN_X.astype("float32")
BIN_LABELS = np.array(["neg", "pos"])[BIN_Y]


def _optimizer(name, learning_rate):
    return {"adam": jkeras.optimizers.Adam, "rmsprop": jkeras.optimizers.RMSprop}[name](learning_rate=learning_rate)


def iris_model(units=8, optimizer="adam", learning_rate=0.05):
    """A Keras 2 tutorial-style build function (every argument has a default)."""
    model = jkeras.Sequential([jkeras.layers.Dense(units, input_dim=4, activation="relu"),
                               jkeras.layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=_optimizer(optimizer, learning_rate),
                  metrics=["accuracy"])
    return model


def binary_model(optimizer="adam", hidden=[8]):  # noqa: B006 (a list parameter, as in tutorials)
    model = jkeras.Sequential([jkeras.Input((BIN_X.shape[1],))])
    for units in hidden:
        model.add(jkeras.layers.Dense(units, activation="relu"))
    model.add(jkeras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=_optimizer(optimizer, 0.05), metrics=["accuracy"])
    return model


# ------------------------------------------------------------------------------------------------
# Keras 2: keras.wrappers.scikit_learn


def test_keras2_pipeline_cross_val_score_and_string_labels():
    estimator = KerasClassifier(build_fn=iris_model, epochs=15, batch_size=16, verbose=0)
    pipeline = Pipeline([("standardize", StandardScaler()), ("mlp", estimator)])
    scores = cross_val_score(pipeline, IRIS_X, IRIS_NAMES, cv=StratifiedKFold(2, shuffle=True, random_state=0))
    assert scores.shape == (2,) and scores.mean() > 0.6  # chance: 1/3

    pipeline.fit(IRIS_X, IRIS_NAMES)
    mlp = pipeline.named_steps["mlp"]
    np.testing.assert_array_equal(mlp.classes_, ["setosa", "versicolor", "virginica"])
    assert mlp.n_classes_ == 3
    predicted = pipeline.predict(IRIS_X)
    assert predicted.shape == (150,) and set(predicted) <= set(IRIS_NAMES)
    proba = pipeline.predict_proba(IRIS_X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(predicted, mlp.classes_[proba.argmax(axis=1)])
    # score is the model's accuracy from `evaluate`, equal to sklearn's accuracy of `predict`.
    np.testing.assert_allclose(pipeline.score(IRIS_X, IRIS_NAMES), accuracy_score(IRIS_NAMES, predicted),
                               atol=1e-6)


def test_keras2_grid_search_tunes_fit_and_build_params():
    model = KerasClassifier(build_fn=binary_model, epochs=10, batch_size=16, verbose=0)
    # Two candidates (each a fit and a build_fn parameter), two folds: five fits with the refit.
    param_grid = [dict(batch_size=[16], optimizer=["adam"]), dict(batch_size=[32], optimizer=["rmsprop"])]
    grid = GridSearchCV(estimator=model, param_grid=param_grid, cv=2)
    grid.fit(BIN_X, BIN_LABELS)
    assert len(grid.cv_results_["params"]) == 2
    assert grid.best_score_ > 0.6  # chance: 0.5
    best = grid.best_estimator_
    assert {k: best.get_params()[k] for k in ("batch_size", "optimizer")} == grid.best_params_
    assert type(best.model.optimizer).__name__.lower() == grid.best_params_["optimizer"]

    # One sigmoid unit: predict_proba is [1 - p, p] and predict thresholds p at 0.5.
    p = np.asarray(best.model.predict(BIN_X, verbose=0))[:, 0]
    proba = best.predict_proba(BIN_X)
    assert proba.shape == (len(BIN_X), 2)
    np.testing.assert_allclose(proba, np.stack([1 - p, p], axis=1), rtol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(best.predict(BIN_X), np.where(p > 0.5, "pos", "neg"))
    assert grid.score(BIN_X, BIN_LABELS) > 0.6


def _fixed_weights(seed, shapes):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=shape).astype("float32") for shape in shapes]


def test_keras2_classifier_matches_keras3_trained_from_same_weights():
    """Labels -> indices through np.unique, sigmoid output, full-batch SGD: as a plain Keras model."""
    weights = _fixed_weights(1, [(6, 5), (5,), (5, 1), (1,)])

    def build(module):
        model = module.Sequential([module.Input((6,)), module.layers.Dense(5, activation="tanh"),
                                   module.layers.Dense(1, activation="sigmoid")])
        model.set_weights(weights)
        model.compile(loss="binary_crossentropy", optimizer=module.optimizers.SGD(learning_rate=0.5),
                      metrics=["accuracy"])
        return model

    labels = np.array(["yes", "no"])[BIN_Y]  # "no" sorts first: class index 0 is "no"
    fit_args = dict(epochs=3, batch_size=len(BIN_X), shuffle=False, verbose=0)
    wrapper = KerasClassifier(build_fn=lambda: build(jkeras), **fit_args)
    wrapper.fit(BIN_X, labels)
    reference = build(keras)
    reference.fit(BIN_X, (labels == "yes").astype("float32"), **fit_args)
    p = reference.predict(BIN_X, verbose=0)[:, 0]
    np.testing.assert_allclose(wrapper.predict_proba(BIN_X), np.stack([1 - p, p], axis=1), atol=1e-5)
    np.testing.assert_array_equal(wrapper.predict(BIN_X), np.where(p > 0.5, "yes", "no"))
    np.testing.assert_allclose(wrapper.score(BIN_X, labels),
                               reference.evaluate(BIN_X, (labels == "yes").astype("float32"), verbose=0)[1],
                               atol=1e-6)


class RegressorBuilder:
    """A build_fn given as an instance with `__call__`."""

    def __call__(self, units=16, learning_rate=0.01):
        model = jkeras.Sequential([jkeras.layers.Dense(units, input_dim=5, activation="relu"),
                                   jkeras.layers.Dense(1)])
        model.compile(loss="mean_squared_error", optimizer=jkeras.optimizers.Adam(learning_rate=learning_rate))
        return model


def test_keras2_regressor_score_is_minus_mse_and_cross_validates():
    x, y = make_regression(n_samples=120, n_features=5, noise=0.1, random_state=0)
    x, y = x.astype("float32"), (y / y.std()).astype("float32")
    estimator = KerasRegressor(build_fn=RegressorBuilder(), units=8, epochs=5, batch_size=16, verbose=0)
    history = estimator.fit(x, y)
    assert len(history.history["loss"]) == 5
    predicted = estimator.predict(x)
    assert predicted.shape == (120,)
    np.testing.assert_allclose(estimator.score(x, y), -np.mean((predicted - y) ** 2), rtol=1e-4)
    scores = cross_val_score(estimator, x, y, cv=2)
    assert scores.shape == (2,) and np.all(scores < 0)


class SubclassedClassifier(KerasClassifier):
    """build_fn=None: the subclass's `__call__` builds the model."""

    def __call__(self, units=4, with_accuracy=False):
        model = jkeras.Sequential([jkeras.layers.Dense(units, input_dim=4, activation="relu"),
                                   jkeras.layers.Dense(3, activation="softmax")])
        # A Loss instance: `score` must still see categorical crossentropy and one-hot encode `y`.
        model.compile(loss=jkeras.losses.CategoricalCrossentropy(), optimizer="adam",
                      metrics=["accuracy"] if with_accuracy else None)
        return model


def test_keras2_build_fn_none_one_hot_targets_nb_epoch_and_missing_accuracy():
    estimator = SubclassedClassifier(units=3, nb_epoch=2, batch_size=50, verbose=0)
    one_hot = np.eye(3)[IRIS_Y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jkeras's Keras 1 `nb_epoch` note
        history = estimator.fit(IRIS_X, one_hot)
    assert len(history.history["loss"]) == 2  # Keras 1's nb_epoch reaches fit as epochs
    assert estimator.model.layers[0].units == 3  # sk_params reached __call__
    np.testing.assert_array_equal(estimator.classes_, [0, 1, 2])  # one-hot targets: column indices
    assert set(estimator.predict(IRIS_X)) <= {0, 1, 2}
    with pytest.raises(ValueError, match=r"not configured to compute accuracy.*metrics=\[\"accuracy\"\]"):
        estimator.score(IRIS_X, IRIS_Y)
    estimator.set_params(with_accuracy=True, nb_epoch=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(IRIS_X, IRIS_Y)  # integer labels, one-hot encoded for the Loss instance
    np.testing.assert_allclose(estimator.score(IRIS_X, IRIS_Y), accuracy_score(IRIS_Y, estimator.predict(IRIS_X)),
                               atol=1e-6)
    with pytest.raises(ValueError, match="^epoch is not a legal parameter$"):
        SubclassedClassifier(epoch=2)


def test_keras2_params_clone_and_illegal_params():
    estimator = KerasClassifier(build_fn=binary_model, hidden=[4, 4], epochs=3, batch_size=10, verbose=0)
    params = estimator.get_params()
    assert params == {"build_fn": binary_model, "hidden": [4, 4], "epochs": 3, "batch_size": 10, "verbose": 0}
    copy = clone(estimator)
    assert type(copy) is KerasClassifier and copy is not estimator
    assert copy.get_params() == params
    assert copy.set_params(epochs=7, optimizer="rmsprop") is copy
    assert copy.get_params()["epochs"] == 7 and estimator.get_params()["epochs"] == 3
    # Legal: build_fn's arguments and those of Sequential.fit / predict / predict_proba / evaluate.
    KerasClassifier(build_fn=binary_model, validation_split=0.1, steps=1, shuffle=False)
    with pytest.raises(ValueError, match="^learning_rate is not a legal parameter$"):
        KerasClassifier(build_fn=binary_model, learning_rate=0.1)
    with pytest.raises(ValueError, match="^epochz is not a legal parameter$"):
        estimator.set_params(epochz=3)
    assert estimator.filter_sk_params(jkeras.Sequential.fit, {"epochs": 1}) == {
        "epochs": 1, "batch_size": 10, "verbose": 0}
    assert estimator.filter_sk_params(binary_model) == {"hidden": [4, 4]}


# ------------------------------------------------------------------------------------------------
# Keras 3: keras.wrappers.SKLearnClassifier / SKLearnRegressor / SKLearnTransformer


def dynamic_model(X, y, loss, out_activation_function="softmax", layers=[10]):  # noqa: B006
    """Keras 3's wrapper-test model, built with jkeras."""
    inp = jkeras.Input(shape=(X.shape[1],))
    hidden = inp
    for layer_size in layers:
        hidden = jkeras.layers.Dense(layer_size, activation="relu")(hidden)
    n_outputs = y.shape[1] if len(y.shape) > 1 else 1
    out = [jkeras.layers.Dense(n_outputs, activation=out_activation_function)(hidden)]
    model = jkeras.Model(inp, out)
    model.compile(loss=loss, optimizer="rmsprop")
    return model


# The sklearn checks that need no fit (cheap), and per wrapper a few that train.
_CHEAP_CHECKS = {
    "check_estimator_cloneable", "check_estimator_tags_renamed", "check_valid_tag_types",
    "check_estimator_repr", "check_no_attributes_set_in_init", "check_estimators_unfitted",
    "check_do_not_raise_errors_in_init_or_set_params", "check_mixin_order",
    "check_estimators_empty_data_messages", "check_complex_data", "check_estimator_sparse_array",
    "check_estimator_sparse_matrix", "check_classifiers_one_label", "check_classifiers_regression_target",
    "check_supervised_y_no_nan", "check_parameters_default_constructible", "check_get_params_invariance",
    "check_set_params", "check_fit1d", "check_requires_y_none", "check_transformers_unfitted",
}
_TRAINING_CHECKS = {
    "SKLearnClassifier": {"check_estimators_overwrite_params", "check_n_features_in_after_fitting"},
    "SKLearnRegressor": {"check_regressors_train"},
    "SKLearnTransformer": {"check_estimators_fit_returns_self"},
}
_CHECKED = [
    SKLearnClassifier(model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy"},
                      fit_kwargs={"epochs": 1, "verbose": 0}),
    SKLearnRegressor(model=dynamic_model, model_kwargs={"loss": "mse"}, fit_kwargs={"verbose": 0}),
    SKLearnTransformer(model=dynamic_model, model_kwargs={"loss": "mse"}, fit_kwargs={"verbose": 0}),
]


def _selected_checks():
    for estimator in _CHECKED:
        wanted = _CHEAP_CHECKS | _TRAINING_CHECKS[type(estimator).__name__]
        for est, check in estimator_checks_generator(estimator, legacy=True):
            name = getattr(check, "func", check).__name__
            if name in wanted:
                wanted = wanted - {name}  # the first variant of each check only
                yield pytest.param(est, check, id=f"{type(estimator).__name__}-{name}")


@pytest.mark.parametrize("estimator, check", list(_selected_checks()))
def test_keras3_sklearn_estimator_checks(estimator, check):
    try:
        check(estimator)
    except SkipTest as skip:
        pytest.skip(str(skip))


def _keras3_pair(seed, n_in, n_out, activation, loss):
    """Callables building the same model (same weights) in jkeras and in Keras 3."""
    weights = _fixed_weights(seed, [(n_in, 6), (6,), (6, n_out), (n_out,)])

    def builder(module):
        def build(X, y):
            model = module.Sequential([module.Input((X.shape[1],)), module.layers.Dense(6, activation="tanh"),
                                       module.layers.Dense(y.shape[1], activation=activation)])
            model.set_weights(weights)
            model.compile(loss=loss, optimizer=module.optimizers.SGD(learning_rate=0.3))
            return model
        return build

    return builder(jkeras), builder(keras)


@pytest.mark.parametrize("kind", ["classifier", "regressor", "transformer"])
def test_keras3_wrappers_match_keras3_on_same_weights(kind):
    fit_kwargs = {"epochs": 2, "batch_size": 150, "shuffle": False, "verbose": 0}
    x = StandardScaler().fit_transform(IRIS_X)
    if kind == "classifier":
        ours, theirs = _keras3_pair(2, 4, 3, "softmax", "categorical_crossentropy")
        wrappers, y = (SKLearnClassifier, keras.wrappers.SKLearnClassifier), IRIS_NAMES
    else:
        ours, theirs = _keras3_pair(3, 4, 1, "linear", "mse")
        wrappers = ((SKLearnRegressor, keras.wrappers.SKLearnRegressor) if kind == "regressor"
                    else (SKLearnTransformer, keras.wrappers.SKLearnTransformer))
        y = IRIS_X[:, 0] - IRIS_X[:, 0].mean()
    mine = wrappers[0](model=ours, fit_kwargs=fit_kwargs).fit(x, y)
    reference = wrappers[1](model=theirs, fit_kwargs=fit_kwargs).fit(x, y)
    assert mine.n_features_in_ == reference.n_features_in_ == 4
    if kind == "classifier":
        np.testing.assert_array_equal(mine.classes_, reference.classes_)
        np.testing.assert_allclose(mine.decision_function(x), reference.decision_function(x), atol=1e-5)
        np.testing.assert_array_equal(mine.predict(x), reference.predict(x))
        assert set(mine.predict(x)) <= set(IRIS_NAMES)
        assert mine.score(x, y) == reference.score(x, y)
    elif kind == "regressor":
        assert mine.predict(x).shape == (150,)
        np.testing.assert_allclose(mine.predict(x), reference.predict(x), atol=1e-5)
        np.testing.assert_allclose(mine.score(x, y), reference.score(x, y), atol=1e-5)
    else:
        assert mine.transform(x).shape == (150, 1)
        np.testing.assert_allclose(mine.transform(x), reference.transform(x), atol=1e-5)


def test_keras3_model_instance_is_cloned_unless_warm_start():
    x, y = make_regression(n_samples=64, n_features=3, random_state=1)
    x, y = x.astype("float32"), (y / y.std()).astype("float32")
    given = jkeras.Sequential([jkeras.Input((3,)), jkeras.layers.Dense(1)])
    given.compile(loss="mse", optimizer=jkeras.optimizers.SGD(learning_rate=0.1))
    before = [w.copy() for w in given.get_weights()]
    fit_kwargs = {"epochs": 1, "batch_size": 64, "verbose": 0}

    cold = SKLearnRegressor(model=given, fit_kwargs=fit_kwargs).fit(x, y)
    assert cold.model_ is not given and cold.model_.loss == "mse"
    for old, new in zip(before, given.get_weights()):
        np.testing.assert_array_equal(old, new)  # the given model is untouched

    warm = SKLearnRegressor(model=given, warm_start=True, fit_kwargs=fit_kwargs).fit(x, y)
    assert warm.model_ is given
    once = [w.copy() for w in given.get_weights()]
    # One full-batch SGD step on the MSE of a linear model: w -= lr * 2/n X^T (Xw + b - y).
    residual = x @ before[0][:, 0] + before[1][0] - y
    np.testing.assert_allclose(once[0][:, 0], before[0][:, 0] - 0.1 * 2 / 64 * x.T @ residual, rtol=1e-4, atol=1e-5)
    warm.fit(x, y)  # keeps training the same model
    assert warm.model_ is given
    assert not np.allclose(given.get_weights()[0], once[0])
    assert clone(warm).get_params()["fit_kwargs"] == fit_kwargs


def test_keras3_classifier_rejects_continuous_and_single_class_targets():
    estimator = SKLearnClassifier(model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy"})
    with pytest.raises(ValueError, match="Only binary and multiclass target types are supported"):
        estimator.fit(IRIS_X, IRIS_X[:, 0])
    with pytest.raises(ValueError, match="only one class"):
        estimator.fit(IRIS_X[:10], np.zeros(10))

    def uncompiled(X, y):
        return jkeras.Sequential([jkeras.Input((4,)), jkeras.layers.Dense(3)])

    with pytest.raises(RuntimeError, match="needs to be compiled"):
        SKLearnClassifier(model=uncompiled).fit(IRIS_X, IRIS_Y)


def test_wrappers_import_sklearn_lazily_and_name_the_extra():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import jkeras, jkeras.wrappers\n"
        "for name in ('SKLearnClassifier', 'scikit_learn'):\n"
        "    try:\n"
        "        getattr(jkeras.wrappers, name)\n"
        "    except ImportError as error:\n"
        "        assert 'jkeras[examples]' in str(error), error\n"
        "    else:\n"
        "        raise AssertionError(name + ' imported without sklearn')\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]

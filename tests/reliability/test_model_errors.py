"""Bad input to models and to `compile` / `fit` / `evaluate` / `predict` (issue 10's catalogue,
model part). Each case raises a clear error before anything is compiled, and the model stays
usable: its weights are untouched and a correct `fit` / `predict` then runs."""
import warnings

import numpy as np
import pytest

import jkeras
from jkeras import layers as L

from reliability.catalogue import assert_clear_error

I = jkeras.Input
X = np.random.default_rng(0).standard_normal((16, 3)).astype("float32")
Y = np.random.default_rng(1).standard_normal((16, 4)).astype("float32")


def _model(loss="mse", activation=None):
    model = jkeras.Sequential([I((3,), name="features"), L.Dense(4, activation=activation, name="head")],
                              name="probe_model")
    model.compile(optimizer="sgd", loss=loss)
    return model


def _still_usable(model, x=X, y=Y):
    """A correct fit and predict run after the failed call (which compiled nothing: see
    `assert_clear_error`)."""
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.predict(x, verbose=0).shape == (len(x), 4)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


# ------------------------------------------------------------------------------------------------
# Graph construction


def test_disconnected_graph():
    a, b = I((3,), name="given"), I((3,), name="other")
    assert_clear_error(lambda: jkeras.Model(a, L.Dense(2, name="probe")(b)), ValueError,
                       ["Graph disconnected", "'other'"], "not among the model's inputs", "KerasTensor")


def test_input_that_reaches_no_output_warns_and_the_model_works():
    a, b = I((3,), name="used"), I((2,), name="unused")
    with pytest.warns(UserWarning, match=r"input 'unused' \(shape \(None, 2\)\) does not reach any output"):
        model = jkeras.Model([a, b], L.Dense(2)(a))
    assert model.predict([X, X[:, :2]], verbose=0).shape == (16, 2)


def test_duplicate_layer_names_functional():
    a = I((3,))
    h = L.Dense(2, name="twin")(a)
    assert_clear_error(lambda: jkeras.Model(a, L.Dense(2, name="twin")(h)), ValueError,
                       "Model", "should be unique", '"twin" is used 2 times')


def test_duplicate_layer_names_sequential():
    assert_clear_error(lambda: jkeras.Sequential([I((3,)), L.Dense(2, name="twin"), L.Dense(2, name="twin")]),
                       ValueError, "Sequential", "unique names", "'twin' is already in the model")


def test_model_called_on_an_incompatible_symbolic_input():
    model = _model()
    assert_clear_error(lambda: model(I((5,))), ValueError,
                       ["probe_model", "input 'features'"], "(None, 3)", "(None, 5)")
    _still_usable(model)


def test_model_called_eagerly_on_an_incompatible_array():
    model = _model()
    assert_clear_error(lambda: model(np.ones((2, 5), "float32")), ValueError,
                       ["probe_model", "'features'"], "(None, 3)", "(2, 5)")
    _still_usable(model)


def test_predict_on_an_incompatible_array():
    model = _model()
    # (2, 3, 1) would run: Keras 3 drops a trailing axis of size 1 (`_adjust_input_rank`).
    assert_clear_error(lambda: model.predict(np.ones((2, 3, 2)), verbose=0), ValueError,
                       ["predict", "'features'"], "(None, 3)", "(2, 3, 2)", before_compiling=True)
    _still_usable(model)


def test_wrong_number_of_inputs():
    a, b = I((3,), name="left"), I((3,), name="right")
    model = jkeras.Model([a, b], L.Add()([a, b]))
    assert_clear_error(lambda: model.predict(X, verbose=0), ValueError,
                       "predict", "pass a list of 2 arrays", "a single array", before_compiling=True)


def test_load_weights_of_another_architecture(tmp_path):
    other = jkeras.Sequential([I((3,)), L.Dense(5, name="head")])
    other.save_weights(tmp_path / "other.weights.h5")
    model = _model()
    assert_clear_error(lambda: model.load_weights(tmp_path / "other.weights.h5"), ValueError,
                       "head", "(3, 4)", "(3, 5)")
    _still_usable(model)


# ------------------------------------------------------------------------------------------------
# Losses whose targets do not fit the predictions (with a hint)


def test_one_hot_labels_given_to_sparse_crossentropy():
    model = _model("sparse_categorical_crossentropy", "softmax")
    one_hot = np.eye(4, dtype="float32")[np.arange(16) % 4]
    assert_clear_error(lambda: model.fit(X, one_hot, verbose=0), ValueError,
                       ["Output 'head'", "sparse_categorical_crossentropy"],
                       ["integer labels", "use loss='categorical_crossentropy'"], "(16, 4)", before_compiling=True)
    _still_usable(model, y=np.arange(16) % 4)


def test_integer_labels_given_to_categorical_crossentropy():
    model = _model("categorical_crossentropy", "softmax")
    labels = np.arange(16) % 4
    assert_clear_error(lambda: model.fit(X, labels, verbose=0), ValueError,
                       ["Output 'head'", "categorical_crossentropy"],
                       ["use loss='sparse_categorical_crossentropy'", "to_categorical(y, 4)"], "(16,)", before_compiling=True)
    _still_usable(model, y=np.eye(4, dtype="float32")[labels])


def test_regression_targets_of_another_width():
    model = _model("mse")
    assert_clear_error(lambda: model.fit(X, np.ones((16, 3)), verbose=0), ValueError,
                       ["Output 'head'", "'mse'"], "predictions' shape (None, 4)", "(16, 3)", before_compiling=True)
    _still_usable(model)


def test_targets_of_another_shape_after_a_successful_fit():
    model = _model("mse")
    model.fit(X, Y, verbose=0)
    assert_clear_error(lambda: model.fit(X, np.ones((16, 2)), verbose=0), ValueError,
                       "Output 'head'", "(None, 4)", "(16, 2)", before_compiling=True)
    _still_usable(model)


def test_validation_targets_of_another_shape():
    model = _model("mse")
    # (fit reads validation_data after putting the training data on the device, which may compile
    # small conversion programs; no step is traced.)
    assert_clear_error(lambda: model.fit(X, Y, validation_data=(X, np.ones((16, 5))), verbose=0), ValueError,
                       "Output 'head'", "(None, 4)", "(16, 5)")
    _still_usable(model)


def test_loss_shape_error_also_from_evaluate():
    model = _model("mse")
    assert_clear_error(lambda: model.evaluate(X, np.ones((16, 7)), verbose=0), ValueError,
                       "Output 'head'", "(None, 4)", "(16, 7)", before_compiling=True)
    _still_usable(model)


# ------------------------------------------------------------------------------------------------
# fit / evaluate / predict arguments and data

FIT_ARGUMENTS = [
    ("batch_size_zero", dict(batch_size=0), "batch_size", "positive int", "got 0"),
    ("batch_size_negative", dict(batch_size=-4), "batch_size", "positive int", "got -4"),
    ("batch_size_float", dict(batch_size=8.5), "batch_size", "positive int", "got 8.5"),
    ("validation_split_one", dict(validation_split=1.0), "validation_split", "[0, 1)", "got 1.0"),
    ("validation_split_negative", dict(validation_split=-0.1), "validation_split", "[0, 1)", "got -0.1"),
    ("validation_split_text", dict(validation_split="half"), "validation_split", "[0, 1)", "'half'"),
    ("validation_split_empties_training", dict(validation_split=0.99), "validation_split=0.99",
     "leaves no training", "out of 16"),
    ("epochs_negative", dict(epochs=-1), "epochs", "int >= 0", "got -1"),
    ("epochs_float", dict(epochs=1.5), "epochs", "int >= 0", "got 1.5"),
    ("initial_epoch_negative", dict(initial_epoch=-2), "initial_epoch", "int >= 0", "got -2"),
    ("steps_per_epoch_zero", dict(steps_per_epoch=0), "steps_per_epoch", "positive int or None", "got 0"),
    ("validation_steps_zero", dict(validation_steps=0, validation_split=0.25), "validation_steps",
     "positive int or None", "got 0"),
    ("validation_batch_size_zero", dict(validation_batch_size=0, validation_split=0.25),
     "validation_batch_size", "positive int", "got 0"),
    ("validation_freq_zero", dict(validation_freq=0), "validation_freq", "positive int", "got 0"),
]


@pytest.mark.parametrize("kwargs, place, expected, received",
                         [pytest.param(*case[1:], id=case[0]) for case in FIT_ARGUMENTS])
def test_bad_fit_argument(kwargs, place, expected, received):
    model = _model()
    assert_clear_error(lambda: model.fit(X, Y, verbose=0, **kwargs), ValueError, place, expected, received, before_compiling=True)
    _still_usable(model)


def test_predict_and_evaluate_batch_size():
    model = _model()
    assert_clear_error(lambda: model.predict(X, batch_size=0, verbose=0), ValueError,
                       "batch_size", "positive int", "got 0", before_compiling=True)
    assert_clear_error(lambda: model.evaluate(X, Y, batch_size=-1, verbose=0), ValueError,
                       "batch_size", "positive int", "got -1", before_compiling=True)
    _still_usable(model)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_empty_data(method):
    model = _model()
    args = (np.ones((0, 3)),) if method == "predict" else (np.ones((0, 3)), np.ones((0, 4)))
    assert_clear_error(lambda: getattr(model, method)(*args, verbose=0), ValueError,
                       method, "the data is empty", "0 samples")
    _still_usable(model)


def test_empty_generator():
    model = _model()
    assert_clear_error(lambda: model.fit(iter([]), verbose=0), ValueError,
                       "fit", "generator / iterable", "yielded no batch", before_compiling=True)
    _still_usable(model)


def test_sample_count_mismatch():
    model = _model()
    assert_clear_error(lambda: model.fit(X, Y[:10], verbose=0), ValueError,
                       ["fit", "'x' (features)"], "the same number of samples", ["16", "10"], before_compiling=True)
    _still_usable(model)


def test_text_data():
    model = _model()
    assert_clear_error(lambda: model.predict(np.array([["a", "b", "c"]]), verbose=0), ValueError,
                       "input 'features'", "numeric array", "<U1", before_compiling=True)
    _still_usable(model)


def test_fit_before_compile():
    model = jkeras.Sequential([I((3,)), L.Dense(4)])
    assert_clear_error(lambda: model.fit(X, Y, verbose=0), RuntimeError,
                       "`fit`", "call `compile()`", "needs a loss and an optimizer", before_compiling=True)


def test_unknown_loss_and_optimizer_names():
    model = jkeras.Sequential([I((3,)), L.Dense(4)])
    assert_clear_error(lambda: model.compile("sgd", "msee"), ValueError, "loss", "Valid names are", "'msee'")
    assert_clear_error(lambda: model.compile("sgdd", "mse"), ValueError, "optimizer", "'adam'", "'sgdd'")


# ------------------------------------------------------------------------------------------------
# NaN / Inf in the data with jkeras.utils.check_numerics on


@pytest.mark.parametrize("where", ["x", "y"])
def test_check_numerics_names_the_bad_array(where):
    model = _model()
    x, y = X.copy(), Y.copy()
    (x if where == "x" else y)[5, 1] = np.nan if where == "x" else np.inf
    place = "input 'features'" if where == "x" else "target 'head'"
    with jkeras.utils.check_numerics():
        assert_clear_error(lambda: model.fit(x, y, verbose=0), ValueError,
                           ["fit", place], "finite values", ["NaN/Inf", "sample 5", "(5, 1)"], before_compiling=True)
        _still_usable(model)


def test_check_numerics_covers_predict_and_generators():
    model = _model()
    bad = X.copy()
    bad[3, 0] = -np.inf

    def batches():
        yield X[:8], Y[:8]
        yield bad[:8], Y[:8]

    with jkeras.utils.check_numerics(True):
        assert_clear_error(lambda: model.predict(bad, verbose=0), ValueError,
                           ["predict", "'features'"], "finite values", "-inf at sample 3", before_compiling=True)
        with pytest.raises(Exception, match=r"-inf at sample 3"):
            model.fit(batches(), verbose=0)
    _still_usable(model)


def test_check_numerics_is_a_switch():
    assert not jkeras.utils.check_numerics.__module__.endswith("legacy")
    bad = X.copy()
    bad[0, 0] = np.nan
    model = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(model.fit(bad, Y, verbose=0).history["loss"][0])  # off by default
    jkeras.utils.check_numerics(True)
    try:
        with pytest.raises(ValueError, match="check_numerics is on"):
            _model().fit(bad, Y, verbose=0)
        with jkeras.utils.check_numerics(False):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                _model().fit(bad, Y, verbose=0)
        with pytest.raises(ValueError, match="check_numerics is on"):  # restored on exit
            _model().fit(bad, Y, verbose=0)
    finally:
        jkeras.utils.check_numerics(False)
    with pytest.raises(TypeError, match="enabled must be True or False, got 'yes'"):
        jkeras.utils.check_numerics("yes")

"""Small models and data shared by the saving tests (as fixtures)."""
import numpy as np
import pytest

import jkeras


def _sequential(lib=jkeras):
    return lib.Sequential([
        lib.layers.Input((4,)),
        lib.layers.Dense(8, activation="relu", name="hidden"),
        lib.layers.BatchNormalization(name="norm"),
        lib.layers.Dense(3, activation="softmax", name="probs"),
    ], name="mlp")


def _functional(lib=jkeras):
    """Two inputs, two outputs, a layer shared by both branches, a nested Sequential and a nested
    functional model."""
    L = lib.layers
    a, b = lib.Input((4,), name="a"), lib.Input((3,), name="b")
    shared = L.Dense(5, activation="tanh", name="shared")
    inner_in = lib.Input((5,), name="inner_in")
    inner = lib.Model(inner_in, L.Dense(4, name="inner_dense")(L.BatchNormalization(name="inner_bn")(inner_in)),
                      name="inner")
    tower = lib.Sequential([lib.Input((4,)), L.Dense(2, name="tower_dense")], name="tower")
    left = tower(inner(shared(a)))
    right = shared(L.Dense(4, name="b_proj")(b))
    merged = L.Concatenate(name="merge")([left, right])
    out_class = L.Dense(3, activation="softmax", name="cls")(merged)
    out_reg = L.Dense(1, name="reg")(right)
    return lib.Model([a, b], [out_class, out_reg], name="two_io")


@pytest.fixture(scope="session")
def sequential_model():
    """`make(lib=jkeras)` -> an uncompiled Sequential (Dense, BatchNormalization, Dense)."""
    return _sequential


@pytest.fixture(scope="session")
def functional_model():
    """`make(lib=jkeras)` -> an uncompiled two-input, two-output functional model."""
    return _functional


@pytest.fixture(scope="session")
def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((48, 4)).astype("float32")
    xb = rng.standard_normal((48, 3)).astype("float32")
    y = rng.integers(0, 3, 48).astype("int32")
    y_reg = rng.standard_normal((48, 1)).astype("float32")
    return {"x": x, "xb": xb, "y": y, "y_reg": y_reg}


@pytest.fixture(scope="module")
def trained_sequential(data):
    """A compiled Sequential trained for 2 epochs (shared by a module's tests: do not train it further)."""
    jkeras.utils.set_random_seed(0)
    model = _sequential()
    model.compile(optimizer=jkeras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(data["x"], data["y"], epochs=2, batch_size=16, verbose=0)
    return model


def assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="session")
def same_weights():
    return assert_same_weights


"""Found by running keras-io vision examples (Keras 3 versions) on jkeras; each test compares with
Keras 3 running the same code."""
import io
import contextlib

import keras
import numpy as np

import jkeras


def _ops_model(k):
    # deeplabv3_plus.py (`ops.nn.relu` on a layer output), pointnet_segmentation.py (`ops.tile`),
    # plus the Python operators a tutorial applies to symbolic tensors.
    k.backend.clear_session()
    inputs = k.Input((4, 3))
    x = k.ops.nn.relu(k.layers.Dense(3)(inputs))
    x = k.ops.tile(x[:, :1], [1, 4, 1]) * 2.0 - x
    x = k.ops.expand_dims(x / 3.0, -1)
    return k.Model(inputs, x)


def test_symbolic_ops_are_named_and_typed_in_the_summary_as_keras_3():
    ref, ours = _ops_model(keras), _ops_model(jkeras)
    ref_ops = [(op.name, type(op).__name__) for op in ref.operations[2:]]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ours.summary()
    for name, kind in ref_ops:  # ('relu', 'Relu'), ('get_item', 'GetItem'), ('multiply', 'Multiply') ...
        assert f"{name} ({kind})" in buf.getvalue()
    ours.set_weights(ref.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-5, atol=1e-6)


def test_setting_a_layer_activation_to_none_removes_it_as_in_keras():
    # grad_cam.py: `model.layers[-1].activation = None` to get logits instead of the softmax.
    def build(k):
        inputs = k.Input((3,))
        x = k.layers.Conv2D(2, 1, activation="relu")(k.layers.Reshape((1, 1, 3))(inputs))
        model = k.Model(inputs, k.layers.Dense(4, activation="softmax")(k.layers.Flatten()(x)))
        model.layers[-1].activation = None
        model.layers[2].activation = None
        return model

    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    x = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_a_nested_functional_model_shows_as_functional_in_the_summary():
    # siamese_contrastive.py, supervised-contrastive-learning.py: a functional encoder inside a model.
    def build(k):
        k.backend.clear_session()
        inner_in = k.Input((3,))
        encoder = k.Model(inner_in, k.layers.Dense(2)(inner_in), name="encoder")
        inputs = k.Input((3,))
        return k.Model(inputs, k.layers.Dense(1)(encoder(inputs)))

    ref, ours = build(keras), build(jkeras)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ours.summary()
    assert f"encoder ({type(ref.layers[1]).__name__})" in buf.getvalue()  # "encoder (Functional)"


def test_an_activity_regularizer_that_mixes_rows_sees_no_padding_in_a_short_last_batch():
    # pointnet.py / pointnet_segmentation.py: OrthogonalRegularizer compares every pair of rows, so
    # the padded rows of a short last batch changed evaluate's loss (68.9 against 2.13) and the fit.
    def build(k):
        class Orthogonal(k.regularizers.Regularizer):
            def __call__(self, x):
                x = k.ops.reshape(x, (-1, 2, 2))
                xxt = k.ops.reshape(k.ops.tensordot(x, x, axes=(2, 2)), (-1, 2, 2))
                return k.ops.sum(0.01 * k.ops.square(xxt - k.ops.eye(2)))

        inputs = k.Input((3,))
        x = k.layers.Dense(4, activity_regularizer=Orthogonal())(inputs)
        model = k.Model(inputs, k.layers.Dense(1)(x))
        model.compile(loss="mse")
        return model

    ref, ours = build(keras), build(jkeras)
    ours.set_weights(ref.get_weights())
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 1)).astype("float32")
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=4, verbose=0),
                               ref.evaluate(x, y, batch_size=4, verbose=0), rtol=1e-5)

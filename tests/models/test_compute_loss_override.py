"""A model overriding Keras 3's `compute_loss` trains and evaluates with it (the keras-io
knowledge-distillation example's `Distiller`), checked against Keras 3 running the same code."""
import keras
import numpy as np
import pytest

import jkeras

rng = np.random.default_rng(0)
X = rng.normal(size=(30, 6)).astype("float32")
Y = rng.integers(0, 3, size=(30,)).astype("int32")


def _net(lib, seed):
    return lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="relu"), lib.layers.Dense(3)])


def _set_weights(model, seed):
    r = np.random.default_rng(seed)
    model.set_weights([r.normal(size=w.shape).astype("float32") * 0.5 for w in model.get_weights()])


def _distiller(lib):
    ops = lib.ops

    class Distiller(lib.Model):
        def __init__(self, student, teacher):
            super().__init__()
            self.teacher = teacher
            self.student = student

        def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1, temperature=3):
            super().compile(optimizer=optimizer, metrics=metrics)
            self.student_loss_fn = student_loss_fn
            self.distillation_loss_fn = distillation_loss_fn
            self.alpha = alpha
            self.temperature = temperature

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
            teacher_pred = self.teacher(x, training=False)
            student_loss = self.student_loss_fn(y, y_pred)
            distillation_loss = self.distillation_loss_fn(
                ops.softmax(teacher_pred / self.temperature, axis=1),
                ops.softmax(y_pred / self.temperature, axis=1),
            ) * (self.temperature ** 2)
            return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

        def call(self, x):
            return self.student(x)

    return Distiller


def _run_distiller(lib):
    teacher, student = _net(lib, 1), _net(lib, 2)
    _set_weights(teacher, 1)
    _set_weights(student, 2)
    distiller = _distiller(lib)(student=student, teacher=teacher)
    distiller.compile(
        optimizer=lib.optimizers.Adam(0.01),
        metrics=[lib.metrics.SparseCategoricalAccuracy()],
        student_loss_fn=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
        distillation_loss_fn=lib.losses.KLDivergence(),
        alpha=0.1,
        temperature=10,
    )
    history = distiller.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    evaluated = distiller.evaluate(X, Y, batch_size=8, verbose=0, return_dict=True)
    return history, evaluated, student.get_weights(), teacher.get_weights()


def test_distiller_compute_loss_override_trains_as_keras():
    k_hist, k_eval, k_student, k_teacher = _run_distiller(keras)
    j_hist, j_eval, j_student, j_teacher = _run_distiller(jkeras)
    assert list(j_hist) == list(k_hist)
    for key in k_hist:
        np.testing.assert_allclose(j_hist[key], k_hist[key], rtol=1e-4, atol=1e-6, err_msg=key)
    assert list(j_eval) == list(k_eval)
    np.testing.assert_allclose(list(j_eval.values()), list(k_eval.values()), rtol=1e-4, atol=1e-6)
    for got, expected in zip(j_student + j_teacher, k_student + k_teacher):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def _super_override(lib, takes_training):
    class Model(lib.Model):
        def __init__(self):
            super().__init__()
            self.dense = lib.layers.Dense(1, kernel_regularizer=lib.regularizers.L2(0.1))
            self.seen = []

        def call(self, x):
            self.add_loss(0.01 * lib.ops.sum(lib.ops.abs(x)))
            return self.dense(x)

    if takes_training:
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            self.seen.append(training)
            return 2.0 * super(type(self), self).compute_loss(x, y, y_pred, sample_weight, training=training)
    else:
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            return 2.0 * super(type(self), self).compute_loss(x, y, y_pred, sample_weight)
    Model.compute_loss = compute_loss
    return Model()


@pytest.mark.parametrize("takes_training", [True, False])
def test_override_calling_super_keeps_regularization_and_added_losses_as_keras(takes_training):
    x = np.concatenate([X, X[:2]])  # whole batches: an added loss summed over a batch sees no padding
    y = rng.normal(size=(32, 1)).astype("float32")

    def run(lib):
        model = _super_override(lib, takes_training)
        model(X[:2])
        r = np.random.default_rng(3)
        model.set_weights([r.normal(size=w.shape).astype("float32") for w in model.get_weights()])
        model.compile(optimizer=lib.optimizers.SGD(0.01), loss="mse")
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        return history["loss"], model.evaluate(x, y, batch_size=8, verbose=0), model.get_weights(), model.seen

    k_loss, k_eval, k_weights, k_seen = run(keras)
    j_loss, j_eval, j_weights, j_seen = run(jkeras)
    np.testing.assert_allclose(j_loss, k_loss, rtol=1e-4)
    np.testing.assert_allclose(j_eval, k_eval, rtol=1e-4)
    for got, expected in zip(j_weights, k_weights):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    if takes_training:  # jkeras traces each program once (Keras 3 too: seen per trace)
        assert set(j_seen) == set(k_seen) == {True, False}

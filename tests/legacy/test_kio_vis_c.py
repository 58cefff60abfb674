"""Found by running keras-io vision examples (Keras 3 versions, third part of the list) on jkeras;
each test compares with Keras 3 running the same code."""
import keras
import numpy as np

import jkeras

X = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(6, 2)).astype("float32")


def _fit_both(build, *data, **fit_kwargs):
    """Builds the model in Keras 3 and in jkeras, gives jkeras Keras 3's weights, trains both with
    SGD on `data` and returns the two histories."""
    keras.backend.clear_session()
    jkeras.backend.clear_session()
    ref, ours = build(keras), build(jkeras)
    ref(X[:2])
    ours(X[:2])
    ours.set_weights(ref.get_weights())
    histories = []
    for model in (ref, ours):
        model.compile(optimizer="sgd", loss="mse")
        histories.append(model.fit(*data, batch_size=3, epochs=2, shuffle=False, verbose=0, **fit_kwargs).history)
    return histories


def test_fit_without_targets_when_compute_loss_takes_them_from_the_outputs():
    # masked_image_modeling.py (Keras 3 form): the model returns (masked patches, reconstruction)
    # and its `compute_loss` compares the two; `fit(x)` gets no `y`, which Keras 3 passes on as None.
    def build(k):
        class AutoEncoder(k.Model):
            def __init__(self):
                super().__init__()
                self.dense = k.layers.Dense(3)

            def call(self, x):
                return x, self.dense(x)

            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                target, reconstruction = y_pred
                return super().compute_loss(x=x, y=target, y_pred=reconstruction, training=training)

        return AutoEncoder()

    ref, ours = _fit_both(build, X, validation_data=(X[:3],))
    assert sorted(ours) == sorted(ref) == ["loss", "val_loss"]
    for key in ref:
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-5)


def test_a_sequential_with_no_input_shape_called_only_in_training():
    # masked_image_modeling.py: `MaskedAutoencoder` holds a train and a test augmentation
    # `Sequential` (no `Input`) and calls the first only when training; the model's build ran the
    # test branch, which left the train model marked built with no graph, and `fit` failed.
    def build(k):
        class Model(k.Model):
            def __init__(self):
                super().__init__()
                self.train_augmentation = k.Sequential([k.layers.Rescaling(0.5)], name="train_aug")
                self.test_augmentation = k.Sequential([k.layers.Rescaling(2.0)], name="test_aug")
                self.dense = k.layers.Dense(2)

            def call(self, x, training=False):
                if training:
                    return self.dense(self.train_augmentation(x))
                return self.dense(self.test_augmentation(x))

        return Model()

    ref, ours = _fit_both(build, X, Y)
    np.testing.assert_allclose(ours["loss"], ref["loss"], rtol=1e-5)

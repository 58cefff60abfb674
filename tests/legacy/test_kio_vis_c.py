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
        histories.append(model.fit(*data, batch_size=3, epochs=1, shuffle=False, verbose=0, **fit_kwargs).history)
    return histories


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


def _dataset(k, batches):
    class Batches(k.utils.PyDataset):
        def __len__(self):
            return len(batches)

        def __getitem__(self, index):
            return batches[index]

    return Batches()


def _auto_encoder(k):
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


def test_fit_without_targets_when_compute_loss_takes_them_from_the_outputs():
    # masked_image_modeling.py (Keras 3 form): the model returns (masked patches, reconstruction)
    # and its `compute_loss` compares the two; `fit(x)` gets no `y`, which Keras 3 passes on as None.
    ref, ours = _fit_both(_auto_encoder, X, validation_data=(X[:3],))
    assert sorted(ours) == sorted(ref) == ["loss", "val_loss"]
    for key in ref:
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-5)


def test_a_py_dataset_yielding_x_alone():
    # metric_learning.py: `AnchorPositivePairs.__getitem__` returns one array, no (x, y) tuple;
    # Keras 3 takes it as `x` (`unpack_x_y_sample_weight`), jkeras raised "must yield a tuple".
    histories = []
    for k in (keras, jkeras):
        model = _auto_encoder(k)
        model(X[:2])
        if histories:
            model.set_weights(weights)
        weights = model.get_weights()
        model.compile(optimizer="sgd", loss="mse")
        histories.append(model.fit(_dataset(k, [X[:3], X[3:]]), epochs=2, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-4)


def test_targets_of_a_custom_train_step_are_not_checked_against_the_compiled_loss():
    # metric_learning.py: the batches are (anchors, positives) images; the step embeds both and
    # gives the compiled sparse crossentropy class indices. jkeras checked the positives, as targets,
    # against the loss before training ("cannot compare targets of shape (4, 3)").
    import jax

    def build(k):
        ops = k.ops

        class Embedding(k.Model):
            def loss_and_updates(self, trainable, non_trainable, anchors, positives):
                a, non_trainable = self.stateless_call(trainable, non_trainable, anchors, training=True)
                p, non_trainable = self.stateless_call(trainable, non_trainable, positives, training=True)
                similarities = ops.einsum("ae,pe->ap", a, p) / 0.2
                return self.compute_loss(y=ops.arange(4), y_pred=similarities), non_trainable

            def train_step(self, state, data):
                trainable, non_trainable, optimizer_variables, metrics_variables = state
                anchors, positives = data
                (loss, non_trainable), grads = jax.value_and_grad(self.loss_and_updates, has_aux=True)(
                    trainable, non_trainable, anchors, positives)
                trainable, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, grads, trainable)
                tracker = self.metrics[0]
                metrics_variables = tracker.stateless_update_state(metrics_variables[:len(tracker.variables)], loss)
                logs = {"loss": tracker.stateless_result(metrics_variables)}
                return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)

        inputs = k.Input((3,))
        return Embedding(inputs, ops.normalize(k.layers.Dense(5)(inputs), axis=-1))

    histories = []
    for k in (keras, jkeras):
        model = build(k)
        if histories:
            model.set_weights(weights)
        weights = model.get_weights()
        model.compile(optimizer=k.optimizers.SGD(0.5), loss=k.losses.SparseCategoricalCrossentropy(from_logits=True))
        # Keras 3 would build its compiled loss on the positives: the example builds it on labels
        model.compute_loss(y=k.ops.arange(4), y_pred=k.ops.eye(4))
        model.optimizer.build(model.trainable_variables)
        batches = [(X[:4], X[1:5]), (X[2:], X[:4])]
        histories.append(model.fit(_dataset(k, batches), epochs=1, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-5)


def test_optimizer_built_before_fit_keeps_its_state():
    # metric_learning.py (Keras 3 form): `model.optimizer.build(model.trainable_variables)` before
    # `fit`; jkeras then compared the missing optimizer structure with None and raised a TypeError.
    keras.backend.clear_session()
    jkeras.backend.clear_session()
    models = []
    for k in (keras, jkeras):
        model = k.Sequential([k.Input((3,)), k.layers.Dense(2)])
        model.compile(optimizer=k.optimizers.Adam(0.1), loss="mse")
        models.append(model)
    ref, ours = models
    ours.set_weights(ref.get_weights())
    for model in models:
        model.optimizer.build(model.trainable_variables)
        model.fit(X, Y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ref.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_a_merge_layer_broadcasts_a_batch_of_one_inside_a_model():
    # perceiver_image_classification.py: the cross-attention model adds its latent input, fed as
    # `expand_dims(latent_array, 0)` (batch 1), to the attention output of a batch of images;
    # Keras 3 checks batch sizes when the layer is built, jkeras in every call.
    outputs = []
    for k in (keras, jkeras):
        a, b = k.Input((3,)), k.Input((3,))
        model = k.Model([a, b], [k.layers.Add()([a, b]), k.layers.Multiply()([a, b])])
        outputs.append(model([X[:1], X[1:4]]))
    for ref, ours in zip(*outputs):
        assert tuple(ours.shape) == tuple(ref.shape) == (3, 3)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(ref), rtol=1e-6)


def test_a_module_level_sequential_called_in_call_keeps_its_weights_out_of_the_model():
    # perceiver_image_classification.py: `call` runs the module-level `data_augmentation`
    # Sequential (an adapted Normalization first); Keras 3 leaves its weights out of the model's,
    # jkeras took its state for the model's own weights and failed to build.
    results = []
    for k in (keras, jkeras):
        k.backend.clear_session()  # the auto-names in the weight paths count from 0
        augmentation = k.Sequential([k.layers.Normalization(), k.layers.Rescaling(2.0)])
        augmentation.layers[0].adapt(X)

        class Model(k.Model):
            def __init__(self):
                super().__init__()
                self.dense = k.layers.Dense(2, kernel_initializer="ones")

            def call(self, x):
                return self.dense(augmentation(x))

        model = Model()
        out = model(X)
        results.append(([w.path for w in model.weights], np.asarray(out)))
    (ref_paths, ref_out), (paths, out) = results
    assert paths == ref_paths == ["model/dense/kernel", "model/dense/bias"]
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-6)


def test_model_metrics_list_the_compile_metrics_from_compile_on():
    # consistency_training.py reads `{m.name: m.result() for m in self.metrics}`; Keras 3 lists
    # its compile metrics from `compile` on, jkeras only once the first batch built them.
    names = []
    for k in (keras, jkeras):
        model = k.Sequential([k.Input((3,)), k.layers.Dense(2)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        before = [m.name for m in model.metrics]
        model.fit(X, Y, verbose=0)
        names.append((before, [m.name for m in model.metrics]))
    assert names[1] == names[0] == (["loss", "compile_metrics"], ["loss", "compile_metrics"])


def test_a_symbolic_reshape_regrouping_an_unknown_batch():
    # semantic_image_clustering.py: `reshape(neighbours, (-1,) + image_shape)` folds k neighbours
    # into the batch, the clustering model runs, and `reshape(..., (-1, k_neighbours, clusters))`
    # regroups them; jkeras traced the unknown batch as 7 rows, which 3 does not divide.
    results = []
    for k in (keras, jkeras):
        inputs = k.Input((3, 2))
        rows = k.ops.reshape(inputs, (-1, 2))
        grouped = k.ops.reshape(rows * 2.0, (-1, 3, k.ops.shape(rows)[-1]))
        model = k.Model(inputs, grouped)
        results.append((tuple(model.output.shape), np.asarray(model(X.reshape(3, 3, 2)))))
    (ref_shape, ref), (shape, out) = results
    assert shape == ref_shape == (None, 3, 2)
    np.testing.assert_allclose(out, ref)


def test_the_first_eager_call_builds_the_layer_with_the_mask_it_was_given():
    # image_captioning.py: `TransformerDecoderBlock.call(inputs, encoder_outputs, training,
    # mask=None)` defines its attention masks only `if mask is not None`; jkeras built the layer by
    # calling it on zeros without the mask, and the call failed (UnboundLocalError).
    outputs = []
    for k in (keras, jkeras):
        class Block(k.layers.Layer):
            def __init__(self):
                super().__init__()
                self.dense = k.layers.Dense(2, kernel_initializer="ones")

            def call(self, inputs, mask=None):
                if mask is not None:
                    weights = k.ops.cast(mask, "float32")[..., None]
                return self.dense(inputs) * weights

        mask = np.array([[True, False, True], [False, True, True]])
        outputs.append(np.asarray(Block()(X.reshape(2, 3, 3), mask=mask)))
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-6)

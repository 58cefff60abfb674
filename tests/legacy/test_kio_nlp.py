"""keras-io NLP / timeseries examples (Keras 3 versions) run with NumPy data instead of tf.data.

Keras 3's StringLookup / TextVectorization need TensorFlow (not installed here), so those checks
compare with the formulas Keras documents, written in NumPy."""
import numpy as np

import jkeras
from jkeras import layers


def test_string_lookup_multi_hot_on_ragged_token_lists():
    # multi_label_classification.py: lookup = StringLookup(output_mode="multi_hot");
    # lookup.adapt(tf.ragged.constant(terms)); lookup(tf.ragged.constant(terms)). NumPy form: a
    # list (or pandas' object array) of token lists of different lengths.
    terms = [["cs.LG", "cs.CV"], ["cs.CV"], ["stat.ML", "cs.CV", "cs.LG"]]
    lookup = layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(np.array(terms + [[]], dtype=object))
    # Vocabulary by decreasing count, ties by decreasing token, after the OOV token.
    assert lookup.get_vocabulary() == ["[UNK]", "cs.CV", "cs.LG", "stat.ML"]
    out = np.asarray(lookup([["cs.LG", "cs.CV"], ["math.ST"], [], ["stat.ML", "cs.LG", "cs.LG"]]))
    np.testing.assert_array_equal(out, [[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1]])

    tfidf = layers.StringLookup(output_mode="tf_idf")
    tfidf.adapt(terms)  # each row is a document
    docs = np.array([3, 2, 1])  # documents containing cs.CV, cs.LG, stat.ML
    idf = np.log(1 + 3 / (1 + docs))
    expect = np.array([[0, idf[0], 2 * idf[1], 0]])
    np.testing.assert_allclose(np.asarray(tfidf([["cs.LG", "cs.CV", "cs.LG"], ["cs.CV"]]))[:1], expect, rtol=1e-6)

    try:
        layers.StringLookup(vocabulary=["a", "b"])([["a"], ["a", "b"]])
    except ValueError as e:
        assert "string_lookup" in str(e) and "output_mode='int'" in str(e) and "[1, 2]" in str(e)
    else:
        raise AssertionError("a ragged batch in int mode must raise")


def _mlm_history(k, weights=None):
    # masked_language_modeling.py (Keras 3): a Model subclass whose compute_loss updates a Mean
    # tracker of its own (listed by a `metrics` property) and whose compute_metrics returns it.
    loss_fn = k.losses.SparseCategoricalCrossentropy(reduction=None)
    loss_tracker = k.metrics.Mean(name="loss")

    class MaskedLanguageModel(k.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            loss = loss_fn(y, y_pred, sample_weight)
            loss_tracker.update_state(loss, sample_weight=sample_weight)
            return k.ops.sum(loss)

        def compute_metrics(self, x, y, y_pred, sample_weight):
            return {"loss": loss_tracker.result()}

        @property
        def metrics(self):
            return [loss_tracker]

    inputs = k.layers.Input((6,), dtype="int32")
    outputs = k.layers.Dense(20, activation="softmax")(k.layers.Embedding(20, 4)(inputs))
    model = MaskedLanguageModel(inputs, outputs)
    model.compile(optimizer=k.optimizers.SGD(0.1))
    if weights is not None:
        model.set_weights(weights)
    r = np.random.RandomState(0)
    x, y = r.randint(0, 20, (8, 6)), r.randint(0, 20, (8, 6))
    sw = (r.uniform(size=(8, 6)) < 0.3).astype("float32")
    start = model.get_weights()
    history = model.fit(x, y, sample_weight=sw, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    return model, start, history["loss"], (x, y, sw)


def test_compute_loss_updating_own_metric_and_compute_metrics_override_match_keras():
    import keras

    k_model, start, k_losses, _ = _mlm_history(keras)
    j_model, _, j_losses, (x, y, sw) = _mlm_history(jkeras, start)
    # "loss" is the tracker's weighted mean of the per-token losses, not compute_loss's sum.
    np.testing.assert_allclose(j_losses, k_losses, rtol=1e-5)
    # evaluate: the same mean over the data, on the weights Keras trained (NumPy forward pass).
    table, kernel, bias = k_model.get_weights()
    logits = table[x] @ kernel + bias
    log_p = logits - logits.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_p, y[..., None], -1)[..., 0]
    expected = (nll * sw).sum() / sw.sum()
    np.testing.assert_allclose(j_model.evaluate(x, y, sample_weight=sw, batch_size=4, verbose=0), expected, rtol=1e-5)


def test_layers_set_before_super_init_are_tracked():
    # text_classification_with_switch_transformer.py: Router / Switch set their Dense layers and
    # the list of expert networks before calling `super().__init__()`.
    import keras

    def build(k):
        class Router(k.layers.Layer):
            def __init__(self, units):
                self.route = k.layers.Dense(units)
                self.experts = [k.layers.Dense(units) for _ in range(2)]
                super().__init__()

            def call(self, x):
                return self.route(x) + self.experts[0](x) * self.experts[1](x)

        inputs = k.Input((4,))
        return k.Model(inputs, Router(3)(inputs))

    reference, model = build(keras), build(jkeras)
    assert [w.shape for w in model.weights] == [tuple(w.shape) for w in reference.weights]
    model.set_weights(reference.get_weights())
    x = np.random.RandomState(0).normal(size=(2, 4)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(reference(x)), rtol=1e-5, atol=1e-6)


def test_call_needing_the_batch_size_names_the_layer_and_input_batch_size():
    # The switch transformer reshapes to (batch_size * tokens, dim) with a fixed batch size: Keras 3
    # traces the call symbolically; jkeras builds by calling it on zeros, batch 1.
    class FixedBatch(layers.Layer):
        def call(self, x):
            return jkeras.ops.reshape(jkeras.ops.reshape(x, [8 * 3, 2]), [8, 3, 2])

    try:
        FixedBatch(name="switch")(jkeras.Input((3, 2)))
    except TypeError as e:
        assert "FixedBatch 'switch'" in str(e) and "(None, 3, 2)" in str(e) and "batch_size=N" in str(e)
    else:
        raise AssertionError("expected a TypeError")
    out = FixedBatch()(jkeras.Input((3, 2), batch_size=8))
    assert tuple(out.shape) == (8, 3, 2)

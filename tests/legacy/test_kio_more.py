"""Found by running keras-io graph / rl / timeseries examples (Keras 3 versions) on jkeras; each
test compares with Keras 3 running the same code."""
import keras
import numpy as np

import jkeras

_NODES = np.random.default_rng(0).normal(size=(10, 4)).astype("float32")
_EDGES = np.array([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 5, 7]])


def _graph_model(k, batchnorm=False):
    # gnn_citations.py: the model holds the whole graph and its `call` takes node indices; a
    # sublayer (created in __init__) gathers neighbours with integer edge indices.
    class Gather(k.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = k.layers.Dense(3)

        def call(self, inputs):
            nodes, edges = inputs
            messages = self.dense(k.ops.take(nodes, edges[1], axis=0))
            return k.ops.segment_sum(messages, edges[0], num_segments=nodes.shape[0])

    class Classifier(k.Model):
        def __init__(self):
            super().__init__()
            self.node_features, self.edges = _NODES, _EDGES
            self.norm = k.layers.BatchNormalization() if batchnorm else None
            self.conv = Gather()
            self.logits = k.layers.Dense(2)

        def call(self, node_indices, training=None):
            # (Keras 3 passes `training` to a model's `call` only when it takes the argument)
            x = self.node_features if self.norm is None else self.norm(self.node_features, training=training)
            x = self.conv((x, self.edges))
            return self.logits(k.ops.take(x, node_indices, axis=0))

    return Classifier()


def test_a_sublayer_built_in_call_gets_integer_inputs_as_integers():
    ref, ours = _graph_model(keras), _graph_model(jkeras)
    idx = np.array([1, 4, 7])
    ref_out = ref(idx)
    ours(idx)
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(np.asarray(ours(idx)), np.asarray(ref_out), rtol=1e-5, atol=1e-6)


def test_a_subclassed_model_built_by_fit_on_integer_data_sees_integers():
    idx, y = np.arange(10), np.array([0, 1] * 5)
    models = []
    for k in (keras, jkeras):
        m = _graph_model(k)
        m.compile(optimizer=k.optimizers.SGD(0.0), loss=k.losses.SparseCategoricalCrossentropy(from_logits=True))
        m.fit(idx, y, epochs=1, batch_size=4, verbose=0)
        models.append(m)
    ref, ours = models
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(idx, verbose=0), ref.predict(idx, verbose=0), rtol=1e-5, atol=1e-6)


def test_batch_norm_on_a_tensor_that_is_not_the_batch_uses_all_its_rows():
    # gnn_citations.py: BatchNormalization on the graph's 10 node features while the batches of
    # node indices are 4, 4 and a short last 2 (that jkeras pads).
    idx, y = np.arange(10), np.array([0, 1] * 5)
    models = []
    for k in (keras, jkeras):
        m = _graph_model(k, batchnorm=True)
        m(idx[:2])
        models.append(m)
    ref, ours = models
    ours.set_weights(ref.get_weights())
    for k, m in zip((keras, jkeras), models):
        m.compile(optimizer=k.optimizers.SGD(0.0), loss=k.losses.SparseCategoricalCrossentropy(from_logits=True))
        m.fit(idx, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _heads(k):
    # gat_node_classification.py: attention heads whose `build` ends with `self.built = True`,
    # held in a list by a layer without a `build`, built by its first call.
    class Head(k.layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[0][-1], 2), name="kernel")
            self.built = True

        def call(self, inputs):
            nodes, edges = inputs
            return k.ops.take(k.ops.matmul(nodes, self.kernel), edges[:, 1], axis=0)

    class MultiHead(k.layers.Layer):
        def __init__(self):
            super().__init__()
            self.heads = [Head() for _ in range(2)]

        def call(self, inputs):
            return k.ops.concatenate([head(inputs) for head in self.heads], axis=-1)

    return MultiHead()


def test_sublayers_whose_build_sets_built_get_their_weights():
    ref, ours = _heads(keras), _heads(jkeras)
    inputs = [_NODES, _EDGES.T]
    ref_out = ref(inputs)
    ours(inputs)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in ref.get_weights()]
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(np.asarray(ours(inputs)), np.asarray(ref_out), rtol=1e-5, atol=1e-6)

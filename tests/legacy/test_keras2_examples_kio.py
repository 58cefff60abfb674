"""Found by running keras-io (Keras 3) examples on jkeras; each test compares with Keras 3."""
import keras
import numpy as np

import jkeras

X = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")


def _container_block(k):
    # deep_neural_decision_forests.py: `self.ensemble = []`, then `self.ensemble.append(tree)`.
    class Block(k.layers.Layer):
        def __init__(self):
            super().__init__()
            self.stack = []
            for _ in range(2):
                self.stack.append(k.layers.Dense(3))
            self.stack += [k.layers.Dense(3, activation="relu")]
            self.heads = {}
            self.heads["out"] = k.layers.Dense(2)

        def call(self, x):
            for layer in self.stack:
                x = layer(x)
            return self.heads["out"](x)

    return Block()


def test_layers_added_to_a_list_or_dict_attribute_later_are_tracked_as_keras():
    ref, ours = _container_block(keras), _container_block(jkeras)
    ref_out = ref(X)
    ours(X)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in ref.weights]
    assert len(ours._sublayers) == 4
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(ref_out), rtol=1e-5, atol=1e-6)


def test_a_model_holding_appended_models_builds_in_a_functional_graph():
    def forest(k):
        class Tree(k.Model):
            def __init__(self):
                super().__init__()
                self.pi = self.add_weight(shape=(3, 2), initializer="random_normal")
                self.decision = k.layers.Dense(3, activation="sigmoid")

            def call(self, x):
                return k.ops.matmul(self.decision(x), self.pi)

        class Forest(k.Model):
            def __init__(self):
                super().__init__()
                self.ensemble = []
                for _ in range(2):
                    self.ensemble.append(Tree())

            def call(self, x):
                return sum(tree(x) for tree in self.ensemble) / len(self.ensemble)

        inputs = k.Input((4,))
        return k.Model(inputs, Forest()(inputs))

    ref, ours = forest(keras), forest(jkeras)
    assert ours.count_params() == ref.count_params() == 2 * (3 * 2 + 4 * 3 + 3)
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-5, atol=1e-6)



class _JkBlock(jkeras.layers.Layer):  # module level: pickle finds the class by name
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stack = []
        self.stack.append(jkeras.layers.Dense(3))
        self.heads = {"out": jkeras.layers.Dense(2)}

    def call(self, x):
        return self.heads["out"](self.stack[0](x))


def test_a_layer_with_tracked_containers_copies_and_pickles():
    import copy
    import pickle

    layer = _JkBlock()
    expected = np.asarray(layer(X))
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        np.testing.assert_allclose(np.asarray(clone(X)), expected, rtol=1e-6)
        clone.stack.append(jkeras.layers.Dense(1))  # the copy's list tracks for the copy
        assert clone.stack[-1] in clone._sublayers and clone.stack[-1] not in layer._sublayers

"""Found by running keras-io (Keras 3) examples on jkeras; each test compares with Keras 3."""
import keras
import numpy as np
import pytest

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


def _causal_mask_layer(k, array_repeats):
    # neural_machine_translation_with_transformer.py / text_generation_with_miniature_gpt.py
    class CausalMask(k.layers.Layer):
        def call(self, inputs):
            batch_size, length = k.ops.shape(inputs)[0], k.ops.shape(inputs)[1]
            i, j = k.ops.arange(length)[:, None], k.ops.arange(length)
            mask = k.ops.reshape(k.ops.cast(i >= j, "int32"), (1, length, length))
            if array_repeats:  # fine on TensorFlow; under JAX the repeats are traced
                mult = k.ops.concatenate([k.ops.expand_dims(batch_size, -1), k.ops.convert_to_tensor([1, 1])], 0)
                return k.ops.tile(mask, mult)
            return k.ops.tile(mask, (batch_size, 1, 1))

    return CausalMask()


def test_tile_with_traced_repeats_names_the_argument_and_static_repeats_work():
    with pytest.raises(ValueError, match="repeats"):
        _causal_mask_layer(jkeras, True)(jkeras.Input((5, 3)))
    with pytest.raises(Exception):  # Keras 3 on JAX fails here too
        _causal_mask_layer(keras, True)(keras.Input((5, 3)))
    x = np.zeros((2, 4, 3), "float32")
    inputs = jkeras.Input((4, 3))
    model = jkeras.Model(inputs, _causal_mask_layer(jkeras, False)(inputs))
    expected = np.tile(np.tril(np.ones((4, 4), "int32"))[None], (2, 1, 1))
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)


def _conv_model(k):
    inputs = k.Input((5, 5, 1))
    return k.Model(inputs, k.layers.Conv2D(2, 3)(inputs))


def test_data_one_axis_short_of_an_input_ending_in_1_gets_that_axis_as_keras():
    # pixelcnn.py: MNIST arrays (n, 28, 28) into Input((28, 28, 1)).
    ref, ours = _conv_model(keras), _conv_model(jkeras)
    ours.set_weights(ref.get_weights())
    images = np.random.default_rng(1).normal(size=(3, 5, 5)).astype("float32")
    np.testing.assert_allclose(ours.predict(images, verbose=0), ref.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
    ours.compile("sgd", "mse")
    ours.fit(images, np.zeros((3, 3, 3, 2), "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 5, 5, 1\).*\(3, 5\)"):
        ours.predict(images[:, 0], verbose=0)


def _two_output_model(k):
    inputs = k.Input((4,))
    hidden = k.layers.Dense(3)(inputs)
    model = k.Model(inputs, [k.layers.Dense(2)(hidden), hidden])
    model.compile("sgd", loss=[k.losses.MeanSquaredError(), None])
    return model


def test_targets_for_the_outputs_that_have_a_loss_only_as_keras():
    # text_generation_with_miniature_gpt.py: outputs [logits, x], loss=[loss_fn, None], fit(x, y).
    ref, ours = _two_output_model(keras), _two_output_model(jkeras)
    ours.set_weights(ref.get_weights())
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-5)
    ours.fit(x, y, epochs=1, verbose=0)

"""Found by running keras-io vision examples (Keras 3 versions, second half of the list) on jkeras;
each test compares with Keras 3 running the same code."""
import keras
import numpy as np

import jkeras

X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")


def _structure(value):
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_structure(v) for v in value]]
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    return np.asarray(value).shape


def test_predict_keeps_a_nested_output_structure():
    # involution.py: `vis_model = keras.Model(inv_model.input, [layer.output ...])` where each
    # Involution layer returns `(output, kernel)`; `vis_model.predict` gives a list of pairs.
    def run(k):
        class Two(k.layers.Layer):
            def call(self, x):
                return x * 2, x + 1

        inputs = k.Input((3,))
        first = Two(name="t1")(inputs)
        second = Two(name="t2")(first[0])
        model = k.Model(inputs, [first, second])
        named = k.Model(inputs, {"p": first, "q": second[1]})
        return [model.predict(X, batch_size=2, verbose=0), model.predict_on_batch(X),
                named.predict(X, verbose=0)]

    expected, got = run(keras), run(jkeras)
    for ref, ours in zip(expected, got):
        assert _structure(ours) == _structure(ref)
        for a, b in zip(keras.tree.flatten(ref), jkeras.tree.flatten(ours)):
            np.testing.assert_allclose(b, a, rtol=1e-6)


def test_a_multi_head_attention_subclass_overriding_compute_attention():
    # vit_small_ds.py: locality self-attention overrides Keras 3's `_compute_attention(query, key,
    # value, attention_mask, training, return_attention_scores)`, divides by a trainable
    # temperature `self.tau = keras.Variable(...)` made in `__init__` and uses `_masked_softmax` /
    # `_dropout_layer`; jkeras called it with its own arguments and dropped `tau` from the weights.
    def build(k):
        ops = k.ops

        class LSA(k.layers.MultiHeadAttention):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.tau = k.Variable(2.0, trainable=True)

            def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                                   return_attention_scores=False):
                query = ops.multiply(query, 1.0 / self.tau)
                scores = ops.einsum(self._dot_product_equation, key, query)
                scores = self._masked_softmax(scores, attention_mask)
                dropped = self._dropout_layer(scores, training=training)
                return ops.einsum(self._combine_equation, dropped, value), scores

        mask = ops.cast([1 - ops.eye(4)], "int8")
        inputs = k.Input((4, 6))
        outputs = LSA(num_heads=2, key_dim=3, dropout=0.1)(inputs, inputs, attention_mask=mask)
        return k.Model(inputs, outputs)

    x = np.random.default_rng(1).normal(size=(2, 4, 6)).astype("float32")
    ref, ours = build(keras), build(jkeras)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in ref.weights]
    assert ours.count_params() == ref.count_params()
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-5, atol=1e-6)
    ours.compile(optimizer="sgd", loss="mse")
    ours.fit(x, np.ones((2, 4, 6), "float32"), verbose=0)
    assert float(np.asarray(ours.layers[1].tau)) != 2.0  # the temperature trains


def test_a_custom_layer_with_sublayers_inside_a_sequential_made_in_build():
    # patch_convnet.py: `Trunk.build` makes `keras.Sequential([..., SqueezeExcite(ratio)])` blocks,
    # and SqueezeExcite makes its Dense layers in its own `build`; jkeras built SqueezeExcite twice
    # (wiring the Sequential, then initializing it) and its call found no weights for the new Dense.
    def build(k):
        class SqueezeExcite(k.layers.Layer):
            def build(self, input_shape):
                self.excite = k.layers.Dense(input_shape[-1], activation="sigmoid", use_bias=False)

            def call(self, x):
                return x * self.excite(x)

        class Trunk(k.layers.Layer):
            def build(self, input_shape):
                self.block = k.Sequential([k.layers.Dense(3), SqueezeExcite()])

            def call(self, x):
                return x + self.block(x)

        inputs = k.Input((3,))
        return k.Model(inputs, Trunk()(inputs))

    keras.backend.clear_session()  # the weight paths compared hold auto-name counters
    jkeras.backend.clear_session()
    ref, ours = build(keras), build(jkeras)
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(ref(X)), rtol=1e-5, atol=1e-6)


def test_weights_of_a_sequential_made_in_a_nested_layers_build_have_the_full_path():
    # shiftvit.py: ShiftViTModel -> StackedShiftBlocks -> ShiftViTBlock -> MLP, whose `build` makes a
    # Sequential; Keras 3 names its weights "model/stacked/block/mlp/sequential/dense/kernel",
    # jkeras left out the layers between the model and the Sequential.
    def build(k):
        class MLP(k.layers.Layer):
            def build(self, input_shape):
                self.mlp = k.Sequential([k.layers.Dense(4), k.layers.Dense(input_shape[-1])])

            def call(self, x):
                return self.mlp(x)

        class Block(k.layers.Layer):
            def build(self, input_shape):
                self.mlp = MLP()

            def call(self, x):
                return x + self.mlp(x)

        class Net(k.Model):
            def __init__(self):
                super().__init__()
                self.blocks = [Block(), Block()]

            def call(self, x):
                for block in self.blocks:
                    x = block(x)
                return x

        model = Net()
        model(X)
        return model

    keras.backend.clear_session()  # the weight paths compared hold auto-name counters
    jkeras.backend.clear_session()
    ref, ours = build(keras), build(jkeras)
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]


def test_a_keras_variable_set_in_init_keeps_its_own_path():
    # vit_small_ds.py / patch_convnet.py: `self.tau = keras.Variable(...)` / `self.cls = ...` in a
    # layer's `__init__`; Keras 3's weight path is the variable's own ("variable"), jkeras gave
    # "layer/variable".
    def build(k):
        class ClassToken(k.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.cls = k.Variable(np.zeros((1, 3), "float32"))

            def call(self, x):
                return x + self.cls

        inputs = k.Input((3,))
        return k.Model(inputs, ClassToken()(inputs))

    ref, ours = build(keras), build(jkeras)
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]

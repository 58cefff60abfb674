"""Each Keras 1 / Keras 2 spelling builds the same object as the modern call, warning once."""
import warnings

import numpy as np
import pytest

import jkeras
from jkeras import callbacks, layers, optimizers
from jkeras.utils import legacy


def _without_name(config):
    return {k: v for k, v in config.items() if k != "name"}


def _built(make, shape):
    layer = make()
    layer.build(shape)
    return layer


# (legacy constructor, modern constructor, input shape for an output check or None)
CASES = {
    "dense": (lambda: layers.Dense(output_dim=3, init="he_normal", W_regularizer="l2", b_constraint="non_neg"),
              lambda: layers.Dense(3, kernel_initializer="he_normal", kernel_regularizer="l2",
                                   bias_constraint="non_neg"), (2, 4)),
    "dense_bias": (lambda: layers.Dense(3, bias=False), lambda: layers.Dense(3, use_bias=False), (2, 4)),
    "simple_rnn": (lambda: layers.SimpleRNN(output_dim=4, init="glorot_normal", inner_init="orthogonal",
                                            U_regularizer="l2", dropout_W=0.1, dropout_U=0.2),
                   lambda: layers.SimpleRNN(4, kernel_initializer="glorot_normal", recurrent_initializer="orthogonal",
                                            recurrent_regularizer="l2", dropout=0.1, recurrent_dropout=0.2),
                   (2, 5, 3)),
    "lstm": (lambda: layers.LSTM(4, inner_activation="hard_sigmoid", forget_bias_init="one", consume_less="gpu"),
             lambda: layers.LSTM(4, recurrent_activation="hard_sigmoid", unit_forget_bias=True, implementation=2),
             (2, 5, 3)),
    "gru": (lambda: layers.GRU(output_dim=4, consume_less="mem"), lambda: layers.GRU(4, implementation=1), (2, 5, 3)),
    "conv2d_keras1": (lambda: layers.Convolution2D(6, 3, 3, border_mode="same", subsample=(2, 2), dim_ordering="tf"),
                      lambda: layers.Conv2D(6, (3, 3), strides=(2, 2), padding="same", data_format="channels_last"),
                      (2, 8, 8, 3)),
    "conv2d_keywords": (lambda: layers.Conv2D(nb_filter=6, nb_row=3, nb_col=2, dim_ordering="th"),
                        lambda: layers.Conv2D(6, (3, 2), data_format="channels_first"), None),
    "conv1d": (lambda: layers.Convolution1D(nb_filter=5, filter_length=3, subsample_length=2, border_mode="same"),
               lambda: layers.Conv1D(5, 3, strides=2, padding="same"), (2, 9, 3)),
    "atrous2d": (lambda: layers.AtrousConvolution2D(4, 3, 3, atrous_rate=(2, 2)),
                 lambda: layers.Conv2D(4, (3, 3), dilation_rate=(2, 2)), (1, 9, 9, 2)),
    "conv3d": (lambda: layers.Convolution3D(4, 2, 2, 2, border_mode="same"),
               lambda: layers.Conv3D(4, (2, 2, 2), padding="same"), (1, 4, 4, 4, 2)),
    "deconv2d": (lambda: layers.Deconvolution2D(4, 3, 3, output_shape=(None, 10, 10, 4), subsample=(2, 2)),
                 lambda: layers.Conv2DTranspose(4, (3, 3), strides=(2, 2)), (1, 4, 4, 2)),
    "separable2d": (lambda: layers.SeparableConvolution2D(4, 3, 3, init="he_uniform", border_mode="same"),
                    lambda: layers.SeparableConv2D(4, (3, 3), depthwise_initializer="he_uniform",
                                                   pointwise_initializer="he_uniform", padding="same"),
                    (1, 5, 5, 2)),
    "maxpool1d": (lambda: layers.MaxPooling1D(pool_length=3, stride=2, border_mode="same"),
                  lambda: layers.MaxPooling1D(pool_size=3, strides=2, padding="same"), (2, 9, 3)),
    "avgpool2d": (lambda: layers.AveragePooling2D((2, 2), border_mode="valid", dim_ordering="th"),
                  lambda: layers.AveragePooling2D((2, 2), padding="valid", data_format="channels_first"),
                  (1, 3, 6, 6)),
    "global_pool": (lambda: layers.GlobalMaxPooling2D(dim_ordering="th"),
                    lambda: layers.GlobalMaxPooling2D(data_format="channels_first"), (1, 3, 4, 4)),
    "dropout": (lambda: layers.Dropout(p=0.3), lambda: layers.Dropout(0.3), None),
    "gaussian_noise": (lambda: layers.GaussianNoise(sigma=0.2), lambda: layers.GaussianNoise(0.2), None),
    "batchnorm": (lambda: layers.BatchNormalization(beta_init="zeros", gamma_init="ones", mode=0),
                  lambda: layers.BatchNormalization(beta_initializer="zeros", gamma_initializer="ones"), (2, 3)),
    "embedding": (lambda: layers.Embedding(10, 3, init="normal", W_regularizer="l2"),
                  lambda: layers.Embedding(10, 3, embeddings_initializer="normal", embeddings_regularizer="l2"), None),
    "prelu": (lambda: layers.PReLU(init="zeros"), lambda: layers.PReLU(alpha_initializer="zeros"), (2, 3)),
    "leaky_relu": (lambda: layers.LeakyReLU(alpha=0.2), lambda: layers.LeakyReLU(negative_slope=0.2), (2, 3)),
    "upsampling": (lambda: layers.UpSampling1D(length=3), lambda: layers.UpSampling1D(size=3), (1, 4, 2)),
    "convlstm": (lambda: layers.ConvLSTM2D(nb_filter=3, nb_row=3, nb_col=3, inner_activation="sigmoid",
                                           border_mode="same"),
                 lambda: layers.ConvLSTM2D(3, (3, 3), recurrent_activation="sigmoid", padding="same"), None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_legacy_call_builds_the_modern_layer_and_warns_once(case):
    old, new, shape = CASES[case]
    with pytest.warns(UserWarning, match="deprecated|no longer|nothing") as record:
        old_layer = old()
    assert record, case
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second legacy call warns no more
        again = old()
        modern = new()
    assert type(old_layer).__mro__[0] in type(modern).__mro__ or isinstance(old_layer, type(modern))
    assert _without_name(old_layer.get_config()) == _without_name(modern.get_config())
    assert _without_name(again.get_config()) == _without_name(modern.get_config())
    if shape is not None:
        x = np.random.default_rng(0).random(shape).astype("float32")
        old_layer.build(shape)
        modern.build(shape)
        modern.set_weights(old_layer.get_weights())
        np.testing.assert_allclose(np.asarray(old_layer(x)), np.asarray(modern(x)), rtol=1e-6, atol=1e-6)


def test_keras1_layer_names_are_the_keras2_classes():
    pairs = {"MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
             "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D", "AvgPool3D": "AveragePooling3D",
             "GlobalMaxPool1D": "GlobalMaxPooling1D", "GlobalMaxPool2D": "GlobalMaxPooling2D",
             "GlobalMaxPool3D": "GlobalMaxPooling3D", "GlobalAvgPool1D": "GlobalAveragePooling1D",
             "GlobalAvgPool2D": "GlobalAveragePooling2D", "GlobalAvgPool3D": "GlobalAveragePooling3D",
             "Convolution1D": "Conv1D", "AtrousConv2D": "AtrousConvolution2D"}
    for old, new in pairs.items():
        assert getattr(layers, old) is getattr(layers, new), old
    for old in ("Convolution2D", "Convolution3D", "Deconvolution2D", "SeparableConvolution2D"):
        assert issubclass(getattr(layers, old), getattr(layers, old.replace("Convolution", "Conv")
                                                               .replace("Deconv2D", "Conv2DTranspose")))


def test_both_spellings_is_an_error_naming_both():
    with pytest.raises(TypeError, match="`output_dim`.*`units`"):
        layers.Dense(3, output_dim=4)
    with pytest.raises(ValueError, match="`lr`.*`learning_rate`"):
        optimizers.Adam(learning_rate=0.1, lr=0.2)


def test_optimizer_lr_converts_once_with_a_warning_also_in_subclasses():
    with pytest.warns(UserWarning, match="`lr` is deprecated; use `learning_rate`"):
        opt = optimizers.SGD(lr=0.05, momentum=0.9)
    assert opt.get_config() == {**optimizers.SGD(learning_rate=0.05, momentum=0.9).get_config(), "name": opt.name}

    class Custom(optimizers.Adam):
        def __init__(self, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

    with pytest.warns(UserWarning, match="Custom: the old argument `lr`"):
        assert float(Custom(lr=0.25, scale=2.0).learning_rate) == 0.25


def test_callback_legacy_interface():
    with pytest.warns(UserWarning, match="`epsilon` is deprecated; use `min_delta`"):
        cb = callbacks.ReduceLROnPlateau(epsilon=0.25, patience=3)
    assert cb.min_delta == 0.25 and cb.patience == 3

    class MyCallback(callbacks.Callback):
        _legacy = legacy.LegacyInterface(renames={"nb_batches": "batches"})

        def __init__(self, batches=1):
            super().__init__()
            self.batches = batches

    with pytest.warns(UserWarning, match="MyCallback: the old argument `nb_batches`"):
        assert MyCallback(nb_batches=4).batches == 4


def test_input_and_model_keras1_keywords():
    with pytest.warns(UserWarning, match="`input_dtype` is deprecated; use `dtype`"):
        x = jkeras.Input(shape=(3,), input_dtype="int32")
    assert x.dtype == "int32"
    a = jkeras.Input((4,))
    out = layers.Dense(2)(a)
    with pytest.warns(UserWarning, match="`input` is deprecated; use `inputs`"):
        model = jkeras.Model(input=a, output=out)
    assert model.inputs[0] is a and model.outputs[0] is out
    seq = jkeras.Sequential(layers=[layers.Dense(2, input_shape=(3,))])
    assert seq.output_shape == (None, 2)


def test_fit_and_generator_methods_convert_keras1_arguments():
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 3)).astype("float32"), rng.random((32, 1)).astype("float32")
    model = jkeras.Sequential([layers.Dense(1, input_dim=3)])
    model.compile("sgd", "mse")
    with pytest.warns(UserWarning, match="`nb_epoch` is deprecated; use `epochs`"):
        history = model.fit(x, y, nb_epoch=3, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 3

    def batches():
        while True:
            for i in range(0, 32, 8):
                yield x[i:i + 8], y[i:i + 8]

    with pytest.warns(UserWarning, match="samples_per_epoch"):
        history = model.fit_generator(batches(), samples_per_epoch=32, nb_epoch=2, nb_worker=1,
                                      pickle_safe=False, verbose=0)
    assert len(history.history["loss"]) == 2


def test_input_shape_forms_on_the_first_layer():
    assert jkeras.Sequential([layers.Dense(4, input_shape=3)]).input_shape == (None, 3)
    assert jkeras.Sequential([layers.Dense(4, batch_input_shape=(8, 3))]).input_shape == (8, 3)
    assert jkeras.Sequential([layers.Dense(4, input_shape=(3,), batch_size=8)]).input_shape == (8, 3)
    with pytest.warns(UserWarning, match="input_length"):
        rnn = jkeras.Sequential([layers.LSTM(4, input_length=7, input_dim=3)])
    assert rnn.input_shape == (None, 7, 3)
    assert jkeras.Sequential([layers.Embedding(10, 3, input_length=5)]).output_shape == (None, 5, 3)
    with pytest.warns(UserWarning, match="input_dim"):
        conv = jkeras.Sequential([layers.Convolution1D(4, 3, input_dim=2, input_length=9)])
    assert conv.input_shape == (None, 9, 2)


def test_weights_argument_sets_initial_weights_and_checks_shapes():
    matrix = np.arange(30, dtype="float32").reshape(10, 3)
    model = jkeras.Sequential([layers.Embedding(10, 3, weights=[matrix], input_length=2, trainable=False)])
    np.testing.assert_array_equal(model.predict(np.array([[1, 9]]), verbose=0)[0], matrix[[1, 9]])
    kernel, bias = np.ones((3, 2), "float32"), np.array([1.0, -1.0], "float32")
    dense = layers.Dense(2, weights=[kernel, bias])
    np.testing.assert_allclose(np.asarray(dense(np.ones((1, 3), "float32"))), [[4.0, 2.0]])
    bad = layers.Dense(2, weights=[np.ones((4, 2)), bias], name="wrong_kernel")
    with pytest.raises(ValueError, match=r"wrong_kernel.*kernel.*\(3, 2\).*\(4, 2\)"):
        bad(np.ones((1, 3), "float32"))


def test_layer_instances_and_callables_as_activation():
    x = np.linspace(-2, 2, 24, dtype="float32").reshape(1, 2, 3, 4)
    conv = layers.Conv2D(2, 1, activation=layers.LeakyReLU(alpha=0.2), kernel_initializer="ones")
    z = x.sum(-1, keepdims=True).repeat(2, -1)
    np.testing.assert_allclose(np.asarray(conv(x)), np.where(z > 0, z, 0.2 * z), rtol=1e-6)
    dense = layers.Dense(3, activation=lambda t: t * 2.0, kernel_initializer="ones")
    np.testing.assert_allclose(np.asarray(dense(np.ones((1, 2), "float32"))), np.full((1, 3), 4.0))


def test_keras2_positional_dropout_and_sequential_prediction_helpers():
    dropout = layers.Dropout(0.5, None, 7)
    assert (dropout.rate, dropout.seed) == (0.5, 7)
    x = np.array([[2.0, -1.0], [-3.0, 1.0]], "float32")
    model = jkeras.Sequential([layers.Dense(2, input_shape=(2,), kernel_initializer="identity",
                                            bias_initializer="zeros")])
    np.testing.assert_array_equal(model.predict_classes(x), [0, 1])
    with pytest.warns(UserWarning, match="outside \\[0, 1\\]"):
        model.predict_proba(x)
    binary = jkeras.Sequential([layers.Dense(1, input_shape=(2,), activation="sigmoid", kernel_initializer="ones")])
    np.testing.assert_array_equal(binary.predict_classes(x), [[1], [0]])
    probabilities = binary.predict_proba(x)
    np.testing.assert_allclose(probabilities, 1 / (1 + np.exp(-x.sum(1, keepdims=True))), rtol=1e-6)

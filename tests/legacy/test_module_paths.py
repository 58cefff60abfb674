"""Keras 1 / Keras 2 module paths re-export the same objects."""
import importlib

import numpy as np
import pytest

import jkeras
from jkeras import layers

PATHS = {
    "jkeras.layers.core": ["Dense", "Dropout", "Activation", "Flatten", "Reshape", "Permute", "RepeatVector",
                           "Lambda", "ActivityRegularization", "Masking", "SpatialDropout1D", "SpatialDropout2D"],
    "jkeras.layers.convolutional": ["Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "SeparableConv2D",
                                    "Convolution2D", "UpSampling2D", "ZeroPadding2D", "Cropping2D",
                                    "AtrousConv2D", "Deconvolution2D", "MaxPooling2D", "AveragePooling1D"],
    "jkeras.layers.pooling": ["MaxPooling2D", "AveragePooling1D", "GlobalMaxPooling2D", "MaxPool2D"],
    "jkeras.layers.recurrent": ["SimpleRNN", "LSTM", "GRU", "RNN", "LSTMCell", "StackedRNNCells"],
    "jkeras.layers.advanced_activations": ["LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "ReLU"],
    "jkeras.layers.embeddings": ["Embedding"],
    "jkeras.layers.normalization": ["BatchNormalization"],
    "jkeras.layers.noise": ["GaussianNoise", "GaussianDropout", "AlphaDropout"],
    "jkeras.layers.local": ["LocallyConnected1D", "LocallyConnected2D"],
    "jkeras.layers.wrappers": ["TimeDistributed", "Bidirectional"],
    "jkeras.layers.merge": ["Add", "Concatenate", "add", "concatenate", "Dot"],
    "jkeras.layers.convolutional_recurrent": ["ConvLSTM2D"],
    "jkeras.layers.cudnn_recurrent": ["CuDNNLSTM", "CuDNNGRU"],
}


@pytest.mark.parametrize("module", sorted(PATHS))
def test_keras2_layer_modules(module):
    mod = importlib.import_module(module)
    for name in PATHS[module]:
        assert getattr(mod, name) is getattr(layers, name), (module, name)


def test_engine_and_utils_paths():
    from jkeras.engine import Input as EngineInput, Layer as EngineLayer, Model as EngineModel
    from jkeras.engine.input_layer import Input, InputLayer
    from jkeras.engine.topology import Container, InputSpec, Layer, Network, get_source_inputs
    from jkeras.engine.sequential import Sequential
    from jkeras.utils.generic_utils import CustomObjectScope, Progbar, deserialize_keras_object
    from jkeras.utils.layer_utils import count_params
    from jkeras.utils.np_utils import to_categorical
    from jkeras.preprocessing import sequence

    assert sequence.pad_sequences is jkeras.utils.pad_sequences

    assert Input is EngineInput is jkeras.Input and InputLayer is jkeras.layers.InputLayer
    assert Layer is EngineLayer is jkeras.layers.Layer and Network is Container is EngineModel is jkeras.Model
    assert Sequential is jkeras.Sequential and InputSpec is jkeras.layers.InputSpec
    assert CustomObjectScope is jkeras.utils.CustomObjectScope and Progbar is jkeras.utils.Progbar
    np.testing.assert_array_equal(to_categorical([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    a, b = jkeras.Input((3,)), jkeras.Input((2,))
    out = layers.Dense(1)(layers.concatenate([layers.Dense(2)(b), a]))
    assert get_source_inputs(out) == [b, a]
    dense = layers.Dense(2)
    dense.build((None, 3))
    assert count_params(dense.weights) == 8
    assert isinstance(deserialize_keras_object({"class_name": "Dense", "config": {"units": 2}},
                                               module_objects={"Dense": layers.Dense}), layers.Dense)


def test_layers_serialize_deserialize_and_layer_from_config():
    dense = layers.Dense(3, activation="relu", name="d")
    config = layers.serialize(dense)
    assert config["class_name"] == "Dense" and config["config"]["units"] == 3
    again = layers.deserialize(config)
    assert isinstance(again, layers.Dense) and again.get_config() == dense.get_config()
    assert layers.layer_from_config is layers.deserialize

    class Scaled(layers.Layer):
        def call(self, x):
            return 2 * x

    assert isinstance(layers.deserialize({"class_name": "Scaled", "config": {}},
                                         custom_objects={"Scaled": Scaled}), Scaled)
    with pytest.raises(ValueError, match="Unknown layer class 'Nope'"):
        layers.deserialize({"class_name": "Nope", "config": {}})


def test_input_spec_checks_rank_and_axes():
    spec = layers.InputSpec(min_ndim=2, axes={-1: 4})
    spec.assert_compatible("d", (None, 3, 4))
    with pytest.raises(ValueError, match="'d'.*min_ndim=2.*ndim=1"):
        spec.assert_compatible("d", (4,))
    with pytest.raises(ValueError, match="axis -1 of size 4"):
        spec.assert_compatible("d", (None, 5))


def test_keras1_objectives_module():
    from jkeras import losses
    from jkeras.objectives import binary_crossentropy, get, mse

    assert mse is losses.mse and binary_crossentropy is losses.binary_crossentropy and get("mae") is losses.get("mae")

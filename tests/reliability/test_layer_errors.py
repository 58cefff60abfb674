"""Bad input to layers (issue 10's catalogue, layer part): each case raises the expected exception
type, with a message that names the layer (always called "probe" here) or the argument, and says
what was expected and what was received. The check runs when the layer is called on a symbolic
`Input`, so the error comes while the model is defined, before anything is compiled."""
import numpy as np
import pytest

import jkeras
from jkeras import layers as L

from reliability.catalogue import assert_clear_error

I = jkeras.Input
F32 = "float32"


def _twice(layer, first, second):
    """Builds `layer` on `first`, then calls it on the incompatible `second`."""
    layer(np.ones(first, F32))
    return layer(np.ones(second, F32))


# (id, call, error type, place, expected, received)
CASES = [
    # -- core -----------------------------------------------------------------------------------
    ("dense_rank1", lambda: L.Dense(3, name="probe")(I(())), ValueError,
     "Dense 'probe'", "rank >= 2", "(None,)"),
    ("dense_eager_rank1", lambda: L.Dense(3, name="probe")(np.ones(4, F32)), ValueError,
     "Dense 'probe'", "rank >= 2", "(4,)"),
    ("dense_undefined_features", lambda: L.Dense(3, name="probe")(I((None,))), ValueError,
     "Dense 'probe'", "last axis of the input must be defined", "(None, None)"),
    ("dense_rebuilt_other_size", lambda: _twice(L.Dense(3, name="probe"), (2, 4), (2, 5)), ValueError,
     "Dense 'probe'", "size 4", "(2, 5)"),
    ("dense_units_zero", lambda: L.Dense(0, name="probe"), ValueError,
     "Dense 'probe'", "units must be a positive int", "got 0"),
    ("dense_bad_dtype", lambda: L.Dense(3, dtype="float77", name="probe"), TypeError,
     "Dense 'probe'", "dtype must be a dtype name", "'float77'"),
    ("dropout_rate", lambda: L.Dropout(2, name="probe"), ValueError,
     "Dropout 'probe'", "[0, 1)", "got 2"),
    ("reshape_size", lambda: L.Reshape((5,), name="probe")(I((4,))), ValueError,
     "Reshape 'probe'", "target_shape (5,) (5 values)", "(None, 4) (4 values"),
    ("permute_rank", lambda: L.Permute((2, 1), name="probe")(I((3, 4, 5))), ValueError,
     "Permute 'probe'", "permute 2 axes", "(None, 3, 4, 5)"),
    ("repeat_vector_rank", lambda: L.RepeatVector(3, name="probe")(I((3, 4))), ValueError,
     "RepeatVector 'probe'", "(batch, features)", "(None, 3, 4)"),
    ("activation_unknown", lambda: L.Activation("rellu", name="probe"), ValueError,
     "activation", "Valid names are", "'rellu'"),
    # -- embedding ------------------------------------------------------------------------------
    ("embedding_float_indices", lambda: L.Embedding(10, 3, name="probe")(np.array([[0.5, 1.0]])), ValueError,
     "Embedding 'probe'", "integer indices", "0.5"),
    ("embedding_index_range", lambda: L.Embedding(10, 3, name="probe")(np.array([[1, 12]])), ValueError,
     "Embedding 'probe'", "[0, input_dim=10)", "[1, 12]"),
    ("embedding_input_dim", lambda: L.Embedding(0, 3, name="probe"), ValueError,
     "Embedding 'probe'", "positive int", "input_dim=0"),
    ("embedding_input_length", lambda: L.Embedding(10, 3, input_length=5, name="probe")(I((4,))), ValueError,
     "Embedding 'probe'", "(None, 5)", "(None, 4)"),
    # -- convolutions ---------------------------------------------------------------------------
    ("conv1d_on_2d", lambda: L.Conv1D(2, 3, name="probe")(I((4,))), ValueError,
     "Conv1D 'probe'", "rank 3", "(None, 4)"),
    ("conv2d_on_3d", lambda: L.Conv2D(4, 3, name="probe")(I((8, 8))), ValueError,
     "Conv2D 'probe'", "rank 4 (batch, rows, cols, channels)", "(None, 8, 8)"),
    ("conv3d_on_4d", lambda: L.Conv3D(2, 3, name="probe")(I((4, 4, 4))), ValueError,
     "Conv3D 'probe'", "rank 5", "(None, 4, 4, 4)"),
    ("conv2d_transpose_on_3d", lambda: L.Conv2DTranspose(2, 3, name="probe")(I((4, 4))), ValueError,
     "Conv2DTranspose 'probe'", "rank 4", "(None, 4, 4)"),
    ("separable_on_3d", lambda: L.SeparableConv2D(2, 3, name="probe")(I((4, 4))), ValueError,
     "SeparableConv2D 'probe'", "rank 4", "(None, 4, 4)"),
    ("depthwise_on_3d", lambda: L.DepthwiseConv2D(3, name="probe")(I((4, 4))), ValueError,
     "DepthwiseConv2D 'probe'", "rank 4", "(None, 4, 4)"),
    ("conv2d_kernel_larger_than_input", lambda: L.Conv2D(4, 5, name="probe")(I((3, 3, 1))), ValueError,
     "Conv2D 'probe'", ["kernel_size (5, 5)", "padding='valid'"], "spatial size (3, 3)"),
    ("conv1d_dilated_span", lambda: L.Conv1D(2, 3, dilation_rate=4, name="probe")(I((5, 2))), ValueError,
     "Conv1D 'probe'", "spanning (9,)", "spatial size (5,)"),
    ("conv2d_strides_and_dilation", lambda: L.Conv2D(4, 3, strides=2, dilation_rate=2, name="probe"),
     ValueError, "Conv2D 'probe'", "cannot be combined", ["strides=(2, 2)", "dilation_rate=(2, 2)"]),
    ("conv1d_strides_and_dilation", lambda: L.Conv1D(4, 3, strides=2, dilation_rate=2, name="probe"),
     ValueError, "Conv1D 'probe'", "cannot be combined", ["strides=(2,)", "dilation_rate=(2,)"]),
    ("conv2d_rebuilt_other_channels",
     lambda: _twice(L.Conv2D(2, 3, name="probe"), (1, 5, 5, 3), (1, 5, 5, 4)), ValueError,
     "Conv2D 'probe'", "expected 3 input channels", "(1, 5, 5, 4)"),
    ("conv_filters_zero", lambda: L.Conv2D(0, 3, name="probe"), ValueError,
     "Conv2D 'probe'", "filters must be a positive int", "got 0"),
    ("conv_kernel_zero", lambda: L.Conv2D(2, 0, name="probe"), ValueError,
     "Conv2D 'probe'", "kernel_size must hold positive ints", "got 0"),
    ("conv_padding", lambda: L.Conv2D(3, 3, padding="foo", name="probe"), ValueError,
     "Conv2D 'probe'", "('valid', 'same')", "'foo'"),
    ("conv_data_format", lambda: L.Conv2D(2, 3, data_format="channels_middle", name="probe"), ValueError,
     "Conv2D 'probe'", "'channels_last' or 'channels_first'", "'channels_middle'"),
    ("locally_connected_undefined", lambda: L.LocallyConnected2D(2, 3, name="probe")(I((None, None, 2))),
     ValueError, "LocallyConnected2D 'probe'", "must be defined", "(None, None, None, 2)"),
    # -- pooling, resizing ----------------------------------------------------------------------
    ("maxpool2d_on_3d", lambda: L.MaxPooling2D(name="probe")(I((4, 4))), ValueError,
     "MaxPooling2D 'probe'", "rank 4", "(None, 4, 4)"),
    ("maxpool_larger_than_input", lambda: L.MaxPooling2D(5, name="probe")(I((4, 4, 1))), ValueError,
     "MaxPooling2D 'probe'", "pool_size (5, 5)", "spatial size (4, 4)"),
    ("avgpool1d_on_2d", lambda: L.AveragePooling1D(name="probe")(I((4,))), ValueError,
     "AveragePooling1D 'probe'", "rank 3", "(None, 4)"),
    ("pool_strides_zero", lambda: L.MaxPooling2D(2, strides=0, name="probe"), ValueError,
     "MaxPooling2D 'probe'", ">= 1", "got 0"),
    ("global_pool_on_3d", lambda: L.GlobalAveragePooling2D(name="probe")(I((4, 4))), ValueError,
     "GlobalAveragePooling2D 'probe'", "rank 4", "(None, 4, 4)"),
    ("upsampling_on_3d", lambda: L.UpSampling2D(name="probe")(I((4, 4))), ValueError,
     "UpSampling2D 'probe'", "rank 4", "(None, 4, 4)"),
    ("zero_padding_arg", lambda: L.ZeroPadding2D((1, 2, 3), name="probe"), ValueError,
     "ZeroPadding2D 'probe'", "tuple of 2 ints", "(1, 2, 3)"),
    ("cropping_too_much", lambda: L.Cropping2D(3, name="probe")(I((4, 4, 1))), ValueError,
     "Cropping2D 'probe'", "keep at least one", "only 4"),
    ("spatial_dropout_rank", lambda: L.SpatialDropout2D(0.5, name="probe")(I((3, 4))), ValueError,
     "SpatialDropout2D 'probe'", "rank 4", "(None, 3, 4)"),
    # -- recurrent ------------------------------------------------------------------------------
    ("lstm_on_2d", lambda: L.LSTM(3, name="probe")(I((4,))), ValueError,
     "LSTM 'probe'", "rank 3 (batch, timesteps", "(None, 4)"),
    ("simple_rnn_eager_2d", lambda: L.SimpleRNN(3, name="probe")(np.ones((2, 4), F32)), ValueError,
     "SimpleRNN 'probe'", "rank 3", "(2, 4)"),
    ("gru_rebuilt_other_features", lambda: _twice(L.GRU(2, name="probe"), (2, 3, 4), (2, 3, 5)), ValueError,
     "GRU 'probe'", "steps of shape (4,)", "(2, 3, 5)"),
    ("lstm_units_zero", lambda: L.LSTM(0, name="probe"), ValueError,
     "LSTM 'probe'", "positive int", "got 0"),
    ("conv_lstm_rank", lambda: L.ConvLSTM2D(2, 3, name="probe")(I((4, 4, 1))), ValueError,
     "ConvLSTM2D 'probe'", "rank 5", "(None, 4, 4, 1)"),
    ("bidirectional_of_dense", lambda: L.Bidirectional(L.Dense(3), name="probe"), ValueError,
     "Bidirectional 'probe'", "recurrent layer", "got Dense"),
    ("time_distributed_2d", lambda: L.TimeDistributed(L.Dense(3), name="probe")(I((4,))), ValueError,
     "TimeDistributed 'probe'", "rank >= 3", "(None, 4)"),
    # -- normalization, activations -------------------------------------------------------------
    ("batch_norm_axis", lambda: L.BatchNormalization(axis=3, name="probe")(I((4,))), ValueError,
     "BatchNormalization 'probe'", "axis 3 is out of bounds", "(None, 4)"),
    ("layer_norm_axis", lambda: L.LayerNormalization(axis=5, name="probe")(I((4,))), ValueError,
     "LayerNormalization 'probe'", "axis 5 is out of bounds", "(None, 4)"),
    ("prelu_shared_axes", lambda: L.PReLU(shared_axes=[3], name="probe")(I((3, 4))), ValueError,
     "PReLU 'probe'", "non-batch axes 1..2", "(None, 3, 4)"),
    ("gaussian_noise_stddev", lambda: L.GaussianNoise(-1.0, name="probe"), ValueError,
     "GaussianNoise 'probe'", ">= 0", "-1.0"),
    # -- merging --------------------------------------------------------------------------------
    ("concatenate_mismatch", lambda: L.Concatenate(name="probe")([I((3, 4)), I((5, 4))]), ValueError,
     "Concatenate 'probe'", "matching shapes except for the concatenation axis", "[(None, 3, 4), (None, 5, 4)]"),
    ("concatenate_eager_mismatch",
     lambda: L.Concatenate(name="probe")([np.ones((2, 3, 4), F32), np.ones((2, 5, 4), F32)]), ValueError,
     "Concatenate 'probe'", "matching shapes", "[(2, 3, 4), (2, 5, 4)]"),
    ("concatenate_axis", lambda: L.Concatenate(axis=3, name="probe")([I((3,)), I((3,))]), ValueError,
     "Concatenate 'probe'", "out of range for inputs of rank 2", "axis=3"),
    ("add_mismatch", lambda: L.Add(name="probe")([I((3,)), I((4,))]), ValueError,
     "Add 'probe'", "neither is 1", "[(None, 3), (None, 4)]"),
    ("dot_mismatch", lambda: L.Dot(axes=1, name="probe")([I((3,)), I((4,))]), ValueError,
     "Dot 'probe'", "axis 1 of the first input has size 3", "size 4"),
    ("subtract_three_inputs", lambda: L.Subtract(name="probe")([I((3,)), I((3,)), I((3,))]), ValueError,
     "Subtract 'probe'", "exactly 2 inputs", "got 3"),
]


@pytest.mark.parametrize("call, error, place, expected, received",
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_bad_layer_input(call, error, place, expected, received):
    assert_clear_error(call, error, place, expected, received)


# Unknown keyword arguments: a typo gets "did you mean" (TypeError, as Python's own for a bad keyword).
TYPOS = [
    (lambda: L.Dense(3, activaton="relu", name="probe"), "Dense 'probe'", "activaton", "activation"),
    (lambda: L.Conv2D(3, 3, padingg="same", name="probe"), "Conv2D 'probe'", "padingg", "padding"),
    (lambda: L.LSTM(3, return_sequence=True, name="probe"), "LSTM 'probe'", "return_sequence", "return_sequences"),
    (lambda: L.Dropout(0.5, rat=0.2, name="probe"), "Dropout 'probe'", "rat", "rate"),
    (lambda: L.BatchNormalization(momentun=0.9, name="probe"), "BatchNormalization 'probe'", "momentun", "momentum"),
    (lambda: L.Embedding(10, 3, mask_zeros=True, name="probe"), "Embedding 'probe'", "mask_zeros", "mask_zero"),
    (lambda: L.MaxPooling2D(pool_sise=2, name="probe"), "MaxPooling2D 'probe'", "pool_sise", "pool_size"),
    (lambda: L.Dense(3, kernel_regulariser="l2", name="probe"), "Dense 'probe'", "kernel_regulariser",
     "kernel_regularizer"),
]


@pytest.mark.parametrize("call, place, typo, suggestion", TYPOS, ids=[t[3] for t in TYPOS])
def test_unknown_keyword_suggests_the_nearest(call, place, typo, suggestion):
    assert_clear_error(call, TypeError, place, f"Did you mean '{suggestion}'?", f"'{typo}'")


def test_unknown_keyword_without_a_near_name_lists_the_valid_ones():
    error = assert_clear_error(lambda: L.Dense(3, zzzzzz=1, name="probe"), TypeError,
                               "Dense 'probe'", "Valid arguments", "'zzzzzz'")
    assert "'units'" in str(error) and "Did you mean" not in str(error)


def test_catalogue_is_large_enough():
    assert len(CASES) + len(TYPOS) + 1 >= 60


def _every_layer():
    """One instance of every public layer class (the saving tests' round-trip cases)."""
    from saving.test_reliability import CASES as ROUND_TRIP

    return [pytest.param(case.values[0], id=case.id) for case in ROUND_TRIP]


@pytest.mark.parametrize("factory", _every_layer())
def test_every_layer_rejects_a_misspelt_keyword(factory):
    layer = factory()
    config = {**layer.get_config(), "nmae": "typo"}
    label = type(layer).__name__
    assert_clear_error(lambda: type(layer).from_config(config), TypeError,
                       label, ["unexpected keyword argument", "Did you mean 'name'?"], "'nmae'")


def test_a_custom_call_that_fails_on_symbolic_inputs_names_the_layer_and_the_shapes():
    # keras-io video_transformers on `Input(shape=(None, None))`: the call adds a (length, 1024)
    # embedding to its (batch, length, None) input. Keras 3 names the layer ("Could not
    # automatically infer the output shape"); jkeras gave JAX's bare broadcasting error, whose
    # shapes held the stand-in size 7 instead of None.
    class PositionalEmbedding(jkeras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embedding = L.Embedding(20, 16)

        def call(self, inputs):
            return inputs + self.embedding(jkeras.ops.arange(jkeras.ops.shape(inputs)[1]))

    with pytest.raises(ValueError) as info:
        PositionalEmbedding(name="probe")(I((None, None)))
    message = str(info.value)
    assert "PositionalEmbedding 'probe'" in message and "(None, None, None)" in message, message
    assert "Incompatible shapes for broadcasting" in message, message  # JAX's own reason, kept
    assert isinstance(info.value.__cause__, ValueError)
    assert PositionalEmbedding(name="fine")(I((None, 16))).shape == (None, None, 16)  # the valid case builds

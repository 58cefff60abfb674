"""Property tests (hypothesis) over randomly drawn layer configurations and input shapes:
`compute_output_shape` equals the shape the layer actually produces, `get_config` / `from_config`
round-trips, and a random small model saved and loaded predicts exactly the same."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jkeras
from jkeras import layers as L

def _settings(examples):
    """A bounded, reproducible run (each example compiles a few small programs)."""
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check(layer, shape):
    """The layer's predicted output shape is its real one, and its config round-trips."""
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    out = layer(x)
    assert tuple(layer.compute_output_shape(shape)) == tuple(out.shape)
    symbolic = type(layer).from_config(layer.get_config())(jkeras.Input(shape[1:]))
    assert tuple(symbolic.shape[1:]) == tuple(out.shape[1:])  # the graph path infers the same shape
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


@st.composite
def conv_cases(draw):
    rank = draw(st.sampled_from([1, 2]))
    kernel = draw(st.integers(1, 3))
    strides = draw(st.integers(1, 2))
    dilation = 1 if strides > 1 else draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same"] + (["causal"] if rank == 1 else [])))
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    span = (kernel - 1) * dilation + 1
    spatial = tuple(draw(st.integers(span, span + 5)) for _ in range(rank))
    channels = draw(st.integers(1, 3))
    batch = draw(st.integers(1, 2))
    shape = (batch,) + (spatial + (channels,) if data_format == "channels_last" else (channels,) + spatial)
    cls = draw(st.sampled_from([L.Conv1D, L.SeparableConv1D] if rank == 1 else
                               [L.Conv2D, L.SeparableConv2D, L.Conv2DTranspose]))
    if cls is L.Conv2DTranspose:
        dilation = 1
    if padding == "causal" and cls is not L.Conv1D:
        padding = "same"
    layer = cls(draw(st.integers(1, 4)), kernel, strides=strides, padding=padding, dilation_rate=dilation,
                data_format=data_format)
    return layer, shape


@_settings(12)
@given(conv_cases())
def test_convolutions(case):
    _check(*case)


@st.composite
def pool_cases(draw):
    rank = draw(st.sampled_from([1, 2]))
    pool = draw(st.integers(1, 3))
    strides = draw(st.one_of(st.none(), st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    spatial = tuple(draw(st.integers(pool, pool + 5)) for _ in range(rank))
    channels = draw(st.integers(1, 3))
    shape = (2,) + (spatial + (channels,) if data_format == "channels_last" else (channels,) + spatial)
    family = {1: [L.MaxPooling1D, L.AveragePooling1D], 2: [L.MaxPooling2D, L.AveragePooling2D]}[rank]
    cls = draw(st.sampled_from(family))
    return cls(pool, strides=strides, padding=padding, data_format=data_format), shape


@_settings(20)
@given(pool_cases())
def test_pooling(case):
    _check(*case)


@st.composite
def recurrent_cases(draw):
    cls = draw(st.sampled_from([L.SimpleRNN, L.GRU, L.LSTM]))
    layer = cls(draw(st.integers(1, 5)), return_sequences=draw(st.booleans()), go_backwards=draw(st.booleans()))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 4)))
    return layer, shape


@pytest.mark.slow
@_settings(6)
@given(recurrent_cases())
def test_recurrent(case):
    _check(*case)


@st.composite
def dense_cases(draw):
    layer = L.Dense(draw(st.integers(1, 8)), activation=draw(st.sampled_from([None, "relu", "tanh"])),
                    use_bias=draw(st.booleans()))
    rank = draw(st.integers(2, 4))
    return layer, tuple(draw(st.integers(1, 4)) for _ in range(rank))


@_settings(8)
@given(dense_cases())
def test_dense(case):
    _check(*case)


# ------------------------------------------------------------------------------------------------
# A random small model survives save / load exactly

_BLOCKS = {
    "dense": lambda d: [L.Dense(d.draw(st.integers(1, 6)), activation=d.draw(st.sampled_from(["relu", "tanh"])))],
    "conv": lambda d: [L.Conv1D(d.draw(st.integers(1, 4)), d.draw(st.integers(1, 2)), padding="same")],
    "pool": lambda d: [L.MaxPooling1D(2, padding="same")],
    "norm": lambda d: [L.BatchNormalization()],
    "dropout": lambda d: [L.Dropout(0.3)],
    "rnn": lambda d: [d.draw(st.sampled_from([L.GRU, L.LSTM, L.SimpleRNN]))(d.draw(st.integers(1, 4)),
                                                                            return_sequences=True)],
}


@pytest.mark.slow
@_settings(5)
@given(st.data())
def test_random_model_save_load_round_trip(tmp_path_factory, data):
    names = data.draw(st.lists(st.sampled_from(sorted(_BLOCKS)), min_size=1, max_size=4))
    steps, features = data.draw(st.integers(2, 6)), data.draw(st.integers(1, 3))
    stack = [jkeras.Input((steps, features))]
    for name in names:
        stack += _BLOCKS[name](data)
    stack += [L.Flatten(), L.Dense(2)]
    model = jkeras.Sequential(stack)
    rng = np.random.default_rng(len(names))
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5 for w in model.get_weights()])
    x = rng.standard_normal((3, steps, features)).astype("float32")
    expected = model.predict(x, verbose=0)
    path = tmp_path_factory.mktemp("model") / "m.keras"
    model.save(path)
    loaded = jkeras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    assert loaded.get_config() == model.get_config()

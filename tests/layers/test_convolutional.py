"""Convolution layers against Keras 3 (same weights, same inputs), plus errors and Keras 1 / 2
spellings."""
import json
import warnings

import jax
import keras
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras
from jkeras import layers
from jkeras.utils import legacy

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def channels_first(shape):
    return (shape[0], shape[-1]) + tuple(shape[1:-1])


# ------------------------------------------------------------------------------------------
# Equality with Keras 3

CONV_CASES = [
    ("Conv1D", dict(filters=4, kernel_size=3), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="same", strides=2), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=2, padding="causal", strides=2), (2, 9, 3)),
    ("Conv1D", dict(filters=6, kernel_size=3, groups=2, activation="tanh"), (2, 8, 4)),
    ("Conv2D", dict(filters=4, kernel_size=3), (2, 7, 6, 3)),
    ("Conv2D", dict(filters=4, kernel_size=(3, 2), strides=(2, 1), padding="same"), (2, 7, 6, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, dilation_rate=(2, 1), padding="same"), (2, 7, 6, 3)),
    ("Conv2D", dict(filters=4, kernel_size=2, strides=3, use_bias=False), (2, 7, 8, 3)),
    ("Conv2D", dict(filters=6, kernel_size=3, groups=3, padding="same"), (2, 6, 6, 3)),
    ("Conv3D", dict(filters=3, kernel_size=2), (2, 4, 5, 3, 2)),
    ("Conv3D", dict(filters=3, kernel_size=(3, 1, 2), strides=2, padding="same"), (2, 5, 4, 3, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=3, output_padding=2), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=2, strides=1, dilation_rate=2), (2, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=(3, 2), strides=2, padding="same"), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=(2, 3), padding="same",
                             output_padding=(1, 0)), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=2, strides=3), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, dilation_rate=2, padding="same"), (2, 4, 5, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), (2, 3, 2, 3, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=(1, 2, 2), padding="same"), (2, 3, 2, 3, 2)),
    ("DepthwiseConv1D", dict(kernel_size=3), (2, 8, 3)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"), (2, 8, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=3), (2, 6, 5, 2)),
    ("DepthwiseConv2D", dict(kernel_size=(2, 3), dilation_rate=2, padding="same"), (2, 6, 5, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, strides=2, use_bias=False, activation="tanh"), (2, 7, 7, 2)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3), (2, 8, 3)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, depth_multiplier=2, dilation_rate=2,
                             padding="same"), (2, 8, 3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3, depth_multiplier=2), (2, 6, 5, 3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=(3, 2), strides=2, padding="same",
                             use_bias=False), (2, 6, 5, 3)),
]


def _case_id(case):
    name, kwargs, _ = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("filters",))


def _cheap_keras_initializers(name):
    # Keras compiles a random initializer per weight shape (seconds); zeros + set_weights does not.
    if name.startswith("Depthwise"):
        return {"depthwise_initializer": "zeros"}
    if name.startswith("Separable"):
        return {"depthwise_initializer": "zeros", "pointwise_initializer": "zeros"}
    return {"kernel_initializer": "zeros"}


def assert_matches_keras(name, kwargs, shape):
    """Same outputs as Keras 3 with the same random weights, same weight names and shapes, and
    compute_output_shape equal to the real output shape."""
    x = rand(*shape)
    k_layer = getattr(keras.layers, name)(**kwargs, **_cheap_keras_initializers(name))
    k_layer.build(shape)
    names = [w.name for w in k_layer.weights]
    weights = [rand(*w.shape) for w in k_layer.weights]
    k_layer.set_weights(weights)
    expected = np.asarray(k_layer(x))

    layer = getattr(layers, name)(**kwargs)
    spec = jax.eval_shape(lambda key: layer.init(key, shape), jax.random.PRNGKey(0))["params"]
    assert {k: v.shape for k, v in spec.items()} == {n: w.shape for n, w in zip(names, weights)}
    out, _ = jax.jit(layer.apply)({"params": dict(zip(names, weights)), "state": {}}, x)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + out.shape[1:]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CONV_CASES, ids=[_case_id(c) for c in CONV_CASES])
def test_matches_keras(case, data_format):
    name, kwargs, shape = case
    if data_format == "channels_first":
        shape = channels_first(shape)
    assert_matches_keras(name, dict(kwargs, data_format=data_format), shape)


# The full check (weight order, symbolic shapes, JSON config round trip, gradients) once per
# implementation and for the paths that differ (causal, groups, channels_first, output_padding).
FULL_CASES = [
    ("Conv1D", dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (2, 9, 3)),
    ("Conv2D", dict(filters=4, kernel_size=(3, 2), strides=2, groups=2, data_format="channels_first",
                    activation="tanh", kernel_regularizer="l2"), (2, 4, 7, 6)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1,
                             data_format="channels_first"), (2, 2, 4, 5)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=(1, 2, 1)), (2, 2, 3, 2, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, padding="same", depth_multiplier=2, data_format="channels_first",
                             depthwise_constraint="non_neg"), (2, 2, 5, 4)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, strides=2, depth_multiplier=2, activation="tanh"),
     (2, 8, 3)),
]


@pytest.mark.parametrize("case", FULL_CASES, ids=[_case_id(c) for c in FULL_CASES])
def test_full_layer_check(case):
    name, kwargs, shape = case
    check_layer(lambda lib: getattr(lib.layers, name)(**kwargs), input_shape=shape)


ALL_CLASSES = [
    ("Conv1D", dict(filters=2, kernel_size=3)), ("Conv2D", dict(filters=2, kernel_size=3)),
    ("Conv3D", dict(filters=2, kernel_size=3)), ("Conv1DTranspose", dict(filters=2, kernel_size=3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, output_padding=0)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3)), ("DepthwiseConv1D", dict(kernel_size=3)),
    ("DepthwiseConv2D", dict(kernel_size=3)), ("SeparableConv1D", dict(filters=2, kernel_size=3)),
    ("SeparableConv2D", dict(filters=2, kernel_size=3)), ("Convolution2D", dict(filters=2, kernel_size=3)),
    ("Deconvolution2D", dict(filters=2, kernel_size=3)),
]


@pytest.mark.parametrize("name,kwargs", ALL_CLASSES, ids=[c[0] for c in ALL_CLASSES])
def test_config_has_keras_keys_and_round_trips_through_json(name, kwargs):
    layer = getattr(layers, name)(strides=1, activation="relu", bias_regularizer="l1", **kwargs)
    config = layer.get_config()
    keras_name = {"Convolution2D": "Conv2D", "Deconvolution2D": "Conv2DTranspose"}.get(name, name)
    keras_config = getattr(keras.layers, keras_name)(**kwargs).get_config()
    ignored = {"dtype", "lora_rank", "lora_alpha"}
    assert set(config) - ignored == set(keras_config) - ignored
    clone = getattr(layers, name).from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config and type(clone) is type(layer)


@pytest.mark.parametrize("name,kwargs,shape", [
    ("Conv2D", dict(filters=4, kernel_size=3, strides=2), (None, None, None, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, dilation_rate=2, data_format="channels_first"),
     (None, 3, None, 9)),
    ("Conv1D", dict(filters=2, kernel_size=4, padding="causal"), (None, None, 3)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), (None, 4, None, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1), (None, None, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2), (None, 7, None, 3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3, strides=2, padding="same"), (None, None, 7, 3)),
])
def test_compute_output_shape_with_unknown_dims_matches_keras(name, kwargs, shape):
    ours = getattr(layers, name)(**kwargs).compute_output_shape(shape)
    ref = getattr(keras.layers, name)(**kwargs).compute_output_shape(shape)
    assert ours == tuple(ref)


def test_symbolic_call_with_unknown_spatial_dims_and_a_large_valid_kernel():
    inputs = jkeras.Input((None, None, 3))
    out = layers.Conv2D(4, 9)(inputs)
    assert out.shape == (None, None, None, 4)
    model = jkeras.Model(inputs, out)
    assert model.predict(rand(2, 12, 10, 3), verbose=0).shape == (2, 4, 2, 4)


@pytest.mark.parametrize("name", ["SeparableConv1D", "DepthwiseConv1D"])
def test_causal_padding_of_separable_and_depthwise_1d_is_left_padding(name):
    # Keras 2 took padding="causal" here; Keras 3 does not, so the reference is Keras 3 with
    # "valid" padding on the input padded on the left by hand.
    kwargs = dict(kernel_size=3, dilation_rate=2)
    if name == "SeparableConv1D":
        kwargs["filters"] = 4

    def reference(x, weights):
        k_layer = getattr(keras.layers, name)(padding="valid", **kwargs)
        padded = np.pad(x, ((0, 0), (4, 0), (0, 0)))
        k_layer(padded)
        k_layer.set_weights(weights)
        return np.asarray(k_layer(padded))

    check_layer(lambda lib: getattr(lib.layers, name)(padding="causal", **kwargs), input_shape=(2, 8, 3),
                keras_make=None, reference=reference)


def test_pure_apply_jits_and_matches_the_layer_call():
    layer = layers.Conv2D(4, 3, padding="same", activation="relu")
    x = rand(2, 6, 6, 3)
    variables = layer.init(jax.random.PRNGKey(0), (None, 6, 6, 3))
    y, state = jax.jit(lambda v, x: layer.apply(v, x))(variables, x)
    assert state == {} and y.shape == (2, 6, 6, 4)
    layer(x)
    layer.set_variables(variables)
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(y), rtol=1e-6, atol=1e-6)


def test_trains_in_a_sequential_model():
    model = jkeras.Sequential([
        layers.Conv2D(4, 3, activation="relu", input_shape=(6, 6, 2)),
        layers.Flatten(),
        layers.Dense(1),
    ])
    model.compile(optimizer="sgd", loss="mse")
    x, y = rand(16, 6, 6, 2), rand(16, 1)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


def test_weight_regularizers_and_constraints_apply_to_their_weights():
    layer = layers.SeparableConv2D(
        3, 2, depthwise_regularizer=jkeras.regularizers.l2(0.5), pointwise_regularizer=jkeras.regularizers.l1(0.1),
        bias_regularizer=jkeras.regularizers.l2(1.0), bias_initializer="ones",
        depthwise_constraint=jkeras.constraints.NonNeg(),
    )
    layer(rand(1, 4, 4, 2))
    depthwise, pointwise, bias = layer.get_weights()
    expected = 0.5 * np.sum(depthwise ** 2) + 0.1 * np.sum(np.abs(pointwise)) + np.sum(bias ** 2)
    np.testing.assert_allclose(float(sum(layer.losses)), expected, rtol=1e-5)
    constrained = layer.apply_constraints(layer.get_variables()["params"])
    assert (np.asarray(constrained["depthwise_kernel"]) >= 0).all()
    conv = layers.Conv1D(2, 2, kernel_regularizer="l2", kernel_constraint="max_norm")
    conv(rand(1, 5, 3))
    np.testing.assert_allclose(float(sum(conv.losses)), 0.01 * np.sum(conv.get_weights()[0] ** 2), rtol=1e-5)
    assert conv.get_config()["kernel_constraint"]["class_name"] == "MaxNorm"


# ------------------------------------------------------------------------------------------
# Errors


def test_kernel_larger_than_input_names_layer_kernel_and_shape():
    with pytest.raises(ValueError, match=r"Conv2D 'big'.*kernel_size \(5, 5\).*\(2, 4, 6, 3\).*padding='same'"):
        layers.Conv2D(2, 5, name="big")(rand(2, 4, 6, 3))
    with pytest.raises(ValueError, match=r"Conv1D 'dil'.*kernel_size \(3,\).*dilation_rate \(3,\).*\(None, 6, 2\)"):
        layers.Conv1D(2, 3, dilation_rate=3, name="dil")(jkeras.Input((6, 2)))
    assert layers.Conv2D(2, 5, padding="same")(rand(2, 4, 6, 3)).shape == (2, 4, 6, 2)
    assert layers.Conv2DTranspose(2, 5)(rand(2, 2, 2, 3)).shape == (2, 6, 6, 2)


@pytest.mark.parametrize("make,shape,pattern", [
    (lambda: layers.Conv2D(2, 3, name="c"), (2, 5, 5),
     r"Conv2D 'c'.*rank 4 \(batch, rows, cols, channels\).*\(2, 5, 5\)"),
    (lambda: layers.Conv1D(2, 3, data_format="channels_first", name="c"), (2, 3, 5, 5),
     r"rank 3 \(batch, channels, steps\)"),
    (lambda: layers.Conv3DTranspose(2, 3, name="c"), (2, 5, 5, 5), r"rank 5"),
    (lambda: layers.Conv2D(4, 3, groups=2, name="g"), (2, 5, 5, 3), r"Conv2D 'g'.*input channels \(3\).*groups=2"),
])
def test_bad_inputs_raise_clear_errors(make, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()(rand(*shape))


def test_undefined_channels_and_changed_channels_are_rejected():
    with pytest.raises(ValueError, match=r"channel axis.*\(None, 5, None\)"):
        layers.Conv1D(2, 3)(jkeras.Input(batch_shape=(None, 5, None)))
    layer = layers.DepthwiseConv2D(3, name="dw")
    layer(rand(1, 5, 5, 2))
    with pytest.raises(ValueError, match=r"DepthwiseConv2D 'dw'.*expected 2 input channels.*\(1, 5, 5, 3\)"):
        layer(rand(1, 5, 5, 3))
    assert layer(rand(1, 6, 7, 2)).shape == (1, 4, 5, 2)  # other spatial sizes are fine


@pytest.mark.parametrize("make,pattern", [
    (lambda: layers.Conv2D(0, 3), r"filters must be a positive int, got 0"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), r"kernel_size must be an int or a tuple of 2 ints"),
    (lambda: layers.Conv1D(4, 0), r"kernel_size must hold positive ints"),
    (lambda: layers.Conv2D(4, 3, strides=0), r"strides must hold positive ints"),
    (lambda: layers.Conv2D(5, 3, groups=2), r"filters must be divisible by groups, got filters=5 and groups=2"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), r"strides > 1 cannot be combined with dilation_rate > 1"),
    (lambda: layers.Conv1DTranspose(4, 3, strides=2, dilation_rate=2), r"strides > 1 cannot be combined"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), r"padding must be one of \('valid', 'same'\), got 'causal'"),
    (lambda: layers.Conv1DTranspose(4, 3, padding="causal"), r"padding must be one of"),
    (lambda: layers.Conv2D(4, 3, padding="full"), r"padding must be one of"),
    (lambda: layers.Conv2D(4, 3, data_format="NHWC"), r"data_format must be 'channels_last' or 'channels_first'"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2),
     r"output_padding must be smaller than strides.*output_padding=\(2, 2\) and strides=\(2, 2\)"),
    (lambda: layers.Conv2DTranspose(4, 3, output_padding=-1), r"output_padding must hold non-negative ints"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), r"depth_multiplier must be a positive int"),
    (lambda: layers.SeparableConv1D(0, 3), r"filters must be a positive int"),
])
def test_bad_arguments_raise_value_errors_naming_them(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_error_messages_start_with_class_and_name():
    with pytest.raises(ValueError, match=r"^SeparableConv2D 'sep': depth_multiplier"):
        layers.SeparableConv2D(4, 3, depth_multiplier=-1, name="sep")


# ------------------------------------------------------------------------------------------
# Keras 1 / Keras 2 spellings


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def test_keras1_convolution2d_positional_kernel_and_renames(monkeypatch):
    monkeypatch.setattr(legacy, "_warned", set())
    with pytest.warns(UserWarning) as record:
        layer = layers.Convolution2D(64, 3, 3, border_mode="same", subsample=(2, 2), dim_ordering="th",
                                     init="he_normal", W_regularizer=jkeras.regularizers.l2(0.1))
    assert any("`border_mode` is deprecated; use `padding`" in str(w.message) for w in record)
    assert isinstance(layer, layers.Conv2D)
    assert (layer.filters, layer.kernel_size, layer.padding, layer.strides) == (64, (3, 3), "same", (2, 2))
    assert layer.data_format == "channels_first"
    assert type(layer.kernel_initializer).__name__ == "HeNormal" and layer.kernel_regularizer is not None
    keywords = _quiet(lambda: layers.Convolution2D(nb_filter=8, nb_row=3, nb_col=2, bias=False))
    assert (keywords.filters, keywords.kernel_size, keywords.use_bias) == (8, (3, 2), False)
    mixed = _quiet(lambda: layers.Convolution2D(8, 5, nb_col=1, dim_ordering="tf"))
    assert (mixed.kernel_size, mixed.data_format) == ((5, 1), "channels_last")


def test_keras3_names_keep_the_keras3_positional_meaning():
    layer = layers.Conv2D(64, 3, 2)  # Keras 3: strides=2
    assert (layer.kernel_size, layer.strides) == ((3, 3), (2, 2))
    modern = layers.Convolution2D(64, (3, 3), (2, 2))
    assert (modern.kernel_size, modern.strides) == ((3, 3), (2, 2))
    assert layers.Convolution1D is layers.Conv1D
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose


def test_keras1_convolution1d_and_atrous():
    layer = _quiet(lambda: layers.Convolution1D(nb_filter=8, filter_length=3, subsample_length=2,
                                                border_mode="causal", input_dim=5, input_length=10))
    assert (layer.filters, layer.kernel_size, layer.strides, layer.padding) == (8, (3,), (2,), "causal")
    assert layer._batch_input_shape == (None, 10, 5)
    atrous = _quiet(lambda: layers.AtrousConvolution1D(4, 3, atrous_rate=2))
    assert atrous.dilation_rate == (2,)
    atrous2d = _quiet(lambda: layers.AtrousConvolution2D(4, 3, 3, atrous_rate=(2, 2), border_mode="same"))
    assert (atrous2d.kernel_size, atrous2d.dilation_rate) == ((3, 3), (2, 2))
    model = jkeras.Sequential([_quiet(lambda: layers.Convolution1D(4, 3, input_dim=5, input_length=10))])
    assert model.output_shape == (None, 8, 4)


def test_keras1_convolution3d_separable_and_deconvolution():
    conv3d = _quiet(lambda: layers.Convolution3D(4, 3, 2, 1, border_mode="same"))
    assert conv3d.kernel_size == (3, 2, 1)
    sep = _quiet(lambda: layers.SeparableConvolution2D(8, 3, 3, init="he_uniform", depth_multiplier=2,
                                                       b_regularizer="l2"))
    assert sep.kernel_size == (3, 3) and sep.depth_multiplier == 2 and sep.bias_regularizer is not None
    assert type(sep.depthwise_initializer).__name__ == type(sep.pointwise_initializer).__name__ == "HeUniform"
    deconv = _quiet(lambda: layers.Deconvolution2D(3, 4, 4, (None, 14, 14, 3), subsample=(2, 2),
                                                   border_mode="same"))
    assert isinstance(deconv, layers.Conv2DTranspose)
    assert (deconv.kernel_size, deconv.strides) == ((4, 4), (2, 2))
    assert deconv(rand(1, 7, 7, 2)).shape == (1, 14, 14, 3)
    keyword = _quiet(lambda: layers.Deconvolution2D(3, 4, 4, output_shape=(None, 8, 8, 3)))
    assert keyword.kernel_size == (4, 4)
    assert layers.Deconvolution3D is layers.Conv3DTranspose


def test_keras1_spellings_warn_and_conflicts_raise(monkeypatch):
    monkeypatch.setattr(legacy, "_warned", set())  # each spelling warns once per process
    with pytest.warns(UserWarning, match=r"`nb_row/nb_col` is deprecated; use `kernel_size`"):
        layers.Convolution2D(4, 5, 5)
    with pytest.raises(TypeError, match="both `border_mode`"):
        layers.Conv2D(4, 3, border_mode="same", padding="valid")
    with pytest.raises(TypeError, match="Did you mean 'dilation_rate'"):
        layers.Conv2D(4, 3, dilaton_rate=2)


def test_keras1_config_loads_through_from_config():
    config = {"name": "conv_k1", "nb_filter": 6, "nb_row": 3, "nb_col": 3, "border_mode": "valid",
              "subsample": [1, 1], "dim_ordering": "tf", "activation": "relu", "init": "glorot_uniform",
              "W_regularizer": None, "b_regularizer": None, "W_constraint": None, "b_constraint": None,
              "bias": True, "trainable": True}
    layer = _quiet(lambda: layers.Convolution2D.from_config(config))
    assert (layer.filters, layer.kernel_size, layer.name) == (6, (3, 3), "conv_k1")
    assert layer(rand(1, 5, 5, 2)).shape == (1, 3, 3, 6)


def test_keras3_config_loads_through_from_config():
    k_layer = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1,
                                           kernel_regularizer="l2")
    layer = layers.Conv2DTranspose.from_config(k_layer.get_config())
    assert (layer.output_padding, layer.padding) == ((1, 1), "same") and layer.kernel_regularizer is not None

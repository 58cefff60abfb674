"""LocallyConnected1D / 2D (Keras 2 layers, absent from Keras 3) against a NumPy loop over output
positions written from Keras 2's definition (implementation=1)."""
import itertools
import warnings

import jax
import numpy as np
import pytest
from layer_testing import check_layer

import jkeras
from jkeras import layers
from jkeras.utils import legacy

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


def local_reference(kernel_size, strides, data_format, activation=lambda v: v):
    """Keras 2's local_conv: at each output position (row-major), the input window flattened in the
    input's own axis order times that position's kernel; the bias reshaped (not transposed) to
    `(filters, *output)` for channels_first."""

    def reference(x, weights):
        kernel, bias = (weights + [None])[:2]
        spatial = x.shape[2:] if data_format == "channels_first" else x.shape[1:-1]
        out = [(n - k) // s + 1 for n, k, s in zip(spatial, kernel_size, strides)]
        filters = kernel.shape[-1]
        y = np.zeros((x.shape[0], *out, filters))
        for index, position in enumerate(itertools.product(*map(range, out))):
            window = tuple(slice(p * s, p * s + k) for p, s, k in zip(position, strides, kernel_size))
            if data_format == "channels_first":
                patch = x[(slice(None), slice(None)) + window]
            else:
                patch = x[(slice(None),) + window]
            y[(slice(None),) + position] = patch.reshape(x.shape[0], -1) @ kernel[index]
        if data_format == "channels_first":
            y = np.moveaxis(y, -1, 1)
            if bias is not None:
                y = y + bias.reshape((filters, *out))
        elif bias is not None:
            y = y + bias
        return activation(y)

    return reference


CASES = [
    ("LocallyConnected1D", dict(filters=4, kernel_size=3), (2, 8, 3)),
    ("LocallyConnected1D", dict(filters=2, kernel_size=(2,), strides=3, use_bias=False), (2, 8, 3)),
    ("LocallyConnected2D", dict(filters=4, kernel_size=3), (2, 5, 6, 2)),
    ("LocallyConnected2D", dict(filters=3, kernel_size=(3, 2), strides=(2, 1), activation="tanh"), (2, 7, 5, 2)),
    ("LocallyConnected2D", dict(filters=2, kernel_size=(1, 2), strides=2, use_bias=False), (2, 5, 6, 3)),
]


def _as_tuple(value, rank):
    return (value,) * rank if isinstance(value, int) else tuple(value)


def _reference_for(kwargs, rank, data_format):
    activation = np.tanh if kwargs.get("activation") == "tanh" else (lambda v: v)
    return local_reference(_as_tuple(kwargs["kernel_size"], rank), _as_tuple(kwargs.get("strides", 1), rank),
                           data_format, activation)


def _channels_first(shape):
    return (shape[0], shape[-1]) + shape[1:-1]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_matches_keras2_reference(name, kwargs, shape, data_format):
    # Random weights straight into the pure apply (no initializer to compile per shape).
    if data_format == "channels_first":
        shape = _channels_first(shape)
    layer = getattr(layers, name)(data_format=data_format, **kwargs)
    spec = jax.eval_shape(lambda key: layer.init(key, shape), jax.random.PRNGKey(0))["params"]
    names = ["kernel", "bias"] if layer.use_bias else ["kernel"]
    params = {n: rand(*spec[n].shape) for n in names}
    x = rand(*shape)
    out, _ = jax.jit(layer.apply)({"params": params, "state": {}}, x)
    expected = _reference_for(kwargs, len(shape) - 2, data_format)(x, [params[n] for n in names])
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + out.shape[1:]


@pytest.mark.parametrize("name,kwargs,shape,data_format", [
    ("LocallyConnected1D", dict(filters=4, kernel_size=3, strides=2), (2, 8, 3), "channels_last"),
    ("LocallyConnected2D", dict(filters=3, kernel_size=(3, 2), activation="tanh"), (2, 2, 5, 4), "channels_first"),
])
def test_full_layer_check(name, kwargs, shape, data_format):
    check_layer(
        lambda lib: getattr(lib.layers, name)(data_format=data_format, bias_initializer="random_normal",
                                              **kwargs),
        input_shape=shape, keras_make=None, reference=_reference_for(kwargs, len(shape) - 2, data_format),
    )


def test_weights_have_keras2_names_and_shapes():
    layer = layers.LocallyConnected2D(5, (3, 2), strides=(2, 1))
    layer(rand(1, 7, 6, 3))
    assert [(w.name, w.shape) for w in layer.weights] == [("kernel", (15, 18, 5)), ("bias", (3, 5, 5))]
    layer = layers.LocallyConnected1D(4, 3, data_format="channels_first")
    layer(rand(1, 2, 9))
    assert [(w.name, w.shape) for w in layer.weights] == [("kernel", (7, 6, 4)), ("bias", (7, 4))]
    assert layer.count_params() == 7 * 6 * 4 + 7 * 4


def test_compute_output_shape_and_symbolic_call():
    layer = layers.LocallyConnected2D(4, 3, strides=2, data_format="channels_first")
    assert layer.compute_output_shape((None, 2, 9, 7)) == (None, 4, 4, 3)
    out = layers.LocallyConnected1D(6, 4, strides=2)(jkeras.Input((11, 3)))
    assert out.shape == (None, 4, 6)


def test_pure_apply_jits_and_trains_in_a_model():
    model = jkeras.Sequential([layers.LocallyConnected1D(3, 2, input_shape=(6, 2)), layers.Flatten(),
                               layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = rand(16, 6, 2), rand(16, 1)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    layer = model.layers[0]
    out, _ = jax.jit(layer.apply)(layer.get_variables(), x)
    np.testing.assert_allclose(np.asarray(out), np.asarray(layer(x)), rtol=1e-6, atol=1e-6)


def test_regularizers_and_constraints():
    layer = layers.LocallyConnected2D(2, 2, kernel_regularizer=jkeras.regularizers.l2(0.5),
                                      bias_constraint=jkeras.constraints.NonNeg(), bias_initializer="random_normal")
    layer(rand(1, 3, 3, 2))
    kernel, _ = layer.get_weights()
    np.testing.assert_allclose(float(sum(layer.losses)), 0.5 * np.sum(kernel ** 2), rtol=1e-5)
    assert (np.asarray(layer.apply_constraints(layer.get_variables()["params"])["bias"]) >= 0).all()


@pytest.mark.parametrize("make,shape,pattern", [
    (lambda: layers.LocallyConnected2D(2, 5, name="lc"), (1, 4, 6, 2),
     r"LocallyConnected2D 'lc'.*kernel_size \(5, 5\).*\(1, 4, 6, 2\)"),
    (lambda: layers.LocallyConnected1D(2, 3, name="lc"), (1, 5, 5, 2), r"rank 3 \(batch, steps, channels\)"),
])
def test_bad_inputs(make, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()(rand(*shape))


def test_spatial_dims_must_be_defined_and_fixed():
    with pytest.raises(ValueError, match=r"LocallyConnected1D 'lc1'.*spatial dimensions.*\(None, None, 3\)"):
        layers.LocallyConnected1D(2, 3, name="lc1")(jkeras.Input((None, 3)))
    layer = layers.LocallyConnected2D(2, 2, name="lc2")
    layer(rand(1, 4, 4, 2))
    with pytest.raises(ValueError, match=r"LocallyConnected2D 'lc2'.*\(None, 4, 4, 2\).*\(1, 5, 4, 2\)"):
        layer(rand(1, 5, 4, 2))


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(padding="same"), r"only padding='valid' is supported"),
    (dict(implementation=2), r"only implementation=1.*got implementation=2"),
    (dict(strides=0), r"strides must hold positive ints"),
    (dict(data_format="NCHW"), r"data_format must be"),
])
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        layers.LocallyConnected2D(4, 3, **kwargs)
    with pytest.raises(ValueError, match=r"filters must be a positive int"):
        layers.LocallyConnected1D(-1, 3)


def test_keras1_and_keras2_spellings(monkeypatch):
    monkeypatch.setattr(legacy, "_warned", set())
    with pytest.warns(UserWarning) as record:
        layer = layers.LocallyConnected2D(8, 3, 2, border_mode="valid", subsample=(2, 1), dim_ordering="th")
    assert any("`nb_row/nb_col` is deprecated" in str(w.message) for w in record)
    assert (layer.kernel_size, layer.strides, layer.data_format) == ((3, 2), (2, 1), "channels_first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one_d = layers.LocallyConnected1D(nb_filter=4, filter_length=3, subsample_length=2, bias=False,
                                          input_dim=5, input_length=9)
    assert (one_d.filters, one_d.kernel_size, one_d.strides, one_d.use_bias) == (4, (3,), (2,), False)
    assert one_d._batch_input_shape == (None, 9, 5)
    modern = layers.LocallyConnected2D(8, (3, 3), (2, 2))
    assert (modern.kernel_size, modern.strides) == ((3, 3), (2, 2))


def test_keras2_config_loads():
    config = {"name": "lc", "trainable": True, "dtype": "float32", "filters": 3, "kernel_size": [2, 2],
              "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "activation": "relu",
              "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
              "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
              "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
              "bias_constraint": None, "implementation": 1}
    layer = layers.LocallyConnected2D.from_config(config)
    assert layer.get_config()["kernel_size"] == (2, 2) and layer.implementation == 1
    assert layer(rand(1, 4, 4, 2)).shape == (1, 3, 3, 3)

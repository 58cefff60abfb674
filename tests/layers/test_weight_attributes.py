"""Built-in layers expose their weights as Keras's attributes (`dense.kernel`, `bn.moving_mean`)."""
import keras
import numpy as np
import pytest

import jkeras

CASES = [
    ("Dense", (3,), {}, (2, 4), ["kernel", "bias"]),
    ("Conv2D", (2, 3), {}, (1, 6, 6, 2), ["kernel", "bias"]),
    ("DepthwiseConv2D", (3,), {}, (1, 6, 6, 2), ["kernel", "bias"]),
    ("SeparableConv2D", (2, 3), {}, (1, 6, 6, 2), ["depthwise_kernel", "pointwise_kernel", "bias"]),
    ("BatchNormalization", (), {}, (2, 3), ["gamma", "beta", "moving_mean", "moving_variance"]),
    ("LayerNormalization", (), {}, (2, 3), ["gamma", "beta"]),
    ("Embedding", (7, 2), {}, None, ["embeddings"]),
    ("PReLU", (), {}, (2, 3), ["alpha"]),
]


@pytest.mark.parametrize("name,args,kwargs,shape,attrs", CASES, ids=[c[0] for c in CASES])
def test_weights_are_attributes_as_in_keras(name, args, kwargs, shape, attrs):
    x = np.ones((1, 4), "int32") if shape is None else np.ones(shape, "float32")
    ours, ref = getattr(jkeras.layers, name)(*args, **kwargs), getattr(keras.layers, name)(*args, **kwargs)
    ours(x), ref(x)
    for attr in attrs:
        assert hasattr(ref, attr)
        ours_w = getattr(ours, attr)
        assert tuple(ours_w.shape) == tuple(getattr(ref, attr).shape), attr
        assert any(ours_w is w for w in ours.weights), attr  # the same handle `weights` lists
        # Same path under each library's own automatic layer name (the name counters differ).
        assert ours_w.path == f"{ours.name}/{attr}" and getattr(ref, attr).path == f"{ref.name}/{attr}"


def test_recurrent_cell_weights_and_assignment():
    ours = jkeras.layers.LSTM(2)
    ours(np.ones((1, 3, 2), "float32"))
    assert tuple(ours.cell.kernel.shape) == (2, 8) and tuple(ours.cell.recurrent_kernel.shape) == (2, 8)
    ours.cell.kernel.assign(np.full((2, 8), 0.5, "float32"))
    np.testing.assert_array_equal(np.asarray(ours.get_weights()[0]), np.full((2, 8), 0.5, "float32"))
    with pytest.raises(AttributeError, match="no attribute 'kernel'"):
        jkeras.layers.Dense(2).kernel  # not built: no weights yet, as in Keras

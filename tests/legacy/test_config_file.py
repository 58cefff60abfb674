"""keras.json at import and the floatx / epsilon / image_data_format settings everywhere."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import jkeras
from jkeras import backend as K
from jkeras import layers, losses
from jkeras.core import config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _write(path, content):
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_config_file_is_read(tmp_path):
    path = _write(tmp_path / "keras.json", {"floatx": "float16", "epsilon": 1e-4,
                                            "image_data_format": "channels_first", "backend": "jax"})
    assert config.load_config_file(path) == {"floatx": "float16", "epsilon": 1e-4,
                                             "image_data_format": "channels_first"}
    assert (K.floatx(), K.epsilon(), K.image_data_format()) == ("float16", 1e-4, "channels_first")


def test_keras1_dim_ordering_key(tmp_path):
    config.load_config_file(_write(tmp_path / "keras.json", {"image_dim_ordering": "th"}))
    assert K.image_data_format() == "channels_first" and K.image_dim_ordering() == "th"


@pytest.mark.parametrize("content", ["{not json", '["a list"]', {"floatx": "float128x"}, {"epsilon": -1},
                                     {"image_data_format": "channels_middle"}])
def test_malformed_file_warns_and_keeps_defaults(tmp_path, content):
    path = _write(tmp_path / "keras.json", content)
    with pytest.warns(UserWarning, match="Ignoring the Keras config file"):
        settings = config.load_config_file(path)
    assert settings == {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def test_keras_home_is_read_at_import(tmp_path):
    _write(tmp_path / "keras.json", {"floatx": "float16", "epsilon": 0.001, "image_data_format": "channels_first"})
    code = ("import jkeras, numpy as np; from jkeras import backend as K, layers; "
            "d = layers.Dense(2); d.build((None, 3)); c = layers.Conv2D(2, 3);"
            "print(K.floatx(), K.epsilon(), K.image_data_format(), d.get_weights()[0].dtype, c.data_format)")
    env = {**os.environ, "KERAS_HOME": str(tmp_path), "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["float16", "0.001", "channels_first", "float16", "channels_first"], out.stderr
    (tmp_path / "keras.json").write_text("{broken")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "Ignoring the Keras config file" in out.stderr
    assert out.stdout.split() == ["float32", "1e-07", "channels_last", "float32", "channels_last"]


def test_floatx_sets_layer_and_input_dtypes():
    K.set_floatx("float16")
    dense = layers.Dense(2)
    dense.build((None, 3))
    assert dense.dtype == "float16" and dense.get_weights()[0].dtype == np.float16
    assert jkeras.Input((3,)).dtype == "float16"
    model = jkeras.Sequential([layers.Dense(2, input_shape=(3,))])
    assert model.predict(np.ones((2, 3)), verbose=0).dtype == np.float16
    with pytest.raises(ValueError, match="floatx must be one of"):
        K.set_floatx("int32")


def test_epsilon_is_used_by_losses():
    y_true = np.array([[1.0, 0.0]], "float32")
    y_pred = np.array([[1.0, 0.0]], "float32")
    K.set_epsilon(1e-2)
    eps = 1e-2
    # Both predictions are clipped to [eps, 1 - eps]: each term is -log(1 - eps).
    got = float(np.mean(losses.binary_crossentropy(y_true, y_pred)))
    np.testing.assert_allclose(got, -np.log(1 - eps), rtol=1e-5)
    mape = float(np.mean(losses.mean_absolute_percentage_error(np.zeros((1, 2)), np.ones((1, 2)))))
    np.testing.assert_allclose(mape, 100.0 / eps, rtol=1e-5)


def test_image_data_format_is_the_default_of_image_layers():
    K.set_image_data_format("channels_first")
    for layer in (layers.Conv2D(2, 3), layers.MaxPooling2D(), layers.GlobalAveragePooling2D(),
                  layers.UpSampling2D(), layers.ZeroPadding2D(), layers.Flatten(), layers.SpatialDropout2D(0.1)):
        assert layer.data_format == "channels_first", type(layer).__name__
    x = np.random.default_rng(0).random((1, 3, 6, 6)).astype("float32")
    assert layers.Conv2D(4, 3)(x).shape == (1, 4, 4, 4)
    assert layers.Conv2D(4, 3, data_format="channels_last").data_format == "channels_last"
    K.set_image_dim_ordering("tf")
    assert K.image_data_format() == "channels_last"
    with pytest.raises(ValueError, match="channels_last"):
        K.set_image_data_format("NHWC")

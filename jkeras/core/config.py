"""Global numeric settings: `floatx`, `epsilon`, `image_data_format`, and the Keras config file.

At import the settings are read from `$KERAS_HOME/keras.json` (default `~/.keras/keras.json`),
as Keras reads them: `{"floatx": "float32", "epsilon": 1e-07, "image_data_format": "channels_last"}`
(Keras 1's `"image_dim_ordering": "tf" / "th"` too). A missing file leaves the defaults; an
unreadable or malformed one gives a warning and the defaults, never an error. Layers, losses,
metrics and constraints read these values when they are built or traced.
"""
import json
import os
import warnings

import numpy as np

_DEFAULTS = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}
_DIM_ORDERING = {"tf": "channels_last", "th": "channels_first"}
_DATA_FORMATS = ("channels_last", "channels_first")
_config = dict(_DEFAULTS)


def floatx():
    """The default float dtype name of weights and inputs, e.g. "float32"."""
    return _config["floatx"]


def set_floatx(value):
    """Sets the default float dtype.

    Raises:
        ValueError: if `value` is not a floating dtype name ("float16", "bfloat16", "float32", "float64").
    """
    _config["floatx"] = _check_floatx(value)


def epsilon():
    """The fuzz factor used to keep divisions and logarithms finite (default 1e-7)."""
    return _config["epsilon"]


def set_epsilon(value):
    """Sets the fuzz factor.

    Raises:
        ValueError: if `value` is not a positive number.
    """
    _config["epsilon"] = _check_epsilon(value)


def image_data_format():
    """The default data format of image layers: "channels_last" or "channels_first"."""
    return _config["image_data_format"]


def set_image_data_format(data_format):
    """Sets the default data format.

    Raises:
        ValueError: for another value than "channels_last" / "channels_first".
    """
    _config["image_data_format"] = _check_data_format(data_format)


def standardize_data_format(data_format, owner="data_format"):
    """`data_format` validated, with None meaning `image_data_format()`.

    Raises:
        ValueError: naming `owner`, for another value than "channels_last" / "channels_first".
    """
    if data_format is None:
        return image_data_format()
    return _check_data_format(str(data_format).lower(), owner)


def _check_floatx(value):
    try:
        name = str(np.dtype(value)) if value != "bfloat16" else "bfloat16"
    except TypeError:
        name = None
    if name not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(
            f"floatx must be one of 'float16', 'bfloat16', 'float32', 'float64', got {value!r}"
        )
    return name


def _check_epsilon(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"epsilon must be a positive number, got {value!r}")
    return float(value)


def _check_data_format(value, owner="image_data_format"):
    if value not in _DATA_FORMATS:
        raise ValueError(f"{owner} must be 'channels_last' or 'channels_first', got {value!r}")
    return value


def config_path():
    """The path of the Keras config file: `$KERAS_HOME/keras.json`, else `~/.keras/keras.json`."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "keras.json")


def load_config_file(path=None):
    """Resets the settings to the defaults, then applies the Keras config file at `path`.

    Args:
        path: the file to read (default `config_path()`); a missing file leaves the defaults.

    Returns:
        The settings now in effect, a dict.
    """
    path = config_path() if path is None else path
    _config.clear()
    _config.update(_DEFAULTS)
    if not os.path.exists(path):
        return dict(_config)
    try:
        with open(path) as f:
            given = json.load(f)
        if not isinstance(given, dict):
            raise ValueError(f"expected a JSON object, got {type(given).__name__}")
        settings = {}
        if "floatx" in given:
            settings["floatx"] = _check_floatx(given["floatx"])
        if "epsilon" in given:
            settings["epsilon"] = _check_epsilon(given["epsilon"])
        data_format = given.get("image_data_format", _DIM_ORDERING.get(given.get("image_dim_ordering")))
        if data_format is not None:
            settings["image_data_format"] = _check_data_format(data_format)
    except (OSError, ValueError, TypeError) as e:  # json.JSONDecodeError is a ValueError
        warnings.warn(f"Ignoring the Keras config file {path} ({e}); using the defaults {_DEFAULTS}.",
                      UserWarning, stacklevel=2)
        return dict(_config)
    _config.update(settings)
    return dict(_config)


load_config_file()

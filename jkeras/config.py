"""`jkeras.config`: Keras 3's global settings (`keras.config.set_floatx`, ...).

The numeric settings are those of `jkeras.backend` (read from `~/.keras/keras.json`); the dtype
policy is `jkeras.mixed_precision`'s global policy. `max_epochs` / `max_steps_per_epoch` start
from the `KERAS_MAX_EPOCHS` / `KERAS_MAX_STEPS_PER_EPOCH` environment variables, as in Keras.
"""
import os
import warnings

from jkeras.core.config import (  # noqa: F401  (re-exported)
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from jkeras.mixed_precision import dtype_policy, set_dtype_policy  # noqa: F401

__all__ = [
    "backend", "set_backend", "floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
    "set_image_data_format", "dtype_policy", "set_dtype_policy", "enable_unsafe_deserialization",
    "enable_interactive_logging", "disable_interactive_logging", "is_interactive_logging_enabled",
    "enable_traceback_filtering", "disable_traceback_filtering", "is_traceback_filtering_enabled",
    "enable_flash_attention", "disable_flash_attention", "is_flash_attention_enabled",
    "max_epochs", "set_max_epochs", "max_steps_per_epoch", "set_max_steps_per_epoch",
    "is_nnx_enabled",
]


def _env_limit(name):
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return _check_limit(int(value), name)
    except ValueError:
        warnings.warn(f"Ignoring {name}={value!r}: expected a positive integer.", UserWarning, stacklevel=2)
        return None


def _check_limit(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
    return value


_settings = {
    "interactive_logging": True,
    "traceback_filtering": True,
    "flash_attention": None,
    "max_epochs": _env_limit("KERAS_MAX_EPOCHS"),
    "max_steps_per_epoch": _env_limit("KERAS_MAX_STEPS_PER_EPOCH"),
}


def backend():
    """The name of the backend: always "jax"."""
    return "jax"


def set_backend(backend):
    """Keras 3 switches backends here; jkeras runs on JAX only.

    Raises:
        ValueError: for any backend other than "jax".
    """
    if backend != "jax":
        raise ValueError(f"jkeras runs on JAX only: set_backend({backend!r}) is not possible "
                         "(use keras itself for other backends)")


def enable_unsafe_deserialization():
    """Lets `load_model` and friends rebuild `Lambda` layers, as `safe_mode=False` does.

    Even then a `Lambda`'s function is never loaded from the file: it must be given by name in
    `custom_objects` (or be a registered object).
    """
    from jkeras.saving import model_config

    model_config.set_unsafe_deserialization(True)


def enable_interactive_logging():
    """Progress bars and `summary()` print to stdout (the default)."""
    _settings["interactive_logging"] = True


def disable_interactive_logging():
    """Progress bars and `summary()` write to the Python logger "jkeras" (level INFO) instead."""
    _settings["interactive_logging"] = False


def is_interactive_logging_enabled():
    """True when progress bars and `summary()` print to stdout."""
    return _settings["interactive_logging"]


def enable_traceback_filtering():
    """Kept for Keras 3 code; jkeras does not rewrite tracebacks, so this only sets the flag."""
    _settings["traceback_filtering"] = True


def disable_traceback_filtering():
    """Kept for Keras 3 code; jkeras does not rewrite tracebacks, so this only clears the flag."""
    _settings["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    """The flag set by `enable_traceback_filtering` / `disable_traceback_filtering`."""
    return _settings["traceback_filtering"]


def enable_flash_attention():
    """Kept for Keras 3 code: jkeras's attention layers leave the kernel choice to XLA."""
    _settings["flash_attention"] = True


def disable_flash_attention():
    """Kept for Keras 3 code: jkeras's attention layers leave the kernel choice to XLA."""
    _settings["flash_attention"] = False


def is_flash_attention_enabled():
    """The flag set by `enable_flash_attention` / `disable_flash_attention` (None: never set)."""
    return _settings["flash_attention"]


def max_epochs():
    """The limit on the epochs of any `fit` call, or None (no limit)."""
    return _settings["max_epochs"]


def set_max_epochs(max_epochs):
    """Limits the epochs of every `fit` call (for quick test runs of long scripts).

    Args:
        max_epochs: a positive int, or None for no limit.

    Raises:
        ValueError: for anything else.
    """
    _settings["max_epochs"] = _check_limit(max_epochs, "max_epochs")


def max_steps_per_epoch():
    """The limit on the steps of each epoch of `fit`, `evaluate` and `predict`, or None."""
    return _settings["max_steps_per_epoch"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Limits the steps of each epoch of `fit`, and of `evaluate` and `predict`.

    Args:
        max_steps_per_epoch: a positive int, or None for no limit.

    Raises:
        ValueError: for anything else.
    """
    _settings["max_steps_per_epoch"] = _check_limit(max_steps_per_epoch, "max_steps_per_epoch")


def is_nnx_enabled():
    """False: jkeras layers are not Flax NNX modules."""
    return False

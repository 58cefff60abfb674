"""Unique default names (`dense`, `dense_1`, ...) as Keras gives them."""
import re

_counts = {}


def to_snake_case(name):
    """`Conv2D` -> `conv2d`, `MaxPooling2D` -> `max_pooling2d`, as Keras names layers."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def keras_class_name(obj):
    """The class name Keras 3 shows for `obj` (its repr, summaries, saved files): a functional
    model, jkeras's `Model`, is Keras 3's `Functional`."""
    name = type(obj).__name__
    return "Functional" if name == "Model" else name


def uniquify(base):
    """Returns `base` the first time, then `base_1`, `base_2`, ..."""
    n = _counts.get(base, 0)
    _counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def reset_names():
    """Forgets the names given so far (`jkeras.backend.clear_session`)."""
    _counts.clear()

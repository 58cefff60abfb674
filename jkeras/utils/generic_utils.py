"""Keras 2's `keras.utils.generic_utils` module path: the custom-object registry, `Progbar`,
serialization, and the small helpers Keras 2 custom layers import from it."""
import inspect

from jkeras.utils.object_registry import (  # noqa: F401
    CustomObjectScope, custom_object_scope, get_custom_objects,
)
from jkeras.utils.progbar import Progbar  # noqa: F401
from jkeras.utils.serialization import deserialize_keras_object, serialize_keras_object  # noqa: F401


def has_arg(fn, name, accept_all=False):
    """Whether `fn` can be called with the keyword argument `name`.

    Args:
        fn: a callable.
        name: the argument name.
        accept_all: what to answer when `fn` has no parameter `name` but takes `**kwargs`.

    Returns:
        True if `name` is a positional-or-keyword or keyword-only parameter of `fn` (or, with
        `accept_all`, `fn` takes `**kwargs`).
    """
    parameters = inspect.signature(fn).parameters
    if name in parameters:
        return parameters[name].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return accept_all and any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def to_list(x, allow_tuple=False):
    """`x` itself if a list; a tuple's items if `allow_tuple`; else `[x]`."""
    if isinstance(x, list):
        return x
    if allow_tuple and isinstance(x, tuple):
        return list(x)
    return [x]


def unpack_singleton(x):
    """The only item of a one-item list / tuple, else `x` itself."""
    return x[0] if len(x) == 1 else x


def object_list_uid(object_list):
    """A string identifying the objects of `object_list` (or one object) by their `id`."""
    return ", ".join(str(abs(id(x))) for x in to_list(object_list))


def is_all_none(iterable_or_element):
    """Whether every item (or the one element) is None."""
    return all(x is None for x in to_list(iterable_or_element, allow_tuple=True))


def slice_arrays(arrays, start=None, stop=None):
    """`arrays[start:stop]`, or that of each array of a list (None entries stay None); `start`
    may instead be a list / array of indices (then `stop` is unused).

    Returns:
        The slice(s); `[None]` for `arrays=None`.
    """
    if arrays is None:
        return [None]
    indices = hasattr(start, "__len__")
    if indices and hasattr(start, "tolist"):
        start = start.tolist()  # HDF5 datasets take lists of indices only

    def take(x):
        return None if x is None else (x[start] if indices else x[start:stop])

    return [take(x) for x in arrays] if isinstance(arrays, list) else take(arrays)


def transpose_shape(shape, target_format, spatial_axes):
    """A channels_last `shape` (tuple or list) reordered for `target_format`.

    Args:
        shape: the channels_last shape, channels last.
        target_format: "channels_first" (the channels move before the spatial axes) or
            "channels_last" (`shape` itself).
        spatial_axes: the indices of the spatial axes in `shape`, e.g. `(1, 2)` for
            `(batch, rows, cols, channels)`.

    Returns:
        A tuple (a list for a list `shape`).

    Raises:
        ValueError: for another `target_format`.
    """
    if target_format == "channels_last":
        return shape
    if target_format != "channels_first":
        raise ValueError('The `data_format` argument must be one of "channels_first", "channels_last". '
                         f"Received: {target_format}")
    reordered = tuple(shape[:spatial_axes[0]]) + (shape[-1],) + tuple(shape[axis] for axis in spatial_axes)
    return list(reordered) if isinstance(shape, list) else reordered


def check_for_unexpected_keys(name, input_dict, expected_values):
    """Raises a ValueError naming the keys of `input_dict` not in `expected_values`."""
    unknown = set(input_dict).difference(expected_values)
    if unknown:
        raise ValueError(f"Unknown entries in {name} dictionary: {sorted(unknown)}. Only expected following "
                         f"keys: {expected_values}")

"""Custom objects by name: `register_keras_serializable`, `CustomObjectScope`, `get_custom_objects`.

Loading a model looks every class and function name up in, from first to last: the innermost open
`CustomObjectScope`, the globally registered objects, then the `custom_objects` argument of the
loading call (Keras 3's order), before the built-in names.

    @jkeras.utils.register_keras_serializable(package="MyLayers")
    class Scale(jkeras.layers.Layer):
        ...

    with jkeras.utils.custom_object_scope({"my_activation": my_activation}):
        model = jkeras.models.load_model("model.keras")
"""
import inspect
import threading

# "Package>Name" -> object, and object -> "Package>Name".
_GLOBAL_CUSTOM_OBJECTS = {}
_GLOBAL_CUSTOM_NAMES = {}
_scopes = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Registers a class or function under `"package>name"`, so that saved models can name it.

    Args:
        package: the namespace of the name, default "Custom".
        name: the name within the package, default the object's `__name__`.

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Raises:
        ValueError: if a class without `get_config` is registered, or `package` contains ">".
    """
    if ">" in package:
        raise ValueError(f"register_keras_serializable: package must not contain '>', got {package!r}")

    def decorator(obj):
        object_name = name if name is not None else obj.__name__
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: a class must define get_config() to be serializable"
            )
        registered = f"{package}>{object_name}"
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


def get_registered_name(obj):
    """The name `obj` was registered under (`"Package>Name"`), else its `__name__`."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object called `name` in the open scopes, the registry, `custom_objects` or `module_objects`.

    Returns:
        The object, or None when no table has `name`.
    """
    for table in (_scope_objects(), _global_objects(), custom_objects or {}, module_objects or {}):
        if name in table:
            return table[name]
    return None


def get_custom_objects():
    """The global dict of custom objects; Keras 2 code adds to it: `get_custom_objects()["fn"] = fn`."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Makes objects known by name to deserialization while the `with` block runs.

    Args:
        *custom_objects: dicts mapping names to classes or functions (later dicts win).
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            self.custom_objects.update(objects or {})

    def __enter__(self):
        _stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _stack().pop()


custom_object_scope = CustomObjectScope


def _stack():
    if not hasattr(_scopes, "stack"):
        _scopes.stack = []
    return _scopes.stack


def _scope_objects():
    merged = {}
    for objects in _stack():
        merged.update(objects)
    return merged


def _global_objects():
    """The registry with each entry also under its bare name and its `__name__` (the name jkeras
    configs give a class), where that name is unambiguous."""
    bare = {}
    for key, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        for short in {key.split(">", 1)[-1], getattr(obj, "__name__", None)} - {None}:
            bare.setdefault(short, []).append(obj)
    merged = {short: objs[0] for short, objs in bare.items() if len(set(map(id, objs))) == 1}
    merged.update(_GLOBAL_CUSTOM_OBJECTS)
    return merged


def merged_custom_objects(custom_objects=None):
    """One dict of every custom object visible now, with the priority of `get_registered_object`."""
    return {**(custom_objects or {}), **_global_objects(), **_scope_objects()}


def _install():
    from jkeras.core import _registry

    _registry.set_visible_objects(merged_custom_objects)


_install()  # activations, initializers, regularizers, ... see the scopes: Dense(kernel_regularizer="MyObject")

"""Names of Keras objects, and the configs that refer to them by name.

Activations, initializers, regularizers, constraints, losses, metrics,
optimizers and learning-rate schedules each keep one `Registry` of their
built-in names. It reads a name or a config dict in Keras 2 or Keras 3 form
(`{"class_name": "L2", "config": {...}}`, `{"class_name": "function",
"config": "relu"}`, other keys such as `"module"` ignored), looks the name up
in `custom_objects` and then in its table, and builds the object; `serialize`
goes the other way. Pure Python: nothing here touches jax.
"""


# Where the custom objects visible now come from (open `CustomObjectScope`s, registered objects):
# `jkeras.utils.object_registry` installs its lookup here, so this module stays free of it.
_visible_objects = None


def set_visible_objects(provider):
    """Installs `provider(custom_objects) -> dict`, the custom objects every name lookup sees."""
    global _visible_objects
    _visible_objects = provider


def build(obj, config):
    """Returns a class built from `config`, or any other object as it is.

    A class is built with `from_config(config)` when it has one, else with
    `obj(**config)`.
    """
    if not isinstance(obj, type):
        return obj
    if hasattr(obj, "from_config"):
        return obj.from_config(config)
    return obj(**config)


def config_of(obj):
    """Returns `{"class_name": type(obj).__name__, "config": obj.get_config()}`."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


class Registry:
    """The built-in names of one kind of object, and the configs naming them.

    Args:
        kind: What the names name, for messages (`"activation"`).
        table: Dict of every built-in name to its class or function.
        classes: Dict of the names a config dict may give as `class_name`;
            defaults to `table`.
        nested: Config keys whose value, itself a name or a config dict, is
            deserialized before the class is built (`("fn",)`).
        instantiate: Tuple of base classes; `get` instantiates their
            subclasses with defaults and returns other classes as they are.
        ignore_case: Whether a name not found as spelled is matched
            case-insensitively.
        bare_names: Whether `deserialize` takes a bare name and Keras 3's
            `{"class_name": "function", ...}` form, not only class configs.
        serialize_error: The exception class `serialize` raises for an object
            that has neither a config nor a name.
        build: `build(obj, config)` for the looked-up object and its config;
            defaults to the module's `build`.
    """

    def __init__(self, kind, table, *, classes=None, nested=(), instantiate=(object,),
                 ignore_case=False, bare_names=True, serialize_error=ValueError, build=build):
        self.kind = kind
        self.table = table
        self.classes = table if classes is None else classes
        self.nested = nested
        self.instantiate = instantiate
        self.ignore_case = ignore_case
        self.bare_names = bare_names
        self.serialize_error = serialize_error
        self.build = build

    def unknown(self, name):
        """Returns the ValueError for an unknown name; it lists the valid names."""
        valid = ", ".join(repr(valid_name) for valid_name in sorted(self.table))
        return ValueError(f"Unknown {self.kind}: {name!r}. Valid names are: {valid}.")

    def parse(self, config):
        """Returns `(name, config_dict)`, with `config_dict` None for a bare name.

        A string `"config"` is a name: Keras 3 writes a plain function as
        `{"class_name": "function", "config": "relu"}`. Without `bare_names`
        only `{"class_name": ..., "config": {...}}` dicts are read.

        Raises:
            ValueError: if `config` is neither a name nor a dict with a
                `"class_name"` key.
        """
        if isinstance(config, str) and self.bare_names:
            return config, None
        if not isinstance(config, dict) or "class_name" not in config:
            expected = "a name or a dict" if self.bare_names else "a dict"
            raise ValueError(
                f"Invalid {self.kind} config: expected {expected} with a 'class_name' "
                f"key. Received: config={config!r}"
            )
        name, inner = config["class_name"], config.get("config") or {}
        if self.bare_names and (name == "function" or isinstance(inner, str)):
            return self.parse(inner)
        return name, inner

    def lookup(self, name, custom_objects=None, table=None):
        """Returns the object `name` names in `custom_objects`, else in `table`.

        Args:
            name: The name.
            custom_objects: Optional dict of user objects by name (with those of the open
                `CustomObjectScope`s and the registered ones, first).
            table: The built-in names to search; defaults to the registry's.

        Raises:
            ValueError: for an unknown name.
        """
        custom_objects = _visible_objects(custom_objects) if _visible_objects else (custom_objects or {})
        table = self.table if table is None else table
        for objects in (custom_objects, table):
            if name in objects:
                return objects[name]
        if self.ignore_case:
            folded = {str(key).lower(): obj for key, obj in {**table, **custom_objects}.items()}
            if str(name).lower() in folded:
                return folded[str(name).lower()]
        raise self.unknown(name)

    def resolve(self, config, custom_objects=None):
        """Returns `(object, config_dict)` for a name or a config dict.

        A bare name is looked up in `table` and comes with `{}`; a config
        dict's `class_name` is looked up in `classes`, and its `nested`
        entries are deserialized.
        """
        name, inner = self.parse(config)
        if inner is None:
            return self.lookup(name, custom_objects), {}
        obj = self.lookup(name, custom_objects, self.classes)
        for key in self.nested:
            if isinstance(inner.get(key), (str, dict)):
                inner = {**inner, key: self.deserialize(inner[key], custom_objects)}
        return obj, inner

    def deserialize(self, config, custom_objects=None):
        """Returns the object a name or a config dict describes."""
        return self.build(*self.resolve(config, custom_objects))

    def get(self, identifier):
        """Returns the object for an identifier.

        Args:
            identifier: None (returned); a name or config dict (deserialized);
                a subclass of `instantiate` (instantiated with defaults); or
                any other callable (returned as it is).

        Raises:
            ValueError: for an unknown name or an identifier of another type.
        """
        if identifier is None:
            return None
        if isinstance(identifier, (str, dict)):
            return self.deserialize(identifier)
        if isinstance(identifier, type) and issubclass(identifier, self.instantiate):
            return identifier()
        if callable(identifier):
            return identifier
        raise ValueError(
            f"{self.kind} must be None, a name, a config dict or a callable, got "
            f"{identifier!r} of type {type(identifier).__name__}"
        )

    def serialize(self, obj):
        """Returns `config_of(obj)` for an object with `get_config()`, else its name.

        Raises:
            serialize_error: if `obj` is neither configurable nor a named
                callable.
        """
        if hasattr(obj, "get_config") and not isinstance(obj, type):
            return config_of(obj)
        name = getattr(obj, "__name__", None)
        if not (callable(obj) and name):
            raise self.serialize_error(
                f"Cannot serialize {self.kind} {obj!r}: expected a named function "
                "or an object with get_config()."
            )
        return name

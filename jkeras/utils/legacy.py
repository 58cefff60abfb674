"""Keras 1 / Keras 2 spellings, converted by one table-driven mechanism.

A class declares how its old call forms map to the modern ones with a `LegacyInterface`
(positional arguments Keras allowed, renamed keywords, renamed values, and an optional
preprocessor for call forms that need more, such as `Convolution2D(64, 3, 3)`).
`Layer.__init_subclass__` wraps the `__init__` of every class that declares one, so each old
spelling is converted before the constructor runs, with one warning per old spelling.
"""
import functools
import inspect
import warnings

_warned = set()


def _warn_once(owner, old, new):
    key = (owner, old, new)
    if key not in _warned:
        _warned.add(key)
        warnings.warn(
            f"{owner}: the old argument `{old}` is deprecated; use `{new}` instead.",
            UserWarning, stacklevel=4,
        )


# Values renamed under the same argument (Keras 1 -> Keras 2+).
DATA_FORMAT_VALUES = {"tf": "channels_last", "th": "channels_first", "default": None}


class DuplicateArgumentError(TypeError, ValueError):
    """An old and a new spelling of the same argument were both given (a TypeError, as in Keras 2)."""


class LegacyInterface:
    """How one class's old call forms map to its modern signature.

    Args:
        positional: the modern names of the positional arguments old code passed, in order.
        renames: dict old keyword -> modern keyword.
        values: dict modern keyword -> dict old value -> modern value.
        preprocess: optional function `(args, kwargs) -> (args, kwargs, [(old, new), ...])` run first,
            for call forms a rename cannot express.
        dropped: keywords accepted and ignored (they had no effect already in Keras 2).
        inherited: whether subclasses that define their own `__init__` are converted too (for
            renames every subclass shares, such as an optimizer's `lr`).
    """

    def __init__(self, positional=(), renames=None, values=None, preprocess=None, dropped=(), inherited=False):
        self.positional = tuple(positional)
        self.inherited = bool(inherited)
        self.renames = dict(renames or {})
        self.values = dict(values or {})
        self.preprocess = preprocess
        self.dropped = tuple(dropped)

    def convert(self, owner, args, kwargs):
        """Returns `(args, kwargs)` in modern form.

        Raises:
            DuplicateArgumentError: if an old and a new spelling of the same argument are both given.
        """
        if self.preprocess is not None:
            args, kwargs, notes = self.preprocess(tuple(args), dict(kwargs))
            for old, new in notes:
                _warn_once(owner, old, new)
        if self.positional and len(args) > len(self.positional):
            raise TypeError(
                f"{owner} takes at most {len(self.positional)} positional argument(s) "
                f"{list(self.positional)}, got {len(args)}; pass the others by keyword"
            )
        kwargs = dict(kwargs)
        for old, new in self.renames.items():
            if old in kwargs:
                if new in kwargs or new in self.positional[:len(args)]:
                    raise DuplicateArgumentError(
                        f"{owner}: got both `{old}` (the old spelling) and `{new}`; pass only `{new}`, not both"
                    )
                _warn_once(owner, old, new)
                kwargs[new] = kwargs.pop(old)
        for name in self.dropped:
            if name in kwargs:
                _warn_once(owner, name, "(nothing: it has no effect)")
                kwargs.pop(name)
        for name, table in self.values.items():
            value = kwargs.get(name)
            if isinstance(value, str) and value in table:
                kwargs[name] = table[value]
        return tuple(args), kwargs


def wrap_init(cls, interface=None):
    """Wraps `cls.__init__` (its own or the inherited one) so `interface` (default: the class's
    own `_legacy`) converts old call forms first."""
    init = cls.__dict__.get("__init__") or cls.__init__
    interface = interface if interface is not None else cls.__dict__["_legacy"]

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        args, kwargs = interface.convert(cls.__name__, args, kwargs)
        init(self, *args, **kwargs)

    cls.__init__ = __init__


class Converted:
    """Mixin: a subclass whose body sets `_legacy = LegacyInterface(...)` gets its constructor
    converted; a subclass defining its own `__init__` also inherits an `inherited=True` interface."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        interface = cls.__dict__.get("_legacy")
        if interface is None and "__init__" in cls.__dict__:
            inherited = getattr(cls, "_legacy", None)
            interface = inherited if inherited is not None and inherited.inherited else None
        if interface is not None:
            wrap_init(cls, interface)


def converts(interface, owner=None):
    """Decorates a function or method so `interface` converts its old arguments before they are bound.

    Args:
        interface: a `LegacyInterface`.
        owner: the name used in warnings and errors (default: the function's name).
    """

    def decorate(function):
        label = owner or function.__name__
        params = list(inspect.signature(function).parameters)
        is_method = bool(params) and params[0] == "self"

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            head, args = (args[:1], args[1:]) if is_method else ((), args)
            args, kwargs = interface.convert(label, args, kwargs)
            return function(*head, *args, **kwargs)

        return wrapper

    return decorate


# Renames shared by most layers that have a kernel (Keras 1 -> Keras 2).
KERNEL_RENAMES = {
    "init": "kernel_initializer",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
}

"""`Variable`: a handle on one weight a layer holds (what `layer.weights` lists), and
`StateVariable`: a handle on one array of a metric's or an optimizer's state.

Both are JAX pytrees whose one leaf is the current value, and both compute like arrays, as
Keras's variables do: a list of them goes into `jax.jit` / `jax.grad` (a traced function sees
plain arrays), and `v + 1`, `jnp.sum(v)`, `np.asarray(v)`, `float(v)` read the value.
"""
import contextlib
import operator
import threading

import jax
import jax.numpy as jnp
import numpy as np


class _ArrayLike:
    """Array behaviour for a handle whose `value` property is an array."""

    def assign_add(self, value):
        """Adds `value` (`assign(value + v)`, in the handle's dtype)."""
        return self.assign(self.value + jnp.asarray(as_array(value), jnp.asarray(self.value).dtype))

    def assign_sub(self, value):
        """Subtracts `value` (`assign(v - value)`, in the handle's dtype)."""
        return self.assign(self.value - jnp.asarray(as_array(value), jnp.asarray(self.value).dtype))

    def numpy(self):
        """The value as a NumPy array of its own (writable, as Keras's `Variable.numpy()`)."""
        return np.array(self.value)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype=dtype)

    def __jax_array__(self):
        return self.value

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __getitem__(self, index):
        return self.value[index]

    @property
    def ndim(self):
        return self.value.ndim

    def get_shape(self):
        """The shape (a tuple of ints), as tf.keras 2's `variable.get_shape()` gave it (Keras 3
        dropped the method; keras-io's PixelCNN layers call it on `self.conv.kernel`)."""
        return tuple(self.shape)

    def __neg__(self):
        return -self.value

    def __abs__(self):
        return abs(self.value)

    def __format__(self, spec):
        return format(np.asarray(self.value), spec) if spec else repr(self)

    __hash__ = object.__hash__


def _bind(op, reflected=False):
    if reflected:
        return lambda self, other: op(other, self.value)
    return lambda self, other: op(self.value, other)


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"):
    setattr(_ArrayLike, f"__{_op}__", _bind(getattr(operator, _op)))
    setattr(_ArrayLike, f"__r{_op}__", _bind(getattr(operator, _op), reflected=True))
for _op in ("lt", "le", "gt", "ge"):
    setattr(_ArrayLike, f"__{_op}__", _bind(getattr(operator, _op)))


_building = threading.local()


@contextlib.contextmanager
def creation_scope(layer):
    """Marks `layer` as building while the block runs: weights created inside take its path as
    their prefix, as Keras's name scopes do (a Sequential's layers: "sequential/dense/kernel"; a
    subclassed model's: "my_model/block/dense/kernel"; a functional model's own layers, built
    as they are called on its inputs: "dense/kernel")."""
    stack = _building.__dict__.setdefault("stack", [])
    if stack and stack[-1] is layer:  # already building it (a `build` run by `_maybe_build`)
        yield
        return
    stack.append(layer)
    try:
        yield
    finally:
        stack.pop()


def record_path(layer):
    """Records the path prefix of `layer`'s weights being created now: the layers building it."""
    stack = list(getattr(_building, "stack", ()))
    if not stack or stack[-1] is not layer:
        stack.append(layer)
    layer._weights_path = "/".join(owner.name for owner in stack)


def as_array(value):
    """The array a `Variable` / `StateVariable` holds; any other value as it is."""
    return value.value if isinstance(value, _ArrayLike) else value


def _register(cls):
    """Registers `cls` as a pytree of its value; unflattening gives the (traced) array itself."""
    jax.tree_util.register_pytree_node(cls, lambda v: ((v.value,), None), lambda _, children: children[0])
    return cls


@_register
class Variable(_ArrayLike):
    """One named weight of a layer, read and written through the layer that owns it.

    The layer's weights are plain JAX arrays; a Variable only points at one of them, so it always
    shows the current value, also after `fit` or `set_weights`.

    Args:
        layer: the owning layer.
        collection: "params" (trainable kind) or "state" (non-trainable kind).
        name: the weight's name inside the layer, e.g. "kernel".
    """

    def __init__(self, layer, collection, name):
        self._layer = layer
        self._collection = collection
        self.name = name

    @property
    def path(self):
        """"<layers building the owner when it was built>/<owner>/<name>" (`creation_scope`)."""
        return f"{getattr(self._layer, '_weights_path', None) or self._layer.name}/{self.name}"

    @property
    def value(self):
        return self._layer._own_variables()[self._collection][self.name]

    @property
    def shape(self):
        return tuple(self.value.shape)

    @property
    def dtype(self):
        return str(self.value.dtype)

    @property
    def trainable(self):
        return (self._collection == "params" and self._layer.trainable
                and self.name not in self._layer._frozen_weights())

    def assign(self, value):
        """Sets the weight to `value` (same shape), keeping its dtype.

        Raises:
            ValueError: if the shape differs.
        """
        value = jnp.asarray(value, dtype=self.value.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Variable '{self.path}': expected a value of shape {self.shape}, "
                f"got shape {tuple(value.shape)}"
            )
        self._layer._own_variables()[self._collection][self.name] = value
        return self

    def __repr__(self):
        try:  # Keras 3 shows the value too (not inside a trace, where there is none)
            value = f", value={np.asarray(self.value)}"
        except Exception:  # noqa: BLE001 (a tracer, a deleted buffer: no value to show)
            value = ""
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}{value}>"


@_register
class StateVariable(_ArrayLike):
    """One array of an object's state (a metric's `total`, an optimizer state leaf), read and
    written through that object, as Keras's `metric.variables` / `optimizer.variables` are.

    Args:
        owner: the object holding the state.
        index: the array's position in `owner._state_arrays()`.
        name: the array's name (`path` is `owner.name/name`).
    """

    def __init__(self, owner, index, name):
        self._owner, self._index, self.name = owner, index, name

    @property
    def path(self):
        return f"{self._owner.name}/{self.name}"

    @property
    def value(self):
        return self._owner._state_arrays()[self._index]

    @property
    def shape(self):
        return tuple(jnp.shape(self.value))

    @property
    def dtype(self):
        return str(jnp.asarray(self.value).dtype)

    def assign(self, value):
        """Sets the array to `value` (same shape), keeping its dtype.

        Raises:
            ValueError: if the shape differs.
        """
        value = jnp.asarray(value, dtype=self.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"StateVariable '{self.path}': expected a value of shape {self.shape}, "
                f"got shape {tuple(value.shape)}"
            )
        self._owner._set_state_array(self._index, value)
        return self

    def __repr__(self):
        return f"<StateVariable path={self.path}, shape={self.shape}, dtype={self.dtype}>"


class _KerasVariableType(type):
    """Layer weights (`Variable` handles) count as `jkeras.Variable`s too, as Keras's are."""

    def __instancecheck__(cls, obj):
        return type.__instancecheck__(cls, obj) or isinstance(obj, Variable)


@_register
class KerasVariable(_ArrayLike, metaclass=_KerasVariableType):
    """A variable holding its own value: Keras 3's `keras.Variable` (`jkeras.Variable`).

    Set as an attribute of a layer, it becomes one of the layer's weights (as `add_weight`
    makes them). It is a JAX pytree of its value, like a layer weight.

    Args:
        initializer: the initial value (array-like), or an initializer (name or callable), which
            then needs `shape`.
        shape: the shape, for an initializer.
        dtype: the dtype (default: the initial value's, or `jkeras.config.floatx()` for an
            initializer).
        trainable: whether training updates it (a layer weight's kind).
        autocast, aggregation, synchronization: accepted for Keras compatibility.
        name: the name (default `variable`, `variable_1`, ...).

    Raises:
        ValueError: for an initializer without `shape`, or a value of another shape.
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None):
        from jkeras.core import config
        from jkeras.core import initializers
        from jkeras.utils import naming
        from jkeras.utils.random import next_key

        from jkeras.ops._base import standardize_dtype

        del autocast, aggregation, synchronization
        # dtype names as Keras 3 reads them on JAX: "int" is int32 (keras-io swin_transformers'
        # `keras.Variable(..., dtype="int")`; NumPy's int64 made JAX warn that it truncates)
        dtype = standardize_dtype(dtype)
        if isinstance(initializer, str) or (callable(initializer) and not hasattr(initializer, "__array__")):
            if shape is None:
                raise ValueError(f"Variable: an initializer ({initializer!r}) needs a `shape`, got shape=None")
            dtype = jnp.dtype(dtype or config.floatx())
            value = initializers.get(initializer)(tuple(shape), dtype, key=next_key())
        else:  # a value: its own dtype unless one is given (Python / NumPy 64-bit types as JAX's)
            value = jnp.asarray(initializer, dtype)
            dtype = value.dtype
            if shape is not None and tuple(shape) != tuple(value.shape):
                raise ValueError(f"Variable: the initial value has shape {tuple(value.shape)}, "
                                 f"expected shape={tuple(shape)}")
        self._value = jnp.asarray(value, dtype)
        self.trainable = bool(trainable)
        self.name = name or naming.uniquify("variable")

    @property
    def value(self):
        return self._value

    @property
    def path(self):
        return self.name

    @property
    def shape(self):
        return tuple(self._value.shape)

    @property
    def dtype(self):
        return str(self._value.dtype)

    def assign(self, value):
        """Sets the value (same shape), keeping the dtype.

        Raises:
            ValueError: if the shape differs.
        """
        value = jnp.asarray(value, self._value.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(f"Variable '{self.name}': expected a value of shape {self.shape}, "
                             f"got shape {tuple(value.shape)}")
        self._value = value
        return self

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={np.asarray(self._value)}>"

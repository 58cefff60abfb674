"""Layers around plain JAX and flax code: `JaxLayer(call_fn, init_fn)` and `FlaxLayer(module)`.

The wrapped model's weights are pytrees (flax's nested dicts). The layer keeps each leaf as one
weight named by its path in the tree, `/`-joined: a flax module's `params["Dense_0"]["kernel"]`
becomes the trainable weight `Dense_0/kernel`, its `batch_stats["BatchNorm_0"]["mean"]` the
non-trainable weight `batch_stats/BatchNorm_0/mean`. `layer.weights` lists them in
`jax.tree_util` order, trainable ones first, which is Keras 3's order for the same layers (so
`.weights.h5` files move between Keras's and jkeras's FlaxLayer). `apply` rebuilds the trees
from the flat weights and calls the wrapped function, so the layer trains with `fit`, saves with
every weight format and runs under `jax.jit` / `jax.grad` / `jax.vmap` like any other.
"""
import dataclasses
import inspect
import json

import jax
import jax.numpy as jnp

from jkeras.models import call_scope
from jkeras.models.layer import Layer
from jkeras.utils.object_registry import get_registered_name, get_registered_object

__all__ = ["FlaxLayer", "JaxLayer"]

_CALL_ARGUMENTS = ("params", "state", "rng", "inputs", "training")
_INIT_ARGUMENTS = ("rng", "inputs", "training")


def _key_name(key):
    for attr in ("key", "name", "idx"):
        if hasattr(key, attr):
            return str(getattr(key, attr))
    return str(key)


def _is_value_attribute(key):
    """The `.value` step of a flax nnx Variable's path (left out of weight names)."""
    return isinstance(key, jax.tree_util.GetAttrKey) and key.name == "value"


def flatten_tree(tree, what):
    """`({name: leaf}, (treedef, names))` for a pytree; names are `/`-joined key paths.

    Raises:
        ValueError: if two leaves get the same name (keys that contain `/`).
    """
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree)
    names = ["/".join(_key_name(k) for k in path if not _is_value_attribute(k)) or "variable" for path, _ in leaves]
    if len(set(names)) != len(names):
        raise ValueError(f"{what}: leaf paths {names} are not unique once joined with '/'")
    return {n: jnp.asarray(leaf) for n, (_, leaf) in zip(names, leaves)}, (treedef, names)


def unflatten_tree(flat, structure, what):
    """Inverse of `flatten_tree`.

    Raises:
        ValueError: naming the missing weight, when `flat` lacks one.
    """
    treedef, names = structure
    missing = [n for n in names if n not in flat]
    if missing:
        raise ValueError(f"{what}: no value for weight(s) {missing}; expected {names}")
    return jax.tree_util.tree_unflatten(treedef, [flat[n] for n in names])


def _arguments(fn, fn_name, allowed, layer_name):
    try:
        parameters = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError) as error:
        raise TypeError(f"JaxLayer '{layer_name}': {fn_name} must be a function, got {fn!r}") from error
    unknown = [p for p in parameters if p not in allowed]
    if unknown:
        raise ValueError(
            f"JaxLayer '{layer_name}': {fn_name} takes an argument '{unknown[0]}'; its arguments must be "
            f"named among {list(allowed)}, got {parameters}"
        )
    if "inputs" not in parameters:
        raise ValueError(f"JaxLayer '{layer_name}': {fn_name} must take an `inputs` argument, got {parameters}")
    return parameters


def _ones_like_shape(input_shape):
    return jax.tree_util.tree_map(lambda z: z + 1, call_scope.zeros_like_shape(input_shape))


class JaxLayer(Layer):
    """A layer around a JAX model given as pure functions (Keras 3's `keras.layers.JaxLayer`).

    `call_fn` takes arguments named among `params`, `state`, `rng`, `inputs`, `training`
    (`inputs` required). With `state` it returns `(outputs, new_state)`, else `outputs`. `rng` is a
    key in training, None otherwise. `init_fn(rng, inputs[, training])` returns the initial `params`
    (or `(params, state)` when `call_fn` takes `state`); it is called with ones of the input shape
    and `training=True`. Each leaf of `params` becomes a trainable weight, each leaf of `state` a
    non-trainable one, named by its `/`-joined path in the tree.

    Args:
        call_fn: the model function.
        init_fn: the initialization function, needed unless `params` / `state` are given.
        params: initial trainable pytree (the layer is then built at once).
        state: initial non-trainable pytree.
        seed: an int; when given, `init` draws the initial weights from `PRNGKey(seed)`.
        **kwargs: base layer arguments (`name`, `trainable`, `input_shape`, ...).

    Raises:
        ValueError: if a function takes an argument of another name or no `inputs`, or if neither
            `init_fn` nor initial weights are given while `call_fn` takes `params` or `state`.
    """

    def __init__(self, call_fn, init_fn=None, params=None, state=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.call_fn = call_fn
        self.init_fn = init_fn
        self.seed = seed
        self._call_arguments = _arguments(call_fn, "call_fn", _CALL_ARGUMENTS, self.name)
        self._init_arguments = _arguments(init_fn, "init_fn", _INIT_ARGUMENTS, self.name) if init_fn else None
        self._has_state = "state" in self._call_arguments
        self._structure = {}
        needs_weights = self._has_state or "params" in self._call_arguments
        if init_fn is None and params is None and state is None and needs_weights:
            raise ValueError(
                f"JaxLayer '{self.name}': `init_fn`, `params` and `state` cannot all be None when call_fn "
                f"takes `params` or `state` (call_fn arguments: {self._call_arguments})"
            )
        if params is not None or state is not None:
            self._set_variables(self._flat_variables(params, state), creating=True)
            self.built = True
        elif init_fn is None:
            self._flat_variables(None, None)  # a function without weights

    # -------------------------------------------------------------------------- tree <-> weights

    def _flat_variables(self, params, state):
        flat_params, self._structure["params"] = flatten_tree({} if params is None else params, self._label())
        flat_state, self._structure["state"] = flatten_tree({} if state is None else state, self._label())
        return {"params": flat_params, "state": flat_state}

    def _trees(self, variables):
        if not self._structure:
            raise self._error("apply() before the layer's weights exist: build the layer (call it on data) first")
        return tuple(unflatten_tree(variables.get(c, {}), self._structure[c], self._label())
                     for c in ("params", "state"))

    def _label(self):
        return f"{type(self).__name__} '{self.name}'"

    # -------------------------------------------------------------------------- the pure pair

    def _run_init_fn(self, rng, inputs):
        args = {"rng": rng, "inputs": inputs, "training": True}
        result = self.init_fn(*[args[a] for a in self._init_arguments])
        return result if self._has_state else (result, None)

    def init(self, rng, input_shape):
        """Weights from `init_fn` on ones of `input_shape` (or the weights given to the constructor)."""
        if self.init_fn is None:
            return self.get_variables()
        if self.seed is not None:
            rng = jax.random.PRNGKey(self.seed)
        params, state = self._run_init_fn(rng, _ones_like_shape(input_shape))
        return self._flat_variables(params, state)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        """Runs `call_fn` on the weight trees; returns `(outputs, new_state)`.

        Raises:
            ValueError: if `call_fn` returns a state of another structure than the initial one.
        """
        del mask
        params, state = self._trees(variables)
        args = {"params": params, "state": state, "rng": rng if training else None, "inputs": inputs,
                "training": bool(training)}
        result = self.call_fn(*[args[a] for a in self._call_arguments])
        if not self._has_state:
            return result, variables.get("state", {})
        outputs, new_state = result
        flat, structure = flatten_tree(new_state, self._label())
        if structure[1] != self._structure["state"][1]:
            raise self._error(
                f"call_fn returned a state with leaves {structure[1]}, the initial state has "
                f"{self._structure['state'][1]}"
            )
        return outputs, flat

    # -------------------------------------------------------------------------- config

    def get_config(self):
        """Base config plus `call_fn` / `init_fn` by their registered names (functions are not saved)."""
        return {**super().get_config(), "call_fn": get_registered_name(self.call_fn),
                "init_fn": get_registered_name(self.init_fn) if self.init_fn is not None else None,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the layer; `call_fn` / `init_fn` come from `custom_objects` or the registry.

        Raises:
            ValueError: if a function name is found in neither.
        """
        config = dict(config)
        config.pop("native_serialization_platforms", None)  # Keras 3's jax2tf option
        for key in ("call_fn", "init_fn"):
            if isinstance(config.get(key), str):
                config[key] = _resolve(config[key], custom_objects, key)
        return cls(**config)


def _resolve(name, custom_objects, what):
    found = get_registered_object(name, custom_objects)
    if found is None:
        raise ValueError(
            f"Unknown {what} {name!r}: pass it in `custom_objects` (custom_objects={{{name!r}: ...}}) or "
            "register it with `jkeras.saving.register_keras_serializable()`"
        )
    return found


# ------------------------------------------------------------------------------------------------
# flax


def _takes_training(module, method):
    fn = method if method is not None else type(module).__call__
    if isinstance(fn, str):
        fn = getattr(type(module), fn)
    return "training" in inspect.signature(fn).parameters


def _module_config(module, layer_name):
    """`{"class_name", "config"}` of a flax module: its `get_config()` or its JSON-friendly fields.

    Raises:
        ValueError: for an nnx module without `get_config` or fields that are not JSON-friendly.
    """
    if hasattr(module, "get_config"):
        config = module.get_config()
    elif dataclasses.is_dataclass(module):
        config = {f.name: getattr(module, f.name) for f in dataclasses.fields(module)
                  if f.name not in ("parent", "name") and f.init}
    else:
        raise ValueError(
            f"FlaxLayer '{layer_name}': a {type(module).__name__} (nnx module) has no config to save; save the "
            "weights with save_weights and create the layer in code, or give the module a `get_config()`"
        )
    try:
        json.dumps(config)
    except TypeError as error:
        raise ValueError(
            f"FlaxLayer '{layer_name}': the fields of {type(module).__name__} are not JSON-serializable "
            f"({error}); give the module a `get_config()` returning plain values"
        ) from None
    return {"class_name": get_registered_name(type(module)), "config": config}


class FlaxLayer(JaxLayer):
    """A layer around a flax module (Keras 3's `keras.layers.FlaxLayer`, plus `flax.nnx` modules).

    A `flax.linen.Module`'s `params` collection holds the trainable weights; every other collection
    (`batch_stats`, ...) holds non-trainable state, updated by `apply` (flax's
    `mutable=DenyList(["params"])`). `method` (default `__call__`) takes `inputs` and, optionally,
    `training`; in training it gets a `"dropout"` rng stream. The weights are created by
    `module.init` when the layer is built.

    A `flax.nnx.Module` comes with its weights: its `nnx.Param`s become the trainable weights and its
    other variables (BatchNorm statistics) the state, as they are (`init` returns them, whatever
    the key). `apply` merges them into a copy of the module, switches it to `train()` / `eval()`
    mode and, in training, reseeds its rng streams (Dropout) from the call's rng.

    Args:
        module: a `flax.linen.Module` or `flax.nnx.Module` instance.
        method: the method to run (a method of the module, its name, or a function
            `f(module, inputs[, training])`); default `__call__`.
        variables: initial variables as `module.init` returns them (`{"params": ..., ...}`); the
            layer is then built at once (linen only).
        **kwargs: base layer arguments (`name`, `trainable`, `input_shape`, ...).

    Raises:
        TypeError: if `module` is not a flax module.
        ValueError: if `variables` is given with an nnx module.
    """

    def __init__(self, module, method=None, variables=None, **kwargs):
        import flax.linen as nn
        from flax import nnx

        self.module = module
        self.method = method
        if isinstance(module, nnx.Module):
            if variables is not None:
                raise ValueError("FlaxLayer: `variables` is for flax.linen modules; an nnx module holds its own "
                                 f"weights, got variables={type(variables).__name__}")
            call_fn, params, state = _nnx_call_fn(module, method)
            super().__init__(call_fn, None, params=params, state=state, **kwargs)
            return
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"FlaxLayer: module must be a flax.linen.Module or flax.nnx.Module instance, got {module!r}")
        call_fn, init_fn = _linen_functions(module, method)
        params, state = _split_collections(variables) if variables is not None else (None, None)
        super().__init__(call_fn, init_fn, params=params, state=state, **kwargs)

    def get_config(self):
        """Base config plus `module` (class name and fields) and `method` (a name or None)."""
        config = Layer.get_config(self)
        method = self.method
        if method is not None and not isinstance(method, str):
            method = get_registered_name(method)
        config.update(module=_module_config(self.module, self.name), method=method, seed=self.seed)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the layer; the module class comes from `custom_objects` or the registry.

        Raises:
            ValueError: if the module class is found in neither.
        """
        config = dict(config)
        config.pop("native_serialization_platforms", None)  # Keras 3's jax2tf option
        module = config.pop("module")
        if isinstance(module, dict):  # not resolved by the model loader already
            module_cls = _resolve(module["class_name"], custom_objects, "flax module class")
            module = (module_cls.from_config(module["config"]) if hasattr(module_cls, "from_config")
                      else module_cls(**module["config"]))
        method = config.pop("method", None)
        if isinstance(method, str) and not hasattr(type(module), method):
            method = _resolve(method, custom_objects, "FlaxLayer method")
        return cls(module, method=method, **config)


def _linen_functions(module, method):
    """`(call_fn, init_fn)` for a linen module: `params` is its "params" collection, `state` the others."""
    import flax.linen as nn

    training_kwargs = {"training": True} if _takes_training(module, method) else {}

    def call_fn(params, state, rng, inputs, training):
        outputs, updates = module.apply(
            {"params": params, **state}, inputs, rngs={"dropout": rng} if rng is not None else {}, method=method,
            mutable=nn.DenyList(["params"]), **({"training": training} if training_kwargs else {}),
        )
        return outputs, {c: updates.get(c, value) for c, value in state.items()}

    def init_fn(rng, inputs):
        params_rng, dropout_rng = jax.random.split(rng)
        made = module.init({"params": params_rng, "dropout": dropout_rng}, inputs, method=method, **training_kwargs)
        return _split_collections(made)

    return call_fn, init_fn


def _nnx_call_fn(module, method):
    """`(call_fn, params, state)` for an nnx module: `nnx.Param`s are the trainable weights, the other
    variables (BatchNorm statistics, ...) the state; its rng streams are reseeded from the call's rng."""
    from flax import nnx

    graphdef, params, rng_state, state = nnx.split(module, nnx.Param, nnx.RngState, ...)
    takes_training = _takes_training(module, method)

    def reseeded(rng):
        leaves, treedef = jax.tree_util.tree_flatten(rng_state)
        key = rng if jnp.issubdtype(rng.dtype, jax.dtypes.prng_key) else jax.random.wrap_key_data(rng)
        leaves = [jax.random.fold_in(key, i) if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key) else leaf
                  for i, leaf in enumerate(leaves)]
        return jax.tree_util.tree_unflatten(treedef, leaves)

    def call_fn(params, state, rng, inputs, training):
        merged = nnx.merge(graphdef, params, rng_state if rng is None else reseeded(rng), state)
        merged.train() if training else merged.eval()
        kwargs = {"training": training} if takes_training else {}
        if method is None:
            outputs = merged(inputs, **kwargs)
        elif isinstance(method, str):
            outputs = getattr(merged, method)(inputs, **kwargs)
        else:
            outputs = method(merged, inputs, **kwargs)
        return outputs, nnx.split(merged, nnx.Param, nnx.RngState, ...)[3]

    return call_fn, params, state


def _split_collections(variables):
    """`(params, state)` from flax variables: the `params` collection and all the others."""
    variables = dict(variables)
    params = variables.pop("params", {})
    return params, variables

"""The optimizer shell: `Optimizer` (config + current optax state) and `OptaxOptimizer`.

An optimizer holds its Keras config and, once the trainer set it, `state`, the optax state
of `transform`. The learning rate lives in that state, so reading or setting
`optimizer.learning_rate` between jitted steps needs no recompilation.
"""
import inspect
import operator

import jax
import numpy as np
import optax

from jkeras.core import ema as core_ema
from jkeras.core import optimizers as core
from jkeras.optimizers import _ema, _variables, schedules
from jkeras.utils import legacy, naming

_KERAS2_IGNORED = ("jit_compile", "is_legacy_optimizer")


def _auto_name(class_name):
    return naming.uniquify(naming.to_snake_case(class_name))


def _is_number(value):
    return not isinstance(value, (bool, str)) and np.ndim(value) == 0 and \
        np.issubdtype(np.asarray(value).dtype, np.number)


def _check_learning_rate(value):
    if isinstance(value, LearningRateVariable):
        return value.numpy().item()
    if isinstance(value, schedules.LearningRateSchedule):
        return value
    if callable(value):
        try:
            takes_no_argument = not inspect.signature(value).parameters
        except (TypeError, ValueError):
            takes_no_argument = False
        return (lambda step: value()) if takes_no_argument else value
    if not _is_number(value):
        raise ValueError(
            "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, "
            "or a callable (that takes in the current iteration value and returns the "
            f"corresponding learning rate value). Received instead: learning_rate={value!r}"
        )
    return float(value)


class LearningRateVariable:
    """A live view of an optimizer's (non-scheduled) learning rate, like a Keras Variable.

    `float(v)`, `v.numpy()`, arithmetic and comparisons read the current value;
    `v.assign(x)` sets it (so `keras.backend.set_value(optimizer.lr, x)` style code works).
    """

    def __init__(self, optimizer):
        self._optimizer = optimizer
        self.shape, self.dtype = (), "float32"

    @property
    def value(self):
        """The current value, a float32 scalar."""
        return np.float32(self._optimizer._current_learning_rate())

    def numpy(self):
        """Returns the current value as a NumPy float32 scalar."""
        return self.value

    def assign(self, value):
        """Sets the learning rate to `value`."""
        self._optimizer.learning_rate = value
        return self

    def __float__(self):
        return float(self.value)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype=dtype)

    def __format__(self, spec):
        return format(float(self), spec)

    def __repr__(self):
        return f"<LearningRateVariable value={float(self)!r}>"

    __hash__ = object.__hash__


def _bind(op, reflected=False):
    if reflected:
        return lambda self, other: op(other, self.value)
    return lambda self, other: op(self.value, other)


for _op in ("add", "sub", "mul", "truediv", "floordiv", "pow", "lt", "le", "gt", "ge", "eq",
            "ne"):
    setattr(LearningRateVariable, f"__{_op}__", _bind(getattr(operator, _op)))
for _op in ("add", "sub", "mul", "truediv", "floordiv", "pow"):
    setattr(LearningRateVariable, f"__r{_op}__", _bind(getattr(operator, _op), reflected=True))
LearningRateVariable.__neg__ = lambda self: -self.value


class Optimizer(legacy.Converted):
    """Base class of jkeras optimizers: a Keras config that builds an optax transformation.

    The trainer sets `optimizer.state = optimizer.transform.init(params)` and replaces it
    after every step; `learning_rate` and `iterations` are read from that state.

    Args:
        learning_rate: A float, a `LearningRateSchedule`, or a callable `step -> lr`
            (a callable without arguments is evaluated once, when the step is compiled).
        weight_decay: Float or None. If set, `w -= w * weight_decay * lr` before each update.
        clipnorm: Float or None. Each gradient tensor is clipped to this L2 norm.
        clipvalue: Float or None. Gradients are clipped elementwise to this magnitude.
        global_clipnorm: Float or None. All gradients are clipped to this global L2 norm.
        use_ema: Bool. If True, the state keeps an exponential moving average of each trained
            weight (`jkeras.core.ema`), which `finalize_variable_values` (called at the end of
            `fit`) copies into the weights. Defaults to `False`.
        ema_momentum: Float in [0, 1]: `average = ema_momentum * average + (1 - ema_momentum)
            * weight` after each step (the first step sets `average = weight`). Defaults to
            `0.99`.
        ema_overwrite_frequency: Int >= 1 or None: every this many steps the weights are
            replaced by their averages. Defaults to `None`.
        loss_scale_factor, gradient_accumulation_steps: Keras 3 arguments accepted at their
            defaults only.
        name: String; defaults to the snake-case class name, made unique.
        **kwargs: Keras 2 spellings: `lr` (same as `learning_rate`) and `decay`
            (`lr / (1 + decay * iterations)`).

    Raises:
        TypeError: On both `lr` and `learning_rate` (a `DuplicateArgumentError`, also a ValueError).
        ValueError: On more than one clipping argument,
            negative values, unsupported or unknown arguments.
    """

    # Subclasses set `_rule` (a name in `jkeras.core.optimizers.RULES`, or a factory
    # `rule(learning_rate, **kwargs) -> optax.GradientTransformation`) and `_rule_kwargs()`.
    _rule = None
    _legacy = legacy.LegacyInterface(renames={"lr": "learning_rate"}, inherited=True)

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        decay = kwargs.pop("decay", None)
        for key in _KERAS2_IGNORED:
            kwargs.pop(key, None)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        unsupported = {"loss_scale_factor": (loss_scale_factor, None),
                       "gradient_accumulation_steps": (gradient_accumulation_steps, None)}
        for key, (value, default) in unsupported.items():
            if value != default:
                raise ValueError(
                    f"`{key}` is not supported by jkeras optimizers; expected {default!r}. "
                    f"Received: {key}={value!r}"
                )
        clip = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clip.values()) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        for key, value in {**clip, "weight_decay": weight_decay, "decay": decay}.items():
            if value is not None and (not _is_number(value) or value < 0):
                raise ValueError(
                    f"`{key}` must be a non-negative float or None. Received: {key}={value!r}"
                )
        self.name = name if name is not None else _auto_name(self.__class__.__name__)
        self._learning_rate = _check_learning_rate(learning_rate)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.decay = float(decay or 0.0)
        if use_ema:
            core_ema.check_ema_arguments(ema_momentum, ema_overwrite_frequency)
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.state = None
        self._transform = None
        self._jitted_update = None
        self._trainable_variables = None  # the variables `build` / `apply` built the state for
        self._checked_state = None  # the state last checked against (or made for) them

    # -------------------------------------------------------------- the optax transformation

    def _rule_kwargs(self):
        """Hyperparameters passed to the core update rule (overridden by subclasses)."""
        return {}

    def _build_transform(self):
        rule = type(self)._rule  # A plain function stays unbound.
        if rule is None:
            raise TypeError(
                f"{self.__class__.__name__} defines no update rule: set the class attribute "
                "`_rule` to a name in jkeras.core.optimizers.RULES or to a factory "
                f"`rule(learning_rate, **kwargs)`. Valid names: {sorted(core.RULES)}"
            )
        return core.keras_optimizer(
            rule, self._learning_rate, weight_decay=self.weight_decay,
            clipnorm=self.clipnorm, clipvalue=self.clipvalue,
            global_clipnorm=self.global_clipnorm, decay=self.decay, **self._rule_kwargs())

    @property
    def transform(self):
        """The `optax.GradientTransformation` this optimizer runs (built once, cached).

        Its `init` starts from the current `learning_rate`, also after it was set.
        """
        if self._transform is None:
            inner = self._build_transform()
            if self.use_ema:
                inner = core_ema.with_ema(inner, self.ema_momentum, self.ema_overwrite_frequency)

            def init(params):
                state = inner.init(params)
                if isinstance(self._learning_rate, float):
                    state = core.set_learning_rate(state, self._learning_rate)
                return state

            self._transform = optax.GradientTransformationExtraArgs(init, inner.update)
        return self._transform

    def apply(self, grads, trainable_variables=None):
        """Applies one update.

        To variables (Keras 3): a list of weights (`model.trainable_variables`) is updated in
        place (`variable.assign`, then the weight's constraint if any). The first call builds
        the optimizer for them; later calls take these variables, any of them in any order, or
        none (`apply(grads)`: all of them, in build order). A None gradient leaves its weight
        and its optimizer state unchanged.

        To a pytree of arrays (pure weights): returns the updated pytree.

        Either way `state` is advanced and `iterations` grows by 1.

        Args:
            grads: Gradients, a list like the variables, or a pytree like the arrays (None
                entries allowed).
            trainable_variables: A list of variables, a pytree of arrays, or None (the
                variables the optimizer was built with).

        Returns:
            The updated pytree for arrays; None for variables.

        Raises:
            ValueError: for variables the optimizer was not built with, a gradient count other
                than the variable count, all gradients None, or `trainable_variables=None`
                before the optimizer was built on variables.
        """
        if trainable_variables is None or _variables.holds_variables(trainable_variables):
            _variables.apply_to_variables(self, grads, trainable_variables)
            return None
        params = trainable_variables
        if self.state is None:
            self.state = self.transform.init(params)
        if self._jitted_update is None:
            self._jitted_update = jax.jit(self.transform.update)
        updates, self.state = self._jitted_update(grads, self.state, params)
        return optax.apply_updates(params, updates)

    def apply_gradients(self, grads_and_vars):
        """Applies `(gradient, variable)` pairs to the variables in place (Keras 2 / 3).

        Args:
            grads_and_vars: An iterable of `(gradient, variable)` pairs; see `apply`.

        Returns:
            `iterations` after the update.
        """
        pairs = list(grads_and_vars)
        if not pairs:
            return self.iterations
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"Optimizer '{self.name}': apply_gradients expects (gradient, "
                                 f"variable) pairs; item {i} is {pair!r}")
        grads, variables = zip(*pairs)
        if not _variables.holds_variables(variables):
            raise ValueError(f"Optimizer '{self.name}': apply_gradients updates variables (such "
                             f"as `model.trainable_variables`); got {variables[0]!r}. For arrays, "
                             "use `new_params = optimizer.apply(grads, params)`.")
        _variables.apply_to_variables(self, list(grads), list(variables))
        return self.iterations

    # -------------------------------------------------------------- Keras 2's graph API

    def get_gradients(self, loss, params):
        """The gradients of `loss` with respect to `params`, clipped as this optimizer clips
        (Keras 2): symbolic tensors that `K.function` evaluates.

        Args:
            loss: a scalar symbolic tensor computed from `Input` tensors (a model's inputs,
                `K.placeholder`s).
            params: a list of layer weights (`model.trainable_weights`).

        Returns:
            A list of symbolic gradients, one per weight.

        Raises:
            ValueError: if `loss` does not depend on one of `params` (a None gradient).
        """
        from jkeras import backend

        grads = backend.gradients(loss, params)
        if any(g is None for g in grads):
            raise ValueError(
                "An operation has `None` for gradient. Please make sure that all of your ops have a "
                "gradient defined (i.e. are differentiable). `loss` does not depend on the weights "
                f"{[getattr(p, 'path', p) for p, g in zip(params, grads) if g is None]}"
            )
        if self.global_clipnorm is not None:
            norm = backend.sqrt(sum(backend.sum(backend.square(g)) for g in grads))
            grads = [g * (self.global_clipnorm / backend.maximum(norm, self.global_clipnorm)) for g in grads]
        if self.clipnorm is not None:
            grads = [g * (self.clipnorm / backend.maximum(backend.sqrt(backend.sum(backend.square(g))),
                                                          self.clipnorm)) for g in grads]
        if self.clipvalue is not None:
            grads = [backend.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def get_updates(self, loss, params):
        """The update of `params` that minimises `loss` by one step (Keras 2), for
        `K.function(inputs, outputs, updates=optimizer.get_updates(loss, params))`: each call of
        that function computes the gradients on its inputs and applies them to the weights.

        Args:
            loss: a scalar symbolic tensor computed from `Input` tensors.
            params: a list of layer weights (`model.trainable_weights`).

        Returns:
            A list with one `OptimizerUpdate` (what `K.function` runs after its outputs).

        Raises:
            ValueError: if `loss` does not depend on one of `params`.
        """
        params = list(params)
        return [OptimizerUpdate(self, self.get_gradients(loss, params), params)]

    # -------------------------------------------------------------- Keras 3's stateless API

    def build(self, var_list):
        """Creates the optimizer state for the weights `var_list` (Keras 3).

        Args:
            var_list: a list of weights (`model.trainable_variables`) or arrays. Variables
                become the ones `apply(grads)` updates.
        """
        var_list = list(var_list)
        self.state = self.transform.init(_variables.arrays(var_list))
        self._trainable_variables = var_list if _variables.holds_variables(var_list) else None
        self._checked_state = self.state

    @property
    def built(self):
        """Whether the optimizer state exists (`build`, `apply` or training made it)."""
        return self.state is not None

    @property
    def variables(self):
        """The optimizer state as a flat list of assignable `StateVariable` handles (Keras 3).

        Its arrays are the leaves of jkeras's optax state (`optimizer.state`), in optax's order;
        their number and order are not Keras's `optimizer.variables`. `stateless_apply` takes
        this list (or its arrays) back.

        Raises:
            ValueError: before `build` (or training) created the state.
        """
        from jkeras.models.variable import StateVariable

        if self.state is None:
            raise ValueError(f"Optimizer '{self.name}' has no variables yet: call "
                             "`optimizer.build(model.trainable_variables)` first.")
        return [StateVariable(self, i, f"state_{i}") for i in range(len(self._state_arrays()))]

    def _state_arrays(self):
        return jax.tree_util.tree_leaves(self.state)

    def _set_state_array(self, index, value):
        leaves, treedef = jax.tree_util.tree_flatten(self.state)
        leaves[index] = value
        self.state = treedef.unflatten(leaves)

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """One update as a pure function (Keras 3): nothing on the optimizer changes.

        Args:
            optimizer_variables: the state as `variables` lists it (handles or arrays).
            grads: the gradients, a list like `trainable_variables`.
            trainable_variables: the weights the state was built for, a list of arrays.

        Returns:
            `(trainable_variables, optimizer_variables)`: the updated weights and state, lists.

        Raises:
            ValueError: if `optimizer_variables` is not the state of `trainable_variables`, or
                `grads` has another length.
        """
        params = _variables.arrays(trainable_variables)
        grads = [None if g is None else jax.numpy.asarray(g) for g in grads]
        if len(grads) != len(params):
            raise ValueError(f"Optimizer '{self.name}': stateless_apply got {len(grads)} gradients "
                             f"for {len(params)} trainable_variables")
        # The state's structure for these weights (traced, nothing is computed).
        expected = jax.eval_shape(self.transform.init, params)
        leaves = jax.tree_util.tree_leaves(list(optimizer_variables))
        shapes = [tuple(jax.numpy.shape(a)) for a in leaves]
        expected_shapes = [tuple(a.shape) for a in jax.tree_util.tree_leaves(expected)]
        if shapes != expected_shapes:
            raise ValueError(
                f"Optimizer '{self.name}': stateless_apply expects `optimizer_variables` as "
                f"`optimizer.variables` lists them after `build(trainable_variables)`: "
                f"{len(expected_shapes)} arrays of shapes {expected_shapes}, got {len(shapes)} of shapes {shapes}")
        state = jax.tree_util.tree_structure(expected).unflatten(leaves)
        updates, state = self.transform.update(grads, state, params)
        return list(optax.apply_updates(params, updates)), jax.tree_util.tree_leaves(state)

    # -------------------------------------------------------------- EMA (use_ema=True)

    @property
    def _model_variables_moving_average(self):
        """The moving averages of the weights (`use_ema=True`), assignable handles in the weights'
        order (Keras 3's name; `SwapEMAWeights` reads and writes them).

        Raises:
            AttributeError: when the state holds no averages (no `use_ema`, or not built yet).
        """
        if _ema.averages_of(self) is None:
            raise AttributeError(f"Optimizer '{self.name}' keeps no moving averages "
                                 f"(use_ema={self.use_ema}, built={self.built}).")
        return _ema.average_variables(self)

    def finalize_variable_values(self, var_list):
        """Sets the final values of the weights: with `use_ema=True`, their moving averages
        (`fit` calls this at its end, as Keras 3 does).

        Args:
            var_list: the weights (`model.trainable_weights`, or the list the optimizer was
                built with).

        Raises:
            ValueError: if `var_list` does not match the weights the averages were built for.
        """
        if _ema.averages_of(self) is not None:
            _ema.write_averages(self, var_list)

    # -------------------------------------------------------------- learning rate, iterations

    def _current_learning_rate(self):
        if self.state is None:
            return self._learning_rate
        return core.get_learning_rate(self.state)

    @property
    def learning_rate(self):
        """The learning rate.

        A `LearningRateVariable` (live, assignable) for a constant rate; for a schedule, the
        schedule object before `state` is set and `schedule(iterations)` after.
        """
        if callable(self._learning_rate):
            if self.state is None:
                return self._learning_rate
            return self._learning_rate(core.get_iterations(self.state))
        return LearningRateVariable(self)

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(self._learning_rate):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                f"optimizer with a float `learning_rate` argument. Received: {value!r}"
            )
        value = _check_learning_rate(value)
        if callable(value):
            if self.state is not None:
                raise TypeError(
                    "Cannot replace a constant learning rate by a schedule once the optimizer "
                    f"state exists; create a new optimizer. Received: learning_rate={value!r}"
                )
            self._transform = self._jitted_update = None
        elif self.state is not None:
            self.state = core.set_learning_rate(self.state, value)
        self._learning_rate = value

    lr = learning_rate  # Keras 2 spelling.

    @property
    def iterations(self):
        """The number of updates applied so far (int; 0 before `state` is set)."""
        if self.state is None:
            return 0
        return int(core.get_iterations(self.state))

    # -------------------------------------------------------------- config

    def _learning_rate_config(self):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return schedules.serialize(self._learning_rate)
        if callable(self._learning_rate):
            return self._learning_rate
        return float(np.float32(self._current_learning_rate()))

    def get_config(self):
        """Returns the optimizer's config with Keras 3's keys.

        `learning_rate` is the current value (a serialized schedule if one was given);
        `decay` is present only when set.

        Returns:
            A dict.
        """
        config = {
            "name": self.name, "learning_rate": self._learning_rate_config(),
            "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
            "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        if self.decay:
            config["decay"] = self.decay
        config.update(self._rule_kwargs())
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates an optimizer from `get_config()` output (Keras 2 and 3 configs too).

        Args:
            config: A dict.
            custom_objects: Optional dict of custom schedule classes.

        Returns:
            An optimizer instance.
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name!r}>"


legacy.wrap_init(Optimizer)  # also converts subclasses that inherit the constructor


class OptimizerUpdate:
    """One optimizer step on graph gradients, as `Optimizer.get_updates` returns it (Keras 2's
    update ops): `K.function(..., updates=[...])` evaluates `grads` with its outputs, then
    applies them to `params` with `optimizer.apply_gradients`.

    Args:
        optimizer: the optimizer that applies the step.
        grads: symbolic gradients, one per weight.
        params: the layer weights updated.
    """

    def __init__(self, optimizer, grads, params):
        self.optimizer = optimizer
        self.grads = list(grads)
        self.params = list(params)

    def run(self, grad_values):
        """Applies `grad_values` (the evaluated `grads`) to the weights."""
        self.optimizer.apply_gradients(zip(grad_values, self.params))

    def __repr__(self):
        return f"<OptimizerUpdate of {self.optimizer.name} on {len(self.params)} weights>"


class OptaxOptimizer(Optimizer):
    """Wraps any `optax.GradientTransformation` as an optimizer.

    `learning_rate` works when the transformation was built with
    `optax.inject_hyperparams(...)(learning_rate=...)`.

    Args:
        transform: An `optax.GradientTransformation`.
        name: String.

    Raises:
        TypeError: If `transform` is not an `optax.GradientTransformation`.
    """

    def __init__(self, transform, name=None):
        if not isinstance(transform, optax.GradientTransformation):
            raise TypeError(
                f"Expected an optax.GradientTransformation. Received: transform={transform!r}"
            )
        super().__init__(learning_rate=0.0, name=name or _auto_name("OptaxOptimizer"))
        self._learning_rate = None  # Set only when the user sets it.
        self._optax_transform = transform

    def _build_transform(self):
        return core.count_iterations(self._optax_transform)

    def _current_learning_rate(self):
        if self.state is None and self._learning_rate is not None:
            return self._learning_rate
        state = self.state if self.state is not None else self._optax_transform.init({})
        try:
            return core.get_learning_rate(state)
        except ValueError as error:
            raise AttributeError(str(error)) from None

    @property
    def learning_rate(self):
        """The injected learning rate (a `LearningRateVariable`).

        Raises:
            AttributeError: If the transformation has no injected `learning_rate`.
        """
        self._current_learning_rate()
        return LearningRateVariable(self)

    @learning_rate.setter
    def learning_rate(self, value):
        value = _check_learning_rate(value)
        if callable(value):
            raise TypeError(
                "The learning rate of an optax transformation can only be set to a number. "
                f"Received: learning_rate={value!r}"
            )
        if self.state is not None:
            self.state = core.set_learning_rate(self.state, value)
        else:
            core.set_learning_rate(self._optax_transform.init({}), value)
        self._learning_rate = value

    lr = learning_rate

    def get_config(self):
        """Returns `{"name": ..., "learning_rate": ...}`; the transformation is not serializable.

        Returns:
            A dict.
        """
        try:
            learning_rate = float(self.learning_rate)
        except AttributeError:
            learning_rate = None
        return {"name": self.name, "learning_rate": learning_rate}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Raises: an optax transformation cannot be rebuilt from a config.

        Raises:
            ValueError: Always.
        """
        raise ValueError(
            "An OptaxOptimizer cannot be rebuilt from its config; pass the optax "
            f"transformation to `compile` again. Received: config={config!r}"
        )

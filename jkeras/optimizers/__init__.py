"""Keras optimizers (`SGD`, `Adam`, ...) built on optax, with Keras 3 names and defaults.

Each class is a config that builds an optax transformation with Keras's exact update rule
(`jkeras.core.optimizers`): also `Adafactor`, `Ftrl`, `Lamb`, `Lion` and `ScheduleFreeAdamW`.
`legacy` re-exports the classes for tf.keras 2.11+'s `keras.optimizers.legacy.Adam` spelling.
Keras 2 spellings work too: `lr=`, `decay=`, `epsilon=None` and the lowercase aliases `sgd`,
`rmsprop`, `adagrad`, `adadelta`, `adam`, `adamax`, `nadam`. The common arguments
(`weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`, `name`, `lr`, `decay`) are
described on `Optimizer`.
"""
import optax

from jkeras.core import config
from jkeras.core import optimizers as core
from jkeras.core._registry import Registry, config_of
from jkeras.optimizers import schedules
from jkeras.optimizers._base import LearningRateVariable, OptaxOptimizer, Optimizer
from jkeras.optimizers._labels import labels_by_layer



def _epsilon(epsilon):
    return config.epsilon() if epsilon is None else epsilon  # Keras 2: None means backend.epsilon()


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum.

    `velocity = momentum * velocity - learning_rate * g`; `w += velocity`, or with
    `nesterov=True`, `w += momentum * velocity - learning_rate * g`.

    Args:
        learning_rate: Float or schedule. Defaults to `0.01`.
        momentum: Float in [0, 1]. Defaults to `0.0`.
        nesterov: Whether to use Nesterov momentum. Defaults to `False`.
        **kwargs: Common optimizer arguments (see `Optimizer`).

    Raises:
        ValueError: If `momentum` is outside [0, 1].
    """

    _rule = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: "
                             f"momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _rule_kwargs(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSprop: divides the gradient by a running root mean square of recent gradients.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        rho: Discount factor of the squared-gradient average. Defaults to `0.9`.
        momentum: Float; if not 0, momentum on the scaled steps. Defaults to `0.0`.
        epsilon: Added inside the square root. Defaults to `1e-7` (None: `backend.epsilon()`).
        centered: Whether to normalize by the estimated variance. Defaults to `False`.
        **kwargs: Common optimizer arguments (see `Optimizer`).
    """

    _rule = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = _epsilon(epsilon)
        self.centered = centered

    def _rule_kwargs(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": bool(self.centered)}


class Adagrad(Optimizer):
    """Adagrad: per-parameter rates scaled by the root of the summed squared gradients.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        initial_accumulator_value: Non-negative start of the accumulators. Defaults to `0.1`.
        epsilon: Added inside the square root. Defaults to `1e-7` (None: `backend.epsilon()`).
        **kwargs: Common optimizer arguments (see `Optimizer`).

    Raises:
        ValueError: If `initial_accumulator_value` is negative.
    """

    _rule = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1,
                 epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError("`initial_accumulator_value` must be non-negative. Received: "
                             f"initial_accumulator_value={initial_accumulator_value!r}")
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = _epsilon(epsilon)

    def _rule_kwargs(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta: steps scaled by running averages of squared gradients and squared steps.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001` (`1.0` matches the paper).
        rho: Decay rate. Defaults to `0.95`.
        epsilon: Added inside the square roots. Defaults to `1e-7` (None: `backend.epsilon()`).
        **kwargs: Common optimizer arguments (see `Optimizer`).
    """

    _rule = "adadelta"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = _epsilon(epsilon)

    def _rule_kwargs(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class _Moments(Optimizer):
    """Shared config of Adam, Adamax and Nadam: `beta_1`, `beta_2`, `epsilon`."""

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _epsilon(epsilon)

    def _rule_kwargs(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Adam(_Moments):
    """Adam: adaptive moment estimation (Kingma & Ba, 2014), with optional AMSGrad.

    `w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        beta_1: Decay rate of the first moment. Defaults to `0.9`.
        beta_2: Decay rate of the second moment. Defaults to `0.999`.
        epsilon: Added to `sqrt(v)`. Defaults to `1e-7` (None: `backend.epsilon()`).
        amsgrad: Whether to use AMSGrad. Defaults to `False`.
        **kwargs: Common optimizer arguments (see `Optimizer`).
    """

    _rule = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)
        self.amsgrad = amsgrad

    def _rule_kwargs(self):
        return {**super()._rule_kwargs(), "amsgrad": bool(self.amsgrad)}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        weight_decay: Float. Defaults to `0.004`.
        beta_1, beta_2, epsilon, amsgrad: As for `Adam`.
        **kwargs: Common optimizer arguments (see `Optimizer`).

    Raises:
        ValueError: If `weight_decay` is None.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError(
                "Argument `weight_decay` must be a float. Received: weight_decay=None"
            )
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)


class Adamax(_Moments):
    """Adamax: Adam with the infinity norm.

    `u = max(beta_2 * u, |g|)`; `w -= lr * m / ((1 - beta_1**t) * (u + epsilon))`.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        beta_1: Decay rate of the first moment. Defaults to `0.9`.
        beta_2: Decay rate of the infinity norm. Defaults to `0.999`.
        epsilon: Added to the norm. Defaults to `1e-7` (None: `backend.epsilon()`).
        **kwargs: Common optimizer arguments (see `Optimizer`).
    """

    _rule = "adamax"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         **kwargs)


class Nadam(_Moments):
    """Nadam: Adam with Nesterov momentum and Keras 3's momentum-cache schedule.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        beta_1: Decay rate of the first moment. Defaults to `0.9`.
        beta_2: Decay rate of the second moment. Defaults to `0.999`.
        epsilon: Added to the root of the second moment. Defaults to `1e-7` (None: `backend.epsilon()`).
        **kwargs: Common optimizer arguments (see `Optimizer`); tf.keras 2's
            `schedule_decay` is accepted as `decay`.

    Raises:
        ValueError: If both `schedule_decay` and `decay` are given.
    """

    _rule = "nadam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        if "schedule_decay" in kwargs:
            if kwargs.get("decay") is not None:
                raise ValueError(
                    "Pass either `decay` or its Keras 2 alias `schedule_decay`, not both. "
                    f"Received: decay={kwargs['decay']!r}, "
                    f"schedule_decay={kwargs['schedule_decay']!r}"
                )
            kwargs["decay"] = kwargs.pop("schedule_decay")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         **kwargs)


class Adafactor(Optimizer):
    """Adafactor: Adam-like steps with factored second moments, to save memory.

    For weights of rank >= 2 the second moment is kept as row and column averages over the
    last two axes. The step size is `max(epsilon_2, rms(w)) * min(lr, 1 / sqrt(t))`.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        beta_2_decay: Decay exponent of the second-moment rate. Defaults to `-0.8`.
        epsilon_1: Added to the squared gradients. Defaults to `1e-30`.
        epsilon_2: Least weight RMS that scales the step. Defaults to `1e-3`.
        clip_threshold: Update clipping threshold (independent of `clipnorm`, ...).
            Defaults to `1.0`.
        relative_step: Kept for Keras compatibility: Keras 3 always caps the learning rate
            by `1 / sqrt(t)`. Defaults to `True`.
        **kwargs: Common optimizer arguments (see `Optimizer`).
    """

    _rule = "adafactor"

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
                 epsilon_2=1e-3, clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def _rule_kwargs(self):
        return {"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}


class Ftrl(Optimizer):
    """FTRL-Proximal ("Follow The Regularized Leader"), as in Keras with L2 shrinkage.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        learning_rate_power: Float <= 0, how the rate falls as the accumulator grows.
            Defaults to `-0.5`.
        initial_accumulator_value: Float >= 0, the start of the accumulators.
            Defaults to `0.1`.
        l1_regularization_strength: Float >= 0. Defaults to `0.0`.
        l2_regularization_strength: Float >= 0. Defaults to `0.0`.
        l2_shrinkage_regularization_strength: Float >= 0; a magnitude penalty (unlike the
            stabilization L2 above). Defaults to `0.0`.
        beta: Float, added as `beta / (2 * lr)` to the L2 strength. Defaults to `0.0`.
        **kwargs: Common optimizer arguments (see `Optimizer`).

    Raises:
        ValueError: If `learning_rate_power` is positive or another strength or
            `initial_accumulator_value` is negative.
    """

    _rule = "ftrl"

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        core.check_ftrl_arguments(learning_rate_power, initial_accumulator_value,
                                  l1_regularization_strength, l2_regularization_strength,
                                  l2_shrinkage_regularization_strength)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _rule_kwargs(self):
        return {"learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}


class Lamb(Optimizer):
    """Lamb: Adam steps scaled per weight tensor by the trust ratio `||w|| / ||step||`.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        beta_1: Decay rate of the first moment. Defaults to `0.9`.
        beta_2: Decay rate of the second moment. Defaults to `0.999`.
        epsilon: Added to the root of the corrected second moment. Defaults to `1e-7`.
        **kwargs: Common optimizer arguments (see `Optimizer`).
    """

    _rule = "lamb"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _rule_kwargs(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Lion(Optimizer):
    """Lion: sign of an interpolated momentum (Chen et al., 2023).

    `w -= lr * sign(beta_1 * m + (1 - beta_1) * g)`, then
    `m = beta_2 * m + (1 - beta_2) * g`. Use a learning rate 3-10x smaller than Adam's.

    Args:
        learning_rate: Float or schedule. Defaults to `0.001`.
        beta_1: Interpolation factor of the step, in (0, 1]. Defaults to `0.9`.
        beta_2: Decay rate of the momentum. Defaults to `0.99`.
        **kwargs: Common optimizer arguments (see `Optimizer`).

    Raises:
        ValueError: If `beta_1` is not in (0, 1].
    """

    _rule = "lion"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _rule_kwargs(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2}


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW: interpolation and averaging instead of a learning-rate schedule.

    The weights are the interpolation `(1 - beta_1) * momentum + beta_1 * x` of the sequence
    the steps go to (`momentum`, started at the weights) and its running average `x`.

    Args:
        learning_rate: Float or schedule. Defaults to `0.0025`.
        beta_1: Interpolation factor between `momentum` and `x`. Defaults to `0.9`.
        beta_2: Decay rate of the second moment. Defaults to `0.999`.
        epsilon: Added to the root of the corrected second moment. Defaults to `1e-8`.
        warmup_steps: Int; steps of linear learning-rate warmup from 0. Defaults to `0`.
        **kwargs: Common optimizer arguments (see `Optimizer`).
    """

    _rule = "schedulefreeadamw"

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def _rule_kwargs(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps}


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around another optimizer, for `mixed_float16` training.

    The train step multiplies the loss by the current scale and this optimizer divides the
    gradients by it. A step whose gradients are not all finite is skipped and halves the scale;
    after `dynamic_growth_steps` finite steps in a row the scale doubles. `compile` wraps the
    optimizer in one automatically when the model's policy is "mixed_float16".

    Args:
        inner_optimizer: The `Optimizer` (or name, or optax transformation) that applies updates.
        initial_scale: Float, the first loss scale. Defaults to `2**15`.
        dynamic_growth_steps: Int, finite steps before the scale doubles. Defaults to `2000`.
        name: String.

    Raises:
        ValueError: for a non-positive scale or growth steps, or a missing inner optimizer.
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None,
                 **kwargs):
        inner = get(inner_optimizer)
        if inner is None:
            raise ValueError("LossScaleOptimizer: `inner_optimizer` is required, got None")
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.inner_optimizer = inner
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = dynamic_growth_steps
        self._learning_rate = inner._learning_rate
        core.dynamic_loss_scale(optax.identity(), self.initial_scale, dynamic_growth_steps)  # validates

    def _build_transform(self):
        return core.dynamic_loss_scale(self.inner_optimizer.transform, self.initial_scale,
                                       self.dynamic_growth_steps)

    @property
    def dynamic_scale(self):
        """The current loss scale (the initial one before training)."""
        if self.state is None:
            return self.initial_scale
        return float(core.loss_scale_of(self.state))

    def get_config(self):
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["inner_optimizer"] = deserialize(config["inner_optimizer"], custom_objects)
        return cls(**config)


ALL_OBJECTS = {cls.__name__.lower(): cls for cls in (
    SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam, Adafactor, Ftrl, Lamb, Lion,
    ScheduleFreeAdamW, LossScaleOptimizer)}
_NAMES = Registry("optimizer", ALL_OBJECTS, ignore_case=True, bare_names=False)

# Keras 2 lowercase aliases.
sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam = (
    SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)


def serialize(optimizer):
    """Returns `{"class_name": ..., "config": ...}` for an optimizer.

    Args:
        optimizer: An `Optimizer` instance.

    Returns:
        A dict.

    Raises:
        TypeError: If `optimizer` is not an `Optimizer`.
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"Expected an Optimizer instance. Received: optimizer={optimizer!r}")
    return config_of(optimizer)


def deserialize(config, custom_objects=None):
    """Returns an optimizer from `{"class_name": ..., "config": ...}`.

    Class names are case-insensitive; Keras's `module` / `registered_name` keys
    are ignored.

    Args:
        config: A dict as returned by `serialize`.
        custom_objects: Optional dict mapping names to custom optimizer classes and
            schedules.

    Returns:
        An `Optimizer` instance.

    Raises:
        ValueError: If `config` is malformed or the class name is unknown.
    """
    cls, inner = _NAMES.resolve(config, custom_objects)
    return cls.from_config(inner, custom_objects=custom_objects)


def get(identifier):
    """Retrieves an optimizer.

    Args:
        identifier: An optimizer name (case-insensitive: `"adam"`, `"SGD"`, ...), a config
            dict, an `Optimizer` instance or class, any `optax.GradientTransformation`
            (wrapped in an `OptaxOptimizer`), or None.

    Returns:
        An `Optimizer` instance, or None.

    Raises:
        ValueError: If the identifier cannot be interpreted.
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, optax.GradientTransformation):
        return OptaxOptimizer(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _NAMES.lookup(identifier)()
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Expected a "
                     f"name in {sorted(ALL_OBJECTS)}, a config dict, an Optimizer or an "
                     "optax.GradientTransformation.")


class TFOptimizer:
    """Keras 2's wrapper of a TensorFlow `tf.train` optimizer; it cannot exist without TensorFlow.

    Raises:
        NotImplementedError: always (use a jkeras optimizer such as `Adam`, or an optax
            transformation, which `get` and `compile` accept).
    """

    def __init__(self, optimizer, iterations=None):
        del iterations
        raise NotImplementedError(
            f"TFOptimizer wraps a TensorFlow optimizer ({type(optimizer).__name__}), and jkeras runs on JAX "
            "without TensorFlow; use a jkeras optimizer (keras.optimizers.Adam(...)) or an optax "
            "GradientTransformation instead."
        )


__all__ = ["Optimizer", "OptaxOptimizer", "TFOptimizer", "LearningRateVariable", "LossScaleOptimizer", "SGD", "RMSprop", "Adagrad",
           "Adadelta", "Adam", "AdamW", "Adamax", "Nadam", "Adafactor", "Ftrl", "Lamb", "Lion",
           "ScheduleFreeAdamW", "schedules", "legacy", "get", "serialize", "deserialize",
           "labels_by_layer"]

from jkeras.optimizers import legacy  # noqa: E402  (needs the classes above)

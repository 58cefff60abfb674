"""Learning-rate schedules: config objects whose `__call__(step)` is pure and jit-safe.

Names, arguments, defaults and config keys are Keras 3's
(`keras.optimizers.schedules`). Pass one as an optimizer's `learning_rate`; the optimizer
evaluates it at its step count inside the compiled step.
"""
from jkeras.core import schedules as _math
from jkeras.core._registry import Registry, config_of


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement `__call__(step)` (a scalar int array, the optimizer's step count,
    traced under `jax.jit`) and `get_config()`.
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override "
            "`__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Instantiates a schedule from its config.

        Args:
            config: Output of `get_config()`.

        Returns:
            A `LearningRateSchedule` instance.
        """
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{self.__class__.__name__}({args})"


def _check_positive(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class _RateDecay(LearningRateSchedule):
    """Shared config of `ExponentialDecay` and `InverseTimeDecay`; `_DECAY` is the formula."""

    _DECAY = None

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        return self._DECAY(step, self.initial_learning_rate, self.decay_steps, self.decay_rate,
                           self.staircase)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: Float.
        decay_steps: Positive int.
        decay_rate: Float.
        staircase: If True, decay at discrete intervals (`step // decay_steps`).
        name: String.

    Raises:
        ValueError: If `decay_steps <= 0`.
    """

    _DECAY = staticmethod(_math.exponential_decay)

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[1]` up to `boundaries[1]`, ...

    Args:
        boundaries: Strictly increasing list of step numbers.
        values: List with one more element than `boundaries`.
        name: String.

    Raises:
        ValueError: If `len(values) != len(boundaries) + 1`.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        return _math.piecewise_constant_decay(step, self.boundaries, self.values)

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`.

    Args:
        initial_learning_rate: Float.
        decay_steps: Positive int.
        end_learning_rate: Float, the final value.
        power: Float exponent.
        cycle: Whether to restart the decay beyond `decay_steps`.
        name: String.

    Raises:
        ValueError: If `decay_steps <= 0`.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        return _math.polynomial_decay(step, self.initial_learning_rate, self.decay_steps,
                                      self.end_learning_rate, self.power, self.cycle)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(_RateDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: Float.
        decay_steps: Positive number.
        decay_rate: Float.
        staircase: If True, `step / decay_steps` is floored.
        name: String.

    Raises:
        ValueError: If `decay_steps <= 0`.
    """

    _DECAY = staticmethod(_math.inverse_time_decay)

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup to `warmup_target`, then cosine decay to `alpha` times it.

    Args:
        initial_learning_rate: Float.
        decay_steps: Positive int, the length of the decay.
        alpha: Final value as a fraction of `warmup_target` (or of
            `initial_learning_rate` when `warmup_target` is None).
        name: String.
        warmup_target: Float or None (no warmup).
        warmup_steps: Int, the length of the warmup.

    Raises:
        ValueError: If `decay_steps <= 0`.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        return _math.cosine_decay(step, self.initial_learning_rate, self.decay_steps, self.alpha,
                                  self.warmup_target, self.warmup_steps)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    Args:
        initial_learning_rate: Float.
        first_decay_steps: Positive int, the length of the first period.
        t_mul: Float; period `i` lasts `first_decay_steps * t_mul**i` steps.
        m_mul: Float; period `i` starts at `initial_learning_rate * m_mul**i`.
        alpha: Minimum value as a fraction of `initial_learning_rate`.
        name: String.

    Raises:
        ValueError: If `first_decay_steps <= 0`.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        _check_positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        return _math.cosine_decay_restarts(step, self.initial_learning_rate,
                                           self.first_decay_steps, self._t_mul, self._m_mul,
                                           self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


ALL_OBJECTS = {cls.__name__: cls for cls in (
    LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
    InverseTimeDecay, CosineDecay, CosineDecayRestarts)}
_NAMES = Registry("learning rate schedule", ALL_OBJECTS, ignore_case=True, bare_names=False)


def serialize(learning_rate_schedule):
    """Returns `{"class_name": ..., "config": ...}` for a schedule.

    Args:
        learning_rate_schedule: A `LearningRateSchedule` instance.

    Returns:
        A JSON-serializable dict.

    Raises:
        TypeError: If the argument is not a `LearningRateSchedule`.
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(
            "Expected a `LearningRateSchedule` instance. Received: "
            f"learning_rate_schedule={learning_rate_schedule!r}"
        )
    return config_of(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """Instantiates a schedule from `{"class_name": ..., "config": ...}`.

    Keras 3's serialized form (with `module` / `registered_name` keys) is accepted too.

    Args:
        config: A dict as returned by `serialize`.
        custom_objects: Optional dict mapping class names to custom schedule classes.

    Returns:
        A `LearningRateSchedule` instance.

    Raises:
        ValueError: If `config` is malformed or the class name is unknown.
    """
    return _NAMES.deserialize(config, custom_objects)


def get(identifier):
    """Retrieves a learning-rate schedule.

    Args:
        identifier: A `LearningRateSchedule`, a callable `step -> lr`, a config dict or
            None.

    Returns:
        The schedule (callables are returned unchanged), or None.

    Raises:
        ValueError: If the identifier cannot be interpreted.
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret learning rate schedule identifier: {identifier!r}")

"""Keras 1's `keras.initializations`: initializer functions of a shape that return the drawn
array (Keras 1's custom-initializer recipe calls them: `initializations.normal(shape, scale=0.01)`),
and `get`, as `jkeras.initializers.get`."""
from jkeras import initializers as _init
from jkeras.initializers import get  # noqa: F401


def _draw(initializer, shape):
    return initializer(tuple(shape))


def uniform(shape, scale=0.05, name=None, dim_ordering="th"):
    """Uniform in `[-scale, scale]`."""
    return _draw(_init.RandomUniform(-scale, scale), shape)


def normal(shape, scale=0.05, name=None, dim_ordering="th"):
    """Normal with mean 0 and standard deviation `scale`."""
    return _draw(_init.RandomNormal(0.0, scale), shape)


def lecun_uniform(shape, name=None, dim_ordering="th"):
    """LeCun uniform."""
    return _draw(_init.LecunUniform(), shape)


def glorot_normal(shape, name=None, dim_ordering="th"):
    """Glorot (Xavier) normal."""
    return _draw(_init.GlorotNormal(), shape)


def glorot_uniform(shape, name=None, dim_ordering="th"):
    """Glorot (Xavier) uniform."""
    return _draw(_init.GlorotUniform(), shape)


def he_normal(shape, name=None, dim_ordering="th"):
    """He normal."""
    return _draw(_init.HeNormal(), shape)


def he_uniform(shape, name=None, dim_ordering="th"):
    """He uniform."""
    return _draw(_init.HeUniform(), shape)


def orthogonal(shape, scale=1.1, name=None, dim_ordering="th"):
    """Orthogonal, times `scale`."""
    return _draw(_init.Orthogonal(gain=scale), shape)


def identity(shape, scale=1, name=None, dim_ordering="th"):
    """`scale` times the identity matrix (2D shapes)."""
    return _draw(_init.Identity(gain=scale), shape)


def zero(shape, name=None, dim_ordering="th"):
    """Zeros."""
    return _draw(_init.Zeros(), shape)


def one(shape, name=None, dim_ordering="th"):
    """Ones."""
    return _draw(_init.Ones(), shape)

"""Models: `Sequential`, functional `Model`, and (later) saving and loading."""
from jkeras.models.functional import Model
from jkeras.models.sequential import Sequential

__all__ = ["Model", "Sequential"]

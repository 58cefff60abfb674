"""scikit-learn wrappers around jkeras models.

- Keras 3: `SKLearnClassifier`, `SKLearnRegressor`, `SKLearnTransformer` (this package).
- Keras 2: `KerasClassifier`, `KerasRegressor` in `jkeras.wrappers.scikit_learn`.

scikit-learn is imported only when a wrapper is first looked up, so jkeras does not need it;
without it the lookup raises an ImportError naming the `examples` extra.
"""
import importlib

_KERAS3_WRAPPERS = ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer")

__all__ = [*_KERAS3_WRAPPERS, "scikit_learn"]


def __getattr__(name):
    if name in _KERAS3_WRAPPERS:
        return getattr(importlib.import_module("jkeras.wrappers.sklearn_wrapper"), name)
    if name == "scikit_learn":
        return importlib.import_module("jkeras.wrappers.scikit_learn")
    raise AttributeError(f"module 'jkeras.wrappers' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])

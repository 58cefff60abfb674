"""The one place the wrappers import scikit-learn, with an install hint when it is missing."""
import importlib


def import_sklearn(owner):
    """Imports scikit-learn for `owner` (a module or class name).

    Returns:
        The `sklearn` module.

    Raises:
        ImportError: when scikit-learn is not installed, naming the `examples` extra.
    """
    try:
        return importlib.import_module("sklearn")
    except ImportError as error:
        raise ImportError(
            f"{owner} needs scikit-learn, which is not installed. Install it with "
            "`pip install 'jkeras[examples]'` (or `pip install scikit-learn`)."
        ) from error

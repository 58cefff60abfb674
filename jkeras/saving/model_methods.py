"""The saving methods a Model carries (`save`, `save_weights`, `load_weights`, `to_json`, ...)."""


class SavingMixin:
    """Mixin of the saving / loading methods of `Model` (being written)."""

"""The saving methods a Model carries (`save`, `save_weights`, `load_weights`, `to_json`, ...).

They are thin: the formats live in `jkeras.saving.saving_api` and the modules it uses. This module
imports nothing heavy, as `jkeras.models.functional` imports it.
"""


class SavingMixin:
    """Mixin of the saving / loading methods of `Model`."""

    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
        """Saves the model: architecture, compile configuration, weights and optimizer state.

        `path.keras` writes a zip archive, `path.h5` an HDF5 file in Keras 2's layout, any other
        path a directory; see `jkeras.saving.saving_api` for the layouts. The save is atomic.

        Args:
            filepath: where to save.
            overwrite: replace an existing save (False raises FileExistsError).
            include_optimizer: also save the optimizer state.
            save_format: "keras", "h5" or "dir" to override the choice by extension.
        """
        from jkeras.saving import saving_api

        saving_api.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                              save_format=save_format, **kwargs)

    def save_weights(self, filepath, overwrite=True, save_format=None, options=None):
        """Saves the weights: `.weights.h5` in Keras 3's layout, `.h5` in Keras 2's, else an orbax
        checkpoint directory. The optimizer state is saved too when there is one."""
        from jkeras.saving import saving_api

        del options
        saving_api.save_weights(self, filepath, overwrite=overwrite, save_format=save_format)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, options=None):
        """Loads weights saved by jkeras, Keras 3 or Keras 2 (the format is read from the file).

        Args:
            filepath: a `.weights.h5` / `.h5` file, a `.keras` archive or a checkpoint directory.
            by_name: load only the layers whose names match (others keep their weights).
            skip_mismatch: skip, with a warning, weights whose shapes differ instead of raising.

        Raises:
            ValueError: on a layer-count, weight-count or shape mismatch (naming the layer and shapes).
        """
        from jkeras.saving import saving_api

        del options
        saving_api.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

    def export(self, filepath, format="jax", verbose=None, input_signature=None, **kwargs):
        """Exports the inference function for serving: a `jax.export` (StableHLO) artifact.

        Writes `filepath/model.jax_export` and `filepath/signature.json`; unknown input sizes (the
        batch axis) stay symbolic. JAX alone runs it:
        `jax.export.deserialize(open(f"{filepath}/model.jax_export", "rb").read()).call(x)`,
        or `jkeras.saving.load_exported(filepath)(x)`. See `jkeras.saving.export`.

        Args:
            filepath: the directory to write.
            format: `"jax"`, the only format.
            verbose: print where the artifact went (default True).
            input_signature: input shapes and dtypes (`jax.ShapeDtypeStruct`s or `(shape, dtype)`
                pairs); default the model's inputs.
            **kwargs: `platforms`, e.g. `("cpu", "cuda")` (default the current platform).

        Returns:
            The `jax.export.Exported`.

        Raises:
            ValueError: for another format or a model that cannot be exported.
        """
        from jkeras.saving import export

        return export.export_model(self, filepath, format=format, verbose=verbose,
                                   input_signature=input_signature, **kwargs)

    def to_json(self, **kwargs):
        """The architecture as a JSON string; `jkeras.models.model_from_json` rebuilds it.

        Args:
            **kwargs: passed to `json.dumps` (e.g. `indent=2`).
        """
        from jkeras.saving import model_config, saving_api

        return model_config.dumps(saving_api.model_to_json_config(self), **kwargs)

    def to_yaml(self, **kwargs):
        """The architecture as a YAML string (Keras 2); `jkeras.models.model_from_yaml` rebuilds it.

        Raises:
            ImportError: if PyYAML is not installed.
        """
        import json

        from jkeras.saving import model_config, saving_api

        try:
            import yaml
        except ImportError as error:
            raise ImportError("to_yaml needs PyYAML: pip install pyyaml") from error
        config = json.loads(model_config.dumps(saving_api.model_to_json_config(self)))
        return yaml.safe_dump(config, **kwargs)

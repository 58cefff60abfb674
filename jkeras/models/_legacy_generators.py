"""Keras 2's `fit_generator` / `evaluate_generator` / `predict_generator`, and the Keras 1
spellings of the training methods' arguments.

The `*_generator` methods are `fit` / `evaluate` / `predict` under their Keras 2 names and
argument orders. Keras 1 arguments are converted with one warning each: `nb_epoch` -> `epochs`,
`nb_worker` -> `workers`, `pickle_safe` -> `use_multiprocessing`, `max_q_size` ->
`max_queue_size`; the sample counts `samples_per_epoch`, `nb_val_samples` and `val_samples` keep
their Keras 1 meaning (samples, so `ceil(count / batch size)` steps) as `steps_per_epoch`,
`validation_steps` and `steps`.
"""
from jkeras.models import _generator_adapter
from jkeras.utils import legacy

_RENAMES = {
    "nb_epoch": "epochs", "nb_worker": "workers", "pickle_safe": "use_multiprocessing",
    "max_q_size": "max_queue_size",
}
_SAMPLE_COUNTS = {
    "samples_per_epoch": "steps_per_epoch", "nb_val_samples": "validation_steps", "val_samples": "steps",
}


def _sample_counts(positional):
    """A LegacyInterface preprocessor turning Keras 1 sample counts into `SampleCount` steps."""

    def preprocess(args, kwargs):
        notes = []
        for old, new in _SAMPLE_COUNTS.items():
            if old not in kwargs:
                continue
            if new in kwargs or new in positional[:len(args)]:
                raise TypeError(f"got both `{old}` (Keras 1, samples) and `{new}` (batches); pass only `{new}`")
            count = kwargs.pop(old)
            kwargs[new] = None if count is None else _generator_adapter.SampleCount(count)
            notes.append((old, f"{new} (a number of batches: {old} / batch_size)"))
        return args, kwargs, notes

    return preprocess


def _interface(positional):
    return legacy.LegacyInterface(positional=positional, renames=_RENAMES, preprocess=_sample_counts(positional))


FIT = _interface((
    "x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data",
    "shuffle", "class_weight", "sample_weight", "initial_epoch", "steps_per_epoch", "validation_steps",
    "validation_batch_size", "validation_freq", "max_queue_size", "workers", "use_multiprocessing",
))
EVALUATE = _interface(("x", "y", "batch_size", "verbose", "sample_weight", "steps", "callbacks",
                       "max_queue_size", "workers", "use_multiprocessing", "return_dict"))
PREDICT = _interface(("x", "batch_size", "verbose", "steps", "callbacks", "max_queue_size", "workers",
                      "use_multiprocessing"))
_FIT_GENERATOR = _interface((
    "generator", "steps_per_epoch", "epochs", "verbose", "callbacks", "validation_data",
    "validation_steps", "class_weight", "max_queue_size", "workers", "use_multiprocessing", "shuffle",
    "initial_epoch", "validation_freq",
))
_EVALUATE_GENERATOR = _interface(("generator", "steps", "max_queue_size", "workers", "use_multiprocessing",
                                  "verbose", "callbacks"))
_PREDICT_GENERATOR = _interface(("generator", "steps", "max_queue_size", "workers", "use_multiprocessing",
                                 "verbose", "callbacks"))


converts = legacy.converts


def _require_stream(method, generator):
    if not _generator_adapter.is_stream(generator):
        raise TypeError(
            f"{method}: expected a generator, iterator or Sequence, got {type(generator).__name__}; "
            "for arrays call the method without `_generator`"
        )


class GeneratorMethods:
    """Mixin: the Keras 2 `*_generator` methods, which call `fit` / `evaluate` / `predict`."""

    @converts(_FIT_GENERATOR)
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, class_weight=None, max_queue_size=10,
                      workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0, validation_freq=1):
        """Trains on batches from a generator, iterator or `Sequence` (Keras 2; same as `fit`).

        Args:
            generator: yields `(x, y)` or `(x, y, sample_weight)` batches.
            steps_per_epoch: batches per epoch (default: one pass; `len(generator)` for a Sequence).
            epochs, verbose, callbacks, class_weight, initial_epoch, validation_freq: as in `fit`.
            validation_data: arrays `(x, y[, sample_weight])` or a generator / Sequence.
            validation_steps: validation batches drawn from a generator (default: one pass).
            max_queue_size: batches read ahead of the step.
            workers: reading threads (several only for a Sequence, whose batches keep their order).
            use_multiprocessing: accepted; threads are used.
            shuffle: shuffle a Sequence's batch order every epoch.

        Returns:
            A `History`.
        """
        _require_stream("fit_generator", generator)
        return self.fit(
            generator, epochs=epochs, verbose=verbose, callbacks=callbacks, validation_data=validation_data,
            shuffle=shuffle, class_weight=class_weight, initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch, validation_steps=validation_steps, validation_freq=validation_freq,
            max_queue_size=max_queue_size, workers=workers, use_multiprocessing=use_multiprocessing,
        )

    @converts(_EVALUATE_GENERATOR)
    def evaluate_generator(self, generator, steps=None, max_queue_size=10, workers=1, use_multiprocessing=False,
                           verbose=0, callbacks=None):
        """Loss and metrics over batches from a generator / Sequence (Keras 2; same as `evaluate`).

        Returns:
            The loss, or a list `[loss, *metrics]` in `metrics_names` order.
        """
        _require_stream("evaluate_generator", generator)
        return self.evaluate(generator, steps=steps, max_queue_size=max_queue_size, workers=workers,
                             use_multiprocessing=use_multiprocessing, verbose=verbose, callbacks=callbacks)

    @converts(_PREDICT_GENERATOR)
    def predict_generator(self, generator, steps=None, max_queue_size=10, workers=1, use_multiprocessing=False,
                          verbose=0, callbacks=None):
        """The model's outputs for batches from a generator / Sequence (Keras 2; same as `predict`).

        The generator may yield `x` or tuples whose first item is `x`.
        """
        _require_stream("predict_generator", generator)
        return self.predict(generator, steps=steps, max_queue_size=max_queue_size, workers=workers,
                            use_multiprocessing=use_multiprocessing, verbose=verbose, callbacks=callbacks)

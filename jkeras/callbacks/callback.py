"""`Callback`: the hooks `fit`, `evaluate` and `predict` call, with Keras's names and arguments."""
from jkeras.utils import legacy


class Callback(legacy.Converted):
    """Base class of callbacks. Override any hook; `self.model` and `self.params` are set by `fit`.

    With validation data given as arrays, `fit` also sets Keras 2's `self.validation_data`: the
    validation inputs, targets and sample weights (ones where none are given), one flat list.

    A subclass converts old argument spellings by declaring `_legacy = LegacyInterface(...)`.

    Batch hooks receive `logs` whose values may still be on the device; converting one with
    `float()` copies it to the host.
    """

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        """Keras 2 name of `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2 name of `on_train_batch_end`."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def _overrides(self, hook):
        """Whether `hook` is replaced, by a subclass or on the instance (`LambdaCallback`)."""
        return hook in self.__dict__ or getattr(type(self), hook) is not getattr(Callback, hook)

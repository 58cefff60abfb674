"""`SwapEMAWeights`: evaluate (and optionally checkpoint) with the optimizer's EMA weights."""
from jkeras.callbacks.callback import Callback
from jkeras.optimizers import _ema


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's moving averages around evaluation.

    Before evaluation (`on_test_begin`, also `fit`'s validation) the weights take the values of
    the optimizer's exponential moving averages and the averages keep the weights; afterwards
    they are swapped back. Use it with an optimizer created with `use_ema=True`.

    Args:
        swap_on_epoch: Whether to also swap at `on_epoch_end()` (and back at the next
            `on_epoch_begin()`), so that later callbacks such as `ModelCheckpoint` see the EMA
            weights. Defaults to `False`.

    Raises:
        ValueError: (when it swaps) if the model's optimizer does not use EMA.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizer(self):
        # The optimizer that holds the state: a LossScaleOptimizer's holds its inner optimizer's
        # averages.
        optimizer = self.model.optimizer
        inner = getattr(optimizer, "inner_optimizer", optimizer)
        if _ema.averages_of(optimizer) is None:
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                             f"optimizer. Received: use_ema={getattr(inner, 'use_ema', False)}")
        _ema.bind(optimizer, self.model)
        return optimizer

    def _swap_variables(self):
        _ema.swap(self._optimizer())

    def _finalize_ema_values(self):
        _ema.copy_weights_to_averages(self._optimizer())

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            # `fit` ends with `finalize_variable_values`, which copies the averages into the
            # weights: after the last epoch the averages take the EMA weights back.
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def _put_ema_weights_in(self, wanted):
        """Swaps so that the model holds the averages (`wanted` True) or its own weights."""
        if self._ema_weights_in_model != wanted:
            self._swap_variables()
            self._ema_weights_in_model = wanted

    def on_test_begin(self, logs=None):
        self._put_ema_weights_in(True)

    def on_test_end(self, logs=None):
        self._put_ema_weights_in(False)

    def on_predict_begin(self, logs=None):
        self._put_ema_weights_in(True)

    def on_predict_end(self, logs=None):
        self._put_ema_weights_in(False)

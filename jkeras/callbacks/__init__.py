"""Callbacks: hooks into `fit`, `evaluate` and `predict` with Keras's names and arguments.

`Callback` is the base class and `CallbackList` what the training loop calls. `History` and
`ProgbarLogger` are added by `fit` itself; the others are passed in `callbacks=[...]`.
"""
from jkeras.callbacks.callback import Callback
from jkeras.callbacks.callback_list import CallbackList, to_host  # noqa: F401 (used by fit)
from jkeras.callbacks.history import BaseLogger, History, ProgbarLogger
from jkeras.callbacks.loggers import CSVLogger, LambdaCallback, RemoteMonitor, TerminateOnNaN
from jkeras.callbacks.monitor import EarlyStopping, LearningRateScheduler, ReduceLROnPlateau
from jkeras.callbacks.tensorboard import TensorBoard
from jkeras.callbacks.swap_ema_weights import SwapEMAWeights
from jkeras.saving.checkpoint_callbacks import BackupAndRestore, ModelCheckpoint, OrbaxCheckpoint  # noqa: E402 (needs monitor)

__all__ = [
    "BackupAndRestore", "BaseLogger", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
    "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "OrbaxCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "RemoteMonitor",
    "SwapEMAWeights", "TensorBoard", "TerminateOnNaN",
]

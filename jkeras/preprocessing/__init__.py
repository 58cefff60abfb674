"""Keras 2's `keras.preprocessing` paths that tutorials import (`sequence.pad_sequences`, `text.Tokenizer`)."""
from jkeras.preprocessing import sequence  # noqa: F401
from jkeras.preprocessing import image  # noqa: F401
from jkeras.preprocessing import text  # noqa: F401
from jkeras.utils.image_dataset_utils import image_dataset_from_directory  # noqa: F401
from jkeras.utils.text_dataset_utils import text_dataset_from_directory  # noqa: F401
from jkeras.utils.timeseries_dataset_utils import timeseries_dataset_from_array  # noqa: F401

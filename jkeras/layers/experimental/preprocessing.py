"""tf.keras 2.3-2.5's `keras.layers.experimental.preprocessing`: the preprocessing layers under
their old module path (`preprocessing.Rescaling(1 / 255)`, `preprocessing.Normalization()`)."""
from jkeras.layers import preprocessing_image, preprocessing_numeric, preprocessing_text
from jkeras.layers.preprocessing_image import *  # noqa: F401,F403
from jkeras.layers.preprocessing_numeric import *  # noqa: F401,F403
from jkeras.layers.preprocessing_text import *  # noqa: F401,F403

__all__ = [*preprocessing_image.__all__, *preprocessing_numeric.__all__, *preprocessing_text.__all__]

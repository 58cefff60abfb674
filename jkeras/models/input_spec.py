"""`InputSpec`: what a layer expects of its inputs (rank, dtype, fixed axis sizes)."""


class InputSpec:
    """The rank, dtype and fixed axis sizes a layer expects of an input (Keras's record).

    Keras 2 custom layers set `self.input_spec = InputSpec(ndim=3)`; jkeras layers check their
    inputs in `_check_input_shape`, so this is a record that `assert_compatible` can check.

    Args:
        dtype: expected dtype name, or None.
        shape: expected full shape (None entries are free), or None.
        ndim: expected rank, or None.
        max_ndim, min_ndim: bounds on the rank, or None.
        axes: dict axis -> expected size.
        allow_last_axis_squeeze: accepted for Keras compatibility.
        name: optional input name.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def assert_compatible(self, layer_name, shape):
        """Checks an input `shape` (batch axis included) against this spec.

        Raises:
            ValueError: naming the layer, the expected and the received rank or size.
        """
        rank = len(shape)
        for ok, what in ((self.ndim is None or rank == self.ndim, f"ndim={self.ndim}"),
                         (self.min_ndim is None or rank >= self.min_ndim, f"min_ndim={self.min_ndim}"),
                         (self.max_ndim is None or rank <= self.max_ndim, f"max_ndim={self.max_ndim}")):
            if not ok:
                raise ValueError(f"Input of layer '{layer_name}' is incompatible: expected {what}, "
                                 f"found ndim={rank} (shape {tuple(shape)})")
        for axis, size in self.axes.items():
            if size is not None and shape[axis] not in (None, size):
                raise ValueError(f"Input of layer '{layer_name}' is incompatible: expected axis {axis} "
                                 f"of size {size}, found shape {tuple(shape)}")

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in self.get_config().items() if v not in (None, {})]
        return f"InputSpec({', '.join(parts)})"

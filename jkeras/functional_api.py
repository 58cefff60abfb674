"""`jkeras.functional(model) -> (init_fn, apply_fn)`: a model as a stax-style pair of functions.

    init_fn, apply_fn = jkeras.functional(model)
    output_shape, variables = init_fn(jax.random.PRNGKey(0), (-1, 784))
    logits = apply_fn(variables, x)

as in `jax.example_libraries.stax` (`-1` or None marks the batch axis), except that `variables`
is `{"params": ..., "state": ...}` (moving statistics live in `state`) and dropout takes its key
from `rng=` in training.
"""


def _to_none(shape):
    if isinstance(shape, list) or (isinstance(shape, tuple) and shape and isinstance(shape[0], (tuple, list))):
        return [_to_none(s) for s in shape]
    return tuple(None if d is None or d == -1 else int(d) for d in shape)


def _uses_minus_one(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (tuple, list)):
        return any(_uses_minus_one(s) for s in shape)
    return shape is not None and any(d == -1 for d in shape)


def _with_marker(shape, marker):
    """`shape` (or a list of shapes) with its unknown sizes written as `marker` (-1 or None)."""
    if isinstance(shape, list) or (isinstance(shape, tuple) and shape and isinstance(shape[0], (tuple, list))):
        return [_with_marker(s, marker) for s in shape]
    return tuple(marker if d is None else d for d in shape)


def functional(model):
    """The pure `(init_fn, apply_fn)` pair of a model or layer, in `jax.example_libraries.stax`'s style.

    Args:
        model: a jkeras model (Sequential, functional or subclassed) or layer.

    Returns:
        `(init_fn, apply_fn)`:

        - `init_fn(rng, input_shape=None) -> (output_shape, variables)`: fresh weights from the key
          (the model's current weights are untouched). `input_shape` has the batch axis first, as
          `-1` or None; a built model uses its own input shape when it is None.
        - `apply_fn(variables, inputs, *, training=False, rng=None, return_state=False)`: the
          outputs, or `(outputs, new_state)` with `return_state=True` (BatchNormalization's
          moving statistics in training). Pure: use it under `jax.jit`, `jax.grad`, `jax.vmap`.

    Raises:
        TypeError: if `model` is not a jkeras layer or model.
        ValueError: (from `init_fn`) if no input shape is known.
    """
    from jkeras.models.layer import Layer

    if not isinstance(model, Layer):
        raise TypeError(f"functional: expected a jkeras model or layer, got {model!r} of type {type(model).__name__}")

    def init_fn(rng, input_shape=None):
        shape = _to_none(input_shape) if input_shape is not None else _built_shape(model)
        if shape is None:
            raise ValueError(
                f"functional: {type(model).__name__} '{model.name}' has no known input shape; pass "
                "init_fn(rng, input_shape) with the batch axis first, e.g. (-1, 784)"
            )
        variables = model.init(rng, shape)
        output_shape = model.compute_output_shape(shape)
        return _with_marker(output_shape, -1 if _uses_minus_one(input_shape) else None), variables

    def apply_fn(variables, inputs, *, training=False, rng=None, return_state=False):
        outputs, new_state = model.apply(variables, inputs, training=training, rng=rng)
        return (outputs, new_state) if return_state else outputs

    return init_fn, apply_fn


def _built_shape(model):
    shape = getattr(model, "_build_input_shape", None)
    if shape is None and getattr(model, "_input_struct", None) is not None:
        shape = model.input_shape
    return shape

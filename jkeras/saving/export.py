"""`model.export(path)`: the inference function as a `jax.export` artifact (StableHLO).

The directory written holds
    model.jax_export   `jax.export.Exported.serialize()` of `x -> model(x, training=False)`, the
                       weights inside as constants; unknown input sizes (the batch axis, ...) are
                       symbolic, so one artifact serves every batch size
    signature.json     {"format": "jax", "inputs": [{"name", "shape", "dtype"}], "outputs": [...],
                        "input_structure": "single" | "list", "platforms": [...], ...}
It runs without jkeras, with JAX alone:

    exported = jax.export.deserialize(open("path/model.jax_export", "rb").read())
    y = exported.call(x)            # a list of arrays for a model with several inputs
"""
import json
import os

import jax
import numpy as np

EXPORT_FILE = "model.jax_export"
SIGNATURE_FILE = "signature.json"
FORMATS = ("jax",)


def _as_spec(item, where):
    if isinstance(item, jax.ShapeDtypeStruct):
        return tuple(item.shape), str(np.dtype(item.dtype))
    if hasattr(item, "shape") and hasattr(item, "dtype"):
        return tuple(item.shape), str(np.dtype(item.dtype))
    if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], (tuple, list)):
        return tuple(item[0]), str(np.dtype(item[1]))
    raise TypeError(
        f"export: input_signature{where} must be a jax.ShapeDtypeStruct, an object with .shape and "
        f".dtype, or a (shape, dtype) pair, got {item!r}"
    )


def _input_specs(model, input_signature):
    """`[(name, shape, dtype)]` of the model's inputs and whether they form a list."""
    if input_signature is None:
        if getattr(model, "_input_struct", None) is None:
            raise ValueError(
                f"export: model '{model.name}' is not built, so its input shapes are unknown; build it "
                "(call it on data or give an input_shape) or pass input_signature"
            )
        tensors = model.inputs
        names = model.input_names
        is_list = isinstance(model._input_struct, (list, tuple))
        return [(n, tuple(t.shape), str(np.dtype(t.dtype))) for n, t in zip(names, tensors)], is_list
    is_list = isinstance(input_signature, (list, tuple)) and not _is_shape_dtype_pair(input_signature)
    items = list(input_signature) if is_list else [input_signature]
    names = list(model.input_names) if len(getattr(model, "inputs", None) or []) == len(items) else [
        f"input_{i + 1}" for i in range(len(items))]
    specs = [_as_spec(item, f"[{i}]" if is_list else "") for i, item in enumerate(items)]
    return [(n, shape, dtype) for n, (shape, dtype) in zip(names, specs)], is_list


def _is_shape_dtype_pair(signature):
    """Whether `signature` is one `(shape, dtype)` pair rather than a list of input specs."""
    return (len(signature) == 2 and isinstance(signature[0], (tuple, list))
            and all(d is None or isinstance(d, int) for d in signature[0])
            and isinstance(signature[1], (str, np.dtype, type)))


def _symbolic_args(specs):
    """`jax.ShapeDtypeStruct`s with a symbol for each unknown size (`batch` for the first axis)."""
    scope = jax.export.SymbolicScope()
    args = []
    for i, (_, shape, dtype) in enumerate(specs):
        dims = [str(d) if d is not None else ("batch" if axis == 0 else f"d{i}_{axis}")
                for axis, d in enumerate(shape)]
        symbolic = jax.export.symbolic_shape(", ".join(dims), scope=scope) if dims else ()
        args.append(jax.ShapeDtypeStruct(symbolic, dtype))
    return args


def _dims(shape):
    return [d if isinstance(d, int) else None for d in shape]


def export_model(model, filepath, format="jax", verbose=None, input_signature=None, platforms=None):
    """Writes the model's inference function as a `jax.export` artifact; see the module docstring.

    Args:
        model: a built model.
        filepath: the directory to write (replaced atomically).
        format: `"jax"` (the only format: StableHLO through `jax.export`).
        verbose: print where the artifact went (default True).
        input_signature: the input shapes and dtypes (a `jax.ShapeDtypeStruct`, a
            `(shape, dtype)` pair, or a list of them; None sizes are symbolic); default the
            model's own inputs.
        platforms: the platforms to lower for, e.g. `("cpu", "cuda")`; default the current one.

    Returns:
        The `jax.export.Exported`.

    Raises:
        ValueError: for another `format`, an unbuilt model, or a model that cannot run with
            symbolic sizes (then give `input_signature` fixed sizes).
    """
    from jkeras.saving.atomic import atomic_path

    if format not in FORMATS:
        raise ValueError(
            f"export: unrecognized format={format!r}; jkeras supports {list(FORMATS)} (a jax.export "
            "StableHLO artifact); Keras's TensorFlow-based formats need TensorFlow"
        )
    specs, is_list = _input_specs(model, input_signature)
    variables = model.get_variables()

    def serve(inputs):
        return model.apply(variables, inputs, training=False)[0]

    args = _symbolic_args(specs)
    try:
        exported = jax.export.export(jax.jit(serve), platforms=platforms)(args if is_list else args[0])
    except Exception as error:  # shape-polymorphism failures come as several JAX error types
        raise ValueError(
            f"export: model '{model.name}' could not be exported with input shapes "
            f"{[s for _, s, _ in specs]} ({type(error).__name__}: {error}); if an unknown size is the "
            "cause, pass input_signature with fixed sizes"
        ) from error
    outputs = jax.tree_util.tree_leaves(exported.out_avals)
    signature = {
        "format": "jax",
        "file": EXPORT_FILE,
        "input_structure": "list" if is_list else "single",
        "inputs": [{"name": n, "shape": _dims(a.shape), "dtype": d} for (n, _, d), a in zip(specs, args)],
        "outputs": [{"shape": _dims(a.shape), "dtype": str(a.dtype)} for a in outputs],
        "platforms": list(exported.platforms),
        "model_name": model.name,
    }
    with atomic_path(filepath, is_dir=True) as tmp:
        with open(os.path.join(tmp, EXPORT_FILE), "wb") as f:
            f.write(exported.serialize())
        with open(os.path.join(tmp, SIGNATURE_FILE), "w") as f:
            json.dump(signature, f, indent=2)
    if verbose is None or verbose:
        print(f"Saved artifact at '{os.fspath(filepath)}'. Run it with jax alone: "
              f"jax.export.deserialize(open('{os.path.join(os.fspath(filepath), EXPORT_FILE)}', 'rb')"
              ".read()).call(x)")
    return exported


class ExportedModel:
    """A model exported by `model.export`, reloaded: call it on inputs like the model.

    Attributes:
        exported: the `jax.export.Exported`.
        signature: the dict of `signature.json`.
    """

    def __init__(self, exported, signature):
        self.exported = exported
        self.signature = signature

    def __call__(self, inputs):
        """Runs the exported function; `inputs` as the model takes them (an array or a list)."""
        if self.signature.get("input_structure") == "list":
            inputs = list(inputs)
        return self.exported.call(inputs)

    def __repr__(self):
        return f"<ExportedModel {self.signature.get('model_name')!r} inputs={self.signature.get('inputs')}>"


def load_exported(filepath):
    """Loads a `model.export` artifact; returns an `ExportedModel` (callable like the model).

    Raises:
        ValueError: if the directory holds no export artifact or it cannot be read.
    """
    filepath = os.fspath(filepath)
    try:
        with open(os.path.join(filepath, SIGNATURE_FILE)) as f:
            signature = json.load(f)
        with open(os.path.join(filepath, signature.get("file", EXPORT_FILE)), "rb") as f:
            data = f.read()
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"load_exported: {filepath!r} is not a jkeras export directory "
                         f"({type(error).__name__}: {error})") from error
    try:
        exported = jax.export.deserialize(bytearray(data))
    except Exception as error:  # a damaged flatbuffer raises several kinds
        raise ValueError(f"load_exported: cannot deserialize {os.path.join(filepath, EXPORT_FILE)!r}: "
                         f"{type(error).__name__}: {error}") from error
    return ExportedModel(exported, signature)

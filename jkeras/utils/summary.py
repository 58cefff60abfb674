"""`model.summary()`: the classic Keras table of layers, output shapes and parameter counts."""
import numpy as np

from jkeras.utils.io_utils import print_msg


def _count(weights):
    return int(sum(np.prod(w.shape, dtype=np.int64) for w in weights))


def _shape_text(layer, model):
    try:
        shape = layer.output_shape if layer is not model else model.output_shape
    except (AttributeError, ValueError):
        return "multiple"
    return str(shape).replace("'", "")


def _row(fields, positions):
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line += str(field)
        line = line[: positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def _layers(model):
    """The rows of the table: every layer, and the operations of a functional graph (Keras 3); a
    Sequential's input layer is no row (Keras 2 and 3 leave it out)."""
    from jkeras.models.input_layer import InputLayer
    from jkeras.models.sequential import Sequential

    layers = getattr(model, "_graph_layers", model.layers)
    if isinstance(model, Sequential):
        layers = [layer for layer in layers if not isinstance(layer, InputLayer)]
    return layers


def _is_chain(model):
    if type(model).__name__ == "Sequential":
        return True
    for layer in _layers(model):
        nodes = [n for n in layer._inbound_nodes if n in model._nodes or n.is_input]
        if len(nodes) > 1 or any(len(n.input_tensors) > 1 for n in nodes):
            return False
    return True


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Prints (or passes to `print_fn`, line by line) the summary table of `model`.

    Raises:
        ValueError: if the model is not built.
    """
    if not model.built or model._input_struct is None:
        raise ValueError(
            f"Model '{model.name}' has not been built yet, so summary() cannot show shapes: give the first "
            "layer an `input_shape`, call `build(input_shape)`, or call the model on data first."
        )
    print_fn = print_fn or print_msg
    chain = _is_chain(model)
    if chain:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_fn(_row(header, positions))
    print_fn("=" * line_length)
    layers = _layers(model)
    for i, layer in enumerate(layers):
        name = f"{layer.name} ({type(layer).__name__})"
        params = _count(layer.weights) if layer.built else 0
        fields = [name, _shape_text(layer, model), params]
        if chain:
            print_fn(_row(fields, positions))
        else:
            sources = []
            for node in layer._inbound_nodes:
                if node not in model._nodes:
                    continue
                for t in node.input_tensors:
                    src, node_index, tensor_index = t._keras_history
                    sources.append(f"{src.name}[{node_index}][{tensor_index}]")
            print_fn(_row(fields + [sources[0] if sources else ""], positions))
            for source in sources[1:]:
                print_fn(_row(["", "", "", source], positions))
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)
    trainable = _count(model.trainable_weights)
    total = _count(model.weights)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * line_length)


def summary_html(model):
    """The summary as an HTML table (what notebooks show for a model), or None if not built."""
    import html

    if not model.built or model._input_struct is None:
        return None
    rows = []
    for layer in _layers(model):
        params = _count(layer.weights) if layer.built else 0
        rows.append(
            f"<tr><td>{html.escape(layer.name)} ({type(layer).__name__})</td>"
            f"<td>{html.escape(_shape_text(layer, model))}</td><td style='text-align:right'>{params:,}</td></tr>"
        )
    trainable, total = _count(model.trainable_weights), _count(model.weights)
    return (
        f"<b>Model: \"{html.escape(model.name)}\"</b><table><thead><tr><th>Layer (type)</th>"
        "<th>Output Shape</th><th>Param #</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        f"<p>Total params: {total:,}<br>Trainable params: {trainable:,}<br>"
        f"Non-trainable params: {total - trainable:,}</p>"
    )

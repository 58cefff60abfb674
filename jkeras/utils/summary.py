"""`model.summary()`: the classic Keras table of layers, output shapes and parameter counts."""
import numpy as np

from jkeras.utils import naming
from jkeras.utils.io_utils import print_msg


def _count(weights):
    return int(sum(np.prod(w.shape, dtype=np.int64) for w in weights))


def _shape_text(layer, model):
    if not model.built:  # Keras 3: an unbuilt model's shapes are unknown
        return "?"
    try:
        shape = layer.output_shape if layer is not model else model.output_shape
    except (AttributeError, ValueError):
        return "multiple"
    return str(shape).replace("'", "")


def _makes_weights(layer):
    """Whether `layer` defines its own `init` or `build` (Keras 3 builds a layer without a `build`
    at construction, so only these can be unbuilt)."""
    from jkeras.models.layer import Layer

    return type(layer).init is not Layer.init or type(layer).build is not Layer.build


def _params_text(layer):
    if layer.built:
        return _count(layer.weights)
    return "0 (unbuilt)" if _makes_weights(layer) else 0


def _trainable_text(layer, trainable):
    """Keras 3's Trainable column: "-" for a layer without weights, else "Y" / "N"."""
    if not layer.built or not layer.weights:
        return "-"
    return "Y" if trainable else "N"


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

    if not model.built:  # Keras 3 lists an unbuilt model's layers
        return list(model.layers)
    layers = getattr(model, "_graph_layers", model.layers)
    if isinstance(model, Sequential):
        layers = [layer for layer in layers if not isinstance(layer, InputLayer)]
    return layers


def type_name(layer):
    """The type a summary shows for `layer`: its class, as Keras names it (a functional model is
    `Functional`), or for an operation recorded on symbolic tensors (`OpLambda`) the op's Keras 3
    class (`Relu`, `Tile`, `GetItem`)."""
    return getattr(layer, "op_class_name", None) or naming.keras_class_name(layer)


def _is_chain(model):
    if type(model).__name__ == "Sequential" and model._merged_sources() is None:
        return True
    for layer in _layers(model):
        nodes = [n for n in layer._inbound_nodes if n in model._nodes or n.is_input]
        if len(nodes) > 1 or any(len(n.input_tensors) > 1 for n in nodes):
            return False
    return True


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False):
    """Prints (or passes to `print_fn`, line by line) the summary table of `model`.

    An unbuilt model (no input shape yet) is listed as Keras 3 lists it: "?" shapes and
    "0 (unbuilt)" parameter counts.

    Args:
        model: A model.
        line_length: Total width of the table (default 65, or 98 with a "Connected to" column).
        positions: Column ends, relative (<= 1) or absolute.
        print_fn: Called with each line (default: print).
        expand_nested: Whether to list the layers of nested models under them ("   └ name").
        show_trainable: Whether to add a "Trainable" column: Y, N, or - for a layer without
            weights.
    """
    print_fn = print_fn or print_msg
    chain = _is_chain(model) if model.built else True
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
    if show_trainable:  # Keras 2's layout: one more column, 11 wide
        line_length += 11
        positions = list(positions) + [line_length]
        header.append("Trainable")

    def rows(layer, level, trainable):
        """The table rows (lists of fields) of `layer` and, expanded, of its nested layers."""
        trainable = trainable and layer.trainable
        name = f"{layer.name} ({type_name(layer)})"
        if level:
            name = "   " * level + "└ " + name
        fields = [name, _shape_text(layer, model), _params_text(layer)]
        sources = [] if level else _sources(layer, model)
        if not chain:
            fields.append(sources[0] if sources else "")
        if show_trainable:
            fields.append(_trainable_text(layer, trainable))
        found = [fields] + [["", "", "", source] + [""] * show_trainable for source in sources[1:]]
        nested = getattr(layer, "layers", None) if expand_nested and layer is not model else None
        for sub in nested or ():
            found += rows(sub, level + 1, trainable)
        return found

    table = [rows(layer, 0, True) for layer in _layers(model)]
    # The Param # column grows to fit "0 (unbuilt)" (Keras 2's widths would cut it).
    widest = max([len(r[2]) + 2 for group in table for r in group if isinstance(r[2], str)] + [0])
    grow = max(0, widest - (positions[2] - positions[1]))
    if grow:
        positions = positions[:2] + [p + grow for p in positions[2:]]
        line_length += grow

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_fn(_row(header, positions))
    print_fn("=" * line_length)
    for i, group in enumerate(table):
        for fields in group:
            print_fn(_row(fields, positions))
        print_fn(("=" if i == len(table) - 1 else "_") * line_length)
    if not table:
        print_fn("=" * line_length)
    trainable = _count(model.trainable_weights)
    total = _count(model.weights)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * line_length)


def _sources(layer, model):
    """"name[node][tensor]" of each tensor feeding `layer` inside `model` (a graph's "Connected to")."""
    sources = []
    for node in getattr(layer, "_inbound_nodes", ()):
        if node not in getattr(model, "_nodes", ()):
            continue
        for t in node.input_tensors:
            src, node_index, tensor_index = t._keras_history
            sources.append(f"{src.name}[{node_index}][{tensor_index}]")
    return sources


def summary_html(model):
    """The summary as an HTML table (what notebooks show for a model), or None if not built."""
    import html

    if not model.built or model._input_struct is None:
        return None
    rows = []
    for layer in _layers(model):
        params = _count(layer.weights) if layer.built else 0
        rows.append(
            f"<tr><td>{html.escape(layer.name)} ({type_name(layer)})</td>"
            f"<td>{html.escape(_shape_text(layer, model))}</td><td style='text-align:right'>{params:,}</td></tr>"
        )
    trainable, total = _count(model.trainable_weights), _count(model.weights)
    return (
        f"<b>Model: \"{html.escape(model.name)}\"</b><table><thead><tr><th>Layer (type)</th>"
        "<th>Output Shape</th><th>Param #</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        f"<p>Total params: {total:,}<br>Trainable params: {trainable:,}<br>"
        f"Non-trainable params: {total - trainable:,}</p>"
    )

"""Pictures of models and training: `plot_model`, `plot_history`, and the graph layout they share.

`plot_model` draws the layer graph itself (an SVG written by jkeras, or PNG / PDF through
matplotlib), so a picture is available without pydot or graphviz.
"""
import html
import os

_BOX_W, _BOX_H, _GAP_X, _GAP_Y = 260, 54, 30, 40


def _graph(model):
    """`(layers, edges, depth)`: the model's layers, (source, target) pairs, and each layer's row."""
    layers = list(model.layers)
    if hasattr(model, "_input_layer") and getattr(model, "_input_layer", None) is not None:
        layers = [model._input_layer] + layers
    index = {id(layer): i for i, layer in enumerate(layers)}
    nodes = getattr(model, "_nodes", [])
    edges = []
    for node in nodes:
        for t in node.input_tensors:
            src = t._keras_history.layer
            if id(src) in index and id(node.layer) in index:
                edges.append((index[id(src)], index[id(node.layer)]))
    if not edges and len(layers) > 1:
        edges = [(i, i + 1) for i in range(len(layers) - 1)]
    depth = [0] * len(layers)
    for _ in range(len(layers)):
        for a, b in edges:
            depth[b] = max(depth[b], depth[a] + 1)
    return layers, sorted(set(edges)), depth


def _label(layer, show_shapes, show_layer_names, show_dtype):
    from jkeras.utils.summary import type_name

    kind = type_name(layer)
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    if show_shapes:
        try:
            out = layer.output_shape
        except (AttributeError, ValueError):
            out = "multiple"
        lines.append(f"output: {out}".replace("'", ""))
    if show_dtype:
        lines.append(f"dtype: {layer.dtype}")
    return lines


def _layout(model, rankdir):
    layers, edges, depth = _graph(model)
    rows = {}
    for i, d in enumerate(depth):
        rows.setdefault(d, []).append(i)
    width = max(len(r) for r in rows.values()) if rows else 1
    pos = {}
    for d, members in rows.items():
        offset = (width - len(members)) / 2
        for k, i in enumerate(members):
            col = offset + k
            if rankdir == "LR":
                pos[i] = (d * (_BOX_W + _GAP_X * 2), col * (_BOX_H + _GAP_Y))
            else:
                pos[i] = (col * (_BOX_W + _GAP_X), d * (_BOX_H + _GAP_Y))
    return layers, edges, pos


def model_to_svg(model, show_shapes=False, show_layer_names=True, rankdir="TB", show_dtype=False):
    """The layer graph of `model` as an SVG document (a str)."""
    layers, edges, pos = _layout(model, rankdir)
    w = max((x for x, _ in pos.values()), default=0) + _BOX_W + 20
    h = max((y for _, y in pos.values()), default=0) + _BOX_H + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="-10 -10 {w:.0f} {h:.0f}" font-family="monospace" font-size="12">',
        '<defs><marker id="arrow" markerWidth="10" markerHeight="7" refX="10" refY="3.5" orient="auto">'
        '<polygon points="0 0, 10 3.5, 0 7"/></marker></defs>',
    ]
    for a, b in edges:
        (xa, ya), (xb, yb) = pos[a], pos[b]
        if rankdir == "LR":
            x1, y1, x2, y2 = xa + _BOX_W, ya + _BOX_H / 2, xb, yb + _BOX_H / 2
        else:
            x1, y1, x2, y2 = xa + _BOX_W / 2, ya + _BOX_H, xb + _BOX_W / 2, yb
        parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="black" '
                     'marker-end="url(#arrow)"/>')
    for i, layer in enumerate(layers):
        x, y = pos[i]
        parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{_BOX_W}" height="{_BOX_H}" rx="4" '
                     'fill="#eef3fb" stroke="#345"/>')
        lines = _label(layer, show_shapes, show_layer_names, show_dtype)
        for k, line in enumerate(lines):
            ty = y + _BOX_H / 2 + (k - (len(lines) - 1) / 2) * 15 + 4
            parts.append(f'<text x="{x + _BOX_W / 2:.0f}" y="{ty:.0f}" text-anchor="middle">'
                         f"{html.escape(line)}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


class ModelDot:
    """The layer graph of a model, as `model_to_dot` returns it: the parts of `pydot.Dot` that
    Keras code calls, without pydot or graphviz (`create` draws the SVG with jkeras itself).

    Args:
        model: a built `Sequential` or functional `Model`.
        show_shapes, show_layer_names, rankdir, show_dtype: as for `plot_model`.
    """

    def __init__(self, model, show_shapes=False, show_layer_names=True, rankdir="TB", show_dtype=False):
        self._model = model
        self._options = (show_shapes, show_layer_names, rankdir, show_dtype)

    def to_string(self):
        """The graph in the Graphviz DOT language (one node per layer, one edge per connection)."""
        show_shapes, show_layer_names, rankdir, show_dtype = self._options
        layers, edges, _ = _graph(self._model)
        lines = ["digraph G {", f"rankdir={rankdir};", "concentrate=True;", "node [shape=box];"]
        for i, layer in enumerate(layers):
            label = "\\n".join(_label(layer, show_shapes, show_layer_names, show_dtype)).replace('"', '\\"')
            lines.append(f'{i} [label="{label}"];')
        lines += [f"{a} -> {b};" for a, b in edges]
        return "\n".join(lines + ["}"])

    def create(self, prog=None, format="svg", encoding=None):  # noqa: A002
        """The picture as bytes, as `pydot.Dot.create` (Keras docs: `SVG(model_to_dot(model)
        .create(prog='dot', format='svg'))`); `prog` is accepted and unused.

        Raises:
            ValueError: for a format other than "svg" (use `plot_model(model, "x.png")`).
        """
        del prog, encoding
        return self._picture(format)

    def create_svg(self, prog=None, encoding=None):
        """`create(format="svg")`."""
        return self.create(prog, "svg", encoding)

    def write(self, path, prog=None, format="raw", encoding=None):  # noqa: A002
        """Writes the DOT text (`format="raw"` / "dot") or the SVG (`format="svg"`) to `path`.

        Raises:
            ValueError: for another format.
        """
        del prog, encoding
        data = self.to_string().encode() if format in ("raw", "dot") else self._picture(format)
        with open(path, "wb") as f:
            f.write(data)
        return True

    def _picture(self, format):  # noqa: A002
        if format != "svg":
            raise ValueError(f"model_to_dot: jkeras draws format='svg' only, got format={format!r}; "
                             "plot_model(model, to_file='model.png') writes PNG / PDF")
        show_shapes, show_layer_names, rankdir, show_dtype = self._options
        return model_to_svg(self._model, show_shapes, show_layer_names, rankdir, show_dtype).encode()


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=96, subgraph=False, **kwargs):
    """The layer graph of `model` as a `ModelDot` (Keras's returns a `pydot.Dot`; this one needs
    neither pydot nor graphviz).

    Args:
        model: a built `Sequential` or functional `Model`.
        show_shapes: print each layer's output shape.
        show_dtype: print each layer's dtype.
        show_layer_names: print layer names (else only class names).
        rankdir: "TB" (top to bottom) or "LR" (left to right).
        expand_nested, dpi, subgraph: accepted for Keras compatibility.

    Returns:
        A `ModelDot`: `.create(prog="dot", format="svg")` gives the SVG bytes, `.to_string()`
        the DOT text.
    """
    del expand_nested, dpi, subgraph, kwargs
    return ModelDot(model, show_shapes, show_layer_names, rankdir, show_dtype)


def _draw_matplotlib(model, to_file, show_shapes, show_layer_names, rankdir, show_dtype, dpi):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    layers, edges, pos = _layout(model, rankdir)
    w = max((x for x, _ in pos.values()), default=0) + _BOX_W
    h = max((y for _, y in pos.values()), default=0) + _BOX_H
    fig = plt.figure(figsize=(max(w, 300) / 100, max(h, 100) / 100), dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(-10, w + 10)
    ax.set_ylim(h + 10, -10)
    ax.axis("off")
    for a, b in edges:
        (xa, ya), (xb, yb) = pos[a], pos[b]
        start = (xa + _BOX_W / 2, ya + _BOX_H) if rankdir != "LR" else (xa + _BOX_W, ya + _BOX_H / 2)
        end = (xb + _BOX_W / 2, yb) if rankdir != "LR" else (xb, yb + _BOX_H / 2)
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->"})
    for i, layer in enumerate(layers):
        x, y = pos[i]
        ax.add_patch(plt.Rectangle((x, y), _BOX_W, _BOX_H, facecolor="#eef3fb", edgecolor="#334455"))
        ax.text(x + _BOX_W / 2, y + _BOX_H / 2, "\n".join(_label(layer, show_shapes, show_layer_names, show_dtype)),
                ha="center", va="center", family="monospace", fontsize=8)
    fig.savefig(to_file, dpi=dpi)
    plt.close(fig)


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=96, **kwargs):
    """Draws the layer graph of `model` to `to_file`.

    An `.svg` file is written by jkeras itself (no dependency); other formats (`.png`, `.pdf`)
    are drawn with matplotlib.

    Args:
        model: a built `Sequential` or functional `Model`.
        to_file: output path; its extension picks the format.
        show_shapes: print each layer's output shape.
        show_dtype: print each layer's dtype.
        show_layer_names: print layer names (else only class names).
        rankdir: "TB" (top to bottom) or "LR" (left to right).
        expand_nested: accepted for Keras compatibility (nested models are drawn as one box).
        dpi: resolution of raster formats.

    Returns:
        An `IPython.display.SVG` / `Image` of the file when IPython is available, else None.

    Raises:
        ImportError: for a non-SVG format when matplotlib is not installed.
    """
    del expand_nested, kwargs
    ext = os.path.splitext(to_file)[1].lower() or ".png"
    if ext == ".svg":
        with open(to_file, "w") as f:
            f.write(model_to_svg(model, show_shapes, show_layer_names, rankdir, show_dtype))
    else:
        try:
            _draw_matplotlib(model, to_file, show_shapes, show_layer_names, rankdir, show_dtype, dpi)
        except ImportError as e:
            raise ImportError(
                "plot_model: drawing a .png / .pdf needs matplotlib (pip install matplotlib); "
                "or pass to_file='model.svg', which needs nothing"
            ) from e
    try:
        from IPython import display
    except ImportError:
        return None
    return display.SVG(filename=to_file) if ext == ".svg" else display.Image(filename=to_file)


def plot_history(history, metrics=None, figsize=None):
    """A matplotlib figure with one panel per metric and its `val_` twin, per epoch.

    Args:
        history: a `History` (what `fit` returns) or its `.history` dict.
        metrics: names to plot (default: every logged name without the `val_` prefix).
        figsize: optional figure size.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ImportError: when matplotlib is not installed (it is an optional extra).
        ValueError: for a metric that was not logged.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("plot_history needs matplotlib: pip install 'jkeras[plot]' or pip install matplotlib") from e
    logs = getattr(history, "history", history)
    names = metrics or [k for k in logs if not k.startswith("val_")]
    missing = [m for m in names if m not in logs]
    if missing:
        raise ValueError(f"plot_history: {missing} were not logged; logged: {sorted(logs)}")
    fig, axes = plt.subplots(1, len(names), figsize=figsize or (4.5 * len(names), 3.5), squeeze=False)
    for ax, name in zip(axes[0], names):
        epochs = range(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], marker="o", label=name)
        if "val_" + name in logs:
            ax.plot(epochs, logs["val_" + name], marker="o", label="val_" + name)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend()
    fig.tight_layout()
    return fig

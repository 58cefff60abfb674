"""plot_model, plot_history and the notebook summary table."""
import re

import numpy as np
import pytest

import jkeras
from jkeras import layers
from jkeras.utils.summary import summary_html
from jkeras.utils.vis_utils import plot_history, plot_model


def two_branch():
    a, b = jkeras.Input((4,), name="a"), jkeras.Input((3,), name="b")
    x = layers.Dense(5, name="xa")(a)
    y = layers.Dense(5, name="yb")(b)
    out = layers.Dense(1, name="out")(layers.Lambda(lambda t: t[0] + t[1], name="join")([x, y]))
    return jkeras.Model([a, b], out)


def test_plot_model_svg_has_every_layer_and_edge(tmp_path):
    model = two_branch()
    path = tmp_path / "model.svg"
    plot_model(model, to_file=str(path), show_shapes=True)
    svg = path.read_text()
    for name in ("a (InputLayer)", "xa (Dense)", "join (Lambda)", "out (Dense)", "output: (None, 1)"):
        assert name in svg
    assert len(re.findall("<line ", svg)) == 5  # a->xa, b->yb, xa->join, yb->join, join->out
    assert len(re.findall("<rect ", svg)) == 6


def test_plot_model_png_through_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    model = jkeras.Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    path = tmp_path / "model.png"
    plot_model(model, to_file=str(path), show_shapes=True, rankdir="LR")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_history_draws_metric_and_val_twin():
    pytest.importorskip("matplotlib")
    logs = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.6, 0.4], "accuracy": [0.2, 0.6, 0.9]}
    fig = plot_history(logs)
    assert len(fig.axes) == 2
    loss_lines = fig.axes[0].get_lines()
    assert [list(line.get_ydata()) for line in loss_lines] == [logs["loss"], logs["val_loss"]]
    with pytest.raises(ValueError, match="not logged"):
        plot_history(logs, metrics=["auc"])


def test_summary_html_table():
    model = jkeras.Sequential([layers.Dense(3, input_shape=(2,), name="d")])
    table = model._repr_html_()
    assert "<table>" in table and "d (Dense)" in table and "(None, 3)" in table and "Total params: 9" in table
    assert summary_html(jkeras.Sequential([layers.Dense(2)])) is None

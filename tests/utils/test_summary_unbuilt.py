"""`summary()` of an unbuilt model and the `show_trainable` / `expand_nested` columns, row by row
against Keras 3's table (the reference; jkeras keeps the classic table layout)."""
import re

import keras
import pytest

import jkeras
from jkeras.utils.summary import print_summary


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich would otherwise cut Keras 3's table at 80


def _keras_rows(model, **kwargs):
    """{name: [fields after the name]} of Keras 3's rich table."""
    lines = []
    model.summary(line_length=120, print_fn=lambda text, **kw: lines.extend(text.splitlines()), **kwargs)
    rows = {}
    for line in lines:
        if line.startswith("│") and "(" in line:
            fields = [f.strip() for f in line.strip("│").split("│")]
            rows[fields[0].lstrip("└ ")] = fields[1:]
    return rows, lines


def _our_rows(lines):
    rows = {}
    for line in lines:
        fields = re.split(r"\s{2,}", line.strip().lstrip("└ "))
        if len(fields) > 1 and re.match(r"\w+ \(\w+\)$", fields[0]) and fields[0] != "Layer (type)":
            rows[fields[0]] = fields[1:]
    return rows


def _summary_lines(model, **kwargs):
    lines = []
    print_summary(model, print_fn=lines.append, **kwargs)
    return lines


def _unbuilt(lib):
    layers = lib.layers
    return lib.Sequential([layers.Embedding(1000, 64, name="emb"), layers.LSTM(8, name="rnn"),
                           layers.Dropout(0.2, name="drop"), layers.Dense(10, name="out")], name="seq")


def test_unbuilt_sequential_summary_matches_keras():
    ours, ref = _unbuilt(jkeras), _unbuilt(keras)
    lines = []
    ours.summary(print_fn=lines.append)  # no longer raises
    ref_rows, ref_lines = _keras_rows(ref)
    rows = _our_rows(lines)
    assert list(rows) == list(ref_rows) == ["emb (Embedding)", "rnn (LSTM)", "drop (Dropout)", "out (Dense)"]
    for name, (shape, params) in ref_rows.items():
        assert rows[name][:2] == [shape, params], name  # "?" and "0 (unbuilt)" / "0"
    for label in ("Total params", "Trainable params", "Non-trainable params"):
        ref_count = next(l for l in ref_lines if l.strip().startswith(label + ":")).split(":")[1].split()[0]
        assert f"{label}: {ref_count}" in lines
    assert not ours.built
    ours.build((None, 5))  # then the ordinary table
    built = _our_rows(_summary_lines(ours))
    assert built["out (Dense)"] == ["(None, 10)", str(8 * 10 + 10)]


def _frozen_base(lib):
    layers = lib.layers
    base = lib.Sequential([lib.Input((4,)), layers.Dense(3, name="inner"), layers.Dropout(0.1, name="inner_drop")],
                          name="base")
    base.trainable = False
    inputs = lib.Input((4,), name="x")
    outputs = layers.Dense(1, name="head")(base(inputs, training=False))
    return lib.Model(inputs, outputs, name="clf")


@pytest.mark.parametrize("expand_nested", [False, True])
def test_show_trainable_column_matches_keras(expand_nested):
    ours, ref = _frozen_base(jkeras), _frozen_base(keras)
    lines = _summary_lines(ours, show_trainable=True, expand_nested=expand_nested)
    header = next(l for l in lines if "Param #" in l)
    assert header.split()[-1] == "Trainable"
    ref_rows, _ = _keras_rows(ref, show_trainable=True, expand_nested=expand_nested)
    rows = _our_rows(lines)
    assert list(rows) == list(ref_rows)
    assert ("inner (Dense)" in rows) == expand_nested
    for name, fields in ref_rows.items():
        assert rows[name][-1] == fields[-1], name  # Y / N / -
        assert rows[name][:2] == fields[:2], name  # shape, params
    assert len({len(l) for l in lines if set(l) <= {"_", "="}}) == 1  # one table width


def test_show_trainable_unbuilt_and_graph_tables():
    ours, ref = _unbuilt(jkeras), _unbuilt(keras)
    rows = _our_rows(_summary_lines(ours, show_trainable=True))
    for name, fields in _keras_rows(ref, show_trainable=True)[0].items():
        assert rows[name] == fields, name
    layers = jkeras.layers
    a, b = jkeras.Input((4,), name="a"), jkeras.Input((4,), name="b")
    shared = layers.Dense(2, name="shared")
    graph = jkeras.Model([a, b], [shared(a), shared(b)])
    lines = _summary_lines(graph, show_trainable=True)
    assert next(l for l in lines if "Param #" in l).split()[-2:] == ["to", "Trainable"]
    assert _our_rows(lines)["shared (Dense)"] == ["(None, 2)", "10", "a[0][0]", "Y"]
    assert _our_rows(lines)["a (InputLayer)"][-1] == "-"

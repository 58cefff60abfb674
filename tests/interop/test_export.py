"""model.export(path): a jax.export artifact that JAX alone reloads and runs, at any batch size."""
import json
import os
import subprocess
import sys
import textwrap

import flax.linen as nn
import jax
import numpy as np
import pytest

import jkeras
from jkeras import layers

RNG = np.random.default_rng(4)


def _trained_cnn():
    model = jkeras.Sequential([
        jkeras.Input((None, 2)), layers.Conv1D(4, 3, padding="same", activation="relu"),
        layers.BatchNormalization(), layers.Dropout(0.3), layers.GlobalAveragePooling1D(),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(RNG.standard_normal((16, 5, 2)).astype("float32"), RNG.integers(0, 3, 16), epochs=1, verbose=0)
    return model


@pytest.mark.slow
def test_jax_alone_runs_the_export_at_two_batch_sizes_and_lengths(tmp_path):
    model = _trained_cnn()
    model.export(tmp_path / "served", verbose=False)
    inputs = [RNG.standard_normal(shape).astype("float32") for shape in ((3, 5, 2), (7, 9, 2))]
    for i, x in enumerate(inputs):
        np.save(tmp_path / f"x{i}.npy", x)
    script = textwrap.dedent(f"""
        import sys, jax, numpy as np
        exported = jax.export.deserialize(open({str(tmp_path / 'served' / 'model.jax_export')!r}, "rb").read())
        for i in range(2):
            x = np.load({str(tmp_path)!r} + f"/x{{i}}.npy")
            np.save({str(tmp_path)!r} + f"/y{{i}}.npy", np.asarray(exported.call(x)))
        assert not any(name.startswith("jkeras") for name in sys.modules), "jkeras was imported"
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    for i, x in enumerate(inputs):
        np.testing.assert_allclose(np.load(tmp_path / f"y{i}.npy"), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    signature = json.loads((tmp_path / "served" / "signature.json").read_text())
    assert signature["format"] == "jax"
    assert signature["inputs"] == [{"name": model.input_names[0], "shape": [None, None, 2], "dtype": "float32"}]
    assert signature["outputs"] == [{"shape": [None, 3], "dtype": "float32"}]


def test_several_inputs_and_outputs_through_load_exported(tmp_path):
    a, b = jkeras.Input((3,), name="a"), jkeras.Input((4,), name="b")
    hidden = layers.Dense(5, activation="tanh")(layers.concatenate([a, b]))
    model = jkeras.Model([a, b], [layers.Dense(2)(hidden), layers.Dense(1, activation="sigmoid")(hidden)])
    model.export(tmp_path / "two", verbose=False)
    loaded = jkeras.saving.load_exported(tmp_path / "two")
    xs = [RNG.standard_normal((6, 3)).astype("float32"), RNG.standard_normal((6, 4)).astype("float32")]
    for got, expected in zip(loaded(xs), model.predict(xs, verbose=0)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert [spec["name"] for spec in loaded.signature["inputs"]] == ["a", "b"]


def test_flax_layer_model_exports(tmp_path):
    class Block(nn.Module):
        @nn.compact
        def __call__(self, x, training):
            return nn.BatchNorm(use_running_average=not training)(nn.Dense(4)(x))

    model = jkeras.Sequential([jkeras.Input((3,)), layers.FlaxLayer(Block()), layers.Dense(1)])
    model.compile("adam", "mse")
    x = RNG.standard_normal((8, 3)).astype("float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    model.export(tmp_path / "flax", verbose=False)
    np.testing.assert_allclose(jkeras.saving.load_exported(tmp_path / "flax")(x), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_fixed_input_signature_and_errors(tmp_path, capsys):
    model = jkeras.Sequential([jkeras.Input((3,)), layers.Dense(2)])
    model.export(tmp_path / "fixed", input_signature=jax.ShapeDtypeStruct((4, 3), "float32"))
    assert "Saved artifact" in capsys.readouterr().out
    loaded = jkeras.saving.load_exported(tmp_path / "fixed")
    assert loaded.signature["inputs"][0]["shape"] == [4, 3]
    x = RNG.standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(loaded(x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        loaded(RNG.standard_normal((5, 3)).astype("float32"))
    model.export(tmp_path / "pair", input_signature=((None, 3), "float32"), verbose=False)
    assert jkeras.saving.load_exported(tmp_path / "pair").signature["inputs"][0]["shape"] == [None, 3]
    with pytest.raises(ValueError, match="format='tf_saved_model'.*'jax'"):
        model.export(tmp_path / "x", format="tf_saved_model")
    with pytest.raises(ValueError, match="not built"):
        jkeras.Sequential([layers.Dense(2)]).export(tmp_path / "y")
    with pytest.raises(ValueError, match="not a jkeras export directory"):
        jkeras.saving.load_exported(tmp_path)

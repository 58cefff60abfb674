"""`jkeras.utils.set_random_seed(s)` makes initialisation, shuffling, dropout and a whole `fit`
repeat bit for bit on the CPU: the same script run in two separate processes ends with exactly the
same weights (and another seed with different ones)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jkeras

_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import jkeras
    from jkeras import layers as L
    seed, out = int(sys.argv[1]), sys.argv[2]
    jkeras.utils.set_random_seed(seed)
    x = np.random.rand(96, 8, 1).astype("float32")          # NumPy's global RNG is seeded too
    y = (x.sum(axis=(1, 2)) > 4).astype("int32")
    model = jkeras.Sequential([
        L.Input((8, 1)), L.Conv1D(4, 3, activation="relu"), L.Dropout(0.4), L.Flatten(),
        L.BatchNormalization(), L.GaussianNoise(0.1), L.Dense(2),
    ])
    initial = model.get_weights()
    model.compile(optimizer=jkeras.optimizers.Adam(0.01),
                  loss=jkeras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=3, batch_size=16, shuffle=True, validation_split=0.25, verbose=0)
    dropout = model.layers[1](x[:4, :6], training=True)      # an eager dropout draw as well
    np.savez(out, x=x, loss=np.array(history.history["loss"]), dropout=np.asarray(dropout),
             *initial, *model.get_weights())
""")


def _run(seed, out):
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(jkeras.__file__))] + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    subprocess.run([sys.executable, "-c", _SCRIPT, str(seed), str(out)], env=env, check=True, timeout=300,
                   capture_output=True)
    with np.load(out) as archive:
        return {name: archive[name] for name in archive.files}


def _run_here(seed, out):
    """The script in this process (only compared against, never with itself)."""
    argv = sys.argv
    try:
        sys.argv = ["-", str(seed), str(out)]
        exec(compile(_SCRIPT, "<determinism script>", "exec"), {"__name__": "__script__"})
    finally:
        sys.argv = argv
    with np.load(out) as archive:
        return {name: archive[name] for name in archive.files}


@pytest.mark.slow
def test_the_same_seed_repeats_bit_for_bit_across_processes(tmp_path):
    first = _run(7, tmp_path / "a.npz")
    second = _run(7, tmp_path / "b.npz")
    other = _run_here(8, tmp_path / "c.npz")
    assert first.keys() == second.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    # The test can fail: another seed changes the data, the initial weights, the masks and the result.
    assert not np.array_equal(first["x"], other["x"])
    assert not np.array_equal(first["arr_0"], other["arr_0"])
    assert not np.array_equal(first["dropout"], other["dropout"])
    assert not np.array_equal(first["loss"], other["loss"])

"""The progress bar in a Jupyter kernel: one output per bar, replaced in place, not one per step."""
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

EPOCHS, STEPS = 3, 40

FIT_CELL = f"""
import time
import numpy as np
import jkeras as keras

class Slow(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.01)  # several redraws per epoch (the bar redraws at most every 0.05 s)

x = np.random.default_rng(0).standard_normal(({STEPS * 8}, 4)).astype("float32")
model = keras.Sequential([keras.layers.Dense(1, input_shape=(4,))])
model.compile("sgd", "mse")
model.fit(x, x[:, :1], batch_size=8, epochs={EPOCHS}, verbose=1, callbacks=[Slow()])
"""

BAR_CELL = f"""
bar = keras.utils.Progbar({STEPS}, interval=0)
for step in range(1, {STEPS} + 1):
    bar.update(step, [("loss", 1.0 / step)])
"""


def _text(output):
    if output["output_type"] == "stream":
        return output["text"]
    return output.get("data", {}).get("text/plain", "")


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FIT_CELL), nbformat.v4.new_code_cell(BAR_CELL)])
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    return nb


def test_fit_progress_is_one_line_per_epoch_in_a_notebook(executed):
    outputs = executed.cells[0].outputs
    texts = [_text(o) for o in outputs]
    joined = "".join(texts)
    for epoch in range(1, EPOCHS + 1):
        assert f"Epoch {epoch}/{EPOCHS}" in joined
    bars = [o for o in outputs if o["output_type"] == "display_data"]
    assert len(bars) == EPOCHS  # one replaced-in-place output per epoch
    for bar in bars:
        assert _text(bar).startswith(f"{STEPS}/{STEPS} ") and "loss:" in _text(bar)
    assert "\r" not in joined
    assert joined.count(f"/{STEPS} ") == EPOCHS  # the stored cell holds each bar's last state only
    # "Epoch k/N" comes before the k-th bar.
    order = [t.strip() for t in texts if t.strip()]
    assert order[0].startswith("Epoch 1/") and order[1].startswith(f"{STEPS}/{STEPS}")


def test_progbar_redrawn_every_step_keeps_one_output(executed):
    outputs = executed.cells[1].outputs
    assert len(outputs) == 1 and outputs[0]["output_type"] == "display_data"
    assert _text(outputs[0]).startswith(f"{STEPS}/{STEPS} ")
    assert f"loss: {1.0 / STEPS:.4f}" in _text(outputs[0])

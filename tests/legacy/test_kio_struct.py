"""Found by running keras-io structured-data, timeseries and keras_recipes examples (Keras 3
versions) on jkeras; each test compares with Keras 3 running the same code."""
import keras
import numpy as np
import pytest

import jkeras


def test_unused_inputs_come_before_the_output_layers_as_keras_3():
    # movielens_recommendations_transformers.py: with include_user_features=False the user
    # inputs reach no output; Keras 3 lists them among the depth-0 layers, before the output.
    def build(k):
        a, b, c = (k.Input((2,), name=n) for n in "abc")
        out = k.layers.Dense(1, name="out")(k.layers.Dense(3, name="hidden")(b))
        with pytest.warns(UserWarning) if k is jkeras else _nothing():
            return k.Model({"a": a, "b": b, "c": c}, out)

    ref, ours = build(keras), build(jkeras)
    names = [layer.name for layer in ref.layers]
    assert names == ["b", "hidden", "a", "c", "out"]
    assert [layer.name for layer in ours.layers] == names
    with pytest.warns(UserWarning):
        again = jkeras.Model.from_config(ours.get_config())
    assert [layer.name for layer in again.layers] == names


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

"""The `jkeras.distribution` objects against Keras 3's `keras.distribution` (one device here)."""
import warnings

import jax
import keras
import pytest
from jax.sharding import NamedSharding, PartitionSpec

from jkeras import distribution as D


def test_list_devices_and_count_match_keras():
    assert D.list_devices() == keras.distribution.list_devices()
    assert D.list_devices("cpu") == keras.distribution.list_devices("cpu")
    assert D.get_device_count() == keras.distribution.get_device_count()


@pytest.mark.parametrize("key", ["dense/kernel", "dense_1/kernel", "block/dense/bias", "conv2d/kernel", "dense"])
def test_layout_map_lookup_matches_keras(key):
    ours, theirs = D.LayoutMap(D.DeviceMesh((1,), ["model"])), keras.distribution.LayoutMap(
        keras.distribution.DeviceMesh((1,), ["model"]))
    for layout_map in (ours, theirs):
        layout_map["dense/kernel"] = (None, "model")
        layout_map[".*dense.*/bias"] = ("model",)
        layout_map["block/.*"] = (None,)
    if key == "block/dense/bias":  # matches two patterns: an error in both
        with pytest.raises(ValueError, match="matches"):
            theirs[key]
        with pytest.raises(ValueError, match="block/dense/bias"):
            ours[key]
        return
    expected = theirs[key]
    got = ours[key]
    assert (got is None) == (expected is None)
    if expected is not None:
        assert got.axes == expected.axes


def test_layout_values_and_shardings():
    mesh = D.DeviceMesh((1, 1), ("batch", "model"), D.list_devices())
    layout_map = D.LayoutMap(mesh)
    layout_map["a"] = PartitionSpec(None, "model")
    layout_map["b"] = D.TensorLayout(("model",))
    assert layout_map["a"].axes == (None, "model") and layout_map["b"].device_mesh is mesh
    sharding = layout_map["a"].backend_layout
    assert isinstance(sharding, NamedSharding) and sharding.spec == PartitionSpec(None, "model")
    assert sharding.mesh.axis_names == ("batch", "model")
    with pytest.raises(ValueError, match="already"):
        layout_map["a"] = (None,)
    with pytest.raises(ValueError, match="TensorLayout"):
        layout_map["c"] = "model"
    with pytest.raises(ValueError, match="'data'"):
        D.TensorLayout(("data",), mesh)
    dist = D.ModelParallel(layout_map=layout_map)
    assert dist.batch_dim_name == "batch" and dist.num_model_replicas == 1
    assert dist.get_data_layout((4, 3)).axes == ("batch", None)
    with pytest.raises(ValueError, match=r"weight 'a' .*\(3,\)"):
        dist._weight_sharding("a", (3,))


def test_device_mesh_errors_name_the_arguments():
    with pytest.raises(ValueError, match="same length"):
        D.DeviceMesh((1,), ("batch", "model"))
    with pytest.raises(ValueError, match="needs 2 devices, got 1"):
        D.DeviceMesh((2,), ("batch",))
    with pytest.raises(ValueError, match="cannot be empty"):
        D.DeviceMesh((), ())
    with pytest.raises(ValueError, match="not found"):
        D.DeviceMesh((1,), ("batch",), ["cpu:99"]).backend_mesh


def test_data_parallel_forms():
    default = D.DataParallel()
    assert default.device_mesh.axis_names == ["batch"] and default.batch_dim_name == "batch"
    assert default.device_mesh.shape == (len(jax.devices()),)
    explicit = D.DataParallel(device_mesh=D.DeviceMesh((1,), ("data",)))
    assert explicit.batch_dim_name == "data"
    with pytest.raises(ValueError, match="DeviceMesh"):
        D.DataParallel(device_mesh="batch")
    assert explicit.get_variable_layout(type("V", (), {"path": "d/k", "shape": (2, 3)})()).axes == (None, None)


def test_model_parallel_old_device_mesh_form():
    mesh = D.DeviceMesh((1, 1), ("batch", "model"))
    layout_map = D.LayoutMap(mesh)
    assert D.ModelParallel(device_mesh=mesh, layout_map=layout_map).device_mesh is mesh
    with pytest.warns(UserWarning, match="layout_map"):
        old = D.ModelParallel(mesh, layout_map, "model")
    assert old.batch_dim_name == "model"
    with pytest.raises(ValueError, match="not the layout_map's mesh"):
        D.ModelParallel(device_mesh=D.DeviceMesh((1, 1), ("batch", "model")), layout_map=layout_map)
    with pytest.raises(ValueError, match="layout_map"):
        D.ModelParallel()
    with pytest.raises(ValueError, match="batch_dim_name"):
        D.ModelParallel(layout_map=layout_map, batch_dim_name="rows")
    meshless = D.LayoutMap()
    meshless["x"] = ("model",)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        filled = D.ModelParallel(mesh, meshless)
    assert filled.layout_map["x"].device_mesh is mesh


def test_set_distribution_and_scope():
    dist = D.DataParallel()
    assert D.distribution() is None
    with dist.scope():
        assert D.distribution() is dist
    assert D.distribution() is None
    with pytest.raises(TypeError, match="Distribution"):
        D.set_distribution("data_parallel")


def test_initialize_forwards_to_jax(monkeypatch):
    calls = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kwargs: calls.append(kwargs))
    D.initialize("10.0.0.1:1234,10.0.0.2:2345", 2, 1)
    assert calls[-1] == {"coordinator_address": "10.0.0.1:1234", "num_processes": 2, "process_id": 1}
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "10.0.0.1:1234")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "4")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "3")
    D.initialize()
    assert calls[-1] == {"coordinator_address": "10.0.0.1:1234", "num_processes": 4, "process_id": 3}
    with pytest.raises(ValueError, match="2 jobs.*num_processes is 3"):
        D.initialize("a:1,b:2", 3, 0)

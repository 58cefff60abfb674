"""Several devices and hosts: Keras 3's `keras.distribution` on `jax.sharding`.

A `Distribution` says how a model's weights and batches lie on a mesh of devices:
`DataParallel` splits every batch over all devices and replicates the weights; `ModelParallel`
also splits weights whose path matches a `LayoutMap` pattern. Select one with
`set_distribution(...)` (or `with distribution.scope():`); weights created while it is set, and
`fit` / `evaluate` / `predict`, follow it. Placement is `jax.device_put` with a
`jax.sharding.NamedSharding`, and XLA inserts the collectives (`jax.jit` partitions the step).
"""
import collections
import contextlib
import math
import os
import re
import warnings

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jkeras.utils import legacy

DEFAULT_BATCH_DIM_NAME = "batch"

_CURRENT = [None]


def list_devices(device_type=None):
    """Returns all the available devices of one type (global devices across hosts).

    Args:
        device_type: one of `"cpu"`, `"gpu"` or `"tpu"`; default: JAX's default backend.

    Returns:
        A list of strings `"platform:id"`, e.g. `["gpu:0", "gpu:1"]`.
    """
    devices = jax.devices(backend=device_type.lower() if device_type else None)
    return [f"{device.platform}:{device.id}" for device in devices]


def get_device_count(device_type=None):
    """Returns the number of available devices of one type (default: JAX's default backend)."""
    return jax.device_count(device_type.lower() if device_type else None)


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Joins this process to a multi-host cluster (`jax.distributed.initialize`).

    Call it first thing in every process, before any computation. On Cloud TPU and under SLURM
    or Open MPI all three arguments may be None: JAX reads them from the environment. They can
    also come from `KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES` and
    `KERAS_DISTRIBUTION_PROCESS_ID`.

    Args:
        job_addresses: "host:port" of the coordinator (process 0), or a comma-separated list of
            every process's address (the first one is the coordinator).
        num_processes: the number of processes in the cluster.
        process_id: this process's index in `[0, num_processes)`.

    Raises:
        ValueError: if `job_addresses` lists another number of jobs than `num_processes`.
    """
    env = os.environ
    if job_addresses is None:
        job_addresses = env.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in env:
        num_processes = int(env["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in env:
        process_id = int(env["KERAS_DISTRIBUTION_PROCESS_ID"])
    coordinator = job_addresses
    if job_addresses and "," in job_addresses:
        jobs = job_addresses.split(",")
        if num_processes is not None and num_processes != len(jobs):
            raise ValueError(f"initialize: job_addresses lists {len(jobs)} jobs ({jobs}), but "
                             f"num_processes is {num_processes}")
        coordinator = jobs[0]
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes,
                               process_id=process_id)


def _to_device(device):
    if isinstance(device, jax.Device):
        return device
    platform, _, index = str(device).partition(":")
    for candidate in jax.devices(backend=platform):
        if candidate.id == int(index or 0):
            return candidate
    raise ValueError(f"DeviceMesh: device {device!r} not found; available: {list_devices(platform)}")


class DeviceMesh:
    """A grid of devices with named axes (a `jax.sharding.Mesh`).

    Args:
        shape: the grid's shape, e.g. `(8,)` for data parallelism or `(2, 4)` for data and model.
        axis_names: one name per axis, e.g. `("batch", "model")`.
        devices: devices (strings `"gpu:0"` or `jax.Device`s); default `list_devices()`.

    Raises:
        ValueError: if `shape` and `axis_names` are empty or differ in length, or the number of
            devices is not the product of `shape`.
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(f"DeviceMesh: shape and axis_names cannot be empty, got shape={shape}, "
                             f"axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"DeviceMesh: shape and axis_names must have the same length, got shape={shape}, "
                             f"axis_names={axis_names}")
        devices = np.array(list_devices() if devices is None else devices, dtype=object)
        if math.prod(shape) != devices.size:
            raise ValueError(f"DeviceMesh: shape {tuple(shape)} needs {math.prod(shape)} devices, got "
                             f"{devices.size}")
        self._shape = tuple(shape)
        self._axis_names = axis_names  # as given (a list stays a list), as Keras 3 keeps it
        self._devices = devices.reshape(self._shape)
        self._backend_mesh = None

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    @property
    def backend_mesh(self):
        """The `jax.sharding.Mesh`."""
        if self._backend_mesh is None:
            devices = np.array([_to_device(d) for d in self._devices.reshape(-1)], dtype=object)
            self._backend_mesh = Mesh(devices.reshape(self._shape), tuple(self._axis_names))
        return self._backend_mesh

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How one array lies on a `DeviceMesh` (a `jax.sharding.NamedSharding`).

    Args:
        axes: one mesh axis name (or None: not split) per array dimension, e.g. `(None, "model")`.
        device_mesh: the `DeviceMesh`; a `LayoutMap` fills it in when None.

    Raises:
        ValueError: if an axis name is not one of the mesh's.
    """

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = None
        self.device_mesh = device_mesh

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(f"TensorLayout: the device mesh is already set to {self._device_mesh}")
        if device_mesh is not None:
            unknown = {a for a in _flat_axes(self._axes) if a is not None} - set(device_mesh.axis_names)
            if unknown:
                raise ValueError(f"TensorLayout: axis names {sorted(unknown)} are not in the mesh's "
                                 f"{device_mesh.axis_names}")
        self._device_mesh = device_mesh

    @property
    def backend_layout(self):
        """The `jax.sharding.NamedSharding`.

        Raises:
            ValueError: if the layout has no device mesh.
        """
        if self._device_mesh is None:
            raise ValueError(f"TensorLayout {self.axes}: no device mesh set")
        return NamedSharding(self._device_mesh.backend_mesh, PartitionSpec(*self._axes))

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


def _flat_axes(axes):
    for a in axes:
        if isinstance(a, (tuple, list)):
            yield from a
        else:
            yield a


class LayoutMap(collections.abc.MutableMapping):
    """A dict of weight-path regexes to `TensorLayout`s.

    A weight's path is the names from the model down to it, `"dense/kernel"` for a layer of the
    model, `"block/dense/kernel"` inside a nested model `block`; `"dense/output"` names a layer's
    outputs. Lookup tries the exact key, then `re.fullmatch` with every key; `None` when nothing
    matches (the weight is replicated, the output left to XLA).

    Args:
        device_mesh: the `DeviceMesh` the layouts refer to.
    """

    def __init__(self, device_mesh=None):
        self._layouts = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key):
        """The layout for path `key`, or None.

        Raises:
            ValueError: if several patterns match `key`.
        """
        if key in self._layouts:
            return self._layouts[key]
        matches = [pattern for pattern in self._layouts if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"LayoutMap: path '{key}' matches several patterns {matches}; make each weight "
                             "path match at most one")
        return self._layouts[matches[0]] if matches else None

    def __setitem__(self, key, layout):
        """Sets the layout of the paths matching `key`: a `TensorLayout`, a tuple of axis names or a
        `jax.sharding.PartitionSpec`.

        Raises:
            ValueError: for a duplicate key or another kind of layout.
        """
        if key in self._layouts:
            raise ValueError(f"LayoutMap: '{key}' is already set to {self._layouts[key]}")
        if isinstance(layout, (tuple, list, PartitionSpec)):
            layout = TensorLayout(tuple(layout))
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"LayoutMap['{key}']: expected a TensorLayout, a tuple of axis names or a "
                             f"PartitionSpec, got {layout!r} of type {type(layout).__name__}")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layouts[key] = layout

    def __delitem__(self, key):
        return self._layouts.pop(key)

    def __len__(self):
        return len(self._layouts)

    def __iter__(self):
        return iter(self._layouts)

    @property
    def device_mesh(self):
        return self._device_mesh


class Distribution:
    """Base class: how weights and batches lie on a `DeviceMesh`.

    Args:
        device_mesh: the `DeviceMesh`.
        batch_dim_name: the mesh axis batches are split over.
        auto_shard_dataset: accepted for Keras compatibility (jkeras streams are not sharded per host).
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self.auto_shard_dataset = auto_shard_dataset
        self._num_processes = jax.process_count()
        self._process_id = jax.process_index()

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def num_processes(self):
        """Number of processes (hosts) in the cluster."""
        return self._num_processes

    @property
    def num_model_replicas(self):
        """Number of slices each batch is split into (the batch axis's size)."""
        return self._device_mesh.shape[self._device_mesh.axis_names.index(self._batch_dim_name)]

    def get_data_layout(self, data_shape):
        """The `TensorLayout` of a batch shaped `data_shape`: split on its first axis."""
        return TensorLayout([self._batch_dim_name] + [None] * (len(data_shape) - 1), self._device_mesh)

    def get_variable_layout(self, variable):
        """The `TensorLayout` of a weight (anything with `.path` and `.shape`, e.g. a `Variable`)."""
        return self._layout_of(variable.path, tuple(variable.shape))

    def get_tensor_layout(self, path):
        """The layout of an intermediate tensor at `path` (None: left to XLA)."""
        del path
        return None

    def distribute_dataset(self, dataset):
        """Returns `dataset` (jkeras reads data on every host; see the README)."""
        return dataset

    @contextlib.contextmanager
    def scope(self):
        """A context in which this distribution is the current one."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def _layout_of(self, path, shape):
        return TensorLayout([None] * len(shape), self._device_mesh)

    # The shell's placement helpers (jkeras.models._sharding uses these).

    def _replicated(self):
        return NamedSharding(self._device_mesh.backend_mesh, PartitionSpec())

    def _batch_sharding(self):
        return NamedSharding(self._device_mesh.backend_mesh, PartitionSpec(self._batch_dim_name))

    def _weight_sharding(self, path, shape):
        """The `NamedSharding` of the weight at `path` with `shape`.

        Raises:
            ValueError: if its layout has another rank, or splits a dimension the mesh axis does not divide.
        """
        layout = self._layout_of(path, shape)
        if all(axis is None for axis in layout.axes):
            return self._replicated()
        if len(layout.axes) != len(shape):
            raise ValueError(f"{type(self).__name__}: the layout {layout.axes} of weight '{path}' has "
                             f"{len(layout.axes)} axes, the weight has shape {shape}")
        mesh = self._device_mesh
        for size, axis in zip(shape, layout.axes):
            names = axis if isinstance(axis, (tuple, list)) else (axis,)
            parts = math.prod(mesh.shape[mesh.axis_names.index(a)] for a in names if a is not None)
            if size % parts:
                raise ValueError(f"{type(self).__name__}: weight '{path}' of shape {shape} cannot be split "
                                 f"over {layout.axes}: dimension {size} is not divisible by {parts} devices")
        return layout.backend_layout

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


class DataParallel(Distribution):
    """Data parallelism: each batch split over all devices, weights replicated.

    Args:
        device_mesh: a `DeviceMesh` (its first axis splits the batch); or
        devices: the devices of a 1-D mesh (default `list_devices()`).
        auto_shard_dataset: accepted for Keras compatibility.

    Raises:
        ValueError: if `device_mesh` is not a `DeviceMesh`.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"DataParallel: device_mesh must be a DeviceMesh, got {device_mesh!r} of type "
                                 f"{type(device_mesh).__name__}")
            if len(device_mesh.shape) != 1:
                warnings.warn(f"DataParallel expects a 1-D mesh, got shape {device_mesh.shape}; its first axis "
                              "splits the batch", UserWarning, stacklevel=2)
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            return
        devices = np.array(list_devices() if devices is None or len(devices) == 0 else devices, dtype=object)
        mesh = DeviceMesh(devices.shape, [DEFAULT_BATCH_DIM_NAME], devices)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size


def _old_model_parallel(args, kwargs):
    """Keras 3.0's `ModelParallel(device_mesh, layout_map, batch_dim_name=None)`; a `LayoutMap`
    first is the later positional form, `ModelParallel(layout_map, batch_dim_name=...)`."""
    if not args:
        return args, kwargs, []
    if isinstance(args[0], LayoutMap):
        kwargs.update(zip(("layout_map", "batch_dim_name", "auto_shard_dataset"), args))
        return (), kwargs, []
    names = ("device_mesh", "layout_map", "batch_dim_name")
    kwargs.update(zip(names, args))
    return (), kwargs, [("positional (device_mesh, layout_map, ...)", "ModelParallel(layout_map=...)")]


class ModelParallel(legacy.Converted, Distribution):
    """Weights split over the mesh as a `LayoutMap` says, batches over its batch axis.

    Args:
        layout_map: the `LayoutMap` (its device mesh is the distribution's).
        batch_dim_name: the mesh axis batches are split over (default: the mesh's first).
        auto_shard_dataset: accepted for Keras compatibility.
        device_mesh: Keras 3.0's form; must be the layout map's mesh (it fills in a missing one).

    Raises:
        ValueError: if `layout_map` is missing or not a `LayoutMap`, the meshes differ, or
            `batch_dim_name` is not a mesh axis.
    """

    _legacy = legacy.LegacyInterface(preprocess=_old_model_parallel)

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True, **kwargs):
        device_mesh = kwargs.pop("device_mesh", None)
        if kwargs:
            raise TypeError(f"ModelParallel: unexpected keyword argument(s) {sorted(kwargs)}")
        if layout_map is None:
            raise ValueError("ModelParallel: a layout_map argument is required")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"ModelParallel: layout_map must be a LayoutMap, got {layout_map!r} of type "
                             f"{type(layout_map).__name__}")
        if layout_map.device_mesh is None:
            if device_mesh is None:
                raise ValueError("ModelParallel: the layout_map has no device mesh; create it with "
                                 "LayoutMap(device_mesh)")
            layout_map._device_mesh = device_mesh
            for layout in layout_map.values():
                if layout.device_mesh is None:
                    layout.device_mesh = device_mesh
        elif device_mesh is not None and device_mesh is not layout_map.device_mesh:
            raise ValueError(f"ModelParallel: device_mesh {device_mesh} is not the layout_map's mesh "
                             f"{layout_map.device_mesh}; pass only layout_map")
        mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        if batch_dim_name not in mesh.axis_names:
            raise ValueError(f"ModelParallel: batch_dim_name must be one of the mesh axes {mesh.axis_names}, "
                             f"got {batch_dim_name!r}")
        super().__init__(mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def layout_map(self):
        return self._layout_map

    def _layout_of(self, path, shape):
        layout = self._layout_map[path]
        return layout if layout is not None else super()._layout_of(path, shape)

    def get_tensor_layout(self, path):
        return self._layout_map[path]


def distribute_tensor(tensor, layout):
    """Places `tensor` as `layout` says (`jax.device_put`; inside `jax.jit` a sharding constraint).

    Args:
        tensor: an array.
        layout: a `TensorLayout` or a `jax.sharding.Sharding`.

    Returns:
        The array with that layout.
    """
    if isinstance(layout, TensorLayout):
        layout = layout.backend_layout
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, layout)
    return jax.device_put(tensor, layout)


def distribution():
    """Returns the current `Distribution`, or None."""
    return _CURRENT[0]


def set_distribution(value):
    """Makes `value` (a `Distribution`, or None for one device) the current distribution.

    Raises:
        TypeError: if `value` is not a `Distribution` or None.
    """
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(f"set_distribution expects a Distribution or None, got {value!r} of type "
                        f"{type(value).__name__}")
    _CURRENT[0] = value


__all__ = [
    "DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel", "TensorLayout",
    "distribute_tensor", "distribution", "get_device_count", "initialize", "list_devices", "set_distribution",
]

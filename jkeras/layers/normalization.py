"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization, RMSNormalization.

Every layer normalizes in at least float32 and returns the layer's dtype. BatchNormalization keeps
its moving statistics in the "state" collection and returns their update from `apply` in training
mode; the others are stateless.
"""
import jax
import jax.numpy as jnp
import numpy as np

from jkeras.core import config, constraints, initializers, regularizers, scope
from jkeras.models.layer import Layer
from jkeras.ops.nn import _normalize
from jkeras.utils.legacy import LegacyInterface

__all__ = [
    "BatchNormalization",
    "GroupNormalization",
    "LayerNormalization",
    "RMSNormalization",
    "UnitNormalization",
]

# Keras's backend.epsilon(): guards the masked moments against an all-masked channel.


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _float(layer, arg, value, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise layer._error(f"{arg} must be a float, got {value!r}")
    if positive and not value > 0:
        raise layer._error(f"{arg} must be > 0, got {value!r}")
    return float(value)


def _axis_arg(layer, axis):
    """An int, or a list of ints, as `axis` was given (Keras accepts both)."""
    if _is_int(axis):
        return int(axis)
    if isinstance(axis, (list, tuple)) and axis and all(_is_int(a) for a in axis):
        return [int(a) for a in axis]
    raise layer._error(f"axis must be an int or a non-empty list of ints, got {axis!r}")


def _check_axes(layer, axes, input_shape, need_defined=True):
    """Raises unless every axis in `axes` is inside `input_shape` (and, if asked, has a known size)."""
    if not isinstance(input_shape, tuple):
        raise layer._error(f"expected one input tensor, got input shapes {input_shape}")
    rank = len(input_shape)
    for a in axes:
        if not -rank <= a < rank:
            raise layer._error(f"axis {a} is out of bounds for an input of shape {input_shape} (rank {rank})")
        if need_defined and input_shape[a] is None:
            raise layer._error(f"axis {a} of the input must have a defined size, got shape {input_shape}")


def _check_built_shape(layer, input_shape, axes, same_rank):
    """Raises when `input_shape` differs on `axes` (and, if asked, on rank) from the built shape."""
    built = layer._build_input_shape
    if not layer.built or not isinstance(built, tuple):
        return
    if same_rank and len(input_shape) != len(built):
        raise layer._error(f"expected an input of rank {len(built)} (the layer was built for shape {built}), "
                           f"got shape {input_shape}")
    for a in axes:
        if input_shape[a] != built[a]:
            raise layer._error(f"expected axis {a} of size {built[a]} (the layer was built for shape {built}), "
                               f"got shape {input_shape}")


def _axes(axis):
    return [axis] if _is_int(axis) else list(axis)


def _broadcast(weight, x, axes):
    """`weight` (shaped like `x`'s `axes`, in sorted order) reshaped to broadcast against `x`."""
    shape = [1] * x.ndim
    for a in sorted(axes):
        shape[a] = x.shape[a]
    return jnp.reshape(weight.astype(x.dtype), shape)


def _serialize(module, obj):
    return None if obj is None else module.serialize(obj)


def _compute_dtype(x):
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(x.dtype, jnp.float32))


class _AffineNormalization(Layer):
    """Shared handling of the learned scale `gamma` and offset `beta` (created in that order)."""

    _autocast = False  # computes in float32 under a mixed policy, as Keras

    def __init__(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                 gamma_regularizer, beta_constraint, gamma_constraint, **kwargs):
        super().__init__(**kwargs)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get_for_weight(beta_initializer)
        self.gamma_initializer = initializers.get_for_weight(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def _affine_params(self, rng, shape, with_gamma=None, with_beta=None):
        k_gamma, k_beta = jax.random.split(rng)
        params = {}
        if self.scale if with_gamma is None else with_gamma:
            params["gamma"] = self.gamma_initializer(shape, self.dtype, key=k_gamma)
        if self.center if with_beta is None else with_beta:
            params["beta"] = self.beta_initializer(shape, self.dtype, key=k_beta)
        return params

    def _affine_config(self):
        return {
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": _serialize(regularizers, self.beta_regularizer),
            "gamma_regularizer": _serialize(regularizers, self.gamma_regularizer),
            "beta_constraint": _serialize(constraints, self.beta_constraint),
            "gamma_constraint": _serialize(constraints, self.gamma_constraint),
        }

    _same_rank = True  # whether inputs must keep the rank the layer was built for (Keras's InputSpec)

    def _check_input_shape(self, input_shape):
        _check_axes(self, _axes(self.axis), input_shape)
        _check_built_shape(self, input_shape, _axes(self.axis), self._same_rank)

    def compute_output_shape(self, input_shape):
        _check_axes(self, _axes(self.axis), tuple(input_shape), need_defined=False)
        return tuple(input_shape)


def _batch_norm_legacy(args, kwargs):
    """Keras 1's `mode`: only mode 0 (feature-wise, what Keras 2+ does) exists in jkeras."""
    notes = []
    if "mode" in kwargs:
        mode = kwargs.pop("mode")
        if mode != 0:
            label = f"BatchNormalization '{kwargs['name']}'" if kwargs.get("name") else "BatchNormalization"
            raise ValueError(
                f"{label}: Keras 1 mode={mode!r} is not supported; only mode=0 (feature-wise "
                "normalization, the only behaviour of Keras 2 and later) is. Remove the `mode` argument."
            )
        notes.append(("mode", "(nothing: mode=0 is the only behaviour)"))
    return args, kwargs, notes


class BatchNormalization(_AffineNormalization):
    """Normalizes each channel with the batch moments (training) or the moving statistics (inference).

    Training (`training=True` and `layer.trainable`): `gamma * (x - mean) / sqrt(var + epsilon) + beta`
    with the mean and variance of the batch over all axes but `axis`, and the moving statistics move
    towards them: `moving = moving * momentum + batch_statistic * (1 - momentum)`, returned as the new
    state. Inference, or a layer with `trainable = False`: the same formula with the moving statistics.

    Args:
        axis: int, the channel axis (e.g. 1 after a channels_first convolution).
        momentum: float, momentum of the moving averages.
        epsilon: float > 0 added to the variance.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned scale `gamma`.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer:
            initializer names or objects.
        beta_regularizer, gamma_regularizer: regularizers (or None).
        beta_constraint, gamma_constraint: constraints (or None).
        synchronized: accepted for Keras compatibility: under `jax.jit` with sharded batches the
            moments are always those of the global batch.
        renorm: use Batch Renormalization (Ioffe, 2017); adds the state `moving_stddev`,
            `renorm_mean`, `renorm_stddev`.
        renorm_clipping: dict with optional keys "rmax", "rmin", "dmax" clipping the renorm correction.
        renorm_momentum: momentum of the renorm statistics.

    Call arguments:
        training: batch moments and a state update when True (and the layer is trainable).
        mask: optional boolean mask of shape `inputs.shape[:-1]` (broadcast over the last axis);
            masked entries do not count in the batch moments.

    Weights:
        gamma `(channels,)`, beta `(channels,)` (params); moving_mean `(channels,)`,
        moving_variance `(channels,)` (state), then with `renorm` moving_stddev, renorm_mean,
        renorm_stddev `(channels,)` (state).

    Keras 1 spellings: `beta_init`, `gamma_init`, `mode=0`; Keras 2's `fused` is accepted and ignored.

    Raises:
        ValueError: for a non-int axis, an axis outside the input, an undefined channel size, bad
            `renorm_clipping`, or a Keras 1 `mode` other than 0.
    """

    _legacy = LegacyInterface(
        renames={"beta_init": "beta_initializer", "gamma_init": "gamma_initializer"},
        preprocess=_batch_norm_legacy,
        dropped=("fused",),
    )

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, synchronized=False, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        super().__init__(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]  # tf.keras 2 configs store the built axis as a one-element list
        if not _is_int(axis):
            raise self._error(f"axis must be an int (one channel axis), got {axis!r}")
        self.axis = int(axis)
        self.momentum = _float(self, "momentum", momentum)
        self.epsilon = _float(self, "epsilon", epsilon, positive=True)
        self.moving_mean_initializer = initializers.get_for_weight(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get_for_weight(moving_variance_initializer)
        self.synchronized = bool(synchronized)
        self.renorm = bool(renorm)
        self.renorm_momentum = _float(self, "renorm_momentum", renorm_momentum)
        if self.renorm:
            renorm_clipping = dict(renorm_clipping or {})
            unknown = sorted(set(renorm_clipping) - {"rmax", "rmin", "dmax"})
            if unknown:
                raise self._error(f"renorm_clipping accepts the keys 'rmax', 'rmin', 'dmax', got {unknown}")
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in ("rmax", "rmin", "dmax"))
            if rmax is not None and rmin is not None and rmax < rmin:
                raise self._error(f"renorm_clipping needs rmax >= rmin, got rmax={rmax}, rmin={rmin}")
            if dmax is not None and dmax < 0:
                raise self._error(f"renorm_clipping needs dmax >= 0, got dmax={dmax}")
        self.renorm_clipping = renorm_clipping

    def init(self, rng, input_shape):
        shape = (input_shape[self.axis],)
        k_affine, k_mean, k_var, k_stddev, k_rmean, k_rstddev = jax.random.split(rng, 6)
        state = {
            "moving_mean": self.moving_mean_initializer(shape, self.dtype, key=k_mean),
            "moving_variance": self.moving_variance_initializer(shape, self.dtype, key=k_var),
        }
        if self.renorm:
            state["moving_stddev"] = jnp.sqrt(self.moving_variance_initializer(shape, self.dtype, key=k_stddev))
            state["renorm_mean"] = self.moving_mean_initializer(shape, self.dtype, key=k_rmean)
            state["renorm_stddev"] = jnp.sqrt(self.moving_variance_initializer(shape, self.dtype, key=k_rstddev))
        return {"params": self._affine_params(k_affine, shape), "state": state}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = _compute_dtype(inputs)
        if mask is not None and jnp.ndim(mask) != x.ndim - 1:
            raise self._error(
                f"the mask must have one axis less than the inputs, got mask shape {jnp.shape(mask)} "
                f"for inputs of shape {x.shape}"
            )
        params, state = variables["params"], variables["state"]
        axis = self.axis % x.ndim
        channel_shape = [1] * x.ndim
        channel_shape[axis] = x.shape[axis]

        def channels(v):
            return None if v is None else jnp.reshape(v.astype(x.dtype), channel_shape)

        gamma, beta = channels(params.get("gamma")), channels(params.get("beta"))
        if training and self.trainable:
            mean, variance = self._moments(x, mask, axis)
            new_state = {
                **state,
                "moving_mean": self._moving(state["moving_mean"], mean, self.momentum),
                "moving_variance": self._moving(state["moving_variance"], variance, self.momentum),
            }
            if self.renorm:
                gamma, beta, new_state = self._renorm(mean, variance, gamma, beta, new_state, channels)
        else:
            mean, variance, new_state = state["moving_mean"], state["moving_variance"], state
        outputs = _normalize(x, channels(mean), channels(variance), self.epsilon, gamma, beta)
        return outputs.astype(self.compute_dtype), new_state

    @staticmethod
    def _moving(moving, batch_value, momentum):
        moving_value = moving.astype(batch_value.dtype)
        return (moving_value * momentum + batch_value * (1.0 - momentum)).astype(moving.dtype)

    @staticmethod
    def _moments(x, mask, axis):
        """Mean and variance per channel, shape `(channels,)`; masked entries and the padded rows
        of a short last batch (`jkeras.core.scope.valid_rows`) excluded. A tensor whose leading
        axis is not the batch's (a graph's node features held by the model) has no padded rows."""
        reduce = tuple(i for i in range(x.ndim) if i != axis)
        rows = scope.valid_rows()
        if rows is not None and (x.ndim == 0 or x.shape[0] != rows.shape[0]):
            rows = None
        if mask is None and rows is None:
            return jnp.mean(x, axis=reduce), jnp.var(x, axis=reduce)
        weights = jnp.ones(x.shape, bool)
        if mask is not None:
            weights = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(mask), -1), x.shape).astype(bool)
        if rows is not None:
            weights = weights & jnp.reshape(rows, (-1,) + (1,) * (x.ndim - 1))
        count = jnp.sum(weights.astype(x.dtype), axis=reduce, keepdims=True)
        if mask is not None:
            count = count + config.epsilon()
        mean = jnp.sum(jnp.where(weights, x, 0.0), axis=reduce, keepdims=True) / count
        variance = jnp.sum(jnp.square(jnp.where(weights, x - mean, 0.0)), axis=reduce, keepdims=True) / count
        return jnp.reshape(mean, (-1,)), jnp.reshape(variance, (-1,))

    def _renorm(self, mean, variance, gamma, beta, new_state, channels):
        """Batch Renormalization: the corrected (gamma, beta) and the updated renorm statistics."""
        stddev = jnp.sqrt(variance + self.epsilon)
        renorm_mean = new_state["renorm_mean"].astype(mean.dtype)
        renorm_stddev = new_state["renorm_stddev"].astype(mean.dtype)
        floor = jnp.maximum(renorm_stddev, jnp.sqrt(jnp.asarray(self.epsilon, mean.dtype)))
        r = stddev / floor
        d = (mean - renorm_mean) / floor
        clipping = self.renorm_clipping
        if clipping.get("rmin") is not None:
            r = jnp.maximum(r, clipping["rmin"])
        if clipping.get("rmax") is not None:
            r = jnp.minimum(r, clipping["rmax"])
        if clipping.get("dmax") is not None:
            d = jnp.clip(d, -clipping["dmax"], clipping["dmax"])
        r, d = channels(jax.lax.stop_gradient(r)), channels(jax.lax.stop_gradient(d))
        new_gamma = r if gamma is None else r * gamma
        new_beta = d if gamma is None else d * gamma
        if beta is not None:
            new_beta = new_beta + beta
        moving_stddev = self._moving(new_state["moving_stddev"], stddev, self.momentum)
        new_state = {
            **new_state,
            "moving_stddev": moving_stddev,
            "moving_variance": jax.nn.relu(jnp.square(moving_stddev) - self.epsilon).astype(moving_stddev.dtype),
            "renorm_mean": self._moving(new_state["renorm_mean"], mean, self.renorm_momentum),
            "renorm_stddev": self._moving(new_state["renorm_stddev"], stddev, self.renorm_momentum),
        }
        return new_gamma, new_beta, new_state

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            **self._affine_config(),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


class LayerNormalization(_AffineNormalization):
    """Normalizes each sample over `axis`: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    Args:
        axis: int or list of ints, the axes to normalize over (usually -1, the features).
        epsilon: float > 0 added to the variance.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned scale `gamma`.
        beta_initializer, gamma_initializer: initializer names or objects.
        beta_regularizer, gamma_regularizer: regularizers (or None).
        beta_constraint, gamma_constraint: constraints (or None).
        rms_scaling: Keras 3's (deprecated) variant `gamma * x / sqrt(var + epsilon)`: no mean
            subtraction and no `beta`.

    Weights:
        gamma, beta: shaped like the normalized axes (sorted), e.g. `(features,)`.

    Raises:
        ValueError: for an axis that is not an int / list of ints, or lies outside the input.
    """

    _same_rank = False

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, rms_scaling=False, **kwargs):
        super().__init__(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        self.axis = _axis_arg(self, axis)
        self.epsilon = _float(self, "epsilon", epsilon, positive=True)
        self.rms_scaling = bool(rms_scaling)

    def init(self, rng, input_shape):
        shape = tuple(input_shape[a] for a in sorted(_axes(self.axis)))
        with_gamma = self.scale or self.rms_scaling
        with_beta = self.center and not self.rms_scaling
        return {"params": self._affine_params(rng, shape, with_gamma, with_beta), "state": {}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = _compute_dtype(inputs)
        params = variables["params"]
        axes = tuple(sorted(_axes(self.axis)))
        gamma = _broadcast(params["gamma"], x, axes) if "gamma" in params else None
        beta = _broadcast(params["beta"], x, axes) if "beta" in params else None
        variance = jnp.var(x, axis=axes, keepdims=True)
        if self.rms_scaling:
            outputs = x * jax.lax.rsqrt(variance + self.epsilon)
            if gamma is not None:
                outputs = outputs * gamma
        else:
            mean = jnp.mean(x, axis=axes, keepdims=True)
            outputs = _normalize(x, mean, variance, self.epsilon, gamma, beta)
        return outputs.astype(self.compute_dtype), variables["state"]

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "rms_scaling": self.rms_scaling, **self._affine_config()}


class GroupNormalization(_AffineNormalization):
    """Splits the channels into `groups` and normalizes each sample over each group.

    Args:
        groups: int, the number of groups (it must divide the channel count); -1 means one group
            per channel (instance normalization).
        axis: int, the channel axis.
        epsilon: float > 0 added to the variance.
        center, scale, beta_initializer, gamma_initializer: as in `LayerNormalization`.
        beta_regularizer, gamma_regularizer: as in `LayerNormalization`.
        beta_constraint, gamma_constraint: as in `LayerNormalization`.

    Weights:
        gamma `(channels,)`, beta `(channels,)`.

    Raises:
        ValueError: if `groups` is not a positive int or -1, the channel axis is undefined, or the
            channel count is not a multiple of `groups`.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if not _is_int(groups) or (groups <= 0 and groups != -1):
            raise self._error(f"groups must be a positive int (or -1 for instance normalization), got {groups!r}")
        if not _is_int(axis):
            raise self._error(f"axis must be an int (the channel axis), got {axis!r}")
        self.groups = int(groups)
        self.axis = int(axis)
        self.epsilon = _float(self, "epsilon", epsilon, positive=True)

    def _groups_for(self, channels):
        return channels if self.groups == -1 else self.groups

    def _check_input_shape(self, input_shape):
        super()._check_input_shape(input_shape)
        if self.axis % len(input_shape) == 0:
            raise self._error(f"axis {self.axis} is the batch axis of an input of shape {input_shape}")
        channels = input_shape[self.axis]
        groups = self._groups_for(channels)
        if channels < groups or channels % groups:
            raise self._error(
                f"the channel count ({channels}, axis {self.axis} of the input shape {input_shape}) must be "
                f"a multiple of groups={groups}"
            )

    def init(self, rng, input_shape):
        return {"params": self._affine_params(rng, (input_shape[self.axis],)), "state": {}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = _compute_dtype(inputs)
        axis = self.axis % x.ndim
        channels = x.shape[axis]
        groups = self._groups_for(channels)
        split = (groups, channels // groups)
        grouped = jnp.reshape(x, x.shape[:axis] + split + x.shape[axis + 1:])
        reduce = tuple(i for i in range(1, grouped.ndim) if i != axis)
        mean = jnp.mean(grouped, axis=reduce, keepdims=True)
        variance = jnp.var(grouped, axis=reduce, keepdims=True)
        weight_shape = [1] * grouped.ndim
        weight_shape[axis:axis + 2] = split
        params = variables["params"]
        gamma, beta = (
            jnp.reshape(params[k].astype(x.dtype), weight_shape) if k in params else None for k in ("gamma", "beta")
        )
        outputs = _normalize(grouped, mean, variance, self.epsilon, gamma, beta)
        return jnp.reshape(outputs, x.shape).astype(self.compute_dtype), variables["state"]

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                **self._affine_config()}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over `axis`: `x / max(||x||, 1e-12)`.

    Args:
        axis: int or list of ints, the axes the norm is taken over.

    Raises:
        ValueError: for an axis that is not an int / list of ints, or lies outside the input.
    """

    _autocast = False

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_arg(self, axis)
        self.supports_masking = True

    def _check_input_shape(self, input_shape):
        _check_axes(self, _axes(self.axis), input_shape, need_defined=False)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = _compute_dtype(inputs)
        square_sum = jnp.sum(jnp.square(x), axis=tuple(_axes(self.axis)), keepdims=True)
        inv_norm = jnp.minimum(jax.lax.rsqrt(square_sum), 1e12)
        return (x * inv_norm).astype(self.compute_dtype), variables["state"]

    def compute_output_shape(self, input_shape):
        _check_axes(self, _axes(self.axis), tuple(input_shape), need_defined=False)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Root-mean-square normalization over `axis`: `scale * x / sqrt(mean(x**2) + epsilon)`.

    Args:
        axis: int or list of ints, the axes to normalize over.
        epsilon: float > 0 added to the mean square.

    Weights:
        scale: shaped like the normalized axes (sorted), initialized to ones.

    Raises:
        ValueError: for an axis that is not an int / list of ints, or lies outside the input.
    """

    _autocast = False

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_arg(self, axis)
        self.epsilon = _float(self, "epsilon", epsilon, positive=True)

    def _check_input_shape(self, input_shape):
        _check_axes(self, _axes(self.axis), input_shape)
        _check_built_shape(self, input_shape, _axes(self.axis), same_rank=False)

    def init(self, rng, input_shape):
        shape = tuple(input_shape[a] for a in sorted(_axes(self.axis)))
        return {"params": {"scale": initializers.get("ones")(shape, self.dtype, key=rng)}, "state": {}}

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = _compute_dtype(inputs)
        axes = tuple(sorted(_axes(self.axis)))
        mean_square = jnp.mean(jnp.square(x), axis=axes, keepdims=True)
        outputs = x * jax.lax.rsqrt(mean_square + self.epsilon) * _broadcast(variables["params"]["scale"], x, axes)
        return outputs.astype(self.compute_dtype), variables["state"]

    def compute_output_shape(self, input_shape):
        _check_axes(self, _axes(self.axis), tuple(input_shape), need_defined=False)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}

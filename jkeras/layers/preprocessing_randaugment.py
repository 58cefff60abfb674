"""Keras 3's composite image augmentations: RandAugment and AugMix.

Both are built, as in Keras 3, from other augmentation layers (RandomShear, RandomTranslation,
RandomRotation, RandomBrightness, RandomColorDegeneration, RandomContrast, RandomSharpness,
RandomPosterization, Solarization, AutoContrast, Equalization), whose strength is the layer's
`factor`. Inputs are one image (rank 3) or a batch (rank 4); in training the transformation comes only
from the `rng` argument of `apply` (folded with `seed` when one is given); at inference the inputs are
only cast to the compute dtype. Keras 3's two-step API is there too: `get_random_transformation`
returns a transformation with Keras 3's structure and keys, and `transform_images` applies one, so
a transformation drawn by Keras 3 can be replayed here.

The choice of operations is shared by the whole batch, as in Keras 3; inside `jax.jit` (`fit`) the
chosen operation runs through `lax.switch` in a `lax.scan` over the operations, so only it is
computed and each operation is compiled once. The inner layers keep their differences from Keras 3:
Equalization equalizes each image on its own (Keras 3 pools a channel's histogram over the batch)
and AutoContrast stretches "channels_first" images over their height and width.
"""
import jax
import jax.numpy as jnp

from jkeras.layers.preprocessing_augment import RandomShear
from jkeras.layers.preprocessing_color import (
    AutoContrast,
    Equalization,
    RandomColorDegeneration,
    RandomPosterization,
    RandomSharpness,
    Solarization,
)
from jkeras.layers.preprocessing_image import (
    RandomBrightness,
    RandomContrast,
    RandomRotation,
    RandomTranslation,
    _is_int,
    _is_number,
    _RandomImageLayer,
    _spatial_axes,
)

__all__ = ["AugMix", "RandAugment"]

_EMPTY = {"params": {}, "state": {}}
_KERAS_SHAPE_KEYS = ("batch_size", "image_height", "image_width", "input_shape")
_INTERPOLATIONS = ("nearest", "bilinear")

# Keras 3's orders: RandAugment's indices and AugMix's choices refer to them.
_RAND_AUGMENT_OPS = ("random_shear", "random_translation", "random_rotation", "random_brightness",
                     "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
                     "solarization", "auto_contrast", "equalization")
_AUG_MIX_OPS = ("random_shear", "random_translation", "random_rotation", "random_posterization", "solarization",
                "auto_contrast", "equalization")
_AUG_MIX_OPS_ALL = _AUG_MIX_OPS + ("random_brightness", "random_color_degeneration", "random_contrast",
                                   "random_sharpness")


def _n(images):
    return images.shape[0]


def _arrays(transformation):
    """The arrays of a transformation (Keras 3's also hold Python ints and shapes, unused here)."""
    if isinstance(transformation, dict):
        return {k: _arrays(v) for k, v in transformation.items() if k not in _KERAS_SHAPE_KEYS}
    return transformation if transformation is None else jnp.asarray(transformation)


class _Op:
    """One operation: `draw(images, key)` gives its transformation for a rank-4 batch (Keras 3's keys),
    `apply(images, transformation)` applies it to a batch in the compute dtype."""

    def __init__(self, layer, draw, apply):
        self.layer, self.draw, self.apply = layer, draw, apply


def _affine_op(layer, draw, matrix):
    def apply(images, t):
        return layer._transform(images, matrix(images, t)).astype(layer.compute_dtype)

    return _Op(layer, draw, apply)


def _rotation_op(layer):
    """Keras 3's RandomRotation transformation: `angle` (degrees) and its `rotation_matrix` rows."""

    def draw(images, key):
        h_axis, w_axis = _spatial_axes(4, layer.data_format)
        height, width = images.shape[h_axis], images.shape[w_axis]
        angle = jax.random.uniform(key, (_n(images),), minval=layer.factor[0] * 360.0,
                                   maxval=layer.factor[1] * 360.0)
        radians = angle * jnp.float32(jnp.pi / 180.0)
        cos, sin = jnp.cos(radians), jnp.sin(radians)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        zeros = jnp.zeros_like(cos)
        matrix = jnp.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, zeros, zeros],
                           axis=1)
        return {"angle": angle, "rotation_matrix": matrix}

    return _affine_op(layer, draw, lambda images, t: jnp.reshape(jnp.asarray(t["rotation_matrix"]), (-1, 8)))


def _translation_op(layer):
    """Keras 3's RandomTranslation transformation: `translations`, rows `(dx, dy)` in pixels."""

    def draw(images, key):
        h_key, w_key = jax.random.split(key)
        h_axis, w_axis = _spatial_axes(4, layer.data_format)
        n = _n(images)
        dy = jax.random.uniform(h_key, (n, 1), minval=layer.height_lower, maxval=layer.height_upper)
        dx = jax.random.uniform(w_key, (n, 1), minval=layer.width_lower, maxval=layer.width_upper)
        return {"translations": jnp.concatenate([dx * images.shape[w_axis], dy * images.shape[h_axis]], axis=1)}

    def matrix(images, t):
        shift = jnp.reshape(jnp.asarray(t["translations"], jnp.float32), (-1, 2))
        ones, zeros = jnp.ones_like(shift[:, 0]), jnp.zeros_like(shift[:, 0])
        return jnp.stack([ones, zeros, -shift[:, 0], zeros, ones, -shift[:, 1]], axis=1)

    return _affine_op(layer, draw, matrix)


def _brightness_op(layer):
    """Keras 3's RandomBrightness transformation: `rgb_delta`, one value per image."""
    low, high = layer.value_range

    def draw(images, key):
        delta = jax.random.uniform(key, (_n(images), 1, 1, 1), minval=layer.factor[0], maxval=layer.factor[1])
        return {"rgb_delta": delta * (high - low)}

    def apply(images, t):
        return jnp.clip(images + jnp.asarray(t["rgb_delta"]).astype(images.dtype), low, high)

    return _Op(layer, draw, apply)


def _contrast_op(layer):
    """Keras 3's RandomContrast transformation: `contrast_factor`, one value per image."""

    def draw(images, key):
        factor = jax.random.uniform(key, (_n(images), 1, 1, 1), minval=1.0 - layer.factor[0],
                                    maxval=1.0 + layer.factor[1])
        return {"contrast_factor": factor.astype(layer.compute_dtype)}

    def apply(images, t):
        mean = jnp.mean(images, axis=_spatial_axes(4, layer.data_format), keepdims=True)
        out = (images - mean) * jnp.asarray(t["contrast_factor"]).astype(images.dtype) + mean
        return jnp.clip(out, layer.value_range[0], layer.value_range[1]).astype(images.dtype)

    return _Op(layer, draw, apply)


def _color_op(layer):
    """A layer of `preprocessing_color` (its `_draw` / `_transform` are Keras 3's transformation)."""

    def draw(images, key):
        return layer._draw(key, _n(images))

    def apply(images, t):
        t = None if t is None else jax.tree_util.tree_map(jnp.asarray, t)
        return layer._transform(images, t).astype(layer.compute_dtype)

    return _Op(layer, draw, apply)


def _shear_op(layer):
    def apply(images, t):
        return layer._finish(images, jax.tree_util.tree_map(jnp.asarray, dict(t)))

    return _Op(layer, layer._draw, apply)


def _auto_contrast_op(layer):
    return _Op(layer, lambda images, key: None, lambda images, t: layer.apply(_EMPTY, images)[0])


class _CompositeAugmentation(_RandomImageLayer):
    """Shared parts of RandAugment and AugMix: the arguments common to both, the inner layers
    (`self._ops`, name -> `_Op`, in Keras 3's order), the dict inputs and Keras 3's two-step API."""

    def __init__(self, value_range, factor, interpolation, seed, data_format, op_names, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 \
                or not all(_is_number(v) for v in value_range):
            raise self._error(f"value_range must be a pair of numbers (low, high), got {value_range!r}")
        self.value_range = tuple(value_range)
        self.factor = self._base_factor(factor, (0, 1))
        self.interpolation = self._choice("interpolation", interpolation, _INTERPOLATIONS, self._unsupported)
        self._ops = self._build_ops(op_names)

    def _build_ops(self, names):
        factor = self.factor
        common = dict(seed=self.seed, data_format=self.data_format, dtype=self.dtype_policy)
        colors = dict(value_range=self.value_range, **common)
        makers = {
            "random_shear": lambda: _shear_op(RandomShear(
                x_factor=factor, y_factor=factor, interpolation=self.interpolation, **common)),
            "random_translation": lambda: _translation_op(RandomTranslation(
                height_factor=factor, width_factor=factor, interpolation=self.interpolation, **common)),
            "random_rotation": lambda: _rotation_op(RandomRotation(
                factor=factor, interpolation=self.interpolation, **common)),
            "random_brightness": lambda: _brightness_op(RandomBrightness(factor=factor, **colors)),
            "random_color_degeneration": lambda: _color_op(RandomColorDegeneration(factor=factor, **colors)),
            "random_contrast": lambda: _contrast_op(RandomContrast(factor=factor, **colors)),
            "random_sharpness": lambda: _color_op(RandomSharpness(factor=factor, **colors)),
            "random_posterization": lambda: _color_op(RandomPosterization(
                factor=max(1, int(8 * factor[1])), **colors)),
            "solarization": lambda: _color_op(Solarization(
                addition_factor=factor, threshold_factor=factor, **colors)),
            "auto_contrast": lambda: _auto_contrast_op(AutoContrast(
                value_range=self.value_range, data_format=self.data_format, dtype=self.dtype_policy)),
            "equalization": lambda: _color_op(Equalization(
                value_range=self.value_range, data_format=self.data_format, dtype=self.dtype_policy)),
        }
        try:
            return {name: makers[name]() for name in names}
        except ValueError as error:
            raise self._error(str(error)) from None

    def __getattr__(self, name):
        ops = self.__dict__.get("_ops")
        if ops is not None and name in ops:
            return ops[name].layer  # Keras 3's inner layers: `rand_augment.random_shear`
        return super().__getattr__(name)

    def _inference(self, x):
        return x.astype(self.compute_dtype)

    def _augment(self, images, key):
        return self._apply(images.astype(self.compute_dtype), self._draw(images, key))

    def _apply_op(self, name, images, transformation):
        return self._ops[name].apply(images, _arrays(transformation)).astype(self.compute_dtype)

    def _branches(self, names, identity=False):
        """`lax.switch` branches `(images, transformations) -> images`, one per operation of `names`
        (taking its entry of `transformations`), and the identity last when `identity`."""
        branches = [lambda x, ts, n=n: self._ops[n].apply(x, ts[n]).astype(self.compute_dtype) for n in names]
        if identity:
            branches.append(lambda x, ts: x)
        return branches

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        if not isinstance(inputs, dict):
            return super().apply(variables, inputs, training=training, rng=rng, mask=mask)
        if "images" not in inputs:
            raise self._error(f"a dict input must hold 'images', got keys {sorted(inputs)}")
        images, _ = super().apply(variables, inputs["images"], training=training, rng=rng)
        return {**inputs, "images": images}, variables["state"]

    def get_random_transformation(self, data, training=True, seed=None):
        """Draws one transformation for `data` (Keras 3's method).

        Args:
            data: a batch (rank 4) or one image (rank 3), or a dict holding it under "images".
            training: with False, returns None.
            seed: None (a fresh draw), an int, a `SeedGenerator` or a `jax.random` key.

        Returns:
            The transformation, with Keras 3's structure and keys, or None.
        """
        if not training:
            return None
        images = self._images(data["images"] if isinstance(data, dict) else data)
        batch = images if images.ndim == 4 else images[None]
        return self._public(self._draw(batch, self._seed_key(seed)))

    def _public(self, transformation):
        return transformation

    def transform_images(self, images, transformation=None, training=True):
        """Applies `transformation` (from `get_random_transformation`, here or in Keras 3) to `images`.

        Args:
            images: one image (rank 3) or a batch (rank 4).
            transformation: the transformation; None draws one.
            training: with False, the images are only cast to the compute dtype.

        Returns:
            The transformed images, in the compute dtype.
        """
        x = self._images(images)
        if not training:
            return self._inference(x)
        batch = (x if x.ndim == 4 else x[None]).astype(self.compute_dtype)
        if transformation is None:
            transformation = self._draw(batch, self._seed_key(None))
        out = self._apply(batch, transformation)
        return out if x.ndim == 4 else out[0]

    def transform_labels(self, labels, transformation=None, training=True):
        """Labels are returned as given (Keras 3)."""
        return labels

    def _draw(self, images, key):
        raise NotImplementedError

    def _apply(self, images, transformation):
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "factor": self.factor,
                "interpolation": self.interpolation, "seed": self.seed}


class RandAugment(_CompositeAugmentation):
    """RandAugment (Cubuk et al., 2019): `num_ops` operations, each chosen at random among eleven,
    applied one after the other (training only).

    The operations, in Keras 3's order: RandomShear, RandomTranslation, RandomRotation,
    RandomBrightness, RandomColorDegeneration, RandomContrast, RandomSharpness, RandomPosterization,
    Solarization, AutoContrast and Equalization, each with strength `factor` (RandomPosterization
    keeps `max(1, int(8 * factor[1]))` bits at most). As Keras 3, the chosen operations are the same
    for the whole batch, and each operation's transformation is drawn once per call, so an operation
    chosen twice is applied twice with the same parameters. Outputs are of the compute dtype.

    Args:
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        num_ops: int >= 0, the number of operations applied (default 2).
        factor: the strength: a number f in [0, 1] gives `(0, f)`, a pair is sorted (default 0.5).
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside [0, 1], a negative or non-int `num_ops`, a value_range that
            is not two numbers, an unknown data_format, or a non-int seed.
        NotImplementedError: for an unknown interpolation (as Keras 3's inner layers).
    """

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range, factor, interpolation, seed, data_format, _RAND_AUGMENT_OPS, **kwargs)
        if not _is_int(num_ops) or num_ops < 0:
            raise self._error(f"num_ops must be an int >= 0, got {num_ops!r}")
        self.num_ops = int(num_ops)

    def _draw(self, images, key):
        keys = jax.random.split(key, len(self._ops) + 1)
        return {"transforms": {name: op.draw(images, k) for (name, op), k in zip(self._ops.items(), keys[1:])},
                "layer_idxes": jax.random.randint(keys[0], (self.num_ops,), 0, len(self._ops))}

    def _apply(self, images, transformation):
        transforms = transformation["transforms"]
        names = list(self._ops)
        indices = transformation["layer_idxes"]
        if isinstance(indices, jax.core.Tracer) or isinstance(images, jax.core.Tracer):
            branches = self._branches(names)
            transforms = {name: _arrays(transforms[name]) for name in names}

            def step(x, index):
                return jax.lax.switch(index, branches, x, transforms), None

            images, _ = jax.lax.scan(step, images, jnp.asarray(indices)[:self.num_ops])
            return images
        for index in list(indices)[:self.num_ops]:
            index = int(index)
            if 0 <= index < len(names):  # as Keras 3: another index changes nothing
                images = self._apply_op(names[index], images, transforms[names[index]])
        return images

    def _public(self, transformation):
        """Keras 3's order of the operations (`jax.jit` returns dicts with sorted keys)."""
        return {"transforms": {name: transformation["transforms"][name] for name in self._ops},
                "layer_idxes": transformation["layer_idxes"]}

    def get_config(self):
        return {**super().get_config(), "num_ops": self.num_ops}


class AugMix(_CompositeAugmentation):
    """AugMix (Hendrycks et al., 2019): `num_chains` chains of up to `chain_depth` random operations,
    mixed with the image (training only).

    Each chain applies, `chain_depth` times, an operation chosen at random among the operations
    and "none" (all equally likely). The chains' outputs are summed with weights from a
    Dirichlet(alpha) draw, and the result is mixed with the image, `w * x + (1 - w) * chains`,
    `w` drawn from Beta(alpha, alpha); the output is clipped to `value_range`. The choices and weights
    are shared by the whole batch (as Keras 3). The operations (Keras 3's order): RandomShear,
    RandomTranslation, RandomRotation, RandomPosterization, Solarization, AutoContrast, Equalization,
    and with `all_ops` RandomBrightness, RandomColorDegeneration, RandomContrast and RandomSharpness,
    each with strength `factor`. Outputs are of the compute dtype.

    Unlike Keras 3, which chooses the operations with Python's `random` module (so a jitted call
    repeats the choices it was traced with), the choices are drawn from the `rng` key.
    `get_random_transformation` returns Keras 3's structure (`chain_transforms`: one list of
    `{"layer_name", "transformation"}` per chain) when called outside `jax.jit`; inside it, the
    chains are `layer_idxes` `(num_chains, chain_depth)` (the number of operations meaning "none")
    and `transforms`, every operation's transformation drawn for every slot (arrays with leading
    axes `(num_chains, chain_depth)`). `transform_images` takes both.

    Args:
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        num_chains: int >= 1, the number of chains (default 3).
        chain_depth: int >= 0, the number of operation slots per chain (default 3).
        factor: the strength: a number f in [0, 1] gives `(0, f)`, a pair is sorted (default 0.3).
        alpha: positive float, the Beta and Dirichlet distributions' parameter (default 1.0).
        all_ops: bool, whether the four extra color operations are used (default True).
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: optional int folded into the rng key.
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a factor outside [0, 1], a bad `num_chains`, `chain_depth` or `alpha`, a
            value_range that is not two numbers, an unknown data_format, or a non-int seed.
        NotImplementedError: for an unknown interpolation (as Keras 3's inner layers).
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        ops = _AUG_MIX_OPS_ALL if all_ops else _AUG_MIX_OPS
        super().__init__(value_range, factor, interpolation, seed, data_format, ops, **kwargs)
        if not _is_int(num_chains) or num_chains < 1:
            raise self._error(f"num_chains must be an int >= 1, got {num_chains!r}")
        if not _is_int(chain_depth) or chain_depth < 0:
            raise self._error(f"chain_depth must be an int >= 0, got {chain_depth!r}")
        if not _is_number(alpha) or alpha <= 0:
            raise self._error(f"alpha must be a positive number, got {alpha!r}")
        self.num_chains = int(num_chains)
        self.chain_depth = int(chain_depth)
        self.alpha = alpha
        self.all_ops = bool(all_ops)

    def _draw(self, images, key):
        g_key, i_key, t_key = jax.random.split(key, 3)
        # one draw of log Gamma(alpha) values gives both the Dirichlet weights (normalized gammas, as
        # Keras 3) and the Beta(alpha, alpha) sample `g1 / (g1 + g2)`: one sampler compiled instead of
        # three, and in log space so that a small alpha does not give 0 / 0
        log_gamma = jax.random.loggamma(g_key, self.alpha, (self.num_chains + 2,))
        chains, pair = log_gamma[:self.num_chains], log_gamma[self.num_chains:]
        ops = list(self._ops.items())

        def draw_slot(slot_key):
            keys = jax.random.split(slot_key, len(ops))
            return {name: op.draw(images, k) for (name, op), k in zip(ops, keys)}

        slot_keys = jax.random.split(t_key, self.num_chains * self.chain_depth)
        transforms = jax.vmap(draw_slot)(slot_keys)
        transforms = jax.tree_util.tree_map(
            lambda a: a.reshape((self.num_chains, self.chain_depth) + a.shape[1:]), transforms)
        return {
            "chain_mixing_weights": jax.nn.softmax(chains),
            "weight_sample": jax.nn.sigmoid(pair[0] - pair[1]),
            "layer_idxes": jax.random.randint(i_key, (self.num_chains, self.chain_depth), 0, len(ops) + 1),
            "transforms": transforms,
        }

    def _public(self, transformation):
        """Keras 3's `chain_transforms` lists when the choices are concrete (outside `jax.jit`)."""
        indices = transformation["layer_idxes"]
        if isinstance(indices, jax.core.Tracer):
            return transformation
        names = list(self._ops)
        transforms = transformation["transforms"]
        chains = [
            [{"layer_name": names[int(i)],
              "transformation": jax.tree_util.tree_map(lambda a, c=c, d=d: a[c, d], transforms[names[int(i)]])}
             for d, i in enumerate(row) if int(i) < len(names)]
            for c, row in enumerate(indices)
        ]
        return {"chain_mixing_weights": transformation["chain_mixing_weights"],
                "weight_sample": transformation["weight_sample"], "chain_transforms": chains}

    def _mixed(self, images, transformation, weights):
        """The chains' outputs summed with `weights`."""
        names = list(self._ops)
        indices = transformation.get("layer_idxes")
        if "chain_transforms" not in transformation and (
                isinstance(indices, jax.core.Tracer) or isinstance(images, jax.core.Tracer)):
            branches = self._branches(names, identity=True)
            transforms = {name: _arrays(transformation["transforms"][name]) for name in names}

            def step(x, slot):
                index, ts = slot
                return jax.lax.switch(index, branches, x, ts), None

            def chain(mixed, inputs):
                row, ts, weight = inputs
                x, _ = jax.lax.scan(step, images, (row, ts))
                return mixed + x * weight, None

            mixed, _ = jax.lax.scan(chain, jnp.zeros_like(images), (jnp.asarray(indices), transforms, weights))
            return mixed
        if "chain_transforms" not in transformation:
            transformation = self._public(transformation)
        mixed = jnp.zeros_like(images)
        for c, steps in enumerate(transformation["chain_transforms"]):
            x = images
            for op_step in steps:
                if op_step["layer_name"] not in self._ops:
                    raise self._error(f"unknown operation {op_step['layer_name']!r} in the transformation; "
                                      f"expected one of {names}")
                x = self._apply_op(op_step["layer_name"], x, op_step["transformation"])
            mixed = mixed + x * weights[c]
        return mixed

    def _apply(self, images, transformation):
        dtype = self.compute_dtype
        weights = jnp.asarray(transformation["chain_mixing_weights"]).astype(dtype)
        sample = jnp.asarray(transformation["weight_sample"]).astype(dtype)
        out = sample * images + (1 - sample) * self._mixed(images, transformation, weights)
        return jnp.clip(out, self.value_range[0], self.value_range[1]).astype(dtype)

    def get_config(self):
        return {**super().get_config(), "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "alpha": self.alpha, "all_ops": self.all_ops}

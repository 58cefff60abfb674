"""ContrastLimitedAdaptiveHistogramEqualization (Keras 3): histogram equalization per tile of a grid,
with clipped histograms and bilinear blending between the tiles' lookup tables."""
import functools

import jax
import jax.numpy as jnp

from jkeras.layers.preprocessing_color import _channels_last, _restore, _to_range, _ValueRangeMixin
from jkeras.layers.preprocessing_image import _ImageLayer, _is_int, _is_number

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization"]


@functools.partial(jax.jit, static_argnames=("grid", "clip_limit"))
def _clahe(images, grid, clip_limit):
    """CLAHE of a channels-last batch whose values are in (0, 255); float32 results (Keras 3's algorithm)."""
    n, height, width, channels = images.shape
    grid_h, grid_w = grid
    tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
    pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
    if pad_h or pad_w:  # mirrored edges, the edge pixel repeated ("symmetric")
        images = jnp.pad(images, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
    area = tile_h * tile_w

    tiles = images.reshape(n, grid_h, tile_h, grid_w, tile_w, channels).transpose(0, 1, 3, 5, 2, 4)
    levels = jnp.clip(tiles.reshape(-1, area).astype(jnp.int32), 0, 255)
    hist = jax.vmap(lambda v: jnp.zeros((256,), jnp.float32).at[v].add(1.0))(levels)
    hist = hist.reshape(n, grid_h, grid_w, channels, 256)
    if clip_limit > 0:
        clipped = jnp.clip(hist, 0, jnp.float32(clip_limit * area / 256.0))
        hist = clipped + jnp.sum(hist - clipped, axis=-1, keepdims=True) / 256.0
    cdf = jnp.cumsum(hist, axis=-1)
    cdf_min = jnp.min(cdf, axis=-1, keepdims=True)
    denominator = jnp.float32(area) - cdf_min
    denominator = jnp.where(denominator == 0, 1.0, denominator)
    tables = jnp.clip((cdf - cdf_min) * 255.0 / denominator, 0, 255)
    tables = jnp.pad(tables, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")  # border tiles repeated

    def corners(size, tile, count):
        pos = (jnp.arange(size, dtype=jnp.float32) - tile / 2.0) / tile + 1.0
        low = jnp.floor(pos)
        weight = pos - low
        return (jnp.clip(low, 0, count + 1).astype(jnp.int32), jnp.clip(low + 1.0, 0, count + 1).astype(jnp.int32),
                weight)

    y0, y1, wy = corners(tile_h * grid_h, tile_h, grid_h)
    x0, x1, wx = corners(tile_w * grid_w, tile_w, grid_w)
    pixels = jnp.clip(images, 0, 255).astype(jnp.int32)
    b = jnp.arange(n)[:, None, None, None]
    c = jnp.arange(channels)[None, None, None, :]
    y0, y1, wy = y0[None, :, None, None], y1[None, :, None, None], wy[None, :, None, None]
    x0, x1, wx = x0[None, None, :, None], x1[None, None, :, None], wx[None, None, :, None]

    def table(y, x):
        return tables[b, y, x, c, pixels]

    top = table(y0, x0) * (1.0 - wx) + table(y0, x1) * wx
    bottom = table(y1, x0) * (1.0 - wx) + table(y1, x1) * wx
    return (top * (1.0 - wy) + bottom * wy)[:, :height, :width, :]


class ContrastLimitedAdaptiveHistogramEqualization(_ValueRangeMixin, _ImageLayer):
    """Contrast-limited adaptive histogram equalization (CLAHE), in training and at inference.

    Each image is cut into a `tile_grid_size` grid of tiles (its bottom and right edges mirrored to
    fill the last ones); each tile's histogram of each channel (256 levels in the (0, 255) scale) is
    clipped at `clip_limit * tile_pixels / 256` with the excess spread evenly, and its normalized
    cumulative histogram becomes the tile's lookup table. Each pixel blends the tables of its four
    nearest tiles bilinearly. Outputs keep the inputs' dtype (values truncated for integers).

    Args:
        value_range: `(low, high)`, the range of the input values (default `(0, 255)`).
        clip_limit: float, the clip limit of the histograms relative to a flat one; 0 or less: no
            clipping (plain adaptive equalization). Default 4.0.
        tile_grid_size: `(rows, columns)` of tiles (default `(8, 8)`).
        data_format: "channels_last" (default: `image_data_format()`) or "channels_first".

    Raises:
        ValueError: for a value_range that is not two numbers, a non-number clip_limit, a
            tile_grid_size that is not two positive ints, or an unknown data_format.
    """

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = self._value_range(value_range, sort=False)
        if not _is_number(clip_limit):
            raise self._error(f"clip_limit must be a number, got {clip_limit!r}")
        if not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2 \
                or not all(_is_int(s) and s > 0 for s in tile_grid_size):
            raise self._error(f"tile_grid_size must be a pair of positive ints, got {tile_grid_size!r}")
        self.clip_limit = clip_limit
        self.tile_grid_size = tuple(int(s) for s in tile_grid_size)

    def apply(self, variables, inputs, *, training=False, rng=None, mask=None):
        x = self._images(inputs)
        batched = x.ndim == 4
        images = _channels_last(x if batched else x[None], self.data_format)
        images = _to_range(images, self.value_range, (0, 255), jnp.float32)
        out = _clahe(images, self.tile_grid_size, float(self.clip_limit))
        out = _to_range(out, (0, 255), self.value_range, jnp.float32).astype(x.dtype)
        out = _restore(out, self.data_format)
        return (out if batched else out[0]), variables["state"]

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "clip_limit": self.clip_limit,
                "tile_grid_size": self.tile_grid_size}

"""`ops.rearrange`: einops-style axis rearrangement (Keras 3's `keras.ops.rearrange`).

A pattern `"b (h h1) w c -> b h (w h1 c)"` names the axes of each side; parentheses group axes
that share one tensor axis. The input is reshaped to its elementary axes, transposed to the
output's order and reshaped to the output's groups.
"""
import math
import re

import jax.numpy as jnp

from jkeras.ops._base import _t, op

__all__ = ["rearrange"]

_TOKEN = re.compile(r"\.\.\.|\(|\)|[^\s()]+")
_ELLIPSIS = "..."


def _parse(side, pattern):
    """A side of the pattern as a list of groups (lists of axis names); "1" and "()" are empty groups."""
    groups, current = [], None
    for token in _TOKEN.findall(side):
        if token == "(":
            if current is not None:
                raise ValueError(f"rearrange: nested parentheses in pattern {pattern!r}")
            current = []
        elif token == ")":
            if current is None:
                raise ValueError(f"rearrange: unbalanced parentheses in pattern {pattern!r}")
            groups.append(current)
            current = None
        elif token == "1":
            if current is None:
                groups.append([])
        elif token == _ELLIPSIS or token.isidentifier():
            if current is None:
                groups.append([token])
            else:
                current.append(token)
        else:
            raise ValueError(f"rearrange: invalid axis name {token!r} in pattern {pattern!r}")
    if current is not None:
        raise ValueError(f"rearrange: unbalanced parentheses in pattern {pattern!r}")
    names = [name for group in groups for name in group]
    for name in set(names):
        if names.count(name) > 1:
            raise ValueError(f"rearrange: axis {name!r} appears twice on one side of pattern {pattern!r}")
    return groups


def _expand_ellipsis(groups, count):
    """The groups with "..." replaced by `count` axes named "...0", "...1", ..."""
    out = []
    for group in groups:
        expanded = []
        for name in group:
            if name == _ELLIPSIS:
                expanded.extend(f"{_ELLIPSIS}{i}" for i in range(count))
            else:
                expanded.append(name)
        if group == [_ELLIPSIS]:  # a bare "..." stands for `count` separate axes
            out.extend([axis] for axis in expanded)
        else:
            out.append(expanded)
    return out


@op
def rearrange(tensor, pattern, **axes_lengths):
    """Rearranges the axes of `tensor` following an einops pattern.

    Args:
        tensor: input tensor.
        pattern: `"input axes -> output axes"`, e.g. `"b h w c -> b c h w"` (transpose),
            `"b h w c -> b (h w c)"` (merge), `"b (h h1) w c -> b h w (c h1)"` (split, with
            `h1=2`). `...` stands for the axes not named, `1` or `()` for an axis of size 1.
        **axes_lengths: sizes of axes that a split cannot infer (at most one unknown per group).

    Returns:
        The rearranged tensor (same values and dtype).

    Raises:
        ValueError: for a malformed pattern, names not on both sides, a rank that does not match
            the pattern, or sizes that do not divide.
    """
    tensor = _t(tensor)
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"rearrange: pattern must be a string 'input -> output', received {pattern!r}")
    left, right = (_parse(side, pattern) for side in pattern.split("->"))
    left_names = [n for g in left for n in g]
    right_names = [n for g in right for n in g]
    fixed = len(left) - (1 if _ELLIPSIS in left_names else 0)
    if _ELLIPSIS in left_names:
        if [_ELLIPSIS] not in left:
            raise ValueError(f"rearrange: '...' cannot be inside parentheses on the input side of {pattern!r}")
        if tensor.ndim < fixed:
            raise ValueError(
                f"rearrange: pattern {pattern!r} needs at least {fixed} axes, received a tensor of shape {tensor.shape}"
            )
    elif tensor.ndim != len(left):
        raise ValueError(
            f"rearrange: pattern {pattern!r} has {len(left)} input axes, received a tensor of shape {tensor.shape}"
        )
    if (_ELLIPSIS in left_names) != (_ELLIPSIS in right_names):
        raise ValueError(f"rearrange: '...' must be on both sides of pattern {pattern!r} or on neither")
    count = tensor.ndim - fixed
    left, right = _expand_ellipsis(left, count), _expand_ellipsis(right, count)
    left_names = [n for g in left for n in g]
    right_names = [n for g in right for n in g]
    if set(left_names) != set(right_names):
        missing = sorted(set(left_names) ^ set(right_names))
        raise ValueError(f"rearrange: axes {missing} are not on both sides of pattern {pattern!r}")
    unknown = sorted(set(axes_lengths) - set(left_names))
    if unknown:
        raise ValueError(f"rearrange: axes_lengths names axes {unknown} that pattern {pattern!r} does not have")

    sizes = {}
    for group, dim in zip(left, tensor.shape):
        known = [n for n in group if n in axes_lengths]
        inferred = [n for n in group if n not in axes_lengths]
        product = math.prod(int(axes_lengths[n]) for n in known)
        if len(inferred) > 1:
            raise ValueError(
                f"rearrange: cannot infer the sizes of {inferred} in one axis of size {dim}; give all but one "
                f"of them as keyword arguments"
            )
        if inferred:
            if product == 0 or dim % product:
                raise ValueError(f"rearrange: axis of size {dim} is not divisible by {known} = {product}")
            sizes[inferred[0]] = dim // product
        elif product != dim:
            raise ValueError(
                f"rearrange: the input axis of size {dim} does not match {group or '1'} = {product}"
            )
        sizes.update({n: int(axes_lengths[n]) for n in known})

    x = jnp.reshape(tensor, [sizes[n] for n in left_names])
    x = jnp.transpose(x, [left_names.index(n) for n in right_names])
    return jnp.reshape(x, [math.prod(sizes[n] for n in group) for group in right])

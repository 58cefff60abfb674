"""`jkeras.tree`: Keras 3's nested-structure utilities, on `jax.tree_util`.

As in Keras, `None` is a leaf, dicts are traversed in sorted key order, and lists, tuples,
namedtuples and dicts are the containers (plus any registered JAX pytree node).
"""
import collections

import jax

__all__ = [
    "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
    "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure", "map_structure_up_to",
    "pack_sequence_as", "traverse",
]

_tree = jax.tree_util


class MAP_TO_NONE:  # noqa: N801 - Keras's name
    """Returned by a `traverse` function to put None in the result at that position."""


def _none_leaf(x):
    return x is None


def _is_leaf(x):
    return _tree.treedef_is_leaf(_tree.tree_structure(x, is_leaf=_none_leaf)) and not _is_empty_node(x)


def _is_empty_node(x):
    return isinstance(x, (list, tuple, dict)) and len(x) == 0


def is_nested(structure):
    """True for a container (list, tuple, namedtuple, dict, registered pytree node), even empty."""
    return not _is_leaf(structure)


def flatten(structure):
    """The leaves of `structure` in order (dicts by sorted key); a leaf gives `[leaf]`."""
    return _tree.tree_leaves(structure, is_leaf=_none_leaf)


def _key(entry):
    for attr in ("key", "idx", "name"):
        if hasattr(entry, attr):
            return getattr(entry, attr)
    return entry


def _paths(structure, prefix=()):
    if structure is None or _is_leaf(structure):
        yield prefix, structure
    elif isinstance(structure, dict):  # an OrderedDict keeps its order, as in flatten
        for k in (structure if isinstance(structure, collections.OrderedDict) else sorted(structure)):
            yield from _paths(structure[k], prefix + (k,))
    elif isinstance(structure, (list, tuple)):  # namedtuples too: by position, as Keras
        for i, item in enumerate(structure):
            yield from _paths(item, prefix + (i,))
    else:  # another registered pytree node
        pairs, _ = _tree.tree_flatten_with_path(structure, is_leaf=lambda x: x is not structure)
        for path, child in pairs:
            yield from _paths(child, prefix + tuple(_key(e) for e in path))


def flatten_with_path(structure):
    """`(path, leaf)` pairs, each path a tuple of dict keys and sequence indices."""
    return list(_paths(structure))


def _in_order_of(template, result):
    """`result` (rebuilt by JAX, dicts in sorted key order) with the dicts' keys in `template`'s
    order, as Keras returns them."""
    if type(template) is dict and isinstance(result, dict):
        return {k: _in_order_of(template[k], result[k]) for k in template if k in result}
    if isinstance(template, (list, tuple)) and isinstance(result, (list, tuple)) \
            and len(template) == len(result) and not _is_leaf(template):
        items = [_in_order_of(t, r) for t, r in zip(template, result)]
        return type(result)(*items) if hasattr(result, "_fields") else type(result)(items)
    return result


def _check_same(structures):
    first = _tree.tree_structure(structures[0], is_leaf=_none_leaf)
    for other in structures[1:]:
        if _tree.tree_structure(other, is_leaf=_none_leaf) != first:
            raise ValueError("Structures don't have the same nested structure.")


def map_structure(func, *structures, none_is_leaf=True):
    """`func` applied to the leaves of `structures` (all nested the same way), in that structure.

    Raises:
        ValueError: if no structure is given or they are nested differently.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    if len(structures) > 1:
        _check_same(structures)
    result = _tree.tree_map(func, *structures, is_leaf=_none_leaf if none_is_leaf else None)
    return _in_order_of(structures[0], result)


def map_structure_up_to(shallow_structure, func, *structures):
    """`func` applied to the subtrees of `structures` at the leaves of `shallow_structure`.

    Raises:
        ValueError: if no structure is given or a structure does not contain `shallow_structure`.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    shallow = _tree.tree_structure(shallow_structure, is_leaf=_none_leaf)
    try:
        parts = [shallow.flatten_up_to(s) for s in structures]
    except (ValueError, TypeError) as e:
        raise ValueError(f"Structures don't have the same nested structure: {e}") from None
    return _in_order_of(shallow_structure, shallow.unflatten([func(*args) for args in zip(*parts)]))


def assert_same_structure(a, b, check_types=None):
    """Checks that `a` and `b` are nested the same way (container types included).

    Raises:
        ValueError: if they are not.
    """
    del check_types  # deprecated in Keras: no effect
    _check_same([a, b])


def assert_same_paths(a, b):
    """Checks that `a` and `b` have the same set of leaf paths (lists and tuples alike).

    Raises:
        ValueError: listing the paths only one of them has.
    """
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        msg = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            msg += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            msg += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(msg)


def pack_sequence_as(structure, flat_sequence):
    """The leaves `flat_sequence` put in the nesting of `structure`.

    Raises:
        TypeError: if `flat_sequence` is not a sequence.
        ValueError: if its length is not the number of leaves of `structure`.
    """
    if not isinstance(flat_sequence, (list, tuple)) and not hasattr(flat_sequence, "__len__"):
        raise TypeError(f"`flat_sequence` must be a sequence, got {type(flat_sequence).__name__}")
    treedef = _tree.tree_structure(structure, is_leaf=_none_leaf)
    if len(flat_sequence) != treedef.num_leaves:
        raise ValueError(f"The target structure has {treedef.num_leaves} leaves, but `flat_sequence` "
                         f"has {len(flat_sequence)} items.")
    return _in_order_of(structure, treedef.unflatten(list(flat_sequence)))


def _children(structure):
    """`(children, rebuild)` of a container's immediate children."""
    leaves, treedef = _tree.tree_flatten(structure, is_leaf=lambda x: x is not structure or x is None)
    return leaves, treedef.unflatten


def traverse(func, structure, top_down=True):
    """Applies `func` to every node of `structure` (containers and leaves).

    Top down: where `func` returns a value other than None, that value replaces the subtree (and
    its children are not visited); `MAP_TO_NONE` puts None there. Bottom up: `func` sees each node
    with its children already traversed, and its non-None result replaces it.
    """
    def rebuild_children(node):
        if _is_leaf(node) or _is_empty_node(node):
            return node
        children, rebuild = _children(node)
        return _in_order_of(node, rebuild([traverse(func, c, top_down) for c in children]))

    if top_down:
        result = func(structure)
        if result is None:
            return rebuild_children(structure)
    else:
        structure = rebuild_children(structure)
        result = func(structure)
        if result is None:
            return structure
    return None if result is MAP_TO_NONE else result


def lists_to_tuples(structure):
    """`structure` with every list (at any depth) turned into a tuple."""
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, top_down=False)


def map_shape_structure(func, structure):
    """`func` applied to each shape (a list / tuple of ints and None) in a nested structure."""
    def is_shape(x):
        return x is None or (isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x))

    return _in_order_of(structure, _tree.tree_map(func, structure, is_leaf=is_shape))

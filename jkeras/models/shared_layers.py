"""A layer held at several places inside one layer or model keeps one set of weights.

Keras tracks layers by identity: one `LSTMCell` that is both `self.lstm_cell` and the cell of
`self.lstm_rnn` (tensorflow.org's FeedBack model), or a layer used directly and inside a nested
model, has its weights once in `model.weights` and is trained as one layer. In jkeras a layer's
variables nest by sublayer name, so such a layer sits at several key paths; its weights are kept
at its first place in a depth-first walk of `_sublayers` (Keras's `weights` order), and nowhere
else in `get_variables()`.

`apply` of a layer that holds sublayers (a Keras-style layer, a functional model) fills each later
place from the first one before the computation (`expand`: every use reads, and is differentiated
at, the one copy) and folds the new state back (`fold_state`), so `apply` keeps the
`(variables, inputs) -> (outputs, new_state)` shape over the one-copy tree.
"""


def places(layer):
    """Where the layers under `layer` sit in its variables.

    Returns:
        `(first, later)`: `first` maps `id(l)` of `layer` and each layer under it to the key path of
        its first place (`layer` itself: `()`); `later` lists `(path, first_path)` for every other
        place a layer is held, in depth-first order (nothing under a later place is walked: it is
        the layer at its first place).
    """
    first, later = {id(layer): ()}, []

    def visit(parent, path):
        for sub in parent.__dict__.get("_sublayers") or ():
            at = path + (sub.name,)
            if id(sub) not in first:
                first[id(sub)] = at
                visit(sub, at)
            elif first[id(sub)] != at[:len(first[id(sub)])]:  # not an ancestor holding itself
                later.append((at, first[id(sub)]))

    visit(layer, ())
    return first, later


def get_path(tree, path):
    """The entry of nested dict `tree` at key `path` (None where the path does not lead)."""
    for key in path:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree


def put_path(tree, path, value):
    """`tree` with `value` at key `path` (the dicts on the way copied, the caller's left as they were)."""
    if not path:
        return value
    out = dict(tree) if isinstance(tree, dict) else {}
    out[path[0]] = put_path(out.get(path[0]), path[1:], value)
    return out


def _drop(tree, path):
    """`tree` without the entry at `path`, and without the dicts that this leaves empty."""
    if not isinstance(tree, dict) or path[0] not in tree:
        return tree
    out = dict(tree)
    if len(path) == 1:
        del out[path[0]]
    else:
        inner = _drop(out[path[0]], path[1:])
        if isinstance(inner, dict) and not inner:
            del out[path[0]]
        else:
            out[path[0]] = inner
    return out


def expand(variables, later):
    """`variables` (`{"params": ..., "state": ...}`, one copy of each layer) with every later place
    of a layer filled from its first place."""
    if not later:
        return variables
    out = dict(variables)
    for collection in ("params", "state"):
        tree = variables.get(collection, {})
        for path, first in later:
            value = get_path(tree, first)
            if value:
                tree = put_path(tree, path, value)
        out[collection] = tree
    return out


def drop_later(variables, later):
    """`variables` without the later places of layers held twice (what `init` returns)."""
    if not later:
        return variables
    out = dict(variables)
    for collection in ("params", "state"):
        tree = variables.get(collection, {})
        for path, _ in reversed(later):
            tree = _drop(tree, path)
        out[collection] = tree
    return out


def fold_state(new_state, given_state, later):
    """The new state over the one-copy tree: a state value that the use at a later place changed
    (it is not the value `expand` put there, `given_state`) is the layer's new state at its first
    place; the later places are dropped."""
    for path, first in reversed(later):
        new = get_path(new_state, path)
        if new is not None:
            merged = _changed(get_path(new_state, first), new, get_path(given_state, path))
            if merged is not None:
                new_state = put_path(new_state, first, merged)
            new_state = _drop(new_state, path)
    return new_state


def _changed(current, new, given):
    """`current` with the leaves of `new` that are not (by identity) those of `given`."""
    if not isinstance(new, dict):
        return current if new is given else new
    out = dict(current) if isinstance(current, dict) else {}
    for key, value in new.items():
        merged = _changed(out.get(key), value, given.get(key) if isinstance(given, dict) else None)
        if merged is not None:
            out[key] = merged
    return out

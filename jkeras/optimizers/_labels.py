"""Per-layer labels for `optax.multi_transform`, built from a model's params tree."""
import difflib

import jax


def _layer_names(model):
    names, stack = set(), [model]
    while stack:
        layer = stack.pop()
        for sub in layer._sublayers:
            if sub.name not in names:
                names.add(sub.name)
                stack.append(sub)
    return names


def labels_by_layer(model, labels, default=None):
    """A `params -> labels` function for `optax.multi_transform`, labelling weights by layer.

    A weight's label is that of the innermost layer on its path (`params["block"]["dense"]["kernel"]`
    looks up `dense`, then `block`) found in `labels`, else `default`. The function keeps the
    structure of the params it is given, `None` holes of frozen weights included, so it works on
    the trainable part `compile` hands to the optimizer.

        tx = optax.multi_transform(
            {"slow": optax.sgd(1e-3), "fast": optax.adam(1e-2)},
            jkeras.optimizers.labels_by_layer(model, {"encoder": "slow"}, default="fast"))
        model.compile(optimizer=tx, loss="mse")

    Args:
        model: a built model (or layer).
        labels: a dict mapping layer names or layer objects to labels (strings).
        default: the label of weights under no listed layer; None makes such a weight an error.

    Returns:
        A function `params -> pytree of labels` of the same structure.

    Raises:
        ValueError: for a layer name the model does not contain (at creation), or, when the
            function runs, for a weight with no label and no `default`.
    """
    known = _layer_names(model)
    table = {}
    for key, label in dict(labels).items():
        name = key if isinstance(key, str) else getattr(key, "name", None)
        if name not in known:
            hint = difflib.get_close_matches(str(name), sorted(known), n=1)
            raise ValueError(
                f"labels_by_layer: model '{model.name}' has no layer {name!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else f"; its layers are {sorted(known)}")
            )
        table[name] = label

    def label_of(path, _):
        keys = [str(getattr(k, "key", k)) for k in path]
        for key in reversed(keys[:-1]):
            if key in table:
                return table[key]
        if default is None:
            raise ValueError(
                f"labels_by_layer: weight {'/'.join(keys)!r} is under no layer of {sorted(table)} and no "
                "`default` label was given"
            )
        return default

    def param_labels(params):
        return jax.tree_util.tree_map_with_path(label_of, params)

    return param_labels

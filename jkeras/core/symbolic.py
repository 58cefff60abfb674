"""`symbolic`: a function that records itself in a functional graph when given symbolic tensors.

Kept free of jkeras imports at module level, so the function modules of `jkeras.core`
(activations, losses) and `jkeras.backend` can wrap their functions at import time.
"""
import functools


def symbolic(namespace, name, fn):
    """`fn` that, given a KerasTensor among its arguments, records itself in the functional graph
    (an `OpLambda` layer naming it `"{namespace}.{name}"`) instead of computing."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        from jkeras.models.node import is_symbolic

        if is_symbolic((args, kwargs)):
            from jkeras.layers.op_lambda import symbolic_call

            return symbolic_call(f"{namespace}.{name}", args, kwargs)
        return fn(*args, **kwargs)

    return op

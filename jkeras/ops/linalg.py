"""`jkeras.ops.linalg`: Keras 3's linear algebra (`keras.ops.linalg`) on JAX arrays."""
import jax
import jax.numpy as jnp
import jax.scipy as jsp

from jkeras.ops._base import _t, floatx, op


def _float(x):
    """`x` as a float array (ints become floatx)."""
    x = _t(x)
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(floatx())


def _matrices(x, name):
    x = _float(x)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected a tensor of rank >= 2, received shape {x.shape}")
    return x


@op
def cholesky(x, upper=False):
    """The Cholesky factor of the positive definite matrices `x` (lower, or upper when `upper`).

    Raises:
        ValueError: (on concrete inputs) when the factorization fails.
    """
    out = jnp.linalg.cholesky(_matrices(x, "cholesky"), upper=upper)
    try:
        if jnp.any(jnp.isnan(out)):
            raise ValueError("cholesky: the decomposition failed; x may not be positive definite")
    except jax.errors.TracerBoolConversionError:
        pass
    return out


@op
def cholesky_inverse(x, upper=False):
    """The inverse of `L @ L.T` (or `U.T @ U` when `upper`) from its Cholesky factor `x`."""
    x = _matrices(x, "cholesky_inverse")
    inv_chol = jsp.linalg.solve_triangular(x, jnp.eye(x.shape[-1], dtype=x.dtype), lower=not upper)
    if upper:
        return jnp.matmul(inv_chol, jnp.swapaxes(inv_chol, -1, -2))
    return jnp.matmul(jnp.swapaxes(inv_chol, -1, -2), inv_chol)


@op
def det(x):
    """Determinants of the square matrices `x`."""
    return jnp.linalg.det(_matrices(x, "det"))


@op
def eig(x):
    """(eigenvalues, eigenvectors) of the square matrices `x` (complex)."""
    return jnp.linalg.eig(_matrices(x, "eig"))


@op
def eigh(x):
    """(eigenvalues ascending, eigenvectors) of the symmetric / Hermitian matrices `x`."""
    return jnp.linalg.eigh(_matrices(x, "eigh"))


@op
def inv(x):
    """Inverses of the square matrices `x`."""
    return jnp.linalg.inv(_matrices(x, "inv"))


@op
def lu_factor(x):
    """(LU, pivots) of the square matrices `x` (`jax.scipy.linalg.lu_factor`, batched)."""
    x = _matrices(x, "lu_factor")
    fn = jsp.linalg.lu_factor
    for _ in range(x.ndim - 2):
        fn = jax.vmap(fn)
    return fn(x)


@op
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm of `x` (NumPy's `ord` values) over `axis`."""
    return jnp.linalg.norm(_float(x), ord=ord, axis=axis, keepdims=keepdims)


@op
def qr(x, mode="reduced"):
    """(Q, R) of the matrices `x`; `mode` "reduced" or "complete".

    Raises:
        ValueError: for another `mode`.
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', received mode={mode!r}")
    return jnp.linalg.qr(_matrices(x, "qr"), mode=mode)


@op
def solve(a, b):
    """`x` with `a @ x = b`."""
    return jnp.linalg.solve(_float(a), _float(b))


@op
def solve_triangular(a, b, lower=False):
    """`x` with `a @ x = b`, `a` triangular (lower when `lower`)."""
    return jsp.linalg.solve_triangular(_float(a), _float(b), lower=lower)


@op
def svd(x, full_matrices=True, compute_uv=True):
    """(U, S, V^H) of the matrices `x`, or only S when not `compute_uv`."""
    return jnp.linalg.svd(_matrices(x, "svd"), full_matrices=full_matrices, compute_uv=compute_uv)


@op
def lstsq(a, b, rcond=None):
    """The least-squares solution `x` of `a @ x = b`."""
    return jnp.linalg.lstsq(_float(a), _float(b), rcond=rcond)[0]


@op
def matrix_rank(x, tol=None):
    """Ranks (int32) of the matrices `x`: singular values above `tol` counted."""
    return jnp.linalg.matrix_rank(_matrices(x, "matrix_rank"), tol).astype("int32")


@op
def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverses of the matrices `x`."""
    x = _matrices(x, "pinv")
    return jnp.linalg.pinv(x) if rcond is None else jnp.linalg.pinv(x, rtol=rcond)


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), the Jacobian of `fun` at `primals` times `tangents`) (`jax.jvp`)."""
    return jax.jvp(fun, primals, tangents, has_aux=has_aux)


__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
]

"""``landscapes.custom``: turn a user's Numba function into a landscape.

The user writes the value and gradient for one point; this wraps it into the batched kernel
signature the engine calls, and supplies a Hessian by central differences of the gradient
when the user gives none. (These wrappers are closures, so Numba compiles them once per
process; the built-ins stay cached.)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from ._base import Landscape
from ._kernel import HESSIAN_SIG, HVP_SIG, VALUE_AND_GRAD_SIG, matvec_into
from ._params import ParamError

__all__ = ["custom"]


def custom(name: str, value_and_grad: Callable, *, dim: int, hessian: Callable | None = None,
           domain: tuple[float, float] = (-5.0, 5.0), known: dict | None = None,
           summary: str = "", sampler: Callable | None = None) -> Landscape:
    """A landscape from ``value_and_grad(x, g) -> f`` (a Numba ``@njit`` function).

    Args:
        name: shown in listings and results.
        value_and_grad: writes the gradient at ``x`` (shape ``(dim,)``) into ``g`` and returns
            the loss. Plain Python functions are compiled with ``numba.njit``.
        dim: the dimension.
        hessian: optional ``hessian(x, H)`` filling the dense ``(dim, dim)`` Hessian; without
            it, central differences of the gradient are used.
        domain: box for sampling starts and plotting.
        known: facts (``global_min_value``, ``global_min_x``, ...); the tests of a plug-in
            check them like the built-ins'.
        sampler: optional ``sampler(rng, n) -> (n, dim)`` starting points.

    Example: see ``examples/my_landscape.py`` and
    ``python -m saddlescape run --landscape examples/my_landscape.py:bowl --optimizer gd``.
    """
    if not isinstance(dim, int) or dim < 1:
        raise ParamError(f"custom landscape {name!r} dim={dim!r} is not allowed; use an integer >= 1")
    user_vg = value_and_grad if hasattr(value_and_grad, "py_func") else njit(value_and_grad)

    @njit(VALUE_AND_GRAD_SIG, nogil=True)
    def vg(X, G, F, data, keys, batch):
        for b in range(X.shape[0]):
            F[b] = user_vg(X[b], G[b])

    if hessian is not None:
        user_hess = hessian if hasattr(hessian, "py_func") else njit(hessian)

        @njit(HESSIAN_SIG, nogil=True)
        def hess(x, H, data):
            user_hess(x, H)
    else:
        @njit(HESSIAN_SIG, nogil=True)
        def hess(x, H, data):
            D = x.shape[0]
            xp = x.copy()
            gp = np.empty(D)
            gm = np.empty(D)
            for j in range(D):
                h = 1e-5 * max(1.0, abs(x[j]))
                xp[j] = x[j] + h
                user_vg(xp, gp)
                xp[j] = x[j] - h
                user_vg(xp, gm)
                xp[j] = x[j]
                for i in range(D):
                    H[i, j] = (gp[i] - gm[i]) / (2.0 * h)
            for i in range(D):
                for j in range(i):
                    s = 0.5 * (H[i, j] + H[j, i])
                    H[i, j] = s
                    H[j, i] = s

    @njit(HVP_SIG, nogil=True)
    def hvp(x, v, out, data):
        H = np.empty((x.shape[0], x.shape[0]))
        hess(x, H, data)
        matvec_into(H, v, out)

    facts: dict[str, Any] = dict(known or {})
    return Landscape(
        costly_hessian=hessian is None,  # finite differences of the gradient: ~2 dim gradients
        name=name, dim=dim, value_and_grad_kernel=vg, hessian_kernel=hess, hvp_kernel=hvp, data=np.zeros(1),
        params={}, seed=0, domain=(float(domain[0]), float(domain[1])), known=facts, sampler=sampler,
        summary=summary or f"custom landscape {name}",
    )

"""Curvature-aware built-ins: damped ``newton`` and ``saddle-free-newton``.

Both step along f(H)^-1 g in the eigenbasis of the Hessian: Newton uses 1 / (lambda + damping)
(so it is drawn to saddles, where it treats negative curvature as a reason to climb), and
saddle-free Newton (Dauphin et al. 2014) uses 1 / (|lambda| + damping) (so it descends along
negative curvature); both add ``damping`` (|lambda| + damping for saddle-free Newton, as
Dauphin et al. damp |H|), which keeps steps along flat directions finite. Both shorten a step
longer than ``max_step`` to that length (a trust region; by default a quarter of the
landscape's feature scale: near an inflection the step is g / damping, which jumped rastrigin
walkers across many basins, Lennard-Jones atoms into each other and every mlp walker out to
overflow; half the scale left a rastrigin walker in two cycling between two points). Up to
``EXACT_MAX_DIM`` the eigendecomposition is exact; above, it is taken in a Lanczos (Krylov)
subspace of ``krylov`` Hessian-vector products started at the gradient, as Dauphin et al.
do. On the sphere the Riemannian Hessian P H P - (x.g/r^2) P is used (Absil, Mahony &
Sepulchre 2008).
"""
from __future__ import annotations

import numpy as np

from saddlescape.landscapes._kernel import deferred, kernel

from ._catalog import hyper_slots
from ._protocol import STEP_SIG

_SLOTS = ("lr", "damping", "krylov", "max_step")
CURV_LR, CURV_DAMPING, CURV_KRYLOV, CURV_MAX_STEP = hyper_slots("newton", *_SLOTS)
if hyper_slots("saddle-free-newton", *_SLOTS) != (CURV_LR, CURV_DAMPING, CURV_KRYLOV, CURV_MAX_STEP):
    raise ImportError("newton and saddle-free-newton must declare lr, damping, krylov, max_step in the same order")

EXACT_MAX_DIM = 500


def scratch_bytes(hyper: dict, dim: int) -> int:
    """What one step allocates for a walker: the dense Hessian and its eigenvectors up to
    EXACT_MAX_DIM, else the Krylov basis of ``krylov`` vectors."""
    if dim <= EXACT_MAX_DIM:
        return 8 * 3 * dim * dim
    return 8 * (int(hyper["krylov"]) + 4) * dim


@kernel()
def _apply_curvature(x, v, out, radius, radial, hvp, data, tmp):
    """out = (Riemannian) Hessian times v."""
    D = x.shape[0]
    if radius > 0.0:
        r2 = radius * radius
        c = 0.0
        for i in range(D):
            c += x[i] * v[i]
        for i in range(D):
            tmp[i] = v[i] - c * x[i] / r2
        hvp(x, tmp, out, data)
        c = 0.0
        for i in range(D):
            c += x[i] * out[i]
        for i in range(D):
            out[i] = out[i] - c * x[i] / r2 - radial * tmp[i]
    else:
        hvp(x, v, out, data)


@kernel()
def _filter(lam, damping, saddle_free):
    if saddle_free:
        return 1.0 / (abs(lam) + damping)
    den = lam + damping
    return 1.0 / den if abs(den) > 1e-12 else 0.0


@kernel()
def curvature_direction(x, g, radius, radial, hess, hvp, data, damping, krylov, saddle_free):
    """The direction f(H)^-1 g, exact for small dim, in a Krylov subspace above."""
    D = x.shape[0]
    d = np.zeros(D)
    gn = np.sqrt(np.dot(g, g))
    if gn == 0.0:
        return d
    if D <= EXACT_MAX_DIM:
        H = np.empty((D, D))
        hess(x, H, data)
        if radius > 0.0:
            P = np.eye(D) - np.outer(x, x) / (radius * radius)
            H = np.dot(P, np.dot(H, P)) - radial * P + np.outer(x, x) / (radius * radius)
        H = 0.5 * (H + H.T)
        if not np.isfinite(H).all():  # (overflowed far out) a NaN step: the walker is marked diverged
            return np.full(D, np.nan)
        lam, V = np.linalg.eigh(H)
        c = np.dot(V.T, g)
        for k in range(D):
            c[k] *= _filter(lam[k], damping, saddle_free)
        return np.dot(V, c)
    k_max = min(krylov, D)
    Q = np.zeros((k_max, D))
    alpha = np.zeros(k_max)
    beta = np.zeros(k_max)
    w = np.empty(D)
    tmp = np.empty(D)
    Q[0] = g / gn
    k_used = k_max
    for j in range(k_max):
        _apply_curvature(x, Q[j], w, radius, radial, hvp, data, tmp)
        alpha[j] = np.dot(w, Q[j])
        for i in range(j + 1):  # full re-orthogonalisation
            w -= np.dot(w, Q[i]) * Q[i]
        if j + 1 < k_max:
            bn = np.sqrt(np.dot(w, w))
            if bn < 1e-12 * gn:
                k_used = j + 1
                break
            beta[j] = bn
            Q[j + 1] = w / bn
    T = np.zeros((k_used, k_used))
    for j in range(k_used):
        T[j, j] = alpha[j]
        if j + 1 < k_used:
            T[j, j + 1] = beta[j]
            T[j + 1, j] = beta[j]
    if not np.isfinite(T).all():
        return np.full(D, np.nan)
    theta, S = np.linalg.eigh(T)
    c = gn * S[0, :].copy()  # coordinates of g in the eigenbasis of T
    for k in range(k_used):
        c[k] *= _filter(theta[k], damping, saddle_free)
    y = np.dot(S, c)
    for j in range(k_used):
        d += y[j] * Q[j]
    return d


@kernel()
def curvature_step(X, G, hyper, active, radius, radial, hess, hvp, data, saddle_free):
    """x <- x - lr f(H)^-1 g for every active walker, shortened to max_step where longer (a
    trust region: where an eigenvalue is near 0 the step is huge, and would jump over many
    basins); newton and saddle-free-newton declare lr, damping, krylov and max_step at the same
    positions (checked at import)."""
    lr, damping, krylov = hyper[CURV_LR], hyper[CURV_DAMPING], int(hyper[CURV_KRYLOV])
    max_step = hyper[CURV_MAX_STEP]
    for b in range(X.shape[0]):
        if active[b]:
            d = curvature_direction(X[b], G[b], radius, radial[b], hess, hvp, data, damping, krylov,
                                    saddle_free)
            length = lr * np.sqrt(np.dot(d, d))
            s = lr * max_step / length if length > max_step else lr
            for i in range(X.shape[1]):
                X[b, i] -= s * d[i]


@deferred(STEP_SIG)
def newton_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Damped Newton: x <- x - lr (H + damping I)^-1 g, at most max_step long. Attracted to saddles."""
    curvature_step(X, G, hyper, active, radius, radial, hess, hvp, data, False)


@deferred(STEP_SIG)
def saddle_free_newton_step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data):
    """Saddle-free Newton (Dauphin et al. 2014): x <- x - lr (|H| + damping I)^-1 g, at most
    max_step long."""
    curvature_step(X, G, hyper, active, radius, radial, hess, hvp, data, True)

"""Curvature: Hessian spectra exact or by Lanczos, spectral densities by stochastic Lanczos
quadrature, and the Hessian restricted to the manifold (the sphere of p-spin)."""
from __future__ import annotations

from typing import Any

import numpy as np
from numba import float64, int64, void

from saddlescape.landscapes import Landscape, ParamError
from saddlescape.landscapes._base import as_points
from saddlescape.landscapes._kernel import HVP_TYPE, kernel

__all__ = ["EXACT_MAX_DIM", "classify", "hessian_spectrum", "lanczos", "manifold_hessian",
           "spectral_density", "tangent_basis", "top_curvature"]

EXACT_MAX_DIM = 2000


def tangent_basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis ``(D, D-1)`` of the tangent space of the sphere at ``x``."""
    q, _ = np.linalg.qr(np.column_stack([x, np.eye(x.size)]))
    return q[:, 1:x.size]


def manifold_hessian(land: Landscape, x: Any) -> np.ndarray:
    """The Hessian on the landscape's manifold: the dense Hessian, or on the sphere the
    Riemannian Hessian P (H - (x.g/r^2) I) P in a tangent basis, shape ``(D-1, D-1)``."""
    X, _ = as_points(x, land.dim, f"landscape {land.name!r}")
    x = X[0]
    H = land.hessian(x)
    if land.manifold != "sphere":
        return H
    g = land.grad(x)
    P = tangent_basis(x)
    return P.T @ (H - (x @ g) / (x @ x) * np.eye(x.size)) @ P


def _matvec(land: Landscape, x: np.ndarray):
    """v -> H(x) v (on the sphere the Riemannian Hessian's product), by the compiled kernel
    directly: x is already a checked float64 point."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    kern, data = land.hvp_kernel, land.data

    def hvp(v):
        out = np.empty_like(x)
        kern(x, np.ascontiguousarray(v, dtype=np.float64), out, data)
        return out

    if land.manifold != "sphere":
        return hvp
    g = land.grad(x)
    r2 = x @ x
    radial = (x @ g) / r2

    def mv(v):
        t = v - (x @ v) / r2 * x
        h = hvp(t)
        return h - (x @ h) / r2 * x - radial * t

    return mv


@kernel(void(HVP_TYPE, float64[:, ::1], float64[::1], int64, float64[:, ::1], float64[::1]))
def power_iteration(hvp, X, data, iters, V, out):
    """``iters`` power iterations from each unit row of V on H(X[b]): out[b] = |H v|, which
    rises towards the largest |eigenvalue| (NaN where it is not finite). Compiled: a Python call
    per Hessian-vector product costs more than the product in low dimension."""
    D = X.shape[1]
    h = np.empty(D)
    for b in range(X.shape[0]):
        top = np.nan
        for _ in range(iters):
            hvp(X[b], V[b], h, data)
            n = np.sqrt(np.dot(h, h))
            top = n if np.isfinite(n) else np.nan
            if not n > 0.0 or not np.isfinite(n):
                break
            for i in range(D):
                V[b, i] = h[i] / n
        out[b] = top


def top_curvature(land: Landscape, X: np.ndarray, iters: int = 20, seed: int = 0) -> np.ndarray:
    """Per row of X, the largest |Hessian eigenvalue| there (on the sphere the Riemannian
    Hessian's), by ``iters`` power iterations on Hessian-vector products: |H v| for unit v
    rises towards it from below. NaN where the loss or its curvature is not finite."""
    X = np.ascontiguousarray(np.atleast_2d(np.asarray(X, dtype=np.float64)))
    rng = np.random.default_rng(seed)
    V = rng.standard_normal(X.shape)
    if land.manifold != "sphere":
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        out = np.full(len(X), np.nan)
        ok = np.all(np.isfinite(X), axis=1)
        if ok.any():
            tops = np.empty(int(ok.sum()))
            power_iteration(land.hvp_kernel, np.ascontiguousarray(X[ok]), land.data, int(iters),
                            np.ascontiguousarray(V[ok]), tops)
            out[ok] = tops
        return out
    out = np.full(len(X), np.nan)
    with np.errstate(all="ignore"):
        for b, x in enumerate(X):  # the Riemannian product needs the gradient too: NumPy, small D
            if not np.all(np.isfinite(x)):
                continue
            mv = _matvec(land, x)
            v = V[b] - (x @ V[b]) / (x @ x) * x
            v /= np.linalg.norm(v)
            top = np.nan
            for _ in range(iters):
                h = mv(v)
                top = float(np.linalg.norm(h))
                if not np.isfinite(top) or top == 0.0:
                    break
                v = h / top
            out[b] = top
    return out


def lanczos(matvec, dim: int, steps: int, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``steps`` Lanczos iterations with full re-orthogonalisation (Paige 1972).

    Returns (Ritz values, Ritz weights = squared first components of the eigenvectors of T,
    the Krylov basis (k, dim)).
    """
    k = min(steps, dim)
    Q = np.zeros((k, dim))
    alpha, beta = np.zeros(k), np.zeros(k)
    Q[0] = start / np.linalg.norm(start)
    used = k
    for j in range(k):
        w = matvec(Q[j])
        alpha[j] = w @ Q[j]
        w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
        w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
        if j + 1 < k:
            b = np.linalg.norm(w)
            if b < 1e-12:
                used = j + 1
                break
            beta[j] = b
            Q[j + 1] = w / b
    T = np.diag(alpha[:used]) + np.diag(beta[: used - 1], 1) + np.diag(beta[: used - 1], -1)
    theta, S = np.linalg.eigh(T)
    return theta, S[0] ** 2, Q[:used]


def hessian_spectrum(land: Landscape, x: Any, *, k: int = 10, steps: int = 120, seed: int = 0,
                     method: str = "auto") -> dict:
    """Eigenvalues of the (manifold) Hessian at ``x``.

    ``method="exact"`` (the default up to ``EXACT_MAX_DIM``): all eigenvalues; ``"lanczos"``
    (the default above): the ``k`` most negative and ``k`` largest from ``steps`` Lanczos
    iterations on Hessian-vector products, as PyHessian does for networks.
    """
    if method not in ("auto", "exact", "lanczos"):
        raise ParamError(f"method={method!r} is not allowed; use 'auto', 'exact' or 'lanczos'")
    X, _ = as_points(x, land.dim, f"landscape {land.name!r}")
    x = X[0]
    if method == "exact" or (method == "auto" and land.dim <= EXACT_MAX_DIM):
        ev = np.linalg.eigvalsh(manifold_hessian(land, x))
        return {"method": "exact", "eigenvalues": ev, "lowest": ev[:k], "highest": ev[-k:][::-1]}
    start = np.random.default_rng(seed).standard_normal(land.dim)
    if land.manifold == "sphere":
        start -= (x @ start) / (x @ x) * x
    theta, _, _ = lanczos(_matvec(land, x), land.dim, steps, start)
    return {"method": "lanczos", "eigenvalues": None, "lowest": theta[:k], "highest": theta[-k:][::-1]}


def spectral_density(land: Landscape, x: Any, *, probes: int = 10, steps: int = 80, bins: int = 100,
                     width: float | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spectral density of the Hessian at ``x`` by stochastic Lanczos quadrature (Lin, Saad &
    Yang 2016; Ghorbani, Krishnan & Xiao 2019): Ritz values weighted by the squared first
    eigenvector components, averaged over Rademacher probes and smoothed by Gaussians.

    Returns (grid, density) with the density integrating to 1 over the grid.
    """
    X, _ = as_points(x, land.dim, f"landscape {land.name!r}")
    x = X[0]
    rng = np.random.default_rng(seed)
    mv = _matvec(land, x)
    nodes, weights = [], []
    for _ in range(probes):
        v = rng.choice([-1.0, 1.0], size=land.dim)
        if land.manifold == "sphere":
            v -= (x @ v) / (x @ x) * x
        theta, w, _ = lanczos(mv, land.dim, steps, v)
        nodes.append(theta)
        weights.append(w / probes)
    nodes_a, weights_a = np.concatenate(nodes), np.concatenate(weights)
    lo, hi = nodes_a.min(), nodes_a.max()
    pad = 0.1 * (hi - lo + 1e-12)
    grid = np.linspace(lo - pad, hi + pad, bins)
    sigma = width if width is not None else (hi - lo + 1e-12) / 50
    dens = (weights_a[None, :] * np.exp(-0.5 * ((grid[:, None] - nodes_a[None, :]) / sigma) ** 2)).sum(1)
    dens /= sigma * np.sqrt(2 * np.pi)
    return grid, dens


def classify(eigenvalues: np.ndarray, etol: float) -> tuple[int, bool]:
    """(index, degenerate): the number of eigenvalues below -etol, and whether any lies in
    [-etol, etol] (a flat direction: such points are flagged, not guessed)."""
    ev = np.asarray(eigenvalues)
    return int((ev < -etol).sum()), bool((np.abs(ev) <= etol).any())

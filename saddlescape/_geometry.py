"""Curvature: Hessian spectra exact or by Lanczos, spectral densities by stochastic Lanczos
quadrature, and the Hessian restricted to the manifold (the sphere of p-spin)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import float64, int64, void

from saddlescape.landscapes import Landscape, ParamError
from saddlescape.landscapes._base import as_points
from saddlescape.landscapes._kernel import HVP_TYPE, kernel

__all__ = ["EXACT_MAX_DIM", "SpectralEstimate", "classify", "hessian_spectrum", "lanczos", "manifold_hessian",
           "spectral_density", "spectral_estimate", "tangent_basis", "top_curvature"]

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


@dataclass
class SpectralEstimate:
    """A Hessian's eigenvalue distribution by stochastic Lanczos quadrature: Ritz values
    (``nodes``) and their weights (summing to 1) over ``probes`` Rademacher probes of ``steps``
    Lanczos steps each, with the mean and variance of the eigenvalues and the standard errors
    of those estimates (from the spread between probes). ``converged``: the errors reached
    the tolerance before the probe budget ran out."""

    nodes: np.ndarray
    weights: np.ndarray
    probes: int
    steps: int
    mean: float
    variance: float
    mean_error: float
    variance_error: float
    converged: bool

    def cdf(self, t: Any) -> np.ndarray:
        """The estimated fraction of eigenvalues at or below each ``t``."""
        order = np.argsort(self.nodes)
        cum = np.cumsum(self.weights[order])
        idx = np.searchsorted(self.nodes[order], np.asarray(t, float), side="right")
        return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)

    def density(self, bins: int = 100, width: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(grid, density) smoothed by Gaussians of ``width`` (default: the spread / 50), integrating to 1."""
        lo, hi = float(self.nodes.min()), float(self.nodes.max())
        pad = 0.1 * (hi - lo + 1e-12)
        grid = np.linspace(lo - pad, hi + pad, bins)
        sigma = width if width is not None else (hi - lo + 1e-12) / 50
        dens = (self.weights[None, :] * np.exp(-0.5 * ((grid[:, None] - self.nodes[None, :]) / sigma) ** 2)).sum(1)
        return grid, dens / (sigma * np.sqrt(2 * np.pi))


def spectral_estimate(land: Landscape, x: Any, *, probes: int | str = "auto", steps: int | None = None,
                      tol: float = 0.01, max_probes: int = 200, seed: int = 0) -> SpectralEstimate:
    """The Hessian's spectrum at ``x`` by stochastic Lanczos quadrature (Lin, Saad & Yang 2016;
    Ghorbani, Krishnan & Xiao 2019).

    Args:
        probes: how many Rademacher probes, or "auto": batches of 10 until the standard errors
            of the estimated mean and variance of the eigenvalues are below ``tol`` times the
            spectrum's standard deviation (respectively its variance), at most ``max_probes``.
            (Ten probes, the old fixed default, left Marchenko-Pastur's mean 2% off at dim 400.)
        steps: Lanczos steps a probe (default min(dim, 100): exact quadrature up to dim 100).
    """
    X, _ = as_points(x, land.dim, f"landscape {land.name!r}")
    x = X[0]
    if not (probes == "auto" or (isinstance(probes, int) and not isinstance(probes, bool) and probes >= 1)):
        raise ParamError(f"probes={probes!r} is not allowed; use an integer >= 1 or 'auto'")
    k = min(land.dim, 100) if steps is None else int(steps)
    if k < 1:
        raise ParamError(f"steps={steps!r} is not allowed; use an integer >= 1")
    rng = np.random.default_rng(seed)
    mv = _matvec(land, x)
    nodes: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    m1: list[float] = []
    m2: list[float] = []
    target = max_probes if probes == "auto" else int(probes)
    converged = probes != "auto"
    while len(nodes) < target:
        v = rng.choice([-1.0, 1.0], size=land.dim)
        if land.manifold == "sphere":
            v -= (x @ v) / (x @ x) * x
        theta, w, _ = lanczos(mv, land.dim, k, v)
        nodes.append(theta)
        weights.append(w)
        m1.append(float(w @ theta))  # this probe's estimate of the mean eigenvalue
        m2.append(float(w @ theta**2))
        n = len(nodes)
        if probes == "auto" and n >= 10 and n % 10 == 0:
            mean_err, var_err, var = _moment_errors(np.array(m1), np.array(m2))
            if mean_err <= tol * np.sqrt(max(var, 1e-300)) and var_err <= tol * max(var, 1e-300):
                converged = True
                break
    n = len(nodes)
    mean_err, var_err, var = _moment_errors(np.array(m1), np.array(m2))
    return SpectralEstimate(np.concatenate(nodes), np.concatenate(weights) / n, n, k, float(np.mean(m1)), var,
                            mean_err, var_err, converged)


def _moment_errors(m1: np.ndarray, m2: np.ndarray) -> tuple[float, float, float]:
    """(standard error of the mean, of the variance, the variance) from per-probe first and second moments."""
    n = len(m1)
    mean, second = m1.mean(), m2.mean()
    var = float(second - mean**2)
    if n < 2:
        return float("inf"), float("inf"), var
    per_probe_var = m2 - 2 * mean * m1 + mean**2  # each probe's estimate of the variance about the pooled mean
    return float(m1.std(ddof=1) / np.sqrt(n)), float(per_probe_var.std(ddof=1) / np.sqrt(n)), var


def spectral_density(land: Landscape, x: Any, *, probes: int | str = "auto", steps: int | None = None,
                     bins: int = 100, width: float | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spectral density of the Hessian at ``x`` by stochastic Lanczos quadrature
    (``spectral_estimate``, whose errors it does not report): Ritz values weighted by the
    squared first eigenvector components, averaged over Rademacher probes and smoothed by
    Gaussians. Returns (grid, density) with the density integrating to 1 over the grid."""
    return spectral_estimate(land, x, probes=probes, steps=steps, seed=seed).density(bins, width)


def classify(eigenvalues: np.ndarray, etol: float) -> tuple[int, bool]:
    """(index, degenerate): the number of eigenvalues below -etol, and whether any lies in
    [-etol, etol] (a flat direction: such points are flagged, not guessed)."""
    ev = np.asarray(eigenvalues)
    return int((ev < -etol).sum()), bool((np.abs(ev) <= etol).any())


def sharpness(land: Landscape, x: Any, *, precondition: Any = None, steps: int = 30, seed: int = 0) -> float:
    """The largest Hessian eigenvalue at ``x`` (the "sharpness" of Cohen et al. 2021), by
    ``steps`` Lanczos iterations on Hessian-vector products (exact once ``steps`` >= D).

    ``precondition``: the diagonal P of a preconditioned method (Adam: sqrt(v_hat) + eps); then
    the largest eigenvalue of P^-1 H, computed as that of the symmetric P^-1/2 H P^-1/2 (Cohen et
    al. 2022, "Adaptive gradient methods at the edge of stability").
    """
    X, _ = as_points(x, land.dim, f"landscape {land.name!r}")
    x = X[0]
    mv = _matvec(land, x)
    if precondition is not None:
        s = 1.0 / np.sqrt(np.asarray(precondition, float).reshape(-1))
        base = mv

        def mv(v):
            return s * base(s * v)
    start = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5AA9])).standard_normal(land.dim)
    if land.manifold == "sphere":
        start -= (x @ start) / (x @ x) * x
    theta, _, _ = lanczos(mv, land.dim, steps, start)
    return float(theta[-1])

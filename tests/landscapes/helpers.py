"""Checks shared by the landscape tests: finite differences and manifold-aware optimality."""
from __future__ import annotations

import numpy as np


def fd_gradient(f, x: np.ndarray) -> np.ndarray:
    """Central differences of the value, step scaled to each coordinate."""
    g = np.empty_like(x)
    for i in range(x.size):
        h = 1e-6 * max(1.0, abs(x[i]))
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f.value(xp) - f.value(xm)) / (2 * h)
    return g


def fd_hessian(f, x: np.ndarray) -> np.ndarray:
    """Central differences of the (analytic) gradient, column by column."""
    H = np.empty((x.size, x.size))
    for j in range(x.size):
        h = 1e-6 * max(1.0, abs(x[j]))
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        H[:, j] = (f.grad(xp) - f.grad(xm)) / (2 * h)
    return 0.5 * (H + H.T)


def close(a, b, rtol: float) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b))) <= rtol * (1.0 + float(np.max(np.abs(b))))


def tangent_basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis (D, D-1) of the plane orthogonal to x."""
    q, _ = np.linalg.qr(np.column_stack([x, np.eye(x.size)]))
    return q[:, 1:x.size]


def stationarity(f, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, Hessian eigenvalues), both restricted to the manifold where there is one."""
    g = f.grad(x)
    H = f.hessian(x)
    if f.manifold == "sphere":
        P = tangent_basis(x)
        radial = g @ x / (x @ x)
        return P.T @ g, np.linalg.eigvalsh(P.T @ (H - radial * np.eye(x.size)) @ P)
    return g, np.linalg.eigvalsh(H)

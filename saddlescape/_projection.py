"""2-D views of a D-dimensional landscape: a plane through an origin spanned by two
orthonormal directions, the landscape evaluated on a grid in it, and walkers projected onto
it with their distance off the plane (so a projected path is never mistaken for the real one).

Planes: the coordinates themselves (D = 2), two random directions scaled like the points
("filter-normalised" in the sense of Li et al. 2018: each direction gets the norm of the
origin, or 1 at the origin), the PCA plane of trajectories, or the plane through three points.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from saddlescape.landscapes import Landscape, ParamError

__all__ = ["Plane", "coordinate_plane", "fit_extent", "grid_values", "pca_plane", "plane_through", "random_plane"]


@dataclass(frozen=True)
class Plane:
    """origin + a u + b v, with u, v orthonormal; ``extent`` = (a_min, a_max, b_min, b_max)."""

    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray
    extent: tuple[float, float, float, float]
    kind: str = "coordinates"

    def project(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(a, b, off-plane distance) of points ``(N, D)``."""
        Y = np.atleast_2d(X) - self.origin
        a = Y @ self.u
        b = Y @ self.v
        off = np.sqrt(np.maximum((Y * Y).sum(axis=1) - a * a - b * b, 0.0))
        return a, b, off

    def points(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Points ``(N, D)`` at plane coordinates (a, b)."""
        return self.origin + np.outer(a, self.u) + np.outer(b, self.v)


def _orthonormal(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nu = np.linalg.norm(u)
    if nu == 0:
        raise ParamError("the plane's first direction is zero; pick other points")
    u = u / nu
    v = v - (v @ u) * u
    nv = np.linalg.norm(v)
    if nv < 1e-12:
        raise ParamError("the three points are collinear; pick other points for the plane")
    return u, v / nv


def coordinate_plane(land: Landscape) -> Plane:
    """The first two coordinates over the landscape's domain (the landscape itself at D = 2)."""
    lo, hi = land.domain
    e = np.eye(land.dim)
    return Plane(np.zeros(land.dim), e[0], e[1] if land.dim > 1 else e[0] * 0, (lo, hi, lo, hi), "coordinates")


def random_plane(land: Landscape, origin: np.ndarray, seed: int = 0, scale: float | None = None) -> Plane:
    """Two random orthonormal directions through ``origin``, extent scaled to the origin's norm."""
    rng = np.random.default_rng(seed)
    u, v = _orthonormal(rng.standard_normal(land.dim), rng.standard_normal(land.dim))
    r = scale if scale is not None else max(1.0, float(np.linalg.norm(origin)) / np.sqrt(land.dim) * 2)
    lo, hi = land.domain
    r = min(r, 0.5 * (hi - lo)) if np.isfinite(hi - lo) else r
    return Plane(np.asarray(origin, float).copy(), u, v, (-r, r, -r, r), "random")


def pca_plane(land: Landscape, trajectory: np.ndarray, margin: float = 0.15) -> Plane:
    """The plane of the two leading principal components of points ``(N, D)``."""
    P = np.asarray(trajectory, float).reshape(-1, land.dim)
    P = P[np.isfinite(P).all(axis=1)]
    if len(P) < 3:
        raise ParamError("the PCA plane needs at least three recorded positions; run a few steps first")
    mean = P.mean(axis=0)
    _, _, Vt = np.linalg.svd(P - mean, full_matrices=False)
    u = Vt[0]
    v = Vt[1] if len(Vt) > 1 else np.roll(u, 1)
    u, v = _orthonormal(u, v)
    plane = Plane(mean, u, v, (0, 0, 0, 0), "pca")
    return fit_extent(plane, P, margin)


def plane_through(land: Landscape, p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, margin: float = 0.3) -> Plane:
    """The plane through three points (e.g. a start, an end, a minimum)."""
    p0, p1, p2 = (np.asarray(p, float) for p in (p0, p1, p2))
    u, v = _orthonormal(p1 - p0, p2 - p0)
    plane = Plane(p0, u, v, (0, 0, 0, 0), "three-points")
    return fit_extent(plane, np.stack([p0, p1, p2]), margin)


def fit_extent(plane: Plane, P: np.ndarray, margin: float = 0.15) -> Plane:
    """The same plane with a square extent around the projections of points ``(N, D)``."""
    a, b, _ = plane.project(P)
    span = max(a.max() - a.min(), b.max() - b.min(), 1e-6)
    pad = margin * span
    ca, cb = 0.5 * (a.max() + a.min()), 0.5 * (b.max() + b.min())
    half = 0.5 * span + pad
    return Plane(plane.origin, plane.u, plane.v, (ca - half, ca + half, cb - half, cb + half), plane.kind)


def grid_values(land: Landscape, plane: Plane, nx: int, ny: int) -> np.ndarray:
    """Loss on an ``(ny, nx)`` grid over the plane's extent (row 0 at the top, b largest);
    on the sphere the grid points are put back on it first. Non-finite values become NaN."""
    a0, a1, b0, b1 = plane.extent
    a = np.linspace(a0, a1, nx)
    b = np.linspace(b1, b0, ny)
    A, Bm = np.meshgrid(a, b)
    X = np.ascontiguousarray(plane.points(A.ravel(), Bm.ravel()))
    land.retract(X)
    with np.errstate(all="ignore"):
        F, _ = land.value_and_grad(X)
    F = np.where(np.isfinite(F), F, np.nan)
    return F.reshape(ny, nx)

"""The critical-point census: find critical points of every index from many starts, keep the
ones whose gradient really vanishes, classify them by index, de-duplicate them.

Three searches, compiled, with a trust region: Newton on the gradient (``newton``: solves
H d = g, converges to critical points of any index), Levenberg-Marquardt on |g|^2 / 2
(``gradnorm``: d = (H^2 + mu I)^-1 H g), and saddle-free Newton (``minima``: d = |H|^-1 g,
Dauphin et al. 2014, which descends and so finds minima, e.g. of Lennard-Jones clusters).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numba import float64, int64, uint8, void
from scipy.spatial import cKDTree

from landscapes import Landscape, ParamError
from landscapes._kernel import HESSIAN_TYPE, VALUE_AND_GRAD_TYPE, kernel

from ._engine import resolve_landscape
from ._geometry import classify, manifold_hessian

__all__ = ["CensusResult", "census"]

METHODS = ("newton", "gradnorm", "minima")

SEARCH_SIG = void(VALUE_AND_GRAD_TYPE, HESSIAN_TYPE, float64[:, ::1], float64[::1], float64, int64,
                  int64, float64, float64, uint8[::1], float64[::1], float64[::1], float64[::1])


@kernel(SEARCH_SIG)
def search_critical_points(vg, hess, X, data, radius, method, max_iter, trust, gtol, converged, F, gnorm,
                           rate):
    """Move each row of X to a nearby critical point (in place); mark those that converge.
    ``rate`` gets |g| of the last step over the one before: Newton converges quadratically to a
    non-degenerate critical point (tiny rate) and only linearly to a degenerate one."""
    N, D = X.shape
    x1 = np.empty((1, D))
    g1 = np.empty((1, D))
    f1 = np.empty(1)
    keys = np.zeros(1, np.int64)
    H = np.empty((D, D))
    r2 = radius * radius
    for b in range(N):
        x1[0, :] = X[b]
        converged[b] = 0
        prev = np.inf
        rate[b] = 0.0
        for it in range(max_iter + 1):
            vg(x1, g1, f1, data, keys, 0)
            x = x1[0]
            g = g1[0]
            radial = 0.0
            if radius > 0.0:
                radial = np.dot(x, g) / r2
                g -= radial * x
            gn = np.sqrt(np.dot(g, g))
            if not np.isfinite(gn) or not np.isfinite(f1[0]):
                break
            if gn <= gtol * (1.0 + abs(f1[0])):
                converged[b] = 1
                if it > 0 and prev > 0.0:
                    rate[b] = gn / prev
                break
            prev = gn
            if it == max_iter:
                break
            hess(x, H, data)
            if radius > 0.0:
                P = np.eye(D) - np.outer(x, x) / r2
                H[:, :] = np.dot(P, np.dot(H, P)) - radial * P + np.outer(x, x) / r2
            solved = False
            if method == 3:  # polishing next to a minimum: H is positive definite, solve directly
                try:
                    d = np.linalg.solve(H, g)
                    solved = True
                except Exception:  # singular after all: fall back to the eigen-filtered step
                    solved = False
            if not solved:
                lam, V = np.linalg.eigh(0.5 * (H + H.T))
                c = np.dot(V.T, g)
                big = np.max(np.abs(lam))
                for k in range(D):
                    if method == 0:
                        c[k] = c[k] / lam[k] if abs(lam[k]) > 1e-14 * big else 0.0
                    elif method >= 2:  # saddle-free Newton: descends, so it finds minima
                        c[k] = c[k] / max(abs(lam[k]), 1e-8 * big)
                    else:
                        c[k] = c[k] * lam[k] / (lam[k] * lam[k] + 1e-10 * big * big)
                d = np.dot(V, c)
            dn = np.sqrt(np.dot(d, d))
            if dn > trust:
                d *= trust / dn
            x1[0, :] -= d
            if radius > 0.0:
                x1[0, :] *= radius / np.sqrt(np.dot(x1[0], x1[0]))
        X[b] = x1[0]
        F[b] = f1[0]
        gnorm[b] = gn


def _fingerprints(land: Landscape, X: np.ndarray, identify: tuple[str, ...]) -> np.ndarray:
    """Coordinates in which points equal under the identified symmetries coincide."""
    if {"rotation", "permutation", "translation"} <= set(identify):
        n = land.dim // 3
        P = X.reshape(len(X), n, 3)
        i, j = np.triu_indices(n, 1)
        return np.sort(np.linalg.norm(P[:, i] - P[:, j], axis=2), axis=1)
    if "sign" in identify:
        pivot = np.abs(X).argmax(axis=1)
        return X * np.sign(X[np.arange(len(X)), pivot])[:, None]
    return X


def _unique(keys: np.ndarray, values: np.ndarray, xtol: float) -> np.ndarray:
    """Indices of one representative per cluster of (near-)equal keys and values."""
    tree = cKDTree(np.column_stack([keys, values[:, None] * 0.0]))
    pairs = tree.query_pairs(xtol, output_type="ndarray")
    parent = np.arange(len(keys))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(a) for a in range(len(keys))])
    return np.unique(roots)


@dataclass
class CensusResult:
    """Critical points found, by index. ``critical_points`` holds dicts with ``value``,
    ``index``, ``degenerate`` and ``x``; counts exclude degenerate points (counted apart)."""

    landscape: dict[str, Any]
    method: str
    starts: int
    seed: int
    n_converged: int
    identify: tuple[str, ...]
    critical_points: list[dict[str, Any]]
    max_index: int
    elapsed_s: float
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def counts_by_index(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for cp in self.critical_points:
            if not cp["degenerate"]:
                counts[cp["index"]] = counts.get(cp["index"], 0) + 1
        return dict(sorted(counts.items()))

    @property
    def n_minima(self) -> int:
        return self.counts_by_index.get(0, 0)

    @property
    def n_maxima(self) -> int:
        return self.counts_by_index.get(self.max_index, 0) if self.max_index > 0 else 0

    @property
    def n_saddles(self) -> int:
        return sum(n for k, n in self.counts_by_index.items() if 0 < k < self.max_index)

    @property
    def n_degenerate(self) -> int:
        return sum(cp["degenerate"] for cp in self.critical_points)

    def index_vs_loss(self, bins: int = 10) -> list[dict[str, float]]:
        """Mean index fraction (index / max_index) per loss bin: the Bray-Dean relation."""
        pts = [cp for cp in self.critical_points if not cp["degenerate"]]
        if not pts or self.max_index == 0:
            return []
        v = np.array([cp["value"] for cp in pts])
        frac = np.array([cp["index"] for cp in pts]) / self.max_index
        edges = np.linspace(v.min(), v.max() + 1e-12 * (1 + abs(v.max())), bins + 1)
        out = []
        for lo, hi in zip(edges[:-1], edges[1:]):
            m = (v >= lo) & (v < hi)
            if m.any():
                out.append({"loss_low": float(lo), "loss_high": float(hi), "count": int(m.sum()),
                            "mean_index_fraction": float(frac[m].mean())})
        return out

    def summary(self) -> dict[str, Any]:
        return {"landscape": self.landscape, "method": self.method, "starts": self.starts,
                "seed": self.seed, "n_converged": self.n_converged, "identify": list(self.identify),
                "max_index": self.max_index,
                "counts_by_index": {str(k): v for k, v in self.counts_by_index.items()},
                "n_critical_points": len(self.critical_points), "n_minima": self.n_minima,
                "n_saddles": self.n_saddles, "n_maxima": self.n_maxima, "n_degenerate": self.n_degenerate,
                "index_vs_loss": self.index_vs_loss(), "elapsed_s": round(self.elapsed_s, 4),
                "versions": self.versions, "critical_points": self.critical_points}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.summary(), indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "CensusResult":
        s = json.loads(Path(path).read_text())
        return cls(s["landscape"], s["method"], s["starts"], s["seed"], s["n_converged"],
                   tuple(s["identify"]), s["critical_points"], s["max_index"], s["elapsed_s"],
                   s.get("versions", {}))


def census(landscape: Any, *, starts: int = 1000, seed: int = 0, method: str = "newton",
           x0: Any = None, max_iter: int = 60, trust: float | None = None, gtol: float = 1e-9,
           etol: float | None = None, xtol: float | None = None,
           identify: tuple[str, ...] | None = None, chunk: int = 20000) -> CensusResult:
    """Find and classify critical points of ``landscape`` from ``starts`` random starts.

    Args:
        landscape: a Landscape or a name (``landscapes.make`` for parameters).
        starts, seed: number of starting points (from ``landscape.sample``) and their seed.
        method: ``"newton"`` (all indices), ``"gradnorm"`` or ``"minima"``.
        x0: optional (N, D) starts instead.
        gtol: a point is critical when |grad| <= gtol (1 + |f|) (tangent gradient on the sphere).
        etol: eigenvalues within +-etol count as zero (default 1e-6 times the largest |eigenvalue|);
            a point with such a direction beyond the declared zero modes is flagged degenerate.
        xtol: points closer than this (after the symmetry fingerprint) are one point.
        identify: symmetries to identify points under (default: the landscape's, e.g.
            translation, rotation and permutation of Lennard-Jones atoms).

    Example:
        >>> import saddlescape
        >>> c = saddlescape.census("himmelblau", starts=400, seed=0)
        >>> c.counts_by_index
        {0: 4, 1: 4, 2: 1}

    ``python -m saddlescape census --landscape himmelblau --starts 400 --seed 0``
    """
    from ._result import versions

    land = resolve_landscape(landscape)
    if method not in METHODS:
        raise ParamError(f"census method={method!r} is not allowed; use one of {', '.join(map(repr, METHODS))}")
    if isinstance(starts, bool) or not isinstance(starts, (int, np.integer)) or starts < 1:
        raise ParamError(f"starts={starts!r} is not allowed; use an integer >= 1")
    t0 = time.perf_counter()
    X = land.sample(int(starts), seed=seed) if x0 is None else np.array(x0, dtype=np.float64, order="C")
    radius = float(land.radius) if land.manifold == "sphere" else 0.0
    lo, hi = land.domain
    trust = float(trust if trust is not None else max(0.5, 0.25 * (hi - lo)))
    N = X.shape[0]
    conv = np.zeros(N, np.uint8)
    F = np.zeros(N)
    gn = np.zeros(N)
    rate = np.zeros(N)
    for a in range(0, N, chunk):  # chunks keep memory flat; the kernel releases the GIL
        sl = slice(a, min(N, a + chunk))
        Xc = np.ascontiguousarray(X[sl])
        cc, Fc, gc, rc = conv[sl].copy(), F[sl].copy(), gn[sl].copy(), rate[sl].copy()
        search_critical_points(land.value_and_grad_kernel, land.hessian_kernel, Xc, land.data, radius,
                               METHODS.index(method), int(max_iter), trust, float(gtol), cc, Fc, gc, rc)
        X[sl], conv[sl], F[sl], gn[sl], rate[sl] = Xc, cc, Fc, gc, rc
    ok = conv.astype(bool)
    Xc, Fc, slow = X[ok], F[ok], rate[ok] > 0.1
    ident = tuple(identify if identify is not None else land.identify)
    scale = max(1.0, float(np.abs(Xc).max()) if len(Xc) else 1.0)
    tol = xtol if xtol is not None else 1e-6 * scale
    reps = _unique(_fingerprints(land, Xc, ident), Fc, tol) if len(Xc) else np.array([], int)
    zero_modes = int(land.known.get("zero_modes", 0))
    points = []
    for i in reps:
        ev = np.linalg.eigvalsh(manifold_hessian(land, Xc[i]))
        e = etol if etol is not None else 1e-6 * max(1.0, float(np.abs(ev).max()))
        index, _ = classify(ev, e)
        flat = int((np.abs(ev) <= e).sum())
        # degenerate: a flat direction beyond the declared zero modes, or Newton's convergence
        # there was only linear (the hallmark of a singular Hessian at the root)
        points.append({"value": float(Fc[i]), "index": index, "degenerate": bool(flat > zero_modes or slow[i]),
                       "x": [float(v) for v in Xc[i]]})
    points.sort(key=lambda cp: (cp["value"], cp["index"]))
    max_index = (land.dim - (1 if radius > 0 else 0)) - zero_modes
    return CensusResult(land.describe(), method, N, int(seed), int(ok.sum()), ident, points, max_index,
                        time.perf_counter() - t0, versions())

"""The critical-point census: find critical points of every index from many starts, keep the
ones whose gradient really vanishes, classify them by index, de-duplicate them.

Three searches, compiled, with a trust region: Newton on the gradient (``newton``: solves
H d = g, converges to critical points of any index), Levenberg-Marquardt on |g|^2 / 2
(``gradnorm``: d = (H^2 + mu I)^-1 H g), and saddle-free Newton (``minima``: d = |H|^-1 g,
Dauphin et al. 2014, which descends and so finds minima, e.g. of Lennard-Jones clusters).
"""
from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from saddlescape.landscapes import ParamError

from ._critical import CENSUS_METHODS, fingerprints, search_critical_points
from ._geometry import classify, manifold_hessian
from ._resolve import resolve_landscape

__all__ = ["CensusResult", "census"]

METHODS = CENSUS_METHODS


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
        for lo, hi in itertools.pairwise(edges):
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
    def load(cls, path: str | Path) -> CensusResult:
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
    reps = _unique(fingerprints(land, Xc, ident), Fc, tol) if len(Xc) else np.array([], int)
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

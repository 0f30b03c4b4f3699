"""The critical-point census: find critical points of every index from many starts, keep the
ones whose gradient really vanishes, classify them by index, de-duplicate them.

Searches, compiled, with a trust region: Newton on the gradient (``newton``: solves
H d = g, converges to critical points of any index), Levenberg-Marquardt on |g|^2 / 2
(``gradnorm``: d = (H^2 + mu I)^-1 H g), saddle-free Newton (``minima``: d = |H|^-1 g,
Dauphin et al. 2014, which descends and so finds minima; ``maxima`` climbs), and
``quench``: L-BFGS down to a minimum, then Newton polish (the recipe for clusters, where
Newton from random starts converges from about 1% of them). ``all`` (the default) runs
newton, minima and maxima from the same starts and keeps every point any of them found:
Newton alone rarely lands on a minimum or maximum in more than a few dimensions (a spherical
3-spin at D=10 gave none of its minima from 400 starts).

Counted: distinct critical points inside the declared domain (``domain="all"`` counts those
found outside too; coverage out there is partial). A degenerate point is listed once, with no
index: Newton converges only linearly there, so its many end points are merged when the
segment between them stays critical.
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
from saddlescape.landscapes._base import as_points, check_bytes

from ._critical import GRADNORM, MAXIMA, MINIMA, NEWTON, POLISH, fingerprints, search_critical_points
from ._geometry import classify, manifold_hessian
from ._resolve import resolve_landscape
from ._signals import stop_requests

__all__ = ["METHODS", "CensusResult", "census"]

METHODS = ("all", "newton", "gradnorm", "minima", "maxima", "quench")
_SEARCHES = {"all": ("newton", "minima", "maxima"), "newton": ("newton",), "gradnorm": ("gradnorm",),
             "minima": ("minima",), "maxima": ("maxima",), "quench": ("quench",)}
_CODES = {"newton": NEWTON, "gradnorm": GRADNORM, "minima": MINIMA, "maxima": MAXIMA, "quench": POLISH}
DOMAINS = ("box", "all")
LOW_SHARE = 0.1  # warn when fewer than this share of the searches reach a critical point


def _unique(keys: np.ndarray, xtol: float) -> tuple[np.ndarray, np.ndarray]:
    """One representative per cluster of (near-)equal keys, and how many rows each stands for:
    each point not yet claimed claims every unclaimed point within ``xtol`` (one ball query
    per distinct point, so thousands of starts landing on a handful of points cost a handful
    of queries)."""
    tree = cKDTree(keys)
    owner = np.full(len(keys), -1)
    reps = []
    for i in range(len(keys)):
        if owner[i] >= 0:
            continue
        near = np.asarray(tree.query_ball_point(keys[i], xtol), dtype=int)
        near = near[owner[near] < 0]
        owner[near] = i
        owner[i] = i
        reps.append(i)
    return np.array(reps, dtype=int), np.bincount(owner, minlength=len(keys))[reps]


@dataclass
class CensusResult:
    """Critical points found, by index. ``critical_points`` holds dicts with ``value``,
    ``index`` (None for a degenerate point), ``degenerate`` and ``x``; counts exclude degenerate
    points (counted apart). ``outcomes`` says what became of the searches (one per start and
    search): ``converged`` (to a critical point), ``outside`` (converged, outside the counted
    domain), ``failed`` (no convergence within the domain) and ``left`` (no convergence, ended
    outside the domain)."""

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
    domain: str = "box"
    outcomes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    stopped_by: str | None = None  # "SIGINT"/"SIGTERM" when a signal ended the search early

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

    @property
    def coverage(self) -> float | None:
        """Good-Turing coverage: the share of converging searches that would land on a point
        already listed, 1 - (points found once) / (converged searches). Near 1 when the census
        is complete; a census far below it has missed points (most likely saddles)."""
        n = sum(cp.get("hits", 0) for cp in self.critical_points)
        if not n:
            return None
        return 1.0 - sum(cp.get("hits", 0) == 1 for cp in self.critical_points) / n

    def estimated_counts_by_index(self) -> dict[int, float]:
        """Chao1's lower-bound estimate of how many points of each index exist (found plus
        f1^2 / (2 f2) from those found once, f1, and twice, f2; Chao 1984), for comparing a
        census that has not saturated with one that has."""
        out: dict[int, float] = {}
        for k, n in self.counts_by_index.items():
            hits = [cp.get("hits", 0) for cp in self.critical_points if cp["index"] == k and not cp["degenerate"]]
            f1, f2 = hits.count(1), hits.count(2)
            out[k] = n + (f1 * f1 / (2 * f2) if f2 else f1 * (f1 - 1) / 2)
        return out

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
                "coverage": self.coverage,
                "estimated_counts_by_index": {str(k): round(v, 1) for k, v in self.estimated_counts_by_index().items()},
                "index_vs_loss": self.index_vs_loss(), "elapsed_s": round(self.elapsed_s, 4),
                "domain": self.domain, "outcomes": self.outcomes, "warnings": self.warnings,
                "stopped_by": self.stopped_by,
                "versions": self.versions, "critical_points": self.critical_points}

    def save(self, path: str | Path) -> Path:
        from ._files import write_text_atomic

        return write_text_atomic(path, json.dumps(self.summary(), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> CensusResult:
        s = json.loads(Path(path).read_text())
        return cls(s["landscape"], s["method"], s["starts"], s["seed"], s["n_converged"],
                   tuple(s["identify"]), s["critical_points"], s["max_index"], s["elapsed_s"],
                   s.get("versions", {}), s.get("domain", "box"), s.get("outcomes", {}), s.get("warnings", []),
                   s.get("stopped_by"))


def _tangent_grad(land: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and gradients at the rows of X (tangent to the sphere where the landscape lives on one)."""
    F, G = land.value_and_grad(X)
    F, G = np.atleast_1d(np.asarray(F, float)), np.atleast_2d(np.asarray(G, float))
    if land.manifold == "sphere":
        G = G - (np.einsum("ij,ij->i", X, G) / np.einsum("ij,ij->i", X, X))[:, None] * X
    return F, G


def _quench(land: Any, X: np.ndarray, max_iter: int) -> None:
    """L-BFGS from each row of X down to (near) a minimum, in place. On the sphere it minimises
    f(r y / |y|) over y, which has the same minima and needs no constraint."""
    from scipy.optimize import minimize

    sphere = land.manifold == "sphere"
    r = float(land.radius) if sphere else 1.0

    def fg(y: np.ndarray) -> tuple[float, np.ndarray]:
        ny = float(np.linalg.norm(y)) if sphere else 1.0
        x = y * (r / ny) if sphere else y
        f, g = land.value_and_grad(x)
        f, g = float(f), np.asarray(g, float)
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            return np.inf, np.zeros_like(y)
        if sphere:  # chain rule through y -> r y / |y|
            g = (r / ny) * (g - (x @ g) / (r * r) * x)
        return f, g

    with np.errstate(all="ignore"):
        for i in range(len(X)):
            res = minimize(fg, X[i], jac=True, method="L-BFGS-B",
                           options={"maxiter": 50 * max_iter, "gtol": 1e-10, "ftol": 1e-15})
            y = res.x
            X[i] = y * (r / np.linalg.norm(y)) if sphere else y


def _inside(land: Any, X: np.ndarray, ident: tuple[str, ...]) -> np.ndarray:
    """Which rows of X lie in the landscape's declared domain (a sphere, or a cluster free to
    move, is all domain)."""
    if land.manifold == "sphere" or "translation" in ident or not len(X):
        return np.ones(len(X), bool)
    lo, hi = land.domain
    eps = 1e-9 * (hi - lo)
    if land.to_box is not None:  # a rotated landscape: its box turned with it
        X = land.to_box(X)
    return np.all(np.abs(X - 0.5 * (lo + hi)) <= 0.5 * (hi - lo) + eps, axis=1)


def _merge_degenerate(land: Any, X: np.ndarray, F: np.ndarray, gn: np.ndarray, idx: list[int],
                      gtol: float) -> dict[int, list[int]]:
    """One representative (the smallest |g|) per set of degenerate candidates joined by
    segments that stay critical, with the set: Newton converges only linearly at a degenerate
    point, so its end points scatter around it by far more than any fixed merging distance."""
    if len(idx) < 2:
        return {i: [i] for i in idx}
    pts = X[idx]
    reach = 0.1 * float(land.feature_scale)
    tree = cKDTree(pts)
    parent = list(range(len(idx)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    pairs = tree.query_pairs(reach, output_type="ndarray")
    ts = np.array([0.25, 0.5, 0.75])
    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        seg = pts[a] + ts[:, None] * (pts[b] - pts[a])
        if land.manifold == "sphere":
            seg *= float(land.radius) / np.linalg.norm(seg, axis=1, keepdims=True)
        with np.errstate(all="ignore"):
            _, Gs = _tangent_grad(land, seg)
        allowed = 10.0 * max(gn[idx[a]], gn[idx[b]], gtol * (1.0 + abs(F[idx[a]])))
        if np.all(np.isfinite(Gs)) and np.linalg.norm(Gs, axis=1).max() <= allowed:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for k in range(len(idx)):
        groups.setdefault(find(k), []).append(idx[k])
    return {min(members, key=lambda i: gn[i]): members for members in groups.values()}


def census(landscape: Any, *, starts: int = 1000, seed: int = 0, method: str = "all",
           x0: Any = None, max_iter: int = 60, trust: float | None = None, gtol: float = 1e-9,
           etol: float | None = None, xtol: float | None = None,
           identify: tuple[str, ...] | None = None, domain: str = "box", chunk: int = 20000,
           progress: Any = None) -> CensusResult:
    """Find and classify critical points of ``landscape`` from ``starts`` random starts.

    Args:
        landscape: a Landscape or a name (``landscapes.make`` for parameters).
        starts, seed: number of starting points (from ``landscape.sample``) and their seed.
        method: ``"all"`` (newton, minima and maxima from the same starts, every point any of
            them found), ``"newton"`` (all indices), ``"gradnorm"``, ``"minima"``, ``"maxima"``
            or ``"quench"`` (L-BFGS down, then Newton polish: minima of clusters).
        x0: optional (N, D) starts instead.
        gtol: a point is critical when |grad| <= gtol (1 + |f|) (tangent gradient on the sphere).
        etol: eigenvalues within +-etol count as zero (default 1e-6 times the largest |eigenvalue|);
            a point with such a direction beyond the declared zero modes is flagged degenerate
            and given no index.
        xtol: points closer than this (after the symmetry fingerprint) are one point.
        identify: symmetries to identify points under (default: the landscape's, e.g.
            translation, rotation and permutation of Lennard-Jones atoms).
        domain: ``"box"`` counts points inside the declared domain only (the sphere, and a
            cluster free to translate, are all domain); ``"all"`` counts those found outside too.
        progress: optional ``progress(done, total)`` called between chunks of starts (total:
            starts times searches).

    Ctrl-C or SIGTERM stops it between chunks (a quarter of a second each); what the searches
    found so far is returned, ``stopped_by`` naming the signal and ``warnings`` how far it got.

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
    if domain not in DOMAINS:
        raise ParamError(f"census domain={domain!r} is not allowed; use one of {', '.join(map(repr, DOMAINS))}")
    if isinstance(starts, bool) or not isinstance(starts, (int, np.integer)) or starts < 1:
        raise ParamError(f"starts={starts!r} is not allowed; use an integer >= 1")
    t0 = time.perf_counter()
    n_starts = int(starts) if x0 is None else int(np.shape(x0)[0])
    check_bytes(8.0 * n_starts * land.dim * 4, f"a census from {n_starts:,} starts in dim {land.dim:,}",
                "use fewer starts")  # (the starts, a search's copy, the points found, their fingerprints)
    if x0 is None:
        X0 = land.sample(int(starts), seed=seed)
    else:
        X0 = as_points(np.atleast_2d(np.asarray(x0)), land.dim, f"landscape {land.name!r}", "x0")[0].copy()
    radius = float(land.radius) if land.manifold == "sphere" else 0.0
    lo, hi = land.domain
    trust = float(trust if trust is not None else max(0.5, 0.25 * (hi - lo)))
    ident = tuple(identify if identify is not None else land.identify)
    N = X0.shape[0]
    # searches that walk a box width past the domain have left it (none for a free cluster)
    bound = np.inf if "translation" in ident else max(abs(lo), abs(hi)) + (hi - lo)
    found_x, found_f, found_g, found_slow = [], [], [], []
    outcomes = dict.fromkeys(("converged", "outside", "failed", "left"), 0)
    stopped = ""
    with stop_requests() as stop:
        for k, search in enumerate(_SEARCHES[method]):
            X = X0.copy()
            if search == "quench":
                _quench(land, X, max_iter)
            conv, F, gn, rate = np.zeros(N, np.uint8), np.zeros(N), np.zeros(N), np.zeros(N)
            a, size = 0, 1
            while a < N and not stop:  # chunks keep memory flat, and Ctrl-C is taken between them
                sl = slice(a, min(N, a + size))
                Xc = np.ascontiguousarray(X[sl])
                cc, Fc, gc, rc = conv[sl].copy(), F[sl].copy(), gn[sl].copy(), rate[sl].copy()
                t1 = time.perf_counter()
                search_critical_points(land.value_and_grad_kernel, land.hessian_kernel, Xc, land.data, radius,
                                       _CODES[search], int(max_iter), trust, float(gtol), float(bound),
                                       cc, Fc, gc, rc)
                X[sl], conv[sl], F[sl], gn[sl], rate[sl] = Xc, cc, Fc, gc, rc
                a = sl.stop
                if progress is not None:
                    progress(k * N + a, N * len(_SEARCHES[method]))
                took = time.perf_counter() - t1  # about a quarter of a second a chunk
                size = int(min(chunk, 4 * size, max(1, size * 0.25 / max(took, 1e-6))))
            if stop:
                done = np.arange(N) < a  # starts searched before the signal
                stopped = (f"stopped by {stop.name} in the "
                           f"{search} search after {a} of {N} starts: counts are from the searches done")
                X, conv, F, gn, rate = X[done], conv[done], F[done], gn[done], rate[done]
            ok = conv.astype(bool)
            inside = _inside(land, X, ident)
            outcomes["converged"] += int((ok & inside).sum())
            outcomes["outside"] += int((ok & ~inside).sum())
            outcomes["failed"] += int((~ok & inside).sum())
            outcomes["left"] += int((~ok & ~inside).sum())
            keep = ok & (inside if domain == "box" else True)
            found_x.append(X[keep])
            found_f.append(F[keep])
            found_g.append(gn[keep])
            found_slow.append(rate[keep] > 0.1)
            if stop:
                break
    Xc, Fc, Gc, slow = (np.concatenate(found_x), np.concatenate(found_f), np.concatenate(found_g),
                        np.concatenate(found_slow))
    scale = max(1.0, float(np.abs(Xc).max()) if len(Xc) else 1.0)
    tol = xtol if xtol is not None else 1e-6 * scale
    reps_arr, hits_arr = _unique(fingerprints(land, Xc, ident), tol) if len(Xc) else (np.zeros(0, int),) * 2
    reps = [int(i) for i in reps_arr]
    hits = {int(i): int(h) for i, h in zip(reps_arr, hits_arr)}
    zero_modes = int(land.known.get("zero_modes", 0))
    spectra = {}
    degenerate = []
    for i in reps:
        ev = np.linalg.eigvalsh(manifold_hessian(land, Xc[i]))
        e = etol if etol is not None else 1e-6 * max(1.0, float(np.abs(ev).max()))
        flat = int((np.abs(ev) <= e).sum())
        spectra[i] = (ev, e)
        # degenerate: a flat direction beyond the declared zero modes, or Newton's convergence
        # there was only linear (the hallmark of a singular Hessian at the root)
        if flat > zero_modes or slow[i]:
            degenerate.append(i)
    kept = _merge_degenerate(land, Xc, Fc, Gc, degenerate, gtol)
    for i, members in kept.items():
        hits[i] = sum(hits[m] for m in members)
    flagged = set(degenerate)
    points = []
    for i in reps:
        is_deg = i in flagged
        if is_deg and i not in kept:
            continue
        index, _ = classify(*spectra[i])
        points.append({"value": float(Fc[i]), "index": None if is_deg else index, "degenerate": is_deg,
                       "hits": hits[i], "x": [float(v) for v in Xc[i]]})
    points.sort(key=lambda cp: (cp["value"], -1 if cp["index"] is None else cp["index"]))
    max_index = (land.dim - (1 if radius > 0 else 0)) - zero_modes
    n_searches = sum(outcomes.values())
    n_conv = outcomes["converged"] + outcomes["outside"]
    warnings = [stopped] if stopped else []
    if n_searches and n_conv < LOW_SHARE * n_searches:
        hint = (" (for minima of clusters, method='quench' converges far more often)"
                if method != "quench" else "; more iterations (max_iter) may help")
        warnings.append(f"only {n_conv:,} of {n_searches:,} searches ({100 * n_conv / n_searches:.1f}%) "
                        f"converged to a critical point{hint}")
    return CensusResult(land.describe(), method, N, int(seed), n_conv, ident, points, max_index,
                        time.perf_counter() - t0, versions(), domain, outcomes, warnings,
                        stop.name)

"""How minima connect: transition states by nudged elastic band and eigenvector following,
double-ended connection, and basin-hopping.

* ``neb``: climbing-image nudged elastic band (Henkelman, Uberuaga & Jonsson 2000) with the
  improved tangent (Henkelman & Jonsson 2000), relaxed by FIRE (Bitzek et al. 2006) with a cap
  on how far an image moves a step. Images are evaluated as one batch.
* ``refine_transition_state``: from a band's maximum, eigenvector following on the dense
  Hessian: up along the followed mode, down along every other (Newton where the Hessian
  already has one negative eigenvalue), inside a trust radius; the result is verified as
  index 1 by the Hessian's spectrum (a flat direction beyond the declared zero modes marks it
  degenerate). On the sphere all of it happens in the tangent space.
* ``connect``: the double-ended search of pele and OPTIM: band between the closest pair of
  minima in the two sides' components, every maximum of the band refined, each transition
  state quenched down both sides of its unstable direction, the new minima and transition
  states added to the map, until the two ends share a component (or attempts run out).
* ``basin_hopping``: perturb, quench, accept by Metropolis (Wales & Doye 1997); clusters stay
  in a spherical container.

Endpoints are aligned under the landscape's symmetries before a band is built: the sign of a
p-spin configuration; for clusters centre, permutation (Hungarian assignment) and rotation
(Kabsch, reflections allowed: the energy cannot tell mirror images apart, and the census
counts them as one).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from saddlescape.landscapes import Landscape, ParamError

from ._geometry import EXACT_MAX_DIM, tangent_basis
from ._quench import quench

__all__ = ["Band", "BasinHoppingResult", "ConnectResult", "TransitionState", "align", "basin_hopping",
           "connect", "neb", "refine_transition_state"]

BAND_STEPS = 800  # a connection's bands: steps at most (a band that has not settled by then rarely helps)
MAXMOVE, DT_MAX = 0.1, 10.0  # FIRE's cap on an image's move (in feature scales) and on its time step (in dt0)

# Basin-hopping temperatures from the literature (kT in the landscape's energy unit)
BH_TEMPERATURE = {"lennard-jones": 0.8}  # Wales & Doye 1997


def _is_cluster(land: Landscape) -> bool:
    return {"translation", "rotation", "permutation"} <= set(land.identify) and land.dim % 3 == 0


def _on_manifold(land: Landscape, X: np.ndarray) -> np.ndarray:
    if land.manifold == "sphere":
        X *= float(land.radius) / np.linalg.norm(X, axis=-1, keepdims=True)
    return X


def _tangent(land: Landscape, X: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Gradients tangent to the manifold (the sphere's radial part removed)."""
    if land.manifold != "sphere":
        return G
    return G - (np.einsum("ij,ij->i", X, G) / np.einsum("ij,ij->i", X, X))[:, None] * X


def _values_grads(land: Landscape, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from ._census import _tangent_grad

    with np.errstate(all="ignore"):
        return _tangent_grad(land, np.ascontiguousarray(X))


# -- alignment under symmetries -------------------------------------------------------------------
def _kabsch(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """The orthogonal matrix R (reflections allowed) minimising |Q R - P| for centred (n, 3) sets."""
    U, _, Vt = np.linalg.svd(Q.T @ P)
    return U @ Vt


def _align_cluster(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """b's atoms centred on a's, relabelled and rotated to lie as close to a's as found."""
    from scipy.optimize import linear_sum_assignment

    A = a.reshape(-1, 3)
    A = A - A.mean(axis=0)
    B = b.reshape(-1, 3)
    B = B - B.mean(axis=0)
    ca = a.reshape(-1, 3).mean(axis=0)
    # starting orientations: principal axes matched with every choice of signs
    _, _, va = np.linalg.svd(A, full_matrices=False)
    _, _, vb = np.linalg.svd(B, full_matrices=False)
    best, best_d = B, np.inf
    for signs in np.array(np.meshgrid([1, -1], [1, -1], [1, -1])).T.reshape(-1, 3):
        Bk = B @ (vb.T @ np.diag(signs) @ va)
        for sweep in range(20):  # relabel, rotate, until the labels stop changing
            cost = ((A[:, None, :] - Bk[None, :, :]) ** 2).sum(axis=2)
            new = linear_sum_assignment(cost)[1]
            Bk = Bk[new] @ _kabsch(A, Bk[new])
            if sweep > 0 and np.array_equal(new, np.arange(len(B))):
                break
        d = float(np.linalg.norm(Bk - A))
        if d < best_d - 1e-12:
            best, best_d = Bk, d
    return (best + ca).reshape(-1)


def align(landscape: Any, a: Any, b: Any) -> np.ndarray:
    """``b`` moved by the landscape's symmetries as close to ``a`` as found (a copy): the sign
    on a sign-symmetric landscape; centring, relabelling and rotation for clusters."""
    from ._resolve import resolve_landscape

    land = resolve_landscape(landscape)
    a = np.asarray(a, float).reshape(-1)
    b = np.array(b, dtype=float).reshape(-1)
    if _is_cluster(land):
        return _align_cluster(a, b)
    if "sign" in land.identify and np.linalg.norm(a + b) < np.linalg.norm(a - b):
        return -b
    return b


# -- the band -----------------------------------------------------------------------------------
@dataclass
class Band:
    """A relaxed elastic band: ``images`` (K, D) from one end to the other, their ``energies``,
    the ``climbing`` image's index, the largest force left (``force``), ``iterations`` taken."""

    images: np.ndarray
    energies: np.ndarray
    climbing: int
    force: float
    iterations: int
    converged: bool
    degenerate: list[float] = field(default_factory=list)  # energies of degenerate saddles its maxima led to

    def maxima(self) -> list[int]:
        """Interior images higher than both neighbours (transition-state candidates), highest first."""
        E = self.energies
        idx = [i for i in range(1, len(E) - 1) if E[i] >= E[i - 1] and E[i] >= E[i + 1]]
        return sorted(idx, key=lambda i: -E[i])

    def tangent(self, i: int) -> np.ndarray:
        t = self.images[min(i + 1, len(self.images) - 1)] - self.images[max(i - 1, 0)]
        return t / max(np.linalg.norm(t), 1e-300)


def _curvature_scale(land: Landscape, x: np.ndarray) -> float:
    """The largest |Hessian eigenvalue| at x (by power iteration above the dense limit)."""
    if land.dim <= EXACT_MAX_DIM:
        with np.errstate(all="ignore"):
            ev = np.linalg.eigvalsh(land.hessian(x))
        top = float(np.nanmax(np.abs(ev))) if np.isfinite(ev).any() else 1.0
    else:
        from ._geometry import top_curvature

        top = float(top_curvature(land, x[None, :])[0])
    return max(top, 1e-12)


def _without_rigid_motion(X: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Forces on cluster images with each image's translations and rotations taken out: an
    energy that does not change under them leaves the images free to drift and spin along them,
    and a band whose images turn into differently oriented copies of one minimum comes apart.
    The rotation taken out is w x r with I w = sum r x F (I the inertia tensor, unit masses): the
    orthogonal projection onto the rotations."""
    K = X.shape[0]
    A = X.reshape(K, -1, 3)
    A = A - A.mean(axis=1, keepdims=True)
    G = F.reshape(K, -1, 3)
    G = G - G.mean(axis=1, keepdims=True)
    L = np.cross(A, G).sum(axis=1)
    M = np.einsum("kni,knj->kij", A, A)
    inertia = np.trace(M, axis1=1, axis2=2)[:, None, None] * np.eye(3) - M
    w = np.einsum("kij,kj->ki", np.linalg.pinv(inertia, rcond=1e-10, hermitian=True), L)  # (a linear image: 2 rotations)
    return (G - np.cross(w[:, None, :], A)).reshape(K, -1)


def _improved_tangents(X: np.ndarray, E: np.ndarray) -> np.ndarray:
    """Henkelman & Jonsson (2000) tangents at the interior images (unit rows, K-2 of them)."""
    tp = X[2:] - X[1:-1]
    tm = X[1:-1] - X[:-2]
    Ep, E0, Em = E[2:], E[1:-1], E[:-2]
    dmax = np.maximum(np.abs(Ep - E0), np.abs(Em - E0))
    dmin = np.minimum(np.abs(Ep - E0), np.abs(Em - E0))
    up = (Ep > E0) & (Em < E0)
    down = (Ep < E0) & (Em > E0)
    mixed_up = ~(up | down) & (Ep > Em)
    T = np.where(up[:, None], tp, tm)
    T = np.where(mixed_up[:, None], tp * dmax[:, None] + tm * dmin[:, None], T)
    T = np.where((~(up | down) & ~mixed_up)[:, None], tp * dmin[:, None] + tm * dmax[:, None], T)
    return T / np.maximum(np.linalg.norm(T, axis=1, keepdims=True), 1e-300)


def _idpp_path(a: np.ndarray, b: np.ndarray, K: int) -> np.ndarray:
    """K images from cluster ``a`` to ``b`` (aligned) by image-dependent pair potentials (Smidstrup
    et al. 2014): each interior image moved from the straight line to where its interatomic
    distances come closest to the interpolated distances, weighted 1/d^4. On the straight line
    atoms pass through each other (a 38-atom band started there sat 150 epsilon above its ends
    after 2,000 steps); here they go round."""
    from scipy.optimize import minimize

    A, B = a.reshape(-1, 3), b.reshape(-1, 3)
    i, j = np.triu_indices(len(A), 1)
    da = np.linalg.norm(A[i] - A[j], axis=1)
    db = np.linalg.norm(B[i] - B[j], axis=1)
    out = np.empty((K, a.size))
    out[0], out[-1] = a, b
    for k in range(1, K - 1):
        t = k / (K - 1)
        target = (1 - t) * da + t * db
        line = (1 - t) * A + t * B

        def fg(y: np.ndarray, target: np.ndarray = target) -> tuple[float, np.ndarray]:
            P = y.reshape(-1, 3)
            r = P[i] - P[j]
            d = np.maximum(np.linalg.norm(r, axis=1), 1e-6)
            w = 1.0 / d ** 4
            e = target - d
            # d/dd [w e^2] = -4 e^2 / d^5 - 2 w e
            coef = (-4.0 * e * e / d ** 5 - 2.0 * w * e) / d
            G = np.zeros_like(P)
            np.add.at(G, i, coef[:, None] * r)
            np.add.at(G, j, -coef[:, None] * r)
            return float(np.sum(w * e * e)), G.reshape(-1)

        y = minimize(fg, line.reshape(-1), jac=True, method="L-BFGS-B", options={"maxiter": 500}).x.reshape(-1, 3)
        yc = y - y.mean(axis=0)
        lc = line.mean(axis=0)
        out[k] = (yc @ _kabsch(line - lc, yc) + lc).reshape(-1)  # its rigid motion back to the line's frame
    return out


def neb(landscape: Any, a: Any, b: Any, *, images: int = 12, iterations: int = 2000, tol: float | None = None,
        climbing: bool = True, spring: float | None = None, aligned: bool = False) -> Band:
    """Relax a nudged elastic band of ``images`` interior images between points ``a`` and ``b``.

    ``tol``: stop when every image's NEB force is below it (default 1e-3 of the curvature at
    ``a`` times the feature scale: the band only has to bring the climbing image near the
    transition state, which ``refine_transition_state`` then converges). ``spring``: the
    spring constant (default a tenth of the largest curvature at ``a``).
    """
    from ._resolve import resolve_landscape

    land = resolve_landscape(landscape)
    if isinstance(images, bool) or not isinstance(images, (int, np.integer)) or not 1 <= images <= 1000:
        raise ParamError(f"images={images!r} is not allowed; use an integer from 1 to 1000")
    a = np.asarray(a, float).reshape(-1)
    b = np.asarray(b, float).reshape(-1)
    if not aligned:
        b = align(land, a, b)
    K = int(images) + 2
    cluster = _is_cluster(land)
    t = np.linspace(0.0, 1.0, K)[:, None]
    X = _idpp_path(a, b, K) if cluster else _on_manifold(land, (1 - t) * a[None, :] + t * b[None, :])
    lam = _curvature_scale(land, a)
    k = float(spring) if spring is not None else 0.1 * lam
    dt0 = 0.1 / math.sqrt(lam + 4.0 * k)
    scale = float(land.feature_scale)
    tol = float(tol) if tol is not None else 1e-3 * lam * scale
    maxmove = MAXMOVE * scale
    V = np.zeros_like(X)
    dt, alpha, since = dt0, 0.1, 0
    E, G = _values_grads(land, X)
    ci = -1
    it = 0
    fmax = np.inf
    for it in range(1, iterations + 1):
        T = _improved_tangents(X, E)
        inner = G[1:-1]
        along = np.einsum("ij,ij->i", inner, T)
        Fperp = -(inner - along[:, None] * T)
        seg = np.linalg.norm(np.diff(X, axis=0), axis=1)
        Fspring = (k * (seg[1:] - seg[:-1]))[:, None] * T
        Fn = Fperp + Fspring
        if ci >= 0:
            Fn[ci] = -inner[ci] + 2.0 * along[ci] * T[ci]
        F = np.zeros_like(X)
        F[1:-1] = Fn
        if land.manifold == "sphere":
            F = _tangent(land, X, F)
        elif cluster:
            F = _without_rigid_motion(X, F)
        fnorm = np.linalg.norm(F, axis=1)
        fmax = float(fnorm.max()) if np.all(np.isfinite(fnorm)) else np.inf
        if climbing and ci < 0 and (fmax <= 10 * tol or it > iterations // 2):
            # the plain band has settled: one maximum climbs from now on (chosen once; re-choosing
            # each step on a band of several near-equal bumps made it hop and tore the band apart).
            # A band with several maxima does not climb: each maximum is refined on its own.
            tops = [i for i in range(1, K - 1) if E[i] >= E[i - 1] and E[i] >= E[i + 1]]
            climbing = len(tops) == 1
            ci = tops[0] - 1 if climbing else -1
            if climbing:
                V[:] = 0.0
                continue
        if fmax <= tol and not (climbing and ci < 0):
            break
        F = np.where(np.isfinite(F), F, 0.0)
        # FIRE
        P = float(np.sum(F * V))
        fn, vn = np.linalg.norm(F), np.linalg.norm(V)
        if P > 0:
            V = (1 - alpha) * V + alpha * vn * F / max(fn, 1e-300)
            since += 1
            if since > 5:
                dt, alpha = min(1.1 * dt, DT_MAX * dt0), 0.99 * alpha
        else:
            V[:] = 0.0
            dt, alpha, since = 0.5 * dt, 0.1, 0
        V += dt * F
        step = dt * V
        sn = np.linalg.norm(step, axis=1, keepdims=True)
        step *= np.minimum(1.0, maxmove / np.maximum(sn, 1e-300))
        X[1:-1] += step[1:-1]
        _on_manifold(land, X)
        E, G = _values_grads(land, X)
    if ci < 0:
        ci = int(np.argmax(E[1:-1]))
    return Band(X, E, ci + 1, fmax, it, fmax <= tol)


# -- transition states ----------------------------------------------------------------------------
@dataclass
class TransitionState:
    """A first-order saddle: ``x``, ``energy``, the manifold Hessian's ``eigenvalues`` (ascending),
    the unstable ``direction`` (unit, ambient coordinates), |g| left (``gradient``), ``index``
    (1 when verified), ``degenerate`` (a flat direction beyond the declared zero modes)."""

    x: np.ndarray
    energy: float
    eigenvalues: np.ndarray
    direction: np.ndarray
    gradient: float
    index: int
    degenerate: bool
    converged: bool

    @property
    def verified(self) -> bool:
        return self.converged and self.index == 1 and not self.degenerate


def _manifold_parts(land: Landscape, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray | None]:
    """f, the gradient and Hessian in the manifold's coordinates, and the tangent basis (None when flat)."""
    f, g = land.value_and_grad(x)
    H = land.hessian(x)
    if land.manifold != "sphere":
        return float(f), np.asarray(g), H, None
    P = tangent_basis(x)
    return float(f), P.T @ g, P.T @ (H - (x @ g) / (x @ x) * np.eye(x.size)) @ P, P


def _spectrum_facts(land: Landscape, ev: np.ndarray, etol: float | None) -> tuple[int, bool, float]:
    e = etol if etol is not None else 1e-6 * max(1.0, float(np.abs(ev).max()))
    zero_modes = int(land.known.get("zero_modes", 0))
    return int((ev < -e).sum()), int((np.abs(ev) <= e).sum()) > zero_modes, e


def refine_transition_state(landscape: Any, x: Any, *, direction: Any = None, gtol: float = 1e-9,
                            max_iter: int = 200, trust: float | None = None,
                            etol: float | None = None) -> TransitionState:
    """Converge to the transition state near ``x`` by eigenvector following on the dense Hessian,
    following the mode closest to ``direction`` (e.g. the band's tangent; default the lowest),
    and verify its index by the Hessian's spectrum."""
    from ._resolve import resolve_landscape

    land = resolve_landscape(landscape)
    if land.dim > EXACT_MAX_DIM:
        raise ParamError(f"transition-state search needs the dense Hessian: dim={land.dim:,} is above "
                         f"{EXACT_MAX_DIM:,}")
    x = _on_manifold(land, np.array(x, dtype=float).reshape(1, -1))[0]
    zero_modes = int(land.known.get("zero_modes", 0))
    trust = float(trust if trust is not None else 0.1 * land.feature_scale)
    follow = None if direction is None else np.asarray(direction, float).reshape(-1)
    converged = False
    gn = np.inf
    f = np.nan
    lam = np.zeros(0)
    mode = np.zeros(0)
    P = None
    with np.errstate(all="ignore"):
        for _ in range(max_iter + 1):
            f, g, H, P = _manifold_parts(land, x)
            gn = float(np.linalg.norm(g))
            if not (np.isfinite(f) and np.isfinite(gn) and np.all(np.isfinite(H))):
                break
            lam, V = np.linalg.eigh(0.5 * (H + H.T))
            big = max(float(np.abs(lam).max()), 1e-300)
            flat = np.argsort(np.abs(lam))[:zero_modes] if zero_modes else np.zeros(0, int)
            live = np.ones(len(lam), bool)
            live[flat] = False
            if follow is not None:
                fv = follow if P is None else P.T @ follow
                overlap = np.abs(V.T @ fv) * live
                k = int(np.argmax(overlap))
            else:
                k = int(np.flatnonzero(live)[0])
            mode = V[:, k]
            follow = mode if P is None else P @ mode
            if gn <= gtol * (1.0 + abs(f)):
                converged = True
                break
            c = V.T @ g
            d = np.zeros_like(c)
            for i in range(len(lam)):
                if not live[i]:
                    continue
                li = max(abs(lam[i]), 1e-8 * big)
                d[i] = c[i] / li if i != k else -c[i] / li
            step = V @ d
            sn = float(np.linalg.norm(step))
            if sn > trust:
                step *= trust / sn
            step = step if P is None else P @ step
            x = _on_manifold(land, (x - step)[None, :])[0]
    ev = np.sort(lam)
    index, degenerate, _ = _spectrum_facts(land, ev, etol) if len(ev) else (0, True, 0.0)
    unit = follow / max(np.linalg.norm(follow), 1e-300) if follow is not None and len(mode) else np.zeros(land.dim)
    return TransitionState(x, float(f), ev, unit, gn, index, degenerate, converged)


def _descend_both_sides(land: Landscape, ts: TransitionState) -> list[tuple[np.ndarray, float, bool]]:
    """Quench from just below the transition state on either side of its unstable direction,
    in steps of at most a tenth of the feature scale: which minima a transition state joins is
    where steepest descent goes, and a quasi-Newton step as long as a basin is wide lands in the
    next basin (rastrigin's complete map had 176 of 220 transition states joining the wrong pair
    with steps up to the feature scale)."""
    out = []
    for sign in (1.0, -1.0):
        h = 1e-3 * land.feature_scale
        y = ts.x
        for _ in range(30):  # step out until the energy has measurably dropped
            y = _on_manifold(land, (ts.x + sign * h * ts.direction)[None, :])[0]
            with np.errstate(all="ignore"):
                fy = float(land.value(y))
            if fy < ts.energy - 1e-10 * (1 + abs(ts.energy)):
                break
            h *= 2.0
        out.append(quench(land, y, maxstep=0.1 * land.feature_scale))
    return out


# -- the double-ended connection -----------------------------------------------------------------
@dataclass
class ConnectResult:
    """What a connect run found: whether ``a`` and ``b`` (map ids) are now connected, the
    minimax ``path`` (alternating minimum and transition-state ids, from ``a`` to ``b``), its
    ``barrier`` (highest transition state minus E(a)), ids added, and the last band drawn."""

    a: int
    b: int
    connected: bool
    path: list[tuple[str, int]]
    barrier: float | None
    new_minima: list[int]
    new_transition_states: list[int]
    attempts: int
    elapsed_s: float
    bands: list[Band] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"from": self.a, "to": self.b, "connected": self.connected, "barrier": self.barrier,
                "path": [{"kind": k, "id": i} for k, i in self.path], "new_minima": self.new_minima,
                "new_transition_states": self.new_transition_states, "attempts": self.attempts,
                "elapsed_s": self.elapsed_s, "warnings": self.warnings}


def _band_minima(lmap: Any, band: Band) -> list[int]:
    """Quench the band's interior dips (images lower than both neighbours): minima between the
    ends that the next attempts can route through."""
    E = band.energies
    out = []
    for i in range(1, len(E) - 1):
        if E[i] < E[i - 1] and E[i] < E[i + 1]:
            y, fy, ok = quench(lmap.landscape, band.images[i])
            if ok:
                mid, added = lmap.add_minimum(y, fy, found_by="connect")
                if added:
                    out.append(mid)
    return out


class _Distances:
    """Distances between minima of a map: by symmetry fingerprints (no alignment; a cheap guide
    to which minima are near) and after alignment under the landscape's symmetries (on clusters
    an assignment problem, milliseconds a pair), each computed once."""

    def __init__(self, lmap: Any) -> None:
        self.lmap = lmap
        self.cache: dict[tuple[int, int], float] = {}
        self.fp: dict[int, np.ndarray] = {}

    def fingerprints(self, ids: list[int]) -> np.ndarray:
        from ._critical import fingerprints

        land = self.lmap.landscape
        todo = [i for i in ids if i not in self.fp]
        if todo:
            new = fingerprints(land, np.array([self.lmap.minimum_x(i) for i in todo]), tuple(land.identify))
            self.fp.update(zip(todo, new))
        return np.array([self.fp[i] for i in ids])

    def __call__(self, u: int, v: int) -> float:
        key = (min(u, v), max(u, v))
        if key not in self.cache:
            xu = self.lmap.minimum_x(key[0])
            self.cache[key] = float(np.linalg.norm(align(self.lmap.landscape, xu, self.lmap.minimum_x(key[1])) - xu))
        return self.cache[key]


def _start_nodes(lmap: Any, a: int, b: int, dist: _Distances, nodes: int) -> set[int]:
    """Minima a connection between ``a`` and ``b`` starts from: the two ends, the members of
    each end's component nearest the other end, and the other minima nearest either end
    (``nodes`` of each at most; nearness by fingerprints)."""
    ids = lmap.minimum_ids()
    F = dist.fingerprints(ids)
    where = {i: k for k, i in enumerate(ids)}

    def near(to: int, among: list[int]) -> list[int]:
        if not among:
            return []
        d = np.sum((F[[where[i] for i in among]] - F[where[to]]) ** 2, axis=1)
        return [among[k] for k in np.argsort(d, kind="stable")[:nodes]]

    side_a, side_b = lmap.component(a), lmap.component(b)
    others = [i for i in ids if not lmap.connected(i, a) and not lmap.connected(i, b)]
    return {a, b} | set(near(b, side_a)) | set(near(a, side_b)) | set(near(a, others)) | set(near(b, others))


def _unconnected_steps(lmap: Any, a: int, b: int, nodes: set[int], dist: _Distances,
                       tried: set[tuple[int, int]], blocked: set[int] | frozenset[int] = frozenset(),
                       neighbours: int = 25) -> list[tuple[int, int]] | None:
    """The steps still missing on the shortest path from ``a`` to ``b`` over ``nodes`` (the
    double-ended strategy of OPTIM and pele, Carr, Trygubenko & Wales 2005): joined pairs cost
    nothing, the others their squared aligned distance (so the path prefers many short steps to
    one long one), pairs already ``tried`` and minima in ``blocked`` (left only
    through the transition states already found) are left out. Unjoined pairs are
    considered between each minimum and its ``neighbours`` nearest by fingerprint (aligning every
    pair of a few hundred cluster minima took most of a connection's time), all pairs when that
    leaves no path. None when no path is left."""
    import heapq

    order = sorted(nodes)
    n = len(order)
    F = dist.fingerprints(order)
    sq = np.sum(F * F, axis=1)
    near = np.argsort(sq[:, None] + sq[None, :] - 2.0 * F @ F.T, axis=1, kind="stable")[:, :neighbours + 1]
    close: list[set[int]] = [set() for _ in range(n)]
    for i in range(n):
        for j in near[i]:
            if i != j:
                close[i].add(int(j))
                close[int(j)].add(i)
    root = [lmap._find(v) for v in order]
    for everything in (False, True):
        start, goal = order.index(a), order.index(b)
        best = {start: 0.0}
        prev: dict[int, int] = {}
        heap = [(0.0, start)]
        done: set[int] = set()
        while heap:
            d, i = heapq.heappop(heap)
            if i in done:
                continue
            done.add(i)
            if i == goal:
                break
            u = order[i]
            for j in range(n):
                if j in done:
                    continue
                v = order[j]
                if root[i] == root[j]:
                    w = 0.0
                elif (not (everything or j in close[i]) or u in blocked or v in blocked
                      or (min(u, v), max(u, v)) in tried):
                    continue
                else:
                    w = dist(u, v) ** 2
                if d + w < best.get(j, np.inf):
                    best[j], prev[j] = d + w, i
                    heapq.heappush(heap, (d + w, j))
        if goal in done:
            break
    else:
        return None
    j, steps = goal, []
    while j != start:
        steps.append((order[prev[j]], order[j]))
        j = prev[j]
    return [(u, v) for u, v in reversed(steps) if not lmap.connected(u, v)]


def _minima_between(lmap: Any, u: int, v: int, *, spacing: float = 0.4) -> list[int]:
    """Quench points along the straight line from minimum ``u`` to minimum ``v`` (aligned to
    it), one every ``spacing`` feature scales: the other minima met on the way, in order. A long
    step becomes several short ones, which bands join far more reliably: between the two funnels
    of Lennard-Jones 38 a band across the whole distance never settles."""
    land = lmap.landscape
    xu = lmap.minimum_x(u)
    xv = align(land, xu, lmap.minimum_x(v))
    n = int(np.clip(np.ceil(np.linalg.norm(xv - xu) / (spacing * land.feature_scale)), 4, 64))
    out: list[int] = []
    for s in np.linspace(0.0, 1.0, n + 1)[1:-1]:
        y, fy, ok = quench(land, _on_manifold(land, ((1 - s) * xu + s * xv)[None, :])[0])
        if ok and np.isfinite(fy):
            mid = lmap.add_minimum(y, fy, found_by="connect")[0]
            if mid >= 0 and mid not in (u, v) and mid not in out:
                out.append(mid)
    return out


def connect_in_map(lmap: Any, a: int, b: int, *, images: int = 12, max_attempts: int = 50,
                   stop: Any = None) -> ConnectResult:
    """Connect minima ``a`` and ``b`` of a ``LandscapeMap`` (ids), adding what is found to it.

    Each round takes the shortest path from ``a`` to ``b`` over the minima known to the search
    (``_unconnected_steps``) and works on every step of it still missing: the first time a pair
    comes up, the straight line between them is quenched for minima in between
    (``_minima_between``) and, when there are none, a band joins them, every maximum refined and
    confirmed, every dip quenched to a minimum; either way the pair is not proposed again. A
    minimum that two bands could not leave is searched single-ended (``explore_from_minimum``).
    Until ``a`` and ``b`` share a component, or ``max_attempts`` bands were tried."""
    t0 = time.perf_counter()
    last_min = max(lmap.minimum_ids(), default=0)
    last_ts = max((t["id"] for t in lmap.transition_states()), default=0)
    bands: list[Band] = []
    warnings: list[str] = []
    tried: set[tuple[int, int]] = set()  # pairs split by minima between them, or banded (a second,
    # longer band on a pair joined nothing in twelve tries on LJ38)
    failed: dict[int, int] = {}
    searched: set[int] = set()
    explored: set[int] = set()  # searched, and transition states out of it found
    dist = _Distances(lmap)
    nodes = _start_nodes(lmap, a, b, dist, 10)
    attempts = 0
    while not lmap.connected(a, b) and attempts < max_attempts and not stop:
        steps = _unconnected_steps(lmap, a, b, nodes, dist, tried, explored)
        if steps is None:
            warnings.append("every pair of minima between the two sides was tried")
            break
        for u, v in steps:
            if attempts >= max_attempts or stop:
                break
            tried.add((min(u, v), max(u, v)))
            between = _minima_between(lmap, u, v)
            if between:  # no band across other basins: the path goes through them
                nodes.update(between)
                continue
            attempts += 1
            # bands that join their pair settle within ~400 steps (LJ38); one still moving at
            # BAND_STEPS has its maxima refined as they are
            added, band = connect_pair_once(lmap, u, v, images=images, iterations=BAND_STEPS)
            bands.append(band)
            nodes.update(_band_minima(lmap, band))
            touched = {m for t in lmap.transition_states(added) for m in (t["minimum1"], t["minimum2"])}
            nodes.update(touched)
            for m in (u, v):
                # a minimum no band gets out of (the deep, symmetric fcc bottom of Lennard-Jones 38):
                # its own transition states by eigenvector following from it, once; from then on
                # the path leaves it through them
                failed[m] = failed.get(m, 0) + (m not in touched)
                if failed[m] >= 2 and m not in explored and m not in searched:
                    searched.add(m)
                    around = {x for t in lmap.transition_states(explore_from_minimum(lmap, m, modes=12))
                              for x in (t["minimum1"], t["minimum2"])}
                    nodes.update(around)
                    if m in around:
                        explored.add(m)
    connected = lmap.connected(a, b)
    path, barrier = lmap.minimax_path(a, b) if connected else ([], None)
    flagged = sorted({round(e, 10) for band in bands for e in band.degenerate})
    if flagged:
        warnings.append(f"{len(flagged)} saddle(s) of index 1 with a flat direction beyond the zero modes "
                        f"(degenerate; not stored) at E = {', '.join(f'{e:.6g}' for e in flagged)}")
    if not connected and not any(w.startswith("every pair") for w in warnings):
        warnings.append(f"not connected after {attempts} band(s)" + (" (stopped)" if stop else
                        "; more may join them (max_attempts, or --attempts on the command line)"))
    new_min = [i for i in lmap.minimum_ids() if i > last_min]
    new_ts = [t["id"] for t in lmap.transition_states() if t["id"] > last_ts]
    return ConnectResult(a, b, connected, path, barrier, new_min, new_ts, attempts,
                         time.perf_counter() - t0, bands, warnings)


def connect(landscape: Any, a: Any, b: Any, *, images: int = 12, max_attempts: int = 50,
            db: Any = None) -> tuple[ConnectResult, Any]:
    """Find the transition states joining the minima below points ``a`` and ``b``.

    Both points are quenched to their minima first. Returns (result, map): the map holds every
    minimum and transition state found (``db``: a file to keep them in, or an open
    ``LandscapeMap``; default a map in memory).

    Example:
        >>> import saddlescape
        >>> res, m = saddlescape.connect("himmelblau", [3.0, 2.0], [-2.8, 3.1])
        >>> res.connected, len(res.path)
        (True, 3)
    """
    from ._landmap import LandscapeMap
    from ._resolve import resolve_landscape

    lmap = db if isinstance(db, LandscapeMap) else LandscapeMap(db if db is not None else ":memory:",
                                                                resolve_landscape(landscape))
    land = lmap.landscape
    ids = []
    for what, p in (("a", a), ("b", b)):
        from saddlescape.landscapes._base import as_points

        x = as_points(p, land.dim, f"landscape {land.name!r}", what)[0][0]
        y, fy, ok = quench(land, x)
        if not ok:
            raise ParamError(f"{what}: no minimum found below this point (the quench did not converge)")
        ids.append(lmap.add_minimum(y, fy, found_by="connect")[0])
    if ids[0] == ids[1]:
        raise ParamError("a and b fall into the same minimum; give points in two different basins")
    return connect_in_map(lmap, ids[0], ids[1], images=images, max_attempts=max_attempts), lmap


# -- basin-hopping ---------------------------------------------------------------------------------
@dataclass
class BasinHoppingResult:
    """``best`` (x) and ``best_energy``; ``steps`` taken; ``accepted``; the step at which the
    best was first found (``found_at``) and the seconds to it (``found_after_s``); map ids added."""

    best: np.ndarray
    best_energy: float
    steps: int
    accepted: int
    found_at: int
    found_after_s: float
    elapsed_s: float
    new_minima: list[int]
    reached_target: bool | None


def _container(land: Landscape, x: np.ndarray) -> np.ndarray:
    """Atoms pulled back inside a sphere around the cluster's centre (GMIN's container), so a
    perturbation cannot evaporate them."""
    A = x.reshape(-1, 3)
    c = A.mean(axis=0)
    R = 1.0 + (3.0 * len(A) / (4.0 * math.pi * math.sqrt(2.0))) ** (1.0 / 3.0)
    r = np.linalg.norm(A - c, axis=1)
    far = r > R
    A[far] = c + (A[far] - c) * (R / r[far])[:, None]
    return (A - c).reshape(-1)


def basin_hopping(landscape: Any, steps: int, *, seed: int = 0, temperature: float | None = None,
                  step_size: float | None = None, x0: Any = None, lmap: Any = None, target: float | None = None,
                  record: bool = True, stop: Any = None,
                  progress: Callable[[int, float], None] | None = None) -> BasinHoppingResult:
    """Basin-hopping (Wales & Doye 1997): random moves of every coordinate by up to ``step_size``
    (adjusted every 50 steps towards half the moves accepted), a quench, Metropolis acceptance
    at ``temperature``. Stops early at ``target`` (an energy, e.g. the known global minimum).

    Defaults: kT = 0.8 for Lennard-Jones (Wales & Doye), else the spread of the first quenched
    energies; ``step_size`` the feature scale (0.36 sigma-ish moves on clusters, as GMIN).
    With ``lmap`` every distinct minimum visited is added to that map.
    """
    from ._resolve import resolve_landscape

    land = resolve_landscape(landscape)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ParamError(f"steps={steps!r} is not allowed; use an integer >= 0")
    t0 = time.perf_counter()
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xB4]))
    cluster = _is_cluster(land)
    x = land.sample(1, seed=seed)[0] if x0 is None else np.asarray(x0, float).reshape(-1).copy()
    x, f, _ = quench(land, x, gtol=1e-7)
    s = float(step_size if step_size is not None else (0.7 if cluster else 1.0) * land.feature_scale)
    kT = temperature if temperature is not None else BH_TEMPERATURE.get(land.name)
    new: list[int] = []
    if kT is None:  # the spread of energies one move away
        trial = [quench(land, x + rng.uniform(-s, s, land.dim), gtol=1e-7)[1] for _ in range(10)]
        kT = max(float(np.std([*trial, f])), 1e-12)
    best, best_f, found_at, found_t = x.copy(), f, 0, time.perf_counter() - t0
    accepted = window = 0

    def keep(y: np.ndarray, fy: float) -> None:
        # a minimum the map has already needs no polish (most hops revisit known minima)
        if lmap is not None and record and lmap.find_minimum(y, fy) is None:
            yp, fp, ok = quench(land, y, gtol=1e-10)
            if ok:
                mid, added = lmap.add_minimum(yp, fp, found_by="basin-hopping")
                if added:
                    new.append(mid)

    keep(x, f)
    step = 0
    reached = target is not None and f <= target + 1e-6 * (1 + abs(target))
    while step < int(steps) and not reached and not stop:
        step += 1
        y = x + rng.uniform(-s, s, land.dim)
        if cluster:
            y = _container(land, y)
        y = _on_manifold(land, y[None, :])[0]
        y, fy, ok = quench(land, y, gtol=1e-7)
        if ok and np.isfinite(fy):
            keep(y, fy)
            if fy < best_f - 1e-9 * (1 + abs(best_f)):
                best, best_f, found_at, found_t = y.copy(), fy, step, time.perf_counter() - t0
            if fy <= f or rng.random() < math.exp(-(fy - f) / kT):
                x, f = y, fy
                accepted += 1
                window += 1
        if step % 50 == 0:  # towards half the moves accepted
            s *= 1.1 if window > 25 else 0.9
            window = 0
        if progress is not None:
            progress(step, best_f)
        if target is not None and best_f <= target + 1e-6 * (1 + abs(target)):
            reached = True
    return BasinHoppingResult(best, best_f, step, accepted, found_at, found_t, time.perf_counter() - t0, new,
                              None if target is None else bool(reached))


# -- filling a map ----------------------------------------------------------------------------------
def connect_pair_once(lmap: Any, i: int, j: int, *, images: int = 12,
                      iterations: int = 2000) -> tuple[list[int], Band]:
    """One band between minima ``i`` and ``j`` of the map (at most ``iterations`` steps), every
    maximum refined and confirmed (quenched down both sides); the ids of transition states
    added, and the band."""
    land = lmap.landscape
    band = neb(land, lmap.minimum_x(i), lmap.minimum_x(j), images=images, iterations=iterations)
    added_ts = []
    for c in band.maxima() or [band.climbing]:
        ts = refine_transition_state(land, band.images[c], direction=band.tangent(c))
        if ts.converged and ts.index == 1 and ts.degenerate:
            band.degenerate.append(ts.energy)  # flagged, not stored: which way is down is not known
        if not ts.verified:
            continue
        tid = _confirm(lmap, ts, "connect")
        if tid is not None:
            added_ts.append(tid)
    return added_ts, band


def _confirm(lmap: Any, ts: TransitionState, found_by: str) -> int | None:
    """Quench down both sides of a verified transition state; add it (and any new minimum) to the
    map when the sides reach two different minima. The new transition state's id, or None."""
    ends = []
    for y, fy, ok in _descend_both_sides(lmap.landscape, ts):
        ends.append(lmap.add_minimum(y, fy, found_by=found_by)[0] if ok else -1)
    if min(ends) < 0 or ends[0] == ends[1]:
        return None
    tid, added = lmap.add_transition_state(ts, ends[0], ends[1])
    return tid if added else None


def parse_connect(spec: str) -> tuple[str, int]:
    """``"all"`` or ``"lowest:K"`` -> (mode, K)."""
    if spec == "all":
        return "all", 0
    if spec.startswith("lowest:"):
        k = spec.split(":", 1)[1]
        if k.isdigit() and int(k) >= 2:
            return "lowest", int(k)
    raise ParamError(f"connect={spec!r} is not allowed; use 'all' or 'lowest:K' with K >= 2")


def explore_from_minimum(lmap: Any, i: int, *, modes: int = 4) -> list[int]:
    """Single-ended searches: eigenvector following uphill from minimum ``i`` along each of its
    ``modes`` softest Hessian modes, both ways (Cerjan & Miller 1981; Wales 1994), each
    transition state reached confirmed by quenching down both sides. Ids of transition states added."""
    land = lmap.landscape
    x = lmap.minimum_x(i)
    with np.errstate(all="ignore"):
        _, _, H, P = _manifold_parts(land, x)
        lam, V = np.linalg.eigh(0.5 * (H + H.T))
    zero = int(land.known.get("zero_modes", 0))
    order = list(np.argsort(np.abs(lam))[zero:])
    order = sorted(order, key=lambda k: lam[k])[:modes]
    h = 0.05 * land.feature_scale
    added_ts = []
    for k in order:
        v = V[:, k] if P is None else P @ V[:, k]
        for sign in (1.0, -1.0):
            start = _on_manifold(land, (x + sign * h * v)[None, :])[0]
            ts = refine_transition_state(land, start, direction=v)
            if not ts.verified:
                continue
            tid = _confirm(lmap, ts, "eigenvector-following")
            if tid is not None:
                added_ts.append(tid)
    return added_ts


def nearest_pairs(lmap: Any, ids: list[int], k: int) -> list[tuple[int, int]]:
    """Each minimum with its ``k`` nearest others (after alignment), each pair once, closest first."""
    X = {i: lmap.minimum_x(i) for i in ids}
    land = lmap.landscape
    pairs: dict[tuple[int, int], float] = {}
    for i in ids:
        d = sorted((float(np.linalg.norm(align(land, X[i], X[j]) - X[i])), j) for j in ids if j != i)
        for dist, j in d[:k]:
            pairs[(min(i, j), max(i, j))] = dist
    return sorted(pairs, key=lambda p: pairs[p])


@dataclass
class MapReport:
    """What one ``map_landscape`` call added, and the map's totals after it."""

    new_minima: int
    new_transition_states: int
    n_minima: int
    n_transition_states: int
    basin_hopping: BasinHoppingResult | None
    elapsed_s: float
    stopped_by: str | None
    warnings: list[str]

    def summary(self) -> dict[str, Any]:
        bh = self.basin_hopping
        return {"new_minima": self.new_minima, "new_transition_states": self.new_transition_states,
                "n_minima": self.n_minima, "n_transition_states": self.n_transition_states,
                "basin_hopping": None if bh is None else {
                    "steps": bh.steps, "accepted": bh.accepted, "best_energy": bh.best_energy,
                    "found_at": bh.found_at, "found_after_s": bh.found_after_s},
                "elapsed_s": self.elapsed_s, "stopped_by": self.stopped_by, "warnings": self.warnings}


def map_landscape(lmap: Any, *, starts: int = 0, basin_hopping_steps: int = 0, connect: str | None = None,
                  seed: int = 0, images: int = 12, neighbours: int = 4, modes: int = 4,
                  progress: Callable[[str, int, int], None] | None = None) -> MapReport:
    """Fill ``lmap``: minima from ``starts`` quenches and ``basin_hopping_steps`` of basin-hopping,
    then transition states by ``connect``: ``"all"`` (from every minimum, eigenvector following
    along its ``modes`` softest modes both ways, and one band to each of its ``neighbours``
    nearest minima: on the 2-D landscapes this finds every transition state the census knows) or
    ``"lowest:K"`` (double-ended connections from the lowest minimum to each of the next K-1).

    Ctrl-C or SIGTERM stops it between searches; everything found so far is already in the map.
    """
    from ._signals import stop_requests

    land = lmap.landscape
    if connect is not None:
        mode, k = parse_connect(connect)
    t0 = time.perf_counter()
    n_min0, n_ts0 = lmap.counts()
    warnings: list[str] = []
    bh = None

    def tell(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    with stop_requests() as stop:
        if starts:
            X = land.sample(int(starts), seed=seed)
            for n, x in enumerate(X):
                if stop:
                    break
                y, fy, ok = quench(land, x)
                if ok:
                    lmap.add_minimum(y, fy, found_by="quench")
                tell("quench", n + 1, len(X))
        if basin_hopping_steps and not stop:
            done = int(lmap.meta_or("basin_hopping_steps", "0"))
            ids = lmap.minimum_ids()
            x0 = lmap.minimum_x(min(ids, key=lmap.minimum_energy)) if ids else None

            def hop(step: int, best: float) -> None:
                tell("basin-hopping", step, int(basin_hopping_steps))
                if step % 100 == 0:  # so a killed run resumes with the next seed, not this one again
                    lmap.set_meta("basin_hopping_steps", str(done + step))

            bh = basin_hopping(land, int(basin_hopping_steps), seed=seed + done, x0=x0, lmap=lmap, stop=stop,
                               progress=hop)
            lmap.set_meta("basin_hopping_steps", str(done + bh.steps))
        if connect is not None and not stop:
            ids = sorted(lmap.minimum_ids(), key=lmap.minimum_energy)
            if len(ids) < 2:
                warnings.append(f"the map has {len(ids)} minimum; nothing to connect (find minima with "
                                "starts or basin-hopping first)")
            elif mode == "lowest":
                targets = ids[1:k]
                for n, j in enumerate(targets):
                    if stop:
                        break
                    res = connect_in_map(lmap, ids[0], j, images=images, stop=stop)
                    warnings += [f"{ids[0]} -> {j}: {w}" for w in res.warnings]
                    tell("connect", n + 1, len(targets))
            else:
                for n, i in enumerate(ids):
                    if stop:
                        break
                    explore_from_minimum(lmap, i, modes=modes)
                    tell("eigenvector following", n + 1, len(ids))
                pairs = nearest_pairs(lmap, sorted(lmap.minimum_ids()), neighbours) if not stop else []
                for n, (i, j) in enumerate(pairs):
                    if stop:
                        break
                    connect_pair_once(lmap, i, j, images=images)
                    tell("bands", n + 1, len(pairs))
    n_min, n_ts = lmap.counts()
    if stop:
        warnings.append(f"stopped by {stop.name}: everything found before it is in the map")
    return MapReport(n_min - n_min0, n_ts - n_ts0, n_min, n_ts, bh, time.perf_counter() - t0, stop.name, warnings)


# -- connectivity grown live (the playground's graph panel) -------------------------------------------
def descent_path(land: Landscape, x: np.ndarray, target: np.ndarray, *, steps: int = 400) -> np.ndarray:
    """Points of the steepest-descent path from ``x`` (just off a transition state) towards the
    minimum ``target``: fixed-length steps down the gradient, ending at ``target``."""
    h = 0.02 * land.feature_scale
    pts = [x.copy()]
    y = x.copy()
    for _ in range(steps):
        if np.linalg.norm(y - target) <= 2 * h:
            break
        with np.errstate(all="ignore"):
            g = _tangent(land, y[None, :], np.atleast_2d(land.grad(y)))[0]
        gn = float(np.linalg.norm(g))
        if not np.isfinite(gn) or gn == 0.0:
            break
        y = _on_manifold(land, (y - h * g / gn)[None, :])[0]
        pts.append(y.copy())
    pts.append(np.asarray(target, float))
    return np.array(pts)


class LiveConnectivity:
    """The connectivity of minima found elsewhere (walkers of a run), grown one connect at a time.

    Give it minima with ``add_minima``; each ``step()`` connects the lowest minimum to the next
    one of those not yet joined to it (lowest first; a minimum that three bands could not join is
    left). Connections add minima of their own (stepping stones, the far sides of transition
    states): they are in the map and the graph, but only the given ones are connected on purpose;
    ``graph()`` is the disconnectivity graph so far and ``path(i)`` the reaction path from the
    lowest minimum to minimum ``i`` (steepest-descent lines down both sides of each transition
    state on the minimax path). Everything happens in the thread that first calls it (the map
    is an in-memory SQLite database, which stays in its thread).
    """

    MAX_DIM = 200  # transition states need dense Hessians; beyond this use `saddlescape map`

    def __init__(self, landscape: Any) -> None:
        from ._resolve import resolve_landscape

        self.land = resolve_landscape(landscape)
        if self.land.dim > self.MAX_DIM:
            raise ParamError(f"live connectivity is limited to dim <= {self.MAX_DIM} (this landscape has "
                             f"dim={self.land.dim:,}); use `saddlescape map` for larger ones")
        self._map: Any = None
        self._seen: list[np.ndarray] = []
        self._given: set[int] = set()  # map ids of the minima given to add_minima
        self._given_up: set[int] = set()
        self.attempts = 0

    @property
    def map(self) -> Any:
        if self._map is None:
            from ._landmap import LandscapeMap

            self._map = LandscapeMap(":memory:", self.land)
        return self._map

    def add_minima(self, points: Any) -> int:
        """Quench each point (new ones only) and add the minimum below it; how many minima are new."""
        new = 0
        tol = 1e-6 * self.land.feature_scale
        for p in points:
            x = np.asarray(p, float).reshape(-1)
            if any(np.linalg.norm(x - s) <= tol for s in self._seen):
                continue
            self._seen.append(x.copy())
            y, fy, ok = quench(self.land, x)
            if ok:
                mid, added = self.map.add_minimum(y, fy, found_by="walkers")
                if mid >= 0:
                    new += int(added or mid not in self._given)
                    self._given.add(mid)
        return new

    @property
    def given(self) -> int:
        """How many distinct minima were given (the walkers' minima)."""
        return len(self._given)

    def lowest(self) -> int | None:
        ids = self.map.minimum_ids()
        return min(ids, key=self.map.minimum_energy) if ids else None

    def pending(self) -> list[int]:
        """Given minima not joined to the lowest one and not given up on, lowest first."""
        low = self.lowest()
        if low is None:
            return []
        todo = [i for i in self._given if not self.map.connected(low, i) and i not in self._given_up]
        return sorted(todo, key=self.map.minimum_energy)

    def step(self, stop: Any = None) -> bool:
        """One connect (from the lowest minimum to the next pending one); False when none is left."""
        todo = self.pending()
        if not todo:
            return False
        low = self.lowest()
        assert low is not None
        res = connect_in_map(self.map, low, todo[0], max_attempts=3, stop=stop)
        self.attempts += res.attempts
        if not res.connected:
            self._given_up.add(todo[0])
        return True

    def graph(self, levels: int = 20) -> Any:
        from ._dgraph import disconnectivity_graph

        return disconnectivity_graph(self.map, levels=levels)

    def order(self) -> list[int]:
        """Minima ids, lowest first."""
        return sorted(self.map.minimum_ids(), key=self.map.minimum_energy)

    def path(self, i: int) -> tuple[np.ndarray, np.ndarray, float | None]:
        """(points along the reaction path from the lowest minimum to ``i``, the transition states on
        it, the barrier) - empty arrays and None when ``i`` is not joined to the lowest one yet."""
        low = self.lowest()
        empty = np.zeros((0, self.land.dim))
        if low is None or not self.map.connected(low, i):
            return empty, empty, None
        steps, barrier = self.map.minimax_path(low, i)
        pts: list[np.ndarray] = []
        tss = []
        for k in range(1, len(steps), 2):
            (_, m_from), (_, t), (_, m_to) = steps[k - 1], steps[k], steps[k + 1]
            xt = self.map.transition_state_x(t)
            tss.append(xt)
            a, b = self.map.minimum_x(m_from), self.map.minimum_x(m_to)
            with np.errstate(all="ignore"):
                _, _, H, P = _manifold_parts(self.land, xt)
                v = np.linalg.eigh(0.5 * (H + H.T))[1][:, 0]  # the unstable direction
            v = v if P is None else P @ v
            v = v / max(np.linalg.norm(v), 1e-300)
            h = 0.02 * self.land.feature_scale
            side = 1.0 if np.linalg.norm(xt + h * v - a) < np.linalg.norm(xt - h * v - a) else -1.0
            down_a = descent_path(self.land, xt + side * h * v, a)[::-1]
            down_b = descent_path(self.land, xt - side * h * v, b)
            pts += [down_a, xt[None, :], down_b]
        return (np.concatenate(pts) if pts else empty), (np.array(tss) if tss else empty), barrier

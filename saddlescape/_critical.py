"""Newton-type searches for critical points, shared by the census (every index, from many
starts) and the event detector (walking from a walker onto the critical point next to it).

Methods, by the code the kernel takes: Newton on the gradient (``NEWTON``: solves H d = g,
converges to critical points of any index), Levenberg-Marquardt on |g|^2 / 2 (``GRADNORM``:
d = (H^2 + mu I)^-1 H g), saddle-free Newton (``MINIMA``: d = |H|^-1 g, Dauphin et al. 2014,
which descends and so finds minima; ``MAXIMA`` climbs the same way and finds maxima),
``POLISH`` (a direct solve next to a minimum, where H is positive definite, falling back to
saddle-free Newton) and ``LOCATE`` (Newton by a direct solve, falling back to the
eigen-filtered step: the event detector's way onto the critical point next to a walker, of
any index, at a fraction of an eigendecomposition's cost).
"""
from __future__ import annotations

import numpy as np
from numba import float64, int64, uint8, void

from saddlescape.landscapes import Landscape
from saddlescape.landscapes._kernel import HESSIAN_TYPE, VALUE_AND_GRAD_TYPE, deferred, kernel

__all__ = ["GRADNORM", "LOCATE", "MAXIMA", "MINIMA", "NEWTON", "POLISH", "fingerprints", "is_diagonal",
           "newton_walk", "search_critical_points"]

NEWTON, GRADNORM, MINIMA, POLISH, LOCATE, MAXIMA = 0, 1, 2, 3, 4, 5


SEARCH_SIG = void(VALUE_AND_GRAD_TYPE, HESSIAN_TYPE, float64[:, ::1], float64[::1], float64, int64,
                  int64, float64, float64, float64, uint8[::1], float64[::1], float64[::1], float64[::1])


@kernel()
def is_diagonal(H):
    """Whether H has no off-diagonal entry (a separable landscape's Hessian): then solving and
    counting negative eigenvalues are O(D), not O(D^3)."""
    D = H.shape[0]
    for i in range(D):
        for j in range(D):
            if i != j and H[i, j] != 0.0:
                return False
    return True


@kernel()
def _dot(a, b):
    """a . b as a loop: for the short vectors of a Newton walk a BLAS call costs more than the sum."""
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


@kernel(exact=True)
def exact_div(a, b):
    """a / b rounded as IEEE division: the diagonal Newton step's quotients, the same wherever
    inlined (under fastmath LLVM may turn a division in a vectorised loop into a reciprocal
    estimate, an ulp off, and the fused loops' own walk must land where ``newton_walk`` lands)."""
    return a / b


CHOLESKY_MIN_DIM = 33  # from this dim a dense Hessian is first tried by Cholesky (no copy, no pivoting)
CHORD_RATE = 0.25  # LOCATE keeps a Cholesky factor (or the Hessian CG solved) while each step cuts |g| at least so much
CG_RATE = 0.1  # LOCATE's conjugate gradients give up unless each iteration cuts the residual tenfold (on average)
CG_RTOL = 1e-13  # and stop at this residual relative to |g|: as exact as a factor's solve for Newton's purposes
CG_MAX_ITERS = 16  # (at CG_RATE the tolerance is reached in 13 iterations: this only bounds a stall)


@kernel()
def cholesky_into(H, shift, L):
    """Whether H - shift I is positive definite, by a Cholesky factorisation into the lower
    triangle of ``L`` that stops at the first non-positive pivot (no exception, no copy of H,
    half an LU's work: at D = 100 ~50 us against ~90 us for LAPACK's solve, copies included)."""
    D = H.shape[0]
    for i in range(D):
        for j in range(i + 1):
            s = H[i, j] - (shift if i == j else 0.0)
            for k in range(j):
                s -= L[i, k] * L[j, k]
            if i == j:
                if not s > 0.0:  # (NaN too)
                    return False
                L[i, i] = np.sqrt(s)
            else:
                L[i, j] = s / L[j, j]
    return True


@kernel()
def cholesky_solve(L, b, out):
    """out = (L L^T)^-1 b for the lower-triangular factor of ``cholesky_into``."""
    D = L.shape[0]
    for i in range(D):
        s = b[i]
        for k in range(i):
            s -= L[i, k] * out[k]
        out[i] = s / L[i, i]
    for i in range(D - 1, -1, -1):
        s = out[i]
        for k in range(i + 1, D):
            s -= L[k, i] * out[k]
        out[i] = s / L[i, i]


@kernel()
def cg_solve(H, g, d, W):
    """d = H^-1 g by conjugate gradients preconditioned by H's diagonal (``W``: (4, D) scratch).
    Returns whether it reached CG_RTOL; gives up (at once, or after a few products by H) where
    the diagonal is not positive, a direction has no positive curvature, or the residual falls
    slower than CG_RATE an iteration. Where the preconditioned H has few distinct eigenvalues
    (a diagonal plus a low rank: ackley's and griewank's Hessians) it converges in as many
    iterations: at D = 100 ~4 products by H (~15 us with the Hessian formed) against ~55 us for
    a Cholesky factor. No allocation, no BLAS (the same numbers whatever the thread count)."""
    D = g.shape[0]
    r, z, p, q = W[0], W[1], W[2], W[3]
    for i in range(D):
        if not H[i, i] > 0.0:  # (NaN too)
            return False
        d[i] = 0.0
        r[i] = g[i]
        z[i] = g[i] / H[i, i]
        p[i] = z[i]
    rz = _dot(r, z)
    g2 = _dot(g, g)
    bar = g2
    for _ in range(CG_MAX_ITERS):
        for i in range(D):
            q[i] = _dot(H[i], p)
        pq = _dot(p, q)
        if not pq > 0.0:
            return False
        a = rz / pq
        for i in range(D):
            d[i] += a * p[i]
            r[i] -= a * q[i]
        r2 = _dot(r, r)
        if r2 <= CG_RTOL * CG_RTOL * g2:
            return True
        bar *= CG_RATE * CG_RATE
        if not r2 <= bar:  # (NaN too)
            return False
        for i in range(D):
            z[i] = r[i] / H[i, i]
        rz2 = _dot(r, z)
        beta = rz2 / rz
        rz = rz2
        for i in range(D):
            p[i] = z[i] + beta * p[i]
    return False


@kernel()
def newton_walk(x1, g1, f1, keys, H, vg, hess, data, radius, method, max_iter, trust, gtol, bound, reach):
    """Move the one point ``x1[0]`` towards a critical point (in place; ``g1``, ``f1``, ``H`` are
    scratch of shapes (1, D), (1,), (D, D)); give up once a coordinate passes +-``bound``, or at
    the start if the first Newton step (before ``trust`` cuts it) is longer than ``reach``.
    Returns (converged, |g| at the end, rate, first): ``rate`` is |g| of the last step over the one
    before, tiny where Newton converges quadratically (a
    non-degenerate critical point) and not where it converges linearly (a degenerate one);
    ``first`` the length of that first step (0 at a start already converged, NaN where the
    start's loss or gradient is not finite).
    Allocates only where it solves or decomposes a non-diagonal Hessian (the event detector walks
    thousands of walkers a second onto their critical points, at D = 2 in a few microseconds).
    LOCATE from CHOLESKY_MIN_DIM solves by conjugate gradients first (``cg_solve``; once it gives
    up, by Cholesky for the rest of the walk), then by Cholesky, then by LU."""
    D = x1.shape[1]
    r2 = radius * radius
    d = np.empty(D)  # the step (a solve or decomposition returns its own)
    L = np.empty((0, 0))  # a Cholesky factor's scratch, allocated when first needed
    W = np.empty((0, 0))  # conjugate gradients' scratch, likewise
    kept = 0  # 1: L holds the factor of the last Hessian formed; 2: H is that Hessian, CG solved it
    cg = method == LOCATE and radius == 0.0 and D >= CHOLESKY_MIN_DIM  # worth trying (until it gives up)
    prev = np.inf
    gn = np.inf
    first = np.nan
    for it in range(max_iter + 1):
        vg(x1, g1, f1, data, keys, 0)
        x = x1[0]
        g = g1[0]
        radial = 0.0
        if radius > 0.0:
            radial = _dot(x, g) / r2
            g -= radial * x
        gn = np.sqrt(_dot(g, g))
        if not np.isfinite(gn) or not np.isfinite(f1[0]):
            return False, gn, 0.0, first
        if gn <= gtol * (1.0 + abs(f1[0])):
            return True, gn, (gn / prev if it > 0 and prev > 0.0 else 0.0), (first if it > 0 else 0.0)
        # LOCATE with a Cholesky factor (or a Hessian CG solved) from a step that cut |g| fourfold
        # or more: converging fast, so the old one serves (a chord step: no Hessian, no factorisation)
        chord = method == LOCATE and kept > 0 and gn <= CHORD_RATE * prev
        prev = gn
        if it == max_iter:
            break
        if chord and kept == 1:
            cholesky_solve(L, g, d)
        elif chord:
            chord = cg_solve(H, g, d, W)  # (it converged on this H a step ago; if not now, a fresh Hessian)
        if not chord:
            kept = 0
            hess(x, H, data)
            if radius > 0.0:
                P = np.eye(D) - np.outer(x, x) / r2
                H[:, :] = np.dot(P, np.dot(H, P)) - radial * P + np.outer(x, x) / r2
            solved = False
            if method in (POLISH, LOCATE) and radius == 0.0 and is_diagonal(H):
                solved = True
                for k in range(D):
                    if H[k, k] == 0.0:
                        solved = False
                        break
                    d[k] = exact_div(g[k], H[k, k])
            if not solved and cg:
                if W.shape[1] != D:
                    W = np.empty((4, D))
                solved = cg = cg_solve(H, g, d, W)
                kept = 2 if solved else 0
            if not solved and method in (POLISH, LOCATE) and radius == 0.0 and D >= CHOLESKY_MIN_DIM:
                if L.shape[0] != D:  # (next to a minimum, the point sought most often, H is positive definite)
                    L = np.empty((D, D))
                if cholesky_into(H, 0.0, L):
                    cholesky_solve(L, g, d)
                    solved = True
                    kept = 1
            if not solved and method in (POLISH, LOCATE):  # a direct solve (H is regular next to the point sought)
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
                    if method in (NEWTON, LOCATE):
                        c[k] = c[k] / lam[k] if abs(lam[k]) > 1e-14 * big else 0.0
                    elif method == MAXIMA:  # saddle-free Newton upwards: climbs, so it finds maxima
                        c[k] = -c[k] / max(abs(lam[k]), 1e-8 * big)
                    elif method >= MINIMA:  # saddle-free Newton: descends, so it finds minima
                        c[k] = c[k] / max(abs(lam[k]), 1e-8 * big)
                    else:
                        c[k] = c[k] * lam[k] / (lam[k] * lam[k] + 1e-10 * big * big)
                d = np.dot(V, c)
        dn = np.sqrt(_dot(d, d))
        if it == 0:
            first = dn
            if dn > reach:
                return False, gn, 0.0, first
        if dn > trust:
            d *= exact_div(trust, dn)
        top = 0.0
        for k in range(D):
            x[k] -= d[k]
            top = max(top, abs(x[k]))
        if radius > 0.0:
            x *= radius / np.sqrt(_dot(x, x))
        elif top > bound:  # walked off: a search leaving the region sought
            break
    return False, gn, 0.0, first


@deferred(SEARCH_SIG)  # compiled when a census first runs, not when the engine is imported (32 s on a cold cache)
def search_critical_points(vg, hess, X, data, radius, method, max_iter, trust, gtol, bound, converged, F,
                           gnorm, rate):
    """Move each row of X to a nearby critical point (in place) by ``newton_walk``; mark those
    that converge, with their loss, final |g| and convergence rate. A walk whose coordinates
    pass +-``bound`` stops there, unconverged."""
    N, D = X.shape
    x1 = np.empty((1, D))
    g1 = np.empty((1, D))
    f1 = np.empty(1)
    keys = np.zeros(1, np.int64)
    H = np.empty((D, D))
    for b in range(N):
        x1[0, :] = X[b]
        ok, gn, r, _ = newton_walk(x1, g1, f1, keys, H, vg, hess, data, radius, method, max_iter, trust, gtol,
                                   bound, np.inf)
        converged[b] = 1 if ok else 0
        rate[b] = r
        X[b] = x1[0]
        F[b] = f1[0]
        gnorm[b] = gn


def fingerprints(land: Landscape, X: np.ndarray, identify: tuple[str, ...]) -> np.ndarray:
    """Coordinates in which points equal under the identified symmetries coincide."""
    if {"rotation", "permutation", "translation"} <= set(identify):
        n = land.dim // 3
        P = X.reshape(len(X), n, 3)
        i, j = np.triu_indices(n, 1)
        return np.sort(np.linalg.norm(P[:, i] - P[:, j], axis=2), axis=1)
    if "orthogonal" in identify:  # U -> U R, R orthogonal: U U^T is the invariant
        rows, r = land.known["factor_shape"]
        W = X.reshape(len(X), rows, r)
        return (W @ W.transpose(0, 2, 1)).reshape(len(X), -1)
    if "end-to-end" in identify:  # deep-linear: points computing the same map
        from saddlescape.landscapes._benign import deep_linear_product

        return deep_linear_product(land, X).reshape(len(X), -1)
    if "sign" in identify:
        pivot = np.abs(X).argmax(axis=1)
        return X * np.sign(X[np.arange(len(X)), pivot])[:, None]
    return X

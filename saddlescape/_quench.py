"""A compiled L-BFGS quench: from a point down to the local minimum of its basin.

Basin-hopping quenches thousands of times, and every transition state is confirmed by two
quenches, so the loop is compiled and calls the landscape's value-and-gradient kernel through
its first-class function type (no Python between steps). Steps are capped at ``maxstep``
(GMIN's rule for clusters: a long L-BFGS step can throw atoms apart) and accepted by a
backtracking Armijo search; a direction that does not descend restarts the memory.

On the sphere it minimises f(r y / |y|) over y, which has the same minima and needs no
constraint (the census's ``quench`` does the same through SciPy).
"""
from __future__ import annotations

import numpy as np
from numba import float64, int64, types

from saddlescape.landscapes import Landscape
from saddlescape.landscapes._kernel import VALUE_AND_GRAD_TYPE, deferred, kernel

__all__ = ["quench"]

LBFGS_SIG = types.Tuple((types.boolean, float64, float64, int64))(
    VALUE_AND_GRAD_TYPE, float64[::1], float64[::1], float64, float64, float64, int64, int64)


@kernel()
def _fg(vg, data, y, radius, X1, G1, F1, keys, g):
    """f and its gradient at ``y`` (through y -> r y / |y| on the sphere) into ``g``."""
    D = y.size
    if radius > 0.0:
        ny = np.sqrt(np.dot(y, y))
        for i in range(D):
            X1[0, i] = y[i] * (radius / ny)
    else:
        ny = 1.0
        X1[0, :] = y
    vg(X1, G1, F1, data, keys, 0)
    if radius > 0.0:
        xg = np.dot(X1[0], G1[0]) / (radius * radius)
        for i in range(D):
            g[i] = (radius / ny) * (G1[0, i] - xg * X1[0, i])
    else:
        g[:] = G1[0]
    return F1[0]


@deferred(LBFGS_SIG)
def lbfgs(vg, data, x, radius, maxstep, gtol, max_iter, memory):
    """Minimise from ``x`` in place. Returns (converged, f, |g|, iterations); converged when
    |g| <= gtol (1 + |f|) (the tangent gradient on the sphere)."""
    D = x.size
    m = max(1, memory)
    S = np.zeros((m, D))
    Y = np.zeros((m, D))
    rho = np.zeros(m)
    alpha = np.zeros(m)
    X1 = np.empty((1, D))
    G1 = np.empty((1, D))
    F1 = np.empty(1)
    keys = np.zeros(1, np.int64)
    g = np.empty(D)
    g_new = np.empty(D)
    x_new = np.empty(D)
    d = np.empty(D)
    f = _fg(vg, data, x, radius, X1, G1, F1, keys, g)
    stored = 0
    head = 0
    mark_gn = np.inf
    mark_it = 0
    for it in range(max_iter):
        gn = np.sqrt(np.dot(g, g))
        if not (np.isfinite(f) and np.isfinite(gn)):
            return False, f, gn, it
        if gn <= gtol * (1.0 + abs(f)):
            return True, f, gn, it
        if gn < 0.5 * mark_gn:
            mark_gn = gn
            mark_it = it
        elif it - mark_it > 200:  # |g| has not halved in 200 steps: the floating-point floor
            return gn <= 1e3 * gtol * (1.0 + abs(f)), f, gn, it
        # two-loop recursion: d = -H g
        d[:] = g
        for k in range(stored):
            j = (head - 1 - k) % m
            alpha[j] = rho[j] * np.dot(S[j], d)
            d -= alpha[j] * Y[j]
        if stored > 0:
            j = (head - 1) % m
            d *= np.dot(S[j], Y[j]) / np.dot(Y[j], Y[j])
        else:
            d *= 1.0 / max(gn, 1e-300) * min(maxstep, gn)  # first step: steepest descent, maxstep long at most
        for k in range(stored - 1, -1, -1):
            j = (head - 1 - k) % m
            beta = rho[j] * np.dot(Y[j], d)
            d += (alpha[j] - beta) * S[j]
        d *= -1.0
        slope = np.dot(d, g)
        if not slope < 0.0:  # not a descent direction: forget the curvature pairs
            stored = 0
            d[:] = g * (-min(maxstep, gn) / gn)
            slope = np.dot(d, g)
        dn = np.sqrt(np.dot(d, d))
        if dn > maxstep:
            d *= maxstep / dn
            slope *= maxstep / dn
        step = 1.0
        accepted = False
        f_new = f
        for _ in range(30):
            for i in range(D):
                x_new[i] = x[i] + step * d[i]
            f_new = _fg(vg, data, x_new, radius, X1, G1, F1, keys, g_new)
            if not np.isfinite(f_new):
                step *= 0.5
                continue
            if abs(f_new - f) <= 1e-12 * (1.0 + abs(f)):
                # near the floating-point floor f cannot show a decrease (nor rule one out): the
                # gradient decides
                if np.dot(g_new, g_new) < gn * gn:
                    accepted = True
                    break
            elif f_new <= f + 1e-4 * step * slope:
                accepted = True
                break
            step *= 0.5
        if not accepted:
            if stored == 0:  # even a tiny steepest-descent step does not lower f: at the floating-point floor
                return gn <= 1e3 * gtol * (1.0 + abs(f)), f, gn, it
            stored = 0
            continue
        sy = 0.0
        yy = 0.0
        for i in range(D):
            S[head, i] = x_new[i] - x[i]
            Y[head, i] = g_new[i] - g[i]
            sy += S[head, i] * Y[head, i]
            yy += Y[head, i] * Y[head, i]
        if sy > 1e-12 * np.sqrt(yy) * np.sqrt(np.dot(S[head], S[head])):  # keep only pairs of positive curvature
            rho[head] = 1.0 / sy
            head = (head + 1) % m
            stored = min(stored + 1, m)
        x[:] = x_new
        g[:] = g_new
        f = f_new
        if radius > 0.0:  # keep y on the sphere so its scale (and the stored pairs) stay meaningful
            ny = np.sqrt(np.dot(x, x))
            if abs(ny - radius) > 1e-3 * radius:
                x *= radius / ny
                f = _fg(vg, data, x, radius, X1, G1, F1, keys, g)
                stored = 0
    gn = np.sqrt(np.dot(g, g))
    return gn <= gtol * (1.0 + abs(f)), f, gn, max_iter


def quench(land: Landscape, x: np.ndarray, *, gtol: float = 1e-10, max_iter: int = 10000,
           maxstep: float | None = None, memory: int = 10) -> tuple[np.ndarray, float, bool]:
    """The local minimum below ``x``: (position, value, converged). ``maxstep`` defaults to the
    landscape's feature scale (half an atom diameter on a cluster)."""
    y = np.array(x, dtype=np.float64, copy=True).reshape(-1)
    radius = float(land.radius) if land.manifold == "sphere" else 0.0
    if radius > 0.0:
        y *= radius / np.linalg.norm(y)
    step = float(maxstep if maxstep is not None else land.feature_scale)
    with np.errstate(all="ignore"):
        ok, f, _, _ = lbfgs(land.value_and_grad_kernel, land.data, y, radius, step, float(gtol), int(max_iter),
                            int(memory))
    return y, float(f), bool(ok)

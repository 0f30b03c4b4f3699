"""The engine's compiled inner loop: many steps per call, any landscape, any built-in optimizer.

Landscape and optimizer arrive as first-class function types, so this one kernel is compiled
once and stays in Numba's cache whatever the user combines (user-written landscapes included).
"""
from __future__ import annotations

import numpy as np
from numba import float64, int64, uint8, void

from saddlescape.landscapes._kernel import HESSIAN_TYPE, HVP_TYPE, VALUE_AND_GRAD_TYPE, counter_key, kernel
from saddlescape.optimizers._protocol import STEP_TYPE

from ._events import AT_FLAT, AT_MINIMUM, FREE, IN_SADDLE, MINIMUM, SADDLE_ESCAPE

CHUNK_SIG = int64(
    VALUE_AND_GRAD_TYPE, STEP_TYPE, HESSIAN_TYPE, HVP_TYPE,
    float64[:, ::1], float64[:, ::1], float64[::1], float64[:, :, ::1], float64[::1], float64[::1],
    int64[::1], int64, int64, int64, int64, uint8[::1], float64, float64[::1], float64, int64[::1],
    float64[::1], int64, int64, float64[:, ::1], float64[:, :, ::1],
    float64, float64, float64[::1], int64[:, ::1], float64[::1], float64[:, ::1], float64[:, ::1],
    int64[::1],
)

EVENTS_DENSE_MAX_DIM = 500  # above, forming and diagonalising Hessians per visit costs too much


SCREEN_SIG = void(float64[:, ::1], float64[:, ::1], float64[::1], uint8[::1], float64, float64[::1], float64,
                  int64[::1], float64[::1], int64, float64[::1])


@kernel(SCREEN_SIG)  # explicit: the plug-in path calls its compiled entry point directly
def screen_walkers(X, G, F, active, radius, radial, bound, diverged_at, best, t, gnorm):
    """Mark walkers whose loss, gradient or position left the finite/bounded world; on the
    sphere, turn G into the tangent gradient and keep x.g/r^2 in ``radial``; track the best loss.
    One pass over X and G off the sphere (|g| accumulated with the checks)."""
    B, D = X.shape
    for b in range(B):
        if not active[b]:
            continue
        poison = 0.0   # becomes NaN if any gradient entry is NaN or inf (inf * 0 = NaN)
        outside = 0.0  # counts coordinates beyond the bound (NaN positions count too)
        xg = 0.0
        g2 = 0.0
        for i in range(D):
            xi = X[b, i]
            gi = G[b, i]
            poison += gi * 0.0
            outside += 0.0 if abs(xi) <= bound else 1.0
            xg += xi * gi
            g2 += gi * gi
        f = F[b]
        if not (np.isfinite(f) and poison == 0.0 and outside == 0.0):
            active[b] = 0
            diverged_at[b] = t
            continue
        best[b] = min(best[b], f)
        if radius > 0.0:
            c = xg / (radius * radius)
            radial[b] = c
            g2 = 0.0
            for i in range(D):
                G[b, i] -= c * X[b, i]
                g2 += G[b, i] * G[b, i]
        gnorm[b] = np.sqrt(g2)


@kernel()
def retract(X, active, radius):
    """Put active walkers back on the sphere |x| = radius."""
    B, D = X.shape
    for b in range(B):
        if active[b]:
            n = 0.0
            for i in range(D):
                n += X[b, i] * X[b, i]
            if n > 0.0:
                s = radius / np.sqrt(n)
                for i in range(D):
                    X[b, i] *= s


@kernel()
def curvature_index(x, hess, data, radius, radial, etol):
    """(index, flat): Hessian eigenvalues below -etol (scale-aware) and whether any is within
    +-etol, on the sphere for the Riemannian Hessian in the tangent space."""
    D = x.shape[0]
    H = np.empty((D, D))
    hess(x, H, data)
    if radius > 0.0:
        r2 = radius * radius
        P = np.eye(D) - np.outer(x, x) / r2
        big = 1e3 * (1.0 + np.max(np.abs(H)) + abs(radial))
        H = np.dot(P, np.dot(H, P)) - radial * P + np.outer(x, x) / r2 * big
    lam = np.linalg.eigvalsh(0.5 * (H + H.T))
    n = D - 1 if radius > 0.0 else D  # the normal direction sits at the top (big), skip it
    scale = 0.0
    for k in range(n):
        scale = max(scale, abs(lam[k]))
    tol = etol * max(1.0, scale)
    index = 0
    flat = False
    for k in range(n):
        if lam[k] < -tol:
            index += 1
        elif lam[k] <= tol:
            flat = True
    return index, flat


@kernel()
def detect_events(X, F, gnorm, active, t, hess, data, radius, radial, gsmall, etol, vstate, vinfo, vloss,
                  events, ev_x, n_events):
    """Saddle visits (|g| small, a negative eigenvalue) and their escapes (the loss dropped
    measurably below the saddle's), and minima reached (|g| small, all eigenvalues > etol).
    Hessians are formed only when a walker enters a small-gradient neighbourhood."""
    B, D = X.shape
    cap = events.shape[0]
    for b in range(B):
        if not active[b]:
            continue
        f = F[b]
        small = gnorm[b] <= gsmall
        state = vstate[b]
        if state == IN_SADDLE:
            if f < vloss[b] - 1e-4 * (1.0 + abs(vloss[b])):
                if n_events[0] < cap:
                    e = n_events[0]
                    events[e, 0] = SADDLE_ESCAPE
                    events[e, 1] = b
                    events[e, 2] = vinfo[b, 0]
                    events[e, 3] = t
                    events[e, 4] = vinfo[b, 1]
                    events[e, 5] = vloss[b]
                    n_events[0] += 1
                vstate[b] = FREE
            continue
        if state != FREE:
            if gnorm[b] > 10.0 * gsmall:
                vstate[b] = FREE  # it left the minimum or flat region
            continue
        if not small or D > EVENTS_DENSE_MAX_DIM:
            continue
        index, flat = curvature_index(X[b], hess, data, radius, radial[b], etol)
        if index > 0:
            vstate[b] = IN_SADDLE
            vinfo[b, 0] = t
            vinfo[b, 1] = index
            vloss[b] = f
        elif flat:
            vstate[b] = AT_FLAT
        else:
            vstate[b] = AT_MINIMUM
            if n_events[0] < cap:
                e = n_events[0]
                events[e, 0] = MINIMUM
                events[e, 1] = b
                events[e, 2] = t
                events[e, 3] = t
                events[e, 4] = 0
                events[e, 5] = f
                ev_x[e] = X[b]
                n_events[0] += 1


@kernel(CHUNK_SIG)
def run_chunk(vg, step, hess, hvp, X, G, F, S, hyper, data, keys, batch, t0, nsteps, seed, active,
              radius, radial, bound, diverged_at, best, record_every, rec_first, rec_loss, rec_pos,
              gsmall, etol, gnorm, vinfo, vloss, events, ev_x, vstate_n):
    """Advance every active walker ``nsteps`` steps from step ``t0``; record the loss (and
    positions when ``rec_pos`` has rows) at steps divisible by ``record_every``; detect saddle
    visits, escapes and minima when ``gsmall > 0`` (``vstate_n`` = per-walker visit state,
    then the event count at index B). Returns the number of walkers still active."""
    B = X.shape[0]
    vstate = vstate_n[:B]
    n_events = vstate_n[B:]
    for s in range(nsteps):
        t = t0 + s
        if batch > 0:
            for b in range(B):
                keys[b] = np.int64(counter_key(seed, b, t))
        vg(X, G, F, data, keys, batch)
        screen_walkers(X, G, F, active, radius, radial, bound, diverged_at, best, t, gnorm)
        if gsmall > 0.0:
            detect_events(X, F, gnorm, active, t, hess, data, radius, radial, gsmall, etol, vstate,
                          vinfo, vloss, events, ev_x, n_events)
        if t % record_every == 0:
            row = t // record_every - rec_first
            for b in range(B):
                rec_loss[row, b] = F[b] if active[b] else np.nan
            if rec_pos.shape[0] > 0:
                rec_pos[row] = X
        step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data)
        if radius > 0.0:
            retract(X, active, radius)
    alive = 0
    for b in range(B):
        alive += active[b]
    return alive


DETECT_SIG = void(float64[:, ::1], float64[::1], float64[::1], uint8[::1], int64, HESSIAN_TYPE, float64[::1],
                  float64, float64[::1], float64, float64, int64[::1], int64[:, ::1], float64[::1],
                  float64[:, ::1], float64[:, ::1], int64[::1])


@kernel(DETECT_SIG)
def detect_events_entry(X, F, gnorm, active, t, hess, data, radius, radial, gsmall, etol, vstate, vinfo,
                        vloss, events, ev_x, n_events):
    """``detect_events`` with an explicit signature, for the plug-in path (stays cached)."""
    detect_events(X, F, gnorm, active, t, hess, data, radius, radial, gsmall, etol, vstate, vinfo, vloss,
                  events, ev_x, n_events)

"""The engine's compiled inner loop: many steps per call, any landscape, any built-in optimizer.

Landscape and optimizer arrive as first-class function types, so this one kernel is compiled
once and stays in Numba's cache whatever the user combines (user-written landscapes included).
"""
from __future__ import annotations

import numpy as np
from numba import float64, int64, uint8

from landscapes._kernel import (HESSIAN_TYPE, HVP_TYPE, VALUE_AND_GRAD_TYPE, counter_key, kernel)
from optimizers._protocol import STEP_TYPE

CHUNK_SIG = int64(
    VALUE_AND_GRAD_TYPE, STEP_TYPE, HESSIAN_TYPE, HVP_TYPE,
    float64[:, ::1], float64[:, ::1], float64[::1], float64[:, :, ::1], float64[::1], float64[::1],
    int64[::1], int64, int64, int64, int64, uint8[::1], float64, float64[::1], float64, int64[::1],
    float64[::1], int64, int64, float64[:, ::1], float64[:, :, ::1],
)


@kernel()
def screen_walkers(X, G, F, active, radius, radial, bound, diverged_at, best, t):
    """Mark walkers whose loss, gradient or position left the finite/bounded world; on the
    sphere, turn G into the tangent gradient and keep x.g/r^2 in ``radial``; track the best loss."""
    B, D = X.shape
    for b in range(B):
        if not active[b]:
            continue
        poison = 0.0   # becomes NaN if any gradient entry is NaN or inf (inf * 0 = NaN)
        outside = 0.0  # counts coordinates beyond the bound (NaN positions count too)
        xg = 0.0
        for i in range(D):
            xi = X[b, i]
            gi = G[b, i]
            poison += gi * 0.0
            outside += 0.0 if abs(xi) <= bound else 1.0
            xg += xi * gi
        if not (np.isfinite(F[b]) and poison == 0.0 and outside == 0.0):
            active[b] = 0
            diverged_at[b] = t
            continue
        if F[b] < best[b]:
            best[b] = F[b]
        if radius > 0.0:
            c = xg / (radius * radius)
            radial[b] = c
            for i in range(D):
                G[b, i] -= c * X[b, i]


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


@kernel(CHUNK_SIG)
def run_chunk(vg, step, hess, hvp, X, G, F, S, hyper, data, keys, batch, t0, nsteps, seed, active,
              radius, radial, bound, diverged_at, best, record_every, rec_first, rec_loss, rec_pos):
    """Advance every active walker ``nsteps`` steps from step ``t0``; record the loss (and
    positions when ``rec_pos`` has rows) at steps divisible by ``record_every``. Returns the
    number of walkers still active."""
    B = X.shape[0]
    for s in range(nsteps):
        t = t0 + s
        if batch > 0:
            for b in range(B):
                keys[b] = np.int64(counter_key(seed, b, t))
        vg(X, G, F, data, keys, batch)
        screen_walkers(X, G, F, active, radius, radial, bound, diverged_at, best, t)
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

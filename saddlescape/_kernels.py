"""The engine's compiled inner loop: many steps per call, any landscape, any built-in optimizer.

Landscape and optimizer arrive as first-class function types, so this one kernel is compiled
once and stays in Numba's cache whatever the user combines (user-written landscapes included).
Importing this module compiles it (or loads it from the cache): ~50 s on a cold cache, which is
why the playground steps through ``Session``'s light path while a separate process compiles it
(``saddlescape.preload(background=True)``).
"""
from __future__ import annotations

import numpy as np
from numba import float64, int64, uint8

from saddlescape.landscapes._kernel import (
    HESSIAN_TYPE,
    HVP_TYPE,
    VALUE_AND_GRAD_TYPE,
    copy_span,
    counter_key,
    kernel,
)
from saddlescape.optimizers._protocol import STEP_TYPE

from ._detect import detect_events, retract, screen_walkers, walker_due
from ._events import FREE, GATE

CHUNK_SIG = int64(
    VALUE_AND_GRAD_TYPE, STEP_TYPE, HESSIAN_TYPE, HVP_TYPE,
    float64[:, ::1], float64[:, ::1], float64[::1], float64[:, :, ::1], float64[::1], float64[::1],
    int64[::1], int64, int64, int64, int64, uint8[::1], float64, float64[::1], float64, int64[::1],
    float64[::1], int64, int64, float64[:, ::1], float64[:, :, ::1],
    float64, float64, int64, float64[::1], float64[::1], int64[:, ::1], float64[::1], float64[:, ::1],
    float64[:, ::1], float64[:, ::1], float64[:, ::1], int64[::1],
)

@kernel(CHUNK_SIG)
def run_chunk(vg, step, hess, hvp, X, G, F, S, hyper, data, keys, batch, t0, nsteps, seed, active,
              radius, radial, bound, diverged_at, best, record_every, rec_first, rec_loss, rec_pos,
              near, etol, zero_modes, curv, gnorm, vinfo, vloss, vpoint, vrad, events, ev_x, vstate_n):
    """Advance every active walker ``nsteps`` steps from step ``t0``; record the loss (and
    positions when ``rec_pos`` has rows) at steps divisible by ``record_every``; detect saddle
    passages and minima reached when ``near > 0`` (``detect_events``; ``vstate_n`` = per-walker
    visit state, then the event count at index B). Returns the number of walkers still active."""
    B, D = X.shape
    vstate = vstate_n[:B]
    n_events = vstate_n[B:]
    for s in range(nsteps):
        t = t0 + s
        if batch > 0:
            for b in range(B):
                keys[b] = np.int64(counter_key(seed, b, t))
        vg(X, G, F, data, keys, batch)
        screen_walkers(X, G, F, active, radius, radial, bound, diverged_at, best, t, gnorm)
        if near > 0.0:
            # is there anything for the detector this step? A walker whose gradient is small
            # enough to be near a critical point, or one that crossed the edge of its ball or
            # wait. Checked here, inline: a call passing the detector's arrays costs more than a
            # step of a small problem, so detect_events runs only when something changes.
            gate = GATE * curv[0] * near
            r2 = near * near
            due = False
            for b in range(B):
                if not active[b]:
                    continue
                state = vstate[b]
                d2 = 0.0
                if state != FREE:
                    for i in range(D):
                        dx = X[b, i] - vpoint[b, i]
                        d2 += dx * dx
                if walker_due(state, gnorm[b], d2, vrad[b, 0], vrad[b, 1], gate, r2, t - vinfo[b, 0], curv[2]):
                    due = True
                    break
            if due:
                detect_events(X, F, gnorm, active, t, vg, hess, data, radius, near, etol, zero_modes, curv,
                              vstate, vinfo, vloss, vpoint, vrad, events, ev_x, n_events)
        if t % record_every == 0:
            row = t // record_every - rec_first
            copy_span(rec_loss[row], F, np.int64(0), np.int64(B))
            for b in range(B):
                if not active[b]:
                    rec_loss[row, b] = np.nan
            if rec_pos.shape[0] > 0:
                rec_pos[row] = X
        step(X, G, F, S, hyper, t, seed, active, radius, radial, hess, hvp, data)
        if radius > 0.0:
            retract(X, active, radius)
    alive = 0
    for b in range(B):
        alive += active[b]
    return alive

"""The fused stepping loop of one (separable landscape, element-wise optimizer) pair.

Never imported as it stands: ``_fused.py`` copies this file into the kernel cache once per
pair, with the binding lines below naming that pair's kernels, and imports the copy (Numba
caches a kernel by its source file, and a loop specialised on functions passed as arguments
could not be cached). As written here it is the (styblinski-tang, adam) loop.

What it fuses: ``run_chunk`` calls the landscape's value-and-gradient kernel, the divergence
screen and the optimizer's step through function pointers, one pass over all walkers each, and
a step of a small problem costs ~170 ns of calls and passes. Here one walker at a time is
evaluated, screened, looked at by the detector, recorded and stepped, with the landscape's
``elem`` and the optimizer's ``elem`` inlined, and the optimizer's per-call constants read once.

Two ways through a walker:
* two passes (any dim; always when detecting): value, gradient and screen over the row (it stays
  in cache for small dims), then the step; the new coordinates are checked against the bound
  as they are written.
* one pass (landscapes whose terms are cheap, ``Elementwise.one_pass``; detection off and
  dim > ONE_PASS_MIN_DIM; the row checked in bounds as it was written): value, gradient and
  step together, one read and one write of x and the state a coordinate. The landscape's terms
  are finite for |x_i| <= its safe bound, which the bound does not exceed (the engine checks),
  so the screen has nothing to find there: a walker whose new x left the bound is screened, as
  ``run_chunk`` would, at the start of the next step.

Both compute what ``run_chunk`` computes: the same element kernels in the same order; the loss
sum may differ in its last bits where fastmath vectorises the two loops differently.
"""
from __future__ import annotations

import numpy as np
from numba import float64, int64, uint8

from saddlescape._detect import DETECT_WALKER_TYPE, walker_due
from saddlescape._events import FREE, GATE
from saddlescape.landscapes._kernel import HESSIAN_TYPE, VALUE_AND_GRAD_TYPE, counter_key, kernel

# --- bindings: _fused.py rewrites these lines for each pair ---
from saddlescape.landscapes._separable import styblinski_tang_elem as L_ELEM
from saddlescape.landscapes._separable import styblinski_tang_sum0 as L_SUM0
from saddlescape.landscapes._separable import styblinski_tang_total as L_TOTAL
from saddlescape.optimizers._first_order import adam_at as O_AT
from saddlescape.optimizers._first_order import adam_elem as O_ELEM
from saddlescape.optimizers._first_order import adam_prep as O_PREP

KEYED = False
ONE_PASS = True
# --- end of bindings ---

ONE_PASS_MIN_DIM = 512  # below, a walker's row stays in cache between the two passes

FUSED_SIG = int64(
    VALUE_AND_GRAD_TYPE, HESSIAN_TYPE, DETECT_WALKER_TYPE,
    float64[:, ::1], float64[:, ::1], float64[::1], float64[:, :, ::1], float64[::1], float64[::1],
    int64, int64, int64, uint8[::1], float64, int64[::1], float64[::1], int64, int64, float64[:, ::1],
    float64[:, :, ::1], float64, float64, int64, float64[::1], float64[::1], int64[:, ::1], float64[::1],
    float64[:, ::1], float64[:, ::1], float64[:, ::1], float64[:, ::1], int64[::1], uint8[::1],
)


@kernel(FUSED_SIG)
def fused_chunk(vg, hess, detect, X, G, F, S, hyper, data, t0, nsteps, seed, active, bound, diverged_at, best,
                record_every, rec_first, rec_loss, rec_pos, near, etol, zero_modes, curv, gnorm, vinfo, vloss,
                vpoint, vrad, events, ev_x, vstate_n, xok):
    """``run_chunk`` for this pair (no sphere, no minibatches): the same arguments, less the
    step and HVP kernels, plus ``detect`` (``detect_walker_entry``) and ``xok[b]`` (walker b's x
    was checked in bounds when it was written; the engine clears it when another loop ran)."""
    B, D = X.shape
    vstate = vstate_n[:B]
    n_events = vstate_n[B:]
    k = O_PREP(hyper)
    f0 = L_SUM0(D, data)
    r2 = near * near
    one_pass = ONE_PASS and near == 0.0 and D > ONE_PASS_MIN_DIM
    next_record = rec_first * record_every  # the next step recorded, and its row (no division a step)
    row = -1
    for s in range(nsteps):
        t = t0 + s
        c = O_AT(k, t)
        recording = t == next_record
        if recording:
            next_record += record_every
            row += 1
        last = s == nsteps - 1
        for b in range(B):
            if recording and rec_pos.shape[0] > 0:
                rec_pos[row, b] = X[b]
            if not active[b]:
                continue
            key = counter_key(seed, b, t) if KEYED else np.uint64(0)
            if one_pass and xok[b]:
                f = f0
                g2 = 0.0
                out = 0.0
                if last:  # the gradient is kept where run_chunk keeps it: the last step's
                    for i in range(D):
                        fi, gi = L_ELEM(X[b, i], data)
                        f += fi
                        g2 += gi * gi
                        G[b, i] = gi
                        xn = O_ELEM(X[b, i], gi, S, b, i, c, key)
                        X[b, i] = xn
                        out += 0.0 if abs(xn) <= bound else 1.0
                else:
                    for i in range(D):
                        fi, gi = L_ELEM(X[b, i], data)
                        f += fi
                        g2 += gi * gi
                        xn = O_ELEM(X[b, i], gi, S, b, i, c, key)
                        X[b, i] = xn
                        out += 0.0 if abs(xn) <= bound else 1.0
                fb = L_TOTAL(f, data)
                F[b] = fb
                best[b] = min(best[b], fb)
                gnorm[b] = np.sqrt(g2)
                if recording:
                    rec_loss[row, b] = fb
                xok[b] = out == 0.0
                continue
            # value, gradient and the divergence screen (as screen_walkers does it)
            f = f0
            g2 = 0.0
            poison = 0.0  # NaN if any gradient entry is NaN or inf
            outside = 0.0
            if xok[b]:  # x was checked in bounds as it was written: the screen needs only the gradient
                for i in range(D):
                    fi, gi = L_ELEM(X[b, i], data)
                    f += fi
                    G[b, i] = gi
                    g2 += gi * gi
                poison = g2 * 0.0  # (NaN when some entry is)
            else:
                for i in range(D):
                    x = X[b, i]
                    fi, gi = L_ELEM(x, data)
                    f += fi
                    G[b, i] = gi
                    poison += gi * 0.0
                    outside += 0.0 if abs(x) <= bound else 1.0
                    g2 += gi * gi
            fb = L_TOTAL(f, data)
            F[b] = fb
            if not (np.isfinite(fb) and poison == 0.0 and outside == 0.0):
                active[b] = 0
                diverged_at[b] = t
                continue
            best[b] = min(best[b], fb)
            gnorm[b] = np.sqrt(g2)
            if near > 0.0:  # (inline, on scalars: see walker_due)
                state = vstate[b]
                d2 = 0.0
                if state != FREE:
                    for i in range(D):
                        dx = X[b, i] - vpoint[b, i]
                        d2 += dx * dx
                if walker_due(state, gnorm[b], d2, vrad[b, 0], vrad[b, 1], GATE * curv[0] * near, r2, t - vinfo[b, 0],
                              curv[2]):
                    detect(b, X, F, gnorm, t, vg, hess, data, 0.0, near, etol, zero_modes, curv, vstate, vinfo, vloss,
                           vpoint, vrad, events, ev_x, n_events)
            if recording:
                rec_loss[row, b] = fb
            out = 0.0
            for i in range(D):
                xn = O_ELEM(X[b, i], G[b, i], S, b, i, c, key)
                X[b, i] = xn
                out += 0.0 if abs(xn) <= bound else 1.0
            xok[b] = out == 0.0
    alive = 0
    for b in range(B):
        alive += active[b]
    return alive

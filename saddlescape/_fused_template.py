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

Four ways through the walkers:
* one walker of two coordinates (positions not recorded, x checked in bounds, no noise): the
  whole chunk with x and g in registers (``_solo_pair``), the detector called only when its look
  is due. Styblinski-tang Adam (1, 2): 17.7 -> 27 M steps/s bare, 15.5 -> 21.8 M detecting. Whether
  it is due is asked (``walker_due``) only when the walker crosses one of four thresholds held in
  registers, as the flat runs' flags (``_walker_thresholds``), set again after each look: no square
  root and no reads of the detector's arrays a step (sitting at a minimum, 100,000 steps: detecting
  +17% -> +10-11% over bare at styblinski-tang, +6-7% -> +0-4% at rastrigin).
* a flat run (dim <= FLAT_MAX_DIM, two walkers or more, an optimizer that draws no noise):
  consecutive live walkers whose x was checked in bounds are one run of coordinates (X, G and the
  state are rows of contiguous arrays), and the loops go over the run's coordinates, which LLVM
  vectorises across walkers (a loop over two coordinates cannot be). Value terms, gradient and
  step in one loop, then each walker's terms summed; detecting, the loop also keeps the x each
  walker stepped from, and then, vectorised across walkers, each walker's loss, |g|^2 and whether
  a look may be due (``_flat_loss``; the flags from four thresholds a walker, set as its state
  changes, ``_thresholds``, ``_thr_flags``); the looks, in walker order (the flags skipped eight at a
  time, ``_next_due``), each with its walker's x put
  back where the gradient was taken while the detector looks. At 4096 walkers in D=2: 22,000
  steps/s against 7,100 one walker at a time (detecting: 9,700 against 5,900 walker by walker).
  The step in the same loop as the values, and |g|^2 for |g| in the flags: rastrigin (4096, 2)
  detecting with no look due, 1,008 steps in 59 -> 47-49 ms (bare 38-40).
  A run whose walkers all sit in balls (settled) is checked for who left, then steps as with
  detection off (styblinski-tang (4096, 2) at its minima: detecting +11-21% -> +11-14%). Each
  walker's loss from its terms in a short loop over flat arrays (``_flat_f``), as detecting: walker
  by walker it did not vectorise, a third of a step (rastrigin (4096, 2)'s first 1,008 steps bare
  36 -> 27 ms; styblinski-tang at its minima 27 -> 16.3 us a step bare, 30.6 -> 19.0 detecting).
* two passes (where neither of the others applies: one walker of up to ONE_PASS_MIN_DIM coordinates,
  a noisy optimizer's walkers up to that, and above it landscapes whose terms are not cheap):
  value, gradient and screen over the row (it stays in cache), then the step; the new coordinates
  are checked against the bound as they are written.
* one pass (landscapes whose terms are cheap, ``Elementwise.one_pass``; dim > ONE_PASS_MIN_DIM,
  the row checked in bounds as it was written): value, gradient and step together, one read and
  one write of x and the state a coordinate. Detecting, the pass also keeps the x the walker steps
  from and its distance to its point: a walker sitting in a saddle's or minimum's ball is checked
  for leaving it (styblinski-tang (256, 100) at its minima, detecting +30% -> +4-9%), any other,
  when its look is due (``walker_due``, on scalars), is put back at that x while the detector
  looks, then moved on (arriving, its first 1,001 steps: +21-27% -> +7-11%). The landscape's terms
  are finite for |x_i| <= its safe bound, which the bound does not exceed (the engine checks),
  so the screen has nothing to find there: a walker whose new x left the bound is screened, as
  ``run_chunk`` would, at the start of the next step.

Wherever a walker is due the detector's look, the loop calls ``_look``: the detector's checks, then
Newton onto the critical point coordinate by coordinate on the landscape's diagonal Hessian
(``L_D2``), the arithmetic of ``newton_walk``'s diagonal solve with no call through a function
pointer and no (D, D) Hessian formed and scanned (arriving at (256, 100): rastrigin detecting
+20-28% -> +8-12%, styblinski-tang +34-47% -> +22-31%; at (4096, 2) the look was not what costs).

All compute what ``run_chunk`` computes: the same element kernels in the same order; the loss
sum may differ by a few ulp of its terms where fastmath vectorises the two sums differently.
"""
from __future__ import annotations

import numpy as np
from numba import float64, int64, njit, uint8

from saddlescape._critical import _dot, exact_div
from saddlescape._detect import (
    CANDIDATE_BALLS,
    DETECT_WALKER_TYPE,
    LOCATE_GTOL,
    LOCATE_ITERS,
    _walked,
    found,
    leave_ball,
    spectrum_index,
    to_locate,
    walker_due,
)
from saddlescape._events import AT_MINIMUM, FREE, GATE, IN_SADDLE, NEAR
from saddlescape.landscapes._kernel import (
    HESSIAN_TYPE,
    KERNEL_OPTIONS,
    VALUE_AND_GRAD_TYPE,
    copy_span,
    counter_key,
    kernel,
)

# --- bindings: _fused.py rewrites these lines for each pair ---
from saddlescape.landscapes._separable import styblinski_tang_d2 as L_D2
from saddlescape.landscapes._separable import styblinski_tang_elem as L_ELEM
from saddlescape.landscapes._separable import styblinski_tang_sum0 as L_SUM0
from saddlescape.landscapes._separable import styblinski_tang_total as L_TOTAL
from saddlescape.optimizers._first_order import adam_at as O_AT
from saddlescape.optimizers._first_order import adam_elem as O_ELEM
from saddlescape.optimizers._first_order import adam_prep as O_PREP

KEYED = False
ONE_PASS = True
# --- end of bindings ---

ONE_PASS_MIN_DIM = 16  # above, with detection off (+24% at 256 walkers in D=32; below, the flat run)
FLAT_MAX_DIM = 16  # up to this dim, two walkers or more step as one flat run (2x faster at D=2 and 8; from
FLAT_MIN_WALKERS = 2  # D=32 on, one walker's row at a time is as fast; one walker alone steps faster on its own)
DUE_SLACK = 1e-9  # the flat run's flags compare with thresholds so much enlarged where not exact (see _thresholds)

FUSED_SIG = int64(
    VALUE_AND_GRAD_TYPE, HESSIAN_TYPE, DETECT_WALKER_TYPE,
    float64[:, ::1], float64[:, ::1], float64[::1], float64[:, :, ::1], float64[::1], float64[::1],
    int64, int64, int64, uint8[::1], float64, int64[::1], float64[::1], int64, int64, float64[:, ::1],
    float64[:, :, ::1], float64, float64, int64, float64[::1], float64[::1], int64[:, ::1], float64[::1],
    float64[:, ::1], float64[:, ::1], float64[:, ::1], float64[:, ::1], int64[::1], uint8[::1],
)


# (helpers inlined into the loop: as calls, passing 9 arrays costs ~200 ns of reference counts a step;
# their loops index with unsigned ints: a signed index's negative wraparound keeps LLVM from vectorising)
@njit(inline="always", **KERNEL_OPTIONS)
def _flat_run(lo, hi, x_run, g_run, s_run, terms, c, data, bound, keep, x_before):
    """Value terms, gradient and step of coordinates ``lo`` .. ``hi - 1`` (whole walkers) in one
    loop; with ``keep`` (a literal at each call) the x each coordinate steps from is kept in
    ``x_before`` (what the detector looks at). Returns how many coordinates left the bound."""
    out = 0.0
    for j in range(np.uint64(lo), np.uint64(hi)):
        x = x_run[j]
        if keep:
            x_before[j] = x
        fj, gj = L_ELEM(x, data)
        terms[j] = fj
        g_run[j] = gj
        xn = O_ELEM(x, gj, s_run, 0, j, c, np.uint64(0))
        x_run[j] = xn
        out += 0.0 if abs(xn) <= bound else 1.0
    return out


@njit(inline="always", **KERNEL_OPTIONS)
def _flat_outside(lo, hi, D, x_run, p_run, r2, due):
    """Walkers ``lo`` .. ``hi - 1`` sitting in balls: whether each is outside its ball (flags in
    ``due``), returns how many; called with a literal ``D`` for one and two coordinates (see
    ``_thr_flags``)."""
    d = np.uint64(D)
    n = 0
    for w in range(np.uint64(lo), np.uint64(hi)):
        d2 = 0.0
        for i in range(d):
            dx = x_run[w * d + i] - p_run[w * d + i]
            d2 += dx * dx
        flag = d2 > r2
        due[w] = flag
        n += flag
    return n


@njit(inline="always", **KERNEL_OPTIONS)
def _flat_far(lo, hi, x_run, p_run, c2):
    """How many coordinates ``lo`` .. ``hi - 1`` of a run lie more than sqrt(``c2``) from their
    point's. With c2 = r^2 / D, none means every walker is within r of its point, so a settled run
    with none has no one outside a ball and ``_flat_outside`` (per walker: sums across coordinates,
    a byte a walker written) need not run. One plain count (a max reduction did not vectorise): at
    styblinski-tang (4096, 2)'s minima _flat_outside was 13% of a step."""
    far = 0.0
    for j in range(np.uint64(lo), np.uint64(hi)):
        dx = x_run[j] - p_run[j]
        far += 0.0 if dx * dx <= c2 else 1.0
    return far


@njit(inline="always", **KERNEL_OPTIONS)
def _in_balls(lo, hi, vstate):
    """Whether every walker ``lo`` .. ``hi - 1`` sits in a saddle's or minimum's ball."""
    n = 0
    for w in range(np.uint64(lo), np.uint64(hi)):
        n += (vstate[w] == IN_SADDLE) | (vstate[w] == AT_MINIMUM)
    return n == hi - lo


@njit(inline="always", **KERNEL_OPTIONS)
def _walker_gnorm(w, G):
    g2 = 0.0
    for i in range(G.shape[1]):
        g2 += G[w, i] * G[w, i]
    return np.sqrt(g2)


@njit(inline="always", **KERNEL_OPTIONS)
def _mark_left(w, X, bound, xok):
    """Whether walker ``w``'s new x is in bounds, kept in ``xok``; returns it."""
    o = 0.0
    for i in range(X.shape[1]):
        o += 0.0 if abs(X[w, i]) <= bound else 1.0
    xok[w] = o == 0.0
    return xok[w]


@njit(inline="always", **KERNEL_OPTIONS)
def _flat_f(lo, hi, D, terms, f0, data, F, best):
    """Walkers ``lo`` .. ``hi - 1`` of a run: loss and best, from the run's value terms. A short loop
    over flat arrays, called with a literal ``D`` for one and two coordinates (see ``_thr_flags``):
    walker by walker with a signed index it did not vectorise, ~1/3 of a settled (4096, 2) step."""
    d = np.uint64(D)  # (unsigned indices throughout: a signed one's wraparound check stops vectorising)
    for w in range(np.uint64(lo), np.uint64(hi)):
        f = f0
        for i in range(d):
            f += terms[w * d + i]
        fb = L_TOTAL(f, data)
        F[w] = fb
        best[w] = min(best[w], fb)


@njit(inline="always", **KERNEL_OPTIONS)
def _flat_loss(lo, hi, D, terms, f0, data, g_run, F, best, g2s):
    """``_flat_f``, and each walker's |g|^2 (in ``g2s``)."""
    _flat_f(lo, hi, D, terms, f0, data, F, best)
    d = np.uint64(D)
    for w in range(np.uint64(lo), np.uint64(hi)):
        g2 = 0.0
        for i in range(d):
            g2 += g_run[w * d + i] * g_run[w * d + i]
        g2s[w] = g2


FAR = 1e300  # a squared distance no walker's reaches (fastmath assumes no infinities)


@njit(inline="always", **KERNEL_OPTIONS)
def _walker_thresholds(st, r_w, look_g, gate, r2):
    """``walker_due`` as four thresholds (glo, dmid, dlo, dhi) for a walker in state ``st`` with vrad
    row (``r_w``, ``look_g``), the ``gate`` and ``r2``: a look may be due when (|g|^2 <= glo and d^2 >
    dmid) or d^2 < dlo or d^2 > dhi, d the distance to its vpoint. Each threshold is enlarged by
    DUE_SLACK where not exact, and a waiting walker's spacing (``curv[2]``, set only where a Hessian
    is costly: no separable landscape's) is not read: the flags may include a few extra, never miss
    one. Where a flag leads to a look (the flat runs), the look's own checks (``to_locate``) find
    nothing to do for an extra; where it leads to ``walker_due`` (one walker, ``_solo_pair``), that
    decides."""
    quarter = 0.25 * (1.0 + DUE_SLACK)
    if st == FREE:  # |g| within the gate
        return gate * gate * (1.0 + DUE_SLACK), -1.0, -1.0, FAR
    if st in (IN_SADDLE, AT_MINIMUM):  # out of the ball
        return -1.0, -1.0, -1.0, r2
    if st == NEAR:  # in the candidate's ball, off it, or turned (|g| halved, not a quarter closer)
        return (quarter * look_g * look_g, 0.5625 * r_w * r_w * (1.0 - DUE_SLACK), r2 * (1.0 + DUE_SLACK),
                (CANDIDATE_BALLS + 1.0) ** 2 * r2)
    return quarter * look_g * look_g, -1.0, -1.0, r_w * r_w * (1.0 - DUE_SLACK)  # WAIT: |g| halved, or moved its radius


@njit(inline="always", **KERNEL_OPTIONS)
def _crossed(g2, d2, glo, dmid, dlo, dhi):
    """Whether a walker with |g|^2 ``g2`` and squared distance ``d2`` to its point may be due a look,
    by its four thresholds (``_walker_thresholds``); branch-free, so the flat runs' loop vectorises."""
    return ((g2 <= glo) & (d2 > dmid)) | (d2 < dlo) | (d2 > dhi)


@njit(inline="always", **KERNEL_OPTIONS)
def _thresholds(lo, hi, vstate, rad_run, gate, r2, thr):
    """Walkers ``lo`` .. ``hi - 1``: ``_walker_thresholds`` into the rows of ``thr`` (glo, dmid, dlo,
    dhi), from their states and vrad rows (``rad_run``). Set when a walker's state changes (a look,
    leaving a ball), not every step: the flags then read five flat arrays, where branch-free tests
    of the state, every step, took ~3 ns a walker (styblinski-tang (4096, 2) arriving: the flags
    ~29% of the detecting chunk)."""
    two = np.uint64(2)
    for w in range(np.uint64(lo), np.uint64(hi)):
        glo, dmid, dlo, dhi = _walker_thresholds(vstate[w], rad_run[two * w], rad_run[two * w + np.uint64(1)], gate,
                                                 r2)
        thr[0, w] = glo
        thr[1, w] = dmid
        thr[2, w] = dlo
        thr[3, w] = dhi


@njit(inline="always", **KERNEL_OPTIONS)
def _thr_flags(lo, hi, D, x_run, p_run, g2s, thr, due):
    """Walkers ``lo`` .. ``hi - 1`` of a run: whether a look may be due, by their thresholds
    (``_thresholds``' rows); flags in ``due``, returns how many; ``x_run``: the x the gradient was
    taken at; ``p_run``: vpoint flat. Called with a literal ``D`` for one and two coordinates, so
    that the strides are constants and LLVM vectorises across walkers (a row's stride is known only
    at run time, and one loop writing and reading several arrays needs too many overlap checks)."""
    d = np.uint64(D)
    n = 0
    for w in range(np.uint64(lo), np.uint64(hi)):
        d2 = 0.0  # (to vpoint: any finite value for a FREE walker, whose flag does not depend on it)
        for i in range(d):
            dx = x_run[w * d + i] - p_run[w * d + i]
            d2 += dx * dx
        g2 = g2s[w]
        flag = _crossed(g2, d2, thr[0, w], thr[1, w], thr[2, w], thr[3, w])
        due[w] = flag
        n += flag
    return n


@njit(inline="always", **KERNEL_OPTIONS)
def _next_due(due, words, w, e):
    """The first walker from ``w`` on, below ``e``, whose flag is set in ``due`` (``words``: the same
    bytes eight at a time), or ``e``. At most a few walkers a step are due: scanning 4,096 flags one
    by one inside the loop that looks, whose body keeps a dozen pointers, took ~3 ns a walker
    (rastrigin (4096, 2) arriving: ~9% of the chunk)."""
    while w < e:
        if w & 7 == 0 and w + 8 <= e and words[w >> 3] == 0:
            w += 8
        elif due[w]:
            return w
        else:
            w += 1
    return e


@njit(inline="always", **KERNEL_OPTIONS)
def _flags(lo, hi, D, x_run, p_run, g2s, thr, due):
    """``_thr_flags`` with a literal ``D`` for one and two coordinates."""
    if D == 1:
        return _thr_flags(lo, hi, 1, x_run, p_run, g2s, thr, due)
    if D == 2:
        return _thr_flags(lo, hi, 2, x_run, p_run, g2s, thr, due)
    return _thr_flags(lo, hi, D, x_run, p_run, g2s, thr, due)


@njit(inline="always", **KERNEL_OPTIONS)
def _due(b, t, X, gnorm, near, curv, vstate, vinfo, vpoint, vrad):
    """Whether the detector's look at walker ``b`` can change anything (on scalars: see walker_due)."""
    state = vstate[b]
    d2 = 0.0
    if state != FREE:  # (not needed when FREE, as in run_chunk)
        for i in range(X.shape[1]):
            dx = X[b, i] - vpoint[b, i]
            d2 += dx * dx
    return walker_due(state, gnorm[b], d2, vrad[b, 0], vrad[b, 1], GATE * curv[0] * near, near * near,
                      t - vinfo[b, 0], curv[2])


@kernel(nrt=False)  # (as _look: no reference counting of the three arrays it is passed, a look)
def _walk_separable(x, g, step, data, max_iter, trust, reach):
    """``newton_walk`` (LOCATE, off the sphere, no bound) of the point ``x`` on this pair's
    landscape, whose Hessian is diagonal: the same arithmetic, coordinate by coordinate, with no
    call through a function pointer and no (D, D) Hessian formed and scanned. Returns (1 converged,
    0 not, or -1 at a zero Hessian entry, which ``newton_walk`` solves another way; the loss at the
    last x; the length of the first step, as ``newton_walk``'s ``first``). ``g``, ``step``: scratch."""
    D = x.shape[0]
    f = np.nan
    first = np.nan
    for it in range(max_iter + 1):
        s = L_SUM0(D, data)
        for i in range(D):
            fi, gi = L_ELEM(x[i], data)
            s += fi
            g[i] = gi
        f = L_TOTAL(s, data)
        gn = np.sqrt(_dot(g, g))
        if not np.isfinite(gn) or not np.isfinite(f):
            return 0, f, first
        if gn <= LOCATE_GTOL * (1.0 + abs(f)):
            return 1, f, (first if it > 0 else 0.0)
        if it == max_iter:
            break
        for k in range(D):
            h = L_D2(x[k], data)
            if h == 0.0:
                return -1, f, first
            step[k] = exact_div(g[k], h)
        dn = np.sqrt(_dot(step, step))
        if it == 0:
            first = dn
            if dn > reach:
                return 0, f, first
        if dn > trust:
            cut = exact_div(trust, dn)
            for k in range(D):
                step[k] *= cut
        for k in range(D):
            x[k] -= step[k]
    return 0, f, first


@njit(inline="always", **KERNEL_OPTIONS)
def _locate_separable(b, t, X, gn, data, near, etol, zero_modes, curv, vstate, vinfo, vloss, vpoint, vrad, events,
                      ev_x, n_events, look):
    """``_detect._locate`` for this pair (off the sphere): the same walk (``_walk_separable``) and
    decisions (``_walked``, ``found``), the index read off the diagonal: no (D, D) Hessian formed and
    scanned a Newton step, no call through a function pointer (a look that locates and enters a
    minimum at D = 2: 1.1-1.6 us against 1.8-2.4 us through the entry point; at D = 100 the
    Hessian matrix was most of it). Returns False at a zero Hessian entry (the general look, which solves there
    otherwise, then looks again from the start: nothing set here differs from what it sets).
    ``look``: (3, D) scratch."""
    D = X.shape[1]
    x1 = look[0:1]
    vrad[b, 1] = gn  # (as _locate: |g| at this look, and its step)
    vinfo[b, 0] = t
    for i in range(D):
        x1[0, i] = X[b, i]
    ok, f, first = _walk_separable(x1[0], look[1], look[2], data, LOCATE_ITERS, near, CANDIDATE_BALLS * near)
    if ok < 0:
        return False
    d = _walked(b, X, x1, ok == 1, first, near, vstate, vpoint, vrad)
    if d < 0.0:
        return True
    h = look[2]
    for k in range(D):
        h[k] = L_D2(x1[0, k], data)
    index, degenerate, scale = spectrum_index(h, D, etol, zero_modes)
    found(b, t, X, x1[0], f, d, index, degenerate, scale, D - zero_modes, near, curv, vstate, vinfo, vloss, vpoint,
          vrad, events, ev_x, n_events)
    return True


@kernel(nrt=False)
def _look(b, t, X, F, gnorm, vg, hess, detect, data, near, etol, zero_modes, curv, vstate, vinfo, vloss, vpoint, vrad,
          events, ev_x, n_events, look):
    """``detect_walker`` for this pair: its checks (``to_locate``), then the look by
    ``_locate_separable``, or (at a zero Hessian entry) by ``detect``, the general entry point.
    A call, not inlined: the loop calls it from three places, and three inlined copies of the look
    (with ``to_locate`` and ``found`` inlined too) doubled the pair's compile time (a cold small run
    46-60 s -> 104 s; as calls, to the two compiled once for every pair, 63-67 s). The three
    compile with no reference counting: each call took and dropped a reference to every array it
    was passed, atomically (styblinski-tang (4096, 2)'s first 1,008 steps, detecting: 52-56 ->
    48-55 ms, min of 12 sessions alternating three times; bare 31-35)."""
    if to_locate(b, X, F, gnorm, t, near, curv, vstate, vinfo, vloss, vpoint, vrad, events, ev_x, n_events) and \
            not _locate_separable(b, t, X, gnorm[b], data, near, etol, zero_modes, curv, vstate, vinfo, vloss, vpoint,
                                  vrad, events, ev_x, n_events, look):
        detect(b, X, F, gnorm, t, vg, hess, data, 0.0, near, etol, zero_modes, curv, vstate, vinfo, vloss, vpoint,
               vrad, events, ev_x, n_events)


@njit(inline="always", **KERNEL_OPTIONS)
def _solo_pair(vg, hess, detect, X, G, F, S, data, k, f0, t0, nsteps, active, bound, diverged_at, best,
               record_every, rec_first, rec_loss, xok, detector):
    """One walker of two coordinates whose x was checked in bounds: the whole chunk with x and g
    in registers (the general path stores and reloads them each step, which lengthens the one
    dependency chain a single walker's step is: 17.7 -> 27 M steps/s, styblinski-tang Adam).
    The same arithmetic in the same order as the two-pass path; the detector sees the walker
    through memory only when its look is due, which is asked only past a threshold (see above).
    ``detector``: its arguments, as one tuple (Numba inlines no call of more than 30 arguments).
    Returns the steps taken."""
    near, etol, zero_modes, curv, gnorm, vinfo, vloss, vpoint, vrad, events, ev_x, vstate, n_events, look = detector
    x0 = X[0, 0]
    x1 = X[0, 1]
    ga = G[0, 0]
    gb = G[0, 1]
    fb = F[0]
    g2 = 0.0
    g2_ok = -1.0  # |g|^2 of the last step that passed the screen (none yet)
    lo = best[0]
    inside = True
    next_record = rec_first * record_every
    row = -1
    key = np.uint64(0)
    # whether a look may be due, from four thresholds (as the flat runs' flags, in registers), set when
    # a look may have changed the state or the gate: only then is walker_due asked
    glo, dmid, dlo, dhi = _walker_thresholds(vstate[0], vrad[0, 0], vrad[0, 1], GATE * curv[0] * near, near * near)
    p0 = vpoint[0, 0] if near > 0.0 else 0.0
    p1 = vpoint[0, 1] if near > 0.0 else 0.0
    s = 0
    while s < nsteps:
        t = t0 + s
        c = O_AT(k, t)
        fa, ga = L_ELEM(x0, data)
        fz, gb = L_ELEM(x1, data)
        f = f0
        f += fa
        f += fz
        g2 = 0.0
        g2 += ga * ga
        g2 += gb * gb
        fb = L_TOTAL(f, data)
        if not (np.isfinite(fb) and g2 * 0.0 == 0.0 and inside):
            active[0] = 0
            diverged_at[0] = t
            break
        lo = min(lo, fb)
        g2_ok = g2
        if near > 0.0:
            d2 = 0.0
            d2 += (x0 - p0) * (x0 - p0)
            d2 += (x1 - p1) * (x1 - p1)
            if _crossed(g2, d2, glo, dmid, dlo, dhi):
                gn = np.sqrt(g2)
                state = vstate[0]
                if walker_due(state, gn, 0.0 if state == FREE else d2, vrad[0, 0], vrad[0, 1], GATE * curv[0] * near,
                              near * near, t - vinfo[0, 0], curv[2]):
                    X[0, 0] = x0  # (what the detector reads; walker np.int64(0): a literal 0 would compile _look again)
                    X[0, 1] = x1
                    F[0] = fb
                    gnorm[0] = gn
                    _look(np.int64(0), t, X, F, gnorm, vg, hess, detect, data, near, etol, zero_modes, curv, vstate,
                          vinfo, vloss, vpoint, vrad, events, ev_x, n_events, look)
                    glo, dmid, dlo, dhi = _walker_thresholds(vstate[0], vrad[0, 0], vrad[0, 1], GATE * curv[0] * near,
                                                             near * near)
                    p0 = vpoint[0, 0]
                    p1 = vpoint[0, 1]
        if t == next_record:
            next_record += record_every
            row += 1
            rec_loss[row, 0] = fb
        x0 = O_ELEM(x0, ga, S, 0, 0, c, key)
        x1 = O_ELEM(x1, gb, S, 0, 1, c, key)
        inside = abs(x0) <= bound and abs(x1) <= bound
        s += 1
    while next_record < t0 + nsteps:  # (stopped: its remaining records are NaN)
        next_record += record_every
        row += 1
        rec_loss[row, 0] = np.nan
    X[0, 0] = x0
    X[0, 1] = x1
    G[0, 0] = ga
    G[0, 1] = gb
    F[0] = fb
    best[0] = lo
    if g2_ok >= 0.0:
        gnorm[0] = np.sqrt(g2_ok)
    xok[0] = inside
    return s


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
    one_pass = ONE_PASS and D > ONE_PASS_MIN_DIM  # (detecting too: below)
    flat = not KEYED and D <= FLAT_MAX_DIM and B >= FLAT_MIN_WALKERS
    n = B * D
    x_run = X.reshape(n)  # (views: walker b's coordinates are b*D .. b*D + D - 1)
    g_run = G.reshape(n)
    s_run = S.reshape((S.shape[0], 1, n))
    terms = np.empty(n if flat else 0)  # each coordinate's value term, summed per walker after the run
    due = np.zeros(-(-B // 8) * 8 if flat and near > 0.0 else 0, np.uint8)  # the detector's flags of a run's
    due_words = due.view(np.uint64)  # walkers (read eight at a time by _next_due),
    g2s = np.empty(B if flat and near > 0.0 else 0)  # their |g|^2,
    x_before = np.empty(n if flat and near > 0.0 else 0)  # the x they stepped from,
    thr = np.empty((4, B if flat and near > 0.0 else 0))  # the flags' thresholds (_thresholds), for the gate
    thr_gate = -1.0  # thr_gate: computed for all walkers at the first flags of the chunk and when the gate moves
    look = np.empty((3, D if near > 0.0 else 0))  # the detector's scratch (_locate_separable)
    x_old = np.empty(D if one_pass and near > 0.0 else 0)  # one walker's x before its one-pass step
    # a stepped walker's new x while the detector looks at it where it took its gradient: the two places
    # that do so write it out; an inline helper taking the look's arrays cost ~0.2 us a look in reference
    # counts (rastrigin (4096, 2)'s first 1,008 steps, default 28.4-29.5 -> 30.9-32.0 ms)
    x_keep = np.empty(D if (flat or one_pass) and near > 0.0 else 0)
    p_run = vpoint.reshape(vpoint.size)  # (the detector's rows, flat likewise: (B, D), (B, 2))
    rad_run = vrad.reshape(vrad.size)
    every_flat = flat  # every walker live and checked in bounds: the step is one run (checked below)
    for b in range(B):
        every_flat = every_flat and active[b] != 0 and xok[b] != 0
    if B == 1 and D == 2 and not KEYED and rec_pos.shape[0] == 0 and active[0] and xok[0]:
        _solo_pair(vg, hess, detect, X, G, F, S, data, k, f0, t0, nsteps, active, bound, diverged_at, best,
                   record_every, rec_first, rec_loss, xok,
                   (near, etol, zero_modes, curv, gnorm, vinfo, vloss, vpoint, vrad, events, ev_x, vstate, n_events,
                    look))
        return active[0]
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
        if recording and rec_pos.shape[0] > 0:
            rec_pos[row] = X
        done = 0  # walkers below this were stepped in a flat run this step
        for b in range(B):
            if b < done:
                continue
            if not active[b]:
                if recording:
                    rec_loss[row, b] = np.nan
                continue
            if flat and xok[b]:
                e = B if every_flat else b + 1  # (every walker live and in bounds: no run to look for)
                while e < B and active[e] and xok[e]:
                    e += 1
                if near > 0.0 and not _in_balls(b, e, vstate):  # the detector looks at walkers between
                    # the step and the x it stepped from (where the gradient was taken, what the detector sees)
                    out = _flat_run(b * D, e * D, x_run, g_run, s_run, terms, c, data, bound, True, x_before)
                    if D == 1:
                        _flat_loss(b, e, 1, terms, f0, data, g_run, F, best, g2s)
                    elif D == 2:
                        _flat_loss(b, e, 2, terms, f0, data, g_run, F, best, g2s)
                    else:
                        _flat_loss(b, e, D, terms, f0, data, g_run, F, best, g2s)
                    lo = b  # the looks, in walker order as run_chunk takes them; one that moves the gate or the
                    while lo < e:  # spacing has the rest of the run's flags taken again
                        if GATE * curv[0] * near != thr_gate:
                            thr_gate = GATE * curv[0] * near
                            _thresholds(0, B, vstate, rad_run, thr_gate, near * near, thr)
                        if not _flags(lo, e, D, x_before, p_run, g2s, thr, due):
                            break
                        c0, c2 = curv[0], curv[2]
                        w = _next_due(due, due_words, lo, e)
                        lo = e
                        while w < e:
                            gnorm[w] = np.sqrt(g2s[w])
                            for i in range(D):  # the detector sees walker w where it took its gradient
                                x_keep[i] = X[w, i]
                                X[w, i] = x_before[w * D + i]
                            _look(w, t, X, F, gnorm, vg, hess, detect, data, near, etol, zero_modes, curv, vstate,
                                  vinfo, vloss, vpoint, vrad, events, ev_x, n_events, look)
                            _thresholds(w, w + 1, vstate, rad_run, thr_gate, near * near, thr)
                            for i in range(D):
                                X[w, i] = x_keep[i]
                            if curv[0] != c0 or curv[2] != c2:
                                lo = w + 1
                                break
                            w = _next_due(due, due_words, w + 1, e)
                    if recording:
                        copy_span(rec_loss[row], F, np.int64(b), np.int64(e))
                    if last or out != 0.0:  # |g| where run_chunk leaves it: of the chunk's last step, of one that
                        for w in range(b, e):  # left the bound (the looks above set their walkers' own)
                            if (out != 0.0 and not _mark_left(w, X, bound, xok)) or last:
                                gnorm[w] = np.sqrt(g2s[w])
                else:  # detection off, or every walker sitting in a ball (a settled run): the bare step in
                    n_out = 0  # one pass, after one check of who left their ball, from the x they step from
                    if near > 0.0 and _flat_far(b * D, e * D, x_run, p_run, near * near / (D * (1.0 + DUE_SLACK))):
                        if D == 1:  # (some coordinate is far enough from its point for a walker to be outside)
                            n_out = _flat_outside(b, e, 1, x_run, p_run, near * near, due)
                        elif D == 2:
                            n_out = _flat_outside(b, e, 2, x_run, p_run, near * near, due)
                        else:
                            n_out = _flat_outside(b, e, D, x_run, p_run, near * near, due)
                    out = _flat_run(b * D, e * D, x_run, g_run, s_run, terms, c, data, bound, False, terms)
                    if D == 1:
                        _flat_f(b, e, 1, terms, f0, data, F, best)
                    elif D == 2:
                        _flat_f(b, e, 2, terms, f0, data, F, best)
                    else:
                        _flat_f(b, e, D, terms, f0, data, F, best)
                    if n_out:
                        for w in range(b, e):
                            if due[w]:
                                leave_ball(w, t, F[w], vstate, vinfo, vloss, vpoint, events, ev_x, n_events)
                                _thresholds(w, w + 1, vstate, rad_run, thr_gate, near * near, thr)
                    if recording:
                        copy_span(rec_loss[row], F, np.int64(b), np.int64(e))
                    if last or out != 0.0:  # |g| on the chunk's last step (nothing reads it between steps of a
                        for w in range(b, e):  # walker in a ball or not detecting), or of one that left the bound
                            if (out != 0.0 and not _mark_left(w, X, bound, xok)) or last:
                                gnorm[w] = _walker_gnorm(w, G)
                every_flat = every_flat and out == 0.0
                if e == B:
                    break
                done = e
                continue
            key = counter_key(seed, b, t) if KEYED else np.uint64(0)
            if one_pass and xok[b]:
                # value, gradient and step in one pass. Detecting, the pass also keeps the x the walker
                # steps from (``x_old``) and its distance to its point: a walker sitting in a ball is checked
                # for leaving it; any other, if its look is due, is put back at that x while the detector
                # looks (where the gradient was taken, what the detector sees), then moved on
                f = f0
                g2 = 0.0
                d2 = 0.0
                out = 0.0
                if near > 0.0:
                    for i in range(D):
                        x = X[b, i]
                        x_old[i] = x
                        fi, gi = L_ELEM(x, data)
                        f += fi
                        g2 += gi * gi
                        G[b, i] = gi
                        dx = x - vpoint[b, i]
                        d2 += dx * dx
                        xn = O_ELEM(x, gi, S, b, i, c, key)
                        X[b, i] = xn
                        out += 0.0 if abs(xn) <= bound else 1.0
                elif last:  # the gradient is kept where run_chunk keeps it: the last step's
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
                if near > 0.0:
                    state = vstate[b]
                    if state in (IN_SADDLE, AT_MINIMUM):
                        if d2 > near * near:
                            leave_ball(b, t, fb, vstate, vinfo, vloss, vpoint, events, ev_x, n_events)
                    elif walker_due(state, gnorm[b], d2, vrad[b, 0], vrad[b, 1], GATE * curv[0] * near, near * near,
                                    t - vinfo[b, 0], curv[2]):
                        for i in range(D):  # (as the flat runs' looks, written out: see x_keep)
                            x_keep[i] = X[b, i]
                            X[b, i] = x_old[i]
                        _look(b, t, X, F, gnorm, vg, hess, detect, data, near, etol, zero_modes, curv, vstate, vinfo,
                              vloss, vpoint, vrad, events, ev_x, n_events, look)
                        for i in range(D):
                            X[b, i] = x_keep[i]
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
                if recording:
                    rec_loss[row, b] = np.nan
                continue
            best[b] = min(best[b], fb)
            gnorm[b] = np.sqrt(g2)
            if near > 0.0 and _due(b, t, X, gnorm, near, curv, vstate, vinfo, vpoint, vrad):
                _look(b, t, X, F, gnorm, vg, hess, detect, data, near, etol, zero_modes, curv, vstate, vinfo, vloss,
                      vpoint, vrad, events, ev_x, n_events, look)
                if flat:  # (its flags' thresholds, should it step in a flat run later in the chunk)
                    _thresholds(b, b + 1, vstate, rad_run, thr_gate, near * near, thr)
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

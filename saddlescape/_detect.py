"""The event detector and the per-step screen, shared by every stepping loop: ``run_chunk``
(``_kernels.py``), the fused loops and the Python-driven paths (plug-ins, and built-ins while the
compiled loop loads). Nothing here compiles when the module is imported: the helpers compile into
the loop that calls them, the entry points (``screen_walkers``, ``retract``, ``detect_events_entry``,
``detect_walker_entry``) when first used.
"""
from __future__ import annotations

import numpy as np
from numba import float64, int64, njit, types, uint8, void

from saddlescape.landscapes._kernel import (
    HESSIAN_TYPE,
    KERNEL_OPTIONS,
    VALUE_AND_GRAD_TYPE,
    deferred,
    kernel,
)

from ._critical import CHOLESKY_MIN_DIM, LOCATE, _dot, cholesky_into, is_diagonal, newton_walk
from ._events import AT_MINIMUM, ESCAPE_FTOL, FREE, GATE, IN_SADDLE, MINIMUM, NEAR, SADDLE_ESCAPE, WAIT

LOCATE_ITERS = 12  # Newton steps (each at most `near` long) from a walker onto its critical point
LOCATE_GTOL = 1e-9  # |g| <= LOCATE_GTOL (1 + |f|) there
CANDIDATE_BALLS = 3.0  # a critical point found within this many radii is watched until the walker reaches it


SCREEN_SIG = void(float64[:, ::1], float64[:, ::1], float64[::1], uint8[::1], float64, float64[::1], float64,
                  int64[::1], float64[::1], int64, float64[::1])


@deferred(SCREEN_SIG)  # explicit: the Python-driven paths call its compiled entry point directly
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


LANCZOS_STEPS = 12  # Lanczos steps for the scale (the extreme Ritz values converge first: on the tests'
SCALE_RTOL = 0.1  # spectra the top one within 7% below the largest eigenvalue; the gate, 2 curv near, allows 1/2)


@kernel()
def _gershgorin(H):
    """(lo, hi, top, bound) of symmetric ``H``, one pass: its Gershgorin discs' lowest and highest
    points, min and max over i of H_ii -/+ sum_{j != i} |H_ij|, which bound every eigenvalue from
    below and above; ``top`` = max_i H_ii, which no eigenvalue's top is below; ``bound`` =
    min(largest absolute row sum, Frobenius norm), which bounds every |eigenvalue|."""
    D = H.shape[0]
    lo = np.inf
    hi = -np.inf
    top = -np.inf
    rows = 0.0
    fro = 0.0
    for i in range(D):
        r = 0.0
        for j in range(D):
            r += abs(H[i, j])
            fro += H[i, j] * H[i, j]
        off = r - abs(H[i, i])
        lo = min(lo, H[i, i] - off)
        hi = max(hi, H[i, i] + off)
        top = max(top, H[i, i])
        rows = max(rows, r)
    return lo, hi, top, min(rows, np.sqrt(fro))


@kernel()
def _lanczos_extremes(H, Q):
    """(smallest, largest) Ritz value of symmetric ``H`` after ``Q.shape[0]`` Lanczos steps with
    full reorthogonalisation, from a fixed start (``Q``: scratch, one row a step). Both lie within
    the spectrum and approach its ends first: at D = 100 ~28 us for LANCZOS_STEPS (12) steps, ~100 us
    for 32, where an eigendecomposition costs ~390 us."""
    m, D = Q.shape
    for i in range(D):  # a fixed start with no symmetry of its own (golden-angle phases)
        Q[0, i] = 1.0 + 0.5 * np.sin(1.0 + 2.399963229728653 * i)
    Q[0] /= np.sqrt(_dot(Q[0], Q[0]))
    alpha = np.zeros(m)
    beta = np.zeros(m)
    w = np.empty(D)
    k = m
    for j in range(m):
        for i in range(D):
            w[i] = _dot(H[i], Q[j])
        alpha[j] = _dot(w, Q[j])
        hn = np.sqrt(_dot(w, w))
        for _ in range(2):  # full reorthogonalisation, twice ("twice is enough": once leaves a
            for r in range(j + 1):  # nearly exhausted space's next vector far from orthogonal)
                c = _dot(w, Q[r])
                for i in range(D):  # (in place: no temporary a step)
                    w[i] -= c * Q[r, i]
        bn = np.sqrt(_dot(w, w))
        if j + 1 == m or bn <= 1e-10 * hn:
            k = j + 1  # done, or an invariant subspace: its Ritz values are eigenvalues
            break
        beta[j] = bn
        Q[j + 1] = w / bn
    T = np.zeros((k, k))  # (the tridiagonal by loops: np.diag's overloads took seconds to compile)
    for j in range(k):
        T[j, j] = alpha[j]
    for j in range(k - 1):
        T[j, j + 1] = T[j + 1, j] = beta[j]
    theta = np.linalg.eigvalsh(T)
    return theta[0], theta[k - 1]


@kernel()
def curvature_index(x, hess, data, radius, radial, etol, zero_modes, H):
    """(index, degenerate, scale) of the Hessian at ``x``: eigenvalues below -etol * scale,
    whether more than ``zero_modes`` lie within +-etol * scale (a flat direction the landscape
    does not declare), and scale = the largest |eigenvalue| (from CHOLESKY_MIN_DIM at a
    non-degenerate minimum an estimate at most SCALE_RTOL below it); on the sphere for the Riemannian
    Hessian in the tangent space. ``H``: (D, D) scratch. A diagonal Hessian (a separable
    landscape's) is read as it is, with no copy, sort or allocation: the detector's look at D = 2
    costs about a microsecond, and those were a share of it."""
    D = x.shape[0]
    hess(x, H, data)
    if radius == 0.0 and is_diagonal(H):  # separable: the eigenvalues are the diagonal
        return spectrum_index(H.reshape(D * D)[::D + 1], D, etol, zero_modes)
    if radius == 0.0 and D >= CHOLESKY_MIN_DIM:
        # a dense Hessian, large: most points located are minima, where H is positive definite:
        # every eigenvalue above the tolerance a norm bound on the scale sets (so above etol *
        # max(1, scale), whatever the scale) proves index 0 and no flat direction. Gershgorin's
        # discs prove it in one pass where H is diagonally dominant (ackley's and griewank's
        # minima: a diagonal plus a small low rank), their tops the scale when within SCALE_RTOL
        # of the largest diagonal entry, which no eigenvalue's top is below. Otherwise a Cholesky
        # test of H less that tolerance, a few Lanczos steps estimating the scale (the gate's
        # curvature; within SCALE_RTOL below it) and ruling the test out where the smallest Ritz
        # value is not positive. Otherwise (a saddle, a flat direction) the eigenvalues decide.
        for i in range(D):  # (symmetrised in place, as the eigenvalue path below symmetrises its copy)
            for j in range(i):
                H[i, j] = H[j, i] = 0.5 * (H[i, j] + H[j, i])
        glo, ghi, top, bound = _gershgorin(H)
        shift = etol * max(1.0, bound)
        if glo > shift and ghi <= (1.0 + SCALE_RTOL) * top:  # (top >= scale / (1 + SCALE_RTOL))
            return 0, False, top
        lo, hi = _lanczos_extremes(H, np.empty((min(LANCZOS_STEPS, D), D)))
        if lo > 0.0 and (glo > shift or cholesky_into(H, shift, np.empty((D, D)))):
            return 0, False, max(abs(lo), abs(hi))  # every eigenvalue above the tolerance: index 0, none flat
    if radius > 0.0:
        r2 = radius * radius
        P = np.eye(D) - np.outer(x, x) / r2
        big = 1e3 * (1.0 + np.max(np.abs(H)) + abs(radial))
        Hs = np.dot(P, np.dot(H, P)) - radial * P + np.outer(x, x) / r2 * big
        lam = np.linalg.eigvalsh(0.5 * (Hs + Hs.T))
    else:
        lam = np.linalg.eigvalsh(0.5 * (H + H.T))
    return spectrum_index(lam, D - 1 if radius > 0.0 else D, etol, zero_modes)  # (on the sphere the normal
    # direction's eigenvalue, big, sits at the top: skipped)


@njit(inline="always", **KERNEL_OPTIONS)
def spectrum_index(lam, n, etol, zero_modes):
    """(index, degenerate, scale) of eigenvalues ``lam[:n]`` in any order: how many lie below
    -etol * scale, whether more than ``zero_modes`` lie within +-etol * scale, and scale = the
    largest |eigenvalue|."""
    scale = 0.0
    for k in range(n):
        scale = max(scale, abs(lam[k]))
    tol = etol * max(1.0, scale)
    index = 0
    flat = 0
    for k in range(n):
        if lam[k] < -tol:
            index += 1
        elif lam[k] <= tol:
            flat += 1
    return index, flat > zero_modes, scale


@njit(inline="always", **KERNEL_OPTIONS)
def _emit(events, ev_x, n_events, kind, b, step_in, step_out, index, loss, x):
    e = n_events[0]
    if e < events.shape[0]:
        events[e, 0] = kind
        events[e, 1] = b
        events[e, 2] = step_in
        events[e, 3] = step_out
        events[e, 4] = index
        events[e, 5] = loss
        for i in range(x.shape[0]):  # (loops, not slice copies: the looks compiled with no NRT call them)
            ev_x[e, i] = x[i]
    n_events[0] = e + 1  # counts past the buffer's end too, so a truncation is seen


@njit(inline="always", **KERNEL_OPTIONS)
def _row_sqdist(X, P, b, p):
    """|X[b] - P[p]|^2 without making row views."""
    d2 = 0.0
    for i in range(X.shape[1]):
        d = X[b, i] - P[p, i]
        d2 += d * d
    return d2


@njit(inline="always", **KERNEL_OPTIONS)
def leave_ball(b, t, f, vstate, vinfo, vloss, vpoint, events, ev_x, n_events):
    """Walker ``b`` (IN_SADDLE or AT_MINIMUM) has left its located point's ball with loss ``f``:
    a saddle passage ends, an escape when ``f`` is below the saddle's loss; FREE from here. (The
    fused loops' one-pass step, which walkers sitting in a ball take, calls it directly.)"""
    if vstate[b] == IN_SADDLE and f < vloss[b] - ESCAPE_FTOL * (1.0 + abs(vloss[b])):
        _emit(events, ev_x, n_events, SADDLE_ESCAPE, b, vinfo[b, 0], t, vinfo[b, 1], vloss[b], vpoint[b])
    vstate[b] = FREE


@njit(inline="always", **KERNEL_OPTIONS)
def _enter(b, t, vstate, vinfo, vloss, vpoint, events, ev_x, n_events):
    """Walker ``b`` is inside the ball around its located critical point from step ``t`` on."""
    if vinfo[b, 1] > 0:
        vstate[b] = IN_SADDLE
        vinfo[b, 0] = t
    else:
        vstate[b] = AT_MINIMUM
        _emit(events, ev_x, n_events, MINIMUM, b, t, t, 0, vloss[b], vpoint[b])


@njit(inline="always", **KERNEL_OPTIONS)
def _wait_radius(d, near):
    """How far a walker whose critical point lies ``d`` ahead (too far to matter) moves before the next look."""
    return max(0.5 * (d - near), 0.25 * near) if np.isfinite(d) else near


@njit(inline="always", **KERNEL_OPTIONS)
def _locate(b, t, X, gn, vg, hess, data, radius, near, etol, zero_modes, curv, vstate, vinfo, vloss, vpoint,
            vrad, events, ev_x, n_events, x1, g1, f1, keys, H):
    """Newton from walker ``b``'s position onto the nearest critical point; then a saddle or
    minimum visit if the walker is within ``near`` of it, a candidate it may still reach, or a
    wait until the walker has moved far enough to be worth looking again. ``x1``, ``g1``,
    ``f1``, ``keys``, ``H``: scratch, allocated once per detector call."""
    D = X.shape[1]
    vrad[b, 1] = gn  # |g| at this look: a walker whose gradient halves from here is looked at again
    vinfo[b, 0] = t  # (a wait's next look is at least curv[2] steps later; a visit overwrites it as it begins)
    # Newton onto it in steps no longer than the radius; its first step, uncut, is how far the
    # quadratic model puts the critical point ahead: beyond CANDIDATE_BALLS radii the walk ends there
    x1[0, :] = X[b]
    ok = False
    if radius == 0.0:  # (one walk: its first Hessian and factor serve the steps after it)
        ok, _, _, first = newton_walk(x1, g1, f1, keys, H, vg, hess, data, radius, LOCATE, LOCATE_ITERS, near,
                                      LOCATE_GTOL, np.inf, CANDIDATE_BALLS * near)
    else:  # on the sphere: the full first step, retracted, is how far; then the walk from the start
        newton_walk(x1, g1, f1, keys, H, vg, hess, data, radius, LOCATE, 1, np.inf, LOCATE_GTOL, np.inf, np.inf)
        first = np.sqrt(_row_sqdist(X, x1, b, 0))
        if first <= CANDIDATE_BALLS * near:
            x1[0, :] = X[b]
            ok, _, _, _ = newton_walk(x1, g1, f1, keys, H, vg, hess, data, radius, LOCATE, LOCATE_ITERS, near,
                                      LOCATE_GTOL, np.inf, np.inf)
    d = _walked(b, X, x1, ok, first, near, vstate, vpoint, vrad)
    if d < 0.0:
        return
    radial = 0.0
    if radius > 0.0:
        vg(x1, g1, f1, data, keys, 0)
        radial = np.dot(x1[0], g1[0]) / (radius * radius)
    index, degenerate, scale = curvature_index(x1[0], hess, data, radius, radial, etol, zero_modes, H)
    top = (D - 1 if radius > 0.0 else D) - zero_modes  # the index of a maximum
    _found(b, t, X, x1[0], f1[0], d, index, degenerate, scale, top, near, curv, vstate, vinfo, vloss, vpoint, vrad,
           events, ev_x, n_events)


@njit(inline="always", **KERNEL_OPTIONS)
def _walked(b, X, x1, ok, first, near, vstate, vpoint, vrad):
    """After a look's walk from walker ``b`` (its first step ``first`` long, ending at ``x1[0]``,
    converged if ``ok``): the walker's distance to the critical point found, or -1 where the walker
    now waits, the point too far to matter (beyond CANDIDATE_BALLS radii: looked at again halfway
    there) or not reached. Both looks' one decision (``_locate`` and the fused loops' own)."""
    if not first <= CANDIDATE_BALLS * near:  # (NaN too)
        _wait(b, X, vstate, vpoint, vrad, _wait_radius(first, near))
        return -1.0
    d = np.sqrt(_row_sqdist(X, x1, b, 0)) if ok else np.inf
    if d > CANDIDATE_BALLS * near:
        _wait(b, X, vstate, vpoint, vrad, near)
        return -1.0
    return d


@njit(inline="always", **KERNEL_OPTIONS)
def _wait(b, X, vstate, vpoint, vrad, r):
    """Walker ``b`` waits until it has moved ``r`` from here (or its gradient halved) to be looked at again."""
    vstate[b] = WAIT
    for i in range(X.shape[1]):
        vpoint[b, i] = X[b, i]
    vrad[b, 0] = r


@njit(inline="always", **KERNEL_OPTIONS)
def _found(b, t, X, x, f, d, index, degenerate, scale, top, near, curv, vstate, vinfo, vloss, vpoint, vrad, events,
           ev_x, n_events):
    """A look located the critical point ``x`` (loss ``f``, ``index`` negative eigenvalues of
    ``top`` a maximum has, curvature ``scale``) ``d`` from walker ``b``, within CANDIDATE_BALLS radii:
    a visit begins if the walker is within ``near``, else it is a candidate the walker may reach."""
    # the gate's curvature bound: from now on the largest seen at critical points themselves (the
    # starts' curvature, where it began, can be far larger than any near a critical point)
    curv[0] = scale if curv[1] == 0.0 else max(curv[0], scale)
    curv[1] += 1.0
    if (degenerate and index == 0) or index >= top:  # a flat bottom or a hilltop: no minimum, no saddle
        _wait(b, X, vstate, vpoint, vrad, near)
        return
    for i in range(x.shape[0]):
        vpoint[b, i] = x[i]
    vloss[b] = f
    vinfo[b, 1] = index
    if d <= near:
        _enter(b, t, vstate, vinfo, vloss, vpoint, events, ev_x, n_events)
    else:
        vstate[b] = NEAR
        vrad[b, 0] = d  # how far it was: a walker whose gradient halves without coming closer is looked at again


@kernel(nrt=False)
def found(b, t, X, x, f, d, index, degenerate, scale, top, near, curv, vstate, vinfo, vloss, vpoint, vrad, events,
          ev_x, n_events):
    """``_found`` compiled once, for the fused loops' looks (``_fused_template._look``): each pair's
    loop calls it rather than compiling its own copy (the general detector inlines ``_found``).
    No reference counting (``kernel(nrt=False)``): the arrays it is passed are the loop's."""
    _found(b, t, X, x, f, d, index, degenerate, scale, top, near, curv, vstate, vinfo, vloss, vpoint, vrad, events,
           ev_x, n_events)


@kernel()
def _turned(gn, d2, dist, look_g):
    """A walker NEAR a candidate whose gradient has halved since the look that found it
    (``look_g``) while its distance to the candidate has not shrunk by a quarter from ``dist``:
    not converging on that candidate (one that is, |g| ~ |H| d, comes closer as its gradient
    falls and is not looked at again)."""
    return gn <= 0.5 * look_g and d2 > 0.5625 * dist * dist


@kernel()
def walker_due(state, gn, d2, wait_r, look_g, gate, r2, waited, spacing):
    """Whether ``detect_walker`` can change anything for a walker this step: a gradient small
    enough to be near a critical point (|g| <= ``gate``), or the edge of its ball or wait
    crossed, or |g| halved. ``d2``: its squared distance to ``vpoint`` (not needed when FREE);
    ``wait_r``, ``look_g``: its ``vrad`` row; ``waited``: steps since its last look, at least
    ``spacing`` (``curv[2]``) before a waiting walker is looked at again. The fused loops' flat runs
    read the same flags off per-walker thresholds (``_fused_template._thresholds``, a superset: the
    spacing not read): change both together; the fused tests compare them. The loops check this
    inline, on scalars: a call passing the detector's arrays costs more than a step of a small
    problem (reference counts)."""
    if state == FREE:
        return gn <= gate
    if state == NEAR:
        return d2 <= r2 or d2 > (CANDIDATE_BALLS + 1.0) ** 2 * r2 or _turned(gn, d2, wait_r, look_g)
    if state == WAIT:
        return (gn <= 0.5 * look_g or d2 >= wait_r * wait_r) and waited >= spacing
    return d2 > r2


@njit(inline="always", **KERNEL_OPTIONS)
def detect_walker(b, X, F, gnorm, t, vg, hess, data, radius, near, etol, zero_modes, curv, vstate, vinfo, vloss,
                  vpoint, vrad, events, ev_x, n_events, x1, g1, f1, keys, H):
    """Walker ``b``'s share of ``detect_events`` (scratch ``x1``, ``g1``, ``f1``, ``keys``, ``H``)."""
    if _to_locate(b, X, F, gnorm, t, near, curv, vstate, vinfo, vloss, vpoint, vrad, events, ev_x, n_events):
        _locate(b, t, X, gnorm[b], vg, hess, data, radius, near, etol, zero_modes, curv, vstate, vinfo,
                vloss, vpoint, vrad, events, ev_x, n_events, x1, g1, f1, keys, H)


@kernel(nrt=False)
def to_locate(b, X, F, gnorm, t, near, curv, vstate, vinfo, vloss, vpoint, vrad, events, ev_x, n_events):
    """``_to_locate`` compiled once, for the fused loops' looks (as ``found``, with no reference
    counting): each pair's loop calls it rather than compiling its own copy (3-4 s each here)."""
    return _to_locate(b, X, F, gnorm, t, near, curv, vstate, vinfo, vloss, vpoint, vrad, events, ev_x, n_events)


@njit(inline="always", **KERNEL_OPTIONS)
def _to_locate(b, X, F, gnorm, t, near, curv, vstate, vinfo, vloss, vpoint, vrad, events, ev_x, n_events):
    """``detect_walker`` up to its look: walker ``b`` leaves its ball, enters its candidate's or
    stays, or is set FREE; returns whether its critical point is to be located now (the fused
    loops of separable landscapes locate it themselves, ``_fused_template._locate_separable``)."""
    r2 = near * near
    state = vstate[b]
    if state != FREE:
        d2 = _row_sqdist(X, vpoint, b, b)
        if state in (IN_SADDLE, AT_MINIMUM):
            if d2 > r2:
                leave_ball(b, t, F[b], vstate, vinfo, vloss, vpoint, events, ev_x, n_events)
            return False
        if state == NEAR:
            if d2 <= r2:
                _enter(b, t, vstate, vinfo, vloss, vpoint, events, ev_x, n_events)
                return False
            if d2 <= (CANDIDATE_BALLS + 1.0) ** 2 * r2 and not _turned(gnorm[b], d2, vrad[b, 0], vrad[b, 1]):
                return False
            # moved off, or the gradient halved without the walker coming closer to the
            # candidate: it may be heading for another critical point, look again
        elif (d2 < vrad[b, 0] * vrad[b, 0] and gnorm[b] > 0.5 * vrad[b, 1]) or t - vinfo[b, 0] < curv[2]:
            return False  # WAIT: neither moved far enough nor come much closer to a critical point (or too soon)
        vstate[b] = FREE
    return gnorm[b] <= GATE * curv[0] * near


@kernel()
def detect_events(X, F, gnorm, active, t, vg, hess, data, radius, near, etol, zero_modes, curv, vstate,
                  vinfo, vloss, vpoint, vrad, events, ev_x, n_events):
    """Saddle passages and minima reached, one step: a passage is the run of steps a walker
    spends within ``near`` of a saddle (index >= 1), counted as an escape when the walker leaves
    that ball with a loss below the saddle's; a minimum is reached on entering its ball.

    Only a walker whose |g| is at most GATE * curv * near can be within ``near`` of a critical
    point (|g| ~ |H| |x - x*| there; ``curv`` bounds |H|, learnt from the critical points
    located so far), so the Hessian is formed only then: Newton locates the critical point exactly (its position,
    loss and index). Inside a ball or waiting to move on, a walker costs one distance a step."""
    B, D = X.shape
    x1 = np.empty((1, D))
    g1 = np.empty((1, D))
    f1 = np.empty(1)
    keys = np.zeros(1, np.int64)
    H = np.empty((0, 0)) if B == 0 else np.empty((D, D))
    for b in range(B):
        if active[b]:
            detect_walker(b, X, F, gnorm, t, vg, hess, data, radius, near, etol, zero_modes, curv, vstate, vinfo,
                          vloss, vpoint, vrad, events, ev_x, n_events, x1, g1, f1, keys, H)


DETECT_SIG = void(float64[:, ::1], float64[::1], float64[::1], uint8[::1], int64, VALUE_AND_GRAD_TYPE, HESSIAN_TYPE,
                  float64[::1], float64, float64, float64, int64, float64[::1], int64[::1], int64[:, ::1],
                  float64[::1], float64[:, ::1], float64[:, ::1], float64[:, ::1], float64[:, ::1], int64[::1])


@deferred(DETECT_SIG)  # (compiled when the plug-in path first needs it)
def detect_events_entry(X, F, gnorm, active, t, vg, hess, data, radius, near, etol, zero_modes, curv, vstate,
                        vinfo, vloss, vpoint, vrad, events, ev_x, n_events):
    """``detect_events`` with an explicit signature, for the plug-in path (stays cached)."""
    detect_events(X, F, gnorm, active, t, vg, hess, data, radius, near, etol, zero_modes, curv, vstate, vinfo,
                  vloss, vpoint, vrad, events, ev_x, n_events)


DETECT_WALKER_SIG = void(int64, float64[:, ::1], float64[::1], float64[::1], int64, VALUE_AND_GRAD_TYPE, HESSIAN_TYPE,
                         float64[::1], float64, float64, float64, int64, float64[::1], int64[::1], int64[:, ::1],
                         float64[::1], float64[:, ::1], float64[:, ::1], float64[:, ::1], float64[:, ::1], int64[::1])
DETECT_WALKER_TYPE = types.FunctionType(DETECT_WALKER_SIG)


@deferred(DETECT_WALKER_SIG)
def detect_walker_entry(b, X, F, gnorm, t, vg, hess, data, radius, near, etol, zero_modes, curv, vstate, vinfo, vloss,
                        vpoint, vrad, events, ev_x, n_events):
    """``detect_walker`` with its scratch and an explicit signature: the fused loops take it as a
    first-class function, so the detector compiles once, not into every fused loop."""
    D = X.shape[1]
    detect_walker(b, X, F, gnorm, t, vg, hess, data, radius, near, etol, zero_modes, curv, vstate, vinfo, vloss,
                  vpoint, vrad, events, ev_x, n_events, np.empty((1, D)), np.empty((1, D)), np.empty(1),
                  np.zeros(1, np.int64), np.empty((D, D)))


REPLAY_SIG = void(int64[::1], float64[:, :, ::1], float64[:, ::1], float64[:, ::1], uint8[:, ::1], VALUE_AND_GRAD_TYPE,
                  HESSIAN_TYPE, float64[::1], float64, float64, float64, int64, float64[::1], int64[::1], int64[:, ::1],
                  float64[::1], float64[:, ::1], float64[:, ::1], float64[:, ::1], float64[:, ::1], int64[::1])


@deferred(REPLAY_SIG)
def replay_events(ts, Xs, Fs, gnorms, actives, vg, hess, data, radius, near, etol, zero_modes, curv, vstate, vinfo,
                  vloss, vpoint, vrad, events, ev_x, n_events):
    """``detect_events`` over steps kept earlier (``ts[k]``: positions ``Xs[k]``, losses, |g|, live
    walkers), in order: the light path's steps, looked at once the detector has loaded."""
    for k in range(ts.shape[0]):
        detect_events(Xs[k], Fs[k], gnorms[k], actives[k], ts[k], vg, hess, data, radius, near, etol, zero_modes, curv,
                      vstate, vinfo, vloss, vpoint, vrad, events, ev_x, n_events)

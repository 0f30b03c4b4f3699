"""Separable-structure classics: rastrigin, styblinski-tang (separable), ackley, griewank.

Kernels loop over (walkers, dim) directly so they vectorise and reach memory bandwidth at
D = 10^6. For the separable two (f = sum of h(x_i)), every critical point is a product of
1-D critical points, so counts by index are known exactly: with m 1-D minima and M 1-D
maxima there are C(D, k) m^(D-k) M^k critical points of index k.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._base import Elementwise, Landscape
from ._fastmath import fma, sincos, sincos_turns
from ._kernel import HESSIAN_SIG, HVP_SIG, KERNEL_OPTIONS, VALUE_AND_GRAD_SIG, deferred, kernel

TWO_PI = 2.0 * math.pi
EXACT_COUNT_MAX_DIM = 60  # above this, counts are reported as log10 only
# |x_i| up to which every term and derivative is finite and a sum over 10^9 coordinates cannot
# overflow (tests check the terms on a grid up to them): the fused loops rely on it
RASTRIGIN_SAFE_BOUND = 1e100
STYBLINSKI_TANG_SAFE_BOUND = 1e60


@njit(inline="always", **KERNEL_OPTIONS)
def _flat_sum_vg(X, G, F, data, D, elem, sum0, total):
    """``_sum_vg`` for small ``D`` (a literal at each call for one, two and four coordinates): every
    coordinate's term and derivative in one loop over the batch's coordinates, which LLVM vectorises
    across walkers (a loop over a row of two cannot be), then each walker's terms summed in order.
    Unsigned indices: a signed one's wraparound check keeps LLVM from vectorising."""
    n = np.uint64(X.size)
    d = np.uint64(D)
    x = X.reshape(X.size)
    g = G.reshape(G.size)
    terms = np.empty(X.size)
    for j in range(np.uint64(0), n):
        fj, gj = elem(x[j], data)
        terms[j] = fj
        g[j] = gj
    for b in range(np.uint64(0), np.uint64(X.shape[0])):
        f = sum0(D, data)
        for i in range(d):
            f += terms[b * d + i]
        F[b] = total(f, data)


@njit(inline="always", **KERNEL_OPTIONS)
def _sum_vg(X, G, F, data, elem, sum0, total, flat_max):
    """Value and gradient of a landscape whose loss is ``total(sum0 + sum of elem terms)``, walker by
    walker, or, two walkers or more of up to ``flat_max`` coordinates, as one run of coordinates:
    the same sums in the same order. A row shorter than a vector is stepped through one coordinate
    at a time; the run is not: (4096, 2) styblinski-tang 8.2 -> 4.0 us a call, rastrigin 45 -> 11 us;
    (2048, 4) rastrigin 45 -> 11.5 us, styblinski-tang 3.8 -> 4.1 us (its cheap row of four already a
    vector: its flat_max is 3); at D = 8 a row is a vector and as fast. Walker by walker, one walker's
    row is read once (bandwidth at D = 10^6)."""
    B, D = X.shape
    if B >= 2 and flat_max >= D:
        if D == 1:
            _flat_sum_vg(X, G, F, data, 1, elem, sum0, total)
        elif D == 2:
            _flat_sum_vg(X, G, F, data, 2, elem, sum0, total)
        elif D == 4:
            _flat_sum_vg(X, G, F, data, 4, elem, sum0, total)
        else:
            _flat_sum_vg(X, G, F, data, D, elem, sum0, total)
        return
    for b in range(B):
        f = sum0(D, data)
        for i in range(D):
            fi, gi = elem(X[b, i], data)
            f += fi
            G[b, i] = gi
        F[b] = total(f, data)


# ---------------------------------------------------------------------------------- rastrigin
@kernel(exact=True)
def rastrigin_elem(x, data):
    """(term, derivative) of coordinate x: x^2 - A cos(2 pi x), 2x + 2 pi A sin(2 pi x)."""
    A = data[0]
    sn, cs = sincos_turns(x)  # sin, cos of 2 pi x, vectorisable
    return x * x - A * cs, fma(2.0, x, (A * TWO_PI) * sn)


@kernel()
def rastrigin_sum0(D, data):
    """Where the sum of the terms starts: A D."""
    return data[0] * D


@kernel()
def rastrigin_total(f, data):
    return f


@deferred(VALUE_AND_GRAD_SIG)
def rastrigin_vg(X, G, F, data, keys, batch):
    _sum_vg(X, G, F, data, rastrigin_elem, rastrigin_sum0, rastrigin_total, 7)


@kernel(exact=True)
def rastrigin_d2(x, data):
    """The Hessian's diagonal entry of coordinate x: 2 + 4 pi^2 A cos(2 pi x)."""
    return 2.0 + data[0] * TWO_PI * TWO_PI * sincos_turns(x)[1]


@deferred(HESSIAN_SIG)
def rastrigin_hess(x, H, data):
    H[:, :] = 0.0
    for i in range(x.shape[0]):
        H[i, i] = rastrigin_d2(x[i], data)


@deferred(HVP_SIG)
def rastrigin_hvp(x, v, out, data):
    for i in range(x.shape[0]):
        out[i] = rastrigin_d2(x[i], data) * v[i]


# ---------------------------------------------------------------------------- styblinski-tang
@kernel(exact=True)
def styblinski_tang_elem(x, data):
    """(term, derivative) of coordinate x: x^4 - 16 x^2 + 5 x (halved in the total), 2x^3 - 16x + 2.5."""
    x2 = x * x
    return x2 * x2 - 16.0 * x2 + 5.0 * x, fma(2.0 * x2, x, fma(-16.0, x, 2.5))


@kernel()
def styblinski_tang_sum0(D, data):
    return 0.0


@kernel()
def styblinski_tang_total(f, data):
    return 0.5 * f


@deferred(VALUE_AND_GRAD_SIG)
def styblinski_tang_vg(X, G, F, data, keys, batch):
    _sum_vg(X, G, F, data, styblinski_tang_elem, styblinski_tang_sum0, styblinski_tang_total, 3)


@kernel(exact=True)
def styblinski_tang_d2(x, data):
    """The Hessian's diagonal entry of coordinate x (of the halved total): 6x^2 - 16."""
    return 6.0 * x * x - 16.0


@deferred(HESSIAN_SIG)
def styblinski_tang_hess(x, H, data):
    H[:, :] = 0.0
    for i in range(x.shape[0]):
        H[i, i] = styblinski_tang_d2(x[i], data)


@deferred(HVP_SIG)
def styblinski_tang_hvp(x, v, out, data):
    for i in range(x.shape[0]):
        out[i] = styblinski_tang_d2(x[i], data) * v[i]


# ----------------------------------------------------------------------------------- ackley
@deferred(VALUE_AND_GRAD_SIG)
def ackley_vg(X, G, F, data, keys, batch):
    a, bb, c = data[0], data[1], data[2]
    B, D = X.shape
    for b in range(B):
        s2 = 0.0
        cs = 0.0
        for i in range(D):
            x = X[b, i]
            s2 += x * x
            sn, cn = sincos(c * x)
            G[b, i] = sn  # kept for the gradient pass: one sincos an element, not two
            cs += cn
        r = np.sqrt(s2 / D)
        e1 = np.exp(-bb * r)
        e2 = np.exp(cs / D)
        F[b] = -a * e1 - e2 + a + np.e
        k1 = a * bb * e1 / (D * r) if r > 0.0 else 0.0
        k2 = e2 * c / D
        for i in range(D):
            G[b, i] = k1 * X[b, i] + k2 * G[b, i]


@kernel()
def _ackley_parts(x, data):
    a, bb, c = data[0], data[1], data[2]
    D = x.shape[0]
    s2 = 0.0
    cs = 0.0
    for i in range(D):
        s2 += x[i] * x[i]
        cs += sincos(c * x[i])[1]
    r = np.sqrt(s2 / D)
    return a, bb, c, D, r, np.exp(-bb * r), np.exp(cs / D)


@deferred(HESSIAN_SIG)
def ackley_hess(x, H, data):
    # Outer term u(r) = -a exp(-b r), r = |x|/sqrt(D): H1 = u'' grad r grad r^T + u' Hess r.
    # At r = 0 the cone is not twice differentiable; the smooth (cosine) part alone is returned.
    # (the sines once each, not once an entry: D^2 of them made a D = 100 Hessian cost ~90 us)
    a, bb, c, D, r, e1, e2 = _ackley_parts(x, data)
    s = np.empty(D)
    for i in range(D):
        s[i] = np.sin(c * x[i])
    for i in range(D):
        si = s[i]
        for j in range(D):
            H[i, j] = -e2 * c * c * si * s[j] / (D * D)
        H[i, i] += e2 * c * c * np.cos(c * x[i]) / D
    if r > 0.0:
        u1 = a * bb * e1
        u2 = -a * bb * bb * e1
        for i in range(D):
            for j in range(D):
                H[i, j] += (u2 / (D * D * r * r) - u1 / (D * D * r * r * r)) * x[i] * x[j]
            H[i, i] += u1 / (D * r)


@deferred(HVP_SIG)
def ackley_hvp(x, v, out, data):
    a, bb, c, D, r, e1, e2 = _ackley_parts(x, data)
    sv = 0.0
    xv = 0.0
    for i in range(D):
        sv += np.sin(c * x[i]) * v[i]
        xv += x[i] * v[i]
    k_outer = 0.0
    k_diag = 0.0
    if r > 0.0:
        u1 = a * bb * e1
        u2 = -a * bb * bb * e1
        k_outer = (u2 / (D * D * r * r) - u1 / (D * D * r * r * r)) * xv
        k_diag = u1 / (D * r)
    for i in range(D):
        out[i] = (-e2 * c * c * np.sin(c * x[i]) * sv / (D * D)
                  + e2 * c * c * np.cos(c * x[i]) * v[i] / D
                  + k_outer * x[i] + k_diag * v[i])


# --------------------------------------------------------------------------------- griewank
@deferred(VALUE_AND_GRAD_SIG)
def griewank_vg(X, G, F, data, keys, batch):
    B, D = X.shape
    for b in range(B):
        # forward pass: G[b, i] holds the product of cos over j < i
        prod = 1.0
        sq = 0.0
        for i in range(D):
            x = X[b, i]
            sq += x * x
            G[b, i] = prod
            prod *= np.cos(x / np.sqrt(i + 1.0))
        F[b] = 1.0 + sq / 4000.0 - prod
        # backward pass: multiply in the product over j > i
        suffix = 1.0
        for i in range(D - 1, -1, -1):
            x = X[b, i]
            root = np.sqrt(i + 1.0)
            G[b, i] = x / 2000.0 + np.sin(x / root) / root * G[b, i] * suffix
            suffix *= np.cos(x / root)


@deferred(HESSIAN_SIG)
def griewank_hess(x, H, data):
    # Exact O(D^2): for row i, products over k != i, j from prefix/suffix products of c with
    # c_i replaced by 1 (no division, so zeros of the cosines are handled).
    D = x.shape[0]
    c = np.empty(D)
    u = np.empty(D)
    for i in range(D):
        root = np.sqrt(i + 1.0)
        c[i] = np.cos(x[i] / root)
        u[i] = np.sin(x[i] / root) / root
    pre = np.empty(D)
    for i in range(D):
        p = 1.0
        for j in range(D):
            pre[j] = p
            if j != i:
                p *= c[j]
        s = 1.0
        for j in range(D - 1, -1, -1):
            q = pre[j] * s  # product over k not in {i, j}
            if j == i:
                H[i, i] = 1.0 / 2000.0 + c[i] / (i + 1.0) * q
            else:
                H[i, j] = -u[i] * u[j] * q
                s *= c[j]


@deferred(HVP_SIG)
def griewank_hvp(x, v, out, data):
    """H v in O(D) with no division: H_ii = 1/2000 + c_i / (i+1) prod_{k != i} c_k and
    H_ij = -u_i u_j prod_{k != i, j} c_k (u_i = sin(x_i / r_i) / r_i), the products over all but
    one or two factors from running prefix and suffix products. (Dividing the full product by
    c_i c_j lost 8 digits when a cosine was just above the old switch to a dense product.)"""
    D = x.shape[0]
    c = np.empty(D)
    w = np.empty(D)  # u_j v_j
    u = np.empty(D)
    for i in range(D):
        root = np.sqrt(i + 1.0)
        c[i] = np.cos(x[i] / root)
        u[i] = np.sin(x[i] / root) / root
        w[i] = u[i] * v[i]
    suf = np.empty(D)  # suf[i] = prod_{k > i} c_k
    tail = np.empty(D)  # tail[i] = sum_{j > i} w_j prod_{k > i, k != j} c_k
    p, t = 1.0, 0.0
    for i in range(D - 1, -1, -1):
        suf[i] = p
        tail[i] = t
        t = t * c[i] + w[i] * p
        p *= c[i]
    pre, head = 1.0, 0.0  # prod_{k < i} c_k and sum_{j < i} w_j prod_{k < i, k != j} c_k
    for i in range(D):
        others = head * suf[i] + tail[i] * pre  # sum_{j != i} w_j prod_{k != i, j} c_k
        out[i] = (1.0 / 2000.0 + c[i] / (i + 1.0) * pre * suf[i]) * v[i] - u[i] * others
        head = head * c[i] + w[i] * pre
        pre *= c[i]


# ------------------------------------------------------------------- exact separable counts
def separable_facts(h, dh, d2h, lo: float, hi: float, dim: int) -> dict:
    """Exact critical-point facts of f(x) = sum_i h(x_i) on the box [lo, hi]^dim.

    The 1-D critical points (roots of h') are bracketed on a fine grid and bisected to
    machine precision; each is a minimum (h'' > 0) or a maximum (h'' < 0).
    """
    grid = np.linspace(lo, hi, 200_001)
    d = dh(grid)
    roots = []
    for k in np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) <= 0):
        a, b = grid[k], grid[k + 1]
        if d[k] == 0.0:
            roots.append(a)
            continue
        if d[k + 1] == 0.0:
            continue  # the next bracket starts on this root
        fa = dh(a)
        for _ in range(200):
            m = 0.5 * (a + b)
            fm = dh(m)
            if m in (a, b):
                break
            if np.sign(fm) == np.sign(fa):
                a, fa = m, fm
            else:
                b = m
        roots.append(0.5 * (a + b))
    unique = np.array(sorted({float(r) for r in roots}))
    kinds = ["min" if d2h(r) > 0 else "max" for r in unique]
    n_min = kinds.count("min")
    n_max = kinds.count("max")
    mins = unique[np.array([k == "min" for k in kinds])]
    best = float(mins[np.argmin(h(mins))])
    facts: dict = {
        "critical_points_1d": [{"x": float(r), "value": float(h(r)), "index": int(k == "max")}
                               for r, k in zip(unique, kinds)],
        "global_min_x": [best] * dim,
        "n_critical_points_log10": dim * math.log10(len(unique)),
        "n_local_minima_log10": dim * math.log10(n_min),
    }
    if dim <= EXACT_COUNT_MAX_DIM:
        facts["n_critical_points"] = len(unique) ** dim
        facts["n_local_minima"] = n_min ** dim
        facts["n_maxima"] = n_max ** dim
        facts["counts_by_index"] = {k: math.comb(dim, k) * n_min ** (dim - k) * n_max ** k
                                    for k in range(dim + 1)}
    return facts


def _data(*values: float) -> np.ndarray:
    return np.array(values if values else (0.0,), dtype=np.float64)


def build_rastrigin(dim: int, seed: int, params: dict) -> Landscape:
    A = params["A"]
    lo, hi = -5.12, 5.12
    facts = separable_facts(
        lambda x: x * x - A * np.cos(TWO_PI * x) + A,
        lambda x: 2 * x + A * TWO_PI * np.sin(TWO_PI * x),
        lambda x: 2 + A * TWO_PI ** 2 * np.cos(TWO_PI * x),
        lo, hi, dim)
    facts.update(global_min_value=0.0, global_min_x=[0.0] * dim,
                 references=["Rastrigin 1974; Muehlenbein et al. 1991 (N-D form)",
                             "counts: product of the 1-D critical points of x^2 - A cos(2 pi x) on [-5.12, 5.12]"])
    return Landscape(
        name="rastrigin", dim=dim, value_and_grad_kernel=rastrigin_vg, hessian_kernel=rastrigin_hess,
        hvp_kernel=rastrigin_hvp, data=_data(A), params=params, seed=seed, domain=(lo, hi), known=facts,
        symmetries=("coordinate-sign", "permutation"),
        summary="10D + sum x_i^2 - 10 cos(2 pi x_i): a lattice of local minima",
        elementwise=Elementwise(__name__, "rastrigin", RASTRIGIN_SAFE_BOUND, one_pass="avx512"),
        scale=1.0,  # the cosine's period
    )


def build_styblinski_tang(dim: int, seed: int, params: dict) -> Landscape:
    lo, hi = -5.0, 5.0
    h = lambda x: 0.5 * (x ** 4 - 16 * x ** 2 + 5 * x)  # noqa: E731
    facts = separable_facts(h, lambda x: 2 * x ** 3 - 16 * x + 2.5, lambda x: 6 * x ** 2 - 16,
                            lo, hi, dim)
    x_star = facts["global_min_x"][0]
    facts.update(global_min_value=dim * float(h(x_star)),
                 references=["Styblinski & Tang 1990",
                             "3^D critical points, C(D,k) 2^(D-k) of index k (product of 1-D roots)"])
    return Landscape(
        name="styblinski-tang", dim=dim, value_and_grad_kernel=styblinski_tang_vg,
        hessian_kernel=styblinski_tang_hess, hvp_kernel=styblinski_tang_hvp, data=_data(), params=params,
        seed=seed, domain=(lo, hi), known=facts, symmetries=("permutation",),
        summary="1/2 sum x^4 - 16x^2 + 5x: 3^D critical points, known by index",
        elementwise=Elementwise(__name__, "styblinski_tang", STYBLINSKI_TANG_SAFE_BOUND),
    )


def build_ackley(dim: int, seed: int, params: dict) -> Landscape:
    lo, hi = -32.768, 32.768
    facts = {"global_min_value": 0.0, "global_min_x": [0.0] * dim,
             "nonsmooth_at": "the global minimum x = 0 (a cone: the gradient is set to 0 there, "
                             "and the Hessian is that of the smooth cosine part)",
             "references": ["Ackley 1987", "Back 1996 (N-D form)"]}
    return Landscape(name="ackley", dim=dim, value_and_grad_kernel=ackley_vg, hessian_kernel=ackley_hess, hvp_kernel=ackley_hvp,
                     data=_data(params["a"], params["b"], params["c"]), params=params, seed=seed, domain=(lo, hi), known=facts,
                     symmetries=("coordinate-sign", "permutation"),
                     summary="exponential of the RMS radius and of mean cosines: a funnel of ripples",
                     scale=1.0)  # the cosines' period


def build_griewank(dim: int, seed: int, params: dict) -> Landscape:
    lo, hi = -600.0, 600.0
    facts = {"global_min_value": 0.0, "global_min_x": [0.0] * dim,
             "references": ["Griewank 1981"]}
    return Landscape(
        name="griewank", dim=dim, value_and_grad_kernel=griewank_vg, hessian_kernel=griewank_hess,
        hvp_kernel=griewank_hvp, data=_data(), params=params, seed=seed, domain=(lo, hi), known=facts,
        symmetries=("coordinate-sign",),
        summary="1 + |x|^2/4000 - prod cos(x_i/sqrt(i)): ripples on a wide bowl",
        scale=math.pi,  # half the period of cos(x_i / sqrt(i)) at i = 1
    )

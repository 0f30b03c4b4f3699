"""Low-dimensional classics and exact saddles: rosenbrock, himmelblau, six-hump-camel,
monkey-saddle, saddle. Critical points of the 2-D ones are complete lists (their gradient
systems reduce to one polynomial whose real roots were all found), checked by the tests.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ._base import Landscape, origin_facts
from ._kernel import HESSIAN_SIG, HVP_SIG, VALUE_AND_GRAD_SIG, compiled, deferred, kernel, matvec_into
from ._params import ParamError


# -------------------------------------------------------------------------------- rosenbrock
@deferred(VALUE_AND_GRAD_SIG)
def rosenbrock_vg(X, G, F, data, keys, batch):
    B, D = X.shape
    for b in range(B):
        f = 0.0
        G[b, 0] = 0.0
        for i in range(D - 1):
            x = X[b, i]
            y = X[b, i + 1]
            t = y - x * x
            f += 100.0 * t * t + (1.0 - x) * (1.0 - x)
            G[b, i] += -400.0 * x * t - 2.0 * (1.0 - x)
            G[b, i + 1] = 200.0 * t
        F[b] = f


@deferred(HESSIAN_SIG)
def rosenbrock_hess(x, H, data):
    D = x.shape[0]
    H[:, :] = 0.0
    for i in range(D - 1):
        H[i, i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = -400.0 * x[i]
        H[i + 1, i] = -400.0 * x[i]


@deferred(HVP_SIG)
def rosenbrock_hvp(x, v, out, data):
    D = x.shape[0]
    out[:] = 0.0
    for i in range(D - 1):
        out[i] += (1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0) * v[i] - 400.0 * x[i] * v[i + 1]
        out[i + 1] += 200.0 * v[i + 1] - 400.0 * x[i] * v[i]


# -------------------------------------------------------------------------------- himmelblau
@deferred(VALUE_AND_GRAD_SIG)
def himmelblau_vg(X, G, F, data, keys, batch):
    for b in range(X.shape[0]):
        x = X[b, 0]
        y = X[b, 1]
        a = x * x + y - 11.0
        c = x + y * y - 7.0
        F[b] = a * a + c * c
        G[b, 0] = 4.0 * x * a + 2.0 * c
        G[b, 1] = 2.0 * a + 4.0 * y * c


@deferred(HESSIAN_SIG)
def himmelblau_hess(x, H, data):
    H[0, 0] = 12.0 * x[0] * x[0] + 4.0 * x[1] - 42.0
    H[0, 1] = 4.0 * (x[0] + x[1])
    H[1, 0] = H[0, 1]
    H[1, 1] = 4.0 * x[0] + 12.0 * x[1] * x[1] - 26.0


@deferred(HVP_SIG)
def himmelblau_hvp(x, v, out, data):
    H = np.empty((x.shape[0], x.shape[0]))
    himmelblau_hess(x, H, data)
    matvec_into(H, v, out)


# ---------------------------------------------------------------------------- six-hump-camel
@deferred(VALUE_AND_GRAD_SIG)
def camel_vg(X, G, F, data, keys, batch):
    for b in range(X.shape[0]):
        x = X[b, 0]
        y = X[b, 1]
        x2 = x * x
        y2 = y * y
        F[b] = (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2
        G[b, 0] = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y
        G[b, 1] = x - 8.0 * y + 16.0 * y2 * y


@deferred(HESSIAN_SIG)
def camel_hess(x, H, data):
    x2 = x[0] * x[0]
    H[0, 0] = 8.0 - 25.2 * x2 + 10.0 * x2 * x2
    H[0, 1] = 1.0
    H[1, 0] = 1.0
    H[1, 1] = -8.0 + 48.0 * x[1] * x[1]


@deferred(HVP_SIG)
def camel_hvp(x, v, out, data):
    H = np.empty((x.shape[0], x.shape[0]))
    camel_hess(x, H, data)
    matvec_into(H, v, out)


# ----------------------------------------------------------------------------- monkey-saddle
@deferred(VALUE_AND_GRAD_SIG)
def monkey_vg(X, G, F, data, keys, batch):
    for b in range(X.shape[0]):
        x = X[b, 0]
        y = X[b, 1]
        F[b] = x * x * x - 3.0 * x * y * y
        G[b, 0] = 3.0 * x * x - 3.0 * y * y
        G[b, 1] = -6.0 * x * y


@deferred(HESSIAN_SIG)
def monkey_hess(x, H, data):
    H[0, 0] = 6.0 * x[0]
    H[0, 1] = -6.0 * x[1]
    H[1, 0] = -6.0 * x[1]
    H[1, 1] = -6.0 * x[0]


@deferred(HVP_SIG)
def monkey_hvp(x, v, out, data):
    H = np.empty((x.shape[0], x.shape[0]))
    monkey_hess(x, H, data)
    matvec_into(H, v, out)


# ------------------------------------------------------------------------------------ saddle
# data = [negative k, a (negative curvature), p (positive curvature), q (quartic)]
@deferred(VALUE_AND_GRAD_SIG)
def saddle_vg(X, G, F, data, keys, batch):
    k = int(data[0])
    a, p, q = data[1], data[2], data[3]
    B, D = X.shape
    for b in range(B):
        f = 0.0
        for i in range(D):
            x = X[b, i]
            lam = -a if i < k else p
            f += 0.5 * lam * x * x + 0.25 * q * x * x * x * x
            G[b, i] = lam * x + q * x * x * x
        F[b] = f


@deferred(HESSIAN_SIG)
def saddle_hess(x, H, data):
    k = int(data[0])
    H[:, :] = 0.0
    for i in range(x.shape[0]):
        H[i, i] = (-data[1] if i < k else data[2]) + 3.0 * data[3] * x[i] * x[i]


@deferred(HVP_SIG)
def saddle_hvp(x, v, out, data):
    k = int(data[0])
    for i in range(x.shape[0]):
        out[i] = ((-data[1] if i < k else data[2]) + 3.0 * data[3] * x[i] * x[i]) * v[i]


# ------------------------------------------------------------------------ saddle-chain
# Du et al. 2017's chain of saddles ("Gradient descent can take exponential time to escape saddle
# points", section 4): stage i is entered once x_0..x_{i-1} have all passed 2 tau; there
#   f = sum_{j<i} L (x_j - 4 tau)^2 - gamma x_i^2 + sum_{j>i} L x_j^2 - i nu
# (a saddle at (4 tau, .., 4 tau, 0, .., 0) descending along x_i), and while x_i crosses (tau, 2 tau)
# the (x_i, x_{i+1}) part turns into L (x_i - 4 tau)^2 - gamma x_{i+1}^2 - nu through a C2 smoothstep
# (Du et al. glue with splines; the blend is simpler and, with nu > 4 gamma tau^2 + 9 L tau^2, has no
# critical point either). data = [tau, L, gamma, nu, number of saddles k <= D].
@kernel()
def _chain_stage(x, tau, k):
    for i in range(k):
        if abs(x[i]) < 2.0 * tau:
            return i
    return k


@kernel()
def _smoothstep(s):
    """w(s) = 10 s^3 - 15 s^4 + 6 s^5 and its first two derivatives (0 and 1 with flat ends)."""
    if s <= 0.0:
        return 0.0, 0.0, 0.0
    if s >= 1.0:
        return 1.0, 0.0, 0.0
    return (s * s * s * (10.0 - 15.0 * s + 6.0 * s * s), 30.0 * s * s * (1.0 - s) * (1.0 - s),
            60.0 * s * (1.0 - s) * (1.0 - 2.0 * s))


@kernel()
def _chain_point(x, g, data, H, want_h):
    """f at x; the gradient into g; the Hessian into H when want_h. f depends on |x_j| (each
    saddle is left either way: the construction mirrored, so f is bounded below everywhere)."""
    tau, L, gam, nu, k = data[0], data[1], data[2], data[3], int(data[4])
    D = x.shape[0]
    i = _chain_stage(x, tau, k)
    if want_h:
        H[:, :] = 0.0
    f = -i * nu
    for j in range(i):
        u = abs(x[j])
        sg = 1.0 if x[j] >= 0.0 else -1.0
        f += L * (u - 4.0 * tau) ** 2
        g[j] = sg * 2.0 * L * (u - 4.0 * tau)
        if want_h:
            H[j, j] = 2.0 * L
    rest = k  # past the last saddle: the minimum's well (and the coordinates outside the chain)
    if i < k:
        xi = x[i]
        u = abs(xi)
        sg = 1.0 if xi >= 0.0 else -1.0
        s = (u - tau) / tau
        rest = i + 1
        if s <= 0.0:  # at the stage's saddle
            f += -gam * xi * xi
            g[i] = -2.0 * gam * xi
            if want_h:
                H[i, i] = -2.0 * gam
        else:  # the hand-over to the next stage: (u, y) from -gam u^2 + L y^2 to L (u - 4 tau)^2 - gam y^2 - nu
            y = x[i + 1] if i + 1 < k else 0.0  # the next saddle's coordinate (none after the last)
            w, w1, w2 = _smoothstep(s)
            w1 /= tau
            w2 /= tau * tau
            A = -gam * u * u + L * y * y
            B = L * (u - 4.0 * tau) ** 2 - gam * y * y - nu
            dA, dB = -2.0 * gam * u, 2.0 * L * (u - 4.0 * tau)
            f += (1.0 - w) * A + w * B
            g[i] = sg * ((1.0 - w) * dA + w * dB + w1 * (B - A))
            if want_h:
                H[i, i] = (1.0 - w) * (-2.0 * gam) + w * (2.0 * L) + 2.0 * w1 * (dB - dA) + w2 * (B - A)
            if i + 1 < k:
                g[i + 1] = (1.0 - w) * 2.0 * L * y - w * 2.0 * gam * y
                if want_h:
                    H[i, i + 1] = sg * w1 * (-2.0 * gam * y - 2.0 * L * y)
                    H[i + 1, i] = H[i, i + 1]
                    H[i + 1, i + 1] = (1.0 - w) * 2.0 * L - w * 2.0 * gam
                rest = i + 2
    for j in range(rest, D):
        f += L * x[j] * x[j]
        g[j] = 2.0 * L * x[j]
        if want_h:
            H[j, j] = 2.0 * L
    return f


@deferred(VALUE_AND_GRAD_SIG)
def chain_vg(X, G, F, data, keys, batch):
    H = np.empty((1, 1))
    for b in range(X.shape[0]):
        F[b] = _chain_point(X[b], G[b], data, H, False)


@deferred(HESSIAN_SIG)
def chain_hess(x, H, data):
    g = np.empty(x.shape[0])
    _chain_point(x, g, data, H, True)


@deferred(HVP_SIG)
def chain_hvp(x, v, out, data):  # (at most one off-diagonal pair: a dense Hessian is cheap enough up to D ~ 10^3)
    D = x.shape[0]
    H = np.empty((D, D))
    g = np.empty(D)
    _chain_point(x, g, data, H, True)
    matvec_into(H, v, out)


# ------------------------------------------------------------------------------- builders
_HIMMELBLAU_POINTS = [  # (x, y, value, index): 4 minima, 4 saddles, 1 maximum
    (3.0, 2.0, 0.0, 0),
    (-2.805118086952745, 3.131312518250573, 0.0, 0),
    (-3.779310253377747, -3.283185991286169, 0.0, 0),
    (3.5844283403304917, -1.8481265269644036, 0.0, 0),
    (3.385154183607021, 0.07385187983774928, 13.311926270405587, 1),
    (0.08667750455539636, 2.884254701174776, 67.71915008752613, 1),
    (-3.0730257507643897, -0.08135304428796751, 104.01516291755811, 1),
    (-0.12796134673068008, -1.9537149802445766, 178.33723920192745, 1),
    (-0.2708445906673476, -0.9230385564799813, 181.6165215225827, 2),
]

_CAMEL_POINTS = [  # 6 minima, 7 saddles, 2 maxima: the whole plane
    (-0.08984201310031807, 0.7126564030207396, -1.0316284534898774, 0),
    (0.08984201310031807, -0.7126564030207396, -1.0316284534898774, 0),
    (-1.7036067149699805, 0.7960835686726251, -0.21546382438371792, 0),
    (1.7036067149699812, -0.7960835686726251, -0.21546382438371525, 0),
    (-1.6071047529201976, -0.5686514548841313, 2.1042503103112593, 0),
    (1.6071047529201976, 0.5686514548841313, 2.1042503103112593, 0),
    (0.0, 0.0, 0.0, 1),
    (-1.1092053368047863, 0.7682680925095399, 0.5437186009781851, 1),
    (1.1092053368047865, -0.7682680925095399, 0.5437186009781854, 1),
    (1.638067984189779, 0.22867406904439413, 2.2293571975307134, 1),
    (-1.6380679841897785, -0.22867406904439405, 2.2293571975307147, 1),
    (1.2960702671671092, 0.6050843880386585, 2.229470818029859, 1),
    (-1.2960702671671094, -0.6050843880386585, 2.2294708180298595, 1),
    (-1.2302298765166524, -0.16233458445899493, 2.496295351023577, 2),
    (1.2302298765166524, 0.16233458445899496, 2.496295351023577, 2),
]


def _point_facts(points) -> dict:
    counts: dict[int, int] = {}
    for *_, index in points:
        counts[index] = counts.get(index, 0) + 1
    mins = [p for p in points if p[3] == 0]
    best = min(p[2] for p in mins)
    return {
        "critical_points": [{"x": [x, y], "value": v, "index": i} for x, y, v, i in points],
        "n_critical_points": len(points),
        "counts_by_index": dict(sorted(counts.items())),
        "n_local_minima": len(mins),
        "global_min_value": best,
        "global_minima_x": [[x, y] for x, y, v, i in mins if v == best or abs(v - best) < 1e-12],
    }


def _rosenbrock_second_minimum(dim: int) -> np.ndarray:
    """The local minimum near (-1, 1, ..., 1) that the N-D form has for dim >= 4, by Newton
    steps on the first min(dim, 64) coordinates (beyond the 47th they are 1 to double precision,
    so the rest is padded with ones: exact for any dim)."""
    n = min(dim, 64)
    x = np.ones(n)
    x[0] = -1.0
    g, H, f = np.empty((1, n)), np.empty((n, n)), np.empty(1)
    vg, hess = compiled(rosenbrock_vg), compiled(rosenbrock_hess)
    for _ in range(60):
        vg(x[None, :], g, f, np.zeros(1), np.zeros(1, np.int64), 0)
        hess(x, H, np.zeros(1))
        x = x - np.linalg.solve(H, g[0])
    return np.concatenate([x, np.ones(dim - n)])


def build_rosenbrock(dim: int, seed: int, params: dict) -> Landscape:
    lo, hi = -2.048, 2.048
    facts: dict = {"global_min_value": 0.0, "global_min_x": [1.0] * dim,
                   "references": ["Rosenbrock 1960", "Shang & Qiu 2006 (N-D form and its minima)",
                                  "Kok & Sandrock 2009 (for 4 <= dim <= 30: exactly two minima)"]}
    if dim <= 3:
        facts["n_local_minima"] = 1
    else:  # a second, local minimum near (-1, 1, ..., 1): 3.7014 at dim 4, 3.98662 from dim 20 on
        second = _rosenbrock_second_minimum(dim)
        g, f = np.empty((1, dim)), np.empty(1)
        compiled(rosenbrock_vg)(second[None, :], g, f, np.zeros(1), np.zeros(1, np.int64), 0)
        facts["local_minima"] = [{"x": [float(v) for v in second], "value": float(f[0]), "index": 0}]
        if dim <= 30:
            facts["n_local_minima"] = 2
    return Landscape(
        name="rosenbrock", dim=dim, value_and_grad_kernel=rosenbrock_vg, hessian_kernel=rosenbrock_hess,
        hvp_kernel=rosenbrock_hvp, data=np.zeros(1), params=params, seed=seed, domain=(lo, hi), known=facts,
        summary="sum 100(x_{i+1} - x_i^2)^2 + (1 - x_i)^2: a curved narrow valley",
    )


def build_himmelblau(dim: int, seed: int, params: dict) -> Landscape:
    facts = _point_facts(_HIMMELBLAU_POINTS)
    facts.update(references=["Himmelblau 1972, Applied Nonlinear Programming"])
    return Landscape(
        name="himmelblau", dim=2, value_and_grad_kernel=himmelblau_vg, hessian_kernel=himmelblau_hess,
        hvp_kernel=himmelblau_hvp, data=np.zeros(1), params=params, seed=seed, domain=(-6.0, 6.0), known=facts,
        summary="(x^2+y-11)^2 + (x+y^2-7)^2: 4 minima, 4 saddles, 1 maximum",
    )


def build_six_hump_camel(dim: int, seed: int, params: dict) -> Landscape:
    facts = _point_facts(_CAMEL_POINTS)
    facts.update(references=["Dixon & Szegoe 1978", "Molga & Smutnicki 2005"])
    return Landscape(
        name="six-hump-camel", dim=2, value_and_grad_kernel=camel_vg, hessian_kernel=camel_hess,
        hvp_kernel=camel_hvp, data=np.zeros(1), params=params, seed=seed, domain=(-2.0, 2.0), known=facts,
        symmetries=("point-reflection",), summary="six local minima (two global), seven saddles, two maxima",
    )


def build_monkey_saddle(dim: int, seed: int, params: dict) -> Landscape:
    facts = {"critical_points": [{"x": [0.0, 0.0], "value": 0.0, "index": None, "degenerate": True}],
             "n_critical_points": 1, "counts_by_index": {}, "n_degenerate": 1, "has_minimum": False,
             "infimum": -math.inf,
             "references": ["x^3 - 3xy^2: the Hessian vanishes at the origin (a degenerate saddle "
                            "with three descending valleys)"]}
    return Landscape(
        name="monkey-saddle", dim=2, value_and_grad_kernel=monkey_vg, hessian_kernel=monkey_hess,
        hvp_kernel=monkey_hvp, data=np.zeros(1), params=params, seed=seed, domain=(-1.5, 1.5), known=facts,
        symmetries=("rotation-120",), summary="x^3 - 3xy^2: a degenerate saddle, three ways down",
    )


def build_saddle(dim: int, seed: int, params: dict) -> Landscape:
    k, a, p, q = params["negative"], params["neg_curvature"], params["pos_curvature"], params["quartic"]
    if k > dim:
        raise ParamError(f"saddle parameter negative={k} is out of range for dim={dim}; "
                         f"use an integer in [0, {dim}]")
    facts: dict = {"references": ["f = sum_i lambda_i x_i^2 / 2 + q x_i^4 / 4; lambda = -a on the "
                                  "first k coordinates, +p on the rest"]}
    if q > 0:
        r = math.sqrt(a / q)
        facts.update(global_min_value=-k * a * a / (4 * q), global_min_x=[r] * k + [0.0] * (dim - k),
                     n_critical_points=3 ** k, n_local_minima=2 ** k,
                     counts_by_index={j: math.comb(k, j) * 2 ** (k - j) for j in range(k + 1)})
        if 3 ** k <= 6561:  # every one: each of the first k coordinates at 0 (a descent direction) or +-r
            facts["critical_points"] = [
                {"x": [*c, *([0.0] * (dim - k))], "index": sum(v == 0.0 for v in c),
                 "value": sum(-a * v * v / 2 + q * v ** 4 / 4 for v in c)}
                for c in itertools.product((0.0, r, -r), repeat=k)]
    else:
        facts.update(origin_facts(dim, k))
    return Landscape(name="saddle", dim=dim, value_and_grad_kernel=saddle_vg, hessian_kernel=saddle_hess, hvp_kernel=saddle_hvp,
                     data=np.array([k, a, p, q], dtype=np.float64), params=params, seed=seed, domain=(-1.0, 1.0), known=facts,
                     symmetries=("coordinate-sign",),
                     summary=f"a quadratic saddle of index {k} at the origin",
                     scale=1.0)  # the saddle sits at 0, the quartic's minima at +-sqrt(a/q), ~1 away


def build_saddle_chain(dim: int, seed: int, params: dict) -> Landscape:
    tau, L, gam = params["tau"], params["L"], params["gamma"]
    k = params["saddles"] or dim
    if k > dim:
        raise ParamError(f"saddle-chain parameter saddles={k} is out of range for dim={dim}; use an integer in "
                         f"[1, {dim}] (0: one saddle per coordinate)")
    nu = 4.0 * gam * tau * tau + 9.0 * L * tau * tau + 1.0  # every hand-over strictly descending: no critical point there
    # mirrored in every coordinate: stage i's saddles at (+-4 tau, .., +-4 tau, 0, .., 0) (2^i of them),
    # the 2^D minima at (+-4 tau, ..); Du et al.'s chain is the all-positive one
    # Du et al.'s chain is the all-positive branch: its k saddles (4 tau, .., 4 tau, 0, .., 0) and minimum
    # (4 tau, .., 4 tau, 0, ..); mirrored in each coordinate, every sign pattern of the settled
    # coordinates is a copy (2^i copies of saddle i, 2^k minima). A census from the starts next to the
    # first saddle sees only that one, so no complete counts are declared.
    pad = [0.0] * (dim - k)
    facts: dict = {"global_min_value": -k * nu, "global_min_x": [4.0 * tau] * k + pad, "n_local_minima": 2 ** k,
                   "saddles": [{"x": [4.0 * tau] * i + [0.0] * (dim - i), "index": 1, "value": -i * nu}
                               for i in range(k)], "nu": nu,
                   "references": ["Du, Jin, Lee, Jordan, Poczos & Singh 2017, section 4 (the chain of saddles; "
                                  "glued here by a C2 smoothstep instead of their splines, and mirrored in each "
                                  "coordinate so that it is defined and bounded below everywhere)"]}
    # the hand-overs curve far more than the saddles (|H| ~ 16 x 2L with the defaults): the largest
    # |eigenvalue| over one (they are all alike), scanned, so lr="auto" is stable through them
    probe = np.zeros(min(dim, 2) + 1)
    H = np.empty((probe.size, probe.size))
    bound = 2.0 * max(L, gam)
    for xi in np.linspace(tau, 2.0 * tau, 201):
        for y in (0.0, 0.5 * tau, tau):
            probe[0], probe[1:2] = xi, y
            compiled(chain_hess)(probe, H, np.array([tau, L, gam, nu, probe.size]))
            bound = max(bound, float(np.abs(np.linalg.eigvalsh(H)).max()))
    facts["curvature_bound"] = bound

    def sampler(rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(0.0, 1.0, size=(n, dim))  # next to the first saddle, as in Du et al.

    return Landscape(name="saddle-chain", dim=dim, value_and_grad_kernel=chain_vg, hessian_kernel=chain_hess,
                     hvp_kernel=chain_hvp, data=np.array([tau, L, gam, nu, k]), params=params, seed=seed,
                     domain=(-1.0, 5.0 * tau), known=facts, sampler=sampler,
                     summary=f"a chain of {k} saddles in {dim} dimensions, each handing over to the next (Du et al. 2017)",
                     theory={"claim": "gradient descent from random starts near the first saddle takes a number "
                                      "of steps exponential in D to pass the chain; perturbed GD polynomially many"},
                     scale=tau)

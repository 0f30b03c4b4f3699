"""The problems the benign-landscape theorems are about: matrix-factorization, matrix-sensing,
deep-linear and phase-retrieval (every local minimum global, in the right regime), and
teacher-student (spurious minima provably exist). tensor-pca lives with p-spin in ``_random``.

Gradients are written once, generic over float64 and complex128; Hessians and Hessian-vector
products come from the complex step on that gradient (Squire & Trapp 1998: exact to rounding,
no cancellation), except where a closed form is as short (phase-retrieval, teacher-student).
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ._base import Landscape, check_bytes, landscape_rng
from ._kernel import HESSIAN_SIG, HVP_SIG, VALUE_AND_GRAD_SIG, deferred, kernel, matvec_into, weighted_gram_into
from ._learning import COMPLEX_STEP
from ._params import ParamError

__all__ = [
    "build_deep_linear",
    "build_matrix_factorization",
    "build_matrix_sensing",
    "build_phase_retrieval",
    "build_teacher_student",
    "deep_linear_product",
]


def _haar(rng: np.random.Generator, n: int) -> np.ndarray:
    """A Haar-random orthogonal n x n matrix (QR of a Gaussian, signs fixed; Mezzadri 2007)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _spectrum(rank: int, condition: float) -> np.ndarray:
    """``rank`` distinct values evenly spaced from ``condition`` down to 1."""
    return np.linspace(condition, 1.0, rank) if rank > 1 else np.array([float(condition)])


def _gaussian_sampler(dim: int, std: float):
    """Starts drawn N(0, std^2) in every coordinate: small random factors, as training starts them
    (and as a census needs: Newton from near the origin reaches the high-index points there)."""
    def sampler(rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.standard_normal((count, dim)) * std

    return sampler


@kernel()
def _symmetrise_in_place(H):
    for i in range(H.shape[0]):
        for j in range(i):
            h = 0.5 * (H[i, j] + H[j, i])
            H[i, j] = h
            H[j, i] = h


# The three families whose gradient is written once for real and complex weights share one set of
# kernels: data = [family code, the family's own data...], the code picking the gradient. (Passing
# the gradient function in as an argument would be shorter, but Numba cannot cache a kernel that
# takes a function.)
MF, MS, DL = 0, 1, 2


@kernel()
def _fg(w, g, data):
    code = int(data[0])
    own = data[1:]
    if code == MF:
        return _mf_fg(w, g, own)
    if code == MS:
        return _ms_fg(w, g, own)
    return _dl_fg(w, g, own)


@deferred(VALUE_AND_GRAD_SIG)
def generic_vg(X, G, F, data, keys, batch):
    for b in range(X.shape[0]):
        F[b] = _fg(X[b], G[b], data)


@deferred(HVP_SIG)
def generic_hvp(x, v, out, data):
    """H v from one gradient at x + i h v (h = 1e-30): exact to rounding."""
    gc = np.empty(x.shape[0], np.complex128)
    _fg(x + 1j * COMPLEX_STEP * v, gc, data)
    for i in range(x.shape[0]):
        out[i] = gc[i].imag / COMPLEX_STEP


@deferred(HESSIAN_SIG)
def generic_hess(x, H, data):
    """The dense Hessian, a column per complex-step gradient, symmetrised."""
    D = x.shape[0]
    wc = x.astype(np.complex128)
    gc = np.empty(D, np.complex128)
    for j in range(D):
        wc[j] = x[j] + 1j * COMPLEX_STEP
        _fg(wc, gc, data)
        wc[j] = x[j]
        for i in range(D):
            H[i, j] = gc[i].imag / COMPLEX_STEP
    _symmetrise_in_place(H)


@kernel()
def _factor_product(U, V, M, E):
    """E = U V^T - M (generic over real and complex U, V); returns the sum of E's squares."""
    zero = 0.0 * U[0, 0]
    f = zero
    for i in range(U.shape[0]):
        for j in range(V.shape[0]):
            acc = zero - M[i, j]
            for c in range(U.shape[1]):
                acc += U[i, c] * V[j, c]
            E[i, j] = acc
            f += acc * acc
    return f


@kernel()
def _times_factor_into(S, U, g):
    """g (flat, row-major) = S U."""
    r = U.shape[1]
    zero = 0.0 * U[0, 0]
    for i in range(S.shape[0]):
        for c in range(r):
            acc = zero
            for k in range(S.shape[1]):
                acc += S[i, k] * U[k, c]
            g[i * r + c] = acc


# ----------------------------------------------------------------------- matrix-factorization
# data = [form (0 symmetric, 1 asymmetric), n, m, r, balance, M (n x m)]
# symmetric: f(U) = |U U^T - M|^2 / 4; asymmetric: f(U, V) = |U V^T - M|^2 / 2 + balance |U^T U - V^T V|^2 / 8
@kernel()
def _mf_fg(w, g, data):
    asym = data[0] != 0.0
    n = int(data[1])
    m = int(data[2])
    r = int(data[3])
    bal = data[4]
    M = data[5:5 + n * m].reshape((n, m))
    U = w[:n * r].reshape((n, r))
    V = w[n * r:(n + m) * r].reshape((m, r)) if asym else U
    zero = 0.0 * w[0]
    E = np.empty((n, m), dtype=w.dtype)
    f = _factor_product(U, V, M, E)
    if not asym:
        _times_factor_into(E, U, g)
        return 0.25 * f
    B = np.empty((r, r), dtype=w.dtype)  # U^T U - V^T V
    fb = zero
    for c in range(r):
        for d in range(r):
            acc = zero
            for i in range(n):
                acc += U[i, c] * U[i, d]
            for j in range(m):
                acc -= V[j, c] * V[j, d]
            B[c, d] = acc
            fb += acc * acc
    for i in range(n):
        for c in range(r):
            acc = zero
            for j in range(m):
                acc += E[i, j] * V[j, c]
            for d in range(r):
                acc += 0.5 * bal * U[i, d] * B[d, c]
            g[i * r + c] = acc
    for j in range(m):
        for c in range(r):
            acc = zero
            for i in range(n):
                acc += E[i, j] * U[i, c]
            for d in range(r):
                acc -= 0.5 * bal * V[j, d] * B[d, c]
            g[n * r + j * r + c] = acc
    return 0.5 * f + 0.125 * bal * fb


def mf_critical_points(lam: np.ndarray, vecs: np.ndarray, n: int, r: int) -> list[dict]:
    """Every critical point of |U U^T - M|^2 / 4 up to U -> U R (R orthogonal), for
    M = vecs diag(lam) vecs^T with lam > 0 distinct (descending), the rest of R^n M's null space.

    U U^T = sum over a subset S (|S| <= r) of lam_k v_k v_k^T; at such a point (Hessian in the
    eigenbasis, as in Ge, Jin & Zheng 2017, Sec. 5) the index is (rank - s)(r - s), a free
    column along each unused eigenvector, plus the pairs k in S, i not in S with lam_i > lam_k;
    the flat directions are s(s-1)/2 + s(r-s) rotations, and (n - rank)(r - s) more along M's
    null space (degenerate, then)."""
    rank = len(lam)
    points = []
    for s in range(min(r, rank) + 1):
        for S in itertools.combinations(range(rank), s):
            U = np.zeros((n, r))
            for c, k in enumerate(S):
                U[:, c] = math.sqrt(lam[k]) * vecs[:, k]
            rest = [i for i in range(rank) if i not in S]
            index = (rank - s) * (r - s) + sum(1 for k in S for i in rest if lam[i] > lam[k])
            flat = (n - rank) * (r - s) > 0  # degenerate: no index, its negative eigenvalues listed
            points.append({"x": [float(v) for v in U.ravel()], "value": 0.25 * float(np.sum(lam[rest] ** 2)),
                           "index": None if flat else index, "degenerate": flat, "negative_eigenvalues": index,
                           "subset": list(S)})
    points.sort(key=lambda p: (p["value"], p["negative_eigenvalues"]))
    return points


def build_matrix_factorization(dim: int, seed: int, params: dict) -> Landscape:
    n, r, form = params["n"], params["r"], params["form"]
    m = params["m"] or n
    rank = params["rank"] or min(r, n)
    asym = form == "asymmetric"
    if rank > (min(n, m) if asym else n):
        raise ParamError(f"matrix-factorization parameter rank={rank} is out of range; use rank <= "
                         f"{min(n, m) if asym else n} (the matrix is {n} x {m if asym else n})")
    rng = landscape_rng("matrix-factorization", seed, int(asym))
    lam = _spectrum(rank, params["condition"])
    P = _haar(rng, n)
    Q = _haar(rng, m) if asym else P
    M = (P[:, :rank] * lam) @ Q[:, :rank].T
    if not asym:
        M = 0.5 * (M + M.T)
    data = np.concatenate([[float(asym), n, m if asym else n, r, params["balance"]], M.ravel()])
    best = float(np.sum(lam[r:] ** 2)) * (0.5 if asym else 0.25)
    known: dict = {"global_min_value": best, "all_local_minima_global": True, "zero_modes": r * (r - 1) // 2,
                   "factor_shape": [n + m if asym else n, r], "singular_values" if asym else "eigenvalues": list(lam),
                   "references": ["Ge, Jin & Zheng 2017 (no spurious local minima; every saddle strict)",
                                  "Baldi & Hornik 1989 (critical points from the eigen-decomposition)"]}
    top = P[:, :min(r, rank)] * np.sqrt(lam[:min(r, rank)])
    if not asym:
        pts = mf_critical_points(lam, P[:, :rank], n, r)
        known["critical_points"] = pts
        known["n_critical_points"] = len(pts)
        counts: dict[int, int] = {}
        for p in pts:  # (with rank < n, those with a free column are degenerate: counted apart)
            if p["index"] is not None:
                counts[p["index"]] = counts.get(p["index"], 0) + 1
        known["counts_by_index"] = dict(sorted(counts.items()))
        known["n_degenerate"] = sum(p["degenerate"] for p in pts)
        known["n_local_minima"] = 1
        U0 = np.zeros((n, r))
        U0[:, :top.shape[1]] = top
        known["global_min_x"] = [float(v) for v in U0.ravel()]
    elif params["balance"] > 0:
        W0 = np.zeros((n + m, r))
        W0[:n, :top.shape[1]] = top
        W0[n:, :top.shape[1]] = Q[:, :min(r, rank)] * np.sqrt(lam[:min(r, rank)])
        known["global_min_x"] = [float(v) for v in W0.ravel()]
    box = 1.5 * math.sqrt(float(lam[0]))
    Mr = M if rank <= r else (P[:, :r] * lam[:r]) @ Q[:, :r].T
    norm = float(np.linalg.norm(Mr))

    def error(X: np.ndarray) -> np.ndarray:
        U = X[:, :n * r].reshape(len(X), n, r)
        V = X[:, n * r:].reshape(len(X), m, r) if asym else U
        return np.linalg.norm(U @ V.transpose(0, 2, 1) - Mr, axis=(1, 2)) / norm

    shape = f"{n} x {m}" if asym else f"{n} x {n}"
    return Landscape(
        costly_hessian=True,  # (complex step / assembled over the data: ~dim gradients)
        name="matrix-factorization", dim=dim, value_and_grad_kernel=generic_vg,
        hessian_kernel=generic_hess, hvp_kernel=generic_hvp, data=np.concatenate([[MF], data]).astype(np.float64),
        params=params, seed=seed,
        domain=(-box, box), known=known, symmetries=("orthogonal",), identify=("orthogonal",),
        measures={"error": error}, sampler=_gaussian_sampler(dim, 0.3 * math.sqrt(float(lam[0]))),
        summary=(f"|U V^T - M|^2/2 + {params['balance']:g} |U^T U - V^T V|^2/8, M {shape} of rank {rank}, r={r}"
                 if asym else f"|U U^T - M|^2/4, M {shape} PSD of rank {rank}, U {n} x {r}"),
        scale=0.5 * math.sqrt(float(lam[-1])),
    )


# ---------------------------------------------------------------------------- matrix-sensing
# data = [n, r, m, A (m x n x n, symmetric), y (m)]; f(U) = sum_k (<A_k, U U^T> - y_k)^2 / (4 m)
@kernel()
def _ms_fg(w, g, data):
    n = int(data[0])
    r = int(data[1])
    m = int(data[2])
    A = data[3:3 + m * n * n].reshape((m, n * n))
    y = data[3 + m * n * n:3 + m * n * n + m]
    U = w[:n * r].reshape((n, r))
    zero = 0.0 * w[0]
    X = np.empty(n * n, dtype=w.dtype)
    _factor_product(U, U, np.zeros((n, n)), X.reshape((n, n)))
    S = np.zeros(n * n, dtype=w.dtype)  # sum_k res_k A_k / m
    f = zero
    for k in range(m):
        z = zero - y[k]
        for t in range(n * n):
            z += A[k, t] * X[t]
        f += z * z
        for t in range(n * n):
            S[t] += z * A[k, t] / m
    _times_factor_into(S.reshape((n, n)), U, g)
    return f / (4.0 * m)


def build_matrix_sensing(dim: int, seed: int, params: dict) -> Landscape:
    n, r = params["n"], params["r"]
    rank = params["rank"] or r
    if rank > n:
        raise ParamError(f"matrix-sensing parameter rank={rank} is out of range; use rank <= n={n}")
    dof = n * rank - rank * (rank - 1) // 2  # degrees of freedom of a rank-`rank` PSD n x n matrix
    m = params["measurements"] or 5 * dof
    check_bytes(8.0 * m * n * n, f"matrix-sensing's {m:,} measurement matrices of {n} x {n}",
                "use fewer measurements or a smaller n")
    rng = landscape_rng("matrix-sensing", seed)
    lam = _spectrum(rank, params["condition"])
    P = _haar(rng, n)[:, :rank]
    Mstar = (P * lam) @ P.T
    Mstar = 0.5 * (Mstar + Mstar.T)
    G = rng.standard_normal((m, n, n))
    A = 0.5 * (G + G.transpose(0, 2, 1))  # <A, X> ~ N(0, |X|_F^2) for symmetric X
    y = np.einsum("kij,ij->k", A, Mstar)
    data = np.concatenate([[n, r, m], A.ravel(), y]).astype(np.float64)
    norm = float(np.linalg.norm(Mstar))

    def error(X: np.ndarray) -> np.ndarray:
        U = X.reshape(len(X), n, r)
        return np.linalg.norm(U @ U.transpose(0, 2, 1) - Mstar, axis=(1, 2)) / norm

    known: dict = {"infimum": 0.0, "measurements": m, "degrees_of_freedom": dof, "zero_modes": r * (r - 1) // 2,
                   "factor_shape": [n, r], "truth": [float(v) for v in Mstar.ravel()],
                   "references": ["Bhojanapalli, Neyshabur & Srebro 2016; Ge, Jin & Zheng 2017 (under RIP: no "
                                  "spurious local minima)"]}
    if r >= rank:
        known["global_min_value"] = 0.0
        U0 = np.zeros((n, r))
        U0[:, :rank] = P * np.sqrt(lam)
        known["global_min_x"] = [float(v) for v in U0.ravel()]
    theory = {"regime": "RIP (benign) when measurements >> n r; below the degrees of freedom "
                        f"({dof}) the zero-loss set is larger than the truth and recovery fails",
              "references": ["Recht, Fazel & Parrilo 2010 (RIP for m of order n r)"]}
    box = 1.5 * math.sqrt(float(lam[0]))
    return Landscape(
        costly_hessian=True,  # (complex step / assembled over the data: ~dim gradients)
        name="matrix-sensing", dim=dim, value_and_grad_kernel=generic_vg, hessian_kernel=generic_hess,
        hvp_kernel=generic_hvp, data=np.concatenate([[MS], data]), params=params, seed=seed, domain=(-box, box),
        known=known, theory=theory,
        symmetries=("orthogonal",), identify=("orthogonal",), measures={"error": error}, n_samples=m,
        sampler=_gaussian_sampler(dim, 0.3 * math.sqrt(float(lam[0]))),
        summary=f"{m} Gaussian measurements of a rank-{rank} {n} x {n} PSD matrix, U {n} x {r}",
        scale=0.5 * math.sqrt(float(lam[-1])),
    )


# ------------------------------------------------------------------------------- deep-linear
# data = [L, inputs, width, outputs, T (outputs x inputs)]; f = |W_L ... W_1 - T|_F^2 / 2
@kernel()
def _dl_shapes(L, din, h, dout):
    rows = np.empty(L, np.int64)
    cols = np.empty(L, np.int64)
    off = np.zeros(L + 1, np.int64)
    for l in range(L):
        cols[l] = din if l == 0 else h
        rows[l] = dout if l == L - 1 else h
        off[l + 1] = off[l] + rows[l] * cols[l]
    return rows, cols, off


@kernel()
def _dl_fg(w, g, data):
    L = int(data[0])
    din = int(data[1])
    h = int(data[2])
    dout = int(data[3])
    T = data[4:4 + dout * din].reshape((dout, din))
    rows, cols, off = _dl_shapes(L, din, h, dout)
    K = max(din, h, dout)
    zero = 0.0 * w[0]
    P = np.zeros((L + 1, K, K), dtype=w.dtype)  # P[l] = W_{l-1} ... W_0 (P[0] = I), rows[l-1] x din
    for i in range(din):
        P[0, i, i] = 1.0
    for l in range(L):
        W = w[off[l]:off[l + 1]].reshape((rows[l], cols[l]))
        for i in range(rows[l]):
            for j in range(din):
                acc = zero
                for k in range(cols[l]):
                    acc += W[i, k] * P[l, k, j]
                P[l + 1, i, j] = acc
    E = np.empty((dout, din), dtype=w.dtype)
    f = zero
    for i in range(dout):
        for j in range(din):
            e = P[L, i, j] - T[i, j]
            E[i, j] = e
            f += e * e
    S = np.zeros((L + 1, K, K), dtype=w.dtype)  # S[l] = W_{L-1} ... W_l (S[L] = I), dout x rows[l-1]
    for i in range(dout):
        S[L, i, i] = 1.0
    A = np.empty((K, K), dtype=w.dtype)
    for l in range(L - 1, -1, -1):
        W = w[off[l]:off[l + 1]].reshape((rows[l], cols[l]))
        gW = g[off[l]:off[l + 1]].reshape((rows[l], cols[l]))
        for a in range(rows[l]):  # A = S[l+1]^T E  (rows[l] x din)
            for j in range(din):
                acc = zero
                for i in range(dout):
                    acc += S[l + 1, i, a] * E[i, j]
                A[a, j] = acc
        for a in range(rows[l]):  # grad W_l = A P[l]^T
            for c in range(cols[l]):
                acc = zero
                for j in range(din):
                    acc += A[a, j] * P[l, c, j]
                gW[a, c] = acc
        for i in range(dout):  # S[l] = S[l+1] W_l
            for c in range(cols[l]):
                acc = zero
                for a in range(rows[l]):
                    acc += S[l + 1, i, a] * W[a, c]
                S[l, i, c] = acc
    return 0.5 * f


def deep_linear_product(land: Landscape, X: np.ndarray) -> np.ndarray:
    """The end-to-end maps W_L ... W_1 of points X (B, dim): (B, outputs, inputs)."""
    L, din, h, dout = (int(v) for v in land.data[1:5])
    out = np.broadcast_to(np.eye(din), (len(X), din, din)).copy()
    off = 0
    for l in range(L):
        rows = dout if l == L - 1 else h
        cols = din if l == 0 else h
        out = X[:, off:off + rows * cols].reshape(len(X), rows, cols) @ out
        off += rows * cols
    return out


def build_deep_linear(dim: int, seed: int, params: dict) -> Landscape:
    L, din, h, dout = params["depth"], params["inputs"], params["width"], params["outputs"]
    rng = landscape_rng("deep-linear", seed)
    q = min(din, dout)
    sig = _spectrum(q, params["condition"])
    Pl, Pr = _haar(rng, dout)[:, :q], _haar(rng, din)[:, :q]
    T = (Pl * sig) @ Pr.T
    data = np.concatenate([[L, din, h, dout], T.ravel()]).astype(np.float64)
    reach = q if L == 1 else min(q, h)  # the rank the product can reach
    values = sorted({0.5 * float(sum(sig[i] ** 2 for i in range(q) if i not in S))
                     for s in range(reach + 1) for S in itertools.combinations(range(q), s)})
    hidden = 0 if L == 1 else (L - 1) * h * h
    known: dict = {
        "global_min_value": 0.5 * float(np.sum(sig[reach:] ** 2)), "all_local_minima_global": True,
        "critical_values": values, "singular_values": list(sig), "zero_modes": hidden,
        "origin": {"value": 0.5 * float(np.sum(sig ** 2)),
                   "hessian": "zero (a saddle of order L >= 3: no negative curvature to follow)" if L >= 3 else
                              ("+-sigma_i(T), each width times (a strict saddle)" if L == 2 else "convex"),
                   "index": None if L >= 3 else (h * q if L == 2 else 0)},
        "references": ["Baldi & Hornik 1989 (L = 2)", "Kawaguchi 2016 (any depth: every local minimum global, "
                       "every other critical point a saddle; no negative curvature at the origin for L >= 3)"],
    }
    land = Landscape(
        costly_hessian=True,  # (complex step / assembled over the data: ~dim gradients)
        name="deep-linear", dim=dim, value_and_grad_kernel=generic_vg, hessian_kernel=generic_hess,
        hvp_kernel=generic_hvp, data=np.concatenate([[DL], data]), params=params, seed=seed, domain=(-2.0, 2.0),
        known=known,
        symmetries=("hidden-gl",) if L > 1 else (), identify=("end-to-end",) if L > 1 else (),
        sampler=_gaussian_sampler(dim, params["init"]),
        measures={"distance_to_origin": lambda X: np.linalg.norm(X, axis=1)},
        summary=f"|W_{L} ... W_1 - T|^2/2, widths {din}" + f" -> {h}" * (L - 1) + f" -> {dout}",
        scale=0.5,
    )
    # a balanced global minimum: each layer carries sigma^(1/L) of the top singular directions
    root = sig[:reach] ** (1.0 / L)
    layers = []
    for l in range(L):
        rows, cols = (dout if l == L - 1 else h), (din if l == 0 else h)
        W = np.zeros((rows, cols))
        if L == 1:
            W = (Pl[:, :reach] * sig[:reach]) @ Pr[:, :reach].T
        elif l == 0:
            W[:reach] = root[:, None] * Pr[:, :reach].T
        elif l == L - 1:
            W[:, :reach] = Pl[:, :reach] * root
        else:
            W[np.arange(reach), np.arange(reach)] = root
        layers.append(W.ravel())
    x_star = np.concatenate(layers)
    land.known["global_min_x"] = [float(v) for v in x_star]
    # the curvature there, tripled: walkers starting small meet it on the way (lr=auto needs it)
    land.known["curvature_bound"] = 3.0 * float(np.abs(np.linalg.eigvalsh(land.hessian(x_star))).max())
    return land


# --------------------------------------------------------------------------- phase-retrieval
# data = [n, m, A (m x n), y (m)]; f(x) = mean_i ((a_i . x)^2 - y_i)^2, y_i = (a_i . x*)^2, |x*| = 1
@kernel()
def _pr_header(data):
    n = int(data[0])
    m = int(data[1])
    return n, m, data[2:2 + m * n].reshape((m, n)), data[2 + m * n:2 + m * n + m]


@deferred(VALUE_AND_GRAD_SIG)
def pr_vg(X, G, F, data, keys, batch):
    n, m, A, y = _pr_header(data)
    Z = np.dot(X, A.T)  # (B, m)
    for b in range(X.shape[0]):
        f = 0.0
        for i in range(m):
            z = Z[b, i]
            res = z * z - y[i]
            f += res * res
            Z[b, i] = 4.0 * res * z / m
        F[b] = f / m
    Gd = np.dot(Z, A)
    for b in range(X.shape[0]):
        for j in range(n):
            G[b, j] = Gd[b, j]


@kernel()
def _pr_curvature(x, A, y, m):
    z = np.dot(A, x)
    for i in range(m):
        z[i] = 4.0 * (3.0 * z[i] * z[i] - y[i]) / m
    return z


@deferred(HESSIAN_SIG)
def pr_hess(x, H, data):
    _n, m, A, y = _pr_header(data)
    weighted_gram_into(A, _pr_curvature(x, A, y, m), 0.0, H)


@deferred(HVP_SIG)
def pr_hvp(x, v, out, data):
    n, m, A, y = _pr_header(data)
    c = _pr_curvature(x, A, y, m)
    t = np.dot(A, v) * c
    r = np.dot(A.T, t)
    for j in range(n):
        out[j] = r[j]


def build_phase_retrieval(dim: int, seed: int, params: dict) -> Landscape:
    m = params["measurements"] or max(1, round(params["ratio"] * dim))
    check_bytes(8.0 * m * dim, f"phase-retrieval's {m:,} x {dim:,} measurements", "use fewer measurements")
    rng = landscape_rng("phase-retrieval", seed)
    xs = rng.standard_normal(dim)
    xs /= np.linalg.norm(xs)
    A = rng.standard_normal((m, dim))
    y = (A @ xs) ** 2
    data = np.concatenate([[dim, m], A.ravel(), y]).astype(np.float64)

    def distance(X: np.ndarray) -> np.ndarray:
        return np.minimum(np.linalg.norm(X - xs, axis=1), np.linalg.norm(X + xs, axis=1))

    known: dict = {"global_min_value": 0.0, "global_minima_x": [list(xs), list(-xs)], "global_min_x": list(xs),
                   "measurements": m, "signal": list(xs),
                   "references": ["Sun, Qu & Wright 2018 (with m of order n log^3 n Gaussian measurements: the "
                                  "only local minima are +-x*, every other critical point a strict saddle)"]}
    if m >= dim:
        known["origin"] = {"value": float(np.mean(y ** 2)), "index": dim, "kind": "local maximum"}
    theory = {"regime": "benign for m >> n log^3 n (proved), m >~ 2n-4n in experiments; spurious minima at "
                        "m of order n", "references": ["Sun, Qu & Wright 2018"]}
    return Landscape(
        costly_hessian=True,  # (complex step / assembled over the data: ~dim gradients)
        name="phase-retrieval", dim=dim, value_and_grad_kernel=pr_vg, hessian_kernel=pr_hess, hvp_kernel=pr_hvp,
        data=data, params=params, seed=seed, domain=(-1.5, 1.5), known=known, theory=theory, symmetries=("sign",),
        identify=("sign",), measures={"distance": distance}, n_samples=m,
        summary=f"recover a unit x* in R^{dim} from {m} measurements (a.x*)^2", scale=0.5,
    )


# --------------------------------------------------------------------------- teacher-student
# data = [k, d, teachers, V (teachers x d)]; student W (k x d):
# f(W) = E_x (sum_i relu(w_i.x) - sum_j relu(v_j.x))^2 / 2, x ~ N(0, I_d), in closed form through
# E relu(w.x) relu(u.x) = |w||u| (sin t + (pi - t) cos t) / (2 pi), t the angle (Cho & Saul 2009)
INV_2PI = 1.0 / (2.0 * math.pi)


@kernel()
def _angle(w, u, nw, nu):
    c = 0.0
    for j in range(w.shape[0]):
        c += w[j] * u[j]
    c /= nw * nu
    c = min(1.0, max(-1.0, c))
    return math.acos(c), c


@kernel()
def _kernel_value_grad(w, u, gout, sign):
    """sign * E relu(w.x) relu(u.x); adds sign * its gradient in w to ``gout``."""
    nw = np.sqrt(np.dot(w, w))
    nu = np.sqrt(np.dot(u, u))
    if nw == 0.0 or nu == 0.0:
        return 0.0
    t, c = _angle(w, u, nw, nu)
    s = math.sqrt(max(0.0, 1.0 - c * c))
    for j in range(w.shape[0]):
        gout[j] += sign * INV_2PI * (nu * s * w[j] / nw + (math.pi - t) * u[j])
    return sign * INV_2PI * nw * nu * (s + (math.pi - t) * c)


@kernel()
def _ts_unpack(data):
    k = int(data[0])
    d = int(data[1])
    kt = int(data[2])
    return k, d, kt, data[3:3 + kt * d].reshape((kt, d))


@deferred(VALUE_AND_GRAD_SIG)
def ts_vg(X, G, F, data, keys, batch):
    k, d, kt, V = _ts_unpack(data)
    const = 0.0  # the teacher-teacher part
    dummy = np.zeros(d)
    for a in range(kt):
        for c in range(kt):
            const += _kernel_value_grad(V[a], V[c], dummy, 1.0)
    for b in range(X.shape[0]):
        W = X[b].reshape((k, d))
        g = G[b].reshape((k, d))
        g[:, :] = 0.0
        f = 0.5 * const
        for i in range(k):
            for j in range(d):
                f += 0.25 * W[i, j] * W[i, j]  # E relu(w.x)^2 / 2 = |w|^2 / 4
                g[i, j] += 0.5 * W[i, j]
            for i2 in range(k):
                if i2 != i:
                    f += 0.5 * _kernel_value_grad(W[i], W[i2], g[i], 1.0)
            for a in range(kt):
                f += _kernel_value_grad(W[i], V[a], g[i], -1.0)
        F[b] = f


@kernel()
def _pair_blocks(w, u, Hww, Hwu):
    """d^2/dw^2 and d^2/dw du of E relu(w.x) relu(u.x) (closed form; 0 where w or u is 0)."""
    d = w.shape[0]
    nw = np.sqrt(np.dot(w, w))
    nu = np.sqrt(np.dot(u, u))
    Hww[:, :] = 0.0
    Hwu[:, :] = 0.0
    if nw == 0.0 or nu == 0.0:
        return
    t, c = _angle(w, u, nw, nu)
    s = math.sqrt(max(0.0, 1.0 - c * c))
    wh = w / nw
    uh = u / nu
    pw = uh - c * wh  # sin t times the unit vector from w towards u
    pu = wh - c * uh
    for a in range(d):
        for b in range(d):
            Hwu[a, b] = INV_2PI * (s * wh[a] * uh[b])
        Hwu[a, a] += INV_2PI * (math.pi - t)
    for a in range(d):
        for b in range(d):
            Hww[a, b] = INV_2PI * nu / nw * s * (-wh[a] * wh[b])
        Hww[a, a] += INV_2PI * nu / nw * s
    if s > 1e-12:
        for a in range(d):
            for b in range(d):
                Hww[a, b] += INV_2PI * nu / nw * pw[a] * pw[b] / s
                Hwu[a, b] += INV_2PI * pw[a] * pu[b] / s


@deferred(HESSIAN_SIG)
def ts_hess(x, H, data):
    k, d, kt, V = _ts_unpack(data)
    W = x.reshape((k, d))
    H[:, :] = 0.0
    Hww = np.empty((d, d))
    Hwu = np.empty((d, d))
    for i in range(k):
        for j in range(d):
            H[i * d + j, i * d + j] += 0.5
        for i2 in range(k):
            if i2 == i:
                continue
            _pair_blocks(W[i], W[i2], Hww, Hwu)
            for a in range(d):
                for b in range(d):
                    H[i * d + a, i * d + b] += Hww[a, b]
                    H[i * d + a, i2 * d + b] += Hwu[a, b]
        for t in range(kt):
            _pair_blocks(W[i], V[t], Hww, Hwu)
            for a in range(d):
                for b in range(d):
                    H[i * d + a, i * d + b] -= Hww[a, b]
    _symmetrise_in_place(H)


@deferred(HVP_SIG)
def ts_hvp(x, v, out, data):
    H = np.empty((x.shape[0], x.shape[0]))
    ts_hess(x, H, data)
    matvec_into(H, v, out)


def build_teacher_student(dim: int, seed: int, params: dict) -> Landscape:
    k = params["students"]
    kt = params["teachers"] or k
    d = params["inputs"] or max(k, kt)
    if kt > d:
        raise ParamError(f"teacher-student parameter teachers={kt} is out of range; use teachers <= inputs={d} "
                         "(orthonormal teacher units)")
    V = np.eye(d)[:kt]  # orthonormal teacher units, as in Safran & Shamir
    data = np.concatenate([[k, d, kt], V.ravel()]).astype(np.float64)
    known: dict = {"global_min_value": 0.0, "teachers": kt,
                   "references": ["Safran & Shamir 2018 (spurious local minima for 6 <= k <= 20 with k teachers)",
                                  "Cho & Saul 2009 (the arc-cosine kernel: the closed-form loss)"]}
    if k == kt:
        known["global_min_x"] = [float(v) for v in V.ravel()]

    def sampler(rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.uniform(-1.0, 1.0, (count, dim)) * math.sqrt(6.0 / (d + 1))  # Xavier, as the paper

    return Landscape(
        costly_hessian=True,  # (complex step / assembled over the data: ~dim gradients)
        name="teacher-student", dim=dim, value_and_grad_kernel=ts_vg, hessian_kernel=ts_hess, hvp_kernel=ts_hvp,
        data=data, params=params, seed=seed, domain=(-1.5, 1.5), known=known, symmetries=("hidden-permutation",),
        sampler=sampler,
        summary=f"{k} ReLU units learning {kt} orthonormal ReLU teachers on Gaussian inputs in R^{d} "
                "(population loss)",
        scale=0.25,
    )

"""Random high-dimensional landscapes: p-spin (on the sphere), gaussian-field, random-quadratic.

Contractions go to BLAS (``np.dot`` inside the kernels): batched tensor work is GEMM-shaped.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ._base import Landscape, check_bytes, landscape_rng, memory_limit, origin_facts
from ._fastmath import sincos
from ._kernel import HESSIAN_SIG, HVP_SIG, VALUE_AND_GRAD_SIG, deferred, kernel, matvec_into
from ._params import ParamError

PSPIN_MAX_ENTRIES = 40_000_000  # N^p doubles held in memory (320 MB)
DENSE_MAX_DIM = 8000


# ------------------------------------------------------------------------------------ p-spin
# data = [p, N, scale, T (N^p, fully symmetric)]; H(x) = -scale * sum T_{i1..ip} x_i1 ... x_ip
@kernel()
def _pspin_contract(T, X, times, N):
    """Contract the last axis of T (rows of length N) with each walker ``times`` times."""
    B = X.shape[0]
    Y = np.dot(X, T.T)  # (B, N^(p-1))
    size = Y.shape[1]
    for _ in range(times - 1):
        size //= N
        Z = np.empty((B, size))
        for b in range(B):
            for a in range(size):
                acc = 0.0
                for j in range(N):
                    acc += Y[b, a * N + j] * X[b, j]
                Z[b, a] = acc
        Y = Z
    return Y


@deferred(VALUE_AND_GRAD_SIG)
def pspin_vg(X, G, F, data, keys, batch):
    p = int(data[0])
    N = int(data[1])
    scale = data[2]
    T = data[3:].reshape((N ** (p - 1), N))
    Y = _pspin_contract(T, X, p - 1, N)  # (B, N): sum over all but one index
    for b in range(X.shape[0]):
        f = 0.0
        for i in range(N):
            gi = -p * scale * Y[b, i]
            G[b, i] = gi
            f += gi * X[b, i]
        F[b] = f / p  # homogeneous of degree p: x . grad = p f


@deferred(HESSIAN_SIG)
def pspin_hess(x, H, data):
    p = int(data[0])
    N = int(data[1])
    scale = data[2]
    T = data[3:].reshape((N ** (p - 1), N))
    if p == 2:
        for i in range(N):
            for j in range(N):
                H[i, j] = -2.0 * scale * T[i, j]
        return
    Y = _pspin_contract(T, x.reshape((1, N)), p - 2, N)
    c = -p * (p - 1) * scale
    for i in range(N):
        for j in range(N):
            H[i, j] = c * Y[0, i * N + j]


@deferred(HVP_SIG)
def pspin_hvp(x, v, out, data):
    H = np.empty((x.shape[0], x.shape[0]))
    pspin_hess(x, H, data)
    matvec_into(H, v, out)


def _symmetrise(A: np.ndarray) -> np.ndarray:
    perms = list(itertools.permutations(range(A.ndim)))
    T = np.zeros_like(A)
    for perm in perms:
        T += A.transpose(perm)
    return T / len(perms)


PSPIN_UNITS = ("energy per spin, with covariance E[H(x) H(y)] = N (x.y / N)^p on |x|^2 = N (Auffinger, Ben "
               "Arous & Cerny's convention); the sum over i < j < k with couplings of variance p! / (2 N^(p-1)) "
               "(Crisanti & Sommers) halves the covariance: its energies are these divided by sqrt(2)")


def pspin_ground_state(p: int) -> float:
    """The N -> infinity ground-state energy per spin of the pure spherical p-spin model, in the
    units of ``PSPIN_UNITS``: -E_inf = -2 sqrt((p-1)/p) for p = 2 (the edge of the semicircle);
    for p >= 3 -E_0, the zero below -E_inf of the complexity of local minima
    Theta_p(u) = log(p-1)/2 - (p-2) u^2 / (4(p-1)) - I_1(u) (Auffinger, Ben Arous & Cerny 2013),
    which Subag (2017) proved is the ground state and agrees with the 1RSB solution of the
    Parisi formula (Crisanti & Sommers 1992): -1.65700 for p = 3, -1.79409 for p = 4."""
    e_inf = 2.0 * math.sqrt((p - 1) / p)
    if p == 2:
        return -e_inf

    def theta(u: float) -> float:
        s = math.sqrt(u * u - e_inf * e_inf)
        i1 = -u / e_inf**2 * s - math.log(-u + s) + math.log(e_inf)
        return 0.5 * math.log(p - 1) - (p - 2) / (4 * (p - 1)) * u * u - i1

    lo, hi = -e_inf - 4.0, -e_inf - 1e-12  # theta < 0 far below, > 0 just below -E_inf
    for _ in range(200):  # bisection to full precision
        mid = 0.5 * (lo + hi)
        if theta(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _pspin_tensor(name: str, N: int, p: int, seed: int) -> np.ndarray:
    if N < 2:
        raise ParamError(f"{name} dim={N} is not allowed; use an integer >= 2")
    if N ** p > PSPIN_MAX_ENTRIES:
        n_max = int(PSPIN_MAX_ENTRIES ** (1 / p))
        raise ParamError(f"{name} dim={N} with p={p} needs {N ** p:,} couplings; "
                         f"use dim <= {n_max} for p={p}")
    return _symmetrise(landscape_rng(name, seed, p).standard_normal((N,) * p))


def _pspin_landscape(name: str, T: np.ndarray, p: int, seed: int, params: dict, summary: str,
                     references: list[str], **extra) -> Landscape:
    """A landscape -scale sum T x..x on the sphere |x|^2 = N, T fully symmetric (N^p)."""
    N = T.shape[0]
    scale = N ** (-(p - 1) / 2)
    data = np.concatenate([[p, N, scale], T.ravel()]).astype(np.float64)
    known: dict = {"manifold": "sphere |x|^2 = dim", "references": list(references)}
    if p == 2:
        # exact at finite N: critical points are +-sqrt(N) v_k, index = number of larger eigenvalues
        lam, V = np.linalg.eigh(T)
        order = np.argsort(lam)[::-1]
        lam, V = lam[order], V[:, order]
        known.update(
            n_critical_points=2 * N,
            counts_by_index=dict.fromkeys(range(N), 2),
            n_local_minima=2,
            global_min_value=float(-scale * N * lam[0]),
            global_minima_x=[list(math.sqrt(N) * V[:, 0]), list(-math.sqrt(N) * V[:, 0])],
        )
        if N <= 64:
            known["critical_points"] = [
                {"x": list(s * math.sqrt(N) * V[:, k]), "value": float(-scale * N * lam[k]), "index": k}
                for k in range(N) for s in (1.0, -1.0)]
        known["references"].append("p=2: critical points are the eigenvectors of the coupling matrix")
    radius = math.sqrt(N)

    def sampler(rng: np.random.Generator, n: int) -> np.ndarray:
        g = rng.standard_normal((n, N))
        return g * (radius / np.linalg.norm(g, axis=1, keepdims=True))

    return Landscape(
        name=name, dim=N, value_and_grad_kernel=pspin_vg, hessian_kernel=pspin_hess, hvp_kernel=pspin_hvp,
        data=data, params=params, seed=seed, domain=(-radius, radius), known=known,
        symmetries=("sign",) if p % 2 == 0 else (), manifold="sphere", radius=radius, sampler=sampler,
        summary=summary,
        scale=radius,  # critical points of a spin glass sit at angles of order one on the sphere
        **extra,
    )


def build_pspin(dim: int, seed: int, params: dict) -> Landscape:
    p, N = params["p"], dim
    T = _pspin_tensor("p-spin", N, p, seed)
    theory = {"threshold_energy_per_spin": -2 * math.sqrt((p - 1) / p),
              "ground_state_energy_per_spin": pspin_ground_state(p),
              "units": PSPIN_UNITS,
              "references": ["Cugliandolo & Kurchan 1993 (threshold); Auffinger, Ben Arous & Cerny 2013, Thm 2.5 "
                             "and Subag 2017 (ground state: the zero of the complexity, = Crisanti & Sommers' "
                             "1992 1RSB value)"]}
    return _pspin_landscape(
        "p-spin", T, p, seed, params, f"spherical {p}-spin glass on |x|^2 = {N}",
        ["Crisanti & Sommers 1992; Auffinger, Ben Arous & Cerny 2013 "
         "(H = -N^{-(p-1)/2} sum A_{i1..ip} x_i1..x_ip, A iid N(0,1))"], theory=theory)


def build_tensor_pca(dim: int, seed: int, params: dict) -> Landscape:
    """p-spin noise plus the signal -snr N (v.x / N)^p, |v|^2 = N: minimising recovers v when snr is
    large enough (the spike enters the symmetric coupling tensor, so every p-spin kernel serves)."""
    p, N, snr = params["p"], dim, params["snr"]
    T = _pspin_tensor("tensor-pca", N, p, seed)
    v = landscape_rng("tensor-pca", seed, p, 1).standard_normal(N)
    v *= math.sqrt(N) / np.linalg.norm(v)
    spike = v
    for _ in range(p - 1):
        spike = np.multiply.outer(spike, v)
    T += snr * N ** (-(p - 1) / 2) * spike  # scale * this * (v.x)^p = snr N (v.x / N)^p
    theory: dict = {"units": PSPIN_UNITS + "; the signal term is -snr N m^p, m = v.x / N the overlap",
                    "references": ["Ben Arous, Gheissari & Jagannath 2020 (gradient descent and Langevin from "
                                   "random starts recover v only for snr of order N^((p-2)/2) and above; "
                                   "spurious minima dominate below)",
                                   "Baik, Ben Arous & Peche 2005 (p = 2: the spike shows at snr = 1/sqrt(2) "
                                   "here, the noise matrix's semicircle having radius sqrt(2))"]}
    if p == 2:
        theory["threshold_snr"] = 1 / math.sqrt(2)
        theory["overlap_at_minimum"] = ("sqrt(1 - 1/(2 snr^2)) above the threshold, 0 below "
                                        "(large N)")
        theory["overlap_at_minimum_value"] = math.sqrt(max(0.0, 1 - 1 / (2 * snr * snr)))
    else:
        theory["algorithmic_threshold_snr_scale"] = N ** ((p - 2) / 2)
    land = _pspin_landscape(
        "tensor-pca", T, p, seed, params, f"spiked {p}-spin on |x|^2 = {N}, signal strength snr={snr:g}",
        ["Richard & Montanari 2014 (tensor PCA)", "Ben Arous, Gheissari & Jagannath 2020"], theory=theory,
        measures={"overlap": lambda X: X @ v / N})
    land.known.update(signal=list(v / math.sqrt(N)), snr=snr)
    return land


# ---------------------------------------------------------------------------- gaussian-field
# data = [M, D, amp, confine, W (M x D), phase (M)]:
# f(x) = amp * sum_m cos(w_m . x + phase_m) + confine |x|^2 / 2, amp = sigma sqrt(2/M)
@kernel()
def _field_unpack(data):
    M = int(data[0])
    D = int(data[1])
    W = data[4:4 + M * D].reshape((M, D))
    phase = data[4 + M * D:4 + M * D + M]
    return M, D, data[2], data[3], W, phase


@deferred(VALUE_AND_GRAD_SIG)
def field_vg(X, G, F, data, keys, batch):
    M, D, amp, mu, W, phase = _field_unpack(data)
    Z = np.dot(X, W.T)  # (B, M)
    B = X.shape[0]
    S = np.empty((B, M))
    for b in range(B):
        f = 0.0
        for m in range(M):
            sn, cs = sincos(Z[b, m] + phase[m])
            f += cs
            S[b, m] = -amp * sn
        sq = 0.0
        for i in range(D):
            sq += X[b, i] * X[b, i]
        F[b] = amp * f + 0.5 * mu * sq
    Gw = np.dot(S, W)
    for b in range(B):
        for i in range(D):
            G[b, i] = Gw[b, i] + mu * X[b, i]


@deferred(HESSIAN_SIG)
def field_hess(x, H, data):
    M, D, amp, mu, W, phase = _field_unpack(data)
    z = np.dot(W, x)
    C = np.empty((M, D))
    for m in range(M):
        c = -amp * np.cos(z[m] + phase[m])
        for i in range(D):
            C[m, i] = c * W[m, i]
    Hm = np.dot(W.T, C)
    for i in range(D):
        for j in range(D):
            H[i, j] = Hm[i, j]
        H[i, i] += mu


@deferred(HVP_SIG)
def field_hvp(x, v, out, data):
    M, D, amp, mu, W, phase = _field_unpack(data)
    z = np.dot(W, x)
    wv = np.dot(W, v)
    for m in range(M):
        wv[m] *= -amp * np.cos(z[m] + phase[m])
    r = np.dot(W.T, wv)
    for i in range(D):
        out[i] = r[i] + mu * v[i]


def build_gaussian_field(dim: int, seed: int, params: dict) -> Landscape:
    M, ell, sigma, mu = params["features"], params["length_scale"], params["amplitude"], params["confine"]
    if M * dim > 50_000_000:
        raise ParamError(f"gaussian-field features={M} at dim={dim} needs {M * dim:,} numbers; "
                         f"use features <= {50_000_000 // dim}")
    rng = landscape_rng("gaussian-field", seed)
    W = rng.standard_normal((M, dim)) / ell
    phase = rng.uniform(0.0, 2 * math.pi, M)
    data = np.concatenate([[M, dim, sigma * math.sqrt(2.0 / M), mu], W.ravel(), phase])
    known = {"covariance": f"{sigma}^2 exp(-|x-y|^2 / (2 * {ell}^2)) as features -> infinity",
             "references": ["Rahimi & Recht 2007 (random Fourier features)",
                            "Bray & Dean 2007; Fyodorov 2004 (critical points of Gaussian fields)"]}
    half = 3.0 * ell
    return Landscape(
        name="gaussian-field", dim=dim, value_and_grad_kernel=field_vg, hessian_kernel=field_hess,
        hvp_kernel=field_hvp, data=np.ascontiguousarray(data, np.float64), params=params, seed=seed,
        domain=(-half, half), known=known, summary=f"isotropic Gaussian random field, correlation length {ell}",
        scale=ell,  # the correlation length
    )


# -------------------------------------------------------------------------- random-quadratic
# data = [D, A (D x D symmetric)]; f = x^T A x / 2
@deferred(VALUE_AND_GRAD_SIG)
def quad_vg(X, G, F, data, keys, batch):
    D = int(data[0])
    A = data[1:1 + D * D].reshape((D, D))
    GA = np.dot(X, A)
    for b in range(X.shape[0]):
        f = 0.0
        for i in range(D):
            G[b, i] = GA[b, i]
            f += X[b, i] * GA[b, i]
        F[b] = 0.5 * f


@deferred(HESSIAN_SIG)
def quad_hess(x, H, data):
    D = int(data[0])
    A = data[1:1 + D * D].reshape((D, D))
    for i in range(D):
        for j in range(D):
            H[i, j] = A[i, j]


@deferred(HVP_SIG)
def quad_hvp(x, v, out, data):
    D = int(data[0])
    A = data[1:1 + D * D].reshape((D, D))
    r = np.dot(A, v)
    for i in range(D):
        out[i] = r[i]


def random_spectrum_matrix(kind: str, dim: int, rng: np.random.Generator, ratio: float,
                           outliers: int) -> np.ndarray:
    """The unshifted symmetric matrix: GOE (semicircle on [-2, 2]), Wishart (Marchenko-Pastur
    with aspect ``ratio`` = dim / samples), or a small Wishart bulk plus ``outliers`` spikes."""
    if kind == "goe":
        G = rng.standard_normal((dim, dim))
        return (G + G.T) / math.sqrt(2 * dim)
    n = max(1, round(dim / ratio))
    check_bytes(8.0 * n * dim, f"a Wishart matrix from {n:,} samples (dim={dim:,} / ratio={ratio:g})",
                f"use ratio >= {dim * dim * 8 / memory_limit():.2g}")
    Z = rng.standard_normal((n, dim))
    W = Z.T @ Z / n
    if kind == "wishart":
        return W
    U = np.linalg.qr(rng.standard_normal((dim, max(outliers, 1))))[0][:, :outliers]
    strengths = 10.0 * (1.0 + np.arange(outliers))
    return 0.1 * W + (U * strengths) @ U.T


def build_random_quadratic(dim: int, seed: int, params: dict) -> Landscape:
    kind, frac = params["spectrum"], params["negative_fraction"]
    if dim > DENSE_MAX_DIM:
        raise ParamError(f"random-quadratic dim={dim} is too large for a dense matrix; use dim <= {DENSE_MAX_DIM}")
    if kind == "bulk-outliers" and params["outliers"] > dim:
        raise ParamError(f"random-quadratic outliers={params['outliers']} is out of range for "
                         f"dim={dim}; use an integer in [0, {dim}]")
    shift_given, frac_given = params["shift"] != "auto", frac != "auto"
    if shift_given and frac_given:
        raise ParamError(f"random-quadratic takes shift={params['shift']} or negative_fraction={frac}, not both")
    rng = landscape_rng("random-quadratic", seed)
    A0 = random_spectrum_matrix(kind, dim, rng, params["ratio"], params["outliers"])
    lam0 = np.linalg.eigvalsh(A0)
    if shift_given:
        shift = float(params["shift"])
    elif frac_given or kind == "bulk-outliers":
        k = round((frac if frac_given else 0.1) * dim)
        spread = max(float(lam0[-1] - lam0[0]), 1e-3)
        if k == 0:
            shift = min(0.0, float(lam0[0])) - 0.05 * spread if lam0[0] <= 0.05 * spread else 0.0
        elif k == dim:
            shift = float(lam0[-1]) + 0.05 * spread
        else:
            shift = 0.5 * float(lam0[k - 1] + lam0[k])
    else:  # goe and wishart as the laws have them
        shift = 0.0
    A = A0 - shift * np.eye(dim)
    A = 0.5 * (A + A.T)
    lam = np.linalg.eigvalsh(A)
    # (a Wishart matrix from fewer samples than dim has an exact null space: its rounding noise is no direction)
    null = kind == "wishart" and not shift and params["ratio"] > 1
    n_null = dim - max(1, round(dim / params["ratio"])) if null else 0
    if n_null:
        lam[:n_null] = 0.0
    index = int((lam < 0).sum())
    known: dict = {"eigenvalues": [float(v) for v in lam], "shift": shift,
                   "references": ["Wigner 1958 (semicircle); Marchenko & Pastur 1967; "
                                  "Sagun et al. 2016 (bulk and outliers)"]}
    if n_null:  # every point of the null space is a (degenerate) global minimum
        known.update(global_min_value=0.0, global_min_x=[0.0] * dim, null_space_dim=n_null)
    else:
        known.update(origin_facts(dim, index))
    data = np.concatenate([[dim], A.ravel()]).astype(np.float64)
    return Landscape(
        name="random-quadratic", dim=dim, value_and_grad_kernel=quad_vg, hessian_kernel=quad_hess,
        hvp_kernel=quad_hvp, data=data, params=params, seed=seed, domain=(-1.0, 1.0), known=known,
        summary=(f"x^T A x / 2, {kind} spectrum"
                 + (f" shifted by {shift:.3g}" if shift else ", unshifted")
                 + (f", a null space of dim {n_null}" if n_null else f", {index} of {dim} eigenvalues negative")),
    )

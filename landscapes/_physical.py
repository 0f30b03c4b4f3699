"""``lennard-jones``: a cluster of N atoms in reduced units, E = 4 sum_{i<j} (r^-12 - r^-6).

D = 3N. Energy is invariant under translation, rotation and permutation of the atoms; these
are declared so distinct minima can be counted as distinct structures.
"""
from __future__ import annotations

import math

import numpy as np

from ._base import Landscape
from ._kernel import HESSIAN_SIG, HVP_SIG, VALUE_AND_GRAD_SIG, deferred, matvec_into
from ._lj_minima import LJ38_ICOSAHEDRAL, LJ_RELAXED_MINIMA

# Global minimum energies as the Cambridge Cluster Database lists them (six decimals; Wales &
# Doye 1997), N = 2..20 and 38: kept to check the relaxed values against
LJ_DATABASE_MINIMA = {
    2: -1.0, 3: -3.0, 4: -6.0, 5: -9.103852, 6: -12.712062, 7: -16.505384, 8: -19.821489,
    9: -24.113360, 10: -28.422532, 11: -32.765970, 12: -37.967600, 13: -44.326801,
    14: -47.845157, 15: -52.322627, 16: -56.815742, 17: -61.317995, 18: -66.530949,
    19: -72.659782, 20: -77.177043, 38: -173.928427,
}
LJ38_ICOSAHEDRAL_DATABASE = -173.252378  # the second funnel's bottom (Doye, Miller & Wales 1999)
# The energies to full precision: exact for 2-4 atoms, relaxed structures above (_lj_minima)
LJ_GLOBAL_MINIMA = {2: -1.0, 3: -3.0, 4: -6.0, **{n: e for n, (e, _) in LJ_RELAXED_MINIMA.items()}}
# Numbers of distinct minima from exhaustive eigenmode-following searches (Tsai & Jordan 1993,
# J. Phys. Chem. 97, 11227; LJ13's 1,509 confirmed by Doye & Wales 2002, J. Chem. Phys. 116,
# 3777); older, incomplete counts (Hoare & McInnes 1976: 18, 57, 145, 366, 988 for 9..13) differ
LJ_MINIMA_COUNTS = {6: 2, 7: 4, 8: 8, 9: 21, 10: 64, 11: 170, 12: 515, 13: 1509}


R2_MIN = 1e-50  # below this squared distance r^-12 overflows (1e-300): the pair's energy is +inf


@deferred(VALUE_AND_GRAD_SIG)
def lj_vg(X, G, F, data, keys, batch):
    B, D = X.shape
    N = D // 3
    for b in range(B):
        e = 0.0
        for i in range(D):
            G[b, i] = 0.0
        for i in range(N):
            for j in range(i + 1, N):
                dx = X[b, 3 * i] - X[b, 3 * j]
                dy = X[b, 3 * i + 1] - X[b, 3 * j + 1]
                dz = X[b, 3 * i + 2] - X[b, 3 * j + 2]
                r2 = dx * dx + dy * dy + dz * dz
                if r2 < R2_MIN:  # two atoms (nearly) at one place: the energy is +inf, never NaN
                    e = np.inf
                    continue
                ir6 = 1.0 / (r2 * r2 * r2)
                e += 4.0 * (ir6 * ir6 - ir6)
                k = (-48.0 * ir6 * ir6 + 24.0 * ir6) / r2  # (dE/dr) / r
                G[b, 3 * i] += k * dx
                G[b, 3 * i + 1] += k * dy
                G[b, 3 * i + 2] += k * dz
                G[b, 3 * j] -= k * dx
                G[b, 3 * j + 1] -= k * dy
                G[b, 3 * j + 2] -= k * dz
        F[b] = e


@deferred(HESSIAN_SIG)
def lj_hess(x, H, data):
    D = x.shape[0]
    N = D // 3
    H[:, :] = 0.0
    d = np.empty(3)
    for i in range(N):
        for j in range(i + 1, N):
            for a in range(3):
                d[a] = x[3 * i + a] - x[3 * j + a]
            r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
            if r2 < R2_MIN:
                H[:, :] = np.inf
                return
            ir6 = 1.0 / (r2 * r2 * r2)
            d1 = (-48.0 * ir6 * ir6 + 24.0 * ir6) / r2          # phi'(r) / r
            d2 = (624.0 * ir6 * ir6 - 168.0 * ir6) / r2         # phi''(r)
            for a in range(3):
                for c in range(3):
                    k = (d2 - d1) * d[a] * d[c] / r2 + (d1 if a == c else 0.0)
                    H[3 * i + a, 3 * i + c] += k
                    H[3 * j + a, 3 * j + c] += k
                    H[3 * i + a, 3 * j + c] -= k
                    H[3 * j + a, 3 * i + c] -= k


@deferred(HVP_SIG)
def lj_hvp(x, v, out, data):
    H = np.empty((x.shape[0], x.shape[0]))
    lj_hess(x, H, data)
    matvec_into(H, v, out)


def _exact_minimum(n_atoms: int) -> list[float] | None:
    r = 2.0 ** (1.0 / 6.0)
    shapes = {
        2: [(0, 0, 0), (r, 0, 0)],
        3: [(0, 0, 0), (r, 0, 0), (r / 2, r * math.sqrt(3) / 2, 0)],
        4: [(0, 0, 0), (r, 0, 0), (r / 2, r * math.sqrt(3) / 2, 0),
            (r / 2, r * math.sqrt(3) / 6, r * math.sqrt(2.0 / 3.0))],
    }
    atoms = shapes.get(n_atoms)
    return None if atoms is None else [float(c) for atom in atoms for c in atom]


def build_lennard_jones(dim: int, seed: int, params: dict) -> Landscape:
    n_atoms = dim // 3
    radius = (3.0 * n_atoms / (4.0 * math.pi * 0.6)) ** (1.0 / 3.0)  # a gas at density 0.6

    def sampler(rng: np.random.Generator, count: int) -> np.ndarray:
        out = np.empty((count, dim))
        for s in range(count):
            atoms: list[np.ndarray] = []
            while len(atoms) < n_atoms:
                p = rng.uniform(-radius, radius, 3)
                if np.linalg.norm(p) <= radius and all(np.linalg.norm(p - q) >= 0.9 for q in atoms):
                    atoms.append(p)
            out[s] = np.concatenate(atoms)
        return out

    known: dict = {"atoms": n_atoms, "zero_modes": 5 if n_atoms == 2 else 6,
                   "references": ["Jones 1924", "Wales & Doye 1997 (Cambridge Cluster Database; its six-decimal "
                                  "energies, relaxed here to full precision)"]}
    if n_atoms in LJ_GLOBAL_MINIMA:
        known["global_min_value"] = LJ_GLOBAL_MINIMA[n_atoms]
    x_min = _exact_minimum(n_atoms)
    if x_min is not None:
        known.update(global_min_x=x_min, n_local_minima=1)
    elif n_atoms in LJ_RELAXED_MINIMA:
        known["global_min_x"] = list(LJ_RELAXED_MINIMA[n_atoms][1])
    if n_atoms == 38:  # a double funnel: fcc global minimum, icosahedral second funnel
        known["local_minima"] = [{"x": list(LJ38_ICOSAHEDRAL[1]), "value": LJ38_ICOSAHEDRAL[0], "index": 0,
                                  "structure": "incomplete Mackay icosahedron: the bottom of the second funnel "
                                               "(Doye, Miller & Wales 1999)"}]
    theory = {}
    if n_atoms in LJ_MINIMA_COUNTS:
        theory = {"n_local_minima": LJ_MINIMA_COUNTS[n_atoms],
                  "references": ["Tsai & Jordan 1993, J. Phys. Chem. 97, 11227 (exhaustive searches); "
                                 "Doye & Wales 2002, J. Chem. Phys. 116, 3777 (LJ13)"]}
    return Landscape(
        name="lennard-jones", dim=dim, value_and_grad_kernel=lj_vg, hessian_kernel=lj_hess, hvp_kernel=lj_hvp,
        data=np.zeros(1), params=params, seed=seed, domain=(-radius, radius), known=known, theory=theory,
        symmetries=("translation", "rotation", "permutation"), sampler=sampler,
        identify=("translation", "rotation", "permutation"),
        summary=f"Lennard-Jones cluster of {n_atoms} atoms",
        scale=0.5,  # neighbouring minima differ by moves of about half an atom diameter
    )

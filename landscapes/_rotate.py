"""``rotate=1``: an axis-aligned landscape seen through a fixed random rotation, f(Q x).

Coordinate-wise optimizers (Adam, RMSprop, Adagrad) rescale each axis on its own, which is
exactly right on a separable landscape and an unfair edge in a comparison; turning the landscape
takes that edge away while keeping every critical point, value and index.

Q is block-diagonal: consecutive blocks of ``BLOCK`` coordinates (the whole space when D <=
``BLOCK``), each turned by its own Haar-random rotation from the seed. Every coordinate then
mixes with ``BLOCK - 1`` others, at ``BLOCK`` times the cost of a separable evaluation and
``BLOCK x D`` numbers of memory, so D = 10^6 stays possible. (A product of k Householder
reflections would be cheaper still but leaves D - k directions untouched: no rotation at all
for most axes once D >> k.)

The starting box and the census's domain turn with the landscape: a point x counts as inside
when Q x is in the original box, so counts of critical points stay exactly the unrotated ones.

data = [code, n0, base data (n0), D, b, blocks (ceil(D / b) x b x b)], code naming the base family.
"""
from __future__ import annotations

import math

import numpy as np

from ._base import Landscape, check_bytes, landscape_rng
from ._classic import rosenbrock_hess, rosenbrock_hvp, rosenbrock_vg
from ._kernel import HESSIAN_SIG, HVP_SIG, VALUE_AND_GRAD_SIG, deferred, kernel
from ._separable import (
    ackley_hess,
    ackley_hvp,
    ackley_vg,
    griewank_hess,
    griewank_hvp,
    griewank_vg,
    rastrigin_hess,
    rastrigin_hvp,
    rastrigin_vg,
    styblinski_tang_hess,
    styblinski_tang_hvp,
    styblinski_tang_vg,
)

__all__ = ["BLOCK", "ROTATABLE", "rotated"]

BLOCK = 16
ROTATABLE = ("rastrigin", "styblinski-tang", "ackley", "griewank", "rosenbrock")


@kernel()
def _unpack(data):
    code = int(data[0])
    n0 = int(data[1])
    base = data[2:2 + n0]
    D = int(data[2 + n0])
    b = int(data[3 + n0])
    nb = (D + b - 1) // b
    Q = data[4 + n0:4 + n0 + nb * b * b].reshape((nb, b, b))
    return code, base, D, b, nb, Q


@kernel()
def _turn(x, y, Q, D, b, nb, transpose):
    """y = Q x (or Q^T x) for one point, block by block."""
    for k in range(nb):
        s0 = k * b
        s = min(b, D - s0)
        for i in range(s):
            acc = 0.0
            for j in range(s):
                acc += (Q[k, j, i] if transpose else Q[k, i, j]) * x[s0 + j]
            y[s0 + i] = acc


@kernel()
def _base_vg(code, Y, G, F, base, keys, batch):
    if code == 0:
        rastrigin_vg(Y, G, F, base, keys, batch)
    elif code == 1:
        styblinski_tang_vg(Y, G, F, base, keys, batch)
    elif code == 2:
        ackley_vg(Y, G, F, base, keys, batch)
    elif code == 3:
        griewank_vg(Y, G, F, base, keys, batch)
    else:
        rosenbrock_vg(Y, G, F, base, keys, batch)


@kernel()
def _base_hess(code, y, H, base):
    if code == 0:
        rastrigin_hess(y, H, base)
    elif code == 1:
        styblinski_tang_hess(y, H, base)
    elif code == 2:
        ackley_hess(y, H, base)
    elif code == 3:
        griewank_hess(y, H, base)
    else:
        rosenbrock_hess(y, H, base)


@kernel()
def _base_hvp(code, y, v, out, base):
    if code == 0:
        rastrigin_hvp(y, v, out, base)
    elif code == 1:
        styblinski_tang_hvp(y, v, out, base)
    elif code == 2:
        ackley_hvp(y, v, out, base)
    elif code == 3:
        griewank_hvp(y, v, out, base)
    else:
        rosenbrock_hvp(y, v, out, base)


@deferred(VALUE_AND_GRAD_SIG)
def rotated_vg(X, G, F, data, keys, batch):
    code, base, D, b, nb, Q = _unpack(data)
    B = X.shape[0]
    Y = np.empty((B, D))
    for r in range(B):
        _turn(X[r], Y[r], Q, D, b, nb, False)
    Gy = np.empty((B, D))
    _base_vg(code, Y, Gy, F, base, keys, batch)
    for r in range(B):  # grad f(Q x) = Q^T (grad f)(Q x)
        _turn(Gy[r], G[r], Q, D, b, nb, True)


@deferred(HESSIAN_SIG)
def rotated_hess(x, H, data):
    code, base, D, b, nb, Q = _unpack(data)
    y = np.empty(D)
    _turn(x, y, Q, D, b, nb, False)
    Hy = np.empty((D, D))
    _base_hess(code, y, Hy, base)
    T = np.empty((D, D))  # Q^T Hy, column by column; then (Q^T Hy) Q, row by row
    col = np.empty(D)
    out = np.empty(D)
    for j in range(D):
        for i in range(D):
            col[i] = Hy[i, j]
        _turn(col, out, Q, D, b, nb, True)
        for i in range(D):
            T[i, j] = out[i]
    for i in range(D):
        _turn(T[i], out, Q, D, b, nb, True)  # row i of T Q = (Q^T T[i]^T)^T
        for j in range(D):
            H[i, j] = out[j]
    for i in range(D):
        for j in range(i):
            h = 0.5 * (H[i, j] + H[j, i])
            H[i, j] = h
            H[j, i] = h


@deferred(HVP_SIG)
def rotated_hvp(x, v, out, data):
    code, base, D, b, nb, Q = _unpack(data)
    y = np.empty(D)
    w = np.empty(D)
    _turn(x, y, Q, D, b, nb, False)
    _turn(v, w, Q, D, b, nb, False)
    hw = np.empty(D)
    _base_hvp(code, y, w, hw, base)
    _turn(hw, out, Q, D, b, nb, True)


def _blocks(name: str, seed: int, D: int) -> tuple[int, np.ndarray]:
    b = min(D, BLOCK)
    nb = math.ceil(D / b)
    check_bytes(8.0 * nb * b * b, f"the rotation of {name} in dim={D:,}", "use a smaller dim or rotate=0")
    rng = landscape_rng(name, seed, 0x0707)
    Q = np.zeros((nb, b, b))
    for k in range(nb):
        s = min(b, D - k * b)
        q, r = np.linalg.qr(rng.standard_normal((s, s)))
        Q[k, :s, :s] = q * np.sign(np.diag(r))  # Haar (Mezzadri 2007)
    return b, Q


def _apply(Q: np.ndarray, b: int, X: np.ndarray, transpose: bool) -> np.ndarray:
    """Q X (or Q^T X) for points (B, D), in NumPy."""
    D = X.shape[1]
    out = np.empty_like(X)
    for k in range(Q.shape[0]):
        s0, s = k * b, min(b, D - k * b)
        q = Q[k, :s, :s]
        out[:, s0:s0 + s] = X[:, s0:s0 + s] @ (q if transpose else q.T)
    return out


def rotated(land: Landscape) -> Landscape:
    """``land`` composed with its seed's block rotation: f(Q x). Every point in ``known`` is
    mapped to Q^T x; values, counts and indices are unchanged."""
    code = ROTATABLE.index(land.name)
    D = land.dim
    b, Q = _blocks(land.name, land.seed, D)
    data = np.concatenate([[code, len(land.data)], land.data, [D, b], Q.ravel()]).astype(np.float64)
    to_x = lambda Y: _apply(Q, b, np.atleast_2d(np.asarray(Y, float)), True)  # noqa: E731
    known = dict(land.known)
    for key in ("global_min_x",):
        if key in known:
            known[key] = [float(v) for v in to_x(known[key])[0]]
    for key in ("critical_points", "local_minima"):
        if key in known:
            known[key] = [{**cp, "x": [float(v) for v in to_x(cp["x"])[0]]} for cp in known[key]]
    known["rotation"] = f"x -> Q x, Q block-diagonal: Haar rotations of {b} coordinates at a time"
    lo, hi = land.domain

    def sampler(rng: np.random.Generator, count: int) -> np.ndarray:
        return _apply(Q, b, rng.uniform(lo, hi, (count, D)), True)  # the box, turned with the landscape

    symmetries = tuple(s for s in land.symmetries if s not in ("coordinate-sign", "permutation"))
    return Landscape(
        name=land.name, dim=D, value_and_grad_kernel=rotated_vg, hessian_kernel=rotated_hess,
        hvp_kernel=rotated_hvp, data=data, params=land.params, seed=land.seed, domain=land.domain, known=known,
        theory=land.theory, symmetries=symmetries, sampler=sampler, summary=land.summary + ", rotated",
        scale=land.scale, to_box=lambda X: _apply(Q, b, np.asarray(X, float), False),
    )

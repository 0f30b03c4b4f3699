"""The vectorisable sin/cos used by the transcendental landscapes, against extended precision."""
from __future__ import annotations

import numpy as np
from numba import njit

from landscapes._fastmath import sincos, sincos_turns

PI_L = np.longdouble("3.14159265358979323846264338327950288")


@njit
def _evaluate(x, turns):
    """sin and cos of every element, in turns (sincos_turns) or radians (sincos)."""
    s, c = np.empty_like(x), np.empty_like(x)
    for i in range(x.shape[0]):
        s[i], c[i] = sincos_turns(x[i]) if turns else sincos(x[i])
    return s, c


def test_sincos_turns_is_within_two_ulp_of_one():
    u = np.concatenate([np.random.default_rng(0).uniform(-1000, 1000, 200_000),
                        np.arange(-40, 41) / 8.0,                    # exact quadrant points
                        np.arange(-40, 41) / 8.0 + 1e-9])
    s, c = _evaluate(u, True)
    ul = u.astype(np.longdouble)
    ref = 2 * PI_L * (ul - np.round(ul))  # exact period removal keeps the reference accurate
    assert float(np.max(np.abs(s - np.sin(ref)))) <= 2 * 2.0 ** -53
    assert float(np.max(np.abs(c - np.cos(ref)))) <= 2 * 2.0 ** -53
    quarter = np.arange(-40, 41) / 4.0  # sin and cos are exactly 0 or +-1 there
    qs, qc = _evaluate(quarter, True)
    assert set(np.abs(qs)) <= {0.0, 1.0} and set(np.abs(qc)) <= {0.0, 1.0}


def test_sincos_of_radians_matches_numpy():
    x = np.random.default_rng(1).uniform(-50, 50, 100_000)
    s, c = _evaluate(x, False)
    assert np.max(np.abs(s - np.sin(x))) < 1e-14 and np.max(np.abs(c - np.cos(x))) < 1e-14

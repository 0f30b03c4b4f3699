"""Vectorisable sin/cos for the transcendental landscapes.

llvmlite's wheels have no SVML, so ``np.sin``/``np.cos`` inside a loop are scalar libm calls
(~30 ns each here) and stop the loop from vectorising. ``sincos_turns(u)`` returns
(sin 2 pi u, cos 2 pi u) from branch-free polynomials: the period is removed exactly
(u - round(u) is exact in binary floating point), the quadrant by a second exact rounding,
and what is left, |theta| <= pi/4, goes through Taylor polynomials of degree 17/18 whose
truncation error is below 1e-16. The tests check it against extended precision.
"""
from __future__ import annotations

import numpy as np

from ._kernel import kernel

HALF_PI = 1.5707963267948966
INV_TWO_PI = 0.15915494309189535

# Taylor coefficients of sin and cos (1/odd!, 1/even!) with alternating signs
S3, S5, S7, S9 = -1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0, 1.0 / 362880.0
S11, S13, S15, S17 = -1.0 / 39916800.0, 1.0 / 6227020800.0, -1.0 / 1307674368000.0, 1.0 / 355687428096000.0
C2, C4, C6, C8 = -0.5, 1.0 / 24.0, -1.0 / 720.0, 1.0 / 40320.0
C10, C12, C14, C16 = -1.0 / 3628800.0, 1.0 / 479001600.0, -1.0 / 87178291200.0, 1.0 / 20922789888000.0
C18 = -1.0 / 6402373705728000.0


@kernel()
def sincos_turns(u):
    """(sin(2 pi u), cos(2 pi u)), vectorisable, accurate to a few ulp for |u| < 2^50."""
    r = u - np.round(u)          # exact, in [-1/2, 1/2]
    y = 4.0 * r                  # exact, in [-2, 2]
    n = np.round(y)
    z = y - n                    # exact, in [-1/2, 1/2]
    t = z * HALF_PI              # |t| <= pi/4
    t2 = t * t
    s = t + t * t2 * (S3 + t2 * (S5 + t2 * (S7 + t2 * (S9 + t2 * (S11 + t2 * (S13 + t2 * (S15 + t2 * S17)))))))
    c = 1.0 + t2 * (C2 + t2 * (C4 + t2 * (C6 + t2 * (C8 + t2 * (C10 + t2 * (C12 + t2 * (C14 + t2 * (C16 + t2 * C18))))))))
    q = np.int64(n) & 3          # angle = t + q pi/2; branch-free so loops vectorise
    odd = (q & 1) == 1
    sign_s = 1.0 - 2.0 * ((q >> 1) & 1)
    sign_c = 1.0 - 2.0 * (((q + 1) >> 1) & 1)
    sin_v = (c if odd else s) * sign_s
    cos_v = (s if odd else c) * sign_c
    return sin_v, cos_v


@kernel()
def sincos(x):
    """(sin x, cos x) through ``sincos_turns``; the argument is rounded once by x / (2 pi)."""
    return sincos_turns(x * INV_TWO_PI)

"""Vectorisable sin/cos (transcendental landscapes) and tanh (the mlp).

llvmlite's wheels have no SVML, so ``np.sin``/``np.cos`` inside a loop are scalar libm calls
(~30 ns each here) and stop the loop from vectorising. ``sincos_turns(u)`` returns
(sin 2 pi u, cos 2 pi u) from branch-free polynomials: the period is removed exactly
(4u - round(4u) is exact in binary floating point, and so is the quadrant read off round(4u)),
and what is left, |theta| <= pi/4, goes through fdlibm's minimax polynomials (k_sin.c, k_cos.c:
degree 13 and 14, approximation error below 2^-58 there). The tests check it against extended
precision.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

from ._kernel import KERNEL_OPTIONS, kernel

HALF_PI = 1.5707963267948966
INV_TWO_PI = 0.15915494309189535

# fdlibm's minimax coefficients (Sun Microsystems, k_sin.c and k_cos.c) for |x| <= pi/4:
# sin x = x + x^3 (S1 + x^2 S2 + ... + x^10 S6), cos x = 1 - x^2/2 + x^4 (C1 + ... + x^10 C6).
# Against the Taylor polynomials of degree 17/18 used before: the same accuracy here (1.3 half-ulps
# worst, measured); with Estrin's scheme and the shorter reduction below a sincos costs 4.7 ns in a
# vectorised loop (5.2 before) and 24 ns as a dependency chain (33): rastrigin's one-walker step.
S1, S2, S3 = -1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04
S4, S5, S6 = 2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10
C1, C2, C3 = 4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05
C4, C5, C6 = -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11


def _rint(typingctx, x):
    """x rounded to the nearest integer, ties to even (as np.round(x)), through LLVM's rint: one
    vector instruction. Numba's np.round on a scalar calls a helper, which kept every loop using
    it from vectorising (rastrigin's gradient at 5 ns an element)."""
    sig = types.float64(types.float64)

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.rint", [ir.DoubleType()])
        return builder.call(fn, args)

    return sig, codegen


rint = cast("Callable[[float], float]", intrinsic(_rint))  # (typed for mypy as what it computes)


@kernel()
def sincos_turns(u):
    """(sin(2 pi u), cos(2 pi u)), vectorisable, accurate to a few ulp for |u| < 2^50."""
    y = 4.0 * u                  # exact: u in quarter turns
    q = rint(y)
    z = y - q                    # exact, in [-1/2, 1/2]: 4u - rint(4u) = 4r - rint(4r), r = u - rint(u)
    n = q - 4.0 * rint(0.25 * q)  # exact, the quadrant in {-2, ..., 2} (off the chain to the polynomials)
    t = z * HALF_PI              # |t| <= pi/4
    t2 = t * t
    t4 = t2 * t2  # Estrin's scheme: short chains, not one of six multiply-adds (a one-walker step of
    # rastrigin waits on this: 33 -> 24 ns from u to the result, with one rounding to an integer fewer)
    ps = (S1 + t2 * S2) + t4 * ((S3 + t2 * S4) + t4 * (S5 + t2 * S6))
    pc = (C1 + t2 * C2) + t4 * ((C3 + t2 * C4) + t4 * (C5 + t2 * C6))
    s = t + t * t2 * ps
    c = 1.0 + t2 * (-0.5 + t2 * pc)
    # angle = t + n pi/2 with n in {-2, ..., 2}: the quadrant read off n by float comparisons, so
    # loops vectorise without AVX-512 (AVX2 has no vector float -> int64 conversion, and an
    # int64(n) & 3 made LLVM do every element of rastrigin's loop one at a time)
    odd = abs(n) == 1.0
    sign_s = 1.0 if (n >= 0.0 and n <= 1.0) else -1.0      # sin(t + n pi/2) = +-sin t or +-cos t
    sign_c = 1.0 if (n <= 0.0 and n >= -1.0) else -1.0
    sin_v = (c if odd else s) * sign_s
    cos_v = (s if odd else c) * sign_c
    return sin_v, cos_v


@kernel()
def sincos(x):
    """(sin x, cos x) through ``sincos_turns``; the argument is rounded once by x / (2 pi)."""
    return sincos_turns(x * INV_TWO_PI)


# ------------------------------------------------------------------------------------- tanh
# tanh(z) = sign(z) e / (e + 2) with e = expm1(2|z|); expm1(x) = 2^k (expm1(r) + 1) - 1 with
# x = k ln2 + r, |r| <= ln2 / 2, expm1(r) by its Taylor series to r^14 (error < 1e-17 there),
# and 2^k built from its exponent bits, so the whole thing is branch-free and vectorises.
LN2_HI, LN2_LO = 0.6931471803691238, 1.9082149292705877e-10  # ln2 = HI + LO, HI with 32 zero bits
INV_LN2 = 1.4426950408889634
_E = [1.0 / float(np.prod(np.arange(1, k + 1))) for k in range(2, 15)]  # 1/2!, ..., 1/14!
E2, E3, E4, E5, E6, E7, E8, E9, E10, E11, E12, E13, E14 = _E
TANH_SATURATE = 19.1  # tanh(19.1) rounds to 1.0 in double precision


def _fma(typingctx, a, b, c):
    """a * b + c rounded once (LLVM's fma). Where a sum holds two products, fastmath's "contract"
    may fuse either one, and picks differently in differently vectorised loops; an explicit fma
    fixes the choice, so the general and fused loops compute the same bits."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return sig, codegen


fma = cast("Callable[[float, float, float], float]", intrinsic(_fma))


@intrinsic
def _f64_from_bits(typingctx, bits):
    """Reinterpret an int64 as a float64 (free: a register move)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def _bits_from_f64(typingctx, value):
    """Reinterpret a float64 as an int64."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


SHIFTER = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer held in the low bits


@kernel()
def tanh_real(z):
    """tanh of a float64, vectorisable, within a few ulp of the correctly rounded value."""
    a = min(abs(z), TANH_SATURATE)
    x = 2.0 * a
    k = rint(x * INV_LN2)
    kd = k + SHIFTER  # an integer-valued k below 2^51: its bits now end in k (AVX2 has no float->int64)
    r = (x - k * LN2_HI) - k * LN2_LO
    # expm1(r) = r + E2 r^2 + r^3 (E3 + ... + E14 r^11): the tail by Estrin's scheme (three short
    # chains instead of one of twelve multiply-adds: ~20% faster), the leading terms by Horner
    # so the rounding stays as before
    r2 = r * r
    r4 = r2 * r2
    c0 = (E3 + E4 * r) + (E5 + E6 * r) * r2
    c1 = (E7 + E8 * r) + (E9 + E10 * r) * r2
    c2 = (E11 + E12 * r) + (E13 + E14 * r) * r2
    p = r + r2 * (E2 + r * (c0 + (c1 + c2 * r4) * r4))
    two_k = _f64_from_bits((_bits_from_f64(kd) + 1023) << 52)  # type: ignore[call-arg,var-annotated]  # low bits of kd hold k
    e = two_k * p + (two_k - 1.0)  # expm1(x)
    t = e / (e + 2.0)
    return np.copysign(t, z)


def tanh_any(z):
    """tanh for real (vectorisable ``tanh_real``) and complex-step (``tanh_step``) arguments."""
    return np.tanh(z)


STEP_IMAG = 1e-20  # below this |imaginary part|, sin 2b = 2b and cos 2b = 1 in double precision


@kernel()
def tanh_step(z):
    """tanh(a + i b), in real arithmetic for the complex step's tiny b (|b| ~ 1e-30 times a
    derivative): the exact value is (sinh 2a + i sin 2b) / (cosh 2a + cos 2b), where sin 2b = 2b
    and cos 2b = 1 to rounding, so it is tanh(a) + i b (1 - tanh(a)^2), the derivative the
    gradient uses. Complex ``np.tanh`` cost ~50 ns and was ~3/4 of a deep mlp's complex-step
    Hessian; it stays for a larger b."""
    if abs(z.imag) > STEP_IMAG:
        return np.tanh(z)
    t = tanh_real(z.real)
    return complex(t, z.imag * (1.0 - t * t))


@overload(tanh_any, jit_options={k: v for k, v in KERNEL_OPTIONS.items() if k != "cache"})  # type: ignore[arg-type]
def _tanh_any(z):
    if isinstance(z, types.Float):
        return lambda z: tanh_real(z)  # noqa: PLW0108 (an overload returns a Python function to compile)
    return lambda z: tanh_step(z)  # noqa: PLW0108

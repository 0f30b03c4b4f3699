"""The vectorisable sin/cos used by the transcendental landscapes, against extended precision."""
from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from saddlescape.landscapes._fastmath import sincos, sincos_turns, tanh_any, tanh_real

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


@njit
def _tanh_all(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = tanh_real(x[i])
    return out


def test_tanh_is_within_three_ulp_and_keeps_its_edge_cases():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(-25, 25, 300_000), rng.uniform(-1e-3, 1e-3, 50_000),
                        10.0 ** rng.uniform(-300, 1, 50_000) * rng.choice([-1, 1], 50_000),
                        [0.0, 19.0, 19.1, 19.2, 30.0, 710.0, 1e300]])
    t = _tanh_all(x)
    ref = np.tanh(x.astype(np.longdouble))
    ulp = np.abs(t - ref) / np.spacing(np.abs(ref).astype(np.float64))
    assert float(ulp.max()) <= 3.0
    edge = _tanh_all(np.array([-0.0, np.inf, -np.inf, np.nan]))
    assert np.signbit(edge[0]) and edge[1] == 1.0 and edge[2] == -1.0 and np.isnan(edge[3])


def test_tanh_any_keeps_complex_arguments_exact():
    z = np.array([0.3 + 0.5j, -2.0 + 1e-30j])
    out = np.array([_tanh_complex(v) for v in z])
    assert np.allclose(out, np.tanh(z), rtol=1e-15, atol=0)
    assert out[1].imag == pytest.approx(np.tanh(-2.0 + 1e-30j).imag, rel=1e-12)  # the complex step survives


def test_tanh_of_the_complex_step_is_its_derivative_to_rounding():
    """With the complex step's tiny imaginary part tanh runs in real arithmetic: its real part
    is tanh_real's, its imaginary part b sech^2(a) (extended-precision reference)."""
    a = np.concatenate([np.random.default_rng(3).uniform(-6, 6, 2000), [0.0, -0.0, 19.5, -40.0]])
    b = 1e-30 * np.random.default_rng(4).uniform(-3, 3, a.size)
    out = np.array([_tanh_complex(complex(u, v)) for u, v in zip(a, b)])
    assert np.array_equal(out.real, _tanh_all(a))
    al = a.astype(np.longdouble)
    ref = b.astype(np.longdouble) / np.cosh(al) ** 2
    err = np.abs(out.imag - ref.astype(np.float64))
    assert float(np.max(err / np.abs(b))) <= 1e-15  # b (1 - t^2): absolute to rounding of 1 - t^2
    small = np.abs(a) <= 2
    assert float(np.max(err[small] / np.abs(ref[small]).astype(np.float64))) <= 1e-14


@njit
def _tanh_complex(z):
    return tanh_any(z)

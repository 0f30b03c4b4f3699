"""A separable landscape for the tests only, term x^3 / 6 + x^2: its Hessian entry x + 2 is
exactly 0 at x = -2 (where a Newton step on the diagonal cannot divide), its 1-D critical points
are 0 (a minimum) and -4 (a maximum)."""
from __future__ import annotations

from saddlescape.landscapes._kernel import HESSIAN_SIG, HVP_SIG, VALUE_AND_GRAD_SIG, deferred, kernel
from saddlescape.landscapes._separable import _sum_vg


@kernel(exact=True)
def flat_spot_elem(x, data):
    return x * x * x / 6.0 + x * x, 0.5 * x * x + 2.0 * x


@kernel(exact=True)
def flat_spot_d2(x, data):
    return x + 2.0


@kernel()
def flat_spot_sum0(D, data):
    return 0.0


@kernel()
def flat_spot_total(f, data):
    return f


@deferred(VALUE_AND_GRAD_SIG)
def flat_spot_vg(X, G, F, data, keys, batch):
    _sum_vg(X, G, F, data, flat_spot_elem, flat_spot_sum0, flat_spot_total, 3)


@deferred(HESSIAN_SIG)
def flat_spot_hess(x, H, data):
    H[:, :] = 0.0
    for i in range(x.shape[0]):
        H[i, i] = flat_spot_d2(x[i], data)


@deferred(HVP_SIG)
def flat_spot_hvp(x, v, out, data):
    for i in range(x.shape[0]):
        out[i] = flat_spot_d2(x[i], data) * v[i]

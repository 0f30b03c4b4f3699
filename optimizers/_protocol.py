"""The optimizer protocol: pure ``init`` / ``step`` over a batch of walkers, state explicit.

Shapes: positions ``x`` and gradients ``g`` are ``(walkers, dim)`` float64, losses ``f`` are
``(walkers,)``. A built-in's state is one array ``(n_state, walkers, dim)``; its compiled step
has the signature ``STEP_SIG`` below so the engine fuses thousands of steps per call:

    step(X, G, F, S, hyper, t, seed, active, radius, radial, hessian, hvp, data)

``hyper`` holds the hyper-parameters in declared order (so they can change between calls),
``t`` is the step number, randomness comes from ``counter_normal(counter_key(seed, walker, t), i)``
(the same numbers serially or in parallel), ``active[b] == 0`` marks a stopped walker,
``radius > 0`` means walkers live on the sphere |x| = radius (``G`` is then already the
tangent gradient and ``radial[b]`` = x.g_euclid / radius^2, which second-order steps need),
and ``hessian``/``hvp``/``data`` are the landscape's kernels for curvature-aware methods.

A plug-in written in NumPy needs only ``init(x) -> state`` and
``step(x, g, f, state, *, t, hyper, rng) -> (new_x, new_state)``: ``OptimizerPlugin`` in
``_plugin.py`` states that contract as a ``typing.Protocol``.
"""
from __future__ import annotations

from numba import float64, int64, types, uint8, void

from saddlescape.landscapes._kernel import HESSIAN_TYPE, HVP_TYPE

__all__ = ["STEP_SIG", "STEP_TYPE"]

STEP_SIG = void(
    float64[:, ::1], float64[:, ::1], float64[::1], float64[:, :, ::1], float64[::1], int64, int64,
    uint8[::1], float64, float64[::1], HESSIAN_TYPE, HVP_TYPE, float64[::1],
)
STEP_TYPE = types.FunctionType(STEP_SIG)

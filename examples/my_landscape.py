"""A custom landscape in a few lines: a shifted bowl with its minimum at (1, ..., 1).

Use it any of three ways:

    saddlescape run --landscape examples/my_landscape.py:bowl --dim 5 --optimizer adam
    PYTHONPATH=examples saddlescape run --landscape my_landscape:bowl --optimizer gd
    python -c "import sys; sys.path.insert(0, 'examples'); import my_landscape, saddlescape; \\
               print(saddlescape.run(my_landscape.bowl(dim=4), 'adam', steps=500).best_loss)"

or install a package that names ``bowl`` in the entry-point group ``saddlescape.landscapes``
(see README, "Your own landscape"). ``known`` states facts the project's tests can check: the
gradient vanishes at ``global_min_x`` and no sampled point lies below ``global_min_value``.
"""
from __future__ import annotations

from numba import njit

from saddlescape import landscapes


@njit
def bowl_value_and_grad(x, g):
    """sum (x_i - 1)^2: writes the gradient into ``g`` and returns the value."""
    f = 0.0
    for i in range(x.shape[0]):
        f += (x[i] - 1.0) ** 2
        g[i] = 2.0 * (x[i] - 1.0)
    return f


def bowl(dim: int | None = None, seed: int = 0, **params):
    """A factory: ``landscapes.make`` and the command line pass ``dim``, ``seed`` and ``-p`` params."""
    d = 3 if dim is None else int(dim)
    # no hessian= given: central differences of the gradient stand in (pass hessian(x, H) to be exact)
    return landscapes.custom("bowl", bowl_value_and_grad, dim=d, domain=(-3.0, 3.0),
                             known={"global_min_value": 0.0, "global_min_x": [1.0] * d,
                                    "n_local_minima": 1},
                             summary="sum (x_i - 1)^2: one minimum, at (1, ..., 1)")

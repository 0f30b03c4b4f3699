"""The twelve built-in studies, one module each; importing this package registers them in order
(``experiments.names()`` lists them so). Each module defines a ``Study`` and passes it to
``register``; a new study is one more module and one more line here.

Work functions import Numba-backed code lazily, so ``saddlescape experiment list`` stays light.
Every number a verdict quotes comes from the results passed to ``analyse``.
"""
from __future__ import annotations

import importlib

# the order of registration, which is the order ``experiments.names()`` lists them in
BUILTIN = (
    "minima_vs_dimension",
    "index_vs_loss",
    "saddle_attraction",
    "escape_time_vs_dimension",
    "hessian_spectrum",
    "no_minimum",
    "p_spin_energies",
    "lennard_jones",
    "interpolation",
    "connectivity",
    "edge_of_stability",
    "benign_landscapes",
)

for _module in BUILTIN:
    importlib.import_module(f"{__name__}.{_module}")

"""A custom optimizer in plain NumPy: sign gradient descent (Bernstein et al. 2018, signSGD).

Use it any of three ways:

    saddlescape run --landscape rastrigin --dim 10 --optimizer examples/sign_gd.py:SignGD -o lr=0.01
    PYTHONPATH=examples saddlescape run --landscape rastrigin --optimizer sign_gd:SignGD
    python -c "import saddlescape, sys; sys.path.insert(0, 'examples'); import sign_gd; \\
               print(saddlescape.run('rastrigin', sign_gd.SignGD(), steps=100).best_loss)"

or install a package that names it in the entry-point group ``saddlescape.optimizers``
(see README, "Writing your own optimizer").
"""
from __future__ import annotations

import numpy as np

from saddlescape.landscapes import Param


class SignGD:
    """Sign gradient descent: every coordinate moves by exactly lr against its gradient's sign."""

    name = "sign-gd"
    reference = "Bernstein et al. 2018, signSGD"
    params = (Param("lr", 0.01, low=0.0, open_low=True, doc="step per coordinate"),)

    def init(self, x: np.ndarray) -> None:
        """No state: x is (walkers, dim)."""
        return None

    def step(self, x, g, f, state, *, t, hyper, rng):
        """Return the new positions (walkers, dim) and the new state."""
        return x - hyper["lr"] * np.sign(g), state

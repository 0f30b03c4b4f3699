"""The playground's defaults, in one place (pure Python: the launcher reads them before NumPy loads)."""
from __future__ import annotations

__all__ = ["LANDSCAPE", "OPTIMIZERS", "SADDLE_RADIUS", "SEED", "TRAIL", "default_walkers"]

LANDSCAPE = "six-hump-camel"
OPTIMIZERS = ("gd", "momentum")
SEED = 0
SADDLE_RADIUS = 0.1  # saddlescape.DEFAULT_SADDLE_RADIUS (a test keeps them equal; this module loads no NumPy)
TRAIL = 48  # positions kept per walker for its trail


def default_walkers(dim: int | None) -> int:
    """48 walkers on a 2-D map (every basin gets visitors), 32 above (each step costs more)."""
    return 48 if (dim or 2) <= 2 else 32

"""saddlescape: watch optimizers walk loss landscapes; count their saddles and minima.

    >>> import saddlescape
    >>> result = saddlescape.run("six-hump-camel", "momentum", walkers=32, steps=500, seed=0)
    >>> result.save("result.json")  # doctest: +SKIP

The command line (``saddlescape --help``, or ``python -m saddlescape``) does the same.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["CensusResult", "Plane", "RunResult", "Session", "__version__", "census", "coordinate_plane",
           "fit_extent", "grid_values", "hessian_spectrum", "manifold_hessian", "pca_plane", "plane_through",
           "random_plane", "run", "spectral_density"]


def __getattr__(name: str) -> Any:  # lazy, so `saddlescape --help` never imports Numba
    if name in ("run", "Session", "drive"):
        from . import _engine

        return getattr(_engine, name)
    if name in ("census", "CensusResult"):
        from . import _census

        return getattr(_census, name)
    if name in ("Plane", "coordinate_plane", "fit_extent", "grid_values", "pca_plane", "plane_through",
                "random_plane"):
        from . import _projection

        return getattr(_projection, name)
    if name in ("hessian_spectrum", "spectral_density", "manifold_hessian"):
        from . import _geometry

        return getattr(_geometry, name)
    if name == "RunResult":
        from ._result import RunResult

        return RunResult
    raise AttributeError(f"module 'saddlescape' has no attribute {name!r}")

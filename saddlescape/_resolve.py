"""Landscapes and optimizers from what a user passes: an object, a name or a plug-in spec."""
from __future__ import annotations

from typing import Any

from saddlescape import landscapes, optimizers
from saddlescape.landscapes import Landscape

__all__ = ["resolve_landscape", "resolve_optimizer"]


def resolve_landscape(landscape: Any, dim: Any = None, seed: int = 0, **params: Any) -> Landscape:
    """A Landscape from a name, plug-in spec or object."""
    if isinstance(landscape, Landscape) and dim is None and not params:
        return landscape
    return landscapes.make(landscape, dim=dim, seed=seed, **params)


def resolve_optimizer(optimizer: Any, **hyper: Any) -> optimizers.Optimizer:
    """An Optimizer from a name, plug-in spec or object."""
    return optimizers.make(optimizer, **hyper)

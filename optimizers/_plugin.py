"""The contract a plug-in optimizer written in NumPy fulfils (pure Python, no Numba).

Shapes: ``x`` and ``g`` are ``(walkers, dim)`` float64 arrays, ``f`` is ``(walkers,)``. The
engine calls ``init`` once with the starting points and ``step`` once per step with every
walker; rows of walkers that diverged are ignored on return. See ``examples/sign_gd.py``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from saddlescape.landscapes._params import Param

if TYPE_CHECKING:  # `saddlescape list` imports this module and should not load NumPy
    import numpy as np

__all__ = ["OptimizerPlugin"]


@runtime_checkable
class OptimizerPlugin(Protocol):
    """``init(x) -> state`` and ``step(x, g, f, state, *, t, hyper, rng) -> (new_x, new_state)``.

    Optional attributes the registry reads: ``name``; ``params`` (a tuple of ``Param`` with
    defaults and ranges) or ``hyper`` (a dict of defaults); ``reference``; ``summary``;
    ``minibatch`` (the name of the hyper-parameter giving a minibatch size on data landscapes).
    ``hyper`` passed to ``step`` holds the current values by name; ``rng`` is a NumPy Generator
    seeded from (seed, step), so runs are reproducible.
    """

    name: ClassVar[str]
    params: ClassVar[Sequence[Param]]

    def init(self, x: np.ndarray) -> Any: ...

    def step(self, x: np.ndarray, g: np.ndarray, f: np.ndarray, state: Any, *, t: int,
             hyper: Mapping[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, Any]: ...

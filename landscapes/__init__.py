"""Loss landscapes in any dimension, as Numba kernels with what is known about them.

    >>> from saddlescape import landscapes
    >>> landscapes.names()[:3]
    ['rastrigin', 'styblinski-tang', 'ackley']
    >>> f = landscapes.make("himmelblau")
    >>> f.value([3.0, 2.0])
    0.0

Importing this package is cheap: kernels compile (or load from Numba's cache) when a
landscape of their family is first made.
"""
from __future__ import annotations

from typing import Any

from ._catalog import Family
from ._params import Param, ParamError, SaddlescapeError, parse_value
from ._plugins import PluginError
from ._registry import ENTRY_POINT_GROUP, family, make, names, register

__all__ = [
    "ENTRY_POINT_GROUP",
    "Family",
    "Landscape",
    "Param",
    "ParamError",
    "PluginError",
    "SaddlescapeError",
    "custom",
    "family",
    "logistic_data",
    "make",
    "names",
    "parse_value",
    "register",
]


def __getattr__(name: str) -> Any:  # lazy: these import NumPy / Numba
    if name == "Landscape":
        from ._base import Landscape

        return Landscape
    if name == "custom":
        from ._custom import custom

        return custom
    if name == "logistic_data":
        from ._learning import logistic_data

        return logistic_data
    raise AttributeError(f"module 'saddlescape.landscapes' has no attribute {name!r}")

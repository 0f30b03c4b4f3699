"""Find a landscape by name (built-in, ``module:attr``, ``file.py:attr``, entry point) and make it."""
from __future__ import annotations

from typing import Any

from ._catalog import BUILTIN_FAMILIES, Family
from ._params import ParamError, closest, validate_params
from ._plugins import PluginError, load_entry_point, load_object, looks_like_plugin, names_with_plugins

__all__ = ["ENTRY_POINT_GROUP", "family", "make", "names", "register"]

ENTRY_POINT_GROUP = "saddlescape.landscapes"
_FAMILIES: dict[str, Family] = {f.name: f for f in BUILTIN_FAMILIES}


def register(fam: Family) -> Family:
    """Add a family under its name (replacing none: names are unique)."""
    if fam.name in _FAMILIES:
        raise ParamError(f"landscape {fam.name!r} is already registered; pick another name")
    _FAMILIES[fam.name] = fam
    return fam


def names(*, plugins: bool = True) -> list[str]:
    """Built-in landscape names, then those installed through the entry-point group."""
    return names_with_plugins(_FAMILIES, ENTRY_POINT_GROUP, plugins)


def family(name: str) -> Family:
    """The Family registered as ``name`` (built-in or entry point)."""
    if name in _FAMILIES:
        return _FAMILIES[name]
    obj = load_entry_point(ENTRY_POINT_GROUP, name)
    if obj is None:
        raise ParamError(f"unknown landscape {name!r}{closest(name, names())}; "
                         f"see `saddlescape list landscapes`")
    if not isinstance(obj, Family):
        raise PluginError(f"entry point {name!r} in {ENTRY_POINT_GROUP!r} must be a landscapes.Family")
    return obj


def make(name: Any, dim: Any = None, seed: int = 0, **params: Any):
    """Make a landscape.

    Args:
        name: a registered name (``landscapes.names()``), ``"module:attr"``,
            ``"path/to/file.py:attr"``, or an object: a Landscape, a Family, or a callable
            ``factory(dim=..., seed=..., **params) -> Landscape``.
        dim: the dimension (None: the family's default).
        seed: seed of the landscape's random data.
        **params: family parameters; unknown names and out-of-range values raise ParamError.

    Example:
        >>> from saddlescape import landscapes
        >>> f = landscapes.make("styblinski-tang", dim=3)
        >>> round(f.value([-2.903534, -2.903534, -2.903534]), 4)
        -117.4985

    ``python -m saddlescape list landscapes`` lists names and parameters.
    """
    from ._base import Landscape

    obj = name
    if isinstance(name, str):
        obj = load_object(name) if looks_like_plugin(name) else family(name)
    if isinstance(obj, Family):
        fam = obj
        values = validate_params(f"landscape {fam.name!r}", fam.params, params)
        d = fam.resolve_dim(dim, values)
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise ParamError(f"seed={seed!r} is not allowed; use an integer >= 0") from None
        if seed < 0:
            raise ParamError(f"seed={seed!r} is not allowed; use an integer >= 0")
        try:
            return fam.build(d, seed, values)
        except MemoryError as exc:  # a size no builder estimated: NumPy's message names it
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            raise ParamError(f"landscape {fam.name!r} at dim={d:,} ({shown}) does not fit in memory: {exc}") from None
    if isinstance(obj, Landscape):
        if params:
            raise ParamError(f"landscape object {obj.name!r} takes no parameters; got {sorted(params)}")
        if dim is not None and int(dim) != obj.dim:
            raise ParamError(f"landscape {obj.name!r} has dim={obj.dim}; dim={dim} given")
        return obj
    if callable(obj):
        try:
            made = obj(dim=dim, seed=seed, **params)
        except (ParamError, PluginError):
            raise
        except Exception as exc:
            raise PluginError(f"landscape plug-in {name!r} failed: {type(exc).__name__}: {exc}") from None
        if not isinstance(made, Landscape):
            raise PluginError(f"landscape plug-in {name!r} returned {type(made).__name__}, not a Landscape")
        return made
    raise PluginError(f"landscape plug-in {name!r} is a {type(obj).__name__}; expected a Landscape, "
                      "a landscapes.Family or a factory function")

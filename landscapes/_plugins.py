"""Load user code named as ``module:attr``, ``path/to/file.py:attr`` or an entry point.

Shared by the landscape and optimizer registries (optimizers import it from here, since
landscapes/ is the bottom layer).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from ._params import SaddlescapeError

__all__ = ["PluginError", "entry_point_names", "load_entry_point", "load_object", "looks_like_plugin", "names_with_plugins"]


class PluginError(SaddlescapeError):
    """A plug-in that cannot be imported or does not follow the protocol (one-line message)."""


def looks_like_plugin(spec: str) -> bool:
    """True when ``spec`` names code (``module:attr`` or ``file.py:attr``) rather than a built-in."""
    return ":" in spec


def load_object(spec: str) -> Any:
    """Import ``module:attr`` or ``path/to/file.py:attr`` and return the attribute.

    Refused when ``SADDLESCAPE_NO_PLUGINS`` is set (``saddlescape serve`` without
    ``--allow-plugins``: a browser user must not make the server import code)."""
    import os

    if os.environ.get("SADDLESCAPE_NO_PLUGINS"):
        raise PluginError(f"plug-in {spec!r}: plug-in paths are off in this served playground "
                          "(the server was started without --allow-plugins)")
    target, _, attr = spec.rpartition(":")
    if not target or not attr:
        raise PluginError(f"plug-in {spec!r} must look like 'module:attr' or 'path/to/file.py:attr'")
    try:
        if target.endswith(".py") or "/" in target or "\\" in target:
            path = Path(target).expanduser()
            if path.is_dir():
                raise PluginError(f"plug-in {str(path)!r} is a folder; give a Python file, e.g. "
                                  f"{str(path / 'my_plugin.py')!r}:{attr}, or a module name")
            if not path.is_file():
                raise PluginError(f"plug-in file {str(path)!r} does not exist")
            # the same name in every process (str hashes are salted per process): Numba's on-disk
            # cache records the module of a cached function and imports it by that name
            digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
            module_name = f"_saddlescape_plugin_{path.stem}_{digest}"
            module = sys.modules.get(module_name)
            if module is None:
                loader_spec = importlib.util.spec_from_file_location(module_name, path)
                if loader_spec is None or loader_spec.loader is None:
                    raise PluginError(f"plug-in file {str(path)!r} cannot be imported")
                module = importlib.util.module_from_spec(loader_spec)
                sys.modules[module_name] = module
                try:
                    loader_spec.loader.exec_module(module)
                except BaseException:
                    del sys.modules[module_name]
                    raise
        else:
            module = importlib.import_module(target)
    except PluginError:
        raise
    except (Exception, SystemExit) as exc:  # any import-time failure of user code becomes one line
        raise PluginError(f"plug-in {spec!r} failed to import: {type(exc).__name__}: {exc}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise PluginError(f"plug-in {spec!r}: module {target!r} has no attribute {attr!r}") from None


def _entry_points(group: str):
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=group)}


def entry_point_names(group: str) -> list[str]:
    """Names registered by installed packages under the entry-point ``group``."""
    return sorted(_entry_points(group))


def load_entry_point(group: str, name: str) -> Any | None:
    """Load entry point ``name`` of ``group``; None when no package registers it."""
    ep = _entry_points(group).get(name)
    if ep is None:
        return None
    try:
        return ep.load()
    except Exception as exc:
        raise PluginError(
            f"entry point {name!r} in group {group!r} failed to load: {type(exc).__name__}: {exc}"
        ) from None


def names_with_plugins(builtin, group: str, plugins: bool = True) -> list[str]:
    """Built-in names, then those installed under the entry-point ``group`` (no repeats)."""
    out = list(builtin)
    if plugins:
        out += [n for n in entry_point_names(group) if n not in out]
    return out

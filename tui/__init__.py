"""The Textual playground: ``saddlescape`` or ``saddlescape tui``.

The app reads snapshots from ``saddlescape.Session`` objects stepped in a thread worker; it
never computes physics itself.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["PlaygroundApp", "launch"]


def launch(*, landscape: str | None = None, dim: int | None = None, params: dict | None = None,
           optimizers: Sequence[str] | None = None, walkers: int | None = None, seed: int | None = None,
           saddle_radius: float | None = None) -> int:
    """Run the app (None: the playground's default for that choice); returns the exit status."""
    from . import _defaults
    from ._app import PlaygroundApp

    app = PlaygroundApp(landscape=landscape or _defaults.LANDSCAPE, dim=dim, params=params or {},
                        optimizers=tuple(optimizers or _defaults.OPTIMIZERS), walkers=walkers,
                        seed=_defaults.SEED if seed is None else seed,
                        saddle_radius=saddle_radius)  # starts loading kernels at once
    app.run()
    return 0


def __getattr__(name: str) -> Any:
    if name == "PlaygroundApp":
        from ._app import PlaygroundApp

        return PlaygroundApp
    raise AttributeError(name)

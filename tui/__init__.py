"""The Textual playground: ``saddlescape`` or ``saddlescape tui``.

The app reads snapshots from ``saddlescape.Session`` objects stepped in a thread worker; it
never computes physics itself.
"""
from __future__ import annotations

from typing import Any

__all__ = ["PlaygroundApp", "launch"]


def launch(args: Any) -> int:
    """Run the app with the command line's choices; returns the exit status."""
    optimizers = tuple(args.optimizer) if getattr(args, "optimizer", None) else ("gd", "momentum")
    landscape = getattr(args, "landscape", None) or "six-hump-camel"
    kw = dict(landscape=landscape, dim=getattr(args, "dim", None), params=getattr(args, "params", None) or {},
              optimizers=optimizers, walkers=getattr(args, "walkers", None), seed=getattr(args, "seed", 0) or 0)
    from ._app import PlaygroundApp

    app = PlaygroundApp(**kw)  # starts loading kernels at once, while Textual starts up
    app.run()
    return 0


def __getattr__(name: str) -> Any:
    if name == "PlaygroundApp":
        from ._app import PlaygroundApp

        return PlaygroundApp
    raise AttributeError(name)

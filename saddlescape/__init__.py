"""saddlescape: watch optimizers walk loss landscapes; count their saddles and minima.

    >>> import saddlescape
    >>> result = saddlescape.run("six-hump-camel", "momentum", walkers=32, steps=500, seed=0)
    >>> result.save("result.json")  # doctest: +SKIP

The command line (``saddlescape --help``, or ``python -m saddlescape``) does the same.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ._version import __version__

__all__ = [
    "DEFAULT_SADDLE_RADIUS",
    "CensusResult",
    "KernelError",
    "LandscapeMap",
    "LiveConnectivity",
    "OutputError",
    "ParamError",
    "Plane",
    "RunResult",
    "SaddlescapeError",
    "Session",
    "__version__",
    "align",
    "basin_hopping",
    "census",
    "check_memory",
    "check_saddle_radius",
    "connect",
    "coordinate_plane",
    "disconnectivity_graph",
    "drive",
    "fit_extent",
    "grid_values",
    "hessian_spectrum",
    "landscapes",
    "manifold_hessian",
    "map_landscape",
    "neb",
    "optimizers",
    "pca_plane",
    "plane_through",
    "preload",
    "quench",
    "random_plane",
    "refine_transition_state",
    "run",
    "spectral_density",
    "spectral_estimate",
]


def preload(background: bool = False, sessions: Iterable[Any] = (), ready: Callable[[], None] | None = None) -> None:
    """Load (or compile, on a cold cache) the engine's stepping loop now, so the first step does
    not wait for it.

    With ``background`` the walkers of ``sessions`` need not wait at all: built-in optimizers step
    on the light path (``Session.light_while_loading``: their small kernels called from Python;
    the event detector looks at those steps once it has loaded), ``ready()`` is called once that
    path is warm, and another process compiles the stepping loop, the detector and the fused
    loops of ``sessions`` into the kernel cache (~50 s on a cold cache) while this one stays free
    to step and draw; then this process loads them from there. The playground does this while it
    draws. The numbers are those of the compiled loop."""
    from . import _fused
    from ._detect import replay_events, screen_walkers
    from ._events import _register_events
    from .landscapes._kernel import compiled

    keys = [k for k in (_fused.pair(s.landscape, s.optimizer, s.bound) for s in sessions) if k is not None]
    if background:
        for session in sessions:
            session.light_while_loading = True
        compiled(screen_walkers)  # what the light path calls besides the landscape's and the step's kernels
    if ready is not None:
        ready()
    if background:  # (the child inherits NUMBA_CACHE_DIR, a session-only cache folder included)
        import atexit
        import subprocess
        import sys

        code = ("import ast, sys\n"
                "from saddlescape import _critical, _detect, _events, _fused, _kernels\n"
                "from saddlescape.landscapes._kernel import compiled\n"
                "compiled(_detect.replay_events)\n"
                "compiled(_events._register_events)\n"
                "for key in ast.literal_eval(sys.argv[1]):\n"
                "    _fused.warm(key)\n")
        proc = subprocess.Popen([sys.executable, "-c", code, repr(tuple(keys))], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(proc.kill)  # (a playground closed meanwhile leaves nothing compiling)
        proc.wait()
    from . import _critical, _kernels  # noqa: F401

    if background:
        compiled(replay_events)  # the light path's steps are looked at through it
        compiled(_register_events)  # (and the minima they reach registered)
        for key in keys:
            _fused.warm(key)


def __getattr__(name: str) -> Any:  # lazy, so `saddlescape --help` never imports Numba
    if name in ("landscapes", "optimizers", "tui"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name in ("SaddlescapeError", "ParamError"):
        from .landscapes import _params

        return getattr(_params, name)
    if name in ("run", "Session", "drive", "check_saddle_radius", "DEFAULT_SADDLE_RADIUS", "check_memory"):
        from . import _engine

        return getattr(_engine, name)
    if name in ("census", "CensusResult"):
        from . import _census

        return getattr(_census, name)
    if name in ("Plane", "coordinate_plane", "fit_extent", "grid_values", "pca_plane", "plane_through",
                "random_plane"):
        from . import _projection

        return getattr(_projection, name)
    if name in ("hessian_spectrum", "spectral_density", "spectral_estimate", "manifold_hessian"):
        from . import _geometry

        return getattr(_geometry, name)
    if name in ("connect", "basin_hopping", "neb", "refine_transition_state", "align", "map_landscape",
                "LiveConnectivity"):
        from . import _connect

        return getattr(_connect, name)
    if name in ("race", "RaceResult"):
        from . import _race

        return getattr(_race, name)
    if name == "quench":
        from ._quench import quench

        return quench
    if name == "LandscapeMap":
        from ._landmap import LandscapeMap

        return LandscapeMap
    if name == "disconnectivity_graph":
        from ._dgraph import disconnectivity_graph

        return disconnectivity_graph
    if name == "KernelError":
        from ._trap import KernelError

        return KernelError
    if name == "OutputError":
        from ._files import OutputError

        return OutputError
    if name == "RunResult":
        from ._result import RunResult

        return RunResult
    raise AttributeError(f"module 'saddlescape' has no attribute {name!r}")

"""Building the scene off the UI thread, started before Textual is even imported."""
from __future__ import annotations

from concurrent.futures import Future
from threading import Thread
from typing import Any

__all__ = ["scene_config", "start_scene"]


def scene_config(landscape: str, dim: int | None, params: dict | None, optimizers: tuple,
                 walkers: int | None, seed: int) -> dict[str, Any]:
    """Scene keyword arguments with the app's defaults filled in."""
    return dict(landscape=landscape, dim=dim, params=params or {}, optimizers_=tuple(optimizers),
                walkers=walkers or (48 if (dim or 2) <= 2 else 32), seed=seed)


def _build(config: dict, future: Future) -> None:
    try:
        from ._scene import Scene

        try:
            scene, error = Scene(**config), None
        except Exception as exc:  # bad arguments at launch: say so, fall back to the default
            scene, error = Scene(), str(exc)
        scene.snapshot()
        # the stepping loop and the minima polish too: on a cold cache they compile here, behind the
        # warm-up message, not after the first key press on a scene that seems frozen
        from saddlescape import _census, _kernels  # noqa: F401

        future.set_result((scene, error))
    except BaseException as exc:  # pragma: no cover - surfaced by the app
        future.set_exception(exc)


def start_scene(config: dict) -> Future:
    """Start building (compiling or loading kernels) in a daemon thread; returns its future."""
    future: Future = Future()
    Thread(target=_build, args=(config, future), name="saddlescape-build", daemon=True).start()
    return future

"""Building the scene off the UI thread, started before Textual is even imported."""
from __future__ import annotations

from concurrent.futures import Future
from threading import Event, Thread
from typing import Any, NamedTuple

from ._defaults import SADDLE_RADIUS, default_walkers

__all__ = ["Pending", "scene_config", "start_scene"]


class Pending(NamedTuple):
    """What the build thread hands the app: the scene, then word that the stepping loop is loaded."""

    scene: Future  # -> (Scene, error message or None), as soon as the scene can be drawn
    stepping: Event  # set once the walkers can step (the light path is warm)
    loaded: Event  # set once the compiled stepping loop has loaded (events are counted from then on)


def scene_config(landscape: str, dim: int | None, params: dict | None, optimizers: tuple,
                 walkers: int | None, seed: int, saddle_radius: float | None = None) -> dict[str, Any]:
    """Scene keyword arguments with the app's defaults filled in."""
    return dict(landscape=landscape, dim=dim, params=params or {}, optimizers_=tuple(optimizers),
                walkers=walkers or default_walkers(dim), seed=seed,
                saddle_radius=SADDLE_RADIUS if saddle_radius is None else saddle_radius)


def _build(config: dict, pending: Pending) -> None:
    try:
        import saddlescape

        from ._scene import Scene

        try:
            scene, error = Scene(**config), None
        except Exception as exc:  # bad arguments at launch: say so, fall back to the default
            scene, error = Scene(), str(exc)
        scene.snapshot()
    except BaseException as exc:  # pragma: no cover - surfaced by the app
        pending.scene.set_exception(exc)
        pending.stepping.set()
        return
    # drawn first (a warm cache shows the scene ~0.3 s sooner), then the stepping loop and the minima
    # polish: on a cold cache they compile here, while the app says so, not after the first key press
    pending.scene.set_result((scene, error))
    try:  # the walkers step on the light path as soon as it is warm; the fast loop compiles elsewhere
        saddlescape.preload(background=True, sessions=[run.session for run in scene.runs], ready=pending.stepping.set)
    finally:
        pending.stepping.set()
        pending.loaded.set()


def start_scene(config: dict) -> Pending:
    """Start building (compiling or loading kernels) in a daemon thread."""
    pending = Pending(Future(), Event(), Event())
    Thread(target=_build, args=(config, pending), name="saddlescape-build", daemon=True).start()
    return pending

"""Frames per second of the running playground, headless at 120x40 (``python -m benchmarks.tui_fps``).

Counts frames drawn by the app's frame timer (target 15 fps) over a few seconds while the
simulation runs, for the scenes the TUI issues name; also the time to the first frame and the
key response: from pressing ``?`` while the walkers run to the help dialog being on screen,
median of five presses (target 100 ms). ``python -m benchmarks.tui_fps start`` prints when the
default playground's walkers stepped and when its compiled loop loaded (``start``).
"""
from __future__ import annotations

import asyncio
import json
import sys
import time


async def measure(config: dict, seconds: float) -> dict:
    from saddlescape.tui._app import PlaygroundApp

    t0 = time.perf_counter()
    app = PlaygroundApp(autostart=True, **config)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.frames == 0 or app.scene is None:
            await pilot.pause(0.01)
        first = time.perf_counter() - t0
        scene = app.live
        while not app._pending.loaded.is_set():  # (the compiled loop, not the light path it starts on)
            await pilot.pause(0.05)
        f0, s0, t1 = app.frames, scene.step, time.perf_counter()
        await pilot.pause(seconds)
        dt = time.perf_counter() - t1
        fps, steps = (app.frames - f0) / dt, (scene.step - s0) / dt
        from textual import events

        from saddlescape.tui._screens import HelpScreen

        waits = []
        for _ in range(5):  # the key goes in as the terminal would send it (Pilot's press also
            t2 = time.perf_counter()  # waits for the app to fall idle, which a running scene never does)
            app.post_message(events.Key("question_mark", "?"))
            while not isinstance(app.screen, HelpScreen):
                await asyncio.sleep(0.002)
            waits.append(time.perf_counter() - t2)
            app.post_message(events.Key("escape", None))
            while isinstance(app.screen, HelpScreen):
                await asyncio.sleep(0.002)
        return {"config": dict(config.items()), "first_frame_s": round(first, 2), "fps": round(fps, 1),
                "steps_per_s": round(steps), "key_response_ms": round(1000 * sorted(waits)[2])}


async def start() -> tuple[float, float]:
    """The default playground as `saddlescape` starts it, space pressed at once: the wall clock
    (``time.time``, for a parent to subtract its launch time) when its walkers have stepped, and
    when its compiled loop has loaded (on an empty cache it compiles in another process meanwhile)."""
    from saddlescape.tui import PlaygroundApp

    app = PlaygroundApp(autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.scene is None or app.scene.step == 0:
            await pilot.pause(0.01)
        moved = time.time()
        while not app._pending.loaded.is_set():
            await pilot.pause(0.05)
        return moved, time.time()


def main() -> int:
    if sys.argv[1:] == ["start"]:  # `python -m benchmarks.tui_fps start` (the suite's start-up section)
        print(*asyncio.run(start()))
        return 0
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    scenes = [dict(landscape="six-hump-camel", walkers=256, optimizers=("gd", "momentum")),
              dict(landscape="rastrigin", dim=1000, walkers=64, optimizers=("adam",)),
              dict(landscape="p-spin", dim=50, walkers=32, optimizers=("gd", "saddle-free-newton", "adam")),
              dict(landscape="rastrigin", dim=1_000_000, walkers=48, optimizers=("gd", "momentum")),
              dict(landscape="rastrigin", dim=10, walkers=100_000, optimizers=("gd", "momentum"))]
    if len(sys.argv) > 2:  # e.g. `python -m benchmarks.tui_fps 5 3,4`: only those scenes
        scenes = [scenes[int(k)] for k in sys.argv[2].split(",")]
    out = [asyncio.run(measure(c, seconds)) for c in scenes]
    for r in out:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Frames per second of the running playground, headless at 120x40 (``python -m benchmarks.tui_fps``).

Counts frames drawn by the app's frame timer (target 15 fps) over a few seconds while the
simulation runs, for the scenes the TUI issue names; also the time to the first frame.
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
        f0, s0, t1 = app.frames, scene.step, time.perf_counter()
        await pilot.pause(seconds)
        dt = time.perf_counter() - t1
        return {"config": dict(config.items()), "first_frame_s": round(first, 2),
                "fps": round((app.frames - f0) / dt, 1), "steps_per_s": round((scene.step - s0) / dt)}


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    scenes = [dict(landscape="six-hump-camel", walkers=256, optimizers=("gd", "momentum")),
              dict(landscape="rastrigin", dim=1000, walkers=64, optimizers=("adam",)),
              dict(landscape="p-spin", dim=50, walkers=32, optimizers=("gd", "saddle-free-newton", "adam"))]
    out = [asyncio.run(measure(c, seconds)) for c in scenes]
    for r in out:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())

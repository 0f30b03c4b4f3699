"""A few deterministic SVG snapshots (fixed seed, fixed size, paused)."""
from __future__ import annotations

from saddlescape.tui._app import PlaygroundApp


async def _settle(pilot):
    app = pilot.app
    for _ in range(600):
        if app.scene is not None and app.frames > 2 and app.stepping_loaded:
            break
        await pilot.pause(0.05)
    await pilot.pause(0.3)


def test_default_scene_paused(snap_compare):
    assert snap_compare(PlaygroundApp(), terminal_size=(120, 40), run_before=_settle)


def test_help_screen(snap_compare):
    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)

    assert snap_compare(PlaygroundApp(), terminal_size=(120, 40), run_before=run_before)

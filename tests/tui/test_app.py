"""The playground driven headlessly with Pilot: every control and every error path."""
from __future__ import annotations

import itertools
import re
import threading
import time

import numpy as np
import pytest

from saddlescape.tui._app import SPEEDS, PlaygroundApp, minima_cell, short_number, speed_label
from saddlescape.tui._keybar import KeyBar, key_label
from saddlescape.tui._screens import ConfigureScreen, ExportScreen, HelpScreen, OptimizersScreen


class RecordingApp(PlaygroundApp):
    """The app, with its notifications recorded for assertions."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.messages: list[tuple[str, str]] = []

    def notify(self, message, *, title="", severity="information", timeout=None, markup=True):
        self.messages.append((severity, str(message)))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def errors(self) -> list[str]:
        return [m for s, m in self.messages if s == "error"]


async def built(pilot, app):
    """Wait for a landscape or optimizer change (made in a thread) to land."""
    await pilot.pause(0.05)
    for _ in range(600):
        if app.building is None and not any(w.group in ("landscape", "optimizers") and not w.is_finished
                                            for w in app.workers):
            await pilot.pause(0.05)  # its call back into the app
            return
        await pilot.pause(0.05)
    raise AssertionError("the landscape never finished building")


async def ready(pilot, app):
    for _ in range(600):
        if app.scene is not None and app.plane is not None and app.frames > 0 and app.stepping_loaded:
            return
        await pilot.pause(0.05)
    raise AssertionError("the scene never became ready")


async def until(pilot, cond, what: str) -> None:
    """Poll (0.05 s apart, up to 30 s) until ``cond()`` holds: a loaded machine draws later, and a
    fixed pause before asserting on what the app redraws failed there."""
    for _ in range(600):
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_starts_paused_then_runs_steps_and_changes_speed(tmp_path):
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        assert app.scene.step == 0 and not app.running
        assert len(app.scene.runs) == 2 and app.scene.land.name == "six-hump-camel"
        await pilot.press("n")
        await pilot.press("n")
        assert app.scene.step == 2
        speed = app.speed
        await pilot.press("plus")
        assert app.speed == speed + 1
        await pilot.press("minus", "minus")
        assert app.speed == speed - 1
        await pilot.press("space")
        await until(pilot, lambda: app.scene.step > 2, "steps while running")
        await pilot.press("space")
        stopped = app.scene.step
        assert stopped > 2 and not app.running
        await pilot.pause(0.2)
        assert app.scene.step == stopped
        view = app.query_one("#view")
        assert "six-hump-camel D=2" in view.border_title and "paused" in view.border_subtitle


async def test_learning_rate_changes_while_running():
    app = RecordingApp(autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        lrs = [r.optimizer.hyper["lr"] for r in app.scene.runs]
        await pilot.press("right_square_bracket")
        assert [r.optimizer.hyper["lr"] for r in app.scene.runs] == [2 * lr for lr in lrs]
        assert [r.session.optimizer.hyper["lr"] for r in app.scene.runs] == [2 * lr for lr in lrs]
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert [r.optimizer.hyper["lr"] for r in app.scene.runs] == [lr / 2 for lr in lrs]
        assert app.running


async def test_walker_selection_by_key_and_mouse():
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("tab")
        assert app.selected == 1
        await pilot.press("shift+tab", "shift+tab")
        total = len(app.scene.runs) * app.scene.walkers  # tab runs through every optimizer's walkers
        assert app.selected == total - 1 and app.selected_walker(2, app.scene.walkers) == (1, app.scene.walkers - 1)
        name = app.scene.runs[1].optimizer.name
        await until(pilot, lambda: f"({name})" in _text(app.query_one("#walker")), "the walker panel redrawn")
        await pilot.press("tab")
        assert app.selected == 0
        X = app.scene.runs[0].session.X
        a, b, _ = app.plane.project(X)
        target = 7
        view = app.query_one("#view")
        region = view.content_region
        a0, a1, b0, b1 = app.plane.extent
        col = int((a[target] - a0) / (a1 - a0) * region.width)
        row = int((b1 - b[target]) / (b1 - b0) * region.height)
        await pilot.click("#view", offset=(col + 1, row + 1))
        pa, pb, _ = app.plane.project(X[app.selected:app.selected + 1])
        cell = ((a1 - a0) / region.width, (b1 - b0) / region.height)
        assert abs(pa[0] - a[target]) <= 2 * cell[0] and abs(pb[0] - b[target]) <= 2 * cell[1]


async def test_projections_cycle_and_show_off_plane_distance():
    app = RecordingApp(landscape="rastrigin", dim=6, optimizers=("adam",), walkers=16)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        assert app.projection == "random"
        for _ in range(5):
            await pilot.press("n")
        seen, planes = [app.projection], [app.plane]
        for _ in range(3):
            await pilot.press("p")
            await pilot.pause(0.1)
            seen.append(app.projection)
            planes.append(app.plane)
        assert seen == ["random", "pca", "three-points", "random"]
        assert not app.errors()
        # each projection is a different slice: no two consecutive planes span the same directions
        for p, q in itertools.pairwise(planes):
            assert p.kind != q.kind
            overlap = np.linalg.svd(np.stack([p.u, p.v]) @ np.stack([q.u, q.v]).T, compute_uv=False)
            assert overlap.min() < 0.999, (p.kind, q.kind, overlap)
        await until(pilot, lambda: "mean off-plane" in app.query_one("#view").border_title, "the view's title")


async def test_census_marks_critical_points_by_index():
    app = RecordingApp(landscape="himmelblau")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("k")
        for _ in range(200):
            if app.critical:
                break
            await pilot.pause(0.05)
        assert sorted(i for _, i in app.critical) == [0, 0, 0, 0, 1, 1, 1, 1, 2]

        def glyphs():
            return {ch for row in app.query_one("#view").overlay.values() for ch, _ in row.values()}

        await until(pilot, lambda: {"0", "1", "2"} <= glyphs(), "the census marks drawn")


@pytest.mark.slow
async def test_configure_applies_good_input_and_reports_bad_input():
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("c")
        assert isinstance(app.screen, ConfigureScreen)
        selected = app.selected
        assert app.focused.id == "landscape"
        await pilot.press("tab")  # moves between the dialog's fields, not between walkers
        assert app.focused.id == "dim" and app.selected == selected
        app.screen.query_one("#landscape").value = "p-spin"
        app.screen.query_one("#dim").value = "20"
        app.screen.query_one("#params").value = "p=3"
        app.screen.query_one("#walkers").value = "12"
        assert app.screen.query_one("#radius").value == "0.1"
        app.screen.query_one("#radius").value = "0.25"
        await pilot.press("enter")
        await built(pilot, app)
        assert app.scene.land.name == "p-spin" and app.scene.land.dim == 20 and app.scene.walkers == 12
        assert app.scene.saddle_radius == 0.25
        assert app.scene.runs[0].session.near == 0.25 * app.scene.land.feature_scale
        assert app.projection == "random"
        for bad, message in ((("himmelblau", "3", "", "10", "0.1"), "cannot take dim=3"),
                             (("rastrign", "2", "", "10", "0.1"), "unknown landscape 'rastrign'"),
                             (("rastrigin", "2", "A", "10", "0.1"), "'A' is malformed"),
                             (("rastrigin", "two", "", "10", "0.1"), "dim and walkers must be whole numbers"),
                             (("rastrigin", "2", "", "10", "3"), "saddle_radius=3.0 is not allowed; use a number in (0, 1]"),
                             (("rastrigin", "2", "", "10", "wide"), "saddle radius 'wide' is not a number"),
                             # before: these swapped the landscape in, then failed, leaving a
                             # scene that crashed on the next step or exported the bad walkers
                             (("rastrigin", "3", "", "0", "0.1"), "walkers=0 is not allowed"),
                             (("rastrigin", "100000000", "", "10", "0.1"), "use fewer walkers"),
                             (("rastrigin", "2", "", "1000000000000", "0.1"), "use fewer walkers")):
            await pilot.press("c")
            for field, value in zip(("#landscape", "#dim", "#params", "#walkers", "#radius"), bad):
                app.screen.query_one(field).value = value
            await pilot.press("enter")
            await built(pilot, app)
            assert message in app.errors()[-1]
            assert app.scene.land.name == "p-spin" and app.scene.land.dim == 20 and app.scene.walkers == 12
        steps = app.scene.step
        await pilot.press("n")  # the scene as it was still steps
        while app.scene.step == steps:
            await pilot.pause(0.05)
        assert all(r.session.X.shape == (12, 20) for r in app.scene.runs)
        assert "--walkers 12" in app.live.export()[0] and "p-spin" in app.live.export()[0]
        await pilot.press("c")
        await pilot.press("escape")
        assert not isinstance(app.screen, ConfigureScreen)


@pytest.mark.slow
async def test_optimizers_dialog_retunes_adds_and_rejects():
    app = RecordingApp(autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await until(pilot, lambda: app.scene.step > 0, "the scene running")
        await pilot.press("o")
        assert isinstance(app.screen, OptimizersScreen)
        app.screen.query_one("#opt0").value = "gd lr=0.005"
        await pilot.press("enter")
        await built(pilot, app)
        assert app.scene.runs[0].optimizer.hyper["lr"] == 0.005 and app.scene.step > 0  # live
        await pilot.press("o")
        app.screen.query_one("#opt2").value = "saddle-free-newton damping=0.5"
        await pilot.press("enter")
        await built(pilot, app)
        assert [r.optimizer.name for r in app.scene.runs] == ["gd", "momentum", "saddle-free-newton"]
        await pilot.press("o")
        app.screen.query_one("#opt0").value = "adma"
        await pilot.press("enter")
        await built(pilot, app)
        assert "unknown optimizer 'adma'" in app.errors()[-1]
        await pilot.press("o")
        app.screen.query_one("#opt1").value = "momentum beta=7"
        await pilot.press("enter")
        await built(pilot, app)
        assert "beta=7 is out of range" in app.errors()[-1]
        assert len(app.scene.runs) == 3


async def test_a_failing_plugin_pauses_with_a_notice(tmp_path):
    plugin = tmp_path / "bad_opt.py"
    plugin.write_text("class Bad:\n    hyper = {'lr': 0.1}\n    def init(self, x): return None\n"
                      "    def step(self, x, g, f, s, *, t, hyper, rng):\n"
                      "        if t > 5: raise RuntimeError('exploded')\n        return x - 0.01 * g, s\n")
    app = RecordingApp(optimizers=(f"{plugin}:Bad",), autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        for _ in range(100):
            if app.errors():
                break
            await pilot.pause(0.05)
        assert "exploded" in app.errors()[-1] and not app.running
        await pilot.press("n")  # still alive and responsive
        assert app.is_running


async def test_diverging_walkers_are_counted_not_fatal():
    app = RecordingApp(landscape="saddle", dim=2, optimizers=(("gd", {"lr": 0.5}),), autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        for _ in range(100):
            if app.scene.snapshot().counters[0]["diverged"] > 0:
                break
            await pilot.pause(0.05)
        assert app.scene.snapshot().counters[0]["diverged"] > 0 and not app.errors()


async def test_when_the_first_optimizers_walkers_all_diverge_the_step_counter_goes_on_and_says_so():
    app = RecordingApp(optimizers=(("gd", {"lr": 0.3}), "momentum"), autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        while app.scene.runs[0].session.active.any() or app.scene.step < 200:
            await pilot.pause(0.05)
        app.running = False
        stuck = app.scene.runs[0].session.t
        assert app.scene.step > stuck  # momentum runs on, and the title counts its steps
        shown = lambda: int(app.query_one("#view").border_title.rsplit("step ", 1)[1].split()[0].replace(",", ""))  # noqa: E731
        while shown() != app.scene.step:  # the next frames catch up
            await pilot.pause(0.05)
        assert shown() > stuck
        notes = [m for s, m in app.messages if s == "warning" and "diverged" in m]
        assert len(notes) == 1 and re.match(r"gd: \d+ of 48 walkers diverged by step \d+", notes[0]), notes


async def test_a_plugin_optimizer_is_retuned_live_and_an_emptied_line_says_it_removed_one(tmp_path):
    plugin = tmp_path / "my_opt.py"
    plugin.write_text("class Lion:\n    name = 'lion'\n    hyper = {'lr': 0.01}\n"
                      "    def init(self, x): return None\n"
                      "    def step(self, x, g, f, s, *, t, hyper, rng): return x - hyper['lr'] * g, s\n")
    app = RecordingApp(optimizers=(f"{plugin}:Lion", "gd"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        app.apply_optimizer_lines(["lion lr=0.002", "gd lr=0.01"])
        assert app.scene.runs[0].optimizer.hyper["lr"] == 0.002 and not app.errors()
        app.apply_optimizer_lines(["lion lr=0.002", ""])
        assert [r.optimizer.name for r in app.scene.runs] == ["lion"]
        assert any("removed gd" in m for _, m in app.messages)


async def test_bad_launch_arguments_fall_back_with_a_notice():
    app = RecordingApp(landscape="himmelblau", dim=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        assert "cannot take dim=5" in app.errors()[0] and app.scene.land.name == "six-hump-camel"


@pytest.mark.slow
async def test_export_help_reset_and_quit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        for _ in range(3):
            await pilot.press("n")
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        text = (tmp_path / "saddlescape-scene.sh").read_text()
        lr = app.scene.runs[0].optimizer.hyper["lr"]  # the step size lr="auto" chose, exported as a number
        assert 0 < lr < 0.05 and "lr" in app.scene.runs[0].session.auto
        assert f"saddlescape run --landscape six-hump-camel --dim 2 --optimizer gd -o lr={lr}" in text
        assert "--walkers 48" in text and "--seed 0" in text and "from saddlescape import landscapes, optimizers" in text
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("r")
        assert app.scene.step == 0
        x0 = app.scene.x0.copy()
        await pilot.press("R")
        assert not np.array_equal(x0, app.scene.x0)
        await pilot.press("space")
        await pilot.pause(0.2)
        await pilot.press("q")
    assert not app.is_running
    assert all(w.is_finished or w.is_cancelled for w in app.workers)


async def test_key_bar_lists_every_key_and_a_click_runs_it():
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        bar = app.query_one("#keys", KeyBar)
        text = str(bar.render())
        for b in app.BINDINGS:
            if b.show:
                assert f"{key_label(app, b)} {b.description}" in text
        assert "^p Palette" in text and bar.size.height == 2  # all keys, over two lines at 120 columns
        assert await pilot.click("#keys", offset=(3, 0))  # on "space Run/Pause"
        assert app.running
        await pilot.click("#keys", offset=(3, 0))
        assert not app.running
        await pilot.resize_terminal(70, 40)
        await until(pilot, lambda: bar.size.height == 3, "the key bar on three lines")
        assert "^p Palette" in str(bar.render())
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: bar.size.height == 2, "the key bar on two lines")


async def test_scene_shows_before_the_stepping_loop_loads():
    """Drawn first; a key that needs the stepping loop says it is loading instead of freezing."""
    app = RecordingApp()
    hold = threading.Event()
    real = app._pending.stepping
    app._pending = app._pending._replace(stepping=hold)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):
            if app.scene is not None and app.frames > 0:
                break
            await pilot.pause(0.05)
        real.wait(600)
        assert not app.stepping_loaded
        await until(pilot, lambda: "loading the stepping loop" in app.query_one("#view").border_subtitle,
                    "the view saying the loop loads")
        await pilot.press("n")
        assert app.scene.step == 0 and "still loading" in app.messages[-1][1]
        await pilot.press("space")
        await pilot.pause(0.3)
        assert app.running and app.scene.step == 0  # waits for the loop
        hold.set()
        for _ in range(100):
            if app.scene.step > 0:
                break
            await pilot.pause(0.05)
        assert app.scene.step > 0


async def test_a_slow_landscape_builds_while_the_app_keeps_drawing(monkeypatch):
    import threading

    from saddlescape.tui import _scene as scene_module

    real_make = scene_module.landscapes.make
    release = threading.Event()

    def slow_make(*args, **kw):
        release.wait(60.0)  # as p-spin's couplings at N = 200, or a first compile: until the test lets go
        return real_make(*args, **kw)

    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        monkeypatch.setattr(scene_module.landscapes, "make", slow_make)
        app._change_landscape("rastrigin", 3, {}, None)
        frames = app.frames
        for _ in range(600):  # the build cannot end before release: frames drawn now are drawn during it
            if app.frames >= frames + 5:
                break
            await pilot.pause(0.05)
        assert app.frames >= frames + 5 and app.building == "rastrigin"  # still drawing while it builds
        assert app.scene.land.name == "six-hump-camel"
        assert "building rastrigin" in app.query_one("#view").border_subtitle
        app.action_step()  # the old scene still steps (Pilot's press would wait for the build)
        assert app.scene.step == 1
        release.set()
        await built(pilot, app)
        assert app.scene.land.name == "rastrigin" and app.scene.land.dim == 3 and app.scene.step == 0
        await until(pilot, lambda: "building" not in app.query_one("#view").border_subtitle, "the subtitle redrawn")
        app._change_landscape("rastrigin", 3, {"A": -1.0}, None)  # an error from the thread is a notice
        await built(pilot, app)
        assert "A=-1.0" in app.errors()[-1] and app.scene.land.name == "rastrigin"


def test_speeds_are_increasing_from_single_steps_a_person_can_follow():
    rates = [steps / pause if pause else float("inf") for steps, pause in SPEEDS]
    assert rates == sorted(rates) and SPEEDS[0] == (1, 1.0)  # one step a second at the slowest
    fast = [steps for steps, pause in SPEEDS if not pause]
    assert fast == sorted(fast) and len(set(fast)) == len(fast)
    assert [speed_label(k) for k in range(4)] == ["1 step/s", "4 steps/s", "15 steps/s", "1 steps/tick"]


async def test_the_slowest_speed_takes_single_steps_about_once_a_second():
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        app.speed = 0
        app.running = True
        while app.scene.step < 2:  # wait for the condition, not a fixed time
            await pilot.pause(0.05)
        t0, s0 = time.monotonic(), app.scene.step
        while app.scene.step < s0 + 2:
            await pilot.pause(0.05)
        assert time.monotonic() - t0 >= 1.5  # two single steps took about two seconds, not 5 ms
        assert "1 step/s" in app.query_one("#view").border_subtitle


async def test_event_log_lists_every_event():
    app = RecordingApp(autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        for _ in range(200):
            if len(app.scene.log) >= 3:
                break
            await pilot.pause(0.05)
        app.running = False
        await pilot.pause(0.3)
        written = list(app.query_one("#log").lines)
        assert written == list(app.scene.log)[: len(written)] and len(written) >= 3
        assert "found minimum #1 " in written[0]


def _text(static) -> str:
    import io

    from rich.console import Console

    console = Console(width=160, file=io.StringIO())
    console.print(static.content)
    return console.file.getvalue()


async def test_experiments_dialog_runs_a_study_and_opens_its_setting(tmp_path, monkeypatch):
    from textual.widgets import OptionList, Static

    from saddlescape.tui._screens import ExperimentsScreen

    monkeypatch.chdir(tmp_path)
    app = RecordingApp()
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(pilot, app)
        await pilot.press("x")
        assert isinstance(app.screen, ExperimentsScreen)
        options = app.screen.query_one(OptionList)
        index = next(i for i in range(options.option_count)
                     if options.get_option_at_index(i).id == "saddle-attraction")
        options.highlighted = index
        await pilot.pause()
        report = app.screen.query_one("#report", Static)
        assert "Newton" in _text(report)  # the claim is shown before running
        await pilot.press("enter")
        for _ in range(600):
            if app.screen.last_run is not None:
                break
            await pilot.pause(0.1)
        await pilot.pause(0.2)
        run = app.screen.last_run
        assert run is not None and run.complete and run.report.supported
        assert (tmp_path / "experiments-out" / "saddle-attraction" / "saddle-attraction.csv").exists()
        assert "verdict (supported)" in _text(report) and "escaped %" in _text(report)
        app.screen.start("lennard-jones", quick=True)  # a second start while one runs is refused
        app.screen.start("no-minimum", quick=True)
        await pilot.pause(0.1)
        assert any("still running" in m for _, m in app.messages)
        await pilot.press("o")  # open the highlighted study's setting; the running sweep is cancelled
        await built(pilot, app)
        assert not isinstance(app.screen, ExperimentsScreen)
        assert app.scene.land.name == "saddle" and app.scene.land.params["negative"] == 1
        assert [r.optimizer.name for r in app.scene.runs] == ["newton", "saddle-free-newton", "gd"]
        assert not app.errors()


async def test_the_default_scene_shows_saddle_escapes_in_its_counters_and_log():
    """The playground's headline counter: on the default scene, escapes appear within the first
    few hundred steps (a few seconds of running) and the log names each one."""
    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        for _ in range(200):
            app.action_step()
            counters = app.scene.snapshot().counters
            if sum(c["escapes"] for c in counters) >= 3:
                break
        counters = app.scene.snapshot().counters
        assert sum(c["escapes"] for c in counters) >= 3, counters
        lines = [line for line in app.scene.snapshot().log if "escaped an index-" in line]
        assert len(lines) == sum(c["escapes"] for c in counters)
        await pilot.pause(0.2)
        assert "escaped an index-1 saddle" in "\n".join(app.query_one("#log").lines)


def test_the_playground_and_the_engine_share_one_default_radius():
    import saddlescape
    from saddlescape.tui import _defaults

    assert _defaults.SADDLE_RADIUS == saddlescape.DEFAULT_SADDLE_RADIUS


def test_a_scene_too_big_for_memory_is_refused_before_anything_is_allocated(monkeypatch):
    import saddlescape
    from saddlescape.landscapes import _base
    from saddlescape.tui._scene import Scene

    monkeypatch.setattr(_base, "memory_limit", lambda: 2 << 30)  # a 4 GiB machine
    with pytest.raises(saddlescape.ParamError,
                       match=r"walkers=10,000,000 x dim=10 for .* needs about .* GiB; this machine allows 2.0 GiB"):
        Scene(landscape="rastrigin", dim=10, walkers=10_000_000)
    with pytest.raises(saddlescape.ParamError, match="needs about"):
        saddlescape.Session("rastrigin", "adam", walkers=10_000_000)  # and headless, the same check
    scene = Scene(landscape="rastrigin", dim=10, walkers=1000)
    with pytest.raises(saddlescape.ParamError, match="needs about"):
        scene.set_landscape("rastrigin", dim=1_000_000, walkers=1000)
    assert scene.land.dim == 10 and scene.walkers == 1000  # the old scene is untouched


def test_a_big_scene_copies_only_the_drawn_sample_for_the_ui():
    import saddlescape
    from saddlescape.tui._scene import MAX_SHOWN, MAX_TRACED, Scene

    scene = Scene(landscape="rastrigin", dim=10, walkers=100_000, optimizers_=("adam",))
    scene.set_plane(saddlescape.random_plane(scene.land, np.zeros(10), seed=0))
    scene.advance(2)
    snap = scene.snapshot()
    assert snap.positions[0].shape == (MAX_SHOWN, 10) and len(scene.runs[0].trail[-1]) == MAX_TRACED
    assert snap.proj_plane is scene.plane and snap.proj[0][0].shape == (MAX_SHOWN,)  # projected by the worker
    assert scene.runs[0].session.walkers == 100_000 and snap.counters[0]["diverged"] == 0
    huge = Scene(landscape="rastrigin", dim=1_000_000, walkers=48, optimizers_=("gd",))
    assert huge.snapshot().positions == [None]  # 48 x 10^6 numbers are not copied for the UI
    scene.set_landscape("rastrigin", dim=1_000_000, walkers=48)  # a small scene grown huge keeps
    assert scene.runs[0].trail.maxlen == 2  # only two 16-walker position copies for its PCA plane


async def test_help_scrolls_by_keyboard_and_starts_at_its_first_line():
    from textual.containers import VerticalScroll

    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("question_mark")
        body = app.screen.query_one("#help-body", VerticalScroll)
        assert app.focused is body and body.scroll_y == 0  # the first line is on screen
        assert body.max_scroll_y > 0  # taller than the screen at 120x40: it must scroll
        await pilot.press("pagedown")
        await pilot.pause(0.2)
        assert body.scroll_y > 0
        await pilot.press("home")
        await pilot.pause(0.2)
        assert body.scroll_y == 0


async def test_at_80x24_the_map_keeps_most_of_the_width():
    app = RecordingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        assert app.query_one("#view").size.width >= 40


async def test_keys_typed_while_the_optimizers_dialog_opens_are_kept():
    """Characters typed right after `o`, before the dialog can take them, used to be dropped."""
    from textual import events

    app = RecordingApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        app.post_message(events.Key("o", "o"))
        for ch in " lr=0.5":
            app.post_message(events.Key("space" if ch == " " else ch, ch))
        while not isinstance(app.screen, OptimizersScreen) or app.typeahead is not None:
            await pilot.pause(0.05)
        assert app.screen.query_one("#opt0").value == "gd lr=auto lr=0.5"
        await pilot.press("enter")
        await built(pilot, app)
        assert app.scene.runs[0].optimizer.hyper["lr"] == 0.5
        await pilot.press("n")  # after the dialog, keys are the app's again
        assert app.scene.step >= 1


async def test_graph_panel_grows_a_disconnectivity_graph_and_draws_the_path():
    app = RecordingApp(autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("greater_than_sign")  # before the panel is open: says how to open it
        assert any("press g" in m for _, m in app.messages)
        await pilot.press("g")
        assert app.graph_open and app.query_one("#graph").display and not app.query_one("#log").display
        for _ in range(1200):  # until the walkers found every minimum and the worker joined them all
            info = app._graph
            if info is not None and len(info["order"]) == 6 and len(info["graph"].transition_states) >= 5 \
                    and not info["pending"]:
                break
            await pilot.pause(0.05)
        else:
            raise AssertionError("the graph never joined six-hump-camel's six minima")
        graph = info["graph"]
        assert graph.excluded == 0 and graph.root.size == 6
        await pilot.pause(0.1)
        text = app.graph_text
        assert "6 minima the walkers found" in text and "the lowest" in text and text.count("●") == 5
        await pilot.press("greater_than_sign")
        for _ in range(200):
            if app._graph["selected"] == info["order"][1]:
                break
            await pilot.pause(0.05)
        picked = app._graph
        assert picked["barrier"] is not None and picked["barrier"] > 0 and len(picked["ts"]) >= 1
        # the reaction path runs from the lowest minimum through its transition states to the pick
        order = picked["order"]
        assert np.allclose(picked["path"][-1], picked["x"]) and picked["energy"] > -1.0317
        marks = {sym for _, _, sym, _ in app._graph_layers()}
        assert marks == {"•", "✕", "★"}
        assert order[0] != picked["selected"]
        await pilot.press("g")
        assert not app.graph_open and app.query_one("#log").display and app._graph_layers() == []
        assert not app.errors()


async def test_the_walker_panel_draws_sharpness_against_2_over_lr_and_the_line_moves_with_lr():
    app = RecordingApp(landscape="mlp", params={"depth": 3, "width": 16}, optimizers=("gd",), walkers=2,
                       autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        for _ in range(600):
            if len(app._sharpness.get("values", ())) >= 3:
                break
            await pilot.pause(0.05)
        lr = app.scene.runs[0].optimizer.hyper["lr"]
        assert app._sharpness["threshold"] == pytest.approx(2 / lr)
        assert "2/lr = " in app._walker_text(app.scene.snapshot()).plain
        await pilot.press("right_square_bracket")  # lr x2: the line halves
        for _ in range(600):
            if app._sharpness.get("threshold") == pytest.approx(1 / lr):
                break
            await pilot.pause(0.05)
        assert app._sharpness["threshold"] == pytest.approx(1 / lr)
        assert not app.errors()


async def test_the_walker_panel_shows_the_landscapes_own_measures():
    # tensor-pca reports the overlap with its spike: the panel shows the selected walker's
    app = RecordingApp(landscape="tensor-pca", dim=12, params={"snr": 10.0}, optimizers=("gd",), walkers=2,
                       autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        for _ in range(600):
            spec = app._spectrum
            if spec is not None and spec[1] is not None and "measures" in spec[1]:
                break
            await pilot.pause(0.05)
        overlap = app._spectrum[1]["measures"]["overlap"]
        assert -1.0 <= overlap <= 1.0
        assert f"overlap {overlap:.3g}" in app._walker_text(app.scene.snapshot()).plain
        assert not app.errors()


async def test_walkers_step_on_the_light_path_while_the_fast_loop_compiles(monkeypatch):
    """A first launch: the walkers move at once (the light path) while another process would
    compile the stepping loop; the border says the events come once it has; then the detector
    looks at every step taken meanwhile and the counts appear."""
    import saddlescape
    from saddlescape import _engine

    compiled = threading.Event()
    monkeypatch.setitem(_engine._FORCE_LIGHT, "on", True)  # (this test process has the loop loaded already)

    def slow_preload(background=False, sessions=(), ready=None):
        assert background  # the playground never waits for the compile
        for session in sessions:
            session.light_while_loading = True
        if ready is not None:
            ready()
        compiled.wait(600)
        import saddlescape._kernels  # noqa: F401  (loaded, as the real preload leaves it)

        _engine._FORCE_LIGHT["on"] = False

    monkeypatch.setattr(saddlescape, "preload", slow_preload)
    app = RecordingApp(autostart=True)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):
            if app.scene is not None and app.scene.step > 200:
                break
            await pilot.pause(0.05)
        assert app.scene.step > 200 and not app._pending.loaded.is_set()
        await pilot.pause(0.1)
        assert "compiling: events soon" in app.query_one("#view").border_subtitle
        scene = app.live
        sessions = [run.session for run in scene.runs]

        def seen() -> list[tuple[int, int]]:  # (steps kept for the detector, minima counted), between chunks
            with scene.lock:
                return [(len(s._deferred_events), s.counters()["minima"]) for s in sessions]

        assert all(kept > 0 and minima == 0 for kept, minima in seen())
        compiled.set()
        for _ in range(600):
            if app._pending.loaded.is_set() and all(kept == 0 and minima > 0 for kept, minima in seen()):
                break
            await pilot.pause(0.05)
        assert all(kept == 0 and minima > 0 for kept, minima in seen())
        await pilot.pause(0.2)
        assert "compiling" not in app.query_one("#view").border_subtitle


def test_minima_column_shortens_a_huge_known_count():
    """The side table's minima cell: found over known, a known count of 2^50 (styblinski-tang at
    D=50) in six characters rather than sixteen (left out at 80 columns), none where the landscape
    knows no count; the best loss's exponent without its sign and zeros."""
    assert minima_cell(3, 6) == "3/6" and minima_cell(7, None) == "7" and minima_cell(99_999, 99_999) == "99999/99999"
    assert minima_cell(32, 2 ** 50) == "32/1.1e15" and minima_cell(0, 100_000) == "0/1e5"
    assert minima_cell(32, 2 ** 50, narrow=True) == "32" and minima_cell(3, 6, narrow=True) == "3/6"
    assert [short_number(v, 3) for v in (-1704.2, 0.5, 1.5e-7, 2.5e12, -1.032)] == ["-1.7e3", "0.5", "1.5e-7",
                                                                                   "2.5e12", "-1.03"]

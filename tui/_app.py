"""The playground app: a LandscapeView, side panels, and a thread worker that steps the scene.

The worker runs compiled (nogil) chunks and never touches widgets; a frame timer reads scene
snapshots and redraws. Every control reports bad input as a notification and the app keeps
running.
"""
from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Click, Key
from textual.widgets import Header, Input, Log, Static
from textual.worker import get_current_worker

from saddlescape import ParamError, SaddlescapeError, check_saddle_radius

from . import _defaults
from ._build import scene_config, start_scene
from ._keybar import KeyBar, key_label
from ._landscape_view import LandscapeView
from ._render import histogram_line, quantise, sparkline, threshold_chart
from ._screens import ConfigureScreen, ExperimentsScreen, ExportScreen, FormScreen, HelpScreen, OptimizersScreen, parse_pairs

if TYPE_CHECKING:  # the scene module loads NumPy and the engine: the build thread imports it
    from saddlescape import Plane

    from ._scene import Scene

__all__ = ["PlaygroundApp"]

PROJECTIONS = ("coordinates", "random", "pca", "three-points")
# (steps per advance, least seconds between advances): single steps a person can follow, then
# as fast as the worker goes with more steps per advance
SPEEDS = ((1, 1.0), (1, 0.25), (1, 1 / 15), (1, 0.0), (2, 0.0), (4, 0.0), (8, 0.0), (16, 0.0), (32, 0.0),
          (64, 0.0), (128, 0.0), (256, 0.0), (512, 0.0))
DEFAULT_SPEED = 5  # 4 steps an advance
SHARPNESS_MAX_DIM = 20_000  # the selected walker's sharpness (30 Hessian-vector products) twice a second up to here


def speed_label(speed: int) -> str:
    steps, pause = SPEEDS[speed]
    return f"{round(1 / pause)} step{'s' if pause < 1 else ''}/s" if pause else f"{steps} steps/tick"


def minima_cell(found: int, known: int | None, narrow: bool = False) -> str:
    """The minima column: found, over the landscape's known count when it has one, that count
    short when long (styblinski-tang at D=50 knows 2^50 minima: "32/1.1e15", not a 16-digit number
    that pushed the table's other columns to "-17..." at 120 columns), and left out at 80 columns."""
    if not known or (narrow and known >= 100_000):
        return f"{found}"
    return f"{found}/{known}" if known < 100_000 else f"{found}/{short_number(known, 2)}"


def short_number(v: float, digits: int) -> str:
    """``v`` to ``digits`` significant digits, its exponent without sign or leading zeros where
    positive ("-1.7e3", not "-1.7e+03")."""
    return f"{v:.{digits}g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


class PlaygroundApp(App):
    """saddlescape's live playground."""

    TITLE = "saddlescape"
    # nothing focused at start: focus changes restyle the screen, start-up CPU that the scene's
    # kernel loading competes with (dialogs focus their own first field)
    AUTO_FOCUS = None
    CSS = """
    #main { height: 1fr; }
    #side { width: 48%; max-width: 58; min-width: 34; height: 1fr; }
    #counters { height: auto; }
    #plots { height: auto; margin-top: 1; }
    #walker { height: auto; margin-top: 1; }
    #log { height: 1fr; margin-top: 1; border: round $primary-darken-2; }
    #graph { display: none; height: 1fr; margin-top: 1; border: round $primary-darken-2; }
    """
    BINDINGS = [
        Binding("space", "toggle_run", "Run/Pause"),
        Binding("n", "step", "Step"),
        Binding("plus,equals_sign", "faster", "Faster"),
        Binding("minus", "slower", "Slower"),
        Binding("right_square_bracket", "lr_up", "lr x2"),
        Binding("left_square_bracket", "lr_down", "lr /2"),
        Binding("c", "configure", "Scene"),
        Binding("o", "optimizers", "Optimizers"),
        Binding("tab", "next_walker", "Walker", priority=True),
        Binding("shift+tab", "prev_walker", "Prev walker", show=False, priority=True),
        Binding("p", "projection", "Projection"),
        Binding("k", "census", "Census"),
        Binding("g", "graph", "Graph"),
        Binding("greater_than_sign", "graph_next", "Minimum"),
        Binding("less_than_sign", "graph_prev", "Prev minimum", show=False),
        Binding("r", "reset", "Reset"),
        Binding("R", "reseed", "New starts", show=False),
        Binding("e", "export", "Export"),
        Binding("x", "experiments", "Experiments"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, *, landscape: str = _defaults.LANDSCAPE, dim: int | None = None,
                 params: dict | None = None, optimizers: tuple = _defaults.OPTIMIZERS,
                 walkers: int | None = None, seed: int = _defaults.SEED, fps: float = 20.0, autostart: bool = False,
                 saddle_radius: float | None = None):
        super().__init__()
        self._config = scene_config(landscape, dim, params, optimizers, walkers, seed, saddle_radius)
        self._scene: Scene | None = None  # built in a thread; see `scene`
        self.running = False
        self.autostart = autostart
        self.fps = fps
        self.speed = DEFAULT_SPEED
        self.selected = 0
        self.projection = "coordinates"
        self.plane: Plane | None = None
        self.critical: list[tuple[np.ndarray, int]] = []
        self._trails: list[deque] = []
        self._spectrum: tuple[int, Any] | None = None
        self._spectrum_due = 0.0
        self._sharpness: dict[str, Any] = {}  # the selected walker's sharpness history and threshold
        self._heat_key: tuple | None = None
        self.frames = 0
        self.building: str | None = None  # a landscape being built in a thread, by name
        self.typeahead: list[str] | None = None  # keys typed while a dialog opens (see on_key)
        self._plane_land = None  # the landscape the current plane was made for
        self.graph_open = False  # the connectivity panel (g)
        self.graph_sel = 0  # which minimum (lowest first) the panel selects
        self._graph: dict[str, Any] | None = None  # the worker's latest: graph, path, counts
        self.graph_text = ""
        # compile/load kernels now, overlapping Textual's own start-up
        self._pending = start_scene(self._config)

    @classmethod
    def bindings_shown(cls) -> list[Binding]:
        """The app's own key bindings (every one declared as a ``Binding``)."""
        return [b for b in cls.BINDINGS if isinstance(b, Binding)]

    def on_key(self, event: Key) -> None:
        """Between a dialog's key and the dialog taking focus, typed characters reach the app and
        would be dropped: keep them for the dialog (``typeahead``, replayed into its field)."""
        if not (event.is_printable and event.character):
            return
        field = self.screen.query(Input).first() if isinstance(self.screen, FormScreen) else None
        if field is not None:  # the dialog is up but its field has no focus yet: give it the key
            field.insert_text_at_cursor(event.character)
            event.stop()
        elif self.typeahead is not None:  # the dialog is not up yet
            self.typeahead.append(event.character)
            event.stop()

    @property
    def scene(self) -> Scene | None:
        """The scene, or None while it is being built."""
        return self._scene

    @property
    def live(self) -> Scene:
        """The scene where it must exist (actions that need it are refused until then: ``_has_scene``)."""
        if self._scene is None:
            raise RuntimeError("the scene is still being built")
        return self._scene

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="main"):
            yield LandscapeView(id="view")
            with Vertical(id="side"):
                yield Static("warming up the compiled kernels (the first launch compiles them)...", id="counters")
                yield Static("", id="plots")
                yield Static("", id="walker")
                yield Log(id="log", max_lines=500)
                yield Static("", id="graph")
        yield KeyBar(id="keys")

    def on_ready(self) -> None:
        self.build_scene()
        self.set_interval(1.0 / self.fps, self.draw_frame)

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for b in self.bindings_shown():
            if b.action not in ("quit",):
                yield SystemCommand(b.description, f"key: {b.key}", getattr(self, f"action_{b.action}"))

    # -- the scene (built and stepped off the UI thread) -----------------------------------------
    @work(thread=True, exclusive=True, group="build")
    def build_scene(self) -> None:
        scene, error = self._pending.scene.result()
        if error:
            self.call_from_thread(self.notify, error, severity="error", timeout=8)
        self.call_from_thread(self._scene_ready, scene)

    def _scene_ready(self, scene) -> None:
        self._scene = scene
        self._reset_view()
        self.simulate()
        if self.autostart:
            self.running = True

    @work(thread=True, exclusive=True, group="sim")
    def simulate(self) -> None:
        worker = get_current_worker()
        last = 0.0
        while not worker.is_cancelled:
            scene = self._scene
            if not self.running or scene is None or not self.stepping_loaded:
                time.sleep(0.02)
                continue
            steps, pause = SPEEDS[self.speed]
            if pause and time.monotonic() - last < pause:
                time.sleep(0.01)
                continue
            last = time.monotonic()
            try:
                scene.advance(steps)
            except Exception as exc:  # e.g. a plug-in failing mid-run: pause and say so
                self.running = False
                self.call_from_thread(self.notify, f"{exc}", severity="error", timeout=8)
            self._maybe_spectrum()
            time.sleep(0.001)

    @work(thread=True, exclusive=True, group="project")
    def _reproject(self) -> None:
        if self._scene is not None:
            self._scene.reproject()

    def _maybe_spectrum(self) -> None:
        """Hessian spectrum of the selected walker, at most twice a second (worker thread)."""
        now = time.monotonic()
        scene = self._scene
        if scene is None or now < self._spectrum_due:
            return
        dim = scene.land.dim
        self._spectrum_due = now + (0.5 if dim <= 200 else 3.0)
        import saddlescape

        with scene.lock:
            k, b = self.selected_walker(len(scene.runs), scene.shown)
            s = scene.runs[k].session
            if not s.active[b]:
                self._spectrum = (self.selected, None)
                return
            x = s.X[b].copy()
            if dim <= SHARPNESS_MAX_DIM:  # the sharpness and its stability threshold, for the edge-of-stability line
                try:
                    value, threshold, kind = s.sharpness_now(b)
                except Exception:
                    value, threshold, kind = float("nan"), None, "hessian"
                hist = self._sharpness
                if hist.get("walker") != self.selected or hist.get("land") is not scene.land:
                    hist.clear()
                    hist.update(walker=self.selected, land=scene.land, values=deque(maxlen=120))
                hist["values"].append(value)
                hist.update(threshold=threshold, kind=kind, name=s.optimizer.name)
        try:
            # exact when cheap, else the extremes by Lanczos on Hessian-vector products
            spec = saddlescape.hessian_spectrum(scene.land, x, k=3, steps=40,
                                                method="exact" if dim <= 200 else "lanczos")
            spec["measures"] = scene.land.measure(x)  # the landscape's own: tensor-pca's overlap, ...
            self._spectrum = (self.selected, spec)
        except Exception:
            self._spectrum = (self.selected, None)

    # -- drawing ----------------------------------------------------------------------------------
    def _reset_view(self) -> None:
        self._trails = []
        self._spectrum = None  # nothing said about a walker of the scene before
        self.critical = []
        self._heat_key = None
        if self._scene is not None and self.live.land.dim > 2 and self.projection == "coordinates":
            self.projection = "random"
        self._make_plane()

    def _make_plane(self) -> None:
        import saddlescape as proj

        scene = self.live
        with scene.lock:
            land = self._plane_land = scene.land
            mode = self.projection
            if mode == "coordinates" and land.dim > 2:
                mode = self.projection = "random"
            runs = scene.runs
            trails = np.concatenate([np.stack(r.trail).reshape(-1, land.dim) for r in runs])
            k, b = self.selected_walker(len(runs), scene.shown)
            s0 = runs[k].session
            x0 = scene.x0[: scene.shown]  # the drawn sample (a scene may hold millions of walkers)
            start, now = s0.x0[b].copy(), s0.X[b].copy()
            minima = [m for r in runs for m in r.session.minima_positions()]
        if mode == "coordinates":
            plane = proj.coordinate_plane(land)
        elif mode == "random":
            plane = proj.random_plane(land, x0.mean(axis=0), seed=scene.seed)
            plane = proj.fit_extent(plane, x0, 0.15)
        elif mode == "pca":
            plane = proj.pca_plane(land, trails)
        else:
            target = minima[0] if minima else np.asarray(land.known.get("global_min_x", now + 1.0), float)
            plane = proj.plane_through(land, start, now, target)
        self.plane = plane
        scene.set_plane(plane)  # the stepping worker projects the walkers onto it from now on
        self._trails = [deque(maxlen=_defaults.TRAIL) for _ in runs]
        self._heat_key = None

    def _heatmap(self, view: LandscapeView, land) -> None:
        """Start evaluating the landscape on the view's grid when the slice or size changed.

        In a thread: 4,000-odd points of p-spin at N = 200 take seconds, during which the
        walkers keep moving over a blank background already in the new plane's coordinates."""
        size = view.content_size
        plane = self.plane
        key = (id(plane), size.width, size.height, id(land))
        if plane is None or key == self._heat_key or size.width < 2 or size.height < 2:
            return
        self._heat_key = key
        if view.extent != plane.extent:
            view.set_heatmap(None, plane.extent)
        self._evaluate_heatmap(key, land, plane, size.width, 2 * size.height)

    @work(thread=True, exclusive=True, group="heatmap")
    def _evaluate_heatmap(self, key: tuple, land, plane, width: int, height: int) -> None:
        from saddlescape import grid_values

        try:
            codes = quantise(grid_values(land, plane, width, height))
        except Exception as exc:
            self.call_from_thread(self.notify, f"cannot draw this slice: {exc}", severity="error")
            return
        self.call_from_thread(self._heatmap_ready, key, codes, plane.extent)

    def _heatmap_ready(self, key: tuple, codes: np.ndarray, extent: tuple) -> None:
        views = self.query("#view")
        if key == self._heat_key and views:  # not overtaken by another slice or size meanwhile
            views.first(LandscapeView).set_heatmap(codes, extent)

    def draw_frame(self) -> None:
        scene = self._scene
        views = self.query("#view")
        if scene is None or self.plane is None or not views:
            return  # not built yet, or the app is closing
        snap = scene.snapshot()
        if snap.land is not self._plane_land:  # a landscape built in a thread has just come in
            self._new_landscape()
            return
        while scene.notices:  # e.g. "gd: 48 of 48 walkers diverged by step 31", once per run
            self.notify(scene.notices.popleft(), severity="warning", timeout=6)
        view = views.first(LandscapeView)
        self._heatmap(view, snap.land)
        if snap.proj is None or snap.proj_plane is not self.plane:
            if not self.running:  # paused: project onto the new plane off the UI thread
                self._reproject()
            return  # the walkers come back with the next snapshot projected onto this plane
        if len(self._trails) != len(snap.proj):
            self._trails = [deque(maxlen=_defaults.TRAIL) for _ in snap.proj]
        layers = []
        offs = []
        for k, ((a, b, off), live) in enumerate(zip(snap.proj, snap.active)):
            offs.append(off[live])
            if not self._trails[k] or self._trails[k][-1][2] != snap.step:
                self._trails[k].append((a[live], b[live], snap.step))
            ta = np.concatenate([t[0] for t in self._trails[k]]) if self._trails[k] else np.empty(0)
            tb = np.concatenate([t[1] for t in self._trails[k]]) if self._trails[k] else np.empty(0)
            layers.append((ta, tb, "·", snap.colours[k]))
        for pts, index in self.critical:
            a, b, _ = self.plane.project(pts)
            layers.append((a, b, str(min(index, 9)), "#00ff87" if index == 0 else "#ffaf00"))
        if snap.minima_x:
            a, b, _ = self.plane.project(np.stack(snap.minima_x))
            layers.append((a, b, "◆", "#00ff87"))
        for k, ((a, b, _), live) in enumerate(zip(snap.proj, snap.active)):
            layers.append((a[live], b[live], "●", snap.colours[k]))
        layers += self._graph_layers()  # over the walkers, which sit on the minima
        k, sel = self.selected_walker(len(snap.proj), len(snap.proj[0][0]))
        layers.append((snap.proj[k][0][sel:sel + 1], snap.proj[k][1][sel:sel + 1], "◎", "#ffff00"))
        view.set_points(layers)
        off_all = np.concatenate(offs) if offs else np.empty(0)
        mean_off = float(off_all.mean()) if off_all.size else 0.0
        land = scene.land
        # short enough for a 60-column map: the off-plane distance must not be cut
        view.border_title = (f"step {snap.step:,} · {land.name} D={land.dim} · {self.projection}"
                             + (f" · mean off-plane {mean_off:.3g}" if land.dim > 2 else ""))
        subtitle = ("running" if self.running else "paused") + f" · {speed_label(self.speed)}"
        if not self.stepping_loaded:
            subtitle += " · loading the stepping loop..."
        elif not self._pending.loaded.is_set():  # a first launch compiles the fast loop in another process
            subtitle += " · compiling: events soon"
        if self.building:
            subtitle += f" · building {self.building}..."
        if view.border_subtitle != subtitle:
            view.border_subtitle = subtitle
        if self.frames % 4 == 0 or not self.running:  # text panels at a quarter of the frame rate
            self._draw_side(snap)
        self.frames += 1

    def _draw_side(self, snap) -> None:
        scene = self.live
        known = scene.known_minima()
        side = self.query_one("#side").size.width or 58
        narrow = side < 50  # 80 columns: shorter headers, so none is cut to "mini..."
        table = Table(box=None, padding=(0, 1), expand=not narrow, pad_edge=not narrow, collapse_padding=narrow)
        heads = (("opt", "best", "min", "esc", "dwell", "@sad", "div") if narrow
                 else ("optimizer", "best", "minima", "esc", "dwell", "@sad", "div"))
        for col in heads:
            table.add_column(col, justify="left" if col in ("optimizer", "opt") else "right", no_wrap=True)
        for c in snap.counters:
            table.add_row(Text(c["name"][:7] if narrow else c["name"], style=f"bold {c['colour']}"),
                          "-" if c["best"] is None else short_number(c["best"], 3 if narrow else 4),
                          minima_cell(c["minima"], known, narrow), str(c["escapes"]),
                          "-" if c["mean_dwell"] is None else f"{c['mean_dwell']:.0f}",
                          str(c["in_saddle"]), str(c["diverged"]))
        hyper = Text()
        for c in snap.counters:
            lr = c["hyper"].get("lr")
            hyper.append(c["name"], style=c["colour"])
            auto = " (auto)" if "lr" in c.get("auto", ()) else ""
            hyper.append(f" lr={lr:.3g}{auto}   " if isinstance(lr, (int, float)) else "   ")
        drawn = f" ({scene.shown:,} drawn)" if scene.shown < scene.walkers else ""
        head = Text(f"{scene.walkers:,} walkers{drawn} from the same starts (seed {scene.seed}); "
                    "esc = saddle escapes, dwell = mean steps at a saddle, div = diverged", style="dim")
        self.query_one("#counters", Static).update(_Group(head, table, hyper))
        width = max(8, min(34, side - 24))  # the sparklines fit beside their labels and last values
        lines = []
        for name, colour, loss, gn in zip(snap.names, snap.colours, snap.loss, snap.gnorm):
            last = next((f"{v:.3g}" for v in reversed(loss) if np.isfinite(v)), "-")
            lines.append(f"[{colour}]{name[:10]:>10} loss[/] {sparkline(loss, width)} {last}")
            lastg = next((f"{v:.2g}" for v in reversed(gn) if np.isfinite(v)), "-")
            lines.append(f"[{colour}]{'':>10} |g| [/] {sparkline(gn, width)} {lastg}")
        self.query_one("#plots", Static).update(Text.from_markup("\n".join(lines)))
        self.query_one("#walker", Static).update(self._walker_text(snap))
        if self.graph_open:  # (again only when the graph or the panel's size changed)
            self._draw_graph()
        log = self.query_one("#log", Log)
        count = snap.log_count  # the snapshot's copy: the worker may be appending right now
        shown = getattr(self, "_logged", None)  # (lines written, placeholder shown)
        if shown is None or count < shown[0] or (shown[1] and count):
            log.clear()
            shown = (0, False)
        if not count and not shown[1]:
            log.write_line("events appear here: minima found, saddle escapes")
            shown = (0, True)
        fresh = min(count - shown[0], len(snap.log))
        if fresh > 0:
            log.write_lines(snap.log[-fresh:])
        self._logged = (count, shown[1] and not count)

    def _walker_text(self, snap) -> Text:
        if snap.proj is None or snap.proj_plane is not self.plane:
            return Text("")
        k, b = self.selected_walker(len(snap.proj), len(snap.proj[0][0]))
        a, bb, off = (v[b:b + 1] for v in snap.proj[k])
        land = self.live.land
        parts = [f"[b]walker {b}[/b] ({snap.names[k]})  plane ({a[0]:.3g}, {bb[0]:.3g})"]
        if land.dim > 2:
            parts.append(f"  off-plane distance {off[0]:.3g}")
        spec = self._spectrum
        if spec is not None and spec[0] == self.selected and spec[1] is not None:
            s = spec[1]
            ev = s["eigenvalues"] if s["eigenvalues"] is not None else np.concatenate([s["lowest"], s["highest"]])
            side = self.query_one("#side").size.width or 58
            bars, lo, hi = histogram_line(ev, max(8, min(30, side - 24)))
            neg = int((np.asarray(ev) < -1e-9).sum())
            parts.append(f"Hessian spectrum ({s['method']}): {neg} negative"
                         + (" (of the extremes)" if s["method"] == "lanczos" else ""))
            parts.append(f"  {lo:9.3g} {bars} {hi:.3g}")
            if s.get("measures"):
                parts.append("  " + "  ".join(f"{name} {value:.3g}" for name, value in s["measures"].items()))
        elif spec is not None and spec[0] == self.selected and not snap.active[k][b]:
            parts.append("this walker diverged")
        text = Text.from_markup("\n".join(parts))
        hist = self._sharpness
        if hist.get("walker") == self.selected and hist.get("values"):
            text.append("\n")
            text.append_text(self._sharpness_text(hist))
        return text

    def _sharpness_text(self, hist: dict[str, Any]) -> Text:
        """The selected walker's sharpness over the last looks, against its stability threshold
        (2/lr for gradient descent, 38/lr for Adam's preconditioned sharpness): the edge of stability."""
        values, threshold = list(hist["values"]), hist.get("threshold")
        side = self.query_one("#side").size.width or 58
        width = max(8, min(40, side - 26))
        last = values[-1]
        label = {"adam": "38/lr"}.get(hist.get("name", ""), "2/lr")
        if hist.get("name") in ("momentum", "nesterov"):
            label = "(2+2b)/lr"
        what = "P^-1 H" if hist.get("kind") == "preconditioned" else "sharpness"
        out = Text(f"{what} {last:.4g}" + (f"  {label} = {threshold:.4g}" if threshold else "") + "\n")
        for row in threshold_chart(values, threshold, width, rows=2):
            out.append("  ")
            for ch, is_line in row:
                out.append(ch, style="#ffd75f" if is_line else ("#ff5f5f" if threshold and last > threshold
                                                                 else "#5fafff"))
            out.append("\n")
        return out

    # -- actions ----------------------------------------------------------------------------------
    def _has_scene(self) -> bool:
        if self._scene is None:
            self.notify("still warming up the kernels...", severity="warning")
            return False
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # in a dialog, tab moves between its fields
        return not (action in ("next_walker", "prev_walker") and len(self.screen_stack) > 1)

    @property
    def stepping_loaded(self) -> bool:
        """Whether the compiled stepping loop has loaded (the scene is drawn before it is)."""
        return self._pending.stepping.is_set()

    def action_toggle_run(self) -> None:
        if self._has_scene():
            self.running = not self.running
            if self.running and not self.stepping_loaded:
                self.notify("the stepping loop is still loading; the walkers start as soon as it has",
                            timeout=4)

    def action_step(self) -> None:
        if self._has_scene():
            if not self.stepping_loaded:
                self.notify("the stepping loop is still loading (a first launch compiles it)...",
                            severity="warning")
                return
            self.running = False
            try:
                self.live.advance(1)
            except Exception as exc:
                self.notify(str(exc), severity="error")

    def action_faster(self) -> None:
        self.speed = min(self.speed + 1, len(SPEEDS) - 1)

    def action_slower(self) -> None:
        self.speed = max(self.speed - 1, 0)

    def _scale_lr(self, factor: float) -> None:
        if not self._has_scene():
            return
        for i, run in enumerate(self.live.runs):
            lr = run.optimizer.hyper.get("lr")
            if lr is None:
                continue
            try:
                self.live.set_hyper(i, lr=lr * factor)
            except ValueError as exc:
                self.notify(str(exc), severity="error")
                return
        self.notify("lr: " + ", ".join(f"{r.optimizer.name} {r.optimizer.hyper.get('lr', '-'):.3g}"
                                      for r in self.live.runs), timeout=3)

    def action_lr_up(self) -> None:
        self._scale_lr(2.0)

    def action_lr_down(self) -> None:
        self._scale_lr(0.5)

    def action_reset(self) -> None:
        if self._has_scene():
            self.live.reset()
            self._reset_view()

    def action_reseed(self) -> None:
        if self._has_scene():
            self.live.reset(reseed=True)
            self._reset_view()

    def selected_walker(self, runs: int, walkers: int) -> tuple[int, int]:
        """(optimizer, walker) of the selection: tab runs through every optimizer's walkers."""
        g = self.selected % max(1, runs * walkers)
        return g // walkers, g % walkers

    def action_next_walker(self) -> None:
        if self._has_scene():
            self.selected = (self.selected + 1) % (len(self.live.runs) * self.live.shown)
            self._spectrum_due = 0.0

    def action_prev_walker(self) -> None:
        if self._has_scene():
            self.selected = (self.selected - 1) % (len(self.live.runs) * self.live.shown)
            self._spectrum_due = 0.0

    def action_projection(self) -> None:
        if not self._has_scene():
            return
        modes = PROJECTIONS if self.live.land.dim == 2 else PROJECTIONS[1:]
        previous = self.projection
        self.projection = modes[(modes.index(previous) + 1) % len(modes)] if previous in modes else modes[0]
        try:
            self._make_plane()
        except ValueError as exc:
            self.notify(f"{self.projection} plane: {exc}", severity="error")
            self.projection = previous
            self._make_plane()

    @on(Click, "#view")
    def select_by_click(self, event: Click) -> None:
        if self._scene is None or self.plane is None or self.live.land is not self._plane_land:
            return
        view = self.query_one("#view", LandscapeView)
        region = view.content_region
        col, row = event.screen_x - region.x, event.screen_y - region.y
        a0, a1, b0, b1 = self.plane.extent
        a = a0 + (col + 0.5) / max(region.width, 1) * (a1 - a0)
        b = b1 - (row + 0.5) / max(region.height, 1) * (b1 - b0)
        n = self.live.shown  # every optimizer's drawn walkers, in order
        X = np.concatenate([r.session.X[:n] for r in self.live.runs])
        pa, pb, _ = self.plane.project(X)
        self.selected = int(np.argmin((pa - a) ** 2 + (pb - b) ** 2))
        self._spectrum_due = 0.0

    def action_census(self) -> None:
        if not self._has_scene():
            return
        if self.live.land.dim > 12:
            self.notify("a census from the TUI is limited to dim <= 12; use `saddlescape census`",
                        severity="warning")
            return
        self.notify("census running...", timeout=2)
        self.run_census()

    @work(thread=True, exclusive=True, group="census")
    def run_census(self) -> None:
        import saddlescape

        land = self.live.land
        try:
            c = saddlescape.census(land, starts=min(20000, 200 * 3 ** min(land.dim, 6)), seed=0)
        except Exception as exc:
            self.call_from_thread(self.notify, f"census failed: {exc}", severity="error")
            return
        points = [(np.asarray([cp["x"]]), cp["index"]) for cp in c.critical_points if not cp["degenerate"]]
        counts = ", ".join(f"index {k}: {n}" for k, n in c.counts_by_index.items())
        self.critical = points
        self.call_from_thread(self.notify, f"census: {len(points)} critical points ({counts})", timeout=8)

    def action_configure(self) -> None:
        if not self._has_scene():
            return
        name, _dim, params = self.live.landscape_spec
        self.typeahead = []  # keys typed before the dialog can take them go into its first field
        self.push_screen(ConfigureScreen(name, self.live.land.dim, params, self.live.walkers,
                                         self.live.saddle_radius), self._configured)

    def _configured(self, result: dict | None) -> None:
        if not result:
            return
        try:
            dim = int(result["dim"]) if result["dim"] else None
            walkers = int(result["walkers"]) if result["walkers"] else None
        except ValueError:
            self.notify(f"dim and walkers must be whole numbers; got dim={result['dim']!r}, "
                        f"walkers={result['walkers']!r}", severity="error")
            return
        try:
            params = parse_pairs(result["params"])
            radius = result.get("radius", "")
            saddle_radius = check_saddle_radius(float(radius)) if radius else None
        except ValueError as exc:  # a ParamError, or a radius that is not a number
            msg = str(exc) if isinstance(exc, SaddlescapeError) else (
                f"saddle radius {result.get('radius')!r} is not a number; use one in (0, 1]")
            self.notify(msg, severity="error")
            return
        self._change_landscape(result["landscape"], dim, params, walkers, saddle_radius=saddle_radius)

    def _change_landscape(self, name: str, dim: int | None, params: dict, walkers: int | None,
                          optimizer_lines: list[str] | None = None, done: str | None = None,
                          saddle_radius: float | None = None) -> None:
        """Switch the scene (and optionally its optimizers) in a thread: a landscape can take a
        while to build (p-spin's couplings at N = 200: 0.6 s; its kernels' first compile:
        seconds), and the app keeps drawing and stepping the old one meanwhile. A bad value is a
        notice, not a crash; ``done`` is announced once the new scene is in."""
        self.building = name
        self._build_landscape(name, dim, params, walkers, optimizer_lines, done, saddle_radius)

    @work(thread=True, exclusive=True, group="landscape")
    def _build_landscape(self, name: str, dim: int | None, params: dict, walkers: int | None,
                         optimizer_lines: list[str] | None, done: str | None, saddle_radius: float | None) -> None:
        try:
            self.live.set_landscape(name, dim=dim, params=params, walkers=walkers, saddle_radius=saddle_radius)
            if optimizer_lines:
                self.apply_optimizer_lines(optimizer_lines)  # the view resets with the landscape
        except Exception as exc:
            self._report_from_thread(exc)
        else:
            self.call_from_thread(self._landscape_changed, done)
        finally:
            self.building = None

    def _landscape_changed(self, done: str | None) -> None:
        if self.live.land is not self._plane_land:  # unless a frame has already seen it
            self._new_landscape()
        if done:
            self.notify(done, timeout=4)

    def _new_landscape(self) -> None:
        self.selected = 0
        self.projection = "coordinates"
        self._reset_view()
        if self.graph_open:  # a new landscape's minima: a new map
            self._start_graph()

    # -- the connectivity panel (g): a disconnectivity graph of the minima the walkers found --------
    def action_graph(self) -> None:
        if not self._has_scene():
            return
        if not self.graph_open:
            from saddlescape import LiveConnectivity

            if self.live.land.dim > LiveConnectivity.MAX_DIM:
                self.notify(f"the graph panel is limited to dim <= {LiveConnectivity.MAX_DIM}; use "
                            "`saddlescape map` and `saddlescape dgraph` for this landscape", severity="warning")
                return
        self.graph_open = not self.graph_open
        for name in ("#plots", "#walker", "#log"):
            self.query_one(name).display = not self.graph_open
        self.query_one("#graph").display = self.graph_open
        if self.graph_open:
            self._start_graph()
        else:
            self.workers.cancel_group(self, "graph")
            self._graph = None

    def _start_graph(self) -> None:
        self._graph = None
        self.graph_sel = 0
        self.query_one("#graph", Static).update(Text("looking for minima the walkers found (press space to run)...",
                                                     style="dim"))
        self._grow_graph()

    def _move_graph_selection(self, step: int) -> None:
        if not self.graph_open:
            self.notify("press g to open the graph panel first", timeout=3)
            return
        n = len(self._graph["order"]) if self._graph else 0
        if n:
            self.graph_sel = (self.graph_sel + step) % n

    def action_graph_next(self) -> None:
        self._move_graph_selection(1)

    def action_graph_prev(self) -> None:
        self._move_graph_selection(-1)

    @work(thread=True, exclusive=True, group="graph")
    def _grow_graph(self) -> None:
        """Add the walkers' minima to a live map and connect them one at a time (worker thread);
        post the graph, and the path to the selected minimum, whenever something changed."""
        import saddlescape

        worker = get_current_worker()
        scene = self._scene
        if scene is None:
            return
        land = scene.land
        try:
            live = saddlescape.LiveConnectivity(land)
        except SaddlescapeError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning")
            return
        shown_sel = None
        while not worker.is_cancelled and self.graph_open and scene.land is land:
            with scene.lock:
                found = [m.copy() for r in scene.runs for m in r.session.minima_positions()]
            try:
                new = live.add_minima(found)
                worked = live.step()
            except Exception as exc:  # a landscape where a band cannot be relaxed: say so, keep running
                self.call_from_thread(self.notify, f"graph: {exc}", severity="error")
                return
            order = live.order()
            sel = self.graph_sel % len(order) if order else 0
            if new or worked or sel != shown_sel:
                pick = order[sel] if order else None
                pts, tss, barrier = live.path(pick) if pick is not None else (None, None, None)
                info = {"graph": live.graph(), "order": order, "selected": pick, "path": pts, "ts": tss,
                        "barrier": barrier, "pending": len(live.pending()), "given": live.given,
                        "x": live.map.minimum_x(pick) if pick is not None else None,
                        "energy": live.map.minimum_energy(pick) if pick is not None else None}
                shown_sel = sel
                self.call_from_thread(self._graph_ready, info)
            if not (new or worked):
                time.sleep(0.2)

    def _graph_ready(self, info: dict[str, Any]) -> None:
        if not self.graph_open:
            return
        self._graph = info
        self._draw_graph()

    def _draw_graph(self) -> None:
        info = self._graph
        panel = self.query_one("#graph", Static)
        key = (id(info), panel.content_size)
        if info is None or key == getattr(self, "_graph_drawn", None):
            return
        self._graph_drawn = key
        g = info["graph"]
        n_min, n_ts, given = len(info["order"]), len(g.transition_states), info["given"]
        more = f" and {n_min - given} between them" if n_min > given else ""
        head = Text(f"{given} minima the walkers found{more}, {n_ts} transition states"
                    + (f"; connecting {info['pending']} more..." if info["pending"] else ""), style="dim")
        size = panel.content_size
        width, height = max(20, size.width), max(6, size.height - 3)
        body = Text("\n".join(g.render(width, height, highlight=info["selected"])))
        body.highlight_regex("●", "#00ff87")
        body.highlight_regex("◉", "bold #ffff00")
        if info["selected"] is not None:
            bar = info["barrier"]
            sel = (f"◉ minimum {info['selected']} (E={info['energy']:.4g}): "
                   + ("the lowest" if bar == 0.0 else f"barrier {bar:.4g} from the lowest" if bar is not None
                      else "not connected yet") + " · < > choose")
        else:
            sel = "no minimum yet"
        self.graph_text = "\n".join((head.plain, sel, body.plain))  # what the panel says, as plain text
        panel.update(_Group(head, Text(sel, style="bold"), body))

    def _graph_layers(self) -> list[tuple]:
        """The selected minimum and its reaction path, projected onto the map's plane."""
        info = self._graph
        if not self.graph_open or info is None or info["x"] is None or self.plane is None:
            return []
        out = []
        if info["path"] is not None and len(info["path"]):
            a, b, _ = self.plane.project(info["path"])
            out.append((a, b, "•", "#ff5fff"))
            a, b, _ = self.plane.project(info["ts"])
            out.append((a, b, "✕", "#ff3030"))
        a, b, _ = self.plane.project(np.asarray(info["x"])[None, :])
        out.append((a, b, "★", "#ffff00"))
        return out

    def action_optimizers(self) -> None:
        if not self._has_scene():
            return
        from ._scene import MAX_OPTIMIZERS

        # a step size chosen automatically reads "auto" (kept so, it is chosen afresh for new starts)
        lines = [f"{r.optimizer.name} " + " ".join(f"{k}={'auto' if k in r.session.auto else v}"
                                                   for k, v in r.optimizer.hyper.items())
                 for r in self.live.runs]
        self.typeahead = []  # keys typed before the dialog can take them go into its first field
        self.push_screen(OptimizersScreen(lines, MAX_OPTIMIZERS), self._optimizers_set)

    def _optimizers_set(self, lines: list | None) -> None:
        if lines is not None:
            self.building = "the optimizers"
            self._set_optimizers(lines)

    @work(thread=True, exclusive=True, group="optimizers")
    def _set_optimizers(self, lines: list[str]) -> None:
        """In a thread: an optimizer used for the first time compiles its step (seconds, once)."""
        try:
            if self.apply_optimizer_lines(lines):
                self.call_from_thread(self._reset_view)
        except Exception as exc:
            self._report_from_thread(exc)
        finally:
            self.building = None

    def _report_from_thread(self, exc: Exception) -> None:
        """A worker's failure as a notice: bad values are one-line SaddlescapeErrors,
        anything else (a failing plug-in) gets its type named."""
        message = str(exc) if isinstance(exc, SaddlescapeError) else f"{type(exc).__name__}: {exc}"
        self.call_from_thread(self.notify, message, severity="error")

    def apply_optimizer_lines(self, lines: list[str]) -> bool:
        """Retune, swap, add or remove optimizers from 'name key=value ...' lines (any thread);
        True when the optimizers changed and the walkers restarted, so the view needs a reset."""
        from saddlescape import optimizers

        scene = self.live
        # a name already in the scene means that optimizer (a plug-in's name is not a spec
        # `optimizers.make` could find again: `my_opt.py:Lion` shows as `lion`)
        running = {r.optimizer.name: r.optimizer for r in scene.runs}
        wanted = []
        for line in lines:
            if not line.strip():
                continue
            name, _, rest = line.strip().partition(" ")
            hyper = parse_pairs(rest)
            target = running.get(name, name)
            optimizers.make(target, **hyper)  # validate everything before changing anything
            wanted.append((name, target, hyper))
        if not wanted:
            raise ParamError("an empty list would remove every optimizer; keep at least one")
        current = [r.optimizer.name for r in scene.runs]
        if [n for n, _, _ in wanted] == current:
            for i, (_, _, hyper) in enumerate(wanted):
                scene.set_hyper(i, **hyper)
            return False
        removed = [n for n in current if n not in {w[0] for w in wanted}]
        with scene.lock:
            old = list(scene.runs)
            scene.runs.clear()
            try:
                for _, target, hyper in wanted:
                    scene.add_optimizer(target, **hyper)
            except Exception:
                scene.runs[:] = old
                raise
            scene.reset()
        if removed:  # an emptied line removes its optimizer: say so, never silently
            self.notify(f"removed {', '.join(removed)} (its line was empty)", timeout=5)  # (thread-safe)
        return True

    def action_export(self) -> None:
        if not self._has_scene():
            return
        shell, python = self.live.export()
        path = Path("saddlescape-scene.sh")
        try:
            path.write_text("#!/bin/sh\n" + shell + "\n\n# Python:\n" + "\n".join("# " + l for l in python.splitlines()) + "\n")
            where = str(path.resolve())
        except OSError:
            where = None
        self.copy_to_clipboard(shell)
        self.notify(f"scene written to {where}" if where else "could not write saddlescape-scene.sh here; "
                    "the commands are on the clipboard", severity="information" if where else "warning")
        self.push_screen(ExportScreen(shell, python, where))

    def action_experiments(self) -> None:
        self.push_screen(ExperimentsScreen(), self._open_study)

    def _open_study(self, scene: dict | None) -> None:
        """Set the playground to a study's landscape and optimizers (``o`` in the experiments dialog)."""
        if not scene or not self._has_scene():
            return
        self._change_landscape(scene["landscape"], scene.get("dim"), scene.get("params", {}), None,
                               scene.get("optimizers"), done=f"opened {scene['study']}: {scene['landscape']}")

    def action_help(self) -> None:
        keys = [(key_label(self, b), b.description) for b in self.bindings_shown()]
        self.push_screen(HelpScreen(keys))

    async def action_quit(self) -> None:
        self.running = False
        self.workers.cancel_all()
        self.exit()


class _Group:
    """Render two renderables one under the other (rich.console.Group without the import cost)."""

    def __init__(self, *items):
        self.items = items

    def __rich_console__(self, console, options):
        yield from self.items

"""Modal screens: configure the scene, edit optimizers, export, help, experiments."""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from saddlescape import ParamError

__all__ = ["ConfigureScreen", "ExperimentsScreen", "ExportScreen", "HelpScreen", "OptimizersScreen", "parse_pairs"]

_CSS = """
ModalScreen { align: center middle; }
ModalScreen > Vertical, ModalScreen > VerticalScroll {
    width: 84; height: auto; max-height: 90%; border: thick $accent; background: $surface; padding: 1 2;
    overflow-y: auto;
}
ModalScreen Label { margin-top: 1; }
ModalScreen .hint { color: $text-muted; }
ModalScreen Button { margin-top: 1; }
"""


def parse_pairs(text: str) -> dict[str, Any]:
    """'lr=0.01 beta=0.9' -> {'lr': 0.01, 'beta': 0.9}; a malformed item raises ParamError."""
    from saddlescape.landscapes import parse_value

    out: dict[str, Any] = {}
    for item in text.replace(",", " ").split():
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ParamError(f"{item!r} is malformed; write key=value (e.g. lr=0.01)")
        out[key] = parse_value(value)
    return out


class FormScreen(ModalScreen):
    """A dialog of inputs: Enter or the button dismisses with ``_result()``, Esc with None."""

    AUTO_FOCUS = "*"  # the app focuses nothing at start; a dialog focuses its first field

    DEFAULT_CSS = _CSS
    SCOPED_CSS = False  # the rules name ModalScreen itself, so they must not be prefixed
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def _result(self) -> Any:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.call_after_refresh(self._replay_typeahead)

    def _replay_typeahead(self) -> None:
        """Characters typed after the key that opened this dialog, before it could take them,
        go into its focused field (they were dropped, and a then-empty line removed an optimizer)."""
        keys = getattr(self.app, "typeahead", None) or []
        self.app.typeahead = None  # type: ignore[attr-defined]
        field = self.focused if isinstance(self.focused, Input) else next(iter(self.query(Input)), None)
        if keys and field is not None:
            field.insert_text_at_cursor("".join(keys))

    def on_input_submitted(self) -> None:
        self.dismiss(self._result())

    def on_button_pressed(self) -> None:
        self.dismiss(self._result())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfigureScreen(FormScreen):
    """Landscape, dimension, landscape parameters, walkers."""

    def __init__(self, landscape: str, dim: int, params: dict, walkers: int, saddle_radius: float = 0.1):
        super().__init__()
        self._initial = (landscape, dim, params, walkers, saddle_radius)

    def compose(self) -> ComposeResult:
        from saddlescape import landscapes

        name, dim, params, walkers, radius = self._initial
        with Vertical():
            yield Static("[b]Scene[/b]  (Enter applies, Esc cancels)")
            yield Label("landscape")
            yield Input(name, id="landscape", placeholder="name, module:attr or file.py:attr")
            yield Static(", ".join(landscapes.names()), classes="hint")
            yield Label("dim")
            yield Input(str(dim), id="dim")
            yield Label("landscape parameters (key=value ...)")
            yield Input(" ".join(f"{k}={v}" for k, v in params.items()), id="params")
            yield Label("walkers")
            yield Input(str(walkers), id="walkers")
            yield Label("saddle radius (detection sensitivity)")
            yield Input(f"{radius:g}", id="radius")
            yield Static("a walker passes a saddle within this fraction of the landscape's feature scale "
                         "(0 < r <= 1; wider counts more passages)", classes="hint")
            yield Button("Apply", variant="primary", id="apply")

    def _result(self) -> dict:
        get = lambda i: self.query_one(f"#{i}", Input).value.strip()  # noqa: E731
        return {"landscape": get("landscape"), "dim": get("dim"), "params": get("params"),
                "walkers": get("walkers"), "radius": get("radius")}


class OptimizersScreen(FormScreen):
    """One line per optimizer: 'name key=value ...'. Change values to retune it live, change
    the name to swap it, clear a line to remove it; the empty last line adds one."""

    def __init__(self, lines: list[str], limit: int):
        super().__init__()
        self._lines = lines
        self._limit = limit

    def compose(self) -> ComposeResult:
        from saddlescape import optimizers

        with Vertical():
            yield Static("[b]Optimizers[/b]  name key=value ...  (Enter applies, Esc cancels)")
            yield Static("Changing values retunes a running optimizer; changing names, adding or "
                         "removing restarts the comparison on the same starts.", classes="hint")
            rows = list(self._lines) + ([""] if len(self._lines) < self._limit else [])
            for k, line in enumerate(rows):
                yield Label(f"optimizer {k + 1}")
                yield Input(line, id=f"opt{k}", placeholder="e.g. adam lr=0.01")
            yield Static(", ".join(optimizers.names()), classes="hint")
            yield Button("Apply", variant="primary", id="apply")

    def _result(self) -> list[str]:
        return [w.value.strip() for w in self.query(Input)]


class ExportScreen(ModalScreen[None]):
    """The scene as shell commands and a Python snippet."""

    AUTO_FOCUS = "*"  # as FormScreen

    DEFAULT_CSS = _CSS
    SCOPED_CSS = False
    BINDINGS = [Binding("escape,q,e", "close", "Close")]

    def __init__(self, shell: str, python: str, path: str | None):
        super().__init__()
        self._shell, self._python, self._path = shell, python, path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Reproduce this scene headless[/b]")
            yield Static(self._shell, id="shell", markup=False)
            yield Static("[b]Python[/b]")
            yield Static(self._python, id="python", markup=False)
            if self._path:
                yield Static(f"written to {self._path} (and copied to the clipboard)", classes="hint")
            yield Button("Close", id="close")

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


HELP = (
    '[b]saddlescape[/b]: optimizers walking a loss landscape, live.'
    "\n\n"
    "The big view is the landscape (dark = low loss) with each optimizer's walkers in its own colour and their "
    "trails. Above 2 dimensions it is a 2-D slice: [b]p[/b] switches between two random directions, the PCA plane "
    "of the trajectories and the plane through a walker's start, its position and the best minimum; the title "
    "shows how far walkers are off the plane. Digits mark critical points found by a census ([b]k[/b]): "
    "0 = minimum, k = a saddle of index k."
    "\n\n"
    "The side shows, per optimizer: best loss, distinct minima found (against the known number when the "
    "landscape knows it), saddle escapes with the mean steps spent there, walkers still near a saddle, diverged "
    "walkers; loss and |grad| over time; the Hessian spectrum of the selected walker; and the event log."
)


class HelpScreen(ModalScreen[None]):
    """Every key and what the screen shows; scrolls with the arrow keys, page up/down, home/end."""

    AUTO_FOCUS = "#help-body"  # the scrolling body, so the keyboard scrolls it
    DEFAULT_CSS = _CSS
    SCOPED_CSS = False
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, bindings: list[tuple[str, str]]):
        super().__init__()
        self._keys = bindings

    def compose(self) -> ComposeResult:
        from rich.text import Text

        keys = Text.from_markup("\n[b]Keys[/b] (also in the command palette, ctrl+p)")
        for k, d in self._keys:  # plain Text: key names like "[" must not be read as markup
            keys.append(f"\n  {k:>11}", style="bold")
            keys.append(f"  {d}")
        from textual.containers import VerticalScroll

        with VerticalScroll(id="help-body"):
            yield Static(HELP)
            yield Static(keys)
            yield Button("Close", id="close")

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ExperimentsScreen(ModalScreen[dict | None]):
    """The studies: pick one to run its quick sweep (in a thread; the app keeps drawing), read
    its table, plot and verdict; ``o`` opens the study's setting in the playground."""

    AUTO_FOCUS = "*"  # as FormScreen

    DEFAULT_CSS = _CSS + """
    ExperimentsScreen > Vertical { width: 96%; height: 92%; max-height: 92%; }
    ExperimentsScreen OptionList { height: 11; }
    ExperimentsScreen VerticalScroll { height: 1fr; border-top: solid $accent; }
    """
    SCOPED_CSS = False
    BINDINGS = [Binding("escape,q", "close", "Close"), Binding("o", "open_scene", "Open in playground"),
                Binding("f", "full", "Full sweep", show=False)]

    def __init__(self, out: str = "experiments-out"):
        super().__init__()
        self.out = out
        self.current: str | None = None
        self.last_run: Any = None  # the last StudyRun, for a test or a look

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll
        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        from saddlescape.experiments import describe

        with Vertical():
            yield Static("[b]Experiments[/b]: Enter runs the quick sweep, [b]o[/b] opens the study's setting "
                         f"in the playground, Esc closes. Results are written under {self.out}/.", classes="hint")
            yield OptionList(*[Option(f"{d['name']}: {d['title']}", id=d["name"]) for d in describe()])
            with VerticalScroll():
                yield Static("", id="report")

    def on_option_list_option_highlighted(self, event) -> None:
        from saddlescape.experiments import describe

        if self.current is not None:
            return  # a study is running: keep its progress on screen
        d = describe([event.option.id])[0]
        self.query_one("#report", Static).update(
            f"[b]{d['title']}[/b]\nclaim: {d['claim']}\nsource: {d['source']}\n\nEnter runs its quick sweep.")

    def on_option_list_option_selected(self, event) -> None:
        self.start(str(event.option.id), quick=True)

    def action_full(self) -> None:
        from textual.widgets import OptionList

        opt = self.query_one(OptionList)
        if opt.highlighted is not None:
            self.start(str(opt.get_option_at_index(opt.highlighted).id), quick=False)

    def start(self, name: str, *, quick: bool) -> None:
        if self.current is not None:
            self.notify(f"{self.current} is still running", severity="warning")
            return
        self.current = name
        self.query_one("#report", Static).update(f"running {name} ({'quick' if quick else 'full'}) ...")
        self.run_worker(lambda: self._run(name, quick), thread=True, exclusive=True, group="study")

    def _run(self, name: str, quick: bool) -> None:
        from textual.worker import get_current_worker

        from saddlescape.experiments import renderable, run_study

        worker = get_current_worker()
        report = self.query_one("#report", Static)

        def progress(done: int, total: int) -> bool:
            self.app.call_from_thread(report.update, f"running {name}: {done}/{total} items (the first run of a "
                                      "landscape compiles its kernels: up to a few minutes once)")
            return worker.is_cancelled

        try:  # in this process, one item at a time: the kernels release the GIL, the UI keeps drawing
            run = run_study(name, quick=quick, out=self.out, workers=1, progress=progress)
        except Exception as exc:  # a failed study is a notification, not a crash
            self.app.call_from_thread(self.notify, f"{name} failed: {exc}", severity="error", timeout=8)
            self.app.call_from_thread(report.update, f"{name} failed: {exc}")
        else:
            self.last_run = run
            if not worker.is_cancelled:
                self.app.call_from_thread(report.update, renderable(run, plot_width=72))
        finally:
            self.current = None

    def action_open_scene(self) -> None:
        from textual.widgets import OptionList

        from saddlescape.experiments import study

        opt = self.query_one(OptionList)
        if opt.highlighted is None:
            return
        name = str(opt.get_option_at_index(opt.highlighted).id)
        self.workers.cancel_group(self, "study")
        self.dismiss({"study": name, **study(name).scene})

    def action_close(self) -> None:
        self.workers.cancel_group(self, "study")
        self.dismiss(None)

"""KeyBar: every key of the playground on the bottom line(s), each one clickable.

Textual's Footer builds one widget per key and restyles them whenever focus moves, and at 120
columns it shows only the first ten of the playground's seventeen keys (the rest scroll out of
sight). This is one Static: all keys, on a second line when one is too narrow, each an action
link, built in milliseconds instead of the ~0.1 s of start-up the scene's kernel loading
would otherwise wait for.
"""
from __future__ import annotations

from dataclasses import replace

from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.events import Resize
from textual.widgets import Static

__all__ = ["KeyBar", "key_label", "pack_lines"]


def key_label(app: App, binding: Binding) -> str:
    """The display name of a binding's first key ("space", "+", "?", "^p")."""
    return app.get_key_display(replace(binding, key=binding.key.split(",")[0]))


def pack_lines(widths: list[int], width: int, gap: int = 2) -> list[list[int]]:
    """Indices of items of the given widths, greedily packed into lines of at most ``width``
    cells with ``gap`` cells between items (an item wider than a line gets a line alone)."""
    lines: list[list[int]] = []
    used = 0
    for i, w in enumerate(widths):
        if lines and used + gap + w <= width:
            lines[-1].append(i)
            used += gap + w
        else:
            lines.append([i])
            used = w
    return lines


class KeyBar(Static):
    """The app's shown bindings (and the command palette) as clickable ``key description`` pairs."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom; height: auto; max-height: 3; padding: 0 1;
        background: $footer-background; color: $footer-description-foreground;
        link-style: none; link-color: $footer-description-foreground; link-background: $footer-background;
        link-style-hover: reverse;
    }
    """

    def on_mount(self) -> None:
        app = self.app
        bindings = [b for b in app.BINDINGS if isinstance(b, Binding) and b.show]
        if app.ENABLE_COMMAND_PALETTE:
            bindings.append(Binding(app.COMMAND_PALETTE_BINDING, "command_palette", "Palette"))
        self._pieces = [Content.assemble((key_label(app, b), "bold $footer-key-foreground"), " ", b.description)
                        .stylize(f"@click=app.{b.action}") for b in bindings]
        self._lay_out(self.app.size.width)  # docked across the whole screen; its own size is 0 yet

    def on_resize(self, event: Resize) -> None:
        self._lay_out(event.size.width)

    def _lay_out(self, width: int) -> None:
        pieces = getattr(self, "_pieces", None)
        if not pieces:
            return
        lines = pack_lines([p.cell_length for p in pieces], max(width - 2, 1))  # less the padding
        gap = Content("  ")
        self.update(Content("\n").join(gap.join(pieces[i] for i in line) for line in lines))

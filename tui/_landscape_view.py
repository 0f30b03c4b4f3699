"""LandscapeView: the landscape as a half-block heatmap with walkers and trails on top.

One widget draws both (Textual layers do not blend). Line API: ``render_line`` builds a Strip
per terminal row from cached heatmap codes plus this frame's overlay; styles are cached and
equal cells merge into one Segment.
"""
from __future__ import annotations

import numpy as np
from textual.strip import Strip
from textual.widget import Widget

from ._render import row_segments, to_cell

__all__ = ["LandscapeView"]


class LandscapeView(Widget):
    """Heatmap codes ``(2 * height, width)`` + overlay {(row, col): (char, colour)}."""

    DEFAULT_CSS = """
    LandscapeView { width: 1fr; height: 1fr; border: round $primary-darken-2; }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.codes: np.ndarray | None = None
        self.overlay: dict[int, dict[int, tuple[str, str]]] = {}
        self.extent = (0.0, 1.0, 0.0, 1.0)

    def set_heatmap(self, codes: np.ndarray | None, extent: tuple[float, float, float, float]) -> None:
        """Heatmap codes for the view's size (None: a blank background while they are computed)."""
        self.codes = codes
        self.extent = extent
        self.refresh()

    def set_points(self, layers: list[tuple[np.ndarray, np.ndarray, str, str]]) -> None:
        """Layers of (a, b, char, colour), later layers drawn over earlier ones."""
        size = self.content_size
        overlay: dict[int, dict[int, tuple[str, str]]] = {}
        for a, b, ch, colour in layers:
            if len(a) == 0:
                continue
            col, row, inside = to_cell(a, b, self.extent, size.width, size.height)
            for c, r in zip(col[inside].tolist(), row[inside].tolist()):
                overlay.setdefault(r, {})[c] = (ch, colour)
        changed = set(overlay) | set(self.overlay)
        self.overlay = overlay
        if changed:
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        codes = self.codes
        if codes is None or 2 * y + 1 >= codes.shape[0] or codes.shape[1] != width:
            blank = np.full(width, -1, np.int64)  # no heatmap (yet): the walkers on a plain background
            return Strip(row_segments(blank, blank, self.overlay.get(y, {})), width)
        return Strip(row_segments(codes[2 * y], codes[2 * y + 1], self.overlay.get(y, {})), width)

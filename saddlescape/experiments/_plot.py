"""A small terminal plot: series as markers on a character grid, linear or log axes.

Pure Python (no NumPy), so it draws in the CLI and the TUI alike and is easy to test.
"""
from __future__ import annotations

import math

from ._framework import Plot

MARKERS = "●×▲■◆+○▼"


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    return f"{v:.3g}" if 1e-3 <= a < 1e5 else f"{v:.1e}"


def _transform(v: float, log: bool) -> float | None:
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    if log:
        return math.log10(v) if v > 0 else None
    return float(v)


def render_plot(plot: Plot, width: int = 64, height: int = 14) -> list[str]:
    """The plot as lines of text: a framed grid, axis ranges, labels and a legend.

    Points that cannot be drawn (NaN, or <= 0 on a log axis) are left out; a plot with no
    drawable point says so instead of failing.
    """
    pts: list[tuple[int, float, float]] = []
    for s, (_, xs, ys) in enumerate(plot.series):
        for x, y in zip(xs, ys):
            tx, ty = _transform(x, plot.logx), _transform(y, plot.logy)
            if tx is not None and ty is not None:
                pts.append((s, tx, ty))
    lines = [plot.title]
    if not pts:
        return [*lines, "  (nothing to draw)"]
    x0, x1 = min(p[1] for p in pts), max(p[1] for p in pts)
    y0, y1 = min(p[2] for p in pts), max(p[2] for p in pts)
    if x1 == x0:
        x0, x1 = x0 - 0.5, x1 + 0.5
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    grid = [[" "] * width for _ in range(height)]
    for s, x, y in pts:
        col = round((x - x0) / (x1 - x0) * (width - 1))
        row = height - 1 - round((y - y0) / (y1 - y0) * (height - 1))
        cell = grid[row][col]
        mark = MARKERS[s % len(MARKERS)]
        grid[row][col] = mark if cell in (" ", mark) else "*"  # '*': series overlap
    def back(v: float, log: bool) -> float:
        return 10 ** v if log else v

    ytop, ybot = _fmt(back(y1, plot.logy)), _fmt(back(y0, plot.logy))
    pad = max(len(ytop), len(ybot))
    for r, cells in enumerate(grid):
        label = ytop if r == 0 else ybot if r == height - 1 else ""
        lines.append(f"{label:>{pad}} │{''.join(cells)}")
    lines.append(" " * pad + " └" + "─" * width)
    xl, xr = _fmt(back(x0, plot.logx)), _fmt(back(x1, plot.logx))
    xlabel = plot.xlabel + (" (log)" if plot.logx else "")
    middle = max(1, width - len(xl) - len(xr))
    lines.append(" " * (pad + 2) + xl + xlabel.center(middle) + xr)
    ylabel = plot.ylabel + (" (log)" if plot.logy else "")
    legend = "   ".join(f"{MARKERS[i % len(MARKERS)]} {label}" for i, (label, _, _) in enumerate(plot.series))
    lines.append(f"y: {ylabel}   {legend}")
    return lines

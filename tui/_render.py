"""Pure functions that turn arrays into terminal cells: no widgets, no I/O (unit-tested).

A heatmap row of the terminal shows two grid rows with the upper half block: foreground =
the upper value's colour, background = the lower one's. Values are quantised to a small
palette so runs of equal cells merge into one Segment.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
from rich.segment import Segment
from rich.style import Style

__all__ = ["HEAT_PALETTE", "cell_runs", "histogram_line", "quantise", "row_segments",
           "sparkline", "threshold_chart", "to_cell"]

# 24 steps of a perceptually ordered dark-blue -> teal -> yellow ramp (viridis-like)
_STOPS = [(0.0, (13, 8, 48)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)), (0.75, (94, 201, 98)),
          (1.0, (253, 231, 37))]


def _ramp(n: int) -> list[str]:
    out = []
    for k in range(n):
        t = k / (n - 1)
        for (t0, c0), (t1, c1) in itertools.pairwise(_STOPS):
            if t <= t1:
                w = (t - t0) / (t1 - t0)
                rgb = tuple(round(a + w * (b - a)) for a, b in zip(c0, c1))
                out.append("#{:02x}{:02x}{:02x}".format(*rgb))
                break
    return out


HEAT_PALETTE: list[str] = _ramp(24)
NAN_COLOUR = "#3a3a3a"


def quantise(values: np.ndarray, levels: int = len(HEAT_PALETTE)) -> np.ndarray:
    """Palette indices (int, -1 for NaN) by rank (histogram equalisation): each colour covers
    the same share of the picture, so a landscape whose edges explode (x^6) or with a deep
    funnel still shows its basins and ripples; order is kept, so darker is always lower."""
    v = np.asarray(values, float)
    finite = np.isfinite(v)
    out = np.full(v.shape, -1, np.int64)
    if not finite.any():
        return out
    edges = np.quantile(v[finite], np.linspace(0.0, 1.0, levels + 1)[1:-1])
    out[finite] = np.searchsorted(edges, v[finite], side="right")
    return out


def to_cell(a: np.ndarray, b: np.ndarray, extent: tuple[float, float, float, float], width: int,
            height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Terminal (column, row, inside) of plane coordinates, for a ``width x height`` view
    whose grid has ``2 * height`` rows (row 0 at the top, b largest)."""
    a0, a1, b0, b1 = extent
    with np.errstate(invalid="ignore", over="ignore"):
        fa = np.floor((np.asarray(a, float) - a0) / (a1 - a0) * width)
        fb = np.floor((b1 - np.asarray(b, float)) / (b1 - b0) * (2 * height))
    # a diverged walker (NaN, inf, or far beyond int64) is outside, and cast only once it is in range
    inside = np.isfinite(fa) & np.isfinite(fb) & (fa >= 0) & (fa < width) & (fb >= 0) & (fb < 2 * height)
    col = np.where(inside, fa, -1.0).astype(np.int64)
    sub = np.where(inside, fb, -2.0).astype(np.int64)
    return col, sub // 2, inside


@lru_cache(maxsize=4096)
def _style(fg: str, bg: str, bold: bool = False) -> Style:
    return Style(color=fg, bgcolor=bg, bold=bold)


def _colour(code: int) -> str:
    return NAN_COLOUR if code < 0 else HEAT_PALETTE[code]


def cell_runs(top: np.ndarray, bottom: np.ndarray, overlay: dict[int, tuple[str, str]]) -> list[tuple[str, str, str, int]]:
    """Runs (text-char, fg, bg, length) of one terminal row: heatmap half blocks, with the
    overlay's (char, colour) drawn over the cell (its background = the lower half's colour)."""
    runs: list[tuple[str, str, str, int]] = []
    width = len(top)
    prev = None
    count = 0
    for x in range(width):
        t, b = int(top[x]), int(bottom[x])
        if x in overlay:
            ch, fg = overlay[x]
            key = (ch, fg, _colour(b))
        else:
            key = ("▀", _colour(t), _colour(b))
        if key == prev:
            count += 1
        else:
            if prev is not None:
                runs.append((*prev, count))
            prev, count = key, 1
    if prev is not None:
        runs.append((*prev, count))
    return runs


def row_segments(top: np.ndarray, bottom: np.ndarray, overlay: dict[int, tuple[str, str]]) -> list[Segment]:
    """One Segment per run of equal cells (cached styles)."""
    return [Segment(ch * n, _style(fg, bg, ch != "▀")) for ch, fg, bg, n in cell_runs(top, bottom, overlay)]


_SPARKS = "▁▂▃▄▅▆▇█"


# a series whose spread is below this fraction of its size (or whose size is below TINY) is flat:
# rounding noise (a loss wobbling in its 16th digit, a gradient of 1e-16) is not drawn as a signal
FLAT_RELATIVE = 1e-9
TINY = 1e-12


def sparkline(values, width: int) -> str:
    """The last ``width`` values as block characters scaled between their min and max
    (blank for NaN; a flat line for a series that varies only by rounding noise)."""
    v = np.asarray(list(values)[-width:], float)
    if v.size == 0:
        return ""
    finite = np.isfinite(v)
    if not finite.any():
        return " " * v.size
    lo, hi = v[finite].min(), v[finite].max()
    size = max(abs(lo), abs(hi))
    if hi - lo <= FLAT_RELATIVE * size or size < TINY:
        return "".join(_SPARKS[0] if ok else " " for ok in finite)
    span = hi - lo
    idx = np.clip(((v - lo) / span * (len(_SPARKS) - 1)).round(), 0, len(_SPARKS) - 1)
    return "".join(_SPARKS[int(i)] if ok else " " for i, ok in zip(np.nan_to_num(idx), finite))


def histogram_line(values, bins: int) -> tuple[str, float, float]:
    """A one-line histogram of ``values`` (e.g. Hessian eigenvalues): (bars, low, high)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "", 0.0, 0.0
    lo, hi = float(v.min()), float(v.max())
    if hi - lo <= FLAT_RELATIVE * max(abs(lo), abs(hi)):  # equal but for rounding (two equal eigenvalues
        half = 1e-6 * max(abs(lo), abs(hi)) or 0.5      # an ulp apart): numpy cannot cut finite bins there
        lo, hi = lo - half, hi + half
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return sparkline(np.where(counts > 0, np.log1p(counts), np.nan), bins), float(edges[0]), float(edges[-1])


_EIGHTHS = " ▁▂▃▄▅▆▇█"


def threshold_chart(values, threshold: float | None, width: int, rows: int = 3) -> list[list[tuple[str, bool]]]:
    """The last ``width`` values as a bar chart ``rows`` cells high, from 0 up to 1.2 x the larger
    of the values' maximum and ``threshold``, with the threshold drawn as a line (``─``) where a
    bar does not reach it. Rows top first; each cell is (character, is_threshold_line)."""
    v = np.asarray(list(values)[-width:], float)
    top = max([float(np.nanmax(v)) if np.isfinite(v).any() else 0.0] + ([threshold] if threshold else []))
    scale = 1.2 * top if top > 0 else 1.0
    levels = np.where(np.isfinite(v), np.clip(v / scale, 0.0, 1.0) * rows * 8, 0.0).round().astype(int)
    line = int(min(rows * 8 - 1, threshold / scale * rows * 8)) if threshold and threshold > 0 else -1
    out = []
    for r in range(rows - 1, -1, -1):  # top row first
        cells = []
        for lev in levels:
            fill = min(8, max(0, lev - 8 * r))
            if fill == 0 and line // 8 == r and line >= 0:
                cells.append(("─", True))
            else:
                cells.append((_EIGHTHS[fill], False))
        out.append(cells)
    return out

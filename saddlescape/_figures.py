"""Figures a paper can use: a run's loss curves with its escapes, a census's index histogram and
index against loss, any series plot (a study's), written as .png, .svg or .pdf through matplotlib
(optional: ``pip install 'saddlescape[plot]'``). Each file is written atomically."""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .landscapes import ParamError

__all__ = ["FORMATS", "check_figure_path", "save_census_figure", "save_run_figure", "save_series_figure"]

FORMATS = (".png", ".svg", ".pdf")


def check_figure_path(path: str | Path, flag: str = "--figure") -> Path:
    """``path`` as a Path when its suffix is a format we write, else a one-line error."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise ParamError(f"{flag} {str(path)!r}: a figure is written as {', '.join(FORMATS)} (the suffix picks)")
    return p


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ParamError("figures need matplotlib: pip install 'saddlescape[plot]'") from None
    return plt


def _save(fig: Any, path: str | Path, caption: str) -> Path:
    from ._files import write_atomic

    plt = _pyplot()
    p = check_figure_path(path)
    if caption:
        fig.text(0.01, 0.005, caption, fontsize=7, ha="left", va="bottom", wrap=True)
        fig.subplots_adjust(bottom=0.22)
    try:
        return write_atomic(p, lambda fh: fig.savefig(fh, format=p.suffix[1:].lower(), dpi=150))
    finally:
        plt.close(fig)


def save_series_figure(path: str | Path, title: str, xlabel: str, ylabel: str,
                       series: Sequence[tuple[str, Sequence[float], Sequence[float]]], *, logx: bool = False,
                       logy: bool = False, caption: str = "") -> Path:
    """Series (label, xs, ys) as markers joined by lines; points that cannot be drawn (NaN, or <= 0
    on a log axis) left out."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    for label, xs, ys in series:
        pts = [(x, y) for x, y in zip(xs, ys)
               if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
               and (x > 0 or not logx) and (y > 0 or not logy)]
        if pts:
            ax.plot(*zip(*pts), marker="o", markersize=4, linewidth=1, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if len(series) > 1:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path, caption)


def save_run_figure(path: str | Path, result: Any) -> Path:
    """Loss against step for every walker (the loss above the best one reached, on a log axis, when
    the loss can be negative), saddle escapes marked where they happened."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    steps, loss = np.asarray(result.record_steps), np.asarray(result.loss, float)
    finite = loss[np.isfinite(loss)]
    shift = 0.0
    if finite.size and finite.min() <= 0:  # log axis of the gap to the lowest loss seen
        shift = float(finite.min()) - 1e-12 * max(1.0, abs(float(finite.min())))
    for b in range(loss.shape[1] if loss.ndim == 2 else 0):
        ax.plot(steps, loss[:, b] - shift, linewidth=0.8, alpha=0.7)
    esc = result.saddle_escapes
    if esc:
        ax.scatter([e["step_out"] for e in esc], [e["loss"] - shift for e in esc], marker="x", color="black",
                   s=18, zorder=3, label=f"saddle escapes ({len(esc)})")
        ax.legend(fontsize=8)
    ax.set_yscale("log")
    land, opt = result.landscape, result.optimizer
    ax.set(title=f"{opt['name']} on {land['name']} (dim {land['dim']}): {result.walkers} walkers",
           xlabel="step", ylabel="loss" if shift == 0.0 else f"loss - ({shift:.6g})")
    ax.grid(alpha=0.3)
    hyper = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in opt.get("hyper", {}).items())
    caption = (f"saddlescape run: {land['name']} {land.get('params', {})}, seed {result.seed}; {opt['name']} ({hyper}); "
               f"{result.steps} steps, {int(np.sum(result.diverged))} diverged; lines: each walker's loss, "
               "x: where a walker left a saddle's ball below the saddle's loss")
    return _save(fig, path, caption)


def save_census_figure(path: str | Path, result: Any) -> Path:
    """Two panels: critical points by index (bars; the landscape's declared counts as markers when
    it has them), and index against loss (the folklore's claim: high loss, high index)."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    counts = result.counts_by_index
    ks = sorted(counts)
    left.bar(ks, [counts[k] for k in ks], color="#4477aa")
    left.set(title="critical points by index", xlabel="index (descending directions)", ylabel="points found")
    pts = [(cp["value"], cp["index"]) for cp in result.critical_points if cp["index"] is not None]
    if pts:
        v, k = zip(*pts)
        right.scatter(v, k, s=10, alpha=0.6, color="#aa3377")
    right.set(title="index against loss", xlabel="loss at the critical point", ylabel="index")
    from matplotlib.ticker import MaxNLocator

    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (left, right):
        ax.grid(alpha=0.3)
    land = result.landscape
    fig.suptitle(f"census of {land['name']} (dim {land['dim']}): {len(result.critical_points)} critical points",
                 fontsize=10)
    caption = (f"saddlescape census: {land['name']} {land.get('params', {})}, {result.starts} starts, seed "
               f"{result.seed}, method {result.method}; {result.n_degenerate} degenerate points (no index) not drawn")
    return _save(fig, path, caption)

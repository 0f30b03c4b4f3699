"""A finished study as one rich renderable: claim, table, plot, source and verdict (CLI and TUI)."""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ._framework import StudyRun
from ._plot import render_plot


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def renderable(run: StudyRun, *, plot_width: int = 64, max_rows: int = 40) -> Group:
    s = run.study
    parts: list[Any] = [Text(f"{s.name}: {s.title}", style="bold"),
                        Text(f"claim: {s.claim}"), Text(f"source: {s.source}", style="dim"), Text("")]
    r = run.report
    if r is None:
        done = sum(x is not None for x in run.results)
        parts.append(Text(f"interrupted: {done}/{len(run.items)} items done; run it again to resume", style="yellow"))
        return Group(*parts)
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for c in r.columns:
        table.add_column(c, justify="right")
    for row in r.rows[:max_rows]:
        table.add_row(*map(_cell, row))
    parts.append(table)
    if len(r.rows) > max_rows:
        parts.append(Text(f"... {len(r.rows) - max_rows} more rows in the CSV", style="dim"))
    parts += [Text(""), Text("\n".join(render_plot(r.plot, width=plot_width))), Text(""),
              Text(f"reported: {r.reference}", style="dim")]
    mark = {True: ("supported", "bold green"), False: ("not supported", "bold red"),
            None: ("measured", "bold")}[r.supported]
    parts.append(Text.assemble((f"verdict ({mark[0]}): ", mark[1]), r.verdict))
    return Group(*parts)

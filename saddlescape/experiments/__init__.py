"""Named studies that test the landscape folklore: each states a claim and its source, runs a
sweep, and reports a table, a terminal plot and a verdict with the numbers measured.

    >>> from saddlescape import experiments
    >>> experiments.names()[:2]
    ['minima-vs-dimension', 'index-vs-loss']
    >>> run = experiments.run_study("no-minimum", quick=True, out="out")  # doctest: +SKIP
    >>> print(run.report.verdict)  # doctest: +SKIP

``saddlescape experiment list`` and ``saddlescape experiment NAME [--quick] [--out DIR]`` do the same.
"""
from __future__ import annotations

from . import studies  # noqa: F401  (registers the twelve built-in studies)
from ._framework import Plot, Report, Study, StudyRun, describe, names, register, run_study, study
from ._plot import render_plot
from ._show import renderable

__all__ = ["Plot", "Report", "Study", "StudyRun", "describe", "names", "register", "render_plot", "renderable",
           "run_study", "study"]

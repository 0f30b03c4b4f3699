"""Escape times as a distribution: the Kaplan-Meier estimate of the time walkers spend at a
saddle, walkers still there when the run ends counted as censored (not dropped, which would
make escapes look faster than they are).

Kaplan & Meier 1958; Greenwood's variance; pointwise confidence bands on the log(-log)
scale (Kalbfleisch & Prentice 2002, sec. 1.4); the median's interval from where those bands
cross 1/2 (Brookmeyer & Crowley 1982).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["KaplanMeier", "kaplan_meier"]

Z95 = 1.959963984540054


@dataclass
class KaplanMeier:
    """The survival curve S(t) = P(still at the saddle after t steps) at each distinct time an
    escape happened, with its 95% band, and the median time with its 95% interval (None where
    the curve never falls to 1/2, e.g. most visits still open)."""

    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    n_observed: int
    n_censored: int
    median: float | None
    median_ci: tuple[float | None, float | None]

    def summary(self) -> dict[str, Any]:
        """JSON-friendly (a run's ``escape_survival``)."""
        return {"n_escaped": self.n_observed, "n_censored": self.n_censored, "median": self.median,
                "median_ci95": list(self.median_ci), "times": [int(t) for t in self.times],
                "survival": [round(float(s), 6) for s in self.survival],
                "lower95": [round(float(s), 6) for s in self.lower], "upper95": [round(float(s), 6) for s in self.upper]}


def kaplan_meier(durations: Any, observed: Any) -> KaplanMeier:
    """Kaplan-Meier from ``durations`` (steps at the saddle) and ``observed`` (True: escaped
    then; False: still there, censored). At a tie, censored visits count as at risk for the
    escapes at that time."""
    d = np.asarray(durations, float)
    e = np.asarray(observed, bool)
    times = np.unique(d[e])
    at_risk = np.array([(d >= t).sum() for t in times], float)
    events = np.array([(e & (d == t)).sum() for t in times], float)
    surv = np.cumprod(1.0 - events / at_risk) if len(times) else np.empty(0)
    # Greenwood: var(log S) = sum d / (n (n - d)); on the log(-log) scale for bounds inside (0, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(events / (at_risk * (at_risk - events)))
        sigma = np.sqrt(green) / np.abs(np.log(surv))
        lower = surv ** np.exp(Z95 * sigma)
        upper = surv ** np.exp(-Z95 * sigma)
    done = surv <= 0.0  # once S is 0 the band is 0 too
    lower = np.where(done | ~np.isfinite(lower), 0.0, lower)
    upper = np.where(done, 0.0, np.where(np.isfinite(upper), upper, 1.0))

    def first_below_half(curve: np.ndarray) -> float | None:
        hit = np.flatnonzero(curve <= 0.5)
        return float(times[hit[0]]) if len(hit) else None

    return KaplanMeier(times, surv, lower, upper, at_risk, events, int(e.sum()), int((~e).sum()),
                       first_below_half(surv), (first_below_half(lower), first_below_half(upper)))

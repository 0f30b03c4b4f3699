"""Study minima-vs-dimension: Minima get rare as dimension grows."""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from .._framework import Plot, Report, Study, register
from ._common import _census, _fmt, _r, _slope

_MVD = {"styblinski-tang": ((1, 2, 3, 4, 5), tuple(range(1, 9)), (0,), (0,)),
        "gaussian-field": ((2, 3, 4, 5), tuple(range(2, 10)), (0, 1), tuple(range(5))),
        "p-spin": ((4, 6, 8, 10), tuple(range(4, 17, 2)), (0, 1), tuple(range(5)))}


def _mvd_items(quick: bool) -> list[dict]:
    out = []
    for name, (qd, fd, qs, fs) in _MVD.items():
        for dim in (qd if quick else fd):
            for seed in (qs if quick else fs):
                starts = 40 * 3 ** dim if name == "styblinski-tang" else (2000 if quick else 8000)
                out.append({"landscape": name, "dim": dim, "seed": seed, "starts": starts})
    return out


def _mvd_work(item: dict) -> dict:
    _, c = _census(item["landscape"], item["dim"], item["seed"], item["starts"])
    counts = c.counts_by_index
    n = sum(counts.values())
    est = c.estimated_counts_by_index()
    n_est = sum(est.values())
    return {"counts_by_index": {str(k): v for k, v in sorted(counts.items())}, "n_critical": n,
            "n_minima": c.n_minima, "n_degenerate": c.n_degenerate, "n_converged": c.n_converged,
            "fraction_minima": c.n_minima / n if n else None, "coverage": c.coverage,
            "estimated_counts_by_index": {str(k): v for k, v in sorted(est.items())},
            "estimated_fraction_minima": est.get(0, 0.0) / n_est if n_est else None}


def _mvd_analyse(results: list[dict], quick: bool) -> Report:
    items = _mvd_items(quick)
    groups: dict[tuple, list] = defaultdict(list)
    for it, res in zip(items, results):
        groups[(it["landscape"], it["dim"])].append(res)
    rows: list[list[Any]] = []
    series: defaultdict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    slopes: dict[str, float | None] = {}
    exact_ok = True
    for (name, dim), rs in groups.items():
        crit = float(np.mean([r["n_critical"] for r in rs]))
        mins = float(np.mean([r["n_minima"] for r in rs]))
        frac = float(np.mean([r["fraction_minima"] or 0.0 for r in rs]))
        # a census that has not found every point misses saddles first: fit the Chao1 estimate
        est = float(np.mean([r["estimated_fraction_minima"] or 0.0 for r in rs]))
        cov = float(np.mean([r["coverage"] or 0.0 for r in rs]))
        exact, match = "", ""
        if name == "styblinski-tang":
            want = {str(k): math.comb(dim, k) * 2 ** (dim - k) for k in range(dim + 1)}
            ok = all(r["counts_by_index"] == want and r["n_degenerate"] == 0 for r in rs)
            exact_ok &= ok
            exact, match = _r((2 / 3) ** dim, 6), "yes" if ok else "NO"
        rows.append([name, dim, len(rs), crit, mins, _r(cov, 3), _r(frac, 6), _r(est, 6), exact, match])
        series[name][0].append(dim)
        series[name][1].append(est)
    for name, (xs, ys) in series.items():
        s = _slope(xs, [math.log10(y) if y > 0 else None for y in ys])
        slopes[name] = None if s is None else 10 ** s  # factor per added dimension
    falling = all(v is not None and v < 1 for v in slopes.values())
    measured = {"styblinski_tang_exact": exact_ok, "factor_per_dimension": {k: _r(v) for k, v in slopes.items()}}
    verdict = (f"styblinski-tang: the census reproduces all C(D,k) 2^(D-k) counts exactly at every D "
               f"({'yes' if exact_ok else 'NO'}), so the minima fraction is (2/3)^D; fitted factor per added "
               f"dimension: " + ", ".join(f"{k} {_fmt(v)}" for k, v in slopes.items())
               + (". The fraction of minima falls exponentially with D on all three."
                  if falling else ". The fraction does not fall on every landscape."))
    return Report(["landscape", "D", "seeds", "critical points", "minima", "coverage", "fraction minima",
                   "estimated fraction", "exact fraction", "exact counts"], rows,
                  Plot("fraction of critical points that are minima", "dimension D", "fraction minima",
                       [(k, v[0], v[1]) for k, v in series.items()], logy=True),
                  measured,
                  "Bray & Dean 2007 (Gaussian fields), Auffinger, Ben Arous & Cerny 2013 (p-spin): minima "
                  "are an exponentially small fraction of critical points as D grows; for a separable sum "
                  "of 1-D double wells the fraction is exactly (2/3)^D. Coverage is the census's Good-Turing "
                  "estimate of its own completeness; the fitted fraction uses Chao1's estimate of the counts, "
                  "since an incomplete census misses saddles first.",
                  verdict, bool(exact_ok and falling))


STUDY = register(Study(
    "minima-vs-dimension", "Minima get rare as dimension grows",
    "The fraction of critical points that are local minima falls exponentially with the dimension.",
    "Bray & Dean 2007; Auffinger, Ben Arous & Cerny 2013; Dauphin et al. 2014",
    _mvd_items, _mvd_work, _mvd_analyse, {"landscape": "styblinski-tang", "dim": 2}))

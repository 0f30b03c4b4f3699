"""Helpers the studies share: a census or a run by name, medians, slopes and rounding for tables."""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def _census(name: str, dim: int, seed: int, starts: int, method: str = "all", **params: Any):
    import saddlescape
    from saddlescape import landscapes

    land = landscapes.make(name, dim=dim, seed=seed, **params)
    return land, saddlescape.census(land, starts=starts, seed=seed, method=method)


def _run(name: str, dim: int | None, optimizer: str, hyper: dict, *, walkers: int, steps: int, seed: int,
         x0=None, land_seed: int = 0, params: dict | None = None, record_every: int = 1):
    import saddlescape
    from saddlescape import landscapes, optimizers

    land = landscapes.make(name, dim=dim, seed=land_seed, **(params or {}))
    opt = optimizers.make(optimizer, **hyper)
    result = saddlescape.run(land, opt, walkers=walkers, steps=steps, seed=seed, x0=x0,
                             record_every=record_every, detect=False)
    if not result.complete:  # run() keeps a Ctrl-C'd run; a study item must not count it as done
        raise KeyboardInterrupt
    return land, result


def _first_below(loss: np.ndarray, threshold: float) -> np.ndarray:
    """Per walker (columns), the first record index whose loss is below ``threshold`` (-1: never)."""
    below = loss < threshold
    first = np.argmax(below, axis=0)
    return np.where(below.any(axis=0), first, -1)


def _median(values) -> float | None:
    v = [x for x in values if x is not None and math.isfinite(x)]
    return float(np.median(v)) if v else None


def _slope(xs, ys) -> float | None:
    """Least-squares slope of ys against xs over the finite pairs (None with fewer than two)."""
    pairs = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)]
    if len(pairs) < 2 or len({p[0] for p in pairs}) < 2:
        return None
    x, y = np.array(pairs).T
    return float(np.polyfit(x, y, 1)[0])


def _spearman(x, y) -> float:
    def ranks(a):
        a = np.asarray(a, float)
        order = np.argsort(a, kind="mergesort")
        r = np.empty(len(a))
        r[order] = np.arange(len(a))
        for v in np.unique(a):  # ties share their mean rank
            m = a == v
            r[m] = r[m].mean()
        return r

    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def _r(v: float | None, digits: int = 4):
    return None if v is None or not math.isfinite(v) else round(float(v), digits)


def _fmt(v: float | None, spec: str = ".3g") -> str:
    return "n/a" if v is None or not math.isfinite(v) else format(v, spec)



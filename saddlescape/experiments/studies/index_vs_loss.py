"""Study index-vs-loss: High-loss critical points are saddles of high index."""
from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np

from .._framework import Plot, Report, Study, register
from ._common import _census, _r, _spearman


def _ivl_items(quick: bool) -> list[dict]:
    seeds = (0, 1, 2) if quick else tuple(range(6))
    out = []
    for name, dim in (("gaussian-field", 5 if quick else 8), ("p-spin", 10 if quick else 14)):
        for seed in seeds:
            out.append({"landscape": name, "dim": dim, "seed": seed, "starts": 500 if quick else 5000})
    return out


def _ivl_work(item: dict) -> dict:
    land, c = _census(item["landscape"], item["dim"], item["seed"], item["starts"])
    per = land.dim if land.manifold == "sphere" else 1  # p-spin: energy per spin
    pts = [[cp["value"] / per, cp["index"] / c.max_index] for cp in c.critical_points if not cp["degenerate"]]
    return {"points": pts, "max_index": c.max_index, "loss_unit": "energy per spin" if per > 1 else "loss"}


def _ivl_analyse(results: list[dict], quick: bool) -> Report:
    items = _ivl_items(quick)
    pooled: dict[str, list] = defaultdict(list)
    for it, res in zip(items, results):
        pts = np.array(res["points"]).reshape(-1, 2)
        if len(pts):  # normalise the loss per landscape instance to [0, 1]
            v = pts[:, 0]
            span = v.max() - v.min() or 1.0
            pooled[it["landscape"]].extend(zip((v - v.min()) / span, pts[:, 1]))
    rows, series, rho = [], [], {}
    for name, pooled_points in pooled.items():
        a = np.array(pooled_points, dtype=float)
        rho[name] = _spearman(a[:, 0], a[:, 1])
        edges = np.quantile(a[:, 0], np.linspace(0, 1, 6))
        xs, ys = [], []
        for b, (lo, hi) in enumerate(itertools.pairwise(edges)):
            m = (a[:, 0] >= lo) & ((a[:, 0] <= hi) if b == 4 else (a[:, 0] < hi))
            if m.any():
                rows.append([name, f"{b + 1}/5", _r(lo, 3), _r(hi, 3), int(m.sum()), _r(a[m, 1].mean())])
                xs.append(float(a[m, 0].mean()))
                ys.append(float(a[m, 1].mean()))
        series.append((f"{name} (rho {rho[name]:.2f})", xs, ys))
    ok = all(math.isfinite(v) and v > 0.5 for v in rho.values())
    verdict = ("Spearman correlation of loss and index fraction: "
               + ", ".join(f"{k} {v:.2f}" for k, v in rho.items())
               + (". Low-loss critical points have few descent directions, high-loss ones many, as reported."
                  if ok else ". The correlation is weaker than reported."))
    return Report(["landscape", "loss quintile", "loss from", "loss to", "points", "mean index / max index"], rows,
                  Plot("index fraction against loss (loss scaled to [0, 1] per landscape)", "scaled loss",
                       "mean index / max index", series),
                  {"spearman": {k: _r(v) for k, v in rho.items()}},
                  "Bray & Dean 2007 (Gaussian fields): the index fraction of critical points rises "
                  "monotonically with their energy; Dauphin et al. 2014, Fig. 1: a strong, near-linear "
                  "correlation of training error and index in neural networks.",
                  verdict, ok)


STUDY = register(Study(
    "index-vs-loss", "High-loss critical points are saddles of high index",
    "The index of a critical point (its number of descent directions) grows with its loss.",
    "Bray & Dean 2007; Dauphin et al. 2014, Fig. 1",
    _ivl_items, _ivl_work, _ivl_analyse, {"landscape": "gaussian-field", "dim": 2}))

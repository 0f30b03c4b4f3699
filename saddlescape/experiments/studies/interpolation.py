"""Study interpolation: No barrier between initialisation and solution."""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .._framework import Plot, Report, Study, register
from ._common import _fmt, _r, _run


def _ip_items(quick: bool) -> list[dict]:
    return [{"skip": skip, "seed": s, "width": 16, "depth": 3, "steps": 3000 if quick else 20_000, "lr": 0.01,
             "points": 41} for skip in (False, True) for s in ((0,) if quick else (0, 1, 2))]


def _ip_work(item: dict) -> dict:
    land, r = _run("mlp", None, "adam", {"lr": item["lr"]}, walkers=2, steps=item["steps"], seed=item["seed"],
                   params={"width": item["width"], "depth": item["depth"], "skip": item["skip"]},
                   record_every=item["steps"])
    alpha = np.linspace(0.0, 1.0, item["points"])

    def line(a, b):
        return land.value(a[None] + alpha[:, None] * (b - a)[None]).tolist()

    return {"alpha": alpha.tolist(), "init_to_end": [line(r.x0[i], r.final_x[i]) for i in range(2)],
            "end_to_end": line(r.final_x[0], r.final_x[1]), "final_loss": r.final_loss.tolist()}


def _max_rise(f: np.ndarray) -> float:
    """Largest climb along the path, relative to the path's total drop (0: monotone decrease)."""
    drop = f[0] - f[-1]
    rise = float(np.max(f - np.minimum.accumulate(f)))
    return rise / drop if drop > 0 else float("inf")


def _ip_analyse(results: list[dict], quick: bool) -> Report:
    items = _ip_items(quick)
    rows, series, rises, barriers = [], [], [], defaultdict(list)
    for it, res in zip(items, results):
        e2e = np.array(res["end_to_end"])
        barrier = float(e2e.max() - max(e2e[0], e2e[-1]))
        barriers[it["skip"]].append(barrier / max(1e-12, float(np.array(res["init_to_end"][0])[0])))
        for i, path in enumerate(res["init_to_end"]):
            rises.append(_max_rise(np.array(path)))
            rows.append([it["skip"], it["seed"], f"start {i} -> its end", path[0], path[-1], max(path), rises[-1]])
        rows.append([it["skip"], it["seed"], "end 0 -> end 1", float(e2e[0]), float(e2e[-1]), float(e2e.max()),
                     barrier])
        if it["seed"] == items[0]["seed"]:
            series.append((f"end->end skip={it['skip']}", res["alpha"], e2e.tolist()))
            if not it["skip"]:
                series.append(("start->end", res["alpha"], res["init_to_end"][0]))
    worst = max(rises)
    b = {str(k): _r(float(np.mean(v)), 5) for k, v in barriers.items()}
    ok = worst < 0.01
    verdict = (f"from initialisation to the solution reached the loss falls monotonically (largest climb "
               f"{100 * worst:.2f}% of the drop over {len(rises)} paths); between two solutions the loss rises by "
               f"{_fmt(barriers[False][0] if barriers[False] else None)} (no skip) and "
               f"{_fmt(barriers[True][0] if barriers[True] else None)} (skip connections) of the starting loss. "
               + ("As Goodfellow et al. saw: no barrier on the way from the start." if ok
                  else "A barrier appears on the start-to-solution line, unlike the report."))
    return Report(["skip", "seed", "path", "loss at 0", "loss at 1", "highest loss", "climb (rel.) / barrier"], rows,
                  Plot("loss along straight lines (alpha from 0 to 1)", "alpha", "loss", series, logy=True),
                  {"largest_relative_climb_start_to_end": _r(worst, 5),
                   "mean_end_to_end_barrier_relative_to_start_loss": b},
                  "Goodfellow, Vinyals & Saxe 2015 (Figs. 1-4): the loss along the straight line from "
                  "initialisation to the solution SGD finds decreases monotonically; between two solutions there "
                  "can be a barrier. Li et al. 2018: skip connections make the landscape smoother.",
                  verdict, ok)


STUDY = register(Study(
    "interpolation", "No barrier between initialisation and solution",
    "The loss along the straight line from initialisation to the solution decreases monotonically; "
    "between two solutions it may rise.",
    "Goodfellow, Vinyals & Saxe 2015; Li et al. 2018",
    _ip_items, _ip_work, _ip_analyse, {"landscape": "mlp", "optimizers": ["adam"]}))

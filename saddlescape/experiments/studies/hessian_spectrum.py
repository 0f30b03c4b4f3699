"""Study hessian-spectrum: A neural network's Hessian: a bulk at zero and a few outliers."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._framework import Plot, Report, Study, register
from ._common import _fmt, _r, _run


def _hs_items(quick: bool) -> list[dict]:
    shape = {"width": 16, "depth": 1} if quick else {"width": 32, "depth": 2}
    return [{"params": shape, "seed": s, "steps": 4000 if quick else 20_000, "lr": 0.01}
            for s in ((0, 1) if quick else range(5))]


def _hs_work(item: dict) -> dict:
    land, r = _run("mlp", None, "adam", {"lr": item["lr"]}, walkers=1, steps=item["steps"], seed=item["seed"],
                   land_seed=item["seed"], params=item["params"], record_every=max(1, item["steps"] // 100))
    ev0 = np.linalg.eigvalsh(land.hessian(r.x0[0]))
    ev1 = np.linalg.eigvalsh(land.hessian(r.final_x[0]))
    return {"dim": land.dim, "loss_init": float(r.loss[0, 0]), "loss_trained": float(r.final_loss[0]),
            "eig_init": ev0.tolist(), "eig_trained": ev1.tolist()}


def _spectrum_stats(ev: np.ndarray) -> dict:
    top = float(ev.max())
    return {"lambda_max": top, "lambda_min": float(ev.min()),
            "bulk_fraction": float(np.mean(np.abs(ev) <= 0.01 * top)),
            "outliers": int(np.sum(ev > 0.1 * top)), "negative_fraction": float(np.mean(ev < -1e-9 * top))}


def _hs_analyse(results: list[dict], quick: bool) -> Report:
    items = _hs_items(quick)
    rows: list[list[Any]] = []
    stats: dict[str, list[dict]] = {"init": [], "trained": []}
    hist = {"init": np.zeros(30), "trained": np.zeros(30)}
    edges = np.linspace(-0.2, 1.0, 31)
    for it, res in zip(items, results):
        for phase in ("init", "trained"):
            ev = np.array(res[f"eig_{phase}"])
            s = _spectrum_stats(ev)
            stats[phase].append(s)
            hist[phase] += np.histogram(ev / s["lambda_max"], edges)[0]
            rows.append([it["seed"], phase, res["dim"], res[f"loss_{phase}"], _r(s["lambda_max"]),
                         _r(100 * s["bulk_fraction"], 1), s["outliers"], _r(100 * s["negative_fraction"], 1)])
    centres = ((edges[:-1] + edges[1:]) / 2).tolist()
    mean = {p: {k: _r(float(np.mean([s[k] for s in v]))) for k in ("bulk_fraction", "outliers", "lambda_max")}
            for p, v in stats.items()}
    dim = results[0]["dim"]
    t = mean["trained"]
    ok = t["bulk_fraction"] >= 0.5 and t["outliers"] <= 0.1 * dim
    verdict = (f"mlp with {dim} weights: after training {100 * t['bulk_fraction']:.0f}% of the eigenvalues lie within "
               f"1% of the largest of zero (at initialisation {100 * mean['init']['bulk_fraction']:.0f}%), with "
               f"{t['outliers']:.1f} outliers above 10% of lambda_max on average (lambda_max {_fmt(t['lambda_max'])}). "
               + ("A bulk near zero plus a few outliers, as Sagun et al. report." if ok
                  else "The spectrum is not concentrated as reported."))
    return Report(["seed", "phase", "weights", "loss", "lambda_max", "bulk |lambda|<=1% max %", "outliers >10% max",
                   "negative %"], rows,
                  Plot("Hessian eigenvalue histogram (lambda / lambda_max)", "lambda / lambda_max", "count",
                       [("initialisation", centres, hist["init"].tolist()),
                        ("trained", centres, hist["trained"].tolist())], logy=True),
                  {"mean": mean, "weights": dim},
                  "Sagun, Bottou & LeCun 2016 (Figs. 1-3): the Hessian of a neural network's loss has a bulk "
                  "of eigenvalues concentrated at zero and a few large outliers; training sharpens this.",
                  verdict, ok)


STUDY = register(Study(
    "hessian-spectrum", "A neural network's Hessian: a bulk at zero and a few outliers",
    "The Hessian spectrum of a small network concentrates near zero, with a few large outliers.",
    "Sagun, Bottou & LeCun 2016",
    _hs_items, _hs_work, _hs_analyse, {"landscape": "mlp", "optimizers": ["adam"]}))

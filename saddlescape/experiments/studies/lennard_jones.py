"""Study lennard-jones: Atomic clusters keep exponentially many minima."""
from __future__ import annotations

import math

from .._framework import Plot, Report, Study, register
from ._common import _fmt, _r, _run, _slope


def _lj_items(quick: bool) -> list[dict]:
    atoms = (3, 4, 5, 6, 7) if quick else tuple(range(3, 14))
    return [{"atoms": n, "starts": 300 if quick else 5000, "seed": 0, "quench_steps": 3000} for n in atoms]


def _lj_work(item: dict) -> dict:
    """Quench random clusters with Adam, then Newton-polish and de-duplicate the minima reached
    (a census straight from random boxes converges rarely: overlapping atoms)."""
    land, r = _run("lennard-jones", 3 * item["atoms"], "adam", {"lr": 0.01}, walkers=item["starts"],
                   steps=item["quench_steps"], seed=item["seed"], record_every=item["quench_steps"])
    import saddlescape

    c = saddlescape.census(land, x0=r.final_x[~r.diverged], seed=item["seed"], method="minima")
    minima = [cp["value"] for cp in c.critical_points if cp["index"] == 0 and not cp["degenerate"]]
    return {"n_minima": len(minima), "lowest": min(minima) if minima else None, "n_polished": c.n_converged,
            "global_min": land.known.get("global_min_value"), "published_minima": land.theory.get("n_local_minima")}


def _lj_analyse(results: list[dict], quick: bool) -> Report:
    items = _lj_items(quick)
    rows, ns, found, published = [], [], [], []
    all_low, counted = True, []
    for it, res in zip(items, results):
        n = it["atoms"]
        gap = None if res["lowest"] is None or res["global_min"] is None else res["lowest"] - res["global_min"]
        low_ok = gap is not None and abs(gap) < 1e-6
        all_low &= low_ok
        if res["published_minima"] is not None:
            counted.append((n, res["n_minima"], res["published_minima"]))
        rows.append([n, it["starts"], res["n_minima"], res["published_minima"], _r(res["lowest"], 6),
                     res["global_min"], "yes" if low_ok else "NO"])
        ns.append(n)
        found.append(res["n_minima"])
        published.append(res["published_minima"])
    complete = [(n, f, p) for n, f, p in counted if f == p]
    grow = _slope(ns, [math.log(f) if f > 0 else None for f in found])
    factor = math.exp(grow) if grow is not None else None
    ok = all_low and all(f <= p for _, f, p in counted) and bool(complete) and factor is not None and factor > 1
    short = [f"N={n}" for n, f, p in counted if f < p]
    verdict = (f"lowest energy found equals the published global minimum for every N "
               f"({'yes' if all_low else 'NO'}); distinct minima found / published: "
               + ", ".join(f"N={n}: {f}/{p}" for n, f, p in counted)
               + f"; the count found grows by a factor {_fmt(factor)} per added atom "
               f"({found[0]} at N={ns[0]} to {found[-1]} at N={ns[-1]})"
               + (f". At {', '.join(short)} {items[-1]['starts']:,} quenches miss minima with small basins: the "
                  f"published counts come from exhaustive basin-hopping searches." if short else "."))
    pub = [(n, p) for n, p in zip(ns, published) if p is not None]
    return Report(["atoms N", "quenches", "minima found", "published minima", "lowest found", "published global min",
                   "global found"], rows,
                  Plot("distinct minima against cluster size", "atoms N", "minima",
                       [("found", ns, found), ("published", [n for n, _ in pub], [p for _, p in pub])], logy=True),
                  {"all_global_minima_found": all_low, "minima_found": dict(zip(map(str, ns), found))},
                  "Wales & Doye 1997 (Cambridge Cluster Database): global minima -3, -6, -9.1039, -12.7121, "
                  "-16.5054, ... for N = 3, 4, 5, 6, 7; Tsai & Jordan 1993 / Doye: 2, 4, 8, 21, 64, 170, 515, 1509 "
                  "minima for N = 6..13 (exponential growth).",
                  verdict, ok)


STUDY = register(Study(
    "lennard-jones", "Atomic clusters keep exponentially many minima",
    "The number of distinct minima of Lennard-Jones clusters grows exponentially with N; the lowest "
    "ones found match the published global minima.",
    "Wales & Doye 1997; Tsai & Jordan 1993",
    _lj_items, _lj_work, _lj_analyse, {"landscape": "lennard-jones", "dim": 21, "optimizers": ["gd"]}))

"""Study p-spin-energies: Gradient descent on a spin glass stops at the threshold."""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .._framework import Plot, Report, Study, register
from ._common import _fmt, _r, _run, _slope


def _pe_items(quick: bool) -> list[dict]:
    dims = (32, 64, 128) if quick else (32, 64, 128, 256)
    return [{"dim": n, "seed": s, "walkers": 8, "steps": 2000 if quick else 3000, "lr": 0.1}
            for n in dims for s in ((0, 1) if quick else range(4))]


def _pe_work(item: dict) -> dict:
    land, r = _run("p-spin", item["dim"], "gd", {"lr": item["lr"]}, walkers=item["walkers"], steps=item["steps"],
                   seed=item["seed"], land_seed=item["seed"], record_every=item["steps"])
    return {"energy_per_spin": (r.final_loss / item["dim"]).tolist(),
            "threshold": land.theory["threshold_energy_per_spin"],
            "ground_state": land.theory["ground_state_energy_per_spin"]}


def _pe_analyse(results: list[dict], quick: bool) -> Report:
    items = _pe_items(quick)
    by_n: dict[int, list] = defaultdict(list)
    for it, res in zip(items, results):
        by_n[it["dim"]] += res["energy_per_spin"]
    e_th, e_gs = results[0]["threshold"], results[0]["ground_state"]
    rows, ns, means = [], [], []
    for n, es in sorted(by_n.items()):
        e = np.array(es)
        rows.append([n, len(e), _r(e.mean()), _r(e.std()), _r(e.min()), _r(e.mean() - e_th)])
        ns.append(n)
        means.append(float(e.mean()))
    gaps = [m - e_th for m in means]
    b = _slope([math.log(n) for n in ns], [math.log(g) if g > 0 else None for g in gaps])
    above = all(m > e_gs for m in means)
    below = [n for n in ns if min(by_n[n]) < e_gs]
    ok = above and gaps[-1] < gaps[0] and b is not None and b < 0
    verdict = (f"mean final energy per spin {' -> '.join(_fmt(v, '.3f') for v in means)} for N = "
               f"{' -> '.join(map(str, ns))}: the mean stays above the ground state {e_gs:.3f} "
               f"({'yes' if above else 'NO'}) and its gap to the threshold {e_th:.3f} shrinks like N^{_fmt(b, '.2f')} "
               f"({gaps[0]:.3f} -> {gaps[-1]:.3f}). At these sizes GD stops in minima above the threshold; the "
               f"large-N limit is the threshold, not the ground state"
               + (f" (single walkers at N = {', '.join(map(str, below))} dip below the N = infinity ground state: "
                  f"finite-size fluctuations). " if below else ". ")
               + ("Consistent with the theory." if ok else "This does not match the theory."))
    return Report(["N", "walkers", "mean E/N", "std", "lowest E/N", "mean - threshold"], rows,
                  Plot("final energy per spin of GD against N", "N", "E/N",
                       [("GD mean", ns, means), ("threshold", ns, [e_th] * len(ns)),
                        ("ground state", ns, [e_gs] * len(ns))], logx=True),
                  {"mean_energy_per_spin": dict(zip(map(str, ns), map(_r, means))), "gap_exponent": _r(b),
                   "threshold": _r(e_th), "ground_state": _r(e_gs)},
                  "Cugliandolo & Kurchan 1993: gradient descent from random starts on the spherical p-spin "
                  "glass reaches the threshold energy -2 sqrt((p-1)/p) = -1.633 (p=3) as N grows, not the ground "
                  "state -1.6570 (Crisanti & Sommers 1992; Auffinger, Ben Arous & Cerny 2013; Subag 2017; energies "
                  "per spin with E[H(x)H(y)] = N (x.y/N)^p: Crisanti & Sommers' convention divides them by "
                  "sqrt(2)); at finite N the "
                  "energies reached lie above the threshold (Folena et al. 2020).",
                  verdict, ok)


STUDY = register(Study(
    "p-spin-energies", "Gradient descent on a spin glass stops at the threshold",
    "GD on the spherical 3-spin glass ends at the threshold energy, above the ground state.",
    "Cugliandolo & Kurchan 1993; Crisanti & Sommers 1992",
    _pe_items, _pe_work, _pe_analyse, {"landscape": "p-spin", "dim": 50, "optimizers": ["gd"]}))

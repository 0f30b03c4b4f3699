"""Study benign-landscapes: where "every local minimum is global" is a theorem, and where it fails."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from .._framework import Plot, Report, Study, register
from ._common import _fmt, _median, _r

OPTIMIZERS = ("gd", "perturbed-gd", "adam", "saddle-free-newton")
NEWTON_STEPS = 300  # saddle-free Newton converges in tens of steps where it converges at all

@dataclass(frozen=True)
class Sweep:
    """One family's part: its regime parameter, the values swept, fixed parameters, the budget."""

    regime: str
    quick: tuple[float, ...]
    full: tuple[float, ...]
    fixed: dict = field(default_factory=dict)
    dim: int | None = None
    steps: int = 3000
    walkers: tuple[int, int] = (8, 32)  # quick, full

    def values(self, quick: bool) -> tuple[float, ...]:
        return self.quick if quick else self.full


GRID: dict[str, Sweep] = {
    "matrix-factorization": Sweep("n", (4, 8), (4, 8, 16, 32), {"r": 2}, steps=1500),
    "matrix-sensing": Sweep("measurements", (8, 55), (6, 8, 11, 16, 22, 33, 55), {"n": 6, "r": 2}),
    "deep-linear": Sweep("depth", (2, 3), (2, 3, 4, 5)),
    "phase-retrieval": Sweep("ratio", (2.0, 8.0), (1.5, 2.0, 3.0, 4.0, 6.0, 8.0), dim=10),
    "tensor-pca": Sweep("snr", (1.0, 10.0), (1.0, 2.0, 4.0, 6.0, 10.0, 15.0), {"p": 3}, dim=30, steps=2000),
    "teacher-student": Sweep("students", (4, 10), (4, 6, 8, 10, 12), walkers=(16, 64)),
}
WHAT = {"matrix-factorization": "global minimum (loss gap < 1e-6)",
        "matrix-sensing": "truth recovered (|UU^T - M*|/|M*| < 1e-3)",
        "deep-linear": "global minimum (loss gap < 1e-6)",
        "phase-retrieval": "+-x* recovered (distance < 1e-3)",
        "tensor-pca": "spike recovered (|overlap| >= 0.9)",
        "teacher-student": "global minimum (loss < 1e-4)"}
ORIGIN_INIT = 0.05  # deep-linear starts this close to the origin saddle for the escape-time part


def _bl_items(quick: bool) -> list[dict]:
    items: list[dict] = []
    for family, sw in GRID.items():
        for value in sw.values(quick):
            items.append({"kind": "success", "family": family, "regime": sw.regime, "value": value,
                          "params": {**sw.fixed, sw.regime: value}, "dim": sw.dim, "steps": sw.steps,
                          "walkers": sw.walkers[0] if quick else sw.walkers[1], "seed": 0})
    for depth in [2, 3, 4] if quick else [2, 3, 4, 5]:
        items.append({"kind": "origin", "depth": depth, "init": ORIGIN_INIT, "walkers": 8 if quick else 32,
                      "steps": 20_000 if quick else 200_000, "seed": 0})
    return items


POLISH_STEPS = 200  # plain GD after each run: perturbed GD's last kick or Langevin-like noise taken out


def _outcome(land, res, family: str) -> tuple[np.ndarray, np.ndarray]:
    """Per walker: reached what the family counts as success; stopped at some other critical point.
    Judged after ``POLISH_STEPS`` of plain GD from where the run ended (a walker near a minimum
    falls into it; one at a saddle stays there far longer than that)."""
    import saddlescape

    live = ~res.diverged
    ok = np.zeros(res.walkers, bool)
    stuck = np.zeros(res.walkers, bool)
    if not live.any():
        return ok, stuck
    pol = saddlescape.run(land, "gd", walkers=int(live.sum()), steps=POLISH_STEPS, x0=res.final_x[live],
                          record_every=POLISH_STEPS, detect=False)
    F = np.where(pol.diverged, np.inf, pol.final_loss)
    X = np.ascontiguousarray(pol.final_x)
    gnorm = np.linalg.norm(land.grad(X), axis=1)
    measures = land.measure(X)
    if family == "matrix-sensing":
        good = measures["error"] < 1e-3
    elif family == "phase-retrieval":
        good = measures["distance"] < 1e-3
    elif family == "tensor-pca":
        good = np.abs(measures["overlap"]) >= 0.9
    elif family == "teacher-student":
        good = F < 1e-4
    else:
        best = land.known["global_min_value"]
        good = F - best < 1e-6 * (1.0 + abs(best))
    good &= np.isfinite(F)
    ok[live] = good
    tol = 1e-3 * (1.0 + np.abs(np.where(np.isfinite(F), F, 0.0)))
    stuck[live] = ~good & (gnorm < tol)
    return ok, stuck


def _bl_work(item: dict) -> dict:
    import saddlescape
    from saddlescape import landscapes, optimizers

    if item["kind"] == "origin":
        land = landscapes.make("deep-linear", depth=item["depth"], init=item["init"], seed=item["seed"])
        f0 = land.known["origin"]["value"]
        target = f0 - 0.1 * (f0 - land.known["global_min_value"])  # a tenth of the way down
        res = saddlescape.run(land, optimizers.make("gd"), walkers=item["walkers"], steps=item["steps"],
                              seed=item["seed"], record_every=10, detect=False)
        if not res.complete:  # a Ctrl-C'd run is not a finished item
            raise KeyboardInterrupt
        below = res.loss < target
        waits = [int(res.record_steps[np.argmax(below[:, b])]) if below[:, b].any() else None
                 for b in range(res.walkers)]
        return {"steps_at_origin": waits, "lr": res.optimizer["hyper"]["lr"],
                "start_loss": float(np.mean(land.value(res.x0)))}
    land = landscapes.make(item["family"], dim=item["dim"], seed=item["seed"], **item["params"])
    X0 = land.sample(item["walkers"], seed=item["seed"])
    out: dict = {"dim": land.dim, "degrees_of_freedom": land.known.get("degrees_of_freedom")}
    for name in OPTIMIZERS:
        steps = min(int(item["steps"]), NEWTON_STEPS) if "newton" in name else int(item["steps"])
        res = saddlescape.run(land, optimizers.make(name), walkers=item["walkers"], steps=steps,
                              seed=item["seed"], x0=X0, record_every=steps, detect=False)
        if not res.complete:
            raise KeyboardInterrupt
        ok, stuck = _outcome(land, res, item["family"])
        out[name] = {"success": float(ok.mean()), "stuck": float(stuck.mean()),
                     "diverged": int(res.diverged.sum()), "steps": steps}
    return out


def _bl_analyse(results: list[dict], quick: bool) -> Report:
    items = _bl_items(quick)
    rows: list[list] = []
    m: dict = {}
    origin: dict[int, float] = {}  # depth -> median steps at the origin (nan: most never left)
    for it, res in zip(items, results):
        if it["kind"] == "origin":
            med = _median([s for s in res["steps_at_origin"] if s is not None])
            censored = sum(s is None for s in res["steps_at_origin"])
            origin[it["depth"]] = math.nan if med is None else med
            m[f"deep-linear origin depth={it['depth']}"] = {"median_steps": med, "not_escaped": censored,
                                                            "of": len(res["steps_at_origin"]), "lr": res["lr"]}
            continue
        key = f"{it['family']} {it['regime']}={it['value']:g}"
        m[key] = {"dim": res["dim"], "degrees_of_freedom": res.get("degrees_of_freedom"),
                  **{o: {k: _r(v) for k, v in res[o].items()} for o in OPTIMIZERS}}
        for o in OPTIMIZERS:
            r = res[o]
            rows.append([it["family"], f"{it['regime']}={it['value']:g}", res["dim"], o, _r(r["success"]),
                         _r(r["stuck"]), r["diverged"]])

    def success(family: str, value, opt: str = "gd") -> float:
        return m[f"{family} {GRID[family].regime}={value:g}"][opt]["success"]

    lo = {f: GRID[f].values(quick)[0] for f in GRID}
    hi = {f: GRID[f].values(quick)[-1] for f in GRID}
    first_order = ("gd", "perturbed-gd", "adam")
    checks = {
        "matrix-factorization: every first-order run reaches the global minimum":
            all(success("matrix-factorization", v, o) >= 0.99 for v in GRID["matrix-factorization"].values(quick)
                for o in first_order),
        "matrix-sensing: recovered with many measurements, not with fewer than the unknowns":
            success("matrix-sensing", hi["matrix-sensing"]) >= 0.9 and success("matrix-sensing", lo["matrix-sensing"]) <= 0.2,
        "deep-linear: the global minimum from every start": all(
            success("deep-linear", v, "gd") >= 0.99 for v in GRID["deep-linear"].values(quick)),
        "phase-retrieval: more measurements, more recoveries":
            success("phase-retrieval", hi["phase-retrieval"]) > success("phase-retrieval", lo["phase-retrieval"]),
        "tensor-pca: strong signals recovered, weak ones not":
            success("tensor-pca", hi["tensor-pca"]) >= 0.5 and success("tensor-pca", lo["tensor-pca"]) <= 0.2,
        "teacher-student: spurious minima appear with more units":
            m[f"teacher-student students={hi['teacher-student']:g}"]["gd"]["stuck"]
            > m[f"teacher-student students={lo['teacher-student']:g}"]["gd"]["stuck"],
        "deep-linear: the origin holds GD longer at every extra layer": all(
            origin[b] > origin[a] for a, b in itertools.pairwise(sorted(origin))),
    }
    m["checks"] = checks
    depths = sorted(origin)
    growth = [origin[b] / origin[a] for a, b in itertools.pairwise(depths) if origin[a] > 0]
    ts_hi = m[f"teacher-student students={hi['teacher-student']:g}"]
    mf_values = GRID["matrix-factorization"].values(quick)
    mf_worst = min(success("matrix-factorization", v, o) for v in mf_values for o in first_order)
    ms_hi, ms_lo = success("matrix-sensing", hi["matrix-sensing"]), success("matrix-sensing", lo["matrix-sensing"])
    unknowns = m[f"matrix-sensing measurements={lo['matrix-sensing']:g}"]["degrees_of_freedom"]
    pr_hi, pr_lo = success("phase-retrieval", hi["phase-retrieval"]), success("phase-retrieval", lo["phase-retrieval"])
    tp_hi, tp_lo = success("tensor-pca", hi["tensor-pca"]), success("tensor-pca", lo["tensor-pca"])
    verdict = (
        f"Benign where proved: matrix-factorization at n={', '.join(str(v) for v in mf_values)} reached its global "
        f"minimum from at least {100 * mf_worst:.0f}% of the starts with gd, perturbed-gd and adam; matrix-sensing "
        f"recovered the truth from {100 * ms_hi:.0f}% of gd runs with {hi['matrix-sensing']} measurements and "
        f"{100 * ms_lo:.0f}% with {lo['matrix-sensing']} (fewer than its {unknowns} unknowns: zero loss away from the "
        f"truth). Phase retrieval at ratio {hi['phase-retrieval']:g}: {100 * pr_hi:.0f}% recovered, at "
        f"{lo['phase-retrieval']:g}: {100 * pr_lo:.0f}%. Tensor PCA (p=3, N=30): {100 * tp_hi:.0f}% recovered at snr "
        f"{hi['tensor-pca']:g}, {100 * tp_lo:.0f}% at {lo['tensor-pca']:g}. Teacher-student with "
        f"{hi['teacher-student']} units: {100 * ts_hi['gd']['success']:.0f}% of gd runs fit the teacher, "
        f"{100 * ts_hi['gd']['stuck']:.0f}% stopped at a spurious critical point (adam {100 * ts_hi['adam']['stuck']:.0f}%). "
        f"Deep-linear from {ORIGIN_INIT} away from the origin, median steps there at depth "
        + ", ".join(f"{d}: {_fmt(origin[d]) if math.isfinite(origin[d]) else 'most never left'}" for d in depths)
        + (f" (x{', x'.join(f'{g:.1f}' for g in growth if math.isfinite(g))} per layer)" if growth else "") + ". "
        + ("Every check holds." if all(checks.values()) else
           "Failed: " + "; ".join(k for k, v in checks.items() if not v) + "."))
    series = [("gd", depths, [origin[d] for d in depths])]
    return Report(["family", "regime", "dim", "optimizer", "success", "stuck elsewhere", "diverged"], rows,
                  Plot("deep-linear: median GD steps at the origin saddle against depth", "depth", "steps",
                       series, logy=True),
                  m,
                  "Ge, Jin & Zheng 2017 (matrix factorization and sensing under RIP: no spurious local minima); "
                  "Kawaguchi 2016 (deep linear networks: every local minimum global; the origin a higher-order "
                  "saddle for depth >= 3, where gradient flow from scale e waits ~ e^-(L-2)); Sun, Qu & Wright 2018 "
                  "(phase retrieval, benign with enough measurements); Ben Arous, Gheissari & Jagannath 2020 "
                  "(tensor PCA: recovery from random starts needs a strong signal); Safran & Shamir 2018 (ReLU "
                  "teacher-student: spurious local minima for k >= 6, hit more often as k grows).",
                  verdict, all(checks.values()))


STUDY = register(Study(
    "benign-landscapes", "Benign non-convex landscapes, and where they stop being benign",
    "Where theory proves every local minimum global (matrix factorization, sensing under RIP, deep linear "
    "networks, phase retrieval with enough measurements) optimizers reach the global minimum from any start; "
    "with too few measurements, a weak signal or a ReLU teacher of 6+ units they do not.",
    "Ge, Jin & Zheng 2017; Kawaguchi 2016; Sun, Qu & Wright 2018; Ben Arous et al. 2020; Safran & Shamir 2018",
    _bl_items, _bl_work, _bl_analyse, {"landscape": "matrix-factorization", "optimizers": ["gd", "adam"]}))

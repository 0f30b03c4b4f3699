"""The nine studies: each a claim, its source, a sweep of work items and an analysis.

Work functions import Numba-backed code lazily, so ``saddlescape experiment list`` stays light.
Every number a verdict quotes comes from the results passed to ``analyse``.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from ._framework import Plot, Report, Study

# ------------------------------------------------------------------------------ helpers


def _census(name: str, dim: int, seed: int, starts: int, method: str = "newton", **params: Any):
    import landscapes
    import saddlescape

    land = landscapes.make(name, dim=dim, seed=seed, **params)
    return land, saddlescape.census(land, starts=starts, seed=seed, method=method)


def _run(name: str, dim: int | None, optimizer: str, hyper: dict, *, walkers: int, steps: int, seed: int,
         x0=None, land_seed: int = 0, params: dict | None = None, record_every: int = 1):
    import landscapes
    import optimizers
    import saddlescape

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


# ------------------------------------------------------------------------------ 1 minima-vs-dimension

_MVD = {"styblinski-tang": ((1, 2, 3, 4, 5), tuple(range(1, 9)), (0,), (0,)),
        "gaussian-field": ((2, 3, 4, 5, 6), tuple(range(2, 10)), (0, 1), tuple(range(5))),
        "p-spin": ((4, 6, 8, 10), tuple(range(4, 17, 2)), (0, 1), tuple(range(5)))}


def _mvd_items(quick: bool) -> list[dict]:
    out = []
    for name, (qd, fd, qs, fs) in _MVD.items():
        for dim in (qd if quick else fd):
            for seed in (qs if quick else fs):
                starts = 40 * 3 ** dim if name == "styblinski-tang" else (400 if quick else 4000)
                out.append({"landscape": name, "dim": dim, "seed": seed, "starts": starts})
    return out


def _mvd_work(item: dict) -> dict:
    _, c = _census(item["landscape"], item["dim"], item["seed"], item["starts"])
    counts = c.counts_by_index
    n = sum(counts.values())
    return {"counts_by_index": {str(k): v for k, v in sorted(counts.items())}, "n_critical": n,
            "n_minima": c.n_minima, "n_degenerate": c.n_degenerate, "n_converged": c.n_converged,
            "fraction_minima": c.n_minima / n if n else None}


def _mvd_analyse(results: list[dict], quick: bool) -> Report:
    items = _mvd_items(quick)
    groups: dict[tuple, list] = defaultdict(list)
    for it, res in zip(items, results):
        groups[(it["landscape"], it["dim"])].append(res)
    rows, series, slopes, exact_ok = [], defaultdict(lambda: ([], [])), {}, True
    for (name, dim), rs in groups.items():
        crit = float(np.mean([r["n_critical"] for r in rs]))
        mins = float(np.mean([r["n_minima"] for r in rs]))
        frac = float(np.mean([r["fraction_minima"] or 0.0 for r in rs]))
        exact, match = "", ""
        if name == "styblinski-tang":
            want = {str(k): math.comb(dim, k) * 2 ** (dim - k) for k in range(dim + 1)}
            ok = all(r["counts_by_index"] == want and r["n_degenerate"] == 0 for r in rs)
            exact_ok &= ok
            exact, match = _r((2 / 3) ** dim, 6), "yes" if ok else "NO"
        rows.append([name, dim, len(rs), crit, mins, _r(frac, 6), exact, match])
        series[name][0].append(dim)
        series[name][1].append(frac)
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
    return Report(["landscape", "D", "seeds", "critical points", "minima", "fraction minima",
                   "exact fraction", "exact counts"], rows,
                  Plot("fraction of critical points that are minima", "dimension D", "fraction minima",
                       [(k, v[0], v[1]) for k, v in series.items()], logy=True),
                  measured,
                  "Bray & Dean 2007 (Gaussian fields), Auffinger, Ben Arous & Cerny 2013 (p-spin): minima "
                  "are an exponentially small fraction of critical points as D grows; for a separable sum "
                  "of 1-D double wells the fraction is exactly (2/3)^D.",
                  verdict, bool(exact_ok and falling))


# ------------------------------------------------------------------------------ 2 index-vs-loss

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
    for name, pts in pooled.items():
        a = np.array(pts)
        rho[name] = _spearman(a[:, 0], a[:, 1])
        edges = np.quantile(a[:, 0], np.linspace(0, 1, 6))
        xs, ys = [], []
        for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
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


# ------------------------------------------------------------------------------ 3 saddle-attraction

_SA_PARAMS = {"negative": 3, "quartic": 1.0}
_SA_OPTS = (("newton", {}), ("saddle-free-newton", {}), ("gd", {"lr": 0.05}), ("momentum", {"lr": 0.05}),
            ("adam", {"lr": 0.01}), ("perturbed-gd", {"lr": 0.05}))


def _sa_items(quick: bool) -> list[dict]:
    return [{"optimizer": o, "hyper": h, "seed": s, "walkers": 32 if quick else 256, "steps": 1000 if quick else 5000,
             "dim": 10, "offset": 1e-3} for o, h in _SA_OPTS for s in ((0,) if quick else (0, 1, 2))]


def _sa_work(item: dict) -> dict:
    D, B = item["dim"], item["walkers"]
    x0 = item["offset"] * np.random.default_rng(item["seed"]).standard_normal((B, D)) / math.sqrt(D)
    land, r = _run("saddle", D, item["optimizer"], item["hyper"], walkers=B, steps=item["steps"],
                   seed=item["seed"], x0=x0, params=_SA_PARAMS)
    fmin = land.known["global_min_value"]  # the saddle is at the origin with value 0
    first = _first_below(np.vstack([r.loss, r.final_loss[None]]), 0.01 * fmin)
    at_saddle = np.linalg.norm(r.final_x, axis=1) < 1e-6
    return {"escape_steps": [int(r.record_steps[f]) if 0 <= f < len(r.record_steps) else (r.steps if f >= 0 else None)
                             for f in first],
            "at_saddle": int(at_saddle.sum()), "at_minimum": int((np.abs(r.final_loss - fmin) < 1e-6).sum()),
            "diverged": int(r.diverged.sum()), "walkers": B, "steps": r.steps}


def _sa_analyse(results: list[dict], quick: bool) -> Report:
    items = _sa_items(quick)
    agg: dict[str, dict] = {}
    for it, res in zip(items, results):
        a = agg.setdefault(it["optimizer"], {"esc": [], "walkers": 0, "at_saddle": 0, "at_min": 0, "steps": res["steps"]})
        a["esc"] += res["escape_steps"]
        a["walkers"] += res["walkers"]
        a["at_saddle"] += res["at_saddle"]
        a["at_min"] += res["at_minimum"]
    rows, series, m = [], [], {}
    for name, a in agg.items():
        esc = [e for e in a["esc"] if e is not None]
        frac = len(esc) / a["walkers"]
        med = _median(esc)
        m[name] = {"escaped": _r(frac), "converged_to_saddle": _r(a["at_saddle"] / a["walkers"]),
                   "median_escape_steps": med}
        rows.append([name, a["walkers"], _r(100 * frac, 1), _r(100 * a["at_saddle"] / a["walkers"], 1),
                     _r(100 * a["at_min"] / a["walkers"], 1), med])
        grid = np.unique(np.geomspace(1, a["steps"], 24).astype(int))
        series.append((name, grid.tolist(), [sum(e <= g for e in esc) / a["walkers"] for g in grid]))
    n, sfn, gd = m["newton"], m["saddle-free-newton"], m["gd"]
    ok = (n["converged_to_saddle"] >= 0.9 and sfn["escaped"] == 1.0 and gd["escaped"] > 0
          and sfn["median_escape_steps"] < gd["median_escape_steps"])
    verdict = (f"Newton converged to the saddle from {100 * n['converged_to_saddle']:.0f}% of starts; saddle-free "
               f"Newton escaped from {100 * sfn['escaped']:.0f}% in a median {_fmt(sfn['median_escape_steps'])} steps, "
               f"GD from {100 * gd['escaped']:.0f}% in {_fmt(gd['median_escape_steps'])} steps, momentum in "
               f"{_fmt(m['momentum']['median_escape_steps'])}, Adam in {_fmt(m['adam']['median_escape_steps'])}, "
               f"perturbed GD in {_fmt(m['perturbed-gd']['median_escape_steps'])}. "
               + ("As Dauphin et al. report: Newton is attracted to saddles, saddle-free Newton is repelled fastest."
                  if ok else "This does not match the reported behaviour."))
    return Report(["optimizer", "walkers", "escaped %", "converged to saddle %", "reached a minimum %",
                   "median escape steps"], rows,
                  Plot("fraction of walkers escaped against steps (index-3 saddle, D=10, starts 1e-3 away)",
                       "step", "fraction escaped", series, logx=True),
                  m,
                  "Dauphin et al. 2014 (Sec. 4, Fig. 2 toy): Newton's method is attracted to saddle points "
                  "and converges to them; gradient descent is repelled but slowly near them; saddle-free "
                  "Newton (|H|^-1 g) escapes fastest. Pascanu et al. 2014; Jin et al. 2017 (perturbations).",
                  verdict, ok)


# ------------------------------------------------------------------------------ 4 escape-time-vs-dimension

# SGD's noise is small: at fixed lr its stationary spread over D stable directions raises the loss
# by ~ D lr noise^2 / 4, which at noise 0.1 and D = 10^4 hides the escape (the loss never drops
# below the saddle's value although the walker left it)
_ET_OPTS = (("gd", {"lr": 0.05}), ("sgd", {"lr": 0.05, "noise": 0.01}), ("perturbed-gd", {"lr": 0.05}),
            ("momentum", {"lr": 0.05}), ("adam", {"lr": 0.01}))


def _et_items(quick: bool) -> list[dict]:
    dims = (10, 100, 1000) if quick else (10, 100, 1000, 10_000)
    return [{"optimizer": o, "hyper": h, "dim": d, "start": s, "walkers": 16 if quick else 32,
             "steps": 3000 if quick else 10_000, "seed": 0}
            for o, h in _ET_OPTS for d in dims for s in ("at", "near")]


def _et_work(item: dict) -> dict:
    D, B = item["dim"], item["walkers"]
    if item["start"] == "at":
        x0 = np.zeros((B, D))
    else:  # 1e-6 away in a uniformly random direction: the descent component shrinks like 1/sqrt(D)
        g = np.random.default_rng(item["seed"]).standard_normal((B, D))
        x0 = 1e-6 * g / np.linalg.norm(g, axis=1, keepdims=True)
    land, r = _run("saddle", D, item["optimizer"], item["hyper"], walkers=B, steps=item["steps"],
                   seed=item["seed"], x0=x0, params={"negative": 1, "quartic": 1.0})
    first = _first_below(np.vstack([r.loss, r.final_loss[None]]), 0.01 * land.known["global_min_value"])
    steps = [int(r.record_steps[f]) if 0 <= f < len(r.record_steps) else (r.steps if f >= 0 else None) for f in first]
    return {"escape_steps": steps, "steps": r.steps, "walkers": B}


def _et_analyse(results: list[dict], quick: bool) -> Report:
    items = _et_items(quick)
    rows, series, m = [], [], {}
    curves: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
    for it, res in zip(items, results):
        esc = [e for e in res["escape_steps"] if e is not None]
        frac = len(esc) / res["walkers"]
        med = _median(esc)
        rows.append([it["optimizer"], it["start"], it["dim"], _r(100 * frac, 1), med])
        m.setdefault(f"{it['optimizer']} {it['start']}", {})[str(it["dim"])] = {"escaped": _r(frac), "median_steps": med}
        if med is not None:
            curves[(it["optimizer"], it["start"])][0].append(it["dim"])
            curves[(it["optimizer"], it["start"])][1].append(med)
    growth = {}
    for (opt, start), (xs, ys) in curves.items():
        series.append((f"{opt} ({start})", xs, ys))
        s = _slope([math.log10(x) for x in xs], ys)
        growth[f"{opt} {start}"] = _r(s, 2)
    dims = sorted({it["dim"] for it in items})

    def esc(opt, start):
        return [m[f"{opt} {start}"][str(d)]["escaped"] for d in dims]

    stuck = all(max(esc(o, "at")) == 0 for o in ("gd", "momentum", "adam"))
    freed = all(min(esc(o, "at")) == 1 for o in ("perturbed-gd", "sgd"))
    pg = curves[("perturbed-gd", "at")][1]
    poly = len(pg) == len(dims) and pg[-1] / pg[0] < math.sqrt(dims[-1] / dims[0])
    ok = stuck and freed and poly
    verdict = (f"Started on the saddle itself, GD, momentum and Adam never escape ({'0%' if stuck else 'some escape'} "
               f"at every D) while perturbed GD and noisy SGD always do ({'100%' if freed else 'not always'}); "
               f"perturbed GD's median escape steps go {' -> '.join(_fmt(v) for v in pg)} over D = "
               f"{' -> '.join(map(str, dims))} (growth per decade of D: {_fmt(growth.get('perturbed-gd at'))} steps), "
               f"polylogarithmic, not polynomial. From a start 1e-6 away GD escapes too, in steps growing like log D "
               f"({_fmt(growth.get('gd near'))} steps per decade). Du et al.'s exponential slow-down needs a chain of "
               f"saddles, which this single-saddle landscape does not have; it is not reproduced here.")
    return Report(["optimizer", "start", "D", "escaped %", "median escape steps"], rows,
                  Plot("median escape steps against dimension (index-1 saddle)", "dimension D", "median escape steps",
                       series, logx=True),
                  {"by_optimizer": m, "steps_per_decade_of_D": growth},
                  "Jin et al. 2017: perturbed GD escapes strict saddles in a number of steps polylogarithmic in D; "
                  "Du et al. 2017: without perturbation GD can take exponentially long (on a chain of saddles); "
                  "from a point on the saddle's stable manifold GD never leaves.",
                  verdict, ok)


# ------------------------------------------------------------------------------ 5 hessian-spectrum

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
    rows, stats = [], {"init": [], "trained": []}
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


# ------------------------------------------------------------------------------ 6 no-minimum

def _nm_items(quick: bool) -> list[dict]:
    # 20 points: few enough that the max-margin separator differs visibly (2.3 degrees) from the
    # separator the data were drawn from, so converging to one is not converging to the other
    return [{"l2": l2, "dim": 2, "samples": 20, "margin": 0.05, "lr": 1.0, "seed": 0,
             "decades": 6 if quick else 7} for l2 in (0.0, 0.01)]


def _max_margin(Xd: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The hard-margin separator: min |w|^2 subject to y_i x_i.w >= 1 (no bias, as in the landscape)."""
    from scipy.optimize import minimize

    A = Xd * y[:, None]
    w0 = np.linalg.lstsq(A, np.ones(len(y)), rcond=None)[0]
    if (A @ w0).min() > 0:
        w0 /= float((A @ w0).min())
    res = minimize(lambda w: 0.5 * w @ w, w0, jac=lambda w: w, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda w: A @ w - 1.0, "jac": lambda w: A}],
                   options={"ftol": 1e-14, "maxiter": 500})
    return res.x


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    c = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def _nm_work(item: dict) -> dict:
    import landscapes
    import optimizers
    import saddlescape

    land = landscapes.make("logistic", dim=item["dim"], seed=item["seed"], l2=item["l2"],
                           samples=item["samples"], margin=item["margin"])
    n, d = item["samples"], item["dim"]
    Xd = land.data[3:3 + n * d].reshape(n, d)
    y = land.data[3 + n * d:3 + n * d + n]
    w_hat = _max_margin(Xd, y)
    w_true = np.array(land.known["separator"])
    s = saddlescape.Session(land, optimizers.make("gd", lr=item["lr"]), x0=np.zeros((1, d)),
                            record_every=1_000_000_000, detect=False)
    rows = []
    for t in sorted({int(round(10 ** (k / 2))) for k in range(2, 2 * item["decades"] + 1)}):
        s.advance(t - s.t)
        w = s.X[0].copy()
        f, g = land.value_and_grad(w)
        rows.append({"t": t, "norm": float(np.linalg.norm(w)), "angle_deg": _angle(w, w_hat),
                     "angle_true_deg": _angle(w, w_true), "loss": float(f), "grad_norm": float(np.linalg.norm(g))})
    return {"checkpoints": rows, "max_margin_norm": float(np.linalg.norm(w_hat))}


def _nm_analyse(results: list[dict], quick: bool) -> Report:
    items = _nm_items(quick)
    rows, series, m = [], [], {}
    for it, res in zip(items, results):
        cps = res["checkpoints"]
        for c in cps:
            rows.append([it["l2"], c["t"], c["norm"], c["angle_deg"], c["angle_true_deg"], c["loss"], c["grad_norm"]])
        series.append((f"l2={it['l2']:g}", [c["t"] for c in cps], [c["norm"] for c in cps]))
        last, before = cps[-1], cps[-3]  # checkpoints are half a decade apart: the last full decade
        per_decade = (last["norm"] - before["norm"]) / math.log(last["t"] / before["t"])
        loss_exp = math.log(last["loss"] / before["loss"]) / math.log(last["t"] / before["t"]) if before["loss"] > 0 else None
        m[f"l2={it['l2']:g}"] = {"norm_per_ln_t_last_decade": _r(per_decade), "max_margin_norm": _r(res["max_margin_norm"]),
                                 "final_angle_to_max_margin_deg": _r(last["angle_deg"]),
                                 "final_angle_to_true_separator_deg": _r(last["angle_true_deg"]),
                                 "loss_exponent_last_decade": _r(loss_exp), "final_grad_norm": last["grad_norm"],
                                 "final_norm": _r(last["norm"]), "steps": last["t"]}
    free, reg = m["l2=0"], m["l2=0.01"]
    ratio = free["norm_per_ln_t_last_decade"] / free["max_margin_norm"]
    first = results[0]["checkpoints"][0]
    ok = (0.7 <= ratio <= 1.05 and free["final_angle_to_max_margin_deg"] < first["angle_deg"] / 3
          and free["final_angle_to_max_margin_deg"] < free["final_angle_to_true_separator_deg"] / 3
          and -1.15 <= free["loss_exponent_last_decade"] <= -0.8 and reg["final_grad_norm"] < 1e-8)
    verdict = (f"l2=0, after {free['steps']:,} GD steps: |w| = {_fmt(free['final_norm'])} and still growing by "
               f"{_fmt(free['norm_per_ln_t_last_decade'])} per unit of ln t over the last decade, against |w_hat| = "
               f"{_fmt(free['max_margin_norm'])} for w_hat ln t (ratio {ratio:.2f}; the O(ln ln t) term makes the approach "
               f"slow); the loss falls like t^{_fmt(free['loss_exponent_last_decade'])} (theory t^-1); the direction is "
               f"{_fmt(free['final_angle_to_max_margin_deg'])} degrees from the max-margin separator and "
               f"{_fmt(free['final_angle_to_true_separator_deg'])} from the separator the data were drawn from. "
               f"l2=0.01: GD converges to the minimum (|grad| {reg['final_grad_norm']:.1e}, |w| {_fmt(reg['final_norm'])}). "
               + ("As Soudry et al. prove." if ok else "This does not match the theory."))
    return Report(["l2", "step t", "|w|", "angle to max-margin (deg)", "angle to true separator (deg)", "loss",
                   "|grad|"], rows,
                  Plot("weight norm against step", "step t", "|w|", series, logx=True),
                  m,
                  "Soudry et al. 2018 (Thm. 3, Fig. 1): on separable data GD on the logistic loss has no minimum "
                  "to reach; w(t) = w_hat ln t + O(ln ln t), so |w| grows like |w_hat| ln t, the loss decays like "
                  "1/t and the direction converges (slowly, like 1/ln t) to the max-margin separator w_hat; with "
                  "l2 > 0 the loss is strictly convex and GD converges.",
                  verdict, ok)


# ------------------------------------------------------------------------------ 7 p-spin-energies

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
                  "state -1.657 (Crisanti & Sommers 1992; Auffinger, Ben Arous & Cerny 2013); at finite N the "
                  "energies reached lie above the threshold (Folena et al. 2020).",
                  verdict, ok)


# ------------------------------------------------------------------------------ 8 lennard-jones

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


# ------------------------------------------------------------------------------ 9 interpolation

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


# ------------------------------------------------------------------------------ the registry

STUDIES: dict[str, Study] = {s.name: s for s in (
    Study("minima-vs-dimension", "Minima get rare as dimension grows",
          "The fraction of critical points that are local minima falls exponentially with the dimension.",
          "Bray & Dean 2007; Auffinger, Ben Arous & Cerny 2013; Dauphin et al. 2014",
          _mvd_items, _mvd_work, _mvd_analyse, {"landscape": "styblinski-tang", "dim": 2}),
    Study("index-vs-loss", "High-loss critical points are saddles of high index",
          "The index of a critical point (its number of descent directions) grows with its loss.",
          "Bray & Dean 2007; Dauphin et al. 2014, Fig. 1",
          _ivl_items, _ivl_work, _ivl_analyse, {"landscape": "gaussian-field", "dim": 2}),
    Study("saddle-attraction", "Newton is attracted to saddles; saddle-free Newton is not",
          "From points near a saddle, Newton's method converges to it while gradient methods escape, "
          "saddle-free Newton fastest.",
          "Dauphin et al. 2014, Sec. 4; Pascanu et al. 2014",
          _sa_items, _sa_work, _sa_analyse,
          {"landscape": "saddle", "dim": 2, "params": {"negative": 1, "quartic": 1.0},
           "optimizers": ["newton", "saddle-free-newton", "gd"]}),
    Study("escape-time-vs-dimension", "Perturbed gradient descent escapes saddles in polylog(D) steps",
          "Perturbations (or gradient noise) free a walker from a strict saddle in steps that grow only "
          "polylogarithmically with D; plain GD started on the saddle never leaves.",
          "Jin et al. 2017; Du et al. 2017",
          _et_items, _et_work, _et_analyse,
          {"landscape": "saddle", "dim": 2, "params": {"negative": 1, "quartic": 1.0},
           "optimizers": ["gd", "perturbed-gd"]}),
    Study("hessian-spectrum", "A neural network's Hessian: a bulk at zero and a few outliers",
          "The Hessian spectrum of a small network concentrates near zero, with a few large outliers.",
          "Sagun, Bottou & LeCun 2016",
          _hs_items, _hs_work, _hs_analyse, {"landscape": "mlp", "optimizers": ["adam"]}),
    Study("no-minimum", "Logistic regression on separable data has no minimum",
          "GD's weight norm grows like log t while its direction converges to the max-margin separator; "
          "with l2 > 0 a minimum exists and GD converges to it.",
          "Soudry et al. 2018",
          _nm_items, _nm_work, _nm_analyse, {"landscape": "logistic", "dim": 2, "optimizers": ["gd"]}),
    Study("p-spin-energies", "Gradient descent on a spin glass stops at the threshold",
          "GD on the spherical 3-spin glass ends at the threshold energy, above the ground state.",
          "Cugliandolo & Kurchan 1993; Crisanti & Sommers 1992",
          _pe_items, _pe_work, _pe_analyse, {"landscape": "p-spin", "dim": 50, "optimizers": ["gd"]}),
    Study("lennard-jones", "Atomic clusters keep exponentially many minima",
          "The number of distinct minima of Lennard-Jones clusters grows exponentially with N; the lowest "
          "ones found match the published global minima.",
          "Wales & Doye 1997; Tsai & Jordan 1993",
          _lj_items, _lj_work, _lj_analyse, {"landscape": "lennard-jones", "dim": 21, "optimizers": ["gd"]}),
    Study("interpolation", "No barrier between initialisation and solution",
          "The loss along the straight line from initialisation to the solution decreases monotonically; "
          "between two solutions it may rise.",
          "Goodfellow, Vinyals & Saxe 2015; Li et al. 2018",
          _ip_items, _ip_work, _ip_analyse, {"landscape": "mlp", "optimizers": ["adam"]}),
)}

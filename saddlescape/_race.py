"""Fair optimizer races: every optimizer from the same starts and seeds, tuned (if asked) by one
grid on separate seeds, compared by runtime-to-target curves, final losses and paired win rates.

* Starts: seed ``s`` gives the same ``starts`` points to every optimizer (``landscape.sample``).
* Tuning (``tune="lr"``): each optimizer's learning rate from one grid of multiples of its
  default (``lr=auto`` resolved at the tuning starts), scored by the median final loss over
  the tuning seeds, which never overlap the evaluation seeds (``seed + 1_000_003 + k``).
* Runtime-to-target ECDFs as COCO draws them (Hansen et al. 2021): for each optimizer, the
  fraction of (start, target) pairs whose best-so-far loss reached the target within t steps;
  targets are spaced in log distance from the known global minimum (or, when none is known, from
  the lowest loss any run reached) up to the median starting loss.
* Paired win rates: on each start, A wins over B when its final loss is lower by more than a
  relative 1e-9 (ties count half); Wilson 95% intervals. A diverged walker's loss counts as +inf.
  The verdict names a winner only when its interval against every other excludes one half.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from saddlescape.landscapes import ParamError

__all__ = ["RaceResult", "race"]

TUNE_FACTORS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
TUNE_SEED_OFFSET = 1_000_003


def _wilson(wins: float, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = wins / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


@dataclass
class RaceResult:
    """A race's numbers: per optimizer the final losses (seeds x starts), the tuned hyper-parameters,
    the ECDF of runtime to target, and pairwise win rates with their intervals."""

    landscape: dict[str, Any]
    optimizers: list[str]
    seeds: list[int]
    tuning_seeds: list[int]
    starts: int
    budget: int
    hyper: dict[str, dict[str, Any]]
    tuning: dict[str, list[dict[str, Any]]]
    targets: list[float]
    ecdf_steps: list[int]
    ecdf: dict[str, list[float]]
    final_loss: dict[str, list[list[float]]]
    wins: dict[str, dict[str, dict[str, float]]]
    verdict: str
    winner: str | None
    elapsed_s: float
    warnings: list[str] = field(default_factory=list)

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """One row per optimizer: hyper-parameters, final-loss quartiles, diverged, targets reached."""
        cols = ["optimizer", "lr", "median final loss", "25%", "75%", "diverged", "targets reached"]
        rows = []
        for name in self.optimizers:
            f = np.array(self.final_loss[name], float).ravel()
            finite = np.where(np.isfinite(f), f, np.inf)
            q = np.quantile(finite, [0.5, 0.25, 0.75]) if len(f) else [np.nan] * 3
            lr = self.hyper[name].get("lr")
            rows.append([name, f"{lr:.3g}" if isinstance(lr, (int, float)) else "-", float(q[0]), float(q[1]),
                         float(q[2]), int((~np.isfinite(f)).sum()),
                         round(self.ecdf[name][-1], 3) if self.ecdf[name] else 0.0])
        return cols, rows

    def summary(self) -> dict[str, Any]:
        cols, rows = self.table()
        return {"landscape": self.landscape, "optimizers": self.optimizers, "seeds": self.seeds,
                "tuning_seeds": self.tuning_seeds, "starts": self.starts, "budget": self.budget,
                "hyper": self.hyper, "tuning": self.tuning, "targets": self.targets,
                "ecdf": {"steps": self.ecdf_steps, **self.ecdf},
                "final_loss": {k: [[x if math.isfinite(x) else None for x in row] for row in v]
                               for k, v in self.final_loss.items()},
                "win_rates": self.wins, "table": {"columns": cols, "rows": rows},
                "verdict": self.verdict, "winner": self.winner, "elapsed_s": self.elapsed_s,
                "warnings": self.warnings}

    def ecdf_series(self) -> list[tuple[str, list[int], list[float]]]:
        """(optimizer, steps, fraction of (start, target) pairs reached within them) per optimizer."""
        return [(name, [max(s, 1) for s in self.ecdf_steps], self.ecdf[name]) for name in self.optimizers]


def _final(result: Any) -> np.ndarray:
    f = np.asarray(result.final_loss, float).copy()
    f[np.asarray(result.diverged, bool) | ~np.isfinite(f)] = np.inf
    return f


def race(landscape: Any, optimizers: list[Any], *, starts: int = 16, seeds: int = 5, budget: int = 1000, seed: int = 0,
         tune: str | None = None, tuning_seeds: int = 2, targets: int = 20, progress: Any = None) -> RaceResult:
    """Race ``optimizers`` (names, specs or objects, with hyper-parameters as ``"adam lr=0.01"``
    strings or objects) on ``landscape`` from the same ``starts`` points per seed, ``seeds``
    seeds from ``seed`` on, ``budget`` steps each. ``tune="lr"`` picks each one's learning rate
    from the same grid on separate seeds first.

    Example:
        >>> import saddlescape
        >>> r = saddlescape.race("rastrigin", ["gd", "adam"], starts=8, seeds=3, budget=500)
        >>> r.verdict  # doctest: +SKIP
    """
    from saddlescape import optimizers as opt_mod

    from ._engine import run
    from ._resolve import resolve_landscape

    land = resolve_landscape(landscape)
    for flag, value, low in (("starts", starts, 1), ("seeds", seeds, 1), ("budget", budget, 1),
                             ("tuning_seeds", tuning_seeds, 1), ("targets", targets, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ParamError(f"{flag}={value!r} is not allowed; use an integer >= {low}")
    if tune not in (None, "lr"):
        raise ParamError(f"tune={tune!r} is not allowed; use None or 'lr'")
    if len(optimizers) < 2:
        raise ParamError(f"a race needs at least two optimizers; got {len(optimizers)}")
    specs = [_parse(o) for o in optimizers]
    names = [_label(s) for s in specs]
    if len(set(names)) != len(names):
        raise ParamError(f"optimizers {names} repeat; give each once (or differ in hyper-parameters)")
    t0 = time.perf_counter()
    eval_seeds = [int(seed) + k for k in range(int(seeds))]
    tune_seeds = [int(seed) + TUNE_SEED_OFFSET + k for k in range(int(tuning_seeds))]
    record_every = max(1, int(budget) // 200)
    total = len(specs) * (len(eval_seeds) + (len(TUNE_FACTORS) * len(tune_seeds) + 1 if tune else 0))
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    def one(spec: tuple[Any, dict[str, Any]], hyper: dict[str, Any], s: int) -> Any:
        opt = opt_mod.make(spec[0], **{**spec[1], **hyper})
        X = land.sample(int(starts), seed=s)
        res = run(land, opt, walkers=int(starts), steps=int(budget), seed=s, x0=X, record_every=record_every,
                  detect=False)
        if not res.complete:
            raise KeyboardInterrupt
        tick()
        return res

    hyper: dict[str, dict[str, Any]] = {}
    tuning: dict[str, list[dict[str, Any]]] = {}
    for name, spec in zip(names, specs):
        chosen: dict[str, Any] = {}
        if tune:
            base_opt = opt_mod.make(spec[0], **spec[1])
            if "lr" not in base_opt.hyper:
                raise ParamError(f"optimizer {name!r} has no lr to tune")
            base = spec[1].get("lr", base_opt.hyper["lr"])
            if base == "auto":  # the rule's value at the tuning starts
                base = one(spec, {}, tune_seeds[0]).optimizer["hyper"]["lr"]
            scores: list[dict[str, Any]] = []
            medians: list[float] = []
            for f in TUNE_FACTORS:
                tried = np.concatenate([_final(one(spec, {"lr": float(base) * f}, s)) for s in tune_seeds])
                med = float(np.median(tried))
                medians.append(med)
                scores.append({"lr": float(base) * f, "median_final_loss": med if math.isfinite(med) else None})
            least = min(medians)
            if math.isfinite(least):  # the lowest median; among (near-)ties the factor closest to the default
                near = [k for k, m in enumerate(medians) if m <= least + 1e-9 * (1 + abs(least))]
                pick = min(near, key=lambda k: abs(math.log(TUNE_FACTORS[k])))
            else:
                pick = TUNE_FACTORS.index(1.0)
            chosen = {"lr": scores[pick]["lr"]}
            tuning[name] = scores
        hyper[name] = chosen
    results = {name: [one(spec, hyper[name], s) for s in eval_seeds] for name, spec in zip(names, specs)}
    for name in names:  # what each ran with (lr=auto resolved)
        hyper[name] = {**results[name][0].optimizer["hyper"], **hyper[name]}
    finals = {name: np.stack([_final(r) for r in results[name]]) for name in names}  # (seeds, starts)
    # targets: log-spaced distances above the reference loss
    known = land.known.get("global_min_value")
    all_best = np.concatenate([np.concatenate([np.asarray(r.loss, float).ravel() for r in rs]) for rs in results.values()])
    all_best = all_best[np.isfinite(all_best)]
    ref = float(known) if known is not None else (float(all_best.min()) if all_best.size else 0.0)
    start = float(np.median(np.concatenate([np.asarray(r.loss, float)[0] for rs in results.values() for r in rs])))
    top = max(start - ref, 1e-12)
    gaps = np.logspace(math.log10(top), math.log10(max(top * 1e-8, 1e-12)), int(targets))
    target_values = (ref + gaps).tolist()
    steps_axis = np.unique(np.concatenate([results[names[0]][0].record_steps, [int(budget)]])).astype(int)
    ecdf: dict[str, list[float]] = {}
    for name in names:
        hits = []
        for r in results[name]:
            L = np.asarray(r.loss, float)  # (records, starts)
            L = np.where(np.isfinite(L), L, np.inf)
            best = np.minimum.accumulate(L, axis=0)
            steps = np.asarray(r.record_steps, int)
            for tv in target_values:
                reached = best <= tv
                first = np.where(reached.any(axis=0), steps[np.argmax(reached, axis=0)], np.iinfo(np.int64).max)
                hits.append(first)
        first_all = np.concatenate(hits)
        ecdf[name] = [float(np.mean(first_all <= t)) for t in steps_axis]
    wins: dict[str, dict[str, dict[str, float]]] = {}
    for a in names:
        wins[a] = {}
        for b in names:
            if a == b:
                continue
            fa, fb = finals[a].ravel(), finals[b].ravel()
            tol = 1e-9 * np.maximum(1.0, np.minimum(np.abs(fa), np.abs(fb)))
            both_inf = ~np.isfinite(fa) & ~np.isfinite(fb)
            w = np.where(both_inf, 0.5, np.where(fa < fb - tol, 1.0, np.where(fb < fa - tol, 0.0, 0.5)))
            lo, hi = _wilson(float(w.sum()), len(w))
            wins[a][b] = {"rate": float(w.mean()), "low": lo, "high": hi, "n": len(w)}
    winner = next((a for a in names if all(wins[a][b]["low"] > 0.5 for b in names if b != a)), None)
    n = finals[names[0]].size
    if winner is not None:
        worst = min(wins[winner][b]["low"] for b in names if b != winner)
        verdict = (f"{winner} ends lower than every other optimizer on most of the {n} paired starts (its win "
                   f"rate's 95% interval stays above {worst:.2f} against each)")
    else:
        best_pair = max(((a, b) for a in names for b in names if a != b), key=lambda p: wins[p[0]][p[1]]["rate"])
        r = wins[best_pair[0]][best_pair[1]]
        verdict = (f"no optimizer beats all the others at 95% confidence over {n} paired starts (best pair: "
                   f"{best_pair[0]} over {best_pair[1]} in {r['rate']:.0%} of starts, interval "
                   f"{r['low']:.2f}-{r['high']:.2f})")
    warnings = []
    for name in names:
        div = int((~np.isfinite(finals[name])).sum())
        if div:
            warnings.append(f"{name}: {div} of {finals[name].size} runs diverged (counted as losing)")
    return RaceResult(land.describe(), names, eval_seeds, tune_seeds if tune else [], int(starts), int(budget), hyper,
                      tuning, target_values, steps_axis.tolist(), ecdf,
                      {k: v.tolist() for k, v in finals.items()}, wins, verdict, winner, time.perf_counter() - t0,
                      warnings)


def _parse(o: Any) -> tuple[Any, dict[str, Any]]:
    """``"adam lr=0.01"`` -> ("adam", {"lr": 0.01}); anything else as is, with no hyper-parameters."""
    if isinstance(o, str) and " " in o.strip():
        from saddlescape.landscapes._params import parse_value

        head, *rest = o.split()
        hyper = {}
        for item in rest:
            k, sep, v = item.partition("=")
            if not sep or not k or not v:
                raise ParamError(f"optimizer {o!r}: {item!r} is malformed; write name key=value ...")
            hyper[k] = parse_value(v)
        return head, hyper
    return o, {}


def _label(spec: tuple[Any, dict[str, Any]]) -> str:
    base = spec[0] if isinstance(spec[0], str) else getattr(spec[0], "name", type(spec[0]).__name__)
    if spec[1]:
        base += " " + " ".join(f"{k}={v}" for k, v in spec[1].items())
    return str(base)

"""Study no-minimum: Logistic regression on separable data has no minimum."""
from __future__ import annotations

import math

import numpy as np

from .._framework import Plot, Report, Study, register
from ._common import _fmt, _r


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
    import saddlescape
    from saddlescape import landscapes, optimizers

    land = landscapes.make("logistic", dim=item["dim"], seed=item["seed"], l2=item["l2"],
                           samples=item["samples"], margin=item["margin"])
    Xd, y = landscapes.logistic_data(land)
    w_hat = _max_margin(Xd, y)
    w_true = np.array(land.known["separator"])
    s = saddlescape.Session(land, optimizers.make("gd", lr=item["lr"]), x0=np.zeros((1, land.dim)),
                            record_every=1_000_000_000, detect=False)
    rows = []
    for t in sorted({round(10 ** (k / 2)) for k in range(2, 2 * item["decades"] + 1)}):
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


STUDY = register(Study(
    "no-minimum", "Logistic regression on separable data has no minimum",
    "GD's weight norm grows like log t while its direction converges to the max-margin separator; "
    "with l2 > 0 a minimum exists and GD converges to it.",
    "Soudry et al. 2018",
    _nm_items, _nm_work, _nm_analyse, {"landscape": "logistic", "dim": 2, "optimizers": ["gd"]}))

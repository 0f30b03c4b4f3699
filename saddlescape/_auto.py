"""Step sizes from the landscape: ``lr="auto"`` resolved where the walkers start (and the
second-order methods' ``max_step="auto"`` from its feature scale), and the largest stable step a
divergence hint quotes.

Rule (``optimizers.AUTO_LR``): lr = 1/L with L the largest |Hessian eigenvalue| over the starts
(power iteration on Hessian-vector products at up to ``SAMPLE`` of them). That is half gradient
descent's stability limit 2/L on a quadratic with that curvature, and inside heavy ball's
2(1+beta)/L and Nesterov's 2(1+beta)/((1+2 beta) L).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from saddlescape import optimizers
from saddlescape.landscapes import Landscape

from ._geometry import top_curvature

__all__ = ["SAMPLE", "divergence_hint", "resolve_auto", "stable_lr", "start_curvature", "start_curvatures"]

SAMPLE = 16  # starts whose curvature is measured at most (evenly spread over the walkers)
ITERS = 30  # power iterations a start
BUDGET = 2e7  # coordinates touched by those Hessian-vector products at most: one start at D = 10^6
SAFETY = 1.1  # power iteration approaches |lambda|max from below


def start_curvatures(land: Landscape, X: np.ndarray) -> np.ndarray:
    """The largest |Hessian eigenvalue| at each of up to SAMPLE rows of X, evenly spread, fewer
    in high dimension (a start there already samples the landscape over many coordinates):
    what both the detector's first curvature guess and ``lr="auto"`` are made from."""
    if not len(X):
        return np.empty(0)
    n = int(min(len(X), SAMPLE, max(1, BUDGET // (ITERS * X.shape[1]))))
    rows = X[np.unique(np.linspace(0, len(X) - 1, n).astype(int))]
    return top_curvature(land, rows, iters=ITERS)


def start_curvature(land: Landscape, X: np.ndarray, tops: np.ndarray | None = None) -> float:
    """L: the largest |Hessian eigenvalue| over (a sample of) the rows of X (or the per-start
    values ``tops`` already measured), with a margin; NaN if none is finite. A landscape that
    knows a larger curvature on the way (``known["curvature_bound"]``: saddle-chain's hand-overs,
    16 times its starts') gets that instead: the walkers are sure to meet it."""
    tops = start_curvatures(land, X) if tops is None else tops
    tops = tops[np.isfinite(tops)]
    L = float(SAFETY * tops.max()) if len(tops) else float("nan")
    bound = land.known.get("curvature_bound")
    return max(L, float(bound)) if bound is not None and np.isfinite(L) else L


def stable_lr(opt: optimizers.Optimizer, L: float) -> float | None:
    """The largest step that stays stable on a quadratic of curvature L (None where the method
    has no such bound: adaptive steps, Newton, plug-ins)."""
    if not (np.isfinite(L) and L > 0) or opt.plugin is not None or "lr" not in opt.hyper:
        return None
    beta = float(opt.hyper.get("beta", 0.0))
    if opt.name in ("gd", "sgd", "perturbed-gd", "langevin"):
        return 2.0 / L
    if opt.name == "momentum":
        return 2.0 * (1.0 + beta) / L
    if opt.name == "nesterov":
        return 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * L)
    return None


def resolve_auto(opt: optimizers.Optimizer, land: Landscape, X: np.ndarray,
                 tops: np.ndarray | None = None) -> tuple[optimizers.Optimizer, dict[str, Any]]:
    """``opt`` with every "auto" hyper-parameter replaced by its value here, and what was chosen
    ({name: {"value", "rule", ...}}; empty when nothing was auto): ``lr`` from the curvature at
    the starts X (``start_curvatures`` of them, measured here unless given; the value also
    carries that "curvature"), ``max_step`` from the landscape's feature scale."""
    from saddlescape.optimizers._catalog import AUTO_LR, AUTO_MAX_STEP

    chosen: dict[str, Any] = {}
    if opt.hyper.get("lr") == "auto":
        L = start_curvature(land, X, tops)
        lr = 1.0 / L if np.isfinite(L) and L > 0 else 0.01  # flat or undefined at every start: the old default
        chosen["lr"] = {"value": float(f"{lr:.3g}"), "curvature": L, "rule": AUTO_LR}
    if opt.hyper.get("max_step") == "auto":
        chosen["max_step"] = {"value": float(f"{0.25 * land.feature_scale:.3g}"), "rule": AUTO_MAX_STEP}
    if not chosen:
        return opt, {}
    return opt.with_hyper(**{k: v["value"] for k, v in chosen.items()}), chosen


def divergence_hint(opt: optimizers.Optimizer, land: Landscape, x0: np.ndarray, diverged_at: np.ndarray,
                    curvature: float | None = None, *, ui: bool = False) -> str | None:
    """One line when more than a quarter of the walkers diverged: how many, by which step, and
    a step size that would be stable where they started (said as a command-line option, or
    with ``ui`` as the playground's keys). None otherwise."""
    bad = diverged_at >= 0
    n, B = int(bad.sum()), len(diverged_at)
    if B == 0 or n * 4 <= B:
        return None
    head = f"{n} of {B} walkers diverged by step {int(diverged_at[bad].max())}"
    lr = opt.hyper.get("lr")
    if not isinstance(lr, (int, float)):
        return head + "; a smaller step size may help"
    L = curvature if curvature is not None else start_curvature(land, x0[bad])
    limit = stable_lr(opt, L)
    suggest = float(f"{0.5 * limit:.1g}") if limit is not None else float(f"{lr / 10:.1g}")
    how = f"press o and set lr={suggest:g} ([ halves it)" if ui else f"try -o lr={suggest:g}"
    if limit is not None:
        return f"{head}; the largest stable {opt.name} lr here is about {limit:.2g} (lr={lr:g} now): {how}"
    return f"{head} with {opt.name} lr={lr:g}: {how}"

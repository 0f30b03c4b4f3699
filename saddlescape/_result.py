"""RunResult: what a run produced, saved as JSON (summary) and .npz (trajectories)."""
from __future__ import annotations

import json
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["RunResult", "versions"]


def versions() -> dict[str, str]:
    """Versions of the packages that produced a result."""
    import numba

    from ._version import __version__

    return {"saddlescape": __version__, "numpy": np.__version__, "numba": numba.__version__,
            "python": platform.python_version()}


def _finite_or_none(values) -> list:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, float).tolist()]


@dataclass
class RunResult:
    """The outcome of ``saddlescape.run``.

    Attributes:
        landscape: {name, dim, params, seed, ...}.
        optimizer: {name, hyper}.
        seed, walkers, steps (completed), steps_requested, record_every.
        final_loss: (walkers,) loss at the last position (NaN for diverged walkers).
        best_loss_per_walker: (walkers,) lowest loss each walker reached.
        diverged: (walkers,) bool; diverged_at_step: step at which it was stopped (-1: never).
        complete: False when the run was interrupted; what was computed is kept.
        stopped_by: what stopped it early: "SIGINT", "SIGTERM", or "error" (compiled code
            raised: the first line of ``warnings`` says what); else None.
        elapsed_s: wall time of the stepping.
        loss: (records, walkers) loss at steps ``record_steps``; positions: (records, walkers,
            dim) when recorded; x0 and final_x: (walkers, dim).
    """

    landscape: dict[str, Any]
    optimizer: dict[str, Any]
    seed: int
    walkers: int
    steps: int
    steps_requested: int
    record_every: int
    final_loss: np.ndarray
    best_loss_per_walker: np.ndarray
    diverged: np.ndarray
    diverged_at_step: np.ndarray
    complete: bool
    elapsed_s: float
    record_steps: np.ndarray
    loss: np.ndarray
    x0: np.ndarray
    final_x: np.ndarray
    positions: np.ndarray | None = None
    versions: dict[str, str] = field(default_factory=dict)
    saddle_escapes: list[dict[str, Any]] = field(default_factory=list)
    saddle_visits_open: list[dict[str, Any]] = field(default_factory=list)
    minima: list[dict[str, Any]] = field(default_factory=list)
    discovery_curve: list[int] = field(default_factory=list)
    events_truncated: bool = False
    warnings: list[str] = field(default_factory=list)
    stopped_by: str | None = None
    # sharpness every k steps, when asked: kind, every, steps, values (n, walkers), threshold (n)
    sharpness: dict[str, Any] | None = None
    # the landscape's own measures at the final positions (tensor-pca's overlap...): name -> (walkers,)
    final_measures: dict[str, Any] = field(default_factory=dict)

    def escape_survival(self) -> Any:
        """The Kaplan-Meier curve of the steps walkers spent at a saddle (``KaplanMeier``):
        escapes observed, visits still open at the end censored at the run's last step."""
        from ._survival import kaplan_meier

        durations = [e["dwell"] for e in self.saddle_escapes]
        durations += [max(0, self.steps - v["step_in"]) for v in self.saddle_visits_open]
        return kaplan_meier(durations, [True] * len(self.saddle_escapes) + [False] * len(self.saddle_visits_open))

    @property
    def best_loss(self) -> float | None:
        """Lowest loss any walker reached (None if every walker diverged at once)."""
        finite = self.best_loss_per_walker[np.isfinite(self.best_loss_per_walker)]
        return float(finite.min()) if finite.size else None

    def summary(self) -> dict[str, Any]:
        """The JSON summary (documented in README)."""
        return {
            "landscape": self.landscape, "optimizer": self.optimizer, "seed": self.seed,
            "walkers": self.walkers, "steps": self.steps, "steps_requested": self.steps_requested,
            "complete": self.complete, "stopped_by": self.stopped_by, "record_every": self.record_every,
            "final_loss": _finite_or_none(self.final_loss), "best_loss": self.best_loss,
            "best_loss_per_walker": _finite_or_none(self.best_loss_per_walker),
            "diverged": [bool(d) for d in self.diverged],
            "n_diverged": int(np.sum(self.diverged)),
            "diverged_at_step": [int(s) for s in self.diverged_at_step],
            "saddle_escapes": self.saddle_escapes, "n_saddle_escapes": len(self.saddle_escapes),
            "mean_escape_dwell": (float(np.mean([e["dwell"] for e in self.saddle_escapes]))
                                  if self.saddle_escapes else None),
            "saddle_visits_open": self.saddle_visits_open,
            "escape_survival": self.escape_survival().summary(),
            "minima": self.minima, "n_distinct_minima": len(self.minima),
            "discovery_curve": self.discovery_curve, "events_truncated": self.events_truncated,
            "warnings": self.warnings, "elapsed_s": round(self.elapsed_s, 6), "versions": self.versions,
            "final_measures": {k: _finite_or_none(v) for k, v in self.final_measures.items()},
            "sharpness": None if self.sharpness is None else {
                **self.sharpness, "values": [_finite_or_none(v) for v in self.sharpness["values"]]},
        }

    def save(self, path: str | Path) -> Path:
        """Write the JSON summary to ``path``."""
        from ._files import write_text_atomic

        return write_text_atomic(path, json.dumps(self.summary(), indent=1) + "\n")

    def save_trajectory(self, path: str | Path) -> Path:
        """Write loss history, starts, final positions (and positions if recorded) as .npz."""
        from ._files import write_atomic

        arrays = dict(record_steps=self.record_steps, loss=self.loss, x0=self.x0, final_x=self.final_x,
                      final_loss=self.final_loss, best_loss_per_walker=self.best_loss_per_walker,
                      diverged=self.diverged, diverged_at_step=self.diverged_at_step,
                      summary=np.array(json.dumps(self.summary())))
        if self.positions is not None:
            arrays["positions"] = self.positions
        if self.sharpness is not None:
            arrays["sharpness_steps"] = np.asarray(self.sharpness["steps"], np.int64)
            arrays["sharpness"] = np.asarray(self.sharpness["values"], float)
            arrays["sharpness_threshold"] = np.array([np.nan if t is None else t for t in self.sharpness["threshold"]])
        return write_atomic(path, lambda fh: np.savez_compressed(fh, **arrays))  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path, trajectory: str | Path | None = None) -> RunResult:
        """Read a result back from its JSON (and, for the arrays, its .npz)."""
        s = json.loads(Path(path).read_text())
        nan = lambda v: np.array([np.nan if x is None else x for x in v], float)  # noqa: E731
        arrays: dict[str, Any] = {}
        if trajectory is not None:
            with np.load(trajectory) as z:
                arrays = {k: z[k] for k in z.files}
        dim = s["landscape"]["dim"]
        return cls(
            landscape=s["landscape"], optimizer=s["optimizer"], seed=s["seed"], walkers=s["walkers"],
            steps=s["steps"], steps_requested=s["steps_requested"], record_every=s["record_every"],
            final_loss=nan(s["final_loss"]), best_loss_per_walker=nan(s["best_loss_per_walker"]),
            diverged=np.array(s["diverged"], bool), diverged_at_step=np.array(s["diverged_at_step"]),
            complete=s["complete"], elapsed_s=s["elapsed_s"],
            record_steps=arrays.get("record_steps", np.empty(0, np.int64)),
            loss=arrays.get("loss", np.empty((0, s["walkers"]))),
            x0=arrays.get("x0", np.empty((0, dim))),
            final_x=arrays.get("final_x", np.empty((0, dim))), positions=arrays.get("positions"),
            versions=s.get("versions", {}), saddle_escapes=s.get("saddle_escapes", []),
            saddle_visits_open=s.get("saddle_visits_open", []), minima=s.get("minima", []),
            discovery_curve=s.get("discovery_curve", []), events_truncated=s.get("events_truncated", False),
            warnings=s.get("warnings", []), stopped_by=s.get("stopped_by"),
            sharpness=None if s.get("sharpness") is None else {
                **s["sharpness"], "values": np.array([nan(v) for v in s["sharpness"]["values"]])},
            final_measures={k: nan(v) for k, v in s.get("final_measures", {}).items()})

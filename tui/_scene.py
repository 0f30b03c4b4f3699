"""The scene: a landscape, shared starting points and one engine Session per optimizer.

Stepped by the app's worker thread (under ``lock``); the UI reads ``snapshot()`` copies and
changes the scene through methods that take the same lock. Physics stays in saddlescape.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import saddlescape
from saddlescape import ParamError, landscapes, optimizers

from . import _defaults

__all__ = ["MAX_OPTIMIZERS", "Scene", "Snapshot"]

MAX_OPTIMIZERS = 3
MAX_SHOWN = 256  # walkers drawn (and copied for the UI) per optimizer: the first ones, a random sample
MAX_TRACED = 16  # walkers whose recent positions are kept for the PCA plane
HISTORY_BYTES = 32 << 20  # at most this much of those positions per optimizer
COPY_ELEMENTS = 1 << 20  # positions go into snapshots only up to this many numbers; projections always
OPTIMIZER_COLOURS = ["#ff5f5f", "#f0f0f0", "#ff87ff"]
TRAIL = _defaults.TRAIL
HISTORY = 160


@dataclass
class Run:
    optimizer: Any
    session: Any
    colour: str
    trail: deque = field(default_factory=lambda: deque(maxlen=TRAIL))
    loss: deque = field(default_factory=lambda: deque(maxlen=HISTORY))
    gnorm: deque = field(default_factory=lambda: deque(maxlen=HISTORY))
    diverged_told: bool = False  # the UI was told once that walkers of this run diverged
    hint_told: bool = False  # ... and once, when most did, what step size would be stable


@dataclass
class Snapshot:
    """What the UI draws: copies, safe to read while the worker steps on."""

    step: int
    positions: list[np.ndarray | None]  # the drawn walkers (None where they would be too big to copy)
    active: list[np.ndarray]
    colours: list[str]
    names: list[str]
    loss: list[list[float]]
    gnorm: list[list[float]]
    counters: list[dict[str, Any]]
    minima_x: list[np.ndarray]
    version: int = 0
    log: list[str] = field(default_factory=list)
    log_count: int = 0
    land: Any = None  # the landscape these positions live on (it changes under a running app)
    proj: list | None = None  # per optimizer (a, b, off-plane distance) of the drawn walkers on proj_plane
    proj_plane: Any = None


class Scene:
    """Landscape + starts + up to three optimizers compared on the same starts."""

    def __init__(self, landscape: str = _defaults.LANDSCAPE, dim: int | None = None,
                 params: dict | None = None, optimizers_: tuple = _defaults.OPTIMIZERS,
                 walkers: int | None = None, seed: int = _defaults.SEED, steps_per_tick: int = 4,
                 saddle_radius: float = _defaults.SADDLE_RADIUS):
        self.lock = threading.RLock()
        self.plane: Any = None
        self._proj: list | None = None  # (a, b, off-plane distance) of the drawn walkers, per optimizer
        self._proj_plane: Any = None  # the plane those are for
        self._published: Snapshot | None = None
        self._version = 0  # bumped by every change the UI makes (so snapshots are rebuilt)
        self.seed = int(seed)
        self.saddle_radius = saddlescape.check_saddle_radius(saddle_radius)
        self.walkers = int(walkers or _defaults.default_walkers(dim))
        self.steps_per_tick = int(steps_per_tick)
        self.landscape_spec = (landscape, dim, dict(params or {}))
        self.land = landscapes.make(landscape, dim=dim, seed=self.seed, **(params or {}))
        saddlescape.check_memory(self.walkers, self.land.dim, runs=len(optimizers_) or 1,
                                 what=f"{len(optimizers_) or 1} optimizer(s) on one set of starts")
        self.runs: list[Run] = []
        self.log: deque[str] = deque(maxlen=200)
        self.log_count = 0  # lines ever added since the last reset (the deque keeps the last 200)
        self.notices: deque[str] = deque()  # one-off messages for the UI to show as notifications
        self._log_seen = 0
        self.x0 = self.land.sample(self.walkers, seed=self.seed)
        for spec in optimizers_:
            name, hyper = spec if isinstance(spec, tuple) else (spec, {})
            self.add_optimizer(name, **hyper)

    # -- building ---------------------------------------------------------------------------
    def _session(self, opt) -> Any:
        return saddlescape.Session(self.land, opt, x0=self.x0, seed=self.seed, record_every=10**9,
                                   saddle_radius=self.saddle_radius)

    def add_optimizer(self, name: Any, **hyper: Any) -> None:
        with self.lock:
            self._version += 1
            if len(self.runs) >= MAX_OPTIMIZERS:
                raise ParamError(f"at most {MAX_OPTIMIZERS} optimizers compare at once; remove one first")
            opt = optimizers.make(name, **hyper)
            used = {r.colour for r in self.runs}
            colour = next(c for c in OPTIMIZER_COLOURS if c not in used)
            session = self._session(opt)  # (where lr="auto" becomes a number)
            run = Run(session.optimizer, session, colour, trail=deque(maxlen=self._trail_depth()))
            run.trail.append(run.session.X[: self.traced].copy())
            self.runs.append(run)

    def reset(self, *, reseed: bool = False) -> None:
        """Back to step 0 (new starting points when ``reseed``)."""
        with self.lock:
            seed, x0 = self.seed, self.x0
            if reseed:
                seed += 1
                x0 = self.land.sample(self.walkers, seed=seed)
            sessions = self._fresh_sessions(self.land, x0, seed, self.saddle_radius)
            self.seed, self.x0 = seed, x0
            self._install(sessions)

    def _fresh_sessions(self, land: Any, x0: np.ndarray, seed: int, saddle_radius: float) -> list:
        """A new session per optimizer on these starts (what was chosen automatically is chosen
        afresh for them); nothing of the scene changes."""
        sessions = []
        for run in self.runs:
            opt = run.session.optimizer
            if run.session.auto:
                opt = opt.with_hyper(**dict.fromkeys(run.session.auto, "auto"))
            sessions.append(saddlescape.Session(land, opt, x0=x0, seed=seed, record_every=10**9,
                                                saddle_radius=saddle_radius))
        return sessions

    def _install(self, sessions: list) -> None:
        """Swap in sessions made by ``_fresh_sessions`` (the scene's fields already set)."""
        self._version += 1
        self.log.clear()
        self.log_count = 0
        self.notices.clear()
        for run, session in zip(self.runs, sessions):
            run.session = session
            run.optimizer = session.optimizer
            run.diverged_told = run.hint_told = False
            run.trail = deque(maxlen=self._trail_depth())  # the landscape's dimension may have changed
            run.loss.clear()
            run.gnorm.clear()
            run.trail.append(session.X[: self.traced].copy())

    def set_landscape(self, name: str, dim: int | None = None, params: dict | None = None,
                      walkers: int | None = None, saddle_radius: float | None = None) -> None:
        """A new landscape (and walkers, and detection radius); optimizers and their
        hyper-parameters carry over. Everything new is checked and built before any of the scene
        changes: a bad value leaves it as it was, stepping on."""
        radius = self.saddle_radius if saddle_radius is None else saddlescape.check_saddle_radius(saddle_radius)
        if walkers is not None and (isinstance(walkers, bool) or not isinstance(walkers, (int, np.integer))
                                    or walkers < 1):
            raise ParamError(f"walkers={walkers!r} is not allowed; use an integer >= 1")
        land = landscapes.make(name, dim=dim, seed=self.seed, **(params or {}))
        n = self.walkers if walkers is None else int(walkers)
        runs = max(1, len(self.runs))  # refused with the estimate before anything of that size is allocated
        saddlescape.check_memory(n, land.dim, runs=runs, what=f"{runs} optimizer(s) on one set of starts")
        x0 = land.sample(n, seed=self.seed)
        with self.lock:
            sessions = self._fresh_sessions(land, x0, self.seed, radius)
            self.land, self.x0, self.walkers, self.saddle_radius = land, x0, n, radius
            self.landscape_spec = (name, dim, dict(params or {}))
            self._install(sessions)

    def set_hyper(self, i: int, **hyper: Any) -> None:
        """Change hyper-parameters of optimizer ``i`` in the running session."""
        with self.lock:
            self._version += 1
            run = self.runs[i]
            run.session.set_hyper(**hyper)
            run.optimizer = run.session.optimizer

    @property
    def traced(self) -> int:
        return min(self.shown, MAX_TRACED)

    def _trail_depth(self) -> int:
        """Positions kept per optimizer for the PCA plane: TRAIL of them, fewer in high dimension
        (HISTORY_BYTES at most)."""
        return max(2, min(TRAIL, HISTORY_BYTES // (8 * self.traced * self.land.dim)))

    def set_plane(self, plane: Any) -> None:
        """The plane the UI draws in: the stepping worker projects the drawn walkers onto it (at
        D = 10^6 that is too much work for the UI thread every frame)."""
        with self.lock:
            self.plane = plane
            self._proj, self._proj_plane = None, None
            self._version += 1

    def reproject(self) -> None:
        """Project onto a new plane while paused (the worker calls it between polls)."""
        if self.plane is not None and self._proj_plane is not self.plane:
            with self.lock:
                self._project()
                self._published = self._build_snapshot()

    def _project(self) -> None:
        plane = self.plane
        self._proj = None if plane is None else [plane.project(r.session.X[: self.shown]) for r in self.runs]
        self._proj_plane = plane

    @property
    def shown(self) -> int:
        """How many walkers (per optimizer) the UI draws: all up to MAX_SHOWN, else the first
        MAX_SHOWN (starts are drawn at random, so they are a random sample). Counters count all."""
        return min(self.walkers, MAX_SHOWN)

    # -- stepping -----------------------------------------------------------------------------
    @property
    def step(self) -> int:
        """Steps taken: the furthest run's (a run whose walkers all diverged stops counting)."""
        return max((r.session.t for r in self.runs), default=0)

    def advance(self, n: int | None = None) -> None:
        n = self.steps_per_tick if n is None else n
        with self.lock:
            for k, run in enumerate(self.runs):
                s = run.session
                s.advance(n)
                run.trail.append(s.X[: self.traced].copy())
                live = s.active.astype(bool)
                run.loss.append(float(np.mean(s.F[live])) if live.any() else float("nan"))
                run.gnorm.append(float(np.mean(s.gnorm[live])) if live.any() else float("nan"))
                for e in s.recent:
                    self._describe(k, run, e)
                diverged = int((s.active == 0).sum())
                hint = s.divergence_hint(ui=True) if diverged and not run.hint_told else None
                if hint:  # most walkers diverged: how many, by when, and a stable step size
                    run.diverged_told = run.hint_told = True
                    self.notices.append(f"{run.optimizer.name}: {hint}")
                elif diverged and not run.diverged_told:
                    run.diverged_told = True
                    self.notices.append(f"{run.optimizer.name}: {diverged} of {s.walkers} walkers diverged by step "
                                        f"{s.t} (a smaller lr helps: [ halves it)")
            self._project()
            self._published = self._build_snapshot()

    def _describe(self, k: int, run: Run, e: dict) -> None:
        # the step first, so a narrow log cuts the least useful end
        who = f"{run.optimizer.name} #{e['walker']}"
        if e["kind"] == "escape":
            line = (f"step {e['step_out']}: {who} escaped an index-{e['index']} saddle "
                    f"({e['dwell']} steps there)")
        elif e["kind"] == "minimum" and e.get("new"):
            line = f"step {e['step']}: {who} found minimum #{e['minimum'] + 1} (loss {e['loss']:.4g})"
        else:
            return
        self.log.append(line)
        self.log_count += 1

    # -- reading --------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The latest published snapshot: never waits for the worker's chunk to finish."""
        snap = self._published
        if snap is None or snap.version != self._version:
            with self.lock:
                snap = self._published = self._build_snapshot()
        return snap

    def _build_snapshot(self) -> Snapshot:
        with self.lock:
            counters = []
            for run in self.runs:
                counters.append({"name": run.optimizer.name, "colour": run.colour,
                                 "hyper": dict(run.optimizer.hyper), "auto": sorted(run.session.auto),
                                 **run.session.counters()})
            # the first minima found, enough to mark on a map (a big scene finds thousands)
            minima = [x for run in self.runs for x in run.session.minima_positions()[:MAX_SHOWN]]
            return Snapshot(
                step=self.step,
                positions=[run.session.X[: self.shown].copy() if self.shown * self.land.dim <= COPY_ELEMENTS
                           else None for run in self.runs],
                proj=list(self._proj) if self._proj is not None and len(self._proj) == len(self.runs) else None,
                proj_plane=self._proj_plane if self._proj is not None and len(self._proj) == len(self.runs) else None,
                active=[run.session.active[: self.shown].astype(bool) for run in self.runs],
                colours=[run.colour for run in self.runs], names=[run.optimizer.name for run in self.runs],
                loss=[list(run.loss) for run in self.runs], gnorm=[list(run.gnorm) for run in self.runs],
                counters=counters, minima_x=minima, version=self._version, land=self.land,
                log=list(self.log), log_count=self.log_count)

    def known_minima(self) -> int | None:
        k = self.land.known
        return k.get("n_local_minima") if isinstance(k.get("n_local_minima"), int) else None

    def export(self) -> tuple[str, str]:
        """(shell commands, Python snippet) that reproduce the scene headless."""
        name, _dim, params = self.landscape_spec
        ptxt = "".join(f" -p {k}={v}" for k, v in params.items())
        dtxt = f" --dim {self.land.dim}"
        rtxt = f" --saddle-radius {self.saddle_radius}" if self.saddle_radius != _defaults.SADDLE_RADIUS else ""
        rarg = f", saddle_radius={self.saddle_radius}" if rtxt else ""
        lines = []
        for run in self.runs:
            htxt = "".join(f" -o {k}={v}" for k, v in run.optimizer.hyper.items())
            lines.append(f"saddlescape run --landscape {name}{dtxt}{ptxt} --optimizer {run.optimizer.name}{htxt} "
                         f"--walkers {self.walkers} --steps {max(self.step, 1000)} --seed {self.seed} "
                         f"--out {run.optimizer.name}.json{rtxt}")
        pargs = "".join(f", {k}={v!r}" for k, v in params.items())
        py = ["import saddlescape",
              "from saddlescape import landscapes, optimizers",
              f"land = landscapes.make({name!r}, dim={self.land.dim}, seed={self.seed}{pargs})"]
        for run in self.runs:
            hargs = ", ".join(f"{k}={v!r}" for k, v in run.optimizer.hyper.items())
            py.append(f"r = saddlescape.run(land, optimizers.make({run.optimizer.name!r}, {hargs}), "
                      f"walkers={self.walkers}, steps={max(self.step, 1000)}, seed={self.seed}{rarg})")
            py.append("print(r.summary()['best_loss'], r.summary()['n_distinct_minima'])")
        return "\n".join(lines), "\n".join(py)

"""What happens to walkers during a run: saddle visits and escapes, minima reached (distinct,
with basin counts and the discovery curve), divergence. Filled from the engine's compiled
event buffer between chunks."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from saddlescape.landscapes import Landscape

from ._critical import fingerprints

__all__ = ["AT_MINIMUM", "ESCAPE_FTOL", "FREE", "GATE", "IN_SADDLE", "LOOK_SPACING", "MINIMUM", "NEAR", "SADDLE_ESCAPE", "WAIT",
           "EventLog",
           "MinimaRegistry"]

# event kinds in the compiled event buffer (column 0)
SADDLE_ESCAPE, MINIMUM = 1, 2
# a walker's visit state, kept per walker by the compiled loop: FREE (nothing located), IN_SADDLE
# (within the radius of a saddle), AT_MINIMUM (within the radius of a minimum), NEAR (a located
# critical point a few radii away, watched until the walker reaches it or moves off), WAIT (no
# critical point close enough; look again once the walker has moved a set distance)
FREE, IN_SADDLE, AT_MINIMUM, NEAR, WAIT = 0, 1, 2, 3, 4
# an escape leaves a saddle's ball with a loss below the saddle's by this much (relative)
ESCAPE_FTOL = 1e-9
# located minima closer than about this (in their symmetry keys) are one minimum
CELL = 1e-6
# |g| <= GATE * curv * near: the only walkers that can be within `near` of a critical point
GATE = 2.0
# where a Hessian costs ~dim gradients or more (Landscape.costly_hessian), a waiting walker is looked
# at again no sooner than LOOK_SPACING * dim steps after its last look: an mlp of 257 parameters ran
# 13x slower with detection (a look every ~200 steps, its complex-step Hessian ~8 dim gradients);
# at 32 dim steps apart the looks cost about a quarter of the run
LOOK_SPACING = 32
GRID_SHIFT = 0.5 * (5 ** 0.5 - 1)  # (the golden fraction)


@dataclass
class MinimaRegistry:
    """Distinct minima, de-duplicated by position under the landscape's identified symmetries.

    Minima arrive located exactly by the detector's Newton walk (``add_located``) and are told
    apart by a grid of their symmetry keys (cells of CELL).

    ``walker_minimum[w]`` is the id of the first minimum walker ``w`` reached.
    """

    landscape: Landscape
    values: list[float] = field(default_factory=list)
    positions: list[np.ndarray] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    keys: list[np.ndarray] = field(default_factory=list)
    walker_minimum: dict[int, int] = field(default_factory=dict)
    found_at: list[int] = field(default_factory=list)
    _grid: dict[tuple[int, ...], int] = field(default_factory=dict, repr=False)  # cell -> located minimum

    @staticmethod
    def _cells(keys: np.ndarray) -> list[list[tuple[int, ...]]]:
        """Per row of ``keys``, the grid cells that located minimum may fall in: cells of CELL,
        shifted by an irrational fraction so round coordinates (a minimum at 1.0) sit mid-cell,
        and every combination across the edges the key lies within 1% of (four at most). A
        minimum is registered in all of them and looked up in all of them, so equal minima,
        located to ~1e-9, always share one. Vectorised: a row away from every edge (nearly
        all) costs one tuple."""
        u = keys / CELL + GRID_SHIFT
        base = np.floor(u)
        frac = u - base
        edge = (frac < 0.01) | (frac > 0.99)
        out = [[cell] for cell in map(tuple, base.astype(np.int64).tolist())]
        for r in np.flatnonzero(edge.any(axis=1)).tolist():
            near = np.flatnonzero(edge[r])[:4]
            cells = []
            for signs in itertools.product((0, 1), repeat=len(near)):
                cell = base[r].copy()
                for i, flip in zip(near, signs):
                    if flip:
                        cell[i] += -1 if frac[r, i] < 0.5 else 1
                cells.append(tuple(cell.astype(np.int64).tolist()))
            out[r] = cells
        return out

    def add_located(self, X: np.ndarray, values: np.ndarray, walkers: np.ndarray, steps: np.ndarray) -> list[int]:
        """Register a chunk's worth of minima the detector located exactly (rows of X), each by a
        lookup in a grid of their symmetry keys: constant time a minimum, however many are known
        (a scene of 10^5 walkers on rastrigin finds 10^5 distinct ones)."""
        ids: list[int] = []
        if not len(X):
            return ids
        keys = fingerprints(self.landscape, np.ascontiguousarray(X), self.landscape.identify)
        grid, reached, counts = self._grid, self.walker_minimum, self.counts
        # (Python scalars and plain loops: at thousands of walkers arriving the detector reports
        # thousands of minima a second, and NumPy scalars and a generator a row cost ~1.4 us of it)
        for e, (cells, w) in enumerate(zip(self._cells(keys), walkers.tolist())):
            found = -1
            for c in cells:
                found = grid.get(c, -1)
                if found >= 0:
                    break
            if found < 0:
                found = len(self.values)
                self.values.append(float(values[e]))
                self.positions.append(np.array(X[e]))
                self.keys.append(keys[e])
                counts.append(0)
                self.found_at.append(int(steps[e]))
                for c in cells:
                    grid.setdefault(c, found)
            if w not in reached:
                reached[w] = found
                counts[found] += 1
            ids.append(found)
        return ids

    def __len__(self) -> int:
        return len(self.values)

    def discovery_curve(self) -> list[int]:
        """Distinct minima among the first k walkers (in walker order) that reached one."""
        seen: set[int] = set()
        curve = []
        for w in sorted(self.walker_minimum):
            seen.add(self.walker_minimum[w])
            curve.append(len(seen))
        return curve

    def summary(self) -> list[dict[str, Any]]:
        order = np.argsort(self.values)
        return [{"value": self.values[i], "index": 0, "count": self.counts[i],
                 "x": [float(v) for v in self.positions[i]]} for i in order]


@dataclass
class EventLog:
    """Escapes, minima and open saddle visits of one run."""

    minima: MinimaRegistry
    escapes: list[dict[str, Any]] = field(default_factory=list)
    saddle_points: list[np.ndarray] = field(default_factory=list)  # the saddle of each escape (not saved)
    truncated: bool = False

    def ingest(self, events: np.ndarray, ev_x: np.ndarray, n: int) -> list[dict[str, Any]]:
        """Take ``n`` rows of the compiled event buffer; returns the escapes and the minima found
        for the first time as dicts (what a UI logs; a walker reaching a known minimum is counted
        in the registry but not returned)."""
        if n == 0:
            return []  # (most chunks: ~30 us of index arrays saved)
        out = []
        rows = events[:n]
        at_min = np.flatnonzero(rows[:, 0] == MINIMUM)
        known_before = len(self.minima)
        ids = dict(zip(at_min.tolist(), self.minima.add_located(
            ev_x[at_min], rows[at_min, 5], rows[at_min, 1].astype(np.int64), rows[at_min, 2].astype(np.int64))))
        first_seen: set[int] = set()
        interesting = np.flatnonzero(rows[:, 0] == SADDLE_ESCAPE).tolist()
        if len(self.minima) > known_before:  # some minimum is new: find its first event
            interesting = sorted(interesting + [e for e in at_min.tolist() if ids[e] >= known_before])
        for e in interesting:
            kind, walker, step_in, step_out, index, loss = rows[e]
            walker = int(walker)
            if kind == SADDLE_ESCAPE:
                rec = {"kind": "escape", "walker": walker, "step_in": int(step_in), "step_out": int(step_out),
                       "index": int(index), "loss": float(loss), "dwell": int(step_out - step_in)}
                self.escapes.append(rec)
                self.saddle_points.append(ev_x[e].copy())
            elif kind == MINIMUM:
                mid = ids[e]
                new = mid >= known_before and mid not in first_seen
                first_seen.add(mid)
                rec = {"kind": "minimum", "walker": walker, "step": int(step_in), "loss": float(loss),
                       "minimum": mid, "new": new}
            else:
                continue
            out.append(rec)
        return out

    def mean_dwell(self) -> float | None:
        return float(np.mean([e["dwell"] for e in self.escapes])) if self.escapes else None

"""What happens to walkers during a run: saddle visits and escapes, minima reached (distinct,
with basin counts and the discovery curve), divergence. Filled from the engine's compiled
event buffer between chunks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import float64, int64, njit

from saddlescape.landscapes import Landscape
from saddlescape.landscapes._kernel import compiled, deferred, splitmix64

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


REGISTER_SIG = int64(float64[:, ::1], float64[:, ::1], int64, int64, int64[::1], int64[:, ::1], int64[::1],
                     int64[::1], int64[::1], int64[::1], int64[::1], int64[::1])
STOP_FULL, STOP_WALKER = 1, 2  # why _register_events stopped early (state[3]): the grid is full, a walker out of range
ICELL = 2.0**62  # cells beyond +-this (keys beyond ~4.6e12) are clipped to it


@njit(inline="always", fastmath=False)
def _grid_row(keys, r, cell, frac):
    """Row ``r`` of ``keys``: its cell (cells of CELL, shifted by an irrational fraction so round
    coordinates, a minimum at 1.0, sit mid-cell) into ``cell``, the fraction within it into ``frac``."""
    for i in range(keys.shape[1]):
        u = keys[r, i] / CELL + GRID_SHIFT
        base = np.floor(u)
        frac[i] = u - base
        cell[i] = np.int64(min(max(base, -ICELL), ICELL))


@njit(inline="always", fastmath=False)
def _combo_cell(own, frac, near, m, combo, cell):
    """Into ``cell``: the cell ``own`` moved across the edges ``near[:m]`` flagged in ``combo``'s
    bits (the first edge the highest bit, as ``itertools.product((0, 1), repeat=m)`` goes)."""
    for i in range(own.shape[0]):
        cell[i] = own[i]
    for j in range(m):
        if (combo >> (m - 1 - j)) & 1:
            i = near[j]
            cell[i] += -1 if frac[i] < 0.5 else 1


@njit(inline="always", fastmath=False)
def _slot_of(slots, ecells, cell):
    """The slot of the hash table ``slots`` (entry numbers, -1 empty; linear probing) holding the entry
    whose cell (a row of ``ecells``) is ``cell``, or the empty slot where it would go."""
    h = np.uint64(0x2545F4914F6CDD1D)
    for i in range(cell.shape[0]):
        h = splitmix64(h ^ np.uint64(cell[i]))
    mask = np.uint64(slots.shape[0] - 1)
    s = h & mask
    while True:
        e = slots[s]
        if e < 0:
            return s
        same = True
        for i in range(cell.shape[0]):
            if ecells[e, i] != cell[i]:
                same = False
                break
        if same:
            return s
        s = (s + np.uint64(1)) & mask


@deferred(REGISTER_SIG, exact=True)  # (compiled in the playground's background process with the detector)
def _register_events(events, keys, start, n, slots, ecells, eids, reached, counts, ids, new_rows, state):
    """``MinimaRegistry.register_events``' work on event rows ``start`` .. ``n - 1``, in order: for a
    minimum's row, its first cell that holds a minimum (its own, then the combinations across the edges,
    up to four, it lies within 1% of), or else a new minimum registered in all of them (a minimum
    located to ~1e-9 on either side of an edge shares one); each walker's first minimum. Ids into
    ``ids`` (-1 for other rows), new minima's rows into ``new_rows``. ``state``: (grid entries,
    minima known, 1 to rebuild ``slots`` from the entries first, why it stopped, the walker out of
    range, minima known before the chunk). Returns the row it stopped before: ``n``, or earlier when the grid might not hold the
    row's cells or its walker is beyond ``reached`` (the caller grows them and calls again)."""
    k = keys.shape[1]
    n_entries, n_known = state[0], state[1]
    if state[2]:
        slots[:] = -1
        for e in range(n_entries):
            slots[_slot_of(slots, ecells, ecells[e])] = e
        state[2] = 0
    own = np.empty(k, np.int64)
    cell = np.empty(k, np.int64)
    frac = np.empty(k)
    near = np.empty(4, np.int64)
    for r in range(start, n):
        ids[r] = -1
        if events[r, 0] != MINIMUM:
            continue
        w = np.int64(events[r, 1])
        if w >= reached.shape[0]:
            state[0], state[1], state[3], state[4] = n_entries, n_known, STOP_WALKER, w
            return r
        _grid_row(keys, r, own, frac)
        m = 0
        for i in range(k):
            if m < 4 and ((frac[i] < 0.01) | (frac[i] > 0.99)):
                near[m] = i
                m += 1
        if n_entries + (1 << m) > ecells.shape[0] or 2 * (n_entries + (1 << m)) > slots.shape[0]:
            state[0], state[1], state[3] = n_entries, n_known, STOP_FULL
            return r
        found = -1
        for combo in range(1 << m):
            _combo_cell(own, frac, near, m, combo, cell)
            e = slots[_slot_of(slots, ecells, cell)]
            if e >= 0:
                found = eids[e]
                break
        if found < 0:
            found = n_known
            new_rows[found - state[5]] = r
            n_known += 1
            for combo in range(1 << m):
                _combo_cell(own, frac, near, m, combo, cell)
                s = _slot_of(slots, ecells, cell)
                if slots[s] < 0:
                    ecells[n_entries] = cell
                    eids[n_entries] = found
                    slots[s] = n_entries
                    n_entries += 1
        ids[r] = found
        if reached[w] < 0:
            reached[w] = found
            counts[found] += 1
    state[0], state[1], state[3] = n_entries, n_known, 0
    return n


def _grown(a: np.ndarray, rows: int, fill: int) -> np.ndarray:
    """``a`` with room for at least ``rows`` rows (doubling), new rows ``fill``."""
    if len(a) >= rows:
        return a
    out = np.full((max(rows, 2 * len(a), 64), *a.shape[1:]), fill, a.dtype)
    out[:len(a)] = a
    return out


@dataclass
class MinimaRegistry:
    """Distinct minima, de-duplicated by position under the landscape's identified symmetries.

    Minima arrive located exactly by the detector's Newton walk (``add_located``) and are told
    apart by a grid of their symmetry keys (cells of CELL), held in a hash table in compiled code
    (``_register_events``): the events of rastrigin (4096, 2)'s first 1,008 steps (4,096 arrivals,
    289 escapes) are taken in 1.0 ms, replayed, against 3.1 ms with a dict of cells looked up row by
    row in Python.

    ``walker_minimum[w]`` is the id of the first minimum walker ``w`` reached; ``counts[i]``, how many
    walkers reached minimum ``i`` first.
    """

    landscape: Landscape
    values: list[float] = field(default_factory=list)
    positions: list[np.ndarray] = field(default_factory=list)
    keys: list[np.ndarray] = field(default_factory=list)
    found_at: list[int] = field(default_factory=list)
    # the grid: a hash table of entry numbers; each entry a cell and its minimum
    _slots: np.ndarray = field(default_factory=lambda: np.full(0, -1, np.int64), repr=False)
    _ecells: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64), repr=False)
    _eids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _state: np.ndarray = field(default_factory=lambda: np.zeros(6, np.int64), repr=False)  # (see _register_events)
    _reached: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)  # walker -> minimum, -1
    _counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)

    @property
    def counts(self) -> list[int]:
        return self._counts[:len(self.values)].tolist()

    @property
    def walker_minimum(self) -> dict[int, int]:
        w = np.flatnonzero(self._reached >= 0)
        return dict(zip(w.tolist(), self._reached[w].tolist()))

    def add_located(self, X: np.ndarray, values: np.ndarray, walkers: np.ndarray, steps: np.ndarray) -> list[int]:
        """Register minima the detector located exactly (rows of ``X``, reached by ``walkers`` at
        ``steps`` with loss ``values``); returns each row's minimum id. As ``register_events``."""
        events = np.zeros((len(X), 6))
        events[:, 0] = MINIMUM
        events[:, 1] = walkers
        events[:, 2] = steps
        events[:, 5] = values
        return self.register_events(events, np.ascontiguousarray(X, dtype=np.float64), len(X)).tolist()

    def register_events(self, events: np.ndarray, ev_x: np.ndarray, n: int) -> np.ndarray:
        """Register the minima among the first ``n`` rows of the compiled event buffer (``events``;
        their exact positions ``ev_x``); returns each row's minimum id (-1 for other events). Each
        minimum's cell in the grid of its symmetry keys is looked up in a hash table in compiled
        code: constant time a row, however many are known (a scene of 10^5 walkers on rastrigin
        finds 10^5 distinct ones), and a few NumPy calls a chunk."""
        keys = ev_x[:n]
        if self.landscape.identify:
            keys = np.ascontiguousarray(fingerprints(self.landscape, keys, self.landscape.identify), dtype=np.float64)
        if self._ecells.shape[1] != keys.shape[1]:
            self._ecells = np.zeros((0, keys.shape[1]), np.int64)
        known = len(self.values)
        self._counts = _grown(self._counts, known + n, 0)
        state = self._state
        state[5] = known
        ids = np.empty(n, np.int64)
        new_rows = np.empty(n, np.int64)
        r = 0
        while True:
            r = compiled(_register_events)(events, keys, r, n, self._slots, self._ecells, self._eids, self._reached,
                                           self._counts, ids, new_rows, state)
            if r == n:
                break
            if state[3] == STOP_WALKER:
                self._reached = _grown(self._reached, int(state[4]) + 1, -1)
            else:  # (room for another row's 16 cells; the table at most half full)
                rows = max(64, 2 * len(self._eids), int(state[0]) + 16)
                self._ecells = _grown(self._ecells, rows, 0)
                self._eids = _grown(self._eids, rows, 0)
                self._slots = np.full(1 << (2 * rows - 1).bit_length(), -1, np.int64)
                state[2] = 1
        for e in new_rows[:int(state[1]) - known].tolist():
            self.values.append(float(events[e, 5]))
            self.positions.append(np.array(ev_x[e]))
            self.keys.append(np.array(keys[e]))
            self.found_at.append(int(events[e, 2]))
        return ids

    def __len__(self) -> int:
        return len(self.values)

    def discovery_curve(self) -> list[int]:
        """Distinct minima among the first k walkers (in walker order) that reached one."""
        ids = self._reached[self._reached >= 0]
        first = np.zeros(len(ids), bool)
        first[np.unique(ids, return_index=True)[1]] = True
        return np.cumsum(first).tolist()

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
        known_before = len(self.minima)
        ids = self.minima.register_events(events, ev_x, n)
        first_seen: set[int] = set()
        # the escapes, and a new minimum's first event: their columns converted once, not row by row
        # (at 4096 walkers arriving, ~300 escapes in a chunk's rows)
        interesting = np.flatnonzero((rows[:, 0] == SADDLE_ESCAPE) | (ids >= known_before))
        sel = rows[interesting]
        at = sel[:, 1:5].astype(np.int64).tolist()
        for e, kind, (walker, step_in, step_out, index), loss, mid in zip(
                interesting.tolist(), sel[:, 0].tolist(), at, sel[:, 5].tolist(), ids[interesting].tolist()):
            if kind == SADDLE_ESCAPE:
                rec = {"kind": "escape", "walker": walker, "step_in": step_in, "step_out": step_out,
                       "index": index, "loss": loss, "dwell": step_out - step_in}
                self.escapes.append(rec)
                self.saddle_points.append(ev_x[e].copy())
            elif kind == MINIMUM:
                new = mid >= known_before and mid not in first_seen
                first_seen.add(mid)
                rec = {"kind": "minimum", "walker": walker, "step": step_in, "loss": loss, "minimum": mid,
                       "new": new}
            else:
                continue
            out.append(rec)
        return out

    def mean_dwell(self) -> float | None:
        return float(np.mean([e["dwell"] for e in self.escapes])) if self.escapes else None

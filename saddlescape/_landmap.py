"""The landscape map: minima and transition states in one SQLite file.

One file any SQLite tool opens (schema below and in README). Every minimum and transition
state is written in a transaction of its own as soon as it is found, so a run that is killed
loses nothing it had written and the next run on the file continues from it (SQLite's rollback
journal: the map stays one file between runs).
Minima and transition states are de-duplicated under the landscape's symmetries (an energy
window, then the census's symmetry fingerprints).

    meta(key TEXT PRIMARY KEY, value TEXT)          format, landscape (JSON), version, ...
    minima(id INTEGER PRIMARY KEY, energy REAL, coords BLOB, fingerprint BLOB,
           eigenvalues BLOB, log_product_frequencies REAL, found_by TEXT)
    transition_states(id INTEGER PRIMARY KEY, energy REAL, coords BLOB, fingerprint BLOB,
           eigenvalues BLOB, log_product_frequencies REAL, minimum1 INTEGER, minimum2 INTEGER)

BLOBs are little-endian float64 arrays (``numpy.frombuffer(blob, "<f8")``); ``eigenvalues`` are
the manifold Hessian's, ascending (declared zero modes included);
``log_product_frequencies`` is the sum of log of the positive ones above the zero modes (the
harmonic prefactors of rate theory, the negative one left out at a transition state).
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from saddlescape.landscapes import Landscape, ParamError

from ._critical import fingerprints
from ._geometry import EXACT_MAX_DIM, manifold_hessian

__all__ = ["FORMAT", "LandscapeMap", "UnionFind"]

FORMAT = "saddlescape-map 1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS minima (
    id INTEGER PRIMARY KEY, energy REAL NOT NULL, coords BLOB NOT NULL, fingerprint BLOB NOT NULL,
    eigenvalues BLOB, log_product_frequencies REAL, found_by TEXT);
CREATE INDEX IF NOT EXISTS minima_energy ON minima(energy);
CREATE TABLE IF NOT EXISTS transition_states (
    id INTEGER PRIMARY KEY, energy REAL NOT NULL, coords BLOB NOT NULL, fingerprint BLOB NOT NULL,
    eigenvalues BLOB, log_product_frequencies REAL,
    minimum1 INTEGER NOT NULL REFERENCES minima(id), minimum2 INTEGER NOT NULL REFERENCES minima(id));
CREATE INDEX IF NOT EXISTS ts_energy ON transition_states(energy);
"""


class UnionFind:
    """Disjoint sets of ids (minima joined by transition states); a set's root is its smallest id."""

    def __init__(self, ids: Any = ()) -> None:
        self.parent: dict[int, int] = {int(i): int(i) for i in ids}

    def find(self, u: int) -> int:
        parent = self.parent
        root = parent.setdefault(u, u)
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[u] != root:  # path compression
            parent[u], u = root, parent[u]
        return root

    def union(self, a: int, b: int) -> bool:
        """Join a's and b's sets; False when they were one already."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def _blob(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, "<f8").tobytes()


def _array(b: bytes | None) -> np.ndarray:
    return np.frombuffer(b, "<f8").copy() if b else np.zeros(0)


def landscape_spec(land: Landscape) -> dict[str, Any]:
    return {"name": land.name, "dim": land.dim, "seed": land.seed, "params": dict(land.params)}


class LandscapeMap:
    """Minima and transition states of one landscape, kept in ``path`` (``":memory:"`` for none).

    ``LandscapeMap(path)`` opens an existing map (its landscape is rebuilt from the file);
    ``LandscapeMap(path, landscape)`` creates one or opens it after checking it maps that
    landscape. ``readonly=True`` never writes (the file must exist)."""

    def __init__(self, path: str | Path, landscape: Landscape | None = None, *, readonly: bool = False) -> None:
        self.path = str(path)
        self.conn: sqlite3.Connection
        memory = self.path == ":memory:"
        if not memory and (readonly or landscape is None) and not Path(self.path).is_file():
            raise ParamError(f"map database {self.path!r} does not exist")
        if not memory and Path(self.path).is_dir():
            raise ParamError(f"map database {self.path!r} is a folder; give a file")
        try:
            if readonly:
                self.conn = sqlite3.connect(f"file:{Path(self.path).resolve()}?mode=ro", uri=True)
            else:
                self.conn = sqlite3.connect(self.path)
            self.conn.execute("PRAGMA query_only = 1" if readonly else "PRAGMA foreign_keys = ON")
            tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as e:
            raise ParamError(f"{self.path!r} is not a saddlescape map database ({e})") from None
        except sqlite3.OperationalError as e:
            raise ParamError(f"cannot open map database {self.path!r} ({e})") from None
        if tables:
            self._check(tables)
            spec = json.loads(self.meta("landscape"))
            if landscape is not None and landscape_spec(landscape) != spec:
                raise ParamError(f"{self.path!r} maps {spec['name']} (dim {spec['dim']}, seed {spec['seed']}, "
                                 f"{spec['params']}); it cannot take {landscape.name} (dim {landscape.dim}, "
                                 f"seed {landscape.seed}, {dict(landscape.params)})")
            if landscape is None:
                from saddlescape import landscapes

                landscape = landscapes.make(spec["name"], dim=spec["dim"], seed=spec["seed"], **spec["params"])
        else:
            if readonly or landscape is None:
                raise ParamError(f"{self.path!r} is not a saddlescape map database (it has no tables)")
            from ._version import __version__

            try:
                if not memory:  # (rollback journal: the map stays one file; a commit survives a kill)
                    self.conn.execute("PRAGMA synchronous = NORMAL")
                with self.conn:
                    self.conn.executescript(_SCHEMA)
                    self.conn.executemany("INSERT INTO meta VALUES (?, ?)", [
                        ("format", FORMAT), ("landscape", json.dumps(landscape_spec(landscape))),
                        ("saddlescape", __version__)])
            except sqlite3.DatabaseError as e:
                raise ParamError(f"cannot create map database {self.path!r} ({e})") from None
        assert landscape is not None
        self.landscape: Landscape = landscape
        self.readonly = readonly
        scale = float(landscape.feature_scale)
        self.xtol = 1e-3 * scale
        self._joined: UnionFind | None = None  # the sets of minima joined, read when first needed

    def _check(self, tables: set[str]) -> None:
        need = {"meta", "minima", "transition_states"}
        try:
            fmt = self.meta("format") if "meta" in tables else None
        except (sqlite3.DatabaseError, KeyError):
            fmt = None
        if not need <= tables or fmt != FORMAT:
            raise ParamError(f"{self.path!r} is not a saddlescape map database (format {fmt!r}; "
                             f"expected {FORMAT!r})")

    def meta(self, key: str) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return str(row[0])

    def meta_or(self, key: str, default: str) -> str:
        try:
            return self.meta(key)
        except KeyError:
            return default

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> LandscapeMap:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- connectivity -------------------------------------------------------------------------
    @property
    def _sets(self) -> UnionFind:
        if self._joined is None:
            self._joined = UnionFind()
            for m1, m2 in self.conn.execute("SELECT minimum1, minimum2 FROM transition_states"):
                self._joined.union(m1, m2)
        return self._joined

    def _find(self, a: int) -> int:
        return self._sets.find(a)

    def _union(self, a: int, b: int) -> None:
        self._sets.union(a, b)

    def connected(self, a: int, b: int) -> bool:
        return self._find(a) == self._find(b)

    def component(self, a: int) -> list[int]:
        r = self._find(a)
        return [i for i in self.minimum_ids() if self._find(i) == r]

    # -- reading ------------------------------------------------------------------------------
    def minimum_ids(self) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT id FROM minima ORDER BY id")]

    def has_minimum(self, i: int) -> bool:
        return self.conn.execute("SELECT 1 FROM minima WHERE id = ?", (int(i),)).fetchone() is not None

    def minimum_x(self, i: int) -> np.ndarray:
        row = self.conn.execute("SELECT coords FROM minima WHERE id = ?", (int(i),)).fetchone()
        if row is None:
            raise ParamError(f"minimum {i} does not exist in {self.path!r}")
        return _array(row[0])

    def minimum_energy(self, i: int) -> float:
        row = self.conn.execute("SELECT energy FROM minima WHERE id = ?", (int(i),)).fetchone()
        if row is None:
            raise ParamError(f"minimum {i} does not exist in {self.path!r}")
        return float(row[0])

    def counts(self) -> tuple[int, int]:
        n_min = self.conn.execute("SELECT COUNT(*) FROM minima").fetchone()[0]
        n_ts = self.conn.execute("SELECT COUNT(*) FROM transition_states").fetchone()[0]
        return int(n_min), int(n_ts)

    def graph(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(minimum ids, their energies, transition-state energies, (n_ts, 2) minimum ids joined)."""
        mins = np.array(self.conn.execute("SELECT id, energy FROM minima ORDER BY id").fetchall(), float)
        ts = np.array(self.conn.execute("SELECT energy, minimum1, minimum2 FROM transition_states ORDER BY id")
                      .fetchall(), float)
        mins = mins.reshape(-1, 2)
        ts = ts.reshape(-1, 3)
        return mins[:, 0].astype(np.int64), mins[:, 1], ts[:, 0], ts[:, 1:].astype(np.int64)

    def transition_states(self, ids: Any = None) -> list[dict[str, Any]]:
        """Every transition state (or those with the given ``ids``): id, energy and the two minima it joins."""
        rows = self.conn.execute("SELECT id, energy, minimum1, minimum2 FROM transition_states ORDER BY id") \
            if ids is None else self.conn.execute(
                "SELECT id, energy, minimum1, minimum2 FROM transition_states WHERE id IN "
                f"({','.join('?' * len(ids))}) ORDER BY id", [int(i) for i in ids])
        return [{"id": i, "energy": e, "minimum1": a, "minimum2": b} for i, e, a, b in rows]

    def transition_state_x(self, t: int) -> np.ndarray:
        row = self.conn.execute("SELECT coords FROM transition_states WHERE id = ?", (int(t),)).fetchone()
        if row is None:
            raise ParamError(f"transition state {t} does not exist in {self.path!r}")
        return _array(row[0])

    # -- writing ------------------------------------------------------------------------------
    def _log_product(self, ev: np.ndarray) -> float | None:
        """Sum of log of the positive eigenvalues, the declared zero modes (the smallest |ev|) left out."""
        zero = int(self.landscape.known.get("zero_modes", 0))
        live = ev[np.argsort(np.abs(ev))[zero:]]
        pos = live[live > 0]
        return float(np.sum(np.log(pos))) if len(pos) else None

    def _spectrum(self, x: np.ndarray) -> tuple[np.ndarray | None, float | None]:
        if self.landscape.dim > EXACT_MAX_DIM:
            return None, None
        with np.errstate(all="ignore"):
            ev = np.linalg.eigvalsh(manifold_hessian(self.landscape, x))
        return ev, self._log_product(ev)

    def _fingerprint(self, x: np.ndarray) -> np.ndarray:
        return fingerprints(self.landscape, x[None, :], tuple(self.landscape.identify))[0]

    def _same(self, table: str, fp: np.ndarray, energy: float) -> int | None:
        window = 1e-7 * (1.0 + abs(energy))
        for i, blob in self.conn.execute(f"SELECT id, fingerprint FROM {table} WHERE energy BETWEEN ? AND ?",
                                         (energy - window, energy + window)):
            other = _array(blob)
            if other.shape == fp.shape and float(np.linalg.norm(other - fp)) <= self.xtol:
                return int(i)
        return None

    def find_minimum(self, x: np.ndarray, energy: float) -> int | None:
        """The id of the stored minimum at ``x`` (under the landscape's symmetries), or None."""
        return self._same("minima", self._fingerprint(np.asarray(x, float).reshape(-1)), float(energy))

    def add_minimum(self, x: np.ndarray, energy: float, *, found_by: str = "") -> tuple[int, bool]:
        """The id of the minimum at ``x`` (already in the map, or added now) and whether it is new.
        A point whose Hessian has a negative eigenvalue is not a minimum: (-1, False)."""
        x = np.asarray(x, float).reshape(-1)
        fp = self._fingerprint(x)
        same = self._same("minima", fp, float(energy))
        if same is not None:
            return same, False
        ev, lpf = self._spectrum(x)
        if ev is not None:
            e = 1e-6 * max(1.0, float(np.abs(ev).max()))
            if (ev < -e).any():
                return -1, False
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO minima (energy, coords, fingerprint, eigenvalues, log_product_frequencies, found_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (float(energy), _blob(x), _blob(fp), None if ev is None else _blob(ev), lpf, found_by))
        mid = int(cur.lastrowid or 0)
        self._find(mid)
        return mid, True

    def add_transition_state(self, ts: Any, m1: int, m2: int) -> tuple[int, bool]:
        """Add a verified transition state joining minima ``m1`` and ``m2``; (id, whether new)."""
        x = np.asarray(ts.x, float).reshape(-1)
        fp = self._fingerprint(x)
        same = self._same("transition_states", fp, float(ts.energy))
        if same is not None:
            return same, False
        ev = np.asarray(ts.eigenvalues, float)
        lpf = self._log_product(ev)
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO transition_states (energy, coords, fingerprint, eigenvalues, log_product_frequencies, "
                "minimum1, minimum2) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (float(ts.energy), _blob(x), _blob(fp), _blob(ev), lpf, int(m1), int(m2)))
        self._union(int(m1), int(m2))
        return int(cur.lastrowid or 0), True

    def set_meta(self, key: str, value: str) -> None:
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- searches over the map ---------------------------------------------------------------
    def minimax_path(self, a: int, b: int) -> tuple[list[tuple[str, int]], float | None]:
        """The path from ``a`` to ``b`` whose highest transition state is lowest (alternating
        ("minimum", id) and ("ts", id)), and that height minus E(a)."""
        if a == b:
            return [("minimum", a)], 0.0
        rows = self.conn.execute("SELECT id, energy, minimum1, minimum2 FROM transition_states "
                                 "ORDER BY energy").fetchall()
        sets = UnionFind()
        used = []
        top = None
        for tid, e, m1, m2 in rows:
            used.append((tid, m1, m2))
            sets.union(m1, m2)
            if sets.find(a) == sets.find(b):
                top = e
                break
        if top is None:
            return [], None
        adj: dict[int, list[tuple[int, int]]] = {}
        for tid, m1, m2 in used:
            adj.setdefault(m1, []).append((tid, m2))
            adj.setdefault(m2, []).append((tid, m1))
        prev: dict[int, tuple[int, int]] = {a: (-1, -1)}
        queue = [a]
        for u in queue:  # breadth first: the fewest steps among the minimax paths
            if u == b:
                break
            for tid, v in adj.get(u, []):
                if v not in prev:
                    prev[v] = (u, tid)
                    queue.append(v)
        path: list[tuple[str, int]] = [("minimum", b)]
        u = b
        while u != a:
            p, tid = prev[u]
            path += [("ts", tid), ("minimum", p)]
            u = p
        return path[::-1], float(top) - self.minimum_energy(a)

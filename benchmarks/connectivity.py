"""Connectivity targets: ``python -m benchmarks.connectivity [--smoke] [--seeds N] [--out FILE]``.

* Himmelblau's complete map (minima from 100 quenches, then eigenvector following and bands):
  target < 2 s; checked complete (4 minima, 4 transition states).
* One connect between two Lennard-Jones 13 minima: target < 10 s (every connect from the
  global minimum to the next five lowest minima basin-hopping found, median and worst).
* A disconnectivity graph from a map of 10^5 minima and 10^5 transition states (read from the
  SQLite file, tree, terminal drawing, SVG): target < 5 s.
* Basin-hopping to the Lennard-Jones 38 global minimum (-173.928427, the Cambridge Cluster
  Database) from random starts: time to hit it, per seed, and the median.
* Lennard-Jones 38's double funnel: one connect from the fcc global minimum to the icosahedral
  bottom of the other funnel (-173.252378), the latter moved by a random rotation, relabelling
  and translation per seed (each a different problem to the search): times, bands, barrier.

Each case runs once after a warm-up (compiled kernels loaded); ``--smoke`` shrinks every case
(CI runs it: the code paths, not the figures).
"""
from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

LJ38_GLOBAL_MIN = -173.928427  # Cambridge Cluster Database (Doye, Miller & Wales 1999)


def himmelblau_map() -> dict[str, Any]:
    from saddlescape import LandscapeMap, landscapes, map_landscape

    land = landscapes.make("himmelblau")
    map_landscape(LandscapeMap(":memory:", land), starts=20, connect="all")  # warm-up
    t0 = time.perf_counter()
    lmap = LandscapeMap(":memory:", land)
    map_landscape(lmap, starts=100, connect="all")
    took = time.perf_counter() - t0
    return {"seconds": took, "counts": list(lmap.counts()), "complete": lmap.counts() == (4, 4),
            "target_s": 2.0, "met": took < 2.0 and lmap.counts() == (4, 4)}


def lj13_connect(pairs: int) -> dict[str, Any]:
    from saddlescape import LandscapeMap, landscapes, map_landscape
    from saddlescape._connect import connect_in_map

    land = landscapes.make("lennard-jones", dim=39)
    lmap = LandscapeMap(":memory:", land)
    map_landscape(lmap, basin_hopping_steps=300, seed=1)
    ids = sorted(lmap.minimum_ids(), key=lmap.minimum_energy)
    times, connected = [], []
    for j in ids[1:1 + pairs]:
        res = connect_in_map(lmap, ids[0], j)
        times.append(res.elapsed_s)
        connected.append(res.connected)
    worst = max(times) if times else float("nan")
    return {"seconds": times, "median_s": float(np.median(times)), "worst_s": worst, "connected": connected,
            "target_s": 10.0, "met": worst < 10.0 and all(connected)}


def big_dgraph(n: int) -> dict[str, Any]:
    from saddlescape import LandscapeMap, disconnectivity_graph, landscapes

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.db"
        LandscapeMap(path, landscapes.make("himmelblau")).close()  # the schema and meta
        e_min = rng.normal(size=n)
        con = sqlite3.connect(path)
        with con:
            con.executemany("INSERT INTO minima (id, energy, coords, fingerprint) VALUES (?, ?, ?, ?)",
                            ((i + 1, float(e), b"", b"") for i, e in enumerate(e_min)))
            # a random tree (every minimum joined to an earlier one) plus random extra edges: n in all
            a = np.arange(2, n + 1)
            b = np.array([rng.integers(1, k) for k in a])
            extra = rng.integers(1, n + 1, size=(1, 2))
            m1 = np.concatenate([a, extra[:, 0]])
            m2 = np.concatenate([b, extra[:, 1]])
            top = np.maximum(e_min[m1 - 1], e_min[m2 - 1]) + rng.exponential(size=len(m1))
            con.executemany("INSERT INTO transition_states (energy, coords, fingerprint, minimum1, minimum2) "
                            "VALUES (?, ?, ?, ?, ?)",
                            ((float(e), b"", b"", int(i), int(j)) for e, i, j in zip(top, m1, m2)))
        con.close()
        t0 = time.perf_counter()
        g = disconnectivity_graph(path)
        lines = g.render(120, 40)
        svg = g.svg()
        took = time.perf_counter() - t0
    return {"minima": n, "transition_states": n, "seconds": took, "drawn_lines": len(lines), "svg_bytes": len(svg),
            "target_s": 5.0, "met": took < 5.0}


def lj38_basin_hopping(seeds: int, budget_steps: int) -> dict[str, Any]:
    from saddlescape import basin_hopping, landscapes

    land = landscapes.make("lennard-jones", dim=114)
    basin_hopping(land, 2, seed=0)  # warm-up
    runs = []
    for seed in range(seeds):
        r = basin_hopping(land, budget_steps, seed=seed, target=LJ38_GLOBAL_MIN)
        runs.append({"seed": seed, "reached": r.reached_target, "seconds": r.found_after_s if r.reached_target
                     else r.elapsed_s, "steps": r.found_at if r.reached_target else r.steps,
                     "best_energy": r.best_energy})
    hit = [r["seconds"] for r in runs if r["reached"]]
    return {"runs": runs, "hit": len(hit), "median_s": float(np.median(hit)) if hit else None,
            "reference": LJ38_GLOBAL_MIN}


def lj38_double_funnel(seeds: int, attempts: int = 200) -> dict[str, Any]:
    from saddlescape import connect, landscapes

    land = landscapes.make("lennard-jones", dim=114)
    fcc = np.asarray(land.known["global_min_x"])
    ico = np.asarray(land.known["local_minima"][0]["x"]).reshape(-1, 3)
    runs = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
        moved = (ico[rng.permutation(len(ico))] @ Q + rng.normal(size=3)).reshape(-1)
        res, lmap = connect(land, fcc, moved, max_attempts=attempts)
        runs.append({"seed": seed, "connected": res.connected, "seconds": res.elapsed_s, "bands": res.attempts,
                     "transition_states_on_path": len(res.path) // 2, "barrier": res.barrier,
                     "minima": lmap.counts()[0], "transition_states": lmap.counts()[1]})
    times = [r["seconds"] for r in runs]
    return {"runs": runs, "connected": sum(r["connected"] for r in runs), "median_s": float(np.median(times)),
            "worst_s": float(max(times))}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.connectivity")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: every path once (CI)")
    ap.add_argument("--seeds", type=int, default=5, help="basin-hopping seeds for LJ38 (default 5)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    report: dict[str, Any] = {"machine": platform.machine(), "python": platform.python_version()}
    report["himmelblau_map"] = himmelblau_map()
    report["lj13_connect"] = lj13_connect(1 if args.smoke else 5)
    report["dgraph"] = big_dgraph(1000 if args.smoke else 100_000)
    report["lj38_basin_hopping"] = (lj38_basin_hopping(1, 3) if args.smoke
                                    else lj38_basin_hopping(args.seeds, 200_000))
    report["lj38_double_funnel"] = lj38_double_funnel(1, attempts=1) if args.smoke else lj38_double_funnel(args.seeds)
    h, c, d, b = (report[k] for k in ("himmelblau_map", "lj13_connect", "dgraph", "lj38_basin_hopping"))
    print(f"himmelblau complete map: {h['seconds']:.2f} s (target < 2 s; {'met' if h['met'] else 'NOT met'})")
    print(f"LJ13 connect: median {c['median_s']:.2f} s, worst {c['worst_s']:.2f} s over {len(c['seconds'])} "
          f"(target < 10 s; {'met' if c['met'] else 'NOT met'})")
    print(f"dgraph of {d['minima']:,} minima and {d['transition_states']:,} transition states: {d['seconds']:.2f} s "
          f"(target < 5 s; {'met' if d['met'] else 'NOT met'})")
    times = ", ".join(f"{r['seconds']:.1f} s" + ("" if r["reached"] else " (not reached)") for r in b["runs"])
    med = f"{b['median_s']:.1f} s" if b["median_s"] is not None else "-"
    print(f"LJ38 global minimum by basin-hopping: {b['hit']}/{len(b['runs'])} seeds, median {med} ({times})")
    f = report["lj38_double_funnel"]
    runs = ", ".join(f"{r['seconds']:.1f} s/{r['bands']} bands" + ("" if r["connected"] else " (not joined)")
                     for r in f["runs"])
    bars = ", ".join(f"{r['barrier']:.3f}" for r in f["runs"] if r["barrier"] is not None) or "-"
    print(f"LJ38 double funnel, fcc to icosahedral: {f['connected']}/{len(f['runs'])} joined, median "
          f"{f['median_s']:.1f} s, worst {f['worst_s']:.1f} s ({runs}); barriers from fcc {bars}")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()

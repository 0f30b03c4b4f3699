"""Study connectivity: how minima connect, checked where the answer is known, then measured.

(1) Complete maps of the 2-D landscapes whose critical points the census finds exactly: every
index-1 point found, at the census's position and energy, joining the minima plain gradient
descent reaches from either side. (2) styblinski-tang in D dimensions: 2^D minima joined by
D 2^(D-1) transition states whose energies have a closed form from the 1-D roots. (3)
Lennard-Jones clusters: basin-hopping to the global minimum, the lowest minima joined to it, the
barrier out of it; in the full run Lennard-Jones 38's double funnel: the fcc global minimum joined
to the icosahedral bottom of the other funnel. (4) Mode connectivity on the mlp: two solutions trained from different
starts, the loss barrier along the straight line between them against the barrier along the
relaxed elastic band, over widths (Draxler et al. 2018; Garipov et al. 2018).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._framework import Plot, Report, Study, register
from ._common import _fmt, _r

COMPLETE = ("himmelblau", "six-hump-camel", "styblinski-tang", "rastrigin")


def _items(quick: bool) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [{"kind": "complete", "landscape": n}
                                   for n in (COMPLETE[:3] if quick else COMPLETE)]
    items += [{"kind": "styblinski", "dim": d} for d in ((2, 3, 4) if quick else (2, 3, 4, 5, 6))]
    items += [{"kind": "lennard-jones", "atoms": n, "hops": 300 if quick else 3000, "connect": 6 if quick else 20}
              for n in (7, 13)]
    if not quick:
        items.append({"kind": "double-funnel", "hops": 3000, "attempts": 200})
    items += [{"kind": "mode", "width": w, "seed": s, "steps": 5000 if quick else 20000}
              for w in ((2, 8, 32) if quick else (2, 4, 8, 16, 32, 64)) for s in ((1,) if quick else (1, 2, 3))]
    return items


def _map(land: Any, **kw: Any) -> Any:
    import saddlescape

    lmap = saddlescape.LandscapeMap(":memory:", land)
    saddlescape.map_landscape(lmap, **kw)
    return lmap


def _inside(land: Any, x: np.ndarray) -> bool:
    lo, hi = land.domain
    return bool(np.all((x >= lo - 1e-9) & (x <= hi + 1e-9)))


def _work_complete(item: dict[str, Any]) -> dict[str, Any]:
    import saddlescape
    from saddlescape import landscapes

    land = landscapes.make(item["landscape"], dim=2)
    census = saddlescape.census(land, starts=4000, seed=0)
    truth = [p for p in census.critical_points if p["index"] == 1]
    lmap = _map(land, starts=400, connect="all")
    found = [(t, lmap.transition_state_x(t["id"])) for t in lmap.transition_states()]
    found = [(t, x) for t, x in found if _inside(land, x)]
    dx, de = [], []
    for p in truth:
        t, x = min(found, key=lambda tx: float(np.linalg.norm(tx[1] - p["x"])))
        dx.append(float(np.linalg.norm(x - p["x"])))
        de.append(abs(t["energy"] - p["value"]))
    # which minima each joins, by plain gradient descent from either side (the engine's loop)
    starts, joined = [], []
    for t, x in found:
        V = np.linalg.eigh(land.hessian(x))[1]
        starts += [x + 1e-3 * V[:, 0], x - 1e-3 * V[:, 0]]
        joined.append((lmap.minimum_x(t["minimum1"]), lmap.minimum_x(t["minimum2"])))
    wrong = 0
    if starts:
        ends = saddlescape.run(land, "gd", walkers=len(starts), steps=20000, seed=0, x0=np.array(starts),
                               detect=False).final_x
        for k, (m1, m2) in enumerate(joined):
            e1, e2 = ends[2 * k], ends[2 * k + 1]
            err = min(np.linalg.norm(e1 - m1) + np.linalg.norm(e2 - m2), np.linalg.norm(e1 - m2) + np.linalg.norm(e2 - m1))
            wrong += int(err > 1e-4)
    return {"census_ts": len(truth), "map_ts": len(found), "max_dx": max(dx, default=0.0),
            "max_de": max(de, default=0.0), "wrong_pairs": wrong,
            "census_minima": sum(p["index"] == 0 for p in census.critical_points),
            "map_minima": sum(_inside(land, lmap.minimum_x(i)) for i in lmap.minimum_ids())}


def _work_styblinski(item: dict[str, Any]) -> dict[str, Any]:
    from saddlescape import landscapes

    D = item["dim"]
    roots = np.sort(np.roots([2.0, 0.0, -16.0, 2.5]).real)  # s'(x) = 2x^3 - 16x + 2.5, s = (x^4 - 16x^2 + 5x)/2
    s = (roots ** 4 - 16 * roots ** 2 + 5 * roots) / 2
    land = landscapes.make("styblinski-tang", dim=D)
    lmap = _map(land, starts=50 * 2 ** D, connect="all", modes=D)
    err = 0.0
    for t in lmap.transition_states():
        x = lmap.transition_state_x(t["id"])
        k = int(np.argmin(np.abs(x - roots[1])))
        expect = s[1] + sum(s[0] if v < 0 else s[2] for v in np.delete(x, k))
        err = max(err, abs(t["energy"] - expect) / (1 + abs(expect)))
    n_min, n_ts = lmap.counts()
    return {"minima": n_min, "ts": n_ts, "expect_minima": 2 ** D, "expect_ts": D * 2 ** (D - 1), "max_rel_err": err}


def _work_lj(item: dict[str, Any]) -> dict[str, Any]:
    import saddlescape
    from saddlescape import landscapes

    land = landscapes.make("lennard-jones", dim=3 * item["atoms"])
    lmap = _map(land, basin_hopping_steps=item["hops"], seed=1, connect=f"lowest:{item['connect']}")
    ids = sorted(lmap.minimum_ids(), key=lmap.minimum_energy)
    low = ids[0]
    joined = [j for j in ids[1:item["connect"]] if lmap.connected(low, j)]
    barrier = lmap.minimax_path(low, ids[1])[1] if len(ids) > 1 and lmap.connected(low, ids[1]) else None
    graph = saddlescape.disconnectivity_graph(lmap, levels=0)
    n_min, n_ts = lmap.counts()
    return {"minima": n_min, "ts": n_ts, "global_min": lmap.minimum_energy(low),
            "known_global_min": land.known.get("global_min_value"), "joined": len(joined),
            "tried": min(item["connect"], len(ids)) - 1,
            "second_gap": (lmap.minimum_energy(ids[1]) - lmap.minimum_energy(low)) if len(ids) > 1 else None,
            "barrier_to_second": barrier, "dgraph": graph.render(72, 18)}


def _work_double_funnel(item: dict[str, Any]) -> dict[str, Any]:
    """LJ38: basin-hopping maps both funnels; the two lowest minima found are connected."""
    import time

    import saddlescape
    from saddlescape import landscapes
    from saddlescape._connect import connect_in_map

    land = landscapes.make("lennard-jones", dim=114)
    t0 = time.perf_counter()
    lmap = _map(land, basin_hopping_steps=item["hops"], seed=0)
    hopped = time.perf_counter() - t0
    ids = sorted(lmap.minimum_ids(), key=lmap.minimum_energy)
    res = connect_in_map(lmap, ids[0], ids[1], max_attempts=item["attempts"])
    e0, e1 = lmap.minimum_energy(ids[0]), lmap.minimum_energy(ids[1])
    n_min, n_ts = lmap.counts()
    return {"minima": n_min, "ts": n_ts, "lowest": e0, "second": e1,
            "known_lowest": land.known["global_min_value"], "known_second": land.known["local_minima"][0]["value"],
            "connected": res.connected, "barrier": res.barrier,
            "barrier_from_second": None if res.barrier is None else res.barrier + e0 - e1,
            "steps": len(res.path) // 2, "bands": res.attempts, "hop_s": hopped, "connect_s": res.elapsed_s,
            "dgraph": saddlescape.disconnectivity_graph(lmap, levels=0).render(72, 18)}


def _work_mode(item: dict[str, Any]) -> dict[str, Any]:
    import saddlescape
    from saddlescape import landscapes

    land = landscapes.make("mlp", width=item["width"], seed=0)
    r = saddlescape.run(land, "adam", walkers=2, steps=item["steps"], seed=item["seed"], detect=False,
                        record_every=item["steps"])
    a, b = r.final_x[0], r.final_x[1]
    alpha = np.linspace(0.0, 1.0, 41)
    line = land.value(a[None] + alpha[:, None] * (b - a)[None])
    band = saddlescape.neb(land, a, b, images=12, iterations=3000, climbing=False)
    ends = max(float(line[0]), float(line[-1]))
    return {"dim": land.dim, "ends": [float(line[0]), float(line[-1])], "distance": float(np.linalg.norm(b - a)),
            "line_barrier": float(line.max()) - ends,
            "band_barrier": float(band.energies.max()) - max(float(band.energies[0]), float(band.energies[-1])),
            "band_converged": bool(band.converged)}


def _work(item: dict[str, Any]) -> dict[str, Any]:
    return {"complete": _work_complete, "styblinski": _work_styblinski, "lennard-jones": _work_lj,
            "double-funnel": _work_double_funnel, "mode": _work_mode}[item["kind"]](item)


def _analyse(results: list[dict[str, Any]], quick: bool) -> Report:
    items = _items(quick)
    rows: list[list[Any]] = []
    checks: list[bool] = []
    widths: dict[int, list[tuple[float, float]]] = {}
    lj: dict[int, dict[str, Any]] = {}
    for it, res in zip(items, results):
        if it["kind"] == "complete":
            ok = (res["map_ts"] == res["census_ts"] and res["max_dx"] < 1e-6 and res["max_de"] < 1e-9
                  and res["wrong_pairs"] == 0 and res["map_minima"] == res["census_minima"])
            checks.append(ok)
            rows.append([f"complete map: {it['landscape']}", f"{res['map_minima']} / {res['census_minima']}",
                         f"{res['map_ts']} / {res['census_ts']}",
                         f"|dx| {res['max_dx']:.1e}, |dE| {res['max_de']:.1e}, {res['wrong_pairs']} wrong pairs",
                         "yes" if ok else "NO"])
        elif it["kind"] == "styblinski":
            ok = (res["minima"], res["ts"]) == (res["expect_minima"], res["expect_ts"]) and res["max_rel_err"] < 1e-10
            checks.append(ok)
            rows.append([f"styblinski-tang D={it['dim']}", f"{res['minima']} / {res['expect_minima']}",
                         f"{res['ts']} / {res['expect_ts']}", f"barriers to {res['max_rel_err']:.1e} of closed form",
                         "yes" if ok else "NO"])
        elif it["kind"] == "lennard-jones":
            known = res["known_global_min"]
            found = known is None or abs(res["global_min"] - known) < 1e-6
            ok = found and res["joined"] == res["tried"]
            checks.append(ok)
            lj[it["atoms"]] = res
            rows.append([f"LJ{it['atoms']}: {it['hops']} hops, lowest:{it['connect']}", str(res["minima"]),
                         str(res["ts"]), f"global min {res['global_min']:.6f}; barrier to the 2nd "
                         f"{_fmt(res['barrier_to_second'], '.4f')} ({res['joined']}/{res['tried']} joined)",
                         "yes" if ok else "NO"])
        elif it["kind"] == "double-funnel":
            found = (abs(res["lowest"] - res["known_lowest"]) < 1e-6 and abs(res["second"] - res["known_second"]) < 1e-6)
            ok = found and res["connected"]
            checks.append(ok)
            lj[38] = {"minima": res["minima"], "ts": res["ts"], "barrier_to_second": res["barrier"],
                      "dgraph": res["dgraph"]}
            rows.append([f"LJ38 double funnel: {it['hops']} hops, fcc to icosahedral", str(res["minima"]),
                         str(res["ts"]), f"bottoms {res['lowest']:.6f}, {res['second']:.6f}; "
                         + (f"joined by {res['steps']} transition states in {res['connect_s']:.0f} s "
                            f"({res['bands']} bands); barrier {res['barrier']:.3f} from fcc, "
                            f"{res['barrier_from_second']:.3f} from icosahedral" if res["connected"]
                            else f"not joined after {res['bands']} bands"),
                         "yes" if ok else "NO"])
        else:
            widths.setdefault(it["width"], []).append((res["line_barrier"], res["band_barrier"]))
    series_line, series_band, mode_ok = [], [], True
    for w in sorted(widths):
        line = float(np.median([v[0] for v in widths[w]]))
        band = float(np.median([v[1] for v in widths[w]]))
        series_line.append((w, max(line, 1e-8)))
        series_band.append((w, max(band, 1e-8)))
        mode_ok &= band < 0.1 * max(line, 1e-12)
        rows.append([f"mlp width {w}: two solutions", "-", "-",
                     f"barrier along the line {line:.3g}, along the band {band:.3g}", "yes" if band < 0.1 * line else "NO"])
    checks.append(bool(mode_ok))
    plot = Plot("loss barrier between two trained mlps (median over seeds)", "width", "barrier",
                [("straight line", [w for w, _ in series_line], [v for _, v in series_line]),
                 ("elastic band", [w for w, _ in series_band], [v for _, v in series_band])], logx=True, logy=True)
    exact = sum(checks[:-1])
    verdict = (f"{exact} of {len(checks) - 1} exact checks hold (complete 2-D maps against the census, styblinski-tang "
               f"barriers against their closed form, Lennard-Jones global minima found and the lowest minima "
               f"joined" + (", Lennard-Jones 38's fcc and icosahedral funnel bottoms joined" if 38 in lj else "")
               + "); between two trained mlps the band's barrier is "
               + ("below a tenth of the straight line's at every width" if mode_ok else
                  "not always below a tenth of the straight line's")
               + (f" (width {min(widths)}: {series_band[0][1]:.2g} against {series_line[0][1]:.2g}; width "
                  f"{max(widths)}: {series_band[-1][1]:.2g} against {series_line[-1][1]:.2g})." if widths else "."))
    measured: dict[str, Any] = {
        "checks_passed": int(sum(checks)), "checks": len(checks),
        "mode_connectivity": {str(w): {"line": _r(float(np.median([v[0] for v in widths[w]])), 6),
                                       "band": _r(float(np.median([v[1] for v in widths[w]])), 6)} for w in widths},
        "lennard_jones": {str(n): {"minima": r["minima"], "transition_states": r["ts"],
                                   "barrier_to_second": _r(r["barrier_to_second"], 6) if r["barrier_to_second"]
                                   is not None else None, "dgraph": r["dgraph"]} for n, r in lj.items()}}
    return Report(["case", "minima (found / known)", "transition states (found / known)", "detail", "as known"],
                  rows, plot, measured,
                  "Wales, Energy Landscapes (2003): a landscape's connectivity is its minima and the transition "
                  "states joining them, drawn as a disconnectivity graph (Becker & Karplus 1997). Draxler et al. "
                  "2018, Garipov et al. 2018: two solutions of a network are joined by a curved path of nearly "
                  "constant loss while the straight line between them climbs a barrier.",
                  verdict, all(checks))


STUDY = register(Study(
    "connectivity", "How minima connect",
    "Transition states join the minima of a landscape; complete maps reproduce every saddle the census "
    "knows, and solutions of a network are joined by a path with (almost) no barrier where the straight "
    "line climbs one.",
    "Becker & Karplus 1997; Wales 2003; Draxler et al. 2018; Garipov et al. 2018",
    _items, _work, _analyse, {"landscape": "himmelblau", "optimizers": ["gd", "momentum"]}))

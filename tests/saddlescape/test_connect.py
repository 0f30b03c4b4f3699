"""Connectivity: transition states against the census and closed forms, connections, basin-hopping,
the map database (kill, resume, bad input) and the disconnectivity graph."""
from __future__ import annotations

import hashlib
import json
import math
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes
from saddlescape._connect import align, basin_hopping, connect, map_landscape, neb, refine_transition_state
from saddlescape._dgraph import build, disconnectivity_graph
from saddlescape._landmap import LandscapeMap
from saddlescape._quench import quench


def _inside(land, x):
    lo, hi = land.domain
    return bool(np.all((x >= lo - 1e-9) & (x <= hi + 1e-9)))


@pytest.mark.parametrize("name", ["himmelblau", "six-hump-camel", "styblinski-tang", "rastrigin"])
def test_a_complete_map_finds_every_transition_state_the_census_knows(name):
    land = landscapes.make(name, dim=2, seed=0)
    census = saddlescape.census(land, starts=4000, seed=0)
    truth = [p for p in census.critical_points if p["index"] == 1]
    lmap = LandscapeMap(":memory:", land)
    map_landscape(lmap, starts=400, connect="all")
    found = [(t, lmap.transition_state_x(t["id"])) for t in lmap.transition_states()]
    found = [(t, x) for t, x in found if _inside(land, x)]
    assert len(found) == len(truth), (len(found), len(truth))
    for p in truth:
        t, x = min(found, key=lambda tx: np.linalg.norm(tx[1] - p["x"]))
        assert np.linalg.norm(x - p["x"]) < 1e-7
        assert t["energy"] == pytest.approx(p["value"], rel=1e-12, abs=1e-12)  # the barrier tops exactly
    minima = [p for p in census.critical_points if p["index"] == 0]
    assert sum(_inside(land, lmap.minimum_x(i)) for i in lmap.minimum_ids()) == len(minima)


@pytest.mark.parametrize("name", ["six-hump-camel", "rastrigin"])
def test_each_transition_state_joins_the_minima_gradient_descent_reaches(name):
    # before (rastrigin): 176 of 220 joined the wrong pair; the quench down from a transition state
    # took steps as long as a basin is wide and landed in the next basin
    land = landscapes.make(name, dim=2)
    lmap = LandscapeMap(":memory:", land)
    map_landscape(lmap, starts=200 if name == "six-hump-camel" else 400, connect="all")
    if name == "six-hump-camel":
        assert lmap.counts() == (6, 7)
    ts = lmap.transition_states()
    starts, joined = [], []
    for t in ts:
        x = lmap.transition_state_x(t["id"])
        lam, V = np.linalg.eigh(land.hessian(x))
        assert lam[0] < 0 < lam[1]
        starts += [x + 1e-3 * V[:, 0], x - 1e-3 * V[:, 0]]
        joined.append((lmap.minimum_x(t["minimum1"]), lmap.minimum_x(t["minimum2"])))
    # where plain gradient descent from either side ends (the engine's loop, not the map's quench)
    ends = saddlescape.run(land, "gd", walkers=len(starts), steps=20000, seed=0, x0=np.array(starts),
                           detect=False).final_x
    wrong = 0
    for k, (m1, m2) in enumerate(joined):
        e1, e2 = ends[2 * k], ends[2 * k + 1]
        wrong += min(np.linalg.norm(e1 - m1) + np.linalg.norm(e2 - m2),
                     np.linalg.norm(e1 - m2) + np.linalg.norm(e2 - m1)) > 1e-4
    assert len(ts) >= 7 and wrong == 0, (wrong, len(ts))


def _styblinski_roots():
    # f(x) = sum (x^4 - 16 x^2 + 5 x) / 2: each coordinate sits at a root of 2x^3 - 16x + 2.5
    r = np.sort(np.roots([2.0, 0.0, -16.0, 2.5]).real)
    s = (r ** 4 - 16 * r ** 2 + 5 * r) / 2
    return r, s


@pytest.mark.parametrize("dim", [3])
def test_styblinski_tang_barriers_have_their_closed_form(dim):
    (_lo_x, mid_x, _hi_x), (lo_s, mid_s, hi_s) = _styblinski_roots()
    land = landscapes.make("styblinski-tang", dim=dim)
    lmap = LandscapeMap(":memory:", land)
    map_landscape(lmap, starts=200, connect="all")
    assert lmap.counts() == (2 ** dim, dim * 2 ** (dim - 1))
    for t in lmap.transition_states():
        x = lmap.transition_state_x(t["id"])
        k = int(np.argmin(np.abs(x - mid_x)))  # one coordinate on the 1-D maximum, the rest in wells
        others = np.delete(x, k)
        expect = mid_s + sum(lo_s if v < 0 else hi_s for v in others)
        assert t["energy"] == pytest.approx(expect, rel=1e-12)
        a, b = lmap.minimum_x(t["minimum1"]), lmap.minimum_x(t["minimum2"])
        assert np.count_nonzero(np.abs(a - b) > 1) == 1  # the two wells differ in that coordinate only


def test_connect_on_the_quartic_saddle_goes_through_the_known_saddles():
    # f = sum lambda_i x_i^2 / 2 + q x^4 / 4, lambda = -a on the first k: minima at (+-r, +-r, 0..),
    # r = sqrt(a/q); corner to opposite corner crosses two index-1 saddles, each a^2 / (4q) high
    a, q = 1.0, 1.0
    land = landscapes.make("saddle", dim=4, negative=2, neg_curvature=a, quartic=q)
    r = math.sqrt(a / q)
    res, lmap = connect(land, [r, r, 0, 0], [-r, -r, 0, 0])
    assert res.connected and len(res.path) == 5  # minimum, ts, minimum, ts, minimum
    assert res.barrier == pytest.approx(a * a / (4 * q), rel=1e-10)
    for kind, i in res.path:
        if kind == "ts":
            x = lmap.transition_state_x(i)
            assert np.count_nonzero(np.abs(x) < 1e-8) == 3 and np.abs(np.abs(x).max() - r) < 1e-8
    ts = refine_transition_state(land, [0.05, r + 0.02, 0.01, -0.01])
    assert ts.verified and np.allclose(ts.x, [0, r, 0, 0], atol=1e-9)
    assert abs(ts.direction[0]) == pytest.approx(1.0) and ts.eigenvalues[0] == pytest.approx(-a)


def _random_symmetry(x, rng):
    """x's atoms translated, rotated (or reflected) and relabelled."""
    A = x.reshape(-1, 3)
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    return (A[rng.permutation(len(A))] @ Q + rng.normal(size=3)).reshape(-1)


def test_symmetry_moved_endpoints_give_the_same_barrier():
    land = landscapes.make("lennard-jones", dim=21, seed=0)
    lmap = LandscapeMap(":memory:", land)
    map_landscape(lmap, basin_hopping_steps=200, seed=1)
    ids = sorted(lmap.minimum_ids(), key=lmap.minimum_energy)
    assert len(ids) == 4  # LJ7 has four minima (Tsai & Jordan 1993)
    a, b = lmap.minimum_x(ids[0]), lmap.minimum_x(ids[1])
    moved = _random_symmetry(b, np.random.default_rng(3))
    aligned = align(land, a, moved)
    assert np.linalg.norm(aligned - a) == pytest.approx(np.linalg.norm(align(land, a, b) - a), rel=1e-6)
    plain, _ = connect(land, a, b)
    twisted, _ = connect(land, a, moved)
    assert plain.connected and twisted.connected
    assert twisted.barrier == pytest.approx(plain.barrier, rel=1e-9)
    band = neb(land, a, moved)
    assert band.energies.max() - band.energies[0] < 5.0  # aligned: no atoms dragged through each other


def test_connect_joins_the_two_funnels_of_lj38():
    # before: bands straight across the funnels (3.1 sigma apart after alignment) never settled:
    # 60 bands in 1,225 s and no connection. Now the line between them is quenched for minima in
    # between and short bands join those.
    land = landscapes.make("lennard-jones", dim=114)
    fcc = np.asarray(land.known["global_min_x"])
    second = land.known["local_minima"][0]
    ico = _random_symmetry(np.asarray(second["x"]), np.random.default_rng(3))
    res, lmap = connect(land, fcc, ico, max_attempts=100)  # 17 bands here (16 to 39 over seeds 0-4)
    assert res.connected, res.warnings
    (k0, first), (k1, last) = res.path[0], res.path[-1]
    assert k0 == k1 == "minimum"
    assert lmap.minimum_energy(first) == pytest.approx(land.known["global_min_value"], abs=1e-9)
    assert lmap.minimum_energy(last) == pytest.approx(second["value"], abs=1e-9)
    tops = []
    for n in range(1, len(res.path), 2):  # minimum, ts, minimum, ...: every ts above both its neighbours
        kind, t = res.path[n]
        assert kind == "ts"
        e = float(land.value(lmap.transition_state_x(t)))
        assert e > max(lmap.minimum_energy(res.path[n - 1][1]), lmap.minimum_energy(res.path[n + 1][1]))
        eig = np.linalg.eigvalsh(land.hessian(lmap.transition_state_x(t)))
        assert eig[0] < -1e-3 and np.abs(eig[1:7]).max() < 1e-6 and eig[7] > 1e-3  # index 1, six zero modes
        tops.append(e)
    assert res.barrier == pytest.approx(max(tops) - land.known["global_min_value"], abs=1e-9)
    assert res.barrier > second["value"] - land.known["global_min_value"]


def test_connect_works_on_the_sphere():
    land = landscapes.make("p-spin", dim=12, seed=0)
    lmap = LandscapeMap(":memory:", land)
    map_landscape(lmap, starts=100, connect="lowest:4")
    assert lmap.counts()[1] >= 3
    for t in lmap.transition_states():
        x = lmap.transition_state_x(t["id"])
        assert x @ x == pytest.approx(land.radius ** 2, rel=1e-12)
        ev = np.linalg.eigvalsh(saddlescape.manifold_hessian(land, x))
        assert (ev < 0).sum() == 1
        assert np.linalg.norm(land.grad(x) - (x @ land.grad(x)) / (x @ x) * x) < 1e-7


def test_basin_hopping_finds_lj13_and_is_reproducible():
    land = landscapes.make("lennard-jones", dim=39, seed=0)
    target = land.known["global_min_value"]
    runs = [basin_hopping(land, 2000, seed=2, target=target) for _ in range(2)]
    assert runs[0].reached_target and runs[0].best_energy == pytest.approx(target, abs=1e-8)
    assert runs[0].found_at == runs[1].found_at and runs[0].best_energy == runs[1].best_energy


def test_a_map_rejects_another_landscape_and_reopens_with_its_own(tmp_path):
    path = tmp_path / "m.db"
    land = landscapes.make("himmelblau")
    with LandscapeMap(path, land) as lmap:
        map_landscape(lmap, starts=50, connect="all")
        counts = lmap.counts()
    with LandscapeMap(path) as again:
        assert again.landscape.name == "himmelblau" and again.counts() == counts
        assert again.connected(1, 2) and again.connected(1, 4)
    with pytest.raises(saddlescape.ParamError, match=r"maps himmelblau .* cannot take rastrigin"):
        LandscapeMap(path, landscapes.make("rastrigin", dim=2))
    # a second run adds nothing it already has
    with LandscapeMap(path, land) as lmap:
        report = map_landscape(lmap, starts=50, connect="all")
        assert (report.new_minima, report.new_transition_states) == (0, 0)
    con = sqlite3.connect(path)  # any SQLite tool reads it
    energies = [e for (e,) in con.execute("SELECT energy FROM transition_states ORDER BY energy")]
    con.close()
    assert energies == pytest.approx(sorted(p["value"] for p in saddlescape.census(
        "himmelblau", starts=400, seed=0).critical_points if p["index"] == 1), rel=1e-12)


# -- the disconnectivity graph ----------------------------------------------------------------------
HAND_MINIMA = {1: 0.0, 2: 1.0, 3: 0.5, 4: 2.0, 5: 3.5}
HAND_TS = [(1, 3.0, 1, 2), (2, 2.5, 1, 3), (3, 4.0, 3, 4), (4, 5.0, 2, 4)]  # 4 is redundant; 5 joins nothing


def test_dgraph_of_a_hand_built_map_is_the_tree_drawn_by_hand():
    g = build(HAND_MINIMA, HAND_TS, levels=0)
    # barrier tree: 1 and 3 join at 2.5, then 2 at 3.0, then 4 at 4.0; minimum 5 is not connected
    assert g.summary()["tree"] == {"energy": 4.0, "children": [
        {"energy": 3.0, "children": [
            {"energy": 2.5, "children": [{"minimum": 1, "energy": 0.0}, {"minimum": 3, "energy": 0.5}]},
            {"minimum": 2, "energy": 1.0}]},
        {"minimum": 4, "energy": 2.0}]}
    assert g.excluded == 1
    ts = {t["id"]: t for t in g.summary()["transition_states"]}
    assert ts[3]["barrier1"] == 3.5 and ts[3]["barrier2"] == 2.0
    # on levels 1, 2, 3, 4 the joins at 2.5 and 3.0 both happen at level 3: one node of three minima
    g4 = build(HAND_MINIMA, HAND_TS, levels=4)
    assert g4.levels == [1.0, 2.0, 3.0, 4.0]
    tree = g4.summary()["tree"]
    assert tree["energy"] == 4.0 and [c.get("minimum") for c in tree["children"]] == [None, 4]
    assert sorted(c["minimum"] for c in tree["children"][0]["children"]) == [1, 2, 3]
    # drawn by hand: leaf 4 (E=2) on the left, the 2.5 merge of 3 and 1 on the right, the lowest
    # branch of each merge to the right of (or amid) the others; rows are energy, 0.44 a row
    assert g.render(width=40, height=12) == [
        "       4.4┤        │                    ",
        "          │┌───────┴───────┐            ",
        "          ││               │            ",
        "          ││        ┌──────┴──────┐     ",
        "          ││        │         ┌───┴────┐",
        "       2.2┤●        │         │        │",
        "          │         │         │        │",
        "          │         │         │        │",
        "          │         ●         │        │",
        "          │                   ●        │",
        "         0┤                            ●",
        "    energy  4 minima, 4 TS",
    ]


def test_dgraph_svg_is_a_drawing_of_every_line(tmp_path):
    g = build(HAND_MINIMA, HAND_TS, levels=0)
    root = ET.fromstring(g.svg())
    lines = root.findall(".//{http://www.w3.org/2000/svg}line")
    # 4 leaves + 3 merges: a vertical per node (the root's to the top) and a bar per merge, plus the axis
    assert len(lines) >= 4 + 3 + 3


def test_dgraph_rejects_a_transition_state_to_nowhere():
    with pytest.raises(saddlescape.ParamError, match="joins minima 1 and 9"):
        build({1: 0.0, 2: 1.0}, [(1, 2.0, 1, 9)])


# -- the command line ---------------------------------------------------------------------------------
def _cli(*args, cwd=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "saddlescape", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture(scope="module")
def himmelblau_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "h.db"
    done = _cli("map", "--landscape", "himmelblau", "--db", str(path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["n_minima"], out["n_transition_states"]) == (4, 4)
    return path


def test_cli_dgraph_connect_and_svg(himmelblau_db, tmp_path):
    j = json.loads(_cli("dgraph", "--db", str(himmelblau_db), "--json").stdout)
    assert len(j["minima"]) == 4 and len(j["transition_states"]) == 4 and j["excluded_minima"] == 0
    text = _cli("dgraph", "--db", str(himmelblau_db)).stdout
    assert text.count("●") == 4 and "4 minima, 4 transition states" in text
    svg = tmp_path / "h.svg"
    done = _cli("dgraph", "--db", str(himmelblau_db), "--out", str(svg))
    assert done.returncode == 0 and ET.parse(svg).getroot().tag.endswith("svg")
    path = json.loads(_cli("connect", "--db", str(himmelblau_db), "--from", "1", "--to", "3").stdout)
    assert path["connected"] and path["path"][0]["id"] == 1 and path["path"][-1]["id"] == 3
    tops = [p["energy"] for p in path["path"] if p["kind"] == "ts"]
    assert path["barrier"] == pytest.approx(max(tops) - path["path"][0]["energy"])


@pytest.mark.parametrize("args, message", [
    (["connect", "--db", "{db}", "--from", "1", "--to", "99"], "--to 99: no minimum with that id"),
    (["connect", "--db", "{db}", "--from", "2", "--to", "2"], "--from and --to are the same minimum (2)"),
    (["connect", "--db", "{missing}", "--from", "1", "--to", "2"], "does not exist"),
    (["connect", "--db", "{junk}", "--from", "1", "--to", "2"], "is not a saddlescape map database"),
    (["dgraph", "--db", "{junk}"], "is not a saddlescape map database"),
    (["dgraph", "--db", "{db}", "--out", "{tmp}/g.pdf"], "is written as .svg or .png"),
    (["map", "--db", "{db}", "--landscape", "rastrigin", "--dim", "2", "--starts", "5"], "cannot take rastrigin"),
    (["map", "--db", "{db}", "--connect", "lowest:1"], "connect='lowest:1' is not allowed"),
    (["map", "--db", "{missing}"], "say which landscape to map with --landscape"),
])
def test_cli_bad_input_is_one_line_and_leaves_the_map_untouched(himmelblau_db, tmp_path, args, message):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    names = {"db": str(himmelblau_db), "missing": str(tmp_path / "none.db"), "junk": str(junk),
             "tmp": str(tmp_path)}
    before = _digest(himmelblau_db), _digest(junk)
    done = _cli(*[a.format(**names) for a in args])
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert (_digest(himmelblau_db), _digest(junk)) == before
    assert not (tmp_path / "none.db").exists()


def _count_minima(path):
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return con.execute("SELECT COUNT(*) FROM minima").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_map_run_keeps_what_it_found_and_resumes(tmp_path, sig):
    path = tmp_path / "lj.db"
    proc = subprocess.Popen([sys.executable, "-m", "saddlescape", "map", "--landscape", "lennard-jones", "--dim",
                             "39", "--db", str(path), "--basin-hopping", "1000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300  # (a guard against a hang, not a timing assertion)
        while _count_minima(path) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _count_minima(path) >= 30
        proc.send_signal(sig)
        out, _err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and json.loads(out)["stopped_by"] == "SIGINT"
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = con.execute("SELECT COUNT(*) FROM minima").fetchone()[0]
    con.close()
    assert kept >= 30
    done = _cli("map", "--db", str(path), "--basin-hopping", "200")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n_minima"] >= kept
    with LandscapeMap(path, readonly=True) as lmap:
        assert int(lmap.meta("basin_hopping_steps")) >= 200  # the resumed run counted on, seeded past the first
        fps = [lmap.minimum_x(i) for i in lmap.minimum_ids()]
    assert len(fps) == len({round(lmap_e, 9) for lmap_e in _energies(path)})  # no minimum stored twice


def _energies(path):
    con = sqlite3.connect(path)
    try:
        return [e for (e,) in con.execute("SELECT energy FROM minima")]
    finally:
        con.close()


def test_lowest_pairs_get_connected_on_lj13(tmp_path):
    land = landscapes.make("lennard-jones", dim=39, seed=0)
    lmap = LandscapeMap(":memory:", land)
    map_landscape(lmap, basin_hopping_steps=300, seed=1, connect="lowest:5")
    ids = sorted(lmap.minimum_ids(), key=lmap.minimum_energy)
    assert lmap.minimum_energy(ids[0]) == pytest.approx(land.known["global_min_value"], abs=1e-8)
    for j in ids[1:5]:
        assert lmap.connected(ids[0], j)
    path, barrier = lmap.minimax_path(ids[0], ids[1])
    # leaving the icosahedron costs at least the climb to the next minimum (2.85 epsilon)
    assert barrier >= lmap.minimum_energy(ids[1]) - lmap.minimum_energy(ids[0])
    for kind, i in path:
        if kind == "ts":
            ev = np.linalg.eigvalsh(land.hessian(lmap.transition_state_x(i)))
            assert (ev < -1e-6 * np.abs(ev).max()).sum() == 1


def test_dgraph_from_a_map_excludes_nothing_once_connected():
    land = landscapes.make("himmelblau")
    lmap = LandscapeMap(":memory:", land)
    map_landscape(lmap, starts=50, connect="all")
    g = disconnectivity_graph(lmap, levels=0)
    assert g.excluded == 0 and len(g.minima) == 4
    # the last merge is the third-lowest barrier top (the highest, 178.3, closes a loop)
    tops = sorted(t["energy"] for t in lmap.transition_states())
    assert g.root is not None and g.root.energy == pytest.approx(tops[2])


def test_cli_dgraph_png(himmelblau_db, tmp_path):
    pytest.importorskip("matplotlib")  # (in the test extras; optional for users)
    png = tmp_path / "h.png"
    done = _cli("dgraph", "--db", str(himmelblau_db), "--out", str(png))
    assert done.returncode == 0, done.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def _flat_saddle_vg(x, g):
    # f = x^4/4 - x^2/2 + y^4/4: minima at (+-1, 0) and a saddle at 0 whose Hessian is diag(-1, 0)
    g[0] = x[0] ** 3 - x[0]
    g[1] = x[1] ** 3
    return x[0] ** 4 / 4 - x[0] ** 2 / 2 + x[1] ** 4 / 4


def _flat_saddle_hess(x, H):
    H[0, 0] = 3 * x[0] ** 2 - 1
    H[0, 1] = H[1, 0] = 0.0
    H[1, 1] = 3 * x[1] ** 2


def test_a_degenerate_saddle_is_flagged_not_stored():
    land = landscapes.custom("flat-saddle", _flat_saddle_vg, dim=2, hessian=_flat_saddle_hess, domain=(-2, 2))
    ts = refine_transition_state(land, [0.05, 0.0])
    assert ts.converged and ts.index == 1 and ts.degenerate and not ts.verified
    res, lmap = connect(land, [1.0, 0.0], [-1.0, 0.0])
    assert not res.connected and lmap.counts()[1] == 0
    assert any("degenerate" in w and "E = 0" in w for w in res.warnings), res.warnings


def test_live_connectivity_connects_the_given_minima_and_counts_the_ones_between_apart():
    # the playground's panel: stepping stones a connection adds are drawn, not chased, and the
    # header counts the walkers' minima apart from them
    from saddlescape import LiveConnectivity

    land = landscapes.make("lennard-jones", dim=39)
    low = np.asarray(land.known["global_min_x"])
    far = quench(land, land.sample(1, seed=10)[0])[0]  # a random quench: a disordered minimum
    live = LiveConnectivity(land)
    assert live.add_minima([low, far]) == 2 and live.given == 2
    assert live.add_minima([low]) == 0  # seen before
    steps = 0
    while live.step():
        steps += 1
    n_min, _ = live.map.counts()
    assert n_min > 2  # the search went through minima of its own...
    assert steps == 1 and live.attempts <= 3  # ...which were not chased: one connect, the given pair's
    assert live.pending() == [] and live.given == 2

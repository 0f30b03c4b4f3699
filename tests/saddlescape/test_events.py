"""Live events during runs: saddle visits and escapes, distinct minima, discovery curve."""
from __future__ import annotations

import itertools

import numba
import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes, optimizers


def test_perturbed_gd_escapes_and_gd_stays_trapped_at_an_exact_saddle():
    f = landscapes.make("saddle", dim=3, negative=2, quartic=1.0)
    x0 = np.zeros((3, 3))
    gd = saddlescape.run(f, "gd", x0=x0, steps=500, seed=0)
    assert gd.saddle_escapes == [] and len(gd.saddle_visits_open) == 3
    assert {v["index"] for v in gd.saddle_visits_open} == {2}
    pgd = saddlescape.run(f, "perturbed-gd", x0=x0, steps=3000, seed=0)
    first = [e for e in pgd.saddle_escapes if e["step_in"] == 0]
    assert len(first) == 3 and all(e["index"] == 2 and e["loss"] == 0.0 for e in first)
    assert all(e["step_out"] > e["step_in"] and e["dwell"] == e["step_out"] - e["step_in"] for e in first)
    assert pgd.summary()["n_saddle_escapes"] == len(pgd.saddle_escapes)


def test_gd_near_a_saddle_dwells_then_escapes():
    f = landscapes.make("saddle", dim=2, negative=1, quartic=1.0)
    x0 = np.array([[1e-9, 0.5]])  # close to the stable manifold: a long plateau
    r = saddlescape.run(f, optimizers.make("gd", lr=0.05), x0=x0, steps=2000)
    assert len(r.saddle_escapes) == 1
    e = r.saddle_escapes[0]
    assert e["index"] == 1 and e["dwell"] > 50 and abs(e["loss"]) < 1e-3
    assert r.summary()["mean_escape_dwell"] == e["dwell"]


def test_distinct_minima_basins_and_discovery_curve_on_six_hump_camel():
    f = landscapes.make("six-hump-camel")
    r = saddlescape.run(f, "gd", walkers=200, steps=3000, seed=0)
    known = sorted(cp["value"] for cp in f.known["critical_points"] if cp["index"] == 0)
    found = sorted(m["value"] for m in r.minima)
    assert len(found) == 6 and np.allclose(found, known, atol=1e-9)
    assert sum(m["count"] for m in r.minima) == len(r.discovery_curve) <= 200
    curve = r.discovery_curve
    assert curve[-1] == 6 and all(b - a in (0, 1) for a, b in itertools.pairwise(curve))
    s = r.summary()
    assert s["n_distinct_minima"] == 6 and {"value", "index", "count", "x"} <= set(s["minima"][0])


def test_minima_on_the_sphere_and_under_atom_symmetries():
    r = saddlescape.run(landscapes.make("lennard-jones", dim=18), optimizers.make("adam", lr=0.01),
                        walkers=30, steps=4000, seed=1)
    values = sorted(round(m["value"], 5) for m in r.minima)
    assert set(values) <= {-12.71206, -12.30293} and len(values) == len(set(values))
    f = landscapes.make("p-spin", dim=6, p=2, seed=0)
    r = saddlescape.run(f, "gd", walkers=20, steps=3000, seed=0)
    assert len(r.minima) == 2 and all(np.isclose(m["value"], f.known["global_min_value"]) for m in r.minima)


def test_events_can_be_switched_off_and_plugins_get_them_too():
    f = landscapes.make("six-hump-camel")
    off = saddlescape.Session(f, "gd", walkers=10, seed=0, detect=False)
    off.advance(2000)
    assert len(off.events.minima) == 0

    class Plain:
        hyper = {"lr": 0.01}

        def init(self, x):
            return None

        def step(self, x, g, f, state, *, t, hyper, rng):
            return x - hyper["lr"] * g, state

    r = saddlescape.run(f, Plain(), walkers=30, steps=2000, seed=0)
    assert len(r.minima) >= 4


def test_detector_finds_the_reference_passages_and_only_those():
    """Against the known saddles (benchmarks.escapes, the same scorer README's table comes from):
    every passage a walker makes through a saddle's ball is detected once, with its index."""
    from benchmarks.escapes import score_case

    for label, name, params in [("camel", "six-hump-camel", {}),
                                ("saddle", "saddle", {"dim": 5, "negative": 2, "quartic": 1.0}),
                                ("spin", "p-spin", {"dim": 10, "p": 2})]:
        for opt in ("gd", "momentum"):
            row = score_case(label, name, params, opt, walkers=32, steps=600)
            assert row["reference"] >= 4, row  # enough passages for the check to mean something
            assert row["precision"] >= 0.9 and row["recall"] >= 0.9, row
            assert row["index_right"] >= 0.95 and row["dwell_abs_diff_median"] == 0.0, row


def test_one_passage_is_one_escape_even_when_the_walker_lingers():
    """A GD walker started on the stable manifold of an index-1 saddle crawls for hundreds of
    steps inside its ball, then leaves downhill: one escape, not one per step or per chunk."""
    f = landscapes.make("saddle", dim=2, negative=1, quartic=1.0)
    s = saddlescape.Session(f, optimizers.make("gd", lr=0.05), x0=np.array([[1e-7, 0.3]]))
    for _ in range(60):
        s.advance(7)  # chunk edges inside the visit must not split it
    assert len(s.events.escapes) == 1 and s.events.escapes[0]["index"] == 1
    assert s.events.escapes[0]["dwell"] > 100


def test_the_sensitivity_is_a_radius_with_one_definition_and_bad_values_say_so():
    f = landscapes.make("six-hump-camel")
    s = saddlescape.Session(f, "gd", walkers=4, saddle_radius=0.2)
    assert s.near == 0.2 * f.feature_scale
    import pytest

    for bad in (0, -0.1, 1.5, "x"):
        with pytest.raises(landscapes.ParamError, match=r"saddle_radius=.* is not allowed; use a number in"):
            saddlescape.Session(f, "gd", walkers=4, saddle_radius=bad)


def test_wider_balls_see_at_least_the_passages_narrow_ones_see():
    f = landscapes.make("six-hump-camel")
    counts = [len(saddlescape.run(f, "gd", walkers=96, steps=800, seed=3, saddle_radius=r).saddle_escapes)
              for r in (0.05, 0.1, 0.3)]
    assert counts[0] <= counts[1] <= counts[2] and counts[2] > 0


def test_one_minimum_at_round_coordinates_is_counted_once():
    """Walkers locate the same minimum to ~1e-12 on either side of 1.0 in every coordinate: the
    registry's grid must not split it (it once did, into three)."""
    from saddlescape._events import MinimaRegistry

    reg = MinimaRegistry(landscapes.make("saddle", dim=5, negative=0))
    rng = np.random.default_rng(0)
    X = 1.0 + 1e-12 * rng.choice([-1.0, 1.0], size=(40, 5))
    ids = reg.add_located(X, np.zeros(40), np.arange(40), np.zeros(40, np.int64))
    assert set(ids) == {0} and len(reg) == 1 and reg.counts == [40]
    other = reg.add_located(X + 0.5, np.zeros(40), np.arange(40, 80), np.zeros(40, np.int64))
    assert set(other) == {1} and len(reg) == 2


def _registry_reference(land, chunks):
    """The registry's rules, row by row in plain Python (its implementation before the compiled
    hash table): each located minimum's cell of its symmetry keys and the cells across the edges it
    lies within 1% of (the first four), the first that holds a minimum, else a new minimum in all of
    them; a walker's first minimum counted once. Returns each chunk's ids and the registry."""
    from saddlescape._critical import fingerprints
    from saddlescape._events import CELL, GRID_SHIFT

    grid: dict[tuple[int, ...], int] = {}
    values: list[float] = []
    found_at: list[int] = []
    counts: list[int] = []
    reached: dict[int, int] = {}
    all_ids = []
    for X, v, walkers, steps in chunks:
        keys = fingerprints(land, X, land.identify)
        ids = []
        for e in range(len(X)):
            u = keys[e] / CELL + GRID_SHIFT
            base, frac = np.floor(u), u - np.floor(u)
            near = [i for i in range(len(u)) if frac[i] < 0.01 or frac[i] > 0.99][:4]
            cells = []
            for signs in itertools.product((0, 1), repeat=len(near)):
                cell = base.copy()
                for i, flip in zip(near, signs):
                    cell[i] += (-1 if frac[i] < 0.5 else 1) if flip else 0
                cells.append(tuple(int(c) for c in cell))
            found = next((grid[c] for c in cells if c in grid), -1)
            if found < 0:
                found = len(values)
                values.append(float(v[e]))
                found_at.append(int(steps[e]))
                counts.append(0)
                for c in cells:
                    grid.setdefault(c, found)
            if int(walkers[e]) not in reached:
                reached[int(walkers[e])] = found
                counts[found] += 1
            ids.append(found)
        all_ids.append(ids)
    return all_ids, {"values": values, "found_at": found_at, "counts": counts, "walker_minimum": reached}


@pytest.mark.parametrize("name,dim", [("rastrigin", 2), ("rastrigin", 7), ("phase-retrieval", 4)])
def test_the_minima_registry_matches_its_rules_row_by_row(name, dim):
    """The compiled registry (a hash table of cells, grown as it fills, walkers beyond its arrays)
    against the same rules in plain Python: ids, new minima in order, counts, each walker's first
    minimum and the discovery curve, over chunks that revisit minima located to ~1e-13..1e-6 apart
    (many across a cell edge, a few exactly on one) and a landscape whose keys are sign-folded."""
    from saddlescape._events import CELL, GRID_SHIFT, MinimaRegistry

    land = landscapes.make(name, dim=dim)
    rng = np.random.default_rng(7)
    centres = rng.integers(-3, 4, size=(60, dim)) * 1.0 + (rng.random((60, dim)) < 0.3) * 0.5
    edge = (np.round(centres[:20] / CELL) - GRID_SHIFT) * CELL  # on a cell edge: a tenth of the points
    centres[:20] = edge
    chunks = []
    for _ in range(40):
        n = int(rng.integers(0, 400))
        X = centres[rng.integers(0, 60, n)] + rng.choice([-1, 1], (n, dim)) * 10.0 ** rng.uniform(-13, -6, (n, dim))
        chunks.append((X, rng.random(n), rng.integers(0, 3000, n), rng.integers(0, 10**6, n)))
    want_ids, want = _registry_reference(land, chunks)
    reg = MinimaRegistry(land)
    got_ids = [reg.add_located(*c) for c in chunks]
    assert got_ids == want_ids
    assert reg.values == want["values"] and reg.found_at == want["found_at"] and reg.counts == want["counts"]
    assert reg.walker_minimum == want["walker_minimum"]
    assert len(reg) > 100 and reg._state[0] > 64  # (grown several times)
    curve, seen = [], set()
    for w in sorted(want["walker_minimum"]):
        seen.add(want["walker_minimum"][w])
        curve.append(len(seen))
    assert reg.discovery_curve() == curve


def test_a_waiting_walker_is_looked_at_sparingly_where_a_hessian_is_costly():
    """mlp's Hessian (complex step over the gradient) costs ~8 dim gradients: looks at a walker
    waiting with nothing near are at least LOOK_SPACING * dim steps apart (before, every ~200
    steps, 13x the run's cost); cheap Hessians keep looking as before (spacing 0)."""
    from saddlescape._events import LOOK_SPACING, WAIT

    land = landscapes.make("mlp", seed=0)
    s = saddlescape.Session(land, optimizers.make("adam", lr=1e-3), x0=land.sample(2, seed=1))
    spacing = LOOK_SPACING * land.dim
    assert s.curv[2] == spacing
    looks: list[set[int]] = [set(), set()]
    for _ in range(60):
        s.advance(100)
        for b in range(2):
            if s.vstate[b] == WAIT:
                looks[b].add(int(s.vinfo[b, 0]))
    for steps in looks:
        gaps = np.diff(sorted(steps))
        assert len(steps) >= 2 and (gaps >= spacing).all(), sorted(steps)
    assert saddlescape.Session("six-hump-camel", "gd", walkers=2).curv[2] == 0


def test_curvature_index_agrees_with_the_eigenvalues_at_known_critical_points():
    """The detector's classification (index, degenerate, scale) against NumPy's eigenvalues at
    every critical point of styblinski-tang in D=3 (a diagonal Hessian, read without a sort or an
    eigendecomposition) and of himmelblau (a full one), and at a degenerate point."""
    from saddlescape._detect import curvature_index

    st = landscapes.make("styblinski-tang", dim=3)
    roots = st.known["critical_points_1d"]
    points = [(np.array([r["x"] for r in c]), sum(r["index"] for r in c)) for c in itertools.product(roots, repeat=3)]
    him = landscapes.make("himmelblau")
    cases = [(st, x, k) for x, k in points] + [(him, np.array(c["x"], float), c["index"])
                                                for c in him.known["critical_points"]]
    assert {k for _, _, k in cases} == {0, 1, 2, 3}
    for land, x, index in cases:
        D = land.dim
        H = np.empty((D, D))
        got = curvature_index(x, land.hessian_kernel, land.data, 0.0, 0.0, 1e-6, 0, H)
        lam = np.linalg.eigvalsh(land.hessian(x))
        assert got[0] == index == (lam < 0).sum()
        assert not got[1] and got[2] == pytest.approx(np.abs(lam).max(), rel=1e-12)
    monkey = landscapes.make("monkey-saddle")  # x^3 - 3 x y^2: every curvature zero at the origin
    got = curvature_index(np.zeros(2), monkey.hessian_kernel, monkey.data, 0.0, 0.0, 1e-6, 0, np.empty((2, 2)))
    assert np.all(monkey.hessian(np.zeros(2)) == 0.0) and got == (0, True, 0.0)


@numba.njit(cache=False)
def _matrix_hessian(x, H, data):
    """A 'Hessian' that is the matrix flattened into ``data``, whatever x."""
    D = x.shape[0]
    for i in range(D):
        for j in range(D):
            H[i, j] = data[i * D + j]


def _spectrum(kind, D, rng):
    lam = rng.uniform(0.1, 10.0, D)
    if kind == "index 1":
        lam[rng.integers(D)] = -rng.uniform(0.01, 1.0)
    elif kind == "flat":
        lam[rng.integers(D)] = 1e-9
    elif kind == "clustered":  # two tight clusters: Lanczos exhausts the space within a few steps
        lam = np.concatenate([rng.uniform(1.0, 1.0001, D // 2), rng.uniform(1e-3, 2e-3, D - D // 2)])
    return lam * 10.0 ** rng.uniform(-3, 3)


@pytest.mark.parametrize("D", [33, 64, 150])
def test_dense_index_without_an_eigendecomposition_agrees_with_the_eigenvalues(D):
    """From CHOLESKY_MIN_DIM on a dense Hessian's index comes from Gershgorin's discs or a Cholesky
    test, shifted by a norm bound, with the scale from the largest diagonal entry or a Lanczos
    estimate (an eigendecomposition only where both fail): index and flatness as the eigenvalues
    give them, the scale at most SCALE_RTOL below the largest |eigenvalue| and never above it, on
    random symmetric matrices with positive, one negative, one flat (or flat by a tenth of the
    tolerance), and tightly clustered spectra, and on diagonally dominant ones (a diagonal plus a
    rank 2: positive, one negative diagonal entry, one flat by a tenth of the tolerance, discs
    reaching far above the diagonal)."""
    from saddlescape._critical import CHOLESKY_MIN_DIM
    from saddlescape._detect import LANCZOS_STEPS, SCALE_RTOL, _lanczos_extremes, curvature_index

    assert D >= CHOLESKY_MIN_DIM
    rng = np.random.default_rng(D)
    kinds = ("positive", "index 1", "flat", "clustered", "barely flat", "dominant", "dominant, index 1",
             "dominant, barely flat", "dominant, wide")
    for kind in kinds * 3:
        if kind.startswith("dominant"):  # a diagonal plus a small rank 2, as ackley's Hessian at a minimum:
            s = 10.0 ** rng.uniform(-3, 3)  # Gershgorin's discs alone prove it positive definite
            diag = s * rng.uniform(1.0, 1.05, D)
            u = rng.normal(size=(2, D))
            low = u.T @ u
            low *= (0.9 if kind == "dominant, wide" else 0.02) * s / np.abs(low).sum(1).max()
            if kind == "dominant, index 1":
                diag[rng.integers(D)] = -0.5 * s
            if kind == "dominant, barely flat":  # flat by a tenth of the tolerance, the rest dominant:
                diag[0] = 0.9e-6 * diag.max()  # no disc test may pass it
                low *= 1e-9
            M = np.diag(diag) + low
        else:
            Q, _ = np.linalg.qr(rng.normal(size=(D, D)))
            lam = _spectrum("positive" if kind == "barely flat" else kind, D, rng)
            if kind == "barely flat":  # flat by a tenth of the tolerance: a test shifted by less than it passes
                lam[0] = 0.9e-6 * max(1.0, np.abs(lam).max())
            M = (Q * lam) @ Q.T
        M = 0.5 * (M + M.T)
        e = np.linalg.eigvalsh(M)
        scale = np.abs(e).max()
        tol = 1e-6 * max(1.0, scale)
        index, degenerate, got = curvature_index(np.zeros(D), _matrix_hessian, M.ravel().copy(), 0.0, 0.0, 1e-6, 0,
                                                 np.empty((D, D)))
        assert (index, degenerate) == ((e < -tol).sum(), bool((np.abs(e) <= tol).any())), kind
        assert (1.0 - SCALE_RTOL) * scale <= got <= (1.0 + 1e-12) * scale, kind
        lo, hi = _lanczos_extremes(M, np.empty((LANCZOS_STEPS, D)))  # Ritz values lie within the spectrum
        assert e[0] - 1e-9 * scale <= lo and hi <= e[-1] + 1e-9 * scale, kind


def test_cholesky_into_tests_definiteness_and_cholesky_solve_solves():
    """The detector's Cholesky: a positive definite matrix factors and solves as NumPy solves;
    shifted just past its smallest eigenvalue, or indefinite, it does not factor."""
    from saddlescape._critical import cholesky_into, cholesky_solve

    rng = np.random.default_rng(3)
    for D in (1, 5, 40):
        Q, _ = np.linalg.qr(rng.normal(size=(D, D)))
        lam = rng.uniform(0.5, 4.0, D)
        M = (Q * lam) @ Q.T
        M = 0.5 * (M + M.T)
        L, b, out = np.empty((D, D)), rng.normal(size=D), np.empty(D)
        assert cholesky_into(M, 0.0, L)
        cholesky_solve(L, b, out)
        want = np.linalg.solve(M, b)
        assert np.abs(out - want).max() <= 1e-12 * np.abs(want).max()
        assert cholesky_into(M, 0.99 * lam.min(), L) and not cholesky_into(M, 1.01 * lam.min(), L)
        assert not cholesky_into(M - 1.01 * lam.min() * np.eye(D), 0.0, L)


def test_cg_solve_solves_a_diagonal_plus_low_rank_and_gives_up_elsewhere():
    """The detector's conjugate gradients (preconditioned by the diagonal): on ackley's and
    griewank's Hessians next to minima (a diagonal plus a rank 2 or 1) it solves as NumPy solves
    (as accurately); it gives up, rather than
    return a wrong step, where the diagonal is not positive, where H is indefinite, and where the
    residual falls slowly (a dense random spectrum spread over four decades)."""
    from saddlescape._critical import CG_RTOL, cg_solve

    rng = np.random.default_rng(11)
    for name, D in (("ackley", 33), ("ackley", 100), ("griewank", 40)):
        land = landscapes.make(name, dim=D)  # next to a minimum (ackley's lie next to the integer lattice)
        x = np.round(rng.uniform(-3, 3, D)) if name == "ackley" else np.asarray(land.known["global_min_x"], float)
        x += 0.01 * rng.normal(size=D)
        M = land.hessian(x)
        b, d, W = rng.normal(size=D), np.empty(D), np.empty((4, D))
        assert cg_solve(M, b, d, W)
        assert np.linalg.norm(M @ d - b) <= 10 * CG_RTOL * np.linalg.norm(b)
        assert np.abs(d - np.linalg.solve(M, b)).max() <= 1e-10 * np.abs(d).max()
        bad = M.copy()
        bad[3, 3] = -1.0
        assert not cg_solve(bad, b, d, W)  # a diagonal entry not positive
        Q, _ = np.linalg.qr(rng.normal(size=(D, D)))
        lam = rng.uniform(0.1, 1.0, D)
        lam[0] = -0.5
        assert not cg_solve((Q * lam) @ Q.T, b, d, W)  # indefinite
        M = np.eye(D)
        M[0, 1] = M[1, 0] = 2.0  # a positive diagonal, the first direction's curvature negative:
        b = np.zeros(D)  # no positive definite system, so none for CG (which would end on M^-1 b here
        b[0], b[1] = 1.0, -1.0  # by luck, after a step with a negative length)
        assert not cg_solve(M, b, d, W)
        lam = 10.0 ** rng.uniform(-2, 2, D)
        assert not cg_solve((Q * lam) @ Q.T, b, d, W)  # slow: spread over four decades, no structure


def test_locate_by_cholesky_and_chord_steps_reaches_the_points_newton_reaches():
    """From CHOLESKY_MIN_DIM on, the detector's Newton (LOCATE) solves by conjugate gradients or
    Cholesky and keeps the Hessian or factor while |g| falls fast (chord steps); where H is
    indefinite it solves by LU. From starts
    next to ackley's critical points in D=40 (minima and saddles), it converges where the
    eigen-filtered Newton does; next to minima it forms half the Hessians or fewer (counted)."""
    from saddlescape._critical import CHOLESKY_MIN_DIM, LOCATE, NEWTON, POLISH, search_critical_points
    from saddlescape.landscapes._kernel import compiled

    D = 40
    assert D >= CHOLESKY_MIN_DIM
    land = landscapes.make("ackley", dim=D)
    hess = compiled(land.hessian_kernel)

    @numba.njit(cache=False)
    def counting_hessian(x, H, data):  # the last entry of data counts the Hessians formed
        data[data.shape[0] - 1] += 1.0
        hess(x, H, data)

    def walk(X0, method):
        X, data = X0.copy(), np.append(land.data, 0.0)
        conv, F, gn, rate = np.zeros(len(X), np.uint8), np.zeros(len(X)), np.zeros(len(X)), np.zeros(len(X))
        search_critical_points(land.value_and_grad_kernel, counting_hessian, X, data, 0.0, method, 30, 0.1, 1e-9,
                               np.inf, conv, F, gn, rate)
        assert conv.all()
        return X, data[-1]

    rng = np.random.default_rng(5)
    lattice = np.round(rng.uniform(-2, 2, (24, D)))  # next to lattice points: minima
    half = 0.5 * (rng.random((24, D)) < 0.05)  # a few coordinates half-way to the next: saddles
    for X0 in (lattice + half + rng.normal(0, 0.01, (24, D)), lattice + rng.normal(0, 0.01, (24, D))):
        (XL, nL), (XN, _) = walk(X0, LOCATE), walk(X0, NEWTON)
        assert np.abs(XL - XN).max() <= 1e-8
        index = np.array([(np.linalg.eigvalsh(land.hessian(x)) < 0).sum() for x in XL])
    assert (index == 0).all()  # the second set: minima only, where Cholesky and chord steps serve
    _, n_direct = walk(X0, POLISH)  # the same direct solves, a Hessian every step
    assert nL <= 0.5 * n_direct, (nL, n_direct)


def test_at_minimum_and_in_saddle_report_where_walkers_sit_now():
    """Walkers started on himmelblau's critical points under plain gradient descent: those at a
    minimum are in its ball, the one at a saddle is in a saddle visit (gd stays on it exactly),
    and neither query confuses the two."""
    him = landscapes.make("himmelblau")
    pts = him.known["critical_points"]
    x0 = np.array([p["x"] for p in pts], float)
    s = saddlescape.Session(him, optimizers.make("gd", lr=1e-3), x0=x0)
    s.advance(3)
    index = np.array([p["index"] for p in pts])
    assert (index == 0).sum() == 4 and (index == 1).sum() == 4
    assert s.at_minimum().tolist() == (index == 0).tolist()
    assert s.in_saddle().tolist() == (index == 1).tolist()

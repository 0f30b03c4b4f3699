"""The fused loops (one per separable landscape and element-wise optimizer) against the general
loop ``run_chunk``: the same trajectories bit for bit, the same events, divergences and records,
losses within a few ulp (fastmath may vectorise the two loss sums differently)."""
from __future__ import annotations

import numpy as np
import pytest

import saddlescape
from saddlescape import _fused, landscapes, optimizers
from saddlescape._events import WAIT

ELEMENTWISE = ["gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "langevin"]
LR = {"gd": 0.01, "sgd": 0.01, "momentum": 0.005, "nesterov": 0.005, "adagrad": 0.1, "rmsprop": 0.01,
      "adam": 0.02, "langevin": 0.01}


def _run(monkeypatch, fused: bool, land, opt, chunks, **kw) -> saddlescape.Session:
    monkeypatch.setenv("SADDLESCAPE_FUSED", "1" if fused else "0")
    assert (_fused.kernel_for(land, opt, kw.get("bound", 1e8)) is not None) == fused
    s = saddlescape.Session(land, opt, **kw)
    for n in chunks:
        s.advance(n)
    return s


def _same(a: saddlescape.Session, b: saddlescape.Session, terms: np.ndarray | None = None) -> None:
    """``terms``: (records, walkers) sums of |term| at the recorded positions, when the two loss
    sums may differ by a reordering's rounding (a few ulp of the terms, not of a sum they cancel to)."""
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.S, b.S)
    np.testing.assert_array_equal(a.G, b.G)
    np.testing.assert_array_equal(a.active, b.active)
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    (sa, la), (sb, lb) = a.loss_history(), b.loss_history()
    np.testing.assert_array_equal(sa, sb)
    if terms is None:
        np.testing.assert_allclose(a.F, b.F, rtol=4e-15, atol=1e-300)
        np.testing.assert_allclose(a.best, b.best, rtol=4e-15, atol=1e-300)
        np.testing.assert_allclose(la, lb, rtol=4e-15, atol=1e-300)
    else:
        ulp = a.X.shape[1] * np.finfo(float).eps
        assert np.all((np.abs(la - lb) <= ulp * terms) | (np.isnan(la) & np.isnan(lb)))
        worst = 2 * np.nanmax(terms, axis=0)  # (the last loss is at a position close to the last recorded)
        assert np.all(np.abs(a.F - b.F) <= ulp * worst) and np.all(np.abs(a.best - b.best) <= ulp * worst)
    np.testing.assert_allclose(a.gnorm, b.gnorm, rtol=4e-15, atol=1e-300)
    np.testing.assert_array_equal(a.vstate, b.vstate)  # the detector's own state: what it watches, since when
    np.testing.assert_array_equal(a.vinfo, b.vinfo)
    if a.record_positions:
        np.testing.assert_array_equal(np.concatenate(a._pos_chunks), np.concatenate(b._pos_chunks))
    key = ("walker", "step_in", "step_out", "index", "dwell")
    assert [[e[k] for k in key] for e in a.events.escapes] == [[e[k] for k in key] for e in b.events.escapes]
    np.testing.assert_array_equal(np.array(a.events.saddle_points), np.array(b.events.saddle_points))
    assert len(a.events.minima) == len(b.events.minima)
    assert a.events.minima.discovery_curve() == b.events.minima.discovery_curve()
    ca, cb = a.counters(), b.counters()
    assert ca.pop("best") == pytest.approx(cb.pop("best"), rel=4e-15)
    assert ca == cb


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_fused_equals_general_with_detection(monkeypatch, name):
    """D=2, detection on, records of losses and positions, chunks that split record periods."""
    land = landscapes.make("styblinski-tang", dim=2)
    opt = optimizers.make(name, lr=LR[name])
    kw = dict(walkers=12, seed=3, record_every=7, record_positions=True)
    a = _run(monkeypatch, True, land, opt, [500, 333, 1200], **kw)
    b = _run(monkeypatch, False, land, opt, [500, 333, 1200], **kw)
    _same(a, b)
    assert a.counters()["minima"] > 0  # the detector did see something to compare


@pytest.mark.parametrize("name", ["adam", "sgd", "momentum"])
def test_fused_rastrigin(monkeypatch, name):
    land = landscapes.make("rastrigin", dim=3)
    opt = optimizers.make(name, lr=LR[name])
    kw = dict(walkers=10, seed=1, record_every=5)
    _same(_run(monkeypatch, True, land, opt, [800, 700], **kw), _run(monkeypatch, False, land, opt, [800, 700], **kw))


@pytest.mark.parametrize("land_name, name, avx512", [
    ("styblinski-tang", "adam", None), ("rastrigin", "momentum", True), ("rastrigin", "momentum", False),
    ("styblinski-tang", "langevin", None), ("styblinski-tang", "rmsprop", None)])
def test_fused_one_pass_equals_general(monkeypatch, land_name, name, avx512):
    """Above 16 coordinates with detection off the fused loop makes one pass a step (rastrigin only
    where the CPU has AVX-512: both ways tested, whatever this machine has)."""
    if avx512 is not None:
        monkeypatch.setattr(_fused, "host_avx512", lambda: avx512)
        assert _fused.pair(landscapes.make(land_name, dim=700), optimizers.make(name))[5] is avx512
    land = landscapes.make(land_name, dim=700)
    opt = optimizers.make(name, lr=LR[name])
    kw = dict(walkers=3, seed=2, record_every=9, record_positions=True, detect=False)
    _same(_run(monkeypatch, True, land, opt, [40, 1, 57], **kw), _run(monkeypatch, False, land, opt, [40, 1, 57], **kw))


@pytest.mark.parametrize("detect", [False, True])
@pytest.mark.parametrize("dim", [1, 2, 16])
@pytest.mark.parametrize("name", ["adam", "momentum", "gd", "rmsprop"])
def test_fused_flat_runs_equal_general(monkeypatch, name, dim, detect):
    """Up to 16 coordinates, walkers step as flat runs of coordinates (with the detector looking
    between gradient and step, or not). Three of the nine start where the step runs away, so from
    the first chunk on the runs are split around stopped walkers; records of losses and
    positions, chunks that split record periods."""
    land = landscapes.make("styblinski-tang", dim=dim)
    opt = optimizers.make(name, lr={"gd": 0.08}.get(name, 0.02))
    x0 = np.random.default_rng(5).uniform(-3, 3, (9, dim))
    x0[[2, 3, 7], 0] = [6.0, -7.5, 9.0]  # gd and momentum throw these past the bound (adam and rmsprop do not)
    kw = dict(x0=x0, detect=detect, record_every=3, record_positions=True, bound=1e6)
    a = _run(monkeypatch, True, land, opt, [5, 1, 300, 44], **kw)
    b = _run(monkeypatch, False, land, opt, [5, 1, 300, 44], **kw)
    P = np.concatenate(a._pos_chunks)
    _same(a, b, terms=0.5 * np.abs(P ** 4 - 16 * P ** 2 + 5 * P).sum(axis=2))  # (styblinski-tang's terms)
    if name in ("gd", "momentum"):
        assert list(np.flatnonzero(a.diverged_at >= 0)) == [2, 3, 7]
    if detect and name == "adam":
        assert a.counters()["minima"] > 0  # the detector did see something to compare




@pytest.mark.parametrize("land_name, dim", [("styblinski-tang", 2), ("rastrigin", 2), ("rastrigin", 1),
                                           ("styblinski-tang", 5)])
def test_flat_runs_detect_as_the_general_loop_with_many_walkers(monkeypatch, land_name, dim):
    """Hundreds of walkers in one flat run pass through every detector state (free, near a
    candidate, waiting, in a saddle's ball, at a minimum), so each branch of the run's flags is
    taken many times; the events and the detector's state must be the general loop's."""
    land = landscapes.make(land_name, dim=dim)
    opt = optimizers.make("adam", lr=2e-3)  # (slow enough that at any step walkers are in every state)
    kw = dict(x0=np.random.default_rng(11).uniform(-4.5, 4.5, (300, dim)), record_every=50)
    a = _run(monkeypatch, True, land, opt, [150, 1, 449], **kw)
    b = _run(monkeypatch, False, land, opt, [150, 1, 449], **kw)
    _same(a, b, terms=None if land_name == "rastrigin" else np.full((a.loss_history()[1].shape[0], 300), 1e3))
    assert a.counters()["minima"] > 1 and (a.counters()["escapes"] > 0 or dim != 2)


@pytest.mark.parametrize("detect", [False, True])
@pytest.mark.parametrize("start", [(1.3, -0.4), (-2.9035, -2.9035), (6.0, 0.5), (0.5, -7.5)])
@pytest.mark.parametrize("name", ["adam", "momentum", "gd", "rmsprop"])
def test_one_walker_in_two_dims_equals_general(monkeypatch, name, start, detect):
    """One walker of two coordinates keeps x and g in registers for the whole chunk (positions
    not recorded): the general loop's trajectory, losses, best, |g|, events and divergence. Starts:
    on a slope, on a minimum (the detector's visit from step 0), and two that gd and momentum throw
    past the bound (from either coordinate), which then stop."""
    land = landscapes.make("styblinski-tang", dim=2)
    opt = optimizers.make(name, lr={"gd": 0.08}.get(name, 0.02))
    kw = dict(x0=np.array([start]), detect=detect, record_every=3, bound=1e6)
    a = _run(monkeypatch, True, land, opt, [5, 1, 300, 44, 0, 150], **kw)
    b = _run(monkeypatch, False, land, opt, [5, 1, 300, 44, 0, 150], **kw)
    la = a.loss_history()[1]
    _same(a, b, terms=np.full(la.shape, 1e3))
    if name in ("gd", "momentum") and max(map(abs, start)) > 5:
        assert a.diverged_at[0] >= 0 and not a.active[0]
    else:
        assert a.active[0] and np.isfinite(la).all()
    if detect and start[0] < -2:
        assert a.counters()["minima"] == 1


def test_flat_runs_with_looks_spaced_apart_detect_as_the_general_loop(monkeypatch):
    """Looks spaced apart (``curv[2]``, set where a Hessian is costly; no separable landscape's is):
    the flat run's flags do not read the spacing, so a waiting walker may be flagged too soon and
    its look must then decline, as the general loop's check does. Hundreds of walkers, many waiting
    and due again by distance or gradient only some steps after their last look, must be looked at
    in the steps the general loop looks at them (and the spacing must change those steps)."""
    land = landscapes.make("rastrigin", dim=2)
    opt = optimizers.make("adam", lr=2e-3)
    kw = dict(x0=np.random.default_rng(12).uniform(-4.5, 4.5, (300, 2)), record_every=50)
    runs, mid = [], []
    for fused, spacing in ((True, 40.0), (False, 40.0), (True, 0.0)):
        s = _run(monkeypatch, fused, land, opt, [1], **kw)
        s.curv[2] = spacing
        s.advance(60)
        mid.append(s.vinfo.copy())
        s.advance(239)
        runs.append(s)
    a, b = runs[:2]
    _same(a, b)
    np.testing.assert_array_equal(mid[0], mid[1])
    assert a.counters()["minima"] > 1
    assert not np.array_equal(mid[0], mid[2])  # (the spacing did hold some looks back)


def test_flat_run_checks_again_after_a_look_moves_the_gate(monkeypatch):
    """A flat run flags the walkers due a look all at once; a look that raises the gate (the
    curvature bound) must make the rest of the run be checked again in the same step, as the
    general loop's walker-by-walker checks do. Walker 0 sits on a minimum (curvature 34.6) with the
    bound set to 1: its look raises the gate from 0.5 to 17.3, under which walker 2 (|g| = 6.25) is
    due in that same step. The detector's own state is compared: a look a step late changes when."""
    land = landscapes.make("styblinski-tang", dim=2)
    opt = optimizers.make("adam", lr=0.02)
    m = -2.903534  # styblinski-tang's minimum in each coordinate
    X = np.array([[m, m], [-1.0, 3.0], [2.5, m], [0.3, -0.2], [-2.0, 1.5]])
    runs = []
    for fused in (True, False):
        s = _run(monkeypatch, fused, land, opt, [1], x0=X.copy(), record_every=1)
        s.X[:] = X  # (after one step every walker is checked in bounds: the next step is one flat run)
        s.vstate[:] = 0
        s.curv[:] = [1.0, 1.0, 0.0]
        s.advance(1)
        runs.append(s)
    a, b = runs
    assert a.vinfo[2, 0] == 1 and a.curv[0] > 30  # walker 2 was looked at in the step walker 0 raised the gate
    for name in ("vstate", "vinfo", "curv"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_allclose(a.vrad, b.vrad, rtol=4e-15)
    np.testing.assert_array_equal(a.X, b.X)

@pytest.mark.parametrize("steps", [1, 2])  # (the first step walker by walker, the second a flat run)
def test_a_look_at_a_zero_hessian_entry_is_the_general_look(monkeypatch, steps):
    """The fused loops walk onto a critical point coordinate by coordinate, dividing by the
    Hessian's diagonal; where an entry is exactly 0 the general look (which solves otherwise)
    takes over, and what it finds must be what the general loop finds. Walkers that do not move
    (a step of 1e-300) sit where the entry x + 2 is 0 in one coordinate, the gate wide open."""
    from saddlescape.landscapes._base import Elementwise, Landscape

    from . import _flat_spot as m

    land = Landscape(name="flat-spot", dim=2, value_and_grad_kernel=m.flat_spot_vg, hessian_kernel=m.flat_spot_hess,
                     hvp_kernel=m.flat_spot_hvp, data=np.zeros(1), domain=(-5.0, 5.0),
                     elementwise=Elementwise(m.__name__, "flat_spot", 1e30))
    opt = optimizers.make("gd", lr=1e-300)
    X = np.array([[-2.0, 0.3], [-2.0, -3.7], [0.2, -2.0], [-2.0, -2.0]])
    runs = []
    for fused in (True, False):
        s = _run(monkeypatch, fused, land, opt, [], x0=X.copy(), record_every=1)
        s.curv[0] = 1e6  # (every walker within the gate)
        s.advance(steps)
        runs.append(s)
    a, b = runs
    np.testing.assert_array_equal(a.X, X)
    # every walker was looked at, and the walk could not converge (its step along the zero entry
    # is 0, the gradient there is not): each waits to have moved a radius
    assert (a.vstate[:4] == WAIT).all() and (a.vrad[:4, 0] == a.near).all()
    for name in ("vstate", "vinfo", "curv", "vpoint", "vloss", "vrad"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    _same(a, b)


@pytest.mark.parametrize("land_name,opt_name,avx512", [("styblinski-tang", "adam", None), ("rastrigin", "adam", False),
                                                       ("rastrigin", "adam", True), ("styblinski-tang", "langevin", None)])
def test_fused_detecting_above_the_flat_dims(monkeypatch, land_name, opt_name, avx512):
    """Detection on at D=20: one walker at a time; in one pass where the terms are cheap
    (styblinski-tang, and rastrigin where the CPU has AVX-512: a walker due a look is put back where
    it took its gradient while the detector looks; with a noisy optimizer too), else in two passes."""
    if avx512 is not None:
        monkeypatch.setattr(_fused, "host_avx512", lambda: avx512)
    land = landscapes.make(land_name, dim=20)
    opt = optimizers.make(opt_name, lr=0.05 if opt_name == "adam" else 0.005)
    kw = dict(walkers=5, seed=4, record_every=4)
    a = _run(monkeypatch, True, land, opt, [200, 300], **kw)
    _same(a, _run(monkeypatch, False, land, opt, [200, 300], **kw))
    assert a.counters()["minima"] > 0


def test_fused_one_pass_in_balls_detects_as_the_general_loop(monkeypatch):
    """Above ONE_PASS_MIN_DIM a detecting fused loop steps a walker sitting in a saddle's or a
    minimum's ball in one pass, taking its distance to the point from the x it steps from. Started
    next to styblinski-tang's saddles in D=24, walkers enter saddle balls, escape and settle in
    minima: the same trajectories, escapes and minima as the general loop."""
    from saddlescape._fused_template import ONE_PASS_MIN_DIM

    D = 24
    assert D > ONE_PASS_MIN_DIM
    land = landscapes.make("styblinski-tang", dim=D)
    roots = {r["index"]: r["x"] for r in land.known["critical_points_1d"]}
    rng = np.random.default_rng(7)
    x0 = np.where(rng.random((12, D)) < 0.15, roots[1], roots[0]) + rng.normal(0, 1e-3, (12, D))
    opt = optimizers.make("adam", lr=0.01)
    kw = dict(x0=x0, seed=4, record_every=8)
    a = _run(monkeypatch, True, land, opt, [300, 500, 700], **kw)
    _same(a, _run(monkeypatch, False, land, opt, [300, 500, 700], **kw))
    assert len(a.events.escapes) >= 6 and a.counters()["minima"] > 0 and a.at_minimum().any()


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_flat_runs_in_balls_detect_as_the_general_loop(monkeypatch, dim):
    """A flat run whose walkers all sit in balls steps as the bare engine does, after one check of
    who left their ball from the x they step from. 64 walkers started next to styblinski-tang's
    index-1 saddles sit in their balls together, then leave one by one, and settle in minima (in
    one dimension, started in the minima's balls, they stay): the same trajectories, escapes and
    minima as the general loop."""
    land = landscapes.make("styblinski-tang", dim=dim)
    roots = {r["index"]: r["x"] for r in land.known["critical_points_1d"]}
    rng = np.random.default_rng(dim)
    up = np.zeros((64, dim), bool)  # one coordinate at the 1-D maximum: next to an index-1 saddle
    up[np.arange(64), rng.integers(dim, size=64)] = dim > 1  # (in one dimension: next to the minima)
    x0 = np.where(up, roots[1], roots[0]) + rng.normal(0, 1e-3, (64, dim))
    opt = optimizers.make("adam", lr=0.01)
    kw = dict(x0=x0, seed=4, record_every=8)
    a = _run(monkeypatch, True, land, opt, [100, 400, 700], **kw)
    _same(a, _run(monkeypatch, False, land, opt, [100, 400, 700], **kw))
    assert a.at_minimum().sum() >= 48 and len(a.events.escapes) >= (0 if dim == 1 else 48)


@pytest.mark.parametrize("dim", [2, 700])
def test_fused_divergence_matches(monkeypatch, dim):
    """Walkers that leave the bound are stopped at the same step, where the general loop stops
    them, in both ways through the fused loop (two passes; one pass, checked as x is written)."""
    land = landscapes.make("styblinski-tang", dim=dim)
    opt = optimizers.make("gd", lr=0.08)  # unstable from the outer starts: the quartic runs away
    x0 = np.full((4, dim), 0.5)
    x0[1] = 6.0
    x0[3, dim // 2] = -7.5
    kw = dict(x0=x0, detect=False, record_every=1, bound=1e6)
    a = _run(monkeypatch, True, land, opt, [3, 30], **kw)
    b = _run(monkeypatch, False, land, opt, [3, 30], **kw)
    _same(a, b)
    assert list(a.diverged_at >= 0) == [False, True, False, True]


def test_no_fused_loop_where_it_does_not_apply(monkeypatch):
    monkeypatch.setenv("SADDLESCAPE_FUSED", "1")
    st, adam = landscapes.make("styblinski-tang", dim=4), optimizers.make("adam")
    assert _fused.pair(st, adam) is not None
    assert _fused.pair(landscapes.make("styblinski-tang", dim=4, rotate=1), adam) is None  # no longer a sum
    assert _fused.pair(landscapes.make("ackley", dim=4), adam) is None
    assert _fused.pair(st, optimizers.make("perturbed-gd")) is None  # needs |g| before it steps
    assert _fused.pair(st, optimizers.make("newton")) is None
    assert _fused.pair(st, adam, bound=1e200) is None  # past the terms' safe bound
    assert _fused.pair(landscapes.make("p-spin", dim=10), adam) is None
    monkeypatch.setenv("SADDLESCAPE_FUSED", "0")
    assert _fused.kernel_for(st, adam) is None


@pytest.mark.parametrize("name", ["rastrigin", "styblinski-tang"])
def test_terms_finite_up_to_the_safe_bound(name):
    """What the one-pass loop relies on: every term and derivative finite for |x| <= safe bound,
    with room for a sum over 10^9 coordinates; and the engine's default bound is inside it."""
    import importlib

    land = landscapes.make(name, dim=2)
    spec = land.elementwise
    elem = getattr(importlib.import_module(spec.module), f"{spec.stem}_elem")
    for x in np.concatenate([np.geomspace(1e-3, spec.safe_bound, 400), [spec.safe_bound]]):
        for v in (x, -x):
            f, g = elem(v, land.data)
            assert np.isfinite(f) and np.isfinite(g) and abs(f) < 1e290 and abs(g) < 1e300, (v, f, g)
    assert spec.safe_bound >= saddlescape._engine.DEFAULT_BOUND


def test_generated_source_is_stable_and_names_the_pair():
    key = ("saddlescape.landscapes._separable", "rastrigin", "saddlescape.optimizers._first_order", "sgd", True, False)
    text = _fused.source(key)
    assert text == _fused.source(key)  # the same file each time: Numba's cache stays valid
    assert "import rastrigin_elem as L_ELEM" in text and "import sgd_elem as O_ELEM" in text
    assert "KEYED = True" in text and "ONE_PASS = False" in text and "styblinski_tang_elem" not in text

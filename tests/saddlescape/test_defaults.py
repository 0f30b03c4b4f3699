"""Defaults that work: every built-in optimizer on every built-in landscape, with its default
hyper-parameters, stays stable and descends; ``lr="auto"`` follows its stated rule; a run whose
walkers mostly diverge says so in one line with a step size that would be stable."""
from __future__ import annotations

import json

import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes, optimizers
from saddlescape._census import _tangent_grad
from saddlescape.cli import main
from saddlescape.landscapes._catalog import BUILTIN_FAMILIES

FIRST_ORDER = [o for o in optimizers.names(plugins=False) if "newton" not in o]


def _cases():
    for fam in BUILTIN_FAMILIES:
        yield fam.name, None
        try:  # and D=100 where the family takes it (Lennard-Jones: 33 atoms)
            big = landscapes.make(fam.name, dim=99 if fam.name == "lennard-jones" else 100)
        except landscapes.ParamError:
            continue
        yield fam.name, big.dim


CASES = list(_cases())


def _check(name, dim, opt, *, descend=True, walkers=16) -> saddlescape.RunResult:
    land = landscapes.make(name, dim=dim)
    r = saddlescape.run(land, opt, walkers=walkers, steps=1000, seed=0, detect=False)
    start = land.value(r.x0)
    if land.known.get("infimum") == -np.inf:
        # unbounded below: a walker that leaves the box does so by descending without end (its best
        # loss far below its start), which is right, not an instability
        d = r.diverged
        assert np.all(r.best_loss_per_walker[d] < start[d] - 1.0), (name, dim, opt)
        if descend:
            assert r.best_loss_per_walker.mean() < start.mean() - 1.0, (name, dim, opt)
        return r
    assert r.diverged.mean() <= 0.10, (name, land.dim, opt, r.optimizer, int(r.diverged.sum()))
    live = ~r.diverged
    if descend:
        assert r.final_loss[live].mean() < start[live].mean(), (name, land.dim, opt, r.optimizer)
    return r


@pytest.mark.parametrize("name,dim", CASES, ids=[f"{n}-{d or 'default'}" for n, d in CASES])
def test_first_order_defaults_are_stable_and_descend_everywhere(name, dim):
    for opt in FIRST_ORDER:
        _check(name, dim, opt)


SECOND_ORDER_CASES = [pytest.param(f.name, marks=pytest.mark.slow) if f.name == "mlp" else f.name
                      for f in BUILTIN_FAMILIES]


def _walkers(name):
    return 4 if name == "mlp" else 16  # mlp: a dense Hessian over the data set a walker a step (11 s)


@pytest.mark.parametrize("name", SECOND_ORDER_CASES)
def test_saddle_free_newton_defaults_are_stable_and_descend(name):
    _check(name, None, "saddle-free-newton", walkers=_walkers(name))


@pytest.mark.parametrize("name", SECOND_ORDER_CASES)
def test_newton_defaults_do_not_diverge(name):
    # Newton is in the catalog because it is drawn to the nearest critical point, saddles
    # included, whose loss may be above the start (ackley: 19.90 at the starts, 20.06 after):
    # descent is not its contract, staying finite is (on mlp, before its trust region, every
    # walker overflowed)
    _check(name, None, "newton", descend=False, walkers=_walkers(name))


@pytest.mark.parametrize("name", ["rastrigin", "ackley", "griewank", "styblinski-tang", "himmelblau"])
def test_newton_arrives_at_critical_points_saddles_included(name):
    land = landscapes.make(name)
    r = saddlescape.run(land, "newton", walkers=16, steps=200, seed=0, detect=False)
    _, g = _tangent_grad(land, r.final_x)
    assert (np.linalg.norm(g, axis=1) < 1e-8).all()
    index = (np.linalg.eigvalsh(land.hessian(r.final_x)) < 0).sum(axis=1)
    assert (index > 0).any()  # not only minima: the point of having Newton


def test_saddle_free_newton_steps_no_longer_than_its_trust_radius():
    land = landscapes.make("rastrigin", dim=2)
    s = saddlescape.Session(land, "saddle-free-newton", walkers=64, seed=0, detect=False)
    assert s.auto["max_step"]["value"] == 0.25 * land.feature_scale == s.optimizer.hyper["max_step"]
    for _ in range(20):
        before = s.X.copy()
        s.advance(1)
        assert np.linalg.norm(s.X - before, axis=1).max() <= 0.25 * (1 + 1e-12)
    s.advance(1000)
    g = np.linalg.norm(land.grad(s.X), axis=1)
    assert (g < 1e-8).all()  # and every walker arrives (half the scale left 24 of 48 cycling)
    s = saddlescape.Session(land, optimizers.make("saddle-free-newton", max_step=0.05), walkers=64, seed=0,
                            detect=False)
    assert s.auto == {}
    before = s.X.copy()
    s.advance(1)
    steps = np.linalg.norm(s.X - before, axis=1)
    assert steps.max() <= 0.05 * (1 + 1e-12) and np.isclose(steps, 0.05).any()  # shortened, not stopped


def test_auto_lr_is_one_over_the_largest_curvature_at_the_starts():
    land = landscapes.make("random-quadratic", dim=20, seed=0)
    r = saddlescape.run(land, "gd", walkers=4, steps=1, seed=0, detect=False)
    L = np.abs(land.known["eigenvalues"]).max()  # the Hessian is the same everywhere
    auto = r.optimizer["auto"]["lr"]
    assert auto["curvature"] == pytest.approx(1.1 * L, rel=1e-3)  # (power iteration, 10% margin)
    assert r.optimizer["hyper"]["lr"] == auto["value"] == pytest.approx(1 / auto["curvature"], rel=1e-2)
    explicit = saddlescape.run(land, optimizers.make("gd", lr=0.05), walkers=4, steps=1, seed=0, detect=False)
    assert explicit.optimizer == {"name": "gd", "hyper": {"lr": 0.05}}  # an explicit lr always wins


def test_auto_lr_is_chosen_again_when_asked_for_live():
    s = saddlescape.Session("rosenbrock", optimizers.make("gd", lr=0.01), walkers=8, seed=0)
    assert s.auto == {}
    s.set_hyper(lr="auto")
    assert s.optimizer.hyper["lr"] == s.auto["lr"]["value"] < 1e-3
    s.set_hyper(lr=1e-4)
    assert s.auto == {} and s.optimizer.hyper["lr"] == 1e-4
    with pytest.raises(landscapes.ParamError, match="or 'auto'"):
        s.set_hyper(lr="fast")


def test_the_first_users_rosenbrock_run_now_works_and_a_bad_lr_is_explained(capsys):
    args = ["run", "--landscape", "rosenbrock", "--dim", "4", "--optimizer", "gd", "--walkers", "8", "--steps", "400"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    s = json.loads(out)
    assert None not in s["final_loss"] and s["warnings"] == [] and err == ""
    assert s["optimizer"]["auto"]["lr"]["value"] == s["optimizer"]["hyper"]["lr"]
    assert main([*args, "-o", "lr=0.01"]) == 0
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert line.startswith("saddlescape: 8 of 8 walkers diverged by step ")
    assert "the largest stable gd lr here is about" in line and "try -o lr=" in line
    suggested = float(line.rsplit("lr=", 1)[1])
    again = saddlescape.run(landscapes.make("rosenbrock", dim=4), optimizers.make("gd", lr=suggested),
                            walkers=8, steps=400, seed=0, detect=False)
    assert not again.diverged.any()  # the advice works


def test_a_few_diverged_walkers_are_not_reported_as_most():
    from saddlescape._auto import divergence_hint

    land = landscapes.make("rosenbrock", dim=4)
    opt = optimizers.make("gd", lr=0.01)
    X = land.sample(8, seed=0)
    assert divergence_hint(opt, land, X, np.array([-1] * 6 + [5, 9])) is None  # 2 of 8: a quarter
    assert divergence_hint(opt, land, X, np.array([-1] * 5 + [5, 9, 7])).startswith("3 of 8 walkers diverged by step 9")

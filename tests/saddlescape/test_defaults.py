"""Defaults that work: every built-in optimizer on every built-in landscape, with its default
hyper-parameters, stays stable and descends; ``lr="auto"`` follows its stated rule; a run whose
walkers mostly diverge says so in one line with a step size that would be stable."""
from __future__ import annotations

import json

import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes, optimizers
from saddlescape.cli import main
from saddlescape.landscapes._catalog import BUILTIN_FAMILIES

FIRST_ORDER = [o for o in optimizers.names(plugins=False) if "newton" not in o]
SECOND_ORDER = [o for o in optimizers.names(plugins=False) if "newton" in o]


def _cases():
    for fam in BUILTIN_FAMILIES:
        yield fam.name, None
        try:  # and D=100 where the family takes it (Lennard-Jones: 33 atoms)
            big = landscapes.make(fam.name, dim=99 if fam.name == "lennard-jones" else 100)
        except landscapes.ParamError:
            continue
        yield fam.name, big.dim


CASES = list(_cases())


def _check(name, dim, opt, *, descend=True):
    land = landscapes.make(name, dim=dim)
    r = saddlescape.run(land, opt, walkers=16, steps=1000, seed=0, detect=False)
    start = land.value(r.x0)
    if land.known.get("infimum") == -np.inf:
        # unbounded below: a walker that leaves the box does so by descending without end (its best
        # loss far below its start), which is right, not an instability
        d = r.diverged
        assert np.all(r.best_loss_per_walker[d] < start[d] - 1.0), (name, dim, opt)
        if descend:
            assert r.best_loss_per_walker.mean() < start.mean() - 1.0, (name, dim, opt)
        return
    assert r.diverged.mean() <= 0.10, (name, land.dim, opt, r.optimizer, int(r.diverged.sum()))
    live = ~r.diverged
    if descend:
        assert r.final_loss[live].mean() < start[live].mean(), (name, land.dim, opt, r.optimizer)


@pytest.mark.parametrize("name,dim", CASES, ids=[f"{n}-{d or 'default'}" for n, d in CASES])
def test_first_order_defaults_are_stable_and_descend_everywhere(name, dim):
    for opt in FIRST_ORDER:
        _check(name, dim, opt)


@pytest.mark.parametrize("name", [f.name for f in BUILTIN_FAMILIES])
def test_second_order_defaults_do_not_diverge(name):
    # Newton is in the catalog because it is attracted to saddles (its loss may rise: the point
    # of the saddle-attraction study); it must still not blow up
    for opt in SECOND_ORDER:
        if name == "mlp":  # a dense Hessian a step for 16 walkers over the data set: 40 s here
            continue
        _check(name, None, opt, descend=False)


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

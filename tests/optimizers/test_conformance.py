"""One conformance suite for every optimizer: the built-ins and the example plug-in alike."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes, optimizers

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "sign_gd.py") + ":SignGD"
ALL = [*optimizers.names(plugins=False), EXAMPLE]
IDS = [*optimizers.names(plugins=False), "plugin-sign-gd"]


@pytest.fixture(params=ALL, ids=IDS)
def opt(request):
    return optimizers.make(request.param)


def bowl(dim: int):
    return landscapes.make("saddle", dim=dim, negative=0)  # f = |x|^2 / 2, convex


def test_descends_a_convex_quadratic(opt):
    r = saddlescape.run(bowl(5), opt, walkers=6, steps=600, seed=1)
    start = bowl(5).value(r.x0)
    assert not r.diverged.any()
    assert np.all(r.final_loss < 0.5 * start), (r.final_loss, start)


def test_deterministic_for_a_seed(opt):
    a = saddlescape.run("six-hump-camel", opt, walkers=4, steps=200, seed=7)
    b = saddlescape.run("six-hump-camel", opt, walkers=4, steps=200, seed=7)
    assert np.array_equal(a.final_x, b.final_x)
    assert np.array_equal(a.loss, b.loss, equal_nan=True)


@pytest.mark.parametrize("dim", [1, 100_000])
def test_runs_at_one_and_a_hundred_thousand_dimensions(opt, dim):
    r = saddlescape.run(bowl(dim), opt, walkers=1, steps=5, seed=0)
    assert np.isfinite(r.final_x).all() and not r.diverged.any()
    # with its declared noise off, every optimizer descends the bowl (noise only adds to the loss)
    quiet = saddlescape.run(bowl(dim), opt.without_noise(), walkers=1, steps=5, seed=0)
    assert quiet.final_loss[0] < bowl(dim).value(quiet.x0[0])


def test_survives_a_zero_gradient(opt):
    r = saddlescape.run(bowl(3), opt, walkers=2, steps=50, seed=0, x0=np.zeros((2, 3)))
    assert np.isfinite(r.final_x).all() and not r.diverged.any()
    assert np.all(r.final_loss < 1.0)


def test_respects_the_sphere_of_p_spin(opt):
    f = landscapes.make("p-spin", dim=12, p=3, seed=2)
    r = saddlescape.run(f, opt, walkers=3, steps=40, seed=0)
    assert np.allclose(np.linalg.norm(r.final_x, axis=1), np.sqrt(12), rtol=1e-12)


def test_rejects_bad_hyper_parameters(opt):
    with pytest.raises(optimizers.ParamError, match="lr=-1 is out of range"):
        optimizers.make(opt, lr=-1)
    with pytest.raises(optimizers.ParamError, match="has no parameter 'nonsense'"):
        optimizers.make(opt, nonsense=1)


def test_hyper_parameters_change_between_chunks(opt):
    s = saddlescape.Session(bowl(2), opt, walkers=2, seed=0)
    s.advance(5)
    lr = s.optimizer.hyper["lr"]  # (a number: lr="auto" is chosen when the session starts)
    s.set_hyper(lr=lr / 2)
    assert s.optimizer.hyper["lr"] == lr / 2
    s.advance(5)
    assert s.t == 10 and np.isfinite(s.X).all()

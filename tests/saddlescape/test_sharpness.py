"""Sharpness tracking (issue 16): the top Hessian eigenvalue against dense references, Adam's
preconditioned sharpness against its definition, records in the run and its files."""
from __future__ import annotations

import json

import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes, optimizers
from saddlescape._geometry import sharpness


@pytest.mark.parametrize("name, dim", [("styblinski-tang", 8), ("mlp", None), ("rosenbrock", 6), ("p-spin", 10)])
def test_sharpness_is_the_dense_hessians_top_eigenvalue(name, dim):
    land = landscapes.make(name, dim=dim, seed=1)
    for x in land.sample(3, seed=2):
        dense = np.linalg.eigvalsh(saddlescape.manifold_hessian(land, x))[-1]
        assert sharpness(land, x, steps=land.dim) == pytest.approx(dense, rel=1e-9, abs=1e-9)


def test_adams_preconditioned_sharpness_is_that_of_p_inverse_h():
    land = landscapes.make("mlp", width=4, seed=0)
    s = saddlescape.Session(land, optimizers.make("adam", lr=0.01), walkers=2, seed=3, detect=False)
    s.advance(57)
    value, threshold, kind = s.sharpness_now(1)
    b1, b2, eps = 0.9, 0.999, 1e-8
    v = s.S[1, 1]  # Adam's state slots are (m, v)
    P = np.sqrt(v / (1 - b2 ** 57)) + eps
    H = land.hessian(s.X[1])
    dense = np.linalg.eigvals(H / P[:, None]).real.max()  # P^-1 H, not symmetrised
    assert kind == "preconditioned" and value == pytest.approx(dense, rel=1e-8)
    assert threshold == pytest.approx((2 + 2 * b1) / ((1 - b1) * 0.01))  # 38/lr


def test_a_run_records_sharpness_every_k_steps_with_its_threshold(tmp_path):
    land = landscapes.make("styblinski-tang", dim=4)
    r = saddlescape.run(land, optimizers.make("momentum", lr=0.002, beta=0.5), walkers=3, steps=250, seed=0,
                        sharpness_every=50, detect=False)
    sh = r.sharpness
    assert sh["steps"] == [0, 50, 100, 150, 200, 250] and sh["values"].shape == (6, 3)
    assert sh["kind"] == "hessian" and sh["threshold"] == [pytest.approx((2 + 2 * 0.5) / 0.002)] * 6
    assert np.all(np.isfinite(sh["values"]))
    final = [np.linalg.eigvalsh(land.hessian(x))[-1] for x in r.final_x]
    assert sh["values"][-1] == pytest.approx(final, rel=1e-9)
    r.save(tmp_path / "r.json")
    r.save_trajectory(tmp_path / "r.npz")
    back = saddlescape.RunResult.load(tmp_path / "r.json")
    assert np.allclose(back.sharpness["values"], sh["values"], rtol=1e-12)
    with np.load(tmp_path / "r.npz") as z:
        assert np.allclose(z["sharpness"], sh["values"]) and list(z["sharpness_steps"]) == sh["steps"]
    assert json.loads((tmp_path / "r.json").read_text())["sharpness"]["every"] == 50
    assert saddlescape.run(land, "gd", walkers=2, steps=10, detect=False).sharpness is None


def test_gradient_descent_rides_the_edge_of_stability():
    # progressive sharpening to 2/lr, then the sharpness hovers there while the loss still falls
    land = landscapes.make("mlp", width=16, depth=3, seed=0)
    r = saddlescape.run(land, optimizers.make("gd", lr=0.2), x0=land.sample(1, seed=0), steps=2000, seed=0,
                        sharpness_every=100, detect=False, record_every=100)
    late = r.sharpness["values"][-8:, 0]
    assert np.all(np.abs(late / (2 / 0.2) - 1) < 0.02)
    assert r.loss[-1, 0] < r.loss[1, 0]

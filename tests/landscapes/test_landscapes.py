"""Every landscape: derivatives against finite differences, batching, determinism, stated facts."""
from __future__ import annotations

import math

import numpy as np
import pytest

from saddlescape import landscapes

from .helpers import close, fd_gradient, fd_hessian, stationarity

# (name, dim, params): every family, several dims and parameter settings
CASES = [
    ("rastrigin", 1, {}), ("rastrigin", 3, {}), ("rastrigin", 6, {"A": 3.0}),
    ("styblinski-tang", 1, {}), ("styblinski-tang", 4, {}),
    ("ackley", 2, {}), ("ackley", 5, {"b": 0.5}),
    ("griewank", 1, {}), ("griewank", 4, {}),
    ("rosenbrock", 2, {}), ("rosenbrock", 5, {}),
    ("himmelblau", 2, {}), ("six-hump-camel", 2, {}), ("monkey-saddle", 2, {}),
    ("saddle", 3, {"negative": 2}), ("saddle", 4, {"negative": 2, "quartic": 0.5}),
    ("saddle-chain", 1, {}), ("saddle-chain", 4, {"gamma": 0.5}), ("saddle-chain", 5, {"saddles": 2}),
    ("p-spin", 6, {"p": 2}), ("p-spin", 5, {"p": 3}), ("p-spin", 4, {"p": 4}),
    ("gaussian-field", 3, {"features": 64}), ("gaussian-field", 2, {"confine": 0.3}),
    ("random-quadratic", 6, {}), ("random-quadratic", 5, {"spectrum": "wishart", "negative_fraction": 0.0}),
    ("random-quadratic", 6, {"spectrum": "bulk-outliers", "outliers": 2}),
    ("mlp", None, {"width": 3}), ("mlp", None, {"width": 3, "depth": 2, "skip": True, "activation": "softplus"}),
    ("mlp", None, {"width": 4, "task": "spirals", "samples": 20}),
    ("mlp", None, {"width": 3, "activation": "relu", "samples": 16}),
    # wider than the small fan-in loops: BLAS products in every layer, skip connections, 3 layers
    ("mlp", None, {"width": 6, "depth": 3, "skip": True, "inputs": 5, "samples": 24}),
    ("logistic", 3, {}), ("logistic", 4, {"l2": 0.1}), ("logistic", 3, {"l2": 0.1, "reduction": "sum"}),
    ("lennard-jones", 9, {}), ("lennard-jones", 12, {}),
    ("matrix-factorization", None, {}), ("matrix-factorization", None, {"n": 4, "r": 2, "rank": 4}),
    ("matrix-factorization", None, {"form": "asymmetric", "n": 3, "m": 4, "r": 2}),
    ("matrix-sensing", None, {"n": 4, "r": 2, "measurements": 30}),
    ("deep-linear", None, {}), ("deep-linear", None, {"depth": 2, "inputs": 3, "outputs": 2, "width": 3}),
    ("phase-retrieval", 5, {}), ("tensor-pca", 5, {"p": 3, "snr": 2.0}), ("tensor-pca", 6, {"p": 2}),
    ("teacher-student", None, {"students": 3}), ("teacher-student", None, {"students": 2, "teachers": 3}),
    # rotate=1: blocks of 16 coordinates turned (20 = a block of 16 and one of 4)
    ("rastrigin", 3, {"rotate": 1}), ("styblinski-tang", 20, {"rotate": 1}), ("ackley", 5, {"rotate": 1}),
    ("griewank", 4, {"rotate": 1}), ("rosenbrock", 5, {"rotate": 1}),
]
IDS = [f"{n}-{d}-{'-'.join(f'{k}{v}' for k, v in p.items())}" for n, d, p in CASES]


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def case(request):
    name, dim, params = request.param
    return landscapes.make(name, dim=dim, seed=3, **params)


def test_every_name_is_covered():
    assert {c[0] for c in CASES} == set(landscapes.names(plugins=False))
    assert len(landscapes.names(plugins=False)) == 22


def test_gradient_matches_finite_differences(case):
    for x in case.sample(3, seed=11):
        assert close(case.grad(x), fd_gradient(case, x), 1e-5)


def test_hessian_matches_differences_of_gradient(case):
    for x in case.sample(2, seed=12):
        H = case.hessian(x)
        assert np.allclose(H, H.T, atol=1e-9 * (1 + np.abs(H).max()))
        assert close(H, fd_hessian(case, x), 1e-5)


def test_hvp_matches_dense_hessian(case):
    rng = np.random.default_rng(0)
    X = case.sample(2, seed=13)
    V = rng.standard_normal(X.shape)
    for x, v in zip(X, V):
        assert close(case.hvp(x, v), case.hessian(x) @ v, 1e-9)
    assert close(case.hvp(X, V), np.stack([case.hvp(x, v) for x, v in zip(X, V)]), 0)


# these batch their walkers into one BLAS product, whose rounding differs from a single GEMV
BLAS_BATCHED = {"p-spin", "gaussian-field", "random-quadratic", "logistic"}


def test_batch_equals_single_points(case):
    X = case.sample(5, seed=14)
    F, G = case.value_and_grad(X)
    for b in range(5):
        f, g = case.value_and_grad(X[b])
        if case.name in BLAS_BATCHED:
            assert close(f, F[b], 1e-12) and close(g, G[b], 1e-12)
        else:
            # the same kernel, but a batch may take the vectorised path and one point the scalar
            # one: under fastmath (contraction into fma, reassociation) they may differ by a few
            # ulp of the largest term, which |f|, |g| |x| and 1 bound
            scale = max(1.0, abs(f), float(np.abs(g).max() * np.abs(X[b]).max()))
            assert abs(f - F[b]) <= 8 * np.spacing(scale), (f, F[b])
            assert np.abs(g - G[b]).max() <= 8 * np.spacing(max(scale, float(np.abs(g).max()))), (g, G[b])


def test_same_seed_same_numbers(case):
    again = landscapes.make(case.name, dim=case.dim, seed=case.seed, **case.params)
    assert np.array_equal(case.data, again.data)
    X = case.sample(4, seed=5)
    assert np.array_equal(X, again.sample(4, seed=5))
    assert np.array_equal(case.value_and_grad(X)[1], again.value_and_grad(X)[1])


def test_stated_global_minimum_holds(case):
    known = case.known
    if "global_min_value" not in known:
        pytest.skip("no global minimum is stated")
    points = known.get("global_minima_x") or ([known["global_min_x"]] if "global_min_x" in known else [])
    for point in points:
        x = np.asarray(point, float)
        g, eig = stationarity(case, x)
        assert np.abs(g).max() < 1e-7 * (1 + abs(known["global_min_value"]))
        assert eig.min() > -1e-7 * (1 + np.abs(eig).max())
        assert math.isclose(case.value(x), known["global_min_value"], rel_tol=1e-9, abs_tol=1e-9)
    # nothing sampled (and nothing a short descent reaches) lies below a stated global minimum
    X = case.sample(200, seed=21)
    assert case.value(X).min() >= known["global_min_value"] - 1e-9


def test_stated_critical_points_hold(case):
    points = case.known.get("critical_points")
    if not points:
        pytest.skip("no critical points are listed")
    for cp in points:
        x = np.asarray(cp["x"], float)
        g, eig = stationarity(case, x)
        assert np.abs(g).max() < 1e-8 * (1 + abs(cp["value"]))
        assert math.isclose(case.value(x), cp["value"], rel_tol=1e-9, abs_tol=1e-9)
        if cp.get("degenerate"):
            assert np.abs(eig).min() < 1e-9
        else:  # (declared zero modes, a symmetry's, are zero to rounding: either sign)
            assert int((eig < -1e-9 * max(1.0, np.abs(eig).max())).sum()) == cp["index"]
    counts = case.known["counts_by_index"]  # a degenerate point has no index: counted apart
    assert sum(counts.values()) + case.known.get("n_degenerate", 0) == case.known["n_critical_points"]
    if len(points) == case.known["n_critical_points"]:
        for k, n in counts.items():
            assert sum(cp["index"] == k for cp in points) == n


def test_unknown_and_bad_input_is_one_clear_line(case):
    with pytest.raises(landscapes.ParamError, match="shape"):
        case.value(np.zeros(case.dim + 1))
    bad = case.sample(1, seed=0)[0]
    bad[0] = np.nan
    with pytest.raises(landscapes.ParamError, match="nan at walker 0, coordinate 0"):
        case.grad(bad)

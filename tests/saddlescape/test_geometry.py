"""Curvature and the critical-point census against exact ground truth."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes
from saddlescape.cli import main


@pytest.mark.parametrize("dim", range(1, 8))
def test_census_finds_every_styblinski_tang_critical_point(dim):
    f = landscapes.make("styblinski-tang", dim=dim)
    c = saddlescape.census(f, starts=40 * 3 ** dim, seed=0)
    assert c.counts_by_index == {k: math.comb(dim, k) * 2 ** (dim - k) for k in range(dim + 1)}
    assert len(c.critical_points) == 3 ** dim and c.n_degenerate == 0
    assert c.n_minima == 2 ** dim and c.n_maxima == 1
    assert c.critical_points[0]["value"] == pytest.approx(f.known["global_min_value"], rel=1e-12)


@pytest.mark.slow
def test_census_finds_all_6561_points_at_dim_8():
    c = saddlescape.census(landscapes.make("styblinski-tang", dim=8), starts=150_000, seed=0)
    assert len(c.critical_points) == 6561
    assert c.counts_by_index == {k: math.comb(8, k) * 2 ** (8 - k) for k in range(9)}


@pytest.mark.parametrize("name", ["himmelblau", "six-hump-camel"])
def test_census_reproduces_the_complete_lists(name):
    f = landscapes.make(name)
    c = saddlescape.census(f, starts=2000, seed=1)
    assert c.counts_by_index == f.known["counts_by_index"]
    found = sorted((round(cp["value"], 8), cp["index"]) for cp in c.critical_points)
    known = sorted((round(cp["value"], 8), cp["index"]) for cp in f.known["critical_points"])
    assert found == known
    assert c.n_minima == f.known["n_local_minima"] and c.n_maxima == 2 - (name == "himmelblau")


def test_census_on_the_sphere_matches_the_p2_eigenvectors():
    f = landscapes.make("p-spin", dim=7, p=2, seed=3)
    c = saddlescape.census(f, starts=3000, seed=0)
    assert c.counts_by_index == f.known["counts_by_index"] and c.max_index == 6
    assert c.critical_points[0]["value"] == pytest.approx(f.known["global_min_value"], rel=1e-10)


def test_lennard_jones_minima_are_counted_as_structures():
    c = saddlescape.census(landscapes.make("lennard-jones", dim=18), starts=200, seed=0,
                           method="minima", trust=0.3, max_iter=500)
    assert c.counts_by_index == {0: 2} and c.n_degenerate == 0  # octahedron and capped bipyramid
    assert c.critical_points[0]["value"] == pytest.approx(-12.712062, abs=1e-6)


def test_degenerate_points_are_flagged_not_guessed():
    c = saddlescape.census("monkey-saddle", starts=50, seed=0, max_iter=200, gtol=1e-6)
    assert c.n_degenerate >= 1 and c.counts_by_index == {}


def test_a_degenerate_point_is_listed_once_with_no_index():
    # Newton converges only linearly there: 500 starts end up to ~2e-5 apart around the one point
    c = saddlescape.census("monkey-saddle", starts=500, seed=0)
    assert c.outcomes["converged"] >= 400
    assert len(c.critical_points) == 1 and c.n_degenerate == 1 and c.counts_by_index == {}
    (cp,) = c.critical_points
    assert cp["index"] is None and cp["degenerate"] and np.abs(cp["x"]).max() < 1e-3


def test_two_degenerate_points_stay_two():
    # f = (x^2 - 1)^3: degenerate critical points at -1 and +1 (and a minimum at 0)
    def vg(x, g):
        u = x[0] ** 2 - 1.0
        g[0] = 6.0 * x[0] * u ** 2
        return u ** 3

    def hess(x, H):
        u = x[0] ** 2 - 1.0
        H[0, 0] = 6.0 * u ** 2 + 24.0 * x[0] ** 2 * u

    land = landscapes.custom("cubic-wells", vg, dim=1, hessian=hess, domain=(-2.0, 2.0))
    c = saddlescape.census(land, starts=400, seed=0)
    assert c.counts_by_index == {0: 1} and c.n_degenerate == 2
    assert sorted(round(cp["x"][0], 2) for cp in c.critical_points if cp["degenerate"]) == [-1.0, 1.0]


@pytest.mark.parametrize("name", [n for n in landscapes.names() if "counts_by_index" in landscapes.make(n).known])
def test_the_census_agrees_with_what_each_landscape_declares(name):
    land = landscapes.make(name)
    c = saddlescape.census(land, starts=3000, seed=0)
    assert c.counts_by_index == {int(k): v for k, v in land.known["counts_by_index"].items()}
    assert c.n_degenerate == land.known.get("n_degenerate", 0)
    assert len(c.critical_points) == land.known["n_critical_points"]


def test_rotating_keeps_every_count_and_value():
    # f(Q x): the census's box turns with the landscape, so the counts are the unrotated ones
    plain = landscapes.make("styblinski-tang", dim=4)
    turned = landscapes.make("styblinski-tang", dim=4, rotate=1, seed=5)
    c = saddlescape.census(turned, starts=3000, seed=0)
    assert c.counts_by_index == {int(k): v for k, v in plain.known["counts_by_index"].items()}
    assert c.critical_points[0]["value"] == pytest.approx(plain.known["global_min_value"], rel=1e-12)
    x = np.array(turned.known["global_min_x"])
    assert not np.allclose(x, plain.known["global_min_x"])  # it did turn
    assert turned.value(x) == pytest.approx(plain.known["global_min_value"], rel=1e-13)


def test_gradient_descent_does_not_see_the_rotation_and_adam_does():
    # GD is rotation-equivariant: from turned starts it takes the turned path, to rounding;
    # Adam's per-coordinate scaling is not, which is what rotate=1 is for
    plain = landscapes.make("rosenbrock", dim=20)
    turned = landscapes.make("rosenbrock", dim=20, rotate=1, seed=3)
    x0 = turned.sample(4, seed=0)
    y0 = turned.to_box(x0)
    for opt, same in (("gd", True), ("adam", False)):
        a = saddlescape.run(plain, opt, walkers=4, steps=400, x0=y0, detect=False)
        b = saddlescape.run(turned, opt, walkers=4, steps=400, x0=x0, detect=False)
        assert np.allclose(a.final_loss, b.final_loss, rtol=1e-8) == same, opt


def test_census_reproduces_matrix_factorization_in_closed_form():
    # M 4 x 4 of full rank, U 4 x 2: the 11 subsets of at most 2 eigenvectors, each up to U -> U R
    f = landscapes.make("matrix-factorization", n=4, r=2, rank=4, seed=0)
    c = saddlescape.census(f, starts=600, seed=0, method="newton")
    found = sorted((round(cp["value"], 8), cp["index"]) for cp in c.critical_points)
    known = sorted((round(cp["value"], 8), cp["index"]) for cp in f.known["critical_points"])
    assert found == known and len(found) == 11 and c.n_degenerate == 0
    assert c.counts_by_index == {0: 1, 1: 1, 2: 2, 3: 2, 4: 2, 5: 1, 6: 1, 8: 1}
    assert c.n_minima == 1 and c.critical_points[0]["value"] == pytest.approx(f.known["global_min_value"], rel=1e-10)


def test_census_of_a_deep_linear_network_finds_its_closed_form_values():
    # every critical point of |W3 W2 W1 - T|^2 / 2 has the value of a subset of T's singular
    # values left out (Kawaguchi 2016), the only minima the global ones; all but the minimum are
    # degenerate (zero Hessian at the origin for depth 3), told apart by their end-to-end map
    f = landscapes.make("deep-linear", seed=0)
    c = saddlescape.census(f, x0=np.random.default_rng(0).standard_normal((400, f.dim)) * 0.5, seed=0)
    values = sorted(round(cp["value"], 8) for cp in c.critical_points)
    assert values == [round(v, 8) for v in f.known["critical_values"]] == [0.0, 0.5, 2.0, 2.5]
    assert c.counts_by_index == {0: 1} and c.critical_points[0]["value"] == pytest.approx(0.0, abs=1e-12)
    assert all(cp["degenerate"] for cp in c.critical_points[1:])


def test_points_outside_the_domain_are_reported_not_counted():
    land = landscapes.make("rastrigin", dim=1)
    box = saddlescape.census(land, starts=500, seed=0)
    assert box.counts_by_index == {int(k): v for k, v in land.known["counts_by_index"].items()} == {0: 11, 1: 10}
    assert box.outcomes["outside"] > 0 and box.domain == "box"
    lo, hi = land.domain
    assert all(lo <= cp["x"][0] <= hi for cp in box.critical_points)
    every = saddlescape.census(land, starts=500, seed=0, domain="all")
    assert every.n_minima > 11 and any(not lo <= cp["x"][0] <= hi for cp in every.critical_points)
    assert sum(every.outcomes.values()) == 500 * 3  # one outcome per start and search
    with pytest.raises(landscapes.ParamError, match=r"domain='sphere'.*'box', 'all'"):
        saddlescape.census(land, starts=5, domain="sphere")


def test_odd_p_spin_has_as_many_maxima_as_minima_and_the_census_finds_them():
    # H(-x) = -H(x) for odd p maps each minimum onto a maximum; Newton alone found none at D=10
    f = landscapes.make("p-spin", dim=10, seed=0)
    newton = saddlescape.census(f, starts=400, seed=0, method="newton")
    assert newton.n_minima == 0  # the gap the default search closes
    c = saddlescape.census(f, starts=400, seed=0)
    assert c.n_minima >= 1 and c.n_minima == c.n_maxima
    assert c.critical_points[0]["index"] == 0  # the lowest point found is a minimum


def test_quench_finds_the_lennard_jones_13_icosahedron_where_newton_fails():
    land = landscapes.make("lennard-jones", dim=39)
    newton = saddlescape.census(land, starts=60, seed=0, method="newton")
    assert newton.outcomes["converged"] < 6 and newton.warnings and "quench" in newton.warnings[0]
    c = saddlescape.census(land, starts=60, seed=0, method="quench")
    assert c.outcomes["converged"] >= 54 and not c.warnings
    assert c.critical_points[0]["value"] == pytest.approx(land.known["global_min_value"], abs=1e-6)
    assert c.counts_by_index.keys() == {0}


def test_index_vs_loss_rises_with_loss_on_styblinski_tang():
    c = saddlescape.census(landscapes.make("styblinski-tang", dim=5), starts=10_000, seed=0)
    rel = c.index_vs_loss(bins=5)
    assert rel[0]["mean_index_fraction"] < rel[-1]["mean_index_fraction"]


def test_census_result_round_trips(tmp_path):
    c = saddlescape.census("himmelblau", starts=300, seed=0)
    back = saddlescape.CensusResult.load(c.save(tmp_path / "c.json"))
    assert back.counts_by_index == c.counts_by_index and back.critical_points == c.critical_points


def test_census_command_line(capsys):
    assert main(["census", "--landscape", "styblinski-tang", "--dim", "3", "--starts", "1500", "--seed", "0"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["counts_by_index"] == {"0": 8, "1": 12, "2": 6, "3": 1}
    assert (s["n_minima"], s["n_saddles"], s["n_maxima"]) == (8, 18, 1)
    assert {"value", "index", "degenerate", "x"} <= set(s["critical_points"][0])
    assert main(["census", "--landscape", "himmelblau", "--method", "bisect"]) == 2
    assert "method='bisect' is not allowed" in capsys.readouterr().err
    assert main(["census", "--landscape", "himmelblau", "--domain", "sphere"]) == 2
    assert "domain='sphere'" in capsys.readouterr().err


def test_census_command_line_warns_when_few_searches_converge(capsys):
    assert main(["census", "--landscape", "lennard-jones", "--dim", "39", "--starts", "20",
                 "--method", "newton"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["outcomes"]["converged"] < 4
    assert err.startswith("warning: only") and "method='quench'" in err


def test_spectrum_exact_matches_the_random_quadratic():
    f = landscapes.make("random-quadratic", dim=40, seed=2)
    s = saddlescape.hessian_spectrum(f, np.zeros(40))
    assert s["method"] == "exact"
    assert np.allclose(s["eigenvalues"], f.known["eigenvalues"], atol=1e-12)


def test_lanczos_ends_match_exact_eigenvalues_above_the_dense_limit():
    f = landscapes.make("random-quadratic", dim=2500, seed=1, negative_fraction=0.2)
    ev = np.array(f.known["eigenvalues"])
    s = saddlescape.hessian_spectrum(f, np.zeros(2500), k=3, steps=300)
    assert s["method"] == "lanczos"
    assert np.allclose(s["lowest"], ev[:3], atol=1e-6) and np.allclose(s["highest"], ev[::-1][:3], atol=1e-6)


def _semicircle_cdf(x):
    x = np.clip(x, -2, 2)
    return 0.5 + (x * np.sqrt(4 - x * x) / 4 + np.arcsin(x / 2)) / np.pi


def _marchenko_pastur_cdf(x, ratio=0.5):
    lo, hi = (1 - ratio**0.5) ** 2, (1 + ratio**0.5) ** 2
    t = np.linspace(lo, hi, 20001)
    d = np.sqrt(np.clip((hi - t) * (t - lo), 0, None)) / (2 * np.pi * ratio * t)
    c = np.concatenate([[0], np.cumsum((d[1:] + d[:-1]) / 2 * np.diff(t))])
    return np.interp(x, t, c / c[-1])


@pytest.mark.parametrize("spectrum, dim", [("goe", 400), ("wishart", 400),
                                           pytest.param("goe", 1500, marks=pytest.mark.slow),
                                           pytest.param("wishart", 1500, marks=pytest.mark.slow)])
def test_slq_matches_the_semicircle_and_marchenko_pastur_laws(spectrum, dim):
    # before: 10 probes and a fixed width, Marchenko-Pastur's mean 2% off at dim 400 and no error reported
    f = landscapes.make("random-quadratic", dim=dim, seed=0, spectrum=spectrum, negative_fraction=0.0)
    ev = np.array(f.known["eigenvalues"])
    e = saddlescape.spectral_estimate(f, np.zeros(dim))
    assert e.converged and e.steps == 100 and 10 <= e.probes <= 200
    # the estimate's stated errors hold against the exact spectrum, and meet the tolerance
    assert abs(e.mean - ev.mean()) <= 4 * e.mean_error <= 4 * 0.01 * ev.std()
    assert abs(e.variance - ev.var()) <= 4 * e.variance_error <= 4 * 0.01 * ev.var()
    # the whole distribution against the analytic law: Kolmogorov distance within 0.02
    t = np.linspace(ev.min() - 0.5, ev.max() + 0.5, 4001)
    law = (_semicircle_cdf if spectrum == "goe" else _marchenko_pastur_cdf)(t + f.known["shift"])
    assert np.abs(e.cdf(t) - law).max() < 0.02
    # the hard edges: the extreme Ritz values are the extreme eigenvalues
    assert abs(e.nodes.min() - ev.min()) < 1e-3 * np.ptp(ev) and abs(e.nodes.max() - ev.max()) < 1e-3 * np.ptp(ev)
    grid, dens = e.density(bins=200)
    assert np.trapezoid(dens, grid) == pytest.approx(1.0, abs=0.01)


def test_slq_says_how_far_it_got_when_the_probe_budget_runs_out():
    f = landscapes.make("random-quadratic", dim=400, seed=0, spectrum="wishart", negative_fraction=0.0)
    e = saddlescape.spectral_estimate(f, np.zeros(400), max_probes=10, tol=1e-4)
    assert not e.converged and e.probes == 10 and e.mean_error > 1e-4 * np.sqrt(e.variance)
    with pytest.raises(landscapes.ParamError, match="probes=0 is not allowed"):
        saddlescape.spectral_estimate(f, np.zeros(400), probes=0)


@pytest.mark.parametrize("name,dim", [("random-quadratic", 40), ("rosenbrock", 4), ("p-spin", 12)])
def test_top_curvature_by_power_iteration_matches_the_exact_spectrum(name, dim):
    from saddlescape._geometry import top_curvature

    f = landscapes.make(name, dim=dim, seed=1)
    X = f.sample(4, seed=2)
    got = top_curvature(f, X, iters=200)
    for x, top in zip(X, got):
        ev = np.linalg.eigvalsh(saddlescape._geometry.manifold_hessian(f, x))
        assert top == pytest.approx(np.abs(ev).max(), rel=1e-3)

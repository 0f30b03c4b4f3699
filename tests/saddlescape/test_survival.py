"""Escape times as a distribution: Kaplan-Meier against a hand computation, with censoring."""
from __future__ import annotations

import math

import numpy as np
import pytest

import saddlescape
from saddlescape._survival import kaplan_meier


def test_kaplan_meier_matches_a_hand_computation_with_censoring():
    # dwell times 2, 3, 3+, 5, 7+ (+: still at the saddle when the run ended)
    km = kaplan_meier([2, 3, 3, 5, 7], [True, True, False, True, False])
    np.testing.assert_array_equal(km.times, [2, 3, 5])
    np.testing.assert_array_equal(km.at_risk, [5, 4, 2])  # the visit censored at 3 is at risk at 3
    np.testing.assert_allclose(km.survival, [4 / 5, 4 / 5 * 3 / 4, 4 / 5 * 3 / 4 * 1 / 2], rtol=1e-15)
    assert km.median == 5 and km.n_observed == 3 and km.n_censored == 2
    # the band at t = 2 on the log(-log) scale, by hand: sigma = sqrt(1/20) / |log 0.8|
    sigma = math.sqrt(1 / 20) / abs(math.log(0.8))
    assert km.lower[0] == pytest.approx(0.8 ** math.exp(1.959964 * sigma), rel=1e-6)
    assert km.upper[0] == pytest.approx(0.8 ** math.exp(-1.959964 * sigma), rel=1e-6)
    assert km.median_ci == (2.0, None)  # five visits cannot pin the upper end down
    # dropping the censored visits instead would say the walkers escape sooner than they do
    dropped = kaplan_meier([2, 3, 5], [True, True, True])
    assert dropped.survival[1] < km.survival[1] and dropped.median == 3


def test_no_escape_means_no_median():
    km = kaplan_meier([10, 20], [False, False])
    assert km.median is None and km.median_ci == (None, None) and len(km.times) == 0


def test_a_runs_json_carries_its_escape_survival():
    gd = saddlescape.run("himmelblau", "gd", walkers=64, steps=2000, seed=0).summary()
    s = gd["escape_survival"]
    assert s["n_escaped"] == gd["n_saddle_escapes"] and s["n_censored"] == len(gd["saddle_visits_open"])
    assert s["median"] <= sorted(e["dwell"] for e in gd["saddle_escapes"])[s["n_escaped"] // 2]
    assert s["median_ci95"][0] <= s["median"] and all(0 <= v <= 1 for v in s["survival"])
    newton = saddlescape.run("himmelblau", "newton", walkers=64, steps=300, seed=0).summary()["escape_survival"]
    assert newton["n_escaped"] == 0 and newton["n_censored"] > 0 and newton["median"] is None  # it stays

"""Races: same starts for everyone, tuning on separate seeds, honest verdicts."""
from __future__ import annotations

import itertools
import json
import subprocess
import sys

import numpy as np
import pytest

from saddlescape import ParamError, landscapes
from saddlescape import _engine as engine
from saddlescape._race import TUNE_SEED_OFFSET, race


def test_a_race_is_deterministic_per_seed_and_runs_everyone_from_the_same_starts(monkeypatch):
    seen: dict[str, list] = {}
    real = engine.run

    def spy(land, opt, **kw):
        seen.setdefault(opt.name, []).append((kw["seed"], kw["x0"].copy()))
        return real(land, opt, **kw)

    monkeypatch.setattr(engine, "run", spy)
    a = race("rastrigin", ["gd", "adam"], starts=6, seeds=3, budget=200, seed=4)
    b = race("rastrigin", ["gd", "adam"], starts=6, seeds=3, budget=200, seed=4)
    assert a.final_loss == b.final_loss and a.ecdf == b.ecdf and a.wins == b.wins and a.verdict == b.verdict
    assert a.seeds == [4, 5, 6]
    for (s1, x1), (s2, x2) in zip(seen["gd"], seen["adam"]):
        assert s1 == s2 and np.array_equal(x1, x2)  # the same starts, seed by seed
    c = race("rastrigin", ["gd", "adam"], starts=6, seeds=3, budget=200, seed=5)
    assert c.final_loss != a.final_loss


def test_tuning_uses_its_own_seeds_only(monkeypatch):
    seeds_used: list[tuple[str, int]] = []
    real = engine.run

    def spy(land, opt, **kw):
        seeds_used.append((opt.name, kw["seed"]))
        return real(land, opt, **kw)

    monkeypatch.setattr(engine, "run", spy)
    r = race("styblinski-tang", ["gd", "momentum"], starts=4, seeds=2, budget=150, seed=0, tune="lr")
    tuning = {s for _, s in seeds_used} - set(r.seeds)
    assert tuning == set(r.tuning_seeds) == {TUNE_SEED_OFFSET, TUNE_SEED_OFFSET + 1}
    assert not set(r.tuning_seeds) & set(r.seeds)
    # evaluation ran exactly once per optimizer and evaluation seed, with the tuned learning rate
    for name in ("gd", "momentum"):
        assert sorted(s for n, s in seeds_used if n == name and s in r.seeds) == r.seeds
        grid = [t["lr"] for t in r.tuning[name]]
        assert len(grid) == 7 and r.hyper[name]["lr"] in grid


def test_a_clear_winner_is_named_and_a_tie_is_not():
    # gd with its stable step against gd with a step 1000 times too small, on a convex bowl
    bowl = landscapes.make("saddle", dim=4, negative=0)
    r = race(bowl, ["gd", "gd lr=1e-5"], starts=10, seeds=3, budget=300)
    assert r.winner == "gd" and r.wins["gd"]["gd lr=1e-05"]["low"] > 0.5
    assert r.verdict.startswith("gd ends lower than every other")
    # identical optimizers under two names: every start a tie, no winner claimed
    tie = race("styblinski-tang", ["momentum", "momentum beta=0.9"], starts=8, seeds=2, budget=200)
    assert tie.winner is None and tie.wins["momentum"]["momentum beta=0.9"]["rate"] == 0.5
    assert tie.verdict.startswith("no optimizer beats all the others")


def test_ecdf_rises_to_the_fraction_of_targets_reached():
    r = race("styblinski-tang", ["gd", "adam"], starts=8, seeds=2, budget=400)
    for name in r.optimizers:
        e = r.ecdf[name]
        assert all(a <= b for a, b in itertools.pairwise(e)) and e[0] >= 0.0 and e[-1] <= 1.0
    assert len(r.targets) == 20 and r.targets == sorted(r.targets, reverse=True)
    assert min(r.targets) > -39.16617 * 2  # all above the known global minimum (D=2)


def test_bad_races_are_refused():
    with pytest.raises(ParamError, match="at least two optimizers"):
        race("rastrigin", ["gd"])
    with pytest.raises(ParamError, match="tune='momentum' is not allowed"):
        race("rastrigin", ["gd", "adam"], tune="momentum")
    with pytest.raises(ParamError, match="repeat"):
        race("rastrigin", ["gd", "gd"])


def test_cli_race_writes_json_and_csv_and_refuses_bad_input(tmp_path):
    out = tmp_path / "race.json"
    done = subprocess.run([sys.executable, "-m", "saddlescape", "race", "--landscape", "himmelblau", "--optimizer", "gd",
                           "--optimizer", "adam lr=0.05", "--starts", "4", "--seeds", "2", "--budget", "100",
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["optimizers"] == ["gd", "adam lr=0.05"] and data["hyper"]["adam lr=0.05"]["lr"] == 0.05
    assert "verdict:" in done.stdout + done.stderr
    assert (tmp_path / "race.csv").read_text().splitlines()[0].startswith("optimizer,lr,median final loss")
    for args, message in ((["--optimizer", "gd"], "at least two --optimizer"),
                          (["--optimizer", "gd", "--optimizer", "nope"], "nope"),
                          (["--optimizer", "gd", "--optimizer", "adam lr=-1"], "lr=-1")):
        bad = subprocess.run([sys.executable, "-m", "saddlescape", "race", "--landscape", "himmelblau", *args],
                             capture_output=True, text=True, timeout=600)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and message in bad.stderr, bad.stderr

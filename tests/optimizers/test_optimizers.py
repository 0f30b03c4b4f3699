"""Behaviour specific to single optimizers and to plug-in loading."""
from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

import landscapes
import optimizers
import saddlescape


def test_newton_is_attracted_to_a_saddle_and_saddle_free_newton_is_not():
    f = landscapes.make("saddle", dim=4, negative=2, quartic=1.0)
    x0 = np.full((1, 4), 0.05)
    newton = saddlescape.run(f, "newton", walkers=1, steps=30, x0=x0)
    sfn = saddlescape.run(f, "saddle-free-newton", walkers=1, steps=30, x0=x0)
    assert np.abs(newton.final_x).max() < 1e-6          # converged onto the index-2 saddle
    assert sfn.final_loss[0] == pytest.approx(f.known["global_min_value"], abs=1e-9)


def test_saddle_free_newton_krylov_path_matches_its_job_above_500_dims():
    f = landscapes.make("saddle", dim=800, negative=3, quartic=1.0)
    x0 = np.full((1, 800), 0.01)
    r = saddlescape.run(f, "saddle-free-newton", walkers=1, steps=60, x0=x0)
    assert r.final_loss[0] == pytest.approx(f.known["global_min_value"], rel=1e-6)


def test_perturbed_gd_escapes_an_exact_saddle_where_gd_stays():
    f = landscapes.make("saddle", dim=3, negative=1, quartic=1.0)
    x0 = np.zeros((2, 3))
    gd = saddlescape.run(f, "gd", walkers=2, steps=2000, x0=x0, seed=0)
    pgd = saddlescape.run(f, "perturbed-gd", walkers=2, steps=2000, x0=x0, seed=0)
    assert np.all(gd.final_loss == 0.0)
    assert np.all(pgd.final_loss < -0.2)


def test_sgd_uses_real_minibatches_on_data_landscapes():
    f = landscapes.make("logistic", dim=3, samples=64, l2=0.1)
    a = saddlescape.run(f, optimizers.make("sgd", batch=8), walkers=2, steps=50, seed=0)
    b = saddlescape.run(f, optimizers.make("sgd", batch=64, noise=0.0), walkers=2, steps=50, seed=0)
    c = saddlescape.run(f, "gd", walkers=2, steps=50, seed=0)
    assert not np.allclose(a.final_x, c.final_x)
    assert np.allclose(b.final_x, b.final_x)


def test_entry_point_plugins_are_found(tmp_path, monkeypatch):
    pkg = tmp_path / "my_opts.py"
    pkg.write_text(textwrap.dedent('''
        class Half:
            hyper = {"lr": 0.5}
            def init(self, x): return None
            def step(self, x, g, f, state, *, t, hyper, rng): return x - hyper["lr"] * g, state
    '''))
    dist = tmp_path / "my_opts-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-opts\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[saddlescape.optimizers]\nhalf = my_opts:Half\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "half" in optimizers.names()
    r = saddlescape.run(landscapes.make("saddle", dim=2, negative=0), "half", walkers=2, steps=20)
    assert np.all(r.final_loss < 1e-10)


def test_a_broken_plugin_is_one_line():
    class NoStep:
        def init(self, x):
            return None

    with pytest.raises(optimizers.PluginError, match="lacks step"):
        optimizers.make(NoStep())

    class Crashes:
        def init(self, x):
            return None

        def step(self, x, g, f, state, *, t, hyper, rng):
            raise RuntimeError("boom")

    with pytest.raises(optimizers.PluginError, match="failed in step\\(\\): RuntimeError: boom"):
        saddlescape.run("himmelblau", Crashes(), steps=3)

    class WrongShape:
        def init(self, x):
            return None

        def step(self, x, g, f, state, *, t, hyper, rng):
            return x[:, :1], state

    with pytest.raises(optimizers.PluginError, match="returned x of shape"):
        saddlescape.run("himmelblau", WrongShape(), steps=3)

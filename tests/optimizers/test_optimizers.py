"""Behaviour specific to single optimizers and to plug-in loading."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes, optimizers


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


def test_sgd_steps_along_real_minibatch_gradients_on_data_landscapes():
    """One SGD step moves each walker by lr times the gradient of its own minibatch (keyed on
    seed, walker, step), with the synthetic noise off: real minibatches replace it."""
    from saddlescape.landscapes._kernel import counter_key

    f = landscapes.make("logistic", dim=3, samples=64, l2=0.1)
    x0 = f.sample(3, seed=3)
    s = saddlescape.Session(f, optimizers.make("sgd", lr=0.1, batch=8, noise=0.5), x0=x0, seed=5)
    s.advance(1)
    keys = np.array([np.uint64(counter_key(5, b, 0)).astype(np.int64) for b in range(3)])
    _, g_batch = f.value_and_grad(x0, keys=keys, batch=8)
    _, g_full = f.value_and_grad(x0)
    assert not np.allclose(g_batch, g_full)  # so the check below tells the two apart
    np.testing.assert_allclose(s.X, x0 - 0.1 * g_batch, rtol=1e-12, atol=1e-14)
    s.advance(1)  # the next step draws other minibatches
    keys1 = np.array([np.uint64(counter_key(5, b, 1)).astype(np.int64) for b in range(3)])
    assert not np.array_equal(keys, keys1)


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


def test_adam_bias_correction_is_exactly_the_expm1_form_on_both_sides_of_settling():
    """Adam's bias correction 1 / (1 - beta^(t+1)) is returned as 1.0 without calling expm1 once
    (t+1) ln beta < -40; there -1 / expm1 gives 1.0 too, so the two forms agree bit for bit on
    both sides of the switch (beta1 = 0.9 settles after ~380 steps, beta2 = 0.999 after ~40,000)."""
    from numba import njit

    from saddlescape.optimizers._first_order import SETTLED, bias_correction

    @njit
    def by_expm1(x):
        return -1.0 / np.expm1(x)

    xs = np.concatenate([np.linspace(-60.0, -1e-3, 20001), [SETTLED, np.nextafter(SETTLED, 0.0), -1e6]])
    for x in xs:
        assert bias_correction(x) == by_expm1(x), x
    assert bias_correction(-40.5) == 1.0 and bias_correction(-1e-3) > 1.0

"""Exact structure of the separable landscapes, property tests, plug-ins and bad input."""
from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import saddlescape
from saddlescape import landscapes

from .helpers import close, fd_gradient, stationarity


@pytest.mark.parametrize("name, n1d, n_min", [("styblinski-tang", 3, 2), ("rastrigin", 21, 11)])
def test_separable_counts_are_exact(name, n1d, n_min):
    f = landscapes.make(name, dim=5)
    roots = f.known["critical_points_1d"]
    assert len(roots) == n1d
    assert sum(r["index"] == 0 for r in roots) == n_min
    assert f.known["n_critical_points"] == n1d ** 5
    assert f.known["counts_by_index"] == {k: math.comb(5, k) * n_min ** (5 - k) * (n1d - n_min) ** k
                                          for k in range(6)}
    one = landscapes.make(name, dim=1)
    for r in roots:  # each 1-D root is a critical point of that index, value as stated
        g, eig = stationarity(one, np.array([r["x"]]))
        assert abs(g[0]) < 1e-9 and int(eig[0] < 0) == r["index"]
        assert math.isclose(one.value([r["x"]]), r["value"], rel_tol=1e-12, abs_tol=1e-12)


def test_styblinski_tang_has_the_published_minimum():
    f = landscapes.make("styblinski-tang", dim=4)
    assert math.isclose(f.known["global_min_value"], -39.16616570377142 * 4, rel_tol=1e-12)
    assert math.isclose(f.known["global_min_x"][0], -2.903534027771178, rel_tol=1e-12)


def test_separables_run_at_a_million_dimensions():
    for name in ("rastrigin", "styblinski-tang", "ackley", "griewank"):
        f = landscapes.make(name, dim=1_000_000)
        x = np.full(f.dim, 0.5)
        value, g = f.value_and_grad(x)
        assert np.isfinite(value) and g.shape == (1_000_000,) and np.isfinite(g).all()
        v = np.ones(f.dim)
        assert np.isfinite(f.hvp(x, v)).all()
    f = landscapes.make("styblinski-tang", dim=1_000_000)
    x = np.asarray(f.known["global_min_x"])
    # a sum of 10^6 rounded terms: allow the summation's rounding (~D * eps at worst)
    assert math.isclose(f.value(x), f.known["global_min_value"], rel_tol=1e-10)


@pytest.mark.parametrize("name", ["rastrigin", "styblinski-tang"])
@pytest.mark.parametrize("dim", [1, 2, 3, 4, 7, 8, 9])
def test_a_batch_evaluates_as_its_walkers_one_by_one(name, dim):
    """A batch of a few coordinates is evaluated as one run of coordinates (_sum_vg), one walker
    row by row: the same terms summed in the same order. Gradients exactly; losses within a few
    ulp of the terms' magnitudes (fastmath may vectorise a row's sum)."""
    f = landscapes.make(name, dim=dim)
    X = f.sample(37, seed=dim)
    kern, data, keys = f.value_and_grad_kernel, f.data, np.zeros(37, np.int64)
    G, F = np.full_like(X, np.nan), np.full(37, np.nan)
    kern(X, G, F, data, keys, 0)
    for b in range(37):
        g, v = np.full((1, dim), np.nan), np.full(1, np.nan)
        kern(X[b:b + 1], g, v, data, keys[:1], 0)
        np.testing.assert_array_equal(G[b], g[0])
        scale = np.abs(X[b]).max() ** (2 if name == "rastrigin" else 4) + 10.0 * dim
        assert abs(F[b] - v[0]) <= 8 * np.finfo(float).eps * scale, (b, F[b], v[0])


@given(dim=st.integers(1, 12), seed=st.integers(0, 2**31), scale=st.floats(0.1, 4.0))
def test_property_gradients_across_dims_and_seeds(dim, seed, scale):
    rng = np.random.default_rng(seed)
    for name in ("rastrigin", "styblinski-tang", "ackley", "griewank", "saddle"):
        f = landscapes.make(name, dim=max(dim, 2) if name == "rosenbrock" else dim)
        x = rng.uniform(-scale, scale, f.dim)
        assert close(f.grad(x), fd_gradient(f, x), 1e-5)
        assert close(f.hvp(x, x), f.hessian(x) @ x, 1e-9)


@given(dim=st.integers(2, 10), seed=st.integers(0, 10**6))
def test_property_random_landscapes_are_reproducible_and_differentiable(dim, seed):
    for name, params in (("p-spin", {"p": 3}), ("gaussian-field", {"features": 32}),
                         ("random-quadratic", {}), ("logistic", {"samples": 20})):
        f = landscapes.make(name, dim=dim, seed=seed, **params)
        again = landscapes.make(name, dim=dim, seed=seed, **params)
        x = f.sample(1, seed=seed)[0]
        assert f.value(x) == again.value(x)
        assert close(f.grad(x), fd_gradient(f, x), 1e-5)


def test_p_spin_lives_on_its_sphere_and_p2_counts_are_exact():
    f = landscapes.make("p-spin", dim=8, p=2, seed=1)
    assert f.manifold == "sphere" and f.radius == math.sqrt(8)
    X = f.sample(10, seed=0)
    assert np.allclose(np.linalg.norm(X, axis=1), math.sqrt(8))
    assert f.known["n_critical_points"] == 16
    assert f.known["counts_by_index"] == dict.fromkeys(range(8), 2)
    assert f.value(X).min() >= f.known["global_min_value"]
    assert landscapes.make("p-spin", dim=8, p=2, seed=2).known["global_min_value"] != f.known["global_min_value"]


def test_logistic_without_l2_has_no_minimum():
    f = landscapes.make("logistic", dim=3, seed=0)
    assert f.known["has_minimum"] is False and f.known["infimum"] == 0.0
    w = np.asarray(f.known["separator"])
    losses = [f.value(t * w) for t in (1, 10, 100)]
    assert losses[0] > losses[1] > losses[2] > 0.0  # decreasing forever along the separator
    g = landscapes.make("logistic", dim=3, seed=0, l2=0.1)
    assert g.value(100 * w) > g.value(w)


def test_mlp_dim_is_the_number_of_weights():
    f = landscapes.make("mlp", width=8, depth=2, inputs=3)
    assert f.dim == 3 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    with pytest.raises(landscapes.ParamError, match="dim=10 does not match its 33 weights"):
        landscapes.make("mlp", dim=10)
    with pytest.raises(landscapes.ParamError, match="inputs=3 is not allowed with task='spirals'"):
        landscapes.make("mlp", inputs=3, task="spirals")


def test_mlp_minibatch_is_the_loss_on_the_drawn_rows():
    """A minibatch gradient is the gradient of the mean loss over the rows its key draws
    (checked against the network written out in NumPy, and the gradient by differences)."""
    from saddlescape.landscapes._learning import MLP_HEADER, minibatch_rows

    f = landscapes.make("mlp", seed=1, width=6, inputs=3, samples=40)
    n, inputs, width = 40, 3, 6
    Xd = f.data[MLP_HEADER:MLP_HEADER + n * inputs].reshape(n, inputs)
    y = f.data[MLP_HEADER + n * inputs:MLP_HEADER + n * inputs + n]
    x = f.sample(1, seed=2)
    rows = minibatch_rows(7, n, 12)
    assert len(set(rows.tolist())) > 1

    def loss(w):
        W = w[:width * inputs].reshape(width, inputs)
        b, wo, bo = w[width * inputs:width * inputs + width], w[-width - 1:-1], w[-1]
        out = np.tanh(Xd[rows] @ W.T + b) @ wo + bo
        return 0.5 * np.mean((out - y[rows]) ** 2)

    F, G = f.value_and_grad(x, keys=[7], batch=12)
    assert math.isclose(F[0], loss(x[0]), rel_tol=1e-12)
    h = 1e-6
    fd = np.array([(loss(x[0] + h * e) - loss(x[0] - h * e)) / (2 * h) for e in np.eye(f.dim)])
    assert np.abs(G[0] - fd).max() <= 1e-7 * (1 + np.abs(fd).max())


@pytest.mark.parametrize("activation", ["tanh", "relu", "softplus", "linear"])
@pytest.mark.parametrize("task, inputs", [("teacher", 2), ("teacher", 6), ("spirals", 2)])
def test_one_layer_mlp_hessian_in_closed_form_equals_the_complex_step(activation, task, inputs):
    """The one-hidden-layer Hessian is assembled in closed form; the Hessian-vector product
    still runs the complex step through backpropagation, an independent route: its products
    with the unit vectors are H's columns to rounding. 300 samples: more than one block of rows,
    a fan-in of 6: above the small-fan-in loops, spread-out weights: tanh and softplus curve."""
    f = landscapes.make("mlp", seed=2, width=5, activation=activation, task=task, inputs=inputs, samples=300)
    for x in f.sample(2, seed=4) * 1.5:
        H = f.hessian(x)
        columns = np.stack([f.hvp(x, e) for e in np.eye(f.dim)], axis=1)
        assert np.abs(H - columns).max() <= 1e-12 * np.abs(columns).max()
        assert np.array_equal(H, H.T)


def test_minibatches_are_deterministic_and_unbiased_in_shape():
    f = landscapes.make("logistic", dim=4, samples=50)
    x = f.sample(2, seed=0)
    a = f.value_and_grad(x, keys=[1, 2], batch=8)
    b = f.value_and_grad(x, keys=[1, 2], batch=8)
    full = f.value_and_grad(x)
    assert np.array_equal(a[1], b[1]) and not np.allclose(a[1], full[1])
    m = landscapes.make("mlp", width=3, samples=40)
    y = m.sample(1, seed=0)
    assert m.value_and_grad(y, keys=[7], batch=10)[0] != m.value_and_grad(y)[0]


@pytest.mark.parametrize("call, message", [
    (lambda: landscapes.make("himmelblau", dim=3), "cannot take dim=3; allowed: dim=2 only"),
    (lambda: landscapes.make("lennard-jones", dim=10), "cannot take dim=10; allowed: a multiple of 3"),
    (lambda: landscapes.make("rastrigin", dim=0), "cannot take dim=0"),
    (lambda: landscapes.make("rastrigin", dim=-2), "cannot take dim=-2"),
    (lambda: landscapes.make("rastrigin", dim=2.5), "cannot take dim=2.5"),
    (lambda: landscapes.make("rastrign"), "unknown landscape 'rastrign' \\(did you mean 'rastrigin'"),
    (lambda: landscapes.make("rastrigin", B=1), "has no parameter 'B'"),
    (lambda: landscapes.make("rastrigin", A=-1), "A=-1 is out of range; use a number in \\(0.0, inf\\)"),
    (lambda: landscapes.make("p-spin", p=5), "p=5 is out of range; use an integer in \\[2, 4\\]"),
    (lambda: landscapes.make("p-spin", dim=400, p=4), "use dim <= 79 for p=4"),
    (lambda: landscapes.make("saddle", dim=2, negative=3), "negative=3 is out of range for dim=2"),
    (lambda: landscapes.make("random-quadratic", spectrum="cauchy"), "spectrum='cauchy' is not allowed; use one of"),
    (lambda: landscapes.make("mlp", skip="maybe"), "skip='maybe' is not allowed; use true or false"),
    (lambda: landscapes.make("rastrigin", seed=-1), "seed=-1 is not allowed"),
])
def test_bad_input_gets_one_line_naming_the_value(call, message):
    with pytest.raises(landscapes.ParamError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "my_landscape.py"  # README's own landscape


def test_a_user_landscape_works_from_a_file_and_a_module(tmp_path, monkeypatch):
    path = tmp_path / "my_bowl.py"
    path.write_text(EXAMPLE.read_text())
    f = landscapes.make(f"{path}:bowl", dim=4)
    assert f.dim == 4 and f.value(np.ones(4)) == 0.0
    assert close(f.hessian(np.zeros(4)), 2 * np.eye(4), 1e-6)
    assert close(f.grad(np.zeros(4)), fd_gradient(f, np.zeros(4)), 1e-6)
    g, eig = stationarity(f, np.asarray(f.known["global_min_x"]))
    assert np.abs(g).max() == 0 and eig.min() > 0
    monkeypatch.syspath_prepend(str(tmp_path))
    assert landscapes.make("my_bowl:bowl", dim=2).value([1.0, 1.0]) == 0.0


def test_broken_plugins_get_one_line():
    with pytest.raises(landscapes.PluginError, match="failed to import: ModuleNotFoundError"):
        landscapes.make("no_such_module_xyz:thing")
    with pytest.raises(landscapes.PluginError, match="does not exist"):
        landscapes.make("/nonexistent/file.py:thing")
    with pytest.raises(landscapes.PluginError, match="has no attribute 'nothing'"):
        landscapes.make("math:nothing")
    with pytest.raises(landscapes.PluginError, match="returned float, not a Landscape"):
        landscapes.make(lambda **kw: 1.0)


def test_entry_point_landscapes_are_found(tmp_path, monkeypatch):
    (tmp_path / "my_lands.py").write_text(EXAMPLE.read_text())
    dist = tmp_path / "my_lands-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-lands\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[saddlescape.landscapes]\nbowl = my_lands:BOWL\n")
    (tmp_path / "my_lands.py").write_text(EXAMPLE.read_text() + textwrap.dedent('''
        BOWL = landscapes.Family("bowl", lambda dim, seed, params: bowl(dim=dim),
                                 summary="a bowl from an installed package", default_dim=3)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "bowl" in landscapes.names()
    f = landscapes.make("bowl", dim=5)
    assert f.dim == 5 and f.value(np.ones(5)) == 0.0


def test_kernels_compile_when_a_landscape_or_optimizer_first_needs_them():
    """Importing a module of kernels compiles none; a landscape and an optimizer load their own."""
    import subprocess
    import sys

    script = textwrap.dedent("""
        from saddlescape import landscapes, optimizers
        from saddlescape.landscapes import _classic
        from saddlescape.landscapes._kernel import Deferred
        from saddlescape.optimizers import _first_order
        import numpy as np
        out = np.empty(2)  # an hvp called first compiles the hessian it calls, in the same lock
        _classic.monkey_hvp(np.array([0.5, 0.5]), np.array([1.0, 0.0]), out, np.zeros(1))
        f = landscapes.make("six-hump-camel")
        opt = optimizers.make("momentum")
        done = sorted(n for m in (_classic, _first_order) for n, k in vars(m).items()
                      if isinstance(k, Deferred) and k._dispatcher is not None)
        print(" ".join(done))
        assert f.value_and_grad_kernel is _classic.camel_vg.dispatcher
        assert opt.compiled_step is _first_order.momentum_step.dispatcher
        print(f.value([0.0898, -0.7126]), f.hvp([0.1, 0.2], [1.0, 0.0]).tolist() == f.hessian([0.1, 0.2])[:, 0].tolist())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    names, check = out.stdout.splitlines()
    # monkey_hess compiles with the hvp on a cold cache; a warm one loads the hvp without typing it
    assert set(names.split()) - {"monkey_hess"} == {"camel_hess", "camel_hvp", "camel_vg", "momentum_step", "monkey_hvp"}
    value, same = check.split()
    assert abs(float(value) + 1.0316) < 1e-3 and same == "True"


def test_a_file_plugin_with_cached_numba_kernels_loads_again_in_a_new_process(tmp_path):
    """`@njit(cache=True)` in a user's file: the second process loads the cached kernel, which
    names the plug-in's module; that name must be the same in every process."""
    import os
    import subprocess
    import sys

    cache = tmp_path / "cache"  # its own cache folder, whatever NUMBA_CACHE_DIR the run has
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    plugin = tmp_path / "cached_bowl.py"
    plugin.write_text(EXAMPLE.read_text().replace("@njit\n", "@njit(cache=True)\n"))
    code = ("from saddlescape import landscapes; "
            f"f = landscapes.make({str(plugin) + ':bowl'!r}, dim=3); print(f.value([1.0, 1.0, 1.0]))")
    for run in range(2):  # the first run writes the cache, the second reads it
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
        assert out.returncode == 0, out.stderr[-500:]
        assert out.stdout.strip() == "0.0"
        if run == 0:
            assert list(cache.rglob("cached_bowl*.nbi"))  # the cached kernel the second run loads


def test_p_spin_ground_states_are_the_published_values_in_stated_units():
    # before: -1.6572 for p = 3 (off in the fourth digit), none for p = 4, and no units
    from saddlescape.landscapes._random import pspin_ground_state

    assert pspin_ground_state(2) == -math.sqrt(2)  # the semicircle's edge
    e3 = landscapes.make("p-spin", dim=20, p=3).theory
    assert e3["ground_state_energy_per_spin"] == pytest.approx(-1.656998, abs=1e-6)
    assert round(-e3["ground_state_energy_per_spin"], 3) == 1.657  # Auffinger, Ben Arous & Cerny 2013
    assert round(e3["ground_state_energy_per_spin"] / math.sqrt(2), 3) == -1.172  # Crisanti & Sommers' units
    assert "sqrt(2)" in e3["units"]
    e4 = landscapes.make("p-spin", dim=12, p=4).theory["ground_state_energy_per_spin"]
    assert e4 == pytest.approx(-1.794085, abs=1e-6)
    for p in (3, 4, 5):  # below the threshold, where the complexity of minima is zero
        assert pspin_ground_state(p) < -2 * math.sqrt((p - 1) / p)


def test_p_spin_two_ground_state_is_the_finite_n_minimum_in_the_limit():
    land = landscapes.make("p-spin", dim=400, p=2, seed=0)
    assert land.known["global_min_value"] / 400 == pytest.approx(land.theory["ground_state_energy_per_spin"], rel=0.03)


@pytest.mark.parametrize("atoms", [*range(5, 21), 38])
def test_lennard_jones_global_minima_are_stored_to_full_precision(atoms):
    # before: the database's six decimals, above the true minimum by up to 5e-7 for 10 of 16 sizes
    from saddlescape.landscapes._physical import LJ_DATABASE_MINIMA

    f = landscapes.make("lennard-jones", dim=3 * atoms)
    x = np.asarray(f.known["global_min_x"])
    value, g = f.value_and_grad(x)
    assert value == pytest.approx(f.known["global_min_value"], rel=1e-14)
    assert np.abs(g).max() < 1e-12  # a critical point to the last digits, not to six decimals
    eig = np.linalg.eigvalsh(f.hessian(x))
    assert np.abs(eig[:6]).max() < 1e-8 and eig[6] > 1.0  # six zero modes (translation, rotation), then a minimum
    assert abs(value - LJ_DATABASE_MINIMA[atoms]) <= 5e-7 + 1e-12  # the database's value is its rounding


def test_lennard_jones_38s_second_funnel_bottom_is_declared():
    from saddlescape.landscapes._physical import LJ38_ICOSAHEDRAL_DATABASE

    f = landscapes.make("lennard-jones", dim=114)
    (m,) = f.known["local_minima"]
    x = np.asarray(m["x"])
    value, g = f.value_and_grad(x)
    assert value == pytest.approx(m["value"], rel=1e-14) and np.abs(g).max() < 1e-12
    eig = np.linalg.eigvalsh(f.hessian(x))
    assert np.abs(eig[:6]).max() < 1e-8 and eig[6] > 1.0
    assert abs(value - LJ38_ICOSAHEDRAL_DATABASE) <= 5e-7 + 1e-12
    assert value - f.known["global_min_value"] == pytest.approx(0.676048, abs=1e-6)  # the funnels' gap
    assert "local_minima" not in landscapes.make("lennard-jones", dim=39).known


@pytest.mark.parametrize("dim", [4, 5, 7, 30, 1000])
def test_rosenbrocks_second_minimum_is_declared_from_dim_4(dim):
    # before: a user counting minima at dim >= 4 met a minimum the landscape did not declare
    f = landscapes.make("rosenbrock", dim=dim)
    (m,) = f.known["local_minima"]
    x = np.asarray(m["x"])
    value, g = f.value_and_grad(x)
    assert value == pytest.approx(m["value"], rel=1e-12) and np.abs(g).max() < 1e-10
    assert x[0] < -0.7 and value > f.known["global_min_value"]
    if dim <= 50:
        assert np.linalg.eigvalsh(f.hessian(x)).min() > 0.3  # a minimum (0.38 at dim 4, 0.50 above)
    if dim == 4:  # as published (Shang & Qiu 2006; Kok & Sandrock 2009): near (-0.776, 0.613, 0.382), f = 3.70
        np.testing.assert_allclose(x[:3], [-0.776, 0.613, 0.382], atol=1e-3)
        assert value == pytest.approx(3.70, abs=0.01)
    assert f.known.get("n_local_minima") == (2 if dim <= 30 else None)
    # and descent from next to it stays there
    r = saddlescape.run(f, "gd", x0=x[None, :] + 1e-3, steps=3000, detect=False)
    assert np.linalg.norm(r.final_x[0] - x) < 1e-3
    assert "local_minima" not in landscapes.make("rosenbrock", dim=3).known


def _griewank_hessian_long(x):
    """Griewank's Hessian in extended precision, straight from its definition."""
    x = np.asarray(x, np.longdouble)
    D = len(x)
    r = np.sqrt(np.arange(1, D + 1, dtype=np.longdouble))
    c, u = np.cos(x / r), np.sin(x / r) / r
    H = np.empty((D, D), np.longdouble)
    for i in range(D):
        for j in range(D):
            rest = np.prod([c[k] for k in range(D) if k not in (i, j)], dtype=np.longdouble)
            H[i, j] = (np.longdouble(1) / 2000 + c[i] / (i + 1) * rest) if i == j else -u[i] * u[j] * rest
    return H


def test_griewank_hvp_is_accurate_where_a_cosine_nearly_vanishes():
    # before: relative error up to 1e-8 just above the 1e-8 switch-over to a dense product
    f = landscapes.make("griewank", dim=6)
    rng = np.random.default_rng(3)
    worst = 0.0
    for k in range(60):
        x = rng.uniform(-600, 600, 6)
        i = k % 6  # a cosine between 1e-9 and 1e-6 (the old switch-over was at 1e-8)
        x[i] = np.sqrt(i + 1.0) * (np.pi / 2 - 10.0 ** rng.uniform(-9, -6))
        v = rng.standard_normal(6)
        ref = _griewank_hessian_long(x) @ v.astype(np.longdouble)
        worst = max(worst, float(np.abs(f.hvp(x, v) - ref).max() / np.abs(ref).max()))
    assert worst < 1e-11, worst  # (x_i / r_i rounds in float64 first: c_i near 1e-9 carries ~1e-7 relative)


def test_random_quadratic_goe_and_wishart_are_the_plain_laws_by_default():
    # before: silently shifted so 10% of eigenvalues were negative: a "GOE" Hessian whose
    # semicircle sat away from 0, a Wishart one moved off its Marchenko-Pastur support
    goe = landscapes.make("random-quadratic", dim=400, seed=0)
    ev = np.array(goe.known["eigenvalues"])
    assert goe.known["shift"] == 0.0 and abs(ev.mean()) < 0.05 and 0.45 < (ev < 0).mean() < 0.55
    assert -2.1 < ev.min() < -1.9 and 1.9 < ev.max() < 2.1  # the semicircle on [-2, 2]
    assert goe.known["infimum"] == -math.inf and "unshifted" in goe.summary
    w = np.array(landscapes.make("random-quadratic", dim=400, seed=0, spectrum="wishart").known["eigenvalues"])
    lo, hi = (1 - 0.5**0.5) ** 2, (1 + 0.5**0.5) ** 2
    assert lo - 0.05 < w.min() < lo + 0.05 and hi - 0.15 < w.max() < hi + 0.15
    # the old behaviour, asked for; and an explicit shift
    assert (np.array(landscapes.make("random-quadratic", dim=400, seed=0, negative_fraction=0.1)
                     .known["eigenvalues"]) < 0).mean() == pytest.approx(0.1)
    shifted = np.array(landscapes.make("random-quadratic", dim=400, seed=0, shift=1.5).known["eigenvalues"])
    np.testing.assert_allclose(shifted, ev - 1.5, atol=1e-12)
    bulk = landscapes.make("random-quadratic", dim=100, seed=0, spectrum="bulk-outliers")
    assert (np.array(bulk.known["eigenvalues"]) < 0).mean() == pytest.approx(0.1)  # its stated default
    with pytest.raises(landscapes.ParamError, match=r"shift=1\.0 or negative_fraction=0\.2, not both"):
        landscapes.make("random-quadratic", shift=1.0, negative_fraction=0.2)


def test_wishart_above_ratio_one_has_a_null_space_and_marchenko_pastur_beyond():
    f = landscapes.make("random-quadratic", dim=400, seed=0, spectrum="wishart", ratio=4.0)
    ev = np.array(f.known["eigenvalues"])
    assert f.known["null_space_dim"] == 300 and (ev == 0).sum() == 300  # dim (1 - 1 / ratio)
    nonzero = ev[300:]
    # Marchenko-Pastur beyond ratio 1: the nonzero eigenvalues on [(sqrt(ratio) - 1)^2, (sqrt(ratio) + 1)^2] = [1, 9]
    assert abs(nonzero.min() - 1.0) < 0.3 and abs(nonzero.max() - 9.0) < 0.6
    exact = np.linalg.eigvalsh(f.hessian(np.zeros(400)))
    assert np.abs(exact[:300]).max() < 1e-12 and np.allclose(exact[300:], nonzero, atol=1e-10)
    assert f.known["global_min_value"] == 0.0 and "n_critical_points" not in f.known  # a critical subspace


def _points(tmp_path, fmt):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = np.sign(X @ np.array([1.0, -2.0, 0.5]))
    if fmt == "csv":
        path = tmp_path / "points.csv"
        np.savetxt(path, np.column_stack([X, (y + 1) / 2]), delimiter=",", header="a,b,c,label", comments="")
    elif fmt == "npy":
        path = tmp_path / "points.npy"
        np.save(path, np.column_stack([X, y]))
    else:
        path = tmp_path / "points.npz"
        np.savez(path, X=X, y=y)
    return str(path), X, y


@pytest.mark.parametrize("fmt", ["csv", "npy", "npz"])
def test_logistic_and_mlp_take_a_users_data_set(tmp_path, fmt):
    path, X, y = _points(tmp_path, fmt)
    f = landscapes.make("logistic", data=path)
    Xd, yd = landscapes.logistic_data(f)
    assert f.dim == 3 and np.array_equal(Xd, X) and np.array_equal(yd, y)  # 0/1 labels read as -1/+1
    w = np.array([0.3, -0.2, 0.1])
    assert f.value(w) == pytest.approx(np.mean(np.log1p(np.exp(-y * (X @ w)))), rel=1e-12)
    assert np.allclose(f.grad(w), fd_gradient(f, w), atol=1e-7)
    m = landscapes.make("mlp", data=path, task="spirals", width=4)
    assert m.known["n_samples"] == 40 and m.dim == 3 * 4 + 4 + 4 + 1 and "points" in m.summary
    assert np.allclose(m.grad(m.sample(1, seed=0)[0]), fd_gradient(m, m.sample(1, seed=0)[0]), atol=1e-6)


def test_logistic_sum_is_soudrys_convention():
    mean = landscapes.make("logistic", dim=3, seed=0)
    total = landscapes.make("logistic", dim=3, seed=0, reduction="sum")
    w = np.array([0.5, -1.0, 2.0])
    assert total.value(w) == pytest.approx(100 * mean.value(w), rel=1e-12)  # 100 samples
    np.testing.assert_allclose(total.hessian(w), 100 * mean.hessian(w), rtol=1e-12)
    assert "times the number of samples" in landscapes.family("logistic").conventions


@pytest.mark.parametrize("content, message", [
    (None, "data='{p}': no such file"),
    ("1,2,3\n4,x,6\n", "line 2: 'x' is not a number"),
    ("1,2,3\n4,5\n", "line 2 has 2 columns; the first row has 3"),
    ("1,2,3\n4,nan,6\n", "sample 1 has a non-finite value in column 1"),
    ("5\n6\n", "needs at least one row of two or more columns"),
    ("1,2,0.5\n", "has the label 0.5; class labels must be -1/+1 (or 0/1)"),
])
def test_a_bad_data_file_is_one_line(tmp_path, content, message):
    p = tmp_path / "d.csv"
    if content is not None:
        p.write_text(content)
    with pytest.raises(landscapes.ParamError) as err:
        landscapes.make("logistic", data=str(p))
    assert message.format(p=p) in str(err.value) and "\n" not in str(err.value)
    (tmp_path / "d.txt").write_text("1,2\n")
    with pytest.raises(landscapes.ParamError, match=r"use a \.csv, \.npy, \.npz file"):
        landscapes.make("logistic", data=str(tmp_path / "d.txt"))


def test_saddle_chain_hands_over_smoothly_and_gd_slows_exponentially():
    import saddlescape
    from saddlescape import optimizers

    from .helpers import fd_gradient, fd_hessian

    f = landscapes.make("saddle-chain", dim=4)
    tau = f.params["tau"]
    # inside the hand-over from stage 1 to 2 (x_1 between tau and 2 tau) and across its ends
    for x1 in (1.2 * tau, 1.5 * tau, 1.9 * tau):
        x = np.array([4.1 * tau, x1, 0.3, 0.2])
        assert np.allclose(f.grad(x), fd_gradient(f, x), rtol=1e-6, atol=1e-6)
        assert np.allclose(f.hessian(x), fd_hessian(f, x), rtol=1e-5, atol=1e-5)
        assert f.grad(x)[1] < 0  # the hand-over only descends: no critical point in it
    for edge in (tau, 2 * tau):  # C2 across both ends of the hand-over
        lo, hi = np.array([4 * tau, edge - 1e-7, 0.3, 0.2]), np.array([4 * tau, edge + 1e-7, 0.3, 0.2])
        assert abs(f.value(lo) - f.value(hi)) < 1e-5
        assert np.allclose(f.grad(lo), f.grad(hi), atol=1e-4) and np.allclose(f.hessian(lo), f.hessian(hi), atol=1e-3)
    with pytest.raises(landscapes.ParamError, match="saddles=6 is out of range for dim=4"):
        landscapes.make("saddle-chain", dim=4, saddles=6)
    short = landscapes.make("saddle-chain", dim=6, saddles=2)  # two saddles, four idle coordinates
    assert short.known["n_local_minima"] == 4 and len(short.known["saddles"]) == 2
    for land in (f, short):  # the stated saddles: stationary, index 1, at their stated values
        for sp in land.known["saddles"]:
            x = np.asarray(sp["x"])
            assert np.abs(land.grad(x)).max() < 1e-12 and land.value(x) == pytest.approx(sp["value"], abs=1e-9)
            assert int((np.linalg.eigvalsh(land.hessian(x)) < 0).sum()) == 1
    # plain GD takes exponentially longer with each saddle in the chain; perturbed GD does not
    steps = {}
    for d in (2, 3, 4):
        land = landscapes.make("saddle-chain", dim=d)
        target = land.known["global_min_value"] * (1 - 1e-3)
        for name in ("gd", "perturbed-gd"):
            r = saddlescape.run(land, optimizers.make(name, lr=0.05), walkers=8, steps=20000, seed=0, detect=False,
                                record_every=25)
            hit = r.loss <= target
            assert hit.any(axis=0).all()
            steps[name, d] = float(np.median(r.record_steps[np.argmax(hit, axis=0)]))
    assert steps["gd", 3] > 2.5 * steps["gd", 2] and steps["gd", 4] > 2.5 * steps["gd", 3]
    assert steps["perturbed-gd", 4] < 0.3 * steps["gd", 4]

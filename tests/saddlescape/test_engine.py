"""The run engine: divergence, interruption, records, save/load, thread-count independence."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes, optimizers


def test_a_diverging_walker_is_marked_and_the_rest_go_on():
    f = landscapes.make("saddle", dim=2, negative=1)  # unbounded below along x_0
    x0 = np.array([[0.5, 0.5], [0.0, 0.5]])            # walker 1 sits on the stable manifold
    r = saddlescape.run(f, "gd", x0=x0, steps=5000, seed=0, bound=1e6, walkers=2)
    assert r.diverged.tolist() == [True, False]
    assert r.diverged_at_step[0] > 0 and r.diverged_at_step[1] == -1
    assert np.isnan(r.final_loss[0]) and abs(r.final_loss[1]) < 1e-12
    s = r.summary()
    assert s["final_loss"][0] is None and s["n_diverged"] == 1


def test_nan_loss_is_divergence_not_a_crash():
    f = landscapes.make("lennard-jones", dim=9)
    r = saddlescape.run(f, "gd", x0=np.zeros((1, 9)), steps=10)  # atoms on top of each other
    assert r.diverged.all() and r.diverged_at_step[0] == 0


def test_interrupt_keeps_what_was_computed(tmp_path):
    def stop(session):
        if session.t >= 100:
            raise KeyboardInterrupt

    r = saddlescape.run("rastrigin", "adam", walkers=4, steps=10_000, seed=0, chunk=25, callback=stop,
                        record_every=1)
    assert not r.complete and r.steps == 100 and r.loss.shape == (100, 4)
    back = saddlescape.RunResult.load(r.save(tmp_path / "r.json"), r.save_trajectory(tmp_path / "r.npz"))
    assert back.complete is False and back.steps == 100
    assert np.array_equal(back.loss, r.loss) and np.array_equal(back.final_x, r.final_x)


def test_records_and_positions_have_documented_shapes():
    r = saddlescape.run("himmelblau", optimizers.make("momentum", lr=0.002), walkers=3, steps=100, record_every=10,
                        record_positions=True, seed=2, chunk=7)
    assert r.record_steps.tolist() == list(range(0, 100, 10))
    assert r.loss.shape == (10, 3) and r.positions.shape == (10, 3, 2)
    f = landscapes.make("himmelblau")
    assert np.allclose(r.loss[3], f.value(r.positions[3]))


def test_chunking_does_not_change_the_numbers():
    a = saddlescape.run("p-spin", "langevin", walkers=3, steps=120, seed=4, chunk=7)
    b = saddlescape.run("p-spin", "langevin", walkers=3, steps=120, seed=4, chunk=120)
    assert np.array_equal(a.final_x, b.final_x)


def test_bad_engine_arguments_are_one_line():
    for kwargs, message in (({"walkers": 0}, "walkers=0"), ({"steps": -1}, "steps=-1"),
                            ({"seed": -3}, "seed=-3"), ({"x0": np.zeros((2, 3))}, "x0 has shape")):
        with pytest.raises(landscapes.ParamError, match=message):
            saddlescape.run("himmelblau", "gd", **kwargs)


# BLAS-backed landscapes at sizes where OpenBLAS splits a product differently for 1 and 2 threads
# (gaussian-field and logistic here differed in the last bits before BLAS was pinned to one thread)
SCRIPT = ("import saddlescape, json; from saddlescape import landscapes as L; out = []\n"
          "for land in (L.make('p-spin', seed=1), L.make('gaussian-field', dim=300, features=2048, seed=1),\n"
          "             L.make('logistic', dim=500, samples=2000, seed=1)):\n"
          "    out.append(saddlescape.run(land, 'sgd', walkers=16, steps=50, seed=3).final_x.tolist())\n"
          "print(json.dumps(out))")


def test_same_seed_same_numbers_whatever_the_thread_count():
    outs = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads,
                   OMP_NUM_THREADS=threads)
        outs.append(subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True,
                                   capture_output=True, text=True).stdout)
    assert json.loads(outs[0]) == json.loads(outs[1])


def test_the_light_path_gives_the_compiled_loops_numbers_and_events(monkeypatch):
    """While the compiled loop loads, built-ins step from Python and the detector looks at those
    steps afterwards: positions, records, events and counters as if the compiled loop had run all
    along (the playground's cold start: walkers move after ~4 s instead of ~60 s)."""
    from saddlescape import _engine

    def run(light_chunks: int) -> saddlescape.Session:
        s = saddlescape.Session("six-hump-camel", "momentum", walkers=24, seed=5, record_every=3,
                                record_positions=True)
        s.light_while_loading = True
        for k in range(6):
            monkeypatch.setitem(_engine._FORCE_LIGHT, "on", k < light_chunks)
            s.advance(400)
        return s

    light, compiled = run(4), run(0)
    assert compiled.counters()["escapes"] > 0 and compiled.counters()["minima"] > 0
    np.testing.assert_array_equal(light.X, compiled.X)
    np.testing.assert_array_equal(light.S, compiled.S)
    np.testing.assert_array_equal(np.concatenate(light._pos_chunks), np.concatenate(compiled._pos_chunks))
    np.testing.assert_array_equal(light.loss_history()[1], compiled.loss_history()[1])
    assert light.counters() == compiled.counters()
    key = ("walker", "step_in", "step_out", "index")
    assert [[e[k] for k in key] for e in light.events.escapes] == [[e[k] for k in key] for e in compiled.events.escapes]
    assert light.events.minima.discovery_curve() == compiled.events.minima.discovery_curve()


def test_the_minima_registry_loads_with_the_detector_not_at_the_first_minimum():
    """A fresh process: a detecting session's first chunk loads the registry's kernel (else the
    first minimum reached paid its load, ~0.2 s, or its compile, ~3 s on a cold cache, mid-run:
    the suite once timed a (1, 2) arrival at +74,598%); on the light path, whose events wait for
    the compiled loop, nothing is loaded; nor for a session that does not detect."""
    probe = """
import saddlescape
from saddlescape import _engine, _events
def loaded():
    return _events._register_events._dispatcher is not None
s = saddlescape.Session("six-hump-camel", "gd", walkers=4, seed=0, detect=False)
s.advance(5)
off = loaded()
s = saddlescape.Session("six-hump-camel", "gd", walkers=4, seed=0)
s.light_while_loading = True
_engine._FORCE_LIGHT["on"] = True
s.advance(5)
light = loaded()
_engine._FORCE_LIGHT["on"] = False
s.advance(1)
print(off, light, loaded(), s.counters()["minima"])
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out[:3] == ["False", "False", "True"] and int(out[3]) == 0, out


def _vm_flags(address: int) -> list[str]:
    """The VmFlags of this process's mapping holding ``address`` (/proc/self/smaps; Linux)."""
    lines = Path("/proc/self/smaps").read_text().splitlines()
    inside = False
    for line in lines:
        head = line.split()[0] if line.split() else ""
        if "-" in head and all(c in "0123456789abcdef-" for c in head):
            lo, hi = (int(v, 16) for v in head.split("-"))
            inside = lo <= address < hi
        elif inside and line.startswith("VmFlags:"):
            return line.split()[1:]
    return []


def _thp_advisable() -> bool:
    """Whether the kernel takes advice of transparent huge pages (madvise(MADV_HUGEPAGE))."""
    path = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    return path.exists() and Path("/proc/self/smaps").exists() and "[never]" not in path.read_text()


@pytest.mark.parametrize("fused", ["1", "0"])
def test_records_are_written_by_the_loops_nan_once_a_walker_stops(monkeypatch, fused):
    """Record blocks are not filled before the loop runs (a NaN fill touched each fresh byte
    twice), and a big one is allocated without NumPy's advice of huge pages (which tripled the cost
    of a first touch here; from 4 MiB NumPy gives it): its pages' VmFlags lack "hg". Every entry is
    written by the loop: a walker's loss while it runs, NaN from the step it stopped at (at the
    start, or mid-chunk past the bound), in one big block or in ten small ones, by the fused loop
    and by the general one."""
    from saddlescape import _engine
    from saddlescape._engine import record_block

    monkeypatch.setenv("SADDLESCAPE_FUSED", fused)
    small, big = record_block((10, 3)), record_block((16 << 20 >> 3 >> 6, 64))  # 80 B, 16 MiB
    for a in (small, big):
        assert a.dtype == np.float64 and a.flags.writeable and a.flags.c_contiguous
    if _thp_advisable():  # (a fresh process: in this one, heap pages NumPy advised earlier may be reused)
        probe = (f"import sys, numpy as np; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                 "from test_engine import _vm_flags; from saddlescape._engine import record_block; "
                 "ours = record_block((1 << 15, 64)); ours[:] = 1.0; numpys = np.empty((1 << 15, 64)); numpys[:] = 1.0; "
                 "print(*('hg' in _vm_flags(a.ctypes.data + a.nbytes // 2) for a in (ours, numpys)))")
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        assert out.split() == ["False", "True"], out  # 16 MiB blocks: ours not advised, NumPy's own (the check) advised
    monkeypatch.setattr(_engine, "RECORD_MIN_SPAN", 1)  # (every step recorded at 2048 walkers too)
    x0 = np.random.default_rng(0).uniform(-4.6, 4.6, (2048, 2))  # (91 start past the bound of 4.5)
    runs = []
    for chunks in ([300], [30] * 10):  # one 4.9 MB block or ten of 0.5 MB
        s = saddlescape.Session(landscapes.make("rastrigin", dim=2), optimizers.make("adam", lr=1.5), x0=x0,
                                bound=4.5, seed=0, detect=False)
        for n in chunks:
            s.advance(n)
        runs.append((*s.loss_history(), s.diverged_at.copy()))
    (steps, loss, stop), (steps_small, loss_small, stop_small) = runs
    assert loss.shape == (300, 2048) and steps[-1] == 299
    stopped = (stop >= 0)[None, :] & (steps[:, None] >= stop[None, :])
    assert (stop == 0).sum() > 50 and ((stop > 0) & (stop < 299)).sum() > 500  # at the start and mid-run
    assert np.isnan(loss[stopped]).all() and np.isfinite(loss[~stopped]).all()
    np.testing.assert_array_equal(steps, steps_small)
    np.testing.assert_array_equal(stop, stop_small)
    np.testing.assert_array_equal(loss, loss_small)


def test_default_records_stay_within_the_budget_evenly_spaced(monkeypatch):
    """With the default record_every a Session keeps its records within RECORD_BUDGET: past it,
    every other row goes and the spacing doubles. What is kept is exactly what recording at that
    spacing from the start gives, positions with the losses; a spacing given is kept as it is."""
    from saddlescape import _engine

    row = 16 * 8 * 3  # a recorded step: 16 losses and 16 positions of two coordinates
    monkeypatch.setattr(_engine, "RECORD_BUDGET", 40 * row)
    land, opt = landscapes.make("rastrigin", dim=2), optimizers.make("adam", lr=0.01)
    full = saddlescape.Session(land, opt, walkers=16, seed=0, record_every=1, record_positions=True)
    thin = saddlescape.Session(land, opt, walkers=16, seed=0, record_positions=True)
    for n in (7, 30, 1, 250, 13, 999, 3):
        full.advance(n)
        thin.advance(n)
        steps, loss = thin.loss_history()
        assert len(steps) * row <= 40 * row and len(steps) == -(-thin.t // thin.record_every)
    every = thin.record_every
    assert every == 64 and full.record_every == 1 and len(full.loss_history()[0]) == full.t == 1303
    np.testing.assert_array_equal(steps, np.arange(len(steps)) * every)
    np.testing.assert_array_equal(loss, full.loss_history()[1][::every])
    np.testing.assert_array_equal(np.concatenate(thin._pos_chunks), np.concatenate(full._pos_chunks)[::every])
    assert thin.result(steps_requested=1303, elapsed_s=0.0, complete=True).record_every == every


def test_many_walkers_start_at_the_spacing_every_step_would_thin_to(monkeypatch):
    """Past RECORD_MIN_SPAN rows in the block, the default's first spacing is the power of two
    that fills it over that many steps; its rows are exactly those every step from the start keeps
    once thinned to that spacing, and the same as before from there on."""
    from saddlescape import _engine

    row = 16 * 8  # a recorded step: 16 losses
    monkeypatch.setattr(_engine, "RECORD_BUDGET", 40 * row)  # 40 rows: the first spacing 32 (40 * 16 < 1024)
    land, opt = landscapes.make("rastrigin", dim=2), optimizers.make("adam", lr=0.01)
    spaced = saddlescape.Session(land, opt, walkers=16, seed=0)
    assert spaced.record_every == 32
    monkeypatch.setattr(_engine, "RECORD_MIN_SPAN", 1)
    every_step = saddlescape.Session(land, opt, walkers=16, seed=0)
    assert every_step.record_every == 1
    few = saddlescape.Session(land, opt, walkers=1, seed=0)  # (a block of 640 rows: still every step)
    assert few.record_every == 1
    monkeypatch.setattr(_engine, "RECORD_MIN_SPAN", 1024)
    assert saddlescape.Session(land, opt, walkers=1, seed=0).record_every == 2  # 640 rows, 1,280 steps
    compared = 0
    for n in (7, 300, 333, 1, 999, 2000):
        spaced.advance(n)
        every_step.advance(n)
        steps, loss = spaced.loss_history()
        np.testing.assert_array_equal(steps, np.arange(len(steps)) * spaced.record_every)
        assert len(steps) == -(-spaced.t // spaced.record_every) <= 40
        if every_step.record_every >= 32:  # (from step 640 on)
            assert every_step.record_every == spaced.record_every
            np.testing.assert_array_equal(loss, every_step.loss_history()[1])
            compared += 1
    assert spaced.t == 3640 and spaced.record_every == 128 and compared == 3

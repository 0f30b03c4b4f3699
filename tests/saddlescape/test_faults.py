"""Fault injection: real processes and signals, devices that refuse writes, concurrent writers,
compiled code that raises. Each case failed before the fix it names."""
from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import saddlescape
from saddlescape import landscapes
from saddlescape.cli import main

RUN = [sys.executable, "-m", "saddlescape", "run", "--landscape", "rastrigin", "--dim", "100",
       "--optimizer", "adam", "--walkers", "16", "--steps", "100000000", "--seed", "3"]


def _run_until_stepping(argv: list[str]) -> tuple[subprocess.Popen, int]:
    """Start a CLI run with stderr on a pty (so it draws its progress bar) and return once the
    bar counts steps: compiling is over and chunks are going."""
    return _run_until(argv, r"\b[1-9][0-9]*/100000000 steps")


def _run_until(argv: list[str], progress: str) -> tuple[subprocess.Popen, int]:
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stderr=slave, stdout=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "100"})
    os.close(slave)
    seen = ""
    while not re.search(progress, seen):
        ready, _, _ = select.select([master], [], [], 600)
        assert ready and proc.poll() is None, f"the run never showed progress: {seen[-300:]!r}"
        seen += os.read(master, 4096).decode(errors="replace")
    return proc, master


@pytest.mark.parametrize("sig, status, name", [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_mid_run_saves_positions_of_the_step_it_names(tmp_path, sig, status, name):
    # before: Ctrl-C could land between a chunk moving the walkers and the count of steps (the
    # file said 65,165 steps and held step 67,139); SIGTERM killed the run and saved nothing
    out = tmp_path / "o.json"
    proc, master = _run_until_stepping([*RUN, "--out", str(out)])
    try:
        proc.send_signal(sig)
        assert proc.wait(timeout=600) == status
    finally:
        proc.kill()
        os.close(master)
    s = json.loads(out.read_text())
    assert s["complete"] is False and s["stopped_by"] == name and 0 < s["steps"] < 100000000
    again = saddlescape.run(landscapes.make("rastrigin", dim=100), "adam", walkers=16, steps=s["steps"], seed=3)
    np.testing.assert_allclose(s["final_loss"], again.final_loss, rtol=1e-12)  # the very step it says


BAD = textwrap.dedent("""
    from numba import njit
    from saddlescape import landscapes

    @njit
    def vg(x, g):
        f = 0.0
        for i in range(x.shape[0]):
            g[i] = 2 * x[i]
            f += x[i] * x[i]
        if f < 0.5:
            raise ValueError("too close to the origin")
        return f

    bad = landscapes.custom("bad", vg, dim=2)
""")


def test_compiled_code_that_raises_stops_the_run_and_says_so_once(tmp_path):
    # before: Numba printed "Exception ignored" and a traceback a step, and the run exited 0
    # with complete: true
    (tmp_path / "bad.py").write_text(BAD)
    r = subprocess.run([sys.executable, "-m", "saddlescape", "run", "--landscape", f"{tmp_path / 'bad.py'}:bad",
                        "--optimizer", "gd", "--walkers", "4", "--steps", "200"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=600)
    assert r.returncode == 1
    (line,) = r.stderr.splitlines()
    assert line.startswith("saddlescape: compiled code raised ValueError: too close to the origin (bad.py:")
    assert "the run stopped there" in line
    s = json.loads(r.stdout)
    assert s["complete"] is False and s["stopped_by"] == "error" and s["warnings"][0] in line
    assert s["steps"] < 200


def test_a_session_whose_kernel_raised_refuses_to_go_on(tmp_path):
    sys.path.insert(0, str(tmp_path))
    try:
        (tmp_path / "bad_kernel.py").write_text(BAD)
        land = landscapes.make(f"{tmp_path / 'bad_kernel.py'}:bad")
    finally:
        sys.path.remove(str(tmp_path))
    s = saddlescape.Session(land, "gd", walkers=4, seed=0, detect=False)
    with pytest.raises(saddlescape.KernelError, match="too close to the origin") as first:
        for _ in range(100):
            s.advance(16)
    with pytest.raises(saddlescape.KernelError) as second:  # the same line again, not garbage steps
        s.advance(16)
    assert str(first.value) == str(second.value)


def test_an_unwritable_output_keeps_the_result_and_says_where(tmp_path, capsys):
    # before: a traceback, and the run lost
    args = ["run", "--landscape", "himmelblau", "--optimizer", "adam", "--steps", "50", "--walkers", "4"]
    assert main([*args, "--out", "/dev/full", "--trajectory", "/dev/full"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["steps"] == 50  # the JSON on stdout instead
    lines = err.splitlines()
    assert lines[0] == "saddlescape: cannot write '/dev/full': No space left on device; the result is on stdout instead"
    spare = lines[1].rsplit(" was written to ", 1)[1].removesuffix(" instead")
    with np.load(spare) as z:
        assert z["final_x"].shape == (4, 2)
    os.unlink(spare)


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    from saddlescape._files import OutputError, write_text_atomic

    target = tmp_path / "r.json"
    target.write_text("old")

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_text_atomic(target, "new" * 1000)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["r.json"]  # no temporary left behind


def test_result_files_get_the_usual_mode_not_a_private_one(tmp_path):
    # before: every result file kept mkstemp's 0600, so nobody else could read a shared run's output
    from saddlescape._files import write_text_atomic

    mask = os.umask(0o022)
    os.umask(mask)
    fresh = write_text_atomic(tmp_path / "new.json", "{}")
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    kept.chmod(0o640)
    write_text_atomic(kept, "new")
    assert kept.stat().st_mode & 0o777 == 0o640 and kept.read_text() == "new"


def test_two_runs_writing_one_trajectory_leave_a_whole_file(tmp_path):
    # before: both exited 0 and the npz could not be read
    traj = tmp_path / "t.npz"
    argv = [sys.executable, "-m", "saddlescape", "run", "--landscape", "rastrigin", "--dim", "50",
            "--optimizer", "adam", "--walkers", "64", "--steps", "3000", "--out", os.devnull,
            "--trajectory", str(traj)]
    procs = [subprocess.Popen([*argv, "--seed", str(k)]) for k in range(2)]
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    with np.load(traj) as z:
        assert z["positions"].shape[1:] == (64, 50)
        seed = json.loads(str(z["summary"]))["seed"]
    assert seed in (0, 1) and sorted(os.listdir(tmp_path)) == ["t.npz"]


def test_ctrl_c_stops_a_long_census_within_a_chunk_and_keeps_what_it_found(tmp_path):
    # before: one compiled call searched every start, and Ctrl-C waited minutes for it
    out = tmp_path / "c.json"
    argv = [sys.executable, "-m", "saddlescape", "census", "--landscape", "styblinski-tang", "--dim", "300",
            "--starts", "20000", "--out", str(out)]  # (hours of searching)
    proc, master = _run_until(argv, r"\b[1-9][0-9]*/60000 searches")
    try:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=600) == 130
    finally:
        proc.kill()
        os.close(master)
    c = json.loads(out.read_text())
    assert c["stopped_by"] == "SIGINT" and c["warnings"][0].startswith("stopped by SIGINT in the newton search after")
    assert c["n_critical_points"] >= 1 and sum(c["outcomes"].values()) < 20000


def test_ctrl_c_that_lands_in_a_compiler_callback_still_stops_the_run(monkeypatch, capsys):
    # Ctrl-C during a cold compile can land in an LLVM ctypes callback, which cannot raise: it
    # was printed as "Exception ignored" (with a traceback) and the run went on to finish
    import ctypes

    def interrupted() -> None:
        raise KeyboardInterrupt

    callback = ctypes.CFUNCTYPE(None)(interrupted)
    make = landscapes.make

    def make_during_ctrl_c(*args, **kwargs):
        callback()  # as llvmlite's object-cache callback does mid-compile
        return make(*args, **kwargs)

    monkeypatch.setattr(landscapes, "make", make_during_ctrl_c)
    assert main(["run", "--landscape", "himmelblau", "--optimizer", "adam", "--steps", "10"]) == 130
    out, err = capsys.readouterr()
    assert err == "saddlescape: interrupted at step 0 of 10; wrote what was computed (complete: false)\n"
    assert json.loads(out)["stopped_by"] == "SIGINT"


def test_a_large_logistic_margin_builds_at_once():
    # before: rejection sampling looped for ever above margin 6
    f = landscapes.make("logistic", dim=5, margin=10.0, samples=500)
    X, _ = landscapes.logistic_data(f)
    assert X.shape == (500, 5) and np.abs(X @ np.array(f.known["separator"])).min() >= 10.0
    with pytest.raises(landscapes.ParamError, match="margin=30"):
        landscapes.make("logistic", margin=30)


def test_coinciding_atoms_cost_infinite_energy_and_the_walker_is_marked_diverged():
    # before: NaN (4 (inf - inf))
    land = landscapes.make("lennard-jones", dim=9)
    x = np.zeros(9)
    x[3] = 1.2
    f, g = land.value_and_grad(x)
    assert f == np.inf and not np.isnan(g).any()
    x[6:9] = 1e-30  # (r^-12 overflows before the distance is 0)
    assert land.value(x) == np.inf
    r = saddlescape.run(land, "gd", x0=np.stack([x, land.sample(1, seed=0)[0]]), steps=20, detect=False)
    assert r.diverged.tolist() == [True, False] and r.diverged_at_step[0] == 0


@pytest.mark.parametrize("point", [np.array([1 + 2j, 0.0]), np.array([1.0, 0.5], dtype=complex)])
def test_complex_points_are_refused_in_one_line(point):
    # before: the real part was used, with only a NumPy warning
    land = landscapes.make("rastrigin", dim=2)
    with pytest.raises(landscapes.ParamError, match=r"^point is complex \(complex128\); landscape 'rastrigin' "
                                                    r"takes real numbers$"):
        land.value(point)
    with pytest.raises(landscapes.ParamError, match="x0 is complex"):
        saddlescape.run(land, "gd", x0=point[None, :], steps=1)


def test_no_per_dimension_event_buffer_without_detection():
    # before: a (4 walkers + 64) x dim buffer every chunk with detection off (50 GiB at D=10^8)
    s = saddlescape.Session("rastrigin", "gd", walkers=4, seed=0, detect=False)
    s.advance(3)
    assert s._ev_x.size == 0
    big = saddlescape.Session(landscapes.make("rastrigin", dim=1000), "gd", walkers=4, seed=0)  # above dim 500
    big.advance(3)
    assert not big.detecting and big._ev_x.size == 0


@pytest.mark.parametrize("make, message", [
    (lambda: saddlescape.run("rastrigin", "adam", walkers=64, steps=10**6, record_every=1, record_positions=True),
     r"^recording 1,000,001 positions of 64 walkers in dim 2 needs about 1.0 GiB; this machine allows 0.1 GiB "
     r"\(half its memory\): record fewer \(record_every=\d+ fits\)$"),
    (lambda: saddlescape.census("rastrigin", starts=10**7), r"^a census from 10,000,000 starts in dim 2 needs about"),
    (lambda: landscapes.make("random-quadratic", dim=100, spectrum="wishart", ratio=1e-9),
     r"^a Wishart matrix from 100,000,000,000 samples .* use ratio >= "),
    (lambda: landscapes.make("logistic", dim=10**6, samples=10**6), r"^logistic data of 1,000,000 samples"),
])
def test_big_allocations_are_estimated_and_refused_first(monkeypatch, make, message):
    # before: minutes of work, then a MemoryError traceback (or a machine brought to a halt)
    from saddlescape.landscapes import _base

    monkeypatch.setattr(_base, "memory_limit", lambda: 2**30 // 10)
    with pytest.raises(landscapes.ParamError, match=message):
        make()


@pytest.mark.parametrize("argv, message", [
    (["--seed", str(2**63)], "seed=9223372036854775808 is not allowed; use an integer <= 9,223,372,036,854,775,807"),
    (["--steps", str(10**25)], "use an integer <= 4,611,686,018,427,387,904 (2**62)"),
    (["--record-every", str(10**20)], "record_every=100000000000000000000 is not allowed"),
    (["--dim", str(10**12)], "cannot take dim=1,000,000,000,000; at most 1,000,000,000"),
])
def test_numbers_too_big_for_the_kernels_are_one_line(argv, message, capsys):
    # before: OverflowError or MemoryError tracebacks at the kernel call
    args = ["run", "--landscape", "rastrigin", "--optimizer", "adam", "--walkers", "2", "--steps", "10"]
    assert main([*args, *argv]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert message in line


def _descendants(pid: int) -> set[int]:
    """Live processes below ``pid`` (from /proc; zombies left out)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _poll(condition, what: str, limit: float = 300.0) -> None:
    """Wait for ``condition()`` (checked every 0.1 s; ``limit`` only guards against a hang)."""
    import time

    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_experiment_leaves_no_workers_behind(tmp_path, sig):
    # before: both pool workers ran on, orphaned, for minutes after the parent was killed
    proc = subprocess.Popen([sys.executable, "-m", "saddlescape", "experiment", "lennard-jones", "--workers", "2",
                             "--out", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _poll(lambda: len(_descendants(proc.pid)) >= 2 or proc.poll() is not None, "no workers started")
        workers = _descendants(proc.pid)
        assert proc.poll() is None and workers
        proc.send_signal(sig)
        proc.wait(timeout=300)
        _poll(lambda: not any(_alive(w) for w in workers), "workers outlived their parent")
    finally:
        proc.kill()
        proc.wait()
    if sig == signal.SIGTERM:
        assert proc.returncode == 130 and "run the same command again to resume" in proc.stderr.read().decode()


def _timeless(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "elapsed_s"}


@pytest.mark.parametrize("content", ["null", "[]", "{}", '{"item": null}', "{half"])
def test_a_malformed_item_file_is_computed_again(tmp_path, content):
    # before: null, [] or a missing result were tracebacks on resume
    from saddlescape import experiments
    from saddlescape.experiments._framework import item_key

    first = experiments.run_study("no-minimum", quick=True, out=tmp_path, workers=1)
    (tmp_path / "no-minimum" / "items" / f"{item_key('no-minimum', first.items[0])}.json").write_text(content)
    again = experiments.run_study("no-minimum", quick=True, out=tmp_path, workers=1)
    assert again.reused == len(first.items) - 1
    assert [_timeless(r) for r in again.results] == [_timeless(r) for r in first.results]


def test_an_item_computed_by_other_code_is_computed_again(tmp_path):
    # before: the item's key ignored the code, so results of an older version were reused
    from saddlescape import experiments
    from saddlescape.experiments._framework import item_key

    first = experiments.run_study("no-minimum", quick=True, out=tmp_path, workers=1)
    f = tmp_path / "no-minimum" / "items" / f"{item_key('no-minimum', first.items[0])}.json"
    saved = json.loads(f.read_text())
    f.write_text(json.dumps({**saved, "code": "0000000000000000", "result": {**saved["result"], "stale": True}}))
    again = experiments.run_study("no-minimum", quick=True, out=tmp_path, workers=1)
    assert again.reused == len(first.items) - 1 and "stale" not in again.results[0]


PLUGINS = {
    "tuple_params.py": "class Opt:\n    params = (1, 2)\n    def init(self, x): return None\n"
                       "    def step(self, x, g, f, s, *, t, hyper, rng): return x, s\n",
    "bad_default.py": "from saddlescape.landscapes import Param\nclass Opt:\n"
                      "    params = (Param('lr', -1.0, low=0.0, open_low=True),)\n"
                      "    def init(self, x): return None\n    def step(self, x, g, f, s, *, t, hyper, rng): return x, s\n",
    "exits.py": "import sys\nclass Opt:\n    def init(self, x): return None\n"
                "    def step(self, x, g, f, s, *, t, hyper, rng): sys.exit(3)\n",
    "exits_on_import.py": "raise SystemExit('bye')\n",
}


@pytest.mark.parametrize("spec, message", [
    ("tuple_params.py:Opt", "optimizer plug-in '{d}/tuple_params.py:Opt': params holds 1; each entry must be a Param"),
    ("bad_default.py:Opt", "has a default its own range refuses: optimizer '{d}/bad_default.py:Opt' parameter "
                           "lr=-1.0 is out of range"),
    ("exits.py:Opt", "optimizer plug-in '{d}/exits.py:Opt' failed in step(): SystemExit: 3"),
    ("exits_on_import.py:Opt", "failed to import: SystemExit: bye"),
    (":Opt", "is a folder; give a Python file"),
])
def test_broken_plugins_are_one_line(tmp_path, spec, message, capsys):
    # before: tracebacks (params = (1, 2)), defaults never checked, a silent exit (SystemExit in
    # the plug-in), and a folder reported as a missing file
    for name, text in PLUGINS.items():
        (tmp_path / name).write_text(text)
    status = main(["run", "--landscape", "himmelblau", "--optimizer", f"{tmp_path}/{spec}", "--steps", "5", "--walkers", "2"])
    assert status == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert message.format(d=tmp_path) in line


@pytest.mark.parametrize("argv, message", [
    (["run", "--landscape"], "saddlescape run: argument --landscape: expected one argument (see saddlescape run --help)"),
    (["frob"], "saddlescape: argument command: invalid choice: 'frob'"),
    (["run", "--landscape", "rastrigin", "--optimizer", "gd", "--steps", "ten"], "invalid int value: 'ten'"),
])
def test_usage_errors_are_one_line(argv, message, capsys):
    # before: several lines of usage, then the error
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert message in line and line.endswith("--help)")


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback():
    # `saddlescape run ... | head -c 10`
    proc = subprocess.Popen([sys.executable, "-m", "saddlescape", "run", "--landscape", "rastrigin", "--optimizer",
                             "adam", "--walkers", "256", "--steps", "200"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(10) == b'{\n "landsc'
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=600) == 0 and err == ""


@pytest.mark.slow  # (compiles everything afresh: a minute)
def test_a_read_only_install_with_no_writable_cache_still_runs(tmp_path):
    # before: RuntimeError "cannot cache function ...: no locator available" at import
    import shutil

    root = Path(__file__).resolve().parents[2]
    tree, mounted = tmp_path / "tree", tmp_path / "ro"
    shutil.copytree(root / "saddlescape", tree / "saddlescape", ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("landscapes", "optimizers", "tui"):
        shutil.copytree(root / part, tree / "saddlescape" / part, ignore=shutil.ignore_patterns("__pycache__"))
    mounted.mkdir()
    bind = subprocess.run(["mount", "--bind", str(tree), str(mounted)], capture_output=True)
    if bind.returncode != 0:
        pytest.skip("a read-only bind mount needs mount privileges here")
    try:
        assert subprocess.run(["mount", "-o", "remount,ro,bind", str(mounted)]).returncode == 0
        with pytest.raises(OSError):  # read-only even for root
            (mounted / "saddlescape" / "probe").write_text("")
        env = {**os.environ, "HOME": "/proc/nohome", "XDG_CACHE_HOME": "/proc/nocache", "PYTHONPATH": str(mounted)}
        env.pop("NUMBA_CACHE_DIR", None)
        r = subprocess.run([sys.executable, "-c", "import sys, saddlescape; from saddlescape.cli import main; "
                            "assert saddlescape.__file__.startswith(sys.argv[1]), saddlescape.__file__; "
                            "sys.exit(main(['run', '--landscape', 'himmelblau', '--optimizer', 'adam', "
                            "'--steps', '5']))", str(mounted)],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    finally:
        subprocess.run(["umount", str(mounted)])
    assert r.returncode == 0, r.stderr[-500:]
    (line,) = r.stderr.splitlines()
    assert line.startswith("saddlescape: no writable cache folder (/proc/nocache/saddlescape/numba)")
    assert json.loads(r.stdout)["steps"] == 5


def test_an_experiment_folder_that_cannot_be_made_is_one_line_before_any_work(capsys):
    # before: a FileNotFoundError traceback
    assert main(["experiment", "no-minimum", "--quick", "--out", "/proc/nope"]) == 2
    assert capsys.readouterr().err == "saddlescape: cannot write under '/proc/nope': No such file or directory\n"


def test_a_run_whose_walkers_all_diverge_reports_the_steps_taken():
    # before: the end of the first chunk (16 and more), not when the last walker stopped
    r = saddlescape.run("rosenbrock", saddlescape.optimizers.make("gd", lr=1.0), walkers=4, steps=400, chunk=64)
    assert r.diverged.all() and r.steps == r.diverged_at_step.max() < 64


def test_a_plugin_that_overflows_marks_its_walkers_without_numpy_warnings(tmp_path):
    # before: NumPy's overflow and invalid-value warnings on stderr, on top of the result
    (tmp_path / "blowup.py").write_text("class Opt:\n    def init(self, x): return None\n"
                                        "    def step(self, x, g, f, s, *, t, hyper, rng): return x * 1e200, s\n")
    r = subprocess.run([sys.executable, "-m", "saddlescape", "run", "--landscape", "rastrigin", "--optimizer",
                        f"{tmp_path / 'blowup.py'}:Opt", "--walkers", "4", "--steps", "20"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and json.loads(r.stdout)["n_diverged"] == 4
    assert "Warning" not in r.stderr and r.stderr.startswith("saddlescape: 4 of 4 walkers diverged by step")


def test_a_second_order_step_too_big_for_memory_is_refused_before_the_run(monkeypatch):
    # before: newton -o krylov=2000 at D=10^6 failed to allocate inside the kernel every step and
    # reported success with walkers that never moved
    from saddlescape.landscapes import _base

    monkeypatch.setattr(_base, "memory_limit", lambda: 2**30)
    land = landscapes.make("rastrigin", dim=100_000)
    big = saddlescape.optimizers.make("newton", krylov=2000)
    with pytest.raises(landscapes.ParamError, match=r"^a newton step at dim 100,000 \(krylov=2000\) needs about 1.5 GiB; "
                                                    r"this machine allows 1.0 GiB .*: use a smaller krylov$"):
        saddlescape.Session(land, big, walkers=2)
    s = saddlescape.Session(land, "newton", walkers=2)
    with pytest.raises(landscapes.ParamError, match="use a smaller krylov"):
        s.set_hyper(krylov=2000)
    assert s.optimizer.hyper["krylov"] == 30

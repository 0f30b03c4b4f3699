"""The studies: every quick mode runs and gives its verdict; sweeps resume; Dask gives the same numbers."""
from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from saddlescape import experiments
from saddlescape.cli import main
from saddlescape.experiments import Plot, render_plot
from saddlescape.experiments._framework import item_key

NAMES = ["minima-vs-dimension", "index-vs-loss", "saddle-attraction", "escape-time-vs-dimension",
         "hessian-spectrum", "no-minimum", "p-spin-energies", "lennard-jones", "interpolation", "connectivity",
         "edge-of-stability", "benign-landscapes"]


def _numbers(results):
    """Results without their timings, which differ from run to run."""
    return [{k: v for k, v in r.items() if k != "elapsed_s"} for r in results]


def test_the_twelve_studies_are_listed_with_claim_and_source(capsys):
    assert experiments.names() == NAMES
    for d in experiments.describe():
        assert d["claim"] and d["source"] and d["title"]
    assert main(["experiment", "list", "--json"]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)] == NAMES


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_quick_mode_runs_and_supports_its_claim(name, tmp_path):
    run = experiments.run_study(name, quick=True, out=tmp_path, workers=2)
    assert run.complete and all(r is not None for r in run.results)
    r = run.report
    assert r.supported is True, r.verdict
    assert r.verdict and r.reference and r.rows and r.plot.series
    saved = json.loads((tmp_path / name / f"{name}.json").read_text())
    assert saved["mode"] == "quick" and saved["verdict"] == r.verdict and saved["n_done"] == len(run.items)
    with open(tmp_path / name / f"{name}.csv") as fh:
        table = list(csv.reader(fh))
    assert table[0] == r.columns and len(table) == len(r.rows) + 1
    assert len(list((tmp_path / name / "items").glob("*.json"))) == len(run.items)


def test_minima_vs_dimension_reproduces_the_exact_separable_counts(tmp_path):
    run = experiments.run_study("minima-vs-dimension", quick=True, workers=1)
    for item, res in zip(run.items, run.results):
        if item["landscape"] == "styblinski-tang":
            D = item["dim"]
            assert res["counts_by_index"] == {str(k): math.comb(D, k) * 2 ** (D - k) for k in range(D + 1)}
            assert res["fraction_minima"] == pytest.approx((2 / 3) ** D, rel=1e-12)
            assert res["coverage"] == 1.0  # every point found many times over
        else:  # a random landscape always has its ground state; a quick run once found no minimum at D=10
            assert res["n_minima"] >= 1
            if item["landscape"] == "p-spin":  # odd p: x -> -x maps minima onto maxima
                assert res["counts_by_index"]["0"] == res["counts_by_index"][str(item["dim"] - 1)]
    m = run.report.measured["factor_per_dimension"]
    assert all(0 < v < 1 for v in m.values())  # the fraction falls with D on every landscape


def test_saddle_attraction_newton_converges_to_the_saddle():
    m = experiments.run_study("saddle-attraction", quick=True, workers=1).report.measured
    assert m["newton"]["converged_to_saddle"] == 1.0 and m["newton"]["escaped"] == 0.0
    assert m["saddle-free-newton"]["escaped"] == 1.0
    assert m["saddle-free-newton"]["median_escape_steps"] < m["gd"]["median_escape_steps"]


def test_an_interrupted_sweep_resumes_from_what_it_wrote(tmp_path):
    calls = []

    def stop_after_two(done, total):
        calls.append(done)
        return done >= 2

    first = experiments.run_study("lennard-jones", quick=True, out=tmp_path, workers=1, progress=stop_after_two)
    assert not first.complete and first.report is None
    assert sum(r is not None for r in first.results) == 2
    assert json.loads((tmp_path / "lennard-jones" / "lennard-jones.json").read_text())["complete"] is False
    again = experiments.run_study("lennard-jones", quick=True, out=tmp_path, workers=1)
    assert again.complete and again.reused == 2 and again.report.supported
    fresh = experiments.run_study("lennard-jones", quick=True, workers=1)
    assert _numbers(again.results) == _numbers(fresh.results)


def test_a_corrupt_item_file_is_recomputed(tmp_path):
    run = experiments.run_study("no-minimum", quick=True, out=tmp_path, workers=1)
    f = tmp_path / "no-minimum" / "items" / f"{item_key('no-minimum', run.items[0])}.json"
    f.write_text("{half")
    again = experiments.run_study("no-minimum", quick=True, out=tmp_path, workers=1)
    assert again.reused == 1 and _numbers(again.results) == _numbers(run.results)


@pytest.mark.slow
def test_processes_and_one_process_give_the_same_numbers():
    a = experiments.run_study("escape-time-vs-dimension", quick=True, workers=1)
    b = experiments.run_study("escape-time-vs-dimension", quick=True, workers=2)
    assert _numbers(a.results) == _numbers(b.results)


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_numbers_as_the_local_run(tmp_path, monkeypatch, capsys):
    distributed = pytest.importorskip("distributed")
    local = experiments.run_study("saddle-attraction", quick=True, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            by_client = experiments.run_study("saddle-attraction", quick=True, scheduler=client)
        by_address = experiments.run_study("saddle-attraction", quick=True, scheduler=cluster.scheduler_address)
        # a scheduler file as `dask scheduler --scheduler-file` writes it (Client.write_scheduler_file
        # cannot serialise a scheduler that has run tasks: tuple keys in its metrics)
        (tmp_path / "scheduler.json").write_text(json.dumps({"type": "Scheduler", "address": cluster.scheduler_address}))
        with distributed.Client(cluster) as client:  # every worker prepared: a node-local cache, the loop loaded
            caches = set(client.run(lambda: __import__("os").environ.get("NUMBA_CACHE_DIR")).values())
        by_file = experiments.run_study("saddle-attraction", quick=True, scheduler=f"file:{tmp_path / 'scheduler.json'}")
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
        assert main(["experiment", "saddle-attraction", "--quick", "--out", str(tmp_path / "env")]) == 0
    assert "items" in capsys.readouterr().err  # the progress lines of a cluster run
    by_env = json.loads((tmp_path / "env" / "saddle-attraction" / "saddle-attraction.json").read_text())
    assert _numbers(by_client.results) == _numbers(local.results) == _numbers(by_address.results)
    assert _numbers(by_file.results) == _numbers(local.results) == _numbers([i["result"] for i in by_env["items"]])
    assert by_client.report.verdict == local.report.verdict
    assert len(caches) == 1 and None not in caches


def test_a_batch_job_script_is_rendered_without_a_scheduler(capsys):
    pytest.importorskip("dask_jobqueue")
    assert main(["experiment", "no-minimum", "--cluster", "slurm", "--jobs", "3", "--cores", "8", "--memory", "16GB",
                 "--walltime", "02:00:00", "--dry-run"]) == 0
    script = capsys.readouterr().out
    for line in ("#SBATCH --cpus-per-task=8", "#SBATCH --mem=15G", "#SBATCH -t 02:00:00"):
        assert line in script, (line, script)
    assert "--nthreads 1" in script and "--nworkers 8" in script  # a worker process a core
    assert main(["experiment", "no-minimum", "--cluster", "pbs", "--cores", "2", "--dry-run"]) == 0
    assert "#PBS" in capsys.readouterr().out
    for args, said in ((["--cluster", "condor"], "--cluster 'condor' is not allowed"),
                       (["--cluster", "slurm", "--memory", "lots"], "--memory 'lots'"),
                       (["--cluster", "slurm", "--memory", "8"], "--memory '8'"),
                       (["--dry-run"], "give --cluster"), (["--cluster", "slurm", "--cores", "0"], "--cores 0")):
        assert main(["experiment", "no-minimum", *args, "--dry-run"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and said in err, (args, err)


def test_bad_input_is_one_line(capsys, tmp_path):
    assert main(["experiment", "minima-vs-dimensio"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "did you mean 'minima-vs-dimension'" in err
    assert main(["experiment", "no-minimum", "--quick", "--workers", "0"]) == 2
    assert "--workers 0" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert main(["experiment", "no-minimum", "--quick", "--out", str(tmp_path / "file")]) == 2
    assert "not a writable folder" in capsys.readouterr().err
    pytest.importorskip("distributed")
    assert main(["experiment", "no-minimum", "--quick", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "could not be reached" in err


@pytest.mark.slow
def test_cli_prints_table_plot_and_verdict_and_ctrl_c_keeps_what_was_done(tmp_path):
    env = {**os.environ, "COLUMNS": "140"}
    cmd = [sys.executable, "-m", "saddlescape", "experiment", "p-spin-energies", "--quick", "--workers", "1",
           "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    items = tmp_path / "p-spin-energies" / "items"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(items.glob("*.json"))) < 1:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    done = len(list(items.glob("*.json")))
    assert proc.returncode == 130 and "run the same command again to resume" in err
    assert 1 <= done < 6
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "verdict (supported)" in proc.stdout and "threshold" in proc.stdout
    assert f"resumed: {done} of 6 items" in proc.stderr


def test_plot_draws_series_on_log_axes_and_skips_what_it_cannot():
    lines = render_plot(Plot("t", "x", "y", [("a", [1, 10, 100], [1, 10, 100]), ("b", [1, 100], [0, 5])],
                             logx=True, logy=True), width=20, height=5)
    grid = lines[1:6]
    assert grid[0].endswith("●") and grid[-1].split("│")[1].startswith("●")  # corners of the log-log line
    assert "×" in "".join(grid)  # b's positive point is drawn, its zero on a log axis is not
    assert "(log)" in lines[-2] and "● a" in lines[-1] and "× b" in lines[-1]
    assert render_plot(Plot("empty", "x", "y", [("a", [1.0], [float("nan")])]))[-1] == "  (nothing to draw)"


def test_the_saddle_attraction_verdict_follows_from_its_table():
    """The verdict names the fastest escaper the table shows (Adam's 8 steps beat saddle-free
    Newton's 9 once, and the verdict said saddle-free Newton was fastest)."""
    from saddlescape.experiments.studies import saddle_attraction as sa

    medians = {"newton": None, "saddle-free-newton": 9, "gd": 117, "momentum": 34, "adam": 8, "perturbed-gd": 28}
    results = []
    for it in sa._sa_items(True):
        med = medians[it["optimizer"]]
        esc = [None] * it["walkers"] if med is None else [med] * it["walkers"]
        results.append({"escape_steps": esc, "at_saddle": it["walkers"] if med is None else 0,
                        "at_minimum": 0 if med is None else it["walkers"], "diverged": 0,
                        "walkers": it["walkers"], "steps": it["steps"]})
    report = sa._sa_analyse(results, True)
    table = {row[0]: row[-1] for row in report.rows}
    fastest = min((k for k, v in table.items() if v is not None), key=lambda k: table[k])
    assert fastest == "adam" and "fastest of all here: adam 8" in report.verdict
    assert "saddle-free Newton is repelled fastest" not in report.verdict and report.supported is True


def test_items_whose_workers_die_are_resubmitted_and_the_rest_is_kept(monkeypatch):
    # a stand-in client: item 1's worker dies twice, then it runs; item 2's always dies
    distributed = pytest.importorskip("distributed")
    from types import SimpleNamespace

    from saddlescape.experiments import _framework as fw

    deaths = {1: 2, 2: 99}

    class Future:
        def __init__(self, item):
            self.item = item

        def result(self):
            left = deaths.get(self.item["i"], 0)
            if left:
                deaths[self.item["i"]] = left - 1
                raise distributed.KilledWorker(f"item-{self.item['i']}", SimpleNamespace(address="tcp://w:1"), 3)
            return {"i": self.item["i"]}

    class Queue:
        def __init__(self, futures):
            self.q = list(futures)

        def __iter__(self):
            while self.q:
                yield self.q.pop(0)

        def add(self, fut):
            self.q.append(fut)

    class Client(distributed.Client):
        def __init__(self):  # no scheduler behind it
            self.prepared = 0

        def run(self, fn):
            self.prepared += 1

        def submit(self, fn, name, item, pure):
            return Future(item)

        def __del__(self):
            pass

    monkeypatch.setattr(distributed, "as_completed", Queue)
    done = {}
    client = Client()
    with pytest.raises(fw.ItemsFailed, match="1 item\\(s\\) failed on their workers 3 times"):
        fw._dask_map([(k, {"i": k}) for k in range(4)], "no-minimum", client, lambda idx, r: done.update({idx: r}))
    assert done == {0: {"i": 0}, 1: {"i": 1}, 3: {"i": 3}} and client.prepared == 1

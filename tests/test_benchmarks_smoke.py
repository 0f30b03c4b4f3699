"""The benchmark suite's smoke mode: every path once at tiny sizes (timings are not asserted)."""
from __future__ import annotations

import json

import pytest

from benchmarks.__main__ import main


@pytest.mark.slow
def test_benchmark_smoke_runs_every_path(tmp_path, capsys):
    out = tmp_path / "smoke.json"
    assert main(["--smoke", "--no-jax", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    one = report["runs"]["1"]
    assert one["triad_GBps"] > 0
    assert len(one["machine"]["cpus_allowed"]) == 1  # pinned: XLA would use every CPU it may run on
    for prefix in ("adam rastrigin", "adam ackley", "adam p-spin", "adam mlp"):
        assert any(k.startswith(prefix) for k in one["cases"]), prefix
    names = {t["target"] for t in report["targets"]}
    assert all("reached" in t for t in report["targets"])
    assert all(t["ok"] or t.get("reason") for t in report["targets"])  # a miss always says why
    assert any(n.startswith("start-up: help") for n in names) and any("walkers at D=2" in n for n in names)
    s = report["startup"]
    assert 0 < s["playground_cold_s"] <= s["playground_cold_loaded_s"] and s["playground_warm_s"] > 0
    assert any("the playground's walkers step" in n for n in names)
    assert s["readonly_cache_dir"].endswith("saddlescape/numba") and s["readonly_cache_files"] > 0
    assert report["scale"]["peak_rss_bytes"] > 0
    assert report["busy_scene"]["busy"]["steps_per_s"] > 0 and any("p-spin scene" in n for n in names)
    assert "smoke sizes" in capsys.readouterr().out


def test_connectivity_benchmark_smoke(tmp_path, capsys):
    from benchmarks.connectivity import main as connectivity

    report = connectivity(["--smoke", "--out", str(tmp_path / "c.json")])
    assert report["himmelblau_map"]["complete"] and all(report["lj13_connect"]["connected"])
    assert report["dgraph"]["drawn_lines"] > 0 and report["dgraph"]["svg_bytes"] > 0
    assert len(report["lj38_basin_hopping"]["runs"]) == 1
    assert report["lj38_double_funnel"]["runs"][0]["bands"] == 1  # the smoke run's one band (the code path)
    out = capsys.readouterr().out
    assert "LJ38 global minimum by basin-hopping" in out and "LJ38 double funnel, fcc to icosahedral" in out

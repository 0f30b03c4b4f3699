"""The benchmark suite's smoke mode: every path once at tiny sizes (timings are not asserted)."""
from __future__ import annotations

import json

from benchmarks.__main__ import main


def test_benchmark_smoke_runs_every_path(tmp_path, capsys):
    out = tmp_path / "smoke.json"
    assert main(["--smoke", "--no-jax", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["triad_GBps"] > 0
    assert any(k.startswith("adam rastrigin") for k in report["cases"])
    assert {t["target"] for t in report["targets"]} and all("reached" in t for t in report["targets"])
    assert "smoke sizes" in capsys.readouterr().out

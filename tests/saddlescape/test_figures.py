"""Figures a paper can use: every kind written as .png, .svg and .pdf, checked as files (format,
size, not blank), and bad paths refused before any work."""
from __future__ import annotations

import numpy as np
import pytest

import saddlescape
from saddlescape._figures import save_census_figure, save_run_figure, save_series_figure
from saddlescape.cli import main

pytest.importorskip("matplotlib")


def _check(path):
    data = path.read_bytes()
    assert len(data) > 5_000, (path, len(data))
    if path.suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        import matplotlib.image

        pixels = matplotlib.image.imread(path)
        # not blank: most of the page is white, but lines, bars and text cover part of it
        ink = (pixels[..., :3] < 0.9).any(axis=-1).mean()
        assert 0.01 < ink < 0.6, ink
    elif path.suffix == ".svg":
        text = data.decode()
        assert text.lstrip().startswith("<?xml") and "<svg" in text and text.count("<path") > 20
    else:
        assert data[:5] == b"%PDF-" and b"%%EOF" in data[-32:]


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_every_figure_kind_in_every_format(tmp_path, suffix):
    run = saddlescape.run("six-hump-camel", "gd", walkers=8, steps=300, seed=0)
    census = saddlescape.census("himmelblau", starts=200, seed=0)
    series = [("gd", [1, 10, 100], [3.0, 1.0, 0.2]), ("adam", [1, 10, 100], [2.0, 0.5, np.nan])]
    for name, draw in (("run", lambda p: save_run_figure(p, run)),
                       ("census", lambda p: save_census_figure(p, census)),
                       ("series", lambda p: save_series_figure(p, "t", "x", "y", series, logx=True, logy=True,
                                                               caption="a claim [a source]"))):
        path = tmp_path / f"{name}{suffix}"
        assert draw(path) == path
        _check(path)


def test_the_cli_draws_each_figure_with_one_flag(tmp_path, capsys):
    assert main(["run", "--landscape", "himmelblau", "--optimizer", "adam", "--steps", "200", "--walkers", "4",
                 "--out", str(tmp_path / "r.json"), "--figure", str(tmp_path / "run.png")]) == 0
    assert main(["census", "--landscape", "six-hump-camel", "--starts", "100", "--out", str(tmp_path / "c.json"),
                 "--figure", str(tmp_path / "census.svg")]) == 0
    assert main(["experiment", "no-minimum", "--quick", "--workers", "1", "--out", str(tmp_path / "exp"),
                 "--figure", str(tmp_path / "study.pdf")]) == 0
    for name in ("run.png", "census.svg", "study.pdf"):
        _check(tmp_path / name)


def test_a_bad_figure_path_is_one_line_before_any_work(tmp_path, capsys):
    for bad, said in ((tmp_path / "fig.jpg", ".png, .svg, .pdf"), (tmp_path / "nowhere" / "fig.png", "writable")):
        assert main(["run", "--landscape", "himmelblau", "--optimizer", "gd", "--steps", "10",
                     "--figure", str(bad)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and said in err and "Traceback" not in err

"""The command line as a user types it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from saddlescape.cli import main

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "sign_gd.py")


def test_list_landscapes_json_has_all_twenty_two(capsys):
    assert main(["list", "landscapes", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 22 and {r["name"] for r in rows} >= {"p-spin", "lennard-jones", "mlp"}
    assert main(["list", "optimizers"]) == 0
    assert "saddle-free-newton" in capsys.readouterr().out


def test_run_prints_the_documented_json(capsys):
    assert main(["run", "--landscape", "rastrigin", "--dim", "3", "-p", "A=5", "--optimizer", "adam",
                 "-o", "lr=0.05", "--walkers", "4", "--steps", "300", "--seed", "2"]) == 0
    s = json.loads(capsys.readouterr().out)
    for key in ("landscape", "optimizer", "seed", "walkers", "steps", "final_loss", "best_loss",
                "diverged", "elapsed_s", "versions", "complete"):
        assert key in s
    assert s["landscape"] == {"name": "rastrigin", "dim": 3, "params": {"A": 5.0, "rotate": 0}, "seed": 2,
                              "manifold": None, "symmetries": ["coordinate-sign", "permutation"]}
    assert s["optimizer"]["hyper"]["lr"] == 0.05 and len(s["final_loss"]) == 4


def test_run_writes_files_and_runs_a_file_plugin(tmp_path, capsys):
    out, traj = tmp_path / "r.json", tmp_path / "t.npz"
    assert main(["run", "--landscape", "styblinski-tang", "--dim", "4", "--optimizer",
                 f"{EXAMPLE}:SignGD", "-o", "lr=0.01", "--steps", "400", "--out", str(out),
                 "--trajectory", str(traj)]) == 0
    assert capsys.readouterr().out == ""
    s = json.loads(out.read_text())
    assert s["optimizer"]["name"] == "sign-gd" and s["best_loss"] < -100
    import numpy as np

    with np.load(traj) as z:
        assert z["positions"].shape[1:] == (16, 4)


@pytest.mark.parametrize("argv, message", [
    (["run", "--landscape", "rastrign", "--optimizer", "gd"], "unknown landscape 'rastrign' (did you mean 'rastrigin'?)"),
    (["run", "--landscape", "rastrigin", "--optimizer", "adma"], "unknown optimizer 'adma' (did you mean 'adam'?)"),
    (["run", "--landscape", "rastrigin", "--optimizer", "gd", "-o", "lr"], "-o 'lr' is malformed"),
    (["run", "--landscape", "rastrigin", "--optimizer", "gd", "-o", "lr=-2"], "lr=-2 is out of range"),
    (["run", "--landscape", "himmelblau", "--dim", "3", "--optimizer", "gd"], "cannot take dim=3"),
    (["run", "--landscape", "rastrigin", "--optimizer", "gd", "--out", "/nonexistent/dir/r.json"],
     "--out '/nonexistent/dir/r.json' is not a writable file path"),
    (["run", "--landscape", "rastrigin", "--optimizer", "no_such_mod:Opt"], "failed to import: ModuleNotFoundError"),
    (["run", "--landscape", "rastrigin", "--optimizer", "gd", "--walkers", "0"], "--walkers 0 is not allowed"),
    (["run", "--landscape", "rastrigin", "--optimizer", "gd", "--saddle-radius", "2"],
     "saddle_radius=2.0 is not allowed; use a number in (0, 1]"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_python_dash_m_and_help_are_fast_and_light():
    out = subprocess.run([sys.executable, "-c", "import sys, saddlescape.cli as c; c.main(['list', 'optimizers', '--json']); "
                          "print('numba' in sys.modules, 'textual' in sys.modules, file=sys.stderr)"],
                         capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "False False"
    help_out = subprocess.run([sys.executable, "-m", "saddlescape", "--help"], capture_output=True, text=True)
    assert help_out.returncode == 0 and "run" in help_out.stdout


@pytest.mark.parametrize("argv, message", [
    (["tui", "--landscape", "himmelblau", "--dim", "4"], "cannot take dim=4"),
    (["tui", "--optimizer", "adma"], "unknown optimizer 'adma'"),
    (["tui", "--walkers", "0"], "--walkers 0 is not allowed"),
    (["tui", "-p", "A"], "-p 'A' is malformed"),
])
def test_tui_bad_arguments_are_one_line_before_the_screen_opens(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_example_landscape_runs_from_its_file(capsys):
    """examples/my_landscape.py, as README and `landscapes.custom`'s docstring point to it."""
    path = Path(__file__).resolve().parents[2] / "examples" / "my_landscape.py"
    assert main(["run", "--landscape", f"{path}:bowl", "--dim", "5", "--optimizer", "adam", "-o", "lr=0.05",
                 "--walkers", "4", "--steps", "800", "--seed", "1"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["landscape"]["name"] == "bowl" and s["landscape"]["dim"] == 5
    assert s["best_loss"] < 1e-6 and s["n_distinct_minima"] == 1


def test_only_the_projects_own_errors_are_one_line(monkeypatch, capsys):
    """Bad input (a SaddlescapeError) is one line and exit 2; a bug that happens to raise a
    ValueError (a NumPy broadcasting error, say) keeps its traceback instead of posing as bad input."""
    from saddlescape import SaddlescapeError, landscapes, optimizers

    assert issubclass(landscapes.ParamError, SaddlescapeError) and issubclass(optimizers.PluginError, SaddlescapeError)

    def broken(*args, **kw):
        raise ValueError("operands could not be broadcast together with shapes (3,) (4,)")

    monkeypatch.setattr(landscapes, "make", broken)
    with pytest.raises(ValueError, match="broadcast"):
        main(["run", "--landscape", "rastrigin", "--optimizer", "adam", "--steps", "5"])

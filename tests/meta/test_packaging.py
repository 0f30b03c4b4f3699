"""What `pip install saddlescape` puts on a machine: one top-level name, every layer under it."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import saddlescape

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(ROOT)], check=True, capture_output=True, text=True)
    (found,) = out.glob("saddlescape-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_installs_one_top_level_name(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if ".dist-info/" not in n}
    assert top == {"saddlescape"}
    for path in ("saddlescape/landscapes/_base.py", "saddlescape/optimizers/_first_order.py",
                 "saddlescape/tui/_app.py", "saddlescape/experiments/studies/no_minimum.py", "saddlescape/cli.py"):
        assert path in names, path
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "landscapes/", "tui/"))]


@pytest.mark.slow
def test_the_wheel_carries_the_one_version_string(wheel):
    assert wheel.name.startswith(f"saddlescape-{saddlescape.__version__}-")
    meta = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
    assert f"Version: {saddlescape.__version__}\n" in zipfile.ZipFile(wheel).read(meta).decode()


def test_one_copy_of_each_module_from_the_repository_root():
    """Run from the root (where `landscapes/` is a plain folder on sys.path), the package still
    loads each layer once, under its installed name, from the repository's files."""
    code = ("import sys, saddlescape.landscapes as L, saddlescape.tui as T; from saddlescape import optimizers; "
            "L.make('himmelblau'); optimizers.make('adam'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('landscapes', 'optimizers', 'tui'))); "
            "print(L.__file__); print(T.__file__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    bare, land, tui = out.stdout.splitlines()
    assert bare == "[]"
    assert Path(land) == ROOT / "landscapes" / "__init__.py" and Path(tui) == ROOT / "tui" / "__init__.py"

"""The layers import one way (landscapes -> optimizers -> saddlescape's glue -> tui -> the command
line) and no two modules import each other, read from the source with ``ast``: a lazy import
inside a function counts as much as one at the top of a module."""
from __future__ import annotations

import ast
import contextlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# folder -> the name it installs as (pyproject's package-dir)
FOLDERS = {"landscapes": "saddlescape.landscapes", "optimizers": "saddlescape.optimizers",
           "saddlescape": "saddlescape", "tui": "saddlescape.tui"}
LAYERS = {"saddlescape.landscapes": 0, "saddlescape.optimizers": 1, "saddlescape": 2, "saddlescape.tui": 3,
          "saddlescape.cli": 4, "saddlescape.__main__": 4}


def _modules() -> dict[str, Path]:
    out = {}
    for folder, package in FOLDERS.items():
        for path in (p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts):  # (not generated loops)
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([package, *parts])] = path
    return out


MODULES = _modules()


def layer(module: str) -> int:
    """The layer of a module: its longest prefix in LAYERS."""
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> set[str]:
    """Every module (ours or not) that ``module`` imports, anywhere in its source."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            for alias in node.names:  # `from saddlescape import landscapes` imports a subpackage
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found


def test_every_layer_folder_is_found():
    assert {"saddlescape.landscapes._base", "saddlescape.optimizers._first_order", "saddlescape._engine",
            "saddlescape.tui._app", "saddlescape.cli"} <= set(MODULES)


def _bare_imports(path: Path) -> list[str]:
    """Imports of a layer folder by its bare name anywhere in a file: import statements, and
    ``__import__("x")`` / ``import_module("x")`` calls, including inside code strings run by
    subprocesses (``-c "..."``)."""
    bare = ("landscapes", "optimizers", "tui")
    text = path.read_text()
    found = []
    for node in ast.walk(ast.parse(text, str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("__import__", "import_module") and node.args and isinstance(node.args[0], ast.Constant)):
            names = [str(node.args[0].value)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "import" in node.value:
            with contextlib.suppress(SyntaxError):  # a snippet of code in a string
                names = [m for s in ast.walk(ast.parse(node.value)) if isinstance(s, (ast.Import, ast.ImportFrom))
                         for m in ([a.name for a in s.names] if isinstance(s, ast.Import) else [s.module or ""])]
        found += [f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')} {n}" for n in names
                  if n.split(".")[0] in bare]
    return found


def test_nothing_imports_the_layer_folders_by_their_bare_names():
    """Only `saddlescape.landscapes` exists once installed; a bare `landscapes` would be another
    package of that name, or from the repository root a second copy of ours (whose classes are
    not ours: `isinstance` fails across copies)."""
    files = [p for folder in (*FOLDERS, "tests", "benchmarks", "examples") for p in (ROOT / folder).rglob("*.py")
             if "__pycache__" not in p.parts]
    assert len(files) > 50
    bad = [hit for p in files for hit in _bare_imports(p)]
    assert not bad


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_higher_layer(module):
    ours = [i for i in imports(module) if i in MODULES]
    upward = [i for i in ours if layer(i) > layer(module)]
    assert not upward, f"{module} (layer {layer(module)}) imports {upward}"


def test_no_import_cycles():
    graph = {m: sorted(i for i in imports(m) if i in MODULES and i != m) for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for m in graph:
        if m not in index:
            visit(m)
    assert not cycles


def test_the_checker_catches_an_upward_import_and_a_cycle(tmp_path, monkeypatch):
    """The rules above can fail: a landscape importing the engine, and two modules importing each other."""
    fake = {"saddlescape.landscapes._x": tmp_path / "x.py", "saddlescape._a": tmp_path / "a.py",
            "saddlescape._b": tmp_path / "b.py"}
    fake["saddlescape.landscapes._x"].write_text("from saddlescape import _a\n")
    fake["saddlescape._a"].write_text("def f():\n    from . import _b\n")
    fake["saddlescape._b"].write_text("from ._a import f\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["MODULES"]), "MODULES", fake)
    assert layer("saddlescape._a") > layer("saddlescape.landscapes._x")
    assert "saddlescape._a" in imports("saddlescape.landscapes._x")
    with pytest.raises(AssertionError):
        test_no_import_cycles()

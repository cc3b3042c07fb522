"""The package's shape: imports point one way, and modules stay small.

* No import cycle anywhere in ``wkfn/``. Imports are collected from the whole module
  (also inside functions: a function-local import that dodges a cycle at import time
  is still a cycle in the design). Imports under ``if TYPE_CHECKING:`` are exempt:
  they never run, and they let a module name a type from a module that imports it.
* No module over :data:`MAX_LINES` lines, so each file can be read and understood
  alone, and every module opens with a docstring saying what it owns.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "wkfn"
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:`` blocks."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return out


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The ``wkfn`` modules ``path`` imports at run time (anywhere in the file)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from pkg import mod`` imports the submodule pkg.mod
            targets = [
                f"{module}.{a.name}" if f"{module}.{a.name}" in known else module
                for a in node.names
            ]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports at run time."""
    files = sorted(root.rglob("*.py"))
    known = {_module_name(p) for p in files}
    return {_module_name(p): imported_modules(p, known) for p in files}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    found = cycles(import_graph(ROOT))
    assert not found, "import cycles in wkfn:\n" + "\n".join(
        " <-> ".join(c) for c in found
    )


def _modules() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_size(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, (
        f"{path.relative_to(ROOT)} has {lines} lines (limit {MAX_LINES}); split it "
        "by concept"
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_says_what_it_owns(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert doc.strip(), f"{path.relative_to(ROOT)} has no opening docstring"


def test_cycle_check_can_fail(tmp_path: Path) -> None:
    pkg = tmp_path / "wkfn"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from wkfn.sub import b\n")
    (pkg / "sub" / "b.py").write_text(
        "def f():\n    from wkfn.sub.a import x\n"  # a local import still counts
    )
    (pkg / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from wkfn.sub import a\n"
    )
    (pkg / "sub" / "d.py").write_text("from . import c\n")
    global ROOT
    saved, ROOT = ROOT, pkg
    try:
        graph = import_graph(pkg)
    finally:
        ROOT = saved
    assert cycles(graph) == [["wkfn.sub.a", "wkfn.sub.b"]]
    assert graph["wkfn.sub.c"] == set()  # TYPE_CHECKING imports are exempt
    assert graph["wkfn.sub.d"] == {"wkfn.sub.c"}  # relative imports resolve

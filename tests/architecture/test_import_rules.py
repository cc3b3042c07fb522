"""The pure core must not import I/O libraries or the effectful shell."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "wkfn"
PURE = ["geometry", "spec", "transform", "plan", "kernels", "picture"]
FORBIDDEN = {
    "tensorstore",
    "fsspec",
    "httpx",
    "tifffile",
    "pims",
    "wkw",
    "os",
    "shutil",
    "pathlib",
    "io",
    "wkfn.storage",
    "wkfn.execute",
    "wkfn.api",
    "wkfn.remote",
    "wkfn.images",
    "wkfn.cli",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _pure_files() -> list[Path]:
    return [p for pkg in PURE for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_imports_no_io(path: Path) -> None:
    bad = {
        name
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_rule_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import tensorstore\nfrom wkfn.storage import arrays\n")
    assert _imports(bad) & FORBIDDEN == {"tensorstore", "wkfn.storage"}

"""Generate (or check) the committed JSON Schemas: ``python -m wkfn.schemas [--check]``.

``specs/datasource-properties.schema.json`` and ``specs/plan.schema.json`` are
generated from the msgspec Structs; ``--check`` exits non-zero when they drifted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from wkfn.declare.model import declaration_schema
from wkfn.plan.schema import render_plan_schema
from wkfn.spec.schema import render_schema

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"


def rendered() -> dict[str, str]:
    """File name → schema text."""
    return {
        "datasource-properties.schema.json": render_schema(),
        "plan.schema.json": render_plan_schema(),
        "dataset-declaration.schema.json": json.dumps(
            declaration_schema(), indent=2, sort_keys=True
        )
        + "\n",
    }


def write_schemas(directory: Path = SPECS_DIR) -> list[Path]:
    """Write every schema into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in rendered().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def drifted(directory: Path = SPECS_DIR) -> list[str]:
    """Names of committed schemas that differ from the generated ones."""
    out = []
    for name, text in rendered().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            out.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        bad = drifted()
        for name in bad:
            print(f"specs/{name} is out of date; run python -m wkfn.schemas")
        return 1 if bad else 0
    for path in write_schemas():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Shared fixtures: running snippets in the reference library's own environment
(a subprocess), for the interop tests in every test folder."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Generation speed depends on machine load (CI shares 2 cores between 2 workers and
# reference subprocesses); timing checks make property tests flaky without testing
# anything about wkfn, so they are off. Every correctness check stays on.
settings.register_profile(
    "wkfn",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "wkfn"))

_CANDIDATES = [
    os.environ.get("WKFN_REFERENCE_PYTHON", ""),
    str(Path(__file__).resolve().parents[1] / ".venv-ref" / "bin" / "python"),
    "/work/refvenv/bin/python",
]


def reference_python() -> str:
    """Interpreter with `webknossos` installed; skip (or fail in CI) when absent."""
    for cand in _CANDIDATES:
        if cand and Path(cand).exists():
            return cand
    if os.environ.get("WKFN_REQUIRE_REFERENCE"):
        pytest.fail(
            "the reference library is required but WKFN_REFERENCE_PYTHON is unset"
        )
    pytest.skip("reference library `webknossos` not available")


def run_reference(code: str, **params: Any) -> Any:
    """Run ``code`` with the reference; it must print one JSON document last."""
    prelude = "import json, sys, hashlib\nimport numpy as np\nimport webknossos as wk\n"
    prelude += f"P = json.loads({json.dumps(json.dumps(params))})\n"
    proc = subprocess.run(
        [reference_python(), "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=1200,  # generous: CI machines share 2 cores between 2 test workers
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"reference failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def ref() -> Any:
    """The `run_reference` function (skips/fails early when the reference is absent)."""
    reference_python()
    return run_reference

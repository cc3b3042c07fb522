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

# The environment tests/run.sh builds beside the checkout, unless overridden.
_DEFAULT_REFERENCE = (
    Path(__file__).resolve().parents[1] / ".venv-ref" / "bin" / "python"
)


def reference_required() -> bool:
    """True in CI (``CI=true``) or when ``WKFN_REQUIRE_REFERENCE`` is set: a missing
    reference environment is then a failure, never a silent skip."""
    flag = os.environ.get("WKFN_REQUIRE_REFERENCE", "").lower()
    return flag not in ("", "0", "false") or os.environ.get("CI", "").lower() in (
        "1",
        "true",
    )


def reference_python() -> str:
    """Interpreter with `webknossos` installed (``WKFN_REFERENCE_PYTHON``, else the
    checkout's ``.venv-ref``); skipped when absent, failed when required."""
    cand = os.environ.get("WKFN_REFERENCE_PYTHON") or str(_DEFAULT_REFERENCE)
    if Path(cand).exists():
        return cand
    if reference_required():
        pytest.fail(
            f"the reference library is required but {cand} does not exist; "
            "run `bash tests/run.sh` (it builds .venv-ref) or set WKFN_REFERENCE_PYTHON"
        )
    pytest.skip(f"reference library `webknossos` not available at {cand}")


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


@pytest.fixture(scope="session")
def ref_python() -> str:
    """Path of the reference environment's interpreter (skips/fails when absent)."""
    return reference_python()


@pytest.fixture
def ref() -> Any:
    """The `run_reference` function (skips/fails early when the reference is absent)."""
    reference_python()
    return run_reference
